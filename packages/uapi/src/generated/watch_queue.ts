// Do not edit: generated from packages/uapi/spec/kchan.yaml by packages/uapi/scripts/gen.mjs (mode: ts)
/**
 * kchan watch_queue (/dev/watch_queue), protocol version 2: A notification ring shared with user
 * space (after David Howells' 2019 mmap'ed watch_queue). The ring is an array of 8-byte slots.
 * Each entry starts with a one-slot `struct watch_notification` header and takes 1 to 63 slots.
 * The first WATCH_QUEUE_META_SLOTS slots hold the meta entry with the ring's head, tail and mask;
 * it is also a valid skip entry, so a reader that wraps round to slot 0 simply skips it. Entries
 * never straddle the end of the ring: the kernel pads the end with a skip entry.
 */

import { checkIndex, checkLength, decodeCString, encodeCString } from '../layout.js';
import type { BitsLayout, IoctlLayout, StructLayout } from '../layout.js';

/** The device node. */
export const WATCH_QUEUE_DEVICE_PATH = '/dev/watch_queue';

/** The watch_queue contract (also in the C header and docs/protocol/watch_queue.md). */
export const WATCH_QUEUE_CONTRACT = "Indices. `head` and `tail` are free-running u32 slot counts; slot\n`i` lives at byte offset `(i & mask) * 8` of the mapping. The ring is\nempty when head == tail, and `head - tail` (mod 2^32) never exceeds\n`mask + 1`.\n\nWho writes what. The kernel alone writes entries and `head`; the\nreader alone writes `tail`. The kernel never reads the mapped `head`\nor `mask` back: it keeps its own copy of head and the ring size.\n\nOrdering (liburing/perf style):\n1. Kernel: write the entry, then `smp_store_release(&meta->head, h)`.\n2. Reader: `h = load_acquire(&meta->head)` (pairs with 1), then read\n   entries in [tail, h).\n3. Reader: after it is done with the entries, `store_release(&meta->tail, t)`.\n4. Kernel: `t = smp_load_acquire(&meta->tail)` (pairs with 3) before\n   it reuses any slot below t.\nThe reader may publish tail once per batch.\n\nValidation. On every post, and in poll() when tail != head, the\nkernel checks the tail it reads: `head - tail` must not exceed\n`mask + 1` and tail must not move backwards from the last tail it\naccepted. Otherwise the queue enters the error state: nothing more is\nwritten, poll() reports EPOLLERR (at once, not only after the next\npost), and the kernel never writes outside the ring, until\nIOC_WATCH_QUEUE_RESET.\n\nSleeping and waking. The kernel wakes pollers only when a post makes\nan empty ring non-empty. Both sides use a full barrier so that no\nwake-up is missed (the store-buffer pattern):\n- kernel: publish head; smp_mb(); read tail; wake if the ring was empty\n  before this post (tail == old head).\n- reader: publish tail; then poll(): the kernel adds the waiter,\n  smp_mb(), re-reads tail and compares it with head before sleeping.\nA reader must re-check head after arming its poll watcher.\n\nOverrun. When an entry does not fit, it is dropped and counted. The\nnext post that fits is preceded by a loss entry (type META, subtype\nLOSS, flag OVERRUN) carrying the exact number of notifications lost,\nand itself carries WATCH_INFO_OVERRUN. The loss entries keep the\nloss in order with the entries; the meta entry's `lost` field makes it\nvisible at once: the kernel adds every dropped notification to it\n(store-release, mod 2^32). A reader that drained the ring (read head\nwith acquire, consumed up to it) then loads `lost` with acquire: its\ndifference from the sum of the loss entries seen is the loss not yet\nreported in-band (the head acquire orders every loss entry seen after\nthe `lost` updates it reports). Since protocol version 2.\n\nReset. IOC_WATCH_QUEUE_RESET empties the ring and leaves the error\nstate: the only way back from a bad tail short of a new fd.";

/** Bytes in one ring slot. */
export const WATCH_QUEUE_SLOT_SIZE = 8;
/** log2 of the slot size. */
export const WATCH_LENGTH_SHIFT = 3;
/** Slots taken by the meta entry at the start of the ring. */
export const WATCH_QUEUE_META_SLOTS = 3;
/** Largest entry in slots (the LENGTH field is 6 bits). */
export const WATCH_QUEUE_MAX_ENTRY_SLOTS = 63;
/** Smallest ring in pages. */
export const WATCH_QUEUE_MIN_PAGES = 1;
/** Largest ring in pages (1 MiB with 4 KiB pages). */
export const WATCH_QUEUE_MAX_PAGES = 256;
/** Most type filters in one SET_FILTER call. */
export const WATCH_QUEUE_MAX_FILTERS = 16;
/** Largest watch id (the ID field is 8 bits). */
export const WATCH_QUEUE_MAX_WATCH_ID = 255;
/** Most watches on one queue. */
export const WATCH_QUEUE_MAX_WATCHES = 64;

