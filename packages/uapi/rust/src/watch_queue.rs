// Do not edit: generated from packages/uapi/spec/kchan.yaml by packages/uapi/scripts/gen.mjs (mode: rust)
// SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT
//! kchan watch_queue (`/dev/watch_queue`), protocol version 2.
//!
//! A notification ring shared with user space (after David Howells' 2019 mmap'ed watch_queue). The
//! ring is an array of 8-byte slots. Each entry starts with a one-slot `struct watch_notification`
//! header and takes 1 to 63 slots. The first WATCH_QUEUE_META_SLOTS slots hold the meta entry with
//! the ring's head, tail and mask; it is also a valid skip entry, so a reader that wraps round to
//! slot 0 simply skips it. Entries never straddle the end of the ring: the kernel pads the end with
//! a skip entry.
//!
//! # Contract
//!
//! Indices. `head` and `tail` are free-running u32 slot counts; slot `i` lives at byte offset `(i &
//! mask) * 8` of the mapping. The ring is empty when head == tail, and `head - tail` (mod 2^32)
//! never exceeds `mask + 1`.
//!
//! Who writes what. The kernel alone writes entries and `head`; the reader alone writes `tail`. The
//! kernel never reads the mapped `head` or `mask` back: it keeps its own copy of head and the ring
//! size.
//!
//! Ordering (liburing/perf style):
//! 1. Kernel: write the entry, then `smp_store_release(&meta->head, h)`.
//! 2. Reader: `h = load_acquire(&meta->head)` (pairs with 1), then read entries in \[tail, h).
//! 3. Reader: after it is done with the entries, `store_release(&meta->tail, t)`.
//! 4. Kernel: `t = smp_load_acquire(&meta->tail)` (pairs with 3) before it reuses any slot below t.
//!
//! The reader may publish tail once per batch.
//!
//! Validation. On every post, and in poll() when tail != head, the kernel checks the tail it reads:
//! `head - tail` must not exceed `mask + 1` and tail must not move backwards from the last tail it
//! accepted. Otherwise the queue enters the error state: nothing more is written, poll() reports
//! EPOLLERR (at once, not only after the next post), and the kernel never writes outside the ring,
//! until IOC_WATCH_QUEUE_RESET.
//!
//! Sleeping and waking. The kernel wakes pollers only when a post makes an empty ring non-empty.
//! Both sides use a full barrier so that no wake-up is missed (the store-buffer pattern):
//! - kernel: publish head; smp_mb(); read tail; wake if the ring was empty before this post (tail
//!   == old head).
//! - reader: publish tail; then poll(): the kernel adds the waiter, smp_mb(), re-reads tail and
//!   compares it with head before sleeping.
//!
//! A reader must re-check head after arming its poll watcher.
//!
//! Overrun. When an entry does not fit, it is dropped and counted. The next post that fits is
//! preceded by a loss entry (type META, subtype LOSS, flag OVERRUN) carrying the exact number of
//! notifications lost, and itself carries WATCH_INFO_OVERRUN. The loss entries keep the loss in
//! order with the entries; the meta entry's `lost` field makes it visible at once: the kernel adds
//! every dropped notification to it (store-release, mod 2^32). A reader that drained the ring (read
//! head with acquire, consumed up to it) then loads `lost` with acquire: its difference from the
//! sum of the loss entries seen is the loss not yet reported in-band (the head acquire orders every
//! loss entry seen after the `lost` updates it reports). Since protocol version 2.
//!
//! Reset. IOC_WATCH_QUEUE_RESET empties the ring and leaves the error state: the only way back from
//! a bad tail short of a new fd.

/// The device node.
pub const WATCH_QUEUE_DEVICE_PATH: &str = "/dev/watch_queue";

/// Bytes in one ring slot.
pub const WATCH_QUEUE_SLOT_SIZE: u32 = 8;
/// log2 of the slot size.
pub const WATCH_LENGTH_SHIFT: u32 = 3;
/// Slots taken by the meta entry at the start of the ring.
pub const WATCH_QUEUE_META_SLOTS: u32 = 3;
/// Largest entry in slots (the LENGTH field is 6 bits).
pub const WATCH_QUEUE_MAX_ENTRY_SLOTS: u32 = 63;
/// Smallest ring in pages.
pub const WATCH_QUEUE_MIN_PAGES: u32 = 1;
/// Largest ring in pages (1 MiB with 4 KiB pages).
pub const WATCH_QUEUE_MAX_PAGES: u32 = 256;
/// Most type filters in one SET_FILTER call.
pub const WATCH_QUEUE_MAX_FILTERS: u32 = 16;
/// Largest watch id (the ID field is 8 bits).
pub const WATCH_QUEUE_MAX_WATCH_ID: u32 = 255;
/// Most watches on one queue.
pub const WATCH_QUEUE_MAX_WATCHES: u32 = 64;

