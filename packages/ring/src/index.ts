// @kchan/ring: lock-free SPSC reader (and a simulation writer) for the
// kchan watch_queue notification ring, plus the WatchQueue device class.
export { RingReader, RingEntry, type RingCallback } from './reader.js';
export { RingWriter, createSharedRing, type PostResult } from './writer.js';
export { RingError, WatchQueueError, type RingErrorCode } from './errors.js';
export { loadAcquire, storeRelease, type IndexWords } from './order.js';
export { WatchQueue, type TypeFilter, type WatchQueueOptions, type IterateOptions } from './watch-queue.js';
export {
  decodeEntry,
  type Notification,
  type NotificationBase,
  type NetdevNotification,
  type NetdevEvent,
  type ModuleNotification,
  type ModuleEvent,
  type KapiNotification,
  type RemovalNotification,
  type LossNotification,
  type UnknownNotification,
} from './decode.js';
