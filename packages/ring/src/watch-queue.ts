// WatchQueue: /dev/watch_queue through @kchan/native — open, size and map
// the ring, manage watches and filters, and read typed notifications.
import {
  IOC_WATCH_QUEUE_ADD_WATCH,
  IOC_WATCH_QUEUE_REMOVE_WATCH,
  IOC_WATCH_QUEUE_RESET,
  IOC_WATCH_QUEUE_SET_FILTER,
  IOC_WATCH_QUEUE_SET_SIZE,
  WATCH_QUEUE_DEVICE_PATH,
  WATCH_QUEUE_MAX_FILTERS,
  WatchNotificationFilterLayout,
  WatchNotificationTypeFilterLayout,
  WatchQueueWatchLayout,
  encodeWatchNotificationFilter,
  encodeWatchQueueWatch,
} from '@kchan/uapi';
import * as native from '@kchan/native';
import type { BindingMapping, KchanBinding } from '@kchan/native';
import { FairBudget } from '@kchan/native/fair';
import { decodeEntry, type Notification } from './decode.js';
import { RingError, WatchQueueError } from './errors.js';
import { RingReader, type RingCallback } from './reader.js';

/** One type's filter for setFilter(); see IOC_WATCH_QUEUE_SET_FILTER. */
export interface TypeFilter {
  /** WATCH_TYPE_NETDEV, _MODULE or _KAPI. */
  type: number;
  /** Subtypes to pass (0..255); all of them when omitted. */
  subtypes?: readonly number[];
  /** Bits of `info` tested (default 0: none). */
  infoMask?: number;
  /** Required value of `info & infoMask` (default 0). */
  infoFilter?: number;
}

export interface WatchQueueOptions {
  /** Device path (default /dev/watch_queue). */
  path?: string;
  /** Size the ring right away with this many pages (a power of two, 1..256). */
  pages?: number;
  /**
   * The system calls to use (default `@kchan/native`); tests inject a
   * simulated device (docs/readers.md).
   */
  binding?: KchanBinding;
}

export interface IterateOptions {
  signal?: AbortSignal;
}

/**
 * An open /dev/watch_queue: one kernel queue and its ring.
 *
 * Reading: either the zero-copy `consume(cb)` (the RingReader batch API, for
 * hot paths) or `for await (const n of wq)` / `wq.notifications({ signal })`,
 * which yields decoded notifications and sleeps in the native poll watcher
 * while the ring is empty. Do not mix the two concurrently.
 */
export class WatchQueue implements AsyncIterable<Notification> {
  private fd: number;
  private readonly binding: KchanBinding;
  private mapping: BindingMapping | undefined;
  private ring: RingReader | undefined;
  private closed = false;
  /** Aborted by close(): ends a pending wait(). */
  private readonly closing = new AbortController();
  /** A consume() batch is running: close() leaves the unmap to its end. */
  private consuming = false;
  private lostAtClose = 0;
  /** Loss reported by the readers before the last reset(). */
  private lostBefore = 0;

  private constructor(binding: KchanBinding, fd: number) {
    this.binding = binding;
    this.fd = fd;
  }

  /**
   * Open the device (close-on-exec) and, with `pages`, size and map the
   * ring. Synchronous, like the other two readers' `open()`
   * (docs/readers.md, "Opening"). Throws a KchanError (e.g. code 'ENOENT'
   * without the module, 'EACCES'); nothing stays open when it throws.
   */
  static open(options: WatchQueueOptions = {}): WatchQueue {
    const binding = options.binding ?? native;
    const wq = new WatchQueue(binding, binding.open(options.path ?? WATCH_QUEUE_DEVICE_PATH, native.O_RDWR | native.O_CLOEXEC));
    if (options.pages !== undefined) {
      try {
        wq.setSize(options.pages);
      } catch (err) {
        wq.close();
        throw err;
      }
    }
    return wq;
  }

  /** The file descriptor (for an external poller). */
  get fileDescriptor(): number {
    this.checkOpen('fileDescriptor');
    return this.fd;
  }

  /** The ring reader (after setSize). */
  get reader(): RingReader {
    this.checkOpen('reader');
    if (!this.ring) throw new WatchQueueError('ENODEV', -19, 'mmap', 'ENODEV: the ring is not sized yet (call setSize)');
    return this.ring;
  }

