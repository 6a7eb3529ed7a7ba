import { spawnSync } from 'node:child_process';
import { closeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';

import {
  AbortError,
  O_CLOEXEC,
  O_NONBLOCK,
  POLLERR,
  POLLHUP,
  POLLIN,
  POLLOUT,
  POLLRDHUP,
  Poller,
  close,
  isErrnoError,
  open,
  pipe2,
  poll,
  read,
  throwIfAborted,
  waitReadable,
  write,
  type KchanError,
} from '../src/index.js';
import { closeQuietly, expectCode, expectErrno, tempDir } from './helpers.js';

const packageRoot = fileURLToPath(new URL('..', import.meta.url));

/** Whether fd is closed (a read of 0 bytes: EBADF on a closed fd, 0 on an open one). */
function fcntlClosed(fd: number): boolean {
  try {
    read(fd, new Uint8Array(0));
    return false;
  } catch (err) {
    return (err as KchanError).code === 'EBADF';
  }
}

function collect(fd: number): { poller: Poller; events: Array<{ err: KchanError | null; revents: number }>; next: () => Promise<void> } {
  const events: Array<{ err: KchanError | null; revents: number }> = [];
  let wake: (() => void) | undefined;
  const poller = new Poller(fd, (err, revents) => {
    events.push({ err, revents });
    wake?.();
  });
  return {
    poller,
    events,
    next: () =>
      new Promise<void>((resolve) => {
        wake = resolve;
      }),
  };
}

describe('Poller', () => {
  it('is collected once closed or stopped, though its callback closes over it', async () => {
    // A callback that refers to its own poller (as the TS Poller's and the
    // kept watchers' do) must not keep it alive: 0.35 MiB per 1000 readers
    // in the soak before the native side stopped holding it as a GC root.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    // A FinalizationRegistry, not WeakRef.deref(): deref() keeps its target
    // alive to the end of the job, which would hide the collection we wait for.
    const N = 40;
    let collected = 0;
    const registry = new FinalizationRegistry<number>(() => {
      collected++;
    });
    for (let i = 0; i < N; i++) {
      const [r, w] = pipe2(O_NONBLOCK | O_CLOEXEC);
      const p: Poller = new Poller(r, () => {
        p.stop();
      });
      p.start(POLLIN);
      if (i % 2) p.close();
      else p.stop();
      registry.register(p, i);
      close(r);
      close(w);
    }
    for (let k = 0; k < 50 && collected < N; k++) {
      await new Promise((res) => setImmediate(res));
      gc();
    }
    expect(collected).toBe(N);
  });

  it('fires on pipe write, with poll(2) bits, and stops', async () => {
    const [r, w] = pipe2(O_NONBLOCK | O_CLOEXEC);
    const { poller, events, next } = collect(r);
    poller.start(POLLIN);
    expect(poller.active).toBe(true);
    const got = next();
    write(w, new Uint8Array([1, 2, 3]));
    await got;
    expect(events[0]).toEqual({ err: null, revents: POLLIN });
    read(r, new Uint8Array(8));
    poller.stop();
    expect(poller.active).toBe(false);
    write(w, new Uint8Array([4]));
    await new Promise((res) => setTimeout(res, 30));
    expect(events.length).toBe(1); // stopped: no more callbacks
    poller.close();
    expect(poller.closed).toBe(true);
    poller.close(); // idempotent
    expectCode(() => poller.start(), Error, 'ERR_INVALID_STATE');
    close(r);
    close(w);
  });

  it('reports POLLHUP when the writer closes, and stops itself', async () => {
    const [r, w] = pipe2(O_NONBLOCK | O_CLOEXEC);
    const { poller, events, next } = collect(r);
    poller.start(POLLIN);
    const got = next();
    close(w);
    await got;
    expect(events[0]!.err).toBe(null);
    expect(events[0]!.revents & POLLHUP).toBe(POLLHUP);
    expect(poller.active).toBe(false);
    poller.close();
    close(r);
  });

  it('reports POLLERR on the write end when the reader is gone', async () => {
    const [r, w] = pipe2(O_NONBLOCK | O_CLOEXEC);
    const { poller, events, next } = collect(w);
    close(r);
    poller.start(POLLOUT);
    await next();
    expect(events[0]!.err).toBe(null);
    expect(events[0]!.revents & POLLERR).toBe(POLLERR);
    expect(poller.active).toBe(false);
    poller.close();
    close(w);
  });

  it('close() from inside the callback is safe and no callback follows', async () => {
    const [r, w] = pipe2(O_NONBLOCK | O_CLOEXEC);
    let calls = 0;
    const done = new Promise<void>((resolve) => {
      const p = new Poller(r, () => {
        calls++;
        p.close();
        resolve();
      });
      p.start();
    });
    write(w, new Uint8Array(1)); // stays readable (level-triggered)
    await done;
    await new Promise((res) => setTimeout(res, 30));
    expect(calls).toBe(1);
    close(r);
    close(w);
  });

  it('close() while a wakeup is pending drops it', async () => {
    const [r, w] = pipe2(O_NONBLOCK | O_CLOEXEC);
    let calls = 0;
    const p = new Poller(r, () => calls++).start();
    write(w, new Uint8Array(1));
    // The fd is ready now; the loop has not run yet.
    p.close();
    await new Promise((res) => setTimeout(res, 30));
    expect(calls).toBe(0);
    close(r);
    close(w);
  });

  it('close(fd) closes the fd’s poller first and settles its wait with EBADF, once', async () => {
    const [r, w] = pipe2(O_NONBLOCK | O_CLOEXEC);
    const calls: Array<[KchanError | null, number]> = [];
    const p = new Poller(r, (err, revents) => calls.push([err, revents])).start();
    write(w, new Uint8Array(1)); // ready, callback not yet run
    close(r);
    expect(p.closed).toBe(true);
    expect(p.active).toBe(false);
    expect(calls).toHaveLength(1);
    expect(calls[0]![0]?.code).toBe('EBADF');
    expect(calls[0]![1]).toBe(0);
    await new Promise((res) => setTimeout(res, 20));
    expect(calls).toHaveLength(1); // the pending wakeup is dropped
    close(w);
  });

  it('close(fd) releases the fd before the EBADF callback runs: a number the callback reuses stays open', () => {
    const [r, w] = pipe2(O_NONBLOCK | O_CLOEXEC);
    let inner: string | undefined;
    let reopened = -1;
    const closedBefore: boolean[] = [];
    new Poller(r, () => {
      // A callback that closes "its" fd and opens another file: the close it
      // answers has already released r, so r is free and the new file takes it.
      closedBefore.push(fcntlClosed(r));
      try {
        close(r);
      } catch (err) {
        inner = (err as KchanError).code;
      }
      reopened = open('/dev/null', O_CLOEXEC);
    }).start();
    close(r);
    expect(closedBefore).toEqual([true]);
    expect(inner).toBe('EBADF');
    expect(reopened).toBe(r);
    // The outer close() did not close the file the callback opened under r.
    expect(fcntlClosed(reopened)).toBe(false);
    close(reopened);
    close(w);
  });

  it('close(fd) says nothing to a stopped poller (nobody is waiting)', () => {
    const [r, w] = pipe2(O_NONBLOCK | O_CLOEXEC);
    let calls = 0;
    const p = new Poller(r, () => calls++).start();
    p.stop();
    close(r);
    expect(p.closed).toBe(true);
    expect(calls).toBe(0);
    close(w);
  });

  it('one poller per fd; errors for bad fds and arguments', () => {
    const [r, w] = pipe2(O_NONBLOCK | O_CLOEXEC);
    const p = new Poller(r, () => {});
    expectErrno(() => new Poller(r, () => {}), 'EEXIST', 'uv_poll_init');
    p.close();
    new Poller(r, () => {}).close(); // free again
    expectCode(() => new Poller(r, 'x' as unknown as () => void), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCode(() => new Poller(-1, () => {}), RangeError, 'ERR_OUT_OF_RANGE');
    const q = new Poller(r, () => {});
    expect(q.fd).toBe(r);
    expect(q.unref()).toBe(q);
    expect(q.hasRef()).toBe(false);
    expect(q.ref().hasRef()).toBe(true);
    expectCode(() => q.start(0), RangeError, 'ERR_OUT_OF_RANGE');
    expectCode(() => q.start(POLLERR), RangeError, 'ERR_OUT_OF_RANGE');
    expectCode(() => q.start(POLLIN | 0x4000), RangeError, 'ERR_OUT_OF_RANGE');
    q.start(POLLIN | POLLRDHUP);
    q.close();
    close(r);
    close(w);
    expectErrno(() => new Poller(r, () => {}), 'EBADF', 'uv_poll_init');
  });

  it('refuses regular files (epoll cannot watch them)', () => {
    const { dir, cleanup } = tempDir();
    try {
      const fd = open(`${dir}/f`, 0o100 /* O_CREAT */ | 2, 0o600);
      expectErrno(() => new Poller(fd, () => {}), 'EPERM', 'uv_poll_init');
      close(fd);
    } finally {
      cleanup();
    }
  });

  it('ref/unref: an unref’d started poller does not keep the process alive', () => {
    const script = `
      const n = require(${JSON.stringify(packageRoot)});
      const [r, w] = n.pipe2(n.O_NONBLOCK);
      const p = new n.Poller(r, () => {}).start();
      if (!p.hasRef()) throw new Error('expected ref');
      p.unref();
      if (p.hasRef()) throw new Error('expected unref');
      process.on('exit', () => console.log('exited'));
    `;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 10_000 });
    expect(r.signal).toBe(null);
    expect(r.stdout.trim()).toBe('exited');
    // ... and a ref'd one does (killed by the timeout).
    const r2 = spawnSync(process.execPath, ['-e', script.replace('p.unref();', '').replace("if (p.hasRef()) throw new Error('expected unref');", '')], {
      encoding: 'utf8',
      timeout: 500,
    });
    expect(r2.signal).toBe('SIGTERM');
  });

  it('a throwing callback is an uncaught exception, not a crash', () => {
    const script = `
      const n = require(${JSON.stringify(packageRoot)});
      const [r, w] = n.pipe2(n.O_NONBLOCK);
      process.on('uncaughtException', (e) => { console.log('caught', e.message); p.close(); });
      const p = new n.Poller(r, () => { throw new Error('boom'); }).start();
      n.write(w, new Uint8Array(1));
    `;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 10_000 });
    expect(r.stdout.trim()).toBe('caught boom');
    expect(r.status).toBe(0);
  });

  it('works in a worker thread (its own loop) and the worker exits cleanly with a started poller', async () => {
    // The result goes through shared memory, not postMessage(): a message
    // posted right before process.exit() in a worker may never be delivered
    // (it hung this test on busy CI hosts), shared memory is written at once.
    const code = `
      const { workerData } = require('node:worker_threads');
      const n = require(${JSON.stringify(packageRoot)});
      const res = new Int32Array(workerData.sab);
      const [r, w] = n.pipe2(n.O_NONBLOCK);
      const p = new n.Poller(r, (err, revents) => {
        Atomics.store(res, 1, err ? -1 : revents);
        Atomics.store(res, 0, 1);
        // Leave another poller started: worker exit must close it.
        const [r2] = n.pipe2(n.O_NONBLOCK);
        new n.Poller(r2, () => {}).start();
        p.close();
        process.exit(0);
      }).start();
      setTimeout(() => n.write(w, new Uint8Array([7])), 10);
    `;
    const sab = new SharedArrayBuffer(8);
    const worker = new Worker(code, { eval: true, workerData: { sab } });
    const exitCode = await new Promise((resolve, reject) => {
      worker.once('exit', resolve);
      worker.once('error', reject);
    });
    expect(exitCode).toBe(0);
    expect([...new Int32Array(sab)]).toEqual([1, POLLIN]);
  }, 20_000); // a worker loads node and the addon: slow on a busy 2-core CI host
});

