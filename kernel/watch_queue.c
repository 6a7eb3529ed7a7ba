// SPDX-License-Identifier: GPL-2.0
/*
 * kchan: /dev/watch_queue — notification ring shared with user space
 *
 * After David Howells' 2019 mmap'ed watch_queue. Each open file owns one
 * queue: a ring of 8-byte slots allocated once by IOC_WATCH_QUEUE_SET_SIZE
 * and mmap'ed (shared, any number of times) by the reader. The protocol
 * (who writes what, the memory order, validation, overrun and wake-ups) is
 * the `contract` of the watch_queue device in packages/uapi/spec/kchan.yaml;
 * the comments below name the clause each barrier implements.
 *
 * Ownership: the file holds the queue's first kref; every vma mapping the
 * ring holds another (kchan_wq_vm_open/close). Since a vma also pins its
 * vm_file, release() only runs once the last fd and the last mapping are
 * gone, and the file pins this module (fops.owner), so neither the queue
 * nor kchan_wq_vm_ops can outlive the module text.
 *
 * Locking:
 *   wq->mutex serialises the configuration ioctls and mmap (may sleep) and
 *     guards the queue's own watch list (wq->watches, nr_watches).
 *   kchan_wq_watch_mutex (nests inside wq->mutex) guards the writers of the
 *     per-type watch lists kchan_wq_watchers[] and the per-user counts.
 *   wq->lock (irq-safe spinlock) guards everything a post touches: the ring
 *     contents, head, last_tail, lost, error, the filter and the @removed
 *     flag of the queue's watches.
 * Posting is callable from any context but NMI: netdev and module notifiers
 * run in process context, kchan_watch_queue_post() may run in hard irq
 * context or with scheduler locks held (a sched tracepoint, a kprobe), except
 * on PREEMPT_RT, where spinlock_t sleeps (see kapi/watch_queue.h). So a post
 * never wakes a reader itself, which takes the waitqueue's and a runqueue's
 * lock: it raises wq->wake_work, an irq_work (as kernel/bpf/ringbuf.c does),
 * whose handler runs wake_up_all() from a clean hard-irq context, and only
 * when a reader may be waiting (see kchan_wq_post_locked()). No wake-up is
 * ever done under wq->lock, so wq->lock nests inside any lock a caller holds.
 * A post walks only the watches on its type, under rcu_read_lock(), and
 * holds one queue's lock (interrupts off) only while it writes that queue:
 * queues without a watch on the type are never visited, and no global lock
 * is held across queues. Lifetime for that walk: release() unlinks the
 * queue's watches; watches are freed with kfree_rcu() and the queue (ring
 * included) after a grace period (queue_rcu_work()), so a post that found a
 * watch may still lock its queue, write its ring and raise its wake_work.
 * The free work runs irq_work_sync() on wake_work before freeing: after the
 * grace period no post can raise it again, and the sync waits for a handler
 * still pending or running.
 *
 * Limits: WATCH_QUEUE_MAX_WATCHES per queue, and wq_max_user_watches (module
 * parameter) per user over all the queues it opened, which bounds the work
 * any one user can add to every post.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/hashtable.h>
#include <linux/irq_work.h>
#include <linux/kref.h>
#include <linux/log2.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/netdevice.h>
#include <linux/nsproxy.h>
#include <linux/overflow.h>
#include <linux/poll.h>
#include <linux/rculist.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/sched/user.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/uidgid.h>
#include <linux/vmalloc.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>

#include <kchan/watch_queue.h>

#include "compat.h"
#include "kchan.h"
#include "kapi/watch_queue.h"

#define KCHAN_WQ_IOC_MAGIC	'W'

struct kchan_wq_watch {
	struct list_head link;		/* in kchan_wq.watches, wq->mutex */
	struct list_head type_link;	/* in kchan_wq_watchers[type], RCU */
	struct kchan_wq *wq;		/* the queue it posts to */
	u32 type;
	u32 id;
	bool removed;			/* under wq->lock: post nothing more */
	struct rcu_head rcu;
};

struct kchan_wq_filter {
	u32 nr_filters;
	struct watch_notification_type_filter filters[];
};

struct kchan_wq {
	struct kref ref;
	struct rcu_work free_work;	/* freed after posts that found it */
	struct mutex mutex;		/* configuration ioctls and mmap */
	spinlock_t lock;		/* see "Locking" above */
	wait_queue_head_t waitq;
	struct irq_work wake_work;	/* wakes waitq outside the post */
	struct net *net;		/* netns of the opener, for NETDEV */
	kuid_t uid;			/* opener's euid, charged for watches */

	/* The ring; set once under ->lock, then constant. */
	void *ring;
	struct watch_queue_meta *meta;	/* == ring; user-writable */
	u32 nr_slots;
	u32 mask;
	struct user_struct *user;	/* charged for @charged pages */
	unsigned long charged;

