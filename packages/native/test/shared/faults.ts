// Fault injection for the readers' error paths (issue 20, part 3), written
// once and run against the three readers on the real devices in the VM
// (packages/*/test/kernel/faults.test.ts): a binding that passes every call
// to @kchan/native but fails the next mmap, ioctl, read or poll with an
// errno of our choice, as the kernel would. Each case checks that the
// caller gets that error (code and errno), that nothing leaks (fds, device
// mappings), and that the reader is usable again afterwards, or that a
// failed open() left nothing open (docs/readers.md, "Errors").
import { readdirSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { describe, expect, it } from 'vitest';

import * as native from '../../src/index.js';
import type { KchanBinding } from '../../src/interface.js';
import { KchanError } from '../../src/errors.js';

export type FaultCall = 'mmap' | 'ioctl' | 'read' | 'waitReadable';

/** The errno number of an errno name ('EIO' -> 5). */
export function errnoOf(code: string): number {
  const n = (constants.errno as Record<string, number>)[code];
  if (n === undefined) throw new Error(`not an errno name: ${code}`);
  return n;
}

/** A binding over @kchan/native whose next `call` fails with `code`. */
export class FaultyBinding implements KchanBinding {
  readonly pageSize = native.pageSize;
  #armed: { call: FaultCall; code: string } | null = null;
  /** How many injected failures were raised. */
  fired = 0;

  arm(call: FaultCall, code: string): void {
    this.#armed = { call, code };
  }

  #fault(call: FaultCall): KchanError | null {
    const a = this.#armed;
    if (a === null || a.call !== call) return null;
    this.#armed = null;
    this.fired++;
    return new KchanError(a.code, `${a.code}: injected, ${call}`, { errno: -errnoOf(a.code), syscall: call });
  }

  open(path: string, flags: number): number {
    return native.open(path, flags);
  }

  close(fd: number): void {
    native.close(fd);
  }

  read(fd: number, buffer: Uint8Array): number {
    const e = this.#fault('read');
    if (e) throw e;
    return native.read(fd, buffer);
  }

  ioctl(fd: number, request: number, arg?: number | ArrayBufferView | null): number {
    const e = this.#fault('ioctl');
    if (e) throw e;
    return native.ioctl(fd, request, arg);
  }

  mmap(fd: number, length: number, prot: number, flags: number, offset: number): native.Mapping {
    const e = this.#fault('mmap');
    if (e) throw e;
    return native.mmap(fd, length, prot, flags, offset);
  }

  addressOf(view: ArrayBufferView): bigint {
    return native.addressOf(view);
  }

  waitReadable(fd: number, options?: { signal?: AbortSignal }): Promise<number> {
    const e = this.#fault('waitReadable');
    if (e) return Promise.reject(e);
    return native.waitReadable(fd, options);
  }
}

/** Open fds of this process. */
export function fdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

/** Mappings of `device` in this process. */
export function mappingsOf(device: string): number {
  return readFileSync('/proc/self/maps', 'utf8')
    .split('\n')
    .filter((l) => l.endsWith(` ${device}`)).length;
}

export interface FaultCase<R> {
  /** What fails, where: 'mmap in open()', 'read in readBatch()'. */
  name: string;
  call: FaultCall;
  code: string;
  /** Open the reader over the faulty binding. */
  open(binding: KchanBinding): R;
  /** The use that meets the fault; absent: the fault is met by open() itself. */
  use?(reader: R): unknown;
  /** The same use once more, with no fault: must succeed (the reader is reusable). */
  again?(reader: R): unknown;
  close(reader: R): void;
}

async function expectFault(p: () => unknown, code: string): Promise<void> {
  let err: unknown;
  try {
    await p();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(KchanError);
  expect(err).toMatchObject({ code, errno: -errnoOf(code) });
}

export function faultContract<R>(name: string, device: string, cases: FaultCase<R>[]): void {
  describe(`${name}: injected system-call failures`, () => {
    for (const c of cases) {
      it(`${c.code} from ${c.name}: the caller gets it, nothing leaks, ${c.use ? 'the reader works again' : 'nothing stays open'}`, async () => {
        const fds = fdCount();
        const maps = mappingsOf(device);
        const b = new FaultyBinding();
        if (!c.use) {
          b.arm(c.call, c.code);
          await expectFault(() => c.open(b), c.code);
          expect(b.fired).toBe(1);
        } else {
          const r = c.open(b);
          try {
            b.arm(c.call, c.code);
            await expectFault(() => c.use!(r), c.code);
            expect(b.fired).toBe(1);
            if (c.again) await c.again(r);
          } finally {
            c.close(r);
          }
        }
        expect(fdCount()).toBe(fds);
        expect(mappingsOf(device)).toBe(maps);
      });
    }
  });
}
