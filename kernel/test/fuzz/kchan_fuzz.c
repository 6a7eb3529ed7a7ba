// SPDX-License-Identifier: GPL-2.0
/*
 * kchan_fuzz: a seeded syscall fuzzer for /dev/watch_queue, /dev/ummunotify
 * and /dev/kue (run as root inside the test VM: node vm/run.mjs stress).
 *
 * Every open, close, ioctl, read, write, mmap, munmap, mremap, mprotect, poll,
 * dup and fork path of the three devices is driven with random and boundary
 * arguments, plus hostile user memory: a thread scribbles garbage over the
 * ring's meta entry (head, tail, mask) and entries while /dev/kchan_test
 * posts, rings and generation pages are unmapped while in use, forked
 * children inherit the fds and mappings, and several threads share one fd
 * table. The kernel's verdict comes from the VM harness (oops, WARN, KASAN,
 * lockdep, refcount, hung task); this program checks the user-visible
 * contract it can (return values, ENOTTY for unknown ioctls, read sizes) and
 * exits 1 on a violation, printing the seed and the last calls.
 *
 * The call descriptions (ioctl numbers, argument sizes, field ranges) come
 * from the generated uapi headers (packages/uapi/spec/kchan.yaml).
 *
 * Usage: kchan_fuzz [--seed N] [--calls N] [--threads N] [--device wq,ummu,kue]
 *                   [--history N] [--verbose]
 * --calls: syscalls per device (default 100000); the run ends when every
 * selected device got that many. --threads 1 is fully reproducible from the
 * seed (up to kernel state such as other processes' messages).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <kchan/kue.h>
#include <kchan/ummunotify.h>
#include <kchan/watch_queue.h>

#define PAGE 4096UL
#define MAX_THREADS 16
#define NSLOTS 24		/* fds in the shared table */
#define NMAPS 32		/* tracked mappings */
#define KERNEL_PTR ((void *)0xffff888000000000UL)
#define BAD_PTR ((void *)0x10UL)

enum dev { DEV_WQ, DEV_UMMU, DEV_KUE, DEV_NR };
static const char *const dev_name[DEV_NR] = { "wq", "ummu", "kue" };
static const char *const dev_path[DEV_NR] = {
	"/dev/watch_queue", "/dev/ummunotify", "/dev/kue"
};

/* Syzkaller-style call descriptions, from the generated headers. */
struct ioctl_desc {
	enum dev dev;
	const char *name;
	unsigned long cmd;
	size_t arg_size;	/* _IOC_SIZE, or the struct a pointer arg points to */
};

static const struct ioctl_desc ioctls[] = {
	{ DEV_WQ, "IOC_WATCH_QUEUE_SET_SIZE", IOC_WATCH_QUEUE_SET_SIZE, 0 },
	{ DEV_WQ, "IOC_WATCH_QUEUE_SET_FILTER", IOC_WATCH_QUEUE_SET_FILTER,
	  sizeof(struct watch_notification_filter) },
	{ DEV_WQ, "IOC_WATCH_QUEUE_ADD_WATCH", IOC_WATCH_QUEUE_ADD_WATCH,
	  sizeof(struct watch_queue_watch) },
	{ DEV_WQ, "IOC_WATCH_QUEUE_REMOVE_WATCH", IOC_WATCH_QUEUE_REMOVE_WATCH,
	  sizeof(__u32) },
	{ DEV_WQ, "IOC_WATCH_QUEUE_RESET", IOC_WATCH_QUEUE_RESET, 0 },
	{ DEV_UMMU, "UMMUNOTIFY_EXCHANGE_FEATURES", UMMUNOTIFY_EXCHANGE_FEATURES,
	  sizeof(__u32) },
	{ DEV_UMMU, "UMMUNOTIFY_REGISTER_REGION", UMMUNOTIFY_REGISTER_REGION,
	  sizeof(struct ummunotify_register_ioctl) },
	{ DEV_UMMU, "UMMUNOTIFY_UNREGISTER_REGION", UMMUNOTIFY_UNREGISTER_REGION,
	  sizeof(__u64) },
	{ DEV_KUE, "KUE_IOC_INFO", KUE_IOC_INFO, sizeof(struct kue_info) },
};
#define NIOCTLS (sizeof(ioctls) / sizeof(ioctls[0]))

/* ------------------------------------------------------------ state */

struct fdslot {
	int fd;			/* -1: empty */
	enum dev dev;
};

enum map_kind { KIND_RING, KIND_GEN, KIND_ANON };
struct mapping {
	char *addr;		/* NULL: empty */
	size_t len;
	int prot;
	enum map_kind kind;
	enum dev dev;
	int zapped;		/* MADV_DONTNEED on driver pages: SIGBUS on touch */
	/*
	 * The label is known to be right: mapped from a thread-private fd.
	 * A shared fd can be closed and its number reused for another device
	 * between pick_fd() and mmap(), so its mapping may be, say, a ring
	 * labelled as a generation page: contract checks skip those.
	 */
	int trusted;
};

static struct fdslot fds[NSLOTS];
static pthread_mutex_t fds_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mapping maps[NMAPS];
/* Writers: map/unmap/mremap/mprotect; readers: scribblers, memory touches. */
static pthread_rwlock_t maps_lock = PTHREAD_RWLOCK_INITIALIZER;

