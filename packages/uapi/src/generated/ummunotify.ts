// Do not edit: generated from packages/uapi/spec/kchan.yaml by packages/uapi/scripts/gen.mjs (mode: ts)
/**
 * kchan ummunotify (/dev/ummunotify), protocol version 2: Address-range invalidation events (after
 * Roland Dreier's 2009 ummunotify). A process registers ranges of its own address space with a
 * cookie; when the kernel invalidates any part of a range (munmap, mremap, madvise(DONTNEED), page
 * migration, exit) the reader gets one INVAL event per affected region, and a 64-bit generation
 * counter in a read-only mmap'ed page is incremented, so a cache can check for changes with one
 * load and no syscall.
 */

import type { BitsLayout, IoctlLayout, StructLayout } from '../layout.js';

/** The device node. */
export const UMMUNOTIFY_DEVICE_PATH = '/dev/ummunotify';

/** The ummunotify contract (also in the C header and docs/protocol/ummunotify.md). */
export const UMMUNOTIFY_CONTRACT = "read() returns whole `struct ummunotify_event`s: pending INVAL events\nin queue order, as many as fit, and then one LAST event whose\n`user_cookie_counter` is the generation counter, only if they drained\nthe queue. LAST means drained: a read that could not take every\npending event carries no LAST, so a reader that reads until the\nfirst LAST has seen every event counted by that generation, whatever\nits buffer size. A read that took the last event with no room left\nfor LAST owes it: the next read returns LAST (after any events queued\nmeanwhile), so a buffer of one event returns one INVAL per read and\nthen LAST. A buffer too small for one event fails with EINVAL and\nconsumes nothing. Until a region's event is read, further\ninvalidations of the region merge into it (the hint grows to cover\nall of them). Unregistering a region drops its pending event.\n\nRaces. A region registered while an invalidation of an overlapping\nrange is under way (the kernel has begun changing the mappings and\nnot finished) gets an event for the overlap at once, because its\npages may still change after REGISTER returns; so no invalidation\nthat changes a registered range after its REGISTER returned goes\nunreported. Such an event may be spurious (re-registering costs\nnothing else).\n\nThe generation page (mmap offset 0, one page, read-only) holds a u64\ncounter at offset 0, incremented (after the event is queued) each\ntime an invalidation hits at least one region. Load it with acquire\nordering; if it equals the `user_cookie_counter` of the last LAST the\nreader read, the reader has seen every invalidation so far (a reader\nthat stopped before LAST has not: more events are queued).\n\nBounds. At most UMMUNOTIFY_MAX_REGIONS regions per fd; pending events\nlive on their regions, so the event queue never overflows. Region\nmemory (about 128 bytes a region) and the slot array (8 *\nUMMUNOTIFY_MAX_SLOTS bytes plus a bitmap of MAX_SLOTS bits, once\nUMMUNOTIFY_FEATURE_REGION_GENERATION is enabled) count against the\nopening user's RLIMIT_MEMLOCK, in whole pages per fd, shared with every\nfd and process of that user (and with its io_uring and watch_queue\npages): registering a region or enabling the feature past the limit\nfails with ENOMEM and changes nothing. Unregistering and close give the\nmemory back. Openers with CAP_IPC_LOCK (checked at open) are not\ncharged.\n\nRegion generation slots (feature UMMUNOTIFY_FEATURE_REGION_GENERATION,\noff until EXCHANGE_FEATURES enables it; enabling is for the fd's life:\na later call without the bit still reports it enabled). Once enabled,\nUMMUNOTIFY_REGISTER_REGION_SLOT registers a region exactly like\nREGISTER_REGION and also gives it a slot (returned in `slot`, below\nUMMUNOTIFY_MAX_SLOTS; ENOSPC when all are taken): a u64 counter at\nbyte offset PAGE_SIZE + 8 * slot of the device's mapping, i.e. at\nindex `slot` of the UMMUNOTIFY_MAX_SLOTS u64s that mmap offset\nPAGE_SIZE maps (read-only, like the generation page; any page range\nof [0, PAGE_SIZE + 8 * UMMUNOTIFY_MAX_SLOTS) may be mapped once the\nfeature is on, only the first page before). The counter is\nincremented, with release ordering after the region's event is\nqueued, each time an invalidation hits the region, and once more\nwhen the region is unregistered. Counters are never reset: a slot\nfreed by unregistering is reused by a later registration with its\ncounter where it was, so a reader that loaded a slot before its\nregion was unregistered always sees it change (no ABA). Load the slot after the ioctl returns, before using the range;\nif the slot is unchanged on a later (acquire) load, no invalidation\nhas hit that region since. Events, the LAST counter and the\ngeneration page work as for any region. Before the feature is\nenabled REGISTER_REGION_SLOT fails with EINVAL.\n\nAn fd is bound at open() to the mm of the process that opens it; any\nother mm (a forked child, an fd passed over a socket) gets EIO.";