// enum watch_notification_type: The `type` of a notification (24 bits).
/// Ring management: skip, removal and loss entries. Never filtered.
pub const WATCH_TYPE_META: u32 = 0;
/// Network device events (struct watch_netdev_notification).
pub const WATCH_TYPE_NETDEV: u32 = 1;
/// Kernel module load/unload (struct watch_module_notification).
pub const WATCH_TYPE_MODULE: u32 = 2;
/// Posted by another kernel module through the exported kernel API; payload is free-form.
pub const WATCH_TYPE_KAPI: u32 = 3;
/// Number of types; not a type.
pub const WATCH_TYPE_NR: u32 = 4;

// enum watch_meta_subtype: Subtypes of WATCH_TYPE_META.
/// Padding; skip `length` slots. The meta entry at slot 0 is one.
pub const WATCH_META_SKIP_NOTIFICATION: u32 = 0;
/// The watch with this entry's ID was removed.
pub const WATCH_META_REMOVAL_NOTIFICATION: u32 = 1;
/// Notifications were lost to overrun (struct watch_queue_loss_notification).
pub const WATCH_META_LOSS_NOTIFICATION: u32 = 2;

// enum watch_netdev_subtype: Subtypes of WATCH_TYPE_NETDEV.
/// A network device was registered.
pub const WATCH_NETDEV_REGISTER: u32 = 0;
/// A network device is being unregistered.
pub const WATCH_NETDEV_UNREGISTER: u32 = 1;
/// The device was brought up.
pub const WATCH_NETDEV_UP: u32 = 2;
/// The device was brought down.
pub const WATCH_NETDEV_DOWN: u32 = 3;
/// The device was renamed (`name` is the new name).
pub const WATCH_NETDEV_CHANGE_NAME: u32 = 4;

// enum watch_module_subtype: Subtypes of WATCH_TYPE_MODULE.
/// A module is being loaded.
pub const WATCH_MODULE_COMING: u32 = 0;
/// A module finished loading.
pub const WATCH_MODULE_LIVE: u32 = 1;
/// A module is being unloaded.
pub const WATCH_MODULE_GOING: u32 = 2;

// Bitset watch_info (u32): The `info` word of every notification header.
/// Notifications were lost before this one.
pub const WATCH_INFO_OVERRUN: u32 = 0x1;
pub const WATCH_INFO_OVERRUN__SHIFT: u32 = 0;
/// Notifications were lost to memory allocation failure.
pub const WATCH_INFO_ENOMEM: u32 = 0x2;
pub const WATCH_INFO_ENOMEM__SHIFT: u32 = 1;
/// The change was recursive.
pub const WATCH_INFO_RECURSIVE: u32 = 0x4;
pub const WATCH_INFO_RECURSIVE__SHIFT: u32 = 2;
/// Length of the entry in 8-byte slots (1..63); as a byte mask it is the length in bytes.
pub const WATCH_INFO_LENGTH: u32 = 0x1f8;
pub const WATCH_INFO_LENGTH__SHIFT: u32 = 3;
/// The change was not at the watched root.
pub const WATCH_INFO_IN_SUBTREE: u32 = 0x200;
pub const WATCH_INFO_IN_SUBTREE__SHIFT: u32 = 9;
/// Zero.
pub const WATCH_INFO_RESERVED: u32 = 0xfc00;
pub const WATCH_INFO_RESERVED__SHIFT: u32 = 10;
/// Type-specific flags (none defined yet).
pub const WATCH_INFO_TYPE_FLAGS: u32 = 0xff_0000;
pub const WATCH_INFO_TYPE_FLAGS__SHIFT: u32 = 16;
/// The id of the watch that produced this entry.
pub const WATCH_INFO_ID: u32 = 0xff00_0000;
pub const WATCH_INFO_ID__SHIFT: u32 = 24;

/// `struct watch_notification`: The header of every ring entry (one slot).
///
/// Size 8, alignment 4.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct WatchNotification {
    /// Type and subtype, as C bit fields. Bit fields: type (bits 0..23), subtype (bits 24..31); use
    /// the accessors.
    pub type_subtype: u32,
    /// Length, id and flags (WATCH_INFO_*).
    pub info: u32,
}

