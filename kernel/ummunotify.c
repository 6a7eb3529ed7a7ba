// SPDX-License-Identifier: GPL-2.0
/*
 * kchan: /dev/ummunotify — address-range invalidation events
 *
 * After Roland Dreier's 2009 ummunotify. A process registers ranges of its
 * own address space, each under a 64-bit cookie. When the kernel
 * invalidates any part of a registered range (munmap, mremap,
 * madvise(DONTNEED), migration, COW on fork, exit, ...) the region gets an
 * INVAL event with a hint covering the invalidated part, and a 64-bit
 * generation counter in a read-only page that user space maps is bumped,
 * so a registration cache can check for changes with one load.
 *
 * The user-space ABI is generated from packages/uapi/spec/kchan.yaml into
 * include/uapi/kchan/ummunotify.h; its `contract` is binding.
 *
 * Ownership. Each open file owns one struct ummu_ctx (file->private_data),
 * created in open and freed in release: struct file's refcount is the only
 * reference that matters, as in drivers/misc/ntsync.c. The mmu_notifier can
 * call us until mmu_notifier_unregister() returns (it waits for SRCU), so
 * release unregisters before freeing anything. A mapping of the generation
 * page pins the file (vma->vm_file) and holds its own page reference
 * (vm_insert_page), so the page outlives the context if need be.
 *
 * Binding. The context is bound to the opener's mm (mmgrab: the mm_struct
 * stays allocated so the pointer cannot be reused, but its address space is
 * not kept alive). Every operation from another mm — a forked child, a
 * process the fd was passed to — fails with -EIO.
 *
 * Locking. ctx->lock (a spinlock; the notifier may be called where it must
 * not sleep) protects both region trees, the dirty list, every region's
 * pending event and the generation counter. Nothing copies to or from user
 * space with it held: read() moves events into a kernel buffer under the
 * lock and copies them out after unlocking (and puts them back if the copy
 * fails); register/unregister copy their argument in first.
 *
 * Cost. Regions live in an interval tree keyed by [start, end - 1] and in
 * an rbtree keyed by cookie, so register, unregister and the invalidation
 * callback are O(log n + k) for n regions of which k overlap.
 *
 * Events. A region has at most one pending event (it sits on ctx->dirty);
 * further invalidations widen its hint, so the queue is bounded by the
 * region count, itself bounded by UMMUNOTIFY_MAX_REGIONS per fd; nothing is
 * ever dropped while its region exists.
 *
 * Memory. Regions (a SLAB_ACCOUNT cache) and the slot array are charged to
 * the opener's memory cgroup and, unless the opener has CAP_IPC_LOCK, to
 * its user_struct->locked_vm against RLIMIT_MEMLOCK, as io_uring and
 * watch_queue charge their pinned pages: so one user cannot pin more
 * kernel memory than it could mlock(), however many fds or processes it
 * has. Each fd counts its bytes and charges whole pages as the count
 * crosses page boundaries (-ENOMEM past the limit); unregistering and
 * release uncharge them.
 *
 * Slots (UMMUNOTIFY_FEATURE_REGION_GENERATION, kdreg2-style). Once the
 * feature is enabled the fd has an array of UMMUNOTIFY_MAX_SLOTS u64
 * counters (vmalloc'ed, charged, mapped read-only after the generation
 * page) and a bitmap of the slots in use. A region registered with
 * REGISTER_REGION_SLOT takes the lowest free slot; its counter is bumped
 * after each event it gets, and once more when it is unregistered, so a
 * reader's snapshot of a slot that is later reused never matches again.
 * Counters are never reset. Both are set once, under ctx->lock, and freed
 * at release (a mapping pins the file, and holds page references).
 *
 * Reads. read() hands out pending events in queue order and ends with a
 * LAST event carrying the generation only when it has taken the last one:
 * a reader that stops at the first LAST has seen every event counted by
 * that generation, whatever its buffer size. A read that fills the buffer
 * carries no LAST; if it took the last event without room for LAST, the
 * fd owes one (ctx->owe_last) and the next read returns it, so a reader
 * with room for one event at a time makes progress and still learns when
 * it is current. Reads work through the queue in batches of
 * UMMU_READ_BATCH events (a bounded kernel buffer), copying each batch out
 * before taking the next.
 *
 * Races. An invalidation is reported to every region inserted before its
 * invalidate_range_start, by that callback. A region registered while an
 * invalidation of its range is already under way (start ran, end has not)
 * is marked at registration, as mmu_interval_notifier's read_begin/
 * read_retry would have the caller retry: the pages behind it may change
 * after REGISTER returns. The ranges in flight are kept by the identity
 * of their struct mmu_notifier_range (the same object reaches start and
 * end) in a small per-fd table; when more than UMMU_INFLIGHT are in flight
 * at once, every registration until they end is marked (a spurious event
 * costs a re-registration, a missed one corrupts memory). An end whose
 * start we never saw (it began before open) matches nothing and is
 * ignored.
 */
