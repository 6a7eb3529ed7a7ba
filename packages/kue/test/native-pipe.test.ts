// The default binding (@kchan/native) on the host: a pipe stands in for
// /dev/kue (opened through /proc/self/fd), fed with encoded records.
import { close, pipe2, write, O_CLOEXEC } from '@kchan/native';
import { describe, expect, it } from 'vitest';

import { KueReader } from '../src/index.js';
import { encodeRecord } from './mock-binding.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

describe('KueReader with @kchan/native on a pipe', () => {
  it('waits for records, decodes them and stops on abort', async () => {
    const [rfd, wfd] = pipe2(O_CLOEXEC);
    const r = KueReader.open({ path: `/proc/self/fd/${rfd}`, copy: true });
    close(rfd);
    try {
      expect(r.readBatch()).toEqual([]);
      const ac = new AbortController();
      const got: string[] = [];
      const done = (async () => {
        for await (const m of r.messages({ signal: ac.signal })) {
          got.push(text(m.payload));
          if (got.length === 2) ac.abort(new Error('done'));
        }
      })();
      setTimeout(() => write(wfd, encodeRecord({ seq: 1n, payload: bytes('m1') })), 20);
      setTimeout(() => write(wfd, encodeRecord({ seq: 2n, payload: bytes('m2') })), 40);
      await expect(done).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR', cause: { message: 'done' } });
      expect(got).toEqual(['m1', 'm2']);
      expect(r.info).toBeTypeOf('function');
      // A pipe has no KUE_IOC_INFO: the errno surfaces as a typed error
      // (ENOSYS under qemu-user, pnpm test:arm64, which does not forward
      // ioctl requests it does not know).
      const unknownIoctl = process.env.KCHAN_QEMU_USER === '1' ? 'ENOSYS' : 'ENOTTY';
      expect(() => r.info()).toThrow(expect.objectContaining({ name: 'KueError', code: unknownIoctl, syscall: 'ioctl' }));
    } finally {
      r.close();
      close(wfd);
    }
  });
});
