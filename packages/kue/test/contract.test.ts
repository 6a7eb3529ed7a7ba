// The reader contract on the host: KueReader over the in-memory device
// (nothing queued, so iterators wait).
import { readerContract } from '../../native/test/shared/contract.js';
import { KueReader } from '../src/index.js';
import { MockKue } from './mock-binding.js';

readerContract('KueReader (mock binding)', async () => {
  const r = await KueReader.open({ binding: new MockKue() });
  return {
    iterate: (options) => r.messages(options),
    close: () => r.close(),
    [Symbol.dispose]: () => r[Symbol.dispose](),
    [Symbol.asyncDispose]: () => r[Symbol.asyncDispose](),
    useFd: () => r.info(),
  };
});
