# Do not edit: generated from packages/uapi/spec/kchan.yaml by packages/uapi/scripts/gen.mjs (mode: py)
# SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT
"""kchan watch_queue (/dev/watch_queue), protocol version 2.

A notification ring shared with user space (after David Howells' 2019 mmap'ed
watch_queue). The ring is an array of 8-byte slots. Each entry starts with a one-slot
`struct watch_notification` header and takes 1 to 63 slots. The first
WATCH_QUEUE_META_SLOTS slots hold the meta entry with the ring's head, tail and mask; it
is also a valid skip entry, so a reader that wraps round to slot 0 simply skips it.
Entries never straddle the end of the ring: the kernel pads the end with a skip entry.

Contract:

Indices. `head` and `tail` are free-running u32 slot counts; slot `i` lives at byte
offset `(i & mask) * 8` of the mapping. The ring is empty when head == tail, and `head -
tail` (mod 2^32) never exceeds `mask + 1`.

Who writes what. The kernel alone writes entries and `head`; the reader alone writes
`tail`. The kernel never reads the mapped `head` or `mask` back: it keeps its own copy
of head and the ring size.

Ordering (liburing/perf style):
1. Kernel: write the entry, then `smp_store_release(&meta->head, h)`.
2. Reader: `h = load_acquire(&meta->head)` (pairs with 1), then read entries in [tail,
   h).
3. Reader: after it is done with the entries, `store_release(&meta->tail, t)`.
4. Kernel: `t = smp_load_acquire(&meta->tail)` (pairs with 3) before it reuses any slot
   below t.

The reader may publish tail once per batch.

Validation. On every post, and in poll() when tail != head, the kernel checks the tail
it reads: `head - tail` must not exceed `mask + 1` and tail must not move backwards from
the last tail it accepted. Otherwise the queue enters the error state: nothing more is
written, poll() reports EPOLLERR (at once, not only after the next post), and the kernel
never writes outside the ring, until IOC_WATCH_QUEUE_RESET.

Sleeping and waking. The kernel wakes pollers only when a post makes an empty ring
non-empty. Both sides use a full barrier so that no wake-up is missed (the store-buffer
pattern):
- kernel: publish head; smp_mb(); read tail; wake if the ring was empty before this post
  (tail == old head).
- reader: publish tail; then poll(): the kernel adds the waiter, smp_mb(), re-reads tail
  and compares it with head before sleeping.

A reader must re-check head after arming its poll watcher.

Overrun. When an entry does not fit, it is dropped and counted. The next post that fits
is preceded by a loss entry (type META, subtype LOSS, flag OVERRUN) carrying the exact
number of notifications lost, and itself carries WATCH_INFO_OVERRUN. The loss entries
keep the loss in order with the entries; the meta entry's `lost` field makes it visible
at once: the kernel adds every dropped notification to it (store-release, mod 2^32). A
reader that drained the ring (read head with acquire, consumed up to it) then loads
`lost` with acquire: its difference from the sum of the loss entries seen is the loss
not yet reported in-band (the head acquire orders every loss entry seen after the `lost`
updates it reports). Since protocol version 2.

Reset. IOC_WATCH_QUEUE_RESET empties the ring and leaves the error state: the only way
back from a bad tail short of a new fd.
"""

import ctypes
import enum

WATCH_QUEUE_DEVICE_PATH = "/dev/watch_queue"

# Bytes in one ring slot.
WATCH_QUEUE_SLOT_SIZE = 8
# log2 of the slot size.
WATCH_LENGTH_SHIFT = 3
# Slots taken by the meta entry at the start of the ring.
WATCH_QUEUE_META_SLOTS = 3
# Largest entry in slots (the LENGTH field is 6 bits).
WATCH_QUEUE_MAX_ENTRY_SLOTS = 63
# Smallest ring in pages.
WATCH_QUEUE_MIN_PAGES = 1
# Largest ring in pages (1 MiB with 4 KiB pages).
WATCH_QUEUE_MAX_PAGES = 256
# Most type filters in one SET_FILTER call.
WATCH_QUEUE_MAX_FILTERS = 16
# Largest watch id (the ID field is 8 bits).
WATCH_QUEUE_MAX_WATCH_ID = 255
# Most watches on one queue.
WATCH_QUEUE_MAX_WATCHES = 64


class WatchNotificationType(enum.IntEnum):
    """enum watch_notification_type: The `type` of a notification (24 bits)."""

    # Ring management: skip, removal and loss entries. Never filtered.
    META = 0
    # Network device events (struct watch_netdev_notification).
    NETDEV = 1
    # Kernel module load/unload (struct watch_module_notification).
    MODULE = 2
    # Posted by another kernel module through the exported kernel API; payload is
    # free-form.
    KAPI = 3
    # Number of types; not a type.
    NR = 4


