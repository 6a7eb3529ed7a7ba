// Layout-proof programs (modes proof-c, proof-py, proof-rust) for
// packages/uapi/test/proof/. Each prints the same lines, sorted by the test:
//
//   size <struct> <bytes>            align <struct> <bytes>
//   offset <struct>.<field> <bytes>  fsize <struct>.<field> <bytes>   (not for bit fields)
//   bits <struct>.<bitfield> <container offset> 0x<container word> rest <nonzero bytes elsewhere>
//   const <C name> <decimal value>   (constants, enum values, masks, shifts, ioctl numbers)
//
// `bits` stores all-ones in one bit field of a zeroed struct and reads the
// containing word back from the struct's bytes: it proves where the C
// compiler (or ctypes, or the Rust accessors) puts the bits.

import { pascal } from './model.mjs';
import { SPDX, marker } from './common.mjs';
import { rustIdent } from './rust.mjs';

/** Every C name with a numeric value, in spec order. */
export function cNames(dev) {
  const names = [];
  for (const c of dev.constants) names.push(c.cName);
  for (const e of dev.enums) for (const v of e.values) names.push(v.cName);
  for (const b of dev.bitsets) for (const f of b.fields) names.push(f.cName, `${f.cName}__SHIFT`);
  for (const s of dev.structs) for (const f of s.fields) for (const b of f.bitfields ?? []) names.push(`${b.cName}__MASK`, `${b.cName}__SHIFT`);
  for (const io of dev.ioctls) names.push(io.cName);
  return names;
}

export function proofC(model) {
  const out = [`/* SPDX-License-Identifier: ${SPDX} */`, marker('c', model.file, 'proof-c')];
  out.push('/* Layout proof: prints what the C compiler makes of the generated headers. */');
  out.push('#include <stddef.h>', '#include <stdio.h>', '#include <string.h>');
  for (const d of model.devices) out.push(`#include <kchan/${d.cHeader}>`);
  out.push('');
  out.push('#define SIZE(s) do { \\');
  out.push('\tprintf("size %s %zu\\n", #s, sizeof(struct s)); \\');
  out.push('\tprintf("align %s %zu\\n", #s, _Alignof(struct s)); \\');
  out.push('} while (0)');
  out.push('#define FIELD(s, f) do { \\');
  out.push('\tprintf("offset %s.%s %zu\\n", #s, #f, offsetof(struct s, f)); \\');
  out.push('\tprintf("fsize %s.%s %zu\\n", #s, #f, sizeof(((struct s *)0)->f)); \\');
  out.push('} while (0)');
  out.push('#define FLEX(s, f) printf("offset %s.%s %zu\\n", #s, #f, offsetof(struct s, f))');
  out.push('#define CONST(n) printf("const %s %llu\\n", #n, (unsigned long long)(n))');
  out.push('/* Store all-ones in bit field f of a zeroed struct s; print the container word. */');
  out.push('#define BITS(s, f, off, width) do { \\');
  out.push('\tstruct s v; \\');
  out.push('\tunsigned char b[sizeof(v)]; \\');
  out.push('\tmemset(&v, 0, sizeof(v)); \\');
  out.push('\tv.f = ones; \\');
  out.push('\tmemcpy(b, &v, sizeof(v)); \\');
  out.push('\tbits(#s "." #f, b, sizeof(v), off, width); \\');
  out.push('} while (0)');
  out.push('');
  out.push('static volatile unsigned long long ones = ~0ULL;');
  out.push('');
  out.push('static void bits(const char *name, const unsigned char *b, size_t size, size_t off, size_t width)');
  out.push('{');
  out.push('\tunsigned long long word = 0;');
  out.push('\tsize_t i, rest = 0;');
  out.push('');
  out.push('\tfor (i = 0; i < width; i++)');
  out.push('\t\tword |= (unsigned long long)b[off + i] << (8 * i);');
  out.push('\tfor (i = 0; i < size; i++)');
  out.push('\t\tif ((i < off || i >= off + width) && b[i])');
  out.push('\t\t\trest++;');
  out.push('\tprintf("bits %s %zu 0x%llx rest %zu\\n", name, off, word, rest);');
  out.push('}');
  out.push('');
  out.push('int main(void)', '{');
  for (const d of model.devices) {
    out.push(`\t/* ${d.name} */`);
    for (const s of d.structs) {
      out.push(`\tSIZE(${s.name});`);
      for (const f of s.fields) {
        if (f.bitfields) for (const b of f.bitfields) out.push(`\tBITS(${s.name}, ${b.name}, ${f.offset}, ${f.elemSize});`);
        else if (f.flexible) out.push(`\tFLEX(${s.name}, ${f.name});`);
        else out.push(`\tFIELD(${s.name}, ${f.name});`);
      }
    }
    for (const n of cNames(d)) out.push(`\tCONST(${n});`);
  }
  out.push('\treturn 0;', '}', '');
  return out.join('\n');
}

