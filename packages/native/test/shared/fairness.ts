// The fairness check shared by the three readers' host tests (issue 16):
// while `items` items stream through an async iterator, the event loop
// must keep turning.
// - Deterministic: a setImmediate() chain fires once per turn of the loop;
//   no more than `maxItemsPerTurn` items may pass between two of its
//   callbacks (FairBudget's bound is 1024 items a batch; a probe may land
//   on either side of a pause, hence up to twice that).
// - Wall clock: a setTimeout(0) chain; `maxGapMs` is the longest time
//   between two of its callbacks (the bound: 50 ms). Reported, not
//   asserted: on a loaded machine the process itself is descheduled.

export interface FairnessResult {
  items: number;
  turns: number;
  maxItemsPerTurn: number;
  timerFires: number;
  maxGapMs: number;
}

export async function measureFairness(iterable: AsyncIterable<unknown>, items: number): Promise<FairnessResult> {
  let count = 0;
  let sinceTurn = 0;
  let maxItemsPerTurn = 0;
  let turns = 0;
  let timerFires = 0;
  let last = performance.now();
  let maxGapMs = 0;
  let running = true;
  const onTurn = (): void => {
    maxItemsPerTurn = Math.max(maxItemsPerTurn, sinceTurn);
    sinceTurn = 0;
    turns++;
    if (running) setImmediate(onTurn);
  };
  const onTimer = (): void => {
    const now = performance.now();
    maxGapMs = Math.max(maxGapMs, now - last);
    last = now;
    timerFires++;
    if (running) setTimeout(onTimer, 0);
  };
  setImmediate(onTurn);
  setTimeout(onTimer, 0);
  try {
    for await (const _ of iterable) {
      count++;
      sinceTurn++;
      if (count >= items) break;
    }
  } finally {
    running = false;
  }
  maxItemsPerTurn = Math.max(maxItemsPerTurn, sinceTurn);
  maxGapMs = Math.max(maxGapMs, performance.now() - last);
  return { items: count, turns, maxItemsPerTurn, timerFires, maxGapMs };
}
