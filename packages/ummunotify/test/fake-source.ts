// A fake invalidation source with the kernel's event semantics (one pending
// event per region, merged hints, generation bumped once per hitting
// invalidation), for unit-testing the cache logic on the host. The kernel
// tests in ./kernel/ run the same cache against the real device.
import type { InvalidationEvent } from '../src/abi.js';
import type { InvalidationSource, SlotWatch } from '../src/cache.js';
import { UmmunotifyError } from '../src/errors.js';

interface Region {
  start: bigint;
  end: bigint;
  pending: { hintStart: bigint; hintEnd: bigint } | null;
  slot: number | null;
}

export class FakeSource implements InvalidationSource {
  generation = 0n;
  /** Loads of `stamp` (StampedFakeSource only). */
  stampLoads = 0;
  readonly regions = new Map<bigint, Region>();
  /** Cookies with a pending event, in queue order. */
  readonly #queue: bigint[] = [];
  drains = 0;
  /** Region generation slots (the kernel's REGION_GENERATION), off unless constructed with a count. */
  readonly slots: BigUint64Array;
  readonly #slotUsed: boolean[];
  /** Loads of slot counters (each SlotWatch.generation read). */
  slotLoads = 0;

  constructor(options: { slots?: number } = {}) {
    this.slots = new BigUint64Array(options.slots ?? 0);
    this.#slotUsed = new Array<boolean>(this.slots.length).fill(false);
  }

  get regionGenerationEnabled(): boolean {
    return this.slots.length > 0;
  }

  register(address: bigint, length: bigint, cookie: bigint): void {
    this.#add(address, length, cookie, null);
  }

  registerWithSlot(address: bigint, length: bigint, cookie: bigint): SlotWatch {
    if (!this.regionGenerationEnabled) throw new UmmunotifyError('EINVAL', 'ioctl');
    const slot = this.#slotUsed.indexOf(false); // the lowest free one, as the kernel
    if (slot < 0) throw new UmmunotifyError('ENOSPC', 'ioctl');
    this.#add(address, length, cookie, slot);
    this.#slotUsed[slot] = true;
    const slots = this.slots;
    const load = (): bigint => {
      this.slotLoads++;
      return slots[slot]!;
    };
    const seen = slots[slot]!;
    return {
      seen,
      get generation() {
        return load();
      },
    };
  }

  #add(address: bigint, length: bigint, cookie: bigint, slot: number | null): void {
    const end = BigInt.asUintN(64, address + length);
    if (end <= address) throw new UmmunotifyError('EINVAL', 'ioctl');
    if (this.regions.has(cookie)) throw new UmmunotifyError('EEXIST', 'ioctl');
    this.regions.set(cookie, { start: address, end, pending: null, slot });
  }

  unregister(cookie: bigint): void {
    const r = this.regions.get(cookie);
    if (r === undefined) throw new UmmunotifyError('ENOENT', 'ioctl');
    this.regions.delete(cookie);
    const i = this.#queue.indexOf(cookie);
    if (i >= 0) this.#queue.splice(i, 1);
    if (r.slot !== null) {
      this.slots[r.slot]!++; // bumped before it is freed: no ABA on reuse
      this.#slotUsed[r.slot] = false;
    }
  }

  /** What the mmu_notifier callback does for [start, end). */
  invalidate(start: bigint, end: bigint): void {
    let hit = false;
    for (const [cookie, r] of this.regions) {
      if (r.end <= start || r.start >= end) continue;
      const hs = r.start > start ? r.start : start;
      const he = r.end < end ? r.end : end;
      if (r.pending === null) {
        r.pending = { hintStart: hs, hintEnd: he };
        this.#queue.push(cookie);
      } else {
        if (hs < r.pending.hintStart) r.pending.hintStart = hs;
        if (he > r.pending.hintEnd) r.pending.hintEnd = he;
      }
      if (r.slot !== null) this.slots[r.slot]!++;
      hit = true;
    }
    if (hit) this.generation++;
  }

  drain(): { events: InvalidationEvent[]; generation: bigint } {
    this.drains++;
    const generation = this.generation;
    const events: InvalidationEvent[] = [];
    for (const cookie of this.#queue.splice(0)) {
      const r = this.regions.get(cookie)!;
      events.push({ cookie, hintStart: r.pending!.hintStart, hintEnd: r.pending!.hintEnd, hasHint: true });
      r.pending = null;
    }
    return { events, generation };
  }
}

/** A FakeSource with Ummunotify's 32-bit `stamp`, so the cache takes its stamped hit path. */
export class StampedFakeSource extends FakeSource {
  get stamp(): number {
    this.stampLoads++;
    return Number(BigInt.asIntN(32, this.generation));
  }
}
