#!/usr/bin/env node
// `pnpm release` (part of `pnpm test`): a real release into a local registry.
//
// 1. Builds, cross-builds the linux-arm64 prebuild unless it is up to date, packs
//    every public package the way `pnpm publish` would and checks each
//    tarball: publint and are-the-types-wrong clean, the files a consumer
//    needs (the linux-x64 AND linux-arm64 prebuilds inside @kchan/native),
//    no tests, sources or build junk, no install/preinstall/postinstall
//    script, no placeholder repository.url, and the highest GLIBC_/GLIBCXX_
//    version each prebuild needs within the floor (docs/dependencies.md).
// 2. Starts verdaccio (pinned devDependency) on 127.0.0.1 with a temporary
//    config and storage and no uplink, runs `changeset version` on a
//    throwaway copy of the workspace (changelogs come from the changesets),
//    and publishes every package from it with `pnpm publish -r`, plus the
//    third-party runtime dependencies (node-gyp-build) so nothing is fetched
//    from the internet.
// 3. In fresh directories outside the workspace, installs each layer alone
//    from that registry, once with npm and once with pnpm, with a PATH that
//    holds only node, npm and pnpm (no compiler, make or python: no source
//    build can happen), and runs the layer's smoke program (scripts/smoke/).
//
// Exit status 0 when every check passes. --keep keeps the temp directory.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { FLOOR, aboveFloor, highestVersions } from './glibc-floor.mjs';
import * as langs from './release-langs.mjs';

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
  '@kchan/native': [
    /^prebuilds\/linux-(x64|arm64)\/[^/]+\.node$/,
    /^binding\.gyp$/,
    /^src\/[^/]+\.(cc|h)$/,
    /^src\/compat\/sys\/[^/]+\.h$/,
    /^scripts\/build-from-source\.mjs$/,
  ],
  '@kchan/uapi': [
    /^python\/(pyproject\.toml|setup\.py|kchan_uapi\/_order\.c)$/,
    /^include\/kchan\/[^/]+\.h$/,
    /^python\/kchan_uapi\/[^/]+\.py$/,
    /^rust\/(Cargo\.toml|Cargo\.lock|src\/[^/]+\.rs)$/,
    /^spec\/kchan\.(yaml|schema\.json)$/,
  ],
};
const REQUIRED = ['package.json', 'README.md', 'dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts'];
const EXTRA_REQUIRED = {
  '@kchan/native': [/^prebuilds\/linux-x64\/[^/]+\.node$/, /^prebuilds\/linux-arm64\/[^/]+\.node$/],
  '@kchan/uapi': [/^include\/kchan\/watch_queue\.h$/, /^python\/kchan_uapi\/__init__\.py$/, /^rust\/src\/lib\.rs$/],
  kchan: [/^dist\/bin\.js$/],
};

