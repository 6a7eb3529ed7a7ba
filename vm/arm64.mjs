#!/usr/bin/env node
// The module on an arm64 kernel (issue 21, first part; run by `pnpm
// test:arm64`): Debian's arm64 6.1 kernel booted with qemu-system-aarch64
// (-M virt, TCG), kchan.ko, kchan_test.ko and kchan_stress.ko cross-built
// against Debian's arm64 headers (W=1, warnings fail), kchan_fuzz and
// kchan_load cross-compiled (static), and vm/stress/guest.sh's quick run
// (fuzz, load with exact accounting, open/close and register cycles with a
// slab bound), then its unload/reload round, in the guest. Verdicts as on
// x86 (vm/lib/scan.mjs): a kernel report (oops, WARN, BUG, lockdep, ...) or
// a taint bit beyond the loaded modules' O and E fails the run.
//
// The Node kernel suites on the same kernel run through the x86 harness:
// `node vm/run.mjs test --kernel arm64` (vm/lib/arm64.mjs says how the
// kernel is fetched and what userland the guest gets).
//
//   node vm/arm64.mjs               the quick stress run
//   node vm/arm64.mjs --oops null   harness self-test: loads vm/selftest/oops
//                                   with mode=null|warn|bug; the run must FAIL
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { KMAKE as ARM64_KMAKE, TRIPLE, prepareKernel, requireArm64Host, resolveKernel, run } from './lib/arm64.mjs';
import { copySources } from './lib/build.mjs';
import { HarnessError, log, seconds } from './lib/log.mjs';
import { ARM64_CPU } from './lib/qemu.mjs';
import { scanLog } from './lib/scan.mjs';

const REPO = resolve(import.meta.dirname, '..');
/** Taint of our out-of-tree, unsigned modules: O (4096) | E (8192). */
const LOADED_TAINT = 4096 | 8192;

const { values } = parseArgs({
  options: {
    oops: { type: 'string' },
    timeout: { type: 'string', default: '900' },
    seed: { type: 'string' },
  },
});

const KMAKE = [...ARM64_KMAKE, 'W=1'];

/** Cross-builds the modules (test build) and the C tools into `work`; returns their paths. */
function buildModules(k, kver, work) {
  const src = join(work, 'kernel');
  copySources(join(REPO, 'kernel'), src);
  copySources(join(REPO, 'vm', 'selftest', 'oops'), join(work, 'oops'));
  const outputs = [
    run('make', ['-C', k.headers, `M=${src}`, 'KCHAN_TESTING=y', ...KMAKE, 'modules']),
    run('make', ['-C', k.headers, `M=${join(src, 'test')}`, `KBUILD_EXTRA_SYMBOLS=${join(src, 'Module.symvers')}`, ...KMAKE, 'modules']),
    run('make', ['-C', k.headers, `M=${join(src, 'test', 'stress')}`, `KBUILD_EXTRA_SYMBOLS=${join(src, 'Module.symvers')}`, ...KMAKE, 'modules']),
    run('make', ['-C', k.headers, `M=${join(work, 'oops')}`, ...KMAKE, 'modules']),
  ];
  const warnings = outputs.join('\n').split('\n').filter((l) => /warning:|error:/i.test(l));
  if (warnings.length) throw new HarnessError(`the arm64 module build warned (W=1):\n${warnings.slice(0, 20).join('\n')}`);
  const kos = {
    kchan: join(src, 'kchan.ko'),
    kchan_test: join(src, 'test', 'kchan_test.ko'),
    kchan_stress: join(src, 'test', 'stress', 'kchan_stress.ko'),
    kchan_oops: join(work, 'oops', 'kchan_oops.ko'),
  };
  const vermagic = run('modinfo', ['-F', 'vermagic', kos.kchan]).trim();
  if (!vermagic.startsWith(`${kver} SMP`) || !vermagic.includes('aarch64')) {
    throw new HarnessError(`kchan.ko vermagic "${vermagic}" does not match ${kver}`);
  }
  const tools = {};
  for (const name of ['kchan_fuzz', 'kchan_load']) {
    tools[name] = join(work, name);
    run(`${TRIPLE}-gcc`, ['-O2', '-g', '-Wall', '-Wextra', '-Werror', '-pthread', '-static', '-I', join(REPO, 'kernel', 'include', 'uapi'), '-o', tools[name], join(REPO, 'kernel', 'test', 'fuzz', `${name}.c`)]);
  }
  return { kos, tools, vermagic };
}

