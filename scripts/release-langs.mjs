#!/usr/bin/env node
// The Python and Rust halves of the release check (issue 22), offline:
//  1. build the kchan-uapi wheel and sdist from packages/uapi/python with Debian's
//     setuptools/wheel (`pip wheel --no-build-isolation --no-index`, `setup.py sdist`);
//  2. install the wheel into a fresh venv with no index and import kchan_uapi and
//     kchan_uapi.client there (the compiled _order helper must load);
//  3. build a second wheel from the sdist the same way (the sdist is complete);
//  4. `cargo test --offline` and `cargo package --offline` the kchan-uapi crate (package
//     builds the packaged crate).
//
// Run alone (`node scripts/release-langs.mjs [--keep]`) or from release-check.mjs, which
// calls releaseLangs(). Returns the number of failures; prints ✓/✗ lines.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const uapi = join(root, 'packages/uapi');

function which(cmd, extra = []) {
  for (const d of [...(process.env.PATH ?? '').split(':'), ...extra]) {
    if (d && existsSync(join(d, cmd))) return join(d, cmd);
  }
  return null;
}

export function releaseLangs({ keep = false } = {}) {
  let failures = 0;
  const fail = (msg) => {
    failures++;
    console.error(`  ✗ ${msg}`);
  };
  const ok = (msg) => console.log(`  ✓ ${msg}`);
  const run = (cmd, args, opts = {}) =>
    execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts, env: { ...process.env, PIP_NO_INDEX: '1', PIP_DISABLE_PIP_VERSION_CHECK: '1', ...opts.env } });
  const step = (what, fn) => {
    try {
      const r = fn();
      ok(r ? `${what}: ${r}` : what);
      return true;
    } catch (err) {
      fail(`${what}:\n${err.stdout ?? ''}${err.stderr ?? ''}${err.stdout || err.stderr ? '' : String(err)}`);
      return false;
    }
  };

  console.log('\nkchan-uapi for Python and Rust');
  const work = mkdtempSync(join(tmpdir(), 'kchan-langs-'));
  // Debian's python3 has setuptools 66 and wheel (python3-setuptools, python3-wheel,
  // python3-venv, python3-pip: scripts/setup.sh); a pyenv python may lack them.
  const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  // A copy, so the build leaves no build/ or *.egg-info in the tree; package.json one
  // level up gives setup.py the version.
  const src = join(work, 'uapi/python');
  cpSync(join(uapi, 'python'), src, { recursive: true, filter: (p) => !/(__pycache__|_order[^/]*\.so|\.egg-info|\/build)$/.test(p) });
  cpSync(join(uapi, 'package.json'), join(work, 'uapi/package.json'));
  const dist = join(work, 'dist');
  const wheelOf = (dir) => readdirSync(dir).find((f) => f.endsWith('.whl'));

  if (step('wheel built offline (pip wheel --no-build-isolation --no-index)', () => {
    run(python, ['-m', 'pip', 'wheel', '--no-build-isolation', '--no-index', '--no-deps', '-w', dist, src]);
    return wheelOf(dist);
  }) && step('sdist built offline (setup.py sdist)', () => {
    run(python, ['setup.py', '-q', 'sdist', '-d', dist], { cwd: src });
    return readdirSync(dist).find((f) => f.endsWith('.tar.gz'));
  })) {
    const venv = join(work, 'venv');
    step('the wheel installs into a fresh venv (no index) and imports, client included', () => {
      run(python, ['-m', 'venv', venv]);
      run(join(venv, 'bin/pip'), ['install', '--no-index', '--no-deps', join(dist, wheelOf(dist))]);
      return run(join(venv, 'bin/python'), ['-c', 'import kchan_uapi, kchan_uapi.client as c; print("kchan_uapi", kchan_uapi.PROTOCOL_VERSION, c.load_acquire_u32.__name__)'], { cwd: work }).trim();
    });
    step('a wheel builds from the sdist alone', () => {
      const sdist = readdirSync(dist).find((f) => f.endsWith('.tar.gz'));
      const unpacked = join(work, 'sdist');
      execFileSync('mkdir', ['-p', unpacked]);
      run('tar', ['-xzf', join(dist, sdist), '-C', unpacked]);
      const dir = join(unpacked, readdirSync(unpacked)[0]);
      run(python, ['-m', 'pip', 'wheel', '--no-build-isolation', '--no-index', '--no-deps', '-w', join(work, 'dist2'), dir]);
      return wheelOf(join(work, 'dist2'));
    });
  }

  const cargo = which('cargo', [join(homedir(), '.cargo', 'bin')]);
  if (!cargo) fail('cargo package: no cargo on PATH or in ~/.cargo/bin');
  else {
    const cargoEnv = { PATH: `${dirname(cargo)}:${process.env.PATH ?? ''}` };
    step('cargo test --offline (pure parts of the clients)', () => {
      const out = run(cargo, ['test', '--offline', '--quiet', '--target-dir', join(work, 'target')], { cwd: join(uapi, 'rust'), env: cargoEnv });
      return out.split('\n').find((l) => l.startsWith('test result')) ?? 'ok';
    });
    step('cargo package --offline (kchan-uapi crate)', () => {
      const out = run(cargo, ['package', '--offline', '--allow-dirty', '--target-dir', join(work, 'target')], {
        cwd: join(uapi, 'rust'),
        env: cargoEnv,
      });
      return `${out}`.trim().split('\n').pop() || 'ok';
    });
  }
  if (!keep) rmSync(work, { recursive: true, force: true });
  else console.log(`  kept ${work}`);
  return failures;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const failures = releaseLangs({ keep: process.argv.includes('--keep') });
  console.log(failures ? `\nrelease-langs: ${failures} problem(s)` : '\nrelease-langs: the wheel, the sdist and the crate are ready');
  process.exit(failures ? 1 : 0);
}
