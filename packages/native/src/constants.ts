// Linux constants, plus the _IOC request encoders. They are the same on
// x86-64 and arm64 (both use the asm-generic values for every flag below), so
// they are written out here and importing this module never loads the addon;
// test/constants.test.ts checks them against the C headers the addon was
// compiled with (on arm64 too, in pnpm test:arm64). PAGE_SIZE differs between
// arm64 kernels (4K/16K/64K): it is read from the auxiliary vector.
import { readFileSync } from 'node:fs';

/** The values of the C headers, by name (see test/constants.test.ts). */
const LINUX_CONSTANTS: Readonly<Record<string, number>> = {
  O_RDONLY: 0,
  O_WRONLY: 1,
  O_RDWR: 2,
  O_NONBLOCK: 2048,
  O_CLOEXEC: 524288,
  O_CREAT: 64,
  O_EXCL: 128,
  O_TRUNC: 512,
  O_APPEND: 1024,
  O_NOCTTY: 256,
  MFD_CLOEXEC: 1,
  MFD_ALLOW_SEALING: 2,
  POLLIN: 1,
  POLLPRI: 2,
  POLLOUT: 4,
  POLLERR: 8,
  POLLHUP: 16,
  POLLNVAL: 32,
  POLLRDHUP: 8192,
  FIONREAD: 21531,
  PROT_NONE: 0,
  PROT_READ: 1,
  PROT_WRITE: 2,
  PROT_EXEC: 4,
  MAP_SHARED: 1,
  MAP_PRIVATE: 2,
  MAP_SHARED_VALIDATE: 3,
  MAP_ANONYMOUS: 32,
  MAP_POPULATE: 32768,
  MAP_NORESERVE: 16384,
  MAP_LOCKED: 8192,
  MREMAP_MAYMOVE: 1,
  MADV_NORMAL: 0,
  MADV_RANDOM: 1,
  MADV_SEQUENTIAL: 2,
  MADV_WILLNEED: 3,
  MADV_DONTNEED: 4,
  MADV_FREE: 8,
  MADV_REMOVE: 9,
  MADV_DONTFORK: 10,
  MADV_DOFORK: 11,
  MADV_MERGEABLE: 12,
  MADV_UNMERGEABLE: 13,
  MADV_HUGEPAGE: 14,
  MADV_NOHUGEPAGE: 15,
  MADV_DONTDUMP: 16,
  MADV_DODUMP: 17,
  MADV_WIPEONFORK: 18,
  MADV_KEEPONFORK: 19,
};
function k(name: string): number {
  const v = LINUX_CONSTANTS[name];
  if (v === undefined) throw new Error(`@kchan/native: constant ${name} missing`);
  return v;
}

/** AT_PAGESZ from /proc/self/auxv (Linux); 4096 where there is none. */
function pageSizeFromAuxv(): number {
  const AT_PAGESZ = 6n;
  try {
    const auxv = readFileSync('/proc/self/auxv');
    const view = new DataView(auxv.buffer, auxv.byteOffset, auxv.byteLength);
    for (let off = 0; off + 16 <= auxv.byteLength; off += 16) {
      const type = view.getBigUint64(off, true);
      if (type === 0n) break;
      if (type === AT_PAGESZ) return Number(view.getBigUint64(off + 8, true));
    }
  } catch {
    // not Linux: no device can be used anyway
  }
  return 4096;
}

/** open(2) flags. */
export const O_RDONLY: number = k('O_RDONLY');
export const O_WRONLY: number = k('O_WRONLY');
export const O_RDWR: number = k('O_RDWR');
export const O_NONBLOCK: number = k('O_NONBLOCK');
export const O_CLOEXEC: number = k('O_CLOEXEC');
export const O_CREAT: number = k('O_CREAT');
export const O_EXCL: number = k('O_EXCL');
export const O_TRUNC: number = k('O_TRUNC');
export const O_APPEND: number = k('O_APPEND');
export const O_NOCTTY: number = k('O_NOCTTY');

/** memfd_create(2) flags. */
export const MFD_CLOEXEC: number = k('MFD_CLOEXEC');
export const MFD_ALLOW_SEALING: number = k('MFD_ALLOW_SEALING');

/** poll(2) event bits, as used by {@link Poller} and {@link poll}. */
export const POLLIN: number = k('POLLIN');
export const POLLPRI: number = k('POLLPRI');
export const POLLOUT: number = k('POLLOUT');
export const POLLERR: number = k('POLLERR');
export const POLLHUP: number = k('POLLHUP');
export const POLLNVAL: number = k('POLLNVAL');
export const POLLRDHUP: number = k('POLLRDHUP');

