// SPDX-License-Identifier: MIT
/*
 * Race property test of /dev/ummunotify: no missed invalidation.
 *
 * Mutator threads keep changing the pages behind a few fixed ranges
 * (madvise(DONTNEED), mmap over them, mremap away and back, each followed
 * by touching the pages again), while registrar threads register random
 * sub-ranges of them, each under a fresh cookie, and check the promise a
 * registration cache relies on:
 *
 *   if the page frame behind a registered range changed after REGISTER
 *   returned, an event for that cookie was delivered.
 *
 * A registrar reads the frames (/proc/self/pagemap, root only) right after
 * REGISTER returns, lets the mutators run, reads them again, then drains
 * the fd up to its LAST (under a mutex every reader holds while it reads
 * and records, so every event queued before the drain began is recorded)
 * and only then checks and unregisters. A page not present at the first
 * read has no frame to change and is not checked.
 *
 * Usage: ummu_race [registrations] (default 20000). Prints one summary
 * line "regs=… checked=… changed=… events=… misses=…" and exits 1 on any
 * miss, or if too few ranges changed for the run to mean anything.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <kchan/ummunotify.h>

#define NRANGES		2
#define RANGE_PAGES	256	/* 1 MiB each: zapping it takes a while */
#define NMUTATORS	1
#define NREGISTRARS	2
#define MAX_REG_PAGES	4
#define HOLD_SPINS	20000

static long page;
static char *area;		/* NRANGES ranges, then as many spare */
static int ufd, pmfd;
static long total_regs;
static atomic_long next_cookie = 1;
static atomic_long regs_done, checked, changed, misses, events;
static atomic_int stop;
static pthread_mutex_t read_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_uchar *seen;	/* by cookie: an event was delivered */

static char *range_at(int i)
{
	return area + (size_t)i * RANGE_PAGES * page;
}

static void die(const char *what)
{
	printf("FAIL %s (errno %d)\n", what, errno);
	fflush(stdout);
	exit(2);
}

static void touch(char *p, size_t len)
{
	for (size_t off = 0; off < len; off += page)
		((volatile char *)p)[off] = 1;
}

static void map_fresh(char *p, size_t len)
{
	if (mmap(p, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != p)
		die("mmap fixed");
	madvise(p, len, MADV_NOHUGEPAGE);
	touch(p, len);
}

static void *mutator(void *arg)
{
	unsigned int seed = (unsigned int)(uintptr_t)arg;
	size_t len = (size_t)RANGE_PAGES * page;

	while (!atomic_load(&stop)) {
		int i = rand_r(&seed) % NRANGES;
		char *p = range_at(i);
		char *spare = range_at(NRANGES + i);

		switch (rand_r(&seed) % 3) {
		case 0:
			madvise(p, len, MADV_DONTNEED);
			touch(p, len);
			break;
		case 1:
			/* A new mapping over the old one (munmap + mmap in one). */
			map_fresh(p, len);
			break;
		case 2:
			/* Away and back: the frames move with the pages. */
			if (mremap(p, len, len, MREMAP_MAYMOVE | MREMAP_FIXED,
				   spare) != spare)
				die("mremap away");
			if (mremap(spare, len, len, MREMAP_MAYMOVE | MREMAP_FIXED,
				   p) != p)
				die("mremap back");
			/* The spare range is a hole again: keep it reserved. */
			if (mmap(spare, len, PROT_NONE, MAP_PRIVATE |
				 MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE,
				 -1, 0) != spare)
				die("mmap spare");
			break;
		}
	}
	return NULL;
}

/* Frames of [p, p + n pages): 0 for a page not present. */
static void frames(char *p, int n, uint64_t *pfn)
{
	uint64_t e[MAX_REG_PAGES];
	off_t off = (off_t)((uintptr_t)p / page) * 8;

	if (pread(pmfd, e, n * 8, off) != n * 8)
		die("pread pagemap");
	for (int i = 0; i < n; i++)
		pfn[i] = (e[i] >> 63) & 1 ? e[i] & ((1ULL << 55) - 1) : 0;
}

/* Read events up to LAST, recording each cookie, under read_lock. */
static void drain(void)
{
	struct ummunotify_event ev[64];

	pthread_mutex_lock(&read_lock);
	for (;;) {
		ssize_t n = read(ufd, ev, sizeof(ev));
		int last = 0;

		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0 || n % sizeof(ev[0]))
			die("read");
		for (ssize_t i = 0; i < n / (ssize_t)sizeof(ev[0]); i++) {
			if (ev[i].type == UMMUNOTIFY_EVENT_TYPE_LAST) {
				last = 1;
				continue;
			}
			if (ev[i].user_cookie_counter < (uint64_t)total_regs + 1)
				atomic_store(&seen[ev[i].user_cookie_counter], 1);
			atomic_fetch_add(&events, 1);
		}
		if (last)
			break;
	}
	pthread_mutex_unlock(&read_lock);
}

