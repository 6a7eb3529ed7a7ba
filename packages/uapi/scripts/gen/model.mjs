// Load, validate and resolve the kchan protocol spec.
//
// loadSpec() returns a resolved model (sizes, offsets, masks, ioctl numbers)
// or throws a SpecError whose `problems` each name the file, the line, the
// JSON path and the reason.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { LineCounter, parseDocument } from 'yaml';

const require = createRequire(import.meta.url);
const Ajv = require('ajv');

export const SCHEMA_PATH = new URL('../../spec/kchan.schema.json', import.meta.url);

/** Fixed-width scalar types: size, C type, signedness. */
export const SCALARS = {
  u8: { size: 1, c: '__u8', signed: false },
  u16: { size: 2, c: '__u16', signed: false },
  u32: { size: 4, c: '__u32', signed: false },
  u64: { size: 8, c: '__u64', signed: false },
  s8: { size: 1, c: '__s8', signed: true },
  s16: { size: 2, c: '__s16', signed: true },
  s32: { size: 4, c: '__s32', signed: true },
  s64: { size: 8, c: '__s64', signed: true },
};

/** Types that are not fixed-width (or not allowed in a uapi struct at all). */
const NON_FIXED = new Set([
  'char', 'short', 'int', 'long', 'long long', 'unsigned', 'unsigned int', 'unsigned long',
  'signed', 'bool', '_Bool', 'size_t', 'ssize_t', 'off_t', 'loff_t', 'pid_t', 'uid_t', 'gid_t',
  'intptr_t', 'uintptr_t', 'ptrdiff_t', 'float', 'double', 'void', 'pointer', 'ptr',
]);

export const IOC_DIR = { none: 0, write: 1, read: 2, readwrite: 3 };
export const IOC_MACRO = { none: '_IO', write: '_IOW', read: '_IOR', readwrite: '_IOWR' };
const IOC_SIZEBITS = 14;

export class SpecError extends Error {
  constructor(problems) {
    super(problems.join('\n'));
    this.name = 'SpecError';
    this.problems = problems;
  }
}

/** `devices[0].structs[2]` from ['devices', 0, 'structs', 2]. */
export function formatPath(path) {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s ? `.${p}` : p;
  return s || '(root)';
}

export function upper(name) {
  return name.toUpperCase();
}
export function pascal(name) {
  return name.split('_').map((w) => (w ? w[0].toUpperCase() + w.slice(1) : '')).join('');
}
export function camel(name) {
  const p = pascal(name);
  return p[0].toLowerCase() + p.slice(1);
}
export function hex(n, digits = 0) {
  return `0x${n.toString(16).padStart(digits, '0')}`;
}
export function maskOf(shift, width) {
  return Number(((1n << BigInt(width)) - 1n) << BigInt(shift));
}
export function iocNumber(dir, type, nr, size) {
  return ((IOC_DIR[dir] << 30) | (size << 16) | (type << 8) | nr) >>> 0;
}

/**
 * Parse and validate a spec file. `displayPath` is how the file is named in
 * messages and in the generated files' markers.
 */
export function loadSpec(file, displayPath = file) {
  const text = readFileSync(file, 'utf8');
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  const where = (path) => {
    let line;
    for (let n = path.length; n >= 0 && line === undefined; n--) {
      const node = doc.getIn(path.slice(0, n), true);
      if (node && node.range) line = lineCounter.linePos(node.range[0]).line;
    }
    return line === undefined ? displayPath : `${displayPath}:${line}`;
  };
  if (doc.errors.length) {
    throw new SpecError(doc.errors.map((e) => `${displayPath}:${e.linePos?.[0]?.line ?? '?'}: (yaml): ${e.message.split('\n')[0]}`));
  }
  const spec = doc.toJS();

  const schema = JSON.parse(readFileSync(SCHEMA_PATH, 'utf8'));
  const ajv = new Ajv({ allErrors: true, strict: true });
  const validate = ajv.compile(schema);
  if (!validate(spec)) {
    const seen = new Set();
    const problems = [];
    for (const e of validate.errors) {
      // oneOf produces one error per branch; keep the most useful ones.
      const path = e.instancePath.split('/').slice(1).map((p) => (/^\d+$/.test(p) ? Number(p) : p.replace(/~1/g, '/').replace(/~0/g, '~')));
      let reason = `schema: ${e.message}`;
      if (e.keyword === 'additionalProperties') reason = `schema: unknown property '${e.params.additionalProperty}'`;
      if (e.keyword === 'required') reason = `schema: missing required property '${e.params.missingProperty}'`;
      if (e.keyword === 'enum') reason = `schema: must be one of ${e.params.allowedValues.join(', ')}`;
      const msg = `${where(path)}: ${formatPath(path)}: ${reason}`;
      if (!seen.has(msg)) {
        seen.add(msg);
        problems.push(msg);
      }
    }
    throw new SpecError(problems);
  }

  const problems = [];
  const fail = (path, reason) => problems.push(`${where(path)}: ${formatPath(path)}: ${reason}`);
  const model = resolve(spec, fail);
  if (problems.length) throw new SpecError(problems);
  model.file = displayPath;
  return model;
}

