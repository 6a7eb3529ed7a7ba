// Out-of-tree module builds, one copy of the source per kernel: Kbuild's
// M=<dir> writes its objects next to the sources, so two kernels can never
// share a directory. A build is skipped when the sources, the kernel and the
// flags are unchanged since the last warning-free build (an incremental build
// would not repeat the warnings of unchanged files, so it is all or nothing).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { HarnessError, log, seconds } from './log.mjs';

const ARTIFACT = /(\.(o|ko|mod|mod\.c|mod\.o|cmd|d|a|symvers|order|tmp)$|^\.module-common|^\.tmp_|^\.cache\.mk$)/;
const IGNORED_DIRS = /^(\.build-.*|\.tmp_versions|\.git)$/;
const MAKE_JOBS = '-j2';

function sourceFiles(dir, root = dir, out = []) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) {
      if (!IGNORED_DIRS.test(name)) sourceFiles(p, root, out);
    } else if (st.isFile() && !ARTIFACT.test(name)) {
      out.push(relative(root, p));
    }
  }
  return out;
}

function hashTree(dir, extra) {
  const h = createHash('sha256');
  h.update(JSON.stringify(extra));
  for (const f of sourceFiles(dir)) {
    h.update(`\0${f}\0`);
    h.update(readFileSync(join(dir, f)));
  }
  return h.digest('hex');
}

/** Copy the sources of `src` to `dest` (no build artifacts), leaving out what `skip(rel)` says. */
export function copySources(src, dest, skip = () => false) {
  cpSync(src, dest, {
    recursive: true,
    filter: (p) => {
      if (p === src) return true;
      if (skip(p.slice(src.length + 1))) return false;
      const name = p.split('/').pop();
      return statSync(p).isDirectory() ? !IGNORED_DIRS.test(name) : !ARTIFACT.test(name);
    },
  });
}

function runMake(args, logLines) {
  const cmd = ['make', ...args];
  logLines.push(`$ ${cmd.join(' ')}`);
  const r = spawnSync('sh', ['-c', `exec "$@" 2>&1`, 'sh', ...cmd], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  logLines.push(r.stdout ?? '');
  return r.status === 0;
}

/**
 * Build the modules of `src` (a Kbuild directory, optionally with `sub`
 * directories built against its Module.symvers) for kernel `k` in `buildDir`.
 * Returns the absolute paths of the .ko files, keyed by module name.
 */
export function buildModules(k, { src, buildDir, label, subdirs = [], logFile, checkProduction = false, extraFlags = [] }) {
  if (!existsSync(join(src, 'Kbuild')) && !existsSync(join(src, 'Makefile'))) {
    throw new HarnessError(`${src}: no Kbuild file`);
  }
  for (const sub of subdirs) {
    if (!existsSync(join(src, sub, 'Kbuild'))) throw new HarnessError(`${join(src, sub)}: no Kbuild file`);
  }
  // Every module the harness builds is a test build (kernel/kapi/testing.h).
  // k.makeFlags: a cross build (arm64: ARCH, CROSS_COMPILE, DEB_*).
  // extraFlags: e.g. the gcov build's GCOV_PROFILE=y (vm/run.mjs --gcov).
  const flags = [...(k.makeFlags ?? []), 'W=1', 'KCHAN_TESTING=y', ...extraFlags];
  // k.key: the debug kernel's cache key (its kver stays "debug" across rebuilds).
  const hash = hashTree(src, { kver: k.kver, ...(k.key ? { key: k.key } : {}), flags, subdirs, checkProduction, version: 2 });
  const stamp = `${buildDir}.stamp`;
  const collect = () => {
    const kos = {};
    for (const d of ['', ...subdirs]) {
      for (const f of readdirSync(join(buildDir, d))) {
        if (f.endsWith('.ko')) kos[f.slice(0, -3)] = join(buildDir, d, f);
      }
    }
    return kos;
  };
  if (existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === hash && existsSync(buildDir)) {
    log.info(`${label} for ${k.kver}: unchanged, skipping build`);
    return collect();
  }

  log.step(`building ${label} for ${k.kver}…`);
  const t0 = Date.now();
  rmSync(stamp, { force: true });
  rmSync(buildDir, { recursive: true, force: true });
  mkdirSync(buildDir, { recursive: true });
  copySources(src, buildDir);

  const lines = [];
  let ok = runMake([MAKE_JOBS, '-C', k.headers, `M=${buildDir}`, ...flags, 'modules'], lines);
  for (const sub of subdirs) {
    if (!ok) break;
    ok = runMake(
      [MAKE_JOBS, '-C', k.headers, `M=${join(buildDir, sub)}`, ...flags,
        `KBUILD_EXTRA_SYMBOLS=${join(buildDir, 'Module.symvers')}`, 'modules'],
      lines,
    );
  }
  const output = lines.join('\n');
  writeFileSync(logFile, output);
  // Paths in messages point into the copy; show them relative to the source.
  const pretty = (s) => s.split(buildDir).join(src);
  const warnings = output.split('\n').filter((l) => /warning:/i.test(l));
  if (!ok) {
    const errs = output.split('\n').filter((l) => /error|warning:|\*\*\*/i.test(l));
    throw new HarnessError(
      `build of ${label} for ${k.kver} failed (full log: ${logFile}):\n${pretty(errs.slice(0, 40).join('\n'))}`,
    );
  }
  if (warnings.length) {
    throw new HarnessError(
      `${label} for ${k.kver}: ${warnings.length} build warning(s) with W=1 (full log: ${logFile}):\n${pretty(warnings.join('\n'))}`,
    );
  }
  if (checkProduction) checkProductionExports(k, { src, buildDir: `${buildDir}-production`, logFile });
  writeFileSync(stamp, `${hash}\n`);
  log.info(`${label} for ${k.kver}: built in ${seconds(Date.now() - t0)}, no warnings`);
  return collect();
}

/** Exported symbol names of a Module.symvers (CRC, symbol, module, export, namespace). */
function symversSymbols(file) {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split('\t')[1]);
}

