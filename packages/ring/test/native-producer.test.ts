// The JS reader over an mmap'ed *external* ArrayBuffer (as the device ring
// is) while a C producer process writes the kernel's protocol into the same
// pages: every entry arrives, in order, never torn. This is the ring-level
// proof that Atomics on the non-shared buffer order and re-read memory
// under V8's optimising compiler (ARCHITECTURE: "Memory order from JS").
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as native from '@kchan/native';
import { RingReader, RingWriter } from '../src/index.js';
import { buildRingbench, checkPattern } from './helpers.js';

const RING_BYTES = 64 * 1024;
let dir = '';
let bin = '';

beforeAll(() => {
  ({ dir, bin } = buildRingbench('kchan-ring-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('RingReader vs a C producer process on a shared mapping', () => {
  for (const [slots, count] of [
    [1, 3_000_000],
    [8, 1_000_000],
    [63, 100_000],
  ] as const) {
    it(`${count} entries of ${slots} slots arrive in order, intact`, async () => {
      const file = join(dir, `ring-${slots}`);
      const init = new ArrayBuffer(RING_BYTES);
      new RingWriter(init);
      writeFileSync(file, new Uint8Array(init));
      const fd = native.open(file, native.O_RDWR);
      const mapping = native.mmap(fd, RING_BYTES, native.PROT_READ | native.PROT_WRITE, native.MAP_SHARED, 0);
      native.close(fd);
      try {
        const reader = new RingReader(mapping.buffer);
        const producer = spawn(bin, ['produce', file, String(count), String(slots), 'stream'], { stdio: 'inherit' });
        const exited = new Promise<number | null>((resolve) => producer.on('exit', resolve));
        let next = 0;
        let bad = '';
        const cb = (e: Parameters<Parameters<RingReader['consume']>[0]>[0]): void => {
          // The producer's payload words are seq + 2, seq + 3, ...
          const seq = slots > 1 ? checkPattern(e) - 2 : next;
          if (e.type !== 3 || e.subtype !== (next & 0xff) || e.slots !== slots || e.id !== 1 || seq !== next) {
            bad ||= `entry ${next}: type ${e.type} subtype ${e.subtype} slots ${e.slots} seq ${seq}`;
          }
          next++;
        };
        const deadline = Date.now() + 60_000;
        while (next < count && !bad && Date.now() < deadline) {
          if (reader.consume(cb) === 0) await new Promise((r) => setImmediate(r));
        }
        expect(bad).toBe('');
        expect(next).toBe(count);
        expect(await exited).toBe(0);
      } finally {
        mapping.unmap();
      }
    }, 90_000);
  }
});
