import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/fair.ts', 'src/errors.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  // import.meta.url in the CJS build (src/binding.ts locates the package root with it).
  shims: true,
  // Shared chunks in CJS as in ESM: one KchanError class behind both
  // `@kchan/native` and `@kchan/native/errors`, so instanceof holds.
  splitting: true,
});
