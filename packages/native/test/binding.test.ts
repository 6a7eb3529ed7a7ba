// Loading the addon: what a user on a machine without a usable addon sees.
// The failures are made for real (a directory with no addon in it, a
// simulated platform), in a fresh copy of the loader module each time.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { GLIBC_FLOOR, UnsupportedPlatformError } from '../src/index.js';
import { unloadableReason } from '../src/binding.js';

type BindingModule = typeof import('../src/binding.js');

/** A fresh binding.ts (nothing loaded yet) with `env` set while it runs. */
async function freshBinding(env: Record<string, string>): Promise<BindingModule> {
  for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
  vi.resetModules();
  return (await import('../src/binding.js')) as BindingModule;
}

afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

/** The host's libc as getconf(1) says it, independently of the loader: "glibc 2.36" or "musl". */
const hostLibc = ((): string => {
  try {
    return execFileSync('getconf', ['GNU_LIBC_VERSION'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'musl';
  }
})();

describe('loading the addon', () => {
  it('an addon that cannot be loaded is UnsupportedPlatformError, with the loader’s error as cause, on first use and not at import', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'kchan-noaddon-'));
    try {
      const b = await freshBinding({ KCHAN_NATIVE_ADDON_DIR: empty });
      for (const use of [() => b.addon.open, () => 'open' in b.addon, () => b.loadAddon()]) {
        const err = caught(use) as UnsupportedPlatformError;
        expect(err).toBeInstanceOf(b.UnsupportedPlatformError);
        expect(err.code).toBe('ERR_KCHAN_UNSUPPORTED_PLATFORM');
        expect([err.platform, err.arch]).toEqual([process.platform, process.arch]);
        expect(err.cause).toBeInstanceOf(Error);
        // On a glibc host (every supported one) the reason is the loader's
        // error; on musl it is that the prebuilds need glibc.
        expect(err.libc).toBe(hostLibc);
        if (hostLibc.startsWith('glibc ')) {
          expect(err.message).toContain(`loading it failed (${(err.cause as Error).message})`);
        } else {
          expect(err.message).toContain('the prebuilds need glibc');
        }
        expect(err.message).toContain('npx kchan-build-native');
      }
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('KCHAN_NATIVE_SIMULATE_PLATFORM makes it behave as on that platform', async () => {
    const b = await freshBinding({ KCHAN_NATIVE_SIMULATE_PLATFORM: 'darwin-arm64' });
    const err = caught(() => b.loadAddon()) as UnsupportedPlatformError;
    expect(err).toMatchObject({ name: 'UnsupportedPlatformError', platform: 'darwin', arch: 'arm64', libc: 'none' });
    expect(err.message).toMatch(/^@kchan\/native: no usable native addon for darwin-arm64 \(libc: none\)/);
  });

  it('the addon loads once and is the same object for every use', async () => {
    const b = await freshBinding({});
    expect(b.loadAddon()).toBe(b.loadAddon());
    expect(typeof b.addon.open).toBe('function');
    expect('Poller' in b.addon).toBe(true);
  });
});

describe('unloadableReason', () => {
  const err = new Error('cannot open shared object');
  it('names the platform, the libc or the glibc version when they explain the failure', () => {
    expect(unloadableReason('linux', 'riscv64', 'glibc 2.36', err)).toBe('no prebuilt addon for it and none built from source');
    expect(unloadableReason('freebsd', 'x64', 'none', err)).toBe('no prebuilt addon for it and none built from source');
    expect(unloadableReason('linux', 'x64', 'musl', err)).toBe('the prebuilds need glibc');
    expect(unloadableReason('linux', 'arm64', 'glibc 2.27', err)).toBe(`glibc 2.27 is older than ${GLIBC_FLOOR}`);
    expect(unloadableReason('linux', 'x64', 'glibc 2.9', err)).toBe(`glibc 2.9 is older than ${GLIBC_FLOOR}`);
  });
  it('else passes the loader’s message on', () => {
    expect(unloadableReason('linux', 'x64', `glibc ${GLIBC_FLOOR}`, err)).toBe('loading it failed (cannot open shared object)');
    expect(unloadableReason('linux', 'arm64', 'glibc 2.28.1', 'text')).toBe('loading it failed (text)');
    expect(unloadableReason('linux', 'x64', 'glibc 2.100', err)).toBe('loading it failed (cannot open shared object)');
  });
  it('is what UnsupportedPlatformError says', () => {
    const e = new UnsupportedPlatformError('linux', 'x64', 'musl', unloadableReason('linux', 'x64', 'musl', err), { cause: err });
    expect(e.message).toContain('(libc: musl): the prebuilds need glibc.');
    expect(e.cause).toBe(err);
  });
});
