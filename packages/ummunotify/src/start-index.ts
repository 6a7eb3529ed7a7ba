// StartIndex: an open-addressing hash table from a start address to the
// entries starting there (duplicates allowed), for the cache's hit path.
//
// Each slot keeps the entry's start and end in one Float64Array, next to
// each other, so a probe reads one cache line before it touches any entry
// object; a parallel array holds the values. Linear probing, at most half
// full, backward-shift deletion (no tombstones). Keys are JS numbers that
// are exact integers (user addresses < 2^53).

const EMPTY = -1;
/** 2^-32: multiplying by it is exact (unlike dividing, it is also cheap). */
const TWO_NEG32 = 2.3283064365386963e-10;

export interface Spanned {
  readonly address: number;
  readonly end: number;
}

export class StartIndex<V extends Spanned> {
  #mask: number;
  /** 32 - log2(slots): the home slot is the hash's top bits. */
  #shift: number;
  /** [start, end] per slot; start EMPTY for a free slot. */
  #keys: Float64Array;
  #vals: (V | undefined)[];
  #size = 0;

  constructor(capacity = 64) {
    let cap = 16;
    while (cap < capacity * 2) cap *= 2;
    this.#mask = cap - 1;
    this.#shift = 32 - Math.log2(cap);
    this.#keys = new Float64Array(cap * 2).fill(EMPTY);
    this.#vals = new Array<V | undefined>(cap).fill(undefined);
  }

  get size(): number {
    return this.#size;
  }

  /**
   * Home slot: multiplicative (Fibonacci) hashing of the two 32-bit halves,
   * keeping the product's top bits, which depend on every bit of the low
   * half (page-aligned keys have 12+ zero low bits, so low bits would not
   * do). Two multiplies: fewer instructions on the hit path than a full
   * avalanche, which linear probing at most half full does not need.
   */
  #slot(start: number): number {
    const hi = (start * TWO_NEG32) | 0; // < 2^21 for keys < 2^53
    return Math.imul((start >>> 0) ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1) >>> this.#shift;
  }

  /** The first value starting at `start` whose end is >= `end`, or undefined. */
  find(start: number, end: number): V | undefined {
    const keys = this.#keys;
    const mask = this.#mask;
    for (let s = this.#slot(start); ; s = (s + 1) & mask) {
      const k = keys[2 * s]!;
      if (k === EMPTY) return undefined;
      if (k === start && keys[2 * s + 1]! >= end) return this.#vals[s];
    }
  }

  add(v: V): void {
    if ((this.#size + 1) * 2 > this.#mask + 1) this.#grow();
    this.#put(v);
    this.#size++;
  }

  #put(v: V): void {
    const keys = this.#keys;
    const mask = this.#mask;
    let s = this.#slot(v.address);
    while (keys[2 * s] !== EMPTY) s = (s + 1) & mask;
    keys[2 * s] = v.address;
    keys[2 * s + 1] = v.end;
    this.#vals[s] = v;
  }

  /** Remove `v` (by identity); false if absent. */
  delete(v: V): boolean {
    const keys = this.#keys;
    const vals = this.#vals;
    const mask = this.#mask;
    let s = this.#slot(v.address);
    for (;;) {
      if (keys[2 * s] === EMPTY) return false;
      if (vals[s] === v) break;
      s = (s + 1) & mask;
    }
    // Backward-shift: move later members of the probe run into the hole
    // when their home slot is not in (hole, current].
    let hole = s;
    for (let j = (s + 1) & mask; keys[2 * j] !== EMPTY; j = (j + 1) & mask) {
      const home = this.#slot(keys[2 * j]!);
      const inRange = hole <= j ? hole < home && home <= j : hole < home || home <= j;
      if (inRange) continue;
      keys[2 * hole] = keys[2 * j]!;
      keys[2 * hole + 1] = keys[2 * j + 1]!;
      vals[hole] = vals[j];
      hole = j;
    }
    keys[2 * hole] = EMPTY;
    vals[hole] = undefined;
    this.#size--;
    return true;
  }

  #grow(): void {
    const old = this.#vals;
    const cap = (this.#mask + 1) * 2;
    this.#mask = cap - 1;
    this.#shift = 32 - Math.log2(cap);
    this.#keys = new Float64Array(cap * 2).fill(EMPTY);
    this.#vals = new Array<V | undefined>(cap).fill(undefined);
    for (const v of old) if (v !== undefined) this.#put(v);
  }
}