/** enum watch_notification_type: The `type` of a notification (24 bits). */
export const WatchNotificationType = {
  /** Ring management: skip, removal and loss entries. Never filtered. */
  META: 0,
  /** Network device events (struct watch_netdev_notification). */
  NETDEV: 1,
  /** Kernel module load/unload (struct watch_module_notification). */
  MODULE: 2,
  /** Posted by another kernel module through the exported kernel API; payload is free-form. */
  KAPI: 3,
  /** Number of types; not a type. */
  NR: 4,
} as const;
export type WatchNotificationType = (typeof WatchNotificationType)[keyof typeof WatchNotificationType];
export const WATCH_TYPE_META = 0;
export const WATCH_TYPE_NETDEV = 1;
export const WATCH_TYPE_MODULE = 2;
export const WATCH_TYPE_KAPI = 3;
export const WATCH_TYPE_NR = 4;

/** enum watch_meta_subtype: Subtypes of WATCH_TYPE_META. */
export const WatchMetaSubtype = {
  /** Padding; skip `length` slots. The meta entry at slot 0 is one. */
  SKIP_NOTIFICATION: 0,
  /** The watch with this entry's ID was removed. */
  REMOVAL_NOTIFICATION: 1,
  /** Notifications were lost to overrun (struct watch_queue_loss_notification). */
  LOSS_NOTIFICATION: 2,
} as const;
export type WatchMetaSubtype = (typeof WatchMetaSubtype)[keyof typeof WatchMetaSubtype];
export const WATCH_META_SKIP_NOTIFICATION = 0;
export const WATCH_META_REMOVAL_NOTIFICATION = 1;
export const WATCH_META_LOSS_NOTIFICATION = 2;

/** enum watch_netdev_subtype: Subtypes of WATCH_TYPE_NETDEV. */
export const WatchNetdevSubtype = {
  /** A network device was registered. */
  REGISTER: 0,
  /** A network device is being unregistered. */
  UNREGISTER: 1,
  /** The device was brought up. */
  UP: 2,
  /** The device was brought down. */
  DOWN: 3,
  /** The device was renamed (`name` is the new name). */
  CHANGE_NAME: 4,
} as const;
export type WatchNetdevSubtype = (typeof WatchNetdevSubtype)[keyof typeof WatchNetdevSubtype];
export const WATCH_NETDEV_REGISTER = 0;
export const WATCH_NETDEV_UNREGISTER = 1;
export const WATCH_NETDEV_UP = 2;
export const WATCH_NETDEV_DOWN = 3;
export const WATCH_NETDEV_CHANGE_NAME = 4;

/** enum watch_module_subtype: Subtypes of WATCH_TYPE_MODULE. */
export const WatchModuleSubtype = {
  /** A module is being loaded. */
  COMING: 0,
  /** A module finished loading. */
  LIVE: 1,
  /** A module is being unloaded. */
  GOING: 2,
} as const;
export type WatchModuleSubtype = (typeof WatchModuleSubtype)[keyof typeof WatchModuleSubtype];
export const WATCH_MODULE_COMING = 0;
export const WATCH_MODULE_LIVE = 1;
export const WATCH_MODULE_GOING = 2;

/**
 * Bitset watch_info (u32): The `info` word of every notification header. Use bitsGet/bitsSet with
 * these entries.
 */
export const WatchInfo = {
  /** Notifications were lost before this one. */
  OVERRUN: { shift: 0, width: 1, mask: 0x1 },
  /** Notifications were lost to memory allocation failure. */
  ENOMEM: { shift: 1, width: 1, mask: 0x2 },
  /** The change was recursive. */
  RECURSIVE: { shift: 2, width: 1, mask: 0x4 },
  /** Length of the entry in 8-byte slots (1..63); as a byte mask it is the length in bytes. */
  LENGTH: { shift: 3, width: 6, mask: 0x1f8 },
  /** The change was not at the watched root. */
  IN_SUBTREE: { shift: 9, width: 1, mask: 0x200 },
  /** Zero. */
  RESERVED: { shift: 10, width: 6, mask: 0xfc00 },
  /** Type-specific flags (none defined yet). */
  TYPE_FLAGS: { shift: 16, width: 8, mask: 0xff0000 },
  /** The id of the watch that produced this entry. */
  ID: { shift: 24, width: 8, mask: 0xff000000 },
} as const satisfies Readonly<Record<string, BitsLayout>>;
export const WATCH_INFO_OVERRUN = 0x1;
export const WATCH_INFO_OVERRUN__SHIFT = 0;
export const WATCH_INFO_ENOMEM = 0x2;
export const WATCH_INFO_ENOMEM__SHIFT = 1;
export const WATCH_INFO_RECURSIVE = 0x4;
export const WATCH_INFO_RECURSIVE__SHIFT = 2;
export const WATCH_INFO_LENGTH = 0x1f8;
export const WATCH_INFO_LENGTH__SHIFT = 3;
export const WATCH_INFO_IN_SUBTREE = 0x200;
export const WATCH_INFO_IN_SUBTREE__SHIFT = 9;
export const WATCH_INFO_RESERVED = 0xfc00;
export const WATCH_INFO_RESERVED__SHIFT = 10;
export const WATCH_INFO_TYPE_FLAGS = 0xff0000;
export const WATCH_INFO_TYPE_FLAGS__SHIFT = 16;
export const WATCH_INFO_ID = 0xff000000;
export const WATCH_INFO_ID__SHIFT = 24;

