// SPDX-License-Identifier: GPL-2.0
/*
 * kchan_load: load, loss-accounting and leak-cycle checks for the three
 * devices, run as root in the test VM (node vm/run.mjs stress). Needs
 * kchan_stress.ko (/dev/kchan_stress) for posters on every CPU.
 *
 *   kchan_load wq   [--rings N] [--rounds N] [--per-cpu N] [--slots N] [--procs N]
 *       N rings (1 page each) watch WATCH_TYPE_KAPI; reader threads drain
 *       them while kchan_stress posts from every CPU at once and --procs
 *       processes post "wq burst" through /dev/kchan_test. Every ring must
 *       account for every post: entries read + losses reported in-band ==
 *       posts made during its life.
 *   kue  [--readers N] [--rounds N] [--per-cpu N] [--size N]
 *       a steady reader checks seq continuity (each gap == the lost count
 *       of the next record) and read + lost == sent; N churning readers
 *       open, read a little and close while every CPU sends. Afterwards
 *       every accepted message got exactly one callback.
 *   ummu [--threads N] [--iters N]
 *       threads map, register, invalidate (munmap / mprotect / MADV_DONTNEED)
 *       and unmap memory in parallel; a reader drains events. Every region
 *       invalidated while registered must show up as an INVAL event (within
 *       10 s); then its thread unregisters it.
 *   cycles [--n N] [--regions N]
 *       N open/size/map/close cycles per device and N region
 *       register/unregister cycles (as an unprivileged user, so ring pages
 *       are charged to RLIMIT_MEMLOCK); then the locked-memory charge, the
 *       live region/context counts and kernel slab usage must be back where
 *       they started (SUnreclaim within --slab-tolerance kB, default 512).
 *   unload [--rounds N]
 *       with fds, mappings, regions and queued messages (some NOCOPY from
 *       kchan_test): rmmod kchan is refused while anything uses it,
 *       rmmod kchan_test recalls its messages safely, and after the last
 *       munmap rmmod kchan works and insmod brings both modules back.
 *       Then kchan.ko loaded with kue_gid: /dev/kue opens only for a
 *       member of that group.
 *       Run it in its own VM boot: it reloads the modules.
 *   init-faults [--max N]
 *       module init under allocation failure (a kernel with fault
 *       injection: /proc/self/fail-nth; skipped elsewhere): with both
 *       modules unloaded, load kchan.ko with its n-th allocation failing,
 *       n = 1, 2, ... until a load makes fewer than n allocations. A failed
 *       load must leave no module and no device node, a load that absorbed
 *       the failure must work; then both modules are loaded again and work,
 *       and open() of /dev/ummunotify as nobody (a context that charges its
 *       user) meets each of its allocations failing in turn.
 *       The kernel's reports of failed allocations are expected: it leaves
 *       "alloc-faults" in $KCHAN_VM_RESULTS for the harness. Own boot too.
 *
 * Exit status 0 = all assertions held; 1 = a violation (printed).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
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
#define STRESS_MAGIC 0x6b636873

static int failures;

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "kchan_load: FAIL %s:%d: ", __FILE__, __LINE__); \
		fprintf(stderr, __VA_ARGS__);				\
		fprintf(stderr, "\n");					\
		failures++;						\
	}								\
} while (0)

static void die(const char *what)
{
	fprintf(stderr, "kchan_load: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long opt(int argc, char **argv, const char *name, long dflt)
{
	for (int i = 2; i + 1 < argc; i++)
		if (!strcmp(argv[i], name))
			return strtol(argv[i + 1], NULL, 0);
	return dflt;
}

static void cmd(const char *dev, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void cmd(const char *dev, const char *fmt, ...)
{
	char buf[128];
	va_list ap;
	int fd = open(dev, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		die(dev);
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (write(fd, buf, strlen(buf)) < 0) {
		fprintf(stderr, "kchan_load: %s \"%s\": %s\n", dev, buf, strerror(errno));
		exit(1);
	}
	close(fd);
}

/* Read a "k=v k=v" status line and return the value of @key. */
static long status(const char *dev, const char *key)
{
	char buf[512], *p;
	int fd = open(dev, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		die(dev);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		die("status read");
	buf[n] = 0;
	for (p = buf; (p = strstr(p, key)); p++) {
		if ((p == buf || p[-1] == ' ') && p[strlen(key)] == '=')
			return strtol(p + strlen(key) + 1, NULL, 10);
	}
	fprintf(stderr, "kchan_load: no %s in \"%s\"\n", key, buf);
	exit(1);
}

/* Run a /dev/kchan_test command and return @key of its status line. */
static long test_status(const char *command, const char *key)
{
	char buf[512], *p;
	int fd = open("/dev/kchan_test", O_RDWR | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		die("/dev/kchan_test");
	if (write(fd, command, strlen(command)) < 0)
		die(command);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	if (n < 0)
		die("kchan_test status");
	buf[n] = 0;
	for (p = buf; (p = strstr(p, key)); p++)
		if ((p == buf || p[-1] == ' ') && p[strlen(key)] == '=')
			return strtol(p + strlen(key) + 1, NULL, 10);
	fprintf(stderr, "kchan_load: no %s in \"%s\"\n", key, buf);
	exit(1);
}

static long stress_status(const char *key)
{
	return status("/dev/kchan_stress", key);
}

/* ================================================================ wq */

struct ring {
	int fd;
	char *mem;
	size_t len;
	uint32_t tail;
	uint64_t entries, lost, skips, losses;
	pthread_mutex_t lock;
};

/* Drain one ring; returns the number of entries consumed. */
static unsigned long drain_ring(struct ring *r)
{
	struct watch_queue_meta *meta = (struct watch_queue_meta *)r->mem;
	uint32_t mask = (uint32_t)(r->len / WATCH_QUEUE_SLOT_SIZE - 1);
	unsigned long n = 0;
	uint32_t head, t;

	pthread_mutex_lock(&r->lock);
	t = r->tail;
	head = __atomic_load_n(&meta->head, __ATOMIC_ACQUIRE);
	CHECK(head - t <= mask + 1, "ring head %u tail %u: more than the ring", head, t);
	while (t != head) {
		struct watch_notification *w =
			(struct watch_notification *)(r->mem + (size_t)(t & mask) * 8);
		uint32_t word0, type, sub, len;

		memcpy(&word0, w, 4);
		type = word0 & WATCH_NOTIFICATION_TYPE__MASK;
		sub = (word0 & WATCH_NOTIFICATION_SUBTYPE__MASK) >> WATCH_NOTIFICATION_SUBTYPE__SHIFT;
		len = (w->info & WATCH_INFO_LENGTH) >> WATCH_INFO_LENGTH__SHIFT;
		if (len == 0 || (t & mask) + len > mask + 1) {
			CHECK(0, "bad entry at %u: type %u len %u", t & mask, type, len);
			t = head;
			break;
		}
		if (type == WATCH_TYPE_META && sub == WATCH_META_SKIP_NOTIFICATION) {
			r->skips++;
		} else if (type == WATCH_TYPE_META && sub == WATCH_META_LOSS_NOTIFICATION) {
			uint64_t lost;

			memcpy(&lost, (char *)w + 8, 8);
			CHECK(lost > 0, "loss entry with count 0");
			r->lost += lost;
			r->losses++;
		} else if (type == WATCH_TYPE_KAPI) {
			r->entries++;
			n++;
		} else {
			CHECK(type == WATCH_TYPE_META, "unexpected entry type %u", type);
		}
		t += len;
	}
	r->tail = t;
	__atomic_store_n(&meta->tail, t, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&r->lock);
	return n;
}

static struct ring *rings;
static int nrings;
static atomic_int wq_stop;

static void *wq_reader(void *arg)
{
	long id = (long)arg;

	while (!atomic_load(&wq_stop)) {
		unsigned long got = 0;

		for (int i = (int)id; i < nrings; i += 2)
			got += drain_ring(&rings[i]);
		if (!got) {
			struct pollfd p = { .fd = rings[id % nrings].fd, .events = POLLIN };

			poll(&p, 1, 5);
		}
	}
	return NULL;
}

static int run_wq(int argc, char **argv)
{
	int rounds = (int)opt(argc, argv, "--rounds", 20);
	int per_cpu = (int)opt(argc, argv, "--per-cpu", 500);
	int slots = (int)opt(argc, argv, "--slots", 4);
	int procs = (int)opt(argc, argv, "--procs", 3);
	long posts0, posts1, bursts = 0;
	pthread_t rd[2];
	double t0 = now();

	nrings = (int)opt(argc, argv, "--rings", 8);
	rings = calloc(nrings, sizeof(*rings));
	for (int i = 0; i < nrings; i++) {
		struct watch_queue_watch w = { .type = WATCH_TYPE_KAPI, .id = (uint32_t)i };
		struct ring *r = &rings[i];
		unsigned long pages = 1UL << (i % 3);

		r->fd = open("/dev/watch_queue", O_RDWR | O_CLOEXEC);
		if (r->fd < 0)
			die("open /dev/watch_queue");
		if (ioctl(r->fd, IOC_WATCH_QUEUE_SET_SIZE, pages) < 0)
			die("SET_SIZE");
		r->len = pages * PAGE;
		r->mem = mmap(NULL, r->len, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
		if (r->mem == MAP_FAILED)
			die("mmap ring");
		r->tail = ((struct watch_queue_meta *)r->mem)->tail;
		pthread_mutex_init(&r->lock, NULL);
		if (ioctl(r->fd, IOC_WATCH_QUEUE_ADD_WATCH, &w) < 0)
			die("ADD_WATCH");
	}
	posts0 = stress_status("wq_posts");
	for (long i = 0; i < 2; i++)
		pthread_create(&rd[i], NULL, wq_reader, (void *)i);

	/* kchan_test posters in other processes, concurrent with every CPU. */
	int pipefd[2];

	if (pipe(pipefd) < 0)
		die("pipe");
	for (int p = 0; p < procs; p++) {
		if (fork() == 0) {
			long n = 0;
			int fd = open("/dev/kchan_test", O_RDWR | O_CLOEXEC);

			for (int k = 0; k < rounds; k++) {
				const char *c = "wq burst 200 2";

				if (write(fd, c, strlen(c)) == (ssize_t)strlen(c))
					n += 200;
			}
			if (write(pipefd[1], &n, sizeof(n)) != sizeof(n))
				_exit(1);
			_exit(0);
		}
	}
	for (int k = 0; k < rounds; k++)
		cmd("/dev/kchan_stress", "wq %d %d", per_cpu, slots);
	for (int p = 0; p < procs; p++) {
		long n;

		if (read(pipefd[0], &n, sizeof(n)) == sizeof(n))
			bursts += n;
		wait(NULL);
	}
	/* Let the readers catch up, then one marker post flushes pending losses. */
	usleep(200000);
	cmd("/dev/kchan_stress", "wq 1 1");
	usleep(200000);
	atomic_store(&wq_stop, 1);
	for (int i = 0; i < 2; i++)
		pthread_join(rd[i], NULL);
	for (int i = 0; i < nrings; i++)
		drain_ring(&rings[i]);
	posts1 = stress_status("wq_posts");

	long expect = posts1 - posts0 + bursts;
	uint64_t all_entries = 0, all_lost = 0;

	for (int i = 0; i < nrings; i++) {
		struct ring *r = &rings[i];

		CHECK(r->entries + r->lost == (uint64_t)expect,
		      "ring %d (%zu pages): read %" PRIu64 " + lost %" PRIu64 " != posted %ld",
		      i, r->len / PAGE, r->entries, r->lost, expect);
		all_entries += r->entries;
		all_lost += r->lost;
		munmap(r->mem, r->len);
		close(r->fd);
	}
	printf("kchan_load wq: %d rings, %ld posts each (every CPU x %d x %d rounds + %ld kchan_test bursts from %d procs): "
	       "read %" PRIu64 ", lost (reported in-band) %" PRIu64 ", %.1f s\n",
	       nrings, expect, per_cpu, rounds, bursts, procs, all_entries, all_lost, now() - t0);
	return failures ? 1 : 0;
}

/* ================================================================ kue */

static atomic_int kue_stop;
static atomic_ulong churn_opens, churn_msgs;

static int check_records(const char *buf, ssize_t n, uint64_t *last_seq,
			 uint64_t *got, uint64_t *lost)
{
	ssize_t off = 0;

	while (off < n) {
		struct kue_msg_hdr h;

		if (n - off < (ssize_t)sizeof(h)) {
			CHECK(0, "kue: partial header");
			return -1;
		}
		memcpy(&h, buf + off, sizeof(h));
		CHECK(off + (ssize_t)sizeof(h) + (ssize_t)h.size <= n, "kue: record past read end");
		CHECK(!!(h.flags & KUE_MSG_FLAG_LOST) == !!h.lost, "kue: LOST flag %u vs lost %u",
		      h.flags, h.lost);
		if (last_seq) {
			if (*last_seq)
				CHECK(h.seq - *last_seq - 1 == h.lost,
				      "kue: seq %" PRIu64 " after %" PRIu64 " but lost %u",
				      (uint64_t)h.seq, *last_seq, h.lost);
			*last_seq = h.seq;
		}
		(*got)++;
		*lost += h.lost;
		off += (sizeof(h) + h.size + KUE_RECORD_ALIGN - 1) & ~(KUE_RECORD_ALIGN - 1);
	}
	return 0;
}

static void *kue_churn(void *arg)
{
	unsigned int s = (unsigned int)(uintptr_t)arg;
	char *buf = malloc(1 << 17);

	while (!atomic_load(&kue_stop)) {
		int fd = open("/dev/kue", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		int reads = rand_r(&s) % 8;

		if (fd < 0) {
			CHECK(0, "open /dev/kue: %s", strerror(errno));
			break;
		}
		atomic_fetch_add(&churn_opens, 1);
		for (int i = 0; i < reads; i++) {
			uint64_t got = 0, lost = 0;
			size_t sz = 1 + rand_r(&s) % (1 << 17);
			ssize_t n = read(fd, buf, sz);

			if (n > 0)
				check_records(buf, n, NULL, &got, &lost);
			else
				CHECK(errno == EAGAIN || errno == EFBIG, "kue churn read: %s",
				      strerror(errno));
			atomic_fetch_add(&churn_msgs, got);
		}
		close(fd);
	}
	free(buf);
	return NULL;
}

static int run_kue(int argc, char **argv)
{
	int readers = (int)opt(argc, argv, "--readers", 8);
	int rounds = (int)opt(argc, argv, "--rounds", 20);
	int per_cpu = (int)opt(argc, argv, "--per-cpu", 300);
	int size = (int)opt(argc, argv, "--size", 200);
	pthread_t *th = calloc(readers, sizeof(*th));
	uint64_t last = 0, got = 0, lost = 0;
	char *buf = malloc(1 << 20);
	long sent0, sent1, failed;
	double t0 = now();
	int steady;

	kue_stop = 0;
	steady = open("/dev/kue", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (steady < 0)
		die("open /dev/kue");
	sent0 = stress_status("kue_sent");
	for (int i = 0; i < readers; i++)
		pthread_create(&th[i], NULL, kue_churn, (void *)(uintptr_t)(i + 1));
	for (int k = 0; k < rounds; k++) {
		cmd("/dev/kchan_stress", "kue %d %d", per_cpu, size);
		/* The steady reader reads only every other round: it falls behind. */
		for (int j = 0; j < (k & 1) * 1000; j++) {
			ssize_t n = read(steady, buf, 1 << 20);

			if (n <= 0)
				break;
			check_records(buf, n, &last, &got, &lost);
		}
	}
	atomic_store(&kue_stop, 1);
	for (int i = 0; i < readers; i++)
		pthread_join(th[i], NULL);
	cmd("/dev/kchan_stress", "kue 1 8");	/* flushes pending losses */
	for (;;) {
		ssize_t n = read(steady, buf, 1 << 20);

		if (n <= 0) {
			CHECK(errno == EAGAIN, "steady read: %s", strerror(errno));
			break;
		}
		check_records(buf, n, &last, &got, &lost);
	}
	sent1 = stress_status("kue_sent");
	failed = stress_status("kue_failed");
	CHECK(got + lost == (uint64_t)(sent1 - sent0),
	      "kue steady reader: read %" PRIu64 " + lost %" PRIu64 " != sent %ld", got, lost,
	      sent1 - sent0);
	struct kue_info info;

	CHECK(ioctl(steady, KUE_IOC_INFO, &info) == 0, "KUE_IOC_INFO");
	CHECK(info.lost == lost, "KUE_IOC_INFO lost %" PRIu64 " != reported %" PRIu64,
	      (uint64_t)info.lost, lost);
	close(steady);
	/* Every accepted message gets exactly one callback once no fd is open. */
	long sum = 0, accepted = 0;

	for (int tries = 0; tries < 100; tries++) {
		cmd("/dev/kchan_stress", "kuecount");
		accepted = stress_status("kue_sent");
		sum = stress_status("cb_delivered") + stress_status("cb_dropped") +
		      stress_status("cb_recalled");
		if (sum == accepted)
			break;
		usleep(50000);
	}
	CHECK(sum == accepted, "kue callbacks %ld != accepted messages %ld", sum, accepted);
	printf("kue: steady reader read %" PRIu64 " + lost %" PRIu64 " of %ld sent; %d churning readers: %lu opens, %lu msgs; "
	       "send failures %ld; callbacks delivered %ld dropped %ld; %.1f s\n",
	       got, lost, sent1 - sent0, readers, atomic_load(&churn_opens),
	       atomic_load(&churn_msgs), failed, stress_status("cb_delivered"),
	       stress_status("cb_dropped"), now() - t0);
	free(buf);
	return failures ? 1 : 0;
}

/* ================================================================ ummu */

static int ummu_fd;
static atomic_int ummu_stop;
static unsigned char *seen;		/* cookie -> INVAL seen */
static unsigned char *invalidated;	/* cookie -> invalidated while registered */
static long ummu_iters;
static atomic_ulong ummu_events;

static void *ummu_reader(void *arg)
{
	struct ummunotify_event ev[64];

	(void)arg;
	for (;;) {
		ssize_t n = read(ummu_fd, ev, sizeof(ev));

		if (n < 0) {
			if (errno == EAGAIN) {
				if (atomic_load(&ummu_stop) == 2)
					break;
				struct pollfd p = { .fd = ummu_fd, .events = POLLIN };

				poll(&p, 1, 5);
				continue;
			}
			CHECK(0, "ummunotify read: %s", strerror(errno));
			break;
		}
		CHECK(n % sizeof(ev[0]) == 0, "ummunotify read %zd: not whole events", n);
		for (size_t i = 0; i < n / sizeof(ev[0]); i++) {
			if (ev[i].type == UMMUNOTIFY_EVENT_TYPE_INVAL) {
				uint64_t c = ev[i].user_cookie_counter;

				CHECK(c < (uint64_t)ummu_iters, "INVAL for unknown cookie %" PRIu64, c);
				if (c < (uint64_t)ummu_iters)
					__atomic_store_n(&seen[c], 1, __ATOMIC_RELAXED);
				atomic_fetch_add(&ummu_events, 1);
			}
		}
	}
	return NULL;
}

struct ummu_arg {
	long first, n;
};

static void *ummu_worker(void *arg)
{
	struct ummu_arg *a = arg;
	unsigned int s = (unsigned int)a->first + 7;

	for (long c = a->first; c < a->first + a->n; c++) {
		size_t len = (1 + rand_r(&s) % 4) * PAGE;
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		struct ummunotify_register_ioctl reg = {
			.start = (uintptr_t)p, .end = (uintptr_t)p + len, .user_cookie = (uint64_t)c,
		};

		if (p == MAP_FAILED)
			die("mmap");
		memset(p, 1, len);
		if (ioctl(ummu_fd, UMMUNOTIFY_REGISTER_REGION, &reg) < 0) {
			CHECK(0, "REGISTER: %s", strerror(errno));
			continue;
		}
		switch (rand_r(&s) % 3) {
		case 0:
			munmap(p, len);
			p = NULL;
			break;
		case 1:
			mprotect(p, len, PROT_READ);	/* write-protect: invalidates */
			break;
		default:
			madvise(p, len, MADV_DONTNEED);
			break;
		}
		invalidated[c] = 1;
		if (p)
			munmap(p, len);
		/*
		 * Wait (up to 10 s) for the reader to see the event, then
		 * unregister: live regions stay ~ one per thread, so an
		 * invalidation does not hit thousands of stale regions.
		 */
		for (int w = 0; w < 10000 && !__atomic_load_n(&seen[c], __ATOMIC_RELAXED); w++)
			usleep(1000);
		uint64_t cookie = (uint64_t)c;

		if (ioctl(ummu_fd, UMMUNOTIFY_UNREGISTER_REGION, &cookie) < 0)
			CHECK(0, "UNREGISTER %ld: %s", c, strerror(errno));
	}
	return NULL;
}

static int run_ummu(int argc, char **argv)
{
	int threads = (int)opt(argc, argv, "--threads", 4);
	long per = opt(argc, argv, "--iters", 2000);
	pthread_t rd, th[64];
	struct ummu_arg args[64];
	double t0 = now();
	long missing = 0, inval = 0;

	if (threads > 64)
		threads = 64;
	ummu_iters = per * threads;
	seen = calloc(ummu_iters, 1);
	invalidated = calloc(ummu_iters, 1);
	ummu_fd = open("/dev/ummunotify", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (ummu_fd < 0)
		die("open /dev/ummunotify");
	pthread_create(&rd, NULL, ummu_reader, NULL);
	for (int i = 0; i < threads; i++) {
		args[i] = (struct ummu_arg){ i * per, per };
		pthread_create(&th[i], NULL, ummu_worker, &args[i]);
	}
	for (int i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	atomic_store(&ummu_stop, 2);
	pthread_join(rd, NULL);
	for (long c = 0; c < ummu_iters; c++) {
		if (invalidated[c]) {
			inval++;
			if (!seen[c])
				missing++;
		}
	}
	CHECK(missing == 0, "%ld of %ld invalidated regions never got an INVAL event", missing, inval);
	close(ummu_fd);
	printf("kchan_load ummu: %d threads, %ld regions registered and invalidated, %lu INVAL events, %ld missing, %.1f s\n",
	       threads, inval, atomic_load(&ummu_events), missing, now() - t0);
	return failures ? 1 : 0;
}

/* ================================================================ cycles */

static long meminfo(const char *key)
{
	char line[256];
	FILE *f = fopen("/proc/meminfo", "r");
	long v = -1;

	if (!f)
		die("/proc/meminfo");
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)) && line[strlen(key)] == ':')
			v = strtol(line + strlen(key) + 1, NULL, 10);
	fclose(f);
	return v;
}

static void settle(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);

	sync();
	if (fd >= 0) {
		(void)!write(fd, "3", 1);
		close(fd);
	}
	/* kue retire work, RCU-freed objects, per-cpu slab caches. */
	cmd("/dev/kchan_test", "kue count");
	usleep(300000);
}

/* Runs as an unprivileged user: ring pages are charged to RLIMIT_MEMLOCK. */
static int cycles_child(long n, long limit_pages)
{
	struct rlimit rl = { limit_pages * PAGE, limit_pages * PAGE };
	int fd, big;

	if (setrlimit(RLIMIT_MEMLOCK, &rl) < 0 || setgid(65534) < 0 || setuid(65534) < 0)
		die("drop privileges");
	for (long i = 0; i < n; i++) {
		unsigned long pages = 1UL << (i % 3);
		void *p;

		fd = open("/dev/watch_queue", O_RDWR | O_CLOEXEC);
		if (fd < 0)
			die("open /dev/watch_queue");
		if (ioctl(fd, IOC_WATCH_QUEUE_SET_SIZE, pages) < 0)
			die("SET_SIZE (charge leaked?)");
		p = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED)
			die("mmap ring");
		if (i & 1) {	/* close before munmap: the mapping keeps the ring */
			close(fd);
			munmap(p, pages * PAGE);
		} else {
			munmap(p, pages * PAGE);
			close(fd);
		}
	}
	/* The whole limit must still be available, and not a page more. */
	fd = open("/dev/watch_queue", O_RDWR | O_CLOEXEC);
	big = open("/dev/watch_queue", O_RDWR | O_CLOEXEC);
	if (ioctl(fd, IOC_WATCH_QUEUE_SET_SIZE, (unsigned long)limit_pages) < 0) {
		fprintf(stderr, "kchan_load: FAIL: %ld pages no longer fit RLIMIT_MEMLOCK after %ld cycles: %s\n",
			limit_pages, n, strerror(errno));
		_exit(1);
	}
	if (ioctl(big, IOC_WATCH_QUEUE_SET_SIZE, 1UL) == 0) {
		fprintf(stderr, "kchan_load: FAIL: RLIMIT_MEMLOCK not enforced\n");
		_exit(1);
	}
	_exit(0);
}

static int run_cycles(int argc, char **argv)
{
	long n = opt(argc, argv, "--n", 10000);
	long nreg = opt(argc, argv, "--regions", 100000);
	long slab_tolerance = opt(argc, argv, "--slab-tolerance", 512);
	long slab0, slab1, regions0, contexts0;
	double t0 = now(), t;
	int status_;
	char *mem;
	pid_t pid;

	settle();
	slab0 = meminfo("SUnreclaim");
	regions0 = test_status("ummu stats", "regions");
	contexts0 = test_status("ummu stats", "contexts");

	/* watch_queue, unprivileged, charged. */
	pid = fork();
	if (pid == 0)
		cycles_child(n, 8);
	waitpid(pid, &status_, 0);
	CHECK(WIFEXITED(status_) && WEXITSTATUS(status_) == 0, "watch_queue cycles failed");
	t = now();
	printf("kchan_load cycles: watch_queue %ld open/size/map/close cycles (unprivileged, RLIMIT_MEMLOCK 8 pages): %.1f s\n",
	       n, t - t0);

	/* ummunotify: open, map the generation page, register, close. */
	mem = mmap(NULL, 16 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	for (long i = 0; i < n; i++) {
		int fd = open("/dev/ummunotify", O_RDONLY | O_CLOEXEC);
		struct ummunotify_register_ioctl reg = {
			.start = (uintptr_t)mem, .end = (uintptr_t)mem + 16 * PAGE, .user_cookie = 1,
		};
		void *g;

		if (fd < 0)
			die("open /dev/ummunotify");
		g = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0);
		CHECK(g != MAP_FAILED, "map generation page: %s", strerror(errno));
		CHECK(ioctl(fd, UMMUNOTIFY_REGISTER_REGION, &reg) == 0, "REGISTER: %s", strerror(errno));
		if (i & 1) {
			close(fd);
			if (g != MAP_FAILED)
				munmap(g, PAGE);
		} else {
			if (g != MAP_FAILED)
				munmap(g, PAGE);
			close(fd);
		}
	}
	printf("kchan_load cycles: ummunotify %ld open/map/register/close cycles: %.1f s\n", n, now() - t);
	t = now();

	/* kue: open, info, read, close, with messages flowing. */
	for (long i = 0; i < n; i++) {
		int fd = open("/dev/kue", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		struct kue_info info;
		char buf[256];

		if (fd < 0)
			die("open /dev/kue");
		CHECK(ioctl(fd, KUE_IOC_INFO, &info) == 0, "KUE_IOC_INFO");
		if (i % 100 == 0)
			cmd("/dev/kchan_test", "kue send 4 64");
		(void)!read(fd, buf, sizeof(buf));
		close(fd);
	}
	printf("kchan_load cycles: kue %ld open/info/read/close cycles: %.1f s\n", n, now() - t);
	t = now();

	/* 100 k register/unregister cycles on one fd. */
	int fd = open("/dev/ummunotify", O_RDONLY | O_CLOEXEC);

	for (long i = 0; i < nreg; i++) {
		struct ummunotify_register_ioctl reg = {
			.start = (uintptr_t)mem + (i % 16) * PAGE,
			.end = (uintptr_t)mem + (i % 16 + 1) * PAGE,
			.user_cookie = (uint64_t)i,
		};
		uint64_t c = (uint64_t)i;

		if (ioctl(fd, UMMUNOTIFY_REGISTER_REGION, &reg) < 0 ||
		    ioctl(fd, UMMUNOTIFY_UNREGISTER_REGION, &c) < 0) {
			CHECK(0, "register/unregister %ld: %s", i, strerror(errno));
			break;
		}
	}
	/* And 10 k left registered at close. */
	for (long i = 0; i < n; i++) {
		struct ummunotify_register_ioctl reg = {
			.start = (uintptr_t)mem, .end = (uintptr_t)mem + PAGE,
			.user_cookie = (uint64_t)(nreg + i),
		};

		CHECK(ioctl(fd, UMMUNOTIFY_REGISTER_REGION, &reg) == 0, "REGISTER: %s", strerror(errno));
	}
	close(fd);
	munmap(mem, 16 * PAGE);
	printf("kchan_load cycles: ummunotify %ld register/unregister cycles + %ld left at close: %.1f s\n",
	       nreg, n, now() - t);

	settle();
	slab1 = meminfo("SUnreclaim");
	long regions1 = test_status("ummu stats", "regions");
	long contexts1 = test_status("ummu stats", "contexts");

	CHECK(regions1 == regions0, "live ummunotify regions %ld -> %ld", regions0, regions1);
	CHECK(contexts1 == contexts0, "live ummunotify contexts %ld -> %ld", contexts0, contexts1);
	/*
	 * Unreclaimable slab may wobble (per-cpu caches, RCU); a leak of one
	 * object per cycle would be >= 10 k objects, hundreds of KB. Under
	 * KASAN the quarantine keeps freed objects in slab (up to 1/32 of
	 * memory), so there --slab-tolerance is large and kmemleak decides.
	 */
	CHECK(slab1 - slab0 < slab_tolerance, "SUnreclaim grew %ld kB -> %ld kB (tolerance %ld kB)",
	      slab0, slab1, slab_tolerance);
	printf("kchan_load cycles: SUnreclaim %ld kB -> %ld kB (%+ld), regions %ld -> %ld, contexts %ld -> %ld, %.1f s total\n",
	       slab0, slab1, slab1 - slab0, regions0, regions1, contexts0, contexts1, now() - t0);
	return failures ? 1 : 0;
}

/* ================================================================ unload */

static int sh(const char *c)
{
	int r = system(c);

	printf("kchan_load unload: $ %s -> %d\n", c, WIFEXITED(r) ? WEXITSTATUS(r) : -1);
	return WIFEXITED(r) ? WEXITSTATUS(r) : -1;
}

static int loaded(const char *mod)
{
	char line[256];
	FILE *f = fopen("/proc/modules", "r");
	int found = 0;

	if (!f)
		die("/proc/modules");
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, mod, strlen(mod)) && line[strlen(mod)] == ' ')
			found = 1;
	fclose(f);
	return found;
}

/* Open every device, map, register, queue; read back one wq entry. */
struct held {
	int wq, ummu, kue;
	void *ring, *gen, *mem;
};

static void hold(struct held *h)
{
	struct watch_queue_watch w = { .type = WATCH_TYPE_KAPI, .id = 1 };
	struct ummunotify_register_ioctl reg;

	h->wq = open("/dev/watch_queue", O_RDWR | O_CLOEXEC);
	h->ummu = open("/dev/ummunotify", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	h->kue = open("/dev/kue", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (h->wq < 0 || h->ummu < 0 || h->kue < 0)
		die("open devices");
	if (ioctl(h->wq, IOC_WATCH_QUEUE_SET_SIZE, 1UL) < 0 ||
	    ioctl(h->wq, IOC_WATCH_QUEUE_ADD_WATCH, &w) < 0)
		die("wq setup");
	h->ring = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, h->wq, 0);
	h->gen = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, h->ummu, 0);
	h->mem = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (h->ring == MAP_FAILED || h->gen == MAP_FAILED || h->mem == MAP_FAILED)
		die("mmap");
	reg = (struct ummunotify_register_ioctl){
		.start = (uintptr_t)h->mem, .end = (uintptr_t)h->mem + PAGE, .user_cookie = 9,
	};
	if (ioctl(h->ummu, UMMUNOTIFY_REGISTER_REGION, &reg) < 0)
		die("REGISTER");
	cmd("/dev/kchan_test", "wq burst 3 2");
	cmd("/dev/kchan_test", "kue send 4 64 nocopy");
	cmd("/dev/kchan_test", "kue send 4 64 kfree");
	struct watch_queue_meta *meta = h->ring;

	CHECK(__atomic_load_n(&meta->head, __ATOMIC_ACQUIRE) - meta->tail == 3 * 2,
	      "ring holds %u slots, want 6", meta->head - meta->tail);
}

/* Close and unmap what hold() made. */
static void unhold(struct held *h)
{
	close(h->wq);
	close(h->ummu);
	close(h->kue);
	munmap(h->ring, PAGE);
	munmap(h->gen, PAGE);
	munmap(h->mem, PAGE);
}

/* open("/dev/kue") as @uid, with supplementary group @group (0: none): 0 or errno. */
static int open_kue_as(uid_t uid, gid_t group)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (!pid) {
		if (setgroups(group ? 1 : 0, &group) || setgid(uid) || setuid(uid))
			_exit(255);
		_exit(open("/dev/kue", O_RDONLY | O_CLOEXEC) < 0 ? errno : 0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static int run_unload(int argc, char **argv)
{
	const char *dir = getenv("KCHAN_VM_MODULES");
	int rounds = (int)opt(argc, argv, "--rounds", 10);
	char c[512];
	struct held h;
	char buf[4096];

	if (!dir)
		dir = "/run/kchan-vm/modules";
	for (int round = 0; round < rounds; round++) {
		hold(&h);
		/* kchan depends on kchan_test's use and on open files. */
		CHECK(sh("rmmod kchan 2>/dev/null") != 0, "rmmod kchan with users succeeded");
		/* kchan_test goes while kue holds its NOCOPY payloads: recalled. */
		CHECK(sh("rmmod kchan_test") == 0, "rmmod kchan_test failed");
		ssize_t n = read(h.kue, buf, sizeof(buf));
		uint64_t got = 0, lost = 0;

		if (n > 0)
			check_records(buf, n, NULL, &got, &lost);
		printf("kchan_load unload: kue read after rmmod kchan_test: %zd bytes, %" PRIu64 " msgs\n",
		       n, got);
		CHECK(sh("rmmod kchan 2>/dev/null") != 0, "rmmod kchan with open fds succeeded");
		close(h.wq);
		close(h.ummu);
		close(h.kue);
		/* Mappings alone still pin the files, hence the module. */
		CHECK(sh("rmmod kchan 2>/dev/null") != 0, "rmmod kchan with live mappings succeeded");
		CHECK(*(volatile uint32_t *)h.ring != 0 || 1, "ring readable");
		munmap(h.ring, PAGE);
		munmap(h.gen, PAGE);
		munmap(h.mem, PAGE);
		CHECK(sh("rmmod kchan") == 0, "rmmod kchan without users failed");
		CHECK(!loaded("kchan"), "kchan still loaded");
		snprintf(c, sizeof(c), "insmod %s/kchan.ko && insmod %s/kchan_test.ko", dir, dir);
		CHECK(sh(c) == 0, "reload failed");
		CHECK(loaded("kchan") && loaded("kchan_test"), "modules not back");
		if (failures)
			break;
	}
	/* kue_gid (a load-time parameter): /dev/kue only for that group. */
	CHECK(sh("rmmod kchan_test") == 0, "rmmod kchan_test failed");
	CHECK(sh("rmmod kchan") == 0, "rmmod kchan failed");
	snprintf(c, sizeof(c), "insmod %s/kchan.ko kue_gid=4242 kue_mode=0666", dir);
	CHECK(sh(c) == 0, "insmod kchan.ko kue_gid=4242 failed");
	CHECK(open_kue_as(65534, 0) == EPERM, "kue_gid=4242: a non-member opened /dev/kue");
	CHECK(open_kue_as(65534, 4242) == 0, "kue_gid=4242: a member could not open /dev/kue");
	CHECK(sh("rmmod kchan") == 0, "rmmod kchan (kue_gid) failed");
	snprintf(c, sizeof(c), "insmod %s/kchan.ko && insmod %s/kchan_test.ko", dir, dir);
	CHECK(sh(c) == 0, "reload failed");
	/* The reloaded module works. */
	hold(&h);
	unhold(&h);
	printf("kchan_load unload: %d unload/reload rounds, %s\n", rounds, failures ? "FAILED" : "ok");
	return failures ? 1 : 0;
}

/* ============================================================ init-faults */

static int dev_nodes(void)
{
	return !access("/dev/watch_queue", F_OK) + !access("/dev/ummunotify", F_OK) +
	       !access("/dev/kue", F_OK);
}

static void put_file(const char *path, const char *value)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(value, f) < 0 || fclose(f))
		die(path);
}

/*
 * As packages/native/test/shared/failslab.ts: failslab and fail_page_alloc
 * fail nothing by themselves, only fail-nth's allocation, GFP_KERNEL and
 * order 0 included, silently; user pages (highmem-capable) never.
 */
static void setup_fault_injection(void)
{
	static const char *const attrs[] = { "failslab", "fail_page_alloc" };
	char path[128];

	for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		static const char *const kv[][2] = {
			{ "probability", "0" }, { "times", "-1" }, { "verbose", "0" }, { "ignore-gfp-wait", "N" },
		};

		for (size_t j = 0; j < sizeof(kv) / sizeof(kv[0]); j++) {
			snprintf(path, sizeof(path), "/sys/kernel/debug/%s/%s", attrs[i], kv[j][0]);
			put_file(path, kv[j][1]);
		}
	}
	put_file("/sys/kernel/debug/fail_page_alloc/min-order", "0");
	put_file("/sys/kernel/debug/fail_page_alloc/ignore-gfp-highmem", "Y");
}

