// SPDX-License-Identifier: GPL-2.0
/*
 * kchan_debugbug: deliberate bugs that only the debug kernel reports, for the
 * VM harness self-test (`node vm/run.mjs selftest-debug`). Never load it
 * outside the test VM.
 *
 *   mode=none     loads cleanly (control case)
 *   mode=uaf      reads a kmalloc'ed object after kfree (KASAN)
 *   mode=lockinv  takes two mutexes in both orders (lockdep, no deadlock)
 *   mode=atomic   kmalloc(GFP_KERNEL) under a spinlock (DEBUG_ATOMIC_SLEEP)
 *   mode=leak     kmallocs an object and forgets it (kmemleak)
 *   mode=listadd  adds a list entry twice (DEBUG_LIST)
 */
#include <linux/compiler.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>

static char *mode = "none";
module_param(mode, charp, 0444);
MODULE_PARM_DESC(mode, "none, uaf, lockinv, atomic, leak or listadd");

static DEFINE_MUTEX(debugbug_a);
static DEFINE_MUTEX(debugbug_b);
static DEFINE_SPINLOCK(debugbug_spin);
static LIST_HEAD(debugbug_list);
static struct list_head debugbug_entry;

static void debugbug_uaf(void)
{
	char *p = kmalloc(32, GFP_KERNEL);

	if (!p)
		return;
	memset(p, 0x5a, 32);
	kfree(p);
	OPTIMIZER_HIDE_VAR(p);
	pr_info("kchan_debugbug: read after free %d\n", READ_ONCE(p[8]));
}

static void debugbug_lockinv(void)
{
	mutex_lock(&debugbug_a);
	mutex_lock(&debugbug_b);
	mutex_unlock(&debugbug_b);
	mutex_unlock(&debugbug_a);

	mutex_lock(&debugbug_b);
	mutex_lock(&debugbug_a);
	mutex_unlock(&debugbug_a);
	mutex_unlock(&debugbug_b);
}

static void debugbug_atomic(void)
{
	void *p;

	spin_lock(&debugbug_spin);
	p = kmalloc(64, GFP_KERNEL);
	spin_unlock(&debugbug_spin);
	kfree(p);
}

static void debugbug_leak(void)
{
	char *p = kmalloc(128, GFP_KERNEL);

	if (!p)
		return;
	OPTIMIZER_HIDE_VAR(p);
	memset(p, 0xa5, 128);
	pr_info("kchan_debugbug: leaking 128 bytes\n");
}

static void debugbug_listadd(void)
{
	list_add(&debugbug_entry, &debugbug_list);
	list_add(&debugbug_entry, &debugbug_list);
	list_del(&debugbug_entry);
}

static int __init kchan_debugbug_init(void)
{
	if (!strcmp(mode, "uaf"))
		debugbug_uaf();
	else if (!strcmp(mode, "lockinv"))
		debugbug_lockinv();
	else if (!strcmp(mode, "atomic"))
		debugbug_atomic();
	else if (!strcmp(mode, "leak"))
		debugbug_leak();
	else if (!strcmp(mode, "listadd"))
		debugbug_listadd();
	return 0;
}

static void __exit kchan_debugbug_exit(void)
{
}

module_init(kchan_debugbug_init);
module_exit(kchan_debugbug_exit);

MODULE_DESCRIPTION("kchan VM harness self-test: deliberate debug-kernel reports");
MODULE_LICENSE("GPL");