/** struct watch_notification: The header of every ring entry (one slot). */
export interface WatchNotification {
  /** enum watch_notification_type (bits 0..23 of type_subtype) */
  type: number;
  /** Type-specific subtype (filterable) (bits 24..31 of type_subtype) */
  subtype: number;
  /** Length, id and flags (WATCH_INFO_*). */
  info: number;
}

/**
 * Input of encodeWatchNotification: like WatchNotification, with reserved fields optional (default
 * 0).
 */
export interface WatchNotificationInit {
  /** enum watch_notification_type (bits 0..23 of type_subtype) */
  type: number;
  /** Type-specific subtype (filterable) (bits 24..31 of type_subtype) */
  subtype: number;
  /** Length, id and flags (WATCH_INFO_*). */
  info: number;
}

/** Layout of struct watch_notification (size 8, alignment 4). */
export const WatchNotificationLayout = {
  name: 'watch_notification',
  size: 8,
  align: 4,
  fields: {
    type_subtype: { offset: 0, size: 4, type: 'u32', bitfields: { type: { shift: 0, width: 24, mask: 0xffffff }, subtype: { shift: 24, width: 8, mask: 0xff000000 } } },
    info: { offset: 4, size: 4, type: 'u32', bitset: 'watch_info' },
  },
} as const satisfies StructLayout;

export const WATCH_NOTIFICATION_TYPE__MASK = 0xffffff;
export const WATCH_NOTIFICATION_TYPE__SHIFT = 0;
export const WATCH_NOTIFICATION_SUBTYPE__MASK = 0xff000000;
export const WATCH_NOTIFICATION_SUBTYPE__SHIFT = 24;

/** struct watch_notification.type (bits 0..23 of the u32 at offset 0); no allocation. */
export function watchNotificationType(view: DataView, offset: number): number {
  return view.getUint32(offset, true) & 0xffffff;
}
export function setWatchNotificationType(view: DataView, offset: number, value: number): void {
  const word = view.getUint32(offset, true);
  view.setUint32(offset, ((word & 0xff000000) | (value & 0xffffff)) >>> 0, true);
}
/** struct watch_notification.subtype (bits 24..31 of the u32 at offset 0); no allocation. */
export function watchNotificationSubtype(view: DataView, offset: number): number {
  return (view.getUint32(offset, true) >>> 24) & 0xff;
}
export function setWatchNotificationSubtype(view: DataView, offset: number, value: number): void {
  const word = view.getUint32(offset, true);
  view.setUint32(offset, ((word & 0xffffff) | ((value & 0xff) << 24)) >>> 0, true);
}
/** struct watch_notification.info (u32 at offset 4); no allocation. */
export function watchNotificationInfo(view: DataView, offset: number): number {
  return view.getUint32(offset + 4, true);
}
export function setWatchNotificationInfo(view: DataView, offset: number, value: number): void {
  view.setUint32(offset + 4, value, true);
}

/** Decode struct watch_notification at `offset`. */
export function decodeWatchNotification(view: DataView, offset: number): WatchNotification {
  return {
    type: watchNotificationType(view, offset),
    subtype: watchNotificationSubtype(view, offset),
    info: watchNotificationInfo(view, offset),
  };
}

/**
 * Encode struct watch_notification at `offset`; every byte of the struct is written. Returns the
 * bytes written.
 */
export function encodeWatchNotification(view: DataView, offset: number, value: WatchNotificationInit): number {
  view.setUint32(offset, (((value.type) & 0xffffff) | (((value.subtype) & 0xff) << 24)) >>> 0, true);
  view.setUint32(offset + 4, value.info, true);
  return 8;
}

/**
 * struct watch_queue_meta: The meta entry in the first slots of the ring (a skip entry of
 * WATCH_QUEUE_META_SLOTS slots).
 */
export interface WatchQueueMeta {
  /** type META, subtype SKIP, length WATCH_QUEUE_META_SLOTS. */
  watch: WatchNotification;
  /** Producer index in slots; written by the kernel (release). */
  head: number;
  /** Consumer index in slots; written by the reader (release). */
  tail: number;
  /** Number of slots minus one. */
  mask: number;
  /**
   * Notifications dropped since SET_SIZE or RESET, mod 2^32; written by the kernel (release) when
   * it drops one. Protocol version 2; was a zero reserved field.
   */
  lost: number;
}

/** Input of encodeWatchQueueMeta: like WatchQueueMeta, with reserved fields optional (default 0). */
export interface WatchQueueMetaInit {
  /** type META, subtype SKIP, length WATCH_QUEUE_META_SLOTS. */
  watch: WatchNotificationInit;
  /** Producer index in slots; written by the kernel (release). */
  head: number;
  /** Consumer index in slots; written by the reader (release). */
  tail: number;
  /** Number of slots minus one. */
  mask: number;
  /**
   * Notifications dropped since SET_SIZE or RESET, mod 2^32; written by the kernel (release) when
   * it drops one. Protocol version 2; was a zero reserved field.
   */
  lost: number;
}

