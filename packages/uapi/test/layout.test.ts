// Layout proof: the C compiler's view of the generated headers must equal
// the TypeScript layouts, Python ctypes and the Rust crate, line for line.

import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as kue from '../src/generated/kue.js';
import * as ummunotify from '../src/generated/ummunotify.js';
import * as watchQueue from '../src/generated/watch_queue.js';
import type { StructLayout } from '../src/layout.js';
import { PKG, cProof, diffProof, pyProof, rustProof, tmp, tsProof } from './proof-lib.js';

function tsLines(overrideLayouts?: Readonly<Record<string, StructLayout>>): string[] {
  return [
    ...tsProof(watchQueue, overrideLayouts ?? watchQueue.WatchQueueLayouts),
    ...tsProof(ummunotify, ummunotify.UmmunotifyLayouts),
    ...tsProof(kue, kue.KueLayouts),
  ].sort();
}

describe('layout proof', () => {
  let c: string[] = [];
  beforeAll(() => {
    c = cProof();
  }, 60_000);

  it('the C program covers every struct, field, bit field and constant', () => {
    expect(c.filter((l) => l.startsWith('size ')).length).toBe(
      Object.keys(watchQueue.WatchQueueLayouts).length + Object.keys(ummunotify.UmmunotifyLayouts).length + Object.keys(kue.KueLayouts).length,
    );
    expect(c).toContain('bits watch_notification.type 0 0xffffff rest 0');
    expect(c).toContain('bits watch_notification.subtype 0 0xff000000 rest 0');
    expect(c).toContain('const UMMUNOTIFY_EXCHANGE_FEATURES 3221509377'); // 0xc0045501
    expect(c).toContain('const WATCH_INFO_LENGTH 504'); // 0x1f8
  });

  it('TypeScript layouts, encoders and constants match C', () => {
    expect(diffProof(c, tsLines())).toEqual([]);
  });

  it('Python ctypes matches C', () => {
    expect(diffProof(c, pyProof())).toEqual([]);
  });

  it('the Rust crate matches C', () => {
    expect(diffProof(c, rustProof())).toEqual([]);
  }, 120_000);

  it('fails on a corrupted TS layout', () => {
    const bad = structuredClone(watchQueue.WatchQueueLayouts) as unknown as { watch_queue_meta: { fields: { tail: { offset: number } } } };
    bad.watch_queue_meta.fields.tail.offset = 16;
    const diff = diffProof(c, tsLines(bad as unknown as Readonly<Record<string, StructLayout>>));
    expect(diff).toEqual(['- offset watch_queue_meta.tail 12', '+ offset watch_queue_meta.tail 16']);
  });

  it('fails when the headers come from a different (mutated) spec', () => {
    // A valid spec whose meta entry has head and tail swapped: it generates
    // fine, but its C layout no longer matches the committed TS layouts.
    const spec = readFileSync(join(PKG, 'spec/kchan.yaml'), 'utf8')
      .replace('- { name: head, type: u32, offset: 8,', '- { name: tmp_head, type: u32, offset: 8,')
      .replace('- { name: tail, type: u32, offset: 12,', '- { name: head, type: u32, offset: 12,')
      .replace('- { name: tmp_head, type: u32, offset: 8,', '- { name: tail, type: u32, offset: 8,');
    const dir = tmp('mutated');
    writeFileSync(join(dir, 'kchan.yaml'), spec);
    execFileSync(process.execPath, [join(PKG, 'scripts/gen.mjs'), '--spec', join(dir, 'kchan.yaml'), '--out', dir, '--quiet']);
    const diff = diffProof(cProof(dir), tsLines());
    expect(diff).toContain('- offset watch_queue_meta.head 12');
    expect(diff).toContain('+ offset watch_queue_meta.head 8');
  }, 60_000);
});
