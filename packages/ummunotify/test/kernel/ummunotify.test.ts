// Kernel tests of /dev/ummunotify: real anonymous memory, real
// invalidations (munmap, madvise, mremap), the real device. They run inside
// the VM (node vm/run.mjs test); outside it they skip.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as native from '@kchan/native';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  FEATURE_REGION_GENERATION,
  MAX_SLOTS,
  RegistrationCache,
  Ummunotify,
  generationStamp,
  type InvalidationEvent,
  type InvalidationSource,
} from '../../src/index.js';

const inVm = process.env.KCHAN_VM === '1';
const PAGE = native.PAGE_SIZE;
const P = BigInt(PAGE);

/** Run a kchan_test command; returns the status line. */
function kchanTest(cmd: string): string {
  const fd = openSync('/dev/kchan_test', 'r+');
  try {
    writeSync(fd, cmd);
    const buf = Buffer.alloc(256);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n).toString().trim();
  } finally {
    closeSync(fd);
  }
}

function stats(): { regions: number; contexts: number } {
  const m = /regions=(\d+) contexts=(\d+)/.exec(kchanTest('ummu stats'));
  if (!m) throw new Error('bad ummu stats line');
  return { regions: Number(m[1]), contexts: Number(m[2]) };
}

function expectErrno(fn: () => unknown, code: string): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, `expected ${code}`).toBeDefined();
  expect((err as { code?: string }).code).toBe(code);
}

function byCookie(events: InvalidationEvent[]): Map<bigint, InvalidationEvent[]> {
  const m = new Map<bigint, InvalidationEvent[]>();
  for (const e of events) m.set(e.cookie, [...(m.get(e.cookie) ?? []), e]);
  return m;
}

function anon(pages: number): native.Mapping {
  const m = native.mmapAnonymous(pages * PAGE, native.PROT_READ | native.PROT_WRITE);
  new Uint8Array(m.buffer).fill(1); // fault the pages in
  return m;
}

