// RingWriter: the kernel's side of the watch_queue ring contract in
// TypeScript, line for line after kchan_wq_post_locked() in
// kernel/watch_queue.c. For simulation and tests: it lets the reader be
// exercised on the host, and across threads over a SharedArrayBuffer.
import {
  WATCH_INFO_OVERRUN,
  WATCH_META_LOSS_NOTIFICATION,
  WATCH_META_SKIP_NOTIFICATION,
  WATCH_QUEUE_MAX_ENTRY_SLOTS,
  WATCH_TYPE_META,
} from '@kchan/uapi';
import { RingError } from './errors.js';
import {
  HEAD_WORD,
  LOST_WORD,
  LENGTH_MASK,
  LENGTH_SHIFT,
  MASK_WORD,
  META_SLOTS,
  SUBTYPE_SHIFT,
  TAIL_WORD,
  TYPE_MASK,
  ringSlots,
} from './layout.js';
import { loadAcquire, storeRelease } from './order.js';

/** Result of RingWriter.post(). */
export type PostResult = 'posted' | 'lost' | 'error';

const LOSS_SLOTS = 2;

/** Allocate a ring of `slots` slots (a power of two ≥ 256) in a SharedArrayBuffer. */
export function createSharedRing(slots: number): SharedArrayBuffer {
  return new SharedArrayBuffer(slots * 8);
}

export class RingWriter {
  readonly size: number;
  private readonly mask: number;
  private readonly words: Uint32Array;
  private readonly bytes: Uint8Array;
  /** Our own head: never read back from the ring (the kernel's rule). */
  private head: number;
  private lastTail: number;
  private lostCount = 0;
  /** meta->lost: every drop, mod 2^32 (the kernel's lost_total). */
  private lostTotal = 0;
  private failed = false;

  /**
   * Wrap `buffer`. With `init` (default) write the meta entry (META/SKIP of
   * META_SLOTS slots, head = tail = META_SLOTS, mask) as IOC_WATCH_QUEUE_SET_SIZE
   * does; without it, attach to a ring another RingWriter initialised (e.g.
   * in another thread) and continue from its published head.
   */
  constructor(buffer: ArrayBufferLike, init = true) {
    const size = ringSlots(buffer.byteLength);
    if (size === 0) throw new RingError('ERING_LAYOUT', `a ring of ${buffer.byteLength} bytes is not a power of two of at least 256 slots`);
    this.size = size;
    this.mask = size - 1;
    this.words = new Uint32Array(buffer);
    this.bytes = new Uint8Array(buffer);
    if (init) {
      this.words.fill(0);
      this.writeHeader(0, WATCH_TYPE_META, WATCH_META_SKIP_NOTIFICATION, META_SLOTS << LENGTH_SHIFT);
      this.words[MASK_WORD] = this.mask;
      this.words[TAIL_WORD] = META_SLOTS;
      storeRelease(this.words, HEAD_WORD, META_SLOTS);
    }
    this.head = loadAcquire(this.words, HEAD_WORD);
    this.lastTail = loadAcquire(this.words, TAIL_WORD);
    this.lostTotal = loadAcquire(this.words, LOST_WORD);
  }

  /** Notifications dropped and not yet reported by a loss entry. */
  get pendingLost(): number {
    return this.lostCount;
  }
  /** The queue is in the error state (a bogus tail was seen). */
  get error(): boolean {
    return this.failed;
  }

  private writeHeader(slot: number, type: number, subtype: number, info: number): void {
    this.words[slot * 2] = ((type & TYPE_MASK) | ((subtype & 0xff) << SUBTYPE_SHIFT)) >>> 0;
    this.words[slot * 2 + 1] = info >>> 0;
  }

