#!/usr/bin/env node
// Generate the kchan protocol outputs from packages/uapi/spec/kchan.yaml.
//
//   node scripts/gen.mjs            write every output whose content changed
//   node scripts/gen.mjs --check    regenerate in memory; exit 1 listing stale files
//   options: --spec FILE (default spec/kchan.yaml), --out DIR (repo root to write
//            under, default the repository), --quiet
//
// A bad spec exits 2 with one `file:line: json.path: reason` line per problem.

import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SpecError, loadSpec } from './gen/model.mjs';
import { OUTPUT_DIRS, generate } from './gen/index.mjs';
import { parseMarker } from './gen/common.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

function parseArgs(argv) {
  const opts = { check: false, spec: join(ROOT, 'packages/uapi/spec/kchan.yaml'), out: ROOT, quiet: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--check') opts.check = true;
    else if (a === '--quiet') opts.quiet = true;
    else if (a === '--spec') opts.spec = resolve(argv[++i]);
    else if (a === '--out') opts.out = resolve(argv[++i]);
    else if (a === '-h' || a === '--help') {
      process.stdout.write('usage: gen.mjs [--check] [--spec FILE] [--out DIR] [--quiet]\n');
      process.exit(0);
    } else {
      process.stderr.write(`gen.mjs: unknown argument ${a}\n`);
      process.exit(2);
    }
  }
  return opts;
}

/** Files under the output dirs that carry a marker but are no longer generated. */
function orphans(out, files) {
  const found = [];
  const walk = (dir) => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'node_modules' && e.name !== 'target' && e.name !== '__pycache__') walk(p);
      } else {
        const rel = relative(out, p);
        if (files.has(rel)) continue;
        if (parseMarker(readFileSync(p, 'utf8').slice(0, 4096))) found.push(rel);
      }
    }
  };
  for (const d of OUTPUT_DIRS) walk(join(out, d));
  return found;
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const specRel = relative(ROOT, opts.spec);
  const display = specRel.startsWith('..') ? opts.spec : specRel;
  let model;
  try {
    model = loadSpec(opts.spec, display);
  } catch (e) {
    if (e instanceof SpecError) {
      process.stderr.write(`${e.problems.join('\n')}\n${display}: ${e.problems.length} problem(s); nothing generated\n`);
      process.exit(2);
    }
    throw e;
  }
  const files = generate(model);
  const stale = [];
  for (const [rel, content] of files) {
    const p = join(opts.out, rel);
    const old = existsSync(p) ? readFileSync(p, 'utf8') : null;
    if (old === content) continue;
    stale.push(rel);
    if (!opts.check) {
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, content);
    }
  }
  const orphaned = orphans(opts.out, files);
  if (opts.check) {
    if (stale.length || orphaned.length) {
      for (const f of stale) process.stderr.write(`stale: ${f}\n`);
      for (const f of orphaned) process.stderr.write(`orphaned generated file: ${f}\n`);
      process.stderr.write(`gen --check: ${stale.length + orphaned.length} file(s) out of date; run \`pnpm --filter @kchan/uapi gen\`\n`);
      process.exit(1);
    }
    if (!opts.quiet) process.stdout.write(`gen --check: ${files.size} files up to date\n`);
    return;
  }
  if (!opts.quiet) {
    for (const f of stale) process.stdout.write(`wrote ${f}\n`);
    for (const f of orphaned) process.stdout.write(`warning: ${f} carries a generated marker but is no longer generated; delete it\n`);
    process.stdout.write(`gen: ${stale.length} of ${files.size} files changed\n`);
  }
}

main();
