// TypeScript layouts, accessors, decoders and encoders (mode ts) for
// packages/uapi/src/generated/<device>.ts.

import { SCALARS, camel, hex, pascal, upper } from './model.mjs';
import { marker, oneLine, wrapText } from './common.mjs';

const GET = { u8: 'getUint8', u16: 'getUint16', u32: 'getUint32', u64: 'getBigUint64', s8: 'getInt8', s16: 'getInt16', s32: 'getInt32', s64: 'getBigInt64' };
const SET = { u8: 'setUint8', u16: 'setUint16', u32: 'setUint32', u64: 'setBigUint64', s8: 'setInt8', s16: 'setInt16', s32: 'setInt32', s64: 'setBigInt64' };

function jsdoc(text, indent = '') {
  const lines = wrapText(text, 96 - indent.length);
  if (lines.length === 1) return [`${indent}/** ${lines[0]} */`];
  return [`${indent}/**`, ...lines.map((l) => (l ? `${indent} * ${l}` : `${indent} *`)), `${indent} */`];
}

const le = (t) => (SCALARS[t].size > 1 ? ', true' : '');
const at = (off) => (off ? `offset + ${off}` : 'offset');
const isReserved = (name) => /^reserved\d*$/.test(name);

function scalarTs(t) {
  return SCALARS[t].size === 8 ? 'bigint' : 'number';
}

/** TS type of a (non-bit-field) field in the decoded object / the encoder input. */
function fieldTs(f, init) {
  if (f.string) return 'string';
  const base = f.scalar ? scalarTs(f.scalar) : `${pascal(f.struct)}${init ? 'Init' : ''}`;
  if (f.count === null) return base;
  if (f.scalar === 'u8' || f.scalar === 's8') return f.scalar === 'u8' ? 'Uint8Array' : 'Int8Array';
  return `${base}[]`;
}

