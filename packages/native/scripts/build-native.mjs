#!/usr/bin/env node
// `pnpm build` (workspace only, never published): compiles the addon, then
// runs tsup (dist/). Extra arguments other than the options below are
// ignored, so `pnpm --filter @kchan/native build test lint` (which pnpm turns
// into `build` with arguments "test lint") cannot feed them to tsup.
//
//   --native-only   compile only, no tsup
//   --arch arm64    cross-compile the linux-arm64 prebuild (needs Debian's
//                   g++-aarch64-linux-gnu, see scripts/setup.sh) in a scratch
//                   copy, so build/Release keeps the host addon; implies
//                   --native-only
//   --if-stale      with --arch: skip the build when prebuilds/linux-<arch>/
//                   was built from the same sources (binding.gyp, src/; a
//                   SHA-256 kept in node_modules/.cache), so the release
//                   check and test:arm64 never pack a prebuild older than
//                   the source
//
// Compiles with prebuildify (N-API, stripped) into prebuilds/linux-<arch>/
// (and build/Release/ for the host arch), against the headers of the Node
// that runs this script. It never downloads headers: node-gyp gets --nodedir
// via npm_config_nodedir, taken from $npm_config_nodedir or from the prefix
// of the running node (/usr for Debian's nodejs, whose headers live in
// /usr/include/node). N-API headers do not depend on the architecture.
// For the host arch it also builds the test-only addon (test/addon/), which
// is never part of the published package.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch as hostArch, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const argv = process.argv.slice(2);
const archAt = argv.indexOf('--arch');
const arch = archAt >= 0 ? argv[archAt + 1] : hostArch();
const cross = arch !== hostArch();
const nativeOnly = cross || argv.includes('--native-only');

/** Cross toolchains by target arch (Debian package names in scripts/setup.sh). */
const CROSS = { arm64: 'aarch64-linux-gnu' };

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
const nodeGyp = join(dirname(require.resolve('node-gyp/package.json')), 'bin', 'node-gyp.js');

/** SHA-256 over what a build compiles: binding.gyp and src/ (sorted paths and contents). */
function sourceHash() {
  const h = createHash('sha256');
  const files = ['binding.gyp', ...readdirSync(join(root, 'src'), { recursive: true }).map((f) => join('src', String(f)))].sort();
  for (const f of files) {
    const p = join(root, f);
    if (!existsSync(p) || !/\.(gyp|cc|h|hpp|c)$/.test(f)) continue;
    h.update(`${f}\0`).update(readFileSync(p)).update('\0');
  }
  return h.digest('hex');
}
/** The stamp's second half: the SHA-256 of each .node in prebuilds/linux-<arch>/. */
function prebuildHash() {
  const dir = join(root, 'prebuilds', `linux-${arch}`);
  if (!existsSync(dir)) return 'none';
  const h = createHash('sha256');
  for (const f of readdirSync(dir).sort()) h.update(`${f}\0`).update(readFileSync(join(dir, f)));
  return h.digest('hex');
}
// "<sources> <prebuild>": both must match, so a prebuild replaced since
// (e.g. restored from a build cache) is rebuilt too.
const stamp = join(root, 'node_modules', '.cache', `kchan-native-linux-${arch}.sha256`);
const hash = cross ? sourceHash() : '';
if (cross && argv.includes('--if-stale')) {
  const built = existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === `${hash} ${prebuildHash()}`;
  if (built) {
    console.log(`@kchan/native: prebuilds/linux-${arch} is up to date with the sources`);
    process.exit(0);
  }
}

let cwd = root;
if (cross) {
  const triple = CROSS[arch];
  if (!triple) {
    console.error(`@kchan/native: no cross toolchain known for --arch ${arch} (known: ${Object.keys(CROSS).join(', ')})`);
    process.exit(1);
  }
  const probe = spawnSync(`${triple}-g++`, ['--version'], { stdio: 'ignore' });
  if (probe.status !== 0) {
    console.error(`@kchan/native: ${triple}-g++ not found; install g++-${triple} (scripts/setup.sh does)`);
    process.exit(1);
  }
  Object.assign(process.env, {
    CC: `${triple}-gcc`,
    CXX: `${triple}-g++`,
    LINK: `${triple}-g++`,
    AR: `${triple}-ar`,
    PREBUILD_STRIP_BIN: `${triple}-strip`,
  });
  // A scratch copy: node-gyp's build/ must not replace the host addon.
  cwd = mkdtempSync(join(tmpdir(), `kchan-native-${arch}-`));
  for (const f of ['binding.gyp', 'package.json', 'src']) cpSync(join(root, f), join(cwd, f), { recursive: true });
  // binding.gyp finds node-addon-api with require(): from the scratch copy, via NODE_PATH.
  process.env.NODE_PATH = [join(root, 'node_modules'), process.env.NODE_PATH].filter(Boolean).join(':');
}

function done() {
  if (cross) {
    const out = join(root, 'prebuilds', `linux-${arch}`);
    rmSync(out, { recursive: true, force: true });
    mkdirSync(dirname(out), { recursive: true });
    cpSync(join(cwd, 'prebuilds', `linux-${arch}`), out, { recursive: true });
    rmSync(cwd, { recursive: true, force: true });
    mkdirSync(dirname(stamp), { recursive: true });
    writeFileSync(stamp, `${hash} ${prebuildHash()}\n`);
    console.log(`@kchan/native: built prebuilds/linux-${arch}`);
    return;
  }
  if (existsSync(join(root, 'test', 'addon', 'binding.gyp'))) {
    const r = spawnSync(process.execPath, [nodeGyp, 'rebuild', '--silent'], {
      cwd: join(root, 'test', 'addon'),
      stdio: 'inherit',
    });
    if (r.status !== 0) {
      console.error('@kchan/native: building the test addon (test/addon) failed');
      process.exit(r.status ?? 1);
    }
  }
  if (nativeOnly) return;
  const extra = argv.filter((a) => a !== '--native-only' && a !== '--if-stale');
  if (extra.length > 0) console.warn(`@kchan/native: build ignores arguments: ${extra.join(' ')}`);
  const tsup = join(dirname(require.resolve('tsup/package.json')), 'dist', 'cli-default.js');
  const r = spawnSync(process.execPath, [tsup], { cwd: root, stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const prebuildify = require('prebuildify');
prebuildify(
  {
    cwd,
    arch,
    napi: true,
    strip: true,
    // With N-API the target only names the build; headers come from nodedir.
    targets: [{ runtime: 'node', target: process.versions.node }],
    nodeGyp,
  },
  (err) => {
    if (err) {
      console.error(`@kchan/native: prebuildify (${arch}) failed: ${err.message ?? err}`);
      process.exit(1);
    }
    done();
  },
);
