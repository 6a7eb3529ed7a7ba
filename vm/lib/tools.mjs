// Host tools the harness needs, with the apt package that provides each.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { HarnessError } from './log.mjs';

const TOOLS = {
  'qemu-system-x86_64': 'qemu-system-x86',
  cpio: 'cpio',
  gzip: 'gzip',
  xz: 'xz-utils',
  make: 'make',
  gcc: 'gcc',
  timeout: 'coreutils',
};

export function which(cmd) {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(delimiter)) {
    const p = join(dir, cmd);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // keep looking
    }
  }
  return null;
}

export function requireTools(names) {
  const missing = names.filter((n) => !which(n));
  if (missing.length) {
    const pkgs = [...new Set(missing.map((n) => TOOLS[n] ?? n))].join(' ');
    throw new HarnessError(`missing ${missing.join(', ')}; fix: apt-get install -y --no-install-recommends ${pkgs}`);
  }
}

export function requireBusybox() {
  const p = '/bin/busybox';
  try {
    accessSync(p, constants.X_OK);
  } catch {
    throw new HarnessError('missing /bin/busybox; fix: apt-get install -y busybox-static');
  }
  return p;
}
