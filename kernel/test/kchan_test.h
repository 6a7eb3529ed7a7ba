/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kchan_test: command handlers, one per kchan device. Each takes the rest
 * of the command line (after the device word), may set the status line
 * returned by read(), and returns 0 or a negative errno.
 */
#ifndef _KCHAN_TEST_H
#define _KCHAN_TEST_H

int kchan_test_wq_cmd(char *args);
int kchan_test_kue_cmd(char *args);
int kchan_test_ummu_cmd(char *args);
int kchan_test_ctx_cmd(char *args);
void kchan_test_wq_exit(void);
void kchan_test_kue_exit(void);
void kchan_test_ummu_exit(void);
void kchan_test_ctx_exit(void);

/* Set the status line that the next read() of /dev/kchan_test returns. */
__printf(1, 2) void kchan_test_status(const char *fmt, ...);

#endif /* _KCHAN_TEST_H */
