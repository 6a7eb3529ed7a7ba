# Do not edit: generated from packages/uapi/spec/kchan.yaml by packages/uapi/scripts/gen.mjs (mode: py)
# SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT
"""kchan ummunotify (/dev/ummunotify), protocol version 2.

Address-range invalidation events (after Roland Dreier's 2009 ummunotify). A process
registers ranges of its own address space with a cookie; when the kernel invalidates any
part of a range (munmap, mremap, madvise(DONTNEED), page migration, exit) the reader
gets one INVAL event per affected region, and a 64-bit generation counter in a read-only
mmap'ed page is incremented, so a cache can check for changes with one load and no
syscall.

Contract:

read() returns whole `struct ummunotify_event`s: pending INVAL events in queue order, as
many as fit, and then one LAST event whose `user_cookie_counter` is the generation
counter, only if they drained the queue. LAST means drained: a read that could not take
every pending event carries no LAST, so a reader that reads until the first LAST has
seen every event counted by that generation, whatever its buffer size. A read that took
the last event with no room left for LAST owes it: the next read returns LAST (after any
events queued meanwhile), so a buffer of one event returns one INVAL per read and then
LAST. A buffer too small for one event fails with EINVAL and consumes nothing. Until a
region's event is read, further invalidations of the region merge into it (the hint
grows to cover all of them). Unregistering a region drops its pending event.

Races. A region registered while an invalidation of an overlapping range is under way
(the kernel has begun changing the mappings and not finished) gets an event for the
overlap at once, because its pages may still change after REGISTER returns; so no
invalidation that changes a registered range after its REGISTER returned goes
unreported. Such an event may be spurious (re-registering costs nothing else).

The generation page (mmap offset 0, one page, read-only) holds a u64 counter at offset
0, incremented (after the event is queued) each time an invalidation hits at least one
region. Load it with acquire ordering; if it equals the `user_cookie_counter` of the
last LAST the reader read, the reader has seen every invalidation so far (a reader that
stopped before LAST has not: more events are queued).

Bounds. At most UMMUNOTIFY_MAX_REGIONS regions per fd; pending events live on their
regions, so the event queue never overflows. Region memory (about 128 bytes a region)
and the slot array (8 * UMMUNOTIFY_MAX_SLOTS bytes plus a bitmap of MAX_SLOTS bits, once
UMMUNOTIFY_FEATURE_REGION_GENERATION is enabled) count against the opening user's
RLIMIT_MEMLOCK, in whole pages per fd, shared with every fd and process of that user
(and with its io_uring and watch_queue pages): registering a region or enabling the
feature past the limit fails with ENOMEM and changes nothing. Unregistering and close
give the memory back. Openers with CAP_IPC_LOCK (checked at open) are not charged.

Region generation slots (feature UMMUNOTIFY_FEATURE_REGION_GENERATION, off until
EXCHANGE_FEATURES enables it; enabling is for the fd's life: a later call without the
bit still reports it enabled). Once enabled, UMMUNOTIFY_REGISTER_REGION_SLOT registers a
region exactly like REGISTER_REGION and also gives it a slot (returned in `slot`, below
UMMUNOTIFY_MAX_SLOTS; ENOSPC when all are taken): a u64 counter at byte offset PAGE_SIZE
+ 8 * slot of the device's mapping, i.e. at index `slot` of the UMMUNOTIFY_MAX_SLOTS
u64s that mmap offset PAGE_SIZE maps (read-only, like the generation page; any page
range of [0, PAGE_SIZE + 8 * UMMUNOTIFY_MAX_SLOTS) may be mapped once the feature is on,
only the first page before). The counter is incremented, with release ordering after the
region's event is queued, each time an invalidation hits the region, and once more when
the region is unregistered. Counters are never reset: a slot freed by unregistering is
reused by a later registration with its counter where it was, so a reader that loaded a
slot before its region was unregistered always sees it change (no ABA). Load the slot
after the ioctl returns, before using the range; if the slot is unchanged on a later
(acquire) load, no invalidation has hit that region since. Events, the LAST counter and
the generation page work as for any region. Before the feature is enabled
REGISTER_REGION_SLOT fails with EINVAL.

An fd is bound at open() to the mm of the process that opens it; any other mm (a forked
child, an fd passed over a socket) gets EIO.
"""

import ctypes
import enum

UMMUNOTIFY_DEVICE_PATH = "/dev/ummunotify"

# Most registered regions per fd.
UMMUNOTIFY_MAX_REGIONS = 1048576
# Byte offset of the generation counter in the mapped page.
UMMUNOTIFY_GENERATION_OFFSET = 0
# Region generation slots per fd (their array is 8 * this bytes, mapped at offset
# PAGE_SIZE).
UMMUNOTIFY_MAX_SLOTS = 65536


class UmmunotifyEventType(enum.IntEnum):
    """enum ummunotify_event_type: Event types."""

    # A registered range was (partly) invalidated; `user_cookie_counter` is its cookie.
    INVAL = 0
    # Ends a read() that drained the queue; `user_cookie_counter` is the generation
    # counter.
    LAST = 1


UMMUNOTIFY_EVENT_TYPE_INVAL = 0
UMMUNOTIFY_EVENT_TYPE_LAST = 1

# Bitset ummunotify_event_flag (u32): Event flags.
# hint_start/hint_end bound the invalidated part of the region.
UMMUNOTIFY_EVENT_FLAG_HINT = 0x1
UMMUNOTIFY_EVENT_FLAG_HINT__SHIFT = 0

# Bitset ummunotify_feature (u32): Feature bits exchanged by
# UMMUNOTIFY_EXCHANGE_FEATURES.
# Per-region generation slots: UMMUNOTIFY_REGISTER_REGION_SLOT and the slot array mapped
# at offset PAGE_SIZE.
UMMUNOTIFY_FEATURE_REGION_GENERATION = 0x1
UMMUNOTIFY_FEATURE_REGION_GENERATION__SHIFT = 0


