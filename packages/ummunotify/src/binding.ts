// The few system calls the client needs, as an interface: the default
// implementation is @kchan/native; tests and other runtimes may inject
// their own (serialport's bindings-interface pattern).

/** A mapping of device memory; `unmap()` detaches `buffer`. */
export interface DeviceMapping {
  readonly buffer: ArrayBuffer;
  unmap(): void;
}

export interface UmmunotifyBinding {
  /** open(2); returns the fd. Linux flag values. */
  open(path: string, flags: number): number;
  close(fd: number): void;
  /** ioctl(2) with `arg` pointing at the view's bytes; returns ioctl's result. */
  ioctl(fd: number, request: number, arg: Uint8Array): number;
  /** read(2) into the view; returns the byte count. Errors (EAGAIN too) throw. */
  read(fd: number, buffer: Uint8Array): number;
  /** mmap(NULL, length, PROT_READ, MAP_SHARED, fd, offset ?? 0). */
  mmapReadOnly(fd: number, length: number, offset?: number): DeviceMapping;
  /** The address of the view's first byte. */
  addressOf(view: ArrayBufferView): bigint;
  /** Resolves when fd is readable (or in error); rejects with an AbortError on abort. */
  waitReadable(fd: number, signal?: AbortSignal): Promise<void>;
  /** The system page size. */
  readonly pageSize: number;
}

/** Linux open(2) flags (x86-64 and arm64 values). */
export const O_RDONLY = 0;
export const O_NONBLOCK = 0o4000;
export const O_CLOEXEC = 0o2000000;
