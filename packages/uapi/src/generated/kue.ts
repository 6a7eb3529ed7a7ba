// Do not edit: generated from packages/uapi/spec/kchan.yaml by packages/uapi/scripts/gen.mjs (mode: ts)
/**
 * kchan kue (/dev/kue), protocol version 2: A kernel-to-user message queue (after Inaky
 * Perez-Gonzalez' 2003 kue). Kernel code sends messages; every open fd reads each message once,
 * whole, in order.
 */

import type { BitsLayout, IoctlLayout, StructLayout } from '../layout.js';

/** The device node. */
export const KUE_DEVICE_PATH = '/dev/kue';

/** The kue contract (also in the C header and docs/protocol/kue.md). */
export const KUE_CONTRACT = "read() fills the buffer with as many whole records as fit. A record\nis a `struct kue_msg_hdr` followed by `size` payload bytes, padded\nwith zeros to a multiple of KUE_RECORD_ALIGN. It returns EAGAIN when\nnothing is queued and the fd is non-blocking (it blocks otherwise),\nand EFBIG, without moving the cursor, when the buffer cannot hold\nthe first record.\n\nEach fd has a cursor (a sequence number). An fd opened later starts\nat the next new message. A message is freed when every reader has\npassed it (or recalled by its sender).\n\nLoss. The queue holds at most `kue_limit_bytes` of payload (module\nparameter). When a send exceeds it the oldest messages are dropped;\na reader whose cursor was behind learns how many it lost: its next\nrecord carries KUE_MSG_FLAG_LOST and the exact count in `lost`.";

/** Records start at multiples of this many bytes. */
export const KUE_RECORD_ALIGN = 8;
/** Largest payload kue_send_event accepts. */
export const KUE_MAX_MSG_SIZE = 1048576;

/** Bitset kue_msg_flag (u32): Record flags. Use bitsGet/bitsSet with these entries. */
export const KueMsgFlag = {
  /** `lost` messages before this one were dropped for this reader. */
  LOST: { shift: 0, width: 1, mask: 0x1 },
} as const satisfies Readonly<Record<string, BitsLayout>>;
export const KUE_MSG_FLAG_LOST = 0x1;
export const KUE_MSG_FLAG_LOST__SHIFT = 0;

/** struct kue_msg_hdr: The header of every record returned by read(). */
export interface KueMsgHdr {
  /** Payload bytes after the header. */
  size: bigint;
  /** Sequence number of the message (from 1, per module load). */
  seq: bigint;
  /** KUE_MSG_FLAG_* */
  flags: number;
  /** Messages this reader lost just before this one. */
  lost: number;
}

/** Input of encodeKueMsgHdr: like KueMsgHdr, with reserved fields optional (default 0). */
export interface KueMsgHdrInit {
  /** Payload bytes after the header. */
  size: bigint;
  /** Sequence number of the message (from 1, per module load). */
  seq: bigint;
  /** KUE_MSG_FLAG_* */
  flags: number;
  /** Messages this reader lost just before this one. */
  lost: number;
}

/** Layout of struct kue_msg_hdr (size 24, alignment 8). */
export const KueMsgHdrLayout = {
  name: 'kue_msg_hdr',
  size: 24,
  align: 8,
  fields: {
    size: { offset: 0, size: 8, type: 'u64' },
    seq: { offset: 8, size: 8, type: 'u64' },
    flags: { offset: 16, size: 4, type: 'u32', bitset: 'kue_msg_flag' },
    lost: { offset: 20, size: 4, type: 'u32' },
  },
} as const satisfies StructLayout;

