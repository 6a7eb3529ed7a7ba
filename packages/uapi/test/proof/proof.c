/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/* Do not edit: generated from packages/uapi/spec/kchan.yaml by packages/uapi/scripts/gen.mjs (mode: proof-c) */
/* Layout proof: prints what the C compiler makes of the generated headers. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <kchan/watch_queue.h>
#include <kchan/ummunotify.h>
#include <kchan/kue.h>

#define SIZE(s) do { \
	printf("size %s %zu\n", #s, sizeof(struct s)); \
	printf("align %s %zu\n", #s, _Alignof(struct s)); \
} while (0)
#define FIELD(s, f) do { \
	printf("offset %s.%s %zu\n", #s, #f, offsetof(struct s, f)); \
	printf("fsize %s.%s %zu\n", #s, #f, sizeof(((struct s *)0)->f)); \
} while (0)
#define FLEX(s, f) printf("offset %s.%s %zu\n", #s, #f, offsetof(struct s, f))
#define CONST(n) printf("const %s %llu\n", #n, (unsigned long long)(n))
/* Store all-ones in bit field f of a zeroed struct s; print the container word. */
#define BITS(s, f, off, width) do { \
	struct s v; \
	unsigned char b[sizeof(v)]; \
	memset(&v, 0, sizeof(v)); \
	v.f = ones; \
	memcpy(b, &v, sizeof(v)); \
	bits(#s "." #f, b, sizeof(v), off, width); \
} while (0)

static volatile unsigned long long ones = ~0ULL;

static void bits(const char *name, const unsigned char *b, size_t size, size_t off, size_t width)
{
	unsigned long long word = 0;
	size_t i, rest = 0;

	for (i = 0; i < width; i++)
		word |= (unsigned long long)b[off + i] << (8 * i);
	for (i = 0; i < size; i++)
		if ((i < off || i >= off + width) && b[i])
			rest++;
	printf("bits %s %zu 0x%llx rest %zu\n", name, off, word, rest);
}

