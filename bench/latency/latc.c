// SPDX-License-Identifier: MIT
/*
 * The C side of the latency benchmark (bench/latency/README.md): a reader
 * per device that waits in epoll_wait() and, for each event, subtracts the
 * kernel's CLOCK_MONOTONIC stamp from CLOCK_MONOTONIC now; and the driver
 * that makes kchan_test post/send stamped events on a schedule.
 *
 *   latc drive wq|kue <triggers> <period_us> <burst>
 *	every period_us, ask kchan_test for <burst> stamped events:
 *	"wq stamp <burst> 2" (one u64 of payload) or "kue send <burst> 8 stamp"
 *   latc drive-fast <total> <per_write>
 *	end to end: ask kchan_test for <total> KAPI posts ("wq burst
 *	<per_write> 2") as fast as it takes them
 *   latc wq <events>		watch_queue ring: epoll, then drain the ring
 *   latc wq-count <total>	end to end: drain a 256-page ring until
 *				delivered + lost = total; prints
 *				"count <delivered> <lost> <ns first..last>"
 *   latc kue <events>		kue: epoll, then read() a batch of records
 *   latc ummu-read <events> <period_us> <burst>
 *   latc ummu-spin <events> <period_us>
 *	ummunotify: a producer thread of this process invalidates one of 64
 *	registered pages (madvise(MADV_DONTNEED)) every period_us, <burst> at a
 *	time, stamping CLOCK_MONOTONIC just before each madvise (ummunotify
 *	events carry no kernel stamp; the invalidation runs inside that
 *	madvise). ummu-read waits in epoll and read()s the events; ummu-spin
 *	spins on the mapped generation counter.
 *
 *   latc pipe <events> <fifo>	no kchan device: epoll on a FIFO, then read()
 *				the 8-byte stamps "latc drive pipe" writes
 *				(the wake-up machinery alone; also on the host)
 *   latc drive pipe <triggers> <period_us> <burst> <fifo>
 *	every period_us, write <burst> stamps (CLOCK_MONOTONIC just before
 *	each write) to the FIFO
 *
 * Readers print "ready" once set up, then one latency in ns per line, then
 * "done". Nothing else: the orchestrator (guest.mjs) parses stdout.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <kchan/kue.h>
#include <kchan/ummunotify.h>
#include <kchan/watch_queue.h>

#define UMMU_PAGES 64

static void die(const char *what)
{
	fprintf(stderr, "latc: %s: %s\n", what, strerror(errno));
	exit(2);
}

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t *lat;
static long nlat, want;

static void record(uint64_t now, uint64_t stamp)
{
	if (nlat < want)
		lat[nlat++] = now - stamp;
}

static void report(void)
{
	char line[32];

	for (long i = 0; i < nlat; i++) {
		int n = snprintf(line, sizeof(line), "%" PRIu64 "\n", lat[i]);

		fwrite(line, 1, (size_t)n, stdout);
	}
	fputs("done\n", stdout);
	fflush(stdout);
}

static void ready(void)
{
	fputs("ready\n", stdout);
	fflush(stdout);
}

static int epoll_on(int fd)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int ep = epoll_create1(EPOLL_CLOEXEC);

	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		die("epoll");
	return ep;
}

static void wait_in(int ep)
{
	struct epoll_event ev;

	while (epoll_wait(ep, &ev, 1, -1) < 0)
		if (errno != EINTR)
			die("epoll_wait");
}

/* ---------------------------------------------------------------- driver */

/* Sleep until *t + period_us (absolute, CLOCK_MONOTONIC) and make that *t. */
static void sleep_until_next(struct timespec *t, long period_us)
{
	t->tv_nsec += period_us * 1000;
	while (t->tv_nsec >= 1000000000) {
		t->tv_nsec -= 1000000000;
		t->tv_sec++;
	}
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, t, NULL) == EINTR)
		;
}

static int drive_pipe(const char *fifo, long triggers, long period_us, long burst)
{
	int fd = open(fifo, O_WRONLY | O_CLOEXEC);
	struct timespec t;

	if (fd < 0)
		die("open fifo");
	clock_gettime(CLOCK_MONOTONIC, &t);
	for (long i = 0; i < triggers; i++) {
		sleep_until_next(&t, period_us);
		for (long b = 0; b < burst; b++) {
			uint64_t stamp = now_ns();

			if (write(fd, &stamp, sizeof(stamp)) != sizeof(stamp))
				die("write fifo");
		}
	}
	close(fd);
	return 0;
}

