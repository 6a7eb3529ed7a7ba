// The main job end to end inside the VM: `kchan demo --in-vm --json` streams
// the events its generator makes the real kernel produce.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const inVm = process.env['KCHAN_VM'] === '1';
const bin = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));

type Line = Record<string, unknown> & { device: string; kind: string };

function run(args: string[]): { status: number | null; lines: Line[]; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000 });
  const lines = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Line);
  return { status: r.status, lines, stderr: r.stderr };
}

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
    // On a failure, the whole stream: which event was missing, extra or late.
    const context = `stderr: ${stderr}\nevents:\n${lines.map((l) => JSON.stringify(l)).join('\n')}`;
    expect(stderr, context).toBe('');
    expect(status, context).toBe(0);
    const wq = lines.filter((l) => l.device === 'watch_queue');
    const netdev = wq.filter((l) => l.kind === 'netdev' && String(l['name']).startsWith('kchan'));
    expect(netdev.map((l) => `${String(l['event'])} ${String(l['name'])}`), context).toEqual([
      'register kchan0',
      'up kchan0',
      'down kchan0',
      'change_name kchan1',
      'unregister kchan1',
    ]);
    const modules = wq.filter((l) => l.kind === 'module' && l['name'] === 'dummy').map((l) => l['event']);
    expect(modules, context).toEqual(['coming', 'live', 'going']);
    expect(wq.filter((l) => l.kind === 'kapi').map((l) => l['subtype']), context).toEqual([7, 7]);
    const kue = lines.filter((l) => l.device === 'kue' && l.kind === 'message');
    expect(kue.map((l) => Buffer.from(String(l['payload']), 'base64').toString()), context).toEqual(['m1', 'm2', 'm3', 'm4']);
    const inval = lines.filter((l) => l.device === 'ummunotify' && l.kind === 'inval');
    // munmap of page 2 hits cookies 1 and 2; DONTNEED of pages 10-11 hits 1 and 3; the final munmap all three.
    expect(inval.map((l) => l['cookie']), context).toEqual(['1', '2', '1', '3', '1', '2', '3']);
    const summary = lines.at(-1);
    expect(summary, context).toMatchObject({ kind: 'summary' });
  });
});
