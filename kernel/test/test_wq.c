// SPDX-License-Identifier: GPL-2.0
/*
 * kchan_test: "wq" commands, posting through kchan_watch_queue_post().
 *
 *   wq post <type> <subtype> <slots> [count] [type_flags]
 *	post @count (default 1, at most TEST_WQ_MAX_COUNT) entries, each
 *	@slots slots long (1..63, header included); the payload is u32 words
 *	seq, seq + 1, ... where seq is a running counter (one per entry, from
 *	0 after load or "wq reset").
 *   wq burst <n> <slots>
 *	the same as "wq post 3 0 <slots> <n>" (WATCH_TYPE_KAPI).
 *   wq bench <n> <slots>
 *	post @n KAPI entries and time them.
 *   wq stamp <n> <slots>
 *	post @n KAPI entries (subtype 1, @slots 2..63) whose payload starts
 *	with ktime_get_ns() (CLOCK_MONOTONIC, u64, native endian) taken just
 *	before each post: the latency benchmark (bench/latency) subtracts it
 *	from the time the reader sees the entry.
 *   wq reset
 *	restart the sequence counter at 0.
 *
 * Status line: "delivered=<entries written> seq=<next seq>", and for bench
 * also "posted=<n> ns_per_post=<ns>".
 */
#include <linux/bits.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/types.h>

#include <kchan/watch_queue.h>

#include "kapi/watch_queue.h"
#include "kchan_test.h"

#define TEST_WQ_MAX_WORDS \
	((WATCH_QUEUE_MAX_ENTRY_SLOTS - 1) * WATCH_QUEUE_SLOT_SIZE / sizeof(u32))

/* Entries per command: bounds the time one write() spends posting. */
#define TEST_WQ_MAX_COUNT	BIT(20)

/* Under kchan_test_lock (commands are serialised by kchan_test_main.c). */
static u32 test_wq_seq;
static u32 test_wq_payload[TEST_WQ_MAX_WORDS];

static int test_wq_next_u32(char **args, u32 *val, bool optional, u32 dflt)
{
	char *word;

	do {
		word = strsep(args, " ");
	} while (word && !*word);
	if (!word) {
		*val = dflt;
		return optional ? 0 : -EINVAL;
	}
	return kstrtou32(word, 0, val);
}

/* Post @count entries; returns the number written or -errno. */
static long test_wq_post(u32 type, u32 subtype, u32 slots, u32 count,
			 u32 flags, bool stamp)
{
	size_t len = (size_t)(slots - 1) * WATCH_QUEUE_SLOT_SIZE;
	long delivered = 0;
	u32 i, k;
	int ret;

	if (slots < 1 || slots > WATCH_QUEUE_MAX_ENTRY_SLOTS ||
	    count > TEST_WQ_MAX_COUNT)
		return -EINVAL;
	for (i = 0; i < count; i++) {
		cond_resched();	/* process context (write()) */
		for (k = 0; k < len / sizeof(u32); k++)
			test_wq_payload[k] = test_wq_seq + k;
		test_wq_seq++;
		if (stamp) {
			u64 now = ktime_get_ns();

			memcpy(test_wq_payload, &now, sizeof(now));
		}
		ret = kchan_watch_queue_post(type, subtype, flags,
					     test_wq_payload, len);
		if (ret < 0)
			return ret;
		delivered += ret;
	}
	return delivered;
}

int kchan_test_wq_cmd(char *args)
{
	u32 type, subtype, slots, count, flags;
	char *cmd = strsep(&args, " ");
	u64 t0, ns;
	long ret;

	if (!cmd)
		return -EINVAL;
	if (!strcmp(cmd, "reset")) {
		test_wq_seq = 0;
		kchan_test_status("seq=0\n");
		return 0;
	}
	if (!strcmp(cmd, "post")) {
		if (test_wq_next_u32(&args, &type, false, 0) ||
		    test_wq_next_u32(&args, &subtype, false, 0) ||
		    test_wq_next_u32(&args, &slots, false, 0) ||
		    test_wq_next_u32(&args, &count, true, 1) ||
		    test_wq_next_u32(&args, &flags, true, 0))
			return -EINVAL;
		ret = test_wq_post(type, subtype, slots, count, flags, false);
		if (ret < 0)
			return ret;
		kchan_test_status("delivered=%ld seq=%u\n", ret, test_wq_seq);
		return 0;
	}
	if (!strcmp(cmd, "burst") || !strcmp(cmd, "bench")) {
		bool bench = !strcmp(cmd, "bench");

		if (test_wq_next_u32(&args, &count, false, 0) ||
		    test_wq_next_u32(&args, &slots, false, 0))
			return -EINVAL;
		t0 = ktime_get_ns();
		ret = test_wq_post(WATCH_TYPE_KAPI, 0, slots, count, 0, false);
		ns = ktime_get_ns() - t0;
		if (ret < 0)
			return ret;
		if (bench)
			kchan_test_status("delivered=%ld seq=%u posted=%u ns_per_post=%llu\n",
					  ret, test_wq_seq, count,
					  count ? div_u64(ns, count) : 0);
		else
			kchan_test_status("delivered=%ld seq=%u\n", ret,
					  test_wq_seq);
		return 0;
	}
	if (!strcmp(cmd, "stamp")) {
		if (test_wq_next_u32(&args, &count, false, 0) ||
		    test_wq_next_u32(&args, &slots, false, 0) || slots < 2)
			return -EINVAL;
		ret = test_wq_post(WATCH_TYPE_KAPI, 1, slots, count, 0, true);
		if (ret < 0)
			return ret;
		kchan_test_status("delivered=%ld seq=%u\n", ret, test_wq_seq);
		return 0;
	}
	return -EINVAL;
}

void kchan_test_wq_exit(void)
{
}
