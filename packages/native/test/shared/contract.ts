// The reader contract (docs/readers.md), written once and run against the
// three readers: on the host over an injected binding or a stand-in device
// (packages/*/test/contract.test.ts) and in the VM against the real devices
// (packages/*/test/kernel/contract.test.ts).
import { describe, expect, it } from 'vitest';

import { KchanError } from '../../src/errors.js';

/** The lifecycle methods every reader has under the same names. */
export interface Closable {
  close(): void;
  [Symbol.dispose](): void;
  [Symbol.asyncDispose](): Promise<void>;
}

/** What the suite needs of a reader: the reader, its iterator, one sync call. */
export interface ReaderUnderTest {
  reader: Closable;
  /** The reader's async iterator over an empty device (it must wait). */
  iterate(options?: { signal?: AbortSignal }): AsyncIterator<unknown>;
  /** A synchronous call that needs the fd (throws EBADF once closed). */
  useFd(): unknown;
  /**
   * Where the device can be made ready (the VM): make data pending, and the
   * reader's one-shot wait (WatchQueue.wait(), KueReader.nextBatch(), the
   * first step of Ummunotify.events()).
   */
  ready?: { make(): void; wait(options: { signal?: AbortSignal }): Promise<unknown> };
}

const TIMEOUT = Symbol('timeout');
async function within<T>(p: Promise<T>, ms: number): Promise<T | typeof TIMEOUT> {
  let t: NodeJS.Timeout | undefined;
  const timer = new Promise<typeof TIMEOUT>((resolve) => {
    t = setTimeout(() => resolve(TIMEOUT), ms);
  });
  try {
    return await Promise.race([p, timer]);
  } finally {
    clearTimeout(t);
  }
}
const settle = (p: Promise<unknown>) =>
  p.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
const tick = (ms = 20) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Close and abort settle within this long: 100 ms (the issue's bound) on the
 * host. The VM runs under TCG, a CPU emulator some 20 times slower, where a
 * first (cold, unoptimised) close path was measured at 260-630 ms: there the
 * bound is scaled to 2 s. Either way the wait settles in close()'s own turn
 * of the event loop; the bound catches a wait left to a timer or a wakeup.
 */
const SETTLE_MS = process.env.KCHAN_VM === '1' ? 2000 : 100;

/** The reader's class: its static open(), the one way to open (docs/readers.md, "Opening"). */
export interface ReaderClass {
  open(options: { path: string }): Closable;
}

export function readerContract(name: string, open: () => Promise<ReaderUnderTest>, Reader: ReaderClass): void {
  describe(`${name}: the reader contract (docs/readers.md)`, () => {
    it('open() is synchronous: a missing device throws a KchanError (ENOENT, syscall open, the path) at the call', () => {
      const path = '/nonexistent/kchan-contract';
      let err: unknown;
      let got: unknown;
      try {
        got = Reader.open({ path });
      } catch (e) {
        err = e;
      }
      expect(got).toBeUndefined(); // neither a reader nor a promise of one
      expect(err).toBeInstanceOf(KchanError);
      expect(err).toMatchObject({ code: 'ENOENT', errno: -2, syscall: 'open' });
      expect((err as Error).message).toContain(path);
    });

    it('close() during an iterator wait ends the iterator within 100 ms', async () => {
      const r = await open();
      const next = settle(r.iterate().next());
      await tick();
      const t0 = performance.now();
      r.reader.close();
      const got = await within(next, 5000);
      expect(got).toEqual({ value: { done: true, value: undefined } });
      expect(performance.now() - t0).toBeLessThan(SETTLE_MS);
    });

    it('close() is idempotent; use after close is EBADF', async () => {
      const r = await open();
      r.reader.close();
      r.reader.close();
      let err: unknown;
      try {
        r.useFd();
      } catch (e) {
        err = e;
      }
      expect(err).toMatchObject({ code: 'EBADF', errno: -9 });
      expect(typeof (err as { syscall?: unknown }).syscall).toBe('string');
      // One error family: the package's error class extends KchanError.
      expect(err).toBeInstanceOf(KchanError);
    });

    it('an iterator on a closed reader ends at once', async () => {
      const r = await open();
      r.reader.close();
      expect(await within(r.iterate().next(), 5000)).toEqual({ done: true, value: undefined });
    });

    it('aborting before the wait rejects with AbortError, the reason as cause', async () => {
      const r = await open();
      const ac = new AbortController();
      const reason = new Error('before');
      ac.abort(reason);
      const got = await within(settle(r.iterate({ signal: ac.signal }).next()), 5000);
      expect(got).toMatchObject({ error: { name: 'AbortError', code: 'ABORT_ERR' } });
      expect((got as { error: { cause: unknown } }).error.cause).toBe(reason);
      r.reader.close();
    });

    it('aborting before the wait rejects with AbortError even when data is ready', async (ctx) => {
      const r = await open();
      try {
        if (!r.ready) return ctx.skip();
        r.ready.make();
        const ac = new AbortController();
        const reason = new Error('before, with data ready');
        ac.abort(reason);
        const got = await within(settle(r.ready.wait({ signal: ac.signal })), 5000);
        expect(got).toMatchObject({ error: { name: 'AbortError', code: 'ABORT_ERR' } });
        expect((got as { error: { cause: unknown } }).error.cause).toBe(reason);
        // Nothing was taken: the same wait without the signal returns at once.
        expect(await within(settle(r.ready.wait({})), 5000)).not.toBe(TIMEOUT);
      } finally {
        r.reader.close();
      }
    });

    it('aborting during the wait rejects with AbortError within 100 ms, the reason as cause; the reader stays open', async () => {
      const r = await open();
      const ac = new AbortController();
      const next = settle(r.iterate({ signal: ac.signal }).next());
      await tick();
      const reason = new Error('during');
      const t0 = performance.now();
      ac.abort(reason);
      const got = await within(next, 5000);
      expect(performance.now() - t0).toBeLessThan(SETTLE_MS);
      expect(got).toMatchObject({ error: { name: 'AbortError', code: 'ABORT_ERR' } });
      expect((got as { error: { cause: unknown } }).error.cause).toBe(reason);
      expect(() => r.useFd()).not.toThrow();
      r.reader.close();
    });

    it('Symbol.dispose and Symbol.asyncDispose close it (using / await using)', async () => {
      const a = await open();
      a.reader[Symbol.dispose]();
      expect(() => a.useFd()).toThrow(expect.objectContaining({ code: 'EBADF' }));
      const b = await open();
      const pending = settle(b.iterate().next());
      await tick();
      await b.reader[Symbol.asyncDispose]();
      expect(() => b.useFd()).toThrow(expect.objectContaining({ code: 'EBADF' }));
      expect(await within(pending, 5000)).toEqual({ value: { done: true, value: undefined } });
    });
  });
}
