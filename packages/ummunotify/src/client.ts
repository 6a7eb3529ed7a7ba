// Ummunotify: a client for one /dev/ummunotify fd.
import {
  EVENT_SIZE,
  FEATURE_REGION_GENERATION,
  IOC_EXCHANGE_FEATURES,
  IOC_REGISTER_REGION,
  IOC_REGISTER_REGION_SLOT,
  IOC_UNREGISTER_REGION,
  MAX_SLOTS,
  REGISTER_SIZE,
  REGISTER_SLOT_SIZE,
  decodeEvents,
  decodeRegisterSlot,
  encodeRegister,
  encodeRegisterSlot,
  type InvalidationEvent,
  type DecodedBatch,
} from './abi.js';
import { throwIfAborted } from '@kchan/native/errors';
import { FairBudget } from '@kchan/native/fair';
import { MAP_SHARED, O_CLOEXEC, O_NONBLOCK, O_RDONLY, PROT_READ, type DeviceMapping, type UmmunotifyBinding } from './binding.js';
import { UmmunotifyError, hasCode, toUmmunotifyError } from './errors.js';
import { nativeBinding } from './native.js';

export interface UmmunotifyOptions {
  /** Device node; default /dev/ummunotify. */
  path?: string;
  /** System-call implementation; default @kchan/native. */
  binding?: UmmunotifyBinding;
  /** Events per read() (LAST included); default 256, the kernel's batch. */
  batchEvents?: number;
}

export interface DrainResult {
  /** The pending INVAL events, oldest first. */
  readonly events: InvalidationEvent[];
  /**
   * A generation the caller is now current for: every invalidation counted
   * up to it has its event in `events` (or in an earlier drain). Store it
   * and compare with `generation` to know whether anything changed since.
   */
  readonly generation: bigint;
}

export interface EventsOptions {
  signal?: AbortSignal;
}

const U64_MAX = (1n << 64n) - 1n;
const NO_SLOTS = new BigUint64Array(0);

/** Index of a u64's low 32-bit half in an Int32Array over it (host byte order). */
const LOW_WORD = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1;

/**
 * A region registered with a generation slot (registerWithSlot): its own
 * counter, bumped by the kernel each time an invalidation hits the region
 * and once when it is unregistered, never reset.
 */
export class RegionWatch {
  readonly #owner: Ummunotify;
  /** The region's cookie. */
  readonly cookie: bigint;
  /** Its slot: index into the mapped slot array. */
  readonly slot: number;
  /** The counter as loaded right after registering. */
  readonly seen: bigint;

  /** @internal */
  constructor(owner: Ummunotify, cookie: bigint, slot: number) {
    this.#owner = owner;
    this.cookie = cookie;
    this.slot = slot;
    this.seen = owner.slotGeneration(slot);
  }

  /** The region's counter: one Atomics load of its slot; 0n once the client is closed. */
  get generation(): bigint {
    return this.#owner.slotGeneration(this.slot);
  }

  /** Whether the region was invalidated (or unregistered) since it was registered. */
  get changed(): boolean {
    return this.#owner.slotGeneration(this.slot) !== this.seen;
  }
}