/** Most registered regions per fd. */
export const UMMUNOTIFY_MAX_REGIONS = 1048576;
/** Byte offset of the generation counter in the mapped page. */
export const UMMUNOTIFY_GENERATION_OFFSET = 0;
/** Region generation slots per fd (their array is 8 * this bytes, mapped at offset PAGE_SIZE). */
export const UMMUNOTIFY_MAX_SLOTS = 65536;

/** enum ummunotify_event_type: Event types. */
export const UmmunotifyEventType = {
  /** A registered range was (partly) invalidated; `user_cookie_counter` is its cookie. */
  INVAL: 0,
  /** Ends a read() that drained the queue; `user_cookie_counter` is the generation counter. */
  LAST: 1,
} as const;
export type UmmunotifyEventType = (typeof UmmunotifyEventType)[keyof typeof UmmunotifyEventType];
export const UMMUNOTIFY_EVENT_TYPE_INVAL = 0;
export const UMMUNOTIFY_EVENT_TYPE_LAST = 1;

/** Bitset ummunotify_event_flag (u32): Event flags. Use bitsGet/bitsSet with these entries. */
export const UmmunotifyEventFlag = {
  /** hint_start/hint_end bound the invalidated part of the region. */
  HINT: { shift: 0, width: 1, mask: 0x1 },
} as const satisfies Readonly<Record<string, BitsLayout>>;
export const UMMUNOTIFY_EVENT_FLAG_HINT = 0x1;
export const UMMUNOTIFY_EVENT_FLAG_HINT__SHIFT = 0;

/**
 * Bitset ummunotify_feature (u32): Feature bits exchanged by UMMUNOTIFY_EXCHANGE_FEATURES. Use
 * bitsGet/bitsSet with these entries.
 */
export const UmmunotifyFeature = {
  /**
   * Per-region generation slots: UMMUNOTIFY_REGISTER_REGION_SLOT and the slot array mapped at
   * offset PAGE_SIZE.
   */
  REGION_GENERATION: { shift: 0, width: 1, mask: 0x1 },
} as const satisfies Readonly<Record<string, BitsLayout>>;
export const UMMUNOTIFY_FEATURE_REGION_GENERATION = 0x1;
export const UMMUNOTIFY_FEATURE_REGION_GENERATION__SHIFT = 0;

/** struct ummunotify_event: One event, 32 bytes. */
export interface UmmunotifyEvent {
  /** enum ummunotify_event_type */
  type: number;
  /** UMMUNOTIFY_EVENT_FLAG_* */
  flags: number;
  /** Start of the invalidated part (inclusive). */
  hint_start: bigint;
  /** End of the invalidated part (exclusive). */
  hint_end: bigint;
  /** INVAL: the region's cookie. LAST: the generation counter. */
  user_cookie_counter: bigint;
}

/** Input of encodeUmmunotifyEvent: like UmmunotifyEvent, with reserved fields optional (default 0). */
export interface UmmunotifyEventInit {
  /** enum ummunotify_event_type */
  type: number;
  /** UMMUNOTIFY_EVENT_FLAG_* */
  flags: number;
  /** Start of the invalidated part (inclusive). */
  hint_start: bigint;
  /** End of the invalidated part (exclusive). */
  hint_end: bigint;
  /** INVAL: the region's cookie. LAST: the generation counter. */
  user_cookie_counter: bigint;
}

/** Layout of struct ummunotify_event (size 32, alignment 8). */
export const UmmunotifyEventLayout = {
  name: 'ummunotify_event',
  size: 32,
  align: 8,
  fields: {
    type: { offset: 0, size: 4, type: 'u32' },
    flags: { offset: 4, size: 4, type: 'u32', bitset: 'ummunotify_event_flag' },
    hint_start: { offset: 8, size: 8, type: 'u64' },
    hint_end: { offset: 16, size: 8, type: 'u64' },
    user_cookie_counter: { offset: 24, size: 8, type: 'u64' },
  },
} as const satisfies StructLayout;

