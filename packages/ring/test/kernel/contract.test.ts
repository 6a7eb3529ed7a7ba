// The reader contract against the real /dev/watch_queue in the VM.
import { describe } from 'vitest';
import { readerContract } from '../../../native/test/shared/contract.js';
import { WATCH_TYPE_KAPI } from '@kchan/uapi';
import { WatchQueue } from '../../src/index.js';
import { kcmd } from './helpers.js';

const inVm = process.env.KCHAN_VM === '1';

describe.skipIf(!inVm)('/dev/watch_queue (needs KCHAN_VM=1)', () => {
  readerContract('WatchQueue on /dev/watch_queue', async () => {
    const wq = WatchQueue.open({ pages: 1 });
    wq.addWatch(WATCH_TYPE_KAPI, 3);
    return {
      iterate: (options) => wq.notifications(options),
      reader: wq,
      useFd: () => wq.fileDescriptor,
      ready: { make: () => kcmd('wq post 3 0 2'), wait: (options) => wq.wait(options) },
    };
  }, WatchQueue);
});
