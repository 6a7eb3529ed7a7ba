/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/* Do not edit: generated from packages/uapi/spec/kchan.yaml by packages/uapi/scripts/gen.mjs (mode: c-uapi) */
/*
 * kchan watch_queue (/dev/watch_queue), protocol version 2.
 *
 * A notification ring shared with user space (after David Howells' 2019
 * mmap'ed watch_queue). The ring is an array of 8-byte slots. Each entry
 * starts with a one-slot `struct watch_notification` header and takes 1 to
 * 63 slots. The first WATCH_QUEUE_META_SLOTS slots hold the meta entry with
 * the ring's head, tail and mask; it is also a valid skip entry, so a reader
 * that wraps round to slot 0 simply skips it. Entries never straddle the end
 * of the ring: the kernel pads the end with a skip entry.
 */
#ifndef _UAPI_KCHAN_WATCH_QUEUE_H
#define _UAPI_KCHAN_WATCH_QUEUE_H

#include <linux/types.h>
#include <linux/ioctl.h>

/*
 * Ring memory-order contract:
 *
 * Indices. `head` and `tail` are free-running u32 slot counts; slot `i`
 * lives at byte offset `(i & mask) * 8` of the mapping. The ring is empty
 * when head == tail, and `head - tail` (mod 2^32) never exceeds `mask + 1`.
 *
 * Who writes what. The kernel alone writes entries and `head`; the reader
 * alone writes `tail`. The kernel never reads the mapped `head` or `mask`
 * back: it keeps its own copy of head and the ring size.
 *
 * Ordering (liburing/perf style):
 * 1. Kernel: write the entry, then `smp_store_release(&meta->head, h)`.
 * 2. Reader: `h = load_acquire(&meta->head)` (pairs with 1), then read
 *    entries in [tail, h).
 * 3. Reader: after it is done with the entries, `store_release(&meta->tail,
 *    t)`.
 * 4. Kernel: `t = smp_load_acquire(&meta->tail)` (pairs with 3) before it
 *    reuses any slot below t.
 *
 * The reader may publish tail once per batch.
 *
 * Validation. On every post, and in poll() when tail != head, the kernel
 * checks the tail it reads: `head - tail` must not exceed `mask + 1` and
 * tail must not move backwards from the last tail it accepted. Otherwise the
 * queue enters the error state: nothing more is written, poll() reports
 * EPOLLERR (at once, not only after the next post), and the kernel never
 * writes outside the ring, until IOC_WATCH_QUEUE_RESET.
 *
 * Sleeping and waking. The kernel wakes pollers only when a post makes an
 * empty ring non-empty. Both sides use a full barrier so that no wake-up is
 * missed (the store-buffer pattern):
 * - kernel: publish head; smp_mb(); read tail; wake if the ring was empty
 *   before this post (tail == old head).
 * - reader: publish tail; then poll(): the kernel adds the waiter, smp_mb(),
 *   re-reads tail and compares it with head before sleeping.
 *
 * A reader must re-check head after arming its poll watcher.
 *
 * Overrun. When an entry does not fit, it is dropped and counted. The next
 * post that fits is preceded by a loss entry (type META, subtype LOSS, flag
 * OVERRUN) carrying the exact number of notifications lost, and itself
 * carries WATCH_INFO_OVERRUN. The loss entries keep the loss in order with
 * the entries; the meta entry's `lost` field makes it visible at once: the
 * kernel adds every dropped notification to it (store-release, mod 2^32). A
 * reader that drained the ring (read head with acquire, consumed up to it)
 * then loads `lost` with acquire: its difference from the sum of the loss
 * entries seen is the loss not yet reported in-band (the head acquire orders
 * every loss entry seen after the `lost` updates it reports). Since protocol
 * version 2.
 *
 * Reset. IOC_WATCH_QUEUE_RESET empties the ring and leaves the error state:
 * the only way back from a bad tail short of a new fd.
 */

