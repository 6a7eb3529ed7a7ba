// SPDX-License-Identifier: GPL-2.0
/*
 * kchan: /dev/kue — kernel-to-user message queue
 *
 * After Inaky Perez-Gonzalez' 2003 kue, with its bugs fixed. Kernel code
 * broadcasts messages with kue_send_event() (kapi/kue.h); each open fd
 * reads every message sent while it was open, once, whole, in order.
 *
 * Design
 *
 * One global queue: a list of messages in ascending sequence order (seq
 * from 1). Each fd (struct kue_reader) has a cursor, the next seq it will
 * read; an fd opened later starts at the next new message. A message
 * records at send time how many readers are open (@readers). Every reader
 * open then has a cursor at or below its seq, and decrements @readers when
 * it reads the message or, if it closes first, when it closes. At zero the
 * message is delivered. Later openers are never counted, so they cannot
 * break the accounting (the seed's fds_done bug). A message sent while no
 * reader is open is delivered at once instead of being queued: no future
 * opener would read it. So the queue is empty whenever no fd is open.
 *
 * Index. Lookups by seq (a recall, a reader that is not the slowest, a
 * closing reader) go through kue.tree, which holds only some queued messages:
 * the oldest one always, and then at least one in every KUE_INDEX_STRIDE
 * consecutive ones. A lookup finds the last indexed message below the seq
 * and walks @msgs from there, at most KUE_INDEX_STRIDE steps. A message
 * leaving the queue hands its place in the tree to the next one if that is
 * not indexed (rb_replace_node(): the same place in seq order), so runs of
 * unindexed messages never merge. Messages delivered in order cost one
 * tree operation per KUE_INDEX_STRIDE, not an rb_erase() each.
 *
 * Memory bound: at most kue_limit_bytes of payload and kue_limit_msgs
 * messages are queued. A send that would exceed either drops the oldest
 * messages first. Each reader whose cursor was at or below a dropped
 * message counts it in @lost_pending; its next record carries
 * KUE_MSG_FLAG_LOST and the count (drops are always oldest first, so all
 * counted messages precede that record). Recalled messages are not "lost".
 *
 * Lifetime. Its kref counts the queue's reference plus one per read()
 * copying it without the lock. A message is on @msgs while queued. Once
 * unlinked (delivered, dropped, recalled), its callback is due, and the
 * retire work calls it in process context, outside the lock, from @retire:
 *   - A KUE_NOCOPY message still being copied waits on @limbo until the
 *     last copy ends (its callback hands the sender's buffer back), then
 *     goes to @retire with no reference left: called back and freed.
 *   - Any other message goes to @retire at once, even while being copied
 *     (its memory is kue's): the work calls back, drops the queue's
 *     reference, and frees it if that was the last; otherwise it is on no
 *     list until the last read() drops its reference, which hands it to
 *     @retire again to be freed (@called: no second callback).
 * So kue_recall_all() waits for in-flight copies only of KUE_NOCOPY
 * messages, and a read() stuck in a fault (userfaultfd, FUSE) cannot hold
 * up the callbacks of copied messages. All lists are under kue.lock.
 *
 * Locking. kue.lock (spinlock, interrupts disabled: senders may run in any
 * context but NMI, scheduler locks held included, or on PREEMPT_RT, where
 * spinlock_t sleeps, any but hard irq; see kapi/kue.h) guards the lists,
 * the counters, every reader's cursor and loss counts and every message's
 * @readers and @status. read() copies to user space without it, holding a
 * message reference; kue_reader.read_lock serialises read() calls on one fd.
 * Module: file owner THIS_MODULE pins kchan while an fd is open; senders pin
 * it through their symbol use.
 *
 * Deferred wake-ups. A sender may hold a runqueue lock (a sched tracepoint)
 * or run in hard irq, so neither it nor anything under kue.lock calls
 * wake_up() or queue_work() (both may take a runqueue lock): they set a bit
 * in kue.pending and raise kue.wake_work, an irq_work, whose handler wakes
 * the readers (KUE_WAKE_READ), kue_recall_all() (KUE_WAKE_LIMBO) or queues
 * the retire work (KUE_WAKE_RETIRE) from a clean hard-irq context. A send
 * raises it only when a reader is waiting (waitqueue_active() under
 * kue.lock: a waiter queues itself before it checks under kue.lock). Every
 * flush of the retire work runs irq_work_sync() first.
 *
 * Access. Readers see every kernel message, so /dev/kue is root-only by
 * default: kue_mode (default 0600) is the device node's mode. kue_gid
 * (default -1, off) additionally lets members of that group (and
 * CAP_SYS_ADMIN) open it, for systems without a udev rule: load with e.g.
 * kue_mode=0666 kue_gid=123; any other user then gets EPERM from open().
 * With udev, prefer kue_mode=0660 and a GROUP= rule.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/irq_work.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/poll.h>
#include <linux/rbtree.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include <kchan/kue.h>

#include "kapi/kue.h"
#include "kapi/testing.h"
#include "kchan.h"

static unsigned long kue_limit_bytes = 1UL << 20;
module_param(kue_limit_bytes, ulong, 0644);
MODULE_PARM_DESC(kue_limit_bytes,
		 "kue: most payload bytes queued before the oldest messages are dropped (default 1 MiB)");

static unsigned long kue_limit_msgs = 65536;
module_param(kue_limit_msgs, ulong, 0644);
MODULE_PARM_DESC(kue_limit_msgs,
		 "kue: most messages queued before the oldest are dropped (default 65536)");

static ushort kue_mode = 0600;
module_param(kue_mode, ushort, 0444);
MODULE_PARM_DESC(kue_mode, "kue: mode of /dev/kue (default 0600, root only)");

static int kue_gid = -1;
module_param(kue_gid, int, 0444);
MODULE_PARM_DESC(kue_gid,
		 "kue: if >= 0, only root and members of this group may open /dev/kue");

#define KUE_SEND_FLAGS	(KUE_KFREE | KUE_NOCOPY)
/* The status a message is retired with while still queued. */
#define KUE_QUEUED	1

