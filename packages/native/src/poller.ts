// fd readiness on the calling thread's event loop (libuv uv_poll_t), and
// promise helpers over it.
import { addon, type NativePoller } from './binding.js';
import { POLLIN } from './constants.js';
import { abortError, KchanError, type ErrnoError } from './errors.js';

/** EEXIST on Linux (every architecture). */
const EEXIST = 17;

/** `(err, revents)`: `revents` are poll(2) bits (POLLIN, POLLERR, POLLHUP, ...). */
export type PollCallback = (err: ErrnoError | null, revents: number) => void;

/**
 * Watches an fd for readiness on the event loop of the thread that creates
 * it (worker threads included). Level-triggered: while started and the fd
 * stays ready, the callback runs again on every loop iteration, so consume
 * (read until EAGAIN) or stop().
 *
 * - `revents` are poll(2) bits, read with poll(fd, 0) on each wakeup, so
 *   POLLERR and POLLHUP are reported as such (libuv alone would report
 *   EPOLLERR as an EBADF error and a hangup as "readable").
 * - POLLERR, POLLHUP or POLLNVAL are terminal: the poller stops itself
 *   before calling back (start() again to keep watching). POLLNVAL arrives
 *   as an EBADF error.
 * - One poller per fd and thread (a second one throws EEXIST): libuv
 *   supports a single watcher per fd per loop.
 * - uv_poll puts the fd in non-blocking mode.
 * - Teardown order: close() the poller, then close the fd. {@link close}
 *   from this package does it for you, and a started poller (someone is
 *   waiting) then gets one last callback with an EBADF error, so no wait
 *   stays pending on a closed fd (a poller in another worker thread gets
 *   it on that thread's event loop). That callback runs after close(2):
 *   the fd number is already free, so closing it again from the callback
 *   throws EBADF, and a file the callback opens may take the number and
 *   stays open. Closing the fd some other way (e.g.
 *   `fs.closeSync`) under an active poller is a bug.
 * - close() is safe from inside the callback and while a wakeup is
 *   pending; no callback runs after close().
 * - A started poller keeps the process alive unless unref()'d, and cannot
 *   be garbage collected; a stopped one can.
 */
export class Poller {
  readonly #native: NativePoller;

  /** Creates the watcher (not started). Throws EBADF for a closed fd, EPERM for regular files. */
  constructor(fd: number, callback: PollCallback) {
    // The fd's slot may be held by the idle watcher poll() keeps between
    // waits: give it up (a pending poll() keeps it: EEXIST, as documented).
    dropIdleWatch(fd);
    if (typeof callback !== 'function') {
      // Let the addon produce the Node-style TypeError.
      this.#native = new addon.Poller(fd, callback);
      return;
    }
    this.#native = new addon.Poller(fd, (err, revents) => callback.call(this, err, revents));
  }

  /** The watched fd. */
  get fd(): number {
    return this.#native.fd;
  }

  /** True between start() and stop()/close()/a terminal event. */
  get active(): boolean {
    return this.#native.active;
  }

  /** True after close(). */
  get closed(): boolean {
    return this.#native.closed;
  }

  /**
   * Starts (or changes) watching. `events`: POLLIN (default), POLLOUT,
   * POLLPRI, POLLRDHUP, combined. POLLERR and POLLHUP are always reported.
   */
  start(events: number = POLLIN): this {
    this.#native.start(events);
    return this;
  }

  /** Stops watching; start() may be called again. */
  stop(): this {
    this.#native.stop();
    return this;
  }

  /** Releases the watcher for good. Idempotent. Call before closing the fd. */
  close(): void {
    this.#native.close();
  }

  /** Lets the process exit while this poller is started (like `timer.unref()`). */
  unref(): this {
    this.#native.unref();
    return this;
  }

  /** Undoes unref(). */
  ref(): this {
    this.#native.ref();
    return this;
  }

  /** Whether the poller keeps the event loop alive. */
  hasRef(): boolean {
    return this.#native.hasRef();
  }
}

/** Options of {@link poll} and {@link waitReadable}. */
export interface PollOptions {
  /** Aborting rejects the promise with an AbortError and stops the watcher. */
  signal?: AbortSignal;
  /** false: the wait does not keep the process alive (default true). */
  ref?: boolean;
}

