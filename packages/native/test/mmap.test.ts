import { closeSync, ftruncateSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

import {
  MADV_DONTNEED,
  MAP_PRIVATE,
  MAP_SHARED,
  Mapping,
  O_CLOEXEC,
  O_RDONLY,
  O_RDWR,
  PAGE_SIZE,
  PROT_NONE,
  PROT_READ,
  PROT_WRITE,
  addressOf,
  close,
  madvise,
  memfdCreate,
  mmap,
  mmapAnonymous,
  mprotect,
  mremap,
  munmapRange,
  open,
  read,
} from '../src/index.js';
import { addon } from '../src/binding.js';
import { expectCode, expectErrno, tempDir } from './helpers.js';

const RW = PROT_READ | PROT_WRITE;
/** Not exported (mmap refuses it); Linux value. */
const MAP_FIXED_NOREPLACE_FOR_TEST = 0x100000;

/** Whether [address, address+length) is (fully) mapped in this process. */
function isMapped(address: bigint, length: number): boolean {
  const maps = readFileSync('/proc/self/maps', 'utf8');
  for (const line of maps.split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+)/.exec(line);
    if (!m?.[1] || !m[2]) continue;
    const start = BigInt(`0x${m[1]}`);
    const end = BigInt(`0x${m[2]}`);
    if (start <= address && address + BigInt(length) <= end) return true;
  }
  return false;
}

describe('mmap of files', () => {
  it('/dev/zero private mapping reads zeros and is writable', () => {
    const fd = open('/dev/zero', O_RDWR | O_CLOEXEC);
    try {
      const m = mmap(fd, 3 * PAGE_SIZE, RW, MAP_PRIVATE, 0);
      expect(m.length).toBe(3 * PAGE_SIZE);
      expect(m.external).toBe(true);
      expect(m.buffer.byteLength).toBe(3 * PAGE_SIZE);
      const u = new Uint8Array(m.buffer);
      expect(u.every((b) => b === 0)).toBe(true);
      u[100] = 42;
      expect(u[100]).toBe(42);
      m.unmap();
    } finally {
      close(fd);
    }
  });

  it('shared mapping of a temp file: writes through the mapping are visible to read()', () => {
    const { dir, cleanup } = tempDir();
    try {
      const path = join(dir, 'f');
      const nfd = openSync(path, 'w+');
      ftruncateSync(nfd, 2 * PAGE_SIZE);
      closeSync(nfd);
      const fd = open(path, O_RDWR | O_CLOEXEC);
      const m = mmap(fd, PAGE_SIZE, RW, MAP_SHARED, BigInt(PAGE_SIZE));
      new TextEncoder().encodeInto('through the mapping', new Uint8Array(m.buffer, 10));
      const back = Buffer.alloc(19);
      const rfd = openSync(path, 'r');
      readSync(rfd, back, 0, 19, PAGE_SIZE + 10);
      closeSync(rfd);
      expect(back.toString()).toBe('through the mapping');
      // ... and writes to the file show up in the mapping.
      const wfd = openSync(path, 'r+');
      writeSync(wfd, Buffer.from('XY'), 0, 2, PAGE_SIZE);
      closeSync(wfd);
      expect(new Uint8Array(m.buffer, 0, 2)).toEqual(new Uint8Array([0x58, 0x59]));
      m.unmap();
      close(fd);
    } finally {
      cleanup();
    }
  });

  it('memfd shared mapping is visible through read()', () => {
    const fd = memfdCreate('kchan-mmap', 0);
    try {
      ftruncateSync(fd, PAGE_SIZE);
      const m = mmap(fd, PAGE_SIZE, RW, MAP_SHARED, 0);
      new Uint8Array(m.buffer).set([1, 2, 3]);
      const out = new Uint8Array(3);
      expect(read(fd, out)).toBe(3);
      expect([...out]).toEqual([1, 2, 3]);
      m.unmap();
    } finally {
      close(fd);
    }
  });

  it('a non-page length maps whole pages but exposes the requested length', () => {
    const fd = open('/dev/zero', O_RDONLY | O_CLOEXEC);
    const m = mmap(fd, 100, PROT_READ, MAP_PRIVATE, 0);
    expect(m.buffer.byteLength).toBe(100);
    expect(isMapped(m.address, PAGE_SIZE)).toBe(true);
    m.unmap();
    expect(isMapped(m.address, PAGE_SIZE)).toBe(false);
    close(fd);
  });
});

