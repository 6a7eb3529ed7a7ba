// Kernel floor smoke test: the three kchan devices exist, open, and answer an
// unknown ioctl with ENOTTY. Runs only inside the VM (KCHAN_VM=1), where a
// skip counts as a failure; outside it skips with the reason.
import { describe, expect, it } from 'vitest';

import { O_CLOEXEC, O_NONBLOCK, O_RDWR, _IO, close, ioctl, isErrnoError, open } from '../../src/index.js';

const inVm = process.env.KCHAN_VM !== undefined && process.env.KCHAN_VM !== '';
const devices = ['/dev/watch_queue', '/dev/ummunotify', '/dev/kue'];

describe.skipIf(!inVm)('kchan devices (VM only: KCHAN_VM is unset, skipping)', () => {
  for (const path of devices) {
    it(`${path} opens and returns ENOTTY for an unknown ioctl`, () => {
      const fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
      try {
        let err: unknown;
        try {
          ioctl(fd, _IO('Z', 0x99));
        } catch (e) {
          err = e;
        }
        expect(isErrnoError(err, 'ENOTTY')).toBe(true);
        expect((err as { syscall?: string }).syscall).toBe('ioctl');
        expect((err as { errno?: number }).errno).toBe(-25);
      } finally {
        close(fd);
      }
    });
  }
});
