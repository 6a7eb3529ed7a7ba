#!/usr/bin/env node
// pnpm test:coverage (kernel part): line and branch coverage of kernel/*.c by
// gcc's gcov, over every kernel suite, the failslab suites and the quick
// fuzz/stress run (both of its boots), on the kcsan kernel (the one built with
// CONFIG_GCOV_KERNEL), written to the "Kernel coverage" section of
// docs/reliability.md.
//
//   node scripts/kernel-coverage.mjs [--no-vm] [--no-write]
//
// --no-vm reads the counters of the last run (vm/.out/gcov) again.
//
// `vm/run.mjs --gcov DIR` builds kchan.ko with GCOV_PROFILE=y and copies each
// boot's .gcda files out of debugfs into DIR/<kernel>-run-*/; here each
// boot's counters go through `gcov --json-format` against the build's .gcno
// files, and the per-line counts of all boots are added up.
//
// Every function with a line no run reaches must have its reason in
// scripts/kernel-coverage-reasons.json (why user space cannot get there);
// the run fails on an unexplained one, and on a reason whose function is now
// fully covered (the list would go stale otherwise).
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';

const REPO = resolve(import.meta.dirname, '..');
const RUN = join(REPO, 'vm', 'run.mjs');
const GCOV_DIR = join(REPO, 'vm', '.out', 'gcov');
const BUILD = join(REPO, 'vm', '.out', 'kcsan', 'build', 'kernel-gcov');
const REASONS_FILE = join(REPO, 'scripts', 'kernel-coverage-reasons.json');
const SOURCES = ['kchan_main.c', 'watch_queue.c', 'ummunotify.c', 'kue.c'];
const TARGET = 90;
const { values } = parseArgs({
  options: {
    'no-vm': { type: 'boolean', default: false },
    'no-write': { type: 'boolean', default: false },
  },
});

/** The runs whose counters are added up: [label, vm/run.mjs arguments]. */
const RUNS = [
  // On the kcsan kernel `test` runs the failslab suites too (vitest.kcsan.config.mjs).
  ['the kernel and failslab suites', ['test', '--kernel', 'kcsan']],
  // With module init under allocation failure, which the quick run skips otherwise.
  ['the quick fuzz/stress run', ['stress', '--kernel', 'kcsan', '--quick', '--env', 'KCHAN_INIT_FAULTS=1']],
];

if (!values['no-vm']) {
  rmSync(GCOV_DIR, { recursive: true, force: true });
  for (const [label, args] of RUNS) {
    console.log(`kernel coverage: ${label} on the kcsan kernel, with gcov…`);
    const [cmd, ...rest] = args;
    const r = spawnSync(process.execPath, [RUN, cmd, '--gcov', GCOV_DIR, ...rest], { cwd: REPO, stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0) {
      console.error(`kernel coverage: ${label} failed (exit ${r.status}); no table written`);
      process.exit(1);
    }
  }
}

/** The .gcda files of one boot, by object name ("kue"), found under its run dir. */
function gcdaOf(runDir) {
  const out = {};
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.gcda')) out[e.name.slice(0, -5)] = p;
    }
  };
  walk(runDir);
  return out;
}

