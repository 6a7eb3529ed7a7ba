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
// their own src/, which vitest measures in its workers. Child processes
// (the CLI's tests run the built `kchan`, the lazy-import fixtures and some
// addon tests start `node`) run packages' dist/: NODE_V8_COVERAGE makes each
// of them write V8's block coverage, which v8-to-istanbul maps back to src/
// through the dist/ source maps. A line counts as run when vitest's map or a
// child's says so; the lines counted are vitest's (statements, not comments).
// Other packages imported in-process through their dist/ count for nobody.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import libCoverage from 'istanbul-lib-coverage';
import v8toIstanbul from 'v8-to-istanbul';
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

/**
 * Lines of packages/<pkg>/src run by child processes: file -> Set of line
 * numbers, from the NODE_V8_COVERAGE files in `dir`. Processes that loaded
 * vitest are skipped (vitest measures its workers itself, and its V8
 * counters are reset by its own collection).
 */
async function childCoverage(dir) {
  const ran = new Map();
  if (!existsSync(dir)) return ran;
  const dist = new RegExp(`^file://${REPO}/packages/[^/]+/dist/`);
  for (const name of readdirSync(dir)) {
    const { result } = JSON.parse(readFileSync(join(dir, name), 'utf8'));
    if (result.some((script) => script.url.includes('/node_modules/vitest/'))) continue;
    for (const script of result) {
      if (!dist.test(script.url)) continue;
      const converter = v8toIstanbul(fileURLToPath(script.url), 0);
      await converter.load();
      converter.applyCoverage(script.functions);
      for (const [file, data] of Object.entries(converter.toIstanbul())) {
        if (!file.startsWith(join(REPO, 'packages')) || !file.includes('/src/')) continue;
        const set = ran.get(file) ?? new Set();
        for (const [line, hits] of Object.entries(libCoverage.createFileCoverage(data).getLineCoverage())) if (hits > 0) set.add(Number(line));
        ran.set(file, set);
      }
      converter.destroy();
    }
  }
  return ran;
}

rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
const maps = { host: libCoverage.createCoverageMap({}), vm: libCoverage.createCoverageMap({}) };
const children = { host: new Map(), vm: new Map() };
let failed = false;

for (const pkg of PACKAGES) {
  const cwd = join(REPO, 'packages', pkg);
  const dir = join(OUT, `host-${pkg}`);
  // As each package's `test` script: the CLI's kernel tests run in the VM only.
  // native's memory-order test checks that V8 optimizes its reader, which
  // coverage's block counters prevent: it is about the JIT, not coverage.
  const extra = pkg === 'cli' ? ['--exclude', 'test/kernel/**'] : pkg === 'native' ? ['--exclude', 'test/memory-order.test.ts'] : [];
  console.log(`coverage: host tests of @kchan/${pkg}…`);
  const r = spawnSync(process.execPath, [VITEST, 'run', ...extra, ...coverageArgs(dir, 'src/**/*.ts')], {
    cwd,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, NODE_V8_COVERAGE: join(OUT, 'v8-host') },
  });
  if (r.status !== 0) {
    console.error(`coverage: the host tests of @kchan/${pkg} failed (exit ${r.status})`);
    failed = true;
    continue;
  }
  maps.host.merge(readMap(join(dir, 'coverage-final.json')));
}

children.host = await childCoverage(join(OUT, 'v8-host'));

