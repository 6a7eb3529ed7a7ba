// Discovery of the guest kernels. Debian installs the ABI in the file names
// (vmlinuz-6.1.0-56-amd64), which changes with every point release, so the
// series ("6.1", "6.12") is mapped to whatever is installed.
import { existsSync, readdirSync } from 'node:fs';
import { ARM64_SERIES, arm64KernelStub } from './arm64.mjs';
import { DEBUG_SERIES, KCSAN_SERIES, debugKernelStub } from './debugkernel.mjs';
import { HarnessError } from './log.mjs';

export const SERIES = {
  '6.1': { apt: 'linux-image-amd64 linux-headers-amd64' },
  '6.12': { apt: 'linux-image-6.12-amd64 linux-headers-6.12-amd64' },
};

function compareVersions(a, b) {
  const pa = a.split(/[^0-9]+/).filter(Boolean).map(Number);
  const pb = b.split(/[^0-9]+/).filter(Boolean).map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? -1) - (pb[i] ?? -1);
    if (d) return d;
  }
  return 0;
}

function describe(kver, series) {
  return {
    series,
    kver,
    vmlinuz: `/boot/vmlinuz-${kver}`,
    headers: `/usr/src/linux-headers-${kver}`,
    modules: `/lib/modules/${kver}`,
  };
}

function missingParts(k) {
  const missing = [];
  if (!existsSync(k.vmlinuz)) missing.push(k.vmlinuz);
  if (!existsSync(`${k.headers}/Makefile`)) missing.push(k.headers);
  if (!existsSync(`${k.modules}/modules.dep`)) missing.push(`${k.modules}/modules.dep`);
  return missing;
}

/** Resolve "6.1", "6.12" or a full uname -r (e.g. 6.1.0-56-amd64). */
export function findKernel(name) {
  // The debug and KCSAN kernels are built (or taken from their cache) by prepare().
  if (name === DEBUG_SERIES || name === KCSAN_SERIES) return debugKernelStub(name);
  // Debian's arm64 6.1 kernel: fetched (or taken from its cache) by prepare().
  if (name === ARM64_SERIES) return arm64KernelStub();
  if (!SERIES[name]) {
    const k = describe(name, name.split('.').slice(0, 2).join('.'));
    const missing = missingParts(k);
    if (missing.length) throw new HarnessError(`kernel ${name}: missing ${missing.join(', ')}`);
    return k;
  }
  const fix = `apt-get install -y --no-install-recommends ${SERIES[name].apt}`;
  const re = new RegExp(`^vmlinuz-(${name.replace('.', '\\.')}\\..*-amd64)$`);
  const candidates = readdirSync('/boot')
    .map((f) => re.exec(f)?.[1])
    .filter(Boolean)
    .sort(compareVersions)
    .reverse()
    .map((kver) => describe(kver, name));
  const usable = candidates.find((k) => missingParts(k).length === 0);
  if (usable) return usable;
  if (candidates.length === 0) {
    throw new HarnessError(`no /boot/vmlinuz-${name}.*-amd64 installed; fix: ${fix}`);
  }
  const k = candidates[0];
  throw new HarnessError(`kernel ${k.kver} incomplete (missing ${missingParts(k).join(', ')}); fix: ${fix}`);
}

export function kernelsFor(arg) {
  if (arg === 'all') return Object.keys(SERIES).map(findKernel);
  return arg.split(',').map((s) => findKernel(s.trim()));
}
