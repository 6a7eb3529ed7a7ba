// SPDX-License-Identifier: MIT
/*
 * Kernel-test helper for what Node cannot do: setrlimit(RLIMIT_MEMLOCK),
 * dropping to an unprivileged uid, and a read() stuck in a userfaultfd
 * fault. Built and run as root by ../memlock.test.ts inside the VM.
 *
 * 1. Region memory is charged to the opening user's locked_vm against
 *    RLIMIT_MEMLOCK (ENOMEM past it), per user over all its fds and
 *    processes, uncharged by UNREGISTER_REGION, by close and on every
 *    error path; the slot array (REGION_GENERATION) is charged too;
 *    CAP_IPC_LOCK is not charged.
 * 2. An event put back after a failed copy_to_user() goes to its own
 *    region only, not to a region registered meanwhile under its cookie.
 *
 * Each memlock case runs in a child with its own fresh uid (so its
 * locked_vm starts at 0). Prints "ok <name>" or "FAIL <name> ..." per
 * check; exits non-zero on any failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <kchan/ummunotify.h>

#include "check.h"

static long page;
static char *mem;
/* Slot array + bitmap, as the kernel charges them (130 pages on 4 KiB). */
#define SLOT_MEM	(UMMUNOTIFY_MAX_SLOTS * 8 + UMMUNOTIFY_MAX_SLOTS / 8)

static int reg(int fd, __u64 cookie)
{
	struct ummunotify_register_ioctl r = {
		.start = (unsigned long)mem,
		.end = (unsigned long)mem + page,
		.user_cookie = cookie,
	};

	return ioctl(fd, UMMUNOTIFY_REGISTER_REGION, &r);
}

static int reg_slot(int fd, __u64 cookie)
{
	struct ummunotify_register_slot_ioctl r = {
		.start = (unsigned long)mem,
		.end = (unsigned long)mem + page,
		.user_cookie = cookie,
	};

	return ioctl(fd, UMMUNOTIFY_REGISTER_REGION_SLOT, &r);
}

static int unreg(int fd, __u64 cookie)
{
	return ioctl(fd, UMMUNOTIFY_UNREGISTER_REGION, &cookie);
}

static int enable_slots(int fd)
{
	__u32 feat = UMMUNOTIFY_FEATURE_REGION_GENERATION;

	return ioctl(fd, UMMUNOTIFY_EXCHANGE_FEATURES, &feat);
}

/* Register cookies first, first + 1, ... until an error; returns how many. */
static long fill(int fd, __u64 first, int slots, int *err)
{
	long n = 0;

	while (!(slots ? reg_slot(fd, first + n) : reg(fd, first + n)))
		if (++n > 10 * 1000 * 1000)
			break;
	*err = errno;
	return n;
}

static int open_dev(void)
{
	return open("/dev/ummunotify", O_RDONLY | O_CLOEXEC);
}

/* In a child: RLIMIT_MEMLOCK = @limit bytes, then (if @uid) become @uid. */
static void become(rlim_t limit, uid_t uid)
{
	struct rlimit rl = { limit, limit };

	if (setrlimit(RLIMIT_MEMLOCK, &rl))
		perror("setrlimit"), exit(2);
	if (uid && (setgroups(0, NULL) || setresgid(uid, uid, uid) ||
		    setresuid(uid, uid, uid)))
		perror("setresuid"), exit(2);
}

