// SPDX-License-Identifier: GPL-2.0
/*
 * kchan_test: "kue" commands, sending through the exported kue API
 * (kapi/kue.h), after the seed's kue-test module.
 *
 *   kue m1m4                     send "m1", "m2", "m3", "m4" (2 bytes each)
 *   kue msg <text>               send the text (without a NUL)
 *   kue send <n> <size> [copy|kfree|nocopy|stamp]
 *                                send n (<= 2^20) messages of size bytes,
 *                                payload ownership as named (default copy);
 *                                stamp: copy, with bytes 0..7 overwritten by
 *                                ktime_get_ns() (u64, native endian) taken
 *                                just before each send (size >= 8; for
 *                                bench/latency)
 *   kue burst <n> <size>         send n (<= 10000) messages from atomic
 *                                context: under a spinlock with interrupts
 *                                off, then from a hard-irq hrtimer (n each;
 *                                a softirq one on PREEMPT_RT, where kue must
 *                                not be called from hard irq context)
 *   kue recall <seq>             kue_recall_event(seq)
 *   kue delivered <seq>          kue_delivered_event(seq): status
 *                                "delivered=0|1"
 *   kue recall-all               kue_recall_all() of this module's callback
 *   kue kfree-fail               failed KUE_KFREE sends: with bad flags the
 *                                buffer stays ours (status nocopy=, unknown=
 *                                errnos, intact=1 if unchanged); with good
 *                                flags a vmalloc'ed one is freed by kue from
 *                                atomic context (atomic= errno)
 *   kue count                    wait for due callbacks, report counts
 *   kue reset                    zero the callback counters
 *
 * Payload pattern of message i (0..n-1) of a send or burst: byte j is
 * (i + j) & 0xff, except that bytes 0..3 hold i as little-endian u32 when
 * size >= 4.
 *
 * Status line after send/burst/m1m4/msg: "first=<seq> last=<seq>"; after
 * count: "queued_msgs=.. queued_bytes=.. readers=.. next_seq=.. freed=..
 * dropped=.. cb_delivered=.. cb_dropped=.. cb_recalled=..".
 */
#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/completion.h>
#include <linux/errno.h>
#include <linux/hrtimer.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include <kchan/kue.h>

#include "kapi/kue.h"
#include "kapi/testing.h"
#include "kchan_test.h"

/* Messages per command: "send" (which reschedules) and "burst" (irqs off). */
#define TEST_KUE_MAX_SEND	BIT(20)
#define TEST_KUE_MAX_BURST	10000U

static atomic64_t test_kue_cb_delivered;
static atomic64_t test_kue_cb_dropped;
static atomic64_t test_kue_cb_recalled;

static void test_kue_delivered(void *priv, u64 seq, int status)
{
	switch (status) {
	case 0:
		atomic64_inc(&test_kue_cb_delivered);
		break;
	case -ENOBUFS:
		atomic64_inc(&test_kue_cb_dropped);
		break;
	case -ECANCELED:
		atomic64_inc(&test_kue_cb_recalled);
		break;
	default:
		WARN_ONCE(1, "kue: unexpected status %d for seq %llu\n",
			  status, seq);
	}
	/* KUE_NOCOPY: the buffer is ours again. */
	kvfree(priv);
}

static void test_kue_fill(u8 *buf, size_t size, u32 i)
{
	size_t j;

	for (j = 0; j < size; j++)
		buf[j] = (i + j) & 0xff;
	if (size >= 4) {
		buf[0] = i & 0xff;
		buf[1] = (i >> 8) & 0xff;
		buf[2] = (i >> 16) & 0xff;
		buf[3] = (i >> 24) & 0xff;
	}
}

static int test_kue_m1m4(void)
{
	static const char * const msgs[] = { "m1", "m2", "m3", "m4" };
	s64 seq, first = 0;
	int i;

	for (i = 0; i < ARRAY_SIZE(msgs); i++) {
		seq = kue_send_event(msgs[i], strlen(msgs[i]), 0,
				     test_kue_delivered, NULL, GFP_KERNEL);
		if (seq < 0)
			return seq;
		if (!first)
			first = seq;
	}
	kchan_test_status("first=%lld last=%lld", first, seq);
	return 0;
}

