// A fake invalidation source with the kernel's event semantics (one pending
// event per region, merged hints, generation bumped once per hitting
// invalidation), for unit-testing the cache logic on the host. The kernel
// tests in ./kernel/ run the same cache against the real device.
import type { InvalidationEvent } from '../src/abi.js';
import type { InvalidationSource } from '../src/cache.js';
import { UmmunotifyError } from '../src/errors.js';

interface Region {
  start: bigint;
  end: bigint;
  pending: { hintStart: bigint; hintEnd: bigint } | null;
}

export class FakeSource implements InvalidationSource {
  generation = 0n;
  readonly regions = new Map<bigint, Region>();
  /** Cookies with a pending event, in queue order. */
  readonly #queue: bigint[] = [];
  drains = 0;

  register(address: bigint, length: bigint, cookie: bigint): void {
    const end = BigInt.asUintN(64, address + length);
    if (end <= address) throw new UmmunotifyError('EINVAL', 'ioctl');
    if (this.regions.has(cookie)) throw new UmmunotifyError('EEXIST', 'ioctl');
    this.regions.set(cookie, { start: address, end, pending: null });
  }

  unregister(cookie: bigint): void {
    if (!this.regions.delete(cookie)) throw new UmmunotifyError('ENOENT', 'ioctl');
    const i = this.#queue.indexOf(cookie);
    if (i >= 0) this.#queue.splice(i, 1);
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
