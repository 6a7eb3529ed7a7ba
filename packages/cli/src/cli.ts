/**
 * The kchan command: parses arguments and runs one command until it ends or
 * the user presses Ctrl-C (SIGINT/SIGTERM abort the command's AbortSignal,
 * the streams end, a summary is printed and the exit status is 0).
 */
import { parseArgs } from 'node:util';

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
  info                         module and device status, kernel, features
  demo                         the main job: live events from every device, with a
                               scripted event generator; boots the bundled VM when
                               this kernel has no kchan module

Options:
  --json            one JSON object per line
  --count N         stop after N events
  --timeout S       stop after S seconds
  --pages N         watch_queue ring size in pages (default 4)
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

function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--${name} takes a positive integer, not '${value}'`);
  return n;
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
    process.stderr.write(`kchan: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.version) {
    process.stdout.write(`${version}\n`);
    return 0;
  }
  const [command, ...rest] = positionals;
  if (values.help || command === undefined || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined && !values.help ? 2 : 0;
  }

  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
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
        await runWatch(common, { sources: rest, pages: positiveInt('pages', values.pages) ?? 4 });
        break;
      case 'kue':
        await runKue(common);
        break;
      case 'ummunotify':
        if (!values.demo) throw new UsageError('ummunotify needs --demo (see kchan --help)');
        await runUmmunotify(common);
        break;
      case 'info':
        await runInfo(common);
        return 0;
      case 'demo':
        return await runDemo(common, { kernel: values.kernel ?? '6.12', inVm: values['in-vm'] ?? false, argv });
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
    const message = e.code && !e.message.startsWith(e.code) ? `${e.code}: ${e.message}` : e.message;
    process.stderr.write(`kchan: ${message}\n`);
    if (e.code === 'ENOENT' || e.code === 'EACCES') {
      process.stderr.write('kchan: is the kchan module loaded and are its devices accessible? Run `kchan info`.\n');
    }
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
