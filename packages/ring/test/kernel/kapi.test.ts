// Kernel API contexts (issue 19): kchan_test's "ctx" commands post to
// watch_queue from a sched_switch tracepoint probe (runqueue lock held) and
// from a hard-irq hrtimer while this process sleeps in poll() on the ring,
// so posts find a waiter to wake. Before the wake-ups were deferred through
// irq_work, the tracepoint's wake_up() under the runqueue lock hung the
// guest (or lockdep reported the cycle on the debug kernel).
import { afterEach, describe, expect, it } from 'vitest';
import { WATCH_TYPE_KAPI, WATCH_TYPE_META, WATCH_META_LOSS_NOTIFICATION } from '@kchan/uapi';
import { WatchQueue, type RingEntry } from '../../src/index.js';
import { SKIP_REASON, inVm, kcmd } from './helpers.js';

const CTX_SUBTYPE = 0xc7;
const PER_SOURCE = 2000;

describe.skipIf(!inVm)('kernel API contexts' + (inVm ? '' : ` (skipped: ${SKIP_REASON})`), () => {
  afterEach(() => {
    kcmd('ctx stop');
  });

  it('posts from sched_switch and a hard-irq timer: no hang, every entry delivered or counted lost', async () => {
    const wq = new WatchQueue({ pages: 1 });
    const seqs = new Set<number>();
    let lost = 0;
    let dups = 0;
    const take = (): void => {
      wq.consume((e: RingEntry) => {
        if (e.type === WATCH_TYPE_META && e.subtype === WATCH_META_LOSS_NOTIFICATION) lost += e.lost;
        if (e.type !== WATCH_TYPE_KAPI || e.subtype !== CTX_SUBTYPE) return;
        expect(e.slots).toBe(2);
        const seq = e.view.getUint32(e.offset + 8, true);
        const source = e.view.getUint32(e.offset + 12, true);
        expect([1, 2]).toContain(source);
        if (seqs.has(seq)) dups++;
        seqs.add(seq);
      });
    };
    try {
      wq.addWatch(WATCH_TYPE_KAPI, 9);
      expect(kcmd(`ctx start ${PER_SOURCE}`).running).toBe(1);
      // Sleep in poll() with the ring drained, so that posts wake us: that
      // is the wake-up a post from the tracepoint must not do inline.
      const deadline = Date.now() + 120_000;
      for (;;) {
        take();
        const st = kcmd('ctx status');
        if ((st.tp === PER_SOURCE && st.timer === PER_SOURCE) || Date.now() > deadline) break;
        await wq.wait({ signal: AbortSignal.timeout(200) }).catch(() => undefined);
      }
      const st = kcmd('ctx stop');
      take();
      expect(st.running).toBe(0);
      expect(st.tp).toBe(PER_SOURCE);
      expect(st.timer).toBe(PER_SOURCE);
      // Our watch is the only one on KAPI: each call wrote an entry or
      // counted one lost. The loss of the last calls may still be pending
      // (reported before the next entry): post one to flush it.
      expect(dups).toBe(0);
      expect(seqs.size).toBe(st.posted);
      if (seqs.size + lost < 2 * PER_SOURCE) {
        expect(kcmd('wq post 3 0 1').delivered).toBe(1);
        take();
      }
      expect(seqs.size + lost).toBe(2 * PER_SOURCE);
      for (const s of seqs) expect(s).toBeLessThan(2 * PER_SOURCE);
    } finally {
      wq.close();
    }
  });
});