function checkDoc(path, text, fail) {
  if (text.includes('*/')) fail(path, "doc must not contain '*/'");
}

/** Semantic checks + resolution into the model used by every output. */
function resolve(spec, fail) {
  const cNames = new Map(); // C identifier -> path of its definer (global C namespace)
  const claimC = (name, path) => {
    const prev = cNames.get(name);
    if (prev) fail(path, `duplicate C name ${name} (also defined at ${formatPath(prev)})`);
    else cNames.set(name, path);
  };
  const devNames = new Set();
  const devices = spec.devices.map((d, di) => {
    const dp = ['devices', di];
    if (devNames.has(d.name)) fail([...dp, 'name'], `duplicate device name '${d.name}'`);
    devNames.add(d.name);
    checkDoc([...dp, 'doc'], d.doc, fail);
    if (d.contract) checkDoc([...dp, 'contract'], d.contract, fail);
    // Names of every top-level definition share one namespace per device.
    const names = new Map();
    const claim = (kind, name, path) => {
      const prev = names.get(name);
      if (prev) fail([...path, 'name'], `duplicate name '${name}' (${kind}; also a ${prev.kind} at ${formatPath(prev.path)})`);
      else names.set(name, { kind, path });
    };

    const constants = (d.constants ?? []).map((c, i) => {
      const p = [...dp, 'constants', i];
      claim('constant', c.name, p);
      claimC(upper(c.name), p);
      checkDoc([...p, 'doc'], c.doc, fail);
      return { ...c, cName: upper(c.name) };
    });

    const enums = (d.enums ?? []).map((e, i) => {
      const p = [...dp, 'enums', i];
      claim('enum', e.name, p);
      checkDoc([...p, 'doc'], e.doc, fail);
      const seen = new Set();
      const values = e.values.map((v, j) => {
        const vp = [...p, 'values', j];
        if (seen.has(v.name)) fail([...vp, 'name'], `duplicate enum value name '${v.name}'`);
        seen.add(v.name);
        const cName = e['c-prefix'] + upper(v.name);
        claimC(cName, vp);
        checkDoc([...vp, 'doc'], v.doc, fail);
        return { ...v, cName };
      });
      return { name: e.name, cPrefix: e['c-prefix'], doc: e.doc, values };
    });

    const bitsets = new Map();
    for (const [i, b] of (d.bitsets ?? []).entries()) {
      const p = [...dp, 'bitsets', i];
      claim('bitset', b.name, p);
      checkDoc([...p, 'doc'], b.doc, fail);
      const bits = SCALARS[b.type].size * 8;
      const fields = checkBits(b.fields, bits, [...p, 'fields'], fail, false).map((f, j) => {
        const cName = b['c-prefix'] + upper(f.name);
        claimC(cName, [...p, 'fields', j]);
        claimC(`${cName}__SHIFT`, [...p, 'fields', j]);
        return { ...f, cName, mask: maskOf(f.shift, f.width) };
      });
      bitsets.set(b.name, { name: b.name, cPrefix: b['c-prefix'], type: b.type, doc: b.doc, fields });
    }

    const structs = new Map();
    for (const [i, s] of (d.structs ?? []).entries()) {
      const p = [...dp, 'structs', i];
      claim('struct', s.name, p);
      checkDoc([...p, 'doc'], s.doc, fail);
      const st = resolveStruct(s, p, structs, bitsets, fail, claimC);
      structs.set(s.name, st);
    }

    const ioctls = [];
    const nrs = new Map();
    for (const [i, io] of (d.ioctls ?? []).entries()) {
      const p = [...dp, 'ioctls', i];
      claim('ioctl', io.name, p);
      claimC(io['c-name'], [...p, 'c-name']);
      checkDoc([...p, 'doc'], io.doc, fail);
      const type = io.type.charCodeAt(0);
      const key = `${type}:${io.nr}`;
      if (nrs.has(key)) {
        fail([...p, 'nr'], `duplicate ioctl number: type '${io.type}' nr ${hex(io.nr)} is also used by '${nrs.get(key)}'`);
      } else nrs.set(key, io.name);
      const kind = Object.keys(io.arg)[0];
      const argType = io.arg[kind];
      const ap = [...p, 'arg', kind];
      let size = 0;
      let cArg = null;
      let argStruct = null;
      if (kind === 'value') {
        if (!SCALARS[argType]) fail(ap, `a by-value argument must be a fixed-width scalar, not '${argType}'`);
        if (io.dir !== 'none') fail([...p, 'dir'], `an argument passed by value needs dir 'none' (_IO), not '${io.dir}'`);
      } else if (kind === 'pointer') {
        if (!structs.has(argType)) fail(ap, `unknown struct '${argType}'`);
        else argStruct = argType;
        if (io.dir !== 'none') fail([...p, 'dir'], `a variable-size pointer argument needs dir 'none' (_IO); use 'struct' for a sized argument`);
      } else {
        if (io.dir === 'none') fail([...p, 'dir'], `a sized argument needs dir read, write or readwrite; use 'value' or 'pointer' with dir 'none'`);
        if (SCALARS[argType]) {
          size = SCALARS[argType].size;
          cArg = SCALARS[argType].c;
        } else if (structs.has(argType)) {
          const st = structs.get(argType);
          if (st.flexible) fail(ap, `struct '${argType}' ends in a flexible array; pass it as 'pointer' with dir 'none'`);
          size = st.size;
          cArg = `struct ${argType}`;
          argStruct = argType;
        } else if (NON_FIXED.has(argType)) {
          fail(ap, `non-fixed-width type '${argType}': use u8, u16, u32, u64, s32, s64 or a struct`);
        } else {
          fail(ap, `unknown struct or type '${argType}'`);
        }
        if (size >= 1 << IOC_SIZEBITS) fail(ap, `argument size ${size} does not fit the ${IOC_SIZEBITS}-bit _IOC size field (max ${(1 << IOC_SIZEBITS) - 1})`);
      }
      ioctls.push({
        name: io.name, cName: io['c-name'], dir: io.dir, type, typeChar: io.type, nr: io.nr,
        argKind: kind, argType, argStruct, size, cArg, doc: io.doc,
        request: iocNumber(io.dir, type, io.nr, size),
      });
    }

    return {
      name: d.name, path: d.path, cHeader: d['c-header'], doc: d.doc, contract: d.contract ?? null,
      constants, enums, bitsets: [...bitsets.values()], structs: [...structs.values()], ioctls,
    };
  });
  return { name: spec.name, version: spec.version, doc: spec.doc, devices };
}

