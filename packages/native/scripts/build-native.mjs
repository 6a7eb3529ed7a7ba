#!/usr/bin/env node
// `pnpm build`: compiles the addon, then runs tsup (dist/). Extra arguments
// are ignored, so `pnpm --filter @kchan/native build test lint` (which pnpm
// turns into `build` with arguments "test lint") cannot feed them to tsup.
//
// Compiles the addon with prebuildify (N-API, stripped) into
// prebuilds/linux-x64/ and build/Release/, against the headers of the Node
// that runs this script. It never downloads headers: node-gyp gets --nodedir
// via npm_config_nodedir, taken from $npm_config_nodedir or from the prefix
// of the running node (/usr for Debian's nodejs, whose headers live in
// /usr/include/node). Without local headers it fails with a clear message.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

function findNodeDir() {
  const candidates = [];
  if (process.env.npm_config_nodedir) candidates.push(process.env.npm_config_nodedir);
  candidates.push(resolve(dirname(process.execPath), '..'));
  for (const dir of candidates) {
    if (existsSync(join(dir, 'include', 'node', 'node_api.h'))) return dir;
  }
  return undefined;
}

const nodedir = findNodeDir();
if (!nodedir) {
  console.error(
    '@kchan/native: no local Node headers found (looked for include/node/node_api.h ' +
      `under $npm_config_nodedir and ${resolve(dirname(process.execPath), '..')}).\n` +
      'Install them (Debian: apt-get install libnode-dev) or set npm_config_nodedir; ' +
      'this build never downloads headers.',
  );
  process.exit(1);
}
process.env.npm_config_nodedir = nodedir;

const prebuildify = require('prebuildify');
prebuildify(
  {
    cwd: root,
    napi: true,
    strip: true,
    // With N-API the target only names the build; headers come from nodedir.
    targets: [{ runtime: 'node', target: process.versions.node }],
    nodeGyp: join(dirname(require.resolve('node-gyp/package.json')), 'bin', 'node-gyp.js'),
  },
  (err) => {
    if (err) {
      console.error(`@kchan/native: prebuildify failed: ${err.message ?? err}`);
      process.exit(1);
    }
    if (process.argv.includes('--native-only')) return;
    const extra = process.argv.slice(2);
    if (extra.length > 0) console.warn(`@kchan/native: build ignores arguments: ${extra.join(' ')}`);
    const tsup = join(dirname(require.resolve('tsup/package.json')), 'dist', 'cli-default.js');
    const r = spawnSync(process.execPath, [tsup], { cwd: root, stdio: 'inherit' });
    process.exit(r.status ?? 1);
  },
);