if (!values['no-vm']) {
  console.log(`coverage: kernel suites in the VM (${values.kernel})…`);
  const guestDir = '/run/kchan-vm/results/coverage';
  const r = spawnSync(
    process.execPath,
    [join(REPO, 'vm', 'run.mjs'), 'exec', '--kernel', values.kernel, '--env', 'NODE_V8_COVERAGE=/run/kchan-vm/results/v8', '--', 'node', VITEST, 'run', '--config', 'vitest.kernel.config.mjs', ...coverageArgs(guestDir, 'packages/*/src/**/*.ts')],
    { cwd: REPO, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  if (r.status !== 0) {
    console.error(`coverage: the kernel suites failed in the VM (exit ${r.status})`);
    failed = true;
  } else {
    // vm/run.mjs keeps the last exec's results share in vm/.out/<kver>/last-exec.
    const { kver } = findKernel(values.kernel);
    const share = join(REPO, 'vm', '.out', kver, 'last-exec', 'share');
    maps.vm.merge(readMap(join(share, 'coverage', 'coverage-final.json')));
    children.vm = await childCoverage(join(share, 'v8'));
  }
}
if (failed) process.exit(1);

/**
 * Covered and total lines of packages/<pkg>/src over `runs` (each a vitest
 * map and the lines its child processes ran). The lines counted are the
 * ones vitest counts in any of the maps; a line is covered when any run
 * ran it.
 */
function lines(runs, pkg) {
  const prefix = join(REPO, 'packages', pkg, 'src') + '/';
  const perFile = new Map();
  for (const { map, ran } of runs) {
    for (const f of map.files()) {
      if (!f.startsWith(prefix)) continue;
      const counts = perFile.get(f) ?? new Map();
      for (const [line, hits] of Object.entries(map.fileCoverageFor(f).getLineCoverage())) {
        const n = Number(line);
        counts.set(n, (counts.get(n) ?? 0) + hits);
      }
      perFile.set(f, counts);
    }
  }
  let covered = 0;
  let total = 0;
  const files = [];
  for (const [f, counts] of perFile) {
    const missed = [...counts].filter(([line, hits]) => hits === 0 && !runs.some(({ ran }) => ran.get(f)?.has(line))).map(([line]) => line);
    covered += counts.size - missed.length;
    total += counts.size;
    files.push({ file: relative(REPO, f), covered: counts.size - missed.length, total: counts.size, missed: missed.sort((a, b) => a - b) });
  }
  return { covered, total, files };
}

const host = { map: maps.host, ran: children.host };
const vm = { map: maps.vm, ran: children.vm };
const pct = (c, t) => (t === 0 ? '—' : `${((100 * c) / t).toFixed(1)} %`);
const rows = PACKAGES.map((pkg) => ({ pkg, host: lines([host], pkg), vm: lines([vm], pkg), both: lines([host, vm], pkg) }));
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

Written by \`pnpm test:coverage\` (\`scripts/coverage.mjs\`) on ${new Date().toISOString().slice(0, 10)}: lines of
\`packages/*/src\` run by each package's host unit tests and by the kernel suites in the VM
(${values['no-vm'] ? 'not run this time' : `Debian's ${values.kernel} kernel`}), merged. A package's tests import its own \`src/\`, measured by
vitest's v8 coverage. Child processes count too: the CLI's tests run the built \`kchan\`, and
fixtures and addon tests start \`node\` on packages' \`dist/\`; \`NODE_V8_COVERAGE\` records them,
and v8-to-istanbul maps \`dist/\` back to \`src/\` through the source maps, for whichever package
the code belongs to. Another package's \`dist/\` imported inside a vitest worker does not count,
and the uapi's C, Python and Rust output (used by its kernel tests) is not TypeScript. Target ≥
${TARGET} % per package; bold: below it. \`src/generated\` of @kchan/uapi is generated code and counts
like the rest. The kernel module's own coverage (gcov) has its own section, "Kernel coverage".

${md}<!-- ts-coverage:end -->`;
console.log(section);
// The lines no run reached, per file, for whoever writes the next test.
const summary = rows.map((r) => ({
  pkg: r.pkg,
  host: [r.host.covered, r.host.total],
  vm: [r.vm.covered, r.vm.total],
  both: [r.both.covered, r.both.total],
  missed: Object.fromEntries(r.both.files.filter((f) => f.missed.length).map((f) => [f.file, f.missed.join(',')])),
}));
writeFileSync(join(OUT, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
if (!values['no-write']) {
  const file = join(REPO, 'docs', 'reliability.md');
  const doc = readFileSync(file, 'utf8');
  const re = /<!-- ts-coverage:begin -->[\s\S]*<!-- ts-coverage:end -->/;
  writeFileSync(file, re.test(doc) ? doc.replace(re, section) : `${doc.trimEnd()}\n\n${section}\n`);
  console.log(`coverage: wrote the TS coverage table of ${relative(REPO, file)}`);
}
