// File-descriptor system calls. Every failure throws a {@link KchanError}
// (`code`, negative `errno`, `syscall`); bad argument types throw a
// TypeError with code ERR_INVALID_ARG_TYPE and out-of-range numbers a
// RangeError with code ERR_OUT_OF_RANGE, before any system call is made.
import { addon } from './binding.js';
import { dropIdleWatch } from './poller.js';

/** Bytes a system call reads from or writes to: a whole ArrayBuffer or a view's window of one. */
export type ByteSource = ArrayBufferView | ArrayBuffer;

/**
 * open(2). `flags` from the exported O_* constants (typically
 * `O_RDWR | O_NONBLOCK | O_CLOEXEC`); `mode` (default 0) only matters with O_CREAT.
 * Returns the fd. Retries on EINTR.
 */
export function open(path: string, flags: number, mode?: number): number {
  return addon.open(path, flags, mode);
}

/**
 * close(2). Pollers watching `fd` in this thread are closed first, so the
 * fd is never closed under an active watcher; the EBADF callbacks of the
 * ones that had a wait pending run after close(2). Closing an fd that is not open
 * throws EBADF; note that fd numbers are reused, so a second close after
 * someone else opened the same number closes *their* fd, as in C.
 */
export function close(fd: number): void {
  addon.close(fd);
  // The watcher poll() kept on the fd was closed with it: forget it.
  dropIdleWatch(fd);
}

/**
 * read(2) into `buffer` (a view's byteOffset/byteLength window, or a whole
 * ArrayBuffer). Returns the byte count, 0 at end of file. On a non-blocking
 * fd with nothing to read it throws an error with code 'EAGAIN': wait with
 * {@link waitReadable} and retry. Retries on EINTR.
 */
export function read(fd: number, buffer: ByteSource): number {
  return addon.read(fd, buffer);
}

/** write(2) from `buffer`; returns the byte count. EAGAIN throws, as for {@link read}. */
export function write(fd: number, buffer: ByteSource): number {
  return addon.write(fd, buffer);
}

/**
 * ioctl(2); returns its (non-negative) return value.
 *
 * - `arg` undefined or null: 0 is passed.
 * - a number (safe integer >= 0) or bigint (< 2^64): passed as `unsigned long`.
 *   Refused (TypeError) when `request` encodes _IOC_READ with a size: the
 *   kernel would write through it as a pointer into this process.
 * - an ArrayBuffer or ArrayBufferView: a pointer to its first byte is passed;
 *   what the kernel writes is visible in the buffer afterwards. When
 *   `request` encodes a size (_IOR/_IOW/_IOWR) the buffer must hold at least
 *   that many bytes (RangeError otherwise). Legacy requests without an
 *   encoded size (FIONREAD, ...) cannot be checked: size the buffer yourself.
 *
 * `request` is an unsigned 32-bit number (0..0xffffffff). Numbers built
 * with JS bit operators may be negative: apply `>>> 0` (the _IO* helpers do).
 * An unknown request throws ENOTTY.
 */
export function ioctl(fd: number, request: number, arg?: number | bigint | ByteSource | null): number {
  return addon.ioctl(fd, request, arg);
}

/** pipe2(2): returns `[readFd, writeFd]`. `flags`: O_NONBLOCK, O_CLOEXEC. */
export function pipe2(flags = 0): [number, number] {
  return addon.pipe2(flags);
}

/** memfd_create(2): an anonymous memory file (size it with `fs.ftruncateSync(fd, n)`). */
export function memfdCreate(name: string, flags = 0): number {
  return addon.memfdCreate(name, flags);
}
