/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/* Do not edit: generated from packages/uapi/spec/kchan.yaml by packages/uapi/scripts/gen.mjs (mode: c-uapi) */
/*
 * kchan ummunotify (/dev/ummunotify), protocol version 2.
 *
 * Address-range invalidation events (after Roland Dreier's 2009 ummunotify).
 * A process registers ranges of its own address space with a cookie; when
 * the kernel invalidates any part of a range (munmap, mremap,
 * madvise(DONTNEED), page migration, exit) the reader gets one INVAL event
 * per affected region, and a 64-bit generation counter in a read-only
 * mmap'ed page is incremented, so a cache can check for changes with one
 * load and no syscall.
 */
#ifndef _UAPI_KCHAN_UMMUNOTIFY_H
#define _UAPI_KCHAN_UMMUNOTIFY_H

#include <linux/types.h>
#include <linux/ioctl.h>

/*
 * Contract:
 *
 * read() returns whole `struct ummunotify_event`s: pending INVAL events in
 * queue order, as many as fit, and then one LAST event whose
 * `user_cookie_counter` is the generation counter, only if they drained the
 * queue. LAST means drained: a read that could not take every pending event
 * carries no LAST, so a reader that reads until the first LAST has seen
 * every event counted by that generation, whatever its buffer size. A read
 * that took the last event with no room left for LAST owes it: the next read
 * returns LAST (after any events queued meanwhile), so a buffer of one event
 * returns one INVAL per read and then LAST. A buffer too small for one event
 * fails with EINVAL and consumes nothing. Until a region's event is read,
 * further invalidations of the region merge into it (the hint grows to cover
 * all of them). Unregistering a region drops its pending event.
 *
 * Races. A region registered while an invalidation of an overlapping range
 * is under way (the kernel has begun changing the mappings and not finished)
 * gets an event for the overlap at once, because its pages may still change
 * after REGISTER returns; so no invalidation that changes a registered range
 * after its REGISTER returned goes unreported. Such an event may be spurious
 * (re-registering costs nothing else).
 *
 * The generation page (mmap offset 0, one page, read-only) holds a u64
 * counter at offset 0, incremented (after the event is queued) each time an
 * invalidation hits at least one region. Load it with acquire ordering; if
 * it equals the `user_cookie_counter` of the last LAST the reader read, the
 * reader has seen every invalidation so far (a reader that stopped before
 * LAST has not: more events are queued).
 *
 * Bounds. At most UMMUNOTIFY_MAX_REGIONS regions per fd; pending events live
 * on their regions, so the event queue never overflows. Region memory (about
 * 128 bytes a region) and the slot array (8 * UMMUNOTIFY_MAX_SLOTS bytes
 * plus a bitmap of MAX_SLOTS bits, once UMMUNOTIFY_FEATURE_REGION_GENERATION
 * is enabled) count against the opening user's RLIMIT_MEMLOCK, in whole
 * pages per fd, shared with every fd and process of that user (and with its
 * io_uring and watch_queue pages): registering a region or enabling the
 * feature past the limit fails with ENOMEM and changes nothing.
 * Unregistering and close give the memory back. Openers with CAP_IPC_LOCK
 * (checked at open) are not charged.
 *
 * Region generation slots (feature UMMUNOTIFY_FEATURE_REGION_GENERATION, off
 * until EXCHANGE_FEATURES enables it; enabling is for the fd's life: a later
 * call without the bit still reports it enabled). Once enabled,
 * UMMUNOTIFY_REGISTER_REGION_SLOT registers a region exactly like
 * REGISTER_REGION and also gives it a slot (returned in `slot`, below
 * UMMUNOTIFY_MAX_SLOTS; ENOSPC when all are taken): a u64 counter at byte
 * offset PAGE_SIZE + 8 * slot of the device's mapping, i.e. at index `slot`
 * of the UMMUNOTIFY_MAX_SLOTS u64s that mmap offset PAGE_SIZE maps
 * (read-only, like the generation page; any page range of [0, PAGE_SIZE + 8
 * * UMMUNOTIFY_MAX_SLOTS) may be mapped once the feature is on, only the
 * first page before). The counter is incremented, with release ordering
 * after the region's event is queued, each time an invalidation hits the
 * region, and once more when the region is unregistered. Counters are never
 * reset: a slot freed by unregistering is reused by a later registration
 * with its counter where it was, so a reader that loaded a slot before its
 * region was unregistered always sees it change (no ABA). Load the slot
 * after the ioctl returns, before using the range; if the slot is unchanged
 * on a later (acquire) load, no invalidation has hit that region since.
 * Events, the LAST counter and the generation page work as for any region.
 * Before the feature is enabled REGISTER_REGION_SLOT fails with EINVAL.
 *
 * An fd is bound at open() to the mm of the process that opens it; any other
 * mm (a forked child, an fd passed over a socket) gets EIO.
 */

/* Most registered regions per fd. */
#define UMMUNOTIFY_MAX_REGIONS	1048576
/* Byte offset of the generation counter in the mapped page. */
#define UMMUNOTIFY_GENERATION_OFFSET	0
/* Region generation slots per fd (their array is 8 * this bytes, mapped at offset PAGE_SIZE). */
#define UMMUNOTIFY_MAX_SLOTS	65536