#include <linux/bitmap.h>
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/interval_tree_generic.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/rbtree.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/user.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <linux/wait.h>

#include <kchan/ummunotify.h>

#include "compat.h"
#include "kchan.h"
#include "kapi/testing.h"

/* Events one read() takes per batch (bounds the kernel buffer). */
#define UMMU_READ_BATCH		256

/* Invalidations in flight tracked by range; more mark every registration. */
#define UMMU_INFLIGHT		16

/* Features this kernel offers through UMMUNOTIFY_EXCHANGE_FEATURES. */
#define UMMU_FEATURES		UMMUNOTIFY_FEATURE_REGION_GENERATION

/* The slot array, mapped after the generation page. */
#define UMMU_SLOT_BYTES		(UMMUNOTIFY_MAX_SLOTS * sizeof(u64))
#define UMMU_SLOT_PAGES		(UMMU_SLOT_BYTES >> PAGE_SHIFT)
#define UMMU_NO_SLOT		U32_MAX
static_assert(UMMU_SLOT_BYTES % PAGE_SIZE == 0);
/* What enabling REGION_GENERATION charges: the slot array and its bitmap. */
#define UMMU_SLOT_MEM		(UMMU_SLOT_BYTES + \
				 BITS_TO_LONGS(UMMUNOTIFY_MAX_SLOTS) * sizeof(long))

struct ummu_region {
	struct rb_node		it_node;	/* ctx->by_range */
	u64			start;		/* first byte */
	u64			last;		/* last byte (end - 1) */
	u64			subtree_last;	/* interval tree augmentation */
	struct rb_node		cookie_node;	/* ctx->by_cookie */
	u64			cookie;
	u64			id;		/* unique per fd, unlike cookies */
	u32			slot;		/* or UMMU_NO_SLOT */
	/* Pending event: on ctx->dirty iff pending; hint is [hint_start, hint_end). */
	bool			pending;
	struct list_head	dirty;
	u64			hint_start;
	u64			hint_end;
};

/* An invalidation between its invalidate_range_start and _end. */
struct ummu_inflight {
	const struct mmu_notifier_range *range;	/* NULL: free entry */
	u64			start;
	u64			last;
};

struct ummu_ctx {
	struct mmu_notifier	mn;
	struct mm_struct	*mm;		/* mmgrab'ed at open */

	spinlock_t		lock;		/* see Locking above */
	struct rb_root_cached	by_range;	/* lock */
	struct rb_root		by_cookie;	/* lock */
	struct list_head	dirty;		/* lock: regions with an event */
	unsigned long		nregions;	/* lock */
	u64			last_id;	/* lock: last region id given */
	u64			generation;	/* lock: kernel copy of *gen */
	bool			mm_released;	/* lock: mm exited */
	bool			owe_last;	/* lock: see Reads above */
	/* lock: invalidations in flight, see Races above */
	struct ummu_inflight	inflight[UMMU_INFLIGHT];
	unsigned int		inflight_overflow;
	u32			features;	/* lock: enabled features */

	/* Zeroed page mapped read-only by user space; counter at offset 0. */
	struct page		*gen_page;
	struct ummunotify_generation *gen;

	/* REGION_GENERATION: set once under lock, freed at release. */
	u64			*slots;		/* lock: mapped after gen_page */
	unsigned long		*slot_map;	/* lock: slots in use */
	unsigned int		nslots;		/* lock */

	/* Memory accounting: see Memory above. */
	struct user_struct	*user;		/* charged; NULL: CAP_IPC_LOCK */
	unsigned long		mem_bytes;	/* lock: regions + slot array */
	unsigned long		mem_pages;	/* lock: charged for mem_bytes */

	wait_queue_head_t	wq;		/* readers, poll */
	struct fasync_struct	*fasync;	/* SIGIO */
};

#define UMMU_START(r)	((r)->start)
#define UMMU_LAST(r)	((r)->last)

INTERVAL_TREE_DEFINE(struct ummu_region, it_node, u64, subtree_last,
		     UMMU_START, UMMU_LAST, static, ummu_it)

static struct kmem_cache *ummu_region_cache;

/* Live objects, for leak checks by the test module (kapi/testing.h). */
static atomic_long_t ummu_live_regions = ATOMIC_LONG_INIT(0);
static atomic_long_t ummu_live_contexts = ATOMIC_LONG_INIT(0);

#ifdef KCHAN_TESTING
void kchan_ummunotify_stats(long *regions, long *contexts)
{
	*regions = atomic_long_read(&ummu_live_regions);
	*contexts = atomic_long_read(&ummu_live_contexts);
}
EXPORT_SYMBOL_GPL(kchan_ummunotify_stats);
#endif /* KCHAN_TESTING */

static inline struct ummu_ctx *mn_to_ctx(struct mmu_notifier *mn)
{
	return container_of(mn, struct ummu_ctx, mn);
}

/* Memory accounting (see Memory above) */