static int test_kue_send(u32 n, size_t size, const char *mode)
{
	s64 seq = 0, first = 0;
	u8 *buf = NULL;
	u32 i;

	bool stamp = !strcmp(mode, "stamp");

	if (stamp) {
		if (size < sizeof(u64))
			return -EINVAL;
		mode = "copy";
	}
	if (strcmp(mode, "copy") && strcmp(mode, "kfree") &&
	    strcmp(mode, "nocopy"))
		return -EINVAL;
	/* Before kvmalloc(), which WARNs above INT_MAX. */
	if (size > KUE_MAX_MSG_SIZE || n > TEST_KUE_MAX_SEND)
		return -EINVAL;
	if (!strcmp(mode, "copy")) {
		buf = kvmalloc(size ? size : 1, GFP_KERNEL);
		if (!buf)
			return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		if (!strcmp(mode, "copy")) {
			test_kue_fill(buf, size, i);
			if (stamp) {
				u64 now = ktime_get_ns();

				memcpy(buf, &now, sizeof(now));
			}
			seq = kue_send_event(buf, size, 0, test_kue_delivered,
					     NULL, GFP_KERNEL);
		} else {
			u8 *p = kvmalloc(size ? size : 1, GFP_KERNEL);

			if (!p) {
				seq = -ENOMEM;
				break;
			}
			test_kue_fill(p, size, i);
			if (!strcmp(mode, "kfree")) {
				/* kue owns p from here on, even on error. */
				seq = kue_send_event(p, size, KUE_KFREE,
						     test_kue_delivered, NULL,
						     GFP_KERNEL);
			} else {
				seq = kue_send_event(p, size, KUE_NOCOPY,
						     test_kue_delivered, p,
						     GFP_KERNEL);
				if (seq < 0)
					kvfree(p);
			}
		}
		if (seq < 0)
			break;
		if (!first)
			first = seq;
		cond_resched();
	}
	kvfree(buf);
	if (seq < 0)
		return seq;
	kchan_test_status("first=%lld last=%lld", first, seq);
	return 0;
}

/* Atomic-context sends */

static DEFINE_SPINLOCK(test_kue_lock);

/* On PREEMPT_RT, spinlock_t sleeps: no kue calls from hard irq context. */
#define TEST_KUE_TIMER_MODE \
	(IS_ENABLED(CONFIG_PREEMPT_RT) ? HRTIMER_MODE_REL_SOFT : \
					 HRTIMER_MODE_REL_HARD)

static struct test_kue_burst {
	struct hrtimer timer;
	struct completion done;
	u8 *buf;
	size_t size;
	u32 n;
	s64 first;
	s64 last;
} test_kue_burst_state;

/* Sends b->n messages; called with interrupts off. */
static void test_kue_burst_send(struct test_kue_burst *b)
{
	s64 seq;
	u32 i;

	for (i = 0; i < b->n; i++) {
		test_kue_fill(b->buf, b->size, i);
		seq = kue_send_event(b->buf, b->size, 0, test_kue_delivered,
				     NULL, GFP_ATOMIC);
		b->last = seq;
		if (seq < 0)
			return;
		if (!b->first)
			b->first = seq;
	}
}

static enum hrtimer_restart test_kue_burst_timer(struct hrtimer *timer)
{
	struct test_kue_burst *b =
		container_of(timer, struct test_kue_burst, timer);

	WARN_ON_ONCE(!IS_ENABLED(CONFIG_PREEMPT_RT) && !in_hardirq());
	test_kue_burst_send(b);
	complete(&b->done);
	return HRTIMER_NORESTART;
}

static int test_kue_burst(u32 n, size_t size)
{
	struct test_kue_burst *b = &test_kue_burst_state;
	unsigned long flags;
	s64 first;

	if (size > KUE_MAX_MSG_SIZE || n > TEST_KUE_MAX_BURST)
		return -EINVAL;
	b->buf = kmalloc(size ? size : 1, GFP_KERNEL);
	if (!b->buf)
		return -ENOMEM;
	b->size = size;
	b->n = n;
	b->first = 0;
	b->last = 0;

	spin_lock_irqsave(&test_kue_lock, flags);
	test_kue_burst_send(b);
	spin_unlock_irqrestore(&test_kue_lock, flags);
	first = b->first;
	if (b->last < 0)
		goto out;

	init_completion(&b->done);
	b->first = 0;
	hrtimer_init(&b->timer, CLOCK_MONOTONIC, TEST_KUE_TIMER_MODE);
	b->timer.function = test_kue_burst_timer;
	hrtimer_start(&b->timer, ns_to_ktime(1000), TEST_KUE_TIMER_MODE);
	wait_for_completion(&b->done);
	hrtimer_cancel(&b->timer);
out:
	kfree(b->buf);
	b->buf = NULL;
	if (b->last < 0)
		return b->last;
	kchan_test_status("first=%lld last=%lld", first ? first : b->first,
			  b->last);
	return 0;
}

