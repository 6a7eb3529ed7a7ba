// A simulated /dev/watch_queue for host tests, injected as WatchQueue's
// binding (no module mocks): the fd is a pipe's read end (never readable,
// or always readable with `readable`), IOC_* calls succeed, and mmap maps
// anonymous shared memory that a RingWriter initialises and fills as the
// kernel would (or maps `file`, for a producer in another process).
// Everything else (waitReadable, close, unmap) is the real @kchan/native.
import * as real from '@kchan/native';
import type { KchanBinding } from '@kchan/native';

import { RingWriter } from '../src/writer.js';

export interface SimDevice {
  binding: KchanBinding;
  /** The RingWriter over the last ring mapped (not with `file`). */
  writer(): RingWriter;
}

export function simDevice(options: { readable?: boolean; file?: string } = {}): SimDevice {
  let writer: RingWriter | undefined;
  const binding: KchanBinding = {
    ...real,
    pageSize: real.pageSize,
    open: () => {
      const [r, w] = real.pipe2(real.O_NONBLOCK | real.O_CLOEXEC);
      if (options.readable) real.write(w, new Uint8Array(1)); // readable for good
      return r;
    },
    ioctl: () => 0,
    mmap: (_fd, length) => {
      if (options.file !== undefined) {
        const fd = real.open(options.file, real.O_RDWR);
        try {
          return real.mmap(fd, length, real.PROT_READ | real.PROT_WRITE, real.MAP_SHARED, 0);
        } finally {
          real.close(fd);
        }
      }
      const m = real.mmapAnonymous(length, real.PROT_READ | real.PROT_WRITE, real.MAP_SHARED);
      writer = new RingWriter(m.buffer);
      return m;
    },
  };
  return {
    binding,
    writer: () => {
      if (!writer) throw new Error('simDevice: no ring mapped yet');
      return writer;
    },
  };
}
