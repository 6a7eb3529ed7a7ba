// The guest's initramfs: static busybox, vm/init.sh as /init, the virtio/9p/
// overlay modules of the guest kernel (resolved through modules.dep, skipping
// built-ins, decompressing .ko.xz), our modules, and a few small stock modules
// the tests may load and unload. Cached by content hash.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { HarnessError, log } from './log.mjs';

/** Loaded at boot, in dependency order: virtio PCI transport, 9p, overlayfs. */
const BOOT_MODULES = ['virtio_pci', '9pnet_virtio', '9p', 'overlay'];
/** Shipped but not loaded: the tests insmod/rmmod them (module and netdev events). */
const EXTRA_MODULES = ['dummy', 'veth', 'ifb'];
const KEEP_IMAGES = 4;

function readModulesDep(k) {
  const deps = new Map();
  for (const line of readFileSync(join(k.modules, 'modules.dep'), 'utf8').split('\n')) {
    const m = /^([^:]+):\s*(.*)$/.exec(line);
    if (!m) continue;
    deps.set(modName(m[1]), { path: join(k.modules, m[1]), deps: m[2].split(/\s+/).filter(Boolean).map(modName) });
  }
  const builtin = new Set(
    readFileSync(join(k.modules, 'modules.builtin'), 'utf8').split('\n').filter(Boolean).map(modName),
  );
  return { deps, builtin };
}

function modName(path) {
  return basename(path).replace(/\.ko(\.(xz|zst|gz))?$/, '').replace(/-/g, '_');
}

/** Modules to insmod for `wanted`, dependencies first, built-ins dropped. */
function resolveLoadOrder(k, wanted) {
  const { deps, builtin } = readModulesDep(k);
  const order = [];
  const seen = new Set();
  const visit = (name) => {
    const n = name.replace(/-/g, '_');
    if (seen.has(n)) return;
    seen.add(n);
    if (builtin.has(n)) return;
    const e = deps.get(n);
    if (!e) throw new HarnessError(`module ${n} is neither built into ${k.kver} nor in its modules.dep`);
    // modules.dep lists the deepest dependency last; load those first.
    for (const d of [...e.deps].reverse()) visit(d);
    order.push({ name: n, path: e.path });
  };
  for (const w of wanted) visit(w);
  return order;
}

function extraModules(k) {
  const { deps } = readModulesDep(k);
  return EXTRA_MODULES.filter((n) => deps.has(n) && deps.get(n).deps.length === 0).map((n) => ({
    name: n,
    path: deps.get(n).path,
  }));
}

function decompressTo(src, dst) {
  if (src.endsWith('.ko')) return copyFileSync(src, dst);
  const tool = src.endsWith('.xz') ? 'xz' : src.endsWith('.zst') ? 'zstd' : 'gzip';
  const r = spawnSync(tool, ['-dc', src], { maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new HarnessError(`${tool} -dc ${src} failed: ${r.stderr}`);
  writeFileSync(dst, r.stdout);
}

/**
 * Build (or reuse) the initramfs for kernel `k` with our modules `kos`
 * ({name: path}, loaded at boot in the given order). Returns its path.
 */
export function makeInitramfs(k, { kos, initScript, busybox, outDir }) {
  // The debug kernel has virtio-pci, 9p and overlayfs built in, and ships its
  // own small module set (no modules.dep).
  // k.bootModules: more for this kernel (arm64: virtio_console, its hvc0).
  const boot = k.debug ? [] : resolveLoadOrder(k, [...BOOT_MODULES, ...(k.bootModules ?? [])]);
  const extra = k.debug
    ? Object.entries(k.extraModules).map(([name, path]) => ({ name, path }))
    : extraModules(k);
  const ours = Object.entries(kos).map(([name, path]) => ({ name, path }));

  const h = createHash('sha256');
  h.update('kchan-initramfs v1\0');
  for (const f of [initScript, busybox]) h.update(readFileSync(f));
  for (const group of [boot, extra, ours]) {
    h.update('\0group\0');
    for (const m of group) {
      h.update(`\0${m.name}\0`);
      h.update(readFileSync(m.path));
    }
  }
  const hash = h.digest('hex').slice(0, 16);
  const out = join(outDir, `initramfs-${hash}.cpio.gz`);
  if (existsSync(out)) {
    const now = new Date();
    utimesSync(out, now, now); // keeps it among the newest (see pruning below)
    log.info(`initramfs for ${k.kver}: cached (${basename(out)})`);
    return out;
  }

  log.step(`building initramfs for ${k.kver}…`);
  const stage = join(outDir, `initramfs.stage.${process.pid}`);
  rmSync(stage, { recursive: true, force: true });
  for (const d of ['bin', 'dev', 'proc', 'sys', 'host', 'newroot', 'rw', 'results', 'mod/boot', 'mod/kchan', 'mod/extra']) {
    mkdirSync(join(stage, d), { recursive: true });
  }
  copyFileSync(busybox, join(stage, 'bin/busybox'));
  chmodSync(join(stage, 'bin/busybox'), 0o755);
  copyFileSync(initScript, join(stage, 'init'));
  chmodSync(join(stage, 'init'), 0o755);
  for (const m of boot) decompressTo(m.path, join(stage, 'mod/boot', `${m.name}.ko`));
  for (const m of extra) decompressTo(m.path, join(stage, 'mod/extra', `${m.name}.ko`));
  for (const m of ours) copyFileSync(m.path, join(stage, 'mod/kchan', `${m.name}.ko`));
  writeFileSync(join(stage, 'mod/boot.order'), boot.map((m) => `${m.name}\n`).join(''));
  writeFileSync(join(stage, 'mod/kchan.order'), ours.map((m) => `${m.name}\n`).join(''));

  const tmp = `${out}.tmp.${process.pid}`;
  const r = spawnSync('sh', ['-c', `cd "$1" && find . | sort | cpio -o -H newc --quiet -R 0:0 | gzip -1 > "$2"`, 'sh', stage, tmp]);
  if (r.status !== 0) throw new HarnessError(`cpio/gzip failed: ${r.stderr}`);
  renameSync(tmp, out);
  rmSync(stage, { recursive: true, force: true });
  // Keep the few most recently used images: concurrent runs (other
  // checkouts' sources, --kernel-src) may be about to boot an older one.
  const images = readdirSync(outDir)
    .filter((f) => /^initramfs-[0-9a-f]{16}\.cpio\.gz$/.test(f))
    .map((f) => ({ p: join(outDir, f), t: statSync(join(outDir, f)).mtimeMs }))
    .sort((a, b) => b.t - a.t);
  for (const img of images.slice(KEEP_IMAGES)) rmSync(img.p, { force: true });
  return out;
}
