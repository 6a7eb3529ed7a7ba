// The "memory order from JS" proof (docs: ARCHITECTURE.md, README.md): a
// native producer thread writes millions of entries into an SPSC ring in an
// anonymous mapping; JS consumes them through the external, non-shared
// ArrayBuffer using Atomics.load(head)/Atomics.store(tail), in a function
// forced through TurboFan. Every entry must arrive, in order, never torn.
// Runs in a child process because it needs --allow-natives-syntax.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const fixture = fileURLToPath(new URL('./fixtures/memory-order-consumer.cjs', import.meta.url));

interface RunResult {
  [key: string]: unknown;
}

function run(args: string[]): RunResult {
  const r = spawnSync(process.execPath, ['--allow-natives-syntax', fixture, ...args], {
    encoding: 'utf8',
    timeout: 170_000,
  });
  if (r.status !== 0) throw new Error(`consumer failed (status ${r.status}, signal ${r.signal}): ${r.stderr}`);
  const result = JSON.parse(r.stdout) as RunResult;
  console.log(`memory-order ${args[1]}: ${r.stdout.trim()}`);
  return result;
}

describe('memory order from JS over an external ArrayBuffer', () => {
  it('an optimized spin on Atomics.load(head) sees a later release store (not hoisted)', () => {
    const r = run(['0', 'spin']);
    expect(r.turbofannedBefore).toBe(true);
    expect(r.turbofannedAfter).toBe(true); // no deopt: the wait ran in TurboFan code
    expect(r.timedOut).toBe(false); // returned because head changed
    expect(r.spins as number).toBeGreaterThan(0);
  }, 30_000);

  it('5 million entries from a C++ producer arrive in order and untorn, consumed by TurboFan code', () => {
    const count = 5_000_000;
    const r = run([String(count), 'atomics', '50000']);
    expect(r.bad).toBe(0);
    expect(r.first).toBe(null);
    expect(r.consumed).toBe(count);
    expect(r.produced).toBe(count);
    // Every chunk ran in TurboFan code, and the consumer really waited on
    // head (so the loads sat in a hot optimized loop).
    expect(r.optimizedChunks).toBe(r.chunks);
    expect(r.spins as number).toBeGreaterThan(0);
  }, 180_000);
});