	/* Producer state, under ->lock. */
	u32 head;			/* our own copy; never read back */
	u32 last_tail;			/* last tail accepted from user */
	u64 lost;			/* dropped since the last loss entry */
	u32 lost_total;			/* dropped since sizing/reset: meta->lost */
	bool error;			/* bogus tail seen: write nothing more */

	struct list_head watches;	/* under ->mutex */
	unsigned int nr_watches;	/* under ->mutex */
	struct kchan_wq_filter *filter;	/* under ->lock; NULL: pass all */
};

/*
 * Watch count of one user over all its queues, keyed by the euid of the
 * queues' opener (inotify charges its watches the same way). An entry exists
 * while its count is not zero.
 */
struct kchan_wq_user {
	struct hlist_node node;		/* in kchan_wq_users */
	kuid_t uid;
	unsigned int watches;
};

static unsigned int kchan_wq_max_user_watches = 8192;
module_param_named(wq_max_user_watches, kchan_wq_max_user_watches, uint, 0644);
MODULE_PARM_DESC(wq_max_user_watches,
		 "watch_queue: most watches one user may hold over all its queues (default 8192)");

/* Watches by type, walked under RCU by posts; written under the mutex. */
static struct list_head kchan_wq_watchers[WATCH_TYPE_NR];
static DEFINE_MUTEX(kchan_wq_watch_mutex);
static DEFINE_HASHTABLE(kchan_wq_users, 6);	/* kchan_wq_watch_mutex */

static inline struct kchan_wq *to_kchan_wq(struct kref *ref)
{
	return container_of(ref, struct kchan_wq, ref);
}

static inline u32 kchan_wq_info_length(u32 slots)
{
	return (slots << WATCH_INFO_LENGTH__SHIFT) & WATCH_INFO_LENGTH;
}

/* Memory accounting (RLIMIT_MEMLOCK, as io_uring does) */

static int kchan_wq_charge(struct kchan_wq *wq, unsigned long pages)
{
	unsigned long limit, cur, new;

	wq->user = get_uid(current_user());
	/* An exemption, not a denial: see "capability rule" in README.md. */
	if (ns_capable_noaudit(&init_user_ns, CAP_IPC_LOCK))
		return 0;

	limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	cur = atomic_long_read(&wq->user->locked_vm);
	do {
		new = cur + pages;
		if (new > limit) {
			free_uid(wq->user);
			wq->user = NULL;
			return -ENOMEM;
		}
	} while (!atomic_long_try_cmpxchg(&wq->user->locked_vm, &cur, new));
	wq->charged = pages;
	return 0;
}

static void kchan_wq_uncharge(struct kchan_wq *wq)
{
	if (!wq->user)
		return;
	atomic_long_sub(wq->charged, &wq->user->locked_vm);
	free_uid(wq->user);
	wq->user = NULL;
	wq->charged = 0;
}

/* Per-user watch limit */

static struct kchan_wq_user *kchan_wq_find_user(kuid_t uid)
{
	struct kchan_wq_user *u;

	lockdep_assert_held(&kchan_wq_watch_mutex);
	hash_for_each_possible(kchan_wq_users, u, node, __kuid_val(uid))
		if (uid_eq(u->uid, uid))
			return u;
	return NULL;
}

/* Charge one watch to @uid: -ENOSPC past wq_max_user_watches. */
static int kchan_wq_charge_watch(kuid_t uid)
{
	struct kchan_wq_user *u = kchan_wq_find_user(uid);

	if ((u ? u->watches : 0) >= READ_ONCE(kchan_wq_max_user_watches))
		return -ENOSPC;
	if (!u) {
		u = kzalloc(sizeof(*u), GFP_KERNEL);
		if (!u)
			return -ENOMEM;
		u->uid = uid;
		hash_add(kchan_wq_users, &u->node, __kuid_val(uid));
	}
	u->watches++;
	return 0;
}

static void kchan_wq_uncharge_watch(kuid_t uid)
{
	struct kchan_wq_user *u = kchan_wq_find_user(uid);

	if (WARN_ON_ONCE(!u || !u->watches))
		return;
	if (!--u->watches) {
		hash_del(&u->node);
		kfree(u);
	}
}

/*
 * Take @w off its type list and its queue and uncharge it. Posts that found
 * it before may still use it (and its queue) until a grace period passes.
 */
static void kchan_wq_unlink_watch(struct kchan_wq *wq,
				  struct kchan_wq_watch *w)
{
	lockdep_assert_held(&kchan_wq_watch_mutex);

	list_del_rcu(&w->type_link);
	list_del(&w->link);
	wq->nr_watches--;
	kchan_wq_uncharge_watch(wq->uid);
	kfree_rcu(w, rcu);
}

/* Frees queues after a grace period, in process context; drained at exit. */
static struct workqueue_struct *kchan_wq_free_wq;

static void kchan_wq_free_work(struct work_struct *work)
{
	struct kchan_wq *wq = container_of(to_rcu_work(work), struct kchan_wq,
					   free_work);

	/* No post can raise it any more (grace period): wait for a last run. */
	irq_work_sync(&wq->wake_work);
	kfree(wq->filter);
	vfree(wq->ring);
	put_net(wq->net);
	kfree(wq);
}

