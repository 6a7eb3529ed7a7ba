// SPDX-License-Identifier: GPL-2.0
/*
 * kchan_stress: posts from every online CPU at once, for the stress runs
 * (`node vm/run.mjs stress`). /dev/kchan_test serialises its commands under
 * one mutex; this module does not: one work item per CPU
 * (queue_work_on) posts concurrently, every other post with
 * interrupts off. Commands, one per write() to /dev/kchan_stress (0600):
 *
 *   wq <per_cpu> <slots>    kchan_watch_queue_post(WATCH_TYPE_KAPI, 1, ...)
 *                           per_cpu times on each CPU; payload u32 words
 *                           {cpu, i, STRESS_MAGIC, 0...}
 *   kue <per_cpu> <size>    kue_send_event(size bytes, GFP_ATOMIC) per_cpu
 *                           times on each CPU, with a counting callback
 *   kuecount                wait for due kue callbacks
 *
 * A read() returns the status line: "cpus=.. wq_posts=.. wq_delivered=..
 * wq_errors=.. kue_sent=.. kue_failed=.. cb_delivered=.. cb_dropped=..
 * cb_recalled=..", totals since load.
 */
#include <linux/atomic.h>
#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/fs.h>
#include <linux/irqflags.h>
#include <linux/kernel.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#include <kchan/kue.h>
#include <kchan/watch_queue.h>

#include "kapi/kue.h"
#include "kapi/testing.h"
#include "kapi/watch_queue.h"

#define STRESS_MAGIC	0x6b636873	/* "shck" */
#define STRESS_MAX_PER_CPU	1000000

static DEFINE_MUTEX(stress_lock);	/* one command at a time */
static u32 stress_per_cpu, stress_arg;

static atomic_long_t wq_posts, wq_delivered, wq_errors;
static atomic_long_t kue_sent, kue_failed;
static atomic_long_t cb_delivered, cb_dropped, cb_recalled;

static void stress_wq_work(struct work_struct *work)
{
	u32 payload[(WATCH_QUEUE_MAX_ENTRY_SLOTS - 1) * 2] = { 0 };
	u32 len = (stress_arg - 1) * WATCH_QUEUE_SLOT_SIZE;
	unsigned long flags;
	u32 i;
	int ret;

	payload[0] = raw_smp_processor_id();
	payload[2] = STRESS_MAGIC;
	for (i = 0; i < stress_per_cpu; i++) {
		payload[1] = i;
		if (i & 1) {
			local_irq_save(flags);
			ret = kchan_watch_queue_post(WATCH_TYPE_KAPI, 1, 0,
						     payload, len);
			local_irq_restore(flags);
		} else {
			ret = kchan_watch_queue_post(WATCH_TYPE_KAPI, 1, 0,
						     payload, len);
		}
		atomic_long_inc(&wq_posts);
		if (ret < 0)
			atomic_long_inc(&wq_errors);
		else
			atomic_long_add(ret, &wq_delivered);
		if ((i & 255) == 255)
			cond_resched();
	}
}

static void stress_kue_cb(void *priv, u64 seq, int status)
{
	if (status == 0)
		atomic_long_inc(&cb_delivered);
	else if (status == -ENOBUFS)
		atomic_long_inc(&cb_dropped);
	else
		atomic_long_inc(&cb_recalled);
}

static void stress_kue_work(struct work_struct *work)
{
	u32 size = stress_arg;
	unsigned long flags;
	u8 *buf;
	s64 seq;
	u32 i;

	buf = kzalloc(max_t(u32, size, 16), GFP_KERNEL);
	if (!buf) {
		atomic_long_add(stress_per_cpu, &kue_failed);
		return;
	}
	for (i = 0; i < stress_per_cpu; i++) {
		if (size >= 8) {
			u32 hdr[2] = { raw_smp_processor_id(), i };

			memcpy(buf, hdr, sizeof(hdr));
		}
		local_irq_save(flags);
		seq = kue_send_event(size ? buf : NULL, size, 0, stress_kue_cb,
				     NULL, GFP_ATOMIC);
		local_irq_restore(flags);
		if (seq < 0)
			atomic_long_inc(&kue_failed);
		else
			atomic_long_inc(&kue_sent);
		if ((i & 255) == 255)
			cond_resched();
	}
	kfree(buf);
}

