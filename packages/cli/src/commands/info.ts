/**
 * `kchan info`: is the module loaded, which devices exist and who may open
 * them, which kernel this is.
 */
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { release } from 'node:os';

import type { CommonOptions } from '../cli.js';

export const DEVICES = ['/dev/watch_queue', '/dev/ummunotify', '/dev/kue'] as const;

export interface DeviceStatus {
  path: string;
  present: boolean;
  mode?: string;
  accessible: boolean;
}

export interface KchanStatus {
  kernel: string;
  moduleLoaded: boolean;
  moduleVersion?: string;
  testModuleLoaded: boolean;
  devices: DeviceStatus[];
}

function readTrim(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The module and device status of this machine. */
export function kchanStatus(): KchanStatus {
  const devices = DEVICES.map((path): DeviceStatus => {
    if (!existsSync(path)) return { path, present: false, accessible: false };
    const mode = (statSync(path).mode & 0o777).toString(8).padStart(4, '0');
    let accessible = true;
    try {
      accessSync(path, constants.R_OK | constants.W_OK);
    } catch {
      accessible = false;
    }
    return { path, present: true, mode, accessible };
  });
  const moduleVersion = readTrim('/sys/module/kchan/version');
  return {
    kernel: release(),
    moduleLoaded: existsSync('/sys/module/kchan'),
    ...(moduleVersion !== undefined ? { moduleVersion } : {}),
    testModuleLoaded: existsSync('/sys/module/kchan_test'),
    devices,
  };
}

export async function runInfo({ printer }: CommonOptions): Promise<void> {
  const status = kchanStatus();
  if (printer.json) {
    process.stdout.write(JSON.stringify({ device: 'kchan', kind: 'info', ...status }) + '\n');
    return;
  }
  const yes = (b: boolean): string => (b ? printer.paint('green', 'yes') : printer.paint('red', 'no'));
  process.stdout.write(`kernel        ${status.kernel}\n`);
  process.stdout.write(
    `kchan.ko      ${yes(status.moduleLoaded)}${status.moduleVersion ? ` (version ${status.moduleVersion})` : ''}\n`,
  );
  for (const d of status.devices) {
    const detail = d.present ? `mode ${d.mode}, ${d.accessible ? 'you may open it' : 'not accessible to you'}` : 'absent';
    process.stdout.write(`${d.path.padEnd(18)}${yes(d.present)}  ${detail}\n`);
  }
  if (!status.moduleLoaded) {
    process.stdout.write(
      printer.paint('gray', 'The kchan module is not loaded: `sudo modprobe kchan` (building it: kernel/README.md in the kchan repository), or in that repository `pnpm start` to see it in the bundled VM.') + '\n',
    );
  }
}
