// The reader contract on the host: KueReader over the in-memory device
// (nothing queued, so iterators wait).
import { readerContract } from '../../native/test/shared/contract.js';
import { KueReader } from '../src/index.js';
import { MockKue } from './mock-binding.js';

readerContract('KueReader (mock binding)', async () => {
  const r = KueReader.open({ binding: new MockKue() });
  return {
    iterate: (options) => r.messages(options),
    reader: r,
    useFd: () => r.info(),
  };
}, KueReader);
