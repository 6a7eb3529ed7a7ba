// Python ctypes modules (mode py) for packages/uapi/python/kchan_uapi/.

import { SCALARS, hex, pascal, upper } from './model.mjs';
import { SPDX, marker, oneLine, wrapText } from './common.mjs';

const CTYPE = {
  u8: 'ctypes.c_uint8', u16: 'ctypes.c_uint16', u32: 'ctypes.c_uint32', u64: 'ctypes.c_uint64',
  s8: 'ctypes.c_int8', s16: 'ctypes.c_int16', s32: 'ctypes.c_int32', s64: 'ctypes.c_int64',
};

function docstring(text, indent) {
  const lines = wrapText(text, 88 - indent.length);
  if (lines.length === 1) return [`${indent}"""${lines[0]}"""`];
  return [`${indent}"""${lines[0]}`, ...lines.slice(1).map((l) => (l ? `${indent}${l}` : '')), `${indent}"""`];
}

function comment(text, indent = '') {
  return wrapText(text, 88 - indent.length - 2).map((l) => (l ? `${indent}# ${l}` : `${indent}#`));
}

export function pyModule(model, dev) {
  const out = [marker('#', model.file, 'py'), `# SPDX-License-Identifier: ${SPDX}`];
  out.push(...docstring(`kchan ${dev.name} (${dev.path}), protocol version ${model.version}.\n\n${dev.doc}${dev.contract ? `\n\nContract:\n\n${dev.contract}` : ''}`, ''));
  out.push('', 'import ctypes', 'import enum', '', `${upper(dev.name)}_DEVICE_PATH = "${dev.path}"`, '');
  const names = [`${upper(dev.name)}_DEVICE_PATH`];

  for (const c of dev.constants) {
    out.push(...comment(oneLine(c.doc)), `${c.cName} = ${c.value}`);
    names.push(c.cName);
  }
  if (dev.constants.length) out.push('');

  for (const e of dev.enums) {
    out.push('', `class ${pascal(e.name)}(enum.IntEnum):`, ...docstring(`enum ${e.name}: ${oneLine(e.doc)}`, '    '), '');
    for (const v of e.values) out.push(...comment(oneLine(v.doc), '    '), `    ${upper(v.name)} = ${v.value}`);
    out.push('', '');
    for (const v of e.values) {
      out.push(`${v.cName} = ${v.value}`);
      names.push(v.cName);
    }
    names.push(pascal(e.name));
  }

  for (const b of dev.bitsets) {
    out.push('', ...comment(`Bitset ${b.name} (${b.type}): ${oneLine(b.doc)}`));
    for (const f of b.fields) {
      out.push(...comment(oneLine(f.doc)), `${f.cName} = ${hex(f.mask)}`, `${f.cName}__SHIFT = ${f.shift}`);
      names.push(f.cName, `${f.cName}__SHIFT`);
    }
  }

  for (const s of dev.structs) {
    const P = pascal(s.name);
    names.push(P);
    out.push('', '', `class ${P}(ctypes.Structure):`);
    const fieldDocs = s.fields.flatMap((f) => (f.bitfields ? f.bitfields.map((b) => `${b.name}: ${oneLine(b.doc)} (bits ${b.shift}..${b.shift + b.width - 1})`) : [`${f.name}: ${oneLine(f.doc)}`]));
    out.push(...docstring(`struct ${s.name}: ${oneLine(s.doc)}\n\nSize ${s.size}${s.flexible ? ' plus the flexible array' : ''}, alignment ${s.align}.\n\n${fieldDocs.map((d) => `- ${d}`).join('\n')}`, '    '));
    out.push('', '    _fields_ = [');
    for (const f of s.fields) {
      if (f.bitfields) {
        for (const b of f.bitfields) out.push(`        ("${b.name}", ${CTYPE[f.type]}, ${b.width}),`);
        continue;
      }
      let t = f.scalar ? (f.string ? 'ctypes.c_char' : CTYPE[f.scalar]) : pascal(f.struct);
      if (f.count !== null) t = `${t} * ${f.count}`;
      out.push(`        ("${f.name}", ${t}),`);
    }
    out.push('    ]');
    out.push('', '', `assert ctypes.sizeof(${P}) == ${s.size}`);
    for (const f of s.fields) {
      for (const b of f.bitfields ?? []) {
        out.push(`${b.cName}__MASK = ${hex(b.mask)}`, `${b.cName}__SHIFT = ${b.shift}`);
        names.push(`${b.cName}__MASK`, `${b.cName}__SHIFT`);
      }
    }
  }

  if (dev.ioctls.length) out.push('', '', `# ioctls of ${dev.path}`);
  for (const io of dev.ioctls) {
    out.push(...comment(`_IOC(${io.dir}, '${io.typeChar}', ${hex(io.nr)}, ${io.size}): ${oneLine(io.doc)}`), `${io.cName} = ${hex(io.request)}`);
    names.push(io.cName);
  }
  out.push('', '__all__ = [', ...names.map((n) => `    "${n}",`), ']', '');
  return out.join('\n');
}

