#!/usr/bin/env node
// `pnpm release`: a dry run of publishing. Packs every public package the way
// `pnpm publish` would (workspace:^ ranges become versions), then checks each
// tarball: publint and are-the-types-wrong clean, the files and exports a
// consumer needs present (the linux-x64 prebuilt addon inside
// @kchan/native), no tests, sources or build junk. Finally it installs the
// tarballs offline into fresh projects, one per layer, and imports each
// layer alone from ESM and CommonJS: a user of @kchan/ring gets ring, uapi
// and native and nothing else, and the addon loads without a compiler or an
// install script (pnpm 10 runs none for dependencies).
//
// Nothing is published. Exit status 0 when every check passes.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FLOOR, aboveFloor, highestVersions } from './glibc-floor.mjs';

const root = resolve(import.meta.dirname, '..');
const keep = process.argv.includes('--keep');
const work = mkdtempSync(join(tmpdir(), 'kchan-release-'));
const tarballs = join(work, 'tarballs');
mkdirSync(tarballs);

let failures = 0;
const fail = (msg) => {
  failures++;
  console.error(`  ✗ ${msg}`);
};
const ok = (msg) => console.log(`  ✓ ${msg}`);
const run = (cmd, args, opts = {}) =>
  execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });

/** Every file a published package may ship, by pattern; anything else is junk. */
const ALLOWED = [
  /^package\.json$/,
  /^README\.md$/,
  /^CHANGELOG\.md$/,
  /^LICENSE$/,
  /^dist\/[^/]+\.(js|cjs|d\.ts|d\.cts|js\.map|cjs\.map)$/,
];
const EXTRA_ALLOWED = {
  '@kchan/native': [/^prebuilds\/linux-x64\/[^/]+\.node$/, /^binding\.gyp$/, /^src\/[^/]+\.(cc|h)$/, /^src\/compat\/sys\/[^/]+\.h$/, /^scripts\/install\.mjs$/],
  '@kchan/uapi': [
    /^include\/kchan\/[^/]+\.h$/,
    /^python\/kchan_uapi\/[^/]+\.py$/,
    /^python\/(pyproject\.toml|setup\.py|kchan_uapi\/_order\.c)$/,
    /^rust\/(Cargo\.toml|Cargo\.lock|src\/[^/]+\.rs)$/,
    /^spec\/kchan\.(yaml|schema\.json)$/,
  ],
};
const REQUIRED = ['package.json', 'README.md', 'dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts'];
const EXTRA_REQUIRED = {
  '@kchan/native': [/^prebuilds\/linux-x64\/[^/]+\.node$/],
  '@kchan/uapi': [/^include\/kchan\/watch_queue\.h$/, /^python\/kchan_uapi\/__init__\.py$/, /^rust\/src\/lib\.rs$/],
  kchan: [/^dist\/bin\.js$/],
};

