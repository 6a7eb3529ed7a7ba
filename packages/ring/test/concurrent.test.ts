import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { RingReader, RingWriter, createSharedRing } from '../src/index.js';
import { checkPattern } from './helpers.js';

const COUNT = Number(process.env.KCHAN_RING_CONCURRENT_COUNT ?? 2_000_000);
const workerUrl = new URL('./writer-worker.mjs', import.meta.url);
const built = existsSync(new URL('../dist/index.js', import.meta.url));

describe('concurrent producer in a worker over a SharedArrayBuffer', () => {
  it(`${COUNT} entries arrive in order, never torn`, async () => {
    // The worker runs the built package (turbo builds before test).
    expect(built, 'packages/ring/dist missing: run `pnpm --filter @kchan/ring build` first').toBe(true);
    const sab = createSharedRing(1024);
    new RingWriter(sab);
    const rd = new RingReader(sab);
    const worker = new Worker(workerUrl, { workerData: { sab, count: COUNT } });
    const done = new Promise<{ spins: number }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    let next = 0;
    let bad = '';
    const cb = (e: Parameters<Parameters<RingReader['consume']>[0]>[0]): void => {
      const seq = e.slots === 1 ? -1 : checkPattern(e);
      if (e.subtype !== (next & 0xff) || e.slots !== 1 + (next % 4) || (seq !== -1 && seq !== next)) {
        bad ||= `entry ${next}: subtype ${e.subtype} slots ${e.slots} seq ${seq}`;
      }
      next++;
    };
    const deadline = Date.now() + 120_000;
    while (next < COUNT && !bad && Date.now() < deadline) {
      if (rd.consume(cb) === 0) await new Promise((r) => setImmediate(r));
    }
    await done;
    expect(bad).toBe('');
    expect(next).toBe(COUNT);
    expect(rd.lost).toBe(0);
  }, 180_000);
});
