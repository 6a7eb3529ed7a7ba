import { describe, expect, it } from 'vitest';
import { EVENT_SIZE, IOC_REGISTER_REGION, REGISTER_SIZE, decodeEvents, encodeRegister } from '../src/abi.js';
import { UmmunotifyError, hasCode, toUmmunotifyError } from '../src/errors.js';

function event(view: DataView, off: number, type: number, flags: number, hs: bigint, he: bigint, c: bigint) {
  view.setUint32(off, type, true);
  view.setUint32(off + 4, flags, true);
  view.setBigUint64(off + 8, hs, true);
  view.setBigUint64(off + 16, he, true);
  view.setBigUint64(off + 24, c, true);
}

describe('decodeEvents', () => {
  it('decodes INVAL events and the LAST generation', () => {
    const view = new DataView(new ArrayBuffer(3 * EVENT_SIZE));
    event(view, 0, 0, 1, 0x1000n, 0x2000n, 7n);
    event(view, 32, 0, 0, 0n, 0n, 0xffff_ffff_ffff_ffffn);
    event(view, 64, 1, 0, 0n, 0n, 42n);
    const { events, generation } = decodeEvents(view, 96);
    expect(generation).toBe(42n);
    expect(events).toEqual([
      { cookie: 7n, hintStart: 0x1000n, hintEnd: 0x2000n, hasHint: true },
      { cookie: 0xffff_ffff_ffff_ffffn, hintStart: 0n, hintEnd: 0n, hasHint: false },
    ]);
  });

  it('refuses partial events and unknown types', () => {
    const view = new DataView(new ArrayBuffer(64));
    expect(() => decodeEvents(view, 31)).toThrow(RangeError);
    expect(() => decodeEvents(view, 96)).toThrow(RangeError);
    view.setUint32(0, 9, true);
    expect(() => decodeEvents(view, 32)).toThrow(/unknown event type 9/);
    expect(decodeEvents(view, 0)).toEqual({ events: [], generation: null });
  });
});

describe('encodeRegister', () => {
  it('writes the seed layout and wraps end modulo 2^64', () => {
    const view = new DataView(new ArrayBuffer(REGISTER_SIZE).slice(0));
    new Uint8Array(view.buffer).fill(0xcc);
    encodeRegister(view, 0xffff_ffff_ffff_f000n, 0xffff_ffff_ffff_f000n + 0x2000n, 5n);
    expect(view.getBigUint64(0, true)).toBe(0xffff_ffff_ffff_f000n);
    expect(view.getBigUint64(8, true)).toBe(0x1000n);
    expect(view.getBigUint64(16, true)).toBe(5n);
    expect(view.getUint32(24, true)).toBe(0);
    expect(view.getUint32(28, true)).toBe(0);
    expect(IOC_REGISTER_REGION).toBe(0x40205502);
  });
});

describe('errors', () => {
  it('converts errno-style errors and keeps code, errno, syscall', () => {
    const native = Object.assign(new Error('EEXIST: file already exists, ioctl'), {
      code: 'EEXIST',
      errno: -17,
      syscall: 'ioctl',
    });
    const e = toUmmunotifyError(native, 'ioctl', 'UMMUNOTIFY_REGISTER_REGION');
    expect(e).toBeInstanceOf(UmmunotifyError);
    expect(e).toMatchObject({ code: 'EEXIST', errno: -17, syscall: 'ioctl' });
    expect(hasCode(e, 'EEXIST')).toBe(true);
    expect(new UmmunotifyError('EIO', 'read').errno).toBe(-5);
    const plain = new TypeError('x');
    expect(toUmmunotifyError(plain, 'read')).toBe(plain);
  });
});