impl WatchNotification {
    /// All fields zero.
    pub const ZERO: Self = Self {
        type_subtype: 0,
        info: 0,
    };

    /// enum watch_notification_type (bits 0..23 of `type_subtype`).
    pub const fn r#type(&self) -> u32 {
        self.type_subtype & 0xff_ffff
    }

    /// Set `type`; bits of `value` above its width are dropped.
    pub fn set_type(&mut self, value: u32) {
        self.type_subtype = (self.type_subtype & !WATCH_NOTIFICATION_TYPE__MASK) | (value & 0xff_ffff);
    }

    /// Type-specific subtype (filterable) (bits 24..31 of `type_subtype`).
    pub const fn subtype(&self) -> u32 {
        (self.type_subtype >> 24) & 0xff
    }

    /// Set `subtype`; bits of `value` above its width are dropped.
    pub fn set_subtype(&mut self, value: u32) {
        self.type_subtype = (self.type_subtype & !WATCH_NOTIFICATION_SUBTYPE__MASK) | ((value & 0xff) << 24);
    }
}

impl Default for WatchNotification {
    fn default() -> Self {
        Self::ZERO
    }
}

pub const WATCH_NOTIFICATION_TYPE__MASK: u32 = 0xff_ffff;
pub const WATCH_NOTIFICATION_TYPE__SHIFT: u32 = 0;
pub const WATCH_NOTIFICATION_SUBTYPE__MASK: u32 = 0xff00_0000;
pub const WATCH_NOTIFICATION_SUBTYPE__SHIFT: u32 = 24;
const _: () = assert!(core::mem::size_of::<WatchNotification>() == 8);
const _: () = assert!(core::mem::align_of::<WatchNotification>() == 4);
const _: () = assert!(core::mem::offset_of!(WatchNotification, type_subtype) == 0);
const _: () = assert!(core::mem::offset_of!(WatchNotification, info) == 4);

/// `struct watch_queue_meta`: The meta entry in the first slots of the ring (a skip entry of
/// WATCH_QUEUE_META_SLOTS slots).
///
/// Size 24, alignment 4.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct WatchQueueMeta {
    /// type META, subtype SKIP, length WATCH_QUEUE_META_SLOTS.
    pub watch: WatchNotification,
    /// Producer index in slots; written by the kernel (release).
    pub head: u32,
    /// Consumer index in slots; written by the reader (release).
    pub tail: u32,
    /// Number of slots minus one.
    pub mask: u32,
    /// Notifications dropped since SET_SIZE or RESET, mod 2^32; written by the kernel (release)
    /// when it drops one. Protocol version 2; was a zero reserved field.
    pub lost: u32,
}

impl WatchQueueMeta {
    /// All fields zero.
    pub const ZERO: Self = Self {
        watch: WatchNotification::ZERO,
        head: 0,
        tail: 0,
        mask: 0,
        lost: 0,
    };
}

impl Default for WatchQueueMeta {
    fn default() -> Self {
        Self::ZERO
    }
}

const _: () = assert!(core::mem::size_of::<WatchQueueMeta>() == 24);
const _: () = assert!(core::mem::align_of::<WatchQueueMeta>() == 4);
const _: () = assert!(core::mem::offset_of!(WatchQueueMeta, watch) == 0);
const _: () = assert!(core::mem::offset_of!(WatchQueueMeta, head) == 8);
const _: () = assert!(core::mem::offset_of!(WatchQueueMeta, tail) == 12);
const _: () = assert!(core::mem::offset_of!(WatchQueueMeta, mask) == 16);
const _: () = assert!(core::mem::offset_of!(WatchQueueMeta, lost) == 20);

/// `struct watch_queue_loss_notification`: A META/LOSS entry. Carries WATCH_INFO_OVERRUN.
///
/// Size 16, alignment 8.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct WatchQueueLossNotification {
    /// type META, subtype LOSS.
    pub watch: WatchNotification,
    /// Notifications dropped since the previous loss entry.
    pub lost: u64,
}

impl WatchQueueLossNotification {
    /// All fields zero.
    pub const ZERO: Self = Self {
        watch: WatchNotification::ZERO,
        lost: 0,
    };
}

impl Default for WatchQueueLossNotification {
    fn default() -> Self {
        Self::ZERO
    }
}

