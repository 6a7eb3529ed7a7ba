// Error shapes shared by every export. System-call failures look like
// Node's fs errors; argument errors like Node's ERR_INVALID_ARG_TYPE /
// ERR_OUT_OF_RANGE.

/**
 * A failed system call, shaped like Node's fs errors:
 * `EINVAL: invalid argument, ioctl` with `code` `'EINVAL'`,
 * `errno` `-22` (negative, as in Node) and `syscall` `'ioctl'`.
 */
export interface KchanError extends Error {
  /** errno name: 'EINVAL', 'ENOTTY', 'EAGAIN', 'EBADF', ... */
  code: string;
  /** Negative errno value, e.g. -22 for EINVAL. */
  errno: number;
  /** The failing call: 'open', 'ioctl', 'mmap', 'munmap', 'poll', ... */
  syscall: string;
  /** For calls on a path (open): the path, also quoted at the end of the message. */
  path?: string;
}

/**
 * True when `err` is an errno-coded system-call error (from this package or
 * Node's fs). With `code`, also checks the code: `isErrnoError(e, 'EAGAIN')`.
 */
export function isErrnoError(err: unknown, code?: string): err is KchanError {
  if (!(err instanceof Error)) return false;
  const e = err as Partial<KchanError>;
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
