// The few system calls the client needs, as an interface: the default
// implementation is @kchan/native; tests and other runtimes may inject
// their own (serialport's bindings-interface pattern).

import type { BindingMapping, KchanBinding } from '@kchan/native';

/** A mapping of device memory; `unmap()` detaches `buffer`. */
export type DeviceMapping = BindingMapping;

/**
 * What the client uses of a `KchanBinding`, @kchan/native's one
 * binding interface for the three readers.
 */
export type UmmunotifyBinding = Pick<KchanBinding, 'open' | 'close' | 'ioctl' | 'read' | 'mmap' | 'addressOf' | 'waitReadable' | 'pageSize'>;

/** Linux open(2) flags (x86-64 and arm64 values). */
export const O_RDONLY = 0;
export const O_NONBLOCK = 0o4000;
export const O_CLOEXEC = 0o2000000;

/** Linux mmap(2) values (all architectures). */
export const PROT_READ = 1;
export const MAP_SHARED = 1;
