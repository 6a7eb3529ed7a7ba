// Fairness for loops that drain a device on the event loop: after a bounded
// batch (by count and by time) they yield with setImmediate, so timers and
// I/O keep running while a device floods. Pure TS: importing it never loads
// the addon (the `@kchan/native/fair` entry point).

/** Items a batch may hold before the loop yields (default). */
export const FAIR_BATCH_ITEMS = 1024;
/** Milliseconds a batch may last before the loop yields (default). */
export const FAIR_BATCH_MS = 10;

/** The clock is read every 2^CLOCK_SHIFT items. */
const CLOCK_SHIFT = 6;

/**
 * A per-reader batch budget. The loop calls {@link take} for every item it
 * hands out (or {@link takeMany} for a batch); when it returns true the
 * budget is spent and the loop must `await budget.pause()` before the next
 * item, which yields to the event loop (`setImmediate`: after pending I/O
 * callbacks and due timers) and starts a new budget. A loop that waits on
 * the device anyway calls {@link reset}: a wait yields by itself.
 *
 * The bound: at most `maxItems` items, or `maxMs` milliseconds plus the time
 * of the items between two clock reads (the clock is read every 64 items
 * and at the first item), between two turns of the event loop.
 */
export class FairBudget {
  readonly maxItems: number;
  readonly maxMs: number;
  #count = 0;
  #start = 0;

  constructor(maxItems: number = FAIR_BATCH_ITEMS, maxMs: number = FAIR_BATCH_MS) {
    if (!Number.isInteger(maxItems) || maxItems < 1) {
      throw new RangeError(`The value of "maxItems" is out of range. It must be an integer >= 1. Received ${maxItems}`);
    }
    if (!(maxMs > 0)) throw new RangeError(`The value of "maxMs" is out of range. It must be > 0. Received ${maxMs}`);
    this.maxItems = maxItems;
    this.maxMs = maxMs;
  }

  /** Count one item; true when the budget is spent (pause before the next). */
  take(): boolean {
    return this.takeMany(1);
  }

  /** Count `n` items at once (a batch handed out together). */
  takeMany(n: number): boolean {
    const before = this.#count;
    if (before === 0) this.#start = performance.now();
    const count = before + n;
    this.#count = count;
    if (count >= this.maxItems) return true;
    // Read the clock when the count crosses a multiple of 64.
    if ((before >>> CLOCK_SHIFT) !== (count >>> CLOCK_SHIFT)) {
      return performance.now() - this.#start >= this.maxMs;
    }
    return false;
  }

  /** True when the budget is spent. */
  get spent(): boolean {
    return this.#count >= this.maxItems || (this.#count > 0 && performance.now() - this.#start >= this.maxMs);
  }

  /** Start a new budget without yielding (the loop is about to wait anyway). */
  reset(): void {
    this.#count = 0;
  }

  /** Yield to the event loop once, then start a new budget. */
  pause(): Promise<void> {
    this.#count = 0;
    return new Promise((resolve) => setImmediate(resolve));
  }
}