/*
 * Count @bytes more for @ctx, charging the opener for the whole pages they
 * add; -ENOMEM (and nothing counted) if that takes it past RLIMIT_MEMLOCK.
 */
static int ummu_charge(struct ummu_ctx *ctx, unsigned long bytes)
{
	unsigned long pages, limit, cur, new;

	lockdep_assert_held(&ctx->lock);
	pages = DIV_ROUND_UP(ctx->mem_bytes + bytes, PAGE_SIZE) - ctx->mem_pages;
	if (pages && ctx->user) {
		limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
		cur = atomic_long_read(&ctx->user->locked_vm);
		do {
			new = cur + pages;
			if (new > limit)
				return -ENOMEM;
		} while (!atomic_long_try_cmpxchg(&ctx->user->locked_vm,
						  &cur, new));
	}
	ctx->mem_bytes += bytes;
	ctx->mem_pages += pages;
	return 0;
}

/* Count @bytes fewer, uncharging the whole pages no longer needed. */
static void ummu_uncharge(struct ummu_ctx *ctx, unsigned long bytes)
{
	unsigned long pages;

	lockdep_assert_held(&ctx->lock);
	ctx->mem_bytes -= bytes;
	pages = ctx->mem_pages - DIV_ROUND_UP(ctx->mem_bytes, PAGE_SIZE);
	ctx->mem_pages -= pages;
	if (pages && ctx->user)
		atomic_long_sub(pages, &ctx->user->locked_vm);
}

/* Region helpers */

static struct ummu_region *ummu_find_cookie(struct ummu_ctx *ctx, u64 cookie)
{
	struct rb_node *n = ctx->by_cookie.rb_node;

	lockdep_assert_held(&ctx->lock);
	while (n) {
		struct ummu_region *r = rb_entry(n, struct ummu_region,
						 cookie_node);

		if (cookie < r->cookie)
			n = n->rb_left;
		else if (cookie > r->cookie)
			n = n->rb_right;
		else
			return r;
	}
	return NULL;
}

/* Insert into the cookie tree; false if the cookie is already in use. */
static bool ummu_insert_cookie(struct ummu_ctx *ctx, struct ummu_region *new)
{
	struct rb_node **p = &ctx->by_cookie.rb_node, *parent = NULL;

	lockdep_assert_held(&ctx->lock);
	while (*p) {
		struct ummu_region *r = rb_entry(*p, struct ummu_region,
						 cookie_node);

		parent = *p;
		if (new->cookie < r->cookie)
			p = &(*p)->rb_left;
		else if (new->cookie > r->cookie)
			p = &(*p)->rb_right;
		else
			return false;
	}
	rb_link_node(&new->cookie_node, parent, p);
	rb_insert_color(&new->cookie_node, &ctx->by_cookie);
	return true;
}

/* Queue an event for @r covering [hs, he), or widen its pending one. */
static void ummu_mark(struct ummu_ctx *ctx, struct ummu_region *r,
		      u64 hs, u64 he)
{
	lockdep_assert_held(&ctx->lock);
	if (!r->pending) {
		r->pending = true;
		r->hint_start = hs;
		r->hint_end = he;
		list_add_tail(&r->dirty, &ctx->dirty);
		return;
	}
	r->hint_start = min(r->hint_start, hs);
	r->hint_end = max(r->hint_end, he);
}

/* Publish a new generation, after the events it counts were queued. */
static void ummu_bump_generation(struct ummu_ctx *ctx)
{
	lockdep_assert_held(&ctx->lock);
	ctx->generation++;
	/* Pairs with the reader's acquire load of the counter. */
	smp_store_release(&ctx->gen->counter, ctx->generation);
}

/* Bump a region's slot counter; the slot array exists if a region has one. */
static void ummu_bump_slot(struct ummu_ctx *ctx, u32 slot)
{
	lockdep_assert_held(&ctx->lock);
	/* Pairs with the reader's acquire load of the slot. */
	smp_store_release(&ctx->slots[slot], ctx->slots[slot] + 1);
}

/* Take the lowest free slot; the caller checked that one is free. */
static u32 ummu_slot_get(struct ummu_ctx *ctx)
{
	unsigned long slot;

	lockdep_assert_held(&ctx->lock);
	slot = find_first_zero_bit(ctx->slot_map, UMMUNOTIFY_MAX_SLOTS);
	__set_bit(slot, ctx->slot_map);
	ctx->nslots++;
	return slot;
}

/*
 * Take @r out of both trees and the queue (its pending event goes with it)
 * and free its slot, bumped first so that a reader that loaded it before
 * sees a change, even after the slot is reused. The caller frees @r.
 */
