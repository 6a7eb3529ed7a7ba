#!/usr/bin/env node
// pnpm test:coverage (TS part): line coverage of packages/*/src by vitest's
// v8 provider, over the host unit tests of each package and the kernel
// suites in the VM (6.1), merged with istanbul-lib-coverage, and written to
// the "TS coverage" table of docs/reliability.md.
//
//   node scripts/coverage.mjs [--kernel 6.1] [--no-vm] [--no-write]
//
// The guest sees the host tree at the same paths, so the two runs' maps
// name the same files and merge as they are. Each package's tests import
// their own src/; other packages come in through their dist/, which counts
// for nobody (a package is covered by its own tests and by the kernel
// suites, which also import src/).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import libCoverage from 'istanbul-lib-coverage';
import { findKernel } from '../vm/lib/kernels.mjs';

const REPO = resolve(import.meta.dirname, '..');
const OUT = join(REPO, 'vm', '.out', 'coverage');
const VITEST = join(REPO, 'node_modules', 'vitest', 'vitest.mjs');
const PACKAGES = ['native', 'ring', 'kue', 'ummunotify', 'uapi', 'cli'];
const TARGET = 90;
const { values } = parseArgs({
  options: {
    kernel: { type: 'string', default: '6.1' },
    'no-vm': { type: 'boolean', default: false },
    'no-write': { type: 'boolean', default: false },
  },
});

const coverageArgs = (dir, include) => [
  '--coverage.enabled',
  '--coverage.provider=v8',
  '--coverage.reporter=json',
  `--coverage.reportsDirectory=${dir}`,
  `--coverage.include=${include}`,
];

function readMap(file) {
  if (!existsSync(file)) throw new Error(`no coverage written: ${file}`);
  return libCoverage.createCoverageMap(JSON.parse(readFileSync(file, 'utf8')));
}

rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
const maps = { host: libCoverage.createCoverageMap({}), vm: libCoverage.createCoverageMap({}) };
let failed = false;

