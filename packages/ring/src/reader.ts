// RingReader: the consumer side of the watch_queue ring contract
// (packages/uapi/spec/kchan.yaml, device watch_queue). Single consumer.
import {
  WATCH_META_LOSS_NOTIFICATION,
  WATCH_META_SKIP_NOTIFICATION,
  WATCH_INFO_OVERRUN,
  WATCH_QUEUE_MAX_ENTRY_SLOTS,
  WATCH_QUEUE_SLOT_SIZE,
  WATCH_TYPE_META,
} from '@kchan/uapi';
import { RingError } from './errors.js';
import {
  HEAD_WORD,
  LOST_WORD,
  ID_MASK,
  ID_SHIFT,
  LENGTH_MASK,
  LENGTH_SHIFT,
  MASK_WORD,
  SUBTYPE_SHIFT,
  TAIL_WORD,
  TYPE_FLAGS_MASK,
  TYPE_FLAGS_SHIFT,
  TYPE_MASK,
  ringSlots,
} from './layout.js';
import { loadAcquire, storeRelease } from './order.js';

/**
 * One entry as handed to a consume() callback. The reader reuses a single
 * instance for every entry (no allocation per notification): read what you
 * need inside the callback and do not keep the object.
 */
export class RingEntry {
  // The reader stores the entry's two header words and its slot, nothing
  // else (three stores per entry); every property below is derived on
  // demand. The words are kept as int32 so that V8 stores them as small
  // integers whatever their bits. The literals are uapi values, checked at
  // load (LITERALS_MATCH_UAPI).
  /** @internal The first header word (type | subtype << 24), as an int32. */
  hdr = 0;
  /** @internal The info word, as an int32. */
  inf = 0;
  /** @internal The entry's slot in the ring. */
  slot = 0;
  /** @internal The ring index the batch started at (for `index`). */
  base = 0;
  private readonly mask: number;
  private readonly words: Uint32Array;
  /** The whole ring as bytes; the entry is `bytes.subarray(offset, offset + byteLength)`. */
  readonly bytes: Uint8Array;
  /** The whole ring as a DataView (little-endian fields at `offset + n`). */
  readonly view: DataView;

  constructor(buffer: ArrayBufferLike, words: Uint32Array) {
    this.words = words;
    this.bytes = new Uint8Array(buffer);
    this.view = new DataView(buffer);
    this.mask = (words.length / 2 - 1) | 0;
  }

  /** Notification type (24 bits; WATCH_TYPE_*). */
  get type(): number {
    return this.hdr & 0xffffff; // WATCH_NOTIFICATION_TYPE__MASK
  }
  /** Subtype (8 bits). */
  get subtype(): number {
    return this.hdr >>> 24; // WATCH_NOTIFICATION_SUBTYPE__SHIFT
  }
  /** The raw info word (WATCH_INFO_*), unsigned. */
  get info(): number {
    return this.inf >>> 0;
  }
  /** Byte offset of the entry's header in the ring; the payload starts 8 bytes later. */
  get offset(): number {
    return this.slot << 3; // WATCH_QUEUE_SLOT_SIZE
  }
  /** Slots taken, header included (1..63). */
  get slots(): number {
    return (this.inf & 0x1f8) >>> 3; // WATCH_INFO_LENGTH, WATCH_INFO_LENGTH__SHIFT
  }
  /** The ring index of the entry (free-running slot count). */
  get index(): number {
    return (this.base + ((this.slot - this.base) & this.mask)) >>> 0;
  }

