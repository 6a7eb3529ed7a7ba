import { KchanError } from '@kchan/native/errors';

/**
 * Typed errors of @kchan/kue. System errors keep the errno-style `code`
 * ('EFBIG', 'EACCES', ...), `errno` (negative, as in Node) and `syscall` of
 * the failing call; the package's own errors use `ERR_KUE_*` codes.
 */
export type KueErrorCode =
  | 'ERR_KUE_CORRUPT'
  | 'ERR_KUE_BINDING'
  | 'ERR_KUE_REENTRANT'
  | 'ERR_KUE_BUSY'
  | (string & {});

export class KueError extends KchanError {
  declare readonly code: KueErrorCode;

  constructor(code: KueErrorCode, message: string, options?: { errno?: number; syscall?: string; cause?: unknown }) {
    super(code, message, options);
    this.name = 'KueError';
  }
}

interface SystemErrorLike {
  code?: unknown;
  errno?: unknown;
  syscall?: unknown;
  message?: unknown;
}

/** The errno-style code of a thrown value ('EAGAIN', ...), if it has one. */
export function errorCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null) {
    const code = (err as SystemErrorLike).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/** Wrap an error from the binding as a KueError, keeping code/errno/syscall. */
export function toKueError(err: unknown, fallbackSyscall: string): KueError {
  if (err instanceof KueError) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as SystemErrorLike;
  const code = typeof e.code === 'string' ? e.code : 'ERR_KUE_BINDING';
  const syscall = typeof e.syscall === 'string' ? e.syscall : fallbackSyscall;
  const message = typeof e.message === 'string' ? e.message : String(err);
  const opts: { errno?: number; syscall?: string; cause?: unknown } = { syscall, cause: err };
  if (typeof e.errno === 'number') opts.errno = e.errno;
  return new KueError(code, message, opts);
}