/** struct ummunotify_event.type (u32 at offset 0); no allocation. */
export function ummunotifyEventType(view: DataView, offset: number): number {
  return view.getUint32(offset, true);
}
export function setUmmunotifyEventType(view: DataView, offset: number, value: number): void {
  view.setUint32(offset, value, true);
}
/** struct ummunotify_event.flags (u32 at offset 4); no allocation. */
export function ummunotifyEventFlags(view: DataView, offset: number): number {
  return view.getUint32(offset + 4, true);
}
export function setUmmunotifyEventFlags(view: DataView, offset: number, value: number): void {
  view.setUint32(offset + 4, value, true);
}
/** struct ummunotify_event.hint_start (u64 at offset 8); no allocation beyond the bigint. */
export function ummunotifyEventHintStart(view: DataView, offset: number): bigint {
  return view.getBigUint64(offset + 8, true);
}
export function setUmmunotifyEventHintStart(view: DataView, offset: number, value: bigint): void {
  view.setBigUint64(offset + 8, value, true);
}
/** struct ummunotify_event.hint_end (u64 at offset 16); no allocation beyond the bigint. */
export function ummunotifyEventHintEnd(view: DataView, offset: number): bigint {
  return view.getBigUint64(offset + 16, true);
}
export function setUmmunotifyEventHintEnd(view: DataView, offset: number, value: bigint): void {
  view.setBigUint64(offset + 16, value, true);
}
/** struct ummunotify_event.user_cookie_counter (u64 at offset 24); no allocation beyond the bigint. */
export function ummunotifyEventUserCookieCounter(view: DataView, offset: number): bigint {
  return view.getBigUint64(offset + 24, true);
}
export function setUmmunotifyEventUserCookieCounter(view: DataView, offset: number, value: bigint): void {
  view.setBigUint64(offset + 24, value, true);
}

/** Decode struct ummunotify_event at `offset`. */
export function decodeUmmunotifyEvent(view: DataView, offset: number): UmmunotifyEvent {
  return {
    type: ummunotifyEventType(view, offset),
    flags: ummunotifyEventFlags(view, offset),
    hint_start: ummunotifyEventHintStart(view, offset),
    hint_end: ummunotifyEventHintEnd(view, offset),
    user_cookie_counter: ummunotifyEventUserCookieCounter(view, offset),
  };
}

/**
 * Encode struct ummunotify_event at `offset`; every byte of the struct is written. Returns the
 * bytes written.
 */
export function encodeUmmunotifyEvent(view: DataView, offset: number, value: UmmunotifyEventInit): number {
  view.setUint32(offset, value.type, true);
  view.setUint32(offset + 4, value.flags, true);
  view.setBigUint64(offset + 8, value.hint_start, true);
  view.setBigUint64(offset + 16, value.hint_end, true);
  view.setBigUint64(offset + 24, value.user_cookie_counter, true);
  return 32;
}

/** struct ummunotify_register_ioctl: Argument of UMMUNOTIFY_REGISTER_REGION. */
export interface UmmunotifyRegisterIoctl {
  /** First byte of the range. */
  start: bigint;
  /** One past the last byte; must be > start. */
  end: bigint;
  /** Caller's cookie, unique per fd (EEXIST otherwise). */
  user_cookie: bigint;
  /** Must be 0. */
  flags: number;
  /** Must be 0. */
  reserved: number;
}

/**
 * Input of encodeUmmunotifyRegisterIoctl: like UmmunotifyRegisterIoctl, with reserved fields
 * optional (default 0).
 */
export interface UmmunotifyRegisterIoctlInit {
  /** First byte of the range. */
  start: bigint;
  /** One past the last byte; must be > start. */
  end: bigint;
  /** Caller's cookie, unique per fd (EEXIST otherwise). */
  user_cookie: bigint;
  /** Must be 0. */
  flags: number;
  /** Must be 0. */
  reserved?: number;
}

/** Layout of struct ummunotify_register_ioctl (size 32, alignment 8). */
export const UmmunotifyRegisterIoctlLayout = {
  name: 'ummunotify_register_ioctl',
  size: 32,
  align: 8,
  fields: {
    start: { offset: 0, size: 8, type: 'u64' },
    end: { offset: 8, size: 8, type: 'u64' },
    user_cookie: { offset: 16, size: 8, type: 'u64' },
    flags: { offset: 24, size: 4, type: 'u32' },
    reserved: { offset: 28, size: 4, type: 'u32' },
  },
} as const satisfies StructLayout;

