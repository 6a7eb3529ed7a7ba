// Self-test of the VM harness: runs with the kernel tests (vitest.kernel.config.mjs).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { machine, release } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const inVm = process.env.KCHAN_VM === '1';

describe.skipIf(!inVm)('VM harness (needs KCHAN_VM=1: run with node vm/run.mjs test)', () => {
  it('runs on the kernel it claims', () => {
    expect(process.env.KCHAN_KERNEL).toBe(release());
    expect(readFileSync('/proc/sys/kernel/hostname', 'utf8').trim()).toBe('kchan-vm');
  });

  it("runs a Node of the kernel's architecture (arm64 guest: the arm64 userland over the host root)", () => {
    expect(process.arch).toBe(({ x86_64: 'x64', aarch64: 'arm64' } as Record<string, string>)[machine()]);
    // The guest kernel runs no foreign binaries: the sh the tests spawn runs, so it is native.
    const out = execFileSync('sh', ['-c', 'uname -m'], { encoding: 'utf8' }).trim();
    expect(out).toBe(machine());
  });

  it('has kchan.ko and kchan_test.ko loaded and /dev/kchan_test present', () => {
    const mods = readFileSync('/proc/modules', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[0]);
    expect(mods).toContain('kchan');
    expect(mods).toContain('kchan_test');
    expect(existsSync('/dev/kchan_test')).toBe(true);
  });

  it('gives a writable view of the host tree', () => {
    const p = join(process.cwd(), 'node_modules', `.kchan-vm-write-${process.pid}`);
    writeFileSync(p, 'x');
    expect(readFileSync(p, 'utf8')).toBe('x');
    rmSync(p);
  });

  it('can load and unload a stock module (dummy)', () => {
    const dir = process.env.KCHAN_VM_MODULES ?? '';
    expect(existsSync(join(dir, 'dummy.ko'))).toBe(true);
    execFileSync('insmod', [join(dir, 'dummy.ko')]);
    expect(readFileSync('/proc/modules', 'utf8')).toMatch(/^dummy /m);
    execFileSync('rmmod', ['dummy']);
    expect(readFileSync('/proc/modules', 'utf8')).not.toMatch(/^dummy /m);
  });

  it('can write results to the share', () => {
    const dir = process.env.KCHAN_VM_RESULTS ?? '';
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'harness-selftest.txt'), `${release()}\n`);
  });
});