/**
 * enum ummunotify_event_type - Event types.
 * @UMMUNOTIFY_EVENT_TYPE_INVAL: A registered range was (partly) invalidated;
 * `user_cookie_counter` is its cookie.
 * @UMMUNOTIFY_EVENT_TYPE_LAST: Ends a read() that drained the queue;
 * `user_cookie_counter` is the generation counter.
 */
enum ummunotify_event_type {
	UMMUNOTIFY_EVENT_TYPE_INVAL = 0,
	UMMUNOTIFY_EVENT_TYPE_LAST = 1,
};

/*
 * ummunotify_event_flag (u32) - Event flags.
 * @UMMUNOTIFY_EVENT_FLAG_HINT: hint_start/hint_end bound the invalidated
 * part of the region.
 */
#define UMMUNOTIFY_EVENT_FLAG_HINT		0x00000001
#define UMMUNOTIFY_EVENT_FLAG_HINT__SHIFT	0

/*
 * ummunotify_feature (u32) - Feature bits exchanged by
 * UMMUNOTIFY_EXCHANGE_FEATURES.
 * @UMMUNOTIFY_FEATURE_REGION_GENERATION: Per-region generation slots:
 * UMMUNOTIFY_REGISTER_REGION_SLOT and the slot array mapped at offset
 * PAGE_SIZE.
 */
#define UMMUNOTIFY_FEATURE_REGION_GENERATION		0x00000001
#define UMMUNOTIFY_FEATURE_REGION_GENERATION__SHIFT	0

/**
 * struct ummunotify_event - One event, 32 bytes.
 * @type: enum ummunotify_event_type
 * @flags: UMMUNOTIFY_EVENT_FLAG_*
 * @hint_start: Start of the invalidated part (inclusive).
 * @hint_end: End of the invalidated part (exclusive).
 * @user_cookie_counter: INVAL: the region's cookie. LAST: the generation
 * counter.
 *
 * Size 32, alignment 8.
 */
struct ummunotify_event {
	__u32 type;
	__u32 flags;
	__u64 hint_start;
	__u64 hint_end;
	__u64 user_cookie_counter;
};

/**
 * struct ummunotify_register_ioctl - Argument of UMMUNOTIFY_REGISTER_REGION.
 * @start: First byte of the range.
 * @end: One past the last byte; must be > start.
 * @user_cookie: Caller's cookie, unique per fd (EEXIST otherwise).
 * @flags: Must be 0.
 * @reserved: Must be 0.
 *
 * Size 32, alignment 8.
 */
struct ummunotify_register_ioctl {
	__u64 start;
	__u64 end;
	__u64 user_cookie;
	__u32 flags;
	__u32 reserved;
};

/**
 * struct ummunotify_register_slot_ioctl - Argument of
 * UMMUNOTIFY_REGISTER_REGION_SLOT.
 * @start: First byte of the range.
 * @end: One past the last byte; must be > start.
 * @user_cookie: Caller's cookie, unique per fd (EEXIST otherwise).
 * @flags: Must be 0.
 * @slot: Out: the region's slot, below UMMUNOTIFY_MAX_SLOTS (ignored in).
 *
 * Size 32, alignment 8.
 */
struct ummunotify_register_slot_ioctl {
	__u64 start;
	__u64 end;
	__u64 user_cookie;
	__u32 flags;
	__u32 slot;
};

/**
 * struct ummunotify_generation - The start of the read-only generation page.
 * @counter: Incremented on every invalidation that hits a region.
 *
 * Size 8, alignment 8.
 */
struct ummunotify_generation {
	__u64 counter;
};

/* ioctls of /dev/ummunotify */
/*
 * UMMUNOTIFY_EXCHANGE_FEATURES: In: features the caller wants. Out: the
 * features now enabled: the requested ones this kernel offers, plus any
 * enabled earlier (they stay on). ENOMEM if the slot array cannot be
 * allocated or would take the opener past RLIMIT_MEMLOCK (nothing is enabled
 * then).
 */
#define UMMUNOTIFY_EXCHANGE_FEATURES	_IOWR('U', 0x01, __u32)
/*
 * UMMUNOTIFY_REGISTER_REGION: Register a range. EINVAL for start >= end,
 * non-zero flags/reserved; EEXIST for a cookie in use; ENOSPC past
 * MAX_REGIONS; ENOMEM past the opener's RLIMIT_MEMLOCK (see Bounds); EIO
 * from another mm.
 */
#define UMMUNOTIFY_REGISTER_REGION	_IOW('U', 0x02, struct ummunotify_register_ioctl)
/*
 * UMMUNOTIFY_UNREGISTER_REGION: Unregister the region with this cookie
 * (ENOENT if none), dropping its pending event; bumps its slot, if any, and
 * frees it.
 */
#define UMMUNOTIFY_UNREGISTER_REGION	_IOW('U', 0x03, __u64)
/*
 * UMMUNOTIFY_REGISTER_REGION_SLOT: Register a range like REGISTER_REGION and
 * give it a generation slot (out: slot). EINVAL also when
 * UMMUNOTIFY_FEATURE_REGION_GENERATION is not enabled; ENOSPC past
 * MAX_REGIONS or with every slot taken; ENOMEM past RLIMIT_MEMLOCK.
 */
#define UMMUNOTIFY_REGISTER_REGION_SLOT	_IOWR('U', 0x04, struct ummunotify_register_slot_ioctl)

#endif /* _UAPI_KCHAN_UMMUNOTIFY_H */