/** FIONREAD: bytes available to read (an `int` written through the arg pointer). */
export const FIONREAD: number = k('FIONREAD');

/** mmap/mprotect protection bits. */
export const PROT_NONE: number = k('PROT_NONE');
export const PROT_READ: number = k('PROT_READ');
export const PROT_WRITE: number = k('PROT_WRITE');
export const PROT_EXEC: number = k('PROT_EXEC');

/** mmap flags. MAP_FIXED and MAP_FIXED_NOREPLACE are refused (EINVAL). */
export const MAP_SHARED: number = k('MAP_SHARED');
export const MAP_PRIVATE: number = k('MAP_PRIVATE');
export const MAP_SHARED_VALIDATE: number = k('MAP_SHARED_VALIDATE');
export const MAP_ANONYMOUS: number = k('MAP_ANONYMOUS');
export const MAP_POPULATE: number = k('MAP_POPULATE');
export const MAP_NORESERVE: number = k('MAP_NORESERVE');
export const MAP_LOCKED: number = k('MAP_LOCKED');
export const MREMAP_MAYMOVE: number = k('MREMAP_MAYMOVE');

/** madvise advice accepted by {@link Mapping.madvise}; other values throw EINVAL. */
export const MADV_NORMAL: number = k('MADV_NORMAL');
export const MADV_RANDOM: number = k('MADV_RANDOM');
export const MADV_SEQUENTIAL: number = k('MADV_SEQUENTIAL');
export const MADV_WILLNEED: number = k('MADV_WILLNEED');
export const MADV_DONTNEED: number = k('MADV_DONTNEED');
export const MADV_FREE: number = k('MADV_FREE');
export const MADV_REMOVE: number = k('MADV_REMOVE');
export const MADV_DONTFORK: number = k('MADV_DONTFORK');
export const MADV_DOFORK: number = k('MADV_DOFORK');
export const MADV_MERGEABLE: number = k('MADV_MERGEABLE');
export const MADV_UNMERGEABLE: number = k('MADV_UNMERGEABLE');
export const MADV_HUGEPAGE: number = k('MADV_HUGEPAGE');
export const MADV_NOHUGEPAGE: number = k('MADV_NOHUGEPAGE');
export const MADV_DONTDUMP: number = k('MADV_DONTDUMP');
export const MADV_DODUMP: number = k('MADV_DODUMP');
export const MADV_WIPEONFORK: number = k('MADV_WIPEONFORK');
export const MADV_KEEPONFORK: number = k('MADV_KEEPONFORK');

/** The kernel's page size in bytes (mmap offsets and range offsets must be multiples). */
export const PAGE_SIZE: number = pageSizeFromAuxv();

// _IOC encoding of x86-64/arm64 (include/uapi/asm-generic/ioctl.h).
const IOC_NONE = 0;
const IOC_WRITE = 1;
const IOC_READ = 2;

function iocType(type: number | string): number {
  const t = typeof type === 'string' ? (type.length === 1 ? type.charCodeAt(0) : -1) : type;
  if (!Number.isInteger(t) || t < 0 || t > 0xff) {
    throw new RangeError(`ioctl type must be one character or 0..255, got ${String(type)}`);
  }
  return t;
}

/** `_IOC(dir, type, nr, size)` as an unsigned 32-bit number. */
export function _IOC(dir: number, type: number | string, nr: number, size: number): number {
  if (!Number.isInteger(dir) || dir < 0 || dir > 3) throw new RangeError(`ioctl dir out of range: ${dir}`);
  if (!Number.isInteger(nr) || nr < 0 || nr > 0xff) throw new RangeError(`ioctl nr out of range: ${nr}`);
  if (!Number.isInteger(size) || size < 0 || size > 0x3fff) throw new RangeError(`ioctl size out of range: ${size}`);
  return ((dir << 30) | (size << 16) | (iocType(type) << 8) | nr) >>> 0;
}
/** `_IO(type, nr)`: no argument data. */
export const _IO = (type: number | string, nr: number): number => _IOC(IOC_NONE, type, nr, 0);
/** `_IOR(type, nr, size)`: the kernel writes `size` bytes to the arg buffer. */
export const _IOR = (type: number | string, nr: number, size: number): number => _IOC(IOC_READ, type, nr, size);
/** `_IOW(type, nr, size)`: the kernel reads `size` bytes from the arg buffer. */
export const _IOW = (type: number | string, nr: number, size: number): number => _IOC(IOC_WRITE, type, nr, size);
/** `_IOWR(type, nr, size)`: both. */
export const _IOWR = (type: number | string, nr: number, size: number): number =>
  _IOC(IOC_READ | IOC_WRITE, type, nr, size);
