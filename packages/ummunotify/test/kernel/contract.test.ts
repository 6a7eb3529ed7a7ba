// The reader contract against the real /dev/ummunotify in the VM.
import { describe } from 'vitest';
import { readerContract } from '../../../native/test/shared/contract.js';
import * as native from '@kchan/native';
import { Ummunotify } from '../../src/index.js';

const inVm = process.env.KCHAN_VM === '1';

describe.skipIf(!inVm)('/dev/ummunotify (needs KCHAN_VM=1)', () => {
  readerContract('Ummunotify on /dev/ummunotify', async () => {
    const u = Ummunotify.open();
    const page = native.mmapAnonymous(native.PAGE_SIZE, native.PROT_READ | native.PROT_WRITE);
    u.register(page.address, BigInt(native.PAGE_SIZE), 1n);
    return {
      iterate: (options) => u.events(options),
      reader: u,
      useFd: () => u.drain(),
      ready: {
        make: () => page.madvise(0, native.PAGE_SIZE, native.MADV_DONTNEED),
        wait: (options) => u.events(options).next(),
      },
    };
  }, Ummunotify);
});
