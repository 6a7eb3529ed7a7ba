import { KUE_DEVICE_PATH, KUE_IOC_INFO, KueInfoLayout, decodeKueInfo, type KueInfo } from '@kchan/uapi';

import { type KueBinding, defaultBinding } from './binding.js';
import { KUE_DEFAULT_BUFFER_SIZE, checkBufferSize, nextBufferSize } from './buffer.js';
import { type KueMessage, decodeRecords } from './decode.js';
import { KueError, errorCode, toKueError } from './errors.js';

export interface KueReaderOptions {
  /** Device path (default /dev/kue). */
  path?: string;
  /** Initial read buffer in bytes (default 64 KiB); it doubles on EFBIG up to one maximal record. */
  bufferSize?: number;
  /** Copy payloads out of the batch buffer (default false: zero-copy views). */
  copy?: boolean;
  /** System-call binding (default @kchan/native); tests inject a mock. */
  binding?: KueBinding;
}

export interface KueReadOptions {
  /** Stops waiting and ends iteration with signal.reason. */
  signal?: AbortSignal;
}

/** Counters kept by a reader. */
export interface KueReaderStats {
  /** read() calls that returned records. */
  reads: number;
  /** Messages decoded. */
  messages: number;
  /** Messages lost (sum of the `lost` counts reported in records). */
  lost: number;
  /** Times the buffer grew after EFBIG. */
  grows: number;
}

/**
 * Reads whole messages from /dev/kue.
 *
 * Each reader is one open fd with its own cursor: it sees every message
 * sent after it opened, in order, once. Messages arrive in batches (one
 * read(2) returns as many records as fit). Unless `copy` is set, a message's
 * payload is a view into the reader's buffer and is valid only until the
 * next read: use or copy it before asking for the next batch (for the
 * async iterator, before the `next()` that follows the batch's last message).
 *
 * Loss: when the kernel dropped messages this reader had not read (the
 * queue's memory bound), the next message carries `lost` > 0 and
 * KUE_MSG_FLAG_LOST; `stats.lost` sums them.
 */
export class KueReader implements AsyncIterable<KueMessage> {
  readonly path: string;
  readonly stats: KueReaderStats = { reads: 0, messages: 0, lost: 0, grows: 0 };
  readonly #binding: KueBinding;
  readonly #copy: boolean;
  readonly #closed = new AbortController();
  #fd: number;
  #buf: Uint8Array;

  private constructor(binding: KueBinding, path: string, fd: number, bufferSize: number, copy: boolean) {
    this.#binding = binding;
    this.path = path;
    this.#fd = fd;
    this.#buf = new Uint8Array(bufferSize);
    this.#copy = copy;
  }

  /** Open the device (non-blocking). Throws KueError (e.g. code 'EACCES', 'ENOENT'). */
  static async open(options: KueReaderOptions = {}): Promise<KueReader> {
    const path = options.path ?? KUE_DEVICE_PATH;
    const size = checkBufferSize(options.bufferSize ?? KUE_DEFAULT_BUFFER_SIZE);
    const binding = options.binding ?? (await defaultBinding());
    let fd: number;
    try {
      fd = binding.openNonBlocking(path);
    } catch (err) {
      throw toKueError(err, 'open');
    }
    return new KueReader(binding, path, fd, size, options.copy ?? false);
  }

  /** The fd, or -1 once closed. */
  get fd(): number {
    return this.#fd;
  }

  get closed(): boolean {
    return this.#fd < 0;
  }

  /** Current read buffer size in bytes. */
  get bufferSize(): number {
    return this.#buf.byteLength;
  }

  #checkOpen(): number {
    if (this.#fd < 0) throw new KueError('ERR_KUE_CLOSED', 'the kue reader is closed');
    return this.#fd;
  }

  /**
   * One read(2): the messages it returned, or [] when none are queued
   * (EAGAIN). Grows the buffer and retries on EFBIG. Never blocks.
   */
  readBatch(): KueMessage[] {
    const fd = this.#checkOpen();
    for (;;) {
      let n: number;
      try {
        n = this.#binding.read(fd, this.#buf);
      } catch (err) {
        const code = errorCode(err);
        if (code === 'EAGAIN') return [];
        if (code === 'EFBIG') {
          const next = nextBufferSize(this.#buf.byteLength);
          if (next === undefined) throw toKueError(err, 'read');
          this.#buf = new Uint8Array(next);
          this.stats.grows++;
          continue;
        }
        throw toKueError(err, 'read');
      }
      if (n === 0) return [];
      const msgs = decodeRecords(this.#buf, n, this.#copy);
      this.stats.reads++;
      this.stats.messages += msgs.length;
      for (const m of msgs) this.stats.lost += m.lost;
      return msgs;
    }
  }

  /**
   * The next non-empty batch, waiting for the device to become readable.
   * Resolves to [] once the reader is closed; rejects with signal.reason
   * on abort.
   */
  async nextBatch(options: KueReadOptions = {}): Promise<KueMessage[]> {
    const signal = options.signal ? AbortSignal.any([options.signal, this.#closed.signal]) : this.#closed.signal;
    for (;;) {
      if (this.#fd < 0) return [];
      options.signal?.throwIfAborted();
      const msgs = this.readBatch();
      if (msgs.length > 0) return msgs;
      try {
        await this.#binding.waitReadable(this.#fd, signal);
      } catch (err) {
        if (this.#fd < 0) return [];
        if (options.signal?.aborted) throw options.signal.reason;
        throw toKueError(err, 'poll');
      }
      // Loop: re-read after wake-up (the readiness may have been consumed).
    }
  }

  /** Batches until closed or aborted. */
  async *batches(options: KueReadOptions = {}): AsyncGenerator<KueMessage[], void, undefined> {
    for (;;) {
      const msgs = await this.nextBatch(options);
      if (msgs.length === 0) return;
      yield msgs;
    }
  }

  /** Messages one by one until closed or aborted (see the class doc on payload lifetime). */
  async *messages(options: KueReadOptions = {}): AsyncGenerator<KueMessage, void, undefined> {
    for await (const batch of this.batches(options)) yield* batch;
  }

  [Symbol.asyncIterator](): AsyncIterator<KueMessage> {
    return this.messages();
  }

  /** Queue and reader state (KUE_IOC_INFO). */
  info(): KueInfo {
    const fd = this.#checkOpen();
    const arg = new Uint8Array(KueInfoLayout.size);
    try {
      this.#binding.ioctl(fd, KUE_IOC_INFO, arg);
    } catch (err) {
      throw toKueError(err, 'ioctl');
    }
    return decodeKueInfo(new DataView(arg.buffer), 0);
  }

  /** Close the fd; pending waits end (iteration finishes). Idempotent. */
  close(): void {
    const fd = this.#fd;
    if (fd < 0) return;
    this.#fd = -1;
    this.#closed.abort(new KueError('ERR_KUE_CLOSED', 'the kue reader is closed'));
    try {
      this.#binding.close(fd);
    } catch (err) {
      throw toKueError(err, 'close');
    }
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
