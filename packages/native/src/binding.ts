// Loads the compiled addon (build/Release in a checkout, prebuilds/linux-x64
// in a published package) and describes its raw shape. Both the ESM and the
// CJS build live in dist/, and the sources in src/: either way the package
// root is one directory up from this module.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

import type { KchanError } from './errors.js';

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
  Poller: new (fd: number, callback: (this: NativePoller, err: KchanError | null, revents: number) => void) => NativePoller;
  constants: NativeConstants;
  _setForceNoExternal(on: boolean): void;

}

/** Absolute path of the package root (holds package.json, build/, prebuilds/). */
export const packageRoot: string = fileURLToPath(new URL('..', import.meta.url));

const require = createRequire(import.meta.url);
const load = require('node-gyp-build') as (dir: string) => unknown;

/** @internal The loaded addon. */
export const addon: NativeAddon = load(packageRoot) as NativeAddon;
