#!/usr/bin/env node
// `npx kchan-build-native`: compiles @kchan/native from source, for a
// platform without a prebuild (see docs/getting-started.md). Nothing runs
// this at install time: the package has no install script.
//
// Needs a C++17 compiler, make and python3 (node-gyp's requirements). It
// installs node-gyp and node-addon-api (the versions the prebuilds are made
// with) into a scratch directory with npm, then runs `node-gyp rebuild` in
// this package; the result, build/Release/kchan_native.node, is loaded in
// preference to the prebuilds. node-gyp uses local Node headers when
// $npm_config_nodedir is set, otherwise it downloads them.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const tools = mkdtempSync(join(tmpdir(), 'kchan-build-native-'));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const step = (what, cmd, args, opts) => {
  console.log(`@kchan/native: ${what}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (r.status !== 0) {
    rmSync(tools, { recursive: true, force: true });
    console.error(`@kchan/native: ${what} failed${r.error ? `: ${r.error.message}` : ''}`);
    process.exit(r.status ?? 1);
  }
};
step('installing node-gyp 11.4.2 and node-addon-api 8.9.2 (build tools only)', npm, [
  'install', '--prefix', tools, '--no-save', '--no-audit', '--no-fund', 'node-gyp@11.4.2', 'node-addon-api@8.9.2',
]);
const nodePath = [join(tools, 'node_modules'), process.env.NODE_PATH].filter(Boolean).join(delimiter);
step('node-gyp rebuild', process.execPath, [join(tools, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'), 'rebuild'], {
  cwd: root,
  env: { ...process.env, NODE_PATH: nodePath },
});
rmSync(tools, { recursive: true, force: true });
console.log(`@kchan/native: built ${join(root, 'build', 'Release', 'kchan_native.node')}`);