int main(void)
{
	/* watch_queue */
	SIZE(watch_notification);
	BITS(watch_notification, type, 0, 4);
	BITS(watch_notification, subtype, 0, 4);
	FIELD(watch_notification, info);
	SIZE(watch_queue_meta);
	FIELD(watch_queue_meta, watch);
	FIELD(watch_queue_meta, head);
	FIELD(watch_queue_meta, tail);
	FIELD(watch_queue_meta, mask);
	FIELD(watch_queue_meta, lost);
	SIZE(watch_queue_loss_notification);
	FIELD(watch_queue_loss_notification, watch);
	FIELD(watch_queue_loss_notification, lost);
	SIZE(watch_netdev_notification);
	FIELD(watch_netdev_notification, watch);
	FIELD(watch_netdev_notification, ifindex);
	FIELD(watch_netdev_notification, flags);
	FIELD(watch_netdev_notification, name);
	SIZE(watch_module_notification);
	FIELD(watch_module_notification, watch);
	FIELD(watch_module_notification, name);
	SIZE(watch_queue_watch);
	FIELD(watch_queue_watch, type);
	FIELD(watch_queue_watch, id);
	FIELD(watch_queue_watch, flags);
	FIELD(watch_queue_watch, reserved);
	SIZE(watch_notification_type_filter);
	FIELD(watch_notification_type_filter, type);
	FIELD(watch_notification_type_filter, info_filter);
	FIELD(watch_notification_type_filter, info_mask);
	FIELD(watch_notification_type_filter, subtype_filter);
	SIZE(watch_notification_filter);
	FIELD(watch_notification_filter, nr_filters);
	FIELD(watch_notification_filter, reserved);
	FLEX(watch_notification_filter, filters);
	CONST(WATCH_QUEUE_SLOT_SIZE);
	CONST(WATCH_LENGTH_SHIFT);
	CONST(WATCH_QUEUE_META_SLOTS);
	CONST(WATCH_QUEUE_MAX_ENTRY_SLOTS);
	CONST(WATCH_QUEUE_MIN_PAGES);
	CONST(WATCH_QUEUE_MAX_PAGES);
	CONST(WATCH_QUEUE_MAX_FILTERS);
	CONST(WATCH_QUEUE_MAX_WATCH_ID);
	CONST(WATCH_QUEUE_MAX_WATCHES);
	CONST(WATCH_TYPE_META);
	CONST(WATCH_TYPE_NETDEV);
	CONST(WATCH_TYPE_MODULE);
	CONST(WATCH_TYPE_KAPI);
	CONST(WATCH_TYPE_NR);
	CONST(WATCH_META_SKIP_NOTIFICATION);
	CONST(WATCH_META_REMOVAL_NOTIFICATION);
	CONST(WATCH_META_LOSS_NOTIFICATION);
	CONST(WATCH_NETDEV_REGISTER);
	CONST(WATCH_NETDEV_UNREGISTER);
	CONST(WATCH_NETDEV_UP);
	CONST(WATCH_NETDEV_DOWN);
	CONST(WATCH_NETDEV_CHANGE_NAME);
	CONST(WATCH_MODULE_COMING);
	CONST(WATCH_MODULE_LIVE);
	CONST(WATCH_MODULE_GOING);
	CONST(WATCH_INFO_OVERRUN);
	CONST(WATCH_INFO_OVERRUN__SHIFT);
	CONST(WATCH_INFO_ENOMEM);
	CONST(WATCH_INFO_ENOMEM__SHIFT);
	CONST(WATCH_INFO_RECURSIVE);
	CONST(WATCH_INFO_RECURSIVE__SHIFT);
	CONST(WATCH_INFO_LENGTH);
	CONST(WATCH_INFO_LENGTH__SHIFT);
	CONST(WATCH_INFO_IN_SUBTREE);
	CONST(WATCH_INFO_IN_SUBTREE__SHIFT);
	CONST(WATCH_INFO_RESERVED);
	CONST(WATCH_INFO_RESERVED__SHIFT);
	CONST(WATCH_INFO_TYPE_FLAGS);
	CONST(WATCH_INFO_TYPE_FLAGS__SHIFT);
	CONST(WATCH_INFO_ID);
	CONST(WATCH_INFO_ID__SHIFT);
	CONST(WATCH_NOTIFICATION_TYPE__MASK);
	CONST(WATCH_NOTIFICATION_TYPE__SHIFT);
	CONST(WATCH_NOTIFICATION_SUBTYPE__MASK);
	CONST(WATCH_NOTIFICATION_SUBTYPE__SHIFT);
	CONST(IOC_WATCH_QUEUE_SET_SIZE);
	CONST(IOC_WATCH_QUEUE_SET_FILTER);
	CONST(IOC_WATCH_QUEUE_ADD_WATCH);
	CONST(IOC_WATCH_QUEUE_REMOVE_WATCH);
	CONST(IOC_WATCH_QUEUE_RESET);
	/* ummunotify */
	SIZE(ummunotify_event);
	FIELD(ummunotify_event, type);
	FIELD(ummunotify_event, flags);
	FIELD(ummunotify_event, hint_start);
	FIELD(ummunotify_event, hint_end);
	FIELD(ummunotify_event, user_cookie_counter);
	SIZE(ummunotify_register_ioctl);
	FIELD(ummunotify_register_ioctl, start);
	FIELD(ummunotify_register_ioctl, end);
	FIELD(ummunotify_register_ioctl, user_cookie);
	FIELD(ummunotify_register_ioctl, flags);
	FIELD(ummunotify_register_ioctl, reserved);
	SIZE(ummunotify_register_slot_ioctl);
	FIELD(ummunotify_register_slot_ioctl, start);
	FIELD(ummunotify_register_slot_ioctl, end);
	FIELD(ummunotify_register_slot_ioctl, user_cookie);
	FIELD(ummunotify_register_slot_ioctl, flags);
	FIELD(ummunotify_register_slot_ioctl, slot);
	SIZE(ummunotify_generation);
	FIELD(ummunotify_generation, counter);
	CONST(UMMUNOTIFY_MAX_REGIONS);
	CONST(UMMUNOTIFY_GENERATION_OFFSET);
	CONST(UMMUNOTIFY_MAX_SLOTS);
	CONST(UMMUNOTIFY_EVENT_TYPE_INVAL);
	CONST(UMMUNOTIFY_EVENT_TYPE_LAST);
	CONST(UMMUNOTIFY_EVENT_FLAG_HINT);
	CONST(UMMUNOTIFY_EVENT_FLAG_HINT__SHIFT);
	CONST(UMMUNOTIFY_FEATURE_REGION_GENERATION);
	CONST(UMMUNOTIFY_FEATURE_REGION_GENERATION__SHIFT);
	CONST(UMMUNOTIFY_EXCHANGE_FEATURES);
	CONST(UMMUNOTIFY_REGISTER_REGION);
	CONST(UMMUNOTIFY_UNREGISTER_REGION);
	CONST(UMMUNOTIFY_REGISTER_REGION_SLOT);
	/* kue */
	SIZE(kue_msg_hdr);
	FIELD(kue_msg_hdr, size);
	FIELD(kue_msg_hdr, seq);
	FIELD(kue_msg_hdr, flags);
	FIELD(kue_msg_hdr, lost);
	SIZE(kue_info);
	FIELD(kue_info, queued_msgs);
	FIELD(kue_info, queued_bytes);
	FIELD(kue_info, limit_bytes);
	FIELD(kue_info, next_seq);
	FIELD(kue_info, cursor);
	FIELD(kue_info, lost);
	CONST(KUE_RECORD_ALIGN);
	CONST(KUE_MAX_MSG_SIZE);
	CONST(KUE_MSG_FLAG_LOST);
	CONST(KUE_MSG_FLAG_LOST__SHIFT);
	CONST(KUE_IOC_INFO);
	return 0;
}
