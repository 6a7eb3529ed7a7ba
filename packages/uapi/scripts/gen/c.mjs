// C uapi headers (mode c-uapi) for kernel/include/uapi/kchan/ and packages/uapi/include/kchan/.

import { SCALARS, IOC_MACRO, hex, upper } from './model.mjs';
import { SPDX, marker, oneLine, wrapText } from './common.mjs';

/** `#define NAME<tabs>VALUE` lines aligned on a tab stop. */
function defines(pairs) {
  const width = Math.max(...pairs.map(([n]) => `#define ${n}`.length));
  const col = (Math.floor(width / 8) + 1) * 8;
  return pairs.map(([n, v]) => {
    const head = `#define ${n}`;
    return `${head}${'\t'.repeat(Math.ceil((col - head.length) / 8))}${v}`;
  });
}

/** A block comment; kernel-doc (`/**`) when `kdoc`. */
function comment(lines, indent = '', kdoc = false) {
  const out = [`${indent}/*${kdoc ? '*' : ''}`];
  for (const l of lines) out.push(l ? `${indent} * ${l}` : `${indent} *`);
  out.push(`${indent} */`);
  return out;
}

function kdocItem(name, doc) {
  const lines = wrapText(`@${name}: ${oneLine(doc)}`, 74);
  return lines;
}

export function cFieldDecl(f) {
  if (f.bitfields) return f.bitfields.map((b) => `${SCALARS[f.type].c} ${b.name}:${b.width};`);
  const t = f.scalar ? SCALARS[f.type].c : `struct ${f.struct}`;
  const arr = f.count === null ? '' : f.flexible ? '[]' : `[${f.count}]`;
  return [`${t} ${f.name}${arr};`];
}

export function cHeader(model, dev) {
  const guard = `_UAPI_KCHAN_${upper(dev.cHeader.replace(/\.h$/, ''))}_H`;
  const out = [];
  // SPDX first (checkpatch requires it on line 1 of kernel headers), then the marker.
  out.push(`/* SPDX-License-Identifier: ${SPDX} */`);
  out.push(marker('c', model.file, 'c-uapi'));
  out.push(...comment([`kchan ${dev.name} (${dev.path}), protocol version ${model.version}.`, '', ...wrapText(dev.doc, 74)]));
  out.push(`#ifndef ${guard}`, `#define ${guard}`, '', '#include <linux/types.h>', '#include <linux/ioctl.h>', '');

  if (dev.contract) {
    const title = dev.name === 'watch_queue' ? 'Ring memory-order contract' : 'Contract';
    out.push(...comment([`${title}:`, '', ...wrapText(dev.contract, 74)]), '');
  }

  if (dev.constants.length) {
    for (const c of dev.constants) {
      out.push(`/* ${oneLine(c.doc)} */`);
      out.push(...defines([[c.cName, String(c.value)]]));
    }
    out.push('');
  }

  for (const e of dev.enums) {
    out.push(...comment([...wrapText(`enum ${e.name} - ${oneLine(e.doc)}`, 74), ...e.values.flatMap((v) => kdocItem(v.cName, v.doc))], '', true));
    out.push(`enum ${e.name} {`);
    for (const v of e.values) out.push(`\t${v.cName} = ${v.value},`);
    out.push('};', '');
  }

  for (const b of dev.bitsets) {
    const digits = SCALARS[b.type].size * 2;
    out.push(...comment([...wrapText(`${b.name} (${b.type}) - ${oneLine(b.doc)}`, 74), ...b.fields.flatMap((f) => kdocItem(f.cName, f.doc))]));
    out.push(...defines(b.fields.flatMap((f) => [[f.cName, hex(f.mask, digits)], [`${f.cName}__SHIFT`, String(f.shift)]])));
    out.push('');
  }

  for (const s of dev.structs) {
    const items = [];
    for (const f of s.fields) {
      if (f.bitfields) for (const b of f.bitfields) items.push(...kdocItem(b.name, `${oneLine(b.doc)} (bits ${b.shift}..${b.shift + b.width - 1} of ${f.name})`));
      else items.push(...kdocItem(f.name, f.doc));
    }
    out.push(...comment([...wrapText(`struct ${s.name} - ${oneLine(s.doc)}`, 74), ...items, '', `Size ${s.size}${s.flexible ? ' plus the flexible array' : ''}, alignment ${s.align}.`], '', true));
    out.push(`struct ${s.name} {`);
    for (const f of s.fields) for (const d of cFieldDecl(f)) out.push(`\t${d}`);
    out.push('};', '');
    const bfs = s.fields.filter((f) => f.bitfields);
    if (bfs.length) {
      out.push(`/* struct ${s.name} bit fields: mask in the containing word, shift */`);
      out.push(...defines(bfs.flatMap((f) => f.bitfields.flatMap((b) => [[`${b.cName}__MASK`, hex(b.mask, f.elemSize * 2)], [`${b.cName}__SHIFT`, String(b.shift)]]))));
      out.push('');
    }
  }

  if (dev.ioctls.length) {
    out.push(`/* ioctls of ${dev.path} */`);
    for (const io of dev.ioctls) {
      const argNote = io.argKind === 'value' ? `arg: ${io.argType} by value. ` : io.argKind === 'pointer' ? `arg: struct ${io.argType} * (variable size). ` : '';
      out.push(...comment(wrapText(`${io.cName}: ${argNote}${oneLine(io.doc)}`, 74)));
      const chr = io.typeChar === "'" || io.typeChar === '\\' ? `'\\${io.typeChar}'` : `'${io.typeChar}'`;
      const args = [chr, hex(io.nr, 2)];
      if (io.dir !== 'none') args.push(io.cArg);
      out.push(...defines([[io.cName, `${IOC_MACRO[io.dir]}(${args.join(', ')})`]]));
    }
    out.push('');
  }

  out.push(`#endif /* ${guard} */`, '');
  return out.join('\n');
}
