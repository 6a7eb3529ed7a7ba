// Injected system-call failures against the real /dev/ummunotify in the VM
// (packages/native/test/shared/faults.ts).
import { describe, expect } from 'vitest';
import { faultContract } from '../../../native/test/shared/faults.js';
import { Ummunotify } from '../../src/index.js';

const inVm = process.env.KCHAN_VM === '1';

describe.skipIf(!inVm)('/dev/ummunotify (needs KCHAN_VM=1)', () => {
  const region = new Uint8Array(4096 * 2);
  let cookie = 1n;
  faultContract<Ummunotify>('Ummunotify', '/dev/ummunotify', [
    { name: 'the generation mmap in open()', call: 'mmap', code: 'ENOMEM', open: (binding) => Ummunotify.open({ binding }), close: (u) => u.close() },
    {
      name: 'the REGISTER ioctl of register()',
      call: 'ioctl',
      code: 'ENOMEM',
      open: (binding) => Ummunotify.open({ binding }),
      use: (u) => u.register(region, cookie++),
      again: (u) => u.register(region, cookie++),
      close: (u) => u.close(),
    },
    {
      name: 'the read of drain()',
      call: 'read',
      code: 'EIO',
      open: (binding) => Ummunotify.open({ binding }),
      use: (u) => u.drain(),
      again: (u) => expect(u.drain().events).toEqual([]),
      close: (u) => u.close(),
    },
    {
      name: 'the poll of events()',
      call: 'waitReadable',
      code: 'EIO',
      open: (binding) => Ummunotify.open({ binding }),
      use: (u) => u.events().next(),
      again: async (u) => {
        await expect(u.events({ signal: AbortSignal.timeout(200) }).next()).rejects.toMatchObject({ name: 'AbortError' });
      },
      close: (u) => u.close(),
    },
  ]);
});
