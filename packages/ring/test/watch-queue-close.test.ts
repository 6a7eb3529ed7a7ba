// WatchQueue.close() against a pending wait, from inside a consume()
// callback, and its loss count afterwards. The device is stood in for by a
// pipe (the fd waited on: never readable here) and an anonymous shared
// mapping that a RingWriter fills as the kernel would; everything else
// (waitReadable, close, unmap) is the real @kchan/native.
import { describe, expect, it } from 'vitest';
import { WATCH_TYPE_KAPI } from '@kchan/uapi';

import { WatchQueue } from '../src/index.js';
import { patternPayload } from './helpers.js';
import { simDevice, type SimDevice } from './sim-binding.js';

let dev: SimDevice;
/** A WatchQueue over a fresh simulated device (the one post() writes to). */
function open(): WatchQueue {
  dev = simDevice();
  return WatchQueue.open({ pages: 1, binding: dev.binding });
}

function post(n: number, slots = 2): void {
  for (let i = 0; i < n; i++) dev.writer().post(WATCH_TYPE_KAPI, 0, 0, patternPayload(i, slots));
}

const TIMEOUT = Symbol('timeout');
async function settled(p: Promise<unknown>, ms = 2000): Promise<unknown> {
  const outcome = p.then(
    (value: unknown) => ({ value }),
    (err: unknown) => ({ code: (err as { code?: unknown }).code }),
  );
  return Promise.race([outcome, new Promise((resolve) => setTimeout(() => resolve(TIMEOUT), ms))]);
}

describe('WatchQueue.close()', () => {
  it('ends a pending iterator', async () => {
    const wq = open();
    const next = wq.notifications().next();
    await new Promise((resolve) => setTimeout(resolve, 20));
    wq.close();
    expect(await settled(next)).toEqual({ value: { done: true, value: undefined } });
  });

  it('rejects a pending wait() with EBADF', async () => {
    const wq = open();
    const wait = wq.wait();
    await new Promise((resolve) => setTimeout(resolve, 20));
    wq.close();
    expect(await settled(wait)).toEqual({ code: 'EBADF' });
  });

  it('from a consume() callback: the batch ends normally, then the ring is gone', () => {
    const wq = open();
    post(3);
    let calls = 0;
    expect(
      wq.consume(() => {
        calls++;
        wq.close();
      }),
    ).toBe(3);
    expect(calls).toBe(3);
    expect(() => wq.consume(() => {})).toThrow(expect.objectContaining({ code: 'EBADF' }));
  });

  it('from a callback of wq.reader.consume(): the ring goes at once, the batch stops quietly', () => {
    const wq = open();
    post(3);
    let calls = 0;
    expect(
      wq.reader.consume(() => {
        calls++;
        wq.close();
      }),
    ).toBe(1);
    expect(calls).toBe(1);
  });

  it('keeps the loss count', () => {
    const wq = open();
    post(200, 8); // a 512-slot ring holds 63: the writer reports the rest lost
    wq.consume(() => {});
    post(1);
    wq.consume(() => {});
    const lost = wq.lost;
    expect(lost).toBeGreaterThan(0);
    wq.close();
    expect(wq.lost).toBe(lost);
  });

  it('closes through Symbol.dispose and Symbol.asyncDispose; use after close is EBADF naming the call', async () => {
    const a = open();
    a[Symbol.dispose]();
    expect(() => a.addWatch(WATCH_TYPE_KAPI, 1)).toThrow(expect.objectContaining({ code: 'EBADF', errno: -9, syscall: 'ioctl' }));
    expect(() => a.reader).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'reader' }));
    const b = open();
    await b[Symbol.asyncDispose]();
    expect(() => b.fileDescriptor).toThrow(expect.objectContaining({ code: 'EBADF' }));
    b.close(); // still idempotent
  });

  it('aborting before or during a wait gives an AbortError with the reason as cause', async () => {
    const wq = open();
    const before = new AbortController();
    before.abort(new Error('before'));
    await expect(wq.wait({ signal: before.signal })).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR', cause: { message: 'before' } });
    const during = new AbortController();
    const it = wq.notifications({ signal: during.signal }).next();
    setTimeout(() => during.abort(new Error('during')), 20);
    await expect(it).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR', cause: { message: 'during' } });
    wq.close();
  });
});
