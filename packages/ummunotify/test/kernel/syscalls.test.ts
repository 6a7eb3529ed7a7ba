// What Node cannot call directly (fasync/SIGIO, a blocking read(), a read
// into a bad pointer), checked by a small C program built with the
// generated header and run in the VM.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const inVm = process.env.KCHAN_VM === '1';
const here = dirname(fileURLToPath(import.meta.url));
const uapi = resolve(here, '../../../../kernel/include/uapi');

describe.skipIf(!inVm)('/dev/ummunotify from C (needs KCHAN_VM=1: run with node vm/run.mjs test)', () => {
  it('wakes a blocking read, sends SIGIO, keeps events across EFAULT, takes back a slot on EFAULT, owes a LAST whose copy faulted', () => {
    const bin = join(mkdtempSync(join(tmpdir(), 'ummu-')), 'ummu_syscalls');
    execFileSync('gcc', ['-O2', '-Wall', '-Werror', '-pthread', `-I${uapi}`, join(here, 'c/ummu_syscalls.c'), '-o', bin]);
    let out: string;
    try {
      out = execFileSync(bin, { encoding: 'utf8', timeout: 30_000 });
    } catch (e) {
      out = String((e as { stdout?: string }).stdout ?? e);
    }
    expect(out.split('\n').filter((l) => l.startsWith('FAIL'))).toEqual([]);
    expect(out.match(/^ok /gm)).toHaveLength(16);
  });
});
