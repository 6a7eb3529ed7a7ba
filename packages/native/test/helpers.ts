import { closeSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { close, isErrnoError } from '../src/index.js';

/**
 * What an ioctl the kernel does not know fails with: ENOTTY, except under
 * qemu-user (pnpm test:arm64 sets KCHAN_QEMU_USER=1), which does not forward
 * ioctl requests it has no table entry for and answers ENOSYS itself.
 */
export const UNKNOWN_IOCTL = process.env.KCHAN_QEMU_USER === '1' ? 'ENOSYS' : 'ENOTTY';

/** Asserts fn throws an errno error with `code` (and `syscall`), returns it. */
export function expectErrno(fn: () => unknown, code: string, syscall?: string): Error {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  if (!isErrnoError(caught, code)) {
    throw new Error(`expected ${code}${syscall ? ` from ${syscall}` : ''}, got ${String(caught)}`);
  }
  if (syscall !== undefined && caught.syscall !== syscall) {
    throw new Error(`expected syscall ${syscall}, got ${caught.syscall}`);
  }
  return caught;
}

/** Asserts fn throws an Error carrying `code` (ERR_* codes), of class `cls`. */
export function expectCode(fn: () => unknown, cls: ErrorConstructor | TypeErrorConstructor | RangeErrorConstructor, code: string): Error {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  if (!(caught instanceof cls) || (caught as { code?: unknown }).code !== code) {
    throw new Error(`expected ${cls.name} ${code}, got ${String(caught)} (code ${String((caught as { code?: unknown })?.code)})`);
  }
  return caught;
}

/** Closes fds that may already be closed. */
export function closeQuietly(...fds: number[]): void {
  for (const fd of fds) {
    try {
      close(fd);
    } catch {
      // already closed
    }
  }
}

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'kchan-native-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export { closeSync };
