// RingReader.consume() must settle in drain()'s ordinary optimised code.
// On Node 20 a reader could instead end up entering drain()'s on-stack
// replacement (OSR) code from the interpreter on every batch, for the life
// of the process, reading at two thirds of the speed: the run-to-run
// "bimodal" rates of docs/benchmarks.md (bench/variance.mjs). Whether it did
// depended on when V8's background compile finished; a compile delay
// (--concurrent-recompilation-delay, a V8 flag) makes the late case happen
// every time. The fixture runs in a child process with V8's traces on; after
// its warm-up, drain() must be neither entered through OSR nor deoptimised.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const fixture = fileURLToPath(new URL('./fixtures/jit-steady.mjs', import.meta.url));

function steadyTrace(v8flags: string[], args: number[]): string {
  const r = spawnSync(process.execPath, ['--trace-opt', '--trace-osr', '--trace-deopt', ...v8flags, fixture, ...args.map(String)], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.status !== 0) throw new Error(`fixture failed (status ${r.status}): ${r.stderr}`);
  const out = r.stdout;
  const at = out.indexOf('\nsteady\n');
  expect(at, 'the fixture prints "steady"').toBeGreaterThan(0);
  // Not vacuous: the steady part runs drain()'s optimised code, compiled
  // before it (a trace that no longer names it fails here).
  expect(out.slice(0, at), 'drain() optimised before the steady part').toMatch(
    /completed optimizing .*<JSFunction drain\b.*\(target TURBOFAN\)\]/,
  );
  expect(out).toMatch(/^done \d+$/m);
  return out.slice(at);
}

describe('RingReader in V8', () => {
  // [batches, entries per batch, steady batches]: whole-ring batches, as a
  // reader that fell behind sees (the case the old reader failed: every run
  // with the compile delay, some without); and small batches,
  // the usual case, lapping the ring every ~130 batches, long enough that
  // drain() is optimised before the steady part even with the compile delay
  // (a guard: the old reader passed it too).
  // Third: 8-slot entries posted by a RingWriter, so the read-ahead
  // (touchFrom(), touchAhead()) runs in every batch.
  const shapes: Array<[number, number, number, number]> = [
    [40, 131_000, 20, 1],
    [20_000, 1_000, 100, 1],
    [400, 8_000, 100, 8],
  ];
  for (const v8flags of [[], ['--concurrent-recompilation-delay=100']]) {
    for (const shape of shapes) {
      it(`settles in drain()'s optimised code (${v8flags.join(' ') || 'default flags'}; ${shape[0]} batches of ${shape[1]} ${shape[3]}-slot entries)`, () => {
        const trace = steadyTrace(v8flags, shape);
        expect(trace.match(/OSR - entry\. function: (drain|touchAhead)\b/g) ?? [], 'drain() entered through OSR after the warm-up').toEqual([]);
        // drain() and the code around it (it may be inlined into processRing()).
        expect(trace.match(/deoptimizing .*<JSFunction (drain|processRing|touchFrom|touchAhead|consume)\b.*/g) ?? [], 'the reader deoptimised after the warm-up').toEqual([]);
      });
    }
  }
});
