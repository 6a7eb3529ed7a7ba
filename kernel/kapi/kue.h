/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kchan kue: kernel API for sending messages to /dev/kue readers.
 *
 * Any module may broadcast a message to every reader of /dev/kue with
 * kue_send_event(). Each reader that had /dev/kue open when the message
 * was sent reads it once, whole, in order; a reader opened later never sees
 * it. When no such reader still has to read it (each one read it or closed),
 * the message is "delivered": the sender's callback runs and the message is
 * freed.
 *
 * Callback context. The delivered callback always runs from a workqueue, in
 * process context, with no kue lock held: it may sleep, and may call
 * kue_send_event() or kue_recall_event(). It runs exactly once per message
 * accepted by kue_send_event(), whatever the message's fate:
 *   0            delivered: every reader present at send time read it or
 *                closed (also when no reader was open at all: such a
 *                message is not queued, since a later opener would never
 *                read it);
 *   -ENOBUFS     dropped to respect the memory bound (the readers that had
 *                not read it are told how many messages they lost);
 *   -ECANCELED   recalled by kue_recall_event() or kue_recall_all().
 * For a KUE_NOCOPY message it never runs before the last in-progress read()
 * of the message finished copying it, so the buffer may be reused from the
 * callback on. Other messages are copied from kue's memory (or the
 * KUE_KFREE buffer, freed only after the last copy): their callback may run
 * while a read() still copies them, so a read() stuck in a page fault never
 * delays it.
 *
 * Context. "Any context but NMI" below holds for the usual preemption
 * models, and includes callers holding scheduler or runqueue locks (a sched
 * tracepoint, a kprobe handler): kue never wakes a reader or queues work
 * from these calls, it defers both through an irq_work. From such a caller
 * pass a @gfp to kue_send_event() that does not wake kswapd either (that
 * wake-up takes a runqueue lock), e.g. GFP_NOWAIT & ~__GFP_KSWAPD_RECLAIM.
 * On PREEMPT_RT, spinlock_t is a sleeping lock (and wake_up() takes
 * one): there, call kue_send_event(), kue_recall_event() and
 * kue_delivered_event() only from task or threaded-irq context, never from
 * hard irq context (HRTIMER_MODE_*_HARD timers, IRQF_NO_THREAD handlers) or
 * under a raw_spinlock_t / with interrupts explicitly disabled.
 *
 * Module unload. A sender that passed a callback (or KUE_NOCOPY payloads)
 * must call kue_recall_all(its_callback) before its code or data go away;
 * when it returns, no callback of that sender is queued or running.
 */
#ifndef _KCHAN_KAPI_KUE_H
#define _KCHAN_KAPI_KUE_H

#include <linux/gfp.h>
#include <linux/types.h>

/*
 * Payload ownership flags of kue_send_event(). Without either, the payload
 * is copied into the message and the caller keeps its buffer.
 *
 * KUE_KFREE (the seed's semantics): @payload was allocated with kmalloc()
 * or kvmalloc(); kue takes it over without copying and kvfree()s it after
 * the delivered callback. With @flags exactly KUE_KFREE, ownership passes
 * to kue on every call, even one that fails (the buffer is then freed in a
 * way safe in the caller's context). With invalid flags (KUE_KFREE with
 * KUE_NOCOPY or unknown bits) the call fails with -EINVAL and the caller
 * keeps the buffer.
 *
 * KUE_NOCOPY: kue reads @payload in place; the caller keeps it valid and
 * unchanged until the delivered callback (required) runs, then owns it again.
 * On failure the caller keeps it and no callback runs.
 */
#define KUE_KFREE	0x1U
#define KUE_NOCOPY	0x2U

/**
 * typedef kue_delivered_fn - called once per message when no reader needs it
 * @priv: the @priv passed to kue_send_event()
 * @seq: the message's sequence number
 * @status: 0 delivered, -ENOBUFS dropped, -ECANCELED recalled (see above)
 */
typedef void (*kue_delivered_fn)(void *priv, u64 seq, int status);

/**
 * kue_send_event - broadcast a message to the readers of /dev/kue
 * @payload: message bytes (may be NULL when @size is 0)
 * @size: payload bytes, at most KUE_MAX_MSG_SIZE
 * @flags: 0, KUE_KFREE or KUE_NOCOPY
 * @delivered: optional callback (required with KUE_NOCOPY)
 * @priv: passed to @delivered
 * @gfp: allocation flags; GFP_ATOMIC from atomic context, without
 *	 __GFP_KSWAPD_RECLAIM under scheduler locks (see "Context" above)
 *
 * Safe from any context but NMI (spinlock with interrupts disabled); on
 * PREEMPT_RT not from hard irq context (see "Context" above). If the
 * queue would exceed its memory bound, the oldest messages are dropped.
 *
 * Return: the message's sequence number (>= 1), or -EINVAL (bad size, flags
 * or arguments), -ENOSPC (larger than the memory bound), -ENOMEM.
 */
s64 kue_send_event(const void *payload, size_t size, unsigned int flags,
		   kue_delivered_fn delivered, void *priv, gfp_t gfp);

/**
 * kue_recall_event - withdraw a message not yet read by every reader
 * @seq: the sequence number kue_send_event() returned
 *
 * Readers that have not read it will never see it (it is not counted as
 * lost). A read() already copying it may still complete. Its callback runs
 * with -ECANCELED. Safe from any context but NMI (on PREEMPT_RT: not hard
 * irq).
 *
 * Return: 0, or -ENOENT if the message is no longer queued.
 */
int kue_recall_event(u64 seq);

/**
 * kue_delivered_event - has a message left the queue?
 * @seq: the sequence number kue_send_event() returned
 *
 * For senders that poll instead of passing a callback. Safe from any
 * context but NMI (on PREEMPT_RT: not hard irq).
 *
 * Return: true when message @seq was sent and no reader will read it any
 * more (delivered, dropped or recalled); its callback may still be pending.
 */
bool kue_delivered_event(u64 seq);

/**
 * kue_recall_all - recall every message of one sender and wait for callbacks
 * @delivered: the sender's callback
 *
 * Recalls every queued message whose callback is @delivered, then waits
 * until no callback to @delivered is pending or running. That includes
 * waiting for read()s still copying a KUE_NOCOPY message of the sender
 * (its buffer is in use until then), but not for copies of other messages.
 * Call from process context (it sleeps), e.g. from the sender's module
 * exit, after the sender stopped sending.
 */
void kue_recall_all(kue_delivered_fn delivered);

#endif /* _KCHAN_KAPI_KUE_H */