/** Layout of struct watch_queue_meta (size 24, alignment 4). */
export const WatchQueueMetaLayout = {
  name: 'watch_queue_meta',
  size: 24,
  align: 4,
  fields: {
    watch: { offset: 0, size: 8, type: 'watch_notification' },
    head: { offset: 8, size: 4, type: 'u32' },
    tail: { offset: 12, size: 4, type: 'u32' },
    mask: { offset: 16, size: 4, type: 'u32' },
    lost: { offset: 20, size: 4, type: 'u32' },
  },
} as const satisfies StructLayout;

/** struct watch_queue_meta.head (u32 at offset 8); no allocation. */
export function watchQueueMetaHead(view: DataView, offset: number): number {
  return view.getUint32(offset + 8, true);
}
export function setWatchQueueMetaHead(view: DataView, offset: number, value: number): void {
  view.setUint32(offset + 8, value, true);
}
/** struct watch_queue_meta.tail (u32 at offset 12); no allocation. */
export function watchQueueMetaTail(view: DataView, offset: number): number {
  return view.getUint32(offset + 12, true);
}
export function setWatchQueueMetaTail(view: DataView, offset: number, value: number): void {
  view.setUint32(offset + 12, value, true);
}
/** struct watch_queue_meta.mask (u32 at offset 16); no allocation. */
export function watchQueueMetaMask(view: DataView, offset: number): number {
  return view.getUint32(offset + 16, true);
}
export function setWatchQueueMetaMask(view: DataView, offset: number, value: number): void {
  view.setUint32(offset + 16, value, true);
}
/** struct watch_queue_meta.lost (u32 at offset 20); no allocation. */
export function watchQueueMetaLost(view: DataView, offset: number): number {
  return view.getUint32(offset + 20, true);
}
export function setWatchQueueMetaLost(view: DataView, offset: number, value: number): void {
  view.setUint32(offset + 20, value, true);
}

/** Decode struct watch_queue_meta at `offset`. */
export function decodeWatchQueueMeta(view: DataView, offset: number): WatchQueueMeta {
  return {
    watch: decodeWatchNotification(view, offset),
    head: watchQueueMetaHead(view, offset),
    tail: watchQueueMetaTail(view, offset),
    mask: watchQueueMetaMask(view, offset),
    lost: watchQueueMetaLost(view, offset),
  };
}

/**
 * Encode struct watch_queue_meta at `offset`; every byte of the struct is written. Returns the
 * bytes written.
 */
export function encodeWatchQueueMeta(view: DataView, offset: number, value: WatchQueueMetaInit): number {
  encodeWatchNotification(view, offset, value.watch);
  view.setUint32(offset + 8, value.head, true);
  view.setUint32(offset + 12, value.tail, true);
  view.setUint32(offset + 16, value.mask, true);
  view.setUint32(offset + 20, value.lost, true);
  return 24;
}

/** struct watch_queue_loss_notification: A META/LOSS entry. Carries WATCH_INFO_OVERRUN. */
export interface WatchQueueLossNotification {
  /** type META, subtype LOSS. */
  watch: WatchNotification;
  /** Notifications dropped since the previous loss entry. */
  lost: bigint;
}

/**
 * Input of encodeWatchQueueLossNotification: like WatchQueueLossNotification, with reserved fields
 * optional (default 0).
 */
export interface WatchQueueLossNotificationInit {
  /** type META, subtype LOSS. */
  watch: WatchNotificationInit;
  /** Notifications dropped since the previous loss entry. */
  lost: bigint;
}

/** Layout of struct watch_queue_loss_notification (size 16, alignment 8). */
export const WatchQueueLossNotificationLayout = {
  name: 'watch_queue_loss_notification',
  size: 16,
  align: 8,
  fields: {
    watch: { offset: 0, size: 8, type: 'watch_notification' },
    lost: { offset: 8, size: 8, type: 'u64' },
  },
} as const satisfies StructLayout;

/** struct watch_queue_loss_notification.lost (u64 at offset 8); no allocation beyond the bigint. */
export function watchQueueLossNotificationLost(view: DataView, offset: number): bigint {
  return view.getBigUint64(offset + 8, true);
}
export function setWatchQueueLossNotificationLost(view: DataView, offset: number, value: bigint): void {
  view.setBigUint64(offset + 8, value, true);
}

/** Decode struct watch_queue_loss_notification at `offset`. */
export function decodeWatchQueueLossNotification(view: DataView, offset: number): WatchQueueLossNotification {
  return {
    watch: decodeWatchNotification(view, offset),
    lost: watchQueueLossNotificationLost(view, offset),
  };
}

/**
 * Encode struct watch_queue_loss_notification at `offset`; every byte of the struct is written.
 * Returns the bytes written.
 */
export function encodeWatchQueueLossNotification(view: DataView, offset: number, value: WatchQueueLossNotificationInit): number {
  encodeWatchNotification(view, offset, value.watch);
  view.setBigUint64(offset + 8, value.lost, true);
  return 16;
}