static atomic_ulong calls[DEV_NR];
static atomic_ulong errs[DEV_NR];
static atomic_ulong forks, scribbles, posts;
static atomic_int stop;
static unsigned long target = 100000;
static unsigned int nthreads = 4;
static unsigned int history_len = 32;
static int verbose;
static int want[DEV_NR] = { 1, 1, 1 };
static uint64_t seed;
static int test_fd = -1;
static pthread_t threads[MAX_THREADS];
/* Set by each worker as it returns (see the join loop in main()). */
static atomic_int finished[MAX_THREADS];

/* ------------------------------------------------------------ history */

struct hist {
	char (*lines)[160];
	unsigned long n;
};
static __thread struct hist *my_hist;
static struct hist hists[MAX_THREADS + 1];
static __thread unsigned int my_id;

static void record(const char *fmt, ...)
{
	va_list ap;
	char *line;

	if (!my_hist)
		return;
	line = my_hist->lines[my_hist->n++ % history_len];
	va_start(ap, fmt);
	vsnprintf(line, sizeof(my_hist->lines[0]), fmt, ap);
	va_end(ap);
	if (verbose)
		fprintf(stderr, "[t%u] %s\n", my_id, line);
}

static void dump_history(void)
{
	fprintf(stderr, "kchan_fuzz: seed %" PRIu64 " (rerun: --seed %" PRIu64
		" --threads %u); last %u calls per thread:\n", seed, seed,
		nthreads, history_len);
	for (unsigned int t = 0; t <= nthreads && t <= MAX_THREADS; t++) {
		struct hist *h = &hists[t];
		unsigned long first;

		if (!h->lines || !h->n)
			continue;
		first = h->n > history_len ? h->n - history_len : 0;
		for (unsigned long i = first; i < h->n; i++)
			fprintf(stderr, "  t%u #%lu %s\n", t, i,
				h->lines[i % history_len]);
	}
}

static void fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "kchan_fuzz: CONTRACT VIOLATION: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	dump_history();
	exit(1);
}

static const char *kind_name(enum map_kind k)
{
	return k == KIND_GEN ? "gen" : k == KIND_RING ? "ring" : "anon";
}

static void on_fatal(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	fprintf(stderr, "kchan_fuzz: signal %d (code %d, addr %p) in thread %u%s\n", sig,
		si ? si->si_code : 0, si ? si->si_addr : NULL, my_id,
		my_hist ? "" : " (forked child)");
	for (int i = 0; si && i < NMAPS; i++)
		if (maps[i].addr && (char *)si->si_addr >= maps[i].addr &&
		    (char *)si->si_addr < maps[i].addr + maps[i].len)
			fprintf(stderr, "  in mapping %d: %p+%zu %s prot %d\n", i,
				maps[i].addr, maps[i].len, kind_name(maps[i].kind), maps[i].prot);
	dump_history();
	_exit(2);
}

static void on_kick(int sig)
{
	(void)sig;	/* interrupts blocking reads: EINTR */
}

/* ------------------------------------------------------------ random */

static __thread uint64_t rs;

