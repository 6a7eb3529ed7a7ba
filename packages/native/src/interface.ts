// The binding interface: the system calls kchan's readers need, as types
// only (serialport's @serialport/bindings-interface pattern).

/** A mapping as a binding returns it: the pages as an ArrayBuffer, and unmap(). */
export interface BindingMapping {
  readonly buffer: ArrayBuffer;
  /** munmap; detaches `buffer`. A second call is a no-op. */
  unmap(): void;
}

/**
 * What `WatchQueue`, `KueReader` and `Ummunotify` need of the system, one
 * interface for the three (pass it as `{ binding }` when opening a reader).
 * `@kchan/native` implements it: `import * as native from '@kchan/native'`
 * is a `KchanBinding`, and the default. Tests inject a simulated device;
 * another runtime may inject its own system calls. Every call throws (or
 * rejects with) an errno-coded error on failure, as `@kchan/native` does,
 * and takes Linux flag values (`O_*`, `PROT_*`, `MAP_*` of `@kchan/native`).
 */
export interface KchanBinding {
  /** open(2); returns the fd. */
  open(path: string, flags: number): number;
  /** close(2); also settles every waitReadable() pending on the fd (EBADF). */
  close(fd: number): void;
  /** read(2) into the view; returns the byte count. EAGAIN throws. */
  read(fd: number, buffer: Uint8Array): number;
  /** ioctl(2) with an integer argument, a pointer to the view's bytes, or NULL (null). */
  ioctl(fd: number, request: number, arg?: number | ArrayBufferView | null): number;
  /** mmap(NULL, length, prot, flags, fd, offset). */
  mmap(fd: number, length: number, prot: number, flags: number, offset: number): BindingMapping;
  /** The address of the view's first byte. */
  addressOf(view: ArrayBufferView): bigint;
  /**
   * Resolves with the poll revents once fd is readable, in error or hung
   * up; rejects with an AbortError (reason as `cause`) when `signal` aborts.
   */
  waitReadable(fd: number, options?: { signal?: AbortSignal }): Promise<number>;
  /** The system page size. */
  readonly pageSize: number;
}