for (const pkg of PACKAGES) {
  const cwd = join(REPO, 'packages', pkg);
  const dir = join(OUT, `host-${pkg}`);
  // As each package's `test` script: the CLI's kernel tests run in the VM only.
  // native's memory-order test checks that V8 optimizes its reader, which
  // coverage's block counters prevent: it is about the JIT, not coverage.
  const extra = pkg === 'cli' ? ['--exclude', 'test/kernel/**'] : pkg === 'native' ? ['--exclude', 'test/memory-order.test.ts'] : [];
  console.log(`coverage: host tests of @kchan/${pkg}…`);
  const r = spawnSync(process.execPath, [VITEST, 'run', ...extra, ...coverageArgs(dir, 'src/**/*.ts')], { cwd, stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) {
    console.error(`coverage: the host tests of @kchan/${pkg} failed (exit ${r.status})`);
    failed = true;
    continue;
  }
  maps.host.merge(readMap(join(dir, 'coverage-final.json')));
}

if (!values['no-vm']) {
  console.log(`coverage: kernel suites in the VM (${values.kernel})…`);
  const guestDir = '/run/kchan-vm/results/coverage';
  const r = spawnSync(
    process.execPath,
    [join(REPO, 'vm', 'run.mjs'), 'exec', '--kernel', values.kernel, '--', 'node', VITEST, 'run', '--config', 'vitest.kernel.config.mjs', ...coverageArgs(guestDir, 'packages/*/src/**/*.ts')],
    { cwd: REPO, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  if (r.status !== 0) {
    console.error(`coverage: the kernel suites failed in the VM (exit ${r.status})`);
    failed = true;
  } else {
    // vm/run.mjs keeps the last exec's results share in vm/.out/<kver>/last-exec.
    const { kver } = findKernel(values.kernel);
    maps.vm.merge(readMap(join(REPO, 'vm', '.out', kver, 'last-exec', 'share', 'coverage', 'coverage-final.json')));
  }
}
if (failed) process.exit(1);

/** Covered and total lines of packages/<pkg>/src in a map. */
function lines(map, pkg) {
  const prefix = join(REPO, 'packages', pkg, 'src') + '/';
  let covered = 0;
  let total = 0;
  const files = [];
  for (const f of map.files()) {
    if (!f.startsWith(prefix)) continue;
    const s = map.fileCoverageFor(f).toSummary().lines;
    covered += s.covered;
    total += s.total;
    files.push({ file: relative(REPO, f), covered: s.covered, total: s.total });
  }
  return { covered, total, files };
}

// From copies: merge() adopts the first map's per-file data and adds the
// second's counts into it, which would change the host column too.
const copy = (map) => JSON.parse(JSON.stringify(map));
const both = libCoverage.createCoverageMap(copy(maps.host));
both.merge(copy(maps.vm));
const pct = (c, t) => (t === 0 ? '—' : `${((100 * c) / t).toFixed(1)} %`);
const rows = PACKAGES.map((pkg) => ({ pkg, host: lines(maps.host, pkg), vm: lines(maps.vm, pkg), both: lines(both, pkg) }));
let md = '| package | lines in src/ | host unit tests | kernel suites (VM) | both | least covered files (both) |\n|---|---|---|---|---|---|\n';
let sumC = 0;
let sumT = 0;
for (const r of rows) {
  sumC += r.both.covered;
  sumT += r.both.total;
  const p = r.both.total ? (100 * r.both.covered) / r.both.total : 100;
  const worst = r.both.files
    .filter((f) => f.covered < f.total)
    .sort((a, b) => a.covered / a.total - b.covered / b.total)
    .slice(0, 3)
    .map((f) => `${f.file.replace(`packages/${r.pkg}/`, '')} ${pct(f.covered, f.total)}`)
    .join(', ');
  const bothPct = pct(r.both.covered, r.both.total);
  md += `| @kchan/${r.pkg} | ${r.both.total} | ${pct(r.host.covered, r.host.total)} | ${values['no-vm'] ? 'not run' : pct(r.vm.covered, r.vm.total)} | ${p >= TARGET ? bothPct : `**${bothPct}**`} | ${worst || '—'} |\n`;
}
md += `| all | ${sumT} | | | ${pct(sumC, sumT)} | |\n`;
const section = `<!-- ts-coverage:begin -->
## TS coverage

Written by \`pnpm test:coverage\` (\`scripts/coverage.mjs\`) on ${new Date().toISOString().slice(0, 10)}: vitest's v8 coverage of
\`packages/*/src\`, lines, over each package's host unit tests and the kernel suites in the VM
(${values['no-vm'] ? 'not run this time' : `Debian's ${values.kernel} kernel`}), merged. A package's tests import its own \`src/\`; code reached only
through another package's \`dist/\` does not count, and neither does a child process: the CLI's
tests run the built \`kchan\` binary, and the uapi's kernel tests use its C, Python and Rust output,
so those two are covered by more than their column says. Target ≥ ${TARGET} % per package; bold: below it.
\`src/generated\` of @kchan/uapi is generated code and counts like the rest. The kernel
module's own coverage (gcov) has its own section, "Kernel coverage".

${md}<!-- ts-coverage:end -->`;
console.log(section);
writeFileSync(join(OUT, 'summary.json'), `${JSON.stringify(rows.map((r) => ({ pkg: r.pkg, host: [r.host.covered, r.host.total], vm: [r.vm.covered, r.vm.total], both: [r.both.covered, r.both.total] })), null, 2)}\n`);
if (!values['no-write']) {
  const file = join(REPO, 'docs', 'reliability.md');
  const doc = readFileSync(file, 'utf8');
  const re = /<!-- ts-coverage:begin -->[\s\S]*<!-- ts-coverage:end -->/;
  writeFileSync(file, re.test(doc) ? doc.replace(re, section) : `${doc.trimEnd()}\n\n${section}\n`);
  console.log(`coverage: wrote the TS coverage table of ${relative(REPO, file)}`);
}
