/**
 * The few system calls KueReader needs, behind an interface so tests can
 * inject a mock (serialport's bindings-interface pattern). The default
 * binding is @kchan/native, loaded on first use.
 */
import type * as Native from '@kchan/native';

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

/** A KueBinding over @kchan/native. */
export function bindingFromNative(native: typeof Native): KueBinding {
  return {
    openNonBlocking: (path) => native.open(path, native.O_RDONLY | native.O_NONBLOCK | native.O_CLOEXEC),
    close: (fd) => native.close(fd),
    read: (fd, buffer) => native.read(fd, buffer),
    ioctl: (fd, request, arg) => native.ioctl(fd, request, arg),
    // uv_poll is level-triggered: if the fd became readable between the
    // caller's EAGAIN and the watcher's start, it fires at once.
    waitReadable: async (fd, signal) => {
      try {
        await native.waitReadable(fd, { signal });
      } catch (err) {
        if (signal.aborted) throw signal.reason;
        throw err;
      }
    },
  };
}

let nativeBinding: Promise<KueBinding> | undefined;

/** The default binding: @kchan/native, imported on first use. */
export function defaultBinding(): Promise<KueBinding> {
  nativeBinding ??= import('@kchan/native').then(
    (native) => bindingFromNative(native),
    (err: unknown) => {
      nativeBinding = undefined;
      throw err;
    },
  );
  return nativeBinding;
}
