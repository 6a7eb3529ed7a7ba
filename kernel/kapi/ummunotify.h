/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kchan: kernel-side helpers of /dev/ummunotify for other modules
 * (the kchan_test injector uses them for leak checks).
 */
#ifndef _KCHAN_KAPI_UMMUNOTIFY_H
#define _KCHAN_KAPI_UMMUNOTIFY_H

/*
 * Live region and context (open fd) counts over all fds. Both return to
 * their earlier values once every fd opened since has been closed.
 */
void kchan_ummunotify_stats(long *regions, long *contexts);

#endif /* _KCHAN_KAPI_UMMUNOTIFY_H */