  /** The watch id (WATCH_INFO_ID). */
  get id(): number {
    return (this.info & ID_MASK) >>> ID_SHIFT;
  }
  /** Type-specific flags (WATCH_INFO_TYPE_FLAGS). */
  get typeFlags(): number {
    return (this.info & TYPE_FLAGS_MASK) >>> TYPE_FLAGS_SHIFT;
  }
  /** Notifications were lost just before this one (WATCH_INFO_OVERRUN). */
  get overrun(): boolean {
    return (this.info & WATCH_INFO_OVERRUN) !== 0;
  }
  /** Bytes of the entry including the header. */
  get byteLength(): number {
    return this.slots * WATCH_QUEUE_SLOT_SIZE;
  }
  /** A META/LOSS entry: `lost` notifications were dropped. */
  get isLoss(): boolean {
    return this.type === WATCH_TYPE_META && this.subtype === WATCH_META_LOSS_NOTIFICATION;
  }
  /** For a META/LOSS entry, the number of notifications lost (0 otherwise). */
  get lost(): number {
    if (!this.isLoss || this.slots < 2) return 0;
    const w = this.offset / 4 + 2;
    return (this.words[w] ?? 0) + (this.words[w + 1] ?? 0) * 2 ** 32;
  }
  /** A copy of the payload (allocates; for convenience outside the hot path). */
  payload(): Uint8Array {
    return this.bytes.slice(this.offset + WATCH_QUEUE_SLOT_SIZE, this.offset + this.byteLength);
  }
}

/** Header word of the META/SKIP entries (end-of-ring padding, the meta entry). */
const SKIP_HEADER = WATCH_TYPE_META | (WATCH_META_SKIP_NOTIFICATION << SUBTYPE_SHIFT);
/** Header word of a META/LOSS entry. */
const LOSS_HEADER = WATCH_TYPE_META | (WATCH_META_LOSS_NOTIFICATION << SUBTYPE_SHIFT);

/**
 * RingReader.drain() writes these four uapi values as literals. They are
 * ABI and cannot change, but if the spec ever said otherwise, fail at load
 * rather than misread rings.
 */
const LITERALS_MATCH_UAPI = LENGTH_MASK === 0x1f8 && LENGTH_SHIFT === 3 && TYPE_MASK === 0xffffff && SUBTYPE_SHIFT === 24 && WATCH_QUEUE_SLOT_SIZE === 8;
if (!LITERALS_MATCH_UAPI) throw new Error('@kchan/ring: the watch_queue layout in @kchan/uapi no longer matches RingReader.drain()');

/**
 * Most entries one drain() call delivers; processRing() calls it again for
 * the rest of the batch. Why: V8 allocates a function's feedback vector
 * only after it has run for a while, so the first long batch runs drain()'s
 * loop in the interpreter with no feedback for the code before and after
 * the loop, is compiled on the stack (OSR), and may get optimised code that
 * bails out at the first call for want of that feedback. If drain() is
 * then called once per batch, every later call enters the OSR code from the
 * interpreter, which reads at two thirds of the speed, for the life of the
 * process (2 to 6 of 24 fresh processes on Node 20: the "bimodal" runs of
 * docs/benchmarks.md; bench/variance.mjs). Called every DRAIN_CHUNK entries,
 * drain() gets its feedback and its ordinary optimised code within the
 * first batch. One more call per 2048 entries costs nothing measurable.
 */
const DRAIN_CHUNK = 2048;

/** Largest ring RingReader reads (2^30 slots, 8 GiB): slot counts stay int32. */
const MAX_READER_SLOTS = 2 ** 30;

/** Callback of consume(): gets the reused entry; may throw to stop the batch. */
export type RingCallback = (entry: RingEntry) => void;

/** Why RingReader.drain() returned. */
const STOP_DONE = 0;
const STOP_LOSS = 1;
const STOP_BAD = 2;

// Where RingReader.drain() stopped, and why: its other return values,
// without allocating, in the reader's own Int32Array (one per reader: a
// callback of one reader may drain another). Indices into it:
/** The head drain() loaded (as an int32). */
const S_HEAD = 0;
/** Slots drain() left unread (tail = head - left). */
const S_LEFT = 1;
/** Entries delivered before a callback threw. */
const S_N = 2;
/** STOP_DONE, STOP_LOSS or STOP_BAD. */
const S_WHY = 3;
/** For STOP_BAD, the malformed entry's length field. */
const S_LEN = 4;
/** What touchAhead() loaded, stored so that V8 keeps the loads. */
const S_AHEAD = 5;

