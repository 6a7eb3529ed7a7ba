// SPDX-License-Identifier: GPL-2.0
/*
 * kchan: /dev/kue — kernel-to-user message queue
 *
 * Skeleton: registers the misc device; ioctls are filled in by the device
 * implementation.
 */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>

#include "kchan.h"

/* Device file ops */

static long kue_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	return -ENOTTY;
}

static const struct file_operations kue_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= kue_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice kue_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "kue",
	.fops	= &kue_fops,
	.mode	= 0600,
};

int kchan_kue_init(void)
{
	return misc_register(&kue_misc);
}

void kchan_kue_exit(void)
{
	misc_deregister(&kue_misc);
}