const packages = readdirSync(join(root, 'packages'))
  .map((dir) => join(root, 'packages', dir))
  .map((dir) => ({ dir, pkg: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
  .filter(({ pkg }) => !pkg.private);

console.log('release dry run: building');
run('pnpm', ['-s', 'build'], { cwd: root, stdio: 'inherit' });

const packed = new Map();
for (const { dir, pkg } of packages) {
  console.log(`\n${pkg.name}@${pkg.version}`);
  const out = run('pnpm', ['pack', '--pack-destination', tarballs], { cwd: dir });
  const tgz = out.trim().split('\n').filter((l) => l.endsWith('.tgz')).at(-1);
  if (!tgz) {
    fail(`pnpm pack printed no tarball:\n${out}`);
    continue;
  }
  packed.set(pkg.name, tgz);
  const files = run('tar', ['-tzf', tgz])
    .trim()
    .split('\n')
    .map((f) => f.replace(/^package\//, ''));
  const allowed = [...ALLOWED, ...(EXTRA_ALLOWED[pkg.name] ?? [])];
  const junk = files.filter((f) => !allowed.some((re) => re.test(f)));
  if (junk.length) fail(`unexpected files in the tarball: ${junk.join(', ')}`);
  else ok(`${files.length} files, no tests, sources or build junk`);
  const required = [...REQUIRED.map((f) => new RegExp(`^${f.replace(/\./g, '\\.')}$`)), ...(EXTRA_REQUIRED[pkg.name] ?? [])];
  const missing = required.filter((re) => !files.some((f) => re.test(f)));
  if (missing.length) fail(`missing from the tarball: ${missing.map(String).join(', ')}`);
  else ok('has its entry points, types' + (pkg.name === '@kchan/native' ? ' and the linux-x64 prebuild' : ''));

  if (pkg.name === '@kchan/native') {
    // The prebuild as shipped: the glibc floor, and no install scripts.
    const ex = join(work, 'native-files');
    mkdirSync(ex, { recursive: true });
    run('tar', ['-xzf', tgz, '-C', ex]);
    for (const f of files.filter((f) => /^prebuilds\/[^/]+\/[^/]+\.node$/.test(f))) {
      const above = aboveFloor(join(ex, 'package', f));
      if (above.length) fail(`${f} needs more than the glibc floor: ${above.join(', ')}`);
      else ok(`${f} within the glibc floor (GLIBC ${FLOOR.GLIBC}, GLIBCXX ${FLOOR.GLIBCXX}): needs ${JSON.stringify(highestVersions(join(ex, 'package', f)))}`);
    }
  }

  const manifest = JSON.parse(run('tar', ['-xzOf', tgz, 'package/package.json']));
  const deps = Object.entries(manifest.dependencies ?? {});
  const unresolved = deps.filter(([, range]) => String(range).startsWith('workspace:'));
  if (unresolved.length) fail(`workspace ranges left in dependencies: ${unresolved.map(([n]) => n).join(', ')}`);
  const devLeak = deps.filter(([n]) => n.startsWith('@kchan/') && !(pkg.dependencies ?? {})[n]);
  if (devLeak.length) fail(`unexpected dependencies: ${devLeak.map(([n]) => n).join(', ')}`);

  try {
    run(join(root, 'node_modules/.bin/publint'), ['run', tgz, '--strict'], { cwd: dir });
    ok('publint --strict');
  } catch (err) {
    fail(`publint:\n${err.stdout}${err.stderr}`);
  }
  try {
    run(join(root, 'node_modules/.bin/attw'), [tgz, '--profile', 'node16', '--format', 'ascii'], { cwd: dir });
    ok('are-the-types-wrong (node16)');
  } catch (err) {
    fail(`attw:\n${err.stdout}${err.stderr}`);
  }
}

/** The layers a consumer installs alone, with the dependencies each must pull in. */
const LAYERS = {
  '@kchan/uapi': [],
  '@kchan/native': [],
  '@kchan/ring': ['@kchan/uapi', '@kchan/native'],
  '@kchan/ummunotify': ['@kchan/uapi', '@kchan/native'],
  '@kchan/kue': ['@kchan/uapi', '@kchan/native'],
  kchan: ['@kchan/uapi', '@kchan/native', '@kchan/ring', '@kchan/ummunotify', '@kchan/kue'],
};
const storeDir = run('pnpm', ['store', 'path'], { cwd: root }).trim();

// Third-party runtime dependencies (node-gyp-build) come from the workspace's
// own installed copies, packed like ours: `pnpm install --offline` needs
// registry metadata in its cache for anything it must resolve by version,
// and a fresh machine that only ran `pnpm install --frozen-lockfile` has none.
const thirdParty = {};
for (const { dir, pkg } of packages) {
  for (const [dep, range] of Object.entries(pkg.dependencies ?? {})) {
    if (dep.startsWith('@kchan/') || dep === 'kchan' || thirdParty[dep]) continue;
    const depDir = realpathSync(join(dir, 'node_modules', dep));
    const depPkg = JSON.parse(readFileSync(join(depDir, 'package.json'), 'utf8'));
    if (depPkg.version !== range) fail(`${pkg.name}: ${dep} is pinned to ${range} but ${depPkg.version} is installed`);
    if (Object.keys(depPkg.dependencies ?? {}).length) fail(`${dep} has dependencies of its own: pack them too`);
    const out = run('npm', ['pack', depDir, '--pack-destination', tarballs, '--ignore-scripts', '--silent'], { cwd: work });
    thirdParty[dep] = `file:${join(tarballs, out.trim().split('\n').at(-1))}`;
  }
}

console.log('\ninstalling each layer alone from the tarballs (offline)');
for (const [name, deps] of Object.entries(LAYERS)) {
  const project = join(work, `use-${name.replace(/[@/]/g, '_')}`);
  mkdirSync(project);
  const wanted = [name, ...deps];
  const dependencies = Object.fromEntries(wanted.map((n) => [n, `file:${packed.get(n)}`]));
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify(
      { name: 'consumer', private: true, type: 'commonjs', dependencies, pnpm: { overrides: { ...dependencies, ...thirdParty } } },
      null,
      2,
    ),
  );
  try {
    run('pnpm', ['install', '--offline', '--store-dir', storeDir, '--config.confirmModulesPurge=false'], { cwd: project });
  } catch (err) {
    fail(`${name}: offline install failed:\n${err.stdout}${err.stderr}`);
    continue;
  }
  const installed = readdirSync(join(project, 'node_modules/.pnpm')).filter((d) => d.startsWith('@kchan+') || d.startsWith('kchan@'));
  const extra = installed.filter((d) => !wanted.some((n) => d.startsWith(n.replace('/', '+') + '@')));
  if (extra.length) fail(`${name}: pulled in other layers: ${extra.join(', ')}`);
  const probe = `
    const m = require(${JSON.stringify(name)});
    if (!m || Object.keys(m).length === 0) throw new Error('empty CommonJS exports');
    import(${JSON.stringify(name)}).then((e) => {
      if (Object.keys(e).length === 0) throw new Error('empty ESM exports');
      console.log(Object.keys(e).length);
    });`;
  try {
    const n = run(process.execPath, ['-e', probe], { cwd: project }).trim();
    ok(`${name}: installed with ${deps.length ? deps.join(', ') : 'no other layer'}; require() and import() work (${n} exports)`);
  } catch (err) {
    fail(`${name}: import failed:\n${err.stdout}${err.stderr}`);
  }
  if (name === 'kchan') {
    try {
      run(join(project, 'node_modules/.bin/kchan'), ['--version'], { cwd: project });
      ok('kchan: the bin runs');
    } catch (err) {
      fail(`kchan bin:\n${err.stdout}${err.stderr}`);
    }
  }
}

failures += (await import('./release-langs.mjs')).releaseLangs({ keep });
if (!keep) rmSync(work, { recursive: true, force: true });
else console.log(`\nkept ${work}`);
console.log(failures ? `\nrelease dry run: ${failures} problem(s)` : '\nrelease dry run: every package is ready to publish');
process.exit(failures ? 1 : 0);
