// Ring geometry derived from the generated layouts of @kchan/uapi.
import {
  WatchQueueMetaLayout,
  WATCH_INFO_ID,
  WATCH_INFO_ID__SHIFT,
  WATCH_INFO_LENGTH,
  WATCH_INFO_LENGTH__SHIFT,
  WATCH_INFO_TYPE_FLAGS,
  WATCH_INFO_TYPE_FLAGS__SHIFT,
  WATCH_NOTIFICATION_SUBTYPE__SHIFT,
  WATCH_NOTIFICATION_TYPE__MASK,
  WATCH_QUEUE_META_SLOTS,
  WATCH_QUEUE_SLOT_SIZE,
} from '@kchan/uapi';

/** u32 index of meta->head in a Uint32Array over the ring. */
export const HEAD_WORD = WatchQueueMetaLayout.fields.head.offset / 4;
/** u32 index of meta->tail. */
export const TAIL_WORD = WatchQueueMetaLayout.fields.tail.offset / 4;
/** u32 index of meta->mask. */
export const MASK_WORD = WatchQueueMetaLayout.fields.mask.offset / 4;
/** u32 index of meta->lost (protocol version 2: notifications dropped, mod 2^32). */
export const LOST_WORD = WatchQueueMetaLayout.fields.lost.offset / 4;
/** u32 words per slot. */
export const SLOT_WORDS = WATCH_QUEUE_SLOT_SIZE / 4;
/** Smallest ring (slots) that can hold the meta entry, a padded maximal entry and the wrap. */
export const MIN_RING_SLOTS = 256;

export const TYPE_MASK = WATCH_NOTIFICATION_TYPE__MASK;
export const SUBTYPE_SHIFT = WATCH_NOTIFICATION_SUBTYPE__SHIFT;
export const LENGTH_MASK = WATCH_INFO_LENGTH;
export const LENGTH_SHIFT = WATCH_INFO_LENGTH__SHIFT;
export const ID_MASK = WATCH_INFO_ID;
export const ID_SHIFT = WATCH_INFO_ID__SHIFT;
export const TYPE_FLAGS_MASK = WATCH_INFO_TYPE_FLAGS;
export const TYPE_FLAGS_SHIFT = WATCH_INFO_TYPE_FLAGS__SHIFT;
export const META_SLOTS = WATCH_QUEUE_META_SLOTS;

/** Number of slots of a ring in `byteLength` bytes, or 0 if it cannot be a ring. */
export function ringSlots(byteLength: number): number {
  const slots = byteLength / WATCH_QUEUE_SLOT_SIZE;
  if (!Number.isInteger(slots) || slots < MIN_RING_SLOTS || (slots & (slots - 1)) !== 0 || slots > 2 ** 31) return 0;
  return slots;
}