static int drive(const char *dev, long triggers, long period_us, long burst)
{
	int fd = open("/dev/kchan_test", O_WRONLY | O_CLOEXEC);
	char cmd[64];
	struct timespec t;
	int len;

	if (fd < 0)
		die("open /dev/kchan_test");
	if (!strcmp(dev, "wq"))
		len = snprintf(cmd, sizeof(cmd), "wq stamp %ld 2", burst);
	else
		len = snprintf(cmd, sizeof(cmd), "kue send %ld 8 stamp", burst);
	clock_gettime(CLOCK_MONOTONIC, &t);
	for (long i = 0; i < triggers; i++) {
		sleep_until_next(&t, period_us);
		if (write(fd, cmd, (size_t)len) != len)
			die("write /dev/kchan_test");
	}
	close(fd);
	return 0;
}

static int drive_fast(long total, long per_write)
{
	int fd = open("/dev/kchan_test", O_WRONLY | O_CLOEXEC);
	char cmd[64];

	if (fd < 0)
		die("open /dev/kchan_test");
	for (long done = 0; done < total; done += per_write) {
		long n = total - done < per_write ? total - done : per_write;
		int len = snprintf(cmd, sizeof(cmd), "wq burst %ld 2", n);

		if (write(fd, cmd, (size_t)len) != len)
			die("write /dev/kchan_test");
	}
	close(fd);
	return 0;
}

/* ---------------------------------------------------------------- wq */

/* Type, subtype and length in slots of the entry at @e. */
static uint32_t entry_header(const char *e, uint32_t *type, uint32_t *sub)
{
	uint32_t word0, info;

	memcpy(&word0, e, 4);
	memcpy(&info, e + 4, 4);
	*type = word0 & WATCH_NOTIFICATION_TYPE__MASK;
	*sub = (word0 & WATCH_NOTIFICATION_SUBTYPE__MASK) >> WATCH_NOTIFICATION_SUBTYPE__SHIFT;
	return (info & WATCH_INFO_LENGTH) >> WATCH_INFO_LENGTH__SHIFT;
}

/* Opens a ring of @pages watching KAPI; returns the fd, its mapping in @memp, @lenp. */
static int open_wq(unsigned long pages, char **memp, size_t *lenp)
{
	struct watch_queue_watch w = { .type = WATCH_TYPE_KAPI, .id = 1 };
	size_t len = pages * (size_t)sysconf(_SC_PAGESIZE);
	int fd = open("/dev/watch_queue", O_RDWR | O_CLOEXEC);
	char *mem;

	if (fd < 0)
		die("open /dev/watch_queue");
	if (ioctl(fd, IOC_WATCH_QUEUE_SET_SIZE, pages) < 0)
		die("IOC_WATCH_QUEUE_SET_SIZE");
	mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (mem == MAP_FAILED)
		die("mmap ring");
	if (ioctl(fd, IOC_WATCH_QUEUE_ADD_WATCH, &w) < 0)
		die("IOC_WATCH_QUEUE_ADD_WATCH");
	*memp = mem;
	*lenp = len;
	return fd;
}

static int count_wq(long total)
{
	struct watch_queue_meta *meta;
	uint64_t delivered = 0, lost = 0, first = 0, last = 0;
	uint32_t mask, t;
	size_t len;
	char *mem;
	int fd = open_wq(WATCH_QUEUE_MAX_PAGES, &mem, &len);
	int ep = epoll_on(fd);

	meta = (struct watch_queue_meta *)mem;
	mask = (uint32_t)(len / WATCH_QUEUE_SLOT_SIZE - 1);
	t = meta->tail;
	ready();
	while (delivered + lost < (uint64_t)total) {
		uint32_t head = __atomic_load_n(&meta->head, __ATOMIC_ACQUIRE);

		if (head == t) {
			/* Drops not reported by a loss entry yet: the kernel's count. */
			uint32_t l = __atomic_load_n(&meta->lost, __ATOMIC_ACQUIRE);

			if (delivered + l >= (uint64_t)total) {
				lost = l;
				break;
			}
			wait_in(ep);
			continue;
		}
		if (!first)
			first = now_ns();
		while (t != head) {
			char *e = mem + (size_t)(t & mask) * WATCH_QUEUE_SLOT_SIZE;
			uint32_t type, sub, slots;

			slots = entry_header(e, &type, &sub);
			if (type == WATCH_TYPE_KAPI)
				delivered++;
			else if (type == WATCH_TYPE_META && sub == WATCH_META_LOSS_NOTIFICATION) {
				uint64_t n;

				memcpy(&n, e + 8, 8);
				lost += n;
			}
			t += slots ? slots : 1;
		}
		__atomic_store_n(&meta->tail, t, __ATOMIC_RELEASE);
		last = now_ns();
	}
	printf("count %" PRIu64 " %" PRIu64 " %" PRIu64 "\ndone\n", delivered, lost, last - first);
	fflush(stdout);
	return 0;
}

