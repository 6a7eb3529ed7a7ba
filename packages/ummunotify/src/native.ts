// The default binding: @kchan/native.
import * as native from '@kchan/native';
import type { UmmunotifyBinding } from './binding.js';

let cached: UmmunotifyBinding | null = null;

export function nativeBinding(): UmmunotifyBinding {
  cached ??= {
    open: (path, flags) => native.open(path, flags),
    close: (fd) => native.close(fd),
    ioctl: (fd, request, arg) => native.ioctl(fd, request, arg),
    read: (fd, buffer) => native.read(fd, buffer),
    mmapReadOnly: (fd, length, offset) => native.mmap(fd, length, native.PROT_READ, native.MAP_SHARED, offset ?? 0),
    addressOf: (view) => native.addressOf(view),
    waitReadable: async (fd, signal) => {
      await native.waitReadable(fd, signal ? { signal } : {});
    },
    pageSize: native.PAGE_SIZE,
  };
  return cached;
}
