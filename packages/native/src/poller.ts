// fd readiness on the calling thread's event loop (libuv uv_poll_t), and
// promise helpers over it.
import { addon, type NativePoller } from './binding.js';
import { POLLIN } from './constants.js';
import { abortError, type ErrnoError } from './errors.js';

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
 * Resolves with the poll(2) `revents` once `fd` is ready for `events` (or
 * reports POLLERR/POLLHUP); rejects with a {@link KchanError} on a poll
 * error (EBADF when the fd is closed, also by {@link close} while the wait
 * is pending, from this or any other thread), or with an AbortError (code
 * 'ABORT_ERR', `cause` = signal.reason) when `signal` aborts. The
 * temporary watcher is closed in every case. Throws EEXIST (as a rejection)
 * while a {@link Poller} on the same fd exists in this thread.
 */
export function poll(fd: number, events: number = POLLIN, options: PollOptions = {}): Promise<number> {
  const { signal, ref = true } = options;
  if (signal?.aborted) return Promise.reject(abortError(signal));
  return new Promise<number>((resolve, reject) => {
    let poller: NativePoller | undefined;
    let settled = false;
    const finish = (): void => {
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      poller?.close();
    };
    const onAbort = (): void => {
      if (settled) return;
      finish();
      reject(abortError(signal!));
    };
    try {
      poller = new addon.Poller(fd, (err, revents) => {
        if (settled) return;
        finish();
        if (err) reject(err);
        else resolve(revents);
      });
      if (!ref) poller.unref();
      poller.start(events);
    } catch (err) {
      finish();
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
