// @kchan/ummunotify: address-range invalidation events from /dev/ummunotify
// and a registration cache kept coherent by them.
export { Ummunotify, RegionWatch, type UmmunotifyOptions, type DrainResult, type EventsOptions } from './client.js';
export {
  RegistrationCache,
  CONTAINMENT_PROBES,
  type CacheEntry,
  type CacheStats,
  type InvalidationSource,
  type SlotWatch,
  type RegistrationCacheOptions,
} from './cache.js';
export {
  EVENT_SIZE,
  FEATURE_REGION_GENERATION,
  MAX_REGIONS,
  MAX_SLOTS,
  decodeEvents,
  generationStamp,
  type DecodedBatch,
  type InvalidationEvent,
} from './abi.js';
export type { DeviceMapping, UmmunotifyBinding } from './binding.js';
export { UmmunotifyError, hasCode, type ErrnoLike } from './errors.js';