static void ummu_remove_locked(struct ummu_ctx *ctx, struct ummu_region *r)
{
	lockdep_assert_held(&ctx->lock);
	rb_erase(&r->cookie_node, &ctx->by_cookie);
	ummu_it_remove(r, &ctx->by_range);
	if (r->pending)
		list_del(&r->dirty);
	ctx->nregions--;
	ummu_uncharge(ctx, sizeof(*r));
	if (r->slot != UMMU_NO_SLOT) {
		ummu_bump_slot(ctx, r->slot);
		__clear_bit(r->slot, ctx->slot_map);
		ctx->nslots--;
	}
}

static void ummu_wake(struct ummu_ctx *ctx)
{
	wake_up_interruptible_poll(&ctx->wq, EPOLLIN | EPOLLRDNORM);
	kill_fasync(&ctx->fasync, SIGIO, POLL_IN);
}

/* MMU notifier */

/* Remember @range as in flight until its invalidate_range_end. */
static void ummu_inflight_add(struct ummu_ctx *ctx,
			      const struct mmu_notifier_range *range)
{
	unsigned int i;

	lockdep_assert_held(&ctx->lock);
	for (i = 0; i < UMMU_INFLIGHT; i++) {
		if (!ctx->inflight[i].range) {
			ctx->inflight[i].range = range;
			ctx->inflight[i].start = range->start;
			ctx->inflight[i].last = range->end - 1;
			return;
		}
	}
	ctx->inflight_overflow++;
}

/*
 * Called before the kernel changes or drops the mappings of
 * [range->start, range->end), possibly where sleeping is not allowed
 * (!mmu_notifier_range_blockable): we only take a spinlock, so we never
 * need to fail with -EAGAIN. Every event type is reported: a registration
 * cache must hear about anything that may change the pages behind a range.
 */
static int ummu_invalidate_range_start(struct mmu_notifier *mn,
				       const struct mmu_notifier_range *range)
{
	struct ummu_ctx *ctx = mn_to_ctx(mn);
	u64 start = range->start, last = range->end - 1;
	struct ummu_region *r;
	bool hit = false;

	spin_lock(&ctx->lock);
	ummu_inflight_add(ctx, range);
	for (r = ummu_it_iter_first(&ctx->by_range, start, last); r;
	     r = ummu_it_iter_next(r, start, last)) {
		/* The hint is the part of this region being invalidated. */
		ummu_mark(ctx, r, max(r->start, start),
			  min(r->last, last) + 1);
		if (r->slot != UMMU_NO_SLOT)
			ummu_bump_slot(ctx, r->slot);
		hit = true;
	}
	if (hit)
		ummu_bump_generation(ctx);
	spin_unlock(&ctx->lock);

	if (hit)
		ummu_wake(ctx);
	return 0;
}

/* The pages of @range are settled: registrations need no longer mark it. */
static void ummu_invalidate_range_end(struct mmu_notifier *mn,
				      const struct mmu_notifier_range *range)
{
	struct ummu_ctx *ctx = mn_to_ctx(mn);
	unsigned int i;

	spin_lock(&ctx->lock);
	for (i = 0; i < UMMU_INFLIGHT; i++) {
		if (ctx->inflight[i].range == range) {
			ctx->inflight[i].range = NULL;
			break;
		}
	}
	/* Not in the table: an overflowed one, or one begun before open. */
	if (i == UMMU_INFLIGHT && ctx->inflight_overflow)
		ctx->inflight_overflow--;
	spin_unlock(&ctx->lock);
}

/*
 * A region just inserted under ctx->lock: if an invalidation of its range
 * is in flight, its pages may change after REGISTER returns, and the
 * invalidation's start callback ran before the region existed: queue the
 * event now. Returns true if it did (the caller wakes readers).
 */
static bool ummu_mark_inflight(struct ummu_ctx *ctx, struct ummu_region *r)
{
	u64 hs = U64_MAX, he = 0;
	unsigned int i;

	lockdep_assert_held(&ctx->lock);
	if (ctx->inflight_overflow) {
		hs = r->start;
		he = r->last + 1;
	}
	for (i = 0; i < UMMU_INFLIGHT; i++) {
		const struct ummu_inflight *f = &ctx->inflight[i];

		if (!f->range || f->start > r->last || f->last < r->start)
			continue;
		hs = min(hs, max(r->start, f->start));
		he = max(he, min(r->last, f->last) + 1);
	}
	if (hs >= he)
		return false;
	ummu_mark(ctx, r, hs, he);
	if (r->slot != UMMU_NO_SLOT)
		ummu_bump_slot(ctx, r->slot);
	ummu_bump_generation(ctx);
	return true;
}

/*
 * The mm is going away (exit_mmap), or we are being unregistered. No
 * process can use this fd any more (every op checks current->mm, and a
 * grabbed mm_struct is never reused), so just stop accepting work: regions
 * stay until release frees them, and blocked readers (there can be none
 * from this mm) are woken.
 */
static void ummu_mm_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct ummu_ctx *ctx = mn_to_ctx(mn);

	spin_lock(&ctx->lock);
	WRITE_ONCE(ctx->mm_released, true);	/* read locklessly in read() */
	spin_unlock(&ctx->lock);
	wake_up_interruptible_poll(&ctx->wq, EPOLLHUP);
}