describe('mmap errors', () => {
  it('unaligned offset is EINVAL before the syscall', () => {
    const fd = open('/dev/zero', O_RDONLY | O_CLOEXEC);
    try {
      expectErrno(() => mmap(fd, PAGE_SIZE, PROT_READ, MAP_PRIVATE, 1), 'EINVAL', 'mmap');
      expectErrno(() => mmap(fd, PAGE_SIZE, PROT_READ, MAP_PRIVATE, 4097n), 'EINVAL', 'mmap');
    } finally {
      close(fd);
    }
  });

  it('bad lengths, prot, flags and offsets', () => {
    const fd = open('/dev/zero', O_RDONLY | O_CLOEXEC);
    try {
      expectCode(() => mmap(fd, 0, PROT_READ, MAP_PRIVATE, 0), RangeError, 'ERR_OUT_OF_RANGE');
      expectCode(() => mmap(fd, -4096, PROT_READ, MAP_PRIVATE, 0), RangeError, 'ERR_OUT_OF_RANGE');
      expectCode(() => mmap(fd, 1.5, PROT_READ, MAP_PRIVATE, 0), RangeError, 'ERR_OUT_OF_RANGE');
      expectCode(() => mmap(fd, PAGE_SIZE, PROT_READ, MAP_PRIVATE, -4096), RangeError, 'ERR_OUT_OF_RANGE');
      expectCode(() => mmap(fd, PAGE_SIZE, PROT_READ, MAP_PRIVATE, -1n), RangeError, 'ERR_OUT_OF_RANGE');
      expectCode(() => mmap(fd, '1' as unknown as number, PROT_READ, MAP_PRIVATE, 0), TypeError, 'ERR_INVALID_ARG_TYPE');
      expectErrno(() => mmap(fd, PAGE_SIZE, 0x1000000, MAP_PRIVATE, 0), 'EINVAL', 'mmap');
      expectErrno(() => mmap(fd, PAGE_SIZE, PROT_READ, MAP_PRIVATE | MAP_FIXED_NOREPLACE_FOR_TEST, 0), 'EINVAL', 'mmap');
      expectErrno(() => mmap(fd, PAGE_SIZE, PROT_READ, MAP_PRIVATE | 0x10 /* MAP_FIXED */, 0), 'EINVAL', 'mmap');
      // Kernel-side: a read-only fd cannot be mapped shared writable.
      expectErrno(() => mmap(fd, PAGE_SIZE, RW, MAP_SHARED, 0), 'EACCES', 'mmap');
      expectCode(() => mmapAnonymous(0, RW), RangeError, 'ERR_OUT_OF_RANGE');
    } finally {
      close(fd);
    }
    expectErrno(() => mmap(fd, PAGE_SIZE, PROT_READ, MAP_PRIVATE, 0), 'EBADF', 'mmap');
  });

  it('Mapping cannot be constructed from JS', () => {
    const Ctor = Mapping as unknown as new (x: unknown) => Mapping;
    expectCode(() => new Ctor({}), TypeError, 'ERR_ILLEGAL_CONSTRUCTOR');
    const Native = addon.MappingHandle as unknown as new () => unknown;
    expectCode(() => new Native(), Error, 'ERR_ILLEGAL_CONSTRUCTOR');
  });

  it('without external ArrayBuffers (Electron) mmap throws ENOTSUP and leaks nothing', () => {
    addon._setForceNoExternal(true);
    try {
      const err = expectErrno(() => mmapAnonymous(PAGE_SIZE, RW), 'ENOTSUP', 'mmap');
      expect(err.message).toContain('external ArrayBuffers are not allowed');
    } finally {
      addon._setForceNoExternal(false);
    }
  });
});

