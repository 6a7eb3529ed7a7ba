#!/usr/bin/env node
// `install` lifecycle script.
//  * Installed as a dependency (we are under node_modules/): delegate to
//    node-gyp-build, which loads prebuilds/linux-x64 from the tarball and
//    exits, or compiles from source on a platform without a prebuild.
//  * In the kchan workspace (a clone): do nothing. `pnpm install` runs
//    workspace install scripts, and a clean clone has no prebuilds yet; the
//    package's `build` script compiles against local headers instead, so
//    installing never needs a compiler or a header download.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
if (!here.split(sep).includes('node_modules')) {
  console.log('@kchan/native: workspace checkout, skipping install (run `pnpm build`)');
  process.exit(0);
}
const require = createRequire(import.meta.url);
const bin = join(dirname(require.resolve('node-gyp-build/package')), 'bin.js');
const r = spawnSync(process.execPath, [bin], { cwd: dirname(here), stdio: 'inherit' });
process.exit(r.status ?? 1);
