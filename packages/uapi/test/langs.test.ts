// Host tests of the Python and Rust clients' pure parts (issue 22): the ring scanner,
// kue record and ummunotify event decoding, the Python order helper. The devices
// themselves are tested in the VM by test/kernel/langs.test.ts.
import { execFileSync, spawnSync } from 'node:child_process';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tmp, which } from './proof-lib.js';

const PKG = join(ROOT, 'packages/uapi');

describe('language clients (host)', () => {
  it('python: kchan_uapi.client unittest (with _order.c built fresh)', () => {
    const lib = join(tmp('order'), '_order.so');
    execFileSync(which('cc') ?? 'cc', ['-O2', '-Wall', '-Wextra', '-Werror', '-shared', '-fPIC', '-o', lib, join(PKG, 'python/kchan_uapi/_order.c')]);
    const r = spawnSync('python3', ['-B', join(PKG, 'test/langs/test_client.py')], {
      encoding: 'utf8',
      env: { ...process.env, PYTHONPATH: join(PKG, 'python'), KCHAN_UAPI_ORDER_LIB: lib },
    });
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
    expect(r.stderr).toMatch(/Ran 6 tests[\s\S]*OK/);
  }, 60_000);

  it('rust: cargo test of kchan_uapi::client', () => {
    const cargo = which('cargo', [join(homedir(), '.cargo', 'bin')]);
    if (!cargo) throw new Error('cargo not found on PATH or in ~/.cargo/bin: install Rust (rustup) to run the Rust client tests');
    const r = spawnSync(cargo, ['test', '--offline', '--quiet'], {
      cwd: join(PKG, 'rust'),
      encoding: 'utf8',
      env: { ...process.env, PATH: `${dirname(cargo)}:${process.env.PATH ?? ''}` },
    });
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
    expect(r.stdout).toContain('test result: ok. 4 passed');
  }, 300_000);
});
