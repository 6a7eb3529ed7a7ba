// Helpers for the watch_queue kernel tests (run in the VM only).
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, readSync, writeSync } from 'node:fs';

export const inVm = process.env.KCHAN_VM === '1';
export const SKIP_REASON = 'needs the kchan modules: run with `node vm/run.mjs test` (KCHAN_VM=1)';

/** Run one kchan_test command; returns its status line as key=value numbers. */
export function kcmd(line: string): Record<string, number> {
  const fd = openSync('/dev/kchan_test', 'r+');
  try {
    writeSync(fd, line);
    const buf = Buffer.alloc(256);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const out: Record<string, number> = {};
    for (const kv of buf.subarray(0, n).toString('utf8').trim().split(/\s+/)) {
      const [k, v] = kv.split('=');
      if (k && v !== undefined) out[k] = Number(v);
    }
    return out;
  } finally {
    closeSync(fd);
  }
}

/** Run a command in the guest (insmod, ip ...); throws on failure. */
export function sh(cmd: string, ...args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Directory where the harness puts the guest kernel's extra modules (dummy, veth, ifb). */
export const EXTRA_MODULES = '/run/kchan-vm/modules';
