// The kcsan kernel's run (`node vm/run.mjs test --kernel kcsan` picks this
// config): every kernel suite, plus the failslab suites, which need that
// kernel's fault injection (packages/native/test/shared/failslab.ts).
import { defineConfig, mergeConfig } from 'vitest/config';
import kernel from './vitest.kernel.config.mjs';

export default mergeConfig(
  kernel,
  defineConfig({
    test: {
      include: ['packages/*/test/failslab/**/*.test.ts'],
    },
  }),
);
