import { describe, expect, it } from 'vitest';
import { StartIndex } from '../src/start-index.js';

interface V {
  address: number;
  end: number;
  id: number;
}

describe('StartIndex', () => {
  it('finds by start and minimum end, with duplicates', () => {
    const idx = new StartIndex<V>(4);
    const a = { address: 0x7f00_0000_1000, end: 0x7f00_0000_2000, id: 1 };
    const b = { address: 0x7f00_0000_1000, end: 0x7f00_0000_9000, id: 2 };
    idx.add(a);
    idx.add(b);
    expect(idx.find(a.address, a.end)).toBe(a);
    expect(idx.find(a.address, a.end + 1)).toBe(b);
    expect(idx.find(a.address, b.end + 1)).toBeUndefined();
    expect(idx.find(a.address + 1, a.address + 2)).toBeUndefined();
    expect(idx.delete(a)).toBe(true);
    expect(idx.delete(a)).toBe(false);
    expect(idx.find(a.address, a.end)).toBe(b);
    expect(idx.size).toBe(1);
  });

  it('matches a model under random adds and deletes (growth, collisions, backward shift)', () => {
    const idx = new StartIndex<V>();
    const model: V[] = [];
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let i = 0; i < 20000; i++) {
      if (rnd(3) < 2 || model.length === 0) {
        // Few distinct starts: many duplicates and long probe runs.
        const address = 0x7f00_0000_0000 + rnd(300) * 4096;
        const v = { address, end: address + 4096 * (1 + rnd(4)), id: i };
        idx.add(v);
        model.push(v);
      } else {
        const [v] = model.splice(rnd(model.length), 1);
        expect(idx.delete(v!)).toBe(true);
      }
      if (i % 97 === 0) {
        for (let k = 0; k < 300; k += 7) {
          const start = 0x7f00_0000_0000 + k * 4096;
          const want = start + 4096 * (1 + (k % 4));
          const got = idx.find(start, want);
          const any = model.some((m) => m.address === start && m.end >= want);
          expect(got !== undefined).toBe(any);
          if (got) expect(got.address === start && got.end >= want && model.includes(got)).toBe(true);
        }
        expect(idx.size).toBe(model.length);
      }
    }
  });

  it.each([
    ['pages', (i: number) => 0x7f00_0000_0000 + i * 4096],
    ['every other page', (i: number) => 0x7f00_0000_0000 + i * 8192],
    ['2 MiB pages', (i: number) => 0x7f00_0000_0000 + i * 2 ** 21],
    ['4 GiB apart (equal low halves)', (i: number) => i * 2 ** 32],
    ['near 2^53', (i: number) => Number.MAX_SAFE_INTEGER - 1 - i * 4096],
    ['unaligned bytes', (i: number) => 0x7f00_0000_0000 + i * 7],
  ])('finds and deletes every key of a structured set (%s)', (_name, key) => {
    const idx = new StartIndex<V>();
    const n = 5000;
    const vs = Array.from({ length: n }, (_, i) => ({ address: key(i), end: key(i) + 1, id: i }));
    for (const v of vs) idx.add(v);
    for (const v of vs) expect(idx.find(v.address, v.end)).toBe(v);
    expect(idx.find(key(n), key(n) + 1)).toBeUndefined();
    for (const v of vs.filter((_, i) => i % 2 === 0)) expect(idx.delete(v)).toBe(true);
    vs.forEach((v, i) => expect(idx.find(v.address, v.end)).toBe(i % 2 === 0 ? undefined : v));
    expect(idx.size).toBe(n / 2);
  });
});
