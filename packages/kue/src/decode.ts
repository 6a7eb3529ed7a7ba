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

function corrupt(offset: number, why: string): KueError {
  return new KueError('ERR_KUE_CORRUPT', `corrupt kue record at offset ${offset}: ${why}`);
}

/**
 * Decode the `length` bytes a read() returned into `buf`: whole records
 * only, each a header, its payload and zero padding to KUE_RECORD_ALIGN.
 * Throws KueError('ERR_KUE_CORRUPT') for a truncated or inconsistent buffer.
 */
export function decodeRecords(buf: Uint8Array, length: number, copy = false): KueMessage[] {
  if (!Number.isInteger(length) || length < 0 || length > buf.byteLength) {
    throw new RangeError(`length ${length} out of range [0, ${buf.byteLength}]`);
  }
  const view = new DataView(buf.buffer, buf.byteOffset, length);
  const out: KueMessage[] = [];
  let off = 0;
  while (off < length) {
    if (length - off < KUE_HDR_SIZE) throw corrupt(off, `${length - off} bytes left, header needs ${KUE_HDR_SIZE}`);
    // u64 size, read as two u32 halves: no BigInt on the hot path.
    const size = view.getUint32(off, true);
    if (view.getUint32(off + 4, true) !== 0 || size > KUE_MAX_MSG_SIZE) {
      throw corrupt(off, `size ${kueMsgHdrSize(view, off)} exceeds KUE_MAX_MSG_SIZE`);
    }
    const rec = recordSize(size);
    if (rec > length - off) throw corrupt(off, `record of ${rec} bytes truncated to ${length - off}`);
    const seq = kueMsgHdrSeq(view, off);
    if (seq === 0n) throw corrupt(off, 'sequence number 0');
    const flags = kueMsgHdrFlags(view, off);
    const lost = kueMsgHdrLost(view, off);
    if ((flags & ~KUE_MSG_FLAG_LOST) !== 0) throw corrupt(off, `unknown flags 0x${flags.toString(16)}`);
    if (((flags & KUE_MSG_FLAG_LOST) !== 0) !== (lost !== 0)) throw corrupt(off, `flags 0x${flags.toString(16)} disagree with lost ${lost}`);
    const start = off + KUE_HDR_SIZE;
    const payload = copy ? buf.slice(start, start + size) : buf.subarray(start, start + size);
    out.push({ seq, flags, lost, payload });
    off += rec;
  }
  return out;
}