/* Bytes in one ring slot. */
#define WATCH_QUEUE_SLOT_SIZE	8
/* log2 of the slot size. */
#define WATCH_LENGTH_SHIFT	3
/* Slots taken by the meta entry at the start of the ring. */
#define WATCH_QUEUE_META_SLOTS	3
/* Largest entry in slots (the LENGTH field is 6 bits). */
#define WATCH_QUEUE_MAX_ENTRY_SLOTS	63
/* Smallest ring in pages. */
#define WATCH_QUEUE_MIN_PAGES	1
/* Largest ring in pages (1 MiB with 4 KiB pages). */
#define WATCH_QUEUE_MAX_PAGES	256
/* Most type filters in one SET_FILTER call. */
#define WATCH_QUEUE_MAX_FILTERS	16
/* Largest watch id (the ID field is 8 bits). */
#define WATCH_QUEUE_MAX_WATCH_ID	255
/* Most watches on one queue. */
#define WATCH_QUEUE_MAX_WATCHES	64

/**
 * enum watch_notification_type - The `type` of a notification (24 bits).
 * @WATCH_TYPE_META: Ring management: skip, removal and loss entries. Never
 * filtered.
 * @WATCH_TYPE_NETDEV: Network device events (struct
 * watch_netdev_notification).
 * @WATCH_TYPE_MODULE: Kernel module load/unload (struct
 * watch_module_notification).
 * @WATCH_TYPE_KAPI: Posted by another kernel module through the exported
 * kernel API; payload is free-form.
 * @WATCH_TYPE_NR: Number of types; not a type.
 */
enum watch_notification_type {
	WATCH_TYPE_META = 0,
	WATCH_TYPE_NETDEV = 1,
	WATCH_TYPE_MODULE = 2,
	WATCH_TYPE_KAPI = 3,
	WATCH_TYPE_NR = 4,
};

/**
 * enum watch_meta_subtype - Subtypes of WATCH_TYPE_META.
 * @WATCH_META_SKIP_NOTIFICATION: Padding; skip `length` slots. The meta
 * entry at slot 0 is one.
 * @WATCH_META_REMOVAL_NOTIFICATION: The watch with this entry's ID was
 * removed.
 * @WATCH_META_LOSS_NOTIFICATION: Notifications were lost to overrun (struct
 * watch_queue_loss_notification).
 */
enum watch_meta_subtype {
	WATCH_META_SKIP_NOTIFICATION = 0,
	WATCH_META_REMOVAL_NOTIFICATION = 1,
	WATCH_META_LOSS_NOTIFICATION = 2,
};

/**
 * enum watch_netdev_subtype - Subtypes of WATCH_TYPE_NETDEV.
 * @WATCH_NETDEV_REGISTER: A network device was registered.
 * @WATCH_NETDEV_UNREGISTER: A network device is being unregistered.
 * @WATCH_NETDEV_UP: The device was brought up.
 * @WATCH_NETDEV_DOWN: The device was brought down.
 * @WATCH_NETDEV_CHANGE_NAME: The device was renamed (`name` is the new
 * name).
 */
enum watch_netdev_subtype {
	WATCH_NETDEV_REGISTER = 0,
	WATCH_NETDEV_UNREGISTER = 1,
	WATCH_NETDEV_UP = 2,
	WATCH_NETDEV_DOWN = 3,
	WATCH_NETDEV_CHANGE_NAME = 4,
};

/**
 * enum watch_module_subtype - Subtypes of WATCH_TYPE_MODULE.
 * @WATCH_MODULE_COMING: A module is being loaded.
 * @WATCH_MODULE_LIVE: A module finished loading.
 * @WATCH_MODULE_GOING: A module is being unloaded.
 */
enum watch_module_subtype {
	WATCH_MODULE_COMING = 0,
	WATCH_MODULE_LIVE = 1,
	WATCH_MODULE_GOING = 2,
};

/*
 * watch_info (u32) - The `info` word of every notification header.
 * @WATCH_INFO_OVERRUN: Notifications were lost before this one.
 * @WATCH_INFO_ENOMEM: Notifications were lost to memory allocation failure.
 * @WATCH_INFO_RECURSIVE: The change was recursive.
 * @WATCH_INFO_LENGTH: Length of the entry in 8-byte slots (1..63); as a byte
 * mask it is the length in bytes.
 * @WATCH_INFO_IN_SUBTREE: The change was not at the watched root.
 * @WATCH_INFO_RESERVED: Zero.
 * @WATCH_INFO_TYPE_FLAGS: Type-specific flags (none defined yet).
 * @WATCH_INFO_ID: The id of the watch that produced this entry.
 */