function toU64(name: string, v: bigint | number): bigint {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${name} must be a non-negative safe integer, got ${v}`);
    return BigInt(v);
  }
  if (v < 0n || v > U64_MAX) throw new RangeError(`${name} must fit in a u64, got ${v}`);
  return v;
}

/**
 * One open /dev/ummunotify. The fd is bound to this process: a child that
 * inherits it gets EIO from every operation.
 */
export class Ummunotify {
  readonly #binding: UmmunotifyBinding;
  #fd: number;
  #mapping: DeviceMapping | null;
  #gen: BigUint64Array;
  /** The same page as int32 words: the stamp is word LOW_WORD. */
  #gen32: Int32Array;
  /** The slot array once REGION_GENERATION is enabled (empty before and after close). */
  #slots: BigUint64Array = NO_SLOTS;
  #slotMapping: DeviceMapping | null = null;
  readonly #regSlotBuf = new Uint8Array(REGISTER_SLOT_SIZE);
  readonly #regSlotView = new DataView(this.#regSlotBuf.buffer);
  readonly #readBuf: Uint8Array;
  readonly #readView: DataView;
  readonly #regBuf = new Uint8Array(REGISTER_SIZE);
  readonly #regView = new DataView(this.#regBuf.buffer);
  readonly #u64Buf = new Uint8Array(8);
  readonly #u64View = new DataView(this.#u64Buf.buffer);

  private constructor(binding: UmmunotifyBinding, fd: number, mapping: DeviceMapping, batchEvents: number) {
    this.#binding = binding;
    this.#fd = fd;
    this.#mapping = mapping;
    this.#gen = new BigUint64Array(mapping.buffer, 0, 1);
    this.#gen32 = new Int32Array(mapping.buffer, 0, 2);
    this.#readBuf = new Uint8Array(batchEvents * EVENT_SIZE);
    this.#readView = new DataView(this.#readBuf.buffer);
  }

  /** Open the device (non-blocking, close-on-exec) and map its generation page. */
  static open(options: UmmunotifyOptions = {}): Ummunotify {
    const binding = options.binding ?? nativeBinding();
    const path = options.path ?? '/dev/ummunotify';
    const batch = options.batchEvents ?? 256;
    if (!Number.isInteger(batch) || batch < 2) throw new RangeError(`batchEvents must be an integer >= 2, got ${batch}`);
    let fd: number;
    try {
      fd = binding.open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    } catch (e) {
      // The native error names the path (as Node's fs does).
      throw toUmmunotifyError(e, 'open');
    }
    let mapping: DeviceMapping;
    try {
      mapping = binding.mmap(fd, binding.pageSize, PROT_READ, MAP_SHARED, 0);
    } catch (e) {
      try {
        binding.close(fd);
      } catch {
        // the mmap error is the one to report
      }
      throw toUmmunotifyError(e, 'mmap', path);
    }
    return new Ummunotify(binding, fd, mapping, batch);
  }

  /** The fd, or -1 once closed. */
  get fd(): number {
    return this.#fd;
  }

  get closed(): boolean {
    return this.#fd < 0;
  }

  #checkOpen(syscall: string): number {
    if (this.#fd < 0) throw new UmmunotifyError('EBADF', syscall, `EBADF: ummunotify is closed, ${syscall}`);
    return this.#fd;
  }

  /**
   * The generation counter: one 64-bit Atomics load (sequentially
   * consistent, so at least the acquire the contract asks for; pairs with
   * the kernel's smp_store_release() after queueing the event). 0n once
   * closed.
   */
  get generation(): bigint {
    return Atomics.load(this.#gen, 0);
  }

  /**
   * The generation's stamp: its low 32 bits as an int32, one 32-bit
   * Atomics load (same ordering as `generation`). About a third cheaper
   * than `generation`, which makes a BigInt: for hot paths that only ask
   * "did anything change since I last looked?" Compare with a stamp loaded
   * earlier, or with generationStamp() of a generation from drain(). Two
   * stamps are equal again only after 2^32 invalidations in between. The
   * kernel stores the counter with one 64-bit store, so the low half is
   * never torn. 0 once closed.
   */
  get stamp(): number {
    return Atomics.load(this.#gen32, LOW_WORD);
  }

  /**
   * Ask for features (UMMUNOTIFY_FEATURE_* bits); returns the features now
   * enabled (an enabled feature stays on). When FEATURE_REGION_GENERATION is
   * among them, the slot array is mapped (read-only) for registerWithSlot().
   */
  exchangeFeatures(wanted: number): number {
    const fd = this.#checkOpen('ioctl');
    if (!Number.isInteger(wanted) || wanted < 0 || wanted > 0xffffffff) {
      throw new RangeError(`wanted must be a u32, got ${wanted}`);
    }
    const buf = new Uint8Array(4);
    const view = new DataView(buf.buffer);
    view.setUint32(0, wanted, true);
    try {
      this.#binding.ioctl(fd, IOC_EXCHANGE_FEATURES, buf);
    } catch (e) {
      throw toUmmunotifyError(e, 'ioctl', 'UMMUNOTIFY_EXCHANGE_FEATURES');
    }
    const enabled = view.getUint32(0, true);
    if ((enabled & FEATURE_REGION_GENERATION) !== 0 && this.#slotMapping === null) {
      let mapping: DeviceMapping;
      try {
        // The slot array follows the generation page.
        mapping = this.#binding.mmap(fd, MAX_SLOTS * 8, PROT_READ, MAP_SHARED, this.#binding.pageSize);
      } catch (e) {
        throw toUmmunotifyError(e, 'mmap', 'ummunotify slot array');
      }
      this.#slotMapping = mapping;
      this.#slots = new BigUint64Array(mapping.buffer, 0, MAX_SLOTS);
    }
    return enabled;
  }

  /** True once FEATURE_REGION_GENERATION is enabled and its slot array mapped. */
  get regionGenerationEnabled(): boolean {
    return this.#slotMapping !== null;
  }

  /**
   * The counter in `slot`: one Atomics load (sequentially consistent, so at
   * least the acquire the contract asks for; pairs with the kernel's
   * smp_store_release() after queueing the region's event). 0n when the
   * slot array is not mapped (feature off, or closed).
   */
  slotGeneration(slot: number): bigint {
    const slots = this.#slots;
    return slot < slots.length ? Atomics.load(slots, slot) : 0n;
  }

  /** Register the bytes of `view` under `cookie`. */
  register(view: ArrayBufferView, cookie: bigint): void;
  /**
   * Register [address, address + length) under `cookie`. Any byte
   * alignment is accepted; events come at page granularity, hints are
   * clipped to the range. A length of 0, or one that wraps past 2^64, is
   * EINVAL (from the kernel); a cookie in use is EEXIST.
   */
  register(address: bigint | number, length: bigint | number, cookie: bigint): void;
  register(a: ArrayBufferView | bigint | number, b: bigint | number, c?: bigint): void {
    const fd = this.#checkOpen('ioctl');
    const [start, length, cookie] = this.#regionArgs('register', a, b, c);
    // end wraps modulo 2^64 as in C: the kernel refuses end <= start.
    encodeRegister(this.#regView, start, start + length, cookie);
    try {
      this.#binding.ioctl(fd, IOC_REGISTER_REGION, this.#regBuf);
    } catch (e) {
      throw toUmmunotifyError(e, 'ioctl', 'UMMUNOTIFY_REGISTER_REGION');
    }
  }

  /** Register the bytes of `view` under `cookie`, with a generation slot. */
  registerWithSlot(view: ArrayBufferView, cookie: bigint): RegionWatch;
  /**
   * Register [address, address + length) under `cookie` like register(),
   * and give it a generation slot (UMMUNOTIFY_REGISTER_REGION_SLOT): the
   * returned watch's `generation` is one load of the region's own counter.
   * Needs exchangeFeatures(FEATURE_REGION_GENERATION) first (EINVAL
   * otherwise); ENOSPC once all MAX_SLOTS slots are taken. unregister()
   * frees the slot (and bumps it, so the watch reads as changed).
   */
  registerWithSlot(address: bigint | number, length: bigint | number, cookie: bigint): RegionWatch;
  registerWithSlot(a: ArrayBufferView | bigint | number, b: bigint | number, c?: bigint): RegionWatch {
    const fd = this.#checkOpen('ioctl');
    const [start, length, cookie] = this.#regionArgs('registerWithSlot', a, b, c);
    if (this.#slotMapping === null) {
      throw new UmmunotifyError(
        'EINVAL',
        'ioctl',
        'EINVAL: UMMUNOTIFY_REGISTER_REGION_SLOT: region generation slots are not enabled (exchangeFeatures(FEATURE_REGION_GENERATION))',
      );
    }
    encodeRegisterSlot(this.#regSlotView, start, start + length, cookie);
    try {
      this.#binding.ioctl(fd, IOC_REGISTER_REGION_SLOT, this.#regSlotBuf);
    } catch (e) {
      throw toUmmunotifyError(e, 'ioctl', 'UMMUNOTIFY_REGISTER_REGION_SLOT');
    }
    return new RegionWatch(this, cookie, decodeRegisterSlot(this.#regSlotView));
  }

  #regionArgs(
    name: string,
    a: ArrayBufferView | bigint | number,
    b: bigint | number,
    c: bigint | undefined,
  ): [start: bigint, length: bigint, cookie: bigint] {
    if (ArrayBuffer.isView(a)) return [this.#binding.addressOf(a), BigInt(a.byteLength), toU64('cookie', b)];
    const start = toU64('address', a);
    const length = toU64('length', b);
    if (c === undefined) throw new TypeError(`${name}(address, length, cookie): cookie is required`);
    return [start, length, toU64('cookie', c)];
  }

  /** Unregister the region under `cookie` (ENOENT if none); drops its pending event. */
  unregister(cookie: bigint): void {
    const fd = this.#checkOpen('ioctl');
    this.#u64View.setBigUint64(0, toU64('cookie', cookie), true);
    try {
      this.#binding.ioctl(fd, IOC_UNREGISTER_REGION, this.#u64Buf);
    } catch (e) {
      throw toUmmunotifyError(e, 'ioctl', 'UMMUNOTIFY_UNREGISTER_REGION');
    }
  }

  /**
   * Read every pending event without blocking, in reads of `batchEvents`
   * events, until the kernel's LAST event (the queue is drained: LAST ends
   * only a read that took the last pending event) or EAGAIN (nothing was
   * pending). Memory is bounded by the region count: a region has at most
   * one pending event.
   */
  drain(): DrainResult {
    const fd = this.#checkOpen('read');
    // Loaded before reading: every invalidation counted in it queued its
    // event before the kernel's release store, so the reads below take it
    // (or an earlier drain did, if the first read says EAGAIN).
    let generation = this.generation;
    const events: InvalidationEvent[] = [];
    for (;;) {
      const batch = this.#readOnce(fd);
      if (batch === null) break;
      for (const ev of batch.events) events.push(ev);
      // LAST: drained; its counter covers every event read so far.
      if (batch.generation !== null) {
        if (batch.generation > generation) generation = batch.generation;
        break;
      }
    }
    return { events, generation };
  }

  /** One non-blocking read(2), decoded; null on EAGAIN. */
  #readOnce(fd: number): DecodedBatch | null {
    let n: number;
    try {
      n = this.#binding.read(fd, this.#readBuf);
    } catch (e) {
      if (hasCode(e, 'EAGAIN')) return null;
      throw toUmmunotifyError(e, 'read');
    }
    return decodeEvents(this.#readView, n);
  }

  /**
   * Events as they come, until `signal` aborts (the iterator then throws
   * its reason) or the client is closed (the iterator ends). Reads one
   * batch at a time and yields to the event loop after a bounded batch of
   * events (docs/readers.md), so a flood of invalidations starves nothing.
   */
  async *events(options: EventsOptions = {}): AsyncGenerator<InvalidationEvent, void, undefined> {
    const { signal } = options;
    const budget = new FairBudget();
    for (;;) {
      throwIfAborted(signal);
      if (this.closed) return;
      const batch = this.#readOnce(this.#checkOpen('read'));
      if (batch !== null && batch.events.length > 0) {
        for (const ev of batch.events) {
          yield ev;
          if (budget.take()) await budget.pause();
        }
        continue;
      }
      // Drained (LAST alone) or nothing pending (EAGAIN).
      budget.reset();
      // Level-triggered: an event queued after the read above makes the
      // fd readable, so the wait cannot miss it.
      try {
        await this.#binding.waitReadable(this.#fd, signal ? { signal } : {});
      } catch (e) {
        if (this.closed) return;
        throw e;
      }
    }
  }

  [Symbol.asyncIterator](): AsyncGenerator<InvalidationEvent, void, undefined> {
    return this.events();
  }

  /** `using u = Ummunotify.open()`: close() at the end of the scope. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** `await using u = Ummunotify.open()`: close() at the end of the scope. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }

  /** Unmap the generation page (and slot array) and close the fd. Idempotent. */
  close(): void {
    if (this.#fd < 0) return;
    const fd = this.#fd;
    this.#fd = -1;
    const mapping = this.#mapping;
    const slotMapping = this.#slotMapping;
    this.#mapping = null;
    this.#slotMapping = null;
    // Generation reads after close see 0n instead of a detached buffer.
    this.#gen = new BigUint64Array(1);
    this.#gen32 = new Int32Array(2);
    this.#slots = NO_SLOTS;
    try {
      try {
        slotMapping?.unmap();
      } finally {
        mapping?.unmap();
      }
    } finally {
      try {
        this.#binding.close(fd);
      } catch (e) {
        throw toUmmunotifyError(e, 'close');
      }
    }
  }
}
