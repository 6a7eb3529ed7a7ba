// Booting a guest: TCG (the host kernel cannot load modules and nested KVM
// hangs), two serial ports (ttyS0 = init and the command, ttyS1 = kernel
// console; on arm64 hvc0 and ttyAMA0), the host root read-only and a per-run
// results directory read-write over virtio-9p, isa-debug-exit for the exit
// status (x86).
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { which } from './tools.mjs';

/** Splits a byte stream into lines; flushes a pending partial line when idle. */
export class LineSplitter {
  constructor(onLine, { idleMs = 0 } = {}) {
    this.onLine = onLine;
    this.buf = '';
    this.decoder = new StringDecoder('utf8'); // chunks may split characters
    this.idleMs = idleMs;
    this.timer = null;
  }

  push(chunk) {
    this.buf += this.decoder.write(chunk).replace(/\r(?=\n)/g, '');
    let i;
    while ((i = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, i);
      this.buf = this.buf.slice(i + 1);
      this.onLine(line, true);
    }
    if (this.idleMs && this.buf) {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        if (this.buf) {
          this.onLine(this.buf, false);
          this.buf = '';
        }
      }, this.idleMs);
    }
  }

  end() {
    clearTimeout(this.timer);
    this.buf += this.decoder.end();
    if (this.buf) this.onLine(this.buf, true);
    this.buf = '';
  }
}

/**
 * The emulated arm64 CPU: a Neoverse N1 (Graviton2, Ampere Altra: ARMv8.2
 * with LSE atomics, no pointer authentication), not `max`. Under `max`
 * (every feature QEMU has: PAC, BTI, SVE, MTE...) Node 20's V8 failed in 4
 * of 13 suite runs, 3 of them inside its deoptimizer (vm/README.md).
 * KCHAN_VM_ARM64_CPU overrides it (e.g. "max,pauth-impdef=on").
 */
export const ARM64_CPU = process.env.KCHAN_VM_ARM64_CPU || 'neoverse-n1';

export function qemuArgs(k, { initrd, shareDir, mode, smp, mem, kernelChardev, stallS }) {
  const arm64 = k.arch === 'arm64';
  const append = [
    // arm64 (-M virt): the kernel logs to the PL011 UART, init and the
    // command use a virtio console (hvc0; vm/init.sh reads kchan.tty).
    arm64 ? 'console=ttyAMA0' : 'console=ttyS1',
    // Warnings and worse reach the host live even if the guest hangs; the
    // full dmesg is copied out at the end of the run.
    'loglevel=5',
    'panic=-1',
    `kchan.mode=${mode}`,
    // init.sh's watchdog: a command silent this long is shown and killed.
    ...(stallS ? [`kchan.stall=${stallS}`] : []),
    ...(arm64 ? ['kchan.tty=hvc0'] : []),
    // An arm64 userland laid over the host root (vm/lib/arm64.mjs).
    ...(k.rootfs ? ['kchan.lower=1'] : []),
    // Per-kernel parameters (the debug kernel: acpi=noirq).
    ...(k.append ?? []),
    // Experiments/debugging: extra kernel parameters.
    process.env.KCHAN_VM_APPEND ?? '',
  ].filter(Boolean).join(' ');
  const con = mode === 'shell' ? 'stdio,id=con,mux=on,signal=off' : 'stdio,id=con,signal=off';
  const args = [
    ...(arm64 ? ['-M', 'virt', '-cpu', ARM64_CPU] : []),
    '-accel', 'tcg',
    '-m', String(mem),
    '-smp', String(smp),
    '-nodefaults', '-no-reboot', '-display', 'none',
    '-kernel', k.vmlinuz,
    '-initrd', initrd,
    '-append', append,
    '-chardev', con,
    ...(arm64
      ? ['-chardev', `${kernelChardev},id=klog`, '-serial', 'chardev:klog',
        '-device', 'virtio-serial-pci', '-device', 'virtconsole,chardev=con']
      : ['-serial', 'chardev:con', '-chardev', `${kernelChardev},id=klog`, '-serial', 'chardev:klog']),
    '-fsdev', 'local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap',
    '-device', 'virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot',
    '-fsdev', `local,id=results,path=${shareDir},security_model=none,multidevs=remap`,
    '-device', 'virtio-9p-pci,fsdev=results,mount_tag=results',
    // Its own export: a layer inside the host root's would overlap it, which
    // overlayfs refuses (ELOOP).
    ...(k.rootfs
      ? ['-fsdev', `local,id=lower,path=${k.rootfs},security_model=none,readonly=on,multidevs=remap`,
        '-device', 'virtio-9p-pci,fsdev=lower,mount_tag=lower']
      : []),
    // The guest's exit status (x86 only: arm64 has no I/O ports; the
    // harness then reads it from the results share and the console).
    ...(arm64 ? [] : ['-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04']),
  ];
  if (mode === 'shell') args.push('-mon', 'chardev=con,mode=readline');
  // Experiments/debugging: extra qemu arguments (split on spaces).
  if (process.env.KCHAN_VM_QEMU_ARGS) args.push(...process.env.KCHAN_VM_QEMU_ARGS.split(/\s+/).filter(Boolean));
  return args;
}

