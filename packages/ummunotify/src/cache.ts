// RegistrationCache: an RDMA/MPI-style memory registration cache kept
// coherent by ummunotify (after UCX's rcache and libfabric's MR cache).
//
// Hit path. acquire() looks the range up, then checks the hit with one
// Atomics load through the source: the entry's own slot when it was
// registered with one (region generation slots enabled in the source),
// else the fd's generation counter (its 32-bit stamp when the source has
// one, as Ummunotify does: no BigInt on the hit path). Only when that moved
// does it drain the events, evict the entries whose cookies were
// invalidated and look again; a miss drains too if the generation moved.
// With slots, invalidations of other entries cost a hit nothing.
// The lookup:
//   1. exact start: an open-addressing hash table (StartIndex) from the
//      aligned start address to the entries starting there, with start and
//      end stored in the slot, so a hit costs one probe of a Float64Array
//      and one entry object (a Map keyed by addresses above 2^31 hashes heap
//      numbers and was 3-5x slower);
//   2. containment: a start-sorted array, binary-searched for the last
//      entry starting at or below the address, then up to
//      CONTAINMENT_PROBES entries back for one covering the range.
// Not finding a covering entry that exists (more than CONTAINMENT_PROBES
// entries start between it and the address) only costs a redundant
// registration, never a wrong answer. Inserts and removals splice the
// sorted array (O(n) memmove; they also pay for a real registration).
//
// Addresses are JS numbers: user addresses are below 2^47 on x86-64 and
// arm64 (2^52 with 5-level paging), exact in a double.
//
// Eviction. Unreferenced entries sit on an LRU list; past `capacity`
// entries the least recently released ones are deregistered. Entries in use
// are never evicted, so in-use entries may exceed the capacity. An
// invalidated entry leaves the lookup structures at once and is
// deregistered when its last reference is released.
import { type InvalidationEvent, generationStamp } from './abi.js';
import { UmmunotifyError, hasCode } from './errors.js';
import { StartIndex } from './start-index.js';

/** A region's own generation counter (`RegionWatch` implements it). */
export interface SlotWatch {
  /** The counter now (one load). */
  readonly generation: bigint;
  /** The counter right after the region was registered. */
  readonly seen: bigint;
}

/** What the cache needs from an invalidation source; `Ummunotify` implements it. */
export interface InvalidationSource {
  /** The current generation (cheap: one load). */
  readonly generation: bigint;
  /**
   * Optional: the generation's low 32 bits as an int32 (one 32-bit load,
   * no BigInt). When the source has it, the cache's hit path compares
   * stamps instead of generations.
   */
  readonly stamp?: number;
  /** Every pending event, and the generation they make the caller current for. */
  drain(): { readonly events: readonly Pick<InvalidationEvent, 'cookie'>[]; readonly generation: bigint };
  register(address: bigint, length: bigint, cookie: bigint): void;
  unregister(cookie: bigint): void;
  /** Optional: whether registerWithSlot() can be used (FEATURE_REGION_GENERATION enabled). */
  readonly regionGenerationEnabled?: boolean;
  /** Optional: register with a generation slot; ENOSPC when none is free (the cache then uses register()). */
  registerWithSlot?(address: bigint, length: bigint, cookie: bigint): SlotWatch;
}

export interface RegistrationCacheOptions<T> {
  source: InvalidationSource;
  /** Make the real registration (e.g. ibv_reg_mr) of [address, address + length). */
  register(address: number, length: number): T;
  /** Undo it; called once per successful `register`. */
  deregister(value: T, address: number, length: number): void;
  /** Most cached entries (in use ones excepted); default 4096. */
  capacity?: number;
  /** Round registrations out to this power of two, at most 2^52 (e.g. the page size); default 1. */
  alignment?: number;
  /** First cookie used with the source; default 1n. Cookies count up from it. */
  firstCookie?: bigint;
}

