import {
  KUE_MAX_MSG_SIZE,
  KUE_MSG_FLAG_LOST,
  KUE_RECORD_ALIGN,
  KueMsgHdrLayout,
  kueMsgHdrSeq,
} from '@kchan/uapi';

import { KueError } from './errors.js';

/** Bytes of `struct kue_msg_hdr`. */
export const KUE_HDR_SIZE: number = KueMsgHdrLayout.size;

/** The largest record read() can return: header + KUE_MAX_MSG_SIZE payload. */
export const KUE_MAX_RECORD_SIZE: number = KUE_HDR_SIZE + KUE_MAX_MSG_SIZE;

/** One message read from /dev/kue. */
export interface KueMessage {
  /** Sequence number (from 1 per module load; gaps are recalled or lost messages). */
  readonly seq: bigint;
  /** KUE_MSG_FLAG_* */
  readonly flags: number;
  /** Messages this reader lost just before this one (0 unless KUE_MSG_FLAG_LOST). */
  readonly lost: number;
  /**
   * The payload. Without `copy`, a view into the reader's batch buffer, valid
   * only until the reader's next read() (the next batch); with `copy`, a
   * private copy.
   */
  readonly payload: Uint8Array;
}

/** Bytes a record with `size` payload bytes takes in a read() buffer. */
export function recordSize(size: number): number {
  return KUE_HDR_SIZE + Math.ceil(size / KUE_RECORD_ALIGN) * KUE_RECORD_ALIGN;
}

// Header fields, as indexes of 32-bit words from the record's start: the
// decoder reads u32 halves (no BigInt per record) through a Uint32Array,
// in the host's byte order, as the kernel wrote them.
const F = KueMsgHdrLayout.fields;
const SIZE_LO = F.size.offset >>> 2;
const SEQ_LO = F.seq.offset >>> 2;
const FLAGS = F.flags.offset >>> 2;
const LOST = F.lost.offset >>> 2;
const ALIGN_MASK = KUE_RECORD_ALIGN - 1;

/** The u64 at word `i` (low word first, host order) as a number: exact up to 2^53. */
function u64At(words: Uint32Array, i: number): number {
  return words[i + 1]! * 4294967296 + words[i]!;
}

/**
 * One message as handed to KueReader.consume()'s callback. The reader
 * reuses a single instance for every message (no allocation per message):
 * read what you need inside the callback and do not keep the object. The
 * payload lives in the reader's buffer, valid until its next read.
 */
export class KueRecord {
  /** KUE_MSG_FLAG_* */
  flags = 0;
  /** Messages this reader lost just before this one (0 unless KUE_MSG_FLAG_LOST). */
  lost = 0;
  /** Payload bytes. */
  size = 0;
  /** Byte offset of the payload in `bytes`. */
  offset = 0;
  /** The reader's read buffer: the payload is `bytes[offset, offset + size)`. */
  readonly bytes: Uint8Array;
  /** @internal A DataView of `bytes`, for seqBig. */
  readonly view: DataView;
  /** @internal wordsOf(bytes): the decoder's and seq's view of the headers. */
  readonly words: Uint32Array;

  /** @internal `bytes` must start 4-byte aligned. */
  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.words = wordsOf(bytes);
  }

  /**
   * Sequence number, as a number: exact up to 2^53 (at a million messages a
   * second, 285 years after the module was loaded); `seqBig` is the u64.
   * Read from the header when asked for: a callback that does not need it
   * does not pay for it (two word loads and a floating-point multiply-add,
   * ~20% of decoding a record in the emulator the benchmarks run in).
   */
  get seq(): number {
    if (this.offset < KUE_HDR_SIZE) return 0;
    const i = (this.offset - KUE_HDR_SIZE) >>> 2;
    return u64At(this.words, i + SEQ_LO);
  }

  /** The payload as a view into the reader's buffer (allocates the view object). */
  get payload(): Uint8Array {
    return this.bytes.subarray(this.offset, this.offset + this.size);
  }

  /** The sequence number as the u64 the kernel sent (read from the header again). */
  get seqBig(): bigint {
    return kueMsgHdrSeq(this.view, this.offset - KUE_HDR_SIZE);
  }

  /** A KueMessage that outlives the callback (copies the payload). */
  toMessage(): KueMessage {
    return { seq: this.seqBig, flags: this.flags, lost: this.lost, payload: this.bytes.slice(this.offset, this.offset + this.size) };
  }
}