/* Last reference; release() has unlinked every watch. */
static void kchan_wq_free(struct kref *ref)
{
	struct kchan_wq *wq = to_kchan_wq(ref);

	WARN_ON_ONCE(!list_empty(&wq->watches));
	kchan_wq_uncharge(wq);
	mutex_destroy(&wq->mutex);
	/* A post that found one of its watches may still write the ring. */
	INIT_RCU_WORK(&wq->free_work, kchan_wq_free_work);
	queue_rcu_work(kchan_wq_free_wq, &wq->free_work);
}

/* Posting */

/*
 * Place an entry of @slots slots at or after @*h: past the meta entry when
 * at slot 0, and past a skip entry padding the end when it would straddle
 * the end. With @write, write the skip padding into the ring. Returns the
 * index at which the entry starts; @*h becomes the index after it.
 */
static u32 kchan_wq_place(struct kchan_wq *wq, u32 *h, u32 slots, bool write)
{
	u32 room;

	lockdep_assert_held(&wq->lock);

	/* The meta entry is a permanent skip record at slot 0. */
	if ((*h & wq->mask) == 0)
		*h += WATCH_QUEUE_META_SLOTS;

	room = wq->nr_slots - (*h & wq->mask);
	if (slots > room) {
		/* room < slots <= 63 fits the LENGTH field. */
		if (write) {
			struct watch_notification skip = {
				.type = WATCH_TYPE_META,
				.subtype = WATCH_META_SKIP_NOTIFICATION,
				.info = kchan_wq_info_length(room),
			};

			memcpy(wq->ring + (size_t)(*h & wq->mask) *
			       WATCH_QUEUE_SLOT_SIZE, &skip, sizeof(skip));
		}
		*h += room + WATCH_QUEUE_META_SLOTS;
	}
	*h += slots;
	return *h - slots;
}

static void kchan_wq_write(struct kchan_wq *wq, u32 at,
			   const struct watch_notification *n,
			   const void *payload, size_t len)
{
	u32 slots = 1 + DIV_ROUND_UP(len, WATCH_QUEUE_SLOT_SIZE);
	void *p = wq->ring + (size_t)(at & wq->mask) * WATCH_QUEUE_SLOT_SIZE;

	lockdep_assert_held(&wq->lock);

	/* Never past the end: kchan_wq_place() padded to the end instead. */
	memcpy(p, n, sizeof(*n));
	p += sizeof(*n);
	if (len)
		memcpy(p, payload, len);
	memset(p + len, 0, (size_t)(slots - 1) * WATCH_QUEUE_SLOT_SIZE - len);
}

/* Hard-irq context, no lock of ours held: wake the poll()ers. */
static void kchan_wq_wake_work(struct irq_work *work)
{
	struct kchan_wq *wq = container_of(work, struct kchan_wq, wake_work);

	wake_up_all(&wq->waitq);
}

/*
 * Wake the readers later, from wake_work: callable under wq->lock and under
 * any lock of the poster's (irq_work_queue() takes no lock). Raising it
 * while still pending is a no-op; the pending run wakes everyone.
 */
static void kchan_wq_wake(struct kchan_wq *wq)
{
	irq_work_queue(&wq->wake_work);
}

/*
 * Count one dropped notification: in-band through the next loss entry, and
 * at once through meta->lost (contract "Overrun"). The release orders the
 * count before any later head store, whose acquire by the reader then
 * guarantees a load of lost at least as large as the loss entries it saw.
 */
static void kchan_wq_count_lost(struct kchan_wq *wq)
{
	lockdep_assert_held(&wq->lock);

	wq->lost++;
	if (wq->meta) {
		wq->lost_total++;
		/* Ordered before any later head store (see above). */
		smp_store_release(&wq->meta->lost, wq->lost_total);
	}
}

/*
 * Contract "Validation": @tail, read from the ring, is at most one ring
 * behind @head and not behind the last tail accepted.
 */
static bool kchan_wq_tail_ok(const struct kchan_wq *wq, u32 head, u32 tail)
{
	lockdep_assert_held(&wq->lock);

	return head - tail <= wq->nr_slots &&
	       tail - wq->last_tail <= head - wq->last_tail;
}

static void kchan_wq_set_error(struct kchan_wq *wq)
{
	lockdep_assert_held(&wq->lock);

	WRITE_ONCE(wq->error, true);	/* read locklessly by poll() */
	kchan_wq_wake(wq);
}

/*
 * Post one entry (header @n, whose info lacks only the length and overrun
 * bits, followed by @len payload bytes) to @wq. Returns 0 if written,
 * -ENOSPC if dropped and counted as lost, -EIO in the error state.
 */