/*
 * open("/dev/ummunotify") as nobody (no CAP_IPC_LOCK: the context charges its
 * user) with each allocation failing in turn, in a child: a failed open
 * returns ENOMEM, an absorbed failure gives a working fd (its generation page
 * maps). Returns 0 if all held.
 */
static int open_ummu_faults_unprivileged(void)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (!pid) {
		/* Opened as root: nobody cannot open its own fail-nth once setuid. */
		int nth = open("/proc/self/fail-nth", O_RDWR | O_CLOEXEC);
		int n, failed = 0;
		char buf[32];

		if (nth < 0 || setgroups(0, NULL) || setgid(65534) || setuid(65534))
			_exit(2);
		for (n = 1; n < 10000; n++) {
			int len = snprintf(buf, sizeof(buf), "%d", n);
			int fd, e;
			ssize_t k;

			if (pwrite(nth, buf, len, 0) != len)
				_exit(3);
			fd = open("/dev/ummunotify", O_RDONLY | O_CLOEXEC);
			e = errno;
			k = pread(nth, buf, sizeof(buf) - 1, 0);
			if (k <= 0 || pwrite(nth, "0", 1, 0) != 1)
				_exit(3);
			buf[k] = 0;
			if (fd < 0 && e != ENOMEM) {
				fprintf(stderr, "kchan_load: ummunotify open as nobody, allocation %d failing: %s\n", n, strerror(e));
				_exit(1);
			}
			if (fd >= 0) {
				void *gen = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0);

				if (gen == MAP_FAILED) {
					fprintf(stderr, "kchan_load: ummunotify open as nobody absorbed allocation %d, then mmap: %s\n", n, strerror(errno));
					_exit(1);
				}
				munmap(gen, PAGE);
				close(fd);
			} else {
				failed++;
			}
			if (atoi(buf)) {
				printf("kchan_load init-faults: ummunotify open() as nobody: %d allocations failed in turn, %d opens got ENOMEM\n",
				       n - 1, failed);
				_exit(fd >= 0 && failed ? 0 : 1);
			}
		}
		_exit(1);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static int run_init_faults(int argc, char **argv)
{
	const char *dir = getenv("KCHAN_VM_MODULES");
	const char *res = getenv("KCHAN_VM_RESULTS");
	int max = (int)opt(argc, argv, "--max", 20000);
	int errs[4096] = { 0 };
	int nth, ko, n, failed = 0, absorbed = 0;
	char path[512], buf[32];
	struct held h;

	if (!dir)
		dir = "/run/kchan-vm/modules";
	nth = open("/proc/self/fail-nth", O_RDWR | O_CLOEXEC);
	if (nth < 0) {
		printf("kchan_load init-faults: no /proc/self/fail-nth (no CONFIG_FAULT_INJECTION): skipped\n");
		return 0;
	}
	setup_fault_injection();
	if (res) {
		snprintf(path, sizeof(path), "%s/alloc-faults", res);
		FILE *f = fopen(path, "w");

		if (!f)
			die(path);
		fprintf(f, "kchan_load init-faults: fail-nth under finit_module\n");
		fclose(f);
	}
	CHECK(sh("rmmod kchan_test") == 0, "rmmod kchan_test failed");
	CHECK(sh("rmmod kchan") == 0, "rmmod kchan failed");
	snprintf(path, sizeof(path), "%s/kchan.ko", dir);
	ko = open(path, O_RDONLY | O_CLOEXEC);
	if (ko < 0)
		die(path);
	for (n = 1; n <= max && !failures; n++) {
		int len = snprintf(buf, sizeof(buf), "%d", n);
		ssize_t k;
		long r;
		int e;

		if (pwrite(nth, buf, len, 0) != len)
			die("arm fail-nth");
		r = syscall(SYS_finit_module, ko, "", 0);
		e = errno;
		k = pread(nth, buf, sizeof(buf) - 1, 0);
		if (k <= 0 || pwrite(nth, "0", 1, 0) != 1)
			die("read fail-nth");
		buf[k] = 0;
		if (atoi(buf)) {
			/* Fewer than n allocations: this load ran unfaulted. */
			CHECK(r == 0, "load with no fault failed: %s", strerror(e));
			break;
		}
		if (r == 0) {
			absorbed++;
			CHECK(loaded("kchan") && dev_nodes() == 3,
			      "allocation %d failing: loaded, but %d of 3 device nodes", n, dev_nodes());
			CHECK(sh("rmmod kchan") == 0, "allocation %d failing: rmmod after the load failed", n);
		} else {
			failed++;
			errs[e < 4096 ? e : 0]++;
			CHECK(!loaded("kchan"), "allocation %d failing: the load failed (%s) but kchan is loaded",
			      n, strerror(e));
			CHECK(dev_nodes() == 0, "allocation %d failing: the load failed (%s) but %d device nodes stayed",
			      n, strerror(e), dev_nodes());
		}
	}
	close(ko);
	close(nth);
	CHECK(n <= max, "still faulting after %d allocations", max);
	printf("kchan_load init-faults: %d allocations failed in turn: %d loads failed, %d absorbed the failure;",
	       n - 1, failed, absorbed);
	for (int e = 0; e < 4096; e++)
		if (errs[e])
			printf(" %s %d", e ? strerrorname_np(e) : "errno>4095", errs[e]);
	printf("\n");
	if (!loaded("kchan")) {
		snprintf(path, sizeof(path), "insmod %s/kchan.ko", dir);
		CHECK(sh(path) == 0, "insmod kchan.ko failed");
	}
	snprintf(path, sizeof(path), "insmod %s/kchan_test.ko", dir);
	CHECK(sh(path) == 0, "insmod kchan_test.ko failed");
	CHECK(open_ummu_faults_unprivileged() == 0, "ummunotify open() as nobody under allocation failure");
	/* The module loaded after all that works. */
	hold(&h);
	unhold(&h);
	printf("kchan_load init-faults: %s\n", failures ? "FAILED" : "ok");
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2)
		goto usage;
	if (!strcmp(argv[1], "wq"))
		return run_wq(argc, argv);
	if (!strcmp(argv[1], "kue"))
		return run_kue(argc, argv);
	if (!strcmp(argv[1], "ummu"))
		return run_ummu(argc, argv);
	if (!strcmp(argv[1], "cycles"))
		return run_cycles(argc, argv);
	if (!strcmp(argv[1], "unload"))
		return run_unload(argc, argv);
	if (!strcmp(argv[1], "init-faults"))
		return run_init_faults(argc, argv);
usage:
	fprintf(stderr, "usage: kchan_load wq|kue|ummu|cycles|unload|init-faults [options] (see the source)\n");
	return 2;
}
