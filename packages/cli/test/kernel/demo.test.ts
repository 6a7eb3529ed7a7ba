// The main job end to end inside the VM: `kchan demo --in-vm --json` streams
// the events its generator makes the real kernel produce.
import { describe, expect, it } from 'vitest';

import { expectDemoEvents, run } from '../demo-events.js';

const inVm = process.env['KCHAN_VM'] === '1';

const SKIP_REASON = 'needs the kchan modules: run with `node vm/run.mjs test` (KCHAN_VM=1)';

describe.skipIf(!inVm)(`kchan CLI against the real module (${inVm ? 'VM' : SKIP_REASON})`, () => {
  it('info reports the module and all three devices', () => {
    const { status, lines } = run(['info', '--json']);
    expect(status).toBe(0);
    expect(lines[0]).toMatchObject({ kind: 'info', moduleLoaded: true });
    const devices = (lines[0]?.['devices'] ?? []) as Array<{ path: string; present: boolean }>;
    expect(devices.map((d) => [d.path, d.present])).toEqual([
      ['/dev/watch_queue', true],
      ['/dev/ummunotify', true],
      ['/dev/kue', true],
    ]);
  });

  it('demo streams the generated netdev, module, kapi, kue and ummunotify events in order', () => {
    const { status, lines, stderr } = run(['demo', '--in-vm', '--json']);
    expect(stderr).toBe('');
    expect(status, stderr).toBe(0);
    expectDemoEvents(lines, stderr);
  });
});
