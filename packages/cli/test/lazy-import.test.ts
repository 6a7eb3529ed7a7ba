// Importing any package never loads the addon: with the addon made
// unloadable (KCHAN_NATIVE_SIMULATE_PLATFORM, as on macOS/arm64 without a
// prebuild) every entry point imports from ESM and CommonJS, the pure-TS
// parts work, and each device use throws one @kchan/native error naming the
// platform, the supported ones and how to build from source.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const fixture = (ext: string): string => fileURLToPath(new URL(`./fixtures/import-all.${ext}`, import.meta.url));

describe.each(['mjs', 'cjs'])('import-all.%s with the addon unloadable', (ext) => {
  it('imports every package, runs the pure-TS parts, and device use throws ERR_KCHAN_UNSUPPORTED_PLATFORM', () => {
    const out = execFileSync(process.execPath, [fixture(ext)], {
      encoding: 'utf8',
      env: { ...process.env, KCHAN_NATIVE_SIMULATE_PLATFORM: 'darwin-arm64' },
    });
    const r = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as {
      modules: number[];
      entries: number;
      seq: string;
      pageSize: number;
      ioc: number;
      errors: { code: string; message: string }[];
    };
    expect(r.modules.every((n) => n > 0)).toBe(true);
    expect(r.entries).toBe(1);
    expect(r.seq).toBe('9');
    expect(r.pageSize).toBeGreaterThanOrEqual(4096);
    expect(r.ioc).toBe(0x80085701);
    expect(r.errors).toHaveLength(4);
    for (const e of r.errors) {
      expect(e.code).toBe('ERR_KCHAN_UNSUPPORTED_PLATFORM');
      expect(e.message).toContain('darwin-arm64');
      expect(e.message).toContain('linux-x64, linux-arm64');
      expect(e.message).toContain('glibc >= 2.28');
      expect(e.message).toContain('npx kchan-build-native');
    }
  });
});
