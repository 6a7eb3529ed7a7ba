import { KUE_HDR_SIZE, KUE_MAX_RECORD_SIZE } from './decode.js';

/** Default initial read buffer: room for many small records per read(). */
export const KUE_DEFAULT_BUFFER_SIZE = 64 * 1024;

/**
 * The buffer size to try after read() failed with EFBIG on a `current`-byte
 * buffer: double it, but never beyond the largest possible record. Returns
 * undefined when `current` already holds any record (EFBIG cannot be cured
 * by growing).
 */
export function nextBufferSize(current: number): number | undefined {
  if (current >= KUE_MAX_RECORD_SIZE) return undefined;
  return Math.min(Math.max(current * 2, KUE_HDR_SIZE), KUE_MAX_RECORD_SIZE);
}

/** Validate a requested initial buffer size. */
export function checkBufferSize(size: number): number {
  if (!Number.isInteger(size) || size < 1 || size > KUE_MAX_RECORD_SIZE) {
    throw new RangeError(`bufferSize must be an integer in [1, ${KUE_MAX_RECORD_SIZE}], got ${size}`);
  }
  return size;
}