static int kchan_wq_post_locked(struct kchan_wq *wq,
				struct watch_notification n,
				const void *payload, size_t len)
{
	u32 slots = 1 + DIV_ROUND_UP(len, WATCH_QUEUE_SLOT_SIZE);
	u32 old_head = wq->head, tail, h, at;

	lockdep_assert_held(&wq->lock);

	if (wq->error)
		return -EIO;
	if (!wq->ring) {
		/* Not reached: ADD_WATCH needs a sized ring. */
		kchan_wq_count_lost(wq);
		return -ENOSPC;
	}

	/*
	 * Contract step 4: pairs with the reader's release store of tail
	 * (step 3), so the slots below tail are no longer being read when we
	 * overwrite them.
	 */
	tail = smp_load_acquire(&wq->meta->tail);
	if (!kchan_wq_tail_ok(wq, old_head, tail)) {
		kchan_wq_set_error(wq);
		return -EIO;
	}
	wq->last_tail = tail;

	/* Dry run: a loss entry (if any) and the entry fit, or neither goes. */
	h = old_head;
	if (wq->lost)
		kchan_wq_place(wq, &h,
			       sizeof(struct watch_queue_loss_notification) /
			       WATCH_QUEUE_SLOT_SIZE, false);
	kchan_wq_place(wq, &h, slots, false);
	if (h - tail > wq->nr_slots) {
		kchan_wq_count_lost(wq);
		return -ENOSPC;
	}

	h = old_head;
	if (wq->lost) {
		struct watch_queue_loss_notification loss = {
			.watch.type = WATCH_TYPE_META,
			.watch.subtype = WATCH_META_LOSS_NOTIFICATION,
			.lost = wq->lost,
		};
		u32 lslots = sizeof(loss) / WATCH_QUEUE_SLOT_SIZE;

		loss.watch.info = kchan_wq_info_length(lslots) |
				  WATCH_INFO_OVERRUN;
		at = kchan_wq_place(wq, &h, lslots, true);
		kchan_wq_write(wq, at, &loss.watch, &loss.lost,
			       sizeof(loss.lost));
		n.info |= WATCH_INFO_OVERRUN;
		wq->lost = 0;
	}
	n.info = (n.info & ~WATCH_INFO_LENGTH) | kchan_wq_info_length(slots);
	at = kchan_wq_place(wq, &h, slots, true);
	kchan_wq_write(wq, at, &n, payload, len);

	/*
	 * Contract step 1: the entry is written before head is published;
	 * pairs with the reader's acquire load of head (step 2).
	 */
	smp_store_release(&wq->meta->head, h);
	/*
	 * Our copy, read by poll(), only after meta->head: pairs with the
	 * acquire in kchan_wq_poll(), so EPOLLIN implies the reader can see
	 * the new head.
	 */
	smp_store_release(&wq->head, h);

	/*
	 * Wake-up handshake, kernel side: publish head, full barrier, read
	 * tail. Pairs with the smp_mb() in kchan_wq_poll() after the reader
	 * published tail and queued itself: either we see its tail (and wake
	 * it), or it sees our head (and does not sleep). The wake-up itself is
	 * deferred to wake_work (see "Locking"), whose handler runs after this
	 * point, so it sees the reader queued.
	 */
	smp_mb();
	if (READ_ONCE(wq->meta->tail) == old_head)
		kchan_wq_wake(wq);
	return 0;
}

static bool kchan_wq_filter_pass(const struct kchan_wq *wq, u32 type,
				 u32 subtype, u32 info)
{
	const struct kchan_wq_filter *f = wq->filter;
	u32 i;

	lockdep_assert_held(&wq->lock);

	if (!f || type == WATCH_TYPE_META)
		return true;
	for (i = 0; i < f->nr_filters; i++) {
		const struct watch_notification_type_filter *t = &f->filters[i];

		/* subtype < 256, so subtype >> 5 < 8 indexes subtype_filter. */
		if (t->type == type &&
		    (t->subtype_filter[subtype >> 5] & (1U << (subtype & 31))) &&
		    (info & t->info_mask) == t->info_filter)
			return true;
	}
	return false;	/* With a filter set, the default is to reject. */
}

/*
 * Post to every watch on @type (restricted to queues opened in @net when
 * @net is not NULL). Only the watches on @type are visited, under RCU, and
 * only one queue's lock is held at a time. Returns the number of entries
 * written.
 */
