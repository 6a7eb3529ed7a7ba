// The one place @kchan/ring touches memory order (liburing's barrier.h in
// spirit): every acquire load and release store of the ring's shared
// indices goes through these two functions, so each call site can name its
// partner on the other side of the ring.
//
// They use Atomics, which are sequentially consistent: stronger than the
// acquire/release the contract requires, and, unlike plain typed-array
// accesses, never hoisted out of a loop, merged or reordered by V8's
// optimising compiler. Atomics work on a plain ArrayBuffer too (the native
// addon's external mmap buffer) as well as on a SharedArrayBuffer.

/** A 32-bit view of the ring used for the index words. */
export type IndexWords = Uint32Array;

/**
 * Load `words[index]` with (at least) acquire order: entries read after it
 * are at least as new as the value loaded.
 */
export function loadAcquire(words: IndexWords, index: number): number {
  return Atomics.load(words, index) >>> 0;
}

/**
 * Store `value` to `words[index]` with (at least) release order: every
 * read and write before it is done before the other side can see it.
 */
export function storeRelease(words: IndexWords, index: number, value: number): void {
  Atomics.store(words, index, value >>> 0);
}

/**
 * A full barrier between an earlier store and a later load (the kernel's
 * smp_mb()). Atomics are sequentially consistent, so a store followed by an
 * Atomics load of any word is already ordered; this is a seq_cst
 * read-modify-write of `words[index]` that changes nothing, for the writer
 * simulation's wake handshake.
 */
export function fullBarrier(words: IndexWords, index: number): void {
  Atomics.add(words, index, 0);
}
