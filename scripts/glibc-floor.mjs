// The glibc floor of the native addon: Node 20's own (glibc 2.28; its
// official Linux binaries run on RHEL 8 / Debian 10 / Ubuntu 20.04), and
// the libstdc++ of GCC 8 (GLIBCXX_3.4.25, RHEL 8's). `highestVersions()`
// reads what a .node file needs from its dynamic symbol table (objdump -T).
import { execFileSync } from 'node:child_process';

export const FLOOR = { GLIBC: '2.28', GLIBCXX: '3.4.25', CXXABI: '1.3.11' };

const cmp = (a, b) => {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d) return d;
  }
  return 0;
};

/** { GLIBC: '2.28', GLIBCXX: '3.4.22', ... }: the highest version of each the file needs. */
export function highestVersions(file, objdump = 'objdump') {
  const out = execFileSync(objdump, ['-T', file], { encoding: 'utf8' });
  const best = {};
  for (const m of out.matchAll(/\b(GLIBC|GLIBCXX|CXXABI)_([0-9.]+)\b/g)) {
    const [, lib, ver] = m;
    if (!best[lib] || cmp(ver, best[lib]) > 0) best[lib] = ver;
  }
  return best;
}

/** The versions above the floor, as strings ('GLIBC_2.32 > 2.28'); [] when within it. */
export function aboveFloor(file, objdump) {
  const v = highestVersions(file, objdump);
  return Object.entries(v)
    .filter(([lib, ver]) => FLOOR[lib] && cmp(ver, FLOOR[lib]) > 0)
    .map(([lib, ver]) => `${lib}_${ver} > ${FLOOR[lib]}`);
}