static int kchan_wq_deliver(struct net *net, u32 type, u32 subtype,
			    u32 type_flags, const void *payload, size_t len)
{
	u32 slots = 1 + DIV_ROUND_UP(len, WATCH_QUEUE_SLOT_SIZE);
	u32 info = kchan_wq_info_length(slots) |
		   ((type_flags << WATCH_INFO_TYPE_FLAGS__SHIFT) &
		    WATCH_INFO_TYPE_FLAGS);
	struct kchan_wq_watch *w;
	unsigned long flags;
	int delivered = 0;

	rcu_read_lock();
	list_for_each_entry_rcu(w, &kchan_wq_watchers[type], type_link) {
		struct kchan_wq *wq = w->wq;
		struct watch_notification n = {
			.type = type,
			.subtype = subtype,
			.info = info |
				((w->id << WATCH_INFO_ID__SHIFT) & WATCH_INFO_ID),
		};

		if (net && !net_eq(wq->net, net))
			continue;
		spin_lock_irqsave(&wq->lock, flags);
		if (!w->removed &&
		    kchan_wq_filter_pass(wq, type, subtype, n.info) &&
		    !kchan_wq_post_locked(wq, n, payload, len))
			delivered++;
		spin_unlock_irqrestore(&wq->lock, flags);
	}
	rcu_read_unlock();
	return delivered;
}

int kchan_watch_queue_post(u32 type, u32 subtype, u32 type_flags,
			   const void *payload, size_t len)
{
	if (type == WATCH_TYPE_META || type >= WATCH_TYPE_NR || subtype > 0xff ||
	    type_flags > 0xff ||
	    len > (WATCH_QUEUE_MAX_ENTRY_SLOTS - 1) * WATCH_QUEUE_SLOT_SIZE ||
	    (len && !payload))
		return -EINVAL;
	return kchan_wq_deliver(NULL, type, subtype, type_flags, payload, len);
}
EXPORT_SYMBOL_GPL(kchan_watch_queue_post);

/* Sources: network devices and modules */

static int kchan_wq_netdev_event(struct notifier_block *nb,
				 unsigned long event, void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);
	struct watch_netdev_notification n = { };
	u32 subtype;

	switch (event) {
	case NETDEV_REGISTER:
		subtype = WATCH_NETDEV_REGISTER;
		break;
	case NETDEV_UNREGISTER:
		subtype = WATCH_NETDEV_UNREGISTER;
		break;
	case NETDEV_UP:
		subtype = WATCH_NETDEV_UP;
		break;
	case NETDEV_DOWN:
		subtype = WATCH_NETDEV_DOWN;
		break;
	case NETDEV_CHANGENAME:
		subtype = WATCH_NETDEV_CHANGE_NAME;
		break;
	default:
		return NOTIFY_DONE;
	}
	n.ifindex = dev->ifindex;
	n.flags = dev->flags;
	strscpy_pad((char *)n.name, dev->name, sizeof(n.name));
	kchan_wq_deliver(dev_net(dev), WATCH_TYPE_NETDEV, subtype, 0,
			 (const u8 *)&n + sizeof(n.watch),
			 sizeof(n) - sizeof(n.watch));
	return NOTIFY_DONE;
}

static struct notifier_block kchan_wq_netdev_nb = {
	.notifier_call = kchan_wq_netdev_event,
};

static int kchan_wq_module_event(struct notifier_block *nb,
				 unsigned long event, void *data)
{
	struct module *mod = data;
	struct watch_module_notification n = { };
	u32 subtype;

	switch (event) {
	case MODULE_STATE_COMING:
		subtype = WATCH_MODULE_COMING;
		break;
	case MODULE_STATE_LIVE:
		subtype = WATCH_MODULE_LIVE;
		break;
	case MODULE_STATE_GOING:
		subtype = WATCH_MODULE_GOING;
		break;
	default:
		return NOTIFY_DONE;
	}
	strscpy_pad((char *)n.name, mod->name, sizeof(n.name));
	kchan_wq_deliver(NULL, WATCH_TYPE_MODULE, subtype, 0,
			 n.name, sizeof(n) - sizeof(n.watch));
	return NOTIFY_DONE;
}

static struct notifier_block kchan_wq_module_nb = {
	.notifier_call = kchan_wq_module_event,
};

/* Device file ops */

static int kchan_wq_open(struct inode *inode, struct file *file)
{
	struct kchan_wq *wq;

	wq = kzalloc(sizeof(*wq), GFP_KERNEL_ACCOUNT);
	if (!wq)
		return -ENOMEM;
	kref_init(&wq->ref);
	mutex_init(&wq->mutex);
	spin_lock_init(&wq->lock);
	init_waitqueue_head(&wq->waitq);
	init_irq_work(&wq->wake_work, kchan_wq_wake_work);
	INIT_LIST_HEAD(&wq->watches);
	wq->net = get_net(current->nsproxy->net_ns);
	wq->uid = current_euid();
	file->private_data = wq;
	return nonseekable_open(inode, file);
}

static int kchan_wq_release(struct inode *inode, struct file *file)
{
	struct kchan_wq *wq = file->private_data;
	struct kchan_wq_watch *w, *tmp;

	/*
	 * After this no new post finds the queue; posts that already found one
	 * of its watches finish within a grace period (see kchan_wq_free()).
	 * No ioctl can run any more, so wq->mutex is not needed.
	 */
	mutex_lock(&kchan_wq_watch_mutex);
	list_for_each_entry_safe(w, tmp, &wq->watches, link)
		kchan_wq_unlink_watch(wq, w);
	mutex_unlock(&kchan_wq_watch_mutex);

	kref_put(&wq->ref, kchan_wq_free);
	return 0;
}

