// SPDX-License-Identifier: GPL-2.0
/*
 * kchan: kernel event channels.
 *
 * One module, three misc devices, one file each:
 *   /dev/watch_queue  notification ring mmap'ed into user space (watch_queue.c)
 *   /dev/ummunotify   address-range invalidation events (ummunotify.c)
 *   /dev/kue          kernel-to-user message queue (kue.c)
 *
 * The user-space ABI is generated from packages/uapi/spec/kchan.yaml into
 * include/uapi/kchan/.
 */
#include <linux/module.h>

#include "kchan.h"

static int __init kchan_init(void)
{
	int ret;

	ret = kchan_watch_queue_init();
	if (ret)
		return ret;
	ret = kchan_ummunotify_init();
	if (ret)
		goto err_wq;
	ret = kchan_kue_init();
	if (ret)
		goto err_ummu;
	return 0;

err_ummu:
	kchan_ummunotify_exit();
err_wq:
	kchan_watch_queue_exit();
	return ret;
}

static void __exit kchan_exit(void)
{
	kchan_kue_exit();
	kchan_ummunotify_exit();
	kchan_watch_queue_exit();
}

module_init(kchan_init);
module_exit(kchan_exit);

MODULE_DESCRIPTION("kchan: kernel event channels (watch_queue, ummunotify, kue)");
MODULE_AUTHOR("kchan developers");
MODULE_LICENSE("GPL");
MODULE_VERSION("0.1.0");
