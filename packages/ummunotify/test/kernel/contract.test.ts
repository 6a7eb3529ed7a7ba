// The reader contract against the real /dev/ummunotify in the VM.
import { describe } from 'vitest';
import { readerContract } from '../../../native/test/shared/contract.js';
import { Ummunotify } from '../../src/index.js';

const inVm = process.env.KCHAN_VM === '1';

describe.skipIf(!inVm)('/dev/ummunotify (needs KCHAN_VM=1)', () => {
  readerContract('Ummunotify on /dev/ummunotify', async () => {
    const u = Ummunotify.open();
    return {
      iterate: (options) => u.events(options),
      reader: u,
      useFd: () => u.drain(),
    };
  }, Ummunotify);
});
