/**
 * The few system calls KueReader needs, behind an interface so tests can
 * inject a mock (serialport's bindings-interface pattern). The default
 * binding is @kchan/native.
 */
import { KueError, toKueError } from './errors.js';

export interface KueBinding {
  /** open(2) with O_RDONLY | O_NONBLOCK | O_CLOEXEC; returns the fd. */
  openNonBlocking(path: string): number;
  close(fd: number): void;
  /** read(2) into the whole of `buffer`; throws an errno-coded error (EAGAIN, EFBIG, ...). */
  read(fd: number, buffer: Uint8Array): number;
  /** ioctl(2) with a buffer argument the kernel reads or writes. */
  ioctl(fd: number, request: number, arg: Uint8Array): number;
  /** Resolves when fd is readable (or in error); rejects with signal.reason on abort. */
  waitReadable(fd: number, signal: AbortSignal): Promise<void>;
}

// Linux x86-64/arm64 open(2) flags.
const O_RDONLY = 0;
const O_NONBLOCK = 0o4000;
const O_CLOEXEC = 0o2000000;
const POLLIN = 0x1;

export interface KueNativePoller {
  start(events?: number): void;
  close(): void;
}

/** The subset of @kchan/native's exports this package uses. */
export interface KueNativeModule {
  open(path: string, flags: number): number;
  close(fd: number): void;
  read(fd: number, buffer: Uint8Array): number;
  ioctl(fd: number, request: number, arg: Uint8Array): number;
  Poller: new (fd: number, callback: (err: Error | null, revents: number) => void) => KueNativePoller;
}

function isNativeModule(m: unknown): m is KueNativeModule {
  if (typeof m !== 'object' || m === null) return false;
  const o = m as Record<string, unknown>;
  return ['open', 'close', 'read', 'ioctl', 'Poller'].every((k) => typeof o[k] === 'function');
}

/** A KueBinding over a loaded @kchan/native module. */
export function bindingFromNative(native: KueNativeModule): KueBinding {
  return {
    openNonBlocking: (path) => native.open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC),
    close: (fd) => native.close(fd),
    read: (fd, buffer) => native.read(fd, buffer),
    ioctl: (fd, request, arg) => native.ioctl(fd, request, arg),
    waitReadable: (fd, signal) =>
      new Promise<void>((resolve, reject) => {
        if (signal.aborted) {
          reject(signal.reason);
          return;
        }
        let done = false;
        const finish = (): void => {
          done = true;
          signal.removeEventListener('abort', onAbort);
          poller.close();
        };
        const onAbort = (): void => {
          if (done) return;
          finish();
          reject(signal.reason);
        };
        // uv_poll is level-triggered: if fd became readable between the
        // caller's EAGAIN and start(), the callback fires at once.
        const poller = new native.Poller(fd, (err) => {
          if (done) return;
          finish();
          if (err) reject(toKueError(err, 'poll'));
          else resolve();
        });
        signal.addEventListener('abort', onAbort, { once: true });
        try {
          poller.start(POLLIN);
        } catch (err) {
          finish();
          reject(toKueError(err, 'poll'));
        }
      }),
  };
}

let nativeBinding: Promise<KueBinding> | undefined;

/** The default binding, loading @kchan/native on first use. */
export function defaultBinding(): Promise<KueBinding> {
  nativeBinding ??= (async () => {
    // A computed specifier keeps this package's types independent of the
    // addon's; the shape is checked at run time instead.
    const specifier = '@kchan/native';
    const mod: unknown = await import(specifier);
    const native = isNativeModule(mod) ? mod : (mod as { default?: unknown }).default;
    if (!isNativeModule(native)) {
      throw new KueError('ERR_KUE_BINDING', '@kchan/native does not export open/close/read/ioctl/Poller');
    }
    return bindingFromNative(native);
  })().catch((err: unknown) => {
    nativeBinding = undefined;
    throw err;
  });
  return nativeBinding;
}
