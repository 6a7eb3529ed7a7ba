// FairBudget: the batch bound every reader's async loop uses (docs/readers.md).
import { describe, expect, it } from 'vitest';

import { FAIR_BATCH_ITEMS, FAIR_BATCH_MS, FairBudget } from '../src/fair.js';

describe('FairBudget', () => {
  it('is spent after maxItems items, and pause() starts a new batch after one event-loop turn', async () => {
    expect([FAIR_BATCH_ITEMS, FAIR_BATCH_MS]).toEqual([1024, 10]);
    const b = new FairBudget(100, 60_000);
    for (let i = 1; i < 100; i++) expect(b.take()).toBe(false);
    expect(b.take()).toBe(true);
    expect(b.spent).toBe(true);
    let turned = false;
    setImmediate(() => (turned = true));
    await b.pause();
    expect(turned).toBe(true);
    expect(b.spent).toBe(false);
    expect(b.takeMany(99)).toBe(false);
    b.reset();
    expect(b.takeMany(99)).toBe(false);
    expect(b.takeMany(1)).toBe(true);
  });

  it('is spent after maxMs, the clock read every 64 items', () => {
    const b = new FairBudget(1_000_000, 1);
    const until = performance.now() + 5;
    while (performance.now() < until);
    let n = 1;
    b.take();
    const t0 = performance.now();
    while (performance.now() - t0 < 2);
    while (!b.take()) n++;
    expect(n).toBeLessThanOrEqual(64);
  });

  it('refuses bad bounds', () => {
    expect(() => new FairBudget(0)).toThrow(RangeError);
    expect(() => new FairBudget(1.5)).toThrow(RangeError);
    expect(() => new FairBudget(10, 0)).toThrow(RangeError);
  });
});
