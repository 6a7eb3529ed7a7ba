// SPDX-License-Identifier: GPL-2.0
/*
 * kchan_oops: a deliberately broken module for the VM harness self-test
 * (`node vm/run.mjs selftest-oops`). Never load it outside the test VM.
 *
 *   insmod kchan_oops.ko mode=none  loads cleanly (control case)
 *   insmod kchan_oops.ko mode=warn  WARN()s, taints W, loads
 *   insmod kchan_oops.ko mode=null  dereferences NULL: oops, taints D
 *   insmod kchan_oops.ko mode=bug   BUG()
 */
#include <linux/bug.h>
#include <linux/compiler.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/string.h>

static char *mode = "none";
module_param(mode, charp, 0444);
MODULE_PARM_DESC(mode, "none, warn, null or bug");

static int __init kchan_oops_init(void)
{
	int *volatile p = NULL;

	if (!strcmp(mode, "warn"))
		WARN(1, "kchan_oops: deliberate warning\n");
	else if (!strcmp(mode, "null"))
		pr_info("kchan_oops: read %d\n", READ_ONCE(*p));
	else if (!strcmp(mode, "bug"))
		BUG();
	return 0;
}

static void __exit kchan_oops_exit(void)
{
}

module_init(kchan_oops_init);
module_exit(kchan_oops_exit);

MODULE_DESCRIPTION("kchan VM harness self-test: deliberate WARN/oops");
MODULE_LICENSE("GPL");