struct kue_msg {
	struct list_head node;		/* kue.msgs, .limbo, .retire or none */
	struct rb_node rb;		/* in kue.tree if indexed; see "Index" */
	struct kref ref;		/* queue + in-progress reads */
	u64 seq;
	size_t size;
	unsigned int flags;		/* KUE_KFREE, KUE_NOCOPY */
	unsigned int readers;		/* readers yet to pass it; kue.lock */
	int status;			/* KUE_QUEUED or callback status */
	bool called;			/* callback done; retire work only */
	kue_delivered_fn delivered;
	void *priv;
	const void *payload;		/* ->data, or the sender's buffer */
	u8 data[] __aligned(8);		/* a copy, zero-padded to KUE_RECORD_ALIGN */
};

struct kue_reader {
	struct list_head node;		/* on kue.readers */
	u64 cursor;			/* next seq to read; kue.lock */
	u64 lost_pending;		/* dropped, not yet reported; kue.lock */
	u64 lost_total;			/* dropped in all; kue.lock */
	struct mutex read_lock;		/* serialises read() */
};

static struct kue_queue {
	spinlock_t lock;		/* see "Locking" above */
	struct list_head msgs;		/* queued, ascending seq */
	struct rb_root tree;		/* some of them by seq; see "Index" */
	unsigned int unindexed;		/* at most this many after the last indexed */
	struct list_head limbo;		/* unlinked, still being copied */
	struct list_head retire;	/* waiting for the retire work */
	struct llist_head vfree;	/* payloads for the retire work to vfree */
	struct list_head readers;
	unsigned int nr_readers;
	unsigned int closing;		/* readers in kue_release() */
	u64 next_seq;
	u64 queued_msgs;
	u64 queued_bytes;
	u64 freed;
	u64 dropped;
	wait_queue_head_t read_wait;	/* readers waiting for messages */
	wait_queue_head_t limbo_wait;	/* kue_recall_all() */
	struct work_struct retire_work;
	struct irq_work wake_work;	/* see "Deferred wake-ups" */
	unsigned long pending;		/* KUE_WAKE_* bits for wake_work */
} kue;

#define KUE_WAKE_READ	0
#define KUE_WAKE_LIMBO	1
#define KUE_WAKE_RETIRE	2

/* Hard-irq context, no kue lock held. */
static void kue_wake_work(struct irq_work *work)
{
	if (test_and_clear_bit(KUE_WAKE_RETIRE, &kue.pending))
		queue_work(system_unbound_wq, &kue.retire_work);
	if (test_and_clear_bit(KUE_WAKE_READ, &kue.pending))
		wake_up_interruptible_poll(&kue.read_wait, EPOLLIN | EPOLLRDNORM);
	if (test_and_clear_bit(KUE_WAKE_LIMBO, &kue.pending))
		wake_up_all(&kue.limbo_wait);
}

/*
 * Have wake_work do @what: safe under kue.lock and any lock of the caller's.
 * The bit is set before the irq_work is raised and cleared by the handler
 * before it acts, so a request is never lost: either the handler already
 * running sees the bit, or the raise queues another run.
 */
static void kue_defer(unsigned int what)
{
	set_bit(what, &kue.pending);
	irq_work_queue(&kue.wake_work);
}

/* Wait for the retire work, including a run wake_work is about to queue. */
static void kue_flush_retire(void)
{
	irq_work_sync(&kue.wake_work);
	flush_work(&kue.retire_work);
}

/* Message lifetime */

static void kue_msg_free(struct kue_msg *msg)
{
	if (msg->flags & KUE_KFREE)
		kvfree(msg->payload);
	kvfree(msg);
}

/*
 * The retire work (callbacks, frees) need not run on the CPU that queued
 * it: the unbound workqueue, queued from wake_work.
 */
static void kue_queue_retire_work(void)
{
	kue_defer(KUE_WAKE_RETIRE);
}

/*
 * Put @msg on @retire. The work is scheduled only when the list becomes
 * non-empty: from then until a run of the work takes the list (under
 * kue.lock), a run that has not yet done so is pending or queued.
 */
static void kue_retire(struct kue_msg *msg)
{
	bool first;

	lockdep_assert_held(&kue.lock);
	first = list_empty(&kue.retire);
	list_move_tail(&msg->node, &kue.retire);
	if (first)
		kue_queue_retire_work();
}

/* Last reference gone: hand the message to the retire work. */
static void kue_msg_release(struct kref *ref)
{
	struct kue_msg *msg = container_of(ref, struct kue_msg, ref);

	lockdep_assert_held(&kue.lock);
	kue_retire(msg);
	/* kue_recall_all() checks @limbo under kue.lock: no missed wake-up. */
	if (waitqueue_active(&kue.limbo_wait))
		kue_defer(KUE_WAKE_LIMBO);
}

static void kue_msg_put(struct kue_msg *msg)
{
	lockdep_assert_held(&kue.lock);
	kref_put(&msg->ref, kue_msg_release);
}

