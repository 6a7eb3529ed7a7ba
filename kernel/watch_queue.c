// SPDX-License-Identifier: GPL-2.0
/*
 * kchan: /dev/watch_queue — notification ring shared with user space
 *
 * Skeleton: registers the misc device; ioctls are filled in by the device
 * implementation.
 */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>

#include "kchan.h"

/* Device file ops */

static long watch_queue_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	return -ENOTTY;
}

static const struct file_operations watch_queue_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= watch_queue_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice watch_queue_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "watch_queue",
	.fops	= &watch_queue_fops,
	.mode	= 0666,
};

int kchan_watch_queue_init(void)
{
	return misc_register(&watch_queue_misc);
}

void kchan_watch_queue_exit(void)
{
	misc_deregister(&watch_queue_misc);
}
