// SPDX-License-Identifier: GPL-2.0
/*
 * A /dev/kue reader whose read() blocks in a page fault: the buffer is a
 * userfaultfd-registered page that stays missing until told otherwise.
 * Protocol on stdin/stdout, one line each:
 *   -> "open"      /dev/kue is open (send the message now), or "nouffd"
 *                  (and exit 0) if the kernel has no userfaultfd
 *   <- "go\n"      read() into the missing page
 *   -> "fault"     the read() is blocked in the fault
 *   <- "release\n" resolve the fault (zero page), let the read() finish
 *   -> "read <n>"  read()'s result, then exit 0
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static int uffd;
static char *page;
static long page_size;

static void die(const char *what)
{
	perror(what);
	exit(2);
}

static void wait_line(const char *want)
{
	char line[64];

	if (!fgets(line, sizeof(line), stdin) || strncmp(line, want, strlen(want)))
		die(want);
}

static void *handler(void *arg)
{
	struct uffdio_zeropage zp;
	struct uffd_msg msg;
	struct pollfd pfd = { .fd = uffd, .events = POLLIN };

	(void)arg;
	if (poll(&pfd, 1, -1) != 1 || read(uffd, &msg, sizeof(msg)) != sizeof(msg))
		die("uffd read");
	if (msg.event != UFFD_EVENT_PAGEFAULT)
		die("uffd event");
	printf("fault\n");
	fflush(stdout);
	wait_line("release");
	zp.range.start = (unsigned long)page;
	zp.range.len = page_size;
	zp.mode = 0;
	if (ioctl(uffd, UFFDIO_ZEROPAGE, &zp))
		die("UFFDIO_ZEROPAGE");
	return NULL;
}

int main(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg;
	pthread_t thread;
	ssize_t n;
	int fd;

	page_size = sysconf(_SC_PAGESIZE);
	fd = open("/dev/kue", O_RDONLY);
	if (fd < 0)
		die("open /dev/kue");
	uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0 && errno == ENOSYS) {
		printf("nouffd\n");
		return 0;
	}
	if (uffd < 0)
		die("userfaultfd");
	if (ioctl(uffd, UFFDIO_API, &api))
		die("UFFDIO_API");
	page = mmap(NULL, page_size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		die("mmap");
	reg.range.start = (unsigned long)page;
	reg.range.len = page_size;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg))
		die("UFFDIO_REGISTER");
	printf("open\n");
	fflush(stdout);
	wait_line("go");
	if (pthread_create(&thread, NULL, handler, NULL))
		die("pthread_create");
	n = read(fd, page, page_size);
	pthread_join(thread, NULL);
	printf("read %zd\n", n);
	fflush(stdout);
	return 0;
}