static const struct mmu_notifier_ops ummu_mn_ops = {
	.invalidate_range_start	= ummu_invalidate_range_start,
	.invalidate_range_end	= ummu_invalidate_range_end,
	.release		= ummu_mm_release,
};

/* Device file ops */

static int ummunotify_open(struct inode *inode, struct file *file)
{
	struct ummu_ctx *ctx;
	int ret;

	if (!current->mm)
		return -EINVAL;
	ret = nonseekable_open(inode, file);
	if (ret)
		return ret;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL_ACCOUNT);
	if (!ctx)
		return -ENOMEM;
	ctx->gen_page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!ctx->gen_page) {
		ret = -ENOMEM;
		goto err_ctx;
	}
	ctx->gen = page_address(ctx->gen_page);
	spin_lock_init(&ctx->lock);
	ctx->by_range = RB_ROOT_CACHED;
	ctx->by_cookie = RB_ROOT;
	INIT_LIST_HEAD(&ctx->dirty);
	init_waitqueue_head(&ctx->wq);

	/* Our own reference: keeps the pointer unique for the EIO check. */
	ctx->mm = current->mm;
	mmgrab(ctx->mm);
	/* As io_uring: CAP_IPC_LOCK, checked once at open, is never charged. */
	if (!ns_capable_noaudit(&init_user_ns, CAP_IPC_LOCK))
		ctx->user = get_uid(current_user());
	ctx->mn.ops = &ummu_mn_ops;
	ret = mmu_notifier_register(&ctx->mn, ctx->mm);
	if (ret)
		goto err_mm;

	file->private_data = ctx;
	atomic_long_inc(&ummu_live_contexts);
	return 0;

err_mm:
	if (ctx->user)
		free_uid(ctx->user);
	mmdrop(ctx->mm);
	__free_page(ctx->gen_page);
err_ctx:
	kfree(ctx);
	return ret;
}

static int ummunotify_release(struct inode *inode, struct file *file)
{
	struct ummu_ctx *ctx = file->private_data;
	struct ummu_region *r, *tmp;
	unsigned long n = 0;

	/* After this, no callback runs or will run (it waits for SRCU). */
	mmu_notifier_unregister(&ctx->mn, ctx->mm);

	/*
	 * We are the last user of the trees: free every region in post-order,
	 * which never looks at a node after handing it to the callback body
	 * (the seed called rb_next() on a freed node).
	 */
	rbtree_postorder_for_each_entry_safe(r, tmp, &ctx->by_cookie,
					     cookie_node) {
		kmem_cache_free(ummu_region_cache, r);
		if (!(++n % 4096))
			cond_resched();
	}
	atomic_long_sub(n, &ummu_live_regions);
	/* Everything charged goes at once: regions and slot array. */
	if (ctx->user) {
		atomic_long_sub(ctx->mem_pages, &ctx->user->locked_vm);
		free_uid(ctx->user);
	}

	mmdrop(ctx->mm);
	/* No mapping is left: each pins the file. */
	__free_page(ctx->gen_page);
	vfree(ctx->slots);
	bitmap_free(ctx->slot_map);
	kfree(ctx);
	atomic_long_dec(&ummu_live_contexts);
	return 0;
}

/* Is @ctx usable by the current task? */
static int ummu_check_mm(struct ummu_ctx *ctx)
{
	return current->mm == ctx->mm ? 0 : -EIO;
}

/* Has a read something to return: an event, an owed LAST, or the end? */
static bool ummu_has_pending(struct ummu_ctx *ctx)
{
	bool ret;

	spin_lock(&ctx->lock);
	ret = !list_empty(&ctx->dirty) || ctx->owe_last || ctx->mm_released;
	spin_unlock(&ctx->lock);
	return ret;
}

static void ummu_set_last(struct ummunotify_event *ev, u64 gen)
{
	ev->type = UMMUNOTIFY_EVENT_TYPE_LAST;
	ev->flags = 0;
	ev->hint_start = 0;
	ev->hint_end = 0;
	ev->user_cookie_counter = gen;
}

/*
 * Take up to @max events into @ev (their regions' ids into @ids), followed
 * by LAST if that drained the queue and there is room; if it drained the
 * queue without room, the fd owes LAST to the next read. Returns how many
 * events were written, LAST included; *@last says whether LAST was one.
 */
