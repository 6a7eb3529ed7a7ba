#!/usr/bin/env node
// Build what the Python and Rust kernel tests (test/kernel/langs.test.ts) run in the VM,
// on the host, where it is fast: the Python client's _order helper, in place
// (python/kchan_uapi/_order.so, git-ignored), and the Rust check program
// (test/kernel/langs/rust/target/release/kchan-langs-check). The VM sees the host tree.
// Without a C compiler or cargo it says so and exits 0: the VM test then fails naming
// what is missing, and nothing else in `pnpm build` depends on these.

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const PKG = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function which(cmd, extra = []) {
  for (const d of [...(process.env.PATH ?? '').split(':'), ...extra]) {
    if (d && existsSync(join(d, cmd))) return join(d, cmd);
  }
  return null;
}

const cc = which('cc');
if (cc) {
  execFileSync(cc, ['-O2', '-Wall', '-Wextra', '-Werror', '-shared', '-fPIC', '-o', join(PKG, 'python/kchan_uapi/_order.so'), join(PKG, 'python/kchan_uapi/_order.c')], { stdio: 'inherit' });
} else {
  process.stderr.write('langs-build: no cc on PATH: the Python client helper was not built\n');
}

const cargo = which('cargo', [join(homedir(), '.cargo', 'bin')]);
if (cargo) {
  execFileSync(cargo, ['build', '--offline', '--release', '--quiet'], { cwd: join(PKG, 'test/kernel/langs/rust'), stdio: 'inherit', env: { ...process.env, PATH: `${dirname(cargo)}:${process.env.PATH ?? ''}` } });
} else {
  process.stderr.write('langs-build: no cargo on PATH or in ~/.cargo/bin: the Rust check program was not built\n');
}