describe('Poller in a terminated worker', () => {
  it('worker.terminate() with started pollers and a pending poll() exits cleanly', async () => {
    const code = `
      const { parentPort } = require('node:worker_threads');
      const n = require(${JSON.stringify(packageRoot)});
      const [r, w] = n.pipe2(n.O_NONBLOCK);
      const [r2] = n.pipe2(n.O_NONBLOCK);
      new n.Poller(r, () => {}).start();
      n.waitReadable(r2);
      parentPort.postMessage('ready');
    `;
    const worker = new Worker(code, { eval: true });
    await new Promise((resolve) => worker.once('message', resolve));
    const exitCode = await worker.terminate();
    expect(exitCode).toBe(1);
  }, 20_000); // a worker loads node and the addon: slow on a busy 2-core CI host
});

describe('close(fd) across threads', () => {
  it('settles a wait a worker thread has pending on the fd, and leaves a number reused since alone', async () => {
    const [r, w] = pipe2(O_NONBLOCK | O_CLOEXEC);
    // The worker waits on r and reports through shared memory: [state, result].
    // state 1: waiting; 2: settled (result -errno, or revents).
    const code = `
      const { workerData } = require('node:worker_threads');
      const n = require(${JSON.stringify(packageRoot)});
      const res = new Int32Array(workerData.sab);
      n.waitReadable(workerData.fd).then(
        (revents) => { Atomics.store(res, 1, revents); },
        (err) => { Atomics.store(res, 1, err.code === 'EBADF' && err.syscall === 'poll' ? -9 : -1000); },
      ).finally(() => { Atomics.store(res, 0, 2); Atomics.notify(res, 0); });
      Atomics.store(res, 0, 1);
      Atomics.notify(res, 0);
    `;
    const sab = new SharedArrayBuffer(8);
    const res = new Int32Array(sab);
    const worker = new Worker(code, { eval: true, workerData: { sab, fd: r } });
    const exited = new Promise((resolve, reject) => {
      worker.once('exit', resolve);
      worker.once('error', reject);
    });
    while (Atomics.load(res, 0) === 0) await new Promise((res2) => setTimeout(res2, 5));
    await new Promise((res2) => setTimeout(res2, 20)); // the worker's poller is started
    close(r);
    // The number comes back at once; the worker's wait must still end with
    // EBADF (its poller watched the closed fd), not watch the new pipe.
    const [r2, w2] = pipe2(O_NONBLOCK | O_CLOEXEC);
    const deadline = Date.now() + 10_000;
    while (Atomics.load(res, 0) !== 2 && Date.now() < deadline) await new Promise((res2) => setTimeout(res2, 5));
    expect([...res]).toEqual([2, -9]);
    expect(await exited).toBe(0); // nothing left keeps the worker's loop alive
    closeQuietly(r2, w2, w);
  }, 20_000); // a worker loads node and the addon: slow on a busy 2-core CI host
});

