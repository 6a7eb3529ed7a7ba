// SPDX-License-Identifier: GPL-2.0
/*
 * kchan_race: a deliberate data race that only the KCSAN kernel reports, for
 * the VM harness self-test (`node vm/run.mjs selftest-race`). Never load it
 * outside the test VM.
 *
 * Two kthreads, one per CPU, each add 1 to a shared counter 200000 times.
 *   mode=none  the counter is an atomic_t (control case: no report)
 *   mode=race  the counter is a plain unsigned long, read and written without
 *              a lock (KCSAN: "BUG: KCSAN: data-race in race_plain_add")
 * The module loads only after both threads finished.
 */
#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/string.h>

#define RACE_ROUNDS 200000

static char *mode = "none";
module_param(mode, charp, 0444);
MODULE_PARM_DESC(mode, "none or race");

static unsigned long race_plain;
static atomic_t race_atomic = ATOMIC_INIT(0);
static DECLARE_COMPLETION(race_done_a);
static DECLARE_COMPLETION(race_done_b);

static noinline void race_plain_add(void)
{
	race_plain = race_plain + 1;
}

static int race_thread(void *arg)
{
	struct completion *done = arg;
	bool racy = !strcmp(mode, "race");
	int i;

	for (i = 0; i < RACE_ROUNDS; i++) {
		if (racy)
			race_plain_add();
		else
			atomic_inc(&race_atomic);
		if (!(i % 1024))
			cond_resched();
	}
	complete(done);
	return 0;
}

static int __init race_init(void)
{
	struct task_struct *a, *b;

	if (strcmp(mode, "none") && strcmp(mode, "race"))
		return -EINVAL;
	a = kthread_create(race_thread, &race_done_a, "kchan_race/0");
	if (IS_ERR(a))
		return PTR_ERR(a);
	b = kthread_create(race_thread, &race_done_b, "kchan_race/1");
	if (IS_ERR(b)) {
		kthread_stop(a);
		return PTR_ERR(b);
	}
	kthread_bind(a, 0);
	kthread_bind(b, num_online_cpus() > 1 ? 1 : 0);
	wake_up_process(a);
	wake_up_process(b);
	wait_for_completion(&race_done_a);
	wait_for_completion(&race_done_b);
	pr_info("kchan_race: mode=%s plain=%lu atomic=%d of %d\n", mode,
		READ_ONCE(race_plain), atomic_read(&race_atomic), 2 * RACE_ROUNDS);
	return 0;
}

static void __exit race_exit(void)
{
}

module_init(race_init);
module_exit(race_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kchan VM harness self-test: a deliberate data race for KCSAN");
