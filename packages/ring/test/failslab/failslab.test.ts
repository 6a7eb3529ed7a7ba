// Real allocation failures in the kernel under WatchQueue's calls
// (packages/native/test/shared/failslab.ts; kcsan kernel only).
import { beforeAll, describe, expect, it } from 'vitest';
import { WATCH_TYPE_KAPI } from '@kchan/uapi';
import { failEachAllocation, setupFaultInjection } from '../../../native/test/shared/failslab.js';
import { WatchQueue, type RingEntry } from '../../src/index.js';
import { kcmd } from '../kernel/helpers.js';

const DEVICE = '/dev/watch_queue';
const ID = 0x5a;

/** One KAPI entry posted by the kernel reaches `wq` (which watches KAPI). */
function roundTrip(wq: WatchQueue): void {
  wq.consume(() => {});
  kcmd('wq post 3 0 2');
  let kapi = 0;
  wq.consume((e: RingEntry) => {
    if (e.type === WATCH_TYPE_KAPI) kapi++;
  });
  expect(kapi).toBe(1);
}

/** A fresh queue watching KAPI, then the round trip, then closed. */
function freshRoundTrip(): void {
  const wq = WatchQueue.open({ pages: 1 });
  try {
    wq.addWatch(WATCH_TYPE_KAPI, ID);
    roundTrip(wq);
  } finally {
    wq.close();
  }
}

const inVm = process.env.KCHAN_VM === '1';

// Outside the VM this skips, as the kernel suites do; in the VM only
// vitest.kcsan.config.mjs includes it (the kernel with fault injection).
describe.skipIf(!inVm)('/dev/watch_queue: every allocation failing in turn (failslab, fail-nth; needs KCHAN_VM=1)', () => {
  beforeAll(() => {
    setupFaultInjection();
  });

  // 16 pages: the ring is vmalloc'ed in more than one page.
  it.each([1, 16])('WatchQueue.open({ pages: %i }): ENOMEM and nothing open, or a working queue', async (pages) => {
    const r = await failEachAllocation<null>({
      name: `WatchQueue.open({ pages: ${pages} })`,
      device: DEVICE,
      before: () => null,
      step: () => WatchQueue.open({ pages }),
      check: (_, made) => {
        if (made instanceof WatchQueue) {
          made.addWatch(WATCH_TYPE_KAPI, ID);
          roundTrip(made);
        } else freshRoundTrip();
      },
      after: (_, made) => (made as WatchQueue | undefined)?.close(),
    });
    expect(r.failed).toBeGreaterThan(0);
  });

  it('addWatch(): ENOMEM and the queue still takes the watch, or the watch works', async () => {
    const r = await failEachAllocation<WatchQueue>({
      name: 'addWatch(WATCH_TYPE_KAPI)',
      device: DEVICE,
      before: () => WatchQueue.open({ pages: 1 }),
      step: (wq) => {
        wq.addWatch(WATCH_TYPE_KAPI, ID);
        return true;
      },
      check: (wq, made) => {
        if (made !== true) wq.addWatch(WATCH_TYPE_KAPI, ID);
        roundTrip(wq);
      },
      after: (wq) => wq.close(),
    });
    expect(r.failed).toBeGreaterThan(0);
  });

  it('setFilter(): ENOMEM and the old filter stays, or the new one works', async () => {
    const r = await failEachAllocation<WatchQueue>({
      name: 'setFilter([KAPI])',
      device: DEVICE,
      before: () => {
        const wq = WatchQueue.open({ pages: 1 });
        wq.addWatch(WATCH_TYPE_KAPI, ID);
        return wq;
      },
      step: (wq) => {
        wq.setFilter([{ type: WATCH_TYPE_KAPI }]);
        return true;
      },
      check: (wq, made) => {
        // Unfiltered (the step failed) or filtered to KAPI: KAPI passes both.
        roundTrip(wq);
        if (made !== true) {
          wq.setFilter([{ type: WATCH_TYPE_KAPI }]);
          roundTrip(wq);
        }
      },
      after: (wq) => wq.close(),
    });
    expect(r.failed).toBeGreaterThan(0);
  });
});