static int run_child(void (*fn)(void))
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (!pid) {
		fails = 0;
		fn();
		fflush(stdout);
		_exit(fails ? 1 : 0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return 1;
	return !WIFEXITED(status) || WEXITSTATUS(status);
}

/* Plain regions: 16 pages of RLIMIT_MEMLOCK for a fresh uid. */
static void case_regions(void)
{
	long n, n2, n3;
	int fd, fd2, err, i, ok;
	pid_t pid;

	become(16 * page, 61001);
	fd = open_dev();
	fd2 = open_dev();
	CHECK("unprivileged open (nothing charged)", fd >= 0 && fd2 >= 0);

	n = fill(fd, 0, 0, &err);
	printf("# %ld regions in 16 pages of RLIMIT_MEMLOCK\n", n);
	/* Regions are ~128 bytes: between 64 and 256 bytes each. */
	CHECK("regions stop at RLIMIT_MEMLOCK with ENOMEM",
	      err == ENOMEM && n >= 16 * page / 256 && n <= 16 * page / 64);
	errno = 0;
	CHECK("EEXIST still wins over ENOMEM",
	      reg(fd, 0) == -1 && errno == EEXIST);
	CHECK("the limit is per user: another fd gets ENOMEM",
	      reg(fd2, 0) == -1 && errno == ENOMEM);
	CHECK("slot array over the limit: ENOMEM",
	      enable_slots(fd2) == -1 && errno == ENOMEM);
	CHECK("feature not enabled after ENOMEM",
	      reg_slot(fd2, 0) == -1 && errno == EINVAL);

	fflush(stdout);
	pid = fork();
	if (!pid) {
		int cfd = open_dev();

		_exit(cfd >= 0 && reg(cfd, 0) == -1 && errno == ENOMEM ? 0 : 1);
	}
	waitpid(pid, &i, 0);
	CHECK("the limit is per user: another process gets ENOMEM",
	      WIFEXITED(i) && WEXITSTATUS(i) == 0);

	/* Failed attempts at the limit leave nothing charged behind. */
	for (i = 0; i < 1000; i++) {
		reg(fd, 0);
		reg(fd2, 0);
	}
	ok = 1;
	for (i = 0; i < n; i++)
		ok &= unreg(fd, i) == 0;
	CHECK("unregister all", ok);
	n2 = fill(fd2, 0, 0, &err);
	CHECK("unregistering uncharges: the other fd gets them all",
	      n2 == n && err == ENOMEM);
	close(fd2);
	n3 = fill(fd, 0, 0, &err);
	CHECK("close uncharges: all of them again", n3 == n && err == ENOMEM);
	close(fd);

	/* Same, with RLIMIT_MEMLOCK 0: nothing at all. */
	become(0, 0);
	fd = open_dev();
	CHECK("RLIMIT_MEMLOCK 0: ENOMEM at once",
	      fd >= 0 && reg(fd, 1) == -1 && errno == ENOMEM);
	close(fd);
}

/* Slot array + regions: 130 + 16 pages for a fresh uid. */
static void case_slots(void)
{
	struct ummunotify_register_slot_ioctl *ro;
	long n, n2;
	int fd, fd2, err, i;

	become(SLOT_MEM + 16 * page, 61002);
	fd = open_dev();
	fd2 = open_dev();
	CHECK("enable slots within the limit", enable_slots(fd) == 0);
	CHECK("a second slot array is over it",
	      enable_slots(fd2) == -1 && errno == ENOMEM);
	n = fill(fd, 0, 1, &err);
	printf("# %ld slot regions in 16 more pages\n", n);
	CHECK("slot regions stop with ENOMEM",
	      err == ENOMEM && n >= 16 * page / 256 && n <= 16 * page / 64);

	/* EFAULT writing the slot back takes the region back, uncharged. */
	CHECK("unregister one", unreg(fd, n - 1) == 0);
	ro = mmap(NULL, page, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ro->start = (unsigned long)mem;
	ro->end = ro->start + page;
	ro->user_cookie = n - 1;
	mprotect(ro, page, PROT_READ);
	for (i = 0; i < 1000; i++)
		if (ioctl(fd, UMMUNOTIFY_REGISTER_REGION_SLOT, ro) != -1 ||
		    errno != EFAULT)
			break;
	CHECK("1000 x slot EFAULT", i == 1000);
	n2 = fill(fd, n - 1, 1, &err);
	CHECK("... left the charge as it was", n2 == 1 && err == ENOMEM);

	close(fd);
	CHECK("close uncharges the slot array too", enable_slots(fd2) == 0);
	n2 = fill(fd2, 0, 0, &err);
	CHECK("... and its regions", n2 == n && err == ENOMEM);
	close(fd2);
}

/* CAP_IPC_LOCK (root here): not charged, whatever RLIMIT_MEMLOCK says. */
static void case_cap_ipc_lock(void)
{
	long n;
	int fd, err;

	become(0, 0);
	fd = open_dev();
	CHECK("CAP_IPC_LOCK: slot array with RLIMIT_MEMLOCK 0",
	      enable_slots(fd) == 0);
	n = fill(fd, 0, 1, &err);
	CHECK("CAP_IPC_LOCK: all 65536 slot regions, then ENOSPC",
	      n == UMMUNOTIFY_MAX_SLOTS && err == ENOSPC);
	close(fd);
}

/*
 * A read() whose copy_to_user() faults into a missing userfaultfd page,
 * stays blocked while we (maybe) unregister its region and register
 * another range under the same cookie, then fails with EFAULT once the
 * page is unmapped and the fault woken. Returns the next read()'s result.
 */
static int uffd;
static char *ubuf;
static ssize_t stuck_ret;
static int stuck_errno;

static void *stuck_read(void *arg)
{
	int fd = *(int *)arg;

	stuck_ret = read(fd, ubuf, 2 * sizeof(struct ummunotify_event));
	stuck_errno = errno;
	return NULL;
}

static int efault_put_back(int fd, int reregister, char *other)
{
	struct uffdio_register ureg = { 0 };
	struct uffdio_range wake;
	struct pollfd pfd = { .fd = uffd, .events = POLLIN };
	struct uffd_msg msg;
	pthread_t t;

	ubuf = mmap(NULL, page, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ureg.range.start = (unsigned long)ubuf;
	ureg.range.len = page;
	ureg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (ioctl(uffd, UFFDIO_REGISTER, &ureg))
		return perror("UFFDIO_REGISTER"), -1;
	mem[0] = 1;
	if (reg(fd, 5) || madvise(mem, page, MADV_DONTNEED))
		return perror("register"), -1;
	pthread_create(&t, NULL, stuck_read, &fd);
	if (poll(&pfd, 1, 10000) != 1 || read(uffd, &msg, sizeof(msg)) !=
	    sizeof(msg) || msg.event != UFFD_EVENT_PAGEFAULT)
		return perror("uffd"), -1;
	/* The read() took cookie 5's event and is stuck copying it out. */
	if (reregister) {
		struct ummunotify_register_ioctl r = {
			.start = (unsigned long)other,
			.end = (unsigned long)other + page,
			.user_cookie = 5,
		};

		if (unreg(fd, 5) || ioctl(fd, UMMUNOTIFY_REGISTER_REGION, &r))
			return perror("re-register"), -1;
	}
	munmap(ubuf, page);
	wake.start = (unsigned long)ubuf;
	wake.len = page;
	if (ioctl(uffd, UFFDIO_WAKE, &wake))
		return perror("UFFDIO_WAKE"), -1;
	pthread_join(t, NULL);
	return 0;
}

static void case_put_back(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct ummunotify_event ev[4];
	char *other;
	ssize_t n;
	int fd;

	fd = open_dev();
	uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	CHECK("userfaultfd", uffd >= 0 && !ioctl(uffd, UFFDIO_API, &api));
	other = mmap(NULL, page, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	/* Control: same region, the event comes back after EFAULT. */
	CHECK("stuck read fails with EFAULT",
	      !efault_put_back(fd, 0, other) && stuck_ret == -1 &&
	      stuck_errno == EFAULT);
	n = read(fd, ev, sizeof(ev));
	CHECK("its event is put back",
	      n == 2 * (ssize_t)sizeof(ev[0]) &&
	      ev[0].user_cookie_counter == 5 &&
	      ev[0].hint_start == (unsigned long)mem);
	unreg(fd, 5);

	/* Cookie re-registered meanwhile: the new region gets nothing. */
	CHECK("stuck read fails with EFAULT (re-registered)",
	      !efault_put_back(fd, 1, other) && stuck_ret == -1 &&
	      stuck_errno == EFAULT);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	n = read(fd, ev, sizeof(ev));
	if (n > 0)
		printf("# got type %u cookie %llu hint %#llx-%#llx\n",
		       ev[0].type, (unsigned long long)ev[0].user_cookie_counter,
		       (unsigned long long)ev[0].hint_start,
		       (unsigned long long)ev[0].hint_end);
	/*
	 * The faulted read had drained the queue: the only thing owed is
	 * its LAST (the generation), never an INVAL for the new region.
	 */
	CHECK("no spurious event for the new region, only the owed LAST",
	      n == (ssize_t)sizeof(ev[0]) &&
	      ev[0].type == UMMUNOTIFY_EVENT_TYPE_LAST);
	n = read(fd, ev, sizeof(ev));
	CHECK("then nothing", n == -1 && errno == EAGAIN);
	close(fd);
	close(uffd);
}

int main(void)
{
	page = sysconf(_SC_PAGESIZE);
	mem = mmap(NULL, page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(mem, 1, page);
	if (getuid() != 0) {
		printf("FAIL must run as root\n");
		return 1;
	}
	fails += run_child(case_regions);
	fails += run_child(case_slots);
	fails += run_child(case_cap_ipc_lock);
	case_put_back();
	return fails ? 1 : 0;
}