/** Whether the guest's status reaches qemu's exit code (isa-debug-exit). */
export const hasDebugExit = (k) => k.arch !== 'arm64';

/** How long a guest may go on after a fatal kernel report (see stopSoon). */
export const FATAL_GRACE_MS = 20_000;

/**
 * Run the VM to completion.
 * batch: ttyS0 is piped to onConsole(line); ttyS1 (kernel) to onKernel(line).
 * shell: ttyS0 is the user's terminal; the kernel console goes to kernelLogFile.
 * Resolves to { rc, wallMs, stopReason }, rc being qemu's exit status and
 * stopReason set when o.stopSoon(why) (batch mode; call it from onKernel)
 * killed the guest FATAL_GRACE_MS after it was called.
 */
export async function runQemu(k, o) {
  const qemu = which(k.arch === 'arm64' ? 'qemu-system-aarch64' : 'qemu-system-x86_64');
  const t0 = Date.now();
  let child;
  let server = null;
  let stopTimer = null;
  let stopReason = null;
  if (o.mode === 'shell') {
    const args = qemuArgs(k, { ...o, kernelChardev: `file,path=${o.kernelLogFile}` });
    child = spawn(qemu, args, { stdio: 'inherit' });
  } else {
    // ttyS1 reaches us through a unix socket qemu connects to at start-up
    // (node's child stdio are sockets, which qemu cannot reopen by path).
    const sock = o.kernelSocket;
    const kern = new LineSplitter(o.onKernel);
    const kernDone = new Promise((resolveDone) => {
      server = createServer((c) => {
        c.on('data', (d) => kern.push(d));
        c.on('close', () => {
          kern.end();
          resolveDone();
        });
        c.on('error', () => {});
      });
    });
    await new Promise((res, rej) => {
      server.once('error', rej);
      server.listen(sock, res);
    });
    o.kernelDone = kernDone;
    // `timeout` sends TERM, then KILL 10 s later; rc 124 (or 137) = timed out.
    const args = qemuArgs(k, { ...o, kernelChardev: `socket,path=${sock},server=off` });
    child = spawn(which('timeout'), ['-k', '10', String(o.timeoutS), qemu, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const con = new LineSplitter(o.onConsole, { idleMs: 200 });
    child.stdout.on('data', (c) => con.push(c));
    child.stdout.on('end', () => con.end());
    let err = '';
    child.stderr.on('data', (c) => {
      err += c;
    });
    child.on('close', () => {
      if (err.trim()) o.onQemuStderr?.(err.trim());
    });
    // A fatal kernel report (oops, panic) often leaves the command stuck on
    // a lock the dead task held: stop the guest a grace period later instead
    // of waiting for the timeout. `timeout` passes TERM on to qemu.
    o.stopSoon = (why) => {
      if (stopTimer) return;
      stopTimer = setTimeout(() => {
        stopReason = why;
        child.kill('SIGTERM');
      }, FATAL_GRACE_MS);
    };
  }
  const result = await new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(stopTimer);
      const rc = code ?? 128 + 9;
      resolve({ rc, signal, wallMs: Date.now() - t0, stopReason });
    });
  });
  if (server) {
    // qemu is gone, so its connection is closed or about to be.
    await Promise.race([o.kernelDone, new Promise((r) => setTimeout(r, 1000))]);
    server.close();
  }
  return result;
}

export function openLog(path) {
  return createWriteStream(path, { flags: 'w' });
}
