/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kchan: internal declarations shared by the device files of kchan.ko.
 */
#ifndef _KCHAN_H
#define _KCHAN_H

#include <linux/init.h>

int kchan_watch_queue_init(void);
void kchan_watch_queue_exit(void);
int kchan_ummunotify_init(void);
void kchan_ummunotify_exit(void);
int kchan_kue_init(void);
void kchan_kue_exit(void);

#endif /* _KCHAN_H */