describe('unmap', () => {
  it('detaches the buffer: views become length 0, double unmap is a no-op', () => {
    const m = mmapAnonymous(2 * PAGE_SIZE, RW);
    const u8 = new Uint8Array(m.buffer);
    const f64 = new Float64Array(m.buffer, 8, 4);
    const dv = new DataView(m.buffer);
    u8[0] = 1;
    const address = m.address;
    expect(isMapped(address, 2 * PAGE_SIZE)).toBe(true);
    m.unmap();
    expect(m.unmapped).toBe(true);
    expect(m.length).toBe(0);
    expect(m.buffer.byteLength).toBe(0);
    expect(u8.length).toBe(0);
    expect(u8[0]).toBeUndefined();
    expect(f64.length).toBe(0);
    expect(() => dv.getUint8(0)).toThrow(TypeError);
    expect(isMapped(address, 2 * PAGE_SIZE)).toBe(false);
    m.unmap();
    expectCode(() => m.madvise(0, PAGE_SIZE, MADV_DONTNEED), Error, 'ERR_INVALID_STATE');
  });

  it('repeated map/unmap at reused addresses does not upset V8', () => {
    for (let i = 0; i < 2000; i++) {
      const m = mmapAnonymous(PAGE_SIZE, RW);
      new Uint8Array(m.buffer)[0] = i & 0xff;
      m.unmap();
    }
  });

  it('a collected Mapping is unmapped by the finalizer, exactly once', () => {
    const script = `
      const n = require(${JSON.stringify(fileURLToPath(new URL('..', import.meta.url)))});
      const fs = require('fs');
      const mapped = (a) => fs.readFileSync('/proc/self/maps', 'utf8').split('\\n').some((l) => {
        const m = /^([0-9a-f]+)-([0-9a-f]+)/.exec(l); return m && BigInt('0x' + m[1]) <= a && a < BigInt('0x' + m[2]);
      });
      let addrs = [];
      (() => { for (let i = 0; i < 50; i++) addrs.push(n.mmapAnonymous(1 << 20, 3).address); })();
      // A view keeps the pages alive after its Mapping is gone.
      let view = (() => { const m = n.mmapAnonymous(4096, 3); const v = new Uint8Array(m.buffer); v[0] = 7; return v; })();
      const viewAddr = n.addressOf(view);
      // An explicitly unmapped Mapping must not be unmapped again by GC.
      (() => { const m = n.mmapAnonymous(4096, 3); m.unmap(); })();
      const rounds = async () => { for (let i = 0; i < 10; i++) { gc(); await new Promise((r) => setImmediate(r)); } };
      rounds().then(async () => {
        const ok1 = view[0] === 7 && mapped(viewAddr);
        const leftover = addrs.filter(mapped).length;
        view = null;
        await rounds();
        console.log(JSON.stringify({ ok1, leftover, viewGone: !mapped(viewAddr) }));
      });
    `;
    const r = spawnSync(process.execPath, ['--expose-gc', '-e', script], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ ok1: true, leftover: 0, viewGone: true });
  });
});

describe('the GC sees the size of mappings', () => {
  // A mapping is an external ArrayBuffer created through Node's external
  // Buffer path, which reports its length to V8 as external memory (what
  // drives V8 to collect objects that hold large off-heap memory) and takes
  // it back when the buffer is detached or collected. Pinned down here, so
  // large rings left to finalizers keep pressuring the GC.
  it('external memory grows by the mapped size and shrinks on unmap, unmapRange, remap and collection', () => {
    const script = `
      const n = require(${JSON.stringify(fileURLToPath(new URL('..', import.meta.url)))});
      const ext = () => process.memoryUsage().external;
      const MB = 1 << 20, out = {};
      const rounds = async () => { for (let i = 0; i < 10; i++) { gc(); await new Promise((r) => setImmediate(r)); } };
      (async () => {
        await rounds();
        const base = ext();
        const m = n.mmapAnonymous(64 * MB, 3);
        out.mapped = Math.round((ext() - base) / MB);
        const pieces = n.munmapRange(m, 16 * MB, 16 * MB);
        await rounds();
        out.afterUnmapRange = Math.round((ext() - base) / MB);
        const bigger = pieces[1].remap(48 * MB);
        await rounds();
        out.afterRemap = Math.round((ext() - base) / MB);
        pieces[0].unmap();
        bigger.unmap();
        await rounds();
        out.afterUnmap = Math.round((ext() - base) / MB);
        (() => { for (let i = 0; i < 8; i++) n.mmapAnonymous(8 * MB, 3); })();
        out.dropped = Math.round((ext() - base) / MB);
        await rounds();
        out.collected = Math.round((ext() - base) / MB);
        console.log(JSON.stringify(out));
      })();
    `;
    const r = spawnSync(process.execPath, ['--expose-gc', '-e', script], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ mapped: 64, afterUnmapRange: 48, afterRemap: 64, afterUnmap: 0, dropped: 64, collected: 0 });
  });
});