describe('poll / waitReadable', () => {
  it('resolves when readable', async () => {
    const [r, w] = pipe2(O_NONBLOCK | O_CLOEXEC);
    setTimeout(() => write(w, new Uint8Array(1)), 5);
    await expect(waitReadable(r)).resolves.toBe(POLLIN);
    // The temporary poller is closed: a new Poller on the fd is allowed.
    new Poller(r, () => {}).close();
    close(r);
    close(w);
  });

  it('resolves with POLLHUP on hangup', async () => {
    const [r, w] = pipe2(O_NONBLOCK | O_CLOEXEC);
    setTimeout(() => close(w), 5);
    const revents = await waitReadable(r);
    expect(revents & POLLHUP).toBe(POLLHUP);
    close(r);
  });

  it('resolves with POLLERR', async () => {
    const [r, w] = pipe2(O_NONBLOCK | O_CLOEXEC);
    close(r);
    const revents = await poll(w, POLLOUT);
    expect(revents & POLLERR).toBe(POLLERR);
    close(w);
  });

  it('rejects with AbortError on abort and stops the watcher', async () => {
    const [r, w] = pipe2(O_NONBLOCK | O_CLOEXEC);
    const ac = new AbortController();
    const p = waitReadable(r, { signal: ac.signal });
    setTimeout(() => ac.abort(new Error('enough')), 5);
    const err = await p.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortError);
    expect((err as AbortError).name).toBe('AbortError');
    expect((err as AbortError).code).toBe('ABORT_ERR');
    expect(((err as AbortError).cause as Error).message).toBe('enough');
    new Poller(r, () => {}).close(); // watcher gone
    // Already aborted signal: rejects at once.
    await expect(waitReadable(r, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError);
    closeQuietly(r, w);
  });

  it('a pending wait rejects with EBADF when close(fd) closes its fd', async () => {
    const [r, w] = pipe2(O_NONBLOCK | O_CLOEXEC);
    const pending = waitReadable(r).catch((e: unknown) => e);
    const pending2 = poll(w, POLLIN).catch((e: unknown) => e); // nothing to read on a write end
    await new Promise((res) => setImmediate(res));
    close(r);
    close(w);
    const [e1, e2] = await Promise.all([pending, pending2]);
    expect(isErrnoError(e1, 'EBADF')).toBe(true);
    expect((e1 as KchanError).syscall).toBe('poll');
    expect(isErrnoError(e2, 'EBADF')).toBe(true);
  });

  it('reuses its watcher across waits on an fd; one wait at a time (EEXIST)', async () => {
    const [r, w] = pipe2(O_NONBLOCK | O_CLOEXEC);
    const one = new Uint8Array(1);
    for (let i = 0; i < 3; i++) {
      setTimeout(() => write(w, one), 2);
      await expect(waitReadable(r)).resolves.toBe(POLLIN);
      expect(read(r, one)).toBe(1);
    }
    // A wait that ended by abort leaves the watcher usable.
    await expect(waitReadable(r, { signal: AbortSignal.timeout(5) })).rejects.toBeInstanceOf(AbortError);
    const first = waitReadable(r);
    const second = await waitReadable(r).catch((e: unknown) => e);
    expect(isErrnoError(second, 'EEXIST')).toBe(true);
    expect((second as KchanError).syscall).toBe('uv_poll_init');
    expect((second as KchanError).errno).toBe(-17);
    write(w, one);
    await expect(first).resolves.toBe(POLLIN);
    expect(read(r, one)).toBe(1);
    // Level-triggered, and stopped between waits: data written while
    // nobody waits is seen by the next wait at once.
    write(w, one);
    await new Promise((res) => setTimeout(res, 5));
    await expect(waitReadable(r)).resolves.toBe(POLLIN);
    // A Poller takes the fd back from the idle watcher, and gives it back.
    const p = new Poller(r, () => {});
    expect(isErrnoError(await waitReadable(r).catch((e: unknown) => e), 'EEXIST')).toBe(true);
    p.close();
    await expect(waitReadable(r)).resolves.toBe(POLLIN);
    closeQuietly(r, w);
  });

  it('an fd number closed and reused between waits is watched afresh (close(), or closeSync behind our back)', async () => {
    for (const closer of [close, closeSync]) {
      const [r, w] = pipe2(O_NONBLOCK | O_CLOEXEC);
      write(w, new Uint8Array(1));
      await expect(waitReadable(r)).resolves.toBe(POLLIN);
      closer(r);
      closer(w);
      // The lowest free numbers: the same two, now a new, empty pipe.
      const [r2, w2] = pipe2(O_NONBLOCK | O_CLOEXEC);
      expect(r2).toBe(r);
      const ac = new AbortController();
      const pending = waitReadable(r2, { signal: ac.signal });
      // Not readable: the old pipe's readiness must not leak into the new one.
      let done = false;
      void pending.then(
        () => (done = true),
        () => (done = true),
      );
      await new Promise((res) => setTimeout(res, 20));
      expect(done).toBe(false);
      write(w2, new Uint8Array(1));
      await expect(pending).resolves.toBe(POLLIN);
      closeQuietly(r2, w2);
    }
  });

  it('a kept watcher keeps nothing alive; an unref’d wait lets the process exit', () => {
    const script = `
      const n = require(${JSON.stringify(packageRoot)});
      const [r, w] = n.pipe2(n.O_NONBLOCK);
      n.write(w, new Uint8Array(1));
      n.waitReadable(r).then(async (revents) => {
        console.log('ready', revents);
        n.read(r, new Uint8Array(1));
        // An unref'd wait on the same (kept) watcher does not hold the loop.
        n.waitReadable(r, { ref: false }).then(() => console.log('woke?'));
      });
      process.on('exit', () => console.log('exited'));
    `;
    const res = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 10_000 });
    expect(res.signal).toBe(null);
    expect(res.stdout.trim().split('\n')).toEqual([`ready ${POLLIN}`, 'exited']);
  });

  it('a wait whose watcher cannot start rejects with the addon’s error and leaves no watcher behind', async () => {
    const [r, w] = pipe2(O_NONBLOCK | O_CLOEXEC);
    try {
      for (const events of [0, POLLERR, POLLIN | 0x4000]) {
        const err = await poll(r, events).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(RangeError);
        expect((err as { code?: string }).code).toBe('ERR_OUT_OF_RANGE');
      }
      // The failed start closed its watcher: a Poller and then a wait get the fd.
      new Poller(r, () => {}).close();
      write(w, new Uint8Array(1));
      expect(await waitReadable(r)).toBe(POLLIN);
    } finally {
      close(r);
      close(w);
    }
  });

  it('throwIfAborted() throws the AbortError poll() rejects with, the reason as cause', async () => {
    const ac = new AbortController();
    expect(() => throwIfAborted(ac.signal)).not.toThrow();
    expect(() => throwIfAborted(undefined)).not.toThrow();
    const reason = new Error('stop');
    ac.abort(reason);
    let thrown: unknown;
    try {
      throwIfAborted(ac.signal);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(AbortError);
    expect((thrown as AbortError).cause).toBe(reason);
    const [r, w] = pipe2(O_NONBLOCK | O_CLOEXEC);
    const rejected = await poll(r, POLLIN, { signal: ac.signal }).catch((e: unknown) => e);
    close(r);
    close(w);
    expect(rejected).toBeInstanceOf(AbortError);
    expect((rejected as AbortError).cause).toBe(reason);
  });

  it('rejects with EBADF for a closed fd, EEXIST next to a Poller', async () => {
    const [r, w] = pipe2(O_NONBLOCK | O_CLOEXEC);
    const p = new Poller(r, () => {});
    const e1 = await waitReadable(r).catch((e: unknown) => e);
    expect(isErrnoError(e1, 'EEXIST')).toBe(true);
    p.close();
    close(r);
    closeSync(w);
    const e2 = await waitReadable(r).catch((e: unknown) => e);
    expect(isErrnoError(e2, 'EBADF')).toBe(true);
  });
});