/**
 * Build the production kchan.ko of `src` (no KCHAN_TESTING) and fail if it
 * exports a test hook: a function declared in kapi/testing.h. Also fail if
 * the test build in `buildDir` does not export them, so the check cannot pass
 * by parsing nothing.
 */
function checkProductionExports(k, { src, buildDir, logFile }) {
  const header = readFileSync(join(src, 'kapi', 'testing.h'), 'utf8');
  const hooks = [...header.matchAll(/^[a-z][\w ]*?\b(\w+)\([^;]*\);/gm)].map((m) => m[1]);
  rmSync(buildDir, { recursive: true, force: true });
  mkdirSync(buildDir, { recursive: true });
  // The module alone: the test modules under test/ are not part of it.
  copySources(src, buildDir, (rel) => rel.startsWith('test'));
  const lines = [];
  const ok = runMake([MAKE_JOBS, '-C', k.headers, `M=${buildDir}`, ...(k.makeFlags ?? []), 'W=1', 'modules'], lines);
  const output = lines.join('\n');
  writeFileSync(logFile.replace(/\.log$/, '-production.log'), output);
  const warnings = output.split('\n').filter((l) => /warning:/i.test(l));
  if (!ok || warnings.length) {
    throw new HarnessError(`production build of kchan.ko for ${k.kver} failed or warned:\n${output.split('\n').filter((l) => /error|warning:/i.test(l)).slice(0, 20).join('\n')}`);
  }
  const exported = new Set(symversSymbols(join(buildDir, 'Module.symvers')));
  const tested = new Set(symversSymbols(join(buildDir.replace(/-production$/, ''), 'Module.symvers')));
  const leaked = hooks.filter((h) => exported.has(h));
  const missing = hooks.filter((h) => !tested.has(h));
  if (!hooks.length || leaked.length || missing.length) {
    throw new HarnessError(
      `kchan.ko for ${k.kver}: kapi/testing.h declares [${hooks.join(', ')}]; ` +
        `the production build exports [${leaked.join(', ')}] of them (want none), ` +
        `the test build lacks [${missing.join(', ')}] (want none)`,
    );
  }
  log.info(`kchan.ko for ${k.kver}: the production build exports none of the ${hooks.length} test hooks (${[...exported].length} symbols)`);
}
