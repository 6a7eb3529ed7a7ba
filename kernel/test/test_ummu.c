// SPDX-License-Identifier: GPL-2.0
/*
 * kchan_test: "ummu" commands.
 *
 *   ummu stats   status line "regions=<n> contexts=<n>": live regions and
 *                open /dev/ummunotify fds over the whole system, for leak
 *                checks (both return to their baseline after close).
 *
 * Invalidations need no injection: tests cause them with munmap, madvise
 * and mremap on their own memory.
 */
#include <linux/errno.h>
#include <linux/string.h>

#include "kchan_test.h"
#include "kapi/testing.h"

static int ummu_cmd_stats(void)
{
	long regions, contexts;

	kchan_ummunotify_stats(&regions, &contexts);
	kchan_test_status("regions=%ld contexts=%ld\n", regions, contexts);
	return 0;
}

int kchan_test_ummu_cmd(char *args)
{
	char *cmd = strsep(&args, " ");

	if (!strcmp(cmd, "stats"))
		return ummu_cmd_stats();
	return -EINVAL;
}

void kchan_test_ummu_exit(void)
{
}
