// @kchan/native: Linux system calls for kchan devices from Node.js, with
// Node-style errno errors. See README.md for the contracts.
export { close, ioctl, memfdCreate, open, pipe2, read, write, type ByteSource } from './fd.js';
export {
  addressOf,
  madvise,
  Mapping,
  mmap,
  mmapAnonymous,
  mprotect,
  mremap,
  munmapRange,
} from './mmap.js';
export { poll, Poller, waitReadable, type PollCallback, type PollOptions } from './poller.js';
export { AbortError, abortError, isErrnoError, KchanError, throwIfAborted, type ErrnoError, type KchanErrorOptions } from './errors.js';
export { UnsupportedPlatformError, SUPPORTED_PLATFORMS, GLIBC_FLOOR } from './binding.js';
export type { BindingMapping, KchanBinding } from './interface.js';
export * from './constants.js';

import { PAGE_SIZE } from './constants.js';

/** The kernel page size (same as PAGE_SIZE). */
export const pageSize: number = PAGE_SIZE;

export { FAIR_BATCH_ITEMS, FAIR_BATCH_MS, FairBudget } from './fair.js';
