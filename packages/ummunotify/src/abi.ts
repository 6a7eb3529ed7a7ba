// The /dev/ummunotify ABI used by this package: names for @kchan/uapi's
// generated constants (spec: packages/uapi/spec/kchan.yaml), the batch
// decoder and the register-argument encoder.

import {
  UMMUNOTIFY_EVENT_FLAG_HINT,
  UMMUNOTIFY_EVENT_TYPE_INVAL,
  UMMUNOTIFY_EVENT_TYPE_LAST,
  UMMUNOTIFY_EXCHANGE_FEATURES,
  UMMUNOTIFY_FEATURE_REGION_GENERATION,
  UMMUNOTIFY_GENERATION_OFFSET,
  UMMUNOTIFY_MAX_REGIONS,
  UMMUNOTIFY_MAX_SLOTS,
  UMMUNOTIFY_REGISTER_REGION,
  UMMUNOTIFY_REGISTER_REGION_SLOT,
  UMMUNOTIFY_UNREGISTER_REGION,
  UmmunotifyEventLayout,
  UmmunotifyRegisterIoctlLayout,
  UmmunotifyRegisterSlotIoctlLayout,
  encodeUmmunotifyRegisterIoctl,
  encodeUmmunotifyRegisterSlotIoctl,
  ummunotifyRegisterSlotIoctlSlot,
  ummunotifyEventFlags,
  ummunotifyEventHintEnd,
  ummunotifyEventHintStart,
  ummunotifyEventType,
  ummunotifyEventUserCookieCounter,
} from '@kchan/uapi';

/** sizeof(struct ummunotify_event). */
export const EVENT_SIZE = UmmunotifyEventLayout.size;
/** sizeof(struct ummunotify_register_ioctl). */
export const REGISTER_SIZE = UmmunotifyRegisterIoctlLayout.size;
/** sizeof(struct ummunotify_register_slot_ioctl). */
export const REGISTER_SLOT_SIZE = UmmunotifyRegisterSlotIoctlLayout.size;

export const EVENT_TYPE_INVAL = UMMUNOTIFY_EVENT_TYPE_INVAL;
export const EVENT_TYPE_LAST = UMMUNOTIFY_EVENT_TYPE_LAST;
export const EVENT_FLAG_HINT = UMMUNOTIFY_EVENT_FLAG_HINT;
export const FEATURE_REGION_GENERATION = UMMUNOTIFY_FEATURE_REGION_GENERATION;
export const MAX_REGIONS = UMMUNOTIFY_MAX_REGIONS;
export const GENERATION_OFFSET = UMMUNOTIFY_GENERATION_OFFSET;
/** Region generation slots per fd; the slot array (8 bytes each) is mapped at offset PAGE_SIZE. */
export const MAX_SLOTS = UMMUNOTIFY_MAX_SLOTS;

export const IOC_EXCHANGE_FEATURES = UMMUNOTIFY_EXCHANGE_FEATURES;
export const IOC_REGISTER_REGION = UMMUNOTIFY_REGISTER_REGION;
export const IOC_UNREGISTER_REGION = UMMUNOTIFY_UNREGISTER_REGION;
export const IOC_REGISTER_REGION_SLOT = UMMUNOTIFY_REGISTER_REGION_SLOT;

/** One INVAL event: part of a registered region was invalidated. */
export interface InvalidationEvent {
  /** The cookie the region was registered under. */
  readonly cookie: bigint;
  /** Start of the invalidated part of the region (inclusive). */
  readonly hintStart: bigint;
  /** End of the invalidated part (exclusive). */
  readonly hintEnd: bigint;
  /** Whether hintStart/hintEnd are valid (always, with this kernel). */
  readonly hasHint: boolean;
}

/** A decoded read(): the INVAL events and the LAST event's generation (or null if absent). */
export interface DecodedBatch {
  readonly events: InvalidationEvent[];
  readonly generation: bigint | null;
}

/**
 * Decode `length` bytes of events read from the device. Throws on a
 * partial event or an unknown type (the kernel only writes whole events).
 */
export function decodeEvents(view: DataView, length: number): DecodedBatch {
  if (length % EVENT_SIZE !== 0 || length > view.byteLength) {
    throw new RangeError(`ummunotify: ${length} bytes is not a whole number of ${EVENT_SIZE}-byte events`);
  }
  const events: InvalidationEvent[] = [];
  let generation: bigint | null = null;
  for (let off = 0; off < length; off += EVENT_SIZE) {
    const type = ummunotifyEventType(view, off);
    const counter = ummunotifyEventUserCookieCounter(view, off);
    if (type === EVENT_TYPE_INVAL) {
      events.push({
        cookie: counter,
        hintStart: ummunotifyEventHintStart(view, off),
        hintEnd: ummunotifyEventHintEnd(view, off),
        hasHint: (ummunotifyEventFlags(view, off) & EVENT_FLAG_HINT) !== 0,
      });
    } else if (type === EVENT_TYPE_LAST) {
      generation = counter;
    } else {
      throw new RangeError(`ummunotify: unknown event type ${type} at byte ${off}`);
    }
  }
  return { events, generation };
}

/** Encode a struct ummunotify_register_ioctl into `out` (REGISTER_SIZE bytes). */
export function encodeRegister(out: DataView, start: bigint, end: bigint, cookie: bigint): void {
  encodeUmmunotifyRegisterIoctl(out, 0, {
    start: BigInt.asUintN(64, start),
    end: BigInt.asUintN(64, end),
    user_cookie: BigInt.asUintN(64, cookie),
    flags: 0,
  });
}

/** Encode a struct ummunotify_register_slot_ioctl into `out` (REGISTER_SLOT_SIZE bytes). */
export function encodeRegisterSlot(out: DataView, start: bigint, end: bigint, cookie: bigint): void {
  encodeUmmunotifyRegisterSlotIoctl(out, 0, {
    start: BigInt.asUintN(64, start),
    end: BigInt.asUintN(64, end),
    user_cookie: BigInt.asUintN(64, cookie),
    flags: 0,
    slot: 0,
  });
}

/** The slot the kernel wrote back into a struct ummunotify_register_slot_ioctl. */
export function decodeRegisterSlot(view: DataView): number {
  return ummunotifyRegisterSlotIoctlSlot(view, 0);
}

/**
 * The stamp of a generation: its low 32 bits as an int32, what
 * `Ummunotify.stamp` loads. Use it to turn a generation from drain() into
 * a stamp to compare with.
 */
export function generationStamp(generation: bigint): number {
  return Number(BigInt.asIntN(32, generation));
}