/** struct watch_netdev_notification: A WATCH_TYPE_NETDEV entry. */
export interface WatchNetdevNotification {
  /** Header. */
  watch: WatchNotification;
  /** Interface index. */
  ifindex: number;
  /** The device's IFF_* flags after the event. */
  flags: number;
  /** Interface name, NUL-padded. */
  name: string;
}

/**
 * Input of encodeWatchNetdevNotification: like WatchNetdevNotification, with reserved fields
 * optional (default 0).
 */
export interface WatchNetdevNotificationInit {
  /** Header. */
  watch: WatchNotificationInit;
  /** Interface index. */
  ifindex: number;
  /** The device's IFF_* flags after the event. */
  flags: number;
  /** Interface name, NUL-padded. */
  name: string;
}

/** Layout of struct watch_netdev_notification (size 32, alignment 4). */
export const WatchNetdevNotificationLayout = {
  name: 'watch_netdev_notification',
  size: 32,
  align: 4,
  fields: {
    watch: { offset: 0, size: 8, type: 'watch_notification' },
    ifindex: { offset: 8, size: 4, type: 'u32' },
    flags: { offset: 12, size: 4, type: 'u32' },
    name: { offset: 16, size: 16, type: 'u8', count: 16, elementSize: 1, string: true },
  },
} as const satisfies StructLayout;

/** struct watch_netdev_notification.ifindex (u32 at offset 8); no allocation. */
export function watchNetdevNotificationIfindex(view: DataView, offset: number): number {
  return view.getUint32(offset + 8, true);
}
export function setWatchNetdevNotificationIfindex(view: DataView, offset: number, value: number): void {
  view.setUint32(offset + 8, value, true);
}
/** struct watch_netdev_notification.flags (u32 at offset 12); no allocation. */
export function watchNetdevNotificationFlags(view: DataView, offset: number): number {
  return view.getUint32(offset + 12, true);
}
export function setWatchNetdevNotificationFlags(view: DataView, offset: number, value: number): void {
  view.setUint32(offset + 12, value, true);
}
/** struct watch_netdev_notification.name as a string (allocates). */
export function watchNetdevNotificationName(view: DataView, offset: number): string {
  return decodeCString(view, offset + 16, 16);
}

/** Decode struct watch_netdev_notification at `offset`. */
export function decodeWatchNetdevNotification(view: DataView, offset: number): WatchNetdevNotification {
  return {
    watch: decodeWatchNotification(view, offset),
    ifindex: watchNetdevNotificationIfindex(view, offset),
    flags: watchNetdevNotificationFlags(view, offset),
    name: watchNetdevNotificationName(view, offset),
  };
}

/**
 * Encode struct watch_netdev_notification at `offset`; every byte of the struct is written.
 * Returns the bytes written.
 */
export function encodeWatchNetdevNotification(view: DataView, offset: number, value: WatchNetdevNotificationInit): number {
  encodeWatchNotification(view, offset, value.watch);
  view.setUint32(offset + 8, value.ifindex, true);
  view.setUint32(offset + 12, value.flags, true);
  encodeCString(view, offset + 16, 16, value.name);
  return 32;
}

/** struct watch_module_notification: A WATCH_TYPE_MODULE entry. */
export interface WatchModuleNotification {
  /** Header. */
  watch: WatchNotification;
  /** Module name, NUL-padded. */
  name: string;
}

/**
 * Input of encodeWatchModuleNotification: like WatchModuleNotification, with reserved fields
 * optional (default 0).
 */
export interface WatchModuleNotificationInit {
  /** Header. */
  watch: WatchNotificationInit;
  /** Module name, NUL-padded. */
  name: string;
}

/** Layout of struct watch_module_notification (size 64, alignment 4). */
export const WatchModuleNotificationLayout = {
  name: 'watch_module_notification',
  size: 64,
  align: 4,
  fields: {
    watch: { offset: 0, size: 8, type: 'watch_notification' },
    name: { offset: 8, size: 56, type: 'u8', count: 56, elementSize: 1, string: true },
  },
} as const satisfies StructLayout;

/** struct watch_module_notification.name as a string (allocates). */
export function watchModuleNotificationName(view: DataView, offset: number): string {
  return decodeCString(view, offset + 8, 56);
}

/** Decode struct watch_module_notification at `offset`. */
export function decodeWatchModuleNotification(view: DataView, offset: number): WatchModuleNotification {
  return {
    watch: decodeWatchNotification(view, offset),
    name: watchModuleNotificationName(view, offset),
  };
}

/**
 * Encode struct watch_module_notification at `offset`; every byte of the struct is written.
 * Returns the bytes written.
 */
export function encodeWatchModuleNotification(view: DataView, offset: number, value: WatchModuleNotificationInit): number {
  encodeWatchNotification(view, offset, value.watch);
  encodeCString(view, offset + 8, 56, value.name);
  return 64;
}