WATCH_TYPE_META = 0
WATCH_TYPE_NETDEV = 1
WATCH_TYPE_MODULE = 2
WATCH_TYPE_KAPI = 3
WATCH_TYPE_NR = 4

class WatchMetaSubtype(enum.IntEnum):
    """enum watch_meta_subtype: Subtypes of WATCH_TYPE_META."""

    # Padding; skip `length` slots. The meta entry at slot 0 is one.
    SKIP_NOTIFICATION = 0
    # The watch with this entry's ID was removed.
    REMOVAL_NOTIFICATION = 1
    # Notifications were lost to overrun (struct watch_queue_loss_notification).
    LOSS_NOTIFICATION = 2


WATCH_META_SKIP_NOTIFICATION = 0
WATCH_META_REMOVAL_NOTIFICATION = 1
WATCH_META_LOSS_NOTIFICATION = 2

class WatchNetdevSubtype(enum.IntEnum):
    """enum watch_netdev_subtype: Subtypes of WATCH_TYPE_NETDEV."""

    # A network device was registered.
    REGISTER = 0
    # A network device is being unregistered.
    UNREGISTER = 1
    # The device was brought up.
    UP = 2
    # The device was brought down.
    DOWN = 3
    # The device was renamed (`name` is the new name).
    CHANGE_NAME = 4


WATCH_NETDEV_REGISTER = 0
WATCH_NETDEV_UNREGISTER = 1
WATCH_NETDEV_UP = 2
WATCH_NETDEV_DOWN = 3
WATCH_NETDEV_CHANGE_NAME = 4

class WatchModuleSubtype(enum.IntEnum):
    """enum watch_module_subtype: Subtypes of WATCH_TYPE_MODULE."""

    # A module is being loaded.
    COMING = 0
    # A module finished loading.
    LIVE = 1
    # A module is being unloaded.
    GOING = 2


WATCH_MODULE_COMING = 0
WATCH_MODULE_LIVE = 1
WATCH_MODULE_GOING = 2

# Bitset watch_info (u32): The `info` word of every notification header.
# Notifications were lost before this one.
WATCH_INFO_OVERRUN = 0x1
WATCH_INFO_OVERRUN__SHIFT = 0
# Notifications were lost to memory allocation failure.
WATCH_INFO_ENOMEM = 0x2
WATCH_INFO_ENOMEM__SHIFT = 1
# The change was recursive.
WATCH_INFO_RECURSIVE = 0x4
WATCH_INFO_RECURSIVE__SHIFT = 2
# Length of the entry in 8-byte slots (1..63); as a byte mask it is the length in bytes.
WATCH_INFO_LENGTH = 0x1f8
WATCH_INFO_LENGTH__SHIFT = 3
# The change was not at the watched root.
WATCH_INFO_IN_SUBTREE = 0x200
WATCH_INFO_IN_SUBTREE__SHIFT = 9
# Zero.
WATCH_INFO_RESERVED = 0xfc00
WATCH_INFO_RESERVED__SHIFT = 10
# Type-specific flags (none defined yet).
WATCH_INFO_TYPE_FLAGS = 0xff0000
WATCH_INFO_TYPE_FLAGS__SHIFT = 16
# The id of the watch that produced this entry.
WATCH_INFO_ID = 0xff000000
WATCH_INFO_ID__SHIFT = 24


class WatchNotification(ctypes.Structure):
    """struct watch_notification: The header of every ring entry (one slot).

    Size 8, alignment 4.

    - type: enum watch_notification_type (bits 0..23)
    - subtype: Type-specific subtype (filterable) (bits 24..31)
    - info: Length, id and flags (WATCH_INFO_*).
    """

    _fields_ = [
        ("type", ctypes.c_uint32, 24),
        ("subtype", ctypes.c_uint32, 8),
        ("info", ctypes.c_uint32),
    ]


assert ctypes.sizeof(WatchNotification) == 8
WATCH_NOTIFICATION_TYPE__MASK = 0xffffff
WATCH_NOTIFICATION_TYPE__SHIFT = 0
WATCH_NOTIFICATION_SUBTYPE__MASK = 0xff000000
WATCH_NOTIFICATION_SUBTYPE__SHIFT = 24


