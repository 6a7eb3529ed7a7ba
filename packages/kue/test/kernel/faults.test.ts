// Injected system-call failures against the real /dev/kue in the VM
// (packages/native/test/shared/faults.ts).
import { describe, expect } from 'vitest';
import type { KchanBinding } from '@kchan/native';
import { faultContract } from '../../../native/test/shared/faults.js';
import { KueReader } from '../../src/index.js';

const inVm = process.env.KCHAN_VM === '1';

describe.skipIf(!inVm)('/dev/kue (needs KCHAN_VM=1)', () => {
  const open = (binding: KchanBinding): KueReader => {
    const r = KueReader.open({ binding });
    // Start empty: what earlier tests left queued for this fd is read first.
    while (r.readBatch().length > 0);
    return r;
  };
  faultContract<KueReader>('KueReader', '/dev/kue', [
    { name: 'the read of readBatch()', call: 'read', code: 'EIO', open, use: (r) => r.readBatch(), again: (r) => expect(r.readBatch()).toEqual([]), close: (r) => r.close() },
    { name: 'the read of consume()', call: 'read', code: 'EFAULT', open, use: (r) => r.consume(() => {}), again: (r) => expect(r.consume(() => {})).toBe(0), close: (r) => r.close() },
    { name: 'the KUE_IOC_INFO ioctl of info()', call: 'ioctl', code: 'EIO', open, use: (r) => r.info(), again: (r) => r.info(), close: (r) => r.close() },
    {
      name: 'the poll of nextBatch()',
      call: 'waitReadable',
      code: 'EIO',
      open,
      use: (r) => r.nextBatch(),
      again: async (r) => {
        await expect(r.nextBatch({ signal: AbortSignal.timeout(200) })).rejects.toMatchObject({ name: 'AbortError' });
      },
      close: (r) => r.close(),
    },
  ]);
});
