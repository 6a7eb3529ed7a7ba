// An in-memory /dev/kue for host tests: one fd, the kernel's read()
// semantics (whole records, EAGAIN when empty, EFBIG without consuming).
import { encodeKueMsgHdr, KUE_MSG_FLAG_LOST } from '@kchan/uapi';

import type { KueBinding } from '../src/binding.js';

const POLLIN = 1;
import { recordSize } from '../src/decode.js';

function sysError(code: string, errno: number, syscall: string): Error {
  return Object.assign(new Error(`${code}: mock, ${syscall}`), { code, errno: -errno, syscall });
}

export interface MockMsg {
  seq: bigint;
  payload: Uint8Array;
  lost?: number;
}

export function encodeRecord(m: MockMsg): Uint8Array {
  const out = new Uint8Array(recordSize(m.payload.byteLength));
  const lost = m.lost ?? 0;
  encodeKueMsgHdr(new DataView(out.buffer), 0, {
    size: BigInt(m.payload.byteLength),
    seq: m.seq,
    flags: lost ? KUE_MSG_FLAG_LOST : 0,
    lost,
  });
  out.set(m.payload, 24);
  return out;
}

export class MockKue implements KueBinding {
  queue: MockMsg[] = [];
  readSizes: number[] = [];
  closedFds: number[] = [];
  #waiters: Array<() => void> = [];
  #nextFd = 3;

  push(...msgs: MockMsg[]): void {
    this.queue.push(...msgs);
    const w = this.#waiters;
    this.#waiters = [];
    for (const wake of w) wake();
  }

  open(path: string, _flags: number): number {
    if (path !== '/dev/kue') throw sysError('ENOENT', 2, 'open');
    return this.#nextFd++;
  }

  close(fd: number): void {
    this.closedFds.push(fd);
  }

  read(_fd: number, buffer: Uint8Array): number {
    this.readSizes.push(buffer.byteLength);
    if (this.queue.length === 0) throw sysError('EAGAIN', 11, 'read');
    let off = 0;
    while (this.queue.length > 0) {
      const rec = encodeRecord(this.queue[0]!);
      if (rec.byteLength > buffer.byteLength - off) break;
      buffer.set(rec, off);
      off += rec.byteLength;
      this.queue.shift();
    }
    if (off === 0) throw sysError('EFBIG', 27, 'read');
    return off;
  }

  ioctl(_fd: number, _request: number, arg?: number | ArrayBufferView | null): number {
    if (arg instanceof Uint8Array) arg.fill(0);
    return 0;
  }

  waitReadable(_fd: number, options: { signal?: AbortSignal } = {}): Promise<number> {
    const signal = options.signal ?? new AbortController().signal;
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      if (this.queue.length > 0) return resolve(POLLIN);
      const onAbort = (): void => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(() => {
        signal.removeEventListener('abort', onAbort);
        resolve(POLLIN);
      });
    });
  }
}