/** Where decodeEach() got to. */
export interface DecodeCursor {
  /** The offset after the last record delivered. */
  offset: number;
  /** Records delivered (added to). */
  delivered: number;
  /** Sum of their `lost` counts (added to). */
  lost: number;
}

/** 32-bit words over the same memory as `bytes`, which must start 4-byte aligned. */
export function wordsOf(bytes: Uint8Array): Uint32Array {
  return new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 2);
}

/** readRecord()'s codes for a malformed record. */
const BAD_HEADER = -1;
const BAD_SIZE = -2;
const BAD_TRUNCATED = -3;
const BAD_SEQ = -4;
const BAD_FLAGS = -5;

/**
 * The one record check. Reads the record at `off` in [off, end) of
 * `rec.bytes` (`words` is rec.words) into `rec` and returns its
 * length: a header, `size` payload bytes and zero padding to
 * KUE_RECORD_ALIGN. A truncated or inconsistent record returns a negative
 * BAD_* code instead (see corruptError()).
 *
 * Hot path (once per message): word loads rather than DataView calls, one
 * branch for the flags and loss count. Small enough to be inlined into both
 * of its callers, so consume()'s loop (decodeEach()) keeps a call site of its
 * own for the callback; decodeNext() serves every other reader.
 */
function readRecord(words: Uint32Array, off: number, end: number, rec: KueRecord): number {
  if (end - off < KUE_HDR_SIZE) return BAD_HEADER;
  const i = off >>> 2;
  const size = words[i + SIZE_LO]!;
  if (words[i + SIZE_LO + 1]! !== 0 || size > KUE_MAX_MSG_SIZE) return BAD_SIZE;
  const len = KUE_HDR_SIZE + ((size + ALIGN_MASK) & ~ALIGN_MASK);
  if (len > end - off) return BAD_TRUNCATED;
  const seqLo = words[i + SEQ_LO]!;
  const seqHi = words[i + SEQ_LO + 1]!;
  if ((seqLo | seqHi) === 0) return BAD_SEQ;
  const flags = words[i + FLAGS]!;
  const lost = words[i + LOST]!;
  if ((flags | lost) !== 0 && (flags !== KUE_MSG_FLAG_LOST || lost === 0)) return BAD_FLAGS;
  rec.flags = flags;
  rec.lost = lost;
  rec.size = size;
  rec.offset = off + KUE_HDR_SIZE;
  return len;
}

/** The KueError for readRecord()'s `code` at `off` (the cold path: it reads the header again). */
function corruptError(code: number, words: Uint32Array, off: number, end: number): KueError {
  const i = off >>> 2;
  let why: string;
  if (code === BAD_HEADER) {
    why = `${end - off} bytes left, header needs ${KUE_HDR_SIZE}`;
  } else if (code === BAD_SIZE) {
    why = `size ${u64At(words, i + SIZE_LO)} exceeds KUE_MAX_MSG_SIZE`;
  } else if (code === BAD_TRUNCATED) {
    why = `record of ${recordSize(words[i + SIZE_LO]!)} bytes truncated to ${end - off}`;
  } else if (code === BAD_SEQ) {
    why = 'sequence number 0';
  } else {
    const flags = words[i + FLAGS]!;
    why =
      (flags & ~KUE_MSG_FLAG_LOST) !== 0
        ? `unknown flags 0x${flags.toString(16)}`
        : `flags 0x${flags.toString(16)} disagree with lost ${words[i + LOST]!}`;
  }
  return new KueError('ERR_KUE_CORRUPT', `corrupt kue record at offset ${off}: ${why}`);
}