#define WATCH_INFO_OVERRUN		0x00000001
#define WATCH_INFO_OVERRUN__SHIFT	0
#define WATCH_INFO_ENOMEM		0x00000002
#define WATCH_INFO_ENOMEM__SHIFT	1
#define WATCH_INFO_RECURSIVE		0x00000004
#define WATCH_INFO_RECURSIVE__SHIFT	2
#define WATCH_INFO_LENGTH		0x000001f8
#define WATCH_INFO_LENGTH__SHIFT	3
#define WATCH_INFO_IN_SUBTREE		0x00000200
#define WATCH_INFO_IN_SUBTREE__SHIFT	9
#define WATCH_INFO_RESERVED		0x0000fc00
#define WATCH_INFO_RESERVED__SHIFT	10
#define WATCH_INFO_TYPE_FLAGS		0x00ff0000
#define WATCH_INFO_TYPE_FLAGS__SHIFT	16
#define WATCH_INFO_ID			0xff000000
#define WATCH_INFO_ID__SHIFT		24

/**
 * struct watch_notification - The header of every ring entry (one slot).
 * @type: enum watch_notification_type (bits 0..23 of type_subtype)
 * @subtype: Type-specific subtype (filterable) (bits 24..31 of type_subtype)
 * @info: Length, id and flags (WATCH_INFO_*).
 *
 * Size 8, alignment 4.
 */
struct watch_notification {
	__u32 type:24;
	__u32 subtype:8;
	__u32 info;
};

/* struct watch_notification bit fields: mask in the containing word, shift */
#define WATCH_NOTIFICATION_TYPE__MASK		0x00ffffff
#define WATCH_NOTIFICATION_TYPE__SHIFT		0
#define WATCH_NOTIFICATION_SUBTYPE__MASK	0xff000000
#define WATCH_NOTIFICATION_SUBTYPE__SHIFT	24

/**
 * struct watch_queue_meta - The meta entry in the first slots of the ring (a
 * skip entry of WATCH_QUEUE_META_SLOTS slots).
 * @watch: type META, subtype SKIP, length WATCH_QUEUE_META_SLOTS.
 * @head: Producer index in slots; written by the kernel (release).
 * @tail: Consumer index in slots; written by the reader (release).
 * @mask: Number of slots minus one.
 * @lost: Notifications dropped since SET_SIZE or RESET, mod 2^32; written by
 * the kernel (release) when it drops one. Protocol version 2; was a zero
 * reserved field.
 *
 * Size 24, alignment 4.
 */
struct watch_queue_meta {
	struct watch_notification watch;
	__u32 head;
	__u32 tail;
	__u32 mask;
	__u32 lost;
};

/**
 * struct watch_queue_loss_notification - A META/LOSS entry. Carries
 * WATCH_INFO_OVERRUN.
 * @watch: type META, subtype LOSS.
 * @lost: Notifications dropped since the previous loss entry.
 *
 * Size 16, alignment 8.
 */
struct watch_queue_loss_notification {
	struct watch_notification watch;
	__u64 lost;
};

/**
 * struct watch_netdev_notification - A WATCH_TYPE_NETDEV entry.
 * @watch: Header.
 * @ifindex: Interface index.
 * @flags: The device's IFF_* flags after the event.
 * @name: Interface name, NUL-padded.
 *
 * Size 32, alignment 4.
 */
struct watch_netdev_notification {
	struct watch_notification watch;
	__u32 ifindex;
	__u32 flags;
	__u8 name[16];
};

/**
 * struct watch_module_notification - A WATCH_TYPE_MODULE entry.
 * @watch: Header.
 * @name: Module name, NUL-padded.
 *
 * Size 64, alignment 4.
 */
struct watch_module_notification {
	struct watch_notification watch;
	__u8 name[56];
};

