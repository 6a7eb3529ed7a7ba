// Loads the compiled addon (build/Release when built from source or in a
// checkout, prebuilds/linux-{x64,arm64} in a published package) on first
// use, never at import, and describes its raw shape. Both the ESM and the
// CJS build live in dist/, and the sources in src/: either way the package
// root is one directory up from this module.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

import { KchanError, type ErrnoError } from './errors.js';

/** @internal The native MappingHandle (see mmap.cc). */
export interface NativeMappingHandle {
  readonly buffer: ArrayBuffer;
  readonly length: number;
  readonly address: bigint;
  readonly unmapped: boolean;
  readonly external: boolean;
  unmap(): void;
  unmapRange(offset: number, length: number): NativeMappingHandle[];
  madvise(offset: number, length: number, advice: number): void;
  mprotect(offset: number, length: number, prot: number): void;
  remap(newLength: number, mayMove?: boolean): NativeMappingHandle;
}

/** @internal The native Poller (see poller.cc). */
export interface NativePoller {
  readonly fd: number;
  readonly active: boolean;
  readonly closed: boolean;
  start(events?: number): void;
  stop(): void;
  close(): void;
  ref(): NativePoller;
  unref(): NativePoller;
  hasRef(): boolean;
}

/** @internal */
export interface NativeConstants {
  readonly [name: string]: number;
}

/** @internal The raw addon exports. */
export interface NativeAddon {
  open(path: string, flags: number, mode?: number): number;
  close(fd: number): void;
  read(fd: number, buffer: ArrayBufferView | ArrayBuffer): number;
  write(fd: number, buffer: ArrayBufferView | ArrayBuffer): number;
  ioctl(fd: number, request: number, arg?: number | bigint | ArrayBufferView | ArrayBuffer | null): number;
  pipe2(flags?: number): [number, number];
  memfdCreate(name: string, flags?: number): number;
  mmap(fd: number, length: number, prot: number, flags: number, offset: number | bigint): NativeMappingHandle;
  mmapAnonymous(length: number, prot: number, flags?: number): NativeMappingHandle;
  addressOf(view: ArrayBufferView | ArrayBuffer): bigint;
  MappingHandle: abstract new () => NativeMappingHandle;
  Poller: new (fd: number, callback: (this: NativePoller, err: ErrnoError | null, revents: number) => void) => NativePoller;
  constants: NativeConstants;
  _setForceNoExternal(on: boolean): void;
  _setErrorClass(ctor: typeof KchanError): void;

}

/** Absolute path of the package root (holds package.json, build/, prebuilds/). */
export const packageRoot: string = fileURLToPath(new URL('..', import.meta.url));

const require = createRequire(import.meta.url);

/** Where prebuilds exist (package.json `os`/`cpu`), and the glibc they need. */
export const SUPPORTED_PLATFORMS: readonly string[] = ['linux-x64', 'linux-arm64'];
/** The glibc floor of the prebuilds (Node 20's own; docs/dependencies.md). */
export const GLIBC_FLOOR = '2.28';

/**
 * The error every device call throws when the addon cannot be loaded here:
 * `code` `'ERR_KCHAN_UNSUPPORTED_PLATFORM'`, the message naming the platform,
 * arch and libc found, the supported ones, and how to build from source.
 */
export class UnsupportedPlatformError extends Error {
  readonly code = 'ERR_KCHAN_UNSUPPORTED_PLATFORM';
  readonly platform: string;
  readonly arch: string;
  /** 'glibc 2.36', 'musl', or 'none' (not Linux). */
  readonly libc: string;
  constructor(platform: string, arch: string, libc: string, reason: string, options?: { cause?: unknown }) {
    super(
      `@kchan/native: no usable native addon for ${platform}-${arch} (libc: ${libc}): ${reason}. ` +
        `Prebuilt addons exist for ${SUPPORTED_PLATFORMS.join(', ')} with glibc >= ${GLIBC_FLOOR} and Node >= 20.10. ` +
        'Elsewhere on Linux, build it from source: `npx kchan-build-native` (needs a C++17 compiler, make and python3). ' +
        'The pure-TypeScript parts of kchan work without it.',
      options,
    );
    this.name = 'UnsupportedPlatformError';
    this.platform = platform;
    this.arch = arch;
    this.libc = libc;
  }
}

function detectLibc(platform: string): string {
  if (platform !== 'linux') return 'none';
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return header?.glibcVersionRuntime ? `glibc ${header.glibcVersionRuntime}` : 'musl';
}

function versionBelow(v: string, floor: string): boolean {
  const a = v.split('.').map(Number);
  const b = floor.split('.').map(Number);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) < (b[i] ?? 0);
  }
  return false;
}

let loaded: NativeAddon | undefined;

/**
 * @internal Loads the addon on first use. Test hooks:
 * `KCHAN_NATIVE_SIMULATE_PLATFORM` (e.g. `darwin-arm64`) makes it behave as
 * on that platform; `KCHAN_NATIVE_ADDON_DIR` loads from another package
 * directory (pnpm test:arm64 points it at the unpacked release tarball).
 */
export function loadAddon(): NativeAddon {
  if (loaded) return loaded;
  const simulated = process.env.KCHAN_NATIVE_SIMULATE_PLATFORM;
  const [platform, arch] = simulated ? [simulated.split('-')[0] ?? '', simulated.split('-').slice(1).join('-')] : [process.platform, process.arch];
  const libc = simulated ? (platform === 'linux' ? 'simulated' : 'none') : detectLibc(platform);
  if (simulated) throw new UnsupportedPlatformError(platform, arch, libc, 'KCHAN_NATIVE_SIMULATE_PLATFORM is set');
  try {
    const addon = (require('node-gyp-build') as (dir: string) => unknown)(process.env.KCHAN_NATIVE_ADDON_DIR || packageRoot) as NativeAddon;
    // System-call errors are KchanErrors (docs/readers.md, "Errors").
    addon._setErrorClass(KchanError);
    loaded = addon;
  } catch (err) {
    throw new UnsupportedPlatformError(platform, arch, libc, unloadableReason(platform, arch, libc, err), { cause: err });
  }
  return loaded;
}

/**
 * @internal Why loading the addon failed with `err`, for the message of
 * {@link UnsupportedPlatformError}: the platform or libc when they explain
 * it, else the loader's own message. `libc` as in the error: 'glibc 2.36',
 * 'musl' or 'none'.
 */
export function unloadableReason(platform: string, arch: string, libc: string, err: unknown): string {
  const glibc = /^glibc (.*)$/.exec(libc)?.[1];
  if (!SUPPORTED_PLATFORMS.includes(`${platform}-${arch}`)) return 'no prebuilt addon for it and none built from source';
  if (glibc === undefined) return 'the prebuilds need glibc';
  if (versionBelow(glibc, GLIBC_FLOOR)) return `glibc ${glibc} is older than ${GLIBC_FLOOR}`;
  return `loading it failed (${err instanceof Error ? err.message : String(err)})`;
}

/**
 * @internal The addon, loaded on first property access (importing the
 * package never loads it).
 */
export const addon: NativeAddon = new Proxy({} as NativeAddon, {
  get(_target, prop) {
    return Reflect.get(loadAddon(), prop);
  },
  has(_target, prop) {
    return Reflect.has(loadAddon(), prop);
  },
});
