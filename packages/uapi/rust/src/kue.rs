// Do not edit: generated from packages/uapi/spec/kchan.yaml by packages/uapi/scripts/gen.mjs (mode: rust)
// SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT
//! kchan kue (`/dev/kue`), protocol version 2.
//!
//! A kernel-to-user message queue (after Inaky Perez-Gonzalez' 2003 kue). Kernel code sends
//! messages; every open fd reads each message once, whole, in order.
//!
//! # Contract
//!
//! read() fills the buffer with as many whole records as fit. A record is a `struct kue_msg_hdr`
//! followed by `size` payload bytes, padded with zeros to a multiple of KUE_RECORD_ALIGN. It
//! returns EAGAIN when nothing is queued and the fd is non-blocking (it blocks otherwise), and
//! EFBIG, without moving the cursor, when the buffer cannot hold the first record.
//!
//! Each fd has a cursor (a sequence number). An fd opened later starts at the next new message. A
//! message is freed when every reader has passed it (or recalled by its sender).
//!
//! Loss. The queue holds at most `kue_limit_bytes` of payload (module parameter). When a send
//! exceeds it the oldest messages are dropped; a reader whose cursor was behind learns how many it
//! lost: its next record carries KUE_MSG_FLAG_LOST and the exact count in `lost`.

/// The device node.
pub const KUE_DEVICE_PATH: &str = "/dev/kue";

/// Records start at multiples of this many bytes.
pub const KUE_RECORD_ALIGN: u32 = 8;
/// Largest payload kue_send_event accepts.
pub const KUE_MAX_MSG_SIZE: u32 = 1048576;

// Bitset kue_msg_flag (u32): Record flags.
/// `lost` messages before this one were dropped for this reader.
pub const KUE_MSG_FLAG_LOST: u32 = 0x1;
pub const KUE_MSG_FLAG_LOST__SHIFT: u32 = 0;

/// `struct kue_msg_hdr`: The header of every record returned by read().
///
/// Size 24, alignment 8.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KueMsgHdr {
    /// Payload bytes after the header.
    pub size: u64,
    /// Sequence number of the message (from 1, per module load).
    pub seq: u64,
    /// KUE_MSG_FLAG_*
    pub flags: u32,
    /// Messages this reader lost just before this one.
    pub lost: u32,
}

impl KueMsgHdr {
    /// All fields zero.
    pub const ZERO: Self = Self {
        size: 0,
        seq: 0,
        flags: 0,
        lost: 0,
    };
}

impl Default for KueMsgHdr {
    fn default() -> Self {
        Self::ZERO
    }
}

const _: () = assert!(core::mem::size_of::<KueMsgHdr>() == 24);
const _: () = assert!(core::mem::align_of::<KueMsgHdr>() == 8);
const _: () = assert!(core::mem::offset_of!(KueMsgHdr, size) == 0);
const _: () = assert!(core::mem::offset_of!(KueMsgHdr, seq) == 8);
const _: () = assert!(core::mem::offset_of!(KueMsgHdr, flags) == 16);
const _: () = assert!(core::mem::offset_of!(KueMsgHdr, lost) == 20);

/// `struct kue_info`: Argument of KUE_IOC_INFO (queue and reader state).
///
/// Size 48, alignment 8.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KueInfo {
    /// Messages held by the queue.
    pub queued_msgs: u64,
    /// Payload bytes held by the queue.
    pub queued_bytes: u64,
    /// The memory bound (module parameter kue_limit_bytes).
    pub limit_bytes: u64,
    /// Sequence number the next message will get.
    pub next_seq: u64,
    /// This fd's next sequence number to read.
    pub cursor: u64,
    /// Messages this fd has lost in all.
    pub lost: u64,
}

impl KueInfo {
    /// All fields zero.
    pub const ZERO: Self = Self {
        queued_msgs: 0,
        queued_bytes: 0,
        limit_bytes: 0,
        next_seq: 0,
        cursor: 0,
        lost: 0,
    };
}

impl Default for KueInfo {
    fn default() -> Self {
        Self::ZERO
    }
}

const _: () = assert!(core::mem::size_of::<KueInfo>() == 48);
const _: () = assert!(core::mem::align_of::<KueInfo>() == 8);
const _: () = assert!(core::mem::offset_of!(KueInfo, queued_msgs) == 0);
const _: () = assert!(core::mem::offset_of!(KueInfo, queued_bytes) == 8);
const _: () = assert!(core::mem::offset_of!(KueInfo, limit_bytes) == 16);
const _: () = assert!(core::mem::offset_of!(KueInfo, next_seq) == 24);
const _: () = assert!(core::mem::offset_of!(KueInfo, cursor) == 32);
const _: () = assert!(core::mem::offset_of!(KueInfo, lost) == 40);

/// `_IOC(read, 'K', 0x40, 48)`: Read queue and reader state.
pub const KUE_IOC_INFO: core::ffi::c_ulong = 0x8030_4b40;