/** Bits of a bitset or bit-field list: in range, no overlap; bit fields also in order and complete. */
function checkBits(list, bits, path, fail, isBitfield) {
  const names = new Set();
  let used = 0n;
  let next = 0;
  for (const [j, f] of list.entries()) {
    const fp = [...path, j];
    if (names.has(f.name)) fail([...fp, 'name'], `duplicate name '${f.name}'`);
    names.add(f.name);
    if (f.shift + f.width > bits) {
      fail(fp, `bits ${f.shift}..${f.shift + f.width - 1} exceed the ${bits}-bit width`);
      continue;
    }
    const m = ((1n << BigInt(f.width)) - 1n) << BigInt(f.shift);
    const overlaps = (used & m) !== 0n;
    if (overlaps) {
      const other = list.slice(0, j).find((g) => (((1n << BigInt(g.width)) - 1n) << BigInt(g.shift)) & m);
      fail(fp, `bits ${f.shift}..${f.shift + f.width - 1} overlap '${other?.name}'`);
    }
    used |= m;
    if (isBitfield) {
      if (!overlaps && f.shift > next) fail(fp, `bit gap: bits ${next}..${f.shift - 1} are not covered (list bit fields lowest first, covering the whole field)`);
      else if (!overlaps && f.shift < next) fail(fp, 'bit fields must be listed lowest bits first');
      next = Math.max(next, f.shift + f.width);
    }
  }
  if (isBitfield && next !== bits && list.length) {
    fail(path, `bit fields cover bits 0..${next - 1} of ${bits}: add an explicit reserved bit field`);
  }
  return list;
}