function initScript(oops) {
  const body = oops
    ? `insmod /mod/kchan_oops.ko mode=${oops}; echo "insmod kchan_oops mode=${oops} rc=$?"; rc=0`
    : `export KCHAN_VM_RESULTS=/r KCHAN_STRESS_SCALE=5 KCHAN_FUZZ_CALLS=20000${values.seed ? ` KCHAN_FUZZ_SEED=${Number(values.seed)}` : ''}
sh /r/guest.sh main; rc=$?
# Then the unload/reload round (x86 boots a second time for it; here the
# main run is over, so the same boot serves): rmmod refused while fds or
# mappings pin the module, kchan_test's kue payloads recalled, insmod back.
KCHAN_VM_MODULES=/mod sh /r/guest.sh unload || rc=1`;
  return `#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
mount -t debugfs none /sys/kernel/debug 2>/dev/null
mkdir -p /tmp; mount -t tmpfs tmpfs /tmp
echo "kchan-arm64: kernel $(uname -r) $(uname -m), $(nproc) cpus"
echo "kchan-arm64: taint boot=$(cat /proc/sys/kernel/tainted)"
insmod /mod/kchan.ko && insmod /mod/kchan_test.ko || { echo "kchan-arm64: insmod failed"; echo "KCHAN-ARM64-RESULT: rc=1"; poweroff -f; }
echo "kchan-arm64: taint loaded=$(cat /proc/sys/kernel/tainted)"
${body}
echo "kchan-arm64: taint after=$(cat /proc/sys/kernel/tainted)"
echo "kchan-arm64: dmesg begin"
dmesg
echo "kchan-arm64: dmesg end"
echo "KCHAN-ARM64-RESULT: rc=$rc"
poweroff -f
`;
}

function makeInitramfs(k, built, work, oops) {
  const stage = join(work, 'initramfs');
  for (const d of ['bin', 'dev', 'proc', 'sys', 'mod', 'r']) mkdirSync(join(stage, d), { recursive: true });
  copyFileSync(k.busybox, join(stage, 'bin', 'busybox'));
  chmodSync(join(stage, 'bin', 'busybox'), 0o755);
  for (const name of ['kchan', 'kchan_test', 'kchan_oops']) copyFileSync(built.kos[name], join(stage, 'mod', `${name}.ko`));
  copyFileSync(built.kos.kchan_stress, join(stage, 'r', 'kchan_stress.ko'));
  for (const [name, p] of Object.entries(built.tools)) copyFileSync(p, join(stage, 'r', name));
  copyFileSync(join(REPO, 'vm', 'stress', 'guest.sh'), join(stage, 'r', 'guest.sh'));
  writeFileSync(join(stage, 'init'), initScript(oops), { mode: 0o755 });
  const out = join(work, 'initramfs.cpio.gz');
  execFileSync('sh', ['-c', `cd "${stage}" && find . | cpio -o -H newc 2>/dev/null | gzip -1 > "${out}"`]);
  return out;
}

/** Verdict over the console (guest output, then the kernel log from dmesg). */
function verdict(text, rc) {
  const problems = [];
  const result = /KCHAN-ARM64-RESULT: rc=(\d+)/.exec(text)?.[1];
  if (result === undefined) problems.push(`the guest did not finish (qemu rc ${rc})`);
  else if (result !== '0') problems.push(`the guest command failed (rc ${result})`);
  const taint = (what) => Number(new RegExp(`taint ${what}=(\\d+)`).exec(text)?.[1] ?? NaN);
  if (taint('boot') !== 0) problems.push(`the kernel was tainted before our modules (${taint('boot')})`);
  const extra = taint('after') & ~LOADED_TAINT;
  if (Number.isNaN(taint('after')) || extra) problems.push(`taint after the run: ${taint('after')} (beyond O|E: ${extra})`);
  // The console shows a report twice (printk, then the dmesg dump): once here.
  const hits = scanLog(text).filter((h, i, all) => all.findIndex((o) => o.line === h.line) === i);
  for (const h of hits.slice(0, 5)) problems.push(`kernel report "${h.pattern}": ${h.line.trim()}`);
  return problems;
}