/* Index: one message in every KUE_INDEX_STRIDE at least. */
#define KUE_INDEX_STRIDE	16

static bool kue_indexed(const struct kue_msg *msg)
{
	return !RB_EMPTY_NODE(&msg->rb);
}

/*
 * Take the indexed @msg out of kue.tree. Its place goes to @next, the
 * message after it on @msgs, if that is not indexed: between @msg and the
 * next indexed message, @next takes the same place in seq order.
 */
static void kue_unindex(struct kue_msg *msg, struct kue_msg *next)
{
	lockdep_assert_held(&kue.lock);
	if (next && !kue_indexed(next))
		rb_replace_node(&msg->rb, &next->rb, &kue.tree);
	else
		rb_erase(&msg->rb, &kue.tree);
	RB_CLEAR_NODE(&msg->rb);
}

/* Give @msg its final @status and take it out of the queue's counts. */
static void kue_msg_account(struct kue_msg *msg, int status)
{
	lockdep_assert_held(&kue.lock);
	msg->status = status;
	kue.queued_msgs--;
	kue.queued_bytes -= msg->size;
}

/*
 * Take @msg, still on @msgs, out of the queue's counts and index with its
 * final @status; the caller moves it off @msgs.
 */
static void kue_msg_dequeue(struct kue_msg *msg, int status)
{
	kue_msg_account(msg, status);
	if (!kue_indexed(msg))
		return;
	if (list_is_last(&msg->node, &kue.msgs)) {
		kue_unindex(msg, NULL);
		/* Up to a stride less one before it: index the next send. */
		kue.unindexed = KUE_INDEX_STRIDE - 1;
		return;
	}
	kue_unindex(msg, list_next_entry(msg, node));
}

/* Take a queued message off the queue with its final @status. */
static void kue_msg_unlink(struct kue_msg *msg, int status)
{
	kue_msg_dequeue(msg, status);
	if (!(msg->flags & KUE_NOCOPY) && kref_read(&msg->ref) > 1) {
		/*
		 * Being copied, but from kue's memory: the callback need not
		 * wait. The retire work keeps the queue's reference until then.
		 */
		kue_retire(msg);
		return;
	}
	/*
	 * The queue's reference. If it was the last, the release moved the
	 * message to @retire; otherwise it waits on @limbo for the copies.
	 * Nobody sees it on @msgs in between: every put is under kue.lock.
	 */
	if (!kref_put(&msg->ref, kue_msg_release))
		list_move_tail(&msg->node, &kue.limbo);
}

/*
 * Free the payload of a failed KUE_KFREE send, in the sender's context (any
 * but NMI): kfree() is fine anywhere, but vfree() may sleep, so a vmalloc'ed
 * buffer goes to the retire work, linked through its own first bytes (as
 * vfree_atomic() does, which is not exported; a vmalloc area spans at least
 * a page).
 */
static void kue_free_payload_any_context(const void *payload)
{
	if (!is_vmalloc_addr(payload)) {
		kfree(payload);
		return;
	}
	if (llist_add((struct llist_node *)payload, &kue.vfree))
		kue_queue_retire_work();
}

static void kue_retire_work(struct work_struct *work)
{
	struct llist_node *node, *next;
	struct kue_msg *msg, *tmp;
	unsigned long flags;
	u64 freed = 0;
	LIST_HEAD(done);

	llist_for_each_safe(node, next, llist_del_all(&kue.vfree))
		vfree(node);

	spin_lock_irqsave(&kue.lock, flags);
	list_splice_init(&kue.retire, &done);
	spin_unlock_irqrestore(&kue.lock, flags);

	list_for_each_entry_safe(msg, tmp, &done, node) {
		/*
		 * Off @done first: it is ours alone, but a message freed while
		 * still linked would be a neighbour that the next unlink writes.
		 * A message still referenced is then on no list, as the last
		 * kue_msg_put() expects.
		 */
		list_del_init(&msg->node);
		if (!msg->called && msg->delivered)
			msg->delivered(msg->priv, msg->seq, msg->status);
		msg->called = true;
		/* Retired while copied: kue_msg_unlink() left us its reference. */
		if (kref_read(&msg->ref)) {
			bool last;

			spin_lock_irqsave(&kue.lock, flags);
			last = refcount_dec_and_test(&msg->ref.refcount);
			spin_unlock_irqrestore(&kue.lock, flags);
			/* If not, the last kue_msg_put() retires it again. */
			if (!last)
				continue;
		}
		kue_msg_free(msg);
		freed++;
		cond_resched();
	}

	spin_lock_irqsave(&kue.lock, flags);
	kue.freed += freed;
	spin_unlock_irqrestore(&kue.lock, flags);
}

/* Queue @msg, whose seq is above every queued one. */
static void kue_enqueue(struct kue_msg *msg)
{
	struct rb_node *parent, **link = &kue.tree.rb_node;

	lockdep_assert_held(&kue.lock);
	if (list_empty(&kue.msgs) || kue.unindexed >= KUE_INDEX_STRIDE - 1) {
		/* Above every indexed seq: the rightmost node's right child. */
		parent = rb_last(&kue.tree);
		if (parent)
			link = &parent->rb_right;
		rb_link_node(&msg->rb, parent, link);
		rb_insert_color(&msg->rb, &kue.tree);
		kue.unindexed = 0;
	} else {
		kue.unindexed++;
	}
	list_add_tail(&msg->node, &kue.msgs);
	kue.queued_msgs++;
	kue.queued_bytes += msg->size;
}