static size_t ummu_take_events(struct ummu_ctx *ctx,
			       struct ummunotify_event *ev, u64 *ids,
			       size_t max, bool *last)
{
	struct ummu_region *r;
	size_t n = 0;

	*last = false;
	spin_lock(&ctx->lock);
	while (n < max && !list_empty(&ctx->dirty)) {
		r = list_first_entry(&ctx->dirty, struct ummu_region, dirty);
		list_del(&r->dirty);
		r->pending = false;
		ev[n].type = UMMUNOTIFY_EVENT_TYPE_INVAL;
		ev[n].flags = UMMUNOTIFY_EVENT_FLAG_HINT;
		ev[n].hint_start = r->hint_start;
		ev[n].hint_end = r->hint_end;
		ev[n].user_cookie_counter = r->cookie;
		ids[n] = r->id;
		n++;
	}
	if (list_empty(&ctx->dirty)) {
		/* Drained: the generation now counts nothing still queued. */
		ctx->owe_last = n == max;
		if (n < max) {
			ummu_set_last(&ev[n++], ctx->generation);
			*last = true;
		}
	}
	spin_unlock(&ctx->lock);
	return n;
}

/*
 * The copy to user space failed: give the events back to their regions,
 * at the head of the queue and in their order, so nothing is lost. A
 * region unregistered meanwhile has lost its event anyway, even if its
 * cookie was registered again (the new region has another id); one that
 * was invalidated again merges the hints. A LAST among them is owed again
 * (ctx->owe_last): the read that drains what was put back returns it, and
 * if nothing was put back the next read returns it alone. Dropping it
 * left a reader that reads until LAST asleep on an empty queue after a
 * fault on the part of its buffer that LAST alone was to fill.
 */
static void ummu_put_back_events(struct ummu_ctx *ctx,
				 const struct ummunotify_event *ev,
				 const u64 *ids, size_t n, bool last)
{
	struct ummu_region *r;

	spin_lock(&ctx->lock);
	if (last) {
		n--;
		ctx->owe_last = true;
	}
	while (n--) {
		r = ummu_find_cookie(ctx, ev[n].user_cookie_counter);
		if (!r || r->id != ids[n])
			continue;
		if (r->pending) {
			r->hint_start = min(r->hint_start, ev[n].hint_start);
			r->hint_end = max(r->hint_end, ev[n].hint_end);
			list_move(&r->dirty, &ctx->dirty);
		} else {
			r->pending = true;
			r->hint_start = ev[n].hint_start;
			r->hint_end = ev[n].hint_end;
			list_add(&r->dirty, &ctx->dirty);
		}
	}
	spin_unlock(&ctx->lock);
}

/*
 * read(): pending INVAL events, as many as fit, then LAST with the
 * generation only if they drained the queue (see Reads above). Blocks
 * until there is something to return unless O_NONBLOCK (-EAGAIN).
 */
static ssize_t ummunotify_read(struct file *file, char __user *buf,
			       size_t count, loff_t *pos)
{
	struct ummu_ctx *ctx = file->private_data;
	size_t want, max, n, done = 0;
	struct ummunotify_event *ev;
	bool last = false;
	u64 *ids;
	int ret;

	ret = ummu_check_mm(ctx);
	if (ret)
		return ret;
	if (count < sizeof(*ev))
		return -EINVAL;
	want = count / sizeof(*ev);
	max = min_t(size_t, want, UMMU_READ_BATCH);

	/* The events, then their regions' ids (for putting them back). */
	ev = kmalloc_array(max, sizeof(*ev) + sizeof(*ids), GFP_KERNEL);
	if (!ev)
		return -ENOMEM;
	ids = (u64 *)(ev + max);

	for (;;) {
		if (!ummu_has_pending(ctx)) {
			if (file->f_flags & O_NONBLOCK) {
				ret = -EAGAIN;
				goto out;
			}
			ret = wait_event_interruptible(ctx->wq,
						       ummu_has_pending(ctx));
			if (ret)
				goto out;
		}
		/*
		 * At least one: events, an owed LAST, or LAST alone when another
		 * reader emptied the queue since the check (it is drained).
		 */
		n = ummu_take_events(ctx, ev, ids, max, &last);
		if (n)
			break;
	}

	for (;;) {
		if (copy_to_user(buf + done * sizeof(*ev), ev, n * sizeof(*ev))) {
			ummu_put_back_events(ctx, ev, ids, n, last);
			ret = done ? 0 : -EFAULT;
			break;
		}
		done += n;
		if (last || done == want)
			break;
		/* More room: the next batch, or the LAST the last one owed. */
		n = ummu_take_events(ctx, ev, ids, min(max, want - done), &last);
		if (!n)
			break;
	}
	if (done)
		ret = done * sizeof(*ev);
out:
	kfree(ev);
	return ret;
}

static __poll_t ummunotify_poll(struct file *file, poll_table *wait)
{
	struct ummu_ctx *ctx = file->private_data;
	__poll_t mask = 0;

	if (ummu_check_mm(ctx))
		return EPOLLERR;
	poll_wait(file, &ctx->wq, wait);
	spin_lock(&ctx->lock);
	if (!list_empty(&ctx->dirty) || ctx->owe_last)
		mask |= EPOLLIN | EPOLLRDNORM;
	if (ctx->mm_released)
		mask |= EPOLLHUP;
	spin_unlock(&ctx->lock);
	return mask;
}

