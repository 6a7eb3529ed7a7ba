// Kernel tests: run only inside the VM by `node vm/run.mjs test` (see
// vm/README.md), against the real devices of kchan.ko. Outside the VM the
// tests skip themselves (KCHAN_VM unset); inside, the harness counts a skip as
// a failure. The harness adds the JSON reporter and its output file.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/test/kernel/**/*.test.ts', 'vm/test/**/*.test.ts'],
    pool: 'forks',
    // Kernel tests share global state (devices, module load/unload, netdevs):
    // one file at a time.
    fileParallelism: false,
    reporters: ['verbose'],
    // TCG is slow: an emulated guest runs 10-50x slower than the host.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
