// What `kchan demo --json` must stream: the events its generator makes the
// real kernel produce, in order. Shared by the kernel test (the demo run in
// the VM) and the quick-start test (the demo run from the host, which boots
// the VM itself).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

export const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

export type Line = Record<string, unknown> & { device: string; kind: string };

/** Runs the built `kchan` with `args`; its JSON lines, exit status and stderr. */
export function run(args: string[], timeout = 120_000): { status: number | null; lines: Line[]; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout });
  const lines = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Line);
  return { status: r.status, lines, stdout: r.stdout, stderr: r.stderr };
}

/** Asserts the demo's whole event stream; on a failure it shows all of it. */
export function expectDemoEvents(lines: Line[], stderr: string): void {
  // On a failure, the whole stream: which event was missing, extra or late.
  const context = `stderr: ${stderr}\nevents:\n${lines.map((l) => JSON.stringify(l)).join('\n')}`;
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
}
