// Every output of the generator, as repo-relative path -> file content.

import { cHeader } from './c.mjs';
import { tsModule } from './ts.mjs';

export const OUTPUT_DIRS = [
  'kernel/include/uapi/kchan',
  'packages/uapi/include/kchan',
  'packages/uapi/src/generated',
];

export function generate(model) {
  const files = new Map();
  for (const dev of model.devices) {
    const h = cHeader(model, dev);
    files.set(`kernel/include/uapi/kchan/${dev.cHeader}`, h);
    files.set(`packages/uapi/include/kchan/${dev.cHeader}`, h);
    files.set(`packages/uapi/src/generated/${dev.name}.ts`, tsModule(model, dev));
  }
  return files;
}