  /** Notifications the kernel reported lost so far (sum of loss entries seen). */
  get lost(): number {
    return this.closed ? this.lostAtClose : this.lostBefore + (this.ring?.lost ?? 0);
  }

  /**
   * Notifications dropped that no loss entry has reported yet (see
   * RingReader.checkLost): call after draining, e.g. when consume() returns
   * 0, to learn of an overrun without waiting for the next post. 0 before
   * setSize() or after close().
   */
  checkLost(): number {
    if (this.closed || !this.ring) return 0;
    return this.ring.checkLost();
  }

  /**
   * IOC_WATCH_QUEUE_RESET: empty the ring and leave the error state (after a
   * corrupt tail, an 'ERING_CORRUPT' RingError or EPOLLERR). Entries still
   * in the ring are discarded, as is loss not yet reported; `lost` keeps
   * what was reported so far. Not from inside a consume() callback.
   */
  reset(): void {
    this.checkOpen('ioctl');
    if (this.consuming) throw new WatchQueueError('EBUSY', -16, 'ioctl', 'EBUSY: reset() from inside a consume() callback');
    this.binding.ioctl(this.fd, IOC_WATCH_QUEUE_RESET, 0);
    if (this.mapping) {
      this.lostBefore += this.ring?.lost ?? 0;
      this.ring = new RingReader(this.mapping.buffer);
    }
  }

  private checkOpen(syscall: string): void {
    if (this.closed) throw new WatchQueueError('EBADF', -9, syscall, `EBADF: the watch queue is closed, ${syscall}`);
  }

  /** IOC_WATCH_QUEUE_SET_SIZE, then map the whole ring (shared). */
  setSize(pages: number): void {
    this.checkOpen('ioctl');
    this.binding.ioctl(this.fd, IOC_WATCH_QUEUE_SET_SIZE, pages);
    const mapping = this.binding.mmap(this.fd, pages * this.binding.pageSize, native.PROT_READ | native.PROT_WRITE, native.MAP_SHARED, 0);
    this.mapping = mapping;
    this.ring = new RingReader(mapping.buffer);
  }

  /** Watch a source (WATCH_TYPE_NETDEV, _MODULE, _KAPI) under `id` (0..255). */
  addWatch(type: number, id: number): void {
    this.checkOpen('ioctl');
    const arg = new DataView(new ArrayBuffer(WatchQueueWatchLayout.size));
    encodeWatchQueueWatch(arg, 0, { type, id, flags: 0 });
    this.binding.ioctl(this.fd, IOC_WATCH_QUEUE_ADD_WATCH, arg);
  }

  /** Remove the watch `id`; the kernel posts a META/REMOVAL entry. */
  removeWatch(id: number): void {
    this.checkOpen('ioctl');
    this.binding.ioctl(this.fd, IOC_WATCH_QUEUE_REMOVE_WATCH, new Uint32Array([id]));
  }

  /** Only notifications matching one of `filters` pass (META always passes). */
  setFilter(filters: readonly TypeFilter[]): void {
    this.checkOpen('ioctl');
    if (filters.length > WATCH_QUEUE_MAX_FILTERS) {
      throw new WatchQueueError('EINVAL', -22, 'ioctl', `EINVAL: at most ${WATCH_QUEUE_MAX_FILTERS} filters`);
    }
    const size = WatchNotificationFilterLayout.size + filters.length * WatchNotificationTypeFilterLayout.size;
    const view = new DataView(new ArrayBuffer(size));
    encodeWatchNotificationFilter(view, 0, {
      nr_filters: filters.length,
      filters: filters.map((f) => {
        const bits = [0, 0, 0, 0, 0, 0, 0, 0];
        if (f.subtypes === undefined) bits.fill(0xffffffff);
        else
          for (const s of f.subtypes) {
            if (!Number.isInteger(s) || s < 0 || s > 255) throw new RangeError(`subtype ${s} out of range 0..255`);
            bits[s >>> 5] = (bits[s >>> 5]! | (1 << (s & 31))) >>> 0;
          }
        return { type: f.type, info_mask: (f.infoMask ?? 0) >>> 0, info_filter: (f.infoFilter ?? 0) >>> 0, subtype_filter: bits };
      }),
    });
    this.binding.ioctl(this.fd, IOC_WATCH_QUEUE_SET_FILTER, view);
  }