static uint64_t rnd(void)
{
	/* splitmix64 */
	uint64_t z = (rs += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rn(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static int chance(unsigned int pct)
{
	return rn(100) < pct;
}

/* A "boundary-biased" integer: 0, 1, powers of two +-1, all ones, random. */
static uint64_t rint64(void)
{
	static const uint64_t special[] = {
		0, 1, 2, 3, 7, 8, 63, 64, 255, 256, 4095, 4096, 4097,
		0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ULL,
		0x7fffffffffffffffULL, 0x8000000000000000ULL, ~0ULL,
	};

	switch (rn(4)) {
	case 0:
		return special[rn(sizeof(special) / sizeof(special[0]))];
	case 1:
		return (1ULL << rn(64)) + (int)rn(3) - 1;
	case 2:
		return rn(1024);
	default:
		return rnd();
	}
}

static void *rptr(void *good)
{
	switch (rn(12)) {
	case 0:
		return NULL;
	case 1:
		return BAD_PTR;
	case 2:
		return KERNEL_PTR;
	case 3:
		return (void *)(uintptr_t)rnd();
	default:
		return good;
	}
}

/* ------------------------------------------------------------ tables */

static int pick_fd(enum dev want_dev, int any_dev, enum dev *dev_out)
{
	int fd = -1;

	pthread_mutex_lock(&fds_lock);
	for (int tries = 0; tries < 8; tries++) {
		struct fdslot *s = &fds[rn(NSLOTS)];

		if (s->fd >= 0 && (any_dev || s->dev == want_dev)) {
			fd = s->fd;
			*dev_out = s->dev;
			break;
		}
	}
	pthread_mutex_unlock(&fds_lock);
	return fd;
}

static void count(enum dev d, long ret)
{
	atomic_fetch_add(&calls[d], 1);
	if (ret < 0)
		atomic_fetch_add(&errs[d], 1);
}

static int add_map(char *addr, size_t len, int prot, enum map_kind kind,
		   enum dev dev, int trusted)
{
	/* Caller holds maps_lock for writing. */
	for (int i = 0; i < NMAPS; i++) {
		if (!maps[i].addr) {
			maps[i] = (struct mapping){ addr, len, prot, kind, dev, 0, trusted };
			return 1;
		}
	}
	munmap(addr, len);
	return 0;
}

/* ------------------------------------------------------------ ops */

static enum dev pick_dev(void);
static int private_fd(enum dev d);

static void op_open(enum dev d)
{
	int flags = (chance(70) ? O_NONBLOCK : 0) | O_CLOEXEC |
		    (chance(80) ? O_RDWR : chance(50) ? O_RDONLY : O_WRONLY);
	int fd = open(dev_path[d], flags);
	struct fdslot *s;
	int old = -1;

	count(d, fd);
	record("open(%s, %#x) = %d", dev_path[d], flags, fd < 0 ? -errno : fd);
	if (fd < 0)
		return;
	pthread_mutex_lock(&fds_lock);
	s = &fds[rn(NSLOTS)];
	if (s->fd >= 0)
		old = s->fd;
	s->fd = fd;
	s->dev = d;
	pthread_mutex_unlock(&fds_lock);
	if (old >= 0) {
		int r = close(old);

		record("close(%d) = %d (evicted)", old, r < 0 ? -errno : r);
	}
}

static void op_close(void)
{
	struct fdslot *s;
	int fd = -1;
	enum dev d = DEV_WQ;

	pthread_mutex_lock(&fds_lock);
	s = &fds[rn(NSLOTS)];
	if (s->fd >= 0) {
		fd = s->fd;
		d = s->dev;
		s->fd = -1;
	}
	pthread_mutex_unlock(&fds_lock);
	if (fd < 0)
		return;
	int r = close(fd);

	count(d, r);
	record("close(%d %s) = %d", fd, dev_name[d], r < 0 ? -errno : r);
}

static void op_dup(void)
{
	enum dev d;
	int fd = pick_fd(0, 1, &d), nfd;

	if (fd < 0)
		return;
	nfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	count(d, nfd);
	record("dup(%d %s) = %d", fd, dev_name[d], nfd < 0 ? -errno : nfd);
	if (nfd < 0)
		return;
	pthread_mutex_lock(&fds_lock);
	struct fdslot *s = &fds[rn(NSLOTS)];
	int old = s->fd;

	s->fd = nfd;
	s->dev = d;
	pthread_mutex_unlock(&fds_lock);
	if (old >= 0)
		close(old);
}

static void fill_filter(struct watch_notification_filter *f, unsigned int n)
{
	f->nr_filters = chance(85) ? n : (uint32_t)rint64();
	f->reserved = chance(90) ? 0 : (uint32_t)rnd();
	for (unsigned int i = 0; i < n; i++) {
		struct watch_notification_type_filter *t = &f->filters[i];

		t->type = chance(80) ? rn(WATCH_TYPE_NR + 2) : (uint32_t)rint64();
		t->info_filter = (uint32_t)rnd();
		t->info_mask = chance(50) ? 0 : (uint32_t)rnd();
		for (int j = 0; j < 8; j++)
			t->subtype_filter[j] = chance(50) ? ~0U : (uint32_t)rnd();
	}
}

static void op_wq_ioctl(void)
{
	enum dev d;
	int fd = pick_fd(DEV_WQ, 0, &d);
	long r = 0;

	if (fd < 0)
		return;
	switch (rn(5)) {
	case 0: {
		static const unsigned long sizes[] = { 0, 1, 2, 3, 4, 8, 16,
			64, 128, 255, 256, 257, 512, 1UL << 31, ~0UL };
		unsigned long n = chance(60) ? 1UL << rn(4) :
				  sizes[rn(sizeof(sizes) / sizeof(sizes[0]))];

		r = ioctl(fd, IOC_WATCH_QUEUE_SET_SIZE, n);
		record("ioctl(%d, SET_SIZE, %lu) = %ld", fd, n, r < 0 ? -errno : r);
		break;
	}
	case 1: {
		unsigned int n = chance(80) ? rn(WATCH_QUEUE_MAX_FILTERS + 1) :
				 rn(64);
		size_t sz = sizeof(struct watch_notification_filter) +
			    n * sizeof(struct watch_notification_type_filter);
		struct watch_notification_filter *f = calloc(1, sz);
		void *arg;

		if (!f)
			return;
		fill_filter(f, n);
		arg = chance(10) ? NULL : rptr(f);
		r = ioctl(fd, IOC_WATCH_QUEUE_SET_FILTER, arg);
		record("ioctl(%d, SET_FILTER, %p nr=%u) = %ld", fd, arg,
		       f->nr_filters, r < 0 ? -errno : r);
		free(f);
		break;
	}
	case 2: {
		struct watch_queue_watch w = {
			.type = chance(80) ? rn(WATCH_TYPE_NR + 1) : (uint32_t)rint64(),
			.id = chance(80) ? rn(WATCH_QUEUE_MAX_WATCH_ID + 2) : (uint32_t)rint64(),
			.flags = chance(90) ? 0 : (uint32_t)rint64(),
			.reserved = chance(90) ? 0 : (uint32_t)rint64(),
		};
		void *arg = rptr(&w);

		r = ioctl(fd, IOC_WATCH_QUEUE_ADD_WATCH, arg);
		record("ioctl(%d, ADD_WATCH, %p {type %u id %u flags %#x rsv %#x}) = %ld",
		       fd, arg, w.type, w.id, w.flags, w.reserved, r < 0 ? -errno : r);
		break;
	}
	case 3: {
		unsigned long arg = chance(90) ? 0 : (unsigned long)rint64();

		r = ioctl(fd, IOC_WATCH_QUEUE_RESET, arg);
		record("ioctl(%d, RESET, %#lx) = %ld", fd, arg, r < 0 ? -errno : r);
		break;
	}
	default: {
		__u32 id = chance(80) ? rn(WATCH_QUEUE_MAX_WATCH_ID + 2) : (uint32_t)rint64();
		void *arg = rptr(&id);

		r = ioctl(fd, IOC_WATCH_QUEUE_REMOVE_WATCH, arg);
		record("ioctl(%d, REMOVE_WATCH, %p {%u}) = %ld", fd, arg, id,
		       r < 0 ? -errno : r);
		break;
	}
	}
	if (r > 0)
		fail("wq ioctl returned %ld", r);
	count(DEV_WQ, r);
}

static void op_ummu_ioctl(void)
{
	enum dev d;
	int fd = pick_fd(DEV_UMMU, 0, &d);
	long r = 0;

	if (fd < 0)
		return;
	switch (rn(3)) {
	case 0: {
		__u32 f = chance(50) ? UMMUNOTIFY_FEATURE_REGION_GENERATION :
			  (uint32_t)rint64();
		void *arg = rptr(&f);

		r = ioctl(fd, UMMUNOTIFY_EXCHANGE_FEATURES, arg);
		record("ioctl(%d, EXCHANGE_FEATURES, %p) = %ld", fd, arg,
		       r < 0 ? -errno : r);
		break;
	}
	case 1: {
		struct ummunotify_register_ioctl reg = { 0 };
		void *arg = rptr(&reg);

		/* Mostly inside one of our own mappings, sometimes anywhere. */
		pthread_rwlock_rdlock(&maps_lock);
		struct mapping *m = &maps[rn(NMAPS)];

		if (m->addr && chance(80)) {
			reg.start = (uintptr_t)m->addr + rn(m->len);
			reg.end = reg.start + 1 + rn(m->len);
		} else {
			reg.start = rint64();
			reg.end = chance(70) ? reg.start + rint64() : rint64();
		}
		pthread_rwlock_unlock(&maps_lock);
		reg.user_cookie = rn(64);
		reg.flags = chance(95) ? 0 : (uint32_t)rint64();
		reg.reserved = chance(95) ? 0 : (uint32_t)rint64();
		r = ioctl(fd, UMMUNOTIFY_REGISTER_REGION, arg);
		record("ioctl(%d, REGISTER, %p {%#llx-%#llx cookie %llu flags %#x}) = %ld",
		       fd, arg, (unsigned long long)reg.start,
		       (unsigned long long)reg.end,
		       (unsigned long long)reg.user_cookie, reg.flags,
		       r < 0 ? -errno : r);
		break;
	}
	default: {
		__u64 c = chance(80) ? rn(64) : rint64();
		void *arg = rptr(&c);

		r = ioctl(fd, UMMUNOTIFY_UNREGISTER_REGION, arg);
		record("ioctl(%d, UNREGISTER, %p {%llu}) = %ld", fd, arg,
		       (unsigned long long)c, r < 0 ? -errno : r);
		break;
	}
	}
	count(DEV_UMMU, r);
}

static void op_kue_ioctl(void)
{
	enum dev d;
	int fd = pick_fd(DEV_KUE, 0, &d);
	struct kue_info info;
	void *arg = rptr(&info);
	long r;

	if (fd < 0)
		return;
	r = ioctl(fd, KUE_IOC_INFO, arg);
	count(DEV_KUE, r);
	record("ioctl(%d, KUE_IOC_INFO, %p) = %ld", fd, arg, r < 0 ? -errno : r);
	if (r == 0 && arg == &info && info.cursor > info.next_seq)
		fail("kue info: cursor %llu past next_seq %llu",
		     (unsigned long long)info.cursor,
		     (unsigned long long)info.next_seq);
}

/* An unknown or malformed ioctl: a neighbour of a real one or random. */
static void op_bad_ioctl(void)
{
	int priv = chance(50);
	enum dev d = pick_dev();
	int fd = priv ? private_fd(d) : pick_fd(0, 1, &d);
	const struct ioctl_desc *desc = &ioctls[rn(NIOCTLS)];
	unsigned long cmd;
	char buf[512];
	long r;

	if (fd < 0)
		return;
	switch (rn(4)) {
	case 0:	/* same type/nr, wrong size */
		cmd = _IOC(_IOC_DIR(desc->cmd), _IOC_TYPE(desc->cmd),
			   _IOC_NR(desc->cmd), (desc->arg_size + 1 + rn(64)) & 0x3fff);
		break;
	case 1:	/* same type, wrong nr */
		cmd = _IOC(_IOC_DIR(desc->cmd), _IOC_TYPE(desc->cmd),
			   (_IOC_NR(desc->cmd) + 1 + rn(200)) & 0xff, _IOC_SIZE(desc->cmd));
		break;
	case 2:	/* wrong direction */
		cmd = _IOC((_IOC_DIR(desc->cmd) + 1 + rn(3)) & 3, _IOC_TYPE(desc->cmd),
			   _IOC_NR(desc->cmd), _IOC_SIZE(desc->cmd));
		break;
	default:
		cmd = (uint32_t)rnd();
		break;
	}
	memset(buf, 0, sizeof(buf));
	r = ioctl(fd, cmd, chance(50) ? (void *)buf : rptr(buf));
	count(d, r);
	int err = errno;

	record("ioctl(%d %s, %#lx [%s neighbour]) = %ld", fd, dev_name[d], cmd,
	       desc->name, r < 0 ? -err : r);
	if (priv)
		close(fd);
	/* Known commands of this device that random bits may hit. */
	for (size_t i = 0; i < NIOCTLS; i++)
		if (ioctls[i].dev == d && ioctls[i].cmd == cmd)
			return;
	errno = err;
	if (priv && (r >= 0 || errno != ENOTTY))
		fail("unknown ioctl %#lx on %s: %ld (%s), want ENOTTY", cmd,
		     dev_name[d], r, strerror(errno));
}

#define READBUF (2UL << 20)
static __thread char *readbuf;	/* one per thread: no malloc/mmap per read */

static void op_read(void)
{
	enum dev d;
	int fd = pick_fd(0, 1, &d);
	static const size_t sizes[] = { 0, 1, 7, 8, 16, 23, 24, 31, 32, 33, 63,
		64, 96, 4096, 65536, 1 << 20, 1 << 21 };
	size_t n = chance(70) ? sizes[rn(sizeof(sizes) / sizeof(sizes[0]))] :
		   rn(8192);
	char *buf;
	void *p;
	ssize_t r;

	if (fd < 0)
		return;
	if (!readbuf)
		readbuf = malloc(READBUF);
	if (!readbuf)
		return;
	buf = readbuf;
	p = chance(8) ? rptr(buf) : buf;
	r = read(fd, p, n);
	count(d, r);
	record("read(%d %s, %p, %zu) = %zd", fd, dev_name[d], p, n,
	       r < 0 ? -errno : r);
	if (r > (ssize_t)n)
		fail("read returned %zd > %zu", r, n);
	if (r > 0 && d == DEV_UMMU && r % sizeof(struct ummunotify_event))
		fail("ummunotify read of %zd bytes: not whole events", r);
	if (r > 0 && d == DEV_KUE && p == buf) {
		/* Whole records only: walk them. */
		size_t off = 0;

		while (off < (size_t)r) {
			struct kue_msg_hdr h;
			size_t rec;

			if ((size_t)r - off < sizeof(h))
				fail("kue read: partial header at %zu of %zd", off, r);
			memcpy(&h, buf + off, sizeof(h));
			rec = (sizeof(h) + h.size + KUE_RECORD_ALIGN - 1) &
			      ~(size_t)(KUE_RECORD_ALIGN - 1);
			if (h.size > KUE_MAX_MSG_SIZE || off + sizeof(h) + h.size > (size_t)r)
				fail("kue read: record of %llu bytes at %zu of %zd",
				     (unsigned long long)h.size, off, r);
			off += rec;
		}
	}
}

static void op_write(void)
{
	enum dev d;
	int fd = pick_fd(0, 1, &d);
	char buf[256];
	size_t n = rn(sizeof(buf) + 1);
	ssize_t r;

	if (fd < 0)
		return;
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (char)(0x80 | rnd());	/* never a kchan_test command */
	r = write(fd, chance(10) ? rptr(buf) : buf, n);
	count(d, r);
	record("write(%d %s, %zu) = %zd", fd, dev_name[d], n, r < 0 ? -errno : r);
}

static void op_poll(void)
{
	struct pollfd p[4];
	int n = 0;
	enum dev d = DEV_WQ;

	for (int i = 0; i < 4; i++) {
		int fd = pick_fd(0, 1, &d);

		if (fd >= 0) {
			p[n].fd = fd;
			p[n].events = POLLIN | POLLOUT | POLLPRI | (chance(20) ? POLLRDHUP : 0);
			n++;
		}
	}
	if (!n)
		return;
	int r = poll(p, n, chance(90) ? 0 : (int)rn(5));

	count(d, r);
	record("poll(%d fds, last %s) = %d", n, dev_name[d], r < 0 ? -errno : r);
}

/*
 * An fd of our own (not in the shared table), so another thread cannot
 * close it and reuse the number for another device under us: contract
 * checks that depend on the device use it. Rings are sized and watch
 * WATCH_TYPE_KAPI mostly, so kchan_test posts land in rings being
 * scribbled on.
 */
static int private_fd(enum dev d)
{
	int fd = open(dev_path[d], O_RDWR | O_NONBLOCK | O_CLOEXEC);

	count(d, fd);
	if (fd < 0 || d != DEV_WQ || chance(10))
		return fd;
	unsigned long pages = 1UL << rn(4);
	struct watch_queue_watch w = { .type = WATCH_TYPE_KAPI, .id = (uint32_t)rn(8) };
	long r = ioctl(fd, IOC_WATCH_QUEUE_SET_SIZE, pages);

	count(d, r);
	record("private %s fd %d: SET_SIZE %lu = %ld", dev_name[d], fd, pages, r < 0 ? -errno : r);
	if (chance(80)) {
		r = ioctl(fd, IOC_WATCH_QUEUE_ADD_WATCH, &w);
		count(d, r);
	}
	return fd;
}

static void op_mmap(void)
{
	int priv = chance(50);
	enum dev d = pick_dev();
	int fd = priv ? private_fd(d) : pick_fd(0, 1, &d);
	static const size_t lens[] = { 0, 1, PAGE, 2 * PAGE, 4 * PAGE,
		8 * PAGE, 256 * PAGE, 257 * PAGE, 1024 * PAGE };
	size_t len = chance(80) ? lens[rn(sizeof(lens) / sizeof(lens[0]))] :
		     rn(64) * PAGE + (chance(10) ? rn(PAGE) : 0);
	off_t off = chance(85) ? 0 : (off_t)(rn(4) * PAGE);
	int prot = chance(60) ? PROT_READ | PROT_WRITE : chance(60) ? PROT_READ :
		   (int)rn(8);
	int flags = chance(85) ? MAP_SHARED : MAP_PRIVATE;
	char *p;

	if (fd < 0)
		return;
	if (d == DEV_UMMU && chance(70)) {
		len = PAGE;
		prot = chance(80) ? PROT_READ : PROT_READ | PROT_WRITE;
	}
	if (d == DEV_WQ && priv && chance(70))
		len = PAGE << rn(4);
	pthread_rwlock_wrlock(&maps_lock);
	p = mmap(NULL, len, prot, flags, fd, off);
	count(d, p == MAP_FAILED ? -1 : 0);
	record("mmap(%s%s fd %d, len %zu, prot %d, %s, off %lld) = %p%s", priv ? "private " : "",
	       dev_name[d], fd, len, prot, flags == MAP_SHARED ? "SHARED" : "PRIVATE",
	       (long long)off, p, p == MAP_FAILED ? strerror(errno) : "");
	if (p != MAP_FAILED) {
		if (priv && d == DEV_UMMU && (prot & PROT_WRITE))
			fail("ummunotify generation page mapped writable");
		if (priv && d == DEV_KUE)
			fail("kue has no mmap, but mmap succeeded");
		add_map(p, len, prot, d == DEV_WQ ? KIND_RING : KIND_GEN, d, priv);
	}
	pthread_rwlock_unlock(&maps_lock);
	if (priv) {
		/* The mapping keeps the file (and the ring) alive. */
		close(fd);
		count(d, 0);
	}
}

static void op_anon(void)
{
	/* Anonymous memory for ummunotify regions; also unmapped/changed below. */
	size_t len = (1 + rn(16)) * PAGE;
	char *p;

	pthread_rwlock_wrlock(&maps_lock);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p != MAP_FAILED) {
		memset(p, 1, len);
		add_map(p, len, PROT_READ | PROT_WRITE, KIND_ANON, DEV_UMMU, 1);
	}
	pthread_rwlock_unlock(&maps_lock);
	count(DEV_UMMU, p == MAP_FAILED ? -1 : 0);
	record("mmap(anon, %zu) = %p", len, p);
}

/* munmap (whole or part), mremap, mprotect, madvise on a tracked mapping. */
static void op_vm(void)
{
	pthread_rwlock_wrlock(&maps_lock);
	struct mapping *m = &maps[rn(NMAPS)];
	enum dev d = m->kind == KIND_ANON ? DEV_UMMU : m->dev;
	long r = 0;

	if (!m->addr) {
		pthread_rwlock_unlock(&maps_lock);
		return;
	}
	switch (rn(6)) {
	case 0:
	case 1:
		r = munmap(m->addr, m->len);
		record("munmap(%p, %zu) = %ld", m->addr, m->len, r);
		m->addr = NULL;
		break;
	case 2: {	/* unmap the first pages only */
		size_t cut = (1 + rn(4)) * PAGE;

		if (cut < m->len) {
			r = munmap(m->addr, cut);
			record("munmap(%p, %zu) head", m->addr, cut);
			m->addr += cut;
			m->len -= cut;
		}
		break;
	}
	case 3: {	/* mremap: move or grow (DONTEXPAND must refuse) */
		size_t nlen = chance(50) ? m->len : m->len + PAGE;
		void *q = mremap(m->addr, m->len, nlen, MREMAP_MAYMOVE);

		record("mremap(%p, %zu, %zu) = %p", m->addr, m->len, nlen, q);
		if (q != MAP_FAILED) {
			m->addr = q;
			m->len = nlen;
		} else {
			r = -1;
		}
		break;
	}
	case 4: {
		int prot = (int)rn(8) & (PROT_READ | PROT_WRITE | PROT_EXEC);

		r = mprotect(m->addr, m->len, prot);
		record("mprotect(%p %s, %zu, %d) = %ld", m->addr,
		       m->kind == KIND_GEN ? "gen" : m->kind == KIND_RING ? "ring" : "anon",
		       m->len, prot, r < 0 ? -errno : r);
		if (r == 0) {
			if (m->kind == KIND_GEN && m->trusted && (prot & PROT_WRITE))
				fail("mprotect made the generation page writable");
			m->prot = prot;
		}
		break;
	}
	default: {
		int adv = chance(50) ? MADV_DONTNEED : chance(50) ? MADV_DONTFORK :
			  MADV_DOFORK;

		r = madvise(m->addr, m->len, adv);
		record("madvise(%p, %zu, %d) = %ld", m->addr, m->len, adv,
		       r < 0 ? -errno : r);
		/* Zapped driver pages have no fault handler: SIGBUS on touch. */
		if (r == 0 && adv == MADV_DONTNEED && m->kind != KIND_ANON)
			m->zapped = 1;
		break;
	}
	}
	pthread_rwlock_unlock(&maps_lock);
	count(d, r);
}

/* Hostile reader: garbage over head/tail/mask and entries; touch memory. */
static void op_scribble(void)
{
	pthread_rwlock_rdlock(&maps_lock);
	for (int k = 0; k < 4; k++) {
		struct mapping *m = &maps[rn(NMAPS)];

		if (!m->addr || !(m->prot & PROT_READ) || m->zapped)
			continue;
		record("scribble %s %p+%zu prot %d", kind_name(m->kind), m->addr, m->len, m->prot);
		if (m->kind == KIND_GEN) {
			volatile __u64 *g = (volatile __u64 *)m->addr;
			(void)*g;
			continue;
		}
		if (!(m->prot & PROT_WRITE))
			continue;
		if (m->kind == KIND_ANON) {
			m->addr[rn(m->len)] = (char)rnd();
			continue;
		}
		struct watch_queue_meta *meta = (struct watch_queue_meta *)m->addr;

		for (int i = 0; i < 16; i++) {
			switch (rn(6)) {
			case 0:
				__atomic_store_n(&meta->tail, (uint32_t)rint64(), __ATOMIC_RELEASE);
				break;
			case 1:	/* a plausible reader: consume everything */
				__atomic_store_n(&meta->tail,
						 __atomic_load_n(&meta->head, __ATOMIC_ACQUIRE),
						 __ATOMIC_RELEASE);
				break;
			case 2:
				meta->head = (uint32_t)rint64();
				break;
			case 3:
				meta->mask = (uint32_t)rint64();
				break;
			default: {
				size_t off = rn(m->len / 8) * 8;

				*(volatile uint64_t *)(m->addr + off) = rnd();
				break;
			}
			}
		}
		atomic_fetch_add(&scribbles, 1);
	}
	pthread_rwlock_unlock(&maps_lock);
}

static void test_cmd(const char *fmt, ...)
{
	char cmd[200];
	va_list ap;
	ssize_t r;

	if (test_fd < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	r = write(test_fd, cmd, strlen(cmd));
	record("kchan_test \"%s\" = %zd", cmd, r < 0 ? -errno : r);
	atomic_fetch_add(&posts, 1);
}

/* Events from the kernel side, with boundary arguments. */
static void op_post(void)
{
	switch (rn(8)) {
	case 0:
	case 1:
		test_cmd("wq post %u %u %u %u %u", (unsigned int)rn(WATCH_TYPE_NR + 1),
			 (unsigned int)rn(257), (unsigned int)rn(65),
			 (unsigned int)rn(40), (unsigned int)rn(300));
		break;
	case 2:
		test_cmd("wq burst %u %u", (unsigned int)rn(200), 1 + (unsigned int)rn(63));
		break;
	case 3:
	case 4: {
		static const unsigned int sizes[] = { 0, 1, 7, 8, 9, 64, 200, 4096 };

		test_cmd("kue send %u %u %s", 1 + (unsigned int)rn(16),
			 sizes[rn(sizeof(sizes) / sizeof(sizes[0]))],
			 chance(50) ? "copy" : chance(50) ? "kfree" : "nocopy");
		break;
	}
	case 5:
		test_cmd("kue burst %u %u", 1 + (unsigned int)rn(8), (unsigned int)rn(256));
		break;
	case 6:
		test_cmd("kue recall %llu", (unsigned long long)(chance(50) ? rn(100000) : rint64()));
		break;
	default:
		if (chance(2))
			test_cmd("kue send 1 %u", chance(50) ? KUE_MAX_MSG_SIZE : KUE_MAX_MSG_SIZE + 1);
		else
			test_cmd("ummu stats");
		break;
	}
}

/* A forked child inherits fds (and ring mappings); it gets a few calls. */
static void op_fork(void)
{
	pid_t pid;

	if (!chance(15))
		return;
	pid = fork();
	if (pid < 0)
		return;
	if (pid == 0) {
		/* No locks here: other threads may have held them at fork. */
		my_hist = NULL;
		/* A mapping may be MADV_DONTFORK'd or not what its label says. */
		signal(SIGSEGV, SIG_DFL);
		signal(SIGBUS, SIG_DFL);
		alarm(20);
		for (int i = 0; i < 40; i++) {
			struct fdslot s = fds[rn(NSLOTS)];
			char buf[256];

			if (s.fd < 0)
				continue;
			switch (rn(6)) {
			case 0:
				(void)!read(s.fd, buf, sizeof(buf));
				break;
			case 1: {
				struct pollfd p = { .fd = s.fd, .events = POLLIN };

				(void)poll(&p, 1, 0);
				break;
			}
			case 2: {
				struct ummunotify_register_ioctl reg = {
					.start = (uintptr_t)buf, .end = (uintptr_t)buf + 64,
				};
				(void)ioctl(s.fd, UMMUNOTIFY_REGISTER_REGION, &reg);
				(void)ioctl(s.fd, IOC_WATCH_QUEUE_SET_SIZE, 1UL);
				break;
			}
			case 3: {
				void *p = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, s.fd, 0);

				if (p != MAP_FAILED)
					munmap(p, PAGE);
				break;
			}
			case 4: {
				struct mapping m = maps[rn(NMAPS)];

				/* Inherited ring: the child scribbles too. */
				if (m.addr && m.kind == KIND_RING && (m.prot & PROT_WRITE) && !m.zapped)
					((volatile uint32_t *)m.addr)[3 + rn(2)] = (uint32_t)rnd();
				break;
			}
			default:
				close(s.fd);
				break;
			}
		}
		_exit(0);
	}
	atomic_fetch_add(&forks, 1);
	record("fork() = %d", pid);
	/* Reaped by the main thread (waitpid(-1, WNOHANG)). */
}

/* ------------------------------------------------------------ threads */

static int done(void)
{
	if (atomic_load(&stop))
		return 1;
	for (int d = 0; d < DEV_NR; d++)
		if (want[d] && atomic_load(&calls[d]) < target)
			return 0;
	return 1;
}

static enum dev pick_dev(void)
{
	for (;;) {
		enum dev d = (enum dev)rn(DEV_NR);

		if (want[d])
			return d;
	}
}

static void *worker(void *arg)
{
	unsigned int id = (unsigned int)(uintptr_t)arg;
	sigset_t set;

	my_id = id;
	my_hist = &hists[id];
	rs = seed * 0x100000001b3ULL + id;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	while (!done()) {
		unsigned int w = (unsigned int)rn(100);

		if (w < 8)
			op_open(pick_dev());
		else if (w < 13)
			op_close();
		else if (w < 15)
			op_dup();
		else if (w < 30) {
			switch (pick_dev()) {
			case DEV_WQ:
				op_wq_ioctl();
				break;
			case DEV_UMMU:
				op_ummu_ioctl();
				break;
			default:
				op_kue_ioctl();
				break;
			}
		} else if (w < 36)
			op_bad_ioctl();
		else if (w < 50)
			op_read();
		else if (w < 54)
			op_write();
		else if (w < 62)
			op_poll();
		else if (w < 68)
			op_mmap();
		else if (w < 72)
			op_anon();
		else if (w < 79)
			op_vm();
		else if (w < 90)
			op_scribble();
		else if (w < 99)
			op_post();
		else
			op_fork();
	}
	atomic_store(&finished[id - 1], 1);
	return NULL;
}

static void usage(void)
{
	fprintf(stderr, "usage: kchan_fuzz [--seed N] [--calls N] [--threads N] "
		"[--device wq,ummu,kue] [--history N] [--verbose]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { 0 };
	struct timespec t0, t1;
	int have_seed = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--seed") && v) {
			seed = strtoull(v, NULL, 0);
			have_seed = 1;
			i++;
		} else if (!strcmp(a, "--calls") && v) {
			target = strtoul(v, NULL, 0);
			i++;
		} else if (!strcmp(a, "--threads") && v) {
			nthreads = (unsigned int)strtoul(v, NULL, 0);
			i++;
		} else if (!strcmp(a, "--history") && v) {
			history_len = (unsigned int)strtoul(v, NULL, 0);
			i++;
		} else if (!strcmp(a, "--device") && v) {
			for (int d = 0; d < DEV_NR; d++)
				want[d] = strstr(v, dev_name[d]) != NULL;
			i++;
		} else if (!strcmp(a, "--verbose")) {
			verbose = 1;
		} else {
			usage();
		}
	}
	if (!nthreads || nthreads > MAX_THREADS || !history_len)
		usage();
	if (!have_seed) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		seed = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)getpid();
	}
	printf("kchan_fuzz: seed %" PRIu64 " threads %u calls/device %lu devices%s%s%s\n",
	       seed, nthreads, target, want[DEV_WQ] ? " wq" : "",
	       want[DEV_UMMU] ? " ummu" : "", want[DEV_KUE] ? " kue" : "");
	fflush(stdout);

	for (unsigned int t = 0; t <= nthreads; t++)
		hists[t].lines = calloc(history_len, sizeof(hists[t].lines[0]));
	for (int i = 0; i < NSLOTS; i++)
		fds[i].fd = -1;
	/* Don't let ring charges hit RLIMIT_MEMLOCK every time. */
	struct rlimit rl = { 64 << 20, 64 << 20 };

	setrlimit(RLIMIT_MEMLOCK, &rl);

	sa.sa_sigaction = on_fatal;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	sa.sa_flags = 0;
	sa.sa_handler = on_kick;	/* no SA_RESTART: blocking reads get EINTR */
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	test_fd = open("/dev/kchan_test", O_RDWR | O_CLOEXEC);
	if (test_fd < 0)
		fprintf(stderr, "kchan_fuzz: no /dev/kchan_test (%s): no kernel-side posts\n",
			strerror(errno));

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned int t = 1; t <= nthreads; t++)
		pthread_create(&threads[t - 1], NULL, worker, (void *)(uintptr_t)t);

	/* Main: reap children, kick blocked readers, report progress. */
	my_id = 0;
	unsigned long ticks = 0;

	while (!done()) {
		usleep(50000);
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		for (unsigned int t = 0; t < nthreads; t++)
			pthread_kill(threads[t], SIGUSR1);
		if (++ticks % 200 == 0)
			printf("kchan_fuzz: progress wq %lu ummu %lu kue %lu\n",
			       atomic_load(&calls[DEV_WQ]), atomic_load(&calls[DEV_UMMU]),
			       atomic_load(&calls[DEV_KUE]));
		fflush(stdout);
	}
	/*
	 * Wait for the workers by their own flag, not pthread_join(): a join
	 * waits for the kernel to clear the thread's tid word at exit, and a
	 * tryjoin loop retried threads it had already joined (undefined). Kick
	 * the ones still in a blocking call; give up loudly after 60 s.
	 */
	for (unsigned int waited = 0;; waited++) {
		int running = 0;

		for (unsigned int t = 0; t < nthreads; t++)
			if (!atomic_load(&finished[t])) {
				pthread_kill(threads[t], SIGUSR1);
				running = 1;
			}
		if (!running)
			break;
		if (waited == 3000) {
			fprintf(stderr, "kchan_fuzz: workers still running 60 s after the last call:");
			for (unsigned int t = 0; t < nthreads; t++)
				if (!atomic_load(&finished[t]))
					fprintf(stderr, " %u", t + 1);
			fprintf(stderr, "\n");
			dump_history();
			_exit(3);
		}
		usleep(20000);
	}
	while (waitpid(-1, NULL, 0) > 0)
		;
	for (int i = 0; i < NSLOTS; i++)
		if (fds[i].fd >= 0)
			close(fds[i].fd);
	for (int i = 0; i < NMAPS; i++)
		if (maps[i].addr)
			munmap(maps[i].addr, maps[i].len);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("kchan_fuzz: done seed %" PRIu64 " in %.1f s: calls wq %lu ummu %lu kue %lu "
	       "(errors %lu/%lu/%lu), forks %lu, scribbles %lu, kchan_test posts %lu\n",
	       seed, (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9,
	       atomic_load(&calls[DEV_WQ]), atomic_load(&calls[DEV_UMMU]),
	       atomic_load(&calls[DEV_KUE]), atomic_load(&errs[DEV_WQ]),
	       atomic_load(&errs[DEV_UMMU]), atomic_load(&errs[DEV_KUE]),
	       atomic_load(&forks), atomic_load(&scribbles), atomic_load(&posts));
	return 0;
}