const _: () = assert!(core::mem::size_of::<WatchQueueLossNotification>() == 16);
const _: () = assert!(core::mem::align_of::<WatchQueueLossNotification>() == 8);
const _: () = assert!(core::mem::offset_of!(WatchQueueLossNotification, watch) == 0);
const _: () = assert!(core::mem::offset_of!(WatchQueueLossNotification, lost) == 8);

/// `struct watch_netdev_notification`: A WATCH_TYPE_NETDEV entry.
///
/// Size 32, alignment 4.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct WatchNetdevNotification {
    /// Header.
    pub watch: WatchNotification,
    /// Interface index.
    pub ifindex: u32,
    /// The device's IFF_* flags after the event.
    pub flags: u32,
    /// Interface name, NUL-padded.
    pub name: [u8; 16],
}

impl WatchNetdevNotification {
    /// All fields zero.
    pub const ZERO: Self = Self {
        watch: WatchNotification::ZERO,
        ifindex: 0,
        flags: 0,
        name: [0; 16],
    };
}

impl Default for WatchNetdevNotification {
    fn default() -> Self {
        Self::ZERO
    }
}

const _: () = assert!(core::mem::size_of::<WatchNetdevNotification>() == 32);
const _: () = assert!(core::mem::align_of::<WatchNetdevNotification>() == 4);
const _: () = assert!(core::mem::offset_of!(WatchNetdevNotification, watch) == 0);
const _: () = assert!(core::mem::offset_of!(WatchNetdevNotification, ifindex) == 8);
const _: () = assert!(core::mem::offset_of!(WatchNetdevNotification, flags) == 12);
const _: () = assert!(core::mem::offset_of!(WatchNetdevNotification, name) == 16);

/// `struct watch_module_notification`: A WATCH_TYPE_MODULE entry.
///
/// Size 64, alignment 4.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct WatchModuleNotification {
    /// Header.
    pub watch: WatchNotification,
    /// Module name, NUL-padded.
    pub name: [u8; 56],
}

impl WatchModuleNotification {
    /// All fields zero.
    pub const ZERO: Self = Self {
        watch: WatchNotification::ZERO,
        name: [0; 56],
    };
}

impl Default for WatchModuleNotification {
    fn default() -> Self {
        Self::ZERO
    }
}

const _: () = assert!(core::mem::size_of::<WatchModuleNotification>() == 64);
const _: () = assert!(core::mem::align_of::<WatchModuleNotification>() == 4);
const _: () = assert!(core::mem::offset_of!(WatchModuleNotification, watch) == 0);
const _: () = assert!(core::mem::offset_of!(WatchModuleNotification, name) == 8);

/// `struct watch_queue_watch`: Argument of IOC_WATCH_QUEUE_ADD_WATCH.
///
/// Size 16, alignment 4.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct WatchQueueWatch {
    /// Source to watch: WATCH_TYPE_NETDEV, _MODULE or _KAPI.
    pub r#type: u32,
    /// Watch id 0..255, reported in WATCH_INFO_ID.
    pub id: u32,
    /// Must be 0.
    pub flags: u32,
    /// Must be 0.
    pub reserved: u32,
}

impl WatchQueueWatch {
    /// All fields zero.
    pub const ZERO: Self = Self {
        r#type: 0,
        id: 0,
        flags: 0,
        reserved: 0,
    };
}

impl Default for WatchQueueWatch {
    fn default() -> Self {
        Self::ZERO
    }
}

