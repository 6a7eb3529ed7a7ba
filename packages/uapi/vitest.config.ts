import { defineConfig } from 'vitest/config';

// Tests that spawn processes (gcc, node, the generator) share two cores
// with the rest of `turbo run test` and the addon build: the default 5 s
// per test is not enough there. Tests assert results, never timings.
export default defineConfig({
  test: {
    testTimeout: 60_000,
  },
});
