// The client's logic over a fake binding (the kernel tests run it on the device).
import { describe, expect, it } from 'vitest';
import type { DeviceMapping, UmmunotifyBinding } from '../src/binding.js';
import { FEATURE_REGION_GENERATION, MAX_SLOTS, Ummunotify, UmmunotifyError, generationStamp } from '../src/index.js';

function errno(code: string, syscall: string): Error {
  return Object.assign(new Error(`${code}, ${syscall}`), { code, errno: -1, syscall });
}

/** A device with a queue of events, a generation page and call logs. */
function fakeDevice(opts: { features?: number } = {}) {
  const page = new ArrayBuffer(4096);
  const gen = new BigUint64Array(page);
  const slotBuf = new ArrayBuffer(MAX_SLOTS * 8);
  const slots = new BigUint64Array(slotBuf);
  let nextSlot = 0;
  const queue: bigint[] = [];
  const calls: string[] = [];
  let open = true;
  let oweLast = false;
  const binding: UmmunotifyBinding = {
    open: () => 5,
    close: () => {
      if (!open) throw errno('EBADF', 'close');
      open = false;
      calls.push('close');
    },
    ioctl: (_fd, request, arg) => {
      calls.push(`ioctl ${request.toString(16)}`);
      if (!ArrayBuffer.isView(arg)) throw errno('EFAULT', 'ioctl');
      const v = new DataView(arg.buffer, arg.byteOffset, arg.byteLength);
      if (request === 0x40205502 && v.getBigUint64(8, true) <= v.getBigUint64(0, true)) throw errno('EINVAL', 'ioctl');
      if (request === 0xc0045501) v.setUint32(0, v.getUint32(0, true) & (opts.features ?? 0), true);
      if (request === 0xc0205504) {
        if ((opts.features ?? 0) === 0) throw errno('EINVAL', 'ioctl');
        v.setUint32(28, nextSlot++, true);
      }
      return 0;
    },
    read: (_fd, buf) => {
      calls.push('read');
      // The kernel's contract: INVALs as they fit, LAST only once drained
      // (owed to the next read when there was no room for it).
      if (queue.length === 0 && !oweLast) throw errno('EAGAIN', 'read');
      const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      const room = buf.byteLength / 32;
      const k = Math.min(queue.length, room);
      for (let i = 0; i < k; i++) {
        v.setUint32(i * 32, 0, true);
        v.setUint32(i * 32 + 4, 1, true);
        v.setBigUint64(i * 32 + 24, queue.shift()!, true);
      }
      if (queue.length > 0) return k * 32;
      oweLast = k === room;
      if (oweLast) return k * 32;
      v.setUint32(k * 32, 1, true);
      v.setBigUint64(k * 32 + 24, gen[0]!, true);
      return (k + 1) * 32;
    },
    mmap: (_fd, length, _prot, _flags, offset): DeviceMapping => {
      calls.push(`mmap ${length} @${offset ?? 0}`);
      return offset ? { buffer: slotBuf, unmap: () => calls.push('unmap slots') } : { buffer: page, unmap: () => calls.push('unmap') };
    },
    addressOf: () => 0x1000n,
    waitReadable: () => Promise.resolve(1),
    pageSize: 4096,
  };
  const invalidate = (...cookies: bigint[]) => {
    queue.push(...cookies);
    gen[0]! += 1n;
  };
  return { binding, gen, slots, queue, calls, invalidate };
}