/** A cached registration, returned by acquire(). */
export interface CacheEntry<T> {
  readonly address: number;
  readonly length: number;
  readonly value: T;
  /** False once (part of) the range was invalidated; release it and acquire again. */
  readonly valid: boolean;
}

export interface CacheStats {
  hits: number;
  misses: number;
  evictions: number;
  invalidations: number;
}

/** Probes back from the binary-search position in the containment lookup. */
export const CONTAINMENT_PROBES = 8;

class Entry<T> implements CacheEntry<T> {
  valid = true;
  /** Its slot, if registered with one. */
  watch: SlotWatch | null = null;
  refs = 0;
  /** LRU links; both null and not `lruHead` when not on the list. */
  prev: Entry<T> | null = null;
  next: Entry<T> | null = null;
  onLru = false;
  constructor(
    readonly address: number,
    readonly length: number,
    readonly end: number,
    readonly value: T,
    readonly cookie: bigint,
  ) {}
}

function checkNumber(name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${name} must be a non-negative safe integer, got ${v}`);
}

export class RegistrationCache<T> {
  readonly #source: InvalidationSource;
  readonly #register: (address: number, length: number) => T;
  readonly #deregister: (value: T, address: number, length: number) => void;
  readonly #capacity: number;
  readonly #align: number;
  /** 1 / #align, exact (a power of two). */
  readonly #invAlign: number;
  #nextCookie: bigint;
  #seen: bigint;
  /** generationStamp(#seen), for sources with a stamp. */
  #seenStamp: number;
  /** The source has `stamp`: the hit path loads it instead of `generation`. */
  readonly #stamped: boolean;

  /** Valid entries by address. */
  readonly #byStart = new StartIndex<Entry<T>>();
  /** Valid entries sorted by address (ties: any order). */
  readonly #sorted: Entry<T>[] = [];
  /** Every entry not yet deregistered (valid or not), by cookie. */
  readonly #byCookie = new Map<bigint, Entry<T>>();
  #lruHead: Entry<T> | null = null;
  #lruTail: Entry<T> | null = null;
  #closed = false;

  readonly stats: CacheStats = { hits: 0, misses: 0, evictions: 0, invalidations: 0 };

  constructor(options: RegistrationCacheOptions<T>) {
    this.#source = options.source;
    this.#register = options.register;
    this.#deregister = options.deregister;
    this.#capacity = options.capacity ?? 4096;
    this.#align = options.alignment ?? 1;
    this.#nextCookie = options.firstCookie ?? 1n;
    if (!Number.isInteger(this.#capacity) || this.#capacity < 0) {
      throw new RangeError(`capacity must be a non-negative integer, got ${this.#capacity}`);
    }
    // A power of two up to 2^52 (`&` would see only the low 32 bits): the hit
    // path multiplies by 1/alignment, which is exact only for those.
    if (!Number.isSafeInteger(this.#align) || this.#align < 1 || this.#align > 2 ** 52 || 2 ** Math.round(Math.log2(this.#align)) !== this.#align) {
      throw new RangeError(`alignment must be a power of two up to 2^52, got ${this.#align}`);
    }
    this.#invAlign = 1 / this.#align;
    this.#stamped = typeof this.#source.stamp === 'number';
    // Events before the cache existed concern no entry of it.
    this.#seen = this.#source.generation;
    this.#seenStamp = generationStamp(this.#seen);
  }

  /** Entries not yet deregistered (cached, in use, or invalidated but in use). */
  get size(): number {
    return this.#byCookie.size;
  }

  /**
   * A registration covering [address, address + length): a cached one if
   * any (after applying pending invalidations), else a new one from the
   * `register` callback. Pair with release().
   */
  acquire(address: number, length: number): CacheEntry<T> {
    // The hit path, kept small (few instructions, inlinable): an entry
    // starting at the aligned start, unchanged since registered or synced.
    // Anything else (bad arguments, closed, containment, stale, miss)
    // takes #acquireSlow, which checks everything again.
    if (Number.isSafeInteger(address) && address >= 0 && Number.isSafeInteger(length) && length > 0 && !this.#closed) {
      // Multiplying by 1/alignment (a power of two) is exact, and cheaper than dividing.
      const align = this.#align;
      const inv = this.#invAlign;
      const start = Math.floor(address * inv) * align;
      const end = Math.ceil((address + length) * inv) * align;
      const e = end <= Number.MAX_SAFE_INTEGER ? this.#byStart.find(start, end) : undefined;
      if (e !== undefined) {
        const w = e.watch;
        if (w === null ? (this.#stamped ? this.#source.stamp === this.#seenStamp : this.#source.generation === this.#seen) : w.generation === w.seen) {
          this.stats.hits++;
          if (e.refs++ === 0) this.#lruRemove(e);
          return e;
        }
      }
    }
    return this.#acquireSlow(address, length);
  }

  #acquireSlow(address: number, length: number): CacheEntry<T> {
    if (this.#closed) throw new UmmunotifyError('EBADF', 'acquire', 'EBADF: RegistrationCache is closed, acquire');
    checkNumber('address', address);
    checkNumber('length', length);
    if (length === 0) throw new RangeError('length must be > 0');

    // Division by a power of two and floor are exact; % on doubles is slow.
    const align = this.#align;
    const start = Math.floor(address / align) * align;
    const end = Math.ceil((address + length) / align) * align;
    if (!Number.isSafeInteger(end)) throw new RangeError(`address + length out of range: ${address} + ${length}`);

    let e = this.#lookup(start, end);
    if (e !== null && !this.#current(e)) {
      // Its slot (or the generation) moved: apply every pending event,
      // then look again. A moved slot means its event was queued first.
      this.sync();
      if (e.valid && e.watch !== null) this.#invalidate(e);
      e = this.#lookup(start, end);
    }
    if (e !== null) {
      this.stats.hits++;
      if (e.refs++ === 0) this.#lruRemove(e);
      return e;
    }
    this.stats.misses++;
    if (!this.#unchanged()) this.sync();
    return this.#insert(start, end);
  }

  /** One load: unchanged since registered (slot) or since the last sync (generation)? */
  #current(e: Entry<T>): boolean {
    const w = e.watch;
    return w !== null ? w.generation === w.seen : this.#unchanged();
  }

  /**
   * One load: the source's generation is still the one of the last sync.
   * Through the 32-bit stamp when the source has one: two stamps are equal
   * while the generations differ only after 2^32 invalidations between two
   * cache calls.
   */
  #unchanged(): boolean {
    return this.#stamped ? this.#source.stamp === this.#seenStamp : this.#source.generation === this.#seen;
  }

  /** Give back an entry from acquire(). */
  release(entry: CacheEntry<T>): void {
    const e = entry as Entry<T>;
    // The common case first: the last reference to a valid entry, within capacity.
    if (e instanceof Entry && e.refs === 1 && e.valid && !this.#closed) {
      e.refs = 0;
      this.#lruAppend(e);
      if (this.#byCookie.size > this.#capacity) this.#evictOver(this.#capacity);
      return;
    }
    if (!(e instanceof Entry) || e.refs <= 0) {
      throw new UmmunotifyError('EINVAL', 'release', 'EINVAL: release() of an entry that is not acquired');
    }
    if (--e.refs > 0) return;
    if (!e.valid || this.#closed) {
      this.#destroy(e);
      return;
    }
    this.#lruAppend(e);
    this.#evictOver(this.#capacity);
  }

  /**
   * Apply pending invalidations now (acquire() does it when the generation
   * moved). Returns how many entries were invalidated.
   */
  sync(): number {
    const { events, generation } = this.#source.drain();
    let n = 0;
    for (const ev of events) {
      const e = this.#byCookie.get(ev.cookie);
      if (e === undefined || !e.valid) continue;
      this.#invalidate(e);
      n++;
    }
    this.#seen = generation;
    this.#seenStamp = generationStamp(generation);
    return n;
  }

  /** Deregister every unreferenced entry; in-use ones go on their release. */
  flush(): void {
    this.#evictOver(0);
  }

  /** flush(), and refuse further acquires; later releases deregister. */
  close(): void {
    this.#closed = true;
    this.flush();
  }

  #lookup(start: number, end: number): Entry<T> | null {
    const same = this.#byStart.find(start, end);
    if (same !== undefined) return same;
    const sorted = this.#sorted;
    // Last index with address <= start.
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sorted[mid]!.address <= start) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo - 1, k = 0; i >= 0 && k < CONTAINMENT_PROBES; i--, k++) {
      const e = sorted[i]!;
      if (e.end >= end) return e;
    }
    return null;
  }

  #insert(start: number, end: number): Entry<T> {
    const length = end - start;
    const cookie = this.#nextCookie++;
    // Watch the range before registering it, so an invalidation racing
    // with the registration is seen.
    const watch = this.#watch(BigInt(start), BigInt(length), cookie);
    let value: T;
    try {
      value = this.#register(start, length);
    } catch (err) {
      this.#source.unregister(cookie);
      throw err;
    }
    const e = new Entry<T>(start, length, end, value, cookie);
    e.watch = watch;
    e.refs = 1;
    this.#byCookie.set(cookie, e);
    this.#byStart.add(e);
    this.#sorted.splice(this.#sortedIndex(e), 0, e);
    this.#evictOver(this.#capacity);
    return e;
  }

  /** Register the kernel region, with a slot when the source has them and one is free. */
  #watch(address: bigint, length: bigint, cookie: bigint): SlotWatch | null {
    const source = this.#source;
    if (source.regionGenerationEnabled === true && source.registerWithSlot !== undefined) {
      try {
        return source.registerWithSlot(address, length, cookie);
      } catch (err) {
        if (!hasCode(err, 'ENOSPC')) throw err;
      }
    }
    source.register(address, length, cookie);
    return null;
  }

  /** Insertion point of e in #sorted (after entries with the same address). */
  #sortedIndex(e: Entry<T>): number {
    const sorted = this.#sorted;
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sorted[mid]!.address <= e.address) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Take e out of the lookup structures (it stays in #byCookie). */
  #unlink(e: Entry<T>): void {
    this.#byStart.delete(e);
    const sorted = this.#sorted;
    // Entries with this address end just before the insertion point.
    for (let i = this.#sortedIndex(e) - 1; i >= 0 && sorted[i]!.address === e.address; i--) {
      if (sorted[i] === e) {
        sorted.splice(i, 1);
        break;
      }
    }
  }

  #invalidate(e: Entry<T>): void {
    e.valid = false;
    this.stats.invalidations++;
    this.#unlink(e);
    if (e.refs === 0) {
      this.#lruRemove(e);
      this.#destroy(e);
    }
  }

  /** Deregister e for good: it must have no references. */
  #destroy(e: Entry<T>): void {
    if (e.valid) {
      e.valid = false;
      this.#unlink(e);
    }
    this.#byCookie.delete(e.cookie);
    try {
      this.#source.unregister(e.cookie);
    } finally {
      this.#deregister(e.value, e.address, e.length);
    }
  }

  #evictOver(limit: number): void {
    while (this.#lruHead !== null && this.#byCookie.size > limit) {
      const e = this.#lruHead;
      this.#lruRemove(e);
      this.stats.evictions++;
      this.#destroy(e);
    }
  }

  #lruAppend(e: Entry<T>): void {
    e.onLru = true;
    e.prev = this.#lruTail;
    e.next = null;
    if (this.#lruTail !== null) this.#lruTail.next = e;
    else this.#lruHead = e;
    this.#lruTail = e;
  }

  #lruRemove(e: Entry<T>): void {
    if (!e.onLru) return;
    e.onLru = false;
    if (e.prev !== null) e.prev.next = e.next;
    else this.#lruHead = e.next;
    if (e.next !== null) e.next.prev = e.prev;
    else this.#lruTail = e.prev;
    e.prev = null;
    e.next = null;
  }
}