class WatchQueueMeta(ctypes.Structure):
    """struct watch_queue_meta: The meta entry in the first slots of the ring (a skip entry
    of WATCH_QUEUE_META_SLOTS slots).

    Size 24, alignment 4.

    - watch: type META, subtype SKIP, length WATCH_QUEUE_META_SLOTS.
    - head: Producer index in slots; written by the kernel (release).
    - tail: Consumer index in slots; written by the reader (release).
    - mask: Number of slots minus one.
    - lost: Notifications dropped since SET_SIZE or RESET, mod 2^32; written by the
      kernel (release) when it drops one. Protocol version 2; was a zero reserved field.
    """

    _fields_ = [
        ("watch", WatchNotification),
        ("head", ctypes.c_uint32),
        ("tail", ctypes.c_uint32),
        ("mask", ctypes.c_uint32),
        ("lost", ctypes.c_uint32),
    ]


assert ctypes.sizeof(WatchQueueMeta) == 24


class WatchQueueLossNotification(ctypes.Structure):
    """struct watch_queue_loss_notification: A META/LOSS entry. Carries WATCH_INFO_OVERRUN.

    Size 16, alignment 8.

    - watch: type META, subtype LOSS.
    - lost: Notifications dropped since the previous loss entry.
    """

    _fields_ = [
        ("watch", WatchNotification),
        ("lost", ctypes.c_uint64),
    ]


assert ctypes.sizeof(WatchQueueLossNotification) == 16


class WatchNetdevNotification(ctypes.Structure):
    """struct watch_netdev_notification: A WATCH_TYPE_NETDEV entry.

    Size 32, alignment 4.

    - watch: Header.
    - ifindex: Interface index.
    - flags: The device's IFF_* flags after the event.
    - name: Interface name, NUL-padded.
    """

    _fields_ = [
        ("watch", WatchNotification),
        ("ifindex", ctypes.c_uint32),
        ("flags", ctypes.c_uint32),
        ("name", ctypes.c_char * 16),
    ]


assert ctypes.sizeof(WatchNetdevNotification) == 32


class WatchModuleNotification(ctypes.Structure):
    """struct watch_module_notification: A WATCH_TYPE_MODULE entry.

    Size 64, alignment 4.

    - watch: Header.
    - name: Module name, NUL-padded.
    """

    _fields_ = [
        ("watch", WatchNotification),
        ("name", ctypes.c_char * 56),
    ]


assert ctypes.sizeof(WatchModuleNotification) == 64


class WatchQueueWatch(ctypes.Structure):
    """struct watch_queue_watch: Argument of IOC_WATCH_QUEUE_ADD_WATCH.

    Size 16, alignment 4.

    - type: Source to watch: WATCH_TYPE_NETDEV, _MODULE or _KAPI.
    - id: Watch id 0..255, reported in WATCH_INFO_ID.
    - flags: Must be 0.
    - reserved: Must be 0.
    """

    _fields_ = [
        ("type", ctypes.c_uint32),
        ("id", ctypes.c_uint32),
        ("flags", ctypes.c_uint32),
        ("reserved", ctypes.c_uint32),
    ]


assert ctypes.sizeof(WatchQueueWatch) == 16


class WatchNotificationTypeFilter(ctypes.Structure):
    """struct watch_notification_type_filter: One type's filter.

    Size 44, alignment 4.

    - type: Type to apply the filter to (< WATCH_TYPE_NR, not META).
    - info_filter: Required value of (info & info_mask).
    - info_mask: Bits of info that info_filter tests.
    - subtype_filter: Bitmap of the 256 subtypes to pass.
    """

    _fields_ = [
        ("type", ctypes.c_uint32),
        ("info_filter", ctypes.c_uint32),
        ("info_mask", ctypes.c_uint32),
        ("subtype_filter", ctypes.c_uint32 * 8),
    ]


assert ctypes.sizeof(WatchNotificationTypeFilter) == 44


class WatchNotificationFilter(ctypes.Structure):
    """struct watch_notification_filter: Argument of IOC_WATCH_QUEUE_SET_FILTER. When a
    filter is set, only notifications of a listed type whose subtype and info match
    pass; META entries always pass. A NULL argument removes the filter.

    Size 8 plus the flexible array, alignment 4.

    - nr_filters: Number of filters (<= WATCH_QUEUE_MAX_FILTERS).
    - reserved: Must be 0.
    - filters: nr_filters filters (flexible array).
    """

    _fields_ = [
        ("nr_filters", ctypes.c_uint32),
        ("reserved", ctypes.c_uint32),
        ("filters", WatchNotificationTypeFilter * 0),
    ]


assert ctypes.sizeof(WatchNotificationFilter) == 8