static __poll_t kchan_wq_poll(struct file *file, poll_table *wait)
{
	struct kchan_wq *wq = file->private_data;
	__poll_t mask = 0;

	poll_wait(file, &wq->waitq, wait);

	/*
	 * Wake-up handshake, reader side: the reader published tail, then
	 * called poll(), which queued it on waitq above. Pairs with the
	 * smp_mb() in kchan_wq_post_locked(): either we see the new head here,
	 * or the poster sees the reader's tail and wakes it.
	 */
	smp_mb();
	/* Pairs with the release in kchan_wq_ioc_set_size(): meta is valid. */
	if (smp_load_acquire(&wq->ring)) {
		/* Pairs with the release of wq->head in kchan_wq_post_locked(). */
		u32 head = smp_load_acquire(&wq->head);

		if (READ_ONCE(wq->meta->tail) != head) {
			/*
			 * Validate the tail as the next post would, so a bad
			 * one gives EPOLLERR now rather than EPOLLIN until then.
			 * Only checked, not accepted: posts still do that.
			 */
			if (!READ_ONCE(wq->error)) {
				spin_lock_irq(&wq->lock);
				if (!wq->error &&
				    !kchan_wq_tail_ok(wq, wq->head,
						      READ_ONCE(wq->meta->tail)))
					kchan_wq_set_error(wq);
				spin_unlock_irq(&wq->lock);
			}
			mask |= EPOLLIN | EPOLLRDNORM;
		}
	}
	if (READ_ONCE(wq->error))
		mask |= EPOLLERR;
	return mask;
}

static void kchan_wq_vm_open(struct vm_area_struct *vma)
{
	struct kchan_wq *wq = vma->vm_private_data;

	kref_get(&wq->ref);
}

static void kchan_wq_vm_close(struct vm_area_struct *vma)
{
	struct kchan_wq *wq = vma->vm_private_data;

	kref_put(&wq->ref, kchan_wq_free);
}

static const struct vm_operations_struct kchan_wq_vm_ops = {
	.open	= kchan_wq_vm_open,
	.close	= kchan_wq_vm_close,
};

static int kchan_wq_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct kchan_wq *wq = file->private_data;
	unsigned long len = vma->vm_end - vma->vm_start;
	int ret;

	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;	/* a private copy would not see head */

	mutex_lock(&wq->mutex);
	if (!wq->ring) {
		ret = -ENODEV;
		goto out;
	}
	if (vma->vm_pgoff ||
	    len > (size_t)wq->nr_slots * WATCH_QUEUE_SLOT_SIZE) {
		ret = -EINVAL;
		goto out;
	}
	ret = remap_vmalloc_range(vma, wq->ring, 0);
	if (ret)
		goto out;
	kchan_vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_private_data = wq;
	vma->vm_ops = &kchan_wq_vm_ops;
	kref_get(&wq->ref);
out:
	mutex_unlock(&wq->mutex);
	return ret;
}

/* Ioctls */

/*
 * (Re)write the meta entry of an empty ring and the producer state to
 * match: all of it may have been scribbled on by user space.
 */
static void kchan_wq_init_ring(struct kchan_wq *wq)
{
	struct watch_queue_meta *meta = wq->meta;

	lockdep_assert_held(&wq->lock);

	meta->watch.type = WATCH_TYPE_META;
	meta->watch.subtype = WATCH_META_SKIP_NOTIFICATION;
	meta->watch.info = kchan_wq_info_length(WATCH_QUEUE_META_SLOTS);
	WRITE_ONCE(meta->tail, WATCH_QUEUE_META_SLOTS);
	meta->mask = wq->mask;
	WRITE_ONCE(meta->lost, 0);
	/* Contract step 1: the meta entry is written before head. */
	smp_store_release(&meta->head, WATCH_QUEUE_META_SLOTS);
	/* Pairs with the acquire in kchan_wq_poll(). */
	smp_store_release(&wq->head, WATCH_QUEUE_META_SLOTS);
	wq->last_tail = WATCH_QUEUE_META_SLOTS;
	wq->lost = 0;
	wq->lost_total = 0;
}

/*
 * IOC_WATCH_QUEUE_RESET: empty the ring and leave the error state. The
 * entries in the ring are discarded (the owner asked for it), not counted.
 */
static long kchan_wq_ioc_reset(struct kchan_wq *wq, unsigned long arg)
{
	int ret = 0;

	if (arg)
		return -EINVAL;
	mutex_lock(&wq->mutex);
	if (!wq->ring) {
		ret = -ENODEV;
	} else {
		spin_lock_irq(&wq->lock);
		kchan_wq_init_ring(wq);
		WRITE_ONCE(wq->error, false);	/* read locklessly by poll() */
		spin_unlock_irq(&wq->lock);
	}
	mutex_unlock(&wq->mutex);
	return ret;
}