function structTs(s, lines) {
  const P = pascal(s.name);
  const c = camel(s.name);

  // Interfaces.
  for (const init of [false, true]) {
    lines.push(...jsdoc(init ? `Input of encode${P}: like ${P}, with reserved fields${s.flexible ? ' and the flexible array' : ''} optional (default 0${s.flexible ? ' / empty' : ''}).` : `struct ${s.name}: ${oneLine(s.doc)}`));
    lines.push(`export interface ${P}${init ? 'Init' : ''} {`);
    for (const f of s.fields) {
      if (f.bitfields) {
        for (const b of f.bitfields) {
          lines.push(...jsdoc(`${oneLine(b.doc)} (bits ${b.shift}..${b.shift + b.width - 1} of ${f.name})`, '  '));
          lines.push(`  ${b.name}${init && isReserved(b.name) ? '?' : ''}: number;`);
        }
        continue;
      }
      lines.push(...jsdoc(oneLine(f.doc), '  '));
      const opt = init && (isReserved(f.name) || f.flexible) ? '?' : '';
      lines.push(`  ${f.name}${opt}: ${fieldTs(f, init)};`);
    }
    lines.push('}', '');
  }

  // Layout.
  lines.push(...jsdoc(`Layout of struct ${s.name} (size ${s.size}, alignment ${s.align}).`));
  lines.push(`export const ${P}Layout = {`, `  name: '${s.name}',`, `  size: ${s.size},`, `  align: ${s.align},`, '  fields: {');
  for (const f of s.fields) {
    const parts = [`offset: ${f.offset}`, `size: ${f.size}`, `type: '${f.type}'`];
    if (f.count !== null) parts.push(`count: ${f.count}`, `elementSize: ${f.elemSize}`);
    if (f.flexible) parts.push('flexible: true');
    if (f.string) parts.push('string: true');
    if (f.bitset) parts.push(`bitset: '${f.bitset}'`);
    if (f.bitfields) {
      const bf = f.bitfields.map((b) => `${b.name}: { shift: ${b.shift}, width: ${b.width}, mask: ${hex(b.mask)} }`);
      parts.push(`bitfields: { ${bf.join(', ')} }`);
    }
    lines.push(`    ${f.name}: { ${parts.join(', ')} },`);
  }
  lines.push('  },', '} as const satisfies StructLayout;', '');

  // Bit-field masks with their C names.
  for (const f of s.fields) {
    for (const b of f.bitfields ?? []) {
      lines.push(`export const ${b.cName}__MASK = ${hex(b.mask)};`, `export const ${b.cName}__SHIFT = ${b.shift};`);
    }
  }
  if (s.fields.some((f) => f.bitfields)) lines.push('');

  // Allocation-free accessors.
  for (const f of s.fields) {
    const F = pascal(f.name);
    if (f.bitfields) {
      const bits = SCALARS[f.type].size * 8;
      const full = Number((1n << BigInt(bits)) - 1n);
      for (const b of f.bitfields) {
        const B = pascal(b.name);
        const low = Number((1n << BigInt(b.width)) - 1n);
        const get = `view.${GET[f.type]}(${at(f.offset)}${le(f.type)})`;
        const expr = b.shift ? `(${get} >>> ${b.shift}) & ${hex(low)}` : b.width === bits ? get : `${get} & ${hex(low)}`;
        lines.push(...jsdoc(`struct ${s.name}.${b.name} (bits ${b.shift}..${b.shift + b.width - 1} of the ${f.type} at offset ${f.offset}); no allocation.`));
        lines.push(`export function ${c}${B}(view: DataView, offset: number): number {`, `  return ${expr};`, '}');
        const keep = full & ~b.mask;
        const put = b.shift ? `((value & ${hex(low)}) << ${b.shift})` : `(value & ${hex(low)})`;
        lines.push(`export function set${P}${B}(view: DataView, offset: number, value: number): void {`);
        lines.push(`  const word = view.${GET[f.type]}(${at(f.offset)}${le(f.type)});`);
        lines.push(`  view.${SET[f.type]}(${at(f.offset)}, ((word & ${hex(keep >>> 0)}) | ${put}) >>> 0${le(f.type)});`, '}');
      }
      continue;
    }
    if (f.scalar && f.count === null) {
      const T = scalarTs(f.scalar);
      lines.push(...jsdoc(`struct ${s.name}.${f.name} (${f.type} at offset ${f.offset}); no allocation${T === 'bigint' ? ' beyond the bigint' : ''}.`));
      lines.push(`export function ${c}${F}(view: DataView, offset: number): ${T} {`, `  return view.${GET[f.scalar]}(${at(f.offset)}${le(f.scalar)});`, '}');
      lines.push(`export function set${P}${F}(view: DataView, offset: number, value: ${T}): void {`, `  view.${SET[f.scalar]}(${at(f.offset)}, value${le(f.scalar)});`, '}');
    } else if (f.scalar && f.string) {
      lines.push(...jsdoc(`struct ${s.name}.${f.name} as a string (allocates).`));
      lines.push(`export function ${c}${F}(view: DataView, offset: number): string {`, `  return decodeCString(view, ${at(f.offset)}, ${f.count});`, '}');
    } else if (f.scalar && !f.flexible) {
      const T = scalarTs(f.scalar);
      const el = f.elemSize === 1 ? `${at(f.offset)} + index` : `${at(f.offset)} + index * ${f.elemSize}`;
      lines.push(...jsdoc(`struct ${s.name}.${f.name}[index] (${f.type}[${f.count}] at offset ${f.offset}); no allocation.`));
      lines.push(`export function ${c}${F}(view: DataView, offset: number, index: number): ${T} {`, `  checkIndex(index, ${f.count});`, `  return view.${GET[f.scalar]}(${el}${le(f.scalar)});`, '}');
      lines.push(`export function set${P}${F}(view: DataView, offset: number, index: number, value: ${T}): void {`, `  checkIndex(index, ${f.count});`, `  view.${SET[f.scalar]}(${el}, value${le(f.scalar)});`, '}');
    }
  }
  lines.push('');

  // Decoder.
  const flex = s.fields.find((f) => f.flexible);
  const flexParam = flex ? `, ${camel(flex.name)}Count = 0` : '';
  lines.push(...jsdoc(`Decode struct ${s.name} at \`offset\`${flex ? ` with \`${camel(flex.name)}Count\` elements of ${flex.name}` : ''}.`));
  lines.push(`export function decode${P}(view: DataView, offset: number${flexParam}): ${P} {`, '  return {');
  for (const f of s.fields) {
    const F = pascal(f.name);
    if (f.bitfields) {
      for (const b of f.bitfields) lines.push(`    ${b.name}: ${c}${pascal(b.name)}(view, offset),`);
      continue;
    }
    let v;
    if (f.string) v = `${c}${F}(view, offset)`;
    else if (f.flexible) {
      v = f.scalar
        ? `Array.from({ length: ${camel(f.name)}Count }, (_, i) => view.${GET[f.scalar]}(${at(f.offset)} + i * ${f.elemSize}${le(f.scalar)}))`
        : `Array.from({ length: ${camel(f.name)}Count }, (_, i) => decode${pascal(f.struct)}(view, ${at(f.offset)} + i * ${f.elemSize}))`;
    } else if (f.count === null) v = f.scalar ? `${c}${F}(view, offset)` : `decode${pascal(f.struct)}(view, ${at(f.offset)})`;
    else if (f.scalar === 'u8') v = `copyBytes(view, ${at(f.offset)}, ${f.count})`;
    else if (f.scalar === 's8') v = `new Int8Array(copyBytes(view, ${at(f.offset)}, ${f.count}).buffer)`;
    else if (f.scalar) v = `Array.from({ length: ${f.count} }, (_, i) => view.${GET[f.scalar]}(${at(f.offset)} + i * ${f.elemSize}${le(f.scalar)}))`;
    else v = `Array.from({ length: ${f.count} }, (_, i) => decode${pascal(f.struct)}(view, ${at(f.offset)} + i * ${f.elemSize}))`;
    lines.push(`    ${f.name}: ${v},`);
  }
  lines.push('  };', '}', '');

  // Encoder.
  lines.push(...jsdoc(`Encode struct ${s.name} at \`offset\`; every byte of the struct${flex ? ' and the flexible array' : ''} is written. Returns the bytes written.`));
  lines.push(`export function encode${P}(view: DataView, offset: number, value: ${P}Init): number {`);
  for (const f of s.fields) {
    const val = `value.${f.name}${isReserved(f.name) ? ' ?? ' + (f.scalar === 'u64' || f.scalar === 's64' ? '0n' : '0') : ''}`;
    if (f.bitfields) {
      const parts = f.bitfields.map((b) => {
        const low = hex(Number((1n << BigInt(b.width)) - 1n));
        const v = `(value.${b.name}${isReserved(b.name) ? ' ?? 0' : ''})`;
        return b.shift ? `((${v} & ${low}) << ${b.shift})` : `(${v} & ${low})`;
      });
      lines.push(`  view.${SET[f.type]}(${at(f.offset)}, (${parts.join(' | ')}) >>> 0${le(f.type)});`);
    } else if (f.string) {
      lines.push(`  encodeCString(view, ${at(f.offset)}, ${f.count}, value.${f.name});`);
    } else if (f.flexible) {
      const arr = `value.${f.name} ?? []`;
      lines.push(`  const ${camel(f.name)} = ${arr};`);
      lines.push(`  for (let i = 0; i < ${camel(f.name)}.length; i++) {`);
      const el = `${camel(f.name)}[i]`;
      if (f.scalar) lines.push(`    view.${SET[f.scalar]}(${at(f.offset)} + i * ${f.elemSize}, ${el} ?? ${scalarTs(f.scalar) === 'bigint' ? '0n' : '0'}${le(f.scalar)});`);
      else lines.push(`    const el = ${el};`, `    if (el !== undefined) encode${pascal(f.struct)}(view, ${at(f.offset)} + i * ${f.elemSize}, el);`);
      lines.push('  }');
    } else if (f.count === null) {
      if (f.scalar) lines.push(`  view.${SET[f.scalar]}(${at(f.offset)}, ${val}${le(f.scalar)});`);
      else lines.push(`  encode${pascal(f.struct)}(view, ${at(f.offset)}, value.${f.name});`);
    } else if (f.scalar === 'u8' || f.scalar === 's8') {
      const src = f.scalar === 'u8' ? `value.${f.name}` : `new Uint8Array(value.${f.name}.buffer, value.${f.name}.byteOffset, value.${f.name}.length)`;
      lines.push(`  writeBytes(view, ${at(f.offset)}, ${f.count}, ${src});`);
    } else {
      const zero = f.scalar ? (scalarTs(f.scalar) === 'bigint' ? '0n' : '0') : null;
      lines.push(`  checkLength(value.${f.name}.length, ${f.count}, '${s.name}.${f.name}');`);
      lines.push(`  for (let i = 0; i < ${f.count}; i++) {`);
      if (f.scalar) lines.push(`    view.${SET[f.scalar]}(${at(f.offset)} + i * ${f.elemSize}, value.${f.name}[i] ?? ${zero}${le(f.scalar)});`);
      else {
        lines.push(`    const el = value.${f.name}[i];`);
        lines.push(`    if (el !== undefined) encode${pascal(f.struct)}(view, ${at(f.offset)} + i * ${f.elemSize}, el);`);
        lines.push(`    else new Uint8Array(view.buffer, view.byteOffset + ${at(f.offset)} + i * ${f.elemSize}, ${f.elemSize}).fill(0);`);
      }
      lines.push('  }');
    }
  }
  lines.push(flex ? `  return ${s.size} + ${camel(flex.name)}.length * ${flex.elemSize};` : `  return ${s.size};`, '}', '');
}

