/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kchan: kernel API of /dev/watch_queue for other modules.
 *
 * Any module may post a notification to every watch_queue ring that has a
 * watch on @type (normally WATCH_TYPE_KAPI). Build against kchan.ko's
 * Module.symvers (KBUILD_EXTRA_SYMBOLS) and include <kchan/watch_queue.h>
 * for the type, subtype and flag values.
 */
#ifndef _KCHAN_KAPI_WATCH_QUEUE_H
#define _KCHAN_KAPI_WATCH_QUEUE_H

#include <linux/types.h>

/**
 * kchan_watch_queue_post() - post a notification to the watching rings
 * @type: WATCH_TYPE_NETDEV, WATCH_TYPE_MODULE or WATCH_TYPE_KAPI
 * @subtype: type-specific subtype, 0..255
 * @type_flags: type-specific flags for WATCH_INFO_TYPE_FLAGS, 0..255
 * @payload: bytes that follow the one-slot header, or NULL if @len is 0
 * @len: payload bytes; the entry (header + payload rounded up to 8 bytes)
 *	 must fit WATCH_QUEUE_MAX_ENTRY_SLOTS slots
 *
 * Callable from any context but NMI, including hard interrupts and callers
 * holding scheduler or runqueue locks (a sched tracepoint, a kprobe
 * handler); never sleeps, allocates nothing, and wakes the readers through
 * an irq_work, never inline.
 * Except on PREEMPT_RT, where spinlock_t is a sleeping lock: there, call it
 * only from task or threaded-irq context, not from hard irq context
 * (HRTIMER_MODE_*_HARD timers, IRQF_NO_THREAD handlers) nor under a
 * raw_spinlock_t or with interrupts explicitly disabled.
 * Each watch on @type gets one entry tagged with its id, unless its queue's
 * filter rejects it. A ring without room counts the entry as lost and
 * reports the loss in-band before its next entry.
 *
 * Return: the number of entries written, or -EINVAL for a bad argument.
 */
int kchan_watch_queue_post(u32 type, u32 subtype, u32 type_flags,
			   const void *payload, size_t len);

#endif /* _KCHAN_KAPI_WATCH_QUEUE_H */
