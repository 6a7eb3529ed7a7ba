// Rust modules (mode rust) for the kchan-uapi crate in packages/uapi/rust/.

import { SCALARS, hex, pascal, upper } from './model.mjs';
import { SPDX, marker, oneLine, wrapText } from './common.mjs';

const RUST_KEYWORDS = new Set(['type', 'match', 'mod', 'fn', 'struct', 'enum', 'impl', 'loop', 'move', 'ref', 'self', 'static', 'trait', 'use', 'where', 'async', 'await', 'dyn', 'crate', 'super', 'const', 'let', 'mut', 'pub', 'in', 'as', 'box', 'final', 'macro', 'override', 'priv', 'try', 'unsafe', 'virtual', 'yield', 'abstract', 'become', 'do', 'extern', 'false', 'true', 'for', 'if', 'else', 'while', 'return', 'break', 'continue', 'typeof', 'unsized', 'gen']);

export function rustIdent(name) {
  return RUST_KEYWORDS.has(name) ? `r#${name}` : name;
}

function doc(text, indent = '', inner = false) {
  const tag = inner ? '//!' : '///';
  return wrapText(text, 96 - indent.length).map((l) => (l ? `${indent}${tag} ${l}` : `${indent}${tag}`));
}

/** Rust hex literal with `_` every 4 digits. */
function rhex(n) {
  const h = n.toString(16);
  const groups = [];
  for (let i = h.length; i > 0; i -= 4) groups.unshift(h.slice(Math.max(0, i - 4), i));
  return `0x${groups.join('_')}`;
}

function fieldType(f) {
  const base = f.scalar ?? pascal(f.struct);
  return f.count === null ? base : `[${base}; ${f.count}]`;
}

function zeroOf(f) {
  const base = f.scalar ? '0' : `${pascal(f.struct)}::ZERO`;
  return f.count === null ? base : `[${base}; ${f.count}]`;
}