describe('partial unmap, madvise, mprotect, mremap', () => {
  it('unmapRange detaches the whole buffer and returns the surviving pieces', () => {
    const m = mmapAnonymous(5 * PAGE_SIZE, RW);
    const u = new Uint8Array(m.buffer);
    for (let p = 0; p < 5; p++) u[p * PAGE_SIZE] = p + 1;
    const base = m.address;
    const pieces = munmapRange(m, PAGE_SIZE, PAGE_SIZE + 1); // rounds up to 2 pages
    expect(u.length).toBe(0);
    expect(m.unmapped).toBe(true);
    expect(pieces.map((p) => [p.address - base, p.length])).toEqual([
      [0n, PAGE_SIZE],
      [BigInt(3 * PAGE_SIZE), 2 * PAGE_SIZE],
    ]);
    expect(new Uint8Array(pieces[0]!.buffer)[0]).toBe(1);
    expect(new Uint8Array(pieces[1]!.buffer)[0]).toBe(4);
    expect(new Uint8Array(pieces[1]!.buffer)[PAGE_SIZE]).toBe(5);
    expect(isMapped(base + BigInt(PAGE_SIZE), 2 * PAGE_SIZE)).toBe(false);
    // Unmapping a prefix leaves one piece, the whole range none.
    const rest = pieces[1]!.unmapRange(0, PAGE_SIZE);
    expect(rest.map((p) => p.length)).toEqual([PAGE_SIZE]);
    expect(rest[0]!.unmapRange(0, PAGE_SIZE)).toEqual([]);
    pieces[0]!.unmap();
  });

  it('range checks: unaligned offset EINVAL, out of range RangeError', () => {
    const m = mmapAnonymous(2 * PAGE_SIZE, RW);
    expectErrno(() => m.unmapRange(1, PAGE_SIZE), 'EINVAL', 'munmap');
    expectErrno(() => madvise(m, 8, PAGE_SIZE, MADV_DONTNEED), 'EINVAL', 'madvise');
    expectErrno(() => mprotect(m, 8, PAGE_SIZE, PROT_READ), 'EINVAL', 'mprotect');
    expectCode(() => m.unmapRange(0, 3 * PAGE_SIZE), RangeError, 'ERR_OUT_OF_RANGE');
    expectCode(() => m.unmapRange(2 * PAGE_SIZE, 1), RangeError, 'ERR_OUT_OF_RANGE');
    expectCode(() => m.unmapRange(0, 0), RangeError, 'ERR_OUT_OF_RANGE');
    expectCode(() => m.unmapRange(-PAGE_SIZE, 1), RangeError, 'ERR_OUT_OF_RANGE');
    expectErrno(() => m.madvise(0, PAGE_SIZE, 100 /* MADV_HWPOISON */), 'EINVAL', 'madvise');
    expectErrno(() => m.mprotect(0, PAGE_SIZE, 0x100), 'EINVAL', 'mprotect');
    expect(m.buffer.byteLength).toBe(2 * PAGE_SIZE);
    m.unmap();
  });

  it('madvise(MADV_DONTNEED) zeroes anonymous pages', () => {
    const m = mmapAnonymous(2 * PAGE_SIZE, RW);
    const u = new Uint8Array(m.buffer);
    u.fill(9);
    m.madvise(PAGE_SIZE, PAGE_SIZE, MADV_DONTNEED);
    expect(u[0]).toBe(9);
    expect(u[PAGE_SIZE]).toBe(0);
    m.unmap();
  });

  it('mprotect changes protection and back', () => {
    const m = mmapAnonymous(2 * PAGE_SIZE, RW);
    m.mprotect(PAGE_SIZE, PAGE_SIZE, PROT_NONE);
    expect(readFileSync('/proc/self/maps', 'utf8')).toContain(
      `${(m.address + BigInt(PAGE_SIZE)).toString(16)}-${(m.address + BigInt(2 * PAGE_SIZE)).toString(16)} ---p`,
    );
    m.mprotect(PAGE_SIZE, PAGE_SIZE, RW);
    new Uint8Array(m.buffer)[PAGE_SIZE] = 1;
    m.unmap();
  });

  it('mremap grows into a new Mapping and detaches the old one', () => {
    const m = mmapAnonymous(PAGE_SIZE, RW);
    const u = new Uint8Array(m.buffer);
    u[5] = 55;
    const g = mremap(m, 64 * PAGE_SIZE);
    expect(u.length).toBe(0);
    expect(m.unmapped).toBe(true);
    expect(g.length).toBe(64 * PAGE_SIZE);
    const v = new Uint8Array(g.buffer);
    expect(v[5]).toBe(55);
    v[63 * PAGE_SIZE] = 1;
    const s = g.remap(PAGE_SIZE, false); // shrink in place
    expect(s.address).toBe(g.address);
    expect(v.length).toBe(0);
    expect(new Uint8Array(s.buffer)[5]).toBe(55);
    expectCode(() => s.remap(0), RangeError, 'ERR_OUT_OF_RANGE');
    s.unmap();
  });
});

describe('addressOf', () => {
  it('returns the address of a view’s first byte', () => {
    const m = mmapAnonymous(PAGE_SIZE, RW);
    expect(addressOf(m.buffer)).toBe(m.address);
    expect(addressOf(new Uint8Array(m.buffer, 16))).toBe(m.address + 16n);
    expect(addressOf(new Uint32Array(m.buffer, 64, 2))).toBe(m.address + 64n);
    m.unmap();
    const heap = new Uint8Array(10);
    const a = addressOf(heap);
    expect(a).toBeGreaterThan(0n);
    expect(addressOf(heap)).toBe(a); // stable
    expect(addressOf(heap.subarray(3))).toBe(a + 3n);
    expectCode(() => addressOf({} as Uint8Array), TypeError, 'ERR_INVALID_ARG_TYPE');
  });
});