static int test_kue_kfree_fail(void)
{
	static const u8 pattern[16] = "kue-kfree-fail!";
	unsigned long flags;
	s64 nocopy, unknown, atomic;
	bool intact;
	u8 *p;
	void *v;

	p = kmalloc(sizeof(pattern), GFP_KERNEL);
	v = vmalloc(2 * PAGE_SIZE);
	if (!p || !v) {
		kfree(p);
		vfree(v);
		return -ENOMEM;
	}
	memcpy(p, pattern, sizeof(pattern));
	nocopy = kue_send_event(p, sizeof(pattern), KUE_KFREE | KUE_NOCOPY,
				test_kue_delivered, NULL, GFP_KERNEL);
	unknown = kue_send_event(p, sizeof(pattern), KUE_KFREE | 0x100,
				 test_kue_delivered, NULL, GFP_KERNEL);
	/* Had kue freed p, this is a use after free and a double free. */
	intact = !memcmp(p, pattern, sizeof(pattern));
	kfree(p);

	/* Too large: fails, and kue must free v without sleeping. */
	spin_lock_irqsave(&test_kue_lock, flags);
	atomic = kue_send_event(v, KUE_MAX_MSG_SIZE + 1, KUE_KFREE,
				test_kue_delivered, NULL, GFP_ATOMIC);
	spin_unlock_irqrestore(&test_kue_lock, flags);
	kue_flush_delivered();

	kchan_test_status("nocopy=%lld unknown=%lld intact=%d atomic=%lld",
			  nocopy, unknown, intact, atomic);
	return 0;
}

static int test_kue_count(void)
{
	struct kue_stats st;
	char line[320];

	kue_flush_delivered();
	kue_get_stats(&st);
	snprintf(line, sizeof(line),
		 "queued_msgs=%llu queued_bytes=%llu readers=%llu next_seq=%llu freed=%llu dropped=%llu cb_delivered=%lld cb_dropped=%lld cb_recalled=%lld",
		 st.queued_msgs, st.queued_bytes, st.readers, st.next_seq,
		 st.freed, st.dropped, atomic64_read(&test_kue_cb_delivered),
		 atomic64_read(&test_kue_cb_dropped),
		 atomic64_read(&test_kue_cb_recalled));
	kchan_test_status("%s", line);
	return 0;
}

static int test_kue_arg_u32(char **args, u32 *val)
{
	char *word = strsep(args, " ");

	if (!word || !*word)
		return -EINVAL;
	return kstrtou32(word, 0, val);
}

int kchan_test_kue_cmd(char *args)
{
	char *cmd = strsep(&args, " ");
	char *mode;
	u32 n, size;
	u64 seq;
	int ret;

	if (!cmd)
		return -EINVAL;
	if (!strcmp(cmd, "m1m4"))
		return test_kue_m1m4();
	if (!strcmp(cmd, "msg")) {
		s64 sent;

		if (!args)
			args = "";
		sent = kue_send_event(args, strlen(args), 0, test_kue_delivered,
				      NULL, GFP_KERNEL);
		if (sent < 0)
			return sent;
		kchan_test_status("first=%lld last=%lld", sent, sent);
		return 0;
	}
	if (!strcmp(cmd, "count"))
		return test_kue_count();
	if (!strcmp(cmd, "kfree-fail"))
		return test_kue_kfree_fail();
	if (!strcmp(cmd, "recall-all")) {
		kue_recall_all(test_kue_delivered);
		kchan_test_status("recalled");
		return 0;
	}
	if (!strcmp(cmd, "reset")) {
		kue_flush_delivered();
		atomic64_set(&test_kue_cb_delivered, 0);
		atomic64_set(&test_kue_cb_dropped, 0);
		atomic64_set(&test_kue_cb_recalled, 0);
		return 0;
	}
	if (!strcmp(cmd, "recall")) {
		if (!args || kstrtou64(strsep(&args, " "), 0, &seq))
			return -EINVAL;
		return kue_recall_event(seq);
	}
	if (!strcmp(cmd, "delivered")) {
		if (!args || kstrtou64(strsep(&args, " "), 0, &seq))
			return -EINVAL;
		kchan_test_status("delivered=%d", kue_delivered_event(seq));
		return 0;
	}
	if (!strcmp(cmd, "send") || !strcmp(cmd, "burst")) {
		ret = test_kue_arg_u32(&args, &n);
		if (!ret)
			ret = test_kue_arg_u32(&args, &size);
		if (ret)
			return ret;
		if (!strcmp(cmd, "burst"))
			return test_kue_burst(n, size);
		mode = args ? strsep(&args, " ") : "copy";
		return test_kue_send(n, size, mode);
	}
	return -EINVAL;
}

void kchan_test_kue_exit(void)
{
	/* No callback into this module may be left once it is gone. */
	kue_recall_all(test_kue_delivered);
}