/**
 * Delivers the records in [cursor.offset, end) of `rec.bytes` to `cb`
 * through `rec` (see readRecord()). The cursor and counts are updated once,
 * in `finally`, past the last record handed to `cb` (a record is consumed
 * even if the callback throws); `cb` must not decode into `rec` or use
 * `cursor` itself (KueReader forbids reads from the callback). A malformed
 * record throws KueError('ERR_KUE_CORRUPT') and moves the cursor to `end`:
 * nothing after it can be found, the rest of the read is dropped.
 *
 * Checked (2026-12-07) for the ring reader's V8 trap (its DRAIN_CHUNK and
 * test/jit.test.ts): a read of 20 000 records is compiled through on-stack
 * replacement, and after the first LOST record this loop is entered through
 * OSR on every read. Unlike the ring's, that code reads as fast as the
 * ordinary optimised code here (steady state, in-memory device, this host:
 * 105-116 M records/s as it is, 95-111 with bounded calls and a LOST check
 * without `&&`), so it is left as it is.
 */
export function decodeEach(rec: KueRecord, end: number, cursor: DecodeCursor, cb: (rec: KueRecord) => void): void {
  const words = rec.words;
  let off = cursor.offset;
  let delivered = 0;
  let lostSum = 0;
  try {
    while (off < end) {
      const len = readRecord(words, off, end, rec);
      if (len < 0) {
        const err = corruptError(len, words, off, end);
        off = end;
        throw err;
      }
      // Past the record before the callback: if it throws, the record is
      // consumed (the finally block stores the cursor).
      off += len;
      delivered++;
      lostSum += rec.lost;
      cb(rec);
    }
  } finally {
    cursor.offset = off;
    cursor.delivered += delivered;
    cursor.lost += lostSum;
  }
}

/**
 * Reads the record at cursor.offset (below `end`) into `rec` and moves the
 * cursor past it (the counts are the caller's). A malformed record throws
 * KueError('ERR_KUE_CORRUPT') and leaves the cursor where it was.
 */
export function decodeNext(rec: KueRecord, end: number, cursor: DecodeCursor): void {
  const off = cursor.offset;
  const len = readRecord(rec.words, off, end, rec);
  if (len < 0) throw corruptError(len, rec.words, off, end);
  cursor.offset = off + len;
}

/** The record `rec` holds as a KueMessage: payload a view into its buffer, or a copy. */
export function messageOf(rec: KueRecord, copy: boolean): KueMessage {
  return copy ? rec.toMessage() : { seq: rec.seqBig, flags: rec.flags, lost: rec.lost, payload: rec.payload };
}

/**
 * Decode the `length` bytes a read() returned into `buf` (see readRecord())
 * into KueMessage objects. Payloads are views into `buf` unless `copy` is
 * set, or unless `buf` does not start 4-byte aligned (then views into one
 * private copy of its bytes). Throws KueError('ERR_KUE_CORRUPT') for a
 * truncated or inconsistent buffer.
 */
export function decodeRecords(buf: Uint8Array, length: number, copy = false): KueMessage[] {
  if (!Number.isInteger(length) || length < 0 || length > buf.byteLength) {
    throw new RangeError(`length ${length} out of range [0, ${buf.byteLength}]`);
  }
  const out: KueMessage[] = [];
  // Words: an unaligned buffer is decoded from an aligned copy (its payload
  // views then point into the copy).
  const rec = new KueRecord(buf.byteOffset % 4 === 0 ? buf.subarray(0, length) : buf.slice(0, length));
  const cursor: DecodeCursor = { offset: 0, delivered: 0, lost: 0 };
  while (cursor.offset < length) {
    decodeNext(rec, length, cursor);
    out.push(messageOf(rec, copy));
  }
  return out;
}