static void *registrar(void *arg)
{
	unsigned int seed = (unsigned int)(uintptr_t)arg;
	uint64_t pfn0[MAX_REG_PAGES], pfn1[MAX_REG_PAGES];

	for (;;) {
		long cookie = atomic_fetch_add(&next_cookie, 1);
		struct ummunotify_register_ioctl reg = { 0 };
		int i = rand_r(&seed) % NRANGES;
		int n = 1 + rand_r(&seed) % MAX_REG_PAGES;
		/* Mostly near the end of the range: the zap reaches it last. */
		int first = rand_r(&seed) % 4 ?
			RANGE_PAGES - n - rand_r(&seed) % 8 :
			rand_r(&seed) % (RANGE_PAGES - n);
		char *p = range_at(i) + (size_t)first * page;
		int moved = 0, present = 0;

		if (cookie > total_regs)
			break;
		reg.start = (uintptr_t)p;
		reg.end = (uintptr_t)p + (size_t)n * page;
		reg.user_cookie = cookie;
		if (ioctl(ufd, UMMUNOTIFY_REGISTER_REGION, &reg))
			die("register");
		frames(p, n, pfn0);
		for (volatile int s = 0; s < HOLD_SPINS; s++)
			;
		if (rand_r(&seed) % 2)
			sched_yield();
		frames(p, n, pfn1);
		drain();
		for (int k = 0; k < n; k++) {
			if (!pfn0[k])
				continue;
			present = 1;
			if (pfn1[k] != pfn0[k])
				moved = 1;
		}
		if (present)
			atomic_fetch_add(&checked, 1);
		if (moved) {
			atomic_fetch_add(&changed, 1);
			if (!atomic_load(&seen[cookie])) {
				atomic_fetch_add(&misses, 1);
				if (atomic_load(&misses) <= 5)
					printf("MISS cookie %ld: %d page(s) at %p changed after REGISTER, no event\n",
					       cookie, n, (void *)p);
			}
		}
		uint64_t c = cookie;

		if (ioctl(ufd, UMMUNOTIFY_UNREGISTER_REGION, &c))
			die("unregister");
		atomic_fetch_add(&regs_done, 1);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t mt[NMUTATORS], rt[NREGISTRARS];
	size_t len;

	setvbuf(stdout, NULL, _IOLBF, 0);
	total_regs = argc > 1 ? atol(argv[1]) : 20000;
	page = sysconf(_SC_PAGESIZE);
	seen = calloc(total_regs + 1, 1);
	if (!seen)
		die("calloc");
	ufd = open("/dev/ummunotify", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (ufd < 0)
		die("open /dev/ummunotify");
	pmfd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (pmfd < 0)
		die("open pagemap");

	len = (size_t)2 * NRANGES * RANGE_PAGES * page;
	area = mmap(NULL, len, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (area == MAP_FAILED)
		die("mmap area");
	for (int i = 0; i < NRANGES; i++)
		map_fresh(range_at(i), (size_t)RANGE_PAGES * page);

	for (int i = 0; i < NMUTATORS; i++)
		if (pthread_create(&mt[i], NULL, mutator, (void *)(uintptr_t)(i + 1)))
			die("pthread_create");
	for (int i = 0; i < NREGISTRARS; i++)
		if (pthread_create(&rt[i], NULL, registrar, (void *)(uintptr_t)(i + 100)))
			die("pthread_create");
	for (int i = 0; i < NREGISTRARS; i++)
		pthread_join(rt[i], NULL);
	atomic_store(&stop, 1);
	for (int i = 0; i < NMUTATORS; i++)
		pthread_join(mt[i], NULL);

	printf("regs=%ld checked=%ld changed=%ld events=%ld misses=%ld\n",
	       atomic_load(&regs_done), atomic_load(&checked),
	       atomic_load(&changed), atomic_load(&events),
	       atomic_load(&misses));
	if (atomic_load(&misses))
		return 1;
	/* A run where nothing changed under a registration proves nothing. */
	if (atomic_load(&changed) < 10 + atomic_load(&regs_done) / 1000) {
		printf("FAIL too few changes to mean anything\n");
		return 1;
	}
	return 0;
}