const noop: RingCallback = () => {};

/**
 * How far ahead of tail processRing() brings the ring's cache lines in
 * (touchAhead()), in slots: 128 KiB, 2048 lines.
 */
const TOUCH_SLOTS = 16384;

/**
 * Loads one word of every other cache line (16 slots: the CPU's
 * adjacent-line prefetch brings the pair) of `slots` slots from `from` and
 * returns their sum, which the caller stores (so that V8 keeps the loads).
 * Why: the next entry's place depends on the current one's length, so
 * drain()'s loads form a chain the CPU cannot run ahead of, and in a ring
 * the kernel filled from another core each line of entries of several slots
 * is a cache miss after the one before. Here the loads depend on nothing and
 * overlap. Fill-mode bench (2026-12-07, this repository's host), 64-byte
 * entries: 0.39-0.43 of the C reader without it, 0.96-0.97 with it (every
 * line: the same; every fourth: 0.87). Lines already in this core's cache
 * gain nothing and cost the loads: 8-slot entries read in place drop from
 * ~207 to ~178 M/s, ~14 % (bench/variance.mjs --slots 8). With one-slot
 * entries (eight to a line) the hardware prefetcher keeps up on its own and
 * this would only cost: see `wide`.
 */
function touchAhead(words: Uint32Array, from: number, slots: number, mask: number): number {
  let acc = 0;
  for (let k = 0; k < slots; k = (k + 16) | 0) acc = (acc + (words[((from + k) & mask) << 1]! | 0)) | 0;
  return acc;
}

/**
 * Reads the watch_queue ring in any ArrayBuffer or SharedArrayBuffer (the
 * mmap'ed ring from the native addon, or a RingWriter's buffer).
 *
 * Memory order: head is loaded with acquire once per batch, tail is stored
 * with release once per batch (see ./order.ts). Everything else the reader
 * reads from the ring is validated: a malformed entry raises a RingError
 * with code 'ERING_CORRUPT' and leaves tail at the bad entry.
 */
export class RingReader {
  /** Number of slots in the ring. */
  readonly size: number;
  private readonly mask: number;
  private readonly words: Uint32Array;
  private readonly entry: RingEntry;
  /** drain()'s stop state (S_* indices). */
  private readonly stop = new Int32Array(6);
  /** Our copy of tail: only the reader writes tail, so it needs no load. */
  private tail: number;
  private lostTotal = 0;
  private consumedTotal = 0;
  /**
   * The last drain() averaged two slots or more per entry: touch the lines
   * ahead (touchAhead()). Decided per drain() call, outside its loop.
   */
  private wide = false;
  /** Slots per entry of the last drain() call that set `wide`, rounded up. */
  private slotsPerEntry = 1;
  /**
   * Lines up to this index have been touched (touchAhead()), kept across
   * batches, so that a reader taking a few entries per call (consumeN(1),
   * the iterators) does not touch the same lines again on every call.
   * Starts at tail (0 would look current to a ring whose indices are just
   * below a multiple of 2^32).
   */
  private touched = 0;
  /**
   * A batch is delivering: tail and the stop* variables belong to it, so a
   * consume() from its callback would deliver entries twice.
   */
  private delivering = false;

  constructor(buffer: ArrayBufferLike) {
    const size = ringSlots(buffer.byteLength);
    if (size === 0) throw new RingError('ERING_LAYOUT', `a ring of ${buffer.byteLength} bytes is not a power of two of at least 256 slots`);
    // processRing() keeps slot counts in int32. The kernel's largest ring is
    // WATCH_QUEUE_MAX_PAGES pages, far below this.
    if (size > MAX_READER_SLOTS) throw new RingError('ERING_LAYOUT', `a ring of ${size} slots is larger than the reader's limit of ${MAX_READER_SLOTS}`);
    this.words = new Uint32Array(buffer);
    // mask is user-writable memory: trust it only if it matches the mapping.
    const mask = this.words[MASK_WORD] ?? 0;
    if (mask + 1 !== size) throw new RingError('ERING_LAYOUT', `ring mask ${mask} does not match a mapping of ${size} slots`);
    this.size = size;
    this.mask = mask;
    this.entry = new RingEntry(buffer, this.words);
    this.tail = this.words[TAIL_WORD] ?? 0;
    this.touched = this.tail;
    // Run drain()'s exit once (max 0 delivers nothing and leaves tail), so
    // its stores have type feedback before the first long batch (drain()).
    try {
      this.drain(0, noop, loadAcquire(this.words, HEAD_WORD));
    } catch {
      // A bogus head: the first consume() reports it.
    }
  }