/** struct kue_msg_hdr.size (u64 at offset 0); no allocation beyond the bigint. */
export function kueMsgHdrSize(view: DataView, offset: number): bigint {
  return view.getBigUint64(offset, true);
}
export function setKueMsgHdrSize(view: DataView, offset: number, value: bigint): void {
  view.setBigUint64(offset, value, true);
}
/** struct kue_msg_hdr.seq (u64 at offset 8); no allocation beyond the bigint. */
export function kueMsgHdrSeq(view: DataView, offset: number): bigint {
  return view.getBigUint64(offset + 8, true);
}
export function setKueMsgHdrSeq(view: DataView, offset: number, value: bigint): void {
  view.setBigUint64(offset + 8, value, true);
}
/** struct kue_msg_hdr.flags (u32 at offset 16); no allocation. */
export function kueMsgHdrFlags(view: DataView, offset: number): number {
  return view.getUint32(offset + 16, true);
}
export function setKueMsgHdrFlags(view: DataView, offset: number, value: number): void {
  view.setUint32(offset + 16, value, true);
}
/** struct kue_msg_hdr.lost (u32 at offset 20); no allocation. */
export function kueMsgHdrLost(view: DataView, offset: number): number {
  return view.getUint32(offset + 20, true);
}
export function setKueMsgHdrLost(view: DataView, offset: number, value: number): void {
  view.setUint32(offset + 20, value, true);
}

/** Decode struct kue_msg_hdr at `offset`. */
export function decodeKueMsgHdr(view: DataView, offset: number): KueMsgHdr {
  return {
    size: kueMsgHdrSize(view, offset),
    seq: kueMsgHdrSeq(view, offset),
    flags: kueMsgHdrFlags(view, offset),
    lost: kueMsgHdrLost(view, offset),
  };
}

/**
 * Encode struct kue_msg_hdr at `offset`; every byte of the struct is written. Returns the bytes
 * written.
 */
export function encodeKueMsgHdr(view: DataView, offset: number, value: KueMsgHdrInit): number {
  view.setBigUint64(offset, value.size, true);
  view.setBigUint64(offset + 8, value.seq, true);
  view.setUint32(offset + 16, value.flags, true);
  view.setUint32(offset + 20, value.lost, true);
  return 24;
}

/** struct kue_info: Argument of KUE_IOC_INFO (queue and reader state). */
export interface KueInfo {
  /** Messages held by the queue. */
  queued_msgs: bigint;
  /** Payload bytes held by the queue. */
  queued_bytes: bigint;
  /** The memory bound (module parameter kue_limit_bytes). */
  limit_bytes: bigint;
  /** Sequence number the next message will get. */
  next_seq: bigint;
  /** This fd's next sequence number to read. */
  cursor: bigint;
  /** Messages this fd has lost in all. */
  lost: bigint;
}

/** Input of encodeKueInfo: like KueInfo, with reserved fields optional (default 0). */
export interface KueInfoInit {
  /** Messages held by the queue. */
  queued_msgs: bigint;
  /** Payload bytes held by the queue. */
  queued_bytes: bigint;
  /** The memory bound (module parameter kue_limit_bytes). */
  limit_bytes: bigint;
  /** Sequence number the next message will get. */
  next_seq: bigint;
  /** This fd's next sequence number to read. */
  cursor: bigint;
  /** Messages this fd has lost in all. */
  lost: bigint;
}

/** Layout of struct kue_info (size 48, alignment 8). */
export const KueInfoLayout = {
  name: 'kue_info',
  size: 48,
  align: 8,
  fields: {
    queued_msgs: { offset: 0, size: 8, type: 'u64' },
    queued_bytes: { offset: 8, size: 8, type: 'u64' },
    limit_bytes: { offset: 16, size: 8, type: 'u64' },
    next_seq: { offset: 24, size: 8, type: 'u64' },
    cursor: { offset: 32, size: 8, type: 'u64' },
    lost: { offset: 40, size: 8, type: 'u64' },
  },
} as const satisfies StructLayout;

