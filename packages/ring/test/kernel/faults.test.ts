// Injected system-call failures against the real /dev/watch_queue in the VM
// (packages/native/test/shared/faults.ts).
import { describe, expect } from 'vitest';
import { faultContract } from '../../../native/test/shared/faults.js';
import { WATCH_TYPE_KAPI } from '@kchan/uapi';
import { WatchQueue } from '../../src/index.js';

const inVm = process.env.KCHAN_VM === '1';

describe.skipIf(!inVm)('/dev/watch_queue (needs KCHAN_VM=1)', () => {
  faultContract<WatchQueue>('WatchQueue', '/dev/watch_queue', [
    { name: 'the SET_SIZE ioctl in open()', call: 'ioctl', code: 'ENOMEM', open: (binding) => WatchQueue.open({ binding, pages: 1 }), close: (wq) => wq.close() },
    { name: 'the ring mmap in open()', call: 'mmap', code: 'ENOMEM', open: (binding) => WatchQueue.open({ binding, pages: 1 }), close: (wq) => wq.close() },
    {
      name: 'the ADD_WATCH ioctl of addWatch()',
      call: 'ioctl',
      code: 'EIO',
      open: (binding) => WatchQueue.open({ binding, pages: 1 }),
      use: (wq) => wq.addWatch(WATCH_TYPE_KAPI, 1),
      again: (wq) => wq.addWatch(WATCH_TYPE_KAPI, 1),
      close: (wq) => wq.close(),
    },
    {
      name: 'the poll of wait()',
      call: 'waitReadable',
      code: 'EIO',
      open: (binding) => WatchQueue.open({ binding, pages: 1 }),
      use: (wq) => wq.wait(),
      // Waiting works again: nothing is posted, so it waits until the abort.
      again: async (wq) => {
        await expect(wq.wait({ signal: AbortSignal.timeout(200) })).rejects.toMatchObject({ name: 'AbortError' });
      },
      close: (wq) => wq.close(),
    },
  ]);
});