static int ummunotify_fasync(int fd, struct file *file, int on)
{
	struct ummu_ctx *ctx = file->private_data;

	return fasync_helper(fd, file, on, &ctx->fasync);
}

/* Page @idx of the device's mapping: the generation page, then the slots. */
static struct page *ummu_map_page(struct ummu_ctx *ctx, u64 *slots,
				  unsigned long idx)
{
	if (!idx)
		return ctx->gen_page;
	return vmalloc_to_page((char *)slots + (idx - 1) * PAGE_SIZE);
}

/*
 * The mapping: page 0 is the generation page; with REGION_GENERATION
 * enabled, UMMU_SLOT_PAGES slot pages follow (any page range of them may
 * be mapped). Read-only for good (VM_WRITE refused, VM_MAYWRITE cleared so
 * mprotect() cannot add it). VM_DONTCOPY keeps it from fork children by
 * default; madvise(MADV_DOFORK) can clear that (the vma is not VM_IO), and
 * then a child shares the same read-only view of the counters, which is
 * harmless: it cannot use the fd (-EIO) nor write the pages.
 */
static int ummunotify_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct ummu_ctx *ctx = file->private_data;
	unsigned long npages = 1, pgoff = vma->vm_pgoff, i;
	unsigned long len = vma_pages(vma);
	u64 *slots;
	int ret;

	ret = ummu_check_mm(ctx);
	if (ret)
		return ret;
	spin_lock(&ctx->lock);
	slots = ctx->slots;
	spin_unlock(&ctx->lock);
	if (slots)
		npages += UMMU_SLOT_PAGES;
	if (pgoff >= npages || len > npages - pgoff)
		return -EINVAL;
	if (vma->vm_flags & VM_WRITE)
		return -EPERM;
	kchan_vm_flags_clear(vma, VM_MAYWRITE);
	kchan_vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP | VM_DONTCOPY);
	for (i = 0; i < len; i++) {
		ret = vm_insert_page(vma, vma->vm_start + i * PAGE_SIZE,
				     ummu_map_page(ctx, slots, pgoff + i));
		if (ret)
			return ret;
	}
	return 0;
}

/* Ioctls */

/*
 * Enable the features asked for that we offer; an enabled one stays on
 * (slots may be in use). REGION_GENERATION allocates the slot array and
 * bitmap here, outside the lock; a racing call may have beaten us to it.
 */
static long ummu_ioctl_exchange_features(struct ummu_ctx *ctx,
					 u32 __user *uarg)
{
	unsigned long *map = NULL;
	u64 *slots = NULL;
	bool have;
	u32 wanted;
	int ret = 0;

	if (get_user(wanted, uarg))
		return -EFAULT;
	wanted &= UMMU_FEATURES;

	spin_lock(&ctx->lock);
	have = !!ctx->slots;
	spin_unlock(&ctx->lock);
	if ((wanted & UMMUNOTIFY_FEATURE_REGION_GENERATION) && !have) {
		slots = __vmalloc(UMMU_SLOT_BYTES,
				  GFP_KERNEL_ACCOUNT | __GFP_ZERO);
		map = bitmap_zalloc(UMMUNOTIFY_MAX_SLOTS, GFP_KERNEL_ACCOUNT);
		if (!slots || !map) {
			vfree(slots);
			bitmap_free(map);
			return -ENOMEM;
		}
	}

	spin_lock(&ctx->lock);
	if (slots && !ctx->slots) {
		ret = ummu_charge(ctx, UMMU_SLOT_MEM);
		if (!ret) {
			ctx->slots = slots;
			ctx->slot_map = map;
			slots = NULL;
			map = NULL;
		}
	}
	if (!ret) {
		ctx->features |= wanted;
		wanted = ctx->features;
	}
	spin_unlock(&ctx->lock);

	vfree(slots);
	bitmap_free(map);
	if (ret)
		return ret;
	return put_user(wanted, uarg);
}

/*
 * Register [start, end) under @cookie; with @slot, also give it a slot
 * (REGION_GENERATION must be enabled) and return it there.
 */