# ioctls of /dev/watch_queue
# _IOC(none, 'W', 0x60, 0): Size the ring: arg is the number of pages, a power of two in
# [MIN_PAGES, MAX_PAGES]. Once only (EBUSY); charged to RLIMIT_MEMLOCK (ENOMEM/EPERM).
IOC_WATCH_QUEUE_SET_SIZE = 0x5760
# _IOC(none, 'W', 0x61, 0): Set or (NULL) clear the filter. EINVAL for a bad count, type
# or reserved field, info_filter bits outside info_mask, or WATCH_INFO_LENGTH in
# info_mask.
IOC_WATCH_QUEUE_SET_FILTER = 0x5761
# _IOC(write, 'W', 0x62, 16): Watch a source under an id. EEXIST for an id in use,
# EINVAL for a bad type, id or flags, ENOSPC past MAX_WATCHES or past the per-user limit
# (module parameter kchan.wq_max_user_watches, default 8192), ENODEV before SET_SIZE (a
# watch on an unsized ring would only count losses).
IOC_WATCH_QUEUE_ADD_WATCH = 0x40105762
# _IOC(write, 'W', 0x63, 4): Remove the watch with this id (ENOENT if none) and post a
# META/REMOVAL entry.
IOC_WATCH_QUEUE_REMOVE_WATCH = 0x40045763
# _IOC(none, 'W', 0x64, 0): Empty the ring and clear the error state: under the queue's
# lock, rewrite the meta entry (head = tail = WATCH_QUEUE_META_SLOTS, lost = 0) and
# forget any loss not yet reported. Entries in the ring are discarded, not counted as
# lost. For the ring's owner, with no read of the ring in progress (a reader must
# restart from the new tail). arg must be 0 (EINVAL). ENODEV before SET_SIZE.
IOC_WATCH_QUEUE_RESET = 0x5764

__all__ = [
    "WATCH_QUEUE_DEVICE_PATH",
    "WATCH_QUEUE_SLOT_SIZE",
    "WATCH_LENGTH_SHIFT",
    "WATCH_QUEUE_META_SLOTS",
    "WATCH_QUEUE_MAX_ENTRY_SLOTS",
    "WATCH_QUEUE_MIN_PAGES",
    "WATCH_QUEUE_MAX_PAGES",
    "WATCH_QUEUE_MAX_FILTERS",
    "WATCH_QUEUE_MAX_WATCH_ID",
    "WATCH_QUEUE_MAX_WATCHES",
    "WATCH_TYPE_META",
    "WATCH_TYPE_NETDEV",
    "WATCH_TYPE_MODULE",
    "WATCH_TYPE_KAPI",
    "WATCH_TYPE_NR",
    "WatchNotificationType",
    "WATCH_META_SKIP_NOTIFICATION",
    "WATCH_META_REMOVAL_NOTIFICATION",
    "WATCH_META_LOSS_NOTIFICATION",
    "WatchMetaSubtype",
    "WATCH_NETDEV_REGISTER",
    "WATCH_NETDEV_UNREGISTER",
    "WATCH_NETDEV_UP",
    "WATCH_NETDEV_DOWN",
    "WATCH_NETDEV_CHANGE_NAME",
    "WatchNetdevSubtype",
    "WATCH_MODULE_COMING",
    "WATCH_MODULE_LIVE",
    "WATCH_MODULE_GOING",
    "WatchModuleSubtype",
    "WATCH_INFO_OVERRUN",
    "WATCH_INFO_OVERRUN__SHIFT",
    "WATCH_INFO_ENOMEM",
    "WATCH_INFO_ENOMEM__SHIFT",
    "WATCH_INFO_RECURSIVE",
    "WATCH_INFO_RECURSIVE__SHIFT",
    "WATCH_INFO_LENGTH",
    "WATCH_INFO_LENGTH__SHIFT",
    "WATCH_INFO_IN_SUBTREE",
    "WATCH_INFO_IN_SUBTREE__SHIFT",
    "WATCH_INFO_RESERVED",
    "WATCH_INFO_RESERVED__SHIFT",
    "WATCH_INFO_TYPE_FLAGS",
    "WATCH_INFO_TYPE_FLAGS__SHIFT",
    "WATCH_INFO_ID",
    "WATCH_INFO_ID__SHIFT",
    "WatchNotification",
    "WATCH_NOTIFICATION_TYPE__MASK",
    "WATCH_NOTIFICATION_TYPE__SHIFT",
    "WATCH_NOTIFICATION_SUBTYPE__MASK",
    "WATCH_NOTIFICATION_SUBTYPE__SHIFT",
    "WatchQueueMeta",
    "WatchQueueLossNotification",
    "WatchNetdevNotification",
    "WatchModuleNotification",
    "WatchQueueWatch",
    "WatchNotificationTypeFilter",
    "WatchNotificationFilter",
    "IOC_WATCH_QUEUE_SET_SIZE",
    "IOC_WATCH_QUEUE_SET_FILTER",
    "IOC_WATCH_QUEUE_ADD_WATCH",
    "IOC_WATCH_QUEUE_REMOVE_WATCH",
    "IOC_WATCH_QUEUE_RESET",
]
