import {
  KUE_MAX_MSG_SIZE,
  KUE_MSG_FLAG_LOST,
  KUE_RECORD_ALIGN,
  KueMsgHdrLayout,
  kueMsgHdrFlags,
  kueMsgHdrLost,
  kueMsgHdrSeq,
  kueMsgHdrSize,
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

// Header fields the decoder reads as u32 halves (no BigInt per record).
const F = KueMsgHdrLayout.fields;
const SIZE = F.size.offset;
const SEQ = F.seq.offset;
const ALIGN_MASK = KUE_RECORD_ALIGN - 1;

/**
 * One message as handed to KueReader.consume()'s callback. The reader
 * reuses a single instance for every message (no allocation per message):
 * read what you need inside the callback and do not keep the object. The
 * payload lives in the reader's buffer, valid until its next read.
 */
export class KueRecord {
  /**
   * Sequence number, as a number: exact up to 2^53 (at a million messages a
   * second, 285 years after the module was loaded); `seqBig` is the u64.
   */
  seq = 0;
  /** KUE_MSG_FLAG_* */
  flags = 0;
  /** Messages this reader lost just before this one (0 unless KUE_MSG_FLAG_LOST). */
  lost = 0;
  /** Payload bytes. */
  size = 0;
  /** Byte offset of the payload in `bytes`. */
  offset = 0;
  /** The reader's read buffer: the payload is `bytes[offset, offset + size)`. */
  bytes: Uint8Array;
  /** @internal A DataView of `bytes`, for seqBig. */
  view: DataView;

  /** @internal */
  constructor(bytes: Uint8Array, view: DataView) {
    this.bytes = bytes;
    this.view = view;
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

/**
 * The error for a malformed record at `offset`. Nothing after it can be
 * found, so the cursor skips to `end`: the rest of the read is dropped.
 */
function corrupt(cursor: DecodeCursor, end: number, offset: number, why: string): KueError {
  cursor.offset = end;
  return new KueError('ERR_KUE_CORRUPT', `corrupt kue record at offset ${offset}: ${why}`);
}

/**
 * The one record decoder. Delivers the records in [cursor.offset, end) of
 * `view` to `cb` through `rec` (whose `bytes` and `view` are that memory): whole records only, each a header, its payload and zero padding
 * to KUE_RECORD_ALIGN. Moves the cursor past each record before its
 * callback runs (a record is consumed even if the callback throws). A
 * truncated or inconsistent record throws KueError('ERR_KUE_CORRUPT') and
 * moves the cursor to `end`.
 */
export function decodeEach(view: DataView, end: number, cursor: DecodeCursor, rec: KueRecord, cb: (rec: KueRecord) => void): void {
  let off = cursor.offset;
  while (off < end) {
    if (end - off < KUE_HDR_SIZE) throw corrupt(cursor, end, off, `${end - off} bytes left, header needs ${KUE_HDR_SIZE}`);
    const size = view.getUint32(off + SIZE, true);
    if (view.getUint32(off + SIZE + 4, true) !== 0 || size > KUE_MAX_MSG_SIZE) {
      throw corrupt(cursor, end, off, `size ${kueMsgHdrSize(view, off)} exceeds KUE_MAX_MSG_SIZE`);
    }
    const len = KUE_HDR_SIZE + ((size + ALIGN_MASK) & ~ALIGN_MASK);
    if (len > end - off) throw corrupt(cursor, end, off, `record of ${len} bytes truncated to ${end - off}`);
    const seqLo = view.getUint32(off + SEQ, true);
    const seqHi = view.getUint32(off + SEQ + 4, true);
    if (seqLo === 0 && seqHi === 0) throw corrupt(cursor, end, off, 'sequence number 0');
    const flags = kueMsgHdrFlags(view, off);
    const lost = kueMsgHdrLost(view, off);
    if ((flags & ~KUE_MSG_FLAG_LOST) !== 0) throw corrupt(cursor, end, off, `unknown flags 0x${flags.toString(16)}`);
    if (((flags & KUE_MSG_FLAG_LOST) !== 0) !== (lost !== 0)) throw corrupt(cursor, end, off, `flags 0x${flags.toString(16)} disagree with lost ${lost}`);
    rec.seq = seqHi * 4294967296 + seqLo;
    rec.flags = flags;
    rec.lost = lost;
    rec.size = size;
    rec.offset = off + KUE_HDR_SIZE;
    off += len;
    cursor.offset = off;
    cursor.delivered++;
    if (lost !== 0) cursor.lost += lost;
    cb(rec);
  }
}

/**
 * Decode the `length` bytes a read() returned into `buf` (see decodeEach())
 * into KueMessage objects. Throws KueError('ERR_KUE_CORRUPT') for a
 * truncated or inconsistent buffer.
 */
export function decodeRecords(buf: Uint8Array, length: number, copy = false): KueMessage[] {
  if (!Number.isInteger(length) || length < 0 || length > buf.byteLength) {
    throw new RangeError(`length ${length} out of range [0, ${buf.byteLength}]`);
  }
  const out: KueMessage[] = [];
  const view = new DataView(buf.buffer, buf.byteOffset, length);
  decodeEach(view, length, { offset: 0, delivered: 0, lost: 0 }, new KueRecord(buf, view), (r) => {
    out.push(copy ? r.toMessage() : { seq: r.seqBig, flags: r.flags, lost: r.lost, payload: r.payload });
  });
  return out;
}
