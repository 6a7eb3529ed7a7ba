// Every generated accessor, decoder and encoder, checked against the layout
// tables by reading and writing the bytes independently of the generated
// code. The layout tables themselves are checked against the C compiler's
// offsetof()/sizeof() in gen.test.ts and test/langs; this file checks that
// the code generated for each struct agrees with its table, for every struct
// of the spec (a new struct or field is covered without a new test).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as uapi from '../src/index.js';
import { copyBytes, writeBytes } from '../src/index.js';
import type { FieldLayout, ScalarType, StructLayout } from '../src/index.js';

const LAYOUTS: Readonly<Record<string, StructLayout>> = {
  ...uapi.WatchQueueLayouts,
  ...uapi.UmmunotifyLayouts,
  ...uapi.KueLayouts,
};
const api = uapi as unknown as Record<string, unknown>;

const camel = (s: string): string => s.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
const pascal = (s: string): string => {
  const c = camel(s);
  return c.charAt(0).toUpperCase() + c.slice(1);
};
type Fn = (...args: never[]) => unknown;
function fn(name: string): (...args: unknown[]) => unknown {
  const f = api[name];
  if (typeof f !== 'function') throw new Error(`@kchan/uapi exports no function ${name}`);
  return f as Fn as (...args: unknown[]) => unknown;
}

const SCALARS: Readonly<Record<ScalarType, { bytes: number; signed: boolean }>> = {
  u8: { bytes: 1, signed: false },
  u16: { bytes: 2, signed: false },
  u32: { bytes: 4, signed: false },
  u64: { bytes: 8, signed: false },
  s8: { bytes: 1, signed: true },
  s16: { bytes: 2, signed: true },
  s32: { bytes: 4, signed: true },
  s64: { bytes: 8, signed: true },
};
const scalar = (type: string): { bytes: number; signed: boolean } | undefined => SCALARS[type as ScalarType];

/** Little-endian read of a scalar, byte by byte (not through DataView's typed getters). */
function readRaw(bytes: Uint8Array, offset: number, type: string): number | bigint {
  const s = scalar(type);
  if (!s) throw new Error(`not a scalar: ${type}`);
  let v = 0n;
  for (let i = s.bytes - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[offset + i] ?? 0);
  if (s.signed) v = BigInt.asIntN(s.bytes * 8, v);
  return s.bytes === 8 ? v : Number(v);
}

/** A value of `type`, drawn from `rand` (a u64 as a bigint). */
function valueOf(type: string, rand: bigint): number | bigint {
  const s = scalar(type);
  if (!s) throw new Error(`not a scalar: ${type}`);
  const bits = s.bytes * 8;
  const v = s.signed ? BigInt.asIntN(bits, rand) : BigInt.asUintN(bits, rand);
  return s.bytes === 8 ? v : Number(v);
}

const randomBytes = (n: number, seed: number): Uint8Array => {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
};

/** Fill the string fields of `layout` (and of nested structs) at `base` with NUL-padded ASCII. */
function fixStrings(bytes: Uint8Array, base: number, layout: StructLayout, seed: number): void {
  for (const f of Object.values(layout.fields)) {
    const nested = LAYOUTS[f.type];
    if (f.string) {
      const len = seed % (f.size - 1);
      for (let i = 0; i < f.size; i++) bytes[base + f.offset + i] = i < len ? 0x21 + ((seed + i * 7) % 94) : 0;
    } else if (nested && !f.flexible) {
      const n = f.count ?? 1;
      for (let i = 0; i < n; i++) fixStrings(bytes, base + f.offset + i * (f.elementSize ?? nested.size), nested, seed + i);
    }
  }
}

const flexibleOf = (layout: StructLayout): FieldLayout | undefined => Object.values(layout.fields).find((f) => f.flexible);

