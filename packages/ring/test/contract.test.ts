// The reader contract on the host: WatchQueue with a pipe that never
// becomes readable standing in for the device fd and an anonymous shared
// mapping for its ring (nothing posted, so iterators wait); everything else
// is the real @kchan/native.
import { vi } from 'vitest';
import { readerContract } from '../../native/test/shared/contract.js';

vi.mock('@kchan/native', async (importOriginal) => {
  const real = await importOriginal<typeof import('@kchan/native')>();
  const { RingWriter } = await import('../src/writer.js');
  return {
    ...real,
    open: (): number => real.pipe2(real.O_NONBLOCK | real.O_CLOEXEC)[0],
    ioctl: (): number => 0,
    mmap: (_fd: number, length: number) => {
      const m = real.mmapAnonymous(length, real.PROT_READ | real.PROT_WRITE, real.MAP_SHARED);
      new RingWriter(m.buffer);
      return m;
    },
  };
});

const { WatchQueue } = await import('../src/index.js');

readerContract('WatchQueue (stand-in device)', async () => {
  const wq = new WatchQueue({ pages: 1 });
  return {
    iterate: (options) => wq.notifications(options),
    close: () => wq.close(),
    [Symbol.dispose]: () => wq[Symbol.dispose](),
    [Symbol.asyncDispose]: () => wq[Symbol.asyncDispose](),
    useFd: () => wq.fileDescriptor,
  };
});