/* Run @fn on every online CPU at once and wait (schedule_on_each_cpu is not exported). */
static int stress_on_each_cpu(work_func_t fn)
{
	struct work_struct *works;
	unsigned int cpu;

	works = kcalloc(nr_cpu_ids, sizeof(*works), GFP_KERNEL);
	if (!works)
		return -ENOMEM;
	cpus_read_lock();
	for_each_online_cpu(cpu) {
		INIT_WORK(&works[cpu], fn);
		queue_work_on(cpu, system_highpri_wq, &works[cpu]);
	}
	for_each_online_cpu(cpu)
		flush_work(&works[cpu]);
	cpus_read_unlock();
	kfree(works);
	return 0;
}

static void stress_status(char *buf, size_t len)
{
	scnprintf(buf, len,
		  "cpus=%u wq_posts=%ld wq_delivered=%ld wq_errors=%ld kue_sent=%ld kue_failed=%ld cb_delivered=%ld cb_dropped=%ld cb_recalled=%ld\n",
		  num_online_cpus(), atomic_long_read(&wq_posts),
		  atomic_long_read(&wq_delivered),
		  atomic_long_read(&wq_errors), atomic_long_read(&kue_sent),
		  atomic_long_read(&kue_failed),
		  atomic_long_read(&cb_delivered),
		  atomic_long_read(&cb_dropped),
		  atomic_long_read(&cb_recalled));
}

static ssize_t stress_write(struct file *file, const char __user *ubuf,
			    size_t len, loff_t *ppos)
{
	char buf[64], cmd[16];
	u32 a, b;
	int ret, n;

	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	n = sscanf(buf, "%15s %u %u", cmd, &a, &b);
	if (n < 1)
		return -EINVAL;

	mutex_lock(&stress_lock);
	ret = 0;
	if (!strcmp(cmd, "wq") && n == 3 && a <= STRESS_MAX_PER_CPU &&
	    b >= 1 && b <= WATCH_QUEUE_MAX_ENTRY_SLOTS) {
		stress_per_cpu = a;
		stress_arg = b;
		ret = stress_on_each_cpu(stress_wq_work);
	} else if (!strcmp(cmd, "kue") && n == 3 && a <= STRESS_MAX_PER_CPU &&
		   b <= 65536) {
		stress_per_cpu = a;
		stress_arg = b;
		ret = stress_on_each_cpu(stress_kue_work);
	} else if (!strcmp(cmd, "kuecount") && n == 1) {
		kue_flush_delivered();
	} else {
		ret = -EINVAL;
	}
	mutex_unlock(&stress_lock);
	return ret ? ret : len;
}

static ssize_t stress_read(struct file *file, char __user *ubuf, size_t len,
			   loff_t *ppos)
{
	char buf[256];

	stress_status(buf, sizeof(buf));
	return simple_read_from_buffer(ubuf, len, ppos, buf, strlen(buf));
}

static const struct file_operations stress_fops = {
	.owner	= THIS_MODULE,
	.write	= stress_write,
	.read	= stress_read,
	.llseek	= default_llseek,
};

static struct miscdevice stress_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "kchan_stress",
	.fops	= &stress_fops,
	.mode	= 0600,
};

static int __init kchan_stress_init(void)
{
	return misc_register(&stress_misc);
}

static void __exit kchan_stress_exit(void)
{
	misc_deregister(&stress_misc);
	kue_recall_all(stress_kue_cb);
}

module_init(kchan_stress_init);
module_exit(kchan_stress_exit);

MODULE_DESCRIPTION("kchan stress poster: every CPU at once");
MODULE_LICENSE("GPL");
