/* SPDX-License-Identifier: MIT */
/*
 * The check macro of the kernel-test helpers in this folder: one line per
 * check, "ok <name>" or "FAIL <name> (errno N)", which the vitest side
 * counts. Flushed at once, so a child forked later never repeats a line.
 */
#ifndef KCHAN_TEST_CHECK_H
#define KCHAN_TEST_CHECK_H

#include <errno.h>
#include <stdio.h>

static int fails;

#define CHECK(name, cond)						\
	do {								\
		if (cond)						\
			printf("ok %s\n", name);			\
		else {							\
			printf("FAIL %s (errno %d)\n", name, errno);	\
			fails++;					\
		}							\
		fflush(stdout);						\
	} while (0)

#endif