/** struct ummunotify_register_ioctl.start (u64 at offset 0); no allocation beyond the bigint. */
export function ummunotifyRegisterIoctlStart(view: DataView, offset: number): bigint {
  return view.getBigUint64(offset, true);
}
export function setUmmunotifyRegisterIoctlStart(view: DataView, offset: number, value: bigint): void {
  view.setBigUint64(offset, value, true);
}
/** struct ummunotify_register_ioctl.end (u64 at offset 8); no allocation beyond the bigint. */
export function ummunotifyRegisterIoctlEnd(view: DataView, offset: number): bigint {
  return view.getBigUint64(offset + 8, true);
}
export function setUmmunotifyRegisterIoctlEnd(view: DataView, offset: number, value: bigint): void {
  view.setBigUint64(offset + 8, value, true);
}
/**
 * struct ummunotify_register_ioctl.user_cookie (u64 at offset 16); no allocation beyond the
 * bigint.
 */
export function ummunotifyRegisterIoctlUserCookie(view: DataView, offset: number): bigint {
  return view.getBigUint64(offset + 16, true);
}
export function setUmmunotifyRegisterIoctlUserCookie(view: DataView, offset: number, value: bigint): void {
  view.setBigUint64(offset + 16, value, true);
}
/** struct ummunotify_register_ioctl.flags (u32 at offset 24); no allocation. */
export function ummunotifyRegisterIoctlFlags(view: DataView, offset: number): number {
  return view.getUint32(offset + 24, true);
}
export function setUmmunotifyRegisterIoctlFlags(view: DataView, offset: number, value: number): void {
  view.setUint32(offset + 24, value, true);
}
/** struct ummunotify_register_ioctl.reserved (u32 at offset 28); no allocation. */
export function ummunotifyRegisterIoctlReserved(view: DataView, offset: number): number {
  return view.getUint32(offset + 28, true);
}
export function setUmmunotifyRegisterIoctlReserved(view: DataView, offset: number, value: number): void {
  view.setUint32(offset + 28, value, true);
}

/** Decode struct ummunotify_register_ioctl at `offset`. */
export function decodeUmmunotifyRegisterIoctl(view: DataView, offset: number): UmmunotifyRegisterIoctl {
  return {
    start: ummunotifyRegisterIoctlStart(view, offset),
    end: ummunotifyRegisterIoctlEnd(view, offset),
    user_cookie: ummunotifyRegisterIoctlUserCookie(view, offset),
    flags: ummunotifyRegisterIoctlFlags(view, offset),
    reserved: ummunotifyRegisterIoctlReserved(view, offset),
  };
}

/**
 * Encode struct ummunotify_register_ioctl at `offset`; every byte of the struct is written.
 * Returns the bytes written.
 */
export function encodeUmmunotifyRegisterIoctl(view: DataView, offset: number, value: UmmunotifyRegisterIoctlInit): number {
  view.setBigUint64(offset, value.start, true);
  view.setBigUint64(offset + 8, value.end, true);
  view.setBigUint64(offset + 16, value.user_cookie, true);
  view.setUint32(offset + 24, value.flags, true);
  view.setUint32(offset + 28, value.reserved ?? 0, true);
  return 32;
}

/** struct ummunotify_register_slot_ioctl: Argument of UMMUNOTIFY_REGISTER_REGION_SLOT. */
export interface UmmunotifyRegisterSlotIoctl {
  /** First byte of the range. */
  start: bigint;
  /** One past the last byte; must be > start. */
  end: bigint;
  /** Caller's cookie, unique per fd (EEXIST otherwise). */
  user_cookie: bigint;
  /** Must be 0. */
  flags: number;
  /** Out: the region's slot, below UMMUNOTIFY_MAX_SLOTS (ignored in). */
  slot: number;
}

/**
 * Input of encodeUmmunotifyRegisterSlotIoctl: like UmmunotifyRegisterSlotIoctl, with reserved
 * fields optional (default 0).
 */
export interface UmmunotifyRegisterSlotIoctlInit {
  /** First byte of the range. */
  start: bigint;
  /** One past the last byte; must be > start. */
  end: bigint;
  /** Caller's cookie, unique per fd (EEXIST otherwise). */
  user_cookie: bigint;
  /** Must be 0. */
  flags: number;
  /** Out: the region's slot, below UMMUNOTIFY_MAX_SLOTS (ignored in). */
  slot: number;
}

