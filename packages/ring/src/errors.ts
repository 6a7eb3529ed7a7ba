import { KchanError } from '@kchan/native/errors';

/** Error codes of @kchan/ring besides the errno-style ones of the native layer. */
export type RingErrorCode =
  /** The ring's contents or indices break the protocol (bad length, entry past head, ...). */
  | 'ERING_CORRUPT'
  /** The kernel put the queue in its error state (EPOLLERR): a bogus tail was published. */
  | 'ERING_ERROR_STATE'
  /** The buffer cannot hold a ring (size not a power of two, too small, bad mask). */
  | 'ERING_LAYOUT'
  /** consume() or consumeN() called from inside one of the reader's own callbacks. */
  | 'ERING_REENTRANT';

/** A typed error from the ring reader or writer. */
export class RingError extends KchanError {
  declare readonly code: RingErrorCode;
  constructor(code: RingErrorCode, message: string) {
    super(code, `${code}: ${message}`);
    this.name = 'RingError';
  }
}

/** An errno-coded error (mirrors Node's fs errors: code, errno, syscall). */
export class WatchQueueError extends KchanError {
  declare readonly errno: number;
  declare readonly syscall: string;
  constructor(code: string, errno: number, syscall: string, message?: string) {
    super(code, message ?? `${code}: ${syscall} failed`, { errno, syscall });
    this.name = 'WatchQueueError';
  }
}