export function tsModule(model, dev) {
  const D = pascal(dev.name);
  const lines = [marker('//', model.file, 'ts')];
  lines.push(...jsdoc(`kchan ${dev.name} (${dev.path}), protocol version ${model.version}: ${oneLine(dev.doc)}`));
  const needs = new Set(['StructLayout']);
  const body = [];

  body.push(`/** The device node. */`, `export const ${upper(dev.name)}_DEVICE_PATH = '${dev.path}';`, '');
  if (dev.contract) {
    body.push(`/** The ${dev.name} contract (also in the C header and docs/protocol/${dev.name}.md). */`);
    body.push(`export const ${upper(dev.name)}_CONTRACT = ${JSON.stringify(dev.contract.trimEnd())};`, '');
  }
  for (const k of dev.constants) body.push(...jsdoc(oneLine(k.doc)), `export const ${k.cName} = ${k.value};`);
  if (dev.constants.length) body.push('');

  for (const e of dev.enums) {
    const E = pascal(e.name);
    body.push(...jsdoc(`enum ${e.name}: ${oneLine(e.doc)}`));
    body.push(`export const ${E} = {`);
    for (const v of e.values) body.push(...jsdoc(oneLine(v.doc), '  '), `  ${upper(v.name)}: ${v.value},`);
    body.push('} as const;', `export type ${E} = (typeof ${E})[keyof typeof ${E}];`);
    for (const v of e.values) body.push(`export const ${v.cName} = ${v.value};`);
    body.push('');
  }

  for (const b of dev.bitsets) {
    needs.add('BitsLayout');
    const B = pascal(b.name);
    body.push(...jsdoc(`Bitset ${b.name} (${b.type}): ${oneLine(b.doc)} Use bitsGet/bitsSet with these entries.`));
    body.push(`export const ${B} = {`);
    for (const f of b.fields) body.push(...jsdoc(oneLine(f.doc), '  '), `  ${upper(f.name)}: { shift: ${f.shift}, width: ${f.width}, mask: ${hex(f.mask)} },`);
    body.push('} as const satisfies Readonly<Record<string, BitsLayout>>;');
    for (const f of b.fields) body.push(`export const ${f.cName} = ${hex(f.mask)};`, `export const ${f.cName}__SHIFT = ${f.shift};`);
    body.push('');
  }

  for (const s of dev.structs) structTs(s, body);

  if (dev.ioctls.length) {
    needs.add('IoctlLayout');
    for (const io of dev.ioctls) {
      body.push(...jsdoc(`${io.cName} = _IOC(${io.dir}, '${io.typeChar}', ${hex(io.nr)}, ${io.size}): ${oneLine(io.doc)}`));
      body.push(`export const ${io.cName} = ${hex(io.request)};`);
    }
    body.push('', `/** Every ioctl of ${dev.path}, by C name. */`, `export const ${D}Ioctls = {`);
    for (const io of dev.ioctls) {
      body.push(`  ${io.cName}: { request: ${hex(io.request)}, dir: '${io.dir}', type: ${hex(io.type)}, nr: ${hex(io.nr)}, size: ${io.size}, argKind: '${io.argKind}', arg: '${io.argType}' },`);
    }
    body.push('} as const satisfies Readonly<Record<string, IoctlLayout>>;', '');
  }

  body.push(`/** Every struct layout of ${dev.path}, by C name. */`, `export const ${D}Layouts = {`);
  for (const s of dev.structs) body.push(`  ${s.name}: ${pascal(s.name)}Layout,`);
  body.push('} as const satisfies Readonly<Record<string, StructLayout>>;', '');

  const text = body.join('\n');
  const helpers = ['checkIndex', 'checkLength', 'copyBytes', 'decodeCString', 'encodeCString', 'writeBytes'].filter((h) => new RegExp(`\\b${h}\\(`).test(text));
  lines.push('');
  if (helpers.length) lines.push(`import { ${helpers.join(', ')} } from '../layout.js';`);
  lines.push(`import type { ${[...needs].sort().join(', ')} } from '../layout.js';`, '');
  return `${lines.join("\n")}\n${text.replace(/\n+$/, '')}\n`;
}