static long kchan_wq_ioc_set_size(struct kchan_wq *wq, unsigned long nr_pages)
{
	size_t bytes;
	void *ring;
	int ret;

	if (nr_pages < WATCH_QUEUE_MIN_PAGES ||
	    nr_pages > WATCH_QUEUE_MAX_PAGES || !is_power_of_2(nr_pages))
		return -EINVAL;

	mutex_lock(&wq->mutex);
	if (wq->ring) {
		ret = -EBUSY;
		goto out;
	}
	ret = kchan_wq_charge(wq, nr_pages);
	if (ret)
		goto out;
	bytes = nr_pages << PAGE_SHIFT;
	ring = vmalloc_user(bytes);	/* zeroed */
	if (!ring) {
		kchan_wq_uncharge(wq);
		ret = -ENOMEM;
		goto out;
	}

	spin_lock_irq(&wq->lock);
	wq->meta = ring;
	wq->nr_slots = bytes / WATCH_QUEUE_SLOT_SIZE;
	wq->mask = wq->nr_slots - 1;
	kchan_wq_init_ring(wq);
	/* Pairs with the acquire in kchan_wq_poll(): meta is set up. */
	smp_store_release(&wq->ring, ring);
	spin_unlock_irq(&wq->lock);
out:
	mutex_unlock(&wq->mutex);
	return ret;
}

static long kchan_wq_ioc_set_filter(struct kchan_wq *wq, void __user *arg)
{
	struct watch_notification_filter hdr;
	struct kchan_wq_filter *f = NULL, *old;
	u32 i;

	if (arg) {
		if (copy_from_user(&hdr, arg, sizeof(hdr)))
			return -EFAULT;
		if (hdr.reserved || hdr.nr_filters > WATCH_QUEUE_MAX_FILTERS)
			return -EINVAL;
		f = kmalloc(struct_size(f, filters, hdr.nr_filters),
			    GFP_KERNEL_ACCOUNT);
		if (!f)
			return -ENOMEM;
		f->nr_filters = hdr.nr_filters;
		if (copy_from_user(f->filters, arg + sizeof(hdr),
				   flex_array_size(f, filters, f->nr_filters))) {
			kfree(f);
			return -EFAULT;
		}
		for (i = 0; i < f->nr_filters; i++) {
			const struct watch_notification_type_filter *t =
				&f->filters[i];

			/* As mainline: bits outside the mask, or LENGTH. */
			if (t->type == WATCH_TYPE_META ||
			    t->type >= WATCH_TYPE_NR ||
			    (t->info_filter & ~t->info_mask) ||
			    (t->info_mask & WATCH_INFO_LENGTH)) {
				kfree(f);
				return -EINVAL;
			}
		}
	}

	mutex_lock(&wq->mutex);
	spin_lock_irq(&wq->lock);
	old = wq->filter;
	wq->filter = f;
	spin_unlock_irq(&wq->lock);
	mutex_unlock(&wq->mutex);
	kfree(old);
	return 0;
}

static struct kchan_wq_watch *kchan_wq_find_watch(struct kchan_wq *wq, u32 id)
{
	struct kchan_wq_watch *w;

	lockdep_assert_held(&wq->mutex);

	list_for_each_entry(w, &wq->watches, link)
		if (w->id == id)
			return w;
	return NULL;
}

static long kchan_wq_ioc_add_watch(struct kchan_wq *wq, void __user *arg)
{
	struct watch_queue_watch req;
	struct kchan_wq_watch *w;
	int ret = 0;

	if (copy_from_user(&req, arg, sizeof(req)))
		return -EFAULT;
	if ((req.type != WATCH_TYPE_NETDEV && req.type != WATCH_TYPE_MODULE &&
	     req.type != WATCH_TYPE_KAPI) ||
	    req.id > WATCH_QUEUE_MAX_WATCH_ID || req.flags || req.reserved)
		return -EINVAL;

	w = kzalloc(sizeof(*w), GFP_KERNEL_ACCOUNT);
	if (!w)
		return -ENOMEM;
	w->wq = wq;
	w->type = req.type;
	w->id = req.id;

	mutex_lock(&wq->mutex);
	if (!wq->ring) {
		/* Every post before SET_SIZE would only be counted as lost. */
		ret = -ENODEV;
	} else if (kchan_wq_find_watch(wq, req.id)) {
		ret = -EEXIST;
	} else if (wq->nr_watches >= WATCH_QUEUE_MAX_WATCHES) {
		ret = -ENOSPC;
	} else {
		mutex_lock(&kchan_wq_watch_mutex);
		ret = kchan_wq_charge_watch(wq->uid);
		if (!ret) {
			list_add_tail(&w->link, &wq->watches);
			wq->nr_watches++;
			/* Publishes the initialised watch to posts. */
			list_add_tail_rcu(&w->type_link,
					  &kchan_wq_watchers[w->type]);
			w = NULL;
		}
		mutex_unlock(&kchan_wq_watch_mutex);
	}
	mutex_unlock(&wq->mutex);
	kfree(w);
	return ret;
}