static int ummu_add_region(struct ummu_ctx *ctx, u64 start, u64 end,
			   u64 cookie, u32 *slot)
{
	struct ummu_region *r;
	bool marked = false;
	int ret = 0;

	/* The cache is SLAB_ACCOUNT: charged to the memcg without __GFP_ACCOUNT. */
	r = kmem_cache_zalloc(ummu_region_cache, GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	r->start = start;
	r->last = end - 1;
	r->cookie = cookie;
	r->slot = UMMU_NO_SLOT;
	INIT_LIST_HEAD(&r->dirty);

	spin_lock(&ctx->lock);
	if (ctx->mm_released)
		ret = -EIO;
	else if (slot && !(ctx->features & UMMUNOTIFY_FEATURE_REGION_GENERATION))
		ret = -EINVAL;
	else if (ctx->nregions >= UMMUNOTIFY_MAX_REGIONS)
		ret = -ENOSPC;
	else if (slot && ctx->nslots >= UMMUNOTIFY_MAX_SLOTS)
		ret = -ENOSPC;
	else if (!ummu_insert_cookie(ctx, r))
		ret = -EEXIST;
	if (!ret && ummu_charge(ctx, sizeof(*r))) {
		rb_erase(&r->cookie_node, &ctx->by_cookie);
		ret = -ENOMEM;
	}
	if (!ret) {
		r->id = ++ctx->last_id;
		if (slot) {
			r->slot = ummu_slot_get(ctx);
			*slot = r->slot;
		}
		ummu_it_insert(r, &ctx->by_range);
		ctx->nregions++;
		marked = ummu_mark_inflight(ctx, r);
	}
	spin_unlock(&ctx->lock);

	if (ret) {
		kmem_cache_free(ummu_region_cache, r);
		return ret;
	}
	atomic_long_inc(&ummu_live_regions);
	if (marked)
		ummu_wake(ctx);
	return 0;
}

/* Unregister @cookie; if @slot is not UMMU_NO_SLOT, only if it has that slot. */
static int ummu_del_region(struct ummu_ctx *ctx, u64 cookie, u32 slot)
{
	struct ummu_region *r;

	spin_lock(&ctx->lock);
	r = ummu_find_cookie(ctx, cookie);
	if (r && slot != UMMU_NO_SLOT && r->slot != slot)
		r = NULL;
	if (r)
		ummu_remove_locked(ctx, r);
	spin_unlock(&ctx->lock);

	if (!r)
		return -ENOENT;
	kmem_cache_free(ummu_region_cache, r);
	atomic_long_dec(&ummu_live_regions);
	return 0;
}

static long ummu_ioctl_register(struct ummu_ctx *ctx,
				struct ummunotify_register_ioctl __user *uarg)
{
	struct ummunotify_register_ioctl arg;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.flags || arg.reserved || arg.start >= arg.end)
		return -EINVAL;
	return ummu_add_region(ctx, arg.start, arg.end, arg.user_cookie, NULL);
}

static long
ummu_ioctl_register_slot(struct ummu_ctx *ctx,
			 struct ummunotify_register_slot_ioctl __user *uarg)
{
	struct ummunotify_register_slot_ioctl arg;
	u32 slot;
	int ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.flags || arg.start >= arg.end)
		return -EINVAL;
	ret = ummu_add_region(ctx, arg.start, arg.end, arg.user_cookie, &slot);
	if (ret)
		return ret;
	if (put_user(slot, &uarg->slot)) {
		/* Nobody can know its slot: take the region back. */
		ummu_del_region(ctx, arg.user_cookie, slot);
		return -EFAULT;
	}
	return 0;
}

static long ummu_ioctl_unregister(struct ummu_ctx *ctx, u64 __user *uarg)
{
	u64 cookie;

	if (get_user(cookie, uarg))
		return -EFAULT;
	return ummu_del_region(ctx, cookie, UMMU_NO_SLOT);
}

static long ummunotify_ioctl(struct file *file, unsigned int cmd,
			     unsigned long arg)
{
	struct ummu_ctx *ctx = file->private_data;
	void __user *uarg = (void __user *)arg;
	int ret;

	if (_IOC_TYPE(cmd) != 'U')
		return -ENOTTY;
	ret = ummu_check_mm(ctx);
	if (ret)
		return ret;

	switch (cmd) {
	case UMMUNOTIFY_EXCHANGE_FEATURES:
		return ummu_ioctl_exchange_features(ctx, uarg);
	case UMMUNOTIFY_REGISTER_REGION:
		return ummu_ioctl_register(ctx, uarg);
	case UMMUNOTIFY_UNREGISTER_REGION:
		return ummu_ioctl_unregister(ctx, uarg);
	case UMMUNOTIFY_REGISTER_REGION_SLOT:
		return ummu_ioctl_register_slot(ctx, uarg);
	}
	return -ENOTTY;
}

static const struct file_operations ummunotify_fops = {
	.owner		= THIS_MODULE,
	.open		= ummunotify_open,
	.release	= ummunotify_release,
	.read		= ummunotify_read,
	.poll		= ummunotify_poll,
	.fasync		= ummunotify_fasync,
	.mmap		= ummunotify_mmap,
	.unlocked_ioctl	= ummunotify_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice ummunotify_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "ummunotify",
	.fops	= &ummunotify_fops,
	.mode	= 0666,
};

int kchan_ummunotify_init(void)
{
	int ret;

	ummu_region_cache = KMEM_CACHE(ummu_region, SLAB_ACCOUNT);
	if (!ummu_region_cache)
		return -ENOMEM;
	ret = misc_register(&ummunotify_misc);
	if (ret)
		kmem_cache_destroy(ummu_region_cache);
	return ret;
}

void kchan_ummunotify_exit(void)
{
	misc_deregister(&ummunotify_misc);
	kmem_cache_destroy(ummu_region_cache);
}
