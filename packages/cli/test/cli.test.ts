import { spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { Printer, describeNotification, main, sourceTypes } from '../src/index.js';
import { payloadText } from '../src/commands/kue.js';
import { kchanStatus } from '../src/commands/info.js';
import { WATCH_TYPE_KAPI, WATCH_TYPE_MODULE, WATCH_TYPE_NETDEV } from '@kchan/uapi';

function capture(): { out: PassThrough; text: () => string } {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  return { out, text: () => Buffer.concat(chunks).toString('utf8') };
}

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

/** Runs main() with stderr captured. */
async function mainErr(argv: string[]): Promise<{ status: number; stderr: string }> {
  let stderr = '';
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  try {
    return { status: await main(argv), stderr };
  } finally {
    spy.mockRestore();
  }
}

describe('argument handling', () => {
  afterEach(() => vi.restoreAllMocks());

  it('exits 2 on an unknown command, option or source', async () => {
    expect(await main(['frobnicate'])).toBe(2);
    expect(await main(['watch', '--bogus'])).toBe(2);
    expect(await main(['watch', 'disk'])).toBe(2);
    expect(await main(['watch', '--count', '0'])).toBe(2);
    expect(await main(['ummunotify'])).toBe(2);
  });

  it('says what is wrong in one line, exit 2, for bad values and stray arguments', async () => {
    const cases: Array<[string[], string]> = [
      [['watch', '--count', '1e3'], "--count takes a positive integer, not '1e3'"],
      [['watch', '--count', '0x10'], "--count takes a positive integer, not '0x10'"],
      [['watch', '--timeout', ' 5'], "--timeout takes a positive integer, not ' 5'"],
      [['watch', '--pages', '3'], "--pages takes a power of two from 1 to 256, not '3'"],
      [['watch', '--pages', '512'], "--pages takes a power of two from 1 to 256, not '512'"],
      [['demo', '--kernel', '5.10'], "--kernel takes 6.1 or 6.12, not '5.10'"],
      [['kue', 'extra'], "'kue' takes no arguments, got 'extra'"],
      [['info', 'a', 'b'], "'info' takes no arguments, got 'a b'"],
      [['watch', '--bogus'], "Unknown option '--bogus'"],
    ];
    for (const [argv, message] of cases) {
      const { status, stderr } = await mainErr(argv);
      expect(status, argv.join(' ')).toBe(2);
      expect(stderr, argv.join(' ')).toContain(message);
      expect(stderr.trim().split('\n'), argv.join(' ')).toHaveLength(1);
    }
  });

  it('prints the usage to stderr, exit 2, without a command', async () => {
    const { status, stderr } = await mainErr([]);
    expect(status).toBe(2);
    expect(stderr).toContain('Usage: kchan <command>');
  });

  it('exits quietly when the reader of its output goes away (EPIPE)', async () => {
    for (const args of [['info'], ['--help']]) {
      const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.destroy();
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect(stderr, args.join(' ')).toBe('');
      expect(status, args.join(' ')).toBe(0);
    }
  });

  // Runs the demo's readers on this host: only where the devices are absent,
  // so that they fail at once and the generator (modprobe, ip link) never runs.
  it.skipIf(kchanStatus().devices.some((d) => d.present))(
    'reports a device that fails to open in the demo as one error, not a crash',
    async () => {
      const { status, stderr } = await mainErr(['demo', '--in-vm']);
      expect(status).toBe(1);
      expect(stderr).toMatch(/^kchan: ENOENT: no such file or directory, open '\/dev\/(watch_queue|kue|ummunotify)'\n/);
    },
  );

  it('prints help and version with status 0', async () => {
    expect(await main(['--help'])).toBe(0);
    expect(await main(['--version'], '1.2.3')).toBe(0);
  });

  it('maps watch sources to types', () => {
    expect(sourceTypes([]).sort()).toEqual([WATCH_TYPE_NETDEV, WATCH_TYPE_MODULE, WATCH_TYPE_KAPI].sort());
    expect(sourceTypes(['net'])).toEqual([WATCH_TYPE_NETDEV]);
    expect(sourceTypes(['module', 'module'])).toEqual([WATCH_TYPE_MODULE]);
  });

  it.skipIf(kchanStatus().devices.some((d) => d.present))('reports a missing device by path and code, not a crash', async () => {
    // No kchan module on the host: opening /dev/watch_queue fails with ENOENT.
    const { status, stderr } = await mainErr(['watch', '--count', '1']);
    expect(status).toBe(1);
    expect(stderr).toContain("kchan: ENOENT: no such file or directory, open '/dev/watch_queue'\n");
  });
});

describe('output', () => {
  it('writes one JSON object per line with bigints as strings', () => {
    const { out, text } = capture();
    const p = new Printer({ json: true, out });
    p.event({ device: 'kue', kind: 'message', seq: 12345678901234567890n }, 'ignored');
    p.summary();
    const lines = text().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ device: 'kue', kind: 'message', seq: '12345678901234567890' });
    expect(lines[1]).toMatchObject({ kind: 'summary', counts: { 'kue/message': 1 } });
  });

  it('writes plain lines without colour when not a terminal', () => {
    const { out, text } = capture();
    const p = new Printer({ json: false, out });
    p.warn({ device: 'watch_queue', kind: 'loss', lost: 3 }, 'overrun: 3 notification(s) lost');
    expect(text()).toMatch(/watch_queue +overrun: 3 notification\(s\) lost\n$/);
    expect(text()).not.toContain('\u001b[');
  });

  it('describes each kind of notification', () => {
    const base = { type: 1, subtype: 2, info: 0, id: 1, overrun: false };
    const up = describeNotification({ ...base, kind: 'netdev', event: 'up', ifindex: 2, flags: 0x83, name: 'kchan0' });
    expect(up.record).toMatchObject({ device: 'watch_queue', kind: 'netdev', event: 'up', name: 'kchan0', ifindex: 2 });
    expect(up.human).toContain('kchan0');
    const loss = describeNotification({ ...base, type: 0, kind: 'loss', lost: 7, overrun: true });
    expect(loss.warn).toBe(true);
    expect(loss.record).toMatchObject({ kind: 'loss', lost: 7 });
  });

  it('shows text payloads as text and binary ones as hex', () => {
    expect(payloadText(new TextEncoder().encode('m1'))).toBe('"m1"');
    expect(payloadText(new Uint8Array([0xff, 0x00, 0x01]))).toBe('ff0001');
  });
});
