// No missed invalidation (issue 17): a C program races registrations
// against munmap/mmap/madvise(DONTNEED)/mremap of the same ranges and checks,
// through /proc/self/pagemap, that every registration whose page frames
// changed after REGISTER returned got an event (c/ummu_race.c says how).
// A short run here; `pnpm test:stress` runs 1,000,000 registrations
// (KCHAN_UMMU_RACE_REGS).
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const inVm = process.env.KCHAN_VM === '1';
const here = dirname(fileURLToPath(import.meta.url));
const uapi = resolve(here, '../../../../kernel/include/uapi');
const regs = Number(process.env.KCHAN_UMMU_RACE_REGS ?? 30_000);

describe.skipIf(!inVm)('/dev/ummunotify registration races (needs KCHAN_VM=1: run with node vm/run.mjs test)', () => {
  it(`reports every change of the pages behind a registration made after it returned (${regs} registrations)`, () => {
    const bin = join(mkdtempSync(join(tmpdir(), 'ummu-')), 'ummu_race');
    execFileSync('gcc', ['-O2', '-Wall', '-Werror', '-pthread', `-I${uapi}`, join(here, 'c/ummu_race.c'), '-o', bin]);
    let out: string;
    let status = 0;
    try {
      out = execFileSync(bin, [String(regs)], { encoding: 'utf8', timeout: 3_600_000 });
    } catch (e) {
      const err = e as { stdout?: string; status?: number };
      out = String(err.stdout ?? e);
      status = err.status ?? -1;
    }
    console.log(out.trim());
    const m = /regs=(\d+) checked=(\d+) changed=(\d+) events=(\d+) misses=(\d+)/.exec(out);
    expect(m, out).not.toBeNull();
    expect(Number(m![1])).toBe(regs);
    expect(Number(m![5]), out).toBe(0);
    expect(Number(m![3])).toBeGreaterThan(0);
    expect(status).toBe(0);
  }, 3_600_000);
});