/*
 * The queued message with the lowest seq >= @seq, or NULL: O(log n), plus at
 * most KUE_INDEX_STRIDE steps along @msgs.
 */
static struct kue_msg *kue_first_from(u64 seq)
{
	struct rb_node *n = kue.tree.rb_node;
	struct kue_msg *msg, *below;
	unsigned int steps = 0;

	lockdep_assert_held(&kue.lock);
	if (list_empty(&kue.msgs))
		return NULL;
	msg = list_first_entry(&kue.msgs, struct kue_msg, node);
	WARN_ON_ONCE(!kue_indexed(msg));
	if (msg->seq >= seq)
		return msg;
	/* The last indexed message below @seq (the oldest one is)... */
	below = msg;
	while (n) {
		msg = rb_entry(n, struct kue_msg, rb);
		if (msg->seq < seq) {
			below = msg;
			n = n->rb_right;
		} else {
			n = n->rb_left;
		}
	}
	/* ...then along @msgs, past at most a stride of unindexed ones. */
	for (msg = below; msg->seq < seq; msg = list_next_entry(msg, node)) {
		if (list_is_last(&msg->node, &kue.msgs))
			return NULL;
		WARN_ON_ONCE(++steps > KUE_INDEX_STRIDE);
	}
	return msg;
}

/* Messages dropped per pass over the readers. */
#define KUE_DROP_BATCH	16

static bool kue_over_limit(size_t size, unsigned long limit)
{
	return kue.queued_bytes + size > limit ||
	       kue.queued_msgs + 1 > READ_ONCE(kue_limit_msgs);
}

/*
 * Drop the oldest messages until @size more bytes and one more message fit.
 * Each reader loses the dropped messages at or after its cursor; they are
 * counted once per batch of KUE_DROP_BATCH, not once per message.
 */
static void kue_make_room(size_t size, unsigned long limit)
{
	u64 seqs[KUE_DROP_BATCH];
	struct kue_reader *r;
	struct kue_msg *msg;
	unsigned int n, lo, hi, mid;

	lockdep_assert_held(&kue.lock);
	while (!list_empty(&kue.msgs) && kue_over_limit(size, limit)) {
		n = 0;
		do {
			msg = list_first_entry(&kue.msgs, struct kue_msg, node);
			seqs[n++] = msg->seq;
			kue.dropped++;
			kue_msg_unlink(msg, -ENOBUFS);
		} while (n < KUE_DROP_BATCH && !list_empty(&kue.msgs) &&
			 kue_over_limit(size, limit));

		/* seqs[] ascends: count those >= the cursor. */
		list_for_each_entry(r, &kue.readers, node) {
			lo = 0;
			hi = n;
			while (lo < hi) {
				mid = (lo + hi) / 2;
				if (seqs[mid] < r->cursor)
					lo = mid + 1;
				else
					hi = mid;
			}
			r->lost_pending += n - lo;
			r->lost_total += n - lo;
		}
	}
}

/* Exported kernel API */

s64 kue_send_event(const void *payload, size_t size, unsigned int flags,
		   kue_delivered_fn delivered, void *priv, gfp_t gfp)
{
	unsigned long irqflags, limit;
	struct kue_msg *msg;
	size_t alloc;
	bool wake;
	s64 seq;

	if ((flags & ~KUE_SEND_FLAGS) ||
	    (flags & KUE_SEND_FLAGS) == KUE_SEND_FLAGS ||
	    ((flags & KUE_NOCOPY) && !delivered) ||
	    size > KUE_MAX_MSG_SIZE || (size && !payload)) {
		seq = -EINVAL;
		goto err_payload;
	}

	alloc = (flags & (KUE_KFREE | KUE_NOCOPY)) ? sizeof(*msg) :
		struct_size(msg, data, ALIGN(size, KUE_RECORD_ALIGN));
	if (gfpflags_allow_blocking(gfp))
		msg = kvmalloc(alloc, gfp);
	else
		msg = kmalloc(alloc, gfp);
	if (!msg) {
		seq = -ENOMEM;
		goto err_payload;
	}
	kref_init(&msg->ref);
	RB_CLEAR_NODE(&msg->rb);
	msg->size = size;
	msg->flags = flags;
	msg->status = KUE_QUEUED;
	msg->called = false;
	msg->delivered = delivered;
	msg->priv = priv;
	if (flags & (KUE_KFREE | KUE_NOCOPY)) {
		msg->payload = payload;
	} else {
		if (size)
			memcpy(msg->data, payload, size);
		memset(msg->data + size, 0, ALIGN(size, KUE_RECORD_ALIGN) - size);
		msg->payload = msg->data;
	}

	spin_lock_irqsave(&kue.lock, irqflags);
	limit = READ_ONCE(kue_limit_bytes);
	if (size > limit) {
		spin_unlock_irqrestore(&kue.lock, irqflags);
		kvfree(msg);
		seq = -ENOSPC;
		goto err_payload;
	}
	seq = kue.next_seq++;
	msg->seq = seq;
	if (!kue.nr_readers) {
		/* Nobody could ever read it: delivered to all (none). */
		msg->status = 0;
		list_add_tail(&msg->node, &kue.limbo);
		kue_msg_put(msg);
		spin_unlock_irqrestore(&kue.lock, irqflags);
		return seq;
	}
	kue_make_room(size, limit);
	msg->readers = kue.nr_readers;
	kue_enqueue(msg);
	/*
	 * A waiter queues itself on read_wait, then checks for messages under
	 * kue.lock: if it is not on read_wait yet, it will see this message.
	 */
	wake = waitqueue_active(&kue.read_wait);
	spin_unlock_irqrestore(&kue.lock, irqflags);

	if (wake)
		kue_defer(KUE_WAKE_READ);
	return seq;

err_payload:
	/*
	 * Ownership passed only with valid flags: with bad ones the caller
	 * cannot know how we took them, so it keeps the buffer.
	 */
	if (flags == KUE_KFREE)
		kue_free_payload_any_context(payload);
	return seq;
}
EXPORT_SYMBOL_GPL(kue_send_event);