  /** Total notifications reported lost by loss entries seen so far. */
  get lost(): number {
    return this.lostTotal;
  }
  /**
   * Notifications the kernel dropped that no loss entry seen so far
   * reported: meta->lost (loaded with acquire) minus the loss entries seen,
   * mod 2^32. Exact once the ring is drained (pending() === 0): the head
   * acquire of the last batch orders every loss entry it saw after the
   * counts they report. 0 normally; after an overrun with no later post it
   * is the loss the next loss entry will report. Protocol version 2 (a
   * version 1 kernel leaves the field 0: the difference then reads as
   * negative and is clamped to 0).
   */
  checkLost(): number {
    const d = (loadAcquire(this.words, LOST_WORD) - this.lostTotal) | 0;
    return d > 0 ? d : 0;
  }
  /** Total entries handed to callbacks (loss entries included, skips excluded). */
  get consumed(): number {
    return this.consumedTotal;
  }

  /**
   * Slots between tail and head (0: empty). Loads head with acquire; pairs
   * with smp_store_release(&meta->head) in kchan_wq_post_locked().
   */
  pending(): number {
    return (loadAcquire(this.words, HEAD_WORD) - this.tail) >>> 0;
  }

  /** Deliver every available entry to `cb`; returns the number delivered. */
  consume(cb: RingCallback): number {
    return this.processRing(0x7fffffff, cb);
  }

  /** Deliver at most `n` entries to `cb`; returns the number delivered. */
  consumeN(cb: RingCallback, n: number): number {
    if (!(n > 0)) return 0;
    // A batch delivers at most `size` <= 2^30 entries, so clamping the
    // limit to INT32_MAX changes nothing (libbpf clamps to INT_MAX too).
    return this.processRing(n >= 0x7fffffff ? 0x7fffffff : Math.ceil(n), cb);
  }

  private corrupt(what: string, at: number): RingError {
    return new RingError('ERING_CORRUPT', `${what} at ring index ${at}`);
  }