  /** kchan_wq_place(): where an entry of `slots` starts at or after `h`, and the index after it. */
  private place(h: number, slots: number, write: boolean): [start: number, next: number] {
    if ((h & this.mask) === 0) h = (h + META_SLOTS) >>> 0;
    const room = this.size - (h & this.mask);
    if (slots > room) {
      if (write) this.writeHeader(h & this.mask, WATCH_TYPE_META, WATCH_META_SKIP_NOTIFICATION, room << LENGTH_SHIFT);
      h = (h + room + META_SLOTS) >>> 0;
    }
    return [h, (h + slots) >>> 0];
  }

  /** Free slots as the writer sees them (after validating tail), or -1 in the error state. */
  private checkTail(): number {
    // Contract step 4: pairs with the reader's storeRelease of tail.
    const tail = loadAcquire(this.words, TAIL_WORD);
    if (((this.head - tail) >>> 0) > this.size || ((tail - this.lastTail) >>> 0) > ((this.head - this.lastTail) >>> 0)) {
      this.failed = true;
      return -1;
    }
    this.lastTail = tail;
    return tail;
  }

  /**
   * Post one notification: `type`/`subtype`, `info` bits other than length
   * and overrun (id, type flags), and a payload of up to 62 * 8 bytes
   * (zero-padded to whole slots). Returns 'lost' if it did not fit (it is
   * counted and reported before the next entry that fits), 'error' in the
   * error state.
   */
  post(type: number, subtype: number, info: number, payload?: Uint8Array): PostResult {
    return this.postInternal(type, subtype, info, payload, true);
  }

  /** Like post(), but a full ring returns false without counting a loss (back-pressure for simulations). */
  tryPost(type: number, subtype: number, info: number, payload?: Uint8Array): boolean {
    return this.postInternal(type, subtype, info, payload, false) === 'posted';
  }

  private postInternal(type: number, subtype: number, info: number, payload: Uint8Array | undefined, countLoss: boolean): PostResult {
    const len = payload?.length ?? 0;
    const slots = 1 + Math.ceil(len / 8);
    if (slots > WATCH_QUEUE_MAX_ENTRY_SLOTS) throw new RangeError(`payload of ${len} bytes exceeds ${WATCH_QUEUE_MAX_ENTRY_SLOTS} slots`);
    if (this.failed) return 'error';
    const tail = this.checkTail();
    if (tail < 0) return 'error';

    const oldHead = this.head;
    let h = oldHead;
    if (this.lostCount > 0) h = this.place(h, LOSS_SLOTS, false)[1];
    h = this.place(h, slots, false)[1];
    if (((h - tail) >>> 0) > this.size) {
      if (countLoss) {
        this.lostCount++;
        // As kchan_wq_count_lost(): visible at once, before any later head.
        this.lostTotal = (this.lostTotal + 1) >>> 0;
        storeRelease(this.words, LOST_WORD, this.lostTotal);
      }
      return 'lost';
    }

    h = oldHead;
    info = (info & ~LENGTH_MASK & ~WATCH_INFO_OVERRUN) >>> 0;
    if (this.lostCount > 0) {
      const [at, next] = this.place(h, LOSS_SLOTS, true);
      const s = at & this.mask;
      this.writeHeader(s, WATCH_TYPE_META, WATCH_META_LOSS_NOTIFICATION, (LOSS_SLOTS << LENGTH_SHIFT) | WATCH_INFO_OVERRUN);
      this.words[s * 2 + 2] = this.lostCount >>> 0;
      this.words[s * 2 + 3] = Math.floor(this.lostCount / 2 ** 32);
      info |= WATCH_INFO_OVERRUN;
      this.lostCount = 0;
      h = next;
    }
    const [at, next] = this.place(h, slots, true);
    const s = at & this.mask;
    this.writeHeader(s, type, subtype, info | (slots << LENGTH_SHIFT));
    const off = s * 8 + 8;
    if (payload && len) this.bytes.set(payload, off);
    this.bytes.fill(0, off + len, off + (slots - 1) * 8);

    this.head = next;
    // Contract step 1: pairs with the reader's loadAcquire of head.
    storeRelease(this.words, HEAD_WORD, next);
    return 'posted';
  }
}