const packages = readdirSync(join(root, 'packages'))
  .map((dir) => join(root, 'packages', dir))
  .map((dir) => ({ dir, pkg: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
  .filter(({ pkg }) => !pkg.private);

console.log('release: building');
run('pnpm', ['-s', 'build'], { cwd: root, stdio: 'inherit' });
const nativeDir = join(root, 'packages', 'native');
// Cross-built unless the one there was built from these sources: a release
// must never pack an arm64 addon older than the code.
run(process.execPath, [join(nativeDir, 'scripts', 'build-native.mjs'), '--arch', 'arm64', '--if-stale'], { cwd: nativeDir, stdio: 'inherit' });

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
  else ok('has its entry points, types' + (pkg.name === '@kchan/native' ? ' and the linux-x64 and linux-arm64 prebuilds' : ''));

  const manifest = JSON.parse(run('tar', ['-xzOf', tgz, 'package/package.json']));
  const lifecycle = ['preinstall', 'install', 'postinstall'].filter((s) => manifest.scripts?.[s]);
  // npm runs an implicit `node-gyp rebuild` for a package with binding.gyp and no install script.
  if (files.includes('binding.gyp') && manifest.gypfile !== false) lifecycle.push('implicit node-gyp rebuild (binding.gyp without "gypfile": false)');
  if (lifecycle.length) fail(`has install scripts: ${lifecycle.join(', ')}`);
  else ok('no preinstall/install/postinstall script');
  if (manifest.repository && !/^git\+https:\/\/github\.com\//.test(manifest.repository.url ?? '')) {
    fail(`repository.url is a placeholder: ${manifest.repository.url}`);
  }
  for (const node of files.filter((f) => f.endsWith('.node'))) {
    const out = join(work, 'glibc');
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out);
    run('tar', ['-xzf', tgz, '-C', out, `package/${node}`]);
    const file = join(out, 'package', node);
    const above = aboveFloor(file);
    if (above.length) fail(`${node} needs more than the glibc floor: ${above.join(', ')}`);
    else ok(`${node} within the glibc floor (GLIBC ${FLOOR.GLIBC}, GLIBCXX ${FLOOR.GLIBCXX}): needs ${JSON.stringify(highestVersions(file))}`);
  }
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


// Third-party runtime dependencies (node-gyp-build) come from the workspace's
// own installed copies, packed and published to the local registry next to
// ours: the registry has no uplink, so nothing is fetched from the internet.
const thirdParty = {};
for (const { dir, pkg } of packages) {
  for (const [dep, range] of Object.entries(pkg.dependencies ?? {})) {
    if (dep.startsWith('@kchan/') || dep === 'kchan' || thirdParty[dep]) continue;
    const depDir = realpathSync(join(dir, 'node_modules', dep));
    const depPkg = JSON.parse(readFileSync(join(depDir, 'package.json'), 'utf8'));
    if (depPkg.version !== range) fail(`${pkg.name}: ${dep} is pinned to ${range} but ${depPkg.version} is installed`);
    if (Object.keys(depPkg.dependencies ?? {}).length) fail(`${dep} has dependencies of its own: pack them too`);
    const out = run('npm', ['pack', depDir, '--pack-destination', tarballs, '--ignore-scripts', '--silent'], { cwd: work });
    thirdParty[dep] = join(tarballs, out.trim().split("\n").at(-1));
  }
}

// --- A local registry: verdaccio with a temporary config and storage, no uplink.
const reg = join(work, 'registry');
mkdirSync(reg);
const port = 4873 + Math.floor(Math.random() * 1000);
const registry = `http://127.0.0.1:${port}/`;
writeFileSync(
  join(reg, 'config.yaml'),
  [
    `storage: ${join(reg, 'storage')}`,
    'auth:',
    '  htpasswd:',
    `    file: ${join(reg, 'htpasswd')}`,
    '    max_users: 10',
    'uplinks: {}',
    'packages:',
    "  '**':",
    '    access: $all',
    '    publish: $authenticated',
    'log: { type: stdout, format: pretty, level: warn }',
    '',
  ].join('\n'),
);
const verdaccio = spawn(process.execPath, [join(root, 'node_modules/verdaccio/bin/verdaccio'), '--config', join(reg, 'config.yaml'), '--listen', `127.0.0.1:${port}`], {
  stdio: ['ignore', 'pipe', 'pipe'],
});
let verdaccioLog = '';
verdaccio.stdout.on('data', (d) => (verdaccioLog += d));
verdaccio.stderr.on('data', (d) => (verdaccioLog += d));
const stop = () => {
  if (verdaccio.exitCode === null) verdaccio.kill('SIGTERM');
};
process.on('exit', stop);

async function main() {
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${registry}-/ping`)).ok) break;
    } catch {
      // not up yet
    }
    if (i > 120 || verdaccio.exitCode !== null) throw new Error(`verdaccio did not start:\n${verdaccioLog}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  const res = await fetch(`${registry}-/user/org.couchdb.user:kchan`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'kchan', password: 'kchan-release-check' }),
  });
  const { token } = await res.json();
  if (!token) throw new Error(`verdaccio: no token (${res.status})`);
  const npmrc = join(work, 'npmrc');
  writeFileSync(npmrc, `registry=${registry}\n//127.0.0.1:${port}/:_authToken=${token}\n`);
  // Every npm/pnpm below uses this registry, a temp cache and a temp store.
  const env = {
    ...process.env,
    npm_config_userconfig: npmrc,
    npm_config_registry: registry,
    npm_config_cache: join(work, 'npm-cache'),
    npm_config_store_dir: join(work, 'pnpm-store'),
    // pnpm's metadata cache too: it is keyed by registry host and port, so
    // metadata left by an earlier run on the same random port would make
    // `pnpm publish -r` skip versions it believes are published already.
    npm_config_cache_dir: join(work, 'pnpm-cache'),
    npm_config_update_notifier: 'false',
  };
  console.log(`\nregistry: verdaccio on ${registry}`);

  // --- changeset version on a throwaway copy, then pnpm publish -r from it.
  const copy = join(work, 'copy');
  mkdirSync(copy);
  for (const f of ['package.json', 'pnpm-workspace.yaml', 'pnpm-lock.yaml', '.changeset', 'LICENSE.md']) {
    cpSync(join(root, f), join(copy, f), { recursive: true });
  }
  for (const { dir } of packages) {
    cpSync(dir, join(copy, 'packages', dir.split('/').at(-1)), {
      recursive: true,
      filter: (src) => !/\/(node_modules|build|\.turbo|test)(\/|$)/.test(src.slice(dir.length)),
    });
  }
  run(join(root, 'node_modules/.bin/changeset'), ['version'], { cwd: copy, env });
  const versions = {};
  for (const { pkg } of packages) {
    const dir = join(copy, 'packages', packages.find((p) => p.pkg.name === pkg.name).dir.split('/').at(-1));
    const v = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version;
    versions[pkg.name] = v;
    const log = existsSync(join(dir, 'CHANGELOG.md')) ? readFileSync(join(dir, 'CHANGELOG.md'), 'utf8') : '';
    if (!log.includes(`## ${v}`)) fail(`${pkg.name}: CHANGELOG.md has no "## ${v}" section from the changesets`);
  }
  ok(`changeset version: ${Object.entries(versions).map(([n, v]) => `${n}@${v}`).join(', ')}`);
  // The copy has no node_modules, where pnpm publish looks up workspace:
  // ranges; resolve them as it would (workspace:^ -> ^version).
  for (const { dir } of packages) {
    const file = join(copy, 'packages', dir.split('/').at(-1), 'package.json');
    const manifest = JSON.parse(readFileSync(file, 'utf8'));
    for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
      for (const [dep, range] of Object.entries(manifest[field] ?? {})) {
        const m = /^workspace:([\^~*]?)/.exec(range);
        if (m) manifest[field][dep] = `${m[1] === '*' ? '' : m[1]}${versions[dep]}`;
      }
    }
    writeFileSync(file, `${JSON.stringify(manifest, null, 2)}\n`);
  }
  for (const tgz of Object.values(thirdParty)) {
    run('npm', ['publish', tgz, '--registry', registry, '--ignore-scripts'], { cwd: work, env });
  }
  try {
    run('pnpm', ['publish', '-r', '--registry', registry, '--no-git-checks', '--access', 'public'], { cwd: copy, env });
    ok(`pnpm publish -r: ${packages.length} packages (and ${Object.keys(thirdParty).join(', ')})`);
  } catch (err) {
    fail(`pnpm publish -r failed:\n${err.stdout}${err.stderr}`);
    return;
  }
  for (const [name, v] of Object.entries(versions)) {
    try {
      run('npm', ['view', `${name}@${v}`, 'version', '--registry', registry], { cwd: work, env });
    } catch (err) {
      fail(`${name}@${v} is not in the registry:\n${err.stdout}${err.stderr}`);
    }
  }

  // --- Install each layer alone, outside the workspace, without a compiler.
  const bin = join(work, 'bin');
  mkdirSync(bin);
  // node, npm and pnpm, and the few POSIX tools their bin shims use; no cc, c++, make or python.
  for (const tool of ['node', 'npm', 'npx', 'pnpm', 'sh', 'sed', 'dirname', 'uname']) {
    const path = run('sh', ['-c', `command -v ${tool}`]).trim();
    symlinkSync(realpathSync(path), join(bin, tool));
  }
  const bare = { ...env, PATH: bin };
  delete bare.npm_config_nodedir;
  console.log(`\ninstalling each layer alone from ${registry} (PATH=${bin}: node, npm, npx, pnpm, sh, sed, dirname, uname only)`);
  for (const [name, deps] of Object.entries(LAYERS)) {
    for (const client of ['npm', 'pnpm']) {
      const project = join(work, `use-${client}-${name.replace(/[@/]/g, '_')}`);
      mkdirSync(project);
      writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, version: '1.0.0' }, null, 2));
      const spec = `${name}@${versions[name]}`;
      try {
        if (client === 'npm') run(join(bin, 'npm'), ['install', '--no-audit', '--no-fund', spec], { cwd: project, env: bare });
        else run(join(bin, 'pnpm'), ['add', spec], { cwd: project, env: bare });
      } catch (err) {
        fail(`${client} install ${spec} failed:\n${err.stdout}${err.stderr}`);
        continue;
      }
      const have = ['@kchan/uapi', '@kchan/native', '@kchan/ring', '@kchan/ummunotify', '@kchan/kue', 'kchan'].filter(
        (n) => existsSync(join(project, 'node_modules', ...(client === 'pnpm' ? ['.pnpm', 'node_modules'] : []), n, 'package.json')),
      );
      const extra = have.filter((n) => n !== name && !deps.includes(n));
      if (extra.length) fail(`${client} ${name}: pulled in other layers: ${extra.join(', ')}`);
      if (existsSync(join(project, 'node_modules', '@kchan', 'native', 'build'))) fail(`${client} ${name}: @kchan/native was compiled at install`);
      const smoke = join(root, 'scripts', 'smoke', `${name.replace('@kchan/', '')}.cjs`);
      cpSync(smoke, join(project, 'smoke.cjs'));
      try {
        const out = run(join(bin, 'node'), ['smoke.cjs'], { cwd: project, env: bare }).trim();
        ok(`${client} install ${spec} (with ${deps.length ? deps.join(', ') : 'no other layer'}): ${out}`);
      } catch (err) {
        fail(`${client} ${name}: smoke program failed:\n${err.stdout}${err.stderr}`);
      }
    }
  }
}

main()
  .then(() => {
    failures += langs.releaseLangs({ keep });
  })
  .catch((err) => fail(err.stack ?? String(err)))
  .finally(() => {
    stop();
    if (!keep) rmSync(work, { recursive: true, force: true });
    else console.log(`\nkept ${work}`);
    console.log(failures ? `\nrelease: ${failures} problem(s)` : '\nrelease: published to a local registry, installed back, every smoke program passed');
    process.exit(failures ? 1 : 0);
  });