function resolveStruct(s, p, structs, bitsets, fail, claimC) {
  const fields = [];
  const names = new Set();
  let end = 0;
  let align = 1;
  let flexible = null;
  // After a field whose type is unusable, skip the offset checks of the
  // next field and the size check, instead of reporting follow-on errors.
  let lost = false;
  let anyLost = false;
  for (const [j, f] of s.fields.entries()) {
    const fp = [...p, 'fields', j];
    checkDoc([...fp, 'doc'], f.doc, fail);
    const claimName = (n, path) => {
      if (names.has(n)) fail(path, `duplicate field name '${n}'`);
      names.add(n);
    };
    claimName(f.name, [...fp, 'name']);
    let elemSize;
    let elemAlign;
    let struct = null;
    if (SCALARS[f.type]) {
      elemSize = elemAlign = SCALARS[f.type].size;
    } else if (structs.has(f.type)) {
      struct = structs.get(f.type);
      if (struct.flexible) fail([...fp, 'type'], `struct '${f.type}' ends in a flexible array and cannot be embedded`);
      elemSize = struct.size;
      elemAlign = struct.align;
    } else if (NON_FIXED.has(f.type) || /\*|_t$|^(unsigned|signed|long|int|char|short)\b/.test(f.type)) {
      fail([...fp, 'type'], `non-fixed-width type '${f.type}': use u8, u16, u32, u64, s32, s64 or a struct`);
      lost = anyLost = true;
      continue;
    } else if (f.type === s.name) {
      fail([...fp, 'type'], `struct '${s.name}' cannot contain itself`);
      lost = anyLost = true;
      continue;
    } else {
      fail([...fp, 'type'], `unknown struct or type '${f.type}' (structs must be defined earlier in the same device)`);
      lost = anyLost = true;
      continue;
    }
    const count = f.count;
    const isFlex = count === 0;
    const size = isFlex ? 0 : elemSize * (count ?? 1);
    if (flexible) {
      fail(fp, `flexible array '${flexible.name}' must be the last field`);
      lost = anyLost = true;
    }
    if (isFlex) flexible = { name: f.name, index: j };
    if (f.string && (f.type !== 'u8' || !count)) fail([...fp, 'string'], `a string must be a u8 array with count > 0`);
    if (f.offset % elemAlign) fail([...fp, 'offset'], `misaligned: offset ${f.offset} is not a multiple of the ${elemAlign}-byte alignment of ${f.type}`);
    if (lost) {
      lost = false;
    } else if (f.offset < end) {
      const other = fields.find((g) => f.offset < g.offset + g.size && g.offset < Math.max(f.offset + size, f.offset + 1));
      fail([...fp, 'offset'], `overlaps field '${other?.name ?? fields[fields.length - 1]?.name}' (bytes ${other?.offset ?? 0}..${(other ? other.offset + other.size : end) - 1}); offsets must increase`);
    } else if (f.offset > end) {
      fail([...fp, 'offset'], `gap: bytes ${end}..${f.offset - 1} are not covered; add an explicit padding field (reserved)`);
    }
    let bitset = null;
    if (f.bitset) {
      bitset = bitsets.get(f.bitset) ?? null;
      if (!bitset) fail([...fp, 'bitset'], `unknown bitset '${f.bitset}'`);
      else if (bitset.type !== f.type || count !== undefined) fail([...fp, 'bitset'], `bitset '${f.bitset}' is a ${bitset.type}; the field is ${count !== undefined ? 'an array of ' : ''}${f.type}`);
    }
    let bitfields = null;
    if (f.bitfields) {
      if (!SCALARS[f.type] || SCALARS[f.type].signed || f.type === 'u64' || count !== undefined) {
        fail([...fp, 'bitfields'], `bit fields need an unsigned u8, u16 or u32 field, not ${count !== undefined ? 'an array of ' : ''}${f.type}`);
      } else {
        bitfields = checkBits(f.bitfields, elemSize * 8, [...fp, 'bitfields'], fail, true).map((b, k) => {
          claimName(b.name, [...fp, 'bitfields', k, 'name']);
          const cName = `${upper(s.name)}_${upper(b.name)}`;
          claimC(`${cName}__MASK`, [...fp, 'bitfields', k]);
          claimC(`${cName}__SHIFT`, [...fp, 'bitfields', k]);
          checkDoc([...fp, 'bitfields', k, 'doc'], b.doc, fail);
          return { ...b, cName, mask: maskOf(b.shift, b.width) };
        });
      }
      if (f.bitset) fail([...fp, 'bitset'], `a field has either bitfields or a bitset, not both`);
    }
    align = Math.max(align, elemAlign);
    end = Math.max(end, f.offset + size);
    fields.push({
      name: f.name, type: f.type, scalar: SCALARS[f.type] ? f.type : null, struct: struct ? struct.name : null,
      offset: f.offset, size, elemSize, elemAlign, count: count ?? null, flexible: isFlex,
      string: Boolean(f.string), bitset: bitset ? bitset.name : null, bitfields, doc: f.doc,
    });
  }
  if (end !== s.size && !anyLost) {
    fail([...p, 'size'], `size mismatch: fields end at ${end} but size is ${s.size}${end < s.size ? '; add explicit trailing padding (reserved)' : ''}`);
  }
  if (s.size % align) fail([...p, 'size'], `size ${s.size} is not a multiple of the struct's ${align}-byte alignment (add trailing padding)`);
  return { name: s.name, doc: s.doc, size: s.size, align, fields, flexible };
}