static int read_wq(void)
{
	struct watch_queue_meta *meta;
	uint32_t mask, t;
	size_t len;
	char *mem;
	int fd = open_wq(4, &mem, &len);
	int ep;

	meta = (struct watch_queue_meta *)mem;
	mask = (uint32_t)(len / WATCH_QUEUE_SLOT_SIZE - 1);
	t = meta->tail;
	ep = epoll_on(fd);
	ready();
	while (nlat < want) {
		uint32_t head = __atomic_load_n(&meta->head, __ATOMIC_ACQUIRE);

		if (head == t) {
			wait_in(ep);
			continue;
		}
		while (t != head) {
			char *e = mem + (size_t)(t & mask) * WATCH_QUEUE_SLOT_SIZE;
			uint32_t type, sub, slots;
			uint64_t stamp;

			slots = entry_header(e, &type, &sub);
			if (type == WATCH_TYPE_KAPI && sub == 1 && slots >= 2) {
				memcpy(&stamp, e + 8, 8);
				record(now_ns(), stamp);
			} else if (type == WATCH_TYPE_META && sub == WATCH_META_LOSS_NOTIFICATION) {
				fprintf(stderr, "latc: ring overrun\n");
				exit(3);
			}
			t += slots ? slots : 1;
		}
		__atomic_store_n(&meta->tail, t, __ATOMIC_RELEASE);
	}
	report();
	return 0;
}

/* ---------------------------------------------------------------- kue */

static int read_kue(void)
{
	static char buf[65536];
	int fd = open("/dev/kue", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	int ep;

	if (fd < 0)
		die("open /dev/kue");
	ep = epoll_on(fd);
	ready();
	while (nlat < want) {
		ssize_t n = read(fd, buf, sizeof(buf));
		size_t off = 0;

		if (n < 0) {
			if (errno != EAGAIN)
				die("read /dev/kue");
			wait_in(ep);
			continue;
		}
		while (off + sizeof(struct kue_msg_hdr) <= (size_t)n) {
			struct kue_msg_hdr h;
			uint64_t stamp;

			memcpy(&h, buf + off, sizeof(h));
			if (h.flags & KUE_MSG_FLAG_LOST) {
				fprintf(stderr, "latc: kue lost %u\n", h.lost);
				exit(3);
			}
			if (h.size >= 8) {
				memcpy(&stamp, buf + off + sizeof(h), 8);
				record(now_ns(), stamp);
			}
			off += sizeof(h) + ((h.size + KUE_RECORD_ALIGN - 1) & ~(uint64_t)(KUE_RECORD_ALIGN - 1));
		}
	}
	report();
	return 0;
}

/* ---------------------------------------------------------------- pipe */

static int read_pipe(const char *fifo)
{
	uint64_t stamps[64];
	int fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	int ep;

	if (fd < 0)
		die("open fifo");
	ep = epoll_on(fd);
	ready();
	while (nlat < want) {
		ssize_t n = read(fd, stamps, sizeof(stamps));

		if (n < 0) {
			if (errno != EAGAIN)
				die("read fifo");
			wait_in(ep);
			continue;
		}
		if (n == 0) {	/* no writer yet, or it is gone */
			wait_in(ep);
			continue;
		}
		for (ssize_t i = 0; i < n / 8; i++)
			record(now_ns(), stamps[i]);
	}
	report();
	return 0;
}

/* ---------------------------------------------------------------- ummunotify */

static struct {
	char *area;
	size_t page;
	long events, period_us, burst;
	uint64_t stamp[UMMU_PAGES];	/* per cookie: time of its last madvise */
	long last;			/* number of the latest madvise, from 1 */
	volatile int go;
} up;

static void *ummu_producer(void *arg)
{
	struct timespec t;
	long k = 0;

	(void)arg;
	while (!__atomic_load_n(&up.go, __ATOMIC_ACQUIRE))
		;
	clock_gettime(CLOCK_MONOTONIC, &t);
	while (k < up.events) {
		t.tv_nsec += up.period_us * 1000;
		while (t.tv_nsec >= 1000000000) {
			t.tv_nsec -= 1000000000;
			t.tv_sec++;
		}
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR)
			;
		for (long b = 0; b < up.burst && k < up.events; b++, k++) {
			long c = k % UMMU_PAGES;
			char *p = up.area + (size_t)c * up.page;

			p[0] = 1;	/* fault it in: a mapped page to zap */
			__atomic_store_n(&up.stamp[c], now_ns(), __ATOMIC_RELEASE);
			__atomic_store_n(&up.last, k + 1, __ATOMIC_RELEASE);
			if (madvise(p, up.page, MADV_DONTNEED))
				die("madvise");
		}
	}
	return NULL;
}

