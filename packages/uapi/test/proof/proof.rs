// Do not edit: generated from packages/uapi/spec/kchan.yaml by packages/uapi/scripts/gen.mjs (mode: proof-rust)
// SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT
//! Layout proof: prints what rustc makes of the kchan-uapi crate.

use core::mem::{align_of, offset_of, size_of, size_of_val};

fn bits(name: &str, bytes: &[u8], off: usize, width: usize) {
    let mut word: u64 = 0;
    for i in 0..width {
        word |= u64::from(bytes[off + i]) << (8 * i);
    }
    let rest = bytes.iter().enumerate().filter(|&(i, &b)| (i < off || i >= off + width) && b != 0).count();
    println!("bits {name} {off} {word:#x} rest {rest}");
}

fn as_bytes<T: Copy>(v: &T) -> &[u8] {
    // SAFETY: T is a #[repr(C)] struct of integers without padding; reading its bytes is sound.
    unsafe { core::slice::from_raw_parts((v as *const T).cast::<u8>(), size_of::<T>()) }
}

fn main() {
    {
        use kchan_uapi::watch_queue::*;
        println!("size watch_notification {}", size_of::<WatchNotification>());
        println!("align watch_notification {}", align_of::<WatchNotification>());
        {
            let mut v = WatchNotification::ZERO;
            v.set_type(!0);
            bits("watch_notification.type", as_bytes(&v), 0, 4);
        }
        {
            let mut v = WatchNotification::ZERO;
            v.set_subtype(!0);
            bits("watch_notification.subtype", as_bytes(&v), 0, 4);
        }
        println!("offset watch_notification.info {}", offset_of!(WatchNotification, info));
        println!("fsize watch_notification.info {}", size_of_val(&WatchNotification::ZERO.info));
        println!("size watch_queue_meta {}", size_of::<WatchQueueMeta>());
        println!("align watch_queue_meta {}", align_of::<WatchQueueMeta>());
        println!("offset watch_queue_meta.watch {}", offset_of!(WatchQueueMeta, watch));
        println!("fsize watch_queue_meta.watch {}", size_of_val(&WatchQueueMeta::ZERO.watch));
        println!("offset watch_queue_meta.head {}", offset_of!(WatchQueueMeta, head));
        println!("fsize watch_queue_meta.head {}", size_of_val(&WatchQueueMeta::ZERO.head));
        println!("offset watch_queue_meta.tail {}", offset_of!(WatchQueueMeta, tail));
        println!("fsize watch_queue_meta.tail {}", size_of_val(&WatchQueueMeta::ZERO.tail));
        println!("offset watch_queue_meta.mask {}", offset_of!(WatchQueueMeta, mask));
        println!("fsize watch_queue_meta.mask {}", size_of_val(&WatchQueueMeta::ZERO.mask));
        println!("offset watch_queue_meta.lost {}", offset_of!(WatchQueueMeta, lost));
        println!("fsize watch_queue_meta.lost {}", size_of_val(&WatchQueueMeta::ZERO.lost));
        println!("size watch_queue_loss_notification {}", size_of::<WatchQueueLossNotification>());
        println!("align watch_queue_loss_notification {}", align_of::<WatchQueueLossNotification>());
        println!("offset watch_queue_loss_notification.watch {}", offset_of!(WatchQueueLossNotification, watch));
        println!("fsize watch_queue_loss_notification.watch {}", size_of_val(&WatchQueueLossNotification::ZERO.watch));
        println!("offset watch_queue_loss_notification.lost {}", offset_of!(WatchQueueLossNotification, lost));
        println!("fsize watch_queue_loss_notification.lost {}", size_of_val(&WatchQueueLossNotification::ZERO.lost));
        println!("size watch_netdev_notification {}", size_of::<WatchNetdevNotification>());
        println!("align watch_netdev_notification {}", align_of::<WatchNetdevNotification>());
        println!("offset watch_netdev_notification.watch {}", offset_of!(WatchNetdevNotification, watch));
        println!("fsize watch_netdev_notification.watch {}", size_of_val(&WatchNetdevNotification::ZERO.watch));
        println!("offset watch_netdev_notification.ifindex {}", offset_of!(WatchNetdevNotification, ifindex));
        println!("fsize watch_netdev_notification.ifindex {}", size_of_val(&WatchNetdevNotification::ZERO.ifindex));
        println!("offset watch_netdev_notification.flags {}", offset_of!(WatchNetdevNotification, flags));
        println!("fsize watch_netdev_notification.flags {}", size_of_val(&WatchNetdevNotification::ZERO.flags));
        println!("offset watch_netdev_notification.name {}", offset_of!(WatchNetdevNotification, name));
        println!("fsize watch_netdev_notification.name {}", size_of_val(&WatchNetdevNotification::ZERO.name));
        println!("size watch_module_notification {}", size_of::<WatchModuleNotification>());
        println!("align watch_module_notification {}", align_of::<WatchModuleNotification>());
        println!("offset watch_module_notification.watch {}", offset_of!(WatchModuleNotification, watch));
        println!("fsize watch_module_notification.watch {}", size_of_val(&WatchModuleNotification::ZERO.watch));
        println!("offset watch_module_notification.name {}", offset_of!(WatchModuleNotification, name));
        println!("fsize watch_module_notification.name {}", size_of_val(&WatchModuleNotification::ZERO.name));
        println!("size watch_queue_watch {}", size_of::<WatchQueueWatch>());
        println!("align watch_queue_watch {}", align_of::<WatchQueueWatch>());
        println!("offset watch_queue_watch.type {}", offset_of!(WatchQueueWatch, r#type));
        println!("fsize watch_queue_watch.type {}", size_of_val(&WatchQueueWatch::ZERO.r#type));
        println!("offset watch_queue_watch.id {}", offset_of!(WatchQueueWatch, id));
        println!("fsize watch_queue_watch.id {}", size_of_val(&WatchQueueWatch::ZERO.id));
        println!("offset watch_queue_watch.flags {}", offset_of!(WatchQueueWatch, flags));
        println!("fsize watch_queue_watch.flags {}", size_of_val(&WatchQueueWatch::ZERO.flags));
        println!("offset watch_queue_watch.reserved {}", offset_of!(WatchQueueWatch, reserved));
        println!("fsize watch_queue_watch.reserved {}", size_of_val(&WatchQueueWatch::ZERO.reserved));
        println!("size watch_notification_type_filter {}", size_of::<WatchNotificationTypeFilter>());
        println!("align watch_notification_type_filter {}", align_of::<WatchNotificationTypeFilter>());
        println!("offset watch_notification_type_filter.type {}", offset_of!(WatchNotificationTypeFilter, r#type));
        println!("fsize watch_notification_type_filter.type {}", size_of_val(&WatchNotificationTypeFilter::ZERO.r#type));
        println!("offset watch_notification_type_filter.info_filter {}", offset_of!(WatchNotificationTypeFilter, info_filter));
        println!("fsize watch_notification_type_filter.info_filter {}", size_of_val(&WatchNotificationTypeFilter::ZERO.info_filter));
        println!("offset watch_notification_type_filter.info_mask {}", offset_of!(WatchNotificationTypeFilter, info_mask));
        println!("fsize watch_notification_type_filter.info_mask {}", size_of_val(&WatchNotificationTypeFilter::ZERO.info_mask));
        println!("offset watch_notification_type_filter.subtype_filter {}", offset_of!(WatchNotificationTypeFilter, subtype_filter));
        println!("fsize watch_notification_type_filter.subtype_filter {}", size_of_val(&WatchNotificationTypeFilter::ZERO.subtype_filter));
        println!("size watch_notification_filter {}", size_of::<WatchNotificationFilter>());
        println!("align watch_notification_filter {}", align_of::<WatchNotificationFilter>());
        println!("offset watch_notification_filter.nr_filters {}", offset_of!(WatchNotificationFilter, nr_filters));
        println!("fsize watch_notification_filter.nr_filters {}", size_of_val(&WatchNotificationFilter::ZERO.nr_filters));
        println!("offset watch_notification_filter.reserved {}", offset_of!(WatchNotificationFilter, reserved));
        println!("fsize watch_notification_filter.reserved {}", size_of_val(&WatchNotificationFilter::ZERO.reserved));
        println!("offset watch_notification_filter.filters {}", offset_of!(WatchNotificationFilter, filters));
        println!("const WATCH_QUEUE_SLOT_SIZE {}", WATCH_QUEUE_SLOT_SIZE as u64);
        println!("const WATCH_LENGTH_SHIFT {}", WATCH_LENGTH_SHIFT as u64);
        println!("const WATCH_QUEUE_META_SLOTS {}", WATCH_QUEUE_META_SLOTS as u64);
        println!("const WATCH_QUEUE_MAX_ENTRY_SLOTS {}", WATCH_QUEUE_MAX_ENTRY_SLOTS as u64);
        println!("const WATCH_QUEUE_MIN_PAGES {}", WATCH_QUEUE_MIN_PAGES as u64);
        println!("const WATCH_QUEUE_MAX_PAGES {}", WATCH_QUEUE_MAX_PAGES as u64);
        println!("const WATCH_QUEUE_MAX_FILTERS {}", WATCH_QUEUE_MAX_FILTERS as u64);
        println!("const WATCH_QUEUE_MAX_WATCH_ID {}", WATCH_QUEUE_MAX_WATCH_ID as u64);
        println!("const WATCH_QUEUE_MAX_WATCHES {}", WATCH_QUEUE_MAX_WATCHES as u64);
        println!("const WATCH_TYPE_META {}", WATCH_TYPE_META as u64);
        println!("const WATCH_TYPE_NETDEV {}", WATCH_TYPE_NETDEV as u64);
        println!("const WATCH_TYPE_MODULE {}", WATCH_TYPE_MODULE as u64);
        println!("const WATCH_TYPE_KAPI {}", WATCH_TYPE_KAPI as u64);
        println!("const WATCH_TYPE_NR {}", WATCH_TYPE_NR as u64);
        println!("const WATCH_META_SKIP_NOTIFICATION {}", WATCH_META_SKIP_NOTIFICATION as u64);
        println!("const WATCH_META_REMOVAL_NOTIFICATION {}", WATCH_META_REMOVAL_NOTIFICATION as u64);
        println!("const WATCH_META_LOSS_NOTIFICATION {}", WATCH_META_LOSS_NOTIFICATION as u64);
        println!("const WATCH_NETDEV_REGISTER {}", WATCH_NETDEV_REGISTER as u64);
        println!("const WATCH_NETDEV_UNREGISTER {}", WATCH_NETDEV_UNREGISTER as u64);
        println!("const WATCH_NETDEV_UP {}", WATCH_NETDEV_UP as u64);
        println!("const WATCH_NETDEV_DOWN {}", WATCH_NETDEV_DOWN as u64);
        println!("const WATCH_NETDEV_CHANGE_NAME {}", WATCH_NETDEV_CHANGE_NAME as u64);
        println!("const WATCH_MODULE_COMING {}", WATCH_MODULE_COMING as u64);
        println!("const WATCH_MODULE_LIVE {}", WATCH_MODULE_LIVE as u64);
        println!("const WATCH_MODULE_GOING {}", WATCH_MODULE_GOING as u64);
        println!("const WATCH_INFO_OVERRUN {}", WATCH_INFO_OVERRUN as u64);
        println!("const WATCH_INFO_OVERRUN__SHIFT {}", WATCH_INFO_OVERRUN__SHIFT as u64);
        println!("const WATCH_INFO_ENOMEM {}", WATCH_INFO_ENOMEM as u64);
        println!("const WATCH_INFO_ENOMEM__SHIFT {}", WATCH_INFO_ENOMEM__SHIFT as u64);
        println!("const WATCH_INFO_RECURSIVE {}", WATCH_INFO_RECURSIVE as u64);
        println!("const WATCH_INFO_RECURSIVE__SHIFT {}", WATCH_INFO_RECURSIVE__SHIFT as u64);
        println!("const WATCH_INFO_LENGTH {}", WATCH_INFO_LENGTH as u64);
        println!("const WATCH_INFO_LENGTH__SHIFT {}", WATCH_INFO_LENGTH__SHIFT as u64);
        println!("const WATCH_INFO_IN_SUBTREE {}", WATCH_INFO_IN_SUBTREE as u64);
        println!("const WATCH_INFO_IN_SUBTREE__SHIFT {}", WATCH_INFO_IN_SUBTREE__SHIFT as u64);
        println!("const WATCH_INFO_RESERVED {}", WATCH_INFO_RESERVED as u64);
        println!("const WATCH_INFO_RESERVED__SHIFT {}", WATCH_INFO_RESERVED__SHIFT as u64);
        println!("const WATCH_INFO_TYPE_FLAGS {}", WATCH_INFO_TYPE_FLAGS as u64);
        println!("const WATCH_INFO_TYPE_FLAGS__SHIFT {}", WATCH_INFO_TYPE_FLAGS__SHIFT as u64);
        println!("const WATCH_INFO_ID {}", WATCH_INFO_ID as u64);
        println!("const WATCH_INFO_ID__SHIFT {}", WATCH_INFO_ID__SHIFT as u64);
        println!("const WATCH_NOTIFICATION_TYPE__MASK {}", WATCH_NOTIFICATION_TYPE__MASK as u64);
        println!("const WATCH_NOTIFICATION_TYPE__SHIFT {}", WATCH_NOTIFICATION_TYPE__SHIFT as u64);
        println!("const WATCH_NOTIFICATION_SUBTYPE__MASK {}", WATCH_NOTIFICATION_SUBTYPE__MASK as u64);
        println!("const WATCH_NOTIFICATION_SUBTYPE__SHIFT {}", WATCH_NOTIFICATION_SUBTYPE__SHIFT as u64);
        println!("const IOC_WATCH_QUEUE_SET_SIZE {}", IOC_WATCH_QUEUE_SET_SIZE as u64);
        println!("const IOC_WATCH_QUEUE_SET_FILTER {}", IOC_WATCH_QUEUE_SET_FILTER as u64);
        println!("const IOC_WATCH_QUEUE_ADD_WATCH {}", IOC_WATCH_QUEUE_ADD_WATCH as u64);
        println!("const IOC_WATCH_QUEUE_REMOVE_WATCH {}", IOC_WATCH_QUEUE_REMOVE_WATCH as u64);
        println!("const IOC_WATCH_QUEUE_RESET {}", IOC_WATCH_QUEUE_RESET as u64);
    }
    {
        use kchan_uapi::ummunotify::*;
        println!("size ummunotify_event {}", size_of::<UmmunotifyEvent>());
        println!("align ummunotify_event {}", align_of::<UmmunotifyEvent>());
        println!("offset ummunotify_event.type {}", offset_of!(UmmunotifyEvent, r#type));
        println!("fsize ummunotify_event.type {}", size_of_val(&UmmunotifyEvent::ZERO.r#type));
        println!("offset ummunotify_event.flags {}", offset_of!(UmmunotifyEvent, flags));
        println!("fsize ummunotify_event.flags {}", size_of_val(&UmmunotifyEvent::ZERO.flags));
        println!("offset ummunotify_event.hint_start {}", offset_of!(UmmunotifyEvent, hint_start));
        println!("fsize ummunotify_event.hint_start {}", size_of_val(&UmmunotifyEvent::ZERO.hint_start));
        println!("offset ummunotify_event.hint_end {}", offset_of!(UmmunotifyEvent, hint_end));
        println!("fsize ummunotify_event.hint_end {}", size_of_val(&UmmunotifyEvent::ZERO.hint_end));
        println!("offset ummunotify_event.user_cookie_counter {}", offset_of!(UmmunotifyEvent, user_cookie_counter));
        println!("fsize ummunotify_event.user_cookie_counter {}", size_of_val(&UmmunotifyEvent::ZERO.user_cookie_counter));
        println!("size ummunotify_register_ioctl {}", size_of::<UmmunotifyRegisterIoctl>());
        println!("align ummunotify_register_ioctl {}", align_of::<UmmunotifyRegisterIoctl>());
        println!("offset ummunotify_register_ioctl.start {}", offset_of!(UmmunotifyRegisterIoctl, start));
        println!("fsize ummunotify_register_ioctl.start {}", size_of_val(&UmmunotifyRegisterIoctl::ZERO.start));
        println!("offset ummunotify_register_ioctl.end {}", offset_of!(UmmunotifyRegisterIoctl, end));
        println!("fsize ummunotify_register_ioctl.end {}", size_of_val(&UmmunotifyRegisterIoctl::ZERO.end));
        println!("offset ummunotify_register_ioctl.user_cookie {}", offset_of!(UmmunotifyRegisterIoctl, user_cookie));
        println!("fsize ummunotify_register_ioctl.user_cookie {}", size_of_val(&UmmunotifyRegisterIoctl::ZERO.user_cookie));
        println!("offset ummunotify_register_ioctl.flags {}", offset_of!(UmmunotifyRegisterIoctl, flags));
        println!("fsize ummunotify_register_ioctl.flags {}", size_of_val(&UmmunotifyRegisterIoctl::ZERO.flags));
        println!("offset ummunotify_register_ioctl.reserved {}", offset_of!(UmmunotifyRegisterIoctl, reserved));
        println!("fsize ummunotify_register_ioctl.reserved {}", size_of_val(&UmmunotifyRegisterIoctl::ZERO.reserved));
        println!("size ummunotify_register_slot_ioctl {}", size_of::<UmmunotifyRegisterSlotIoctl>());
        println!("align ummunotify_register_slot_ioctl {}", align_of::<UmmunotifyRegisterSlotIoctl>());
        println!("offset ummunotify_register_slot_ioctl.start {}", offset_of!(UmmunotifyRegisterSlotIoctl, start));
        println!("fsize ummunotify_register_slot_ioctl.start {}", size_of_val(&UmmunotifyRegisterSlotIoctl::ZERO.start));
        println!("offset ummunotify_register_slot_ioctl.end {}", offset_of!(UmmunotifyRegisterSlotIoctl, end));
        println!("fsize ummunotify_register_slot_ioctl.end {}", size_of_val(&UmmunotifyRegisterSlotIoctl::ZERO.end));
        println!("offset ummunotify_register_slot_ioctl.user_cookie {}", offset_of!(UmmunotifyRegisterSlotIoctl, user_cookie));
        println!("fsize ummunotify_register_slot_ioctl.user_cookie {}", size_of_val(&UmmunotifyRegisterSlotIoctl::ZERO.user_cookie));
        println!("offset ummunotify_register_slot_ioctl.flags {}", offset_of!(UmmunotifyRegisterSlotIoctl, flags));
        println!("fsize ummunotify_register_slot_ioctl.flags {}", size_of_val(&UmmunotifyRegisterSlotIoctl::ZERO.flags));
        println!("offset ummunotify_register_slot_ioctl.slot {}", offset_of!(UmmunotifyRegisterSlotIoctl, slot));
        println!("fsize ummunotify_register_slot_ioctl.slot {}", size_of_val(&UmmunotifyRegisterSlotIoctl::ZERO.slot));
        println!("size ummunotify_generation {}", size_of::<UmmunotifyGeneration>());
        println!("align ummunotify_generation {}", align_of::<UmmunotifyGeneration>());
        println!("offset ummunotify_generation.counter {}", offset_of!(UmmunotifyGeneration, counter));
        println!("fsize ummunotify_generation.counter {}", size_of_val(&UmmunotifyGeneration::ZERO.counter));
        println!("const UMMUNOTIFY_MAX_REGIONS {}", UMMUNOTIFY_MAX_REGIONS as u64);
        println!("const UMMUNOTIFY_GENERATION_OFFSET {}", UMMUNOTIFY_GENERATION_OFFSET as u64);
        println!("const UMMUNOTIFY_MAX_SLOTS {}", UMMUNOTIFY_MAX_SLOTS as u64);
        println!("const UMMUNOTIFY_EVENT_TYPE_INVAL {}", UMMUNOTIFY_EVENT_TYPE_INVAL as u64);
        println!("const UMMUNOTIFY_EVENT_TYPE_LAST {}", UMMUNOTIFY_EVENT_TYPE_LAST as u64);
        println!("const UMMUNOTIFY_EVENT_FLAG_HINT {}", UMMUNOTIFY_EVENT_FLAG_HINT as u64);
        println!("const UMMUNOTIFY_EVENT_FLAG_HINT__SHIFT {}", UMMUNOTIFY_EVENT_FLAG_HINT__SHIFT as u64);
        println!("const UMMUNOTIFY_FEATURE_REGION_GENERATION {}", UMMUNOTIFY_FEATURE_REGION_GENERATION as u64);
        println!("const UMMUNOTIFY_FEATURE_REGION_GENERATION__SHIFT {}", UMMUNOTIFY_FEATURE_REGION_GENERATION__SHIFT as u64);
        println!("const UMMUNOTIFY_EXCHANGE_FEATURES {}", UMMUNOTIFY_EXCHANGE_FEATURES as u64);
        println!("const UMMUNOTIFY_REGISTER_REGION {}", UMMUNOTIFY_REGISTER_REGION as u64);
        println!("const UMMUNOTIFY_UNREGISTER_REGION {}", UMMUNOTIFY_UNREGISTER_REGION as u64);
        println!("const UMMUNOTIFY_REGISTER_REGION_SLOT {}", UMMUNOTIFY_REGISTER_REGION_SLOT as u64);
    }
    {
        use kchan_uapi::kue::*;
        println!("size kue_msg_hdr {}", size_of::<KueMsgHdr>());
        println!("align kue_msg_hdr {}", align_of::<KueMsgHdr>());
        println!("offset kue_msg_hdr.size {}", offset_of!(KueMsgHdr, size));
        println!("fsize kue_msg_hdr.size {}", size_of_val(&KueMsgHdr::ZERO.size));
        println!("offset kue_msg_hdr.seq {}", offset_of!(KueMsgHdr, seq));
        println!("fsize kue_msg_hdr.seq {}", size_of_val(&KueMsgHdr::ZERO.seq));
        println!("offset kue_msg_hdr.flags {}", offset_of!(KueMsgHdr, flags));
        println!("fsize kue_msg_hdr.flags {}", size_of_val(&KueMsgHdr::ZERO.flags));
        println!("offset kue_msg_hdr.lost {}", offset_of!(KueMsgHdr, lost));
        println!("fsize kue_msg_hdr.lost {}", size_of_val(&KueMsgHdr::ZERO.lost));
        println!("size kue_info {}", size_of::<KueInfo>());
        println!("align kue_info {}", align_of::<KueInfo>());
        println!("offset kue_info.queued_msgs {}", offset_of!(KueInfo, queued_msgs));
        println!("fsize kue_info.queued_msgs {}", size_of_val(&KueInfo::ZERO.queued_msgs));
        println!("offset kue_info.queued_bytes {}", offset_of!(KueInfo, queued_bytes));
        println!("fsize kue_info.queued_bytes {}", size_of_val(&KueInfo::ZERO.queued_bytes));
        println!("offset kue_info.limit_bytes {}", offset_of!(KueInfo, limit_bytes));
        println!("fsize kue_info.limit_bytes {}", size_of_val(&KueInfo::ZERO.limit_bytes));
        println!("offset kue_info.next_seq {}", offset_of!(KueInfo, next_seq));
        println!("fsize kue_info.next_seq {}", size_of_val(&KueInfo::ZERO.next_seq));
        println!("offset kue_info.cursor {}", offset_of!(KueInfo, cursor));
        println!("fsize kue_info.cursor {}", size_of_val(&KueInfo::ZERO.cursor));
        println!("offset kue_info.lost {}", offset_of!(KueInfo, lost));
        println!("fsize kue_info.lost {}", size_of_val(&KueInfo::ZERO.lost));
        println!("const KUE_RECORD_ALIGN {}", KUE_RECORD_ALIGN as u64);
        println!("const KUE_MAX_MSG_SIZE {}", KUE_MAX_MSG_SIZE as u64);
        println!("const KUE_MSG_FLAG_LOST {}", KUE_MSG_FLAG_LOST as u64);
        println!("const KUE_MSG_FLAG_LOST__SHIFT {}", KUE_MSG_FLAG_LOST__SHIFT as u64);
        println!("const KUE_IOC_INFO {}", KUE_IOC_INFO as u64);
    }
    assert_eq!(kchan_uapi::PROTOCOL_VERSION, 2);
}