static struct kue_msg *kue_find_queued(u64 seq)
{
	struct kue_msg *msg = kue_first_from(seq);

	return msg && msg->seq == seq ? msg : NULL;
}

int kue_recall_event(u64 seq)
{
	unsigned long flags;
	struct kue_msg *msg;
	int ret = -ENOENT;

	spin_lock_irqsave(&kue.lock, flags);
	msg = kue_find_queued(seq);
	if (msg) {
		kue_msg_unlink(msg, -ECANCELED);
		ret = 0;
	}
	spin_unlock_irqrestore(&kue.lock, flags);
	return ret;
}
EXPORT_SYMBOL_GPL(kue_recall_event);

bool kue_delivered_event(u64 seq)
{
	unsigned long flags;
	bool ret;

	spin_lock_irqsave(&kue.lock, flags);
	ret = seq >= 1 && seq < kue.next_seq && !kue_find_queued(seq);
	spin_unlock_irqrestore(&kue.lock, flags);
	return ret;
}
EXPORT_SYMBOL_GPL(kue_delivered_event);

static bool kue_limbo_has(kue_delivered_fn delivered)
{
	struct kue_msg *msg;
	unsigned long flags;
	bool ret = false;

	spin_lock_irqsave(&kue.lock, flags);
	list_for_each_entry(msg, &kue.limbo, node) {
		if (msg->delivered == delivered) {
			ret = true;
			break;
		}
	}
	spin_unlock_irqrestore(&kue.lock, flags);
	return ret;
}

void kue_recall_all(kue_delivered_fn delivered)
{
	struct kue_msg *msg, *tmp;
	unsigned long flags;

	might_sleep();
	spin_lock_irqsave(&kue.lock, flags);
	list_for_each_entry_safe(msg, tmp, &kue.msgs, node) {
		if (msg->delivered == delivered)
			kue_msg_unlink(msg, -ECANCELED);
	}
	spin_unlock_irqrestore(&kue.lock, flags);
	/*
	 * Only KUE_NOCOPY messages wait on @limbo for reads still copying
	 * them; those put them on @retire when done.
	 */
	wait_event(kue.limbo_wait, !kue_limbo_has(delivered));
	kue_flush_retire();
}
EXPORT_SYMBOL_GPL(kue_recall_all);

#ifdef KCHAN_TESTING
void kue_flush_delivered(void)
{
	might_sleep();
	kue_flush_retire();
}
EXPORT_SYMBOL_GPL(kue_flush_delivered);

void kue_get_stats(struct kue_stats *stats)
{
	unsigned long flags;

	spin_lock_irqsave(&kue.lock, flags);
	stats->queued_msgs = kue.queued_msgs;
	stats->queued_bytes = kue.queued_bytes;
	stats->next_seq = kue.next_seq;
	stats->readers = kue.nr_readers;
	stats->freed = kue.freed;
	stats->dropped = kue.dropped;
	spin_unlock_irqrestore(&kue.lock, flags);
}
EXPORT_SYMBOL_GPL(kue_get_stats);
#endif /* KCHAN_TESTING */

/* Device file ops */

static int kue_open(struct inode *inode, struct file *file)
{
	struct kue_reader *r;
	unsigned long flags;

	if (kue_gid >= 0 && !in_group_p(KGIDT_INIT(kue_gid)) &&
	    !capable(CAP_SYS_ADMIN))
		return -EPERM;

	r = kzalloc(sizeof(*r), GFP_KERNEL_ACCOUNT);
	if (!r)
		return -ENOMEM;
	mutex_init(&r->read_lock);

	spin_lock_irqsave(&kue.lock, flags);
	r->cursor = kue.next_seq;
	list_add_tail(&r->node, &kue.readers);
	kue.nr_readers++;
	spin_unlock_irqrestore(&kue.lock, flags);

	file->private_data = r;
	return stream_open(inode, file);
}

/* Messages a closing reader passes per lock hold. */
#define KUE_RELEASE_BATCH	64

static int kue_release(struct inode *inode, struct file *file)
{
	struct kue_reader *r = file->private_data;
	struct kue_msg *msg, *next;
	unsigned long flags;
	unsigned int n;
	u64 cursor, end;

	spin_lock_irqsave(&kue.lock, flags);
	/* From now on, new messages do not count this reader... */
	list_del(&r->node);
	kue.nr_readers--;
	kue.closing++;
	cursor = r->cursor;
	end = kue.next_seq;
	/*
	 * ...but every queued message in [cursor, end) does. Pass them in
	 * batches, letting interrupts and other CPUs in between; each
	 * batch starts from the next one still queued.
	 */
	for (;;) {
		msg = kue_first_from(cursor);
		for (n = 0; msg && msg->seq < end && n < KUE_RELEASE_BATCH; n++) {
			next = list_is_last(&msg->node, &kue.msgs) ? NULL :
			       list_next_entry(msg, node);
			cursor = msg->seq + 1;
			if (!--msg->readers)
				kue_msg_unlink(msg, 0);
			msg = next;
		}
		if (!msg || msg->seq >= end)
			break;
		spin_unlock_irqrestore(&kue.lock, flags);
		cond_resched();
		spin_lock_irqsave(&kue.lock, flags);
	}
	kue.closing--;
	WARN_ON_ONCE(!kue.nr_readers && !kue.closing &&
		     !list_empty(&kue.msgs));
	spin_unlock_irqrestore(&kue.lock, flags);

	mutex_destroy(&r->read_lock);
	kfree(r);
	return 0;
}