export function rustModule(model, dev) {
  const out = [marker('//', model.file, 'rust'), `// SPDX-License-Identifier: ${SPDX}`];
  out.push(...doc(`kchan ${dev.name} (\`${dev.path}\`), protocol version ${model.version}.\n\n${dev.doc}`, '', true));
  if (dev.contract) out.push('//!', '//! # Contract', '//!', ...doc(dev.contract, '', true).map((l) => l.replace(/\[/g, '\\[').replace(/\]/g, '\\]')));
  out.push('', `/// The device node.`, `pub const ${upper(dev.name)}_DEVICE_PATH: &str = "${dev.path}";`, '');

  for (const c of dev.constants) out.push(...doc(oneLine(c.doc)), `pub const ${c.cName}: u32 = ${c.value};`);
  if (dev.constants.length) out.push('');

  for (const e of dev.enums) {
    out.push(`// enum ${e.name}: ${oneLine(e.doc)}`);
    for (const v of e.values) out.push(...doc(oneLine(v.doc)), `pub const ${v.cName}: u32 = ${v.value};`);
    out.push('');
  }

  for (const b of dev.bitsets) {
    out.push(`// Bitset ${b.name} (${b.type}): ${oneLine(b.doc)}`);
    for (const f of b.fields) {
      out.push(...doc(oneLine(f.doc)), `pub const ${f.cName}: ${b.type} = ${rhex(f.mask)};`, `pub const ${f.cName}__SHIFT: u32 = ${f.shift};`);
    }
    out.push('');
  }

  for (const s of dev.structs) {
    const P = pascal(s.name);
    out.push(...doc(`\`struct ${s.name}\`: ${oneLine(s.doc)}\n\nSize ${s.size}${s.flexible ? ' plus the flexible array' : ''}, alignment ${s.align}.`));
    out.push('#[repr(C)]', '#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]', `pub struct ${P} {`);
    for (const f of s.fields) {
      const extra = f.bitfields ? ` Bit fields: ${f.bitfields.map((b) => `${b.name} (bits ${b.shift}..${b.shift + b.width - 1})`).join(', ')}; use the accessors.` : '';
      out.push(...doc(`${oneLine(f.doc)}${extra}`, '    '), `    pub ${rustIdent(f.name)}: ${fieldType(f)},`);
    }
    out.push('}', '');
    out.push(`impl ${P} {`, '    /// All fields zero.', `    pub const ZERO: Self = Self {`);
    for (const f of s.fields) out.push(`        ${rustIdent(f.name)}: ${zeroOf(f)},`);
    out.push('    };');
    for (const f of s.fields) {
      for (const b of f.bitfields ?? []) {
        const t = f.type;
        const low = rhex(Number((1n << BigInt(b.width)) - 1n));
        const get = b.shift ? `(self.${rustIdent(f.name)} >> ${b.shift}) & ${low}` : `self.${rustIdent(f.name)} & ${low}`;
        out.push('', ...doc(`${oneLine(b.doc)} (bits ${b.shift}..${b.shift + b.width - 1} of \`${f.name}\`).`, '    '));
        out.push(`    pub const fn ${rustIdent(b.name)}(&self) -> ${t} {`, `        ${get}`, '    }');
        out.push('', `    /// Set \`${b.name}\`; bits of \`value\` above its width are dropped.`);
        const put = b.shift ? `((value & ${low}) << ${b.shift})` : `(value & ${low})`;
        out.push(`    pub fn set_${b.name}(&mut self, value: ${t}) {`, `        self.${rustIdent(f.name)} = (self.${rustIdent(f.name)} & !${b.cName}__MASK) | ${put};`, '    }');
      }
    }
    out.push('}', '');
    out.push(`impl Default for ${P} {`, '    fn default() -> Self {', '        Self::ZERO', '    }', '}', '');
    for (const f of s.fields) {
      for (const b of f.bitfields ?? []) {
        out.push(`pub const ${b.cName}__MASK: ${f.type} = ${rhex(b.mask)};`, `pub const ${b.cName}__SHIFT: u32 = ${b.shift};`);
      }
    }
    out.push(`const _: () = assert!(core::mem::size_of::<${P}>() == ${s.size});`);
    out.push(`const _: () = assert!(core::mem::align_of::<${P}>() == ${s.align});`);
    for (const f of s.fields) out.push(`const _: () = assert!(core::mem::offset_of!(${P}, ${rustIdent(f.name)}) == ${f.offset});`);
    out.push('');
  }

  for (const io of dev.ioctls) {
    out.push(...doc(`\`_IOC(${io.dir}, '${io.typeChar}', ${hex(io.nr)}, ${io.size})\`: ${oneLine(io.doc)}`));
    out.push(`pub const ${io.cName}: core::ffi::c_ulong = ${rhex(io.request)};`);
  }
  return `${out.join('\n').replace(/\n+$/, '')}\n`;
}

export function rustLib(model) {
  const out = [marker('//', model.file, 'rust'), `// SPDX-License-Identifier: ${SPDX}`];
  out.push(...doc(`kchan protocol ${model.version}: ${oneLine(model.doc)}\n\nStructs are \`#[repr(C)]\` with the layouts of x86-64/arm64 Linux (size and offsets are asserted at compile time); ioctl request numbers use the generic \`_IOC\` encoding. Constants keep their C names.`, '', true));
  out.push('', '#![no_std]', '#![allow(non_upper_case_globals)]', '');
  for (const d of model.devices) out.push(`pub mod ${d.name};`);
  out.push(
    '',
    '// The hand-written device clients (std, default feature `client`); the generated',
    '// modules above stay no_std.',
    '#[cfg(feature = "client")]',
    'extern crate std;',
    '#[cfg(feature = "client")]',
    'pub mod client;',
  );
  out.push('', `/// The protocol version of the spec these modules were generated from.`, `pub const PROTOCOL_VERSION: u32 = ${model.version};`, '');
  return out.join('\n');
}