/** Layout of struct ummunotify_register_slot_ioctl (size 32, alignment 8). */
export const UmmunotifyRegisterSlotIoctlLayout = {
  name: 'ummunotify_register_slot_ioctl',
  size: 32,
  align: 8,
  fields: {
    start: { offset: 0, size: 8, type: 'u64' },
    end: { offset: 8, size: 8, type: 'u64' },
    user_cookie: { offset: 16, size: 8, type: 'u64' },
    flags: { offset: 24, size: 4, type: 'u32' },
    slot: { offset: 28, size: 4, type: 'u32' },
  },
} as const satisfies StructLayout;

/** struct ummunotify_register_slot_ioctl.start (u64 at offset 0); no allocation beyond the bigint. */
export function ummunotifyRegisterSlotIoctlStart(view: DataView, offset: number): bigint {
  return view.getBigUint64(offset, true);
}
export function setUmmunotifyRegisterSlotIoctlStart(view: DataView, offset: number, value: bigint): void {
  view.setBigUint64(offset, value, true);
}
/** struct ummunotify_register_slot_ioctl.end (u64 at offset 8); no allocation beyond the bigint. */
export function ummunotifyRegisterSlotIoctlEnd(view: DataView, offset: number): bigint {
  return view.getBigUint64(offset + 8, true);
}
export function setUmmunotifyRegisterSlotIoctlEnd(view: DataView, offset: number, value: bigint): void {
  view.setBigUint64(offset + 8, value, true);
}
/**
 * struct ummunotify_register_slot_ioctl.user_cookie (u64 at offset 16); no allocation beyond the
 * bigint.
 */
export function ummunotifyRegisterSlotIoctlUserCookie(view: DataView, offset: number): bigint {
  return view.getBigUint64(offset + 16, true);
}
export function setUmmunotifyRegisterSlotIoctlUserCookie(view: DataView, offset: number, value: bigint): void {
  view.setBigUint64(offset + 16, value, true);
}
/** struct ummunotify_register_slot_ioctl.flags (u32 at offset 24); no allocation. */
export function ummunotifyRegisterSlotIoctlFlags(view: DataView, offset: number): number {
  return view.getUint32(offset + 24, true);
}
export function setUmmunotifyRegisterSlotIoctlFlags(view: DataView, offset: number, value: number): void {
  view.setUint32(offset + 24, value, true);
}
/** struct ummunotify_register_slot_ioctl.slot (u32 at offset 28); no allocation. */
export function ummunotifyRegisterSlotIoctlSlot(view: DataView, offset: number): number {
  return view.getUint32(offset + 28, true);
}
export function setUmmunotifyRegisterSlotIoctlSlot(view: DataView, offset: number, value: number): void {
  view.setUint32(offset + 28, value, true);
}

/** Decode struct ummunotify_register_slot_ioctl at `offset`. */
export function decodeUmmunotifyRegisterSlotIoctl(view: DataView, offset: number): UmmunotifyRegisterSlotIoctl {
  return {
    start: ummunotifyRegisterSlotIoctlStart(view, offset),
    end: ummunotifyRegisterSlotIoctlEnd(view, offset),
    user_cookie: ummunotifyRegisterSlotIoctlUserCookie(view, offset),
    flags: ummunotifyRegisterSlotIoctlFlags(view, offset),
    slot: ummunotifyRegisterSlotIoctlSlot(view, offset),
  };
}

/**
 * Encode struct ummunotify_register_slot_ioctl at `offset`; every byte of the struct is written.
 * Returns the bytes written.
 */
export function encodeUmmunotifyRegisterSlotIoctl(view: DataView, offset: number, value: UmmunotifyRegisterSlotIoctlInit): number {
  view.setBigUint64(offset, value.start, true);
  view.setBigUint64(offset + 8, value.end, true);
  view.setBigUint64(offset + 16, value.user_cookie, true);
  view.setUint32(offset + 24, value.flags, true);
  view.setUint32(offset + 28, value.slot, true);
  return 32;
}

/** struct ummunotify_generation: The start of the read-only generation page. */
export interface UmmunotifyGeneration {
  /** Incremented on every invalidation that hits a region. */
  counter: bigint;
}

/**
 * Input of encodeUmmunotifyGeneration: like UmmunotifyGeneration, with reserved fields optional
 * (default 0).
 */
export interface UmmunotifyGenerationInit {
  /** Incremented on every invalidation that hits a region. */
  counter: bigint;
}

