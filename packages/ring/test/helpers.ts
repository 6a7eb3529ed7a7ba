import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { RingEntry } from '../src/index.js';

/**
 * Compile bench/ringbench.c (a C producer speaking the kernel's side of the
 * ring protocol) into a fresh temp dir; returns the dir (remove it after)
 * and the binary.
 */
export function buildRingbench(prefix: string): { dir: string; bin: string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const bin = join(dir, 'ringbench');
  const src = fileURLToPath(new URL('../bench/ringbench.c', import.meta.url));
  const inc = fileURLToPath(new URL('../../uapi/include', import.meta.url));
  execFileSync('gcc', ['-O2', `-I${inc}`, '-o', bin, src]);
  return { dir, bin };
}

/** Payload of `slots - 1` slots as u32 words seq, seq + 1, ... (the kchan_test pattern). */
export function patternPayload(seq: number, slots: number): Uint8Array {
  const words = new Uint32Array((slots - 1) * 2);
  for (let k = 0; k < words.length; k++) words[k] = (seq + k) >>> 0;
  return new Uint8Array(words.buffer);
}

/** Check an entry's payload against patternPayload(); returns its seq or throws. */
export function checkPattern(e: RingEntry): number {
  const n = (e.slots - 1) * 2;
  if (n === 0) return -1;
  const base = e.offset + 8;
  const seq = e.view.getUint32(base, true);
  for (let k = 1; k < n; k++) {
    const got = e.view.getUint32(base + k * 4, true);
    if (got !== ((seq + k) >>> 0)) throw new Error(`torn entry: word ${k} = ${got}, seq ${seq}`);
  }
  return seq;
}
