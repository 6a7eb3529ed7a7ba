import { describe, expect, it } from 'vitest';

import { KUE_MSG_FLAG_LOST, KueError, KueReader, type KueRecord, recordSize } from '../src/index.js';
import { MockKue } from './mock-binding.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

describe('KueReader (mock binding)', () => {
  it('reads batches and returns [] on EAGAIN', async () => {
    const mock = new MockKue();
    const r = KueReader.open({ binding: mock });
    expect(r.readBatch()).toEqual([]);
    mock.push({ seq: 1n, payload: bytes('m1') }, { seq: 2n, payload: bytes('m2') });
    expect(r.readBatch().map((m) => text(m.payload))).toEqual(['m1', 'm2']);
    expect(r.stats).toMatchObject({ reads: 1, messages: 2 });
    r.close();
  });

  it('grows a 16-byte buffer on EFBIG until a 64 KiB message fits, losing nothing', async () => {
    const mock = new MockKue();
    const r = KueReader.open({ binding: mock, bufferSize: 16 });
    const big = new Uint8Array(65536).map((_, i) => i & 0xff);
    mock.push({ seq: 1n, payload: big }, { seq: 2n, payload: bytes('after') });
    const first = r.readBatch();
    expect(first).toHaveLength(2);
    expect(first[0]!.payload).toEqual(big);
    expect(text(first[1]!.payload)).toBe('after');
    expect(r.bufferSize).toBe(131072);
    expect(r.bufferSize).toBeGreaterThanOrEqual(recordSize(65536));
    expect(r.stats.grows).toBe(13);
    expect(mock.readSizes.slice(0, 3)).toEqual([16, 32, 64]);
    // The buffer stays grown.
    mock.push({ seq: 3n, payload: big });
    expect(r.readBatch()[0]!.seq).toBe(3n);
    expect(r.stats.grows).toBe(13);
    r.close();
  });

  it('throws a typed EFBIG when even a maximal buffer cannot hold the record', async () => {
    const mock = new MockKue();
    mock.read = () => {
      throw Object.assign(new Error('EFBIG'), { code: 'EFBIG', errno: -27, syscall: 'read' });
    };
    const r = KueReader.open({ binding: mock, bufferSize: 1 });
    let err: unknown;
    try {
      r.readBatch();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KueError);
    expect(err).toMatchObject({ code: 'EFBIG', errno: -27, syscall: 'read' });
    r.close();
  });

  it('reports loss on the message and in stats', async () => {
    const mock = new MockKue();
    const r = KueReader.open({ binding: mock });
    mock.push({ seq: 10n, payload: bytes('x'), lost: 7 });
    const [m] = r.readBatch();
    expect(m!.lost).toBe(7);
    expect(r.stats.lost).toBe(7);
    r.close();
  });

  it('iterates asynchronously, waking on new messages', async () => {
    const mock = new MockKue();
    const r = KueReader.open({ binding: mock, copy: true });
    const got: string[] = [];
    const done = (async () => {
      for await (const m of r) {
        got.push(text(m.payload));
        if (got.length === 3) break;
      }
    })();
    await new Promise((res) => setTimeout(res, 5));
    mock.push({ seq: 1n, payload: bytes('a') });
    await new Promise((res) => setTimeout(res, 5));
    mock.push({ seq: 2n, payload: bytes('b') }, { seq: 3n, payload: bytes('c') });
    await done;
    expect(got).toEqual(['a', 'b', 'c']);
    r.close();
  });

  it('leaving the iterator early loses nothing; close() in the loop body ends it', async () => {
    const mock = new MockKue();
    const r = KueReader.open({ binding: mock });
    mock.push(...[1n, 2n, 3n, 4n].map((seq) => ({ seq, payload: bytes(`m${seq}`) })));
    for await (const m of r) {
      expect(m.seq).toBe(1n);
      break;
    }
    expect(r.stats.messages).toBe(1);
    // The rest of that read, without another read().
    const reads = mock.readSizes.length;
    const [m2] = r.readBatch().splice(0, 1);
    expect(m2!.seq).toBe(2n);
    expect(mock.readSizes.length).toBe(reads);
    expect(r.stats.messages).toBe(4);
    const seen: bigint[] = [];
    mock.push(...[5n, 6n, 7n].map((seq) => ({ seq, payload: bytes(`m${seq}`) })));
    for await (const m of r) {
      seen.push(m.seq);
      r.close();
    }
    expect(seen).toEqual([5n]);
  });

  it('a second wait while one is pending throws ERR_KUE_BUSY; the first one is intact', async () => {
    const mock = new MockKue();
    const r = KueReader.open({ binding: mock });
    const first = r.nextBatch();
    await expect(r.nextBatch()).rejects.toMatchObject({ name: 'KueError', code: 'ERR_KUE_BUSY' });
    await expect(r.consumeAsync(() => {})).rejects.toMatchObject({ code: 'ERR_KUE_BUSY' });
    await expect(r.messages().next()).rejects.toMatchObject({ code: 'ERR_KUE_BUSY' });
    mock.push({ seq: 1n, payload: bytes('m1') });
    const batch = await first;
    expect(batch.map((m) => text(m.payload))).toEqual(['m1']);
    // Waiting is free again.
    const again = r.nextBatch();
    mock.push({ seq: 2n, payload: bytes('m2') });
    expect((await again).map((m) => m.seq)).toEqual([2n]);
    r.close();
  });

  it('rejects a waiting iterator with the abort reason', async () => {
    const mock = new MockKue();
    const r = KueReader.open({ binding: mock });
    const ac = new AbortController();
    const it = r.messages({ signal: ac.signal });
    const p = it.next();
    ac.abort(new Error('stop'));
    await expect(p).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR', cause: { message: 'stop' } });
    r.close();
  });

  it('ends iteration when closed while waiting; close is idempotent', async () => {
    const mock = new MockKue();
    const r = KueReader.open({ binding: mock });
    const p = r.messages().next();
    r.close();
    r.close();
    await expect(p).resolves.toEqual({ done: true, value: undefined });
    expect(mock.closedFds).toHaveLength(1);
    expect(() => r.readBatch()).toThrow(KueError);
    expect(() => r.info()).toThrow(expect.objectContaining({ code: 'EBADF', errno: -9, syscall: 'ioctl' }));
  });

  it('wraps open errors as KueError with the errno code', async () => {
    expect(() => KueReader.open({ binding: new MockKue(), path: '/nope' })).toThrow(expect.objectContaining({
      name: 'KueError',
      code: 'ENOENT',
      syscall: 'open',
    }));
  });

  it('validates bufferSize', () => {
    expect(() => KueReader.open({ binding: new MockKue(), bufferSize: 0 })).toThrow(RangeError);
  });

  it('decodes info() from the ioctl buffer', async () => {
    const r = KueReader.open({ binding: new MockKue() });
    expect(r.info()).toEqual({ queued_msgs: 0n, queued_bytes: 0n, limit_bytes: 0n, next_seq: 0n, cursor: 0n, lost: 0n });
    r.close();
  });
});

