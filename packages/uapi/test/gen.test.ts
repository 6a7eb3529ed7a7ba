// The generator: committed outputs are fresh, bad specs are rejected with
// file, line, JSON path and reason, and --check/normal modes behave.

import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PKG, tmp } from './proof-lib.js';

const GEN = join(PKG, 'scripts/gen.mjs');

function gen(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [GEN, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function fixture(name: string): { status: number | null; stderr: string } {
  return gen('--spec', join(PKG, 'test/fixtures', `${name}.yaml`), '--out', tmp('fx'), '--quiet');
}

describe('gen --check', () => {
  it('committed outputs equal a fresh generation', () => {
    const r = gen('--check');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('lists stale and orphaned files and exits 1; normal mode rewrites only changed files', () => {
    const out = tmp('check');
    const spec = join(PKG, 'test/fixtures/valid.yaml');
    expect(gen('--spec', spec, '--out', out, '--quiet').status).toBe(0);
    expect(gen('--spec', spec, '--out', out, '--check').status).toBe(0);

    const header = join(out, 'kernel/include/uapi/kchan/demo.h');
    const ts = join(out, 'packages/uapi/src/generated/demo.ts');
    writeFileSync(header, `${readFileSync(header, 'utf8')}/* hand edit */\n`);
    writeFileSync(join(out, 'packages/uapi/src/generated/gone.ts'), '// Do not edit: generated from x.yaml by packages/uapi/scripts/gen.mjs (mode: ts)\n');
    const check = gen('--spec', spec, '--out', out, '--check');
    expect(check.status).toBe(1);
    expect(check.stderr).toContain('stale: kernel/include/uapi/kchan/demo.h');
    expect(check.stderr).toContain('orphaned generated file: packages/uapi/src/generated/gone.ts');
    expect(check.stderr).not.toContain('demo.ts');

    const before = statSync(ts).mtimeMs;
    const write = gen('--spec', spec, '--out', out);
    expect(write.status).toBe(0);
    expect(write.stdout).toContain('wrote kernel/include/uapi/kchan/demo.h');
    expect(write.stdout).toMatch(/gen: 1 of \d+ files changed/);
    expect(statSync(ts).mtimeMs).toBe(before);
  });

  it('every generated file starts with the marker naming spec, generator and mode (C: after SPDX)', () => {
    const out = tmp('marker');
    expect(gen('--spec', join(PKG, 'test/fixtures/valid.yaml'), '--out', out, '--quiet').status).toBe(0);
    const first = (p: string): string => readFileSync(join(out, p), 'utf8').split('\n', 1)[0] ?? '';
    const spec = 'packages/uapi/test/fixtures/valid.yaml';
    const header = readFileSync(join(out, 'kernel/include/uapi/kchan/demo.h'), 'utf8').split('\n');
    expect(header[0]).toBe('/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */');
    expect(header[1]).toBe(`/* Do not edit: generated from ${spec} by packages/uapi/scripts/gen.mjs (mode: c-uapi) */`);
    expect(first('packages/uapi/src/generated/demo.ts')).toBe(`// Do not edit: generated from ${spec} by packages/uapi/scripts/gen.mjs (mode: ts)`);
    expect(first('packages/uapi/python/kchan_uapi/demo.py')).toBe(`# Do not edit: generated from ${spec} by packages/uapi/scripts/gen.mjs (mode: py)`);
    expect(first('packages/uapi/rust/src/demo.rs')).toBe(`// Do not edit: generated from ${spec} by packages/uapi/scripts/gen.mjs (mode: rust)`);
    expect(first('docs/protocol/demo.md')).toBe(`<!-- Do not edit: generated from ${spec} by packages/uapi/scripts/gen.mjs (mode: docs) -->`);
    expect(readFileSync(join(out, 'packages/uapi/include/kchan/demo.h'), 'utf8')).toBe(readFileSync(join(out, 'kernel/include/uapi/kchan/demo.h'), 'utf8'));
  });
});

describe('bad specs are rejected with file:line: path: reason', () => {
  const cases: [string, string][] = [
    ['dup-ioctl', "devices[0].ioctls[1].nr: duplicate ioctl number: type 'D' nr 0x1 is also used by 'get'"],
    ['overlap', "devices[0].structs[0].fields[1].offset: overlaps field 'a' (bytes 0..7)"],
    ['gap', 'devices[0].structs[0].fields[1].offset: gap: bytes 4..7 are not covered; add an explicit padding field'],
    ['non-fixed', "devices[0].structs[0].fields[1].type: non-fixed-width type 'size_t'"],
    ['misaligned', 'devices[0].structs[0].fields[1].offset: misaligned: offset 4 is not a multiple of the 8-byte alignment of u64'],
    ['schema', "devices[0].structs[0].fields[1]: schema: missing required property 'doc'"],
    ['size-mismatch', 'devices[0].structs[0].size: size mismatch: fields end at 16 but size is 24'],
    ['flex-not-last', "devices[0].structs[0].fields[2]: flexible array 'b' must be the last field"],
    ['bitfield-overlap', "devices[0].structs[0].fields[0].bitfields[1]: bits 16..31 overlap 'lo'"],
    ['bitfield-width', 'devices[0].structs[0].fields[0].bitfields[1]: bits 24..39 exceed the 32-bit width'],
    ['unknown-struct', "devices[0].structs[0].fields[2].type: unknown struct or type 'demo_nothing'"],
    ['dup-name', "devices[0].structs[1].name: duplicate name 'demo_arg'"],
    ['ioctl-size', 'devices[0].ioctls[0].arg.struct: argument size 16384 does not fit the 14-bit _IOC size field'],
  ];
  it.each(cases)('%s', (name, message) => {
    const r = fixture(name);
    expect(r.status).toBe(2);
    const line = r.stderr.split('\n').find((l) => l.includes(message));
    expect(line, r.stderr).toBeDefined();
    expect(line).toMatch(new RegExp(`^packages/uapi/test/fixtures/${name}\\.yaml:\\d+: devices\\[`));
    expect(r.stderr).toContain('nothing generated');
  });

  it('the schema also reports unknown properties', () => {
    expect(fixture('schema').stderr).toContain("devices[0].structs[0].fields[1]: schema: unknown property 'volatile'");
  });

  it('names the line of the offending node', () => {
    const r = fixture('dup-ioctl');
    const lines = readFileSync(join(PKG, 'test/fixtures/dup-ioctl.yaml'), 'utf8').split('\n');
    const n = Number(/dup-ioctl\.yaml:(\d+):/.exec(r.stderr)?.[1]);
    expect(lines[n - 1]).toContain('name: set');
  });
});