/**
 * struct watch_queue_watch - Argument of IOC_WATCH_QUEUE_ADD_WATCH.
 * @type: Source to watch: WATCH_TYPE_NETDEV, _MODULE or _KAPI.
 * @id: Watch id 0..255, reported in WATCH_INFO_ID.
 * @flags: Must be 0.
 * @reserved: Must be 0.
 *
 * Size 16, alignment 4.
 */
struct watch_queue_watch {
	__u32 type;
	__u32 id;
	__u32 flags;
	__u32 reserved;
};

/**
 * struct watch_notification_type_filter - One type's filter.
 * @type: Type to apply the filter to (< WATCH_TYPE_NR, not META).
 * @info_filter: Required value of (info & info_mask).
 * @info_mask: Bits of info that info_filter tests.
 * @subtype_filter: Bitmap of the 256 subtypes to pass.
 *
 * Size 44, alignment 4.
 */
struct watch_notification_type_filter {
	__u32 type;
	__u32 info_filter;
	__u32 info_mask;
	__u32 subtype_filter[8];
};

/**
 * struct watch_notification_filter - Argument of IOC_WATCH_QUEUE_SET_FILTER.
 * When a filter is set, only notifications of a listed type whose subtype
 * and info match pass; META entries always pass. A NULL argument removes the
 * filter.
 * @nr_filters: Number of filters (<= WATCH_QUEUE_MAX_FILTERS).
 * @reserved: Must be 0.
 * @filters: nr_filters filters (flexible array).
 *
 * Size 8 plus the flexible array, alignment 4.
 */
struct watch_notification_filter {
	__u32 nr_filters;
	__u32 reserved;
	struct watch_notification_type_filter filters[];
};

/* ioctls of /dev/watch_queue */
/*
 * IOC_WATCH_QUEUE_SET_SIZE: arg: u32 by value. Size the ring: arg is the
 * number of pages, a power of two in [MIN_PAGES, MAX_PAGES]. Once only
 * (EBUSY); charged to RLIMIT_MEMLOCK (ENOMEM/EPERM).
 */
#define IOC_WATCH_QUEUE_SET_SIZE	_IO('W', 0x60)
/*
 * IOC_WATCH_QUEUE_SET_FILTER: arg: struct watch_notification_filter *
 * (variable size). Set or (NULL) clear the filter. EINVAL for a bad count,
 * type or reserved field, info_filter bits outside info_mask, or
 * WATCH_INFO_LENGTH in info_mask.
 */
#define IOC_WATCH_QUEUE_SET_FILTER	_IO('W', 0x61)
/*
 * IOC_WATCH_QUEUE_ADD_WATCH: Watch a source under an id. EEXIST for an id in
 * use, EINVAL for a bad type, id or flags, ENOSPC past MAX_WATCHES or past
 * the per-user limit (module parameter kchan.wq_max_user_watches, default
 * 8192), ENODEV before SET_SIZE (a watch on an unsized ring would only count
 * losses).
 */
#define IOC_WATCH_QUEUE_ADD_WATCH	_IOW('W', 0x62, struct watch_queue_watch)
/*
 * IOC_WATCH_QUEUE_REMOVE_WATCH: Remove the watch with this id (ENOENT if
 * none) and post a META/REMOVAL entry.
 */
#define IOC_WATCH_QUEUE_REMOVE_WATCH	_IOW('W', 0x63, __u32)
/*
 * IOC_WATCH_QUEUE_RESET: arg: u32 by value. Empty the ring and clear the
 * error state: under the queue's lock, rewrite the meta entry (head = tail =
 * WATCH_QUEUE_META_SLOTS, lost = 0) and forget any loss not yet reported.
 * Entries in the ring are discarded, not counted as lost. For the ring's
 * owner, with no read of the ring in progress (a reader must restart from
 * the new tail). arg must be 0 (EINVAL). ENODEV before SET_SIZE.
 */
#define IOC_WATCH_QUEUE_RESET	_IO('W', 0x64)

#endif /* _UAPI_KCHAN_WATCH_QUEUE_H */