async function main() {
  const t0 = Date.now();
  requireArm64Host();
  const kinfo = resolveKernel();
  const k = prepareKernel(kinfo);
  const work = mkdtempSync(join(tmpdir(), 'kchan-arm64-kernel-'));
  try {
    const built = buildModules(k, kinfo.kver, work);
    log.info(`arm64: kchan.ko, kchan_test.ko, kchan_stress.ko built W=1 clean (vermagic ${built.vermagic}); kchan_fuzz, kchan_load static`);
    const initrd = makeInitramfs(k, built, work, values.oops);
    const what = values.oops ? `harness self-test (kchan_oops mode=${values.oops})` : 'quick stress (vm/stress/guest.sh main, scale 5, 20000 fuzz calls), then unload/reload (2 rounds)';
    log.step(`arm64: booting ${kinfo.kver} in qemu-system-aarch64 (virt, TCG, smp 2, 2048 MB): ${what}`);
    const tBoot = Date.now();
    const q = spawnSync('timeout', ['-k', '10', values.timeout, 'qemu-system-aarch64',
      '-M', 'virt', '-cpu', ARM64_CPU, '-accel', 'tcg', '-smp', '2', '-m', '2048',
      '-nographic', '-nodefaults', '-no-reboot', '-serial', 'stdio',
      '-kernel', k.vmlinuz, '-initrd', initrd,
      '-append', 'console=ttyAMA0 panic=-1 loglevel=4 quiet'], { encoding: 'utf8', maxBuffer: 256 << 20 });
    const text = `${q.stdout ?? ''}${q.stderr ?? ''}`.replaceAll('\r', '');
    mkdirSync(join(REPO, 'vm', '.out'), { recursive: true });
    writeFileSync(join(REPO, 'vm', '.out', 'arm64-console.log'), text);
    for (const line of text.split('\n')) {
      if (/^(===|kchan_|kue:|cpus |SUnreclaim|kchan-arm64:|insmod )/.test(line) && !line.startsWith('kchan-arm64: dmesg')) process.stdout.write(`[arm64] ${line}\n`);
    }
    const problems = verdict(text, q.status);
    const vm = seconds(Date.now() - tBoot);
    if (values.oops) {
      // The self-test passes when the harness FAILS the run.
      // Both verdicts must see it: the log scan and the taint mask.
      if (values.oops !== 'none' && !(problems.some((p) => p.startsWith('kernel report')) && problems.some((p) => p.startsWith('taint')))) {
        throw new HarnessError(`self-test: kchan_oops mode=${values.oops} was not detected by both the log scan and the taint check: ${problems.join('; ') || 'no problem found'}`);
      }
      if (values.oops === 'none' && problems.length) throw new HarnessError(`self-test: the control case failed: ${problems.join('; ')}`);
      log.ok(`arm64 self-test mode=${values.oops}: ${problems.length ? `run failed as it must (${problems.join('; ')})` : 'control case passed'}; VM ${vm}`);
      return 0;
    }
    if (problems.length) {
      for (const p of problems) log.fail(`arm64 ${kinfo.kver}: ${p}`);
      log.info(`full console: vm/.out/arm64-console.log`);
      return 1;
    }
    log.ok(`arm64 ${kinfo.kver}: quick stress and unload/reload ok, no kernel report, taint only O|E; VM ${vm}, total ${seconds(Date.now() - t0)}`);
    return 0;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  (rc) => process.exit(rc),
  (err) => {
    if (err instanceof HarnessError) log.fail(err.message);
    else console.error(err);
    process.exit(1);
  },
);
