// Memory mappings as external ArrayBuffers.
//
// Safety contract: JS can only reach mapped pages through `Mapping.buffer`.
// Every operation that removes pages (unmap, unmapRange, remap) detaches
// that ArrayBuffer first-class (napi_detach_arraybuffer), so every view over
// it reads as length 0 and no stale view can touch freed memory. Raw
// addresses are never accepted for munmap.
import { markAsUntransferable } from 'node:worker_threads';

import { addon, type NativeMappingHandle } from './binding.js';
import type { ByteSource } from './fd.js';

let wrap: (handle: NativeMappingHandle) => Mapping;
let getHandle: (m: Mapping) => NativeMappingHandle;

/**
 * A mapped range of memory, from {@link mmap} or {@link mmapAnonymous}.
 *
 * If a Mapping is garbage collected without {@link Mapping.unmap}, the
 * pages are unmapped once neither the Mapping nor its `buffer` (or any view
 * over it) is reachable. Explicit `unmap()` is still the way to release a
 * device mapping at a known time.
 *
 * The buffer cannot be transferred to a worker (`markAsUntransferable`):
 * the mapping belongs to the thread that made it.
 */
export class Mapping {
  readonly #handle: NativeMappingHandle;

  private constructor(handle: NativeMappingHandle) {
    if (!(handle instanceof addon.MappingHandle)) {
      const err = new TypeError('Illegal constructor: mappings come from mmap()') as TypeError & { code: string };
      err.code = 'ERR_ILLEGAL_CONSTRUCTOR';
      throw err;
    }
    this.#handle = handle;
    markAsUntransferable(handle.buffer);
  }

  static {
    wrap = (handle) => new Mapping(handle);
    getHandle = (m) => m.#handle;
  }

  /**
   * An external ArrayBuffer over the mapped bytes (not a copy: writes from
   * the device or another process show up, JS writes reach the pages).
   * Detached (byteLength 0) once the mapping is unmapped or remapped.
   *
   * Access must respect `prot`: writing into a PROT_READ mapping, or any
   * access after mprotect(PROT_NONE), faults (SIGSEGV) exactly as in C.
   */
  get buffer(): ArrayBuffer {
    return this.#handle.buffer;
  }

  /** Length in bytes as requested (the kernel maps whole pages); 0 once unmapped. */
  get length(): number {
    return this.#handle.length;
  }

  /** Address of the first byte, for kernel interfaces that take user addresses. */
  get address(): bigint {
    return this.#handle.address;
  }

  /** True after unmap(), unmapRange() or remap(). */
  get unmapped(): boolean {
    return this.#handle.unmapped;
  }

  /**
   * Whether `buffer` is an external ArrayBuffer over the mapping itself.
   * Always true: where the runtime forbids external buffers (Electron's V8
   * memory cage) mmap throws 'ENOTSUP' instead of silently handing out a
   * copy that would stop tracking the device.
   */
  get external(): boolean {
    return this.#handle.external;
  }

  /**
   * munmap(2) the whole mapping and detach `buffer`. A second call is a
   * no-op. Throws EBUSY while a native user (the test producer) pins it.
   */
  unmap(): void {
    this.#handle.unmap();
  }

  /**
   * Unmap part of the mapping (`offset` page-aligned, `length` > 0, rounded
   * up to whole pages like munmap). The whole `buffer` is detached and new
   * Mappings are returned for the surviving pieces (0, 1 or 2, in address
   * order), so no JS view can span the hole. This Mapping becomes unmapped.
   */
  unmapRange(offset: number, length: number): Mapping[] {
    return this.#handle.unmapRange(offset, length).map((h) => wrap(h));
  }

  /**
   * madvise(2) on `[offset, offset + length)` of the mapping. `offset` must
   * be page-aligned (EINVAL). Only advice that leaves the memory accessible
   * is accepted (the exported MADV_* constants); MADV_DONTNEED on anonymous
   * memory reads back as zeros.
   */
  madvise(offset: number, length: number, advice: number): void {
    this.#handle.madvise(offset, length, advice);
  }

  /**
   * mprotect(2) on `[offset, offset + length)`. The buffer stays attached:
   * JS accesses that the new protection forbids fault, as in C, so only
   * lower protection on memory JS will not touch until it is restored.
   */
  mprotect(offset: number, length: number, prot: number): void {
    this.#handle.mprotect(offset, length, prot);
  }

  /**
   * mremap(2) to `newLength` bytes (MREMAP_MAYMOVE unless `mayMove` is
   * false). Returns the new Mapping; this one is detached and unmapped.
   */
  remap(newLength: number, mayMove = true): Mapping {
    return wrap(this.#handle.remap(newLength, mayMove));
  }
}

/**
 * mmap(2) `length` bytes of `fd` at `offset` (page-aligned: EINVAL
 * otherwise, checked before the syscall; number or bigint). `prot` from
 * PROT_*, `flags` from MAP_* (MAP_SHARED for device rings); MAP_FIXED and
 * MAP_FIXED_NOREPLACE are refused.
 *
 * Throws 'ENOTSUP' when the runtime does not allow external ArrayBuffers.
 */
export function mmap(fd: number, length: number, prot: number, flags: number, offset: number | bigint = 0): Mapping {
  return wrap(addon.mmap(fd, length, prot, flags, offset));
}

/**
 * Anonymous memory: mmap(NULL, length, prot, flags | MAP_ANONYMOUS, -1, 0),
 * `flags` defaulting to MAP_PRIVATE (MAP_SHARED to share with a forked child).
 */
export function mmapAnonymous(length: number, prot: number, flags?: number): Mapping {
  return wrap(addon.mmapAnonymous(length, prot, flags));
}

/** Same as `mapping.unmapRange(offset, length)`: detaches, returns the surviving pieces. */
export function munmapRange(mapping: Mapping, offset: number, length: number): Mapping[] {
  return mapping.unmapRange(offset, length);
}

/** Same as `mapping.madvise(offset, length, advice)`. */
export function madvise(mapping: Mapping, offset: number, length: number, advice: number): void {
  mapping.madvise(offset, length, advice);
}

/** Same as `mapping.mprotect(offset, length, prot)`. */
export function mprotect(mapping: Mapping, offset: number, length: number, prot: number): void {
  mapping.mprotect(offset, length, prot);
}

/** Same as `mapping.remap(newLength, mayMove)`: the old mapping is detached. */
export function mremap(mapping: Mapping, newLength: number, mayMove = true): Mapping {
  return mapping.remap(newLength, mayMove);
}

/**
 * Address of the first byte of a view (its byteOffset included) or
 * ArrayBuffer, e.g. to register JS memory with ummunotify. V8 never moves
 * ArrayBuffer contents, so the address holds while the buffer is alive;
 * keep a reference. A detached buffer gives 0n.
 */
export function addressOf(view: ByteSource): bigint {
  return addon.addressOf(view);
}

/** @internal The native handle behind a Mapping (for the test helpers). */
export function handleOf(m: Mapping): NativeMappingHandle {
  return getHandle(m);
}
