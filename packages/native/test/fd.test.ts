import { describe, expect, it } from 'vitest';

import {
  FIONREAD,
  KchanError,
  O_CLOEXEC,
  O_NONBLOCK,
  O_RDONLY,
  O_RDWR,
  _IO,
  _IOR,
  close,
  ioctl,
  memfdCreate,
  open,
  pipe2,
  read,
  write,
} from '../src/index.js';
import * as native from '../src/index.js';
import type { KchanBinding } from '../src/index.js';
import { closeQuietly, expectCode, expectErrno, UNKNOWN_IOCTL } from './helpers.js';

// @kchan/native itself is the default KchanBinding of the readers (checked
// by tsc in `pnpm lint`).
const nativeIsABinding: KchanBinding = native;

describe('open/close', () => {
  it('is a KchanBinding', () => {
    expect(typeof nativeIsABinding.waitReadable).toBe('function');
  });

  it('opens /dev/null and closes it', () => {
    const fd = open('/dev/null', O_RDWR | O_CLOEXEC);
    expect(fd).toBeGreaterThanOrEqual(0);
    close(fd);
  });

  it('reports ENOENT with an fs-style message naming the path', () => {
    const err = expectErrno(() => open('/nonexistent/kchan', O_RDONLY), 'ENOENT', 'open');
    expect(err.message).toBe("ENOENT: no such file or directory, open '/nonexistent/kchan'");
    expect((err as { path?: string }).path).toBe('/nonexistent/kchan');
    expect((err as { errno?: number }).errno).toBe(-2);
  });

  it('system-call errors are KchanErrors with only the fields that apply, like fs errors', async () => {
    const err = expectErrno(() => open('/nonexistent/kchan', O_RDONLY), 'ENOENT', 'open');
    expect(err).toBeInstanceOf(KchanError);
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('KchanError');
    expect(Object.keys(err).sort()).toEqual(['code', 'errno', 'name', 'path', 'syscall']);
    const noPath = expectErrno(() => close(1 << 30), 'EBADF', 'close');
    expect('path' in noPath).toBe(false);
    // The ESM and CJS builds each have a KchanError class; an error from
    // either is an instance of both (the addon is shared in the process).
    const { createRequire } = await import('node:module');
    const cjs = createRequire(import.meta.url)('../dist/index.cjs') as { KchanError: typeof KchanError };
    expect(cjs.KchanError).not.toBe(KchanError);
    expect(noPath).toBeInstanceOf(cjs.KchanError);
    expect(new Error('x')).not.toBeInstanceOf(cjs.KchanError);
    // A package error extends it; KchanError itself has no errno fields.
    const own = new KchanError('ERR_X', 'ERR_X: something');
    expect(Object.keys(own).sort()).toEqual(['code', 'name']);
  });

  it('double close throws EBADF, never crashes', () => {
    const fd = open('/dev/null', O_RDONLY | O_CLOEXEC);
    close(fd);
    const err = expectErrno(() => close(fd), 'EBADF', 'close');
    expect(err.message).toBe('EBADF: bad file descriptor, close');
    expect((err as { errno?: number }).errno).toBe(-9);
  });

  it('using a closed fd throws EBADF', () => {
    const [r, w] = pipe2(O_CLOEXEC);
    close(r);
    close(w);
    expectErrno(() => read(r, new Uint8Array(1)), 'EBADF', 'read');
    expectErrno(() => write(w, new Uint8Array(1)), 'EBADF', 'write');
    expectErrno(() => ioctl(r, FIONREAD, new Int32Array(1)), 'EBADF', 'ioctl');
  });

  it('rejects bad argument types and ranges', () => {
    expectCode(() => open(42 as unknown as string, O_RDONLY), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCode(() => open('/dev/null\0x', O_RDONLY), TypeError, 'ERR_INVALID_ARG_VALUE');
    expectCode(() => open('/dev/null', -1), RangeError, 'ERR_OUT_OF_RANGE');
    expectCode(() => close(-1), RangeError, 'ERR_OUT_OF_RANGE');
    expectCode(() => close(1.5), RangeError, 'ERR_OUT_OF_RANGE');
    expectCode(() => close(Number.NaN), RangeError, 'ERR_OUT_OF_RANGE');
    expectCode(() => close(2 ** 31), RangeError, 'ERR_OUT_OF_RANGE');
    expectCode(() => close('3' as unknown as number), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCode(() => read(0, 'x' as unknown as Uint8Array), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCode(() => write(0, [1, 2] as unknown as Uint8Array), TypeError, 'ERR_INVALID_ARG_TYPE');
    const e = expectCode(() => close(-1), RangeError, 'ERR_OUT_OF_RANGE');
    expect(e.message).toContain('The value of "fd" is out of range');
  });
});

describe('read/write on a pipe', () => {
  it('moves bytes through view windows and reports EAGAIN when empty', () => {
    const [r, w] = pipe2(O_NONBLOCK | O_CLOEXEC);
    try {
      const src = new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7]);
      expect(write(w, src.subarray(2, 6))).toBe(4);
      const dst = new Uint8Array(10).fill(0xee);
      expect(read(r, new Uint8Array(dst.buffer, 3, 5))).toBe(4);
      expect([...dst]).toEqual([0xee, 0xee, 0xee, 2, 3, 4, 5, 0xee, 0xee, 0xee]);
      const err = expectErrno(() => read(r, dst), 'EAGAIN', 'read');
      expect((err as { errno?: number }).errno).toBe(-11);
      // ArrayBuffer and DataView work too.
      write(w, new Uint8Array([9]).buffer);
      expect(read(r, new DataView(dst.buffer, 0, 1))).toBe(1);
      expect(dst[0]).toBe(9);
    } finally {
      closeQuietly(r, w);
    }
  });

  it('reads 0 at end of file', () => {
    const [r, w] = pipe2(O_NONBLOCK | O_CLOEXEC);
    close(w);
    expect(read(r, new Uint8Array(4))).toBe(0);
    close(r);
  });
});

describe('ioctl', () => {
  it('FIONREAD writes the byte count into a buffer out-arg', () => {
    const [r, w] = pipe2(O_NONBLOCK | O_CLOEXEC);
    try {
      write(w, new Uint8Array(123));
      const n = new Int32Array(2).fill(-1);
      expect(ioctl(r, FIONREAD, n.subarray(1))).toBe(0);
      expect(n[1]).toBe(123);
      expect(n[0]).toBe(-1); // the view's window, not the buffer start
    } finally {
      closeQuietly(r, w);
    }
  });

  it('unknown request on /dev/null is ENOTTY', () => {
    const fd = open('/dev/null', O_RDWR | O_CLOEXEC);
    try {
      const err = expectErrno(() => ioctl(fd, _IO('Z', 0x99)), UNKNOWN_IOCTL, 'ioctl');
      if (UNKNOWN_IOCTL === 'ENOTTY') expect(err.message).toBe('ENOTTY: inappropriate ioctl for device, ioctl');
      expect((err as { errno?: number }).errno).toBe(UNKNOWN_IOCTL === 'ENOTTY' ? -25 : -38);
      expectErrno(() => ioctl(fd, _IO('Z', 0x99), null), UNKNOWN_IOCTL, 'ioctl');
      expectErrno(() => ioctl(fd, _IO('Z', 0x99), 5), UNKNOWN_IOCTL, 'ioctl');
      expectErrno(() => ioctl(fd, _IO('Z', 0x99), 5n), UNKNOWN_IOCTL, 'ioctl');
    } finally {
      close(fd);
    }
  });

  it('validates request and arg', () => {
    const fd = open('/dev/null', O_RDWR | O_CLOEXEC);
    try {
      expectCode(() => ioctl(fd, -1), RangeError, 'ERR_OUT_OF_RANGE');
      expectCode(() => ioctl(fd, 2 ** 32), RangeError, 'ERR_OUT_OF_RANGE');
      expectCode(() => ioctl(fd, 0.5), RangeError, 'ERR_OUT_OF_RANGE');
      expectCode(() => ioctl(fd, _IO('Z', 1), -1), RangeError, 'ERR_OUT_OF_RANGE');
      expectCode(() => ioctl(fd, _IO('Z', 1), -1n), RangeError, 'ERR_OUT_OF_RANGE');
      expectCode(() => ioctl(fd, _IO('Z', 1), 2n ** 64n), RangeError, 'ERR_OUT_OF_RANGE');
      expectCode(() => ioctl(fd, _IO('Z', 1), 'x' as unknown as number), TypeError, 'ERR_INVALID_ARG_TYPE');
      // The request encodes 16 bytes the kernel writes: an 8-byte buffer would overflow.
      expectCode(() => ioctl(fd, _IOR('Z', 1, 16), new Uint8Array(8)), RangeError, 'ERR_OUT_OF_RANGE');
      // ... and a number would be a raw pointer into this process.
      expectCode(() => ioctl(fd, _IOR('Z', 1, 16), 4096), TypeError, 'ERR_INVALID_ARG_TYPE');
      expectErrno(() => ioctl(fd, _IOR('Z', 1, 16), new Uint8Array(16)), UNKNOWN_IOCTL, 'ioctl');
      // Large unsigned requests (dir bits set) are accepted as numbers.
      expect(_IOR('Z', 1, 16)).toBeGreaterThan(2 ** 31);
    } finally {
      close(fd);
    }
  });
});

describe('memfd', () => {
  it('creates an anonymous file usable with read/write', () => {
    const fd = memfdCreate('kchan-test', 0);
    try {
      expect(write(fd, new TextEncoder().encode('memfd'))).toBe(5);
    } finally {
      close(fd);
    }
  });
});