/** struct watch_queue_watch: Argument of IOC_WATCH_QUEUE_ADD_WATCH. */
export interface WatchQueueWatch {
  /** Source to watch: WATCH_TYPE_NETDEV, _MODULE or _KAPI. */
  type: number;
  /** Watch id 0..255, reported in WATCH_INFO_ID. */
  id: number;
  /** Must be 0. */
  flags: number;
  /** Must be 0. */
  reserved: number;
}

/** Input of encodeWatchQueueWatch: like WatchQueueWatch, with reserved fields optional (default 0). */
export interface WatchQueueWatchInit {
  /** Source to watch: WATCH_TYPE_NETDEV, _MODULE or _KAPI. */
  type: number;
  /** Watch id 0..255, reported in WATCH_INFO_ID. */
  id: number;
  /** Must be 0. */
  flags: number;
  /** Must be 0. */
  reserved?: number;
}

/** Layout of struct watch_queue_watch (size 16, alignment 4). */
export const WatchQueueWatchLayout = {
  name: 'watch_queue_watch',
  size: 16,
  align: 4,
  fields: {
    type: { offset: 0, size: 4, type: 'u32' },
    id: { offset: 4, size: 4, type: 'u32' },
    flags: { offset: 8, size: 4, type: 'u32' },
    reserved: { offset: 12, size: 4, type: 'u32' },
  },
} as const satisfies StructLayout;

/** struct watch_queue_watch.type (u32 at offset 0); no allocation. */
export function watchQueueWatchType(view: DataView, offset: number): number {
  return view.getUint32(offset, true);
}
export function setWatchQueueWatchType(view: DataView, offset: number, value: number): void {
  view.setUint32(offset, value, true);
}
/** struct watch_queue_watch.id (u32 at offset 4); no allocation. */
export function watchQueueWatchId(view: DataView, offset: number): number {
  return view.getUint32(offset + 4, true);
}
export function setWatchQueueWatchId(view: DataView, offset: number, value: number): void {
  view.setUint32(offset + 4, value, true);
}
/** struct watch_queue_watch.flags (u32 at offset 8); no allocation. */
export function watchQueueWatchFlags(view: DataView, offset: number): number {
  return view.getUint32(offset + 8, true);
}
export function setWatchQueueWatchFlags(view: DataView, offset: number, value: number): void {
  view.setUint32(offset + 8, value, true);
}
/** struct watch_queue_watch.reserved (u32 at offset 12); no allocation. */
export function watchQueueWatchReserved(view: DataView, offset: number): number {
  return view.getUint32(offset + 12, true);
}
export function setWatchQueueWatchReserved(view: DataView, offset: number, value: number): void {
  view.setUint32(offset + 12, value, true);
}

/** Decode struct watch_queue_watch at `offset`. */
export function decodeWatchQueueWatch(view: DataView, offset: number): WatchQueueWatch {
  return {
    type: watchQueueWatchType(view, offset),
    id: watchQueueWatchId(view, offset),
    flags: watchQueueWatchFlags(view, offset),
    reserved: watchQueueWatchReserved(view, offset),
  };
}

/**
 * Encode struct watch_queue_watch at `offset`; every byte of the struct is written. Returns the
 * bytes written.
 */
export function encodeWatchQueueWatch(view: DataView, offset: number, value: WatchQueueWatchInit): number {
  view.setUint32(offset, value.type, true);
  view.setUint32(offset + 4, value.id, true);
  view.setUint32(offset + 8, value.flags, true);
  view.setUint32(offset + 12, value.reserved ?? 0, true);
  return 16;
}

/** struct watch_notification_type_filter: One type's filter. */
export interface WatchNotificationTypeFilter {
  /** Type to apply the filter to (< WATCH_TYPE_NR, not META). */
  type: number;
  /** Required value of (info & info_mask). */
  info_filter: number;
  /** Bits of info that info_filter tests. */
  info_mask: number;
  /** Bitmap of the 256 subtypes to pass. */
  subtype_filter: number[];
}

/**
 * Input of encodeWatchNotificationTypeFilter: like WatchNotificationTypeFilter, with reserved
 * fields optional (default 0).
 */
export interface WatchNotificationTypeFilterInit {
  /** Type to apply the filter to (< WATCH_TYPE_NR, not META). */
  type: number;
  /** Required value of (info & info_mask). */
  info_filter: number;
  /** Bits of info that info_filter tests. */
  info_mask: number;
  /** Bitmap of the 256 subtypes to pass. */
  subtype_filter: number[];
}

/** Layout of struct watch_notification_type_filter (size 44, alignment 4). */
export const WatchNotificationTypeFilterLayout = {
  name: 'watch_notification_type_filter',
  size: 44,
  align: 4,
  fields: {
    type: { offset: 0, size: 4, type: 'u32' },
    info_filter: { offset: 4, size: 4, type: 'u32' },
    info_mask: { offset: 8, size: 4, type: 'u32' },
    subtype_filter: { offset: 12, size: 32, type: 'u32', count: 8, elementSize: 4 },
  },
} as const satisfies StructLayout;

