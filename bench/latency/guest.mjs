#!/usr/bin/env node
// Runs inside the VM (bench/latency/run.mjs boots it): every latency case,
// the C reader (latc.c) and the JS readers (latjs.mjs) in alternating rounds
// in this one boot, and prints one line "LATENCY-JSON {...}" with the
// percentiles. Needs kchan.ko and kchan_test.ko loaded (the VM harness does).
// With --pipe-only, only the case that needs no kchan device (a FIFO: the
// wake-up machinery alone), which run.mjs also runs on the host.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { release } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const ROUNDS = Number(process.env.KCHAN_LAT_ROUNDS ?? 2);
const EVENTS = Number(process.env.KCHAN_LAT_EVENTS ?? 2000);
const LOW = { name: 'low', period: 1000, burst: 1 }; // an event every ~1 ms, reader idle between
const BURST = { name: 'burst', period: 20000, burst: 32 }; // 32 back to back every 20 ms
const latc = '/tmp/kchan-latc';
const PIPE_ONLY = process.argv.includes('--pipe-only');
const FIFO = `/tmp/kchan-latency-${process.pid}.fifo`;
rmSync(FIFO, { force: true });
execFileSync('mkfifo', ['-m', '600', FIFO]);
process.on('exit', () => rmSync(FIFO, { force: true }));

execFileSync('gcc', ['-O2', '-Wall', '-Wextra', '-Werror', '-pthread', `-I${join(repo, 'packages/uapi/include')}`, '-o', latc, join(here, 'latc.c')]);

/** The cases: device, load, readers (C first), and whether the driver feeds it. */
const CASES = [];
for (const load of [LOW, BURST]) {
  CASES.push({ device: 'pipe', load, drive: 'pipe', fifo: true, readers: [['C epoll + read()', [latc, 'pipe']], ['JS waitReadable() + read()', ['node', join(here, 'latjs.mjs'), 'pipe']], ['JS worker blocked in read()', ['node', join(here, 'latjs.mjs'), 'pipe-worker']]] });
  if (PIPE_ONLY) continue;
  CASES.push({ device: 'watch_queue', load, drive: 'wq', readers: [['C epoll + ring', [latc, 'wq']], ['JS WatchQueue iterator', ['node', join(here, 'latjs.mjs'), 'wq-iter']], ['JS wait() + consume()', ['node', join(here, 'latjs.mjs'), 'wq-consume']]] });
  CASES.push({ device: 'kue', load, drive: 'kue', readers: [['C epoll + read()', [latc, 'kue']], ['JS KueReader.consumeAsync()', ['node', join(here, 'latjs.mjs'), 'kue']]] });
  CASES.push({ device: 'ummunotify', load, readers: [['C epoll + read()', [latc, 'ummu-read'], true], ['JS Ummunotify.events()', ['node', join(here, 'latjs.mjs'), 'ummu-read'], true]] });
}
if (!PIPE_ONLY) CASES.push({ device: 'ummunotify', load: LOW, readers: [['C spin on the mapped generation', [latc, 'ummu-spin'], 'spin'], ['JS spin on Ummunotify.stamp', ['node', join(here, 'latjs.mjs'), 'ummu-spin'], 'spin']] });

async function runReader(argv, extra, driveArgs) {
  const out = await runRaw([...argv, String(EVENTS), ...extra], driveArgs ? [latc, 'drive', ...driveArgs] : null);
  const lines = out.split('\n');
  return lines.slice(lines.indexOf('ready') + 1, lines.indexOf('done')).map(Number);
}

/** Runs a reader; once it says "ready", the driver (if any). Resolves to its stdout when both ended. */
function runRaw(argv, driverArgv, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
    let out = '';
    let driver = null;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      driver?.kill('SIGKILL');
      reject(new Error(`${argv.join(' ')}: timed out`));
    }, 120_000);
    child.stdout.on('data', (d) => {
      out += d;
      // The reader is set up: start feeding it.
      if (driverArgv && !driver && out.includes('ready\n')) {
        driver = spawn(driverArgv[0], driverArgv.slice(1), { stdio: ['ignore', 'inherit', 'inherit'] });
      }
    });
    // 'close': the process exited and its stdout is read to the end.
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`${argv.join(' ')} exited ${code}`));
      const lines = out.split('\n');
      if (!lines.includes('done')) return reject(new Error(`${argv.join(' ')}: no "done"`));
      const finish = () => resolve(out);
      if (driver && driver.exitCode === null) driver.on('exit', finish);
      else finish();
    });
  });
}