class UmmunotifyEvent(ctypes.Structure):
    """struct ummunotify_event: One event, 32 bytes.

    Size 32, alignment 8.

    - type: enum ummunotify_event_type
    - flags: UMMUNOTIFY_EVENT_FLAG_*
    - hint_start: Start of the invalidated part (inclusive).
    - hint_end: End of the invalidated part (exclusive).
    - user_cookie_counter: INVAL: the region's cookie. LAST: the generation counter.
    """

    _fields_ = [
        ("type", ctypes.c_uint32),
        ("flags", ctypes.c_uint32),
        ("hint_start", ctypes.c_uint64),
        ("hint_end", ctypes.c_uint64),
        ("user_cookie_counter", ctypes.c_uint64),
    ]


assert ctypes.sizeof(UmmunotifyEvent) == 32


class UmmunotifyRegisterIoctl(ctypes.Structure):
    """struct ummunotify_register_ioctl: Argument of UMMUNOTIFY_REGISTER_REGION.

    Size 32, alignment 8.

    - start: First byte of the range.
    - end: One past the last byte; must be > start.
    - user_cookie: Caller's cookie, unique per fd (EEXIST otherwise).
    - flags: Must be 0.
    - reserved: Must be 0.
    """

    _fields_ = [
        ("start", ctypes.c_uint64),
        ("end", ctypes.c_uint64),
        ("user_cookie", ctypes.c_uint64),
        ("flags", ctypes.c_uint32),
        ("reserved", ctypes.c_uint32),
    ]


assert ctypes.sizeof(UmmunotifyRegisterIoctl) == 32


class UmmunotifyRegisterSlotIoctl(ctypes.Structure):
    """struct ummunotify_register_slot_ioctl: Argument of UMMUNOTIFY_REGISTER_REGION_SLOT.

    Size 32, alignment 8.

    - start: First byte of the range.
    - end: One past the last byte; must be > start.
    - user_cookie: Caller's cookie, unique per fd (EEXIST otherwise).
    - flags: Must be 0.
    - slot: Out: the region's slot, below UMMUNOTIFY_MAX_SLOTS (ignored in).
    """

    _fields_ = [
        ("start", ctypes.c_uint64),
        ("end", ctypes.c_uint64),
        ("user_cookie", ctypes.c_uint64),
        ("flags", ctypes.c_uint32),
        ("slot", ctypes.c_uint32),
    ]


assert ctypes.sizeof(UmmunotifyRegisterSlotIoctl) == 32


class UmmunotifyGeneration(ctypes.Structure):
    """struct ummunotify_generation: The start of the read-only generation page.

    Size 8, alignment 8.

    - counter: Incremented on every invalidation that hits a region.
    """

    _fields_ = [
        ("counter", ctypes.c_uint64),
    ]


assert ctypes.sizeof(UmmunotifyGeneration) == 8


# ioctls of /dev/ummunotify
# _IOC(readwrite, 'U', 0x1, 4): In: features the caller wants. Out: the features now
# enabled: the requested ones this kernel offers, plus any enabled earlier (they stay
# on). ENOMEM if the slot array cannot be allocated or would take the opener past
# RLIMIT_MEMLOCK (nothing is enabled then).
UMMUNOTIFY_EXCHANGE_FEATURES = 0xc0045501
# _IOC(write, 'U', 0x2, 32): Register a range. EINVAL for start >= end, non-zero
# flags/reserved; EEXIST for a cookie in use; ENOSPC past MAX_REGIONS; ENOMEM past the
# opener's RLIMIT_MEMLOCK (see Bounds); EIO from another mm.
UMMUNOTIFY_REGISTER_REGION = 0x40205502
# _IOC(write, 'U', 0x3, 8): Unregister the region with this cookie (ENOENT if none),
# dropping its pending event; bumps its slot, if any, and frees it.
UMMUNOTIFY_UNREGISTER_REGION = 0x40085503
# _IOC(readwrite, 'U', 0x4, 32): Register a range like REGISTER_REGION and give it a
# generation slot (out: slot). EINVAL also when UMMUNOTIFY_FEATURE_REGION_GENERATION is
# not enabled; ENOSPC past MAX_REGIONS or with every slot taken; ENOMEM past
# RLIMIT_MEMLOCK.
UMMUNOTIFY_REGISTER_REGION_SLOT = 0xc0205504

__all__ = [
    "UMMUNOTIFY_DEVICE_PATH",
    "UMMUNOTIFY_MAX_REGIONS",
    "UMMUNOTIFY_GENERATION_OFFSET",
    "UMMUNOTIFY_MAX_SLOTS",
    "UMMUNOTIFY_EVENT_TYPE_INVAL",
    "UMMUNOTIFY_EVENT_TYPE_LAST",
    "UmmunotifyEventType",
    "UMMUNOTIFY_EVENT_FLAG_HINT",
    "UMMUNOTIFY_EVENT_FLAG_HINT__SHIFT",
    "UMMUNOTIFY_FEATURE_REGION_GENERATION",
    "UMMUNOTIFY_FEATURE_REGION_GENERATION__SHIFT",
    "UmmunotifyEvent",
    "UmmunotifyRegisterIoctl",
    "UmmunotifyRegisterSlotIoctl",
    "UmmunotifyGeneration",
    "UMMUNOTIFY_EXCHANGE_FEATURES",
    "UMMUNOTIFY_REGISTER_REGION",
    "UMMUNOTIFY_UNREGISTER_REGION",
    "UMMUNOTIFY_REGISTER_REGION_SLOT",
]
