// The reader contract against the real /dev/kue in the VM.
import { describe } from 'vitest';
import { readerContract } from '../../../native/test/shared/contract.js';
import { KueReader } from '../../src/index.js';
import { kcmd } from './helpers.js';

const inVm = process.env.KCHAN_VM === '1';

describe.skipIf(!inVm)('/dev/kue (needs KCHAN_VM=1)', () => {
  readerContract('KueReader on /dev/kue', async () => {
    const r = KueReader.open();
    // Start empty: what earlier tests left queued for this fd is read first.
    while (r.readBatch().length > 0);
    return {
      iterate: (options) => r.messages(options),
      reader: r,
      useFd: () => r.info(),
      ready: { make: () => kcmd('kue send 1 8'), wait: (options) => r.nextBatch(options) },
    };
  }, KueReader);
});