static int ummu(int spin, long period_us, long burst)
{
	int fd = open("/dev/ummunotify", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	struct ummunotify_event ev[64];
	volatile uint64_t *gen;
	pthread_t th;
	int ep;

	if (fd < 0)
		die("open /dev/ummunotify");
	up.page = (size_t)sysconf(_SC_PAGESIZE);
	up.events = want;
	up.period_us = period_us;
	up.burst = burst;
	up.area = mmap(NULL, UMMU_PAGES * up.page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (up.area == MAP_FAILED)
		die("mmap");
	for (long c = 0; c < UMMU_PAGES; c++) {
		struct ummunotify_register_ioctl r = {
			.start = (uintptr_t)(up.area + c * up.page),
			.end = (uintptr_t)(up.area + (c + 1) * up.page),
			.user_cookie = (uint64_t)c,
		};

		if (ioctl(fd, UMMUNOTIFY_REGISTER_REGION, &r))
			die("UMMUNOTIFY_REGISTER_REGION");
	}
	gen = mmap(NULL, up.page, PROT_READ, MAP_SHARED, fd, UMMUNOTIFY_GENERATION_OFFSET);
	if (gen == MAP_FAILED)
		die("mmap generation");
	ep = epoll_on(fd);
	if (pthread_create(&th, NULL, ummu_producer, NULL))
		die("pthread_create");
	ready();
	__atomic_store_n(&up.go, 1, __ATOMIC_RELEASE);
	if (spin) {
		uint64_t seen = __atomic_load_n(gen, __ATOMIC_ACQUIRE);
		long done = 0;

		while (done < want) {
			uint64_t g = __atomic_load_n(gen, __ATOMIC_ACQUIRE);
			long k;

			if (g == seen)
				continue;
			seen = g;
			/*
			 * The latest madvise (published before it was made) is
			 * the one that moved the generation. One this thread
			 * was too late for is not counted (the orchestrator
			 * reports the count); a move with no new madvise is not
			 * ours (none is expected) and is skipped.
			 */
			k = __atomic_load_n(&up.last, __ATOMIC_ACQUIRE);
			if (k == done)
				continue;
			done = k;
			record(now_ns(), __atomic_load_n(&up.stamp[(k - 1) % UMMU_PAGES], __ATOMIC_ACQUIRE));
		}
	} else {
		while (nlat < want) {
			ssize_t n = read(fd, ev, sizeof(ev));

			if (n < 0) {
				if (errno != EAGAIN)
					die("read /dev/ummunotify");
				wait_in(ep);
				continue;
			}
			for (size_t i = 0; i < (size_t)n / sizeof(ev[0]); i++) {
				if (ev[i].type != UMMUNOTIFY_EVENT_TYPE_INVAL)
					continue;
				uint64_t stamp = __atomic_load_n(&up.stamp[ev[i].user_cookie_counter % UMMU_PAGES],
								 __ATOMIC_ACQUIRE);

				/*
				 * No stamp yet: an invalidation the producer did
				 * not make (one 6.1 run timed such an event from
				 * 0, i.e. the guest's uptime, 34.8 s). Not timed.
				 */
				if (stamp)
					record(now_ns(), stamp);
			}
		}
	}
	pthread_join(th, NULL);
	report();
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 7 && !strcmp(argv[1], "drive") && !strcmp(argv[2], "pipe"))
		return drive_pipe(argv[6], atol(argv[3]), atol(argv[4]), atol(argv[5]));
	if (argc >= 6 && !strcmp(argv[1], "drive"))
		return drive(argv[2], atol(argv[3]), atol(argv[4]), atol(argv[5]));
	if (argc >= 4 && !strcmp(argv[1], "drive-fast"))
		return drive_fast(atol(argv[2]), atol(argv[3]));
	if (argc >= 3 && !strcmp(argv[1], "wq-count"))
		return count_wq(atol(argv[2]));
	if (argc < 3)
		goto usage;
	want = atol(argv[2]);
	lat = calloc((size_t)want, sizeof(*lat));
	if (!lat)
		die("calloc");
	if (!strcmp(argv[1], "wq"))
		return read_wq();
	if (!strcmp(argv[1], "kue"))
		return read_kue();
	if (argc >= 4 && !strcmp(argv[1], "pipe"))
		return read_pipe(argv[3]);
	if (argc >= 5 && !strcmp(argv[1], "ummu-read"))
		return ummu(0, atol(argv[3]), atol(argv[4]));
	if (argc >= 4 && !strcmp(argv[1], "ummu-spin"))
		return ummu(1, atol(argv[3]), 1);
usage:
	fprintf(stderr, "usage: see the comment at the top of latc.c\n");
	return 2;
}