/** struct kue_info.queued_msgs (u64 at offset 0); no allocation beyond the bigint. */
export function kueInfoQueuedMsgs(view: DataView, offset: number): bigint {
  return view.getBigUint64(offset, true);
}
export function setKueInfoQueuedMsgs(view: DataView, offset: number, value: bigint): void {
  view.setBigUint64(offset, value, true);
}
/** struct kue_info.queued_bytes (u64 at offset 8); no allocation beyond the bigint. */
export function kueInfoQueuedBytes(view: DataView, offset: number): bigint {
  return view.getBigUint64(offset + 8, true);
}
export function setKueInfoQueuedBytes(view: DataView, offset: number, value: bigint): void {
  view.setBigUint64(offset + 8, value, true);
}
/** struct kue_info.limit_bytes (u64 at offset 16); no allocation beyond the bigint. */
export function kueInfoLimitBytes(view: DataView, offset: number): bigint {
  return view.getBigUint64(offset + 16, true);
}
export function setKueInfoLimitBytes(view: DataView, offset: number, value: bigint): void {
  view.setBigUint64(offset + 16, value, true);
}
/** struct kue_info.next_seq (u64 at offset 24); no allocation beyond the bigint. */
export function kueInfoNextSeq(view: DataView, offset: number): bigint {
  return view.getBigUint64(offset + 24, true);
}
export function setKueInfoNextSeq(view: DataView, offset: number, value: bigint): void {
  view.setBigUint64(offset + 24, value, true);
}
/** struct kue_info.cursor (u64 at offset 32); no allocation beyond the bigint. */
export function kueInfoCursor(view: DataView, offset: number): bigint {
  return view.getBigUint64(offset + 32, true);
}
export function setKueInfoCursor(view: DataView, offset: number, value: bigint): void {
  view.setBigUint64(offset + 32, value, true);
}
/** struct kue_info.lost (u64 at offset 40); no allocation beyond the bigint. */
export function kueInfoLost(view: DataView, offset: number): bigint {
  return view.getBigUint64(offset + 40, true);
}
export function setKueInfoLost(view: DataView, offset: number, value: bigint): void {
  view.setBigUint64(offset + 40, value, true);
}

/** Decode struct kue_info at `offset`. */
export function decodeKueInfo(view: DataView, offset: number): KueInfo {
  return {
    queued_msgs: kueInfoQueuedMsgs(view, offset),
    queued_bytes: kueInfoQueuedBytes(view, offset),
    limit_bytes: kueInfoLimitBytes(view, offset),
    next_seq: kueInfoNextSeq(view, offset),
    cursor: kueInfoCursor(view, offset),
    lost: kueInfoLost(view, offset),
  };
}

/**
 * Encode struct kue_info at `offset`; every byte of the struct is written. Returns the bytes
 * written.
 */
export function encodeKueInfo(view: DataView, offset: number, value: KueInfoInit): number {
  view.setBigUint64(offset, value.queued_msgs, true);
  view.setBigUint64(offset + 8, value.queued_bytes, true);
  view.setBigUint64(offset + 16, value.limit_bytes, true);
  view.setBigUint64(offset + 24, value.next_seq, true);
  view.setBigUint64(offset + 32, value.cursor, true);
  view.setBigUint64(offset + 40, value.lost, true);
  return 48;
}

/** KUE_IOC_INFO = _IOC(read, 'K', 0x40, 48): Read queue and reader state. */
export const KUE_IOC_INFO = 0x80304b40;

/** Every ioctl of /dev/kue, by C name. */
export const KueIoctls = {
  KUE_IOC_INFO: { request: 0x80304b40, dir: 'read', type: 0x4b, nr: 0x40, size: 48, argKind: 'struct', arg: 'kue_info' },
} as const satisfies Readonly<Record<string, IoctlLayout>>;

/** Every struct layout of /dev/kue, by C name. */
export const KueLayouts = {
  kue_msg_hdr: KueMsgHdrLayout,
  kue_info: KueInfoLayout,
} as const satisfies Readonly<Record<string, StructLayout>>;
