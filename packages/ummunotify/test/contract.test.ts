// The reader contract on the host: Ummunotify over an injected binding whose
// device never has an event; like @kchan/native, closing an fd settles the
// waits pending on it with EBADF.
import { readerContract } from '../../native/test/shared/contract.js';
import { Ummunotify, type UmmunotifyBinding } from '../src/index.js';

function errno(code: string, n: number, syscall: string): Error {
  return Object.assign(new Error(`${code}: fake, ${syscall}`), { code, errno: -n, syscall });
}

function quietDevice(): UmmunotifyBinding {
  const waits = new Set<(e: Error) => void>();
  return {
    open: () => 7,
    close: () => {
      for (const reject of waits) reject(errno('EBADF', 9, 'poll'));
      waits.clear();
    },
    ioctl: () => 0,
    read: () => {
      throw errno('EAGAIN', 11, 'read');
    },
    mmap: () => ({ buffer: new ArrayBuffer(4096), unmap: () => {} }),
    addressOf: () => 0x1000n,
    waitReadable: (_fd, { signal } = {}) =>
      new Promise<number>((_resolve, reject) => {
        const onAbort = (): void => {
          waits.delete(reject);
          reject(Object.assign(new Error('The operation was aborted'), { name: 'AbortError', code: 'ABORT_ERR', cause: signal?.reason }));
        };
        if (signal?.aborted) return onAbort();
        signal?.addEventListener('abort', onAbort, { once: true });
        waits.add(reject);
      }),
    pageSize: 4096,
  };
}

readerContract('Ummunotify (injected binding)', async () => {
  const u = Ummunotify.open({ binding: quietDevice() });
  return {
    iterate: (options) => u.events(options),
    reader: u,
    useFd: () => u.drain(),
  };
}, Ummunotify);