/** struct watch_notification_type_filter.type (u32 at offset 0); no allocation. */
export function watchNotificationTypeFilterType(view: DataView, offset: number): number {
  return view.getUint32(offset, true);
}
export function setWatchNotificationTypeFilterType(view: DataView, offset: number, value: number): void {
  view.setUint32(offset, value, true);
}
/** struct watch_notification_type_filter.info_filter (u32 at offset 4); no allocation. */
export function watchNotificationTypeFilterInfoFilter(view: DataView, offset: number): number {
  return view.getUint32(offset + 4, true);
}
export function setWatchNotificationTypeFilterInfoFilter(view: DataView, offset: number, value: number): void {
  view.setUint32(offset + 4, value, true);
}
/** struct watch_notification_type_filter.info_mask (u32 at offset 8); no allocation. */
export function watchNotificationTypeFilterInfoMask(view: DataView, offset: number): number {
  return view.getUint32(offset + 8, true);
}
export function setWatchNotificationTypeFilterInfoMask(view: DataView, offset: number, value: number): void {
  view.setUint32(offset + 8, value, true);
}
/**
 * struct watch_notification_type_filter.subtype_filter[index] (u32[8] at offset 12); no
 * allocation.
 */
export function watchNotificationTypeFilterSubtypeFilter(view: DataView, offset: number, index: number): number {
  checkIndex(index, 8);
  return view.getUint32(offset + 12 + index * 4, true);
}
export function setWatchNotificationTypeFilterSubtypeFilter(view: DataView, offset: number, index: number, value: number): void {
  checkIndex(index, 8);
  view.setUint32(offset + 12 + index * 4, value, true);
}

/** Decode struct watch_notification_type_filter at `offset`. */
export function decodeWatchNotificationTypeFilter(view: DataView, offset: number): WatchNotificationTypeFilter {
  return {
    type: watchNotificationTypeFilterType(view, offset),
    info_filter: watchNotificationTypeFilterInfoFilter(view, offset),
    info_mask: watchNotificationTypeFilterInfoMask(view, offset),
    subtype_filter: Array.from({ length: 8 }, (_, i) => view.getUint32(offset + 12 + i * 4, true)),
  };
}

/**
 * Encode struct watch_notification_type_filter at `offset`; every byte of the struct is written.
 * Returns the bytes written.
 */
export function encodeWatchNotificationTypeFilter(view: DataView, offset: number, value: WatchNotificationTypeFilterInit): number {
  view.setUint32(offset, value.type, true);
  view.setUint32(offset + 4, value.info_filter, true);
  view.setUint32(offset + 8, value.info_mask, true);
  checkLength(value.subtype_filter.length, 8, 'watch_notification_type_filter.subtype_filter');
  for (let i = 0; i < 8; i++) {
    view.setUint32(offset + 12 + i * 4, value.subtype_filter[i] ?? 0, true);
  }
  return 44;
}

/**
 * struct watch_notification_filter: Argument of IOC_WATCH_QUEUE_SET_FILTER. When a filter is set,
 * only notifications of a listed type whose subtype and info match pass; META entries always pass.
 * A NULL argument removes the filter.
 */
export interface WatchNotificationFilter {
  /** Number of filters (<= WATCH_QUEUE_MAX_FILTERS). */
  nr_filters: number;
  /** Must be 0. */
  reserved: number;
  /** nr_filters filters (flexible array). */
  filters: WatchNotificationTypeFilter[];
}

/**
 * Input of encodeWatchNotificationFilter: like WatchNotificationFilter, with reserved fields and
 * the flexible array optional (default 0 / empty).
 */
export interface WatchNotificationFilterInit {
  /** Number of filters (<= WATCH_QUEUE_MAX_FILTERS). */
  nr_filters: number;
  /** Must be 0. */
  reserved?: number;
  /** nr_filters filters (flexible array). */
  filters?: WatchNotificationTypeFilterInit[];
}

/** Layout of struct watch_notification_filter (size 8, alignment 4). */
export const WatchNotificationFilterLayout = {
  name: 'watch_notification_filter',
  size: 8,
  align: 4,
  fields: {
    nr_filters: { offset: 0, size: 4, type: 'u32' },
    reserved: { offset: 4, size: 4, type: 'u32' },
    filters: { offset: 8, size: 0, type: 'watch_notification_type_filter', count: 0, elementSize: 44, flexible: true },
  },
} as const satisfies StructLayout;

/** struct watch_notification_filter.nr_filters (u32 at offset 0); no allocation. */
export function watchNotificationFilterNrFilters(view: DataView, offset: number): number {
  return view.getUint32(offset, true);
}
export function setWatchNotificationFilterNrFilters(view: DataView, offset: number, value: number): void {
  view.setUint32(offset, value, true);
}
/** struct watch_notification_filter.reserved (u32 at offset 4); no allocation. */
export function watchNotificationFilterReserved(view: DataView, offset: number): number {
  return view.getUint32(offset + 4, true);
}
export function setWatchNotificationFilterReserved(view: DataView, offset: number, value: number): void {
  view.setUint32(offset + 4, value, true);
}

