// Every output of the generator, as repo-relative path -> file content.

import { cHeader } from './c.mjs';
import { tsModule } from './ts.mjs';
import { pyInit, pyModule, pyProject, pySetup } from './py.mjs';
import { rustLib, rustModule } from './rust.mjs';
import { docDevice, docIndex } from './docs.mjs';
import { proofC, proofPy, proofRust } from './proof.mjs';

export const OUTPUT_DIRS = [
  'kernel/include/uapi/kchan',
  'packages/uapi/include/kchan',
  'packages/uapi/src/generated',
  'packages/uapi/python',
  'packages/uapi/rust/src',
  'docs/protocol',
  'packages/uapi/test/proof',
];

export function generate(model) {
  const files = new Map();
  for (const dev of model.devices) {
    const h = cHeader(model, dev);
    files.set(`kernel/include/uapi/kchan/${dev.cHeader}`, h);
    files.set(`packages/uapi/include/kchan/${dev.cHeader}`, h);
    files.set(`packages/uapi/src/generated/${dev.name}.ts`, tsModule(model, dev));
    files.set(`packages/uapi/python/kchan_uapi/${dev.name}.py`, pyModule(model, dev));
    files.set(`packages/uapi/rust/src/${dev.name}.rs`, rustModule(model, dev));
    files.set(`docs/protocol/${dev.name}.md`, docDevice(model, dev));
  }
  files.set('packages/uapi/python/kchan_uapi/__init__.py', pyInit(model));
  files.set('packages/uapi/python/pyproject.toml', pyProject(model));
  files.set('packages/uapi/python/setup.py', pySetup(model));
  files.set('packages/uapi/rust/src/lib.rs', rustLib(model));
  files.set('docs/protocol/index.md', docIndex(model));
  files.set('packages/uapi/test/proof/proof.c', proofC(model));
  files.set('packages/uapi/test/proof/proof.py', proofPy(model));
  files.set('packages/uapi/test/proof/proof.rs', proofRust(model));
  return files;
}
