/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kchan: hooks for the test modules (kchan_test.ko, kchan_stress.ko) only.
 *
 * These exist only in a test build of kchan.ko, made with KCHAN_TESTING=y
 * (`make test`, and every build of the VM harness); the production module
 * (`make`, DKMS) neither defines nor exports them, so no production kernel
 * carries an API nobody should call. It is the rule of the kernel's own
 * EXPORT_SYMBOL_IF_KUNIT(). The harness builds the production module too
 * and fails if it exports any symbol declared here.
 */
#ifndef _KCHAN_KAPI_TESTING_H
#define _KCHAN_KAPI_TESTING_H

#include <linux/types.h>

/**
 * kue_flush_delivered - wait for the callbacks of retired messages
 *
 * Waits until every callback due for a message that already left the queue
 * (and, for KUE_NOCOPY, is not being copied by a read()) has run. Process
 * context only.
 */
void kue_flush_delivered(void);

/**
 * struct kue_stats - queue-wide counters, for tests and diagnostics
 * @queued_msgs: messages queued
 * @queued_bytes: payload bytes queued
 * @next_seq: sequence number of the next message
 * @readers: open readers
 * @freed: messages freed (after their callback) since the module loaded
 * @dropped: messages dropped by the memory bound since the module loaded
 */
struct kue_stats {
	u64 queued_msgs;
	u64 queued_bytes;
	u64 next_seq;
	u64 readers;
	u64 freed;
	u64 dropped;
};

void kue_get_stats(struct kue_stats *stats);

/*
 * Live ummunotify region and context (open fd) counts over all fds. Both
 * return to their earlier values once every fd opened since has been closed.
 */
void kchan_ummunotify_stats(long *regions, long *contexts);

#endif /* _KCHAN_KAPI_TESTING_H */