static long kchan_wq_ioc_remove_watch(struct kchan_wq *wq, u32 __user *arg)
{
	struct watch_notification n = {
		.type = WATCH_TYPE_META,
		.subtype = WATCH_META_REMOVAL_NOTIFICATION,
	};
	struct kchan_wq_watch *w;
	int ret = -ENOENT;
	u32 id;

	if (get_user(id, arg))
		return -EFAULT;

	mutex_lock(&wq->mutex);
	w = kchan_wq_find_watch(wq, id);
	if (w) {
		n.info = (id << WATCH_INFO_ID__SHIFT) & WATCH_INFO_ID;
		spin_lock_irq(&wq->lock);
		/* Posts that found it already write nothing after REMOVAL. */
		w->removed = true;
		kchan_wq_post_locked(wq, n, NULL, 0);
		spin_unlock_irq(&wq->lock);

		mutex_lock(&kchan_wq_watch_mutex);
		kchan_wq_unlink_watch(wq, w);
		mutex_unlock(&kchan_wq_watch_mutex);
		ret = 0;
	}
	mutex_unlock(&wq->mutex);
	return ret;
}

static long kchan_wq_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	struct kchan_wq *wq = file->private_data;

	if (_IOC_TYPE(cmd) != KCHAN_WQ_IOC_MAGIC)
		return -ENOTTY;

	switch (cmd) {
	case IOC_WATCH_QUEUE_SET_SIZE:
		return kchan_wq_ioc_set_size(wq, arg);
	case IOC_WATCH_QUEUE_SET_FILTER:
		return kchan_wq_ioc_set_filter(wq, (void __user *)arg);
	case IOC_WATCH_QUEUE_ADD_WATCH:
		return kchan_wq_ioc_add_watch(wq, (void __user *)arg);
	case IOC_WATCH_QUEUE_REMOVE_WATCH:
		return kchan_wq_ioc_remove_watch(wq, (u32 __user *)arg);
	case IOC_WATCH_QUEUE_RESET:
		return kchan_wq_ioc_reset(wq, arg);
	}
	return -ENOTTY;
}

#ifdef CONFIG_COMPAT
/*
 * compat_ptr_ioctl() would pass SET_SIZE's value argument through
 * compat_ptr(); it is a page count, not a pointer.
 */
static long kchan_wq_compat_ioctl(struct file *file, unsigned int cmd,
				  unsigned long arg)
{
	if (cmd == IOC_WATCH_QUEUE_SET_SIZE || cmd == IOC_WATCH_QUEUE_RESET)
		return kchan_wq_ioctl(file, cmd, arg);
	return compat_ptr_ioctl(file, cmd, arg);
}
#else
#define kchan_wq_compat_ioctl	NULL
#endif

static const struct file_operations kchan_wq_fops = {
	.owner		= THIS_MODULE,
	.open		= kchan_wq_open,
	.release	= kchan_wq_release,
	.poll		= kchan_wq_poll,
	.mmap		= kchan_wq_mmap,
	.unlocked_ioctl	= kchan_wq_ioctl,
	.compat_ioctl	= kchan_wq_compat_ioctl,
};

static struct miscdevice kchan_wq_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "watch_queue",
	.fops	= &kchan_wq_fops,
	.mode	= 0666,
};

int kchan_watch_queue_init(void)
{
	int ret, i;

	for (i = 0; i < WATCH_TYPE_NR; i++)
		INIT_LIST_HEAD(&kchan_wq_watchers[i]);
	kchan_wq_free_wq = alloc_workqueue("kchan_wq_free", WQ_UNBOUND, 0);
	if (!kchan_wq_free_wq)
		return -ENOMEM;
	ret = register_netdevice_notifier(&kchan_wq_netdev_nb);
	if (ret)
		goto err_wq;
	ret = register_module_notifier(&kchan_wq_module_nb);
	if (ret)
		goto err_netdev;
	ret = misc_register(&kchan_wq_misc);
	if (ret)
		goto err_module;
	return 0;

err_module:
	unregister_module_notifier(&kchan_wq_module_nb);
err_netdev:
	unregister_netdevice_notifier(&kchan_wq_netdev_nb);
err_wq:
	destroy_workqueue(kchan_wq_free_wq);
	return ret;
}

void kchan_watch_queue_exit(void)
{
	misc_deregister(&kchan_wq_misc);
	unregister_module_notifier(&kchan_wq_module_nb);
	unregister_netdevice_notifier(&kchan_wq_netdev_nb);
	/*
	 * Queues freed by the last close or munmap: rcu_barrier() waits for
	 * the grace periods of queue_rcu_work(), which then queued the free
	 * works; destroy_workqueue() drains them (each syncs its wake_work).
	 */
	rcu_barrier();
	destroy_workqueue(kchan_wq_free_wq);
	WARN_ON_ONCE(!hash_empty(kchan_wq_users));
}