/** Layout of struct ummunotify_generation (size 8, alignment 8). */
export const UmmunotifyGenerationLayout = {
  name: 'ummunotify_generation',
  size: 8,
  align: 8,
  fields: {
    counter: { offset: 0, size: 8, type: 'u64' },
  },
} as const satisfies StructLayout;

/** struct ummunotify_generation.counter (u64 at offset 0); no allocation beyond the bigint. */
export function ummunotifyGenerationCounter(view: DataView, offset: number): bigint {
  return view.getBigUint64(offset, true);
}
export function setUmmunotifyGenerationCounter(view: DataView, offset: number, value: bigint): void {
  view.setBigUint64(offset, value, true);
}

/** Decode struct ummunotify_generation at `offset`. */
export function decodeUmmunotifyGeneration(view: DataView, offset: number): UmmunotifyGeneration {
  return {
    counter: ummunotifyGenerationCounter(view, offset),
  };
}

/**
 * Encode struct ummunotify_generation at `offset`; every byte of the struct is written. Returns
 * the bytes written.
 */
export function encodeUmmunotifyGeneration(view: DataView, offset: number, value: UmmunotifyGenerationInit): number {
  view.setBigUint64(offset, value.counter, true);
  return 8;
}

/**
 * UMMUNOTIFY_EXCHANGE_FEATURES = _IOC(readwrite, 'U', 0x1, 4): In: features the caller wants. Out:
 * the features now enabled: the requested ones this kernel offers, plus any enabled earlier (they
 * stay on). ENOMEM if the slot array cannot be allocated or would take the opener past
 * RLIMIT_MEMLOCK (nothing is enabled then).
 */
export const UMMUNOTIFY_EXCHANGE_FEATURES = 0xc0045501;
/**
 * UMMUNOTIFY_REGISTER_REGION = _IOC(write, 'U', 0x2, 32): Register a range. EINVAL for start >=
 * end, non-zero flags/reserved; EEXIST for a cookie in use; ENOSPC past MAX_REGIONS; ENOMEM past
 * the opener's RLIMIT_MEMLOCK (see Bounds); EIO from another mm.
 */
export const UMMUNOTIFY_REGISTER_REGION = 0x40205502;
/**
 * UMMUNOTIFY_UNREGISTER_REGION = _IOC(write, 'U', 0x3, 8): Unregister the region with this cookie
 * (ENOENT if none), dropping its pending event; bumps its slot, if any, and frees it.
 */
export const UMMUNOTIFY_UNREGISTER_REGION = 0x40085503;
/**
 * UMMUNOTIFY_REGISTER_REGION_SLOT = _IOC(readwrite, 'U', 0x4, 32): Register a range like
 * REGISTER_REGION and give it a generation slot (out: slot). EINVAL also when
 * UMMUNOTIFY_FEATURE_REGION_GENERATION is not enabled; ENOSPC past MAX_REGIONS or with every slot
 * taken; ENOMEM past RLIMIT_MEMLOCK.
 */
export const UMMUNOTIFY_REGISTER_REGION_SLOT = 0xc0205504;

/** Every ioctl of /dev/ummunotify, by C name. */
export const UmmunotifyIoctls = {
  UMMUNOTIFY_EXCHANGE_FEATURES: { request: 0xc0045501, dir: 'readwrite', type: 0x55, nr: 0x1, size: 4, argKind: 'struct', arg: 'u32' },
  UMMUNOTIFY_REGISTER_REGION: { request: 0x40205502, dir: 'write', type: 0x55, nr: 0x2, size: 32, argKind: 'struct', arg: 'ummunotify_register_ioctl' },
  UMMUNOTIFY_UNREGISTER_REGION: { request: 0x40085503, dir: 'write', type: 0x55, nr: 0x3, size: 8, argKind: 'struct', arg: 'u64' },
  UMMUNOTIFY_REGISTER_REGION_SLOT: { request: 0xc0205504, dir: 'readwrite', type: 0x55, nr: 0x4, size: 32, argKind: 'struct', arg: 'ummunotify_register_slot_ioctl' },
} as const satisfies Readonly<Record<string, IoctlLayout>>;

/** Every struct layout of /dev/ummunotify, by C name. */
export const UmmunotifyLayouts = {
  ummunotify_event: UmmunotifyEventLayout,
  ummunotify_register_ioctl: UmmunotifyRegisterIoctlLayout,
  ummunotify_register_slot_ioctl: UmmunotifyRegisterSlotIoctlLayout,
  ummunotify_generation: UmmunotifyGenerationLayout,
} as const satisfies Readonly<Record<string, StructLayout>>;