export function pyInit(model) {
  const out = [marker('#', model.file, 'py'), `# SPDX-License-Identifier: ${SPDX}`];
  out.push(...docstring(`kchan protocol ${model.version} for Python (ctypes): ${oneLine(model.doc)}\n\nLayouts are those of x86-64/arm64 Linux; ioctl numbers use the generic _IOC encoding.`, ''), '');
  for (const d of model.devices) out.push(`from . import ${d.name}`);
  for (const d of model.devices) out.push(`from .${d.name} import *  # noqa: F401,F403`);
  out.push('', `PROTOCOL_VERSION = ${model.version}`, '');
  return out.join('\n');
}

/** pyproject.toml of the installable kchan-uapi package (python/). */
export function pyProject(model) {
  return [
    marker('#', model.file, 'py'),
    `# SPDX-License-Identifier: ${SPDX}`,
    '[build-system]',
    '# Debian 12 has setuptools 66; build offline with --no-build-isolation.',
    'requires = ["setuptools>=61", "wheel"]',
    'build-backend = "setuptools.build_meta"',
    '',
    '[project]',
    'name = "kchan-uapi"',
    `description = "kchan protocol ${model.version} (ctypes layouts, constants, ioctl numbers) and stdlib-only clients for /dev/watch_queue, /dev/kue and /dev/ummunotify"`,
    '# The version is @kchan/uapi\'s (setup.py reads ../package.json, or PKG-INFO in an sdist).',
    'dynamic = ["version"]',
    'requires-python = ">=3.8"',
    'license = { text = "(GPL-2.0-only WITH Linux-syscall-note) OR MIT" }',
    'dependencies = []',
    'classifiers = ["Operating System :: POSIX :: Linux", "Programming Language :: Python :: 3"]',
    '',
    '[tool.setuptools]',
    'packages = ["kchan_uapi"]',
    '',
  ].join('\n');
}

/** setup.py: the version and the _order helper (a plain shared object loaded with ctypes). */
export function pySetup(model) {
  return [
    marker('#', model.file, 'py'),
    `# SPDX-License-Identifier: ${SPDX}`,
    '"""Build the kchan-uapi wheel: metadata is in pyproject.toml; this adds the version and',
    'the _order helper (acquire/release loads and stores, called through ctypes by',
    'kchan_uapi.client; it does not include Python.h and is never imported)."""',
    '',
    'import json',
    'import os',
    'import re',
    '',
    'from setuptools import Extension, setup',
    '',
    'HERE = os.path.dirname(os.path.abspath(__file__))',
    '',
    '',
    'def version():',
    '    package_json = os.path.join(HERE, "..", "package.json")',
    '    if os.path.exists(package_json):',
    '        with open(package_json, encoding="utf-8") as f:',
    '            return json.load(f)["version"]',
    '    with open(os.path.join(HERE, "PKG-INFO"), encoding="utf-8") as f:',
    '        return re.search(r"^Version: (\\S+)$", f.read(), re.M).group(1)',
    '',
    '',
    'setup(',
    '    version=version(),',
    '    ext_modules=[Extension("kchan_uapi._order", ["kchan_uapi/_order.c"], extra_compile_args=["-O2"])],',
    ')',
    '',
  ].join('\n');
}
