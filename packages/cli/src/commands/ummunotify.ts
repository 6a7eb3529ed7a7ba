/**
 * `kchan ummunotify --demo`: map anonymous memory, register three ranges of
 * it, then unmap and discard parts of it and show the INVAL events and the
 * generation counter as the kernel reports them.
 */
import * as native from '@kchan/native';
import { Ummunotify, type InvalidationEvent } from '@kchan/ummunotify';
import { setTimeout as sleep } from 'node:timers/promises';

import type { CommonOptions } from '../cli.js';
import { hex } from '../output.js';

export interface UmmunotifyDemoOptions {
  /** How many of the demo's invalidation steps to run (default all). */
  steps?: number;
  /** Pause between steps (default 700 ms). */
  intervalMs?: number;
}

const PAGES = 16;

export async function runUmmunotify(common: CommonOptions, opts: UmmunotifyDemoOptions = {}): Promise<void> {
  const { printer, signal } = common;
  const page = native.pageSize;
  const client = Ummunotify.open();
  let mapping: native.Mapping | undefined = native.mmapAnonymous(PAGES * page, native.PROT_READ | native.PROT_WRITE);
  const pieces: native.Mapping[] = [];
  try {
    const base = mapping.address;
    const regions: Array<[string, bigint, bigint, bigint]> = [
      ['whole mapping', base, BigInt(PAGES * page), 1n],
      ['first half', base, BigInt((PAGES / 2) * page), 2n],
      ['pages 10-11', base + BigInt(10 * page), BigInt(2 * page), 3n],
    ];
    const names = new Map<bigint, string>();
    for (const [name, addr, len, cookie] of regions) {
      client.register(addr, len, cookie);
      names.set(cookie, name);
      printer.note(`ummunotify: registered ${name} ${hex(addr)}+${hex(len)} as cookie ${cookie}`);
    }
    let lastGeneration = client.generation;
    const report = (ev: InvalidationEvent): void => {
      const gen = client.generation;
      printer.event(
        { device: 'ummunotify', kind: 'inval', cookie: ev.cookie, hintStart: ev.hintStart, hintEnd: ev.hintEnd, generation: gen },
        `inval  cookie ${ev.cookie} (${names.get(ev.cookie) ?? '?'}) ${hex(ev.hintStart)}-${hex(ev.hintEnd)} generation ${gen}`,
        'green',
      );
      lastGeneration = gen;
    };
    const steps: Array<[string, () => void]> = [
      ['munmap page 2', () => {
        const m = mapping as native.Mapping;
        pieces.push(...native.munmapRange(m, 2 * page, page));
        mapping = undefined;
      }],
      ['madvise(DONTNEED) pages 10-11', () => {
        const tail = pieces.find((p) => p.address <= base + BigInt(10 * page) && p.address + BigInt(p.length) >= base + BigInt(12 * page));
        if (tail) native.madvise(tail, Number(base + BigInt(10 * page) - tail.address), 2 * page, native.MADV_DONTNEED);
      }],
      ['munmap everything', () => {
        for (const p of pieces.splice(0)) p.unmap();
      }],
    ];
    const limit = Math.min(opts.steps ?? steps.length, steps.length);
    for (const [say, act] of steps.slice(0, limit)) {
      await sleep(opts.intervalMs ?? 700, undefined, { signal });
      printer.note(`» ummunotify: ${say}`);
      act();
      // The generation counter moves first: one load tells that something changed.
      if (client.generation !== lastGeneration) {
        for (const ev of client.drain().events) report(ev);
      }
    }
  } catch (err) {
    if (!signal.aborted) throw err;
  } finally {
    mapping?.unmap();
    for (const p of pieces) p.unmap();
    client.close();
  }
}
