// SPDX-License-Identifier: MIT
/*
 * @kchan/ring benchmark helper: the producer (the kernel's side of the
 * watch_queue ring protocol, as kchan_wq_post_locked() writes it) and a C
 * reader, over a ring in a shared file (/dev/shm). Built by bench/run.mjs.
 *
 *   ringbench produce <file> <count> <entry_slots> stream|fill
 *   ringbench consume <file> <count>
 *
 * The ring's meta entry is initialised by the driver (RingWriter) before
 * either starts. The producer never drops: when the ring is full it waits
 * for the reader. "stream" publishes head every 64 entries or when it has
 * to wait (producer and reader run concurrently); "fill" fills the whole
 * ring, publishes head once, and waits until the reader has drained it, so
 * the reader's drain time can be measured alone. The reader prints
 * "<entries> <wall ns> <ns spent draining non-empty batches> <checksum>".
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <kchan/watch_queue.h>

#define load_acquire(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define store_release(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void *map_ring(const char *path, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDWR);
	void *p;

	if (fd < 0 || fstat(fd, &st)) {
		perror(path);
		exit(2);
	}
	p = mmap(NULL, st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	close(fd);
	*len = st.st_size;
	return p;
}

static inline uint32_t hdr_word(uint32_t type, uint32_t subtype)
{
	return (type & WATCH_NOTIFICATION_TYPE__MASK) | (subtype << WATCH_NOTIFICATION_SUBTYPE__SHIFT);
}

static int produce(const char *path, uint64_t count, uint32_t slots, int fill)
{
	size_t len;
	uint8_t *ring = map_ring(path, &len);
	struct watch_queue_meta *meta = (void *)ring;
	uint32_t size = len / 8, mask = size - 1;
	uint32_t head = load_acquire(&meta->head), tail = load_acquire(&meta->tail);
	uint32_t unpublished = 0;
	uint64_t seq;

	for (seq = 0; seq < count; seq++) {
		/* Placement exactly as kchan_wq_place(): meta skip, end padding. */
		uint32_t h = head, pad = 0, at;

		if ((h & mask) == 0)
			h += WATCH_QUEUE_META_SLOTS;
		if (slots > size - (h & mask)) {
			pad = h;
			h += size - (h & mask) + WATCH_QUEUE_META_SLOTS;
		}
		at = h;
		h += slots;
		if (fill && h - tail > size) {
			/* Ring full: publish it all, wait until it is empty. */
			store_release(&meta->head, head);
			unpublished = 0;
			while (load_acquire(&meta->tail) != head)
				usleep(20);
			tail = head;
		}
		while (h - tail > size) {
			if (unpublished) {
				store_release(&meta->head, head);
				unpublished = 0;
			}
			/* Pairs with the reader's release store of tail. */
			tail = load_acquire(&meta->tail);
			if (h - tail > size)
				sched_yield();
		}
		if (pad) {
			uint32_t *p = (uint32_t *)(ring + (pad & mask) * 8);

			p[0] = hdr_word(WATCH_TYPE_META, WATCH_META_SKIP_NOTIFICATION);
			p[1] = (size - (pad & mask)) << WATCH_INFO_LENGTH__SHIFT;
		}
		uint32_t *p = (uint32_t *)(ring + (at & mask) * 8);

		p[0] = hdr_word(WATCH_TYPE_KAPI, seq & 0xff);
		p[1] = (slots << WATCH_INFO_LENGTH__SHIFT) | (1u << WATCH_INFO_ID__SHIFT);
		for (uint32_t k = 2; k < slots * 2; k++)
			p[k] = (uint32_t)seq + k;
		head = h;
		if (++unpublished == 64 && !fill) {
			/* Pairs with the reader's acquire load of head. */
			store_release(&meta->head, head);
			unpublished = 0;
		}
	}
	store_release(&meta->head, head);
	return 0;
}

/* The per-entry work of both readers: fold type, subtype and info. */
static uint64_t checksum;
static inline void on_entry(uint32_t type, uint32_t subtype, uint32_t info)
{
	checksum += type + subtype + info;
}

static int consume(const char *path, uint64_t count)
{
	size_t len;
	uint8_t *ring = map_ring(path, &len);
	struct watch_queue_meta *meta = (void *)ring;
	uint32_t size = len / 8, mask = size - 1;
	uint32_t tail = meta->tail;
	const uint32_t *w = (const uint32_t *)ring;
	uint64_t seen = 0, t0 = 0, busy = 0, tb;

	while (seen < count) {
		uint32_t head = load_acquire(&meta->head);

		if (head == tail) {
			continue;
		}
		tb = now_ns();
		if (!t0)
			t0 = tb;
		while (tail != head) {
			uint32_t slot = tail & mask;
			uint32_t w0 = w[slot * 2], info = w[slot * 2 + 1];
			uint32_t l = (info & WATCH_INFO_LENGTH) >> WATCH_INFO_LENGTH__SHIFT;
			uint32_t type = w0 & WATCH_NOTIFICATION_TYPE__MASK;
			uint32_t subtype = w0 >> WATCH_NOTIFICATION_SUBTYPE__SHIFT;

			if (l == 0 || l > head - tail || slot + l > size) {
				fprintf(stderr, "corrupt ring at %u\n", tail);
				return 1;
			}
			tail += l;
			if (type == WATCH_TYPE_META && subtype == WATCH_META_SKIP_NOTIFICATION)
				continue;
			on_entry(type, subtype, info);
			seen++;
		}
		store_release(&meta->tail, tail);
		busy += now_ns() - tb;
	}
	printf("%llu %llu %llu %llu\n", (unsigned long long)seen,
	       (unsigned long long)(now_ns() - t0), (unsigned long long)busy,
	       (unsigned long long)checksum);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 6 && !strcmp(argv[1], "produce"))
		return produce(argv[2], strtoull(argv[3], NULL, 0), atoi(argv[4]),
			       !strcmp(argv[5], "fill"));
	if (argc == 4 && !strcmp(argv[1], "consume"))
		return consume(argv[2], strtoull(argv[3], NULL, 0));
	fprintf(stderr, "usage: ringbench produce <file> <count> <slots> stream|fill | consume <file> <count>\n");
	return 2;
}
