/**
 * The system calls KueReader needs: the part of @kchan/native's
 * `KchanBinding` (one binding interface for the three readers, serialport's
 * bindings-interface pattern) that it uses, so tests can inject a simulated
 * device. The default binding is @kchan/native itself, loaded on first use.
 */
import type * as Native from '@kchan/native';
import type { KchanBinding } from '@kchan/native';

/** What KueReader uses of a `KchanBinding`. */
export type KueBinding = Pick<KchanBinding, 'open' | 'close' | 'read' | 'ioctl' | 'waitReadable'>;

/** @kchan/native as a KueBinding (it is one as it stands). */
export function bindingFromNative(native: typeof Native): KueBinding {
  return native;
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
