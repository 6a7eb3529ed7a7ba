/**
 * `kchan demo`: the main job. Streams live events from all three devices
 * while a scripted generator makes the kernel produce some: a dummy network
 * device is added, brought up and down, renamed and deleted; the dummy
 * module is loaded and unloaded; the test injector posts a watch_queue
 * notification and sends kue messages; ummunotify watches memory being
 * unmapped.
 *
 * When this kernel has no kchan module (the host of a development machine
 * or a container cannot load modules), the demo boots the repository's QEMU
 * VM (vm/run.mjs) with Debian's kernel and the module and runs itself there.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import type { CommonOptions } from '../cli.js';
import { kchanStatus } from './info.js';
import { runKue } from './kue.js';
import { runUmmunotify } from './ummunotify.js';
import { runWatch } from './watch.js';

export interface DemoOptions {
  kernel: string;
  inVm: boolean;
  argv: string[];
}

export type Step = { say: string } & ({ cmd: string[] } | { inject: string });

/** What the generator does, in order. */
export const GENERATOR: Step[] = [
  { say: 'load the dummy network driver', cmd: ['modprobe', 'dummy', 'numdummies=0'] },
  { say: 'add network device kchan0', cmd: ['ip', 'link', 'add', 'kchan0', 'type', 'dummy'] },
  { say: 'bring kchan0 up', cmd: ['ip', 'link', 'set', 'kchan0', 'up'] },
  { say: 'bring kchan0 down', cmd: ['ip', 'link', 'set', 'kchan0', 'down'] },
  { say: 'rename kchan0 to kchan1', cmd: ['ip', 'link', 'set', 'kchan0', 'name', 'kchan1'] },
  { say: 'delete kchan1', cmd: ['ip', 'link', 'del', 'kchan1'] },
  { say: 'unload the dummy driver', cmd: ['rmmod', 'dummy'] },
  { say: 'a kernel module posts two notifications through kchan_watch_queue_post()', inject: 'wq post 3 7 4 2' },
  { say: 'a kernel module sends kue messages m1..m4', inject: 'kue m1m4' },
];

function findVmRunner(): string | undefined {
  const script = process.argv[1];
  let dir = script ? dirname(realpathSync(script)) : process.cwd();
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'vm', 'run.mjs');
    if (existsSync(candidate)) return candidate;
    dir = resolve(dir, '..');
  }
  return undefined;
}

async function generate({ printer, signal }: CommonOptions): Promise<void> {
  await sleep(1500, undefined, { signal }); // let the readers arm first
  for (const step of GENERATOR) {
    if (signal.aborted) return;
    printer.note(`» ${step.say}`);
    if ('cmd' in step) {
      const [file, ...args] = step.cmd;
      const r = spawnSync(file as string, args, { encoding: 'utf8' });
      if (r.status !== 0) printer.note(`  (${step.cmd.join(' ')} failed: ${(r.stderr || r.error?.message || '').trim()})`);
    } else {
      try {
        writeFileSync('/dev/kchan_test', step.inject);
      } catch (err) {
        printer.note(`  (/dev/kchan_test: ${(err as Error).message})`);
      }
    }
    await sleep(400, undefined, { signal });
  }
  await settle(printer, signal);
}

/**
 * Returns once no event has been printed for `quietMs` (and `minMs` have
 * passed), or after `maxMs`: the readers have drained what the generator
 * made, however slow the machine (a fixed pause could stop them early under
 * an emulator sharing its cores with other work).
 */
async function settle(printer: CommonOptions['printer'], signal: AbortSignal, minMs = 1500, quietMs = 1000, maxMs = 10_000): Promise<void> {
  const events = (): number => Object.values(printer.totals()).reduce((a, b) => a + b, 0);
  const start = Date.now();
  let seen = events();
  let lastChange = start;
  while (Date.now() - start < maxMs) {
    await sleep(100, undefined, { signal });
    const now = Date.now();
    const n = events();
    if (n !== seen) {
      seen = n;
      lastChange = now;
    } else if (now - start >= minMs && now - lastChange >= quietMs) {
      return;
    }
  }
}

async function demoHere(common: CommonOptions): Promise<void> {
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  common.signal.addEventListener('abort', stop, { once: true });
  const local: CommonOptions = { ...common, signal: controller.signal, count: undefined };
  common.printer.note('kchan demo: streaming /dev/watch_queue, /dev/kue and /dev/ummunotify (Ctrl-C to stop)');
  // Settled as they go: a reader that fails (a device missing or not
  // accessible) stops the others and the generator at once, and its error
  // is reported below rather than left unhandled while the generator runs.
  const readers = Promise.allSettled(
    [runWatch(local, { sources: ['all'], pages: 4 }), runKue(local), runUmmunotify(local, { steps: 3, intervalMs: 900 })].map((p) =>
      p.catch((err: unknown) => {
        controller.abort();
        throw err;
      }),
    ),
  );
  try {
    await generate(local);
  } catch (err) {
    if (!controller.signal.aborted) throw err;
  } finally {
    controller.abort();
  }
  for (const r of await readers) if (r.status === 'rejected') throw r.reason;
  common.printer.summary();
}

export async function runDemo(common: CommonOptions, opts: DemoOptions): Promise<number> {
  const status = kchanStatus();
  if (opts.inVm || status.devices.every((d) => d.present)) {
    await demoHere(common);
    return 0;
  }
  const runner = findVmRunner();
  if (!runner) {
    process.stderr.write(
      'kchan: this kernel has no kchan module and the bundled VM is not here; load it with `sudo modprobe kchan` (building it: kernel/README.md in the kchan repository)\n',
    );
    return 1;
  }
  const bin = realpathSync(process.argv[1] as string);
  const passthrough = opts.argv.filter((a) => a === '--json');
  // The guest's stdout is a pipe: carry the host terminal's colour choice in.
  const colour = process.stdout.isTTY && !process.env['NO_COLOR'] ? ['--env', 'FORCE_COLOR=1'] : [];
  common.printer.note(
    `kchan: this kernel (${status.kernel}) has no kchan module; booting Debian's ${opts.kernel} kernel with kchan.ko in QEMU…`,
  );
  const child = spawn(
    process.execPath,
    [runner, 'exec', '--kernel', opts.kernel, ...colour, '--', process.execPath, bin, 'demo', '--in-vm', ...passthrough],
    { stdio: 'inherit' },
  );
  const onAbort = (): void => {
    child.kill('SIGINT');
  };
  common.signal.addEventListener('abort', onAbort, { once: true });
  return await new Promise<number>((resolveExit) => {
    child.on('exit', (code, sig) => {
      common.signal.removeEventListener('abort', onAbort);
      resolveExit(code ?? (sig ? 1 : 0));
    });
  });
}