export function proofPy(model) {
  const out = [marker('#', model.file, 'proof-py'), `# SPDX-License-Identifier: ${SPDX}`];
  out.push('"""Layout proof: prints what ctypes makes of the generated kchan_uapi modules."""', '');
  out.push('import ctypes', '', 'import kchan_uapi');
  for (const d of model.devices) out.push(`from kchan_uapi import ${d.name}`);
  out.push('', '', 'def struct(name, cls):');
  out.push('    print(f"size {name} {ctypes.sizeof(cls)}")');
  out.push('    print(f"align {name} {ctypes.alignment(cls)}")');
  out.push('', '', 'def field(name, cls, attr, flexible=False):');
  out.push('    desc = getattr(cls, attr)');
  out.push('    print(f"offset {name}.{attr} {desc.offset}")');
  out.push('    if not flexible:');
  out.push('        print(f"fsize {name}.{attr} {desc.size}")');
  out.push('', '', 'def bits(name, cls, attr, off, width):');
  out.push('    v = cls()');
  out.push('    setattr(v, attr, (1 << 64) - 1)');
  out.push('    b = bytes(v)');
  out.push('    word = int.from_bytes(b[off:off + width], "little")');
  out.push('    rest = sum(1 for i, x in enumerate(b) if (i < off or i >= off + width) and x)');
  out.push('    print(f"bits {name}.{attr} {off} {word:#x} rest {rest}")');
  out.push('', '', 'def const(mod, name):');
  out.push('    print(f"const {name} {int(getattr(mod, name))}")');
  out.push('', '', 'def main():');
  for (const d of model.devices) {
    for (const s of d.structs) {
      const cls = `${d.name}.${pascal(s.name)}`;
      out.push(`    struct("${s.name}", ${cls})`);
      for (const f of s.fields) {
        if (f.bitfields) for (const b of f.bitfields) out.push(`    bits("${s.name}", ${cls}, "${b.name}", ${f.offset}, ${f.elemSize})`);
        else out.push(`    field("${s.name}", ${cls}, "${f.name}"${f.flexible ? ', flexible=True' : ''})`);
      }
    }
    for (const n of cNames(d)) out.push(`    const(${d.name}, "${n}")`);
  }
  out.push('    # The package re-exports every module.', `    assert kchan_uapi.PROTOCOL_VERSION == ${model.version}`);
  out.push('', '', 'if __name__ == "__main__":', '    main()', '');
  return out.join('\n');
}

export function proofRust(model) {
  const out = [marker('//', model.file, 'proof-rust'), `// SPDX-License-Identifier: ${SPDX}`];
  out.push('//! Layout proof: prints what rustc makes of the kchan-uapi crate.', '');
  out.push('use core::mem::{align_of, offset_of, size_of, size_of_val};', '');
  out.push('fn bits(name: &str, bytes: &[u8], off: usize, width: usize) {');
  out.push('    let mut word: u64 = 0;');
  out.push('    for i in 0..width {');
  out.push('        word |= u64::from(bytes[off + i]) << (8 * i);');
  out.push('    }');
  out.push('    let rest = bytes.iter().enumerate().filter(|&(i, &b)| (i < off || i >= off + width) && b != 0).count();');
  out.push('    println!("bits {name} {off} {word:#x} rest {rest}");');
  out.push('}', '');
  out.push('fn as_bytes<T: Copy>(v: &T) -> &[u8] {');
  out.push('    // SAFETY: T is a #[repr(C)] struct of integers without padding; reading its bytes is sound.');
  out.push('    unsafe { core::slice::from_raw_parts((v as *const T).cast::<u8>(), size_of::<T>()) }');
  out.push('}', '');
  out.push('fn main() {');
  for (const d of model.devices) {
    out.push(`    {`, `        use kchan_uapi::${d.name}::*;`);
    for (const s of d.structs) {
      const P = pascal(s.name);
      out.push(`        println!("size ${s.name} {}", size_of::<${P}>());`, `        println!("align ${s.name} {}", align_of::<${P}>());`);
      for (const f of s.fields) {
        const id = rustIdent(f.name);
        if (f.bitfields) {
          for (const b of f.bitfields) {
            out.push(`        {`, `            let mut v = ${P}::ZERO;`, `            v.set_${b.name}(!0);`, `            bits("${s.name}.${b.name}", as_bytes(&v), ${f.offset}, ${f.elemSize});`, `        }`);
          }
          continue;
        }
        out.push(`        println!("offset ${s.name}.${f.name} {}", offset_of!(${P}, ${id}));`);
        if (!f.flexible) out.push(`        println!("fsize ${s.name}.${f.name} {}", size_of_val(&${P}::ZERO.${id}));`);
      }
    }
    for (const n of cNames(d)) out.push(`        println!("const ${n} {}", ${n} as u64);`);
    out.push('    }');
  }
  out.push(`    assert_eq!(kchan_uapi::PROTOCOL_VERSION, ${model.version});`);
  out.push('}', '');
  return out.join('\n');
}


