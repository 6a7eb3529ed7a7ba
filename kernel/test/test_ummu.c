// SPDX-License-Identifier: GPL-2.0
/*
 * kchan_test: "ummu" commands.
 */
#include <linux/errno.h>

#include "kchan_test.h"

int kchan_test_ummu_cmd(char *args)
{
	return -EINVAL;
}

void kchan_test_ummu_exit(void)
{
}