/** Decode struct watch_notification_filter at `offset` with `filtersCount` elements of filters. */
export function decodeWatchNotificationFilter(view: DataView, offset: number, filtersCount = 0): WatchNotificationFilter {
  return {
    nr_filters: watchNotificationFilterNrFilters(view, offset),
    reserved: watchNotificationFilterReserved(view, offset),
    filters: Array.from({ length: filtersCount }, (_, i) => decodeWatchNotificationTypeFilter(view, offset + 8 + i * 44)),
  };
}

/**
 * Encode struct watch_notification_filter at `offset`; every byte of the struct and the flexible
 * array is written. Returns the bytes written.
 */
export function encodeWatchNotificationFilter(view: DataView, offset: number, value: WatchNotificationFilterInit): number {
  view.setUint32(offset, value.nr_filters, true);
  view.setUint32(offset + 4, value.reserved ?? 0, true);
  const filters = value.filters ?? [];
  for (let i = 0; i < filters.length; i++) {
    const el = filters[i];
    if (el !== undefined) encodeWatchNotificationTypeFilter(view, offset + 8 + i * 44, el);
  }
  return 8 + filters.length * 44;
}

/**
 * IOC_WATCH_QUEUE_SET_SIZE = _IOC(none, 'W', 0x60, 0): Size the ring: arg is the number of pages,
 * a power of two in [MIN_PAGES, MAX_PAGES]. Once only (EBUSY); charged to RLIMIT_MEMLOCK
 * (ENOMEM/EPERM).
 */
export const IOC_WATCH_QUEUE_SET_SIZE = 0x5760;
/**
 * IOC_WATCH_QUEUE_SET_FILTER = _IOC(none, 'W', 0x61, 0): Set or (NULL) clear the filter. EINVAL
 * for a bad count, type or reserved field, info_filter bits outside info_mask, or
 * WATCH_INFO_LENGTH in info_mask.
 */
export const IOC_WATCH_QUEUE_SET_FILTER = 0x5761;
/**
 * IOC_WATCH_QUEUE_ADD_WATCH = _IOC(write, 'W', 0x62, 16): Watch a source under an id. EEXIST for
 * an id in use, EINVAL for a bad type, id or flags, ENOSPC past MAX_WATCHES or past the per-user
 * limit (module parameter kchan.wq_max_user_watches, default 8192), ENODEV before SET_SIZE (a
 * watch on an unsized ring would only count losses).
 */
export const IOC_WATCH_QUEUE_ADD_WATCH = 0x40105762;
/**
 * IOC_WATCH_QUEUE_REMOVE_WATCH = _IOC(write, 'W', 0x63, 4): Remove the watch with this id (ENOENT
 * if none) and post a META/REMOVAL entry.
 */
export const IOC_WATCH_QUEUE_REMOVE_WATCH = 0x40045763;
/**
 * IOC_WATCH_QUEUE_RESET = _IOC(none, 'W', 0x64, 0): Empty the ring and clear the error state:
 * under the queue's lock, rewrite the meta entry (head = tail = WATCH_QUEUE_META_SLOTS, lost = 0)
 * and forget any loss not yet reported. Entries in the ring are discarded, not counted as lost.
 * For the ring's owner, with no read of the ring in progress (a reader must restart from the new
 * tail). arg must be 0 (EINVAL). ENODEV before SET_SIZE.
 */
export const IOC_WATCH_QUEUE_RESET = 0x5764;

/** Every ioctl of /dev/watch_queue, by C name. */
export const WatchQueueIoctls = {
  IOC_WATCH_QUEUE_SET_SIZE: { request: 0x5760, dir: 'none', type: 0x57, nr: 0x60, size: 0, argKind: 'value', arg: 'u32' },
  IOC_WATCH_QUEUE_SET_FILTER: { request: 0x5761, dir: 'none', type: 0x57, nr: 0x61, size: 0, argKind: 'pointer', arg: 'watch_notification_filter' },
  IOC_WATCH_QUEUE_ADD_WATCH: { request: 0x40105762, dir: 'write', type: 0x57, nr: 0x62, size: 16, argKind: 'struct', arg: 'watch_queue_watch' },
  IOC_WATCH_QUEUE_REMOVE_WATCH: { request: 0x40045763, dir: 'write', type: 0x57, nr: 0x63, size: 4, argKind: 'struct', arg: 'u32' },
  IOC_WATCH_QUEUE_RESET: { request: 0x5764, dir: 'none', type: 0x57, nr: 0x64, size: 0, argKind: 'value', arg: 'u32' },
} as const satisfies Readonly<Record<string, IoctlLayout>>;

/** Every struct layout of /dev/watch_queue, by C name. */
export const WatchQueueLayouts = {
  watch_notification: WatchNotificationLayout,
  watch_queue_meta: WatchQueueMetaLayout,
  watch_queue_loss_notification: WatchQueueLossNotificationLayout,
  watch_netdev_notification: WatchNetdevNotificationLayout,
  watch_module_notification: WatchModuleNotificationLayout,
  watch_queue_watch: WatchQueueWatchLayout,
  watch_notification_type_filter: WatchNotificationTypeFilterLayout,
  watch_notification_filter: WatchNotificationFilterLayout,
} as const satisfies Readonly<Record<string, StructLayout>>;
