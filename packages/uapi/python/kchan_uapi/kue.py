# Do not edit: generated from packages/uapi/spec/kchan.yaml by packages/uapi/scripts/gen.mjs (mode: py)
# SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT
"""kchan kue (/dev/kue), protocol version 2.

A kernel-to-user message queue (after Inaky Perez-Gonzalez' 2003 kue). Kernel code sends
messages; every open fd reads each message once, whole, in order.

Contract:

read() fills the buffer with as many whole records as fit. A record is a `struct
kue_msg_hdr` followed by `size` payload bytes, padded with zeros to a multiple of
KUE_RECORD_ALIGN. It returns EAGAIN when nothing is queued and the fd is non-blocking
(it blocks otherwise), and EFBIG, without moving the cursor, when the buffer cannot hold
the first record.

Each fd has a cursor (a sequence number). An fd opened later starts at the next new
message. A message is freed when every reader has passed it (or recalled by its sender).

Loss. The queue holds at most `kue_limit_bytes` of payload (module parameter). When a
send exceeds it the oldest messages are dropped; a reader whose cursor was behind learns
how many it lost: its next record carries KUE_MSG_FLAG_LOST and the exact count in
`lost`.
"""

import ctypes
import enum

KUE_DEVICE_PATH = "/dev/kue"

# Records start at multiples of this many bytes.
KUE_RECORD_ALIGN = 8
# Largest payload kue_send_event accepts.
KUE_MAX_MSG_SIZE = 1048576


# Bitset kue_msg_flag (u32): Record flags.
# `lost` messages before this one were dropped for this reader.
KUE_MSG_FLAG_LOST = 0x1
KUE_MSG_FLAG_LOST__SHIFT = 0


class KueMsgHdr(ctypes.Structure):
    """struct kue_msg_hdr: The header of every record returned by read().

    Size 24, alignment 8.

    - size: Payload bytes after the header.
    - seq: Sequence number of the message (from 1, per module load).
    - flags: KUE_MSG_FLAG_*
    - lost: Messages this reader lost just before this one.
    """

    _fields_ = [
        ("size", ctypes.c_uint64),
        ("seq", ctypes.c_uint64),
        ("flags", ctypes.c_uint32),
        ("lost", ctypes.c_uint32),
    ]


assert ctypes.sizeof(KueMsgHdr) == 24


class KueInfo(ctypes.Structure):
    """struct kue_info: Argument of KUE_IOC_INFO (queue and reader state).

    Size 48, alignment 8.

    - queued_msgs: Messages held by the queue.
    - queued_bytes: Payload bytes held by the queue.
    - limit_bytes: The memory bound (module parameter kue_limit_bytes).
    - next_seq: Sequence number the next message will get.
    - cursor: This fd's next sequence number to read.
    - lost: Messages this fd has lost in all.
    """

    _fields_ = [
        ("queued_msgs", ctypes.c_uint64),
        ("queued_bytes", ctypes.c_uint64),
        ("limit_bytes", ctypes.c_uint64),
        ("next_seq", ctypes.c_uint64),
        ("cursor", ctypes.c_uint64),
        ("lost", ctypes.c_uint64),
    ]


assert ctypes.sizeof(KueInfo) == 48


# ioctls of /dev/kue
# _IOC(read, 'K', 0x40, 48): Read queue and reader state.
KUE_IOC_INFO = 0x80304b40

__all__ = [
    "KUE_DEVICE_PATH",
    "KUE_RECORD_ALIGN",
    "KUE_MAX_MSG_SIZE",
    "KUE_MSG_FLAG_LOST",
    "KUE_MSG_FLAG_LOST__SHIFT",
    "KueMsgHdr",
    "KueInfo",
    "KUE_IOC_INFO",
]
