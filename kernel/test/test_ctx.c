// SPDX-License-Identifier: GPL-2.0
/*
 * kchan_test: "ctx" commands, posting to watch_queue and sending to kue
 * from contexts that hold scheduler locks or run in hard irq:
 *
 *   ctx start <n>
 *	attach a probe to the sched_switch tracepoint (runs with the
 *	runqueue lock held, interrupts off) and start a hard-irq hrtimer
 *	(HRTIMER_MODE_REL_HARD, every 200 us); each of the two makes up to
 *	@n (1..TEST_CTX_MAX) calls, each call one kchan_watch_queue_post()
 *	(WATCH_TYPE_KAPI, subtype TEST_CTX_SUBTYPE, payload u32 words
 *	seq, source) and one kue_send_event() (payload the same two words).
 *	seq counts the calls of both sources from 0; source is 1 for the
 *	tracepoint and 2 for the timer.
 *   ctx stop
 *	detach the probe, cancel the timer, wait for calls still running.
 *   ctx status
 *	report the counts so far.
 *
 * Status line: "running=<0|1> tp=<calls> timer=<calls> posted=<entries
 * written> sent=<kue sends accepted> sendfail=<kue sends refused>".
 */
#include <linux/atomic.h>
#include <linux/errno.h>
#include <linux/gfp.h>
#include <linux/hrtimer.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include <linux/types.h>

#include <kchan/watch_queue.h>

#include "kapi/kue.h"
#include "kapi/watch_queue.h"
#include "kchan_test.h"

#define TEST_CTX_MAX		100000
#define TEST_CTX_SUBTYPE	0xc7
#define TEST_CTX_PERIOD_NS	(200 * NSEC_PER_USEC)

enum { TEST_CTX_TP = 1, TEST_CTX_TIMER = 2 };

/* Configuration under kchan_test_lock; counters touched from any context. */
static struct tracepoint *test_ctx_tp;
static bool test_ctx_running;
static int test_ctx_max;
static struct hrtimer test_ctx_timer;
static atomic_t test_ctx_seq;
static atomic_t test_ctx_calls[3];
static atomic_t test_ctx_posted;
static atomic_t test_ctx_sent;
static atomic_t test_ctx_sendfail;

/* One post and one send, with whatever locks the caller holds. */
static void test_ctx_fire(u32 source)
{
	u32 words[2];
	s64 seq;
	int ret;

	if (atomic_inc_return(&test_ctx_calls[source]) > test_ctx_max) {
		atomic_dec(&test_ctx_calls[source]);
		return;
	}
	words[0] = atomic_inc_return(&test_ctx_seq) - 1;
	words[1] = source;
	ret = kchan_watch_queue_post(WATCH_TYPE_KAPI, TEST_CTX_SUBTYPE, 0,
				     words, sizeof(words));
	if (ret > 0)
		atomic_add(ret, &test_ctx_posted);
	/* No kswapd wake-up either: it takes a runqueue lock. */
	seq = kue_send_event(words, sizeof(words), 0, NULL, NULL,
			     GFP_NOWAIT & ~__GFP_KSWAPD_RECLAIM);
	if (seq > 0)
		atomic_inc(&test_ctx_sent);
	else
		atomic_inc(&test_ctx_sendfail);
}

static void test_ctx_sched_switch(void *data, bool preempt,
				  struct task_struct *prev,
				  struct task_struct *next,
				  unsigned int prev_state)
{
	test_ctx_fire(TEST_CTX_TP);
}

static enum hrtimer_restart test_ctx_timer_fn(struct hrtimer *t)
{
	test_ctx_fire(TEST_CTX_TIMER);
	if (atomic_read(&test_ctx_calls[TEST_CTX_TIMER]) >= test_ctx_max)
		return HRTIMER_NORESTART;
	hrtimer_forward_now(t, ns_to_ktime(TEST_CTX_PERIOD_NS));
	return HRTIMER_RESTART;
}

static void test_ctx_find(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "sched_switch"))
		*(struct tracepoint **)priv = tp;
}

static void test_ctx_stop(void)
{
	if (!test_ctx_running)
		return;
	tracepoint_probe_unregister(test_ctx_tp, test_ctx_sched_switch, NULL);
	hrtimer_cancel(&test_ctx_timer);
	/* Probes still running on other CPUs finish before we return. */
	tracepoint_synchronize_unregister();
	test_ctx_running = false;
}

static void test_ctx_report(void)
{
	kchan_test_status("running=%d tp=%d timer=%d posted=%d sent=%d sendfail=%d\n",
			  test_ctx_running,
			  atomic_read(&test_ctx_calls[TEST_CTX_TP]),
			  atomic_read(&test_ctx_calls[TEST_CTX_TIMER]),
			  atomic_read(&test_ctx_posted),
			  atomic_read(&test_ctx_sent),
			  atomic_read(&test_ctx_sendfail));
}

int kchan_test_ctx_cmd(char *args)
{
	char *cmd = strsep(&args, " ");
	int n, ret, i;

	if (!cmd)
		return -EINVAL;
	if (!strcmp(cmd, "start")) {
		if (test_ctx_running || !args || kstrtoint(strim(args), 0, &n) ||
		    n < 1 || n > TEST_CTX_MAX)
			return -EINVAL;
		if (!test_ctx_tp)
			for_each_kernel_tracepoint(test_ctx_find, &test_ctx_tp);
		if (!test_ctx_tp)
			return -ENOENT;
		test_ctx_max = n;
		atomic_set(&test_ctx_seq, 0);
		for (i = 0; i < ARRAY_SIZE(test_ctx_calls); i++)
			atomic_set(&test_ctx_calls[i], 0);
		atomic_set(&test_ctx_posted, 0);
		atomic_set(&test_ctx_sent, 0);
		atomic_set(&test_ctx_sendfail, 0);
		ret = tracepoint_probe_register(test_ctx_tp,
						test_ctx_sched_switch, NULL);
		if (ret)
			return ret;
		hrtimer_init(&test_ctx_timer, CLOCK_MONOTONIC,
			     HRTIMER_MODE_REL_HARD);
		test_ctx_timer.function = test_ctx_timer_fn;
		hrtimer_start(&test_ctx_timer, ns_to_ktime(TEST_CTX_PERIOD_NS),
			      HRTIMER_MODE_REL_HARD);
		test_ctx_running = true;
		test_ctx_report();
		return 0;
	}
	if (!strcmp(cmd, "stop")) {
		test_ctx_stop();
		test_ctx_report();
		return 0;
	}
	if (!strcmp(cmd, "status")) {
		test_ctx_report();
		return 0;
	}
	return -EINVAL;
}

void kchan_test_ctx_exit(void)
{
	test_ctx_stop();
}