describe('KueReader lifecycle (docs/readers.md)', () => {
  it('closes through Symbol.dispose and Symbol.asyncDispose', async () => {
    const a = KueReader.open({ binding: new MockKue() });
    a[Symbol.dispose]();
    expect(() => a.readBatch()).toThrow(expect.objectContaining({ code: 'EBADF', errno: -9, syscall: 'read' }));
    const b = KueReader.open({ binding: new MockKue() });
    await b[Symbol.asyncDispose]();
    expect(() => b.info()).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'ioctl' }));
    b.close();
  });

  it('aborting before a wait gives an AbortError with the reason as cause', async () => {
    const r = KueReader.open({ binding: new MockKue() });
    const ac = new AbortController();
    ac.abort(new Error('before'));
    await expect(r.nextBatch({ signal: ac.signal })).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR', cause: { message: 'before' } });
    await expect(r.messages({ signal: ac.signal }).next()).rejects.toMatchObject({ name: 'AbortError', cause: { message: 'before' } });
    r.close();
  });
});

describe('KueReader.consume (mock binding)', () => {
  type Seen = { seq: number; seqBig: bigint; flags: number; lost: number; text: string };
  const see = (out: Seen[]) => (rec: KueRecord): void => {
    out.push({ seq: rec.seq, seqBig: rec.seqBig, flags: rec.flags, lost: rec.lost, text: text(rec.payload) });
  };

  it('hands each message to the callback through one reused record; 0 on EAGAIN', async () => {
    const mock = new MockKue();
    const r = KueReader.open({ binding: mock });
    const recs = new Set<KueRecord>();
    expect(r.consume((rec) => recs.add(rec))).toBe(0);
    mock.push({ seq: 1n, payload: bytes('m1') }, { seq: 2n, payload: bytes('m22'), lost: 3 }, { seq: (1n << 40n) + 5n, payload: bytes('') });
    const got: Seen[] = [];
    expect(
      r.consume((rec) => {
        recs.add(rec);
        see(got)(rec);
      }),
    ).toBe(3);
    expect(recs.size).toBe(1);
    expect(got).toEqual([
      { seq: 1, seqBig: 1n, flags: 0, lost: 0, text: 'm1' },
      { seq: 2, seqBig: 2n, flags: KUE_MSG_FLAG_LOST, lost: 3, text: 'm22' },
      { seq: 2 ** 40 + 5, seqBig: (1n << 40n) + 5n, flags: 0, lost: 0, text: '' },
    ]);
    expect(r.stats).toMatchObject({ reads: 1, messages: 3, lost: 3 });
    r.close();
    expect(() => r.consume(() => {})).toThrow(expect.objectContaining({ code: 'EBADF', errno: -9, syscall: 'read' }));
  });

  it('grows the buffer on EFBIG, and the record follows the new buffer', async () => {
    const mock = new MockKue();
    const r = KueReader.open({ binding: mock, bufferSize: 16 });
    const big = new Uint8Array(65536).map((_, i) => (i * 7) & 0xff);
    mock.push({ seq: 1n, payload: big }, { seq: 2n, payload: bytes('after') });
    const payloads: Uint8Array[] = [];
    expect(r.consume((rec) => payloads.push(rec.toMessage().payload))).toBe(2);
    expect(payloads[0]).toEqual(big);
    expect(text(payloads[1]!)).toBe('after');
    expect(r.stats.grows).toBe(13);
  });

  it('a callback that throws consumes its message; the rest of the read comes next, without a read()', async () => {
    const mock = new MockKue();
    const r = KueReader.open({ binding: mock });
    mock.push(...[1n, 2n, 3n, 4n].map((seq) => ({ seq, payload: bytes(`m${seq}`) })));
    const got: Seen[] = [];
    const boom = new Error('boom');
    expect(() =>
      r.consume((rec) => {
        see(got)(rec);
        if (rec.seq === 2) throw boom;
      }),
    ).toThrow(boom);
    expect(r.stats.messages).toBe(2);
    const reads = mock.readSizes.length;
    expect(r.consume(see(got))).toBe(2);
    expect(mock.readSizes.length).toBe(reads);
    expect(got.map((m) => m.text)).toEqual(['m1', 'm2', 'm3', 'm4']);
    // readBatch() also takes leftovers first.
    mock.push({ seq: 5n, payload: bytes('m5') }, { seq: 6n, payload: bytes('m6') });
    expect(() =>
      r.consume(() => {
        throw boom;
      }),
    ).toThrow(boom);
    expect(r.readBatch().map((m) => text(m.payload))).toEqual(['m6']);
    expect(r.readBatch()).toEqual([]);
    expect(r.stats).toMatchObject({ messages: 6 });
    r.close();
  });

  it('a read from inside the callback throws ERR_KUE_REENTRANT; nothing is delivered twice or lost', async () => {
    const mock = new MockKue();
    const r = KueReader.open({ binding: mock });
    mock.push(...[1n, 2n, 3n].map((seq) => ({ seq, payload: bytes(`m${seq}`) })));
    const got: number[] = [];
    const errors: unknown[] = [];
    expect(
      r.consume((rec) => {
        got.push(rec.seq);
        if (rec.seq !== 1) return;
        for (const read of [() => r.consume(() => got.push(-1)), () => r.readBatch()]) {
          try {
            read();
          } catch (err) {
            errors.push(err);
          }
        }
      }),
    ).toBe(3);
    expect(got).toEqual([1, 2, 3]);
    expect(errors).toHaveLength(2);
    for (const err of errors) {
      expect(err).toBeInstanceOf(KueError);
      expect(err).toMatchObject({ code: 'ERR_KUE_REENTRANT' });
    }
    // After the callback, reading works again.
    mock.push({ seq: 4n, payload: bytes('m4') });
    expect(r.readBatch().map((m) => m.seq)).toEqual([4n]);
    expect(r.stats).toMatchObject({ reads: 2, messages: 4 });
    r.close();
  });

  it('delivers the good records before a malformed one, then throws ERR_KUE_CORRUPT and moves on', async () => {
    const mock = new MockKue();
    const r = KueReader.open({ binding: mock });
    mock.push({ seq: 1n, payload: bytes('ok') }, { seq: 0n, payload: bytes('bad') }, { seq: 3n, payload: bytes('lost with the bad one') });
    const got: Seen[] = [];
    expect(() => r.consume(see(got))).toThrow(expect.objectContaining({ name: 'KueError', code: 'ERR_KUE_CORRUPT' }));
    expect(got.map((m) => m.text)).toEqual(['ok']);
    expect(r.stats.messages).toBe(1);
    mock.push({ seq: 4n, payload: bytes('next') });
    expect(r.consume(see(got))).toBe(1);
    expect(got.at(-1)!.text).toBe('next');
    r.close();
  });

  it('readBatch() returns the good records before a malformed one, then throws ERR_KUE_CORRUPT and moves on', async () => {
    const mock = new MockKue();
    const r = KueReader.open({ binding: mock });
    mock.push({ seq: 1n, payload: bytes('ok') }, { seq: 0n, payload: bytes('bad') }, { seq: 3n, payload: bytes('lost with the bad one') });
    expect(r.readBatch().map((m) => text(m.payload))).toEqual(['ok']);
    expect(r.stats.messages).toBe(1);
    expect(() => r.readBatch()).toThrow(expect.objectContaining({ name: 'KueError', code: 'ERR_KUE_CORRUPT' }));
    mock.push({ seq: 4n, payload: bytes('next') });
    expect(r.readBatch().map((m) => text(m.payload))).toEqual(['next']);
    expect(r.stats.messages).toBe(2);
    r.close();
  });

  it('consumeAsync waits for messages, ends with 0 on close and rejects on abort', async () => {
    const mock = new MockKue();
    const r = KueReader.open({ binding: mock });
    const got: Seen[] = [];
    const p = r.consumeAsync(see(got));
    await new Promise((res) => setTimeout(res, 5));
    mock.push({ seq: 1n, payload: bytes('a') });
    await expect(p).resolves.toBe(1);
    expect(got.map((m) => m.text)).toEqual(['a']);
    const ac = new AbortController();
    const aborted = r.consumeAsync(see(got), { signal: ac.signal });
    ac.abort(new Error('stop'));
    await expect(aborted).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR', cause: { message: 'stop' } });
    const closed = r.consumeAsync(see(got));
    r.close();
    await expect(closed).resolves.toBe(0);
  });
});