/**
 * The watcher poll() keeps on an fd between waits, in this thread: started
 * for each wait and stopped when it ends (uv_poll_start/stop), instead of
 * a watcher made and closed per wait: uv_poll_init and uv_close cost
 * system calls (epoll_ctl, ioctl) and an addon object each time. In the TCG
 * guest that part of a wait went from 60-80 us to 7-11 us, and a whole wait
 * on a ready fd, loop turn included, from 99-169 us to 69-121 us
 * (docs/benchmarks.md, "Wake-up latency").
 */
class IdleWatch {
  readonly native: NativePoller;
  /** The pending wait's callback, or null when idle. */
  waiter: PollCallback | null = null;

  constructor(fd: number) {
    this.native = new addon.Poller(fd, (err, revents) => {
      const waiter = this.waiter;
      if (waiter === null) {
        // A wakeup after the wait ended: nobody to tell.
        if (!this.native.closed) this.native.stop();
        return;
      }
      waiter(err, revents);
    });
  }
}

/** This thread's kept watchers by fd (module state is per thread). */
const watches = new Map<number, IdleWatch>();

/**
 * Forget the kept watcher of `fd` and close it, unless a wait is pending on
 * it. close(fd) of this package calls it after close(2); a Poller made on
 * the fd takes the slot back.
 */
export function dropIdleWatch(fd: number): void {
  const w = watches.get(fd);
  if (w === undefined || w.waiter !== null) return;
  watches.delete(fd);
  w.native.close();
}

/**
 * Resolves with the poll(2) `revents` once `fd` is ready for `events` (or
 * reports POLLERR/POLLHUP); rejects with a {@link KchanError} on a poll
 * error (EBADF when the fd is closed, also by {@link close} while the wait
 * is pending, from this or any other thread), or with an AbortError (code
 * 'ABORT_ERR', `cause` = signal.reason) when `signal` aborts.
 *
 * The watcher is kept, stopped, for the next wait on the same fd in this
 * thread (a stopped watcher keeps nothing alive), and closed by
 * {@link close}, by an error, or by a {@link Poller} made on the fd. One
 * wait per fd and thread at a time: a second concurrent one, or one next to
 * a {@link Poller} on the fd, rejects with EEXIST.
 */
export function poll(fd: number, events: number = POLLIN, options: PollOptions = {}): Promise<number> {
  const { signal, ref = true } = options;
  if (signal?.aborted) return Promise.reject(abortError(signal));
  return new Promise<number>((resolve, reject) => {
    let w = watches.get(fd);
    if (w !== undefined && w.native.closed) {
      // Closed under us (close(fd) from another thread): start afresh.
      watches.delete(fd);
      w = undefined;
    }
    if (w !== undefined && w.waiter !== null) {
      // As uv_poll_init would say: libuv has one watcher per fd and loop.
      reject(new KchanError('EEXIST', 'EEXIST: file already exists, uv_poll_init', { errno: -EEXIST, syscall: 'uv_poll_init' }));
      return;
    }
    if (w === undefined) {
      try {
        w = new IdleWatch(fd);
      } catch (err) {
        reject(err);
        return;
      }
      watches.set(fd, w);
    }
    const watch = w;
    let settled = false;
    const finish = (failed: boolean): void => {
      settled = true;
      watch.waiter = null;
      signal?.removeEventListener('abort', onAbort);
      if (failed || watch.native.closed) {
        // An error (EBADF, POLLNVAL, a failed start) ends the watcher too.
        if (watches.get(fd) === watch) watches.delete(fd);
        watch.native.close();
      } else {
        watch.native.stop();
      }
    };
    const onAbort = (): void => {
      if (settled) return;
      finish(false);
      reject(abortError(signal!));
    };
    watch.waiter = (err, revents) => {
      if (settled) return;
      finish(err !== null);
      if (err) reject(err);
      else resolve(revents);
    };
    try {
      if (ref) watch.native.ref();
      else watch.native.unref();
      watch.native.start(events);
    } catch (err) {
      finish(true);
      reject(err);
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** {@link poll} for POLLIN: resolves when `fd` is readable, in error or hung up. */
export function waitReadable(fd: number, options: PollOptions = {}): Promise<number> {
  return poll(fd, POLLIN, options);
}
