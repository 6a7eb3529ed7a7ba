// Region memory is charged to the opening user against RLIMIT_MEMLOCK, and
// an event put back after EFAULT goes to its own region only: checked by a
// small C program (setrlimit, setresuid, userfaultfd) built with the
// generated header and run as root in the VM.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const inVm = process.env.KCHAN_VM === '1';
const here = dirname(fileURLToPath(import.meta.url));
const uapi = resolve(here, '../../../../kernel/include/uapi');

describe.skipIf(!inVm)('/dev/ummunotify memory limits (needs KCHAN_VM=1: run with node vm/run.mjs test)', () => {
  it('charges regions and the slot array to RLIMIT_MEMLOCK per user, uncharges them, spares CAP_IPC_LOCK; puts events back to their own region', () => {
    const bin = join(mkdtempSync(join(tmpdir(), 'ummu-')), 'ummu_memlock');
    execFileSync('gcc', ['-O2', '-Wall', '-Werror', '-pthread', `-I${uapi}`, join(here, 'c/ummu_memlock.c'), '-o', bin]);
    let out: string;
    let status = 0;
    try {
      out = execFileSync(bin, { encoding: 'utf8', timeout: 60_000 });
    } catch (e) {
      const err = e as { stdout?: string; status?: number };
      out = String(err.stdout ?? e);
      status = err.status ?? -1;
    }
    expect(out.split('\n').filter((l) => l.startsWith('FAIL'))).toEqual([]);
    expect(out.match(/^ok /gm)).toHaveLength(27);
    expect(status).toBe(0);
  });
});
