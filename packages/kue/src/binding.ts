/**
 * The system calls KueReader needs: the part of @kchan/native's
 * `KchanBinding` (one binding interface for the three readers, serialport's
 * bindings-interface pattern) that it uses, so tests can inject a simulated
 * device. The default binding is @kchan/native itself.
 */
import * as native from '@kchan/native';
import type { KchanBinding } from '@kchan/native';

/** What KueReader uses of a `KchanBinding`. */
export type KueBinding = Pick<KchanBinding, 'open' | 'close' | 'read' | 'ioctl' | 'waitReadable'>;

/** @kchan/native as a KueBinding (it is one as it stands). */
export function bindingFromNative(n: typeof native): KueBinding {
  return n;
}

/**
 * The default binding: @kchan/native. Importing it does not load the addon;
 * the first system call does (and throws UnsupportedPlatformError where
 * there is no build).
 */
export function defaultBinding(): KueBinding {
  return native;
}
