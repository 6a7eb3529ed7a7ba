// The reader contract on the host: WatchQueue over a simulated device
// injected as its binding (test/sim-binding.ts: a pipe that never becomes
// readable for the fd, an anonymous shared mapping for the ring; nothing
// posted, so iterators wait); everything else is the real @kchan/native.
import { readerContract } from '../../native/test/shared/contract.js';
import { WatchQueue } from '../src/index.js';
import { simDevice } from './sim-binding.js';

readerContract('WatchQueue (simulated device)', async () => {
  const wq = WatchQueue.open({ pages: 1, binding: simDevice().binding });
  return {
    iterate: (options) => wq.notifications(options),
    reader: wq,
    useFd: () => wq.fileDescriptor,
  };
}, WatchQueue);