const _: () = assert!(core::mem::size_of::<WatchQueueWatch>() == 16);
const _: () = assert!(core::mem::align_of::<WatchQueueWatch>() == 4);
const _: () = assert!(core::mem::offset_of!(WatchQueueWatch, r#type) == 0);
const _: () = assert!(core::mem::offset_of!(WatchQueueWatch, id) == 4);
const _: () = assert!(core::mem::offset_of!(WatchQueueWatch, flags) == 8);
const _: () = assert!(core::mem::offset_of!(WatchQueueWatch, reserved) == 12);

/// `struct watch_notification_type_filter`: One type's filter.
///
/// Size 44, alignment 4.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct WatchNotificationTypeFilter {
    /// Type to apply the filter to (< WATCH_TYPE_NR, not META).
    pub r#type: u32,
    /// Required value of (info & info_mask).
    pub info_filter: u32,
    /// Bits of info that info_filter tests.
    pub info_mask: u32,
    /// Bitmap of the 256 subtypes to pass.
    pub subtype_filter: [u32; 8],
}

impl WatchNotificationTypeFilter {
    /// All fields zero.
    pub const ZERO: Self = Self {
        r#type: 0,
        info_filter: 0,
        info_mask: 0,
        subtype_filter: [0; 8],
    };
}

impl Default for WatchNotificationTypeFilter {
    fn default() -> Self {
        Self::ZERO
    }
}

const _: () = assert!(core::mem::size_of::<WatchNotificationTypeFilter>() == 44);
const _: () = assert!(core::mem::align_of::<WatchNotificationTypeFilter>() == 4);
const _: () = assert!(core::mem::offset_of!(WatchNotificationTypeFilter, r#type) == 0);
const _: () = assert!(core::mem::offset_of!(WatchNotificationTypeFilter, info_filter) == 4);
const _: () = assert!(core::mem::offset_of!(WatchNotificationTypeFilter, info_mask) == 8);
const _: () = assert!(core::mem::offset_of!(WatchNotificationTypeFilter, subtype_filter) == 12);

/// `struct watch_notification_filter`: Argument of IOC_WATCH_QUEUE_SET_FILTER. When a filter is
/// set, only notifications of a listed type whose subtype and info match pass; META entries always
/// pass. A NULL argument removes the filter.
///
/// Size 8 plus the flexible array, alignment 4.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct WatchNotificationFilter {
    /// Number of filters (<= WATCH_QUEUE_MAX_FILTERS).
    pub nr_filters: u32,
    /// Must be 0.
    pub reserved: u32,
    /// nr_filters filters (flexible array).
    pub filters: [WatchNotificationTypeFilter; 0],
}

impl WatchNotificationFilter {
    /// All fields zero.
    pub const ZERO: Self = Self {
        nr_filters: 0,
        reserved: 0,
        filters: [WatchNotificationTypeFilter::ZERO; 0],
    };
}

impl Default for WatchNotificationFilter {
    fn default() -> Self {
        Self::ZERO
    }
}

const _: () = assert!(core::mem::size_of::<WatchNotificationFilter>() == 8);
const _: () = assert!(core::mem::align_of::<WatchNotificationFilter>() == 4);
const _: () = assert!(core::mem::offset_of!(WatchNotificationFilter, nr_filters) == 0);
const _: () = assert!(core::mem::offset_of!(WatchNotificationFilter, reserved) == 4);
const _: () = assert!(core::mem::offset_of!(WatchNotificationFilter, filters) == 8);

/// `_IOC(none, 'W', 0x60, 0)`: Size the ring: arg is the number of pages, a power of two in
/// [MIN_PAGES, MAX_PAGES]. Once only (EBUSY); charged to RLIMIT_MEMLOCK (ENOMEM/EPERM).
pub const IOC_WATCH_QUEUE_SET_SIZE: core::ffi::c_ulong = 0x5760;
/// `_IOC(none, 'W', 0x61, 0)`: Set or (NULL) clear the filter. EINVAL for a bad count, type or
/// reserved field, info_filter bits outside info_mask, or WATCH_INFO_LENGTH in info_mask.
pub const IOC_WATCH_QUEUE_SET_FILTER: core::ffi::c_ulong = 0x5761;
/// `_IOC(write, 'W', 0x62, 16)`: Watch a source under an id. EEXIST for an id in use, EINVAL for a
/// bad type, id or flags, ENOSPC past MAX_WATCHES or past the per-user limit (module parameter
/// kchan.wq_max_user_watches, default 8192), ENODEV before SET_SIZE (a watch on an unsized ring
/// would only count losses).
pub const IOC_WATCH_QUEUE_ADD_WATCH: core::ffi::c_ulong = 0x4010_5762;
/// `_IOC(write, 'W', 0x63, 4)`: Remove the watch with this id (ENOENT if none) and post a
/// META/REMOVAL entry.
pub const IOC_WATCH_QUEUE_REMOVE_WATCH: core::ffi::c_ulong = 0x4004_5763;
/// `_IOC(none, 'W', 0x64, 0)`: Empty the ring and clear the error state: under the queue's lock,
/// rewrite the meta entry (head = tail = WATCH_QUEUE_META_SLOTS, lost = 0) and forget any loss not
/// yet reported. Entries in the ring are discarded, not counted as lost. For the ring's owner, with
/// no read of the ring in progress (a reader must restart from the new tail). arg must be 0
/// (EINVAL). ENODEV before SET_SIZE.
pub const IOC_WATCH_QUEUE_RESET: core::ffi::c_ulong = 0x5764;
