/**
 * The kchan command: parses arguments and runs one command until it ends or
 * the user presses Ctrl-C (SIGINT/SIGTERM abort the command's AbortSignal,
 * the streams end, a summary is printed and the exit status is 0).
 */
import { parseArgs } from 'node:util';

import { WATCH_QUEUE_MAX_PAGES } from '@kchan/uapi';

import { Printer } from './output.js';
import { runDemo } from './commands/demo.js';
import { runInfo } from './commands/info.js';
import { runKue } from './commands/kue.js';
import { runUmmunotify } from './commands/ummunotify.js';
import { runWatch } from './commands/watch.js';

export const USAGE = `Usage: kchan <command> [options]

Commands:
  watch [net|module|kapi|all]  stream watch_queue notifications (default: all)
  kue                          tail the /dev/kue message queue
  ummunotify --demo            map memory, register it, unmap parts; show events
                               and generation changes
  info                         module and device status, kernel
  demo                         the main job: live events from every device, with a
                               scripted event generator; boots the bundled VM when
                               this kernel has no kchan module

Options:
  --json            one JSON object per line
  --count N         stop after N events
  --timeout S       stop after S seconds
  --pages N         watch_queue ring size in pages: 1, 2, 4, ... 256 (default 4)
  --demo            (ummunotify) run the demonstration
  --kernel 6.1|6.12 (demo) kernel to boot in the VM (default 6.12)
  -h, --help        this help
  -v, --version     print the version`;

export interface CommonOptions {
  printer: Printer;
  signal: AbortSignal;
  count: number | undefined;
}

/** An error the CLI reports as one line and exit status 2 (bad usage). */
export class UsageError extends Error {
  readonly code = 'EUSAGE';
}

/** Kernels `demo` can boot in the bundled VM. */
export const VM_KERNELS = ['6.1', '6.12'] as const;

/** Plain decimal digits only: no '1e3', '0x10', ' 5' or '5.0'. */
function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = /^[1-9][0-9]*$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) throw new UsageError(`--${name} takes a positive integer, not '${value}'`);
  return n;
}

function ringPages(value: string | undefined): number {
  const pages = positiveInt('pages', value) ?? 4;
  if (pages > WATCH_QUEUE_MAX_PAGES || (pages & (pages - 1)) !== 0) {
    throw new UsageError(`--pages takes a power of two from 1 to ${WATCH_QUEUE_MAX_PAGES}, not '${value}'`);
  }
  return pages;
}

function noArguments(command: string, rest: string[]): void {
  if (rest.length > 0) throw new UsageError(`'${command}' takes no arguments, got '${rest.join(' ')}'`);
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit status. */
export async function main(argv: string[], version = '0.0.0'): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        json: { type: 'boolean', default: false },
        count: { type: 'string' },
        timeout: { type: 'string' },
        pages: { type: 'string' },
        demo: { type: 'boolean', default: false },
        kernel: { type: 'string' },
        'in-vm': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', short: 'v', default: false },
      },
    });
  } catch (err) {
    process.stderr.write(`kchan: ${(err as Error).message} (see kchan --help)\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.version) {
    process.stdout.write(`${version}\n`);
    return 0;
  }
  const [command, ...rest] = positionals;
  if (values.help || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (command === undefined) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }

  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // The reader of our output went away (`kchan kue | head`): stop as if
  // interrupted. bin.ts keeps EPIPE from becoming an uncaught error.
  const onOutputError = (err: NodeJS.ErrnoException): void => {
    if (err.code === 'EPIPE') controller.abort();
  };
  process.stdout.on('error', onOutputError);
  const printer = new Printer({ json: values.json ?? false });
  try {
    const timeout = positiveInt('timeout', values.timeout);
    let timer: NodeJS.Timeout | undefined;
    if (timeout !== undefined) {
      timer = setTimeout(() => controller.abort(), timeout * 1000);
      timer.unref();
    }
    const common: CommonOptions = {
      printer,
      signal: controller.signal,
      count: positiveInt('count', values.count),
    };
    switch (command) {
      case 'watch':
        await runWatch(common, { sources: rest, pages: ringPages(values.pages) });
        break;
      case 'kue':
        noArguments(command, rest);
        await runKue(common);
        break;
      case 'ummunotify':
        noArguments(command, rest);
        if (!values.demo) throw new UsageError('ummunotify needs --demo (see kchan --help)');
        await runUmmunotify(common);
        break;
      case 'info':
        noArguments(command, rest);
        await runInfo(common);
        return 0;
      case 'demo': {
        noArguments(command, rest);
        const kernel = values.kernel ?? '6.12';
        if (!(VM_KERNELS as readonly string[]).includes(kernel)) {
          throw new UsageError(`--kernel takes ${VM_KERNELS.join(' or ')}, not '${kernel}'`);
        }
        return await runDemo(common, { kernel, inVm: values['in-vm'] ?? false, argv });
      }
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
    printer.summary();
    return 0;
  } catch (err) {
    const e = err as Error & { code?: string };
    if (e instanceof UsageError) {
      process.stderr.write(`kchan: ${e.message}\n`);
      return 2;
    }
    const message = e.code && !e.message.includes(e.code) ? `${e.code}: ${e.message}` : e.message;
    process.stderr.write(`kchan: ${message}\n`);
    if (e.code === 'ENOENT' || e.code === 'EACCES') {
      process.stderr.write('kchan: is the kchan module loaded and are its devices accessible? Run `kchan info`.\n');
    }
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.stdout.off('error', onOutputError);
  }
}
