import { describe, expect, it } from 'vitest';
import { encodeKueMsgHdr, KUE_MAX_MSG_SIZE, KUE_MSG_FLAG_LOST } from '@kchan/uapi';

import { decodeRecords, KUE_HDR_SIZE, KUE_MAX_RECORD_SIZE, KueError, nextBufferSize, recordSize } from '../src/index.js';
import { encodeRecord } from './mock-binding.js';

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.byteLength;
  }
  return out;
}

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

describe('recordSize', () => {
  it('pads payloads to KUE_RECORD_ALIGN after the 24-byte header', () => {
    expect(KUE_HDR_SIZE).toBe(24);
    expect(recordSize(0)).toBe(24);
    expect(recordSize(1)).toBe(32);
    expect(recordSize(8)).toBe(32);
    expect(recordSize(9)).toBe(40);
    expect(KUE_MAX_RECORD_SIZE).toBe(24 + KUE_MAX_MSG_SIZE);
  });
});

describe('decodeRecords', () => {
  it('decodes consecutive aligned records zero-copy', () => {
    const buf = concat([
      encodeRecord({ seq: 1n, payload: bytes('m1') }),
      encodeRecord({ seq: 2n, payload: bytes('') }),
      encodeRecord({ seq: 5n, payload: bytes('abcdefghi'), lost: 2 }),
    ]);
    expect(buf.byteLength).toBe(32 + 24 + 40);
    const msgs = decodeRecords(buf, buf.byteLength);
    expect(msgs.map((m) => m.seq)).toEqual([1n, 2n, 5n]);
    expect(new TextDecoder().decode(msgs[0]!.payload)).toBe('m1');
    expect(msgs[1]!.payload.byteLength).toBe(0);
    expect(msgs[2]!.lost).toBe(2);
    expect(msgs[2]!.flags).toBe(KUE_MSG_FLAG_LOST);
    // Zero-copy: the payload is a view into buf.
    expect(msgs[0]!.payload.buffer).toBe(buf.buffer);
    buf[24] = 0x58;
    expect(msgs[0]!.payload[0]).toBe(0x58);
  });

  it('copies payloads when asked', () => {
    const buf = encodeRecord({ seq: 1n, payload: bytes('m1') });
    const [m] = decodeRecords(buf, buf.byteLength, true);
    buf[24] = 0;
    expect(new TextDecoder().decode(m!.payload)).toBe('m1');
  });

  it('honours a byteOffset into a larger buffer and ignores bytes past length', () => {
    const inner = concat([encodeRecord({ seq: 7n, payload: bytes('xyz') }), new Uint8Array(16).fill(0xcc)]);
    const outer = new Uint8Array(8 + inner.byteLength);
    outer.set(inner, 8);
    const view = outer.subarray(8);
    const msgs = decodeRecords(view, 32);
    expect(msgs).toHaveLength(1);
    expect(Array.from(msgs[0]!.payload)).toEqual([120, 121, 122]);
  });

  it('decodes a buffer that does not start 4-byte aligned, from a copy', () => {
    const recs = concat([encodeRecord({ seq: 3n, payload: bytes('abc') }), encodeRecord({ seq: 4n, payload: bytes('defghijk'), lost: 1 })]);
    const outer = new Uint8Array(3 + recs.byteLength);
    outer.set(recs, 3);
    const msgs = decodeRecords(outer.subarray(3), recs.byteLength);
    expect(msgs.map((m) => m.seq)).toEqual([3n, 4n]);
    expect(msgs.map((m) => text(m.payload))).toEqual(['abc', 'defghijk']);
    expect(msgs[1]!.lost).toBe(1);
    // Views into a private copy: changing the caller's buffer changes nothing.
    expect(msgs[0]!.payload.buffer).not.toBe(outer.buffer);
    outer[3 + 24] = 0x58;
    expect(text(msgs[0]!.payload)).toBe('abc');
  });

  it('returns nothing for an empty read', () => {
    expect(decodeRecords(new Uint8Array(8), 0)).toEqual([]);
  });

  const bad: Array<[string, () => Uint8Array, number?]> = [
    ['a truncated header', () => new Uint8Array(16)],
    ['a truncated payload', () => encodeRecord({ seq: 1n, payload: new Uint8Array(20) }).subarray(0, 40)],
    ['missing padding', () => encodeRecord({ seq: 1n, payload: new Uint8Array(3) }).subarray(0, 27)],
    [
      'a size beyond KUE_MAX_MSG_SIZE',
      () => {
        const b = new Uint8Array(32);
        encodeKueMsgHdr(new DataView(b.buffer), 0, { size: BigInt(KUE_MAX_MSG_SIZE + 1), seq: 1n, flags: 0, lost: 0 });
        return b;
      },
    ],
    [
      'sequence number 0',
      () => {
        const b = new Uint8Array(24);
        encodeKueMsgHdr(new DataView(b.buffer), 0, { size: 0n, seq: 0n, flags: 0, lost: 0 });
        return b;
      },
    ],
    [
      'the LOST flag without a count',
      () => {
        const b = new Uint8Array(24);
        encodeKueMsgHdr(new DataView(b.buffer), 0, { size: 0n, seq: 1n, flags: KUE_MSG_FLAG_LOST, lost: 0 });
        return b;
      },
    ],
    [
      'a count without the LOST flag',
      () => {
        const b = new Uint8Array(24);
        encodeKueMsgHdr(new DataView(b.buffer), 0, { size: 0n, seq: 1n, flags: 0, lost: 3 });
        return b;
      },
    ],
    [
      'unknown flags',
      () => {
        const b = new Uint8Array(24);
        encodeKueMsgHdr(new DataView(b.buffer), 0, { size: 0n, seq: 1n, flags: 0x80, lost: 0 });
        return b;
      },
    ],
  ];
  it.each(bad)('rejects %s with ERR_KUE_CORRUPT', (_name, make) => {
    const b = make();
    let err: unknown;
    try {
      decodeRecords(b, b.byteLength);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KueError);
    expect((err as KueError).code).toBe('ERR_KUE_CORRUPT');
  });

  it('rejects a length beyond the buffer with RangeError', () => {
    expect(() => decodeRecords(new Uint8Array(8), 9)).toThrow(RangeError);
  });
});

describe('nextBufferSize', () => {
  it('doubles up to one maximal record, then gives up', () => {
    const seen: number[] = [];
    let s: number | undefined = 16;
    while (s !== undefined) {
      seen.push(s);
      s = nextBufferSize(s);
    }
    expect(seen[1]).toBe(32);
    expect(seen.at(-1)).toBe(KUE_MAX_RECORD_SIZE);
    expect(seen.at(-2)).toBe(1024 * 1024);
    expect(seen).toHaveLength(18);
  });
  it('jumps straight to a header-sized buffer from tiny ones', () => {
    expect(nextBufferSize(1)).toBe(24);
  });
});