describe('Ummunotify (fake binding)', () => {
  it('reads the generation from the mapped page', () => {
    const d = fakeDevice();
    const u = Ummunotify.open({ binding: d.binding });
    expect(u.generation).toBe(0n);
    d.gen[0] = 41n;
    expect(u.generation).toBe(41n);
    u.close();
  });

  it('reads the stamp: the low 32 bits of the generation as an int32', () => {
    const d = fakeDevice();
    const u = Ummunotify.open({ binding: d.binding });
    for (const g of [0n, 41n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 1n << 32n, (5n << 32n) + 7n, (1n << 64n) - 1n]) {
      d.gen[0] = g;
      expect(u.stamp).toBe(generationStamp(g));
      expect(u.stamp).toBe(Number(BigInt.asIntN(32, g)));
    }
    expect(generationStamp(0xffffffffn)).toBe(-1);
    expect(generationStamp((5n << 32n) + 7n)).toBe(7);
    u.close();
    expect(u.stamp).toBe(0);
  });

  it('drains in batches until LAST and reports its generation', () => {
    const d = fakeDevice();
    const u = Ummunotify.open({ binding: d.binding, batchEvents: 4 });
    for (let i = 1n; i <= 10n; i++) d.invalidate(i);
    const { events, generation } = u.drain();
    expect(events.map((e) => e.cookie)).toEqual([1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n, 10n]);
    expect(generation).toBe(10n);
    expect(d.calls.filter((c) => c === 'read')).toHaveLength(3); // 4+4+2 and LAST
    expect(u.drain()).toEqual({ events: [], generation: 10n });
    u.close();
  });

  it('turns errno errors into UmmunotifyErrors and validates arguments', () => {
    const d = fakeDevice();
    const u = Ummunotify.open({ binding: d.binding });
    let err: unknown;
    try {
      u.register(0x2000n, 0n, 1n);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UmmunotifyError);
    expect(err).toMatchObject({ code: 'EINVAL', syscall: 'ioctl' });
    expect(() => u.register(-1, 10, 1n)).toThrow(RangeError);
    expect(() => u.register(0x1000, 10, -1n)).toThrow(RangeError);
    expect(() => u.unregister(1n << 64n)).toThrow(RangeError);
    expect(() => u.exchangeFeatures(-1)).toThrow(RangeError);
    expect(u.exchangeFeatures(1)).toBe(0);
    u.register(new Uint8Array(16), 3n);
    u.close();
  });

  it('closes once; later calls fail with EBADF; generation reads 0n', () => {
    const d = fakeDevice();
    const u = Ummunotify.open({ binding: d.binding });
    d.gen[0] = 7n;
    u.close();
    u.close();
    expect(d.calls.filter((c) => c === 'close')).toHaveLength(1);
    expect(u.closed).toBe(true);
    expect(u.generation).toBe(0n);
    for (const f of [() => u.drain(), () => u.unregister(1n), () => u.register(0, 1, 1n)]) {
      expect(f).toThrow(expect.objectContaining({ code: 'EBADF' }));
    }
  });

  it('iterates events and stops on abort', async () => {
    const d = fakeDevice();
    const u = Ummunotify.open({ binding: d.binding });
    d.invalidate(1n, 2n);
    const ac = new AbortController();
    const got: bigint[] = [];
    await expect(
      (async () => {
        for await (const e of u.events({ signal: ac.signal })) {
          got.push(e.cookie);
          if (got.length === 2) ac.abort(new Error('enough'));
        }
      })(),
    ).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR', cause: { message: 'enough' } });
    expect(got).toEqual([1n, 2n]);
    u.close();
  });

  it('registers with a generation slot once REGION_GENERATION is enabled', () => {
    const d = fakeDevice({ features: FEATURE_REGION_GENERATION });
    const u = Ummunotify.open({ binding: d.binding });
    expect(u.regionGenerationEnabled).toBe(false);
    expect(() => u.registerWithSlot(0x1000n, 0x1000n, 1n)).toThrow(expect.objectContaining({ code: 'EINVAL', syscall: 'ioctl' }));
    expect(d.calls.some((c) => c.startsWith('ioctl c0205504'))).toBe(false);

    expect(u.exchangeFeatures(FEATURE_REGION_GENERATION)).toBe(FEATURE_REGION_GENERATION);
    expect(u.regionGenerationEnabled).toBe(true);
    expect(d.calls).toContain(`mmap ${MAX_SLOTS * 8} @4096`);
    u.exchangeFeatures(FEATURE_REGION_GENERATION); // mapped once
    expect(d.calls.filter((c) => c.startsWith('mmap')).length).toBe(2);

    d.slots[0] = 5n;
    const w0 = u.registerWithSlot(0x1000n, 0x1000n, 1n);
    const w1 = u.registerWithSlot(new Uint8Array(8), 2n);
    expect([w0.slot, w0.cookie, w0.seen]).toEqual([0, 1n, 5n]);
    expect([w1.slot, w1.cookie, w1.seen]).toEqual([1, 2n, 0n]);
    expect(w0.changed).toBe(false);
    d.slots[0] = 6n;
    expect(w0.generation).toBe(6n);
    expect(w0.changed).toBe(true);
    expect(w1.changed).toBe(false);
    expect(u.slotGeneration(MAX_SLOTS)).toBe(0n);
    // @ts-expect-error: the cookie is missing
    expect(() => u.registerWithSlot(1n, 1n)).toThrow(TypeError);

    u.close();
    expect(d.calls).toContain('unmap slots');
    expect(u.regionGenerationEnabled).toBe(false);
    expect(w0.generation).toBe(0n);
    expect(() => u.registerWithSlot(0x1000n, 0x1000n, 3n)).toThrow(expect.objectContaining({ code: 'EBADF' }));
  });

  it('reports a failed slot-array mmap; the feature can be asked for again', () => {
    const d = fakeDevice({ features: FEATURE_REGION_GENERATION });
    const u = Ummunotify.open({ binding: d.binding });
    const mmap = d.binding.mmap;
    d.binding.mmap = () => {
      throw errno('ENOMEM', 'mmap');
    };
    expect(() => u.exchangeFeatures(FEATURE_REGION_GENERATION)).toThrow(expect.objectContaining({ code: 'ENOMEM', syscall: 'mmap' }));
    expect(u.regionGenerationEnabled).toBe(false);
    d.binding.mmap = mmap;
    expect(u.exchangeFeatures(0)).toBe(0); // the fake forgets; the kernel keeps it on
    u.exchangeFeatures(FEATURE_REGION_GENERATION);
    expect(u.regionGenerationEnabled).toBe(true);
    u.close();
  });

  it('closes the fd when mapping the page fails', () => {
    const d = fakeDevice();
    d.binding.mmap = () => {
      throw errno('ENODEV', 'mmap');
    };
    expect(() => Ummunotify.open({ binding: d.binding })).toThrow(expect.objectContaining({ code: 'ENODEV' }));
    expect(d.calls).toContain('close');
  });

  it('closes through Symbol.dispose and Symbol.asyncDispose (docs/readers.md)', async () => {
    const a = Ummunotify.open({ binding: fakeDevice().binding });
    a[Symbol.dispose]();
    expect(a.closed).toBe(true);
    expect(() => a.drain()).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'read' }));
    const b = Ummunotify.open({ binding: fakeDevice().binding });
    await b[Symbol.asyncDispose]();
    expect(b.closed).toBe(true);
    b.close();
  });

  it('aborting before iterating gives an AbortError with the reason as cause', async () => {
    const u = Ummunotify.open({ binding: fakeDevice().binding });
    const ac = new AbortController();
    ac.abort(new Error('before'));
    await expect(u.events({ signal: ac.signal }).next()).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR', cause: { message: 'before' } });
    u.close();
  });
});