function pct(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * (sorted.length - 1)))];
}

const rows = [];
const t0 = Date.now();
for (const c of CASES) {
  const pooled = c.readers.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, [, argv, ummu]] of c.readers.entries()) {
      const extra = c.fifo ? [FIFO] : ummu === 'spin' ? [String(c.load.period)] : ummu ? [String(c.load.period), String(c.load.burst)] : [];
      const triggers = Math.ceil(EVENTS / c.load.burst);
      const driveArgs = c.drive ? [c.drive, String(triggers), String(c.load.period), String(c.load.burst), ...(c.fifo ? [FIFO] : [])] : null;
      pooled[i].push(...(await runReader(argv, extra, driveArgs)));
    }
  }
  for (const [i, [reader]] of c.readers.entries()) {
    const s = pooled[i].sort((a, b) => a - b);
    rows.push({ device: c.device, load: c.load.name, reader, n: s.length, expected: EVENTS * ROUNDS, p50: pct(s, 0.5), p99: pct(s, 0.99), p999: pct(s, 0.999) });
    process.stderr.write(`${c.device} ${c.load.name} ${reader}: n=${s.length} p50=${pct(s, 0.5)} p99=${pct(s, 0.99)} p99.9=${pct(s, 0.999)} ns\n`);
  }
}
// End to end: kchan_test posts as fast as it takes "wq burst" writes, the
// reader drains a 256-page ring; C and JS alternate, pairs compared.
const FLOOD = Number(process.env.KCHAN_LAT_FLOOD ?? 500_000);
const flood = [];
for (let round = 0; round < (PIPE_ONLY ? 0 : 3); round++) {
  const pair = {};
  // js: warmed up first (latjs.mjs wq-count), as a running service; cold: a
  // fresh process meets the flood in V8's interpreter.
  for (const [key, reader, argv, env] of [
    ['c', 'C epoll + ring', [latc, 'wq-count'], {}],
    ['js', 'JS wait() + consume()', ['node', join(here, 'latjs.mjs'), 'wq-count'], {}],
    ['cold', 'JS wait() + consume(), cold process', ['node', join(here, 'latjs.mjs'), 'wq-count'], { KCHAN_LAT_WARM: '0' }],
  ]) {
    const out = await runRaw([...argv, String(FLOOD)], [latc, 'drive-fast', String(FLOOD), '1000'], env);
    const m = /^count (\d+) (\d+) (\d+)$/m.exec(out);
    if (!m) throw new Error(`${argv.join(' ')}: no count line`);
    pair[key] = { reader, delivered: Number(m[1]), lost: Number(m[2]), ns: Number(m[3]) };
  }
  flood.push(pair);
  process.stderr.write(`flood round ${round}: ${JSON.stringify(pair)}\n`);
}

// Where a JS wake-up's time goes: its parts timed alone (pollcost.mjs).
const pollcost = JSON.parse(execFileSync('node', [join(here, 'pollcost.mjs')], { encoding: 'utf8' }));
process.stderr.write(`pollcost: ${JSON.stringify(pollcost)}\n`);
const node = process.version;
const cpus = readFileSync('/proc/cpuinfo', 'utf8').split('\n').filter((l) => l.startsWith('processor')).length;
process.stdout.write(`LATENCY-JSON ${JSON.stringify({ kernel: release(), node, cpus, rounds: ROUNDS, events: EVENTS, low: LOW, burst: BURST, seconds: Math.round((Date.now() - t0) / 1000), rows, pollcost, flood: { total: FLOOD, pairs: flood } })}\n`);