  /**
   * One batch: drain() runs the entries, this handles what drain() stops
   * at (loss reports, malformed entries, a throwing callback) and
   * publishes tail once at the end. `max` is an int32 >= 1.
   */
  private processRing(max: number, cb: RingCallback): number {
    if (this.delivering) throw new RingError('ERING_REENTRANT', 'consume() called from inside a consume() callback');
    const start = this.tail;
    let n = 0;
    let inDrain = false;
    const stop = this.stop;
    this.delivering = true;
    try {
      // Contract step 2: pairs with smp_store_release(&meta->head, h) in
      // kchan_wq_post_locked() (kernel) / RingWriter.publish(): the entries
      // in [tail, head) are fully written before drain() reads them.
      let head = loadAcquire(this.words, HEAD_WORD);
      for (;;) {
        const from = this.tail;
        const want = max - n;
        if (this.wide) this.touchFrom(from, head, want);
        inDrain = true;
        const got = this.drain(want < DRAIN_CHUNK ? want : DRAIN_CHUNK, cb, head);
        n += got;
        inDrain = false;
        this.tail = (stop[S_HEAD]! - stop[S_LEFT]!) >>> 0;
        if (got > 0) {
          const slots = (this.tail - from) >>> 0;
          this.wide = slots >= 2 * got;
          if (this.wide) this.slotsPerEntry = Math.ceil(slots / got);
        }
        if (stop[S_WHY] === STOP_DONE) {
          // The end of a chunk (see DRAIN_CHUNK): go on up to the same head.
          if (stop[S_LEFT] === 0 || n >= max) break;
          continue;
        }
        if (stop[S_WHY] === STOP_BAD) {
          // The ring was unmapped under us (by the callback): its words
          // now read as zeros. Not corruption: stop.
          if (this.words.length === 0) break;
          const head = stop[S_HEAD]! >>> 0;
          const left = stop[S_LEFT]!;
          throw this.badEntry(stop[S_LEN]!, left, (head - left) & this.mask, head);
        }
        if (n >= max) break;
        // STOP_LOSS: a META/LOSS entry at tail; count what it reports and
        // deliver it. drain() checked its length.
        const entry = this.entry;
        const slot = this.tail & this.mask;
        const info = this.words[2 * slot + 1]!;
        entry.hdr = LOSS_HEADER | 0;
        entry.inf = info | 0;
        entry.slot = slot;
        entry.base = this.tail;
        this.tail = (this.tail + entry.slots) >>> 0;
        n++;
        this.lostTotal += entry.lost;
        cb(entry);
        head = loadAcquire(this.words, HEAD_WORD);
      }
    } catch (err) {
      if (inDrain) {
        // The callback threw inside drain(): the entry it threw on is consumed.
        this.tail = (stop[S_HEAD]! - stop[S_LEFT]!) >>> 0;
        n += stop[S_N]!;
      }
      this.publish(start, this.tail, n);
      throw err;
    } finally {
      this.delivering = false;
    }
    this.publish(start, this.tail, n);
    return n;
  }

  /**
   * Touches the lines of the entries the next drain() may read
   * (touchAhead()): from `from` up to `head`, TOUCH_SLOTS at most and no
   * further than `want` entries of the last size seen, skipping lines an
   * earlier call touched.
   */
  private touchFrom(from: number, head: number, want: number): void {
    let span = (head - from) >>> 0;
    if (span > TOUCH_SLOTS) span = TOUCH_SLOTS;
    const need = want * this.slotsPerEntry;
    if (span > need) span = need;
    // How far ahead of `from` the lines are touched already: at most
    // TOUCH_SLOTS when the mark is current; a stale mark (behind `from`)
    // reads as more, and counts for nothing.
    let done = (this.touched - from) >>> 0;
    if (done > TOUCH_SLOTS) done = 0;
    if (done < span) {
      this.stop[S_AHEAD] = touchAhead(this.words, (from + done) >>> 0, span - done, this.mask);
      this.touched = (from + span) >>> 0;
    }
  }

