import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';

import { Printer, describeNotification, main, sourceTypes } from '../src/index.js';
import { payloadText } from '../src/commands/kue.js';
import { WATCH_TYPE_KAPI, WATCH_TYPE_MODULE, WATCH_TYPE_NETDEV } from '@kchan/uapi';

function capture(): { out: PassThrough; text: () => string } {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  return { out, text: () => Buffer.concat(chunks).toString('utf8') };
}

describe('argument handling', () => {
  it('exits 2 on an unknown command, option or source', async () => {
    expect(await main(['frobnicate'])).toBe(2);
    expect(await main(['watch', '--bogus'])).toBe(2);
    expect(await main(['watch', 'disk'])).toBe(2);
    expect(await main(['watch', '--count', '0'])).toBe(2);
    expect(await main(['ummunotify'])).toBe(2);
  });

  it('prints help and version with status 0', async () => {
    expect(await main(['--help'])).toBe(0);
    expect(await main(['--version'], '1.2.3')).toBe(0);
  });

  it('maps watch sources to types', () => {
    expect(sourceTypes([]).sort()).toEqual([WATCH_TYPE_NETDEV, WATCH_TYPE_MODULE, WATCH_TYPE_KAPI].sort());
    expect(sourceTypes(['net'])).toEqual([WATCH_TYPE_NETDEV]);
    expect(sourceTypes(['module', 'module'])).toEqual([WATCH_TYPE_MODULE]);
  });

  it('reports a missing device as an error with its code, not a crash', async () => {
    // No kchan module on the host: opening /dev/watch_queue fails with ENOENT.
    const status = await main(['watch', '--count', '1'], '0');
    expect(status).toBe(1);
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
