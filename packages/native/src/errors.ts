// Error shapes shared by every export. System-call failures look like
// Node's fs errors; argument errors like Node's ERR_INVALID_ARG_TYPE /
// ERR_OUT_OF_RANGE.

/** Options of {@link KchanError}: the system-call fields, and a cause. */
export interface KchanErrorOptions {
  /** Negative errno value, e.g. -22 for EINVAL (system-call failures). */
  errno?: number;
  /** The failing call: 'open', 'ioctl', 'mmap', 'read', 'poll', ... */
  syscall?: string;
  /** For calls on a path (open). */
  path?: string;
  cause?: unknown;
}

/**
 * The base class of every kchan error (docs/readers.md, "Errors"): the
 * addon's system-call failures and each package's own errors
 * (`WatchQueueError`, `RingError`, `KueError`, `UmmunotifyError`) extend it.
 *
 * A failed system call is shaped like Node's fs errors:
 * `EINVAL: invalid argument, ioctl` with `code` `'EINVAL'`, `errno` `-22`
 * (negative, as in Node) and `syscall` `'ioctl'` (and `path` for open).
 * A package's own condition has an `ERR_*`/`ERING_*` code and no errno.
 * Test `err.code` (or {@link isErrnoError}) rather than the subclass.
 */
const BRAND = Symbol.for('@kchan/native.KchanError');

export class KchanError extends Error {
  /**
   * `err instanceof KchanError` holds for every kchan error, also when the
   * ESM and the CJS build of this package are both loaded in one process
   * (each has its own class; the addon is shared): it tests a brand on the
   * prototype. Subclasses (`RingError`, ...) keep the usual test.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this !== KchanError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && (value as { [BRAND]?: unknown })[BRAND] === true;
  }

  /** errno name ('EINVAL', 'EBADF', ...) or a package code ('ERING_CORRUPT', ...). */
  readonly code: string;
  /** Negative errno value, for system-call failures. */
  declare readonly errno?: number;
  /** The failing call, for system-call failures. */
  declare readonly syscall?: string;
  /** For calls on a path (open): the path, also quoted at the end of the message. */
  declare readonly path?: string;

  constructor(code: string, message: string, options?: KchanErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KchanError';
    this.code = code;
    // Only the fields that apply are own properties, as in Node's fs errors.
    const self = this as { errno?: number; syscall?: string; path?: string };
    if (options?.errno !== undefined) self.errno = options.errno;
    if (options?.syscall !== undefined) self.syscall = options.syscall;
    if (options?.path !== undefined) self.path = options.path;
  }
}

Object.defineProperty(KchanError.prototype, BRAND, { value: true });

/** A failed system call: a {@link KchanError} (or Node fs error) with `errno` and `syscall`. */
export interface ErrnoError extends Error {
  code: string;
  errno: number;
  syscall: string;
  path?: string;
}

/**
 * True when `err` is an errno-coded system-call error (from kchan or
 * Node's fs). With `code`, also checks the code: `isErrnoError(e, 'EAGAIN')`.
 */
export function isErrnoError(err: unknown, code?: string): err is ErrnoError {
  if (!(err instanceof Error)) return false;
  const e = err as Partial<ErrnoError>;
  if (typeof e.code !== 'string' || typeof e.errno !== 'number' || typeof e.syscall !== 'string') return false;
  return code === undefined || e.code === code;
}

/** The error `waitReadable`/`poll` reject with when their signal aborts (like Node's). */
export class AbortError extends Error {
  readonly code = 'ABORT_ERR';
  constructor(message = 'The operation was aborted', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AbortError';
  }
}

/** The AbortError for an aborted `signal`: its reason as `cause` (docs/readers.md). */
export function abortError(signal: AbortSignal): AbortError {
  return new AbortError(undefined, { cause: signal.reason });
}

/** Throws {@link abortError} if `signal` is aborted; every kchan wait starts with it. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal);
}