  /**
   * The hot loop: deliver entries from tail until `head` (loaded by the
   * caller with acquire), `max` entries, a loss report or a malformed entry;
   * returns the count and leaves the rest in this.stop (S_* indices). It
   * does not move this.tail.
   *
   * Why the loop exits into nothing but stores of locals into this
   * reader's Int32Array: V8. The first long batch runs this function in the
   * interpreter until V8 compiles the running loop on the stack (OSR). Code
   * after the loop that has not run yet then has no type feedback, the OSR
   * code bails out there on its way out, and V8 enters the same OSR code
   * again on the next call, bails out again, and so on for the life of the
   * process (an earlier form of the bimodal rates of DRAIN_CHUNK's comment,
   * seen in round one before the exit was reduced to these stores).
   * So the exit only stores locals into this reader's Int32Array, and the
   * constructor runs drain(0) once so that those stores have feedback
   * before the first batch: every exit of the loop stays in the optimised
   * code. (Module variables, which need no feedback, did the same, but one
   * set shared by all readers was right only by the order of its writes.) For the same reason the rare
   * cases (loss reports, malformed entries) leave the loop instead of
   * running code of their own inside it.
   * That drain(0) runs before V8 has a feedback vector for drain() and so
   * records nothing: DRAIN_CHUNK is what gets the rest of the function its
   * feedback in time.
   */
  private drain(max: number, cb: RingCallback, head: number): number {
    // Everything the loop uses is a local int32 (`| 0`): the fields and the
    // module-level constants (which tsup emits as module `var`s) would
    // otherwise be reloaded and re-checked as tagged values on every entry.
    // The field masks and shifts are literals in the loop (checked against
    // @kchan/uapi at load, see LITERALS_MATCH_UAPI): V8 folds a literal into
    // the instruction, where a local costs a register or a stack reload. All
    // arithmetic is `| 0`-wrapped so V8 needs no overflow checks.
    const words = this.words;
    const mask = this.mask | 0;
    const size = this.size | 0;
    const entry = this.entry;
    const stop = this.stop;
    const start = this.tail;
    entry.base = start;
    const skipHeader = SKIP_HEADER | 0;
    const lossHeader = LOSS_HEADER | 0;
    // If this throws, the caller keeps tail where it is (start - 0).
    stop[S_HEAD] = start;
    stop[S_LEFT] = 0;
    stop[S_N] = 0;
    // Slots in [tail, head) not read yet. Counting them down rather than
    // comparing free-running u32 indices keeps the loop in int32; the
    // tail is head - left.
    let left = (head - start) >>> 0;
    if (left > size) throw this.corrupt(`head ${head} more than a ring ahead of tail`, start);
    left |= 0;
    let n = 0;
    let why = STOP_DONE;
    let bad = 0;
    try {
      while (left !== 0 && n < max) {
        const slot = (head - left) & mask;
        const w0 = words[slot << 1]! | 0;
        const info = words[(slot << 1) | 1]!;
        // WATCH_INFO_LENGTH, WATCH_INFO_LENGTH__SHIFT
        const len = (info & 0x1f8) >>> 3;
        // One branch for the three ways an entry can be malformed: length 0,
        // past head, across the end of the ring (badEntry() tells which).
        if (len === 0 || len > left || ((slot + len) | 0) > size) {
          why = STOP_BAD;
          bad = len;
          break;
        }
        // type (24 bits) and subtype (8 bits) make up the header word:
        // compare it whole.
        if (w0 === lossHeader) {
          why = STOP_LOSS;
          break;
        }
        // Consumed even if the callback throws (libbpf's rule): a bad
        // entry must not be redelivered forever. A skip entry (the end of
        // the ring, once per lap) goes through the same subtraction as the
        // others rather than one of its own: an operation that has not run
        // when V8 optimises drain() has no type feedback, and the optimised
        // code would bail out at the first skip (see DRAIN_CHUNK).
        left = (left - len) | 0;
        if (w0 !== skipHeader) {
          entry.hdr = w0;
          entry.inf = info | 0;
          entry.slot = slot;
          n = (n + 1) | 0;
          cb(entry);
        }
      }
    } catch (err) {
      stop[S_HEAD] = head;
      stop[S_LEFT] = left;
      stop[S_N] = n;
      throw err;
    }
    stop[S_HEAD] = head;
    stop[S_LEFT] = left;
    stop[S_WHY] = why;
    stop[S_LEN] = bad;
    return n;
  }

  /** Publish `tail` (if it moved) after a batch that delivered `n` entries. */
  private publish(start: number, tail: number, n: number): void {
    if (tail === start) return;
    this.tail = tail;
    this.consumedTotal += n;
    if (this.words.length === 0) return; // unmapped: nobody to tell
    // Contract step 3: pairs with smp_load_acquire(&meta->tail) in
    // kchan_wq_post_locked() (step 4): we are done reading the slots
    // below tail before the kernel may reuse them.
    storeRelease(this.words, TAIL_WORD, tail);
  }

  /** The RingError for the malformed entry `left` slots before head (off the hot path). */
  private badEntry(len: number, left: number, slot: number, head: number): RingError {
    const at = (head - left) >>> 0;
    if (len === 0) return this.corrupt('entry of length 0', at);
    if (len > left) return this.corrupt(`entry of ${len} slots past head ${head}`, at);
    return this.corrupt(`entry of ${len} slots across the end of the ring (slot ${slot})`, at);
  }
}

export const MAX_ENTRY_SLOTS = WATCH_QUEUE_MAX_ENTRY_SLOTS;
