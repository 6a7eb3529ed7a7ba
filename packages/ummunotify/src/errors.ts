// Typed errors. Every failure of a device operation surfaces as an
// UmmunotifyError carrying the errno name (`code`), number and syscall, as
// Node's fs errors do; native errors are converted once, here.
import { constants as osConstants } from 'node:os';

import { KchanError } from '@kchan/native/errors';

const errnoNumbers = osConstants.errno as Readonly<Record<string, number>>;

export interface ErrnoLike {
  code: string;
  errno: number;
  syscall: string;
}

export class UmmunotifyError extends KchanError implements ErrnoLike {
  declare readonly errno: number;
  declare readonly syscall: string;

  constructor(code: string, syscall: string, message?: string, options?: { cause?: unknown; errno?: number }) {
    super(code, message ?? `${code}, ${syscall}`, { errno: options?.errno ?? -(errnoNumbers[code] ?? 0), syscall, cause: options?.cause });
    this.name = 'UmmunotifyError';
  }
}

function isErrnoLike(e: unknown): e is Error & ErrnoLike {
  return (
    e instanceof Error &&
    typeof (e as Partial<ErrnoLike>).code === 'string' &&
    typeof (e as Partial<ErrnoLike>).errno === 'number'
  );
}

/** `e` as an UmmunotifyError (errno errors keep their code); others are rethrown as is. */
export function toUmmunotifyError(e: unknown, syscall: string, what?: string): Error {
  if (e instanceof UmmunotifyError) return e;
  if (isErrnoLike(e)) {
    return new UmmunotifyError(e.code, e.syscall || syscall, what ? `${what}: ${e.message}` : e.message, {
      cause: e,
      errno: e.errno,
    });
  }
  return e instanceof Error ? e : new Error(String(e));
}

/** True if `e` is an errno error with this code. */
export function hasCode(e: unknown, code: string): boolean {
  return typeof e === 'object' && e !== null && (e as Partial<ErrnoLike>).code === code;
}
