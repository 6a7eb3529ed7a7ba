// KueRecord and the allocation-free decoding behind KueReader.consume().
import { KUE_MAX_MSG_SIZE, KUE_MSG_FLAG_LOST, KUE_RECORD_ALIGN, KueMsgHdrLayout } from '@kchan/uapi';

import { KUE_HDR_SIZE, type KueMessage } from './decode.js';
import { KueError } from './errors.js';

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
  /** @internal The u64 halves of seq, for seqBig. */
  seqHi = 0;
  /** @internal */
  seqLo = 0;

  /** @internal */
  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  /** The payload as a view into the reader's buffer (allocates the view object). */
  get payload(): Uint8Array {
    return this.bytes.subarray(this.offset, this.offset + this.size);
  }

  /** The sequence number as the u64 the kernel sent. */
  get seqBig(): bigint {
    return (BigInt(this.seqHi) << 32n) | BigInt(this.seqLo);
  }

  /** A KueMessage that outlives the callback (copies the payload). */
  toMessage(): KueMessage {
    return { seq: this.seqBig, flags: this.flags, lost: this.lost, payload: this.bytes.slice(this.offset, this.offset + this.size) };
  }
}

// u32 word indexes of the header fields (host byte order, as the kernel
// writes them; the low half of a u64 comes first on a little-endian host).
const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const F = KueMsgHdrLayout.fields;
const SIZE_LO = F.size.offset / 4 + (LITTLE ? 0 : 1);
const SIZE_HI = F.size.offset / 4 + (LITTLE ? 1 : 0);
const SEQ_LO = F.seq.offset / 4 + (LITTLE ? 0 : 1);
const SEQ_HI = F.seq.offset / 4 + (LITTLE ? 1 : 0);
const FLAGS = F.flags.offset / 4;
const LOST = F.lost.offset / 4;
const ALIGN_MASK = KUE_RECORD_ALIGN - 1;

/**
 * The error for a malformed record at `offset`. Nothing after it can be
 * found, so the cursor skips to `end`: the rest of the read is dropped.
 */
function corrupt(cursor: DecodeCursor, end: number, offset: number, why: string): KueError {
  cursor.offset = end;
  return new KueError('ERR_KUE_CORRUPT', `corrupt kue record at offset ${offset}: ${why}`);
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
 * Deliver the records in bytes [cursor.offset, end) of the buffer behind
 * `words` to `cb` through `rec`, with the checks of decodeRecords(). Moves
 * the cursor past each record before its callback runs (a record is
 * consumed even if the callback throws). A malformed record throws
 * KueError('ERR_KUE_CORRUPT') and moves the cursor to `end`.
 */
export function decodeEach(words: Uint32Array, end: number, cursor: DecodeCursor, rec: KueRecord, cb: (rec: KueRecord) => void): void {
  let off = cursor.offset;
  while (off < end) {
    if (end - off < KUE_HDR_SIZE) throw corrupt(cursor, end, off, `${end - off} bytes left, header needs ${KUE_HDR_SIZE}`);
    const w = off >>> 2;
    const size = words[w + SIZE_LO]!;
    if (words[w + SIZE_HI] !== 0 || size > KUE_MAX_MSG_SIZE) throw corrupt(cursor, end, off, 'size exceeds KUE_MAX_MSG_SIZE');
    const len = KUE_HDR_SIZE + ((size + ALIGN_MASK) & ~ALIGN_MASK);
    if (len > end - off) throw corrupt(cursor, end, off, `record of ${len} bytes truncated to ${end - off}`);
    const seqLo = words[w + SEQ_LO]!;
    const seqHi = words[w + SEQ_HI]!;
    if (seqLo === 0 && seqHi === 0) throw corrupt(cursor, end, off, 'sequence number 0');
    const flags = words[w + FLAGS]!;
    const lost = words[w + LOST]!;
    if ((flags & ~KUE_MSG_FLAG_LOST) !== 0) throw corrupt(cursor, end, off, `unknown flags 0x${flags.toString(16)}`);
    if (((flags & KUE_MSG_FLAG_LOST) !== 0) !== (lost !== 0)) throw corrupt(cursor, end, off, `flags 0x${flags.toString(16)} disagree with lost ${lost}`);
    rec.seq = seqHi * 4294967296 + seqLo;
    rec.seqHi = seqHi;
    rec.seqLo = seqLo;
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
