import { KUE_DEVICE_PATH, KUE_IOC_INFO, KueInfoLayout, decodeKueInfo, type KueInfo } from '@kchan/uapi';

import { abortError, throwIfAborted } from '@kchan/native/errors';
import { O_CLOEXEC, O_NONBLOCK, O_RDONLY } from '@kchan/native';
import { FairBudget } from '@kchan/native/fair';
import { type KueBinding, defaultBinding } from './binding.js';
import { KUE_DEFAULT_BUFFER_SIZE, checkBufferSize, nextBufferSize } from './buffer.js';
import { type DecodeCursor, type KueMessage, KueRecord, decodeEach, decodeNext, messageOf } from './decode.js';
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
  /** Stops waiting: an AbortError (code ABORT_ERR) with signal.reason as `cause`. */
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
 * One caller at a time: reads from inside consume()'s callback throw
 * ERR_KUE_REENTRANT, a second concurrent wait ERR_KUE_BUSY.
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
  /**
   * Records of the last read not delivered yet: [cursor.offset, #end) of
   * the read buffer (#record.bytes). Only consume() leaves any (when its
   * callback throws); both consume() and readBatch() deliver them before
   * reading again.
   */
  readonly #cursor: DecodeCursor = { offset: 0, delivered: 0, lost: 0 };
  #end = 0;
  /**
   * consume() is delivering: its loop owns the cursor and the buffer, so a
   * read from its callback would deliver records twice or overwrite them.
   */
  #inCallback = false;
  /** A nextBatch(), consumeAsync() or iterator is waiting for readability. */
  #waiting = false;
  /** Batch budget of the async loops: they yield to the event loop when it is spent. */
  readonly #budget = new FairBudget();
  /** The record every read decodes into; it owns the read buffer and its views. */
  #record: KueRecord;

  private constructor(binding: KueBinding, path: string, fd: number, bufferSize: number, copy: boolean) {
    this.#binding = binding;
    this.path = path;
    this.#fd = fd;
    this.#record = new KueRecord(new Uint8Array(bufferSize));
    this.#copy = copy;
  }

  /**
   * Open the device (non-blocking, close-on-exec). Synchronous, like the
   * other two readers' `open()` (docs/readers.md, "Opening"); `await
   * KueReader.open()` keeps working. Throws KueError (e.g. code 'EACCES',
   * 'ENOENT').
   */
  static open(options: KueReaderOptions = {}): KueReader {
    const path = options.path ?? KUE_DEVICE_PATH;
    const size = checkBufferSize(options.bufferSize ?? KUE_DEFAULT_BUFFER_SIZE);
    const binding = options.binding ?? defaultBinding();
    let fd: number;
    try {
      fd = binding.open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
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
    return this.#record.bytes.byteLength;
  }

  #checkOpen(syscall = 'read'): number {
    if (this.#fd < 0) throw new KueError('EBADF', `EBADF: the kue reader is closed, ${syscall}`, { errno: -9, syscall });
    return this.#fd;
  }

  /** #checkOpen(), and not inside a consume() callback. */
  #checkRead(): number {
    if (this.#inCallback) {
      throw new KueError('ERR_KUE_REENTRANT', 'readBatch() or consume() called from inside a consume() callback');
    }
    return this.#checkOpen();
  }

  /**
   * Make sure records are buffered: the rest of the last read, else one
   * read(2). False when none are queued.
   */
  #fill(fd: number): boolean {
    const cursor = this.#cursor;
    if (cursor.offset < this.#end) return true;
    const end = this.#read(fd);
    if (end === 0) return false;
    cursor.offset = 0;
    this.#end = end;
    return true;
  }

  /**
   * The next buffered record as a KueMessage, counted in stats. A malformed
   * record throws ERR_KUE_CORRUPT; with `skipBad` the rest of that read
   * goes with it (nothing after it can be found), else the cursor stays on
   * it, for the next call to throw.
   */
  #take(skipBad: boolean): KueMessage {
    const cursor = this.#cursor;
    const rec = this.#record;
    try {
      decodeNext(rec, this.#end, cursor);
    } catch (err) {
      if (skipBad) cursor.offset = this.#end;
      throw err;
    }
    this.stats.messages++;
    this.stats.lost += rec.lost;
    return messageOf(rec, this.#copy);
  }

  /**
   * One read(2): the messages it returned, or [] when none are queued
   * (EAGAIN). Grows the buffer and retries on EFBIG. Never blocks. If the
   * last read still has records (consume()'s callback threw, an iterator
   * was left early), returns those instead, without reading. A malformed
   * record throws KueError('ERR_KUE_CORRUPT') once the good ones before it
   * were returned.
   */
  readBatch(): KueMessage[] {
    const fd = this.#checkRead();
    if (!this.#fill(fd)) return [];
    const out: KueMessage[] = [];
    while (this.#cursor.offset < this.#end) {
      try {
        out.push(this.#take(out.length === 0));
      } catch (err) {
        if (out.length === 0) throw err;
        break;
      }
    }
    return out;
  }

  /**
   * One read(2), handing each message to `cb` as a reused KueRecord: no
   * allocation per message (readBatch() makes an object, a payload view and
   * a BigInt for each). Returns the number of messages, 0 when none are
   * queued (EAGAIN). Grows the buffer and retries on EFBIG. Never blocks.
   *
   * A message is consumed even if `cb` throws; the exception propagates,
   * and the messages after it in the same read are delivered by the next
   * consume() or readBatch() before anything new is read: none is lost.
   * A malformed record throws KueError('ERR_KUE_CORRUPT') after the good
   * ones before it were delivered. `cb` may not read from this reader:
   * readBatch() or consume() there throws KueError('ERR_KUE_REENTRANT').
   */
  consume(cb: (record: KueRecord) => void): number {
    const fd = this.#checkRead();
    if (!this.#fill(fd)) return 0;
    const cursor = this.#cursor;
    const end = this.#end;
    cursor.delivered = 0;
    cursor.lost = 0;
    this.#inCallback = true;
    try {
      decodeEach(this.#record, end, cursor, cb);
    } finally {
      this.#inCallback = false;
      this.stats.messages += cursor.delivered;
      this.stats.lost += cursor.lost;
    }
    return cursor.delivered;
  }

  /** read(2) into the read buffer: the bytes read, or 0 on EAGAIN. Grows it on EFBIG. */
  #read(fd: number): number {
    for (;;) {
      let n: number;
      try {
        n = this.#binding.read(fd, this.#record.bytes);
      } catch (err) {
        const code = errorCode(err);
        if (code === 'EAGAIN') return 0;
        if (code === 'EFBIG') {
          const next = nextBufferSize(this.#record.bytes.byteLength);
          if (next === undefined) throw toKueError(err, 'read');
          this.#record = new KueRecord(new Uint8Array(next));
          this.stats.grows++;
          continue;
        }
        throw toKueError(err, 'read');
      }
      if (n > 0) this.stats.reads++;
      return n;
    }
  }

  /**
   * The next non-empty batch, waiting for the device to become readable.
   * Resolves to [] once the reader is closed; rejects with an AbortError
   * on abort.
   */
  async nextBatch(options: KueReadOptions = {}): Promise<KueMessage[]> {
    const signal = options.signal ? AbortSignal.any([options.signal, this.#closed.signal]) : this.#closed.signal;
    // Fairness: a caller looping on nextBatch() yields after a bounded batch.
    if (this.#budget.spent) await this.#budget.pause();
    for (;;) {
      if (this.#fd < 0) return [];
      throwIfAborted(options.signal);
      const msgs = this.readBatch();
      if (msgs.length > 0) {
        this.#budget.takeMany(msgs.length);
        return msgs;
      }
      if (!(await this.#wait(signal, options))) return [];
      // Loop: re-read after wake-up (the readiness may have been consumed).
    }
  }

  /**
   * consume(), waiting for the device to become readable while nothing is
   * queued. Resolves to the number of messages delivered (> 0), or 0 once
   * the reader is closed; rejects with an AbortError (`cause`: the reason) on abort.
   */
  async consumeAsync(cb: (record: KueRecord) => void, options: KueReadOptions = {}): Promise<number> {
    const signal = options.signal ? AbortSignal.any([options.signal, this.#closed.signal]) : this.#closed.signal;
    if (this.#budget.spent) await this.#budget.pause();
    for (;;) {
      if (this.#fd < 0) return 0;
      throwIfAborted(options.signal);
      const n = this.consume(cb);
      if (n > 0) {
        this.#budget.takeMany(n);
        return n;
      }
      if (!(await this.#wait(signal, options))) return 0;
    }
  }

  /**
   * Wait until readable; false if the reader was closed meanwhile. One
   * waiter at a time: two would both wake and read, and the first one's
   * zero-copy payloads would be overwritten by the second read.
   */
  async #wait(signal: AbortSignal, options: KueReadOptions): Promise<boolean> {
    if (this.#waiting) {
      throw new KueError('ERR_KUE_BUSY', 'another nextBatch(), consumeAsync() or iterator is already waiting on this reader');
    }
    this.#waiting = true;
    // A wait yields to the event loop by itself.
    this.#budget.reset();
    try {
      // uv_poll is level-triggered: if the fd became readable between the
      // caller's EAGAIN and the watcher's start, it fires at once.
      await this.#binding.waitReadable(this.#fd, { signal });
      return true;
    } catch (err) {
      if (this.#fd < 0) return false;
      if (options.signal?.aborted) throw abortError(options.signal);
      throw toKueError(err, 'poll');
    } finally {
      this.#waiting = false;
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

  /**
   * Messages one by one until closed or aborted (see the class doc on
   * payload lifetime). Taken from the buffer one at a time: leaving the
   * loop early (break, or close() in its body) leaves the rest of the read
   * to the next consume(), readBatch() or iterator; none is lost.
   */
  async *messages(options: KueReadOptions = {}): AsyncGenerator<KueMessage, void, undefined> {
    const signal = options.signal ? AbortSignal.any([options.signal, this.#closed.signal]) : this.#closed.signal;
    for (;;) {
      // Fairness: yield to the event loop after a bounded batch (docs/readers.md).
      if (this.#budget.spent) await this.#budget.pause();
      if (this.#fd < 0) return;
      throwIfAborted(options.signal);
      const fd = this.#checkRead();
      if (this.#fill(fd)) {
        const msg = this.#take(true);
        this.#budget.take();
        yield msg;
        continue;
      }
      if (!(await this.#wait(signal, options))) return;
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<KueMessage> {
    return this.messages();
  }

  /** Queue and reader state (KUE_IOC_INFO). */
  info(): KueInfo {
    const fd = this.#checkOpen('ioctl');
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
    this.#closed.abort(new KueError('EBADF', 'EBADF: the kue reader is closed, close', { errno: -9, syscall: 'close' }));
    try {
      this.#binding.close(fd);
    } catch (err) {
      throw toKueError(err, 'close');
    }
  }

  /** `using r = KueReader.open()`: close() at the end of the scope. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** `await using r = KueReader.open()`: close() at the end of the scope. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }
}
