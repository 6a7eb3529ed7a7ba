// Kernel API contexts (issue 19): kchan_test's "ctx" commands send to kue
// from a sched_switch tracepoint probe (runqueue lock held) and from a
// hard-irq hrtimer while a reader sleeps in poll()/read(). Before the
// wake-ups and the retire work were deferred through irq_work, a send from
// the tracepoint called wake_up()/queue_work() under the runqueue lock.
import { afterEach, describe, expect, it } from 'vitest';

import { KueReader, type KueRecord } from '../../src/index.js';
import { SKIP_REASON, inVm, kcmd, status } from './helpers.js';

const PER_SOURCE = 2000;

describe.skipIf(!inVm)(`kue sends from scheduler and hard-irq context (${inVm ? 'VM' : SKIP_REASON})`, () => {
  afterEach(() => {
    kcmd('ctx stop');
  });

  it('sends from sched_switch and a hard-irq timer: no hang, every message read or counted lost', async () => {
    const reader = KueReader.open();
    const seqs = new Set<number>();
    let lost = 0;
    const take = (r: KueRecord): void => {
      lost += r.lost;
      if (r.size !== 8) return;
      const seq = r.bytes[r.offset]! | (r.bytes[r.offset + 1]! << 8) | (r.bytes[r.offset + 2]! << 16) | (r.bytes[r.offset + 3]! << 24);
      const source = r.bytes[r.offset + 4]!;
      expect([1, 2]).toContain(source);
      expect(seqs.has(seq)).toBe(false);
      seqs.add(seq);
    };
    try {
      expect(status(kcmd(`ctx start ${PER_SOURCE}`)).running).toBe(1n);
      const deadline = Date.now() + 120_000;
      for (;;) {
        reader.consume(take);
        const st = status(kcmd('ctx status'));
        if ((st.tp === BigInt(PER_SOURCE) && st.timer === BigInt(PER_SOURCE)) || Date.now() > deadline) break;
        // Sleep in poll() on an empty queue, so that sends have a reader to wake.
        await reader.consumeAsync(take, { signal: AbortSignal.timeout(200) }).catch(() => 0);
      }
      const st = status(kcmd('ctx stop'));
      reader.consume(take);
      expect(st.tp).toBe(BigInt(PER_SOURCE));
      expect(st.timer).toBe(BigInt(PER_SOURCE));
      // Refused sends (no memory without reclaim) are counted by the module.
      expect((st.sent ?? 0n) + (st.sendfail ?? 0n)).toBe(BigInt(2 * PER_SOURCE));
      expect(BigInt(seqs.size + lost)).toBe(st.sent);
    } finally {
      reader.close();
    }
  });
});