describe.skipIf(!inVm)('/dev/ummunotify (needs KCHAN_VM=1: run with node vm/run.mjs test)', () => {
  let u: Ummunotify;
  let baseline: { regions: number; contexts: number };

  beforeEach(() => {
    baseline = stats();
    u = Ummunotify.open();
  });
  afterEach(() => {
    u.close();
    // Every region and context of the test is freed on close.
    expect(stats()).toEqual(baseline);
  });

  it('reports madvise(DONTNEED) with the cookie, the hint and one generation step', () => {
    const m = anon(8);
    const a = m.address;
    u.register(a, 4n * P, 1n);
    expect(u.drain().events).toEqual([]);
    const g0 = u.generation;
    const s0 = u.stamp;
    expect(s0).toBe(generationStamp(g0));
    m.madvise(2 * PAGE, PAGE, native.MADV_DONTNEED);
    expect(u.generation).toBe(g0 + 1n);
    expect(u.stamp).toBe(generationStamp(g0 + 1n));
    expect(u.stamp).not.toBe(s0);
    const { events, generation } = u.drain();
    expect(events).toEqual([{ cookie: 1n, hintStart: a + 2n * P, hintEnd: a + 3n * P, hasHint: true }]);
    expect(generation).toBe(g0 + 1n);
    // Outside the region: nothing.
    m.madvise(5 * PAGE, PAGE, native.MADV_DONTNEED);
    expect(u.generation).toBe(g0 + 1n);
    expect(u.drain().events).toEqual([]);
    m.unmap();
  });

  it('merges repeated invalidations into one event whose hint covers them all', () => {
    const m = anon(8);
    const a = m.address;
    u.register(a, 8n * P, 7n);
    const g0 = u.generation;
    m.madvise(5 * PAGE, PAGE, native.MADV_DONTNEED);
    m.madvise(1 * PAGE, PAGE, native.MADV_DONTNEED);
    m.madvise(3 * PAGE, PAGE, native.MADV_DONTNEED); // the seed's third-invalidation toggle
    expect(u.generation).toBe(g0 + 3n);
    const { events } = u.drain();
    expect(events).toEqual([{ cookie: 7n, hintStart: a + P, hintEnd: a + 6n * P, hasHint: true }]);
    m.unmap();
  });

  it('reports munmap of part of a range, and mremap moving or shrinking it', () => {
    const m = anon(8);
    const a = m.address;
    u.register(a, 8n * P, 1n);
    const [left, right] = m.unmapRange(6 * PAGE, 2 * PAGE).concat();
    expect(right).toBeUndefined();
    let ev = u.drain().events;
    expect(ev).toEqual([{ cookie: 1n, hintStart: a + 6n * P, hintEnd: a + 8n * P, hasHint: true }]);

    // Shrink in place: the tail is unmapped.
    const shrunk = left!.remap(4 * PAGE, false);
    ev = u.drain().events;
    expect(ev).toHaveLength(1);
    expect(ev[0]).toMatchObject({ cookie: 1n, hasHint: true });
    expect(ev[0]!.hintStart).toBeGreaterThanOrEqual(a + 4n * P);
    expect(ev[0]!.hintEnd).toBeLessThanOrEqual(a + 8n * P);
    shrunk.unmap();
    expect(u.drain().events.map((e) => e.cookie)).toEqual([1n]);

    // Move: the old range is invalidated.
    const m2 = anon(2);
    const b = m2.address;
    u.register(b, 2n * P, 2n);
    const moved = m2.remap(64 * PAGE, true);
    ev = u.drain().events;
    expect(ev.map((e) => e.cookie)).toContain(2n);
    const e2 = ev.find((e) => e.cookie === 2n)!;
    expect(e2.hintStart).toBeGreaterThanOrEqual(b);
    expect(e2.hintEnd).toBeLessThanOrEqual(b + 2n * P);
    moved.unmap();
  });

  it('reports overlapping and identical ranges under different cookies each', () => {
    const m = anon(8);
    const a = m.address;
    u.register(a, 4n * P, 1n);
    u.register(a, 4n * P, 2n); // identical
    u.register(a + 2n * P, 4n * P, 3n); // overlapping
    u.register(a + 6n * P, 2n * P, 4n); // disjoint
    const g0 = u.generation;
    m.madvise(3 * PAGE, PAGE, native.MADV_DONTNEED);
    expect(u.generation).toBe(g0 + 1n); // once per invalidation, not per region
    const got = byCookie(u.drain().events);
    expect([...got.keys()].sort()).toEqual([1n, 2n, 3n]);
    for (const c of [1n, 2n, 3n]) expect(got.get(c)).toEqual([{ cookie: c, hintStart: a + 3n * P, hintEnd: a + 4n * P, hasHint: true }]);
    m.unmap();
  });

  it('drops the pending event of an unregistered region', () => {
    const m = anon(2);
    u.register(m.address, 2n * P, 1n);
    u.register(m.address, 2n * P, 2n);
    m.madvise(0, PAGE, native.MADV_DONTNEED);
    u.unregister(1n);
    expect(u.drain().events.map((e) => e.cookie)).toEqual([2n]);
    m.unmap();
  });

  it('accepts unaligned ranges; events are page-granular, hints clipped to the range', () => {
    const m = anon(4);
    const a = m.address;
    u.register(a + 100n, 10n, 1n);
    u.register(a + P - 1n, 2n, 2n); // straddles pages 0 and 1
    m.madvise(PAGE, PAGE, native.MADV_DONTNEED);
    expect(u.drain().events).toEqual([{ cookie: 2n, hintStart: a + P, hintEnd: a + P + 1n, hasHint: true }]);
    m.madvise(0, PAGE, native.MADV_DONTNEED);
    const got = byCookie(u.drain().events);
    expect(got.get(1n)).toEqual([{ cookie: 1n, hintStart: a + 100n, hintEnd: a + 110n, hasHint: true }]);
    expect(got.get(2n)).toEqual([{ cookie: 2n, hintStart: a + P - 1n, hintEnd: a + P, hasHint: true }]);
    m.unmap();
  });

  it('refuses duplicate cookies, unknown cookies, empty and wrapped ranges, unknown ioctls', () => {
    u.register(0x10000n, 0x1000n, 5n);
    expectErrno(() => u.register(0x20000n, 0x1000n, 5n), 'EEXIST');
    expectErrno(() => u.unregister(6n), 'ENOENT');
    expectErrno(() => u.register(0x10000n, 0n, 6n), 'EINVAL');
    expectErrno(() => u.register(0xffff_ffff_ffff_f000n, 0x2000n, 6n), 'EINVAL');
    // Non-zero flags / reserved.
    const arg = new DataView(new ArrayBuffer(32));
    arg.setBigUint64(0, 0x10000n, true);
    arg.setBigUint64(8, 0x11000n, true);
    arg.setBigUint64(16, 9n, true);
    arg.setUint32(24, 1, true);
    expectErrno(() => native.ioctl(u.fd, 0x40205502, arg), 'EINVAL');
    arg.setUint32(24, 0, true);
    arg.setUint32(28, 1, true);
    expectErrno(() => native.ioctl(u.fd, 0x40205502, arg), 'EINVAL');
    expectErrno(() => native.ioctl(u.fd, native._IO('U', 0x42)), 'ENOTTY');
    expectErrno(() => native.ioctl(u.fd, native._IO('X', 1)), 'ENOTTY');
    expect(u.exchangeFeatures(0)).toBe(0);
    u.unregister(5n);
    expectErrno(() => u.unregister(5n), 'ENOENT');
  });

  it('fails a read with a buffer smaller than one event, consuming nothing; one event at a time progresses', () => {
    const m = anon(1);
    u.register(m.address, P, 1n);
    m.madvise(0, PAGE, native.MADV_DONTNEED);
    expectErrno(() => native.read(u.fd, new Uint8Array(31)), 'EINVAL');
    // One event's room: the INVAL, then the LAST it owes on the next read.
    const one = new DataView(new ArrayBuffer(32));
    expect(native.read(u.fd, one)).toBe(32);
    expect(one.getUint32(0, true)).toBe(0);
    expect(one.getBigUint64(24, true)).toBe(1n);
    expect(native.read(u.fd, one)).toBe(32);
    expect(one.getUint32(0, true)).toBe(1);
    expect(one.getBigUint64(24, true)).toBe(u.generation);
    expect(u.drain().events).toEqual([]);
    expectErrno(() => native.read(u.fd, new Uint8Array(64)), 'EAGAIN');
    m.unmap();
  });

  it('maps the generation page read-only for good', () => {
    const page = native.mmap(u.fd, PAGE, native.PROT_READ, native.MAP_SHARED);
    expect(new BigUint64Array(page.buffer)[0]).toBe(u.generation);
    expectErrno(() => page.mprotect(0, PAGE, native.PROT_READ | native.PROT_WRITE), 'EACCES');
    expectErrno(() => native.mmap(u.fd, PAGE, native.PROT_READ | native.PROT_WRITE, native.MAP_PRIVATE), 'EPERM');
    expectErrno(() => native.mmap(u.fd, PAGE, native.PROT_READ, native.MAP_SHARED, PAGE), 'EINVAL');
    expectErrno(() => native.mmap(u.fd, 2 * PAGE, native.PROT_READ, native.MAP_SHARED), 'EINVAL');
    page.unmap();
  });

  it('gives EIO to a forked child using the fd', async () => {
    const nativePath = createRequire(import.meta.url).resolve('@kchan/native');
    const script = `
      const n = require(${JSON.stringify(nativePath)});
      const out = [];
      const b = new DataView(new ArrayBuffer(32));
      b.setBigUint64(0, 0x10000n, true); b.setBigUint64(8, 0x11000n, true); b.setBigUint64(16, 99n, true);
      for (const f of [() => n.ioctl(3, 0x40205502, b), () => n.read(3, new Uint8Array(64)),
                       () => n.mmap(3, n.PAGE_SIZE, n.PROT_READ, n.MAP_SHARED)]) {
        try { f(); out.push('ok'); } catch (e) { out.push(e.code); }
      }
      process.stdout.write(out.join(','));`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit', u.fd] });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    expect(out).toBe('EIO,EIO,EIO');
    // The parent still works (fork may have invalidated COW pages: drain).
    u.drain();
    u.register(0x10000n, 0x1000n, 99n);
  });

  it('delivers events to the async iterator and stops on abort', async () => {
    const m = anon(2);
    u.register(m.address, 2n * P, 42n);
    const ac = new AbortController();
    setTimeout(() => m.madvise(PAGE, PAGE, native.MADV_DONTNEED), 50);
    const it = u.events({ signal: ac.signal });
    const first = await it.next();
    expect(first.value).toMatchObject({ cookie: 42n, hintStart: m.address + P });
    const pending = it.next();
    ac.abort(new Error('stop'));
    await expect(pending).rejects.toThrow();
    m.unmap();
  });

  it('handles 100k regions: registered, invalidated together, unregistered, no leak', () => {
    const N = 100_000;
    const pages = 256;
    const m = anon(pages);
    const a = m.address;
    for (let i = 0; i < N; i++) {
      const first = BigInt(i % pages);
      const len = BigInt(1 + (i % 5));
      u.register(a + first * P + BigInt(i % 64), len * P, BigInt(i + 1));
    }
    expect(stats().regions).toBe(baseline.regions + N);
    const g0 = u.generation;
    m.unmap();
    expect(u.generation).toBeGreaterThan(g0);
    const { events } = u.drain();
    expect(events).toHaveLength(N);
    expect(new Set(events.map((e) => e.cookie)).size).toBe(N);
    for (let i = 0; i < N; i += 2) u.unregister(BigInt(i + 1));
    expect(stats().regions).toBe(baseline.regions + N / 2);
    // The other half is freed by close() (afterEach checks the count).
  });

  it('closes with pending events', () => {
    const m = anon(4);
    for (let i = 0; i < 4; i++) u.register(m.address + BigInt(i) * P, P, BigInt(i));
    m.madvise(0, 4 * PAGE, native.MADV_DONTNEED);
    u.close();
    u.close(); // idempotent
    expect(u.generation).toBe(0n);
    expectErrno(() => u.drain(), 'EBADF');
    m.unmap();
  });

  it('keeps a RegistrationCache coherent with real invalidations', () => {
    const m = anon(16);
    const base = Number(m.address);
    let registrations = 0;
    const cache = new RegistrationCache<number>({
      source: u,
      alignment: PAGE,
      register: () => ++registrations,
      deregister: () => {},
    });
    const e1 = cache.acquire(base + 10, 3 * PAGE);
    cache.release(e1);
    expect(cache.acquire(base + PAGE, PAGE)).toBe(e1);
    cache.release(e1);
    const e2 = cache.acquire(base + 8 * PAGE, PAGE);
    cache.release(e2);
    m.madvise(2 * PAGE, PAGE, native.MADV_DONTNEED); // inside e1 only
    const e1b = cache.acquire(base + PAGE, PAGE);
    expect(e1b).not.toBe(e1);
    expect(e1.valid).toBe(false);
    expect(cache.acquire(base + 8 * PAGE, PAGE)).toBe(e2);
    expect(registrations).toBe(3);
    cache.release(e1b);
    cache.release(e2);
    cache.close();
    expect(cache.size).toBe(0);
    m.unmap();
  });

  describe('region generation slots (UMMUNOTIFY_FEATURE_REGION_GENERATION)', () => {
    const IOC_REGISTER_REGION_SLOT = 0xc0205504;
    const SLOT_BYTES = MAX_SLOTS * 8;

    function rawRegisterSlot(start: bigint, end: bigint, cookie: bigint, flags = 0): number {
      const arg = new DataView(new ArrayBuffer(32));
      arg.setBigUint64(0, start, true);
      arg.setBigUint64(8, end, true);
      arg.setBigUint64(16, cookie, true);
      arg.setUint32(24, flags, true);
      arg.setUint32(28, 0xcccccccc, true);
      native.ioctl(u.fd, IOC_REGISTER_REGION_SLOT, arg);
      return arg.getUint32(28, true);
    }

    it('is off until asked for, then stays on; REGISTER_REGION_SLOT is EINVAL before', () => {
      expectErrno(() => rawRegisterSlot(0x10000n, 0x11000n, 1n), 'EINVAL');
      expectErrno(() => native.mmap(u.fd, PAGE, native.PROT_READ, native.MAP_SHARED, PAGE), 'EINVAL');
      expect(stats().regions).toBe(baseline.regions);
      expect(u.exchangeFeatures(0)).toBe(0);
      // Only the offered bit is enabled, whatever else is asked for.
      expect(u.exchangeFeatures(0xffffffff)).toBe(FEATURE_REGION_GENERATION);
      expect(u.regionGenerationEnabled).toBe(true);
      // Enabling is for the fd's life.
      expect(u.exchangeFeatures(0)).toBe(FEATURE_REGION_GENERATION);
      expect(rawRegisterSlot(0x10000n, 0x11000n, 1n)).toBe(0);
      expect(rawRegisterSlot(0x10000n, 0x11000n, 2n)).toBe(1);
      expectErrno(() => rawRegisterSlot(0x10000n, 0x11000n, 1n), 'EEXIST');
      expectErrno(() => rawRegisterSlot(0x10000n, 0x10000n, 3n), 'EINVAL');
      expectErrno(() => rawRegisterSlot(0x10000n, 0x11000n, 3n, 1), 'EINVAL');
      expect(stats().regions).toBe(baseline.regions + 2);
      // Slot regions are ordinary regions for unregister.
      u.unregister(1n);
      u.unregister(2n);
      expectErrno(() => u.unregister(2n), 'ENOENT');
    });

    it('bumps a region\'s slot when it is invalidated, not when another region is', () => {
      u.exchangeFeatures(FEATURE_REGION_GENERATION);
      const m = anon(8);
      const a = m.address;
      const wa = u.registerWithSlot(a, 2n * P, 1n);
      const wb = u.registerWithSlot(a + 4n * P, 2n * P, 2n);
      u.register(a, 8n * P, 3n); // no slot
      expect([wa.slot, wb.slot]).toEqual([0, 1]);
      expect([wa.seen, wb.seen]).toEqual([0n, 0n]);
      const g0 = u.generation;

      m.madvise(0, PAGE, native.MADV_DONTNEED);
      expect(wa.generation).toBe(1n);
      expect(wb.generation).toBe(0n);
      expect(wb.changed).toBe(false);
      expect(u.generation).toBe(g0 + 1n);
      // Until read, events merge; the slot still counts every invalidation.
      m.madvise(PAGE, PAGE, native.MADV_DONTNEED);
      expect(wa.generation).toBe(2n);
      // Outside both slot regions (inside the plain one): no slot moves.
      m.madvise(3 * PAGE, PAGE, native.MADV_DONTNEED);
      expect([wa.generation, wb.generation]).toEqual([2n, 0n]);
      // One invalidation over both: each slot once.
      m.madvise(0, 8 * PAGE, native.MADV_DONTNEED);
      expect([wa.generation, wb.generation]).toEqual([3n, 1n]);
      expect(u.generation).toBe(g0 + 4n);
      const got = byCookie(u.drain().events);
      expect([...got.keys()].sort()).toEqual([1n, 2n, 3n]);
      expect(got.get(1n)).toEqual([{ cookie: 1n, hintStart: a, hintEnd: a + 2n * P, hasHint: true }]);
      // Reading events does not touch the slots.
      expect([wa.generation, wb.generation]).toEqual([3n, 1n]);
      m.unmap();
      expect([wa.generation, wb.generation]).toEqual([4n, 2n]);
    });

    it('bumps a slot on unregister and reuses it without going backwards', () => {
      u.exchangeFeatures(FEATURE_REGION_GENERATION);
      const m = anon(4);
      const a = m.address;
      const w0 = u.registerWithSlot(a, P, 1n);
      const w1 = u.registerWithSlot(a + P, P, 2n);
      m.madvise(0, PAGE, native.MADV_DONTNEED);
      m.madvise(0, PAGE, native.MADV_DONTNEED);
      expect(w0.generation).toBe(2n);
      u.unregister(1n);
      // The stale watch sees a change (its region is gone), never a reset.
      expect(w0.generation).toBe(3n);
      expect(w0.changed).toBe(true);
      // The lowest free slot is reused, its counter where it was.
      const w2 = u.registerWithSlot(a + 2n * P, P, 3n);
      expect(w2.slot).toBe(w0.slot);
      expect(w2.seen).toBe(3n);
      expect(w0.generation).not.toBe(2n); // no ABA for the stale reader
      // The old range is not watched by the slot any more; the new one is.
      m.madvise(0, PAGE, native.MADV_DONTNEED);
      expect(w2.generation).toBe(3n);
      m.madvise(2 * PAGE, PAGE, native.MADV_DONTNEED);
      expect(w2.generation).toBe(4n);
      expect(w1.generation).toBe(0n);
      // Only cookie 3's event: cookie 1's was dropped with it.
      expect(u.drain().events.map((e) => e.cookie)).toEqual([3n]);
      m.unmap();
    });

    it(`refuses slot ${MAX_SLOTS + 1} with ENOSPC; a freed slot is taken again`, () => {
      u.exchangeFeatures(FEATURE_REGION_GENERATION);
      const m = anon(2);
      const a = m.address;
      for (let i = 0; i < MAX_SLOTS; i++) {
        const w = u.registerWithSlot(a + BigInt(i % 64), P, BigInt(i + 1));
        if (w.slot !== i) expect(w.slot).toBe(i);
      }
      expectErrno(() => u.registerWithSlot(a, P, 0n), 'ENOSPC');
      expect(stats().regions).toBe(baseline.regions + MAX_SLOTS);
      u.register(a, P, 0n); // plain regions are not limited by slots
      u.unregister(1000n); // slot 999
      expect(u.registerWithSlot(a, P, 1_000_000n).slot).toBe(999);
      expectErrno(() => u.registerWithSlot(a + P, P, 1_000_001n), 'ENOSPC');
      // One invalidation bumps every slot once.
      m.madvise(0, PAGE, native.MADV_DONTNEED);
      const mapped = native.mmap(u.fd, SLOT_BYTES, native.PROT_READ, native.MAP_SHARED, PAGE);
      const slots = new BigUint64Array(mapped.buffer);
      for (let i = 0; i < MAX_SLOTS; i++) {
        const want = i === 999 ? 2n : 1n; // slot 999 was bumped by its unregister
        if (slots[i] !== want) expect([i, slots[i]]).toEqual([i, want]);
      }
      mapped.unmap(); // a mapping pins the fd's context past close()
      expect(u.drain().events).toHaveLength(MAX_SLOTS + 1);
      m.unmap();
      // close() frees them all (afterEach checks).
    });

    it('maps the slot array read-only for good, after the generation page', () => {
      u.exchangeFeatures(FEATURE_REGION_GENERATION);
      const m = anon(1);
      const w = u.registerWithSlot(m.address, P, 1n);
      m.madvise(0, PAGE, native.MADV_DONTNEED);
      // Offset 0, the whole thing: generation page, then the slots.
      const all = native.mmap(u.fd, PAGE + SLOT_BYTES, native.PROT_READ, native.MAP_SHARED);
      const v = new BigUint64Array(all.buffer);
      expect(v[0]).toBe(u.generation);
      expect(v[PAGE / 8 + w.slot]).toBe(1n);
      expectErrno(() => all.mprotect(0, PAGE + SLOT_BYTES, native.PROT_READ | native.PROT_WRITE), 'EACCES');
      expectErrno(() => all.mprotect(PAGE, PAGE, native.PROT_READ | native.PROT_WRITE), 'EACCES');
      all.unmap();
      // Any page range inside it, and the one-page generation mapping as before.
      const last = native.mmap(u.fd, PAGE, native.PROT_READ, native.MAP_SHARED, SLOT_BYTES);
      expect(new BigUint64Array(last.buffer)[0]).toBe(0n);
      last.unmap();
      const gen = native.mmap(u.fd, PAGE, native.PROT_READ, native.MAP_SHARED);
      expect(new BigUint64Array(gen.buffer)[0]).toBe(u.generation);
      gen.unmap();
      expectErrno(() => native.mmap(u.fd, PAGE, native.PROT_READ | native.PROT_WRITE, native.MAP_PRIVATE, PAGE), 'EPERM');
      expectErrno(() => native.mmap(u.fd, PAGE, native.PROT_READ, native.MAP_SHARED, PAGE + SLOT_BYTES), 'EINVAL');
      expectErrno(() => native.mmap(u.fd, 2 * PAGE, native.PROT_READ, native.MAP_SHARED, SLOT_BYTES), 'EINVAL');
      expectErrno(() => native.mmap(u.fd, PAGE + SLOT_BYTES + PAGE, native.PROT_READ, native.MAP_SHARED), 'EINVAL');
      m.unmap();
    });

    it('keeps the slot array readable after close while mapped', () => {
      const v = Ummunotify.open();
      v.exchangeFeatures(FEATURE_REGION_GENERATION);
      const m = anon(1);
      const w = v.registerWithSlot(m.address, P, 1n);
      m.madvise(0, PAGE, native.MADV_DONTNEED);
      const slots = native.mmap(v.fd, SLOT_BYTES, native.PROT_READ, native.MAP_SHARED, PAGE);
      v.close();
      expect(w.generation).toBe(0n); // the client's view is gone
      // The mapping pins the file: the context lives until it is unmapped.
      expect(stats().contexts).toBe(baseline.contexts + 2);
      expect(new BigUint64Array(slots.buffer)[w.slot]).toBe(1n);
      slots.unmap();
      expect(stats().contexts).toBe(baseline.contexts + 1);
      m.unmap();
    });

    it('keeps a RegistrationCache coherent with one slot load per hit', () => {
      u.exchangeFeatures(FEATURE_REGION_GENERATION);
      const m = anon(16);
      const base = Number(m.address);
      let drains = 0;
      const source: InvalidationSource = {
        get generation() {
          return u.generation;
        },
        drain: () => {
          drains++;
          return u.drain();
        },
        register: (addr, len, cookie) => u.register(addr, len, cookie),
        unregister: (cookie) => u.unregister(cookie),
        regionGenerationEnabled: true,
        registerWithSlot: (addr, len, cookie) => u.registerWithSlot(addr, len, cookie),
      };
      let registrations = 0;
      const cache = new RegistrationCache<number>({
        source,
        alignment: PAGE,
        register: () => ++registrations,
        deregister: () => {},
      });
      const e1 = cache.acquire(base, 4 * PAGE);
      const e2 = cache.acquire(base + 8 * PAGE, PAGE);
      cache.release(e1);
      cache.release(e2);
      m.madvise(9 * PAGE, PAGE, native.MADV_DONTNEED); // next to e2, hits nothing
      m.madvise(8 * PAGE, PAGE, native.MADV_DONTNEED); // e2 only
      const d0 = drains;
      const hit = cache.acquire(base + PAGE, PAGE);
      expect(hit).toBe(e1); // e2's invalidation did not cost e1's hit a drain
      expect(drains).toBe(d0);
      const e2b = cache.acquire(base + 8 * PAGE, PAGE);
      expect(e2b).not.toBe(e2);
      expect(e2.valid).toBe(false);
      expect(drains).toBe(d0 + 1);
      expect(registrations).toBe(3);
      cache.release(hit);
      cache.release(e2b);
      cache.close();
      expect(cache.size).toBe(0);
      m.unmap();
    });
  });
});