/*
 * The first queued message @r has not read, or NULL: O(1) for the slowest
 * reader or one that is done, kue_first_from() otherwise.
 */
static struct kue_msg *kue_next_msg(struct kue_reader *r)
{
	struct kue_msg *first;

	lockdep_assert_held(&kue.lock);
	if (list_empty(&kue.msgs) ||
	    list_last_entry(&kue.msgs, struct kue_msg, node)->seq < r->cursor)
		return NULL;
	first = list_first_entry(&kue.msgs, struct kue_msg, node);
	if (first->seq >= r->cursor)
		return first;
	return kue_first_from(r->cursor);
}

static bool kue_readable(struct kue_reader *r)
{
	unsigned long flags;
	bool ret;

	spin_lock_irqsave(&kue.lock, flags);
	ret = !list_empty(&kue.msgs) &&
	      list_last_entry(&kue.msgs, struct kue_msg, node)->seq >= r->cursor;
	spin_unlock_irqrestore(&kue.lock, flags);
	return ret;
}

/* __always_inline: also called inside user-access sections. */
static __always_inline size_t kue_record_size(const struct kue_msg *msg)
{
	return sizeof(struct kue_msg_hdr) + ALIGN(msg->size, KUE_RECORD_ALIGN);
}

/* Zeros to pad records with. */
static const u8 kue_zeros[KUE_RECORD_ALIGN];

/* Copy one record to @ubuf; kue.lock not held, @msg referenced. */
static int kue_copy_record(char __user *ubuf, const struct kue_msg *msg,
			   u32 lost)
{
	struct kue_msg_hdr hdr = {
		.size	= msg->size,
		.seq	= msg->seq,
		.flags	= lost ? KUE_MSG_FLAG_LOST : 0,
		.lost	= lost,
	};
	size_t pad = ALIGN(msg->size, KUE_RECORD_ALIGN) - msg->size;

	if (copy_to_user(ubuf, &hdr, sizeof(hdr)))
		return -EFAULT;
	ubuf += sizeof(hdr);
	if (copy_to_user(ubuf, msg->payload, msg->size))
		return -EFAULT;
	if (pad && copy_to_user(ubuf + msg->size, kue_zeros, pad))
		return -EFAULT;
	return 0;
}

/*
 * Records with payloads up to this size are written to user space in one
 * user-access section per run of them (header fields and payload words
 * stored directly, as filldir() does); larger ones with copy_to_user().
 */
#define KUE_INLINE_MAX	4096

/*
 * Write the @n records of @batch, @len bytes in all and none larger than
 * KUE_INLINE_MAX, to @ubuf in one user-access section. Returns how many
 * arrived whole, and adds their bytes to *@out; a fault stops the copy.
 */
static unsigned int kue_put_run(char __user *ubuf, struct kue_msg **batch,
				unsigned int n, size_t len, u32 lost,
				size_t *out)
{
	struct kue_msg_hdr __user *uhdr;
	const struct kue_msg *msg;
	size_t start = *out, w, words, pad;
	u64 __user *dst;
	const u64 *src;
	unsigned int i;

	if (!user_write_access_begin(ubuf, len))
		return 0;
	for (i = 0; i < n; i++) {
		msg = batch[i];
		uhdr = (struct kue_msg_hdr __user *)(ubuf + *out - start);
		unsafe_put_user(msg->size, &uhdr->size, fault);
		unsafe_put_user(msg->seq, &uhdr->seq, fault);
		unsafe_put_user(lost ? KUE_MSG_FLAG_LOST : 0, &uhdr->flags,
				fault);
		unsafe_put_user(lost, &uhdr->lost, fault);
		dst = (u64 __user *)(uhdr + 1);
		pad = ALIGN(msg->size, KUE_RECORD_ALIGN) - msg->size;
		if (msg->flags & (KUE_KFREE | KUE_NOCOPY)) {
			/* The sender's buffer: exactly its bytes, then zeros. */
			unsafe_copy_to_user((char __user *)dst, msg->payload,
					    msg->size, fault);
			unsafe_copy_to_user((char __user *)dst + msg->size,
					    kue_zeros, pad, fault);
		} else {
			/* Our copy, stored padded: whole words, 4 at a time. */
			src = (const u64 *)msg->data;
			words = (msg->size + pad) / sizeof(u64);
			for (w = 0; w + 4 <= words; w += 4) {
				unsafe_put_user(src[w], &dst[w], fault);
				unsafe_put_user(src[w + 1], &dst[w + 1], fault);
				unsafe_put_user(src[w + 2], &dst[w + 2], fault);
				unsafe_put_user(src[w + 3], &dst[w + 3], fault);
			}
			for (; w < words; w++)
				unsafe_put_user(src[w], &dst[w], fault);
		}
		*out += kue_record_size(msg);
		lost = 0;
	}
fault:
	user_write_access_end();
	return i;
}

