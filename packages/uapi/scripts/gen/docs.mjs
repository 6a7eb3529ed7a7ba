// Protocol docs (mode docs) for docs/protocol/*.md.

import { IOC_MACRO, SCALARS, hex } from './model.mjs';
import { marker, oneLine, wrapText } from './common.mjs';

const cell = (s) => oneLine(String(s)).replace(/\|/g, '\\|');

function table(head, rows) {
  return [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)];
}

function fieldType(f) {
  const base = f.scalar ? SCALARS[f.scalar].c : `struct ${f.struct}`;
  return f.count === null ? base : `${base}[${f.flexible ? '' : f.count}]`;
}

export function docDevice(model, dev) {
  const out = [marker('md', model.file, 'docs'), '', `# ${dev.name}: \`${dev.path}\``, ''];
  out.push(...wrapText(dev.doc, 100), '');
  out.push(`C header: \`<kchan/${dev.cHeader}>\` (\`kernel/include/uapi/kchan/${dev.cHeader}\`, also shipped in \`@kchan/uapi/include/kchan/\`). Protocol version ${model.version}.`, '');
  out.push('Layouts are those of x86-64 and arm64 Linux (little-endian, natural alignment); ioctl numbers use the generic `_IOC` encoding.', '');
  if (dev.contract) out.push('## Contract', '', ...wrapText(dev.contract, 100), '');
  if (dev.constants.length) {
    out.push('## Constants', '', ...table(['Name', 'Value', 'Description'], dev.constants.map((c) => [`\`${c.cName}\``, c.value, c.doc])), '');
  }
  if (dev.enums.length) {
    out.push('## Enums', '');
    for (const e of dev.enums) {
      out.push(`### enum ${e.name}`, '', oneLine(e.doc), '', ...table(['Name', 'Value', 'Description'], e.values.map((v) => [`\`${v.cName}\``, v.value, v.doc])), '');
    }
  }
  if (dev.bitsets.length) {
    out.push('## Bitsets', '');
    for (const b of dev.bitsets) {
      const digits = SCALARS[b.type].size * 2;
      out.push(`### ${b.name} (${b.type})`, '', oneLine(b.doc), '', `Each field has a mask \`NAME\` and a shift \`NAME__SHIFT\`.`, '');
      out.push(...table(['Name', 'Mask', 'Bits', 'Description'], b.fields.map((f) => [`\`${f.cName}\``, `\`${hex(f.mask, digits)}\``, f.width === 1 ? `${f.shift}` : `${f.shift}..${f.shift + f.width - 1}`, f.doc])), '');
    }
  }
  if (dev.structs.length) {
    out.push('## Structs', '');
    for (const s of dev.structs) {
      out.push(`### struct ${s.name}`, '', oneLine(s.doc), '', `Size ${s.size}${s.flexible ? ' plus the flexible array' : ''}, alignment ${s.align}.`, '');
      const rows = [];
      for (const f of s.fields) {
        if (f.bitfields) {
          for (const b of f.bitfields) {
            rows.push([f.offset, f.size, `\`${b.name}\``, `\`${SCALARS[f.type].c} :${b.width}\` (bits ${b.shift}..${b.shift + b.width - 1}, mask \`${b.cName}__MASK\` = \`${hex(b.mask, f.elemSize * 2)}\`)`, b.doc]);
          }
          continue;
        }
        const extra = f.string ? ' (string)' : f.bitset ? ` (bitset ${f.bitset})` : '';
        rows.push([f.offset, f.flexible ? `${f.elemSize} × n` : f.size, `\`${f.name}\``, `\`${fieldType(f)}\`${extra}`, f.doc]);
      }
      out.push(...table(['Offset', 'Size', 'Field', 'Type', 'Description'], rows), '');
    }
  }
  if (dev.ioctls.length) {
    out.push('## ioctls', '');
    out.push(...table(['Name', 'Definition', 'Number', 'Argument', 'Description'], dev.ioctls.map((io) => {
      const def = `${IOC_MACRO[io.dir]}('${io.typeChar}', ${hex(io.nr, 2)}${io.dir === 'none' ? '' : `, ${io.cArg}`})`;
      const arg = io.argKind === 'value' ? `${io.argType} by value` : io.argKind === 'pointer' ? `\`struct ${io.argType} *\` (variable size)` : `\`${io.cArg}\` (${io.size} bytes)`;
      return [`\`${io.cName}\``, `\`${def}\``, `\`${hex(io.request, 8)}\``, arg, io.doc];
    })), '');
  }
  return `${out.join('\n').replace(/\n+$/, '')}\n`;
}

export function docIndex(model) {
  const out = [marker('md', model.file, 'docs'), '', `# The kchan protocol (version ${model.version})`, ''];
  out.push(...wrapText(model.doc, 100), '');
  out.push('Generated from `packages/uapi/spec/kchan.yaml` (schema: `packages/uapi/spec/kchan.schema.json`) by `pnpm --filter @kchan/uapi gen`; `gen:check` fails when a committed output is stale. The same spec produces the C uapi headers, the TypeScript package `@kchan/uapi`, the Python `kchan_uapi` ctypes package and the Rust crate `kchan-uapi`; a layout proof (`packages/uapi/test/layout.test.ts`) compiles a C program against the headers and compares every size, offset, bit-field position, constant and ioctl number with the other three.', '');
  out.push(...table(['Device', 'Node', 'C header', 'Structs', 'ioctls'], model.devices.map((d) => [`[${d.name}](${d.name}.md)`, `\`${d.path}\``, `\`<kchan/${d.cHeader}>\``, d.structs.length, d.ioctls.length])), '');
  out.push('## Rules of the spec', '');
  out.push('- Only fixed-width types (`__u8`..`__u64`, `__s8`..`__s64`), arrays of them and structs of the spec; no pointers, `size_t`, `bool` or `volatile`.');
  out.push('- Every byte of a struct is a named field: padding is explicit (`reserved*`), offsets are naturally aligned, the size is a multiple of the alignment, and a flexible array may only end a struct.');
  out.push('- Bit fields list their shift and width, lowest bits first, covering the containing word; every output gets masks and shifts (`STRUCT_FIELD__MASK`/`__SHIFT`). The C headers keep C bit-field syntax, whose bit order the layout proof checks.');
  out.push('- ioctl numbers are unique per device (type + nr) and sized arguments fit the 14-bit `_IOC` size field.');
  out.push('');
  return out.join('\n');
}
