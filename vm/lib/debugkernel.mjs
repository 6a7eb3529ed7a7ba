// The kernels we build ourselves from Debian's linux-source-6.1 with
// vm/debug/build-kernel.sh, one per flavor:
//   debug  KASAN, lockdep, kmemleak, DEBUG_ATOMIC_SLEEP, DEBUG_LIST, hung-task
//          detection (vm/debug/debug-ci.config)
//   kcsan  KCSAN (which excludes KASAN), gcov and fault injection: the base
//          part of debug-ci.config (up to its "debug set" line) followed by
//          vm/debug/kcsan-ci.config
//
// A build takes ~4-5 min of two cores, so the result is cached outside the
// clone, keyed by sha256 of (linux-source-6.1 package version, fragment, build
// script, this file's cache format, gcc and binutils versions):
//   $KCHAN_DEBUG_KERNEL_CACHE (default /var/cache/kchan)/<flavor>-kernel-<key>/
// It is built into a temp dir next to it and renamed into place, so a killed
// build never leaves a half cache entry. See /work/shared/DEBUG-KERNEL.md.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withLock } from './lock.mjs';
import { HarnessError, log, seconds } from './log.mjs';

const VM_DIR = dirname(dirname(fileURLToPath(import.meta.url)));
export const DEBUG_DIR = join(VM_DIR, 'debug');
const DEBUG_FRAGMENT = join(DEBUG_DIR, 'debug-ci.config');
const SCRIPT = join(DEBUG_DIR, 'build-kernel.sh');
const CACHE_FORMAT = 'kchan-debug-kernel v1';
export const DEBUG_SERIES = 'debug';
export const KCSAN_SERIES = 'kcsan';

/** The fragment a flavor's kernel is configured with (tinyconfig + this). */
function fragmentText(flavor) {
  const debug = readFileSync(DEBUG_FRAGMENT, 'utf8');
  if (flavor === DEBUG_SERIES) return debug;
  const cut = debug.indexOf('# --- debug set ---');
  if (cut < 0) throw new HarnessError(`${DEBUG_FRAGMENT}: no "# --- debug set ---" line to end its base part at`);
  return debug.slice(0, cut) + readFileSync(join(DEBUG_DIR, `${flavor}-ci.config`), 'utf8');
}

function cacheRoot() {
  return process.env.KCHAN_DEBUG_KERNEL_CACHE || '/var/cache/kchan';
}

function firstLine(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) return `${cmd}: unavailable`;
  return (r.stdout || '').split('\n')[0].trim();
}

function sourceVersion() {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Version}', 'linux-source-6.1'], { encoding: 'utf8' });
  if (r.status !== 0 || !r.stdout.trim() || !existsSync('/usr/src/linux-source-6.1.tar.xz')) {
    throw new HarnessError(
      'the debug kernel needs Debian\'s kernel source; fix: apt-get install -y --no-install-recommends linux-source-6.1 build-essential bc bison flex libssl-dev libelf-dev dwarves cpio xz-utils',
    );
  }
  return r.stdout.trim();
}

/** The cache key and what went into it. */
export function debugKernelKey(flavor = DEBUG_SERIES) {
  const parts = {
    format: CACHE_FORMAT,
    source: `linux-source-6.1 ${sourceVersion()}`,
    gcc: firstLine('gcc', ['--version']),
    binutils: firstLine('ld', ['--version']),
  };
  const h = createHash('sha256');
  h.update(JSON.stringify(parts));
  h.update('\0fragment\0');
  h.update(fragmentText(flavor));
  h.update('\0script\0');
  h.update(readFileSync(SCRIPT));
  return { key: h.digest('hex'), parts };
}

/** Descriptor used by the harness before the kernel is built (see ensureDebugKernel). */
export function debugKernelStub(flavor = DEBUG_SERIES) {
  return { series: flavor, kver: flavor, debug: true, ready: false };
}

function complete(dir) {
  return ['bzImage', 'System.map', 'kernelrelease', 'tree/Makefile', 'tree/Module.symvers', 'modules/dummy.ko']
    .every((f) => existsSync(join(dir, f)));
}

function runBuild(tmp, flavor) {
  return new Promise((resolve, reject) => {
    const logFile = join(tmp, 'build.log');
    mkdirSync(tmp, { recursive: true });
    const fragment = `${tmp}.config`;
    writeFileSync(fragment, fragmentText(flavor));
    const child = spawn('sh', ['-c', 'exec sh "$1" "$2" "$3" 2 >"$2/build.log" 2>&1', 'sh', SCRIPT, tmp, fragment], {
      stdio: 'ignore',
    });
    child.on('error', reject);
    child.on('close', (code) => {
      rmSync(fragment, { force: true });
      if (code === 0) return resolve();
      let tail = '';
      try {
        tail = readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n');
      } catch {
        // no log
      }
      reject(new HarnessError(`${flavor} kernel build failed (rc ${code}); log ${logFile}:\n${tail}`));
    });
  });
}

/**
 * Make sure the debug kernel for the current key exists (building it when
 * needed) and fill in descriptor `k`: vmlinuz, headers (the trimmed module
 * build tree), extra modules (dummy.ko), a kver that changes with the key.
 */
export async function ensureDebugKernel(k) {
  if (k.ready) return k;
  const flavor = k.series;
  const { key, parts } = debugKernelKey(flavor);
  const root = cacheRoot();
  const name = `${flavor}-kernel-${key.slice(0, 16)}`;
  const dir = join(root, name);
  mkdirSync(root, { recursive: true });
  if (!complete(dir)) {
    await withLock(join(root, `${name}.lock`), async () => {
      if (complete(dir)) return;
      const tmp = join(root, `.tmp-${name}-${process.pid}`);
      rmSync(tmp, { recursive: true, force: true });
      log.step(`building the ${flavor} kernel (${parts.source}; ~4-6 min of 2 cores, once per key ${key.slice(0, 16)})…`);
      log.info(`${flavor} kernel build log: ${join(tmp, 'build.log')}`);
      const t0 = Date.now();
      await runBuild(tmp, flavor);
      rmSync(dir, { recursive: true, force: true });
      renameSync(tmp, dir);
      log.info(`${flavor} kernel built in ${seconds(Date.now() - t0)}: ${dir}`);
      // Old keys of this flavor: drop them, they are 70+ MB each and can be rebuilt.
      const old = new RegExp(`^${flavor}-kernel-[0-9a-f]{16}$`);
      for (const f of readdirSync(root)) {
        const p = join(root, f);
        if (old.test(f) && p !== dir && statSync(p).isDirectory()) rmSync(p, { recursive: true, force: true });
      }
    });
  } else {
    log.info(`${flavor} kernel: cached (${dir})`);
  }
  const release = readFileSync(join(dir, 'kernelrelease'), 'utf8').trim();
  Object.assign(k, {
    ready: true,
    key,
    release,
    cacheDir: dir,
    vmlinuz: join(dir, 'bzImage'),
    headers: join(dir, 'tree'),
    modules: null,
    extraModules: { dummy: join(dir, 'modules', 'dummy.ko') },
    // ACPI PCI IRQ routing is very slow under the debug allocators (12 s vs 24 s boots).
    append: ['acpi=noirq'],
  });
  return k;
}
