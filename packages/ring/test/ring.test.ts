import { describe, expect, it } from 'vitest';
import {
  WATCH_INFO_OVERRUN,
  WATCH_META_LOSS_NOTIFICATION,
  WATCH_TYPE_KAPI,
  WATCH_TYPE_META,
  WATCH_TYPE_NETDEV,
} from '@kchan/uapi';
import { RingError, RingReader, RingWriter, createSharedRing, type RingEntry } from '../src/index.js';
import { checkPattern, patternPayload } from './helpers.js';

const HEAD = 2;
const TAIL = 3;

function collect(reader: RingReader): Array<{ type: number; subtype: number; id: number; slots: number; seq: number; lost: number; overrun: boolean }> {
  const out: Array<{ type: number; subtype: number; id: number; slots: number; seq: number; lost: number; overrun: boolean }> = [];
  reader.consume((e: RingEntry) => {
    out.push({ type: e.type, subtype: e.subtype, id: e.id, slots: e.slots, seq: e.isLoss ? -1 : checkPattern(e), lost: e.lost, overrun: e.overrun });
  });
  return out;
}

describe('RingReader + RingWriter', () => {
  it('initialises the meta entry like IOC_WATCH_QUEUE_SET_SIZE', () => {
    const buf = new ArrayBuffer(4096);
    new RingWriter(buf);
    const w = new Uint32Array(buf);
    expect([w[0]! & 0xffffff, w[0]! >>> 24, (w[1]! >>> 3) & 63, w[2], w[3], w[4]]).toEqual([0, 0, 3, 3, 3, 511]);
  });

  it('delivers entries in order with id, type flags and payload', () => {
    const buf = new ArrayBuffer(4096);
    const wr = new RingWriter(buf);
    const rd = new RingReader(buf);
    expect(rd.consume(() => {})).toBe(0);
    expect(wr.post(WATCH_TYPE_KAPI, 7, (5 << 24) | (0x81 << 16), patternPayload(100, 4))).toBe('posted');
    expect(wr.post(WATCH_TYPE_NETDEV, 2, 9 << 24)).toBe('posted');
    const seen: string[] = [];
    rd.consume((e) => seen.push(`${e.type}/${e.subtype} id=${e.id} tf=${e.typeFlags} slots=${e.slots} seq=${checkPattern(e)}`));
    expect(seen).toEqual(['3/7 id=5 tf=129 slots=4 seq=100', '1/2 id=9 tf=0 slots=1 seq=-1']);
    const w = new Uint32Array(buf);
    expect(w[TAIL]).toBe(w[HEAD]);
  });

  it('pads the end with a skip entry and skips the meta entry after the wrap', () => {
    const buf = new ArrayBuffer(256 * 8);
    const wr = new RingWriter(buf);
    const rd = new RingReader(buf);
    let seq = 0;
    const got: number[] = [];
    const at: Array<{ index: number; offset: number; slots: number }> = [];
    for (let round = 0; round < 40; round++) {
      for (let i = 0; i < 3; i++) expect(wr.post(WATCH_TYPE_KAPI, 0, 0, patternPayload(seq++, 63))).toBe('posted');
      rd.consume((e) => {
        got.push(checkPattern(e));
        at.push({ index: e.index, offset: e.offset, slots: e.slots });
      });
    }
    expect(got).toEqual(Array.from({ length: seq }, (_, i) => i));
    // index is the free-running slot count: it maps to offset, and the next
    // entry starts where this one ends, or after the skip and meta slots at
    // the wrap.
    expect(at[0]).toEqual({ index: 3, offset: 24, slots: 63 });
    for (let i = 0; i < at.length; i++) {
      const { index, offset, slots } = at[i]!;
      expect(offset).toBe((index % 256) * 8);
      expect(slots).toBe(63);
      const next = at[i + 1];
      if (next === undefined) {
        expect(new Uint32Array(buf)[TAIL]).toBe(index + slots);
      } else if (next.index !== index + slots) {
        expect(next.index % 256).toBe(3);
        expect(next.index).toBe(Math.ceil((index + slots) / 256) * 256 + 3);
      }
    }
  });

  it('reports overrun with an exact loss entry and the OVERRUN flag', () => {
    const buf = new ArrayBuffer(256 * 8);
    const wr = new RingWriter(buf);
    const rd = new RingReader(buf);
    const results = Array.from({ length: 100 }, (_, i) => wr.post(WATCH_TYPE_KAPI, 0, 0, patternPayload(i, 8)));
    const posted = results.filter((r) => r === 'posted').length;
    const lost = results.length - posted;
    expect(lost).toBeGreaterThan(0);
    collect(rd);
    expect(wr.post(WATCH_TYPE_KAPI, 0, 0, patternPayload(1000, 2))).toBe('posted');
    const after = collect(rd);
    expect(after[0]).toMatchObject({ type: WATCH_TYPE_META, subtype: WATCH_META_LOSS_NOTIFICATION, lost, overrun: true });
    expect(after[1]).toMatchObject({ seq: 1000, overrun: true });
    expect(rd.lost).toBe(lost);
  });

  it('consumeN stops after n entries and publishes tail', () => {
    const buf = new ArrayBuffer(4096);
    const wr = new RingWriter(buf);
    const rd = new RingReader(buf);
    for (let i = 0; i < 10; i++) wr.post(WATCH_TYPE_KAPI, 0, 0, patternPayload(i, 2));
    const got: number[] = [];
    expect(rd.consumeN((e) => got.push(checkPattern(e)), 3)).toBe(3);
    expect(new Uint32Array(buf)[TAIL]).toBe(3 + 3 * 2);
    expect(rd.consume((e) => got.push(checkPattern(e)))).toBe(7);
    expect(got).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('on a callback throw publishes tail past the consumed entries, then rethrows', () => {
    const buf = new ArrayBuffer(4096);
    const wr = new RingWriter(buf);
    const rd = new RingReader(buf);
    for (let i = 0; i < 5; i++) wr.post(WATCH_TYPE_KAPI, 0, 0, patternPayload(i, 2));
    const boom = new Error('boom');
    expect(() =>
      rd.consume((e) => {
        if (checkPattern(e) === 2) throw boom;
      }),
    ).toThrow(boom);
    expect(new Uint32Array(buf)[TAIL]).toBe(3 + 3 * 2);
    const got: number[] = [];
    rd.consume((e) => got.push(checkPattern(e)));
    expect(got).toEqual([3, 4]);
  });

  it('a consume() from inside the callback throws ERING_REENTRANT; nothing is delivered twice', () => {
    const buf = new ArrayBuffer(4096);
    const wr = new RingWriter(buf);
    const rd = new RingReader(buf);
    for (let i = 0; i < 4; i++) wr.post(WATCH_TYPE_KAPI, 0, 0, patternPayload(i, 2));
    const got: number[] = [];
    const errors: unknown[] = [];
    expect(
      rd.consume((e) => {
        got.push(checkPattern(e));
        if (got.length > 1) return;
        for (const read of [() => rd.consume(() => got.push(-1)), () => rd.consumeN(() => got.push(-2), 1)]) {
          try {
            read();
          } catch (err) {
            errors.push(err);
          }
        }
      }),
    ).toBe(4);
    expect(got).toEqual([0, 1, 2, 3]);
    expect(errors.map((e) => (e as RingError).code)).toEqual(['ERING_REENTRANT', 'ERING_REENTRANT']);
    expect(errors[0]).toBeInstanceOf(RingError);
    expect(rd.consumed).toBe(4);
    // Afterwards the reader works as before.
    wr.post(WATCH_TYPE_KAPI, 0, 0, patternPayload(4, 2));
    expect(rd.consume((e) => got.push(checkPattern(e)))).toBe(1);
    expect(got).toEqual([0, 1, 2, 3, 4]);
  });

  it('two readers draining each other from their callbacks deliver every entry once, to the right reader', () => {
    // Each reader keeps its own batch state (where drain() stopped): one
    // reader's batch running inside the other's callback must not disturb it,
    // also around loss entries and throwing callbacks.
    const bufs = [new ArrayBuffer(4096), new ArrayBuffer(4096)];
    const writers = bufs.map((b) => new RingWriter(b));
    const readers = bufs.map((b) => new RingReader(b));
    let posted = 0;
    const results = { posted: 0, lost: 0, error: 0 };
    const okSeqs: Array<[number, number]> = [];
    const post = (i: number, count = 3): void => {
      for (let k = 0; k < count; k++) {
        const r = writers[i]!.post(WATCH_TYPE_KAPI, i, 0, patternPayload(posted, 2));
        results[r]++;
        if (r === 'posted') okSeqs.push([i, posted]);
        posted++;
      }
    };
    const seen = [new Set<number>(), new Set<number>()];
    const lost = [0, 0];
    let depth = 0;
    let posting = true;
    const cb = (i: number) => (e: RingEntry): void => {
      if (e.isLoss) {
        lost[i]! += e.lost;
        return;
      }
      expect(e.subtype).toBe(i);
      const seq = checkPattern(e);
      expect(seen[i]!.has(seq)).toBe(false);
      seen[i]!.add(seq);
      const other = 1 - i;
      if (seq % 3 === 0 && posting) post(other);
      // Drain the other reader (not back into this one: that is reentrancy).
      if (seq % 5 === 0 && depth === 0) {
        depth++;
        try {
          readers[other]!.consumeN(cb(other), 1 + (seq % 4));
        } catch (err) {
          if ((err as Error).message !== `throw ${other}`) throw err;
        } finally {
          depth--;
        }
      }
      if (seq % 7 === 6) throw new Error(`throw ${i}`);
    };
    for (let round = 0; round < 2000; round++) {
      // Overrun now and then, so loss entries sit between the entries.
      post(round & 1, round % 100 === 0 ? 300 : 3);
      for (const i of [0, 1]) {
        try {
          readers[i]!.consume(cb(i));
        } catch (err) {
          if ((err as Error).message !== `throw ${i}`) throw err;
        }
      }
    }
    // Draining one ring may post to the other: stop posting, drain both.
    posting = false;
    while (readers[0]!.pending() || readers[1]!.pending()) {
      for (const i of [0, 1]) {
        try {
          readers[i]!.consume(cb(i));
        } catch (err) {
          if ((err as Error).message !== `throw ${i}`) throw err;
        }
      }
    }
    // Every sequence number was posted to exactly one ring, and each was
    // read once or counted lost by that ring (loss entries, then meta->lost
    // for an overrun that no later post reported).
    const unreported = readers[0]!.checkLost() + readers[1]!.checkLost();
    expect(okSeqs.filter(([i, q]) => !seen[i]!.has(q))).toEqual([]);
    expect(seen[0]!.size + seen[1]!.size).toBe(results.posted);
    expect(seen[0]!.size + lost[0]! + seen[1]!.size + lost[1]! + unreported).toBe(posted);
    expect(lost[0]).toBeGreaterThan(0);
    expect(lost[1]).toBeGreaterThan(0);
    for (const i of [0, 1]) expect(readers[i]!.lost).toBe(lost[i]);
  });

  // The reader's loop leaves itself at loss entries and malformed entries
  // (see RingReader.drain()); these pin down the bookkeeping around that.
  describe('around loss entries', () => {
    /** A ring holding: entry 0, a loss entry (3 lost), entries 1 and 2. */
    function lossRing(): { buf: ArrayBuffer; rd: RingReader; lost: number } {
      const buf = new ArrayBuffer(256 * 8);
      const wr = new RingWriter(buf);
      const rd = new RingReader(buf);
      for (let i = 0; wr.pendingLost < 3; i++) wr.post(WATCH_TYPE_KAPI, 0, 0, patternPayload(i, 63));
      const lost = wr.pendingLost;
      rd.consumeN(() => {}, 3); // make room, lose nothing more
      expect(wr.post(WATCH_TYPE_KAPI, 0, 0, patternPayload(100, 2))).toBe('posted'); // loss entry + 100
      expect(wr.post(WATCH_TYPE_KAPI, 0, 0, patternPayload(101, 2))).toBe('posted');
      return { buf, rd, lost };
    }
    const label = (e: RingEntry): string => (e.isLoss ? `lost ${e.lost}` : String(checkPattern(e)));

    it('delivers the loss entry between the others in one batch and counts it', () => {
      const { buf, rd, lost } = lossRing();
      const got: string[] = [];
      const at: Array<{ index: number; offset: number; slots: number }> = [];
      expect(
        rd.consume((e) => {
          got.push(label(e));
          at.push({ index: e.index, offset: e.offset, slots: e.slots });
        }),
      ).toBe(got.length);
      expect(got.slice(-3)).toEqual([`lost ${lost}`, '100', '101']);
      expect(rd.lost).toBe(lost);
      // The loss entry and its neighbours have consistent positions too.
      const [l, a, b] = at.slice(-3);
      for (const e of at) expect(e.offset).toBe((e.index % 256) * 8);
      expect(a!.index).toBe(l!.index + l!.slots);
      expect(b!.index).toBe(a!.index + a!.slots);
      expect(new Uint32Array(buf)[TAIL]).toBe(b!.index + b!.slots);
    });

    it('consumeN stops before or after the loss entry exactly', () => {
      const { buf, rd, lost } = lossRing();
      const before = rd.pending();
      const got: string[] = [];
      // Everything up to the loss entry, one at a time, then the loss entry alone.
      while (got.at(-1) !== `lost ${lost}`) expect(rd.consumeN((e) => got.push(label(e)), 1)).toBe(1);
      expect(rd.lost).toBe(lost);
      expect(rd.consumeN((e) => got.push(label(e)), 1)).toBe(1);
      expect(got.at(-1)).toBe('100');
      expect(rd.consume((e) => got.push(label(e)))).toBe(1);
      expect(rd.lost).toBe(lost);
      expect(before).toBeGreaterThan(0);
      const w = new Uint32Array(buf);
      expect(w[TAIL]).toBe(w[HEAD]);
    });

    it('a callback that throws on the loss entry or after it still consumes what it saw', () => {
      for (const at of ['lost', '100', '101']) {
        const { buf, rd, lost } = lossRing();
        const consumedBefore = rd.consumed;
        const boom = new Error(at);
        const got: string[] = [];
        expect(() =>
          rd.consume((e) => {
            got.push(label(e));
            if (label(e).startsWith(at)) throw boom;
          }),
        ).toThrow(boom);
        expect(rd.lost).toBe(lost);
        const rest: string[] = [];
        rd.consume((e) => rest.push(label(e)));
        expect([...got, ...rest].slice(-3)).toEqual([`lost ${lost}`, '100', '101']);
        const w = new Uint32Array(buf);
        expect(w[TAIL]).toBe(w[HEAD]);
        expect(rd.consumed - consumedBefore).toBe(got.length + rest.length);
      }
    });
  });

  describe('validation', () => {
    function setup(): { buf: ArrayBuffer; w: Uint32Array; rd: RingReader; wr: RingWriter } {
      const buf = new ArrayBuffer(4096);
      const wr = new RingWriter(buf);
      wr.post(WATCH_TYPE_KAPI, 0, 0, patternPayload(0, 2));
      return { buf, w: new Uint32Array(buf), rd: new RingReader(buf), wr };
    }
    const corrupt = (fn: () => unknown): void => {
      try {
        fn();
      } catch (e) {
        expect(e).toBeInstanceOf(RingError);
        expect((e as RingError).code).toBe('ERING_CORRUPT');
        return;
      }
      throw new Error('no RingError');
    };

    it('length 0', () => {
      const { w, rd } = setup();
      w[7] = w[7]! & ~0x1f8;
      corrupt(() => rd.consume(() => {}));
      corrupt(() => rd.consume(() => {})); // not an infinite loop, not skipped either
    });
    it('entry past head', () => {
      const { w, rd } = setup();
      w[7] = (w[7]! & ~0x1f8) | (5 << 3);
      corrupt(() => rd.consume(() => {}));
    });
    it('head more than a ring ahead of tail', () => {
      const { w, rd } = setup();
      const head = w[HEAD]!;
      w[HEAD] = 3 + 513;
      corrupt(() => rd.consume(() => {}));
      // Nothing consumed, tail untouched: with head repaired, the entry is still there.
      expect(w[TAIL]).toBe(3);
      w[HEAD] = head;
      const got: number[] = [];
      rd.consume((e) => got.push(checkPattern(e)));
      expect(got).toEqual([0]);
    });
    it('good entries before a malformed one are delivered; tail stops at the bad one', () => {
      const { w, rd, wr } = setup();
      wr.post(WATCH_TYPE_KAPI, 0, 0, patternPayload(1, 2));
      const bad = w[HEAD]!;
      wr.post(WATCH_TYPE_KAPI, 0, 0, patternPayload(2, 2));
      w[bad * 2 + 1] = w[bad * 2 + 1]! & ~0x1f8; // length 0
      const got: number[] = [];
      corrupt(() => rd.consume((e) => got.push(checkPattern(e))));
      expect(got).toEqual([0, 1]);
      expect(w[TAIL]).toBe(bad);
      expect(rd.consumed).toBe(2);
    });
    it('entry across the end of the ring', () => {
      const buf = new ArrayBuffer(4096);
      const w = new Uint32Array(buf);
      new RingWriter(buf);
      w[HEAD] = 512 + 3;
      w[TAIL] = 510;
      w[510 * 2] = WATCH_TYPE_KAPI;
      w[510 * 2 + 1] = 4 << 3;
      corrupt(() => new RingReader(buf).consume(() => {}));
    });
    it('a bad mapping size or mask', () => {
      expect(() => new RingReader(new ArrayBuffer(1000))).toThrow(RingError);
      const buf = new ArrayBuffer(4096);
      new RingWriter(buf);
      new Uint32Array(buf)[4] = 1023;
      expect(() => new RingReader(buf)).toThrow(/mask/);
    });
    it('the writer enters the error state on a bogus tail and writes nothing more', () => {
      const { w, wr } = setup();
      const before = w.slice();
      w[TAIL] = 2; // backwards
      const snapshot = w.slice();
      expect(wr.post(WATCH_TYPE_KAPI, 0, 0)).toBe('error');
      expect(wr.error).toBe(true);
      expect(w).toEqual(snapshot);
      expect(before[HEAD]).toBe(w[HEAD]);
    });
  });

  it('works over a SharedArrayBuffer', () => {
    const sab = createSharedRing(512);
    const wr = new RingWriter(sab);
    const rd = new RingReader(sab);
    wr.post(WATCH_TYPE_KAPI, 1, 0, patternPayload(42, 3));
    const got: number[] = [];
    rd.consume((e) => got.push(checkPattern(e)));
    expect(got).toEqual([42]);
    expect(WATCH_INFO_OVERRUN).toBe(1);
  });
});
