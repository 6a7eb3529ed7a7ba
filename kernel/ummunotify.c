// SPDX-License-Identifier: GPL-2.0
/*
 * kchan: /dev/ummunotify — address-range invalidation events
 *
 * Skeleton: registers the misc device; ioctls are filled in by the device
 * implementation.
 */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>

#include "kchan.h"

/* Device file ops */

static long ummunotify_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	return -ENOTTY;
}

static const struct file_operations ummunotify_fops = {
	.owner		= THIS_MODULE,
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
	return misc_register(&ummunotify_misc);
}

void kchan_ummunotify_exit(void)
{
	misc_deregister(&ummunotify_misc);
}
