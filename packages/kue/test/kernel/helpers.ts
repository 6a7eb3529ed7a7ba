// Helpers for the kue kernel tests: /dev/kchan_test commands and raw
// /dev/kue access through node:fs (no addon needed).
import { closeSync, constants, openSync, readFileSync, readSync, writeFileSync, writeSync } from 'node:fs';

import { KUE_HDR_SIZE, decodeRecords, type KueMessage } from '../../src/index.js';

export const inVm = process.env.KCHAN_VM === '1';
export const SKIP_REASON = 'needs the kchan modules: run with `node vm/run.mjs test` (KCHAN_VM=1)';

const LIMIT_PARAM = '/sys/module/kchan/parameters/kue_limit_bytes';

/** Run one kchan_test command; returns the status line it left. */
export function kcmd(line: string): string {
  const fd = openSync('/dev/kchan_test', 'r+');
  try {
    writeSync(fd, line);
    const buf = Buffer.alloc(512);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** Parse "k=v k=v" status lines into bigints. */
export function status(line: string): Record<string, bigint> {
  const out: Record<string, bigint> = {};
  for (const kv of line.trim().split(/\s+/)) {
    const [k, v] = kv.split('=');
    if (k && v !== undefined) out[k] = BigInt(v);
  }
  return out;
}

/** Sequence numbers a send-like command reported. */
export function sent(line: string): { first: bigint; last: bigint } {
  const s = status(line);
  return { first: s.first!, last: s.last! };
}

const COUNT_KEYS = [
  'queued_msgs',
  'queued_bytes',
  'readers',
  'next_seq',
  'freed',
  'dropped',
  'cb_delivered',
  'cb_dropped',
  'cb_recalled',
] as const;
export type KueCounts = Record<(typeof COUNT_KEYS)[number], bigint>;

/** `kue count`: waits for due callbacks, then returns the counters. */
export function counts(): KueCounts {
  const line = kcmd('kue count');
  const s = status(line);
  const out = {} as KueCounts;
  for (const k of COUNT_KEYS) {
    const v = s[k];
    if (v === undefined) throw new Error(`kue count: no ${k} in '${line}'`);
    out[k] = v;
  }
  return out;
}

export function getLimit(): number {
  return Number(readFileSync(LIMIT_PARAM, 'utf8').trim());
}

export function setLimit(bytes: number): void {
  writeFileSync(LIMIT_PARAM, `${bytes}\n`);
}

/** Open /dev/kue non-blocking with node:fs. */
export function rawOpen(): number {
  return openSync('/dev/kue', constants.O_RDONLY | constants.O_NONBLOCK);
}

/** One read(2); returns the decoded messages (copies), [] on EAGAIN. */
export function rawRead(fd: number, size = 1 << 20): KueMessage[] {
  const buf = new Uint8Array(size);
  let n: number;
  try {
    n = readSync(fd, buf, 0, size, null);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EAGAIN') return [];
    throw err;
  }
  return decodeRecords(buf, n, true);
}

/** Read until EAGAIN. */
export function rawDrain(fd: number, size = 1 << 20): KueMessage[] {
  const all: KueMessage[] = [];
  for (;;) {
    const m = rawRead(fd, size);
    if (m.length === 0) return all;
    all.push(...m);
  }
}

/** The payload kchan_test's send/burst write for message i (see test_kue.c). */
export function pattern(i: number, size: number): Uint8Array {
  const b = new Uint8Array(size);
  for (let j = 0; j < size; j++) b[j] = (i + j) & 0xff;
  if (size >= 4) new DataView(b.buffer).setUint32(0, i, true);
  return b;
}

export const text = (b: Uint8Array): string => new TextDecoder().decode(b);

export { KUE_HDR_SIZE };
