// Runs the generated layout-proof programs (test/proof/) and derives the
// same lines from the TypeScript modules, for layout.test.ts.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StructLayout } from '../src/layout.js';

export const PKG = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const ROOT = resolve(PKG, '../..');

/** Find an executable on PATH, then in the given extra directories. */
export function which(name: string, extra: string[] = []): string | null {
  for (const dir of [...(process.env.PATH ?? '').split(delimiter), ...extra]) {
    if (!dir) continue;
    const p = join(dir, name);
    if (existsSync(p)) return p;
  }
  return null;
}

export function rustc(): string | null {
  return which('rustc', [join(homedir(), '.cargo', 'bin')]);
}

function run(cmd: string, args: string[], env?: NodeJS.ProcessEnv): string {
  return execFileSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

const lines = (out: string): string[] => out.split('\n').filter((l) => l !== '').sort();

export function tmp(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `kchan-uapi-${prefix}-`));
}

/** Compile proof.c against the headers in `include` and run it. */
export function cProof(root = ROOT): string[] {
  const dir = tmp('c');
  const exe = join(dir, 'proof');
  const cc = which('cc') ?? 'cc';
  run(cc, ['-std=c11', '-Wall', '-Wextra', '-Wpedantic', '-Werror', '-I', join(root, 'packages/uapi/include'), join(root, 'packages/uapi/test/proof/proof.c'), '-o', exe]);
  return lines(run(exe, []));
}

export function pyProof(root = ROOT): string[] {
  return lines(run('python3', [join(root, 'packages/uapi/test/proof/proof.py')], { PYTHONPATH: join(root, 'packages/uapi/python'), PYTHONDONTWRITEBYTECODE: '1' }));
}

export function rustProof(root = ROOT): string[] {
  const rc = rustc();
  if (!rc) throw new Error('rustc not found on PATH or in ~/.cargo/bin: install Rust (rustup) to run the Rust layout proof');
  const dir = tmp('rs');
  const lib = join(dir, 'libkchan_uapi.rlib');
  run(rc, ['--edition', '2021', '--crate-type', 'rlib', '--crate-name', 'kchan_uapi', '-D', 'warnings', join(root, 'packages/uapi/rust/src/lib.rs'), '-o', lib]);
  const exe = join(dir, 'proof');
  run(rc, ['--edition', '2021', '-D', 'warnings', '--extern', `kchan_uapi=${lib}`, '-L', dir, join(root, 'packages/uapi/test/proof/proof.rs'), '-o', exe]);
  return lines(run(exe, []));
}

function pascal(name: string): string {
  return name
    .split('_')
    .map((w) => (w ? w[0]!.toUpperCase() + w.slice(1) : ''))
    .join('');
}

export type Module = Readonly<Record<string, unknown>>;

type Decode = (view: DataView, offset: number) => Record<string, unknown>;
type Encode = (view: DataView, offset: number, value: Record<string, unknown>) => number;

function fn<T>(mod: Module, name: string): T {
  const f = mod[name];
  if (typeof f !== 'function') throw new Error(`missing export ${name}`);
  return f as T;
}

/**
 * The proof lines of one generated TS module: sizes and offsets from the
 * layouts, bit positions by encoding all-ones into one bit field of a
 * decoded zero struct, and every numeric export with a C name.
 */
export function tsProof(mod: Module, layouts: Readonly<Record<string, StructLayout>>): string[] {
  const out: string[] = [];
  for (const layout of Object.values(layouts)) {
    const s = layout.name;
    out.push(`size ${s} ${layout.size}`, `align ${s} ${layout.align}`);
    for (const [name, f] of Object.entries(layout.fields)) {
      if (!f.bitfields) {
        out.push(`offset ${s}.${name} ${f.offset}`);
        if (!f.flexible) out.push(`fsize ${s}.${name} ${f.size}`);
        continue;
      }
      for (const b of Object.keys(f.bitfields)) {
        const P = pascal(s);
        const view = new DataView(new ArrayBuffer(layout.size));
        const value = fn<Decode>(mod, `decode${P}`)(view, 0);
        value[b] = 0xffffffff;
        fn<Encode>(mod, `encode${P}`)(view, 0, value);
        let word = 0n;
        for (let i = 0; i < f.size; i++) word |= BigInt(view.getUint8(f.offset + i)) << BigInt(8 * i);
        let rest = 0;
        for (let i = 0; i < layout.size; i++) if ((i < f.offset || i >= f.offset + f.size) && view.getUint8(i)) rest++;
        out.push(`bits ${s}.${b} ${f.offset} 0x${word.toString(16)} rest ${rest}`);
      }
    }
  }
  for (const [name, v] of Object.entries(mod)) {
    if (/^[A-Z][A-Z0-9_]*$/.test(name) && typeof v === 'number') out.push(`const ${name} ${v}`);
  }
  return out.sort();
}

/** Lines only in `expected` (-) or only in `actual` (+); empty when equal. */
export function diffProof(expected: string[], actual: string[]): string[] {
  const a = new Set(actual);
  const e = new Set(expected);
  return [...expected.filter((l) => !a.has(l)).map((l) => `- ${l}`), ...actual.filter((l) => !e.has(l)).map((l) => `+ ${l}`)];
}