  /** Remove the filter: everything watched passes. */
  clearFilter(): void {
    this.checkOpen('ioctl');
    this.binding.ioctl(this.fd, IOC_WATCH_QUEUE_SET_FILTER, null);
  }

  /**
   * Zero-copy batch read of everything available (see RingReader.consume).
   * A close() from `cb` takes effect when the batch ends: the entries the
   * batch already found are still delivered.
   */
  consume(cb: RingCallback): number {
    const reader = this.reader;
    this.consuming = true;
    try {
      return reader.consume(cb);
    } finally {
      this.consuming = false;
      if (this.closed) this.release();
    }
  }

  /**
   * Wait until the ring is non-empty (or in error). Resolves at once when
   * it already is. Rejects with RingError 'ERING_ERROR_STATE' on EPOLLERR,
   * an AbortError when `signal` aborts, WatchQueueError 'EBADF' when the
   * queue is closed meanwhile.
   */
  async wait(options: IterateOptions = {}): Promise<void> {
    const reader = this.reader;
    const signal = options.signal ? AbortSignal.any([options.signal, this.closing.signal]) : this.closing.signal;
    for (;;) {
      // Aborted before the call: reject, even with entries ready (docs/readers.md, "Aborting").
      native.throwIfAborted(options.signal);
      if (reader.pending() !== 0) return;
      // Arming the watcher calls the driver's poll(), which queues us, does
      // smp_mb() and compares tail (published with release by the reader)
      // with head: either it reports EPOLLIN now or the next post that makes
      // the ring non-empty wakes us (contract: "Sleeping and waking").
      let revents: number;
      try {
        revents = await this.binding.waitReadable(this.fd, { signal });
      } catch (err) {
        // close() ended the wait (its abort of `closing`, or the
        // binding's EBADF once the fd is closed): say so as EBADF.
        this.checkOpen('poll');
        throw err;
      }
      this.checkOpen('poll');
      if (revents & native.POLLERR) {
        throw new RingError('ERING_ERROR_STATE', 'the kernel put the queue in its error state (bogus tail published)');
      }
      // Re-check head after waking (and after a spurious wakeup).
    }
  }

  /** Yield decoded notifications forever (until close, abort or error). */
  async *notifications(options: IterateOptions = {}): AsyncGenerator<Notification, void, undefined> {
    // A closed queue's iterator ends, as a pending one does at close().
    if (this.closed) return;
    const reader = this.reader;
    // Fairness: yield to the event loop after a bounded batch (docs/readers.md).
    const budget = new FairBudget();
    let next: Notification | undefined;
    const take: RingCallback = (e) => {
      next = decodeEntry(e);
    };
    while (!this.closed) {
      native.throwIfAborted(options.signal);
      next = undefined;
      // One entry at a time: tail is published per yielded entry, so
      // breaking out of the loop never loses a notification.
      if (reader.consumeN(take, 1) === 1 && next !== undefined) {
        yield next;
        if (budget.take()) await budget.pause();
        continue;
      }
      budget.reset();
      try {
        await this.wait(options);
      } catch (err) {
        if (this.closed) return;
        throw err;
      }
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<Notification> {
    return this.notifications();
  }

  /** `using wq = WatchQueue.open()`: close() at the end of the scope. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** `await using wq = WatchQueue.open()`: close() at the end of the scope. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }

  /**
   * Unmap the ring and close the fd; a pending wait() or iterator ends.
   * Idempotent. From a consume() callback, the unmap waits for the batch
   * to end.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.lostAtClose = this.lostBefore + (this.ring?.lost ?? 0);
    this.closing.abort();
    if (!this.consuming) this.release();
  }

  private release(): void {
    if (this.fd < 0) return;
    this.ring = undefined;
    try {
      this.mapping?.unmap();
    } finally {
      this.mapping = undefined;
      this.binding.close(this.fd);
      this.fd = -1;
    }
  }
}