/*
 * Copy the @n records of @batch to @ubuf: runs of small records in one
 * user-access section each, larger records one by one. Returns how many
 * records reached @ubuf whole, and their bytes in *@bytes; a fault stops
 * the copy.
 */
static unsigned int kue_copy_batch(char __user *ubuf, struct kue_msg **batch,
				   unsigned int n, u32 lost, size_t *bytes)
{
	unsigned int i = 0, end, done;
	size_t len;

	*bytes = 0;
	while (i < n) {
		if (batch[i]->size > KUE_INLINE_MAX) {
			if (kue_copy_record(ubuf + *bytes, batch[i],
					    i ? 0 : lost))
				break;
			*bytes += kue_record_size(batch[i]);
			i++;
			continue;
		}
		len = 0;
		for (end = i; end < n && batch[end]->size <= KUE_INLINE_MAX;
		     end++)
			len += kue_record_size(batch[end]);
		done = kue_put_run(ubuf + *bytes, batch + i, end - i, len,
				   i ? 0 : lost, bytes);
		i += done;
		if (i < end)
			break;
	}
	return i;
}

/* Messages copied per lock round trip in read(). */
#define KUE_READ_BATCH	32

/*
 * Take references on up to KUE_READ_BATCH consecutive messages from @msg
 * whose records fit in @room bytes. Returns how many.
 */
static unsigned int kue_gather(struct kue_msg *msg, size_t room,
			       struct kue_msg **batch)
{
	unsigned int n = 0;

	lockdep_assert_held(&kue.lock);
	for (;;) {
		if (kue_record_size(msg) > room)
			break;
		room -= kue_record_size(msg);
		kref_get(&msg->ref);
		batch[n++] = msg;
		if (n == KUE_READ_BATCH || list_is_last(&msg->node, &kue.msgs))
			break;
		msg = list_next_entry(msg, node);
	}
	return n;
}

/*
 * @r has read @msg, which it holds a reference on: move the cursor past it
 * and drop the reference.
 */
static void kue_passed(struct kue_reader *r, struct kue_msg *msg)
{
	lockdep_assert_held(&kue.lock);
	r->cursor = msg->seq + 1;
	if (msg->status == KUE_QUEUED) {
		if (!--msg->readers) {
			/*
			 * Ours first, so that the unlink retires it with no
			 * reference left rather than leaving one to the retire
			 * work: no other read() can be copying it (that reader
			 * would still count in @readers). Queued: the queue's
			 * reference keeps it.
			 */
			refcount_dec(&msg->ref.refcount);
			kue_msg_unlink(msg, 0);
			return;
		}
	} else if (msg->status == -ENOBUFS) {
		/* Dropped while we copied it: not lost after all. */
		r->lost_pending--;
		r->lost_total--;
	}
	kue_msg_put(msg);
}

/*
 * Can @r's pass deliver @msg by kue_pass_batch()'s fast path: still queued,
 * @r its last reader, no reference but the queue's and @r's, and next on
 * @msgs after @prev (NULL: first)?
 */
static bool kue_deliverable(struct kue_msg *msg, struct kue_msg *prev)
{
	struct list_head *next = prev ? prev->node.next : kue.msgs.next;

	return msg->status == KUE_QUEUED && msg->readers == 1 &&
	       kref_read(&msg->ref) == 2 && next == &msg->node;
}

/*
 * Retire the messages from the head of @msgs up to @last in one move.
 * @indexed, the last of them still in kue.tree (the run's first one is
 * always indexed), leaves it only now, handing its place to the new head.
 */
static void kue_retire_run(struct kue_msg *last, struct kue_msg *indexed)
{
	LIST_HEAD(run);
	bool first;

	lockdep_assert_held(&kue.lock);
	first = list_empty(&kue.retire);
	list_cut_position(&run, &kue.msgs, &last->node);
	list_splice_tail(&run, &kue.retire);
	if (first)
		kue_queue_retire_work();
	if (!WARN_ON_ONCE(!indexed))
		kue_unindex(indexed, list_first_entry_or_null(&kue.msgs,
							      struct kue_msg,
							      node));
}

/*
 * @r has read the @n messages of @batch, holding a reference on each:
 * kue_passed() each. A message @r is the last to pass is normally the
 * oldest queued one: a reader yet to pass an older one was open when this
 * one was sent and has not passed it either. (Not while a closing reader's
 * kue_release() has dropped the lock between batches: it no longer counts
 * for new messages but still holds up older ones; kue_deliverable() checks
 * the position.) So the messages @r delivers form a run at the head of
 * @msgs, which leaves in one list move instead of two per message (each an
 * out-of-line call with CONFIG_DEBUG_LIST), without a lock round trip per
 * message in the retire work.
 */
static void kue_pass_batch(struct kue_reader *r, struct kue_msg **batch,
			   unsigned int n)
{
	struct kue_msg *msg, *run = NULL, *indexed = NULL;
	unsigned int i;

	lockdep_assert_held(&kue.lock);
	for (i = 0; i < n; i++) {
		msg = batch[i];
		if (!kue_deliverable(msg, run)) {
			if (run)
				kue_retire_run(run, indexed);
			run = NULL;
			indexed = NULL;
			kue_passed(r, msg);
			continue;
		}
		r->cursor = msg->seq + 1;
		msg->readers = 0;
		kue_msg_account(msg, 0);
		/* Only the run's last indexed message need hand its place on. */
		if (kue_indexed(msg)) {
			if (indexed)
				kue_unindex(indexed, NULL);
			indexed = msg;
		}
		/* @r's reference and the queue's: the retire work frees it. */
		WARN_ON_ONCE(!refcount_sub_and_test(2, &msg->ref.refcount));
		run = msg;
	}
	if (run)
		kue_retire_run(run, indexed);
}

