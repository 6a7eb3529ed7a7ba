import { describe, expect, it } from 'vitest';
import { CONTAINMENT_PROBES, RegistrationCache } from '../src/cache.js';
import { FakeSource, StampedFakeSource } from './fake-source.js';

interface Mr {
  id: number;
  address: number;
  length: number;
}

function setup(opts: { capacity?: number; alignment?: number; slots?: number; stamped?: boolean } = {}) {
  const source = opts.stamped ? new StampedFakeSource({ slots: opts.slots }) : new FakeSource({ slots: opts.slots });
  const live = new Map<number, Mr>();
  const log: string[] = [];
  let nextId = 1;
  const cache = new RegistrationCache<Mr>({
    source,
    capacity: opts.capacity,
    alignment: opts.alignment,
    register(address, length) {
      const mr = { id: nextId++, address, length };
      live.set(mr.id, mr);
      log.push(`reg ${address}+${length}`);
      return mr;
    },
    deregister(mr) {
      expect(live.delete(mr.id)).toBe(true);
      log.push(`dereg ${mr.address}+${mr.length}`);
    },
  });
  return { source, cache, live, log };
}

describe('RegistrationCache', () => {
  it('registers on a miss and hits on the same or a contained range', () => {
    const { cache, live, source } = setup();
    const a = cache.acquire(0x10000, 0x4000);
    expect(live.size).toBe(1);
    expect(source.regions.size).toBe(1);
    cache.release(a);
    const b = cache.acquire(0x10000, 0x4000);
    expect(b).toBe(a);
    const c = cache.acquire(0x11000, 0x100);
    expect(c).toBe(a);
    expect(cache.stats).toMatchObject({ hits: 2, misses: 1 });
    cache.release(b);
    cache.release(c);
    expect(live.size).toBe(1);
  });

  it('does not hit a range that sticks out', () => {
    const { cache, live } = setup();
    const a = cache.acquire(0x10000, 0x1000);
    const b = cache.acquire(0x10000, 0x2000);
    expect(b).not.toBe(a);
    const c = cache.acquire(0xf000, 0x1000);
    expect(c).not.toBe(a);
    expect(live.size).toBe(3);
  });

  it('aligns registrations out to the alignment', () => {
    const { cache, log } = setup({ alignment: 4096 });
    const a = cache.acquire(4097, 10);
    expect(a.address).toBe(4096);
    expect(a.length).toBe(4096);
    expect(cache.acquire(8000, 192)).toBe(a);
    expect(log).toEqual(['reg 4096+4096']);
  });

  it('evicts the invalidated entry only, after checking the generation', () => {
    const { cache, source, live, log } = setup();
    const a = cache.acquire(0x10000, 0x1000);
    const b = cache.acquire(0x20000, 0x1000);
    cache.release(a);
    cache.release(b);
    const drains = source.drains;
    // No change: no drain.
    cache.release(cache.acquire(0x10000, 0x1000));
    expect(source.drains).toBe(drains);

    source.invalidate(0x10800n, 0x11000n);
    const a2 = cache.acquire(0x10000, 0x1000);
    expect(source.drains).toBe(drains + 1);
    expect(a2).not.toBe(a);
    expect(a.valid).toBe(false);
    expect(cache.acquire(0x20000, 0x1000)).toBe(b);
    expect(log).toContain('dereg 65536+4096');
    expect(live.size).toBe(2);
    expect(source.regions.size).toBe(2);
  });

  it('with a stamped source, checks hits through the stamp, also where the low 32 bits wrap', () => {
    const { cache, source, log } = setup({ stamped: true });
    source.generation = 0xffffffffn; // stamp -1; the next invalidation makes it 0
    cache.sync();
    const a = cache.acquire(0x10000, 0x1000);
    cache.release(a);
    const loads = source.stampLoads;
    const drains = source.drains;
    cache.release(cache.acquire(0x10000, 0x1000));
    expect(source.stampLoads).toBe(loads + 1); // one load per hit
    expect(source.drains).toBe(drains);
    source.invalidate(0x10000n, 0x11000n);
    expect(source.generation).toBe(1n << 32n);
    const a2 = cache.acquire(0x10000, 0x1000);
    expect(source.drains).toBe(drains + 1);
    expect(a2).not.toBe(a);
    expect(a.valid).toBe(false);
    expect(log).toEqual(['reg 65536+4096', 'dereg 65536+4096', 'reg 65536+4096']);
  });

  it('keeps an invalidated entry in use until its release, then deregisters it', () => {
    const { cache, source, live } = setup();
    const a = cache.acquire(0x10000, 0x1000);
    source.invalidate(0x10000n, 0x11000n);
    const a2 = cache.acquire(0x10000, 0x1000);
    expect(a2).not.toBe(a);
    expect(a.valid).toBe(false);
    expect(live.size).toBe(2);
    cache.release(a);
    expect(live.size).toBe(1);
    expect(source.regions.size).toBe(1);
    cache.release(a2);
  });

  it('evicts least recently released entries past the capacity, never in-use ones', () => {
    const { cache, live, log } = setup({ capacity: 2 });
    const held = cache.acquire(0, 10);
    const e1 = cache.acquire(100, 10);
    const e2 = cache.acquire(200, 10);
    expect(live.size).toBe(3); // all in use: over capacity is allowed
    cache.release(e1);
    expect(live.size).toBe(2); // e1 was the only evictable one
    expect(log.at(-1)).toBe('dereg 100+10');
    cache.release(e2);
    const e3 = cache.acquire(300, 10);
    expect(log.at(-1)).toBe('dereg 200+10');
    expect(cache.acquire(0, 10)).toBe(held);
    cache.release(e3);
    expect(cache.stats.evictions).toBe(2);
  });

  it('touching an entry moves it to the LRU tail', () => {
    const { cache, log } = setup({ capacity: 2 });
    cache.release(cache.acquire(0, 10));
    cache.release(cache.acquire(100, 10));
    cache.release(cache.acquire(0, 10)); // touch
    cache.release(cache.acquire(200, 10)); // evicts 100
    expect(log.at(-1)).toBe('dereg 100+10');
  });

  it('finds containing entries among several starting below', () => {
    const { cache } = setup({ capacity: 1000 });
    const big = cache.acquire(0, 1 << 20);
    for (let i = 1; i < CONTAINMENT_PROBES; i++) cache.release(cache.acquire(i * 4096, 10));
    expect(cache.acquire(CONTAINMENT_PROBES * 4096, 100)).toBe(big);
  });

  it('unregisters the cookie when the user register callback throws', () => {
    const source = new FakeSource();
    const cache = new RegistrationCache<number>({
      source,
      register() {
        throw new Error('pin failed');
      },
      deregister() {},
    });
    expect(() => cache.acquire(0, 10)).toThrow('pin failed');
    expect(source.regions.size).toBe(0);
    expect(cache.size).toBe(0);
  });

  it('ignores events of entries it no longer has, and later events of invalid ones', () => {
    const { cache, source, live } = setup();
    const a = cache.acquire(0x1000, 0x1000);
    source.invalidate(0x1000n, 0x2000n);
    cache.sync();
    source.invalidate(0x1000n, 0x2000n);
    expect(cache.sync()).toBe(0);
    cache.release(a);
    expect(live.size).toBe(0);
  });

  it('rejects bad arguments and double releases', () => {
    const { cache } = setup();
    expect(() => cache.acquire(-1, 10)).toThrow(RangeError);
    expect(() => cache.acquire(0, 0)).toThrow(RangeError);
    expect(() => cache.acquire(0.5, 1)).toThrow(RangeError);
    const a = cache.acquire(0, 10);
    cache.release(a);
    expect(() => cache.release(a)).toThrow(expect.objectContaining({ name: 'UmmunotifyError', code: 'EINVAL', syscall: 'release' }));
    expect(() => cache.release({ ...a })).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    // Powers of two only, also past 2^32 (where a 32-bit `a & (a - 1)` check
    // sees only the low bits): the hit path multiplies by 1/alignment, exact
    // only for a power of two.
    for (const alignment of [3, 0, 2 ** 32 + 1, 3 * 2 ** 32, 2 ** 53, 0.5, Number.NaN]) {
      expect(() => new RegistrationCache({ source: new FakeSource(), register: () => 0, deregister() {}, alignment }), `alignment ${alignment}`).toThrow(
        RangeError,
      );
    }
    for (const alignment of [1, 4096, 2 ** 32, 2 ** 52]) {
      expect(() => new RegistrationCache({ source: new FakeSource(), register: () => 0, deregister() {}, alignment })).not.toThrow();
    }
  });

  it('flush and close deregister unreferenced entries; in-use ones on release', () => {
    const { cache, live } = setup();
    const a = cache.acquire(0, 10);
    cache.release(cache.acquire(100, 10));
    cache.close();
    expect(live.size).toBe(1);
    cache.release(a);
    expect(live.size).toBe(0);
    expect(() => cache.acquire(0, 10)).toThrow(expect.objectContaining({ name: 'UmmunotifyError', code: 'EBADF', message: expect.stringContaining('closed') }));
  });

  it('hits with one load of the entry\'s slot when region generation slots are enabled', () => {
    const { cache, source, live, log } = setup({ slots: 64 });
    const a = cache.acquire(0x10000, 0x1000);
    const b = cache.acquire(0x20000, 0x1000);
    cache.release(a);
    cache.release(b);
    expect([...source.regions.values()].map((r) => r.slot)).toEqual([0, 1]);
    const drains = source.drains;
    // Another entry's invalidation: a's hit neither drains nor sees it.
    source.invalidate(0x20000n, 0x20001n);
    const loads = source.slotLoads;
    expect(cache.acquire(0x10000, 0x1000)).toBe(a);
    expect(source.slotLoads).toBe(loads + 1);
    expect(source.drains).toBe(drains);
    cache.release(a);
    // b's slot moved: the stale hit drains, drops b and registers again.
    const b2 = cache.acquire(0x20000, 0x1000);
    expect(b2).not.toBe(b);
    expect(b.valid).toBe(false);
    expect(source.drains).toBe(drains + 1);
    expect(log).toContain('dereg 131072+4096');
    // b's slot was bumped when freed and reused (lowest free) by b2: b2's
    // baseline is the bumped value, so it hits.
    expect(source.regions.get(3n)?.slot).toBe(1);
    cache.release(b2);
    expect(cache.acquire(0x20000, 0x1000)).toBe(b2);
    cache.release(b2);
    expect(live.size).toBe(2);
  });

  it('falls back to the generation counter when every slot is taken', () => {
    const { cache, source } = setup({ slots: 1 });
    const a = cache.acquire(0x10000, 0x1000); // slot 0
    const b = cache.acquire(0x20000, 0x1000); // ENOSPC: no slot
    cache.release(a);
    cache.release(b);
    expect([...source.regions.values()].map((r) => r.slot)).toEqual([0, null]);
    source.invalidate(0x20000n, 0x20001n);
    expect(cache.acquire(0x10000, 0x1000)).toBe(a); // its slot did not move
    const b2 = cache.acquire(0x20000, 0x1000); // generation moved: drain
    expect(b2).not.toBe(b);
    expect(b.valid).toBe(false);
  });

  it.each([
    ['the generation counter', 0],
    ['region generation slots', 1024],
    ['slots, mostly full (ENOSPC fallbacks)', 4],
  ])('stays consistent with a model under random operations (%s)', (_name, slots) => {
    const { cache, source, live } = setup({ capacity: 16, alignment: 16, slots });
    // MR ids whose range was invalidated since registration: never handed out.
    const stale = new Set<number>();
    let seed = 12345;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const held: ReturnType<typeof cache.acquire>[] = [];
    for (let i = 0; i < 5000; i++) {
      const op = rnd(10);
      if (op < 5) {
        const addr = rnd(64) * 16 + rnd(16);
        const len = 1 + rnd(200);
        const e = cache.acquire(addr, len);
        expect(e.valid).toBe(true);
        expect(stale.has(e.value.id)).toBe(false);
        expect(e.address).toBeLessThanOrEqual(addr);
        expect(e.address + e.length).toBeGreaterThanOrEqual(addr + len);
        held.push(e);
      } else if (op < 8 && held.length > 0) {
        cache.release(held.splice(rnd(held.length), 1)[0]!);
      } else {
        const s = rnd(1200);
        const end = s + 1 + rnd(64);
        for (const mr of live.values()) if (mr.address < end && mr.address + mr.length > s) stale.add(mr.id);
        source.invalidate(BigInt(s), BigInt(end));
      }
      // Every live registration is watched by exactly one kernel region.
      expect(source.regions.size).toBe(live.size);
      expect(cache.size).toBe(live.size);
    }
    for (const e of held) cache.release(e);
    cache.close();
    expect(live.size).toBe(0);
    expect(source.regions.size).toBe(0);
  });

  it('answers the same on the hit path as on the full path (alignment, bounds, closed, stale)', () => {
    const { cache, source, log } = setup({ alignment: 4096, stamped: true });
    const high = 0x7fff_ffff_0000;
    const a = cache.acquire(high + 1, 10); // [high, high + 4096)
    cache.release(a);
    // Hits anywhere inside, at any byte alignment, up to the last byte.
    expect(cache.acquire(high, 4096)).toBe(a);
    expect(cache.acquire(high + 4095, 1)).toBe(a);
    cache.release(a);
    cache.release(a);
    // One byte past the end: a new, larger registration.
    const b = cache.acquire(high + 4095, 2);
    expect(b).not.toBe(a);
    expect(b.length).toBe(8192);
    cache.release(b);
    // Bad arguments are refused even where an entry would match.
    expect(() => cache.acquire(high + 0.5, 1)).toThrow(RangeError);
    expect(() => cache.acquire(high, -1)).toThrow(RangeError);
    expect(() => cache.acquire(Number.MAX_SAFE_INTEGER - 10, 100)).toThrow(RangeError);
    // A moved stamp is noticed on a would-be hit.
    source.invalidate(BigInt(high), BigInt(high + 1));
    const a2 = cache.acquire(high, 64);
    expect(a.valid).toBe(false);
    expect(a2).not.toBe(a);
    cache.release(a2);
    expect(cache.stats).toMatchObject({ hits: 2, misses: 3 });
    // Closed: EBADF even for a cached range; releases still work.
    const held = cache.acquire(high, 64);
    cache.close();
    expect(() => cache.acquire(high, 64)).toThrow(expect.objectContaining({ code: 'EBADF' }));
    cache.release(held);
    expect(log.filter((l) => l.startsWith('reg')).length).toBe(log.filter((l) => l.startsWith('dereg')).length);
  });

  it('evicts in exact least-recently-released order under random use (model)', () => {
    const capacity = 8;
    const { cache, log } = setup({ capacity });
    const model: number[] = []; // unreferenced cached addresses, least recently released first
    const refs = new Map<number, number>(); // registered address -> references
    const held: { addr: number; e: ReturnType<typeof cache.acquire> }[] = [];
    let seed = 99;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return (seed >>> 12) % n; // the high bits: an LCG's low bits have short periods
    };
    for (let i = 0; i < 4000; i++) {
      // Few references held at once: most entries are on the LRU, and evictions are frequent.
      if (held.length === 0 || (held.length < 4 && rnd(3) !== 0)) {
        const addr = rnd(24) * 0x1000;
        const before = log.length;
        const e = cache.acquire(addr, 0x1000);
        held.push({ addr, e });
        const r = refs.get(addr);
        if (r === undefined) {
          refs.set(addr, 1);
          expect(log.slice(before)).toEqual([`reg ${addr}+4096`, ...evicted()]);
        } else {
          expect(log.length).toBe(before);
          if (r === 0) model.splice(model.indexOf(addr), 1);
          refs.set(addr, r + 1);
        }
      } else {
        const { addr, e } = held.splice(rnd(held.length), 1)[0]!;
        const before = log.length;
        cache.release(e);
        const r = refs.get(addr)! - 1;
        refs.set(addr, r);
        if (r === 0) model.push(addr);
        expect(log.slice(before)).toEqual(evicted());
      }
    }
    expect(cache.stats.evictions).toBeGreaterThan(500);
    // What the model deregisters now: least recently released first, while over capacity.
    function evicted(): string[] {
      const out: string[] = [];
      while (refs.size > capacity && model.length > 0) {
        const addr = model.shift()!;
        refs.delete(addr);
        out.push(`dereg ${addr}+4096`);
      }
      return out;
    }
  });
});
