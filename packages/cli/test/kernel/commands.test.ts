// `kchan watch`, `kchan kue` and `kchan ummunotify --demo` against the real
// module, each as a user runs it: the built binary, events injected by
// kchan_test while it runs, stopped by --count or --timeout.
import { spawn } from 'node:child_process';
import { readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';

import { bin, type Line } from '../demo-events.js';

const inVm = process.env['KCHAN_VM'] === '1';
const SKIP_REASON = 'needs the kchan modules: run with `node vm/run.mjs test` (KCHAN_VM=1)';

interface Running {
  pid: number;
  /** Resolves with the exit status, stdout's JSON lines and stderr. */
  done: Promise<{ status: number | null; lines: Line[]; stderr: string }>;
}

function start(args: string[]): Running {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ status: number | null; lines: Line[]; stderr: string }>((resolve) => {
    child.on('close', (status) => {
      const lines = stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Line);
      resolve({ status, lines, stderr });
    });
  });
  return { pid: child.pid!, done };
}

/** Waits until process `pid` holds `path` open. */
async function holds(pid: number, path: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    try {
      if (readdirSync(`/proc/${pid}/fd`).some((fd) => readlinkSync(`/proc/${pid}/fd/${fd}`) === path)) return;
    } catch {
      // the fd went away while we looked
    }
    await sleep(50);
  }
  throw new Error(`process ${pid} never opened ${path}`);
}

const inject = (command: string): void => writeFileSync('/dev/kchan_test', command);

describe.skipIf(!inVm)(`kchan commands against the real module (${inVm ? 'VM' : SKIP_REASON})`, () => {
  it('kchan kue --count 4 prints each message a kernel module sends once, in order, then the summary', async () => {
    const run = start(['kue', '--json', '--count', '4']);
    // A kue fd reads the messages sent after its open.
    await holds(run.pid, '/dev/kue');
    inject('kue m1m4');
    const { status, lines, stderr } = await run.done;
    expect(status, stderr).toBe(0);
    const messages = lines.filter((l) => l.kind === 'message');
    expect(messages.map((l) => Buffer.from(String(l['payload']), 'base64').toString())).toEqual(['m1', 'm2', 'm3', 'm4']);
    expect(lines.at(-1)).toMatchObject({ kind: 'summary', counts: { 'kue/message': 4 } });
  });

  it('kchan watch kapi --count 2 prints the notifications kchan_watch_queue_post() sends', async () => {
    const run = start(['watch', 'kapi', '--json', '--count', '2', '--timeout', '120']);
    await holds(run.pid, '/dev/watch_queue');
    // The watch is added just after the open: post until two have been read.
    let exited = false;
    void run.done.then(() => (exited = true));
    for (let i = 0; i < 100 && !exited; i++) {
      inject('wq post 3 7 4 2');
      await sleep(200);
    }
    const { status, lines, stderr } = await run.done;
    expect(status, stderr).toBe(0);
    const kapi = lines.filter((l) => l.device === 'watch_queue' && l.kind === 'kapi');
    expect(kapi).toHaveLength(2);
    expect(kapi.map((l) => l['subtype'])).toEqual([7, 7]);
    expect(lines.at(-1)).toMatchObject({ kind: 'summary', counts: { 'watch_queue/kapi': 2 } });
  });

  it('kchan kue --timeout 1 with nothing sent ends after a second with an empty summary, exit 0', async () => {
    const { status, lines, stderr } = await start(['kue', '--json', '--timeout', '1']).done;
    expect(status, stderr).toBe(0);
    expect(lines).toEqual([expect.objectContaining({ kind: 'summary', counts: {} })]);
  });

  it('kchan ummunotify --demo prints the invalidations of its own unmaps, with the generation', async () => {
    const { status, lines, stderr } = await start(['ummunotify', '--demo', '--json']).done;
    expect(status, stderr).toBe(0);
    const inval = lines.filter((l) => l.kind === 'inval');
    // munmap of page 2 hits cookies 1 and 2; DONTNEED of pages 10-11 hits 1 and 3; the final munmap all three.
    expect(inval.map((l) => l['cookie'])).toEqual(['1', '2', '1', '3', '1', '2', '3']);
    const generations = inval.map((l) => BigInt(String(l['generation'])));
    expect(generations.every((g, i) => i === 0 || g >= generations[i - 1]!)).toBe(true);
    expect(lines.at(-1)).toMatchObject({ kind: 'summary', counts: { 'ummunotify/inval': 7 } });
  });
});