/*
 * Whole records only. Messages are gathered under the lock (referenced),
 * copied without it, and only then passed, so a fault never loses a
 * message: the bytes copied so far are returned, or -EFAULT if none. Only
 * the first record of a read can carry a loss count: drops are oldest
 * first, so none can fall between consecutive gathered messages.
 */
static ssize_t kue_read(struct file *file, char __user *ubuf, size_t count,
			loff_t *ppos)
{
	struct kue_reader *r = file->private_data;
	struct kue_msg *batch[KUE_READ_BATCH];
	unsigned int n, i, done;
	struct kue_msg *msg;
	unsigned long flags;
	size_t copied = 0, bytes;
	ssize_t ret = 0;
	u32 lost;

	if (mutex_lock_interruptible(&r->read_lock))
		return -ERESTARTSYS;
	for (;;) {
		spin_lock_irqsave(&kue.lock, flags);
		msg = kue_next_msg(r);
		if (!msg) {
			spin_unlock_irqrestore(&kue.lock, flags);
			if (copied)
				break;
			if (file->f_flags & O_NONBLOCK) {
				ret = -EAGAIN;
				break;
			}
			if (wait_event_interruptible(kue.read_wait,
						     kue_readable(r))) {
				ret = -ERESTARTSYS;
				break;
			}
			continue;
		}
		n = kue_gather(msg, count - copied, batch);
		if (!n) {
			spin_unlock_irqrestore(&kue.lock, flags);
			if (!copied)
				ret = -EFBIG;
			break;
		}
		lost = min_t(u64, r->lost_pending, U32_MAX);
		spin_unlock_irqrestore(&kue.lock, flags);

		done = kue_copy_batch(ubuf + copied, batch, n, lost, &bytes);
		copied += bytes;

		spin_lock_irqsave(&kue.lock, flags);
		if (done)
			r->lost_pending -= lost;
		kue_pass_batch(r, batch, done);
		for (i = done; i < n; i++)
			kue_msg_put(batch[i]);
		spin_unlock_irqrestore(&kue.lock, flags);
		if (done < n) {
			if (!copied)
				ret = -EFAULT;
			break;
		}
	}
	mutex_unlock(&r->read_lock);
	return copied ? copied : ret;
}

static __poll_t kue_poll(struct file *file, struct poll_table_struct *wait)
{
	struct kue_reader *r = file->private_data;

	poll_wait(file, &kue.read_wait, wait);
	return kue_readable(r) ? EPOLLIN | EPOLLRDNORM : 0;
}

/* Ioctls */

static long kue_ioctl_info(struct kue_reader *r, void __user *argp)
{
	struct kue_info info = {};
	unsigned long flags;

	spin_lock_irqsave(&kue.lock, flags);
	info.queued_msgs = kue.queued_msgs;
	info.queued_bytes = kue.queued_bytes;
	info.limit_bytes = READ_ONCE(kue_limit_bytes);
	info.next_seq = kue.next_seq;
	info.cursor = r->cursor;
	info.lost = r->lost_total;
	spin_unlock_irqrestore(&kue.lock, flags);

	if (copy_to_user(argp, &info, sizeof(info)))
		return -EFAULT;
	return 0;
}

static long kue_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct kue_reader *r = file->private_data;

	if (_IOC_TYPE(cmd) != _IOC_TYPE(KUE_IOC_INFO))
		return -ENOTTY;
	switch (cmd) {
	case KUE_IOC_INFO:
		return kue_ioctl_info(r, (void __user *)arg);
	}
	return -ENOTTY;
}

static const struct file_operations kue_fops = {
	.owner		= THIS_MODULE,
	.open		= kue_open,
	.release	= kue_release,
	.read		= kue_read,
	.poll		= kue_poll,
	.unlocked_ioctl	= kue_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

static struct miscdevice kue_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "kue",
	.fops	= &kue_fops,
	.mode	= 0600,
};

int kchan_kue_init(void)
{
	/* kue_put_run() copies padded payloads in u64 words. */
	BUILD_BUG_ON(sizeof(u64) != KUE_RECORD_ALIGN);

	spin_lock_init(&kue.lock);
	INIT_LIST_HEAD(&kue.msgs);
	kue.tree = RB_ROOT;
	INIT_LIST_HEAD(&kue.limbo);
	INIT_LIST_HEAD(&kue.retire);
	init_llist_head(&kue.vfree);
	INIT_LIST_HEAD(&kue.readers);
	kue.next_seq = 1;
	init_waitqueue_head(&kue.read_wait);
	init_waitqueue_head(&kue.limbo_wait);
	INIT_WORK(&kue.retire_work, kue_retire_work);
	init_irq_work(&kue.wake_work, kue_wake_work);

	kue_misc.mode = kue_mode & 0666;
	return misc_register(&kue_misc);
}

void kchan_kue_exit(void)
{
	misc_deregister(&kue_misc);
	/*
	 * No fd is open (each pins the module) and no sender is left (each
	 * pins it through its symbol references), so nothing is queued.
	 */
	kue_flush_retire();
	WARN_ON_ONCE(!list_empty(&kue.msgs) || !list_empty(&kue.limbo) ||
		     !list_empty(&kue.retire) || !llist_empty(&kue.vfree));
}
