// The README's quick start, as a user runs it: `kchan demo` on a host whose
// kernel has no kchan module boots the bundled VM (vm/run.mjs, Debian's
// kernel in QEMU) and streams the live events from inside it. Needs what
// `node vm/run.mjs` needs (scripts/setup.sh); run by `pnpm test:kernel`
// after the kernel suites (`pnpm --filter kchan test:host-vm`), not by the
// unit tests.
import { describe, expect, it } from 'vitest';

import { kchanStatus } from '../../src/commands/info.js';
import { expectDemoEvents, run } from '../demo-events.js';

const hostHasModule = kchanStatus().devices.every((d) => d.present);

// On a host that has the kchan devices, demo runs there instead of in the
// VM (the in-VM suite covers that path): nothing here to test.
describe.skipIf(hostHasModule)('kchan demo from the host (the quick start)', () => {
  it('kchan demo --json boots the default kernel (6.12) and streams every generated event', () => {
    const { status, lines, stderr } = run(['demo', '--json'], 600_000);
    expect(status, stderr).toBe(0);
    expect(stderr).toMatch(/vm: booting 6\.12\./);
    expectDemoEvents(lines, stderr);
  });

  it('kchan demo --kernel 6.1, for people: says what it does, then the events and a summary', () => {
    const { status, stdout, stderr } = run(['demo', '--kernel', '6.1'], 600_000);
    expect(status, stderr).toBe(0);
    expect(stdout).toMatch(/^kchan: this kernel \(.+\) has no kchan module; booting Debian's 6\.1 kernel with kchan\.ko in QEMU…$/m);
    expect(stderr).toMatch(/vm: booting 6\.1\.0-/);
    expect(stdout).toContain('» add network device kchan0');
    expect(stdout).toMatch(/kchan0/);
    expect(stdout).toMatch(/^-- kue\/message=4 ummunotify\/inval=7 watch_queue\/kapi=2 watch_queue\/module=3 watch_queue\/netdev=5$/m);
  });
});
