/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/* Do not edit: generated from packages/uapi/spec/kchan.yaml by packages/uapi/scripts/gen.mjs (mode: c-uapi) */
/*
 * kchan kue (/dev/kue), protocol version 2.
 *
 * A kernel-to-user message queue (after Inaky Perez-Gonzalez' 2003 kue).
 * Kernel code sends messages; every open fd reads each message once, whole,
 * in order.
 */
#ifndef _UAPI_KCHAN_KUE_H
#define _UAPI_KCHAN_KUE_H

#include <linux/types.h>
#include <linux/ioctl.h>

/*
 * Contract:
 *
 * read() fills the buffer with as many whole records as fit. A record is a
 * `struct kue_msg_hdr` followed by `size` payload bytes, padded with zeros
 * to a multiple of KUE_RECORD_ALIGN. It returns EAGAIN when nothing is
 * queued and the fd is non-blocking (it blocks otherwise), and EFBIG,
 * without moving the cursor, when the buffer cannot hold the first record.
 *
 * Each fd has a cursor (a sequence number). An fd opened later starts at the
 * next new message. A message is freed when every reader has passed it (or
 * recalled by its sender).
 *
 * Loss. The queue holds at most `kue_limit_bytes` of payload (module
 * parameter). When a send exceeds it the oldest messages are dropped; a
 * reader whose cursor was behind learns how many it lost: its next record
 * carries KUE_MSG_FLAG_LOST and the exact count in `lost`.
 */

/* Records start at multiples of this many bytes. */
#define KUE_RECORD_ALIGN	8
/* Largest payload kue_send_event accepts. */
#define KUE_MAX_MSG_SIZE	1048576

/*
 * kue_msg_flag (u32) - Record flags.
 * @KUE_MSG_FLAG_LOST: `lost` messages before this one were dropped for this
 * reader.
 */
#define KUE_MSG_FLAG_LOST		0x00000001
#define KUE_MSG_FLAG_LOST__SHIFT	0

/**
 * struct kue_msg_hdr - The header of every record returned by read().
 * @size: Payload bytes after the header.
 * @seq: Sequence number of the message (from 1, per module load).
 * @flags: KUE_MSG_FLAG_*
 * @lost: Messages this reader lost just before this one.
 *
 * Size 24, alignment 8.
 */
struct kue_msg_hdr {
	__u64 size;
	__u64 seq;
	__u32 flags;
	__u32 lost;
};

/**
 * struct kue_info - Argument of KUE_IOC_INFO (queue and reader state).
 * @queued_msgs: Messages held by the queue.
 * @queued_bytes: Payload bytes held by the queue.
 * @limit_bytes: The memory bound (module parameter kue_limit_bytes).
 * @next_seq: Sequence number the next message will get.
 * @cursor: This fd's next sequence number to read.
 * @lost: Messages this fd has lost in all.
 *
 * Size 48, alignment 8.
 */
struct kue_info {
	__u64 queued_msgs;
	__u64 queued_bytes;
	__u64 limit_bytes;
	__u64 next_seq;
	__u64 cursor;
	__u64 lost;
};

/* ioctls of /dev/kue */
/*
 * KUE_IOC_INFO: Read queue and reader state.
 */
#define KUE_IOC_INFO	_IOR('K', 0x40, struct kue_info)

#endif /* _UAPI_KCHAN_KUE_H */
