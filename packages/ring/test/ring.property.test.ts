import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { WATCH_META_LOSS_NOTIFICATION, WATCH_TYPE_KAPI, WATCH_TYPE_META } from '@kchan/uapi';
import { RingReader, RingWriter } from '../src/index.js';
import { checkPattern, patternPayload } from './helpers.js';

type Op = { kind: 'post'; slots: number; n: number } | { kind: 'consume'; n: number; throwAt: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('post' as const), slots: fc.integer({ min: 1, max: 63 }), n: fc.integer({ min: 1, max: 20 }) }),
  fc.record({ kind: fc.constant('consume' as const), n: fc.integer({ min: 0, max: 40 }), throwAt: fc.constant(-1) }),
);

// Batches longer than one drain() call (DRAIN_CHUNK, 2048 entries) and
// multi-slot backlogs, where the reader touches lines ahead of tail; a
// callback that throws part-way through a batch.
const bigOpArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('post' as const), slots: fc.constantFrom(1, 1, 2, 3, 8, 17), n: fc.integer({ min: 1, max: 5000 }) }),
  fc.record({
    kind: fc.constant('consume' as const),
    n: fc.oneof(fc.integer({ min: 0, max: 5000 }), fc.constant(1), fc.constant(Number.MAX_SAFE_INTEGER)),
    throwAt: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 4500 })),
  }),
);

type Expect = { loss: number } | { seq: number; slots: number; overrun: boolean };

class Stop extends Error {}

function ringProperty(sizes: number[], ops: fc.Arbitrary<Op>, maxOps: number, numRuns: number): void {
  fc.assert(
    fc.property(fc.constantFrom(...sizes), fc.array(ops, { maxLength: maxOps }), fc.integer({ min: 0, max: 2 ** 32 - 1 }), (slots, ops, start) => {
      const buf = new ArrayBuffer(slots * 8);
      const wr = new RingWriter(buf);
      // Start the free-running indices anywhere, to cover u32 wrap-around.
      const w = new Uint32Array(buf);
      // (Never inside the meta entry: the kernel's head is never there.)
      const at = ((start & ~(slots - 1)) | Math.max(3, start & (slots - 1))) >>> 0;
      w[2] = w[3] = at;
      const wr2 = new RingWriter(buf, false);
      void wr;
      const rd = new RingReader(buf);
      const expected: Expect[] = [];
      let lostModel = 0;
      let seq = 0;
      let readIdx = 0;
      const check = (n: number, throwAt = -1): void => {
        let seen = 0;
        const before = readIdx;
        let got: number;
        try {
          got = rd.consumeN((e) => {
            const want = expected[readIdx++];
            if (want === undefined) throw new Error('unexpected entry');
            // Plain comparisons (expect() per field made the big-ring property
            // too slow under qemu-user); the message says what differed.
            const actual =
              'loss' in want
                ? { loss: e.type === WATCH_TYPE_META && e.subtype === WATCH_META_LOSS_NOTIFICATION && e.overrun ? e.lost : -1 }
                : {
                    seq: e.type === WATCH_TYPE_KAPI && (want.slots === 1 || checkPattern(e) === want.seq) ? want.seq : -1,
                    slots: e.slots,
                    overrun: e.overrun,
                  };
            const same = 'loss' in want ? actual.loss === want.loss : actual.seq === want.seq && actual.slots === want.slots && actual.overrun === want.overrun;
            if (!same) expect({ at: readIdx - 1, ...actual }).toEqual({ at: readIdx - 1, ...want });
            // The entry a callback throws on is consumed (not delivered again).
            if (seen++ === throwAt) throw new Stop();
          }, n);
        } catch (err) {
          if (!(err instanceof Stop)) throw err;
          got = seen;
        }
        expect(got).toBe(readIdx - before);
        expect(got).toBeLessThanOrEqual(n);
        // The reader's own count, which a throwing callback's batch updates
        // on its way out.
        expect(rd.consumed).toBe(readIdx);
      };
      for (const op of ops) {
        if (op.kind === 'consume') {
          check(op.n, op.throwAt);
          continue;
        }
        for (let i = 0; i < op.n; i++) {
          const s = seq++;
          const r = wr2.post(WATCH_TYPE_KAPI, 0, 0, op.slots > 1 ? patternPayload(s, op.slots) : undefined);
          if (r === 'error') expect(r).not.toBe('error');
          if (r === 'lost') {
            lostModel++;
          } else {
            const overrun = lostModel > 0;
            if (overrun) expected.push({ loss: lostModel });
            lostModel = 0;
            expected.push({ seq: s, slots: op.slots, overrun });
          }
          // Invariant of the contract: head - tail never exceeds the ring.
          if (((w[2]! - w[3]!) >>> 0) > slots) expect((w[2]! - w[3]!) >>> 0).toBeLessThanOrEqual(slots);
        }
      }
      check(Number.MAX_SAFE_INTEGER);
      expect(readIdx).toBe(expected.length);
      expect(w[3]).toBe(w[2]);
      expect(wr2.pendingLost).toBe(lostModel);
    }),
    { numRuns },
  );
}

describe('ring properties (TS writer vs reader)', () => {
  it('every posted entry arrives once, in order, intact; losses are reported exactly', () => {
    ringProperty([256, 512, 1024], opArb, 200, 300);
  });

  it('the same across drain() chunks and read-ahead: long batches, wide entries, consumeN(1), throwing callbacks', () => {
    ringProperty([4096, 16384], bigOpArb, 40, 200);
  });

  it('random garbage in the ring never hangs the reader and only raises RingError', () => {
    fc.assert(
      fc.property(fc.uint32Array({ minLength: 512, maxLength: 512 }), fc.integer({ min: 0, max: 600 }), (garbage, ahead) => {
        const buf = new ArrayBuffer(256 * 8);
        new RingWriter(buf);
        const w = new Uint32Array(buf);
        w.set(garbage.subarray(0, 512));
        w[4] = 255;
        w[3] = garbage[0]!;
        w[2] = (garbage[0]! + ahead) >>> 0;
        const rd = new RingReader(buf);
        let calls = 0;
        try {
          rd.consume(() => {
            calls++;
          });
        } catch (e) {
          expect((e as { code?: string }).code).toBe('ERING_CORRUPT');
        }
        expect(calls).toBeLessThanOrEqual(Math.min(ahead, 256));
      }),
      { numRuns: 500 },
    );
  });
});