describe.each(Object.entries(LAYOUTS))('struct %s', (name, layout) => {
  const S = pascal(name);
  const s = camel(name);
  // Room for the struct at an unaligned offset and, for a flexible array, three elements.
  const flex = flexibleOf(layout);
  const span = layout.size + (flex ? 3 * (flex.elementSize ?? 0) : 0);

  for (const [field, f] of Object.entries(layout.fields)) {
    if (f.flexible || LAYOUTS[f.type]) continue; // nested structs: decode/encode below
    if (f.string) {
      it(`${field}: the string accessor reads up to the first NUL of the ${f.size}-byte field`, () => {
        const bytes = randomBytes(span + 3, 7);
        const text = 'kchan0'.slice(0, f.size - 1);
        bytes.fill(0, 3 + f.offset, 3 + f.offset + f.size);
        bytes.set(new TextEncoder().encode(text), 3 + f.offset);
        expect(fn(`${s}${pascal(field)}`)(new DataView(bytes.buffer), 3)).toBe(text);
      });
      continue;
    }
    if (f.bitfields) {
      for (const [bit, bits] of Object.entries(f.bitfields)) {
        it(`${field}.${bit}: bits ${bits.shift}..${bits.shift + bits.width - 1} and no others`, () => {
          fc.assert(
            fc.property(fc.nat({ max: 64 }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.integer(), (at, rand, seed) => {
              const bytes = randomBytes(at + span, seed);
              const before = bytes.slice();
              const view = new DataView(bytes.buffer);
              const value = Number(BigInt.asUintN(bits.width, rand));
              fn(`set${S}${pascal(bit)}`)(view, at, value);
              const word = Number(readRaw(bytes, at + f.offset, f.type));
              const old = Number(readRaw(before, at + f.offset, f.type));
              expect(((word & bits.mask) >>> bits.shift) >>> 0).toBe(value);
              expect((word & ~bits.mask) >>> 0).toBe((old & ~bits.mask) >>> 0);
              expect(fn(`${s}${pascal(bit)}`)(view, at)).toBe(value);
              // Bytes outside the word: untouched.
              bytes.set(before.subarray(at + f.offset, at + f.offset + f.size), at + f.offset);
              expect(bytes).toEqual(before);
            }),
            { numRuns: 50 },
          );
        });
      }
      continue;
    }
    const count = f.count ?? 0;
    const elementSize = f.elementSize ?? f.size;
    it(`${field}: ${count ? `${count} × ` : ''}${f.type} at offset ${f.offset}, and no other bytes`, () => {
      fc.assert(
        fc.property(fc.nat({ max: 64 }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.integer(), (at, rand, seed) => {
          const bytes = randomBytes(at + span, seed);
          const before = bytes.slice();
          const view = new DataView(bytes.buffer);
          const value = valueOf(f.type, rand);
          const index = count ? Number(rand % BigInt(count)) : undefined;
          const args = index === undefined ? [view, at] : [view, at, index];
          const where = at + f.offset + (index ?? 0) * elementSize;
          fn(`set${S}${pascal(field)}`)(...args, value);
          expect(readRaw(bytes, where, f.type)).toBe(value);
          expect(fn(`${s}${pascal(field)}`)(...args)).toBe(value);
          bytes.set(before.subarray(where, where + elementSize), where);
          expect(bytes).toEqual(before);
        }),
        { numRuns: 50 },
      );
    });
    if (count) {
      it(`${field}: an index outside [0, ${count}) is a RangeError, for reads and writes`, () => {
        const view = new DataView(new ArrayBuffer(span));
        for (const index of [-1, count, 0.5, Number.NaN]) {
          expect(() => fn(`${s}${pascal(field)}`)(view, 0, index)).toThrow(RangeError);
          expect(() => fn(`set${S}${pascal(field)}`)(view, 0, index, 0)).toThrow(RangeError);
        }
      });
    }
  }

  it(`decode${S}(encode${S}(decode${S}(bytes))) is the same value, and encode returns its size`, () => {
    fc.assert(
      fc.property(fc.nat({ max: 64 }), fc.integer(), fc.nat({ max: 3 }), (at, seed, n) => {
        const bytes = randomBytes(at + span, seed);
        fixStrings(bytes, at, layout, seed >>> 0);
        if (flex) {
          const nested = LAYOUTS[flex.type];
          for (let i = 0; i < n; i++) if (nested) fixStrings(bytes, at + flex.offset + i * (flex.elementSize ?? 0), nested, seed + i);
        }
        const count = flex ? [n] : [];
        const value = fn(`decode${S}`)(new DataView(bytes.buffer), at, ...count);
        const out = new Uint8Array(at + span);
        const written = fn(`encode${S}`)(new DataView(out.buffer), at, value);
        expect(written).toBe(layout.size + (flex ? n * (flex.elementSize ?? 0) : 0));
        expect(fn(`decode${S}`)(new DataView(out.buffer), at, ...count)).toEqual(value);
        // Every field's bytes are the input's (reserved and padding may differ).
        for (const f of Object.values(layout.fields)) {
          if (f.flexible) continue;
          expect(out.subarray(at + f.offset, at + f.offset + f.size), f.type).toEqual(bytes.subarray(at + f.offset, at + f.offset + f.size));
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe('copyBytes / writeBytes', () => {
  it('copy out a field, and write one zero-filled', () => {
    const bytes = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
    const view = new DataView(bytes.buffer, 2);
    const copy = copyBytes(view, 1, 4);
    expect([...copy]).toEqual([4, 5, 6, 7]);
    bytes[3] = 99; // a copy, not a view
    expect(copy[0]).toBe(4);
    writeBytes(view, 1, 6, Uint8Array.of(9, 8));
    expect([...bytes.subarray(3, 9)]).toEqual([9, 8, 0, 0, 0, 0]);
    expect(bytes[9]).toBe(10);
    expect(() => writeBytes(view, 1, 2, Uint8Array.of(1, 2, 3))).toThrow(RangeError);
  });
});
