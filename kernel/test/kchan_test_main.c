// SPDX-License-Identifier: GPL-2.0
/*
 * kchan_test: injects events into kchan's devices through their exported
 * kernel APIs, for the test suites (modelled on the kue seed's kue-test).
 *
 * /dev/kchan_test (root only) takes one text command per write(), e.g.
 *   "kue send 3 64"   or   "wq post 3 1 63 10"   or   "ctx start 1000"
 * The first word picks the device; the rest goes to that device's handler
 * in test_<dev>.c. write() returns the handler's error, if any. read()
 * returns the status line the last command left (counts, ids).
 */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "kchan_test.h"

#define KCHAN_TEST_CMD_MAX	256
#define KCHAN_TEST_STATUS_MAX	256

/* Serialises commands and guards the status line. */
static DEFINE_MUTEX(kchan_test_lock);
static char kchan_test_status_buf[KCHAN_TEST_STATUS_MAX];

void kchan_test_status(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vscnprintf(kchan_test_status_buf, sizeof(kchan_test_status_buf), fmt, ap);
	va_end(ap);
}

static ssize_t kchan_test_write(struct file *file, const char __user *ubuf,
				size_t len, loff_t *ppos)
{
	char *buf, *args, *dev;
	int ret;

	if (len == 0 || len >= KCHAN_TEST_CMD_MAX)
		return -EINVAL;
	buf = memdup_user_nul(ubuf, len);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	args = strim(buf);
	dev = strsep(&args, " ");
	if (!args)
		args = "";

	mutex_lock(&kchan_test_lock);
	kchan_test_status_buf[0] = '\0';
	if (!strcmp(dev, "wq"))
		ret = kchan_test_wq_cmd(args);
	else if (!strcmp(dev, "kue"))
		ret = kchan_test_kue_cmd(args);
	else if (!strcmp(dev, "ummu"))
		ret = kchan_test_ummu_cmd(args);
	else if (!strcmp(dev, "ctx"))
		ret = kchan_test_ctx_cmd(args);
	else
		ret = -EINVAL;
	mutex_unlock(&kchan_test_lock);

	kfree(buf);
	return ret ? ret : len;
}

static ssize_t kchan_test_read(struct file *file, char __user *ubuf,
			       size_t len, loff_t *ppos)
{
	ssize_t ret;

	mutex_lock(&kchan_test_lock);
	ret = simple_read_from_buffer(ubuf, len, ppos, kchan_test_status_buf,
				      strlen(kchan_test_status_buf));
	mutex_unlock(&kchan_test_lock);
	return ret;
}

static const struct file_operations kchan_test_fops = {
	.owner	= THIS_MODULE,
	.write	= kchan_test_write,
	.read	= kchan_test_read,
	.llseek	= default_llseek,
};

static struct miscdevice kchan_test_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "kchan_test",
	.fops	= &kchan_test_fops,
	.mode	= 0600,
};

static int __init kchan_test_init(void)
{
	return misc_register(&kchan_test_misc);
}

static void __exit kchan_test_exit(void)
{
	misc_deregister(&kchan_test_misc);
	kchan_test_ctx_exit();
	kchan_test_wq_exit();
	kchan_test_kue_exit();
	kchan_test_ummu_exit();
}

module_init(kchan_test_init);
module_exit(kchan_test_exit);

MODULE_DESCRIPTION("kchan test injector");
MODULE_LICENSE("GPL");
