// SPDX-License-Identifier: GPL-2.0
/*
 * kchan_test: "kue" commands.
 */
#include <linux/errno.h>

#include "kchan_test.h"

int kchan_test_kue_cmd(char *args)
{
	return -EINVAL;
}

void kchan_test_kue_exit(void)
{
}
