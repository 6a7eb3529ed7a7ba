// SPDX-License-Identifier: MIT
/*
 * Kernel-test helper for what Node cannot do directly: SIGIO (fasync), a
 * blocking read() woken by an invalidation, a read() into a bad buffer
 * (EFAULT) that must not lose events, a REGISTER_REGION_SLOT whose slot
 * cannot be written back (EFAULT: the region is taken back), and a LAST
 * whose copy faults (owed to the next read). Built and run by
 * ../syscalls.test.ts inside the VM. Prints "ok <name>" or "FAIL <name> ..."
 * per check; exits non-zero on any failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <kchan/ummunotify.h>

#include "check.h"

static volatile sig_atomic_t got_sigio;

static void on_sigio(int sig)
{
	(void)sig;
	got_sigio = 1;
}

static long page;
static char *mem;

static int reg(int fd, void *p, size_t len, __u64 cookie)
{
	struct ummunotify_register_ioctl r = {
		.start = (unsigned long)p,
		.end = (unsigned long)p + len,
		.user_cookie = cookie,
	};

	return ioctl(fd, UMMUNOTIFY_REGISTER_REGION, &r);
}

/*
 * REGISTER_REGION_SLOT with the argument in a read-only page: the kernel
 * reads it, registers, cannot write the slot back, and must take the
 * region back (EFAULT; the cookie is free again, the slot bumped and free).
 */
static void check_slot_efault(int fd)
{
	struct ummunotify_register_slot_ioctl *ro, arg = { 0 };
	__u32 feat = UMMUNOTIFY_FEATURE_REGION_GENERATION;
	volatile __u64 *slots;
	int ret;

	CHECK("slot feature",
	      ioctl(fd, UMMUNOTIFY_EXCHANGE_FEATURES, &feat) == 0 &&
	      feat == UMMUNOTIFY_FEATURE_REGION_GENERATION);
	ro = mmap(NULL, page, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ro->start = (unsigned long)mem;
	ro->end = ro->start + page;
	ro->user_cookie = 7;
	mprotect(ro, page, PROT_READ);
	ret = ioctl(fd, UMMUNOTIFY_REGISTER_REGION_SLOT, ro);
	CHECK("slot efault", ret == -1 && errno == EFAULT);

	slots = mmap(NULL, page, PROT_READ, MAP_SHARED, fd, page);
	arg = *ro;
	arg.slot = 0xcccccccc;
	ret = ioctl(fd, UMMUNOTIFY_REGISTER_REGION_SLOT, &arg);
	/* Cookie 7 was free again; slot 0 was bumped when taken back. */
	CHECK("slot taken back", slots != MAP_FAILED && ret == 0 &&
	      arg.slot == 0 && slots[0] == 1);
	munmap((void *)slots, page);
	munmap(ro, page);
}

static void *invalidate_later(void *arg)
{
	(void)arg;
	usleep(200 * 1000);
	mem[0] = 1;
	madvise(mem, page, MADV_DONTNEED);
	return NULL;
}

/*
 * 256 pending events (one kernel batch) read into a buffer with room for
 * 257 whose last slot lies on a PROT_NONE page: the batch is copied, the
 * LAST that alone was to fill the last slot faults. The read returns the
 * 256 events and the fd owes LAST: the next read returns it (it was
 * dropped, leaving the queue empty and a reader waiting for LAST asleep).
 */
static void check_last_owed_after_fault(int fd)
{
	const int nreg = 256;
	size_t evsz = sizeof(struct ummunotify_event);
	size_t fill = nreg * evsz;
	size_t span = (fill + page - 1) / page * page;
	char *area, *buf;
	struct ummunotify_event ev[2];
	int ok = 1;
	ssize_t n;

	area = mmap(NULL, nreg * page, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	buf = mmap(NULL, span + page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK("owed last: mmap", area != MAP_FAILED && buf != MAP_FAILED &&
	      mprotect(buf + span, page, PROT_NONE) == 0);
	for (int i = 0; i < nreg; i++)
		ok &= reg(fd, area + i * page, page, 1000 + i) == 0;
	CHECK("owed last: register 256", ok);
	madvise(area, nreg * page, MADV_DONTNEED);
	n = read(fd, buf + span - fill, fill + evsz);
	CHECK("owed last: 256 events, LAST faulted",
	      n == (ssize_t)fill &&
	      ((struct ummunotify_event *)(buf + span - evsz))->type ==
	      UMMUNOTIFY_EVENT_TYPE_INVAL);
	n = read(fd, ev, sizeof(ev));
	CHECK("owed last: the next read returns LAST",
	      n == (ssize_t)evsz && ev[0].type == UMMUNOTIFY_EVENT_TYPE_LAST);
	for (int i = 0; i < nreg; i++) {
		__u64 cookie = 1000 + i;

		ioctl(fd, UMMUNOTIFY_UNREGISTER_REGION, &cookie);
	}
	munmap(area, nreg * page);
	munmap(buf, span + page);
}

int main(void)
{
	struct ummunotify_event ev[4];
	struct pollfd pfd;
	pthread_t t;
	ssize_t n;
	void *noaccess;
	int fd;

	page = sysconf(_SC_PAGESIZE);
	noaccess = mmap(NULL, page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	mem = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(mem, 1, 4 * page);
	fd = open("/dev/ummunotify", O_RDONLY | O_CLOEXEC);
	CHECK("open", fd >= 0);
	CHECK("register", reg(fd, mem, 4 * page, 1) == 0);

	/* A blocking read sleeps until another thread invalidates. */
	pthread_create(&t, NULL, invalidate_later, NULL);
	n = read(fd, ev, sizeof(ev));
	pthread_join(t, NULL);
	CHECK("blocking read woken", n == 2 * (ssize_t)sizeof(ev[0]) &&
	      ev[0].type == UMMUNOTIFY_EVENT_TYPE_INVAL &&
	      ev[0].user_cookie_counter == 1 &&
	      ev[1].type == UMMUNOTIFY_EVENT_TYPE_LAST);

	/* SIGIO via fasync. */
	signal(SIGIO, on_sigio);
	fcntl(fd, F_SETOWN, getpid());
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_ASYNC | O_NONBLOCK);
	madvise(mem + page, page, MADV_DONTNEED);
	CHECK("sigio", got_sigio == 1);
	pfd.fd = fd;
	pfd.events = POLLIN;
	CHECK("poll readable", poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN));

	/* A read into a bad buffer fails with EFAULT and loses nothing. */
	madvise(mem + 3 * page, page, MADV_DONTNEED);
	n = read(fd, noaccess, sizeof(ev));
	CHECK("efault", n == -1 && errno == EFAULT);
	n = read(fd, ev, sizeof(ev));
	CHECK("events kept after efault",
	      n == 2 * (ssize_t)sizeof(ev[0]) &&
	      ev[0].user_cookie_counter == 1 &&
	      ev[0].hint_start == (unsigned long)mem + page &&
	      ev[0].hint_end == (unsigned long)mem + 4 * page);
	pfd.revents = 0;
	CHECK("poll empty", poll(&pfd, 1, 0) == 0);
	n = read(fd, ev, sizeof(ev));
	CHECK("eagain", n == -1 && errno == EAGAIN);

	check_slot_efault(fd);
	check_last_owed_after_fault(fd);

	close(fd);
	return fails ? 1 : 0;
}