/** gcov's JSON for source `src` with counters `gcda` (null: none, all zero). */
function gcovJson(src, gcda) {
  const obj = src.slice(0, -2);
  const tmp = mkdtempSync(join(tmpdir(), 'kchan-gcov-'));
  try {
    copyFileSync(join(BUILD, `${obj}.gcno`), join(tmp, `${obj}.gcno`));
    if (gcda) copyFileSync(gcda, join(tmp, `${obj}.gcda`));
    const r = spawnSync('gcov', ['--json-format', '--branch-probabilities', '--object-directory', tmp, join(BUILD, src)], {
      cwd: tmp,
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`gcov ${src}: ${r.stderr}`);
    const json = readdirSync(tmp).find((f) => f.endsWith('.gcov.json.gz'));
    if (!json) throw new Error(`gcov ${src}: no JSON written (${r.stdout}${r.stderr})`);
    return JSON.parse(gunzipSync(readFileSync(join(tmp, json))).toString('utf8'));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (!existsSync(join(BUILD, 'kue.gcno'))) {
  console.error(`kernel coverage: no gcov build in ${relative(REPO, BUILD)} (run without --no-vm)`);
  process.exit(1);
}
const runs = existsSync(GCOV_DIR) ? readdirSync(GCOV_DIR).map((d) => join(GCOV_DIR, d)) : [];
if (runs.length === 0) {
  console.error(`kernel coverage: no counters in ${relative(REPO, GCOV_DIR)}`);
  process.exit(1);
}

// file -> { lines: Map(line -> { count, fn, branches: [counts] }), functions: Map(name -> { start, end, count }) }
const files = new Map();
for (const src of SOURCES) {
  const acc = { lines: new Map(), functions: new Map() };
  files.set(src, acc);
  for (const run of runs) {
    const gcda = gcdaOf(run)[src.slice(0, -2)] ?? null;
    for (const f of gcovJson(src, gcda).files) {
      if (basename(f.file) !== src) continue; // inline functions of headers
      for (const l of f.lines) {
        const a = acc.lines.get(l.line_number) ?? { count: 0, fn: l.function_name, branches: l.branches.map(() => 0) };
        a.count += l.count;
        l.branches.forEach((b, i) => {
          a.branches[i] = (a.branches[i] ?? 0) + b.count;
        });
        acc.lines.set(l.line_number, a);
      }
      for (const fn of f.functions) {
        const a = acc.functions.get(fn.name) ?? { start: fn.start_line, end: fn.end_line, count: 0 };
        a.count += fn.execution_count;
        acc.functions.set(fn.name, a);
      }
    }
  }
}

const reasons = JSON.parse(readFileSync(REASONS_FILE, 'utf8'));
const pct = (c, t) => (t === 0 ? '—' : `${((100 * c) / t).toFixed(1)} %`);
/** "12-14, 20" from [12, 13, 14, 20]. */
function ranges(nums) {
  const out = [];
  for (const n of nums) {
    const last = out.at(-1);
    if (last && n === last[1] + 1) last[1] = n;
    else out.push([n, n]);
  }
  return out.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(', ');
}

let md = '| file | lines | lines run | branches | branches taken | functions entered |\n|---|---|---|---|---|---|\n';
const sum = { lines: 0, run: 0, branches: 0, taken: 0 };
const uncovered = [];
for (const [src, acc] of files) {
  const lines = [...acc.lines.entries()].sort(([a], [b]) => a - b);
  const run = lines.filter(([, l]) => l.count > 0).length;
  const branches = lines.flatMap(([, l]) => l.branches);
  const taken = branches.filter((c) => c > 0).length;
  const fns = [...acc.functions.values()];
  sum.lines += lines.length;
  sum.run += run;
  sum.branches += branches.length;
  sum.taken += taken;
  const p = lines.length ? (100 * run) / lines.length : 100;
  md += `| kernel/${src} | ${lines.length} | ${p >= TARGET ? pct(run, lines.length) : `**${pct(run, lines.length)}**`} | ${branches.length} | ${pct(taken, branches.length)} | ${fns.filter((f) => f.count > 0).length} of ${fns.length} |\n`;
  const byFn = new Map();
  for (const [n, l] of lines) {
    if (l.count > 0) continue;
    const list = byFn.get(l.fn) ?? [];
    list.push(n);
    byFn.set(l.fn, list);
  }
  for (const [fn, nums] of byFn) uncovered.push({ src, fn, lines: nums });
}
md += `| all | ${sum.lines} | ${pct(sum.run, sum.lines)} | ${sum.branches} | ${pct(sum.taken, sum.branches)} | |\n`;

const problems = [];
let list = '| function | lines not run | why |\n|---|---|---|\n';
for (const u of uncovered.sort((a, b) => a.src.localeCompare(b.src) || a.lines[0] - b.lines[0])) {
  const why = reasons[u.fn];
  if (!why) problems.push(`${u.src}: ${u.fn}() has lines no run reaches (${ranges(u.lines)}) and no reason in ${relative(REPO, REASONS_FILE)}`);
  list += `| \`${u.fn}\` (${u.src}) | ${ranges(u.lines)} | ${why ?? '**no reason recorded**'} |\n`;
}
const seen = new Set(uncovered.map((u) => u.fn));
for (const fn of Object.keys(reasons)) {
  if (fn.startsWith('//')) continue;
  if (!seen.has(fn)) problems.push(`${relative(REPO, REASONS_FILE)}: ${fn}() is fully covered now (or gone): drop its reason`);
}

const section = `<!-- kernel-coverage:begin -->
## Kernel coverage

Written by \`pnpm test:coverage\` (\`scripts/kernel-coverage.mjs\`) on ${new Date().toISOString().slice(0, 10)}: gcov line and
branch coverage of \`kernel/*.c\`, kchan.ko built with \`GCOV_PROFILE=y\` (\`node vm/run.mjs --gcov\`) and
loaded into the kcsan kernel (6.1 with \`CONFIG_GCOV_KERNEL\`), counters added up over ${RUNS.map(([l]) => l).join(', ')}
(${runs.length} boots). A line is one gcov counts as code; a branch is one outcome of a
conditional jump, taken at least once. Target ≥ ${TARGET} % of lines; bold: below it.

${md}
Functions with lines no run reaches, and why user space cannot reach them (the reasons live in
[scripts/kernel-coverage-reasons.json](../scripts/kernel-coverage-reasons.json); the run fails on
a function without one):

${list}<!-- kernel-coverage:end -->`;
console.log(section);
if (!values['no-write']) {
  const file = join(REPO, 'docs', 'reliability.md');
  const doc = readFileSync(file, 'utf8');
  const re = /<!-- kernel-coverage:begin -->[\s\S]*<!-- kernel-coverage:end -->/;
  writeFileSync(file, re.test(doc) ? doc.replace(re, section) : `${doc.trimEnd()}\n\n${section}\n`);
  console.log(`kernel coverage: wrote the kernel coverage section of ${relative(REPO, file)}`);
}
if (problems.length) {
  for (const p of problems) console.error(`kernel coverage: ${p}`);
  process.exit(1);
}
