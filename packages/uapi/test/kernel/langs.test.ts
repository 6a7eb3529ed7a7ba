// Python and Rust programs against the real devices (issue 22): each runs the same cases
// with its language's client (packages/uapi/python/kchan_uapi/client.py,
// packages/uapi/rust/src/client.rs) and prints "ok <lang> <case>" or "FAIL <lang> <case>".
// Build them on the host first: `pnpm --filter @kchan/uapi build` (scripts/langs-build.mjs).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const inVm = process.env.KCHAN_VM === '1';
const SKIP_REASON = 'needs the kchan modules: run with `node vm/run.mjs test` (KCHAN_VM=1)';
const PKG = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CASES = ['wq_kapi_wrap', 'wq_loss', 'wq_netdev', 'kue_records', 'ummunotify'];
const BUILD_HINT = 'build it on the host first: pnpm --filter @kchan/uapi build';

function run(lang: string, cmd: string, args: string[], env: Record<string, string> = {}): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 240_000 });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  process.stdout.write(out);
  expect(r.error, `${cmd}: ${String(r.error)}`).toBeUndefined();
  const ok = (r.stdout ?? '').split('\n').filter((l) => l.startsWith(`ok ${lang} `)).map((l) => l.slice(`ok ${lang} `.length));
  expect(ok, out).toEqual(CASES);
  expect(r.status, out).toBe(0);
}

describe.skipIf(!inVm)('Python and Rust clients in the kernel' + (inVm ? '' : ` (skipped: ${SKIP_REASON})`), () => {
  it('python: watch_queue (kapi, wrap, loss, netdev), kue (records, late opener, EFBIG), ummunotify (event + generation)', () => {
    const helper = readdirSync(join(PKG, 'python/kchan_uapi')).find((f) => /^_order.*\.so$/.test(f));
    expect(helper, `python/kchan_uapi/_order.so is missing: ${BUILD_HINT}`).toBeDefined();
    // Debian's python3: the guest's HOME is not the host's, so pyenv shims do not work there.
    const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
    run('python', python, ['-B', join(PKG, 'test/kernel/langs/check.py')], { PYTHONPATH: join(PKG, 'python') });
  }, 300_000);

  it('rust: the same cases through kchan_uapi::client', () => {
    // On arm64 the VM harness builds it for the guest (vm/lib/arm64.mjs).
    const target = process.arch === 'arm64' ? 'target/aarch64-unknown-linux-gnu/release' : 'target/release';
    const bin = join(PKG, 'test/kernel/langs/rust', target, 'kchan-langs-check');
    expect(existsSync(bin), `${bin} is missing: ${BUILD_HINT}`).toBe(true);
    run('rust', bin, []);
  }, 300_000);
});
