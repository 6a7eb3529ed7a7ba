#!/usr/bin/env node
// Where the run-to-run variance of the JS ring reader comes from (issue 23,
// part 3). Not part of `pnpm bench`: a study, rerun by hand.
//
//   node bench/variance.mjs [--procs 24] [--drains 60]
//
// Each of `procs` fresh Node processes (pinned to CPU 1, as run.mjs pins
// its readers) maps a 1 MiB ring from a memfd (the same external
// ArrayBuffer the device mmap gives), and `drains` times fills it with 8-byte
// entries in place (no producer process: the writes are this thread's own,
// so cross-core transfer is out of the picture) and times one
// RingReader.consume() over them with run.mjs's callback. A process reports
// the median and the best of its drains, with --perf-basic-prof's map of
// where V8 put the optimised code of drain(): its address, and so its
// alignment, differs from process to process.
//
// The parent prints one line per process and the spread between processes
// against the spread inside each.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    procs: { type: 'string', default: '24' },
    drains: { type: 'string', default: '60' },
    slots: { type: 'string', default: '1' },
    child: { type: 'boolean', default: false },
    flags: { type: 'string', default: '' },
  },
});
const RING_BYTES = 1 << 20;

if (values.child) {
  const native = await import('@kchan/native');
  const { RingReader, RingWriter } = await import('../dist/index.js');
  const { WatchQueueMetaLayout, WATCH_QUEUE_META_SLOTS, WATCH_META_SKIP_NOTIFICATION } = await import('@kchan/uapi');
  const HEAD = WatchQueueMetaLayout.fields.head.offset / 4;
  const TAIL = WatchQueueMetaLayout.fields.tail.offset / 4;
  const fd = native.memfdCreate('kchan-variance');
  execFileSync('truncate', ['-s', String(RING_BYTES), `/proc/${process.pid}/fd/${fd}`]);
  const mapping = native.mmap(fd, RING_BYTES, native.PROT_READ | native.PROT_WRITE, native.MAP_SHARED, 0);
  native.close(fd);
  const buf = mapping.buffer;
  new RingWriter(buf);
  const words = new Uint32Array(buf);
  const size = RING_BYTES / 8;
  const reader = new RingReader(buf);
  let sum = 0;
  const cb = (e) => {
    sum = (sum + e.type + e.subtype + e.info) & 0xfffffff;
  };
  // Fill the ring from tail up to a whole ring ahead with entries of
  // `slots` slots (type 1, subtype 2, info: the length and an id), placed as
  // the kernel places them: past the meta slots at the start of the ring,
  // and a skip entry where one would cross the end. Then publish head.
  const slots = Number(values.slots);
  let head = Atomics.load(words, HEAD) >>> 0;
  const fill = () => {
    const tail = Atomics.load(words, TAIL) >>> 0;
    let n = 0;
    for (;;) {
      let h = head;
      if ((h & (size - 1)) === 0) h = (h + WATCH_QUEUE_META_SLOTS) >>> 0;
      const room = size - (h & (size - 1));
      const skip = slots > room ? room : 0;
      const end = (h + skip + (skip ? WATCH_QUEUE_META_SLOTS : 0) + slots) >>> 0;
      if (((end - tail) >>> 0) > size) break;
      if (skip) {
        const s0 = h & (size - 1);
        words[s0 * 2] = 0 | (WATCH_META_SKIP_NOTIFICATION << 24);
        words[s0 * 2 + 1] = skip << 3;
        h = (h + skip + WATCH_QUEUE_META_SLOTS) >>> 0;
      }
      const slot = h & (size - 1);
      words[slot * 2] = 1 | (2 << 24);
      words[slot * 2 + 1] = (slots << 3) | ((n & 0xff) << 24);
      head = (h + slots) >>> 0;
      n++;
    }
    Atomics.store(words, HEAD, head);
    return n;
  };
  const rates = [];
  for (let i = 0; i < Number(values.drains); i++) {
    const n = fill();
    const t0 = process.hrtime.bigint();
    const got = reader.consume(cb);
    const ns = Number(process.hrtime.bigint() - t0);
    if (got !== n) throw new Error(`consumed ${got} of ${n} (drain ${i}, head ${head}, tail ${Atomics.load(words, TAIL)}, left ${reader.pending()})`);
    rates.push(n / (ns / 1e9));
  }
  mapping.unmap();
  // The optimised code of drain() (LazyCompile/JS:*drain, or an OSR entry).
  const map = `/tmp/perf-${process.pid}.map`;
  const code = existsSync(map)
    ? readFileSync(map, 'utf8')
        .split('\n')
        .filter((l) => /\*drain|drain.*OSR|OSR.*drain/.test(l) || / \*?drain /.test(l))
        .map((l) => l)
    : [];
  rmSync(map, { force: true });
  const sorted = [...rates].sort((a, b) => a - b);
  // The first drains run before/while drain() is optimised: report the
  // steady state (second half).
  const steady = rates.slice(Math.floor(rates.length / 2)).sort((a, b) => a - b);
  console.log(
    JSON.stringify({
      median: steady[Math.floor(steady.length / 2)],
      best: sorted.at(-1),
      worstSteady: steady[0],
      code,
      sum,
    }),
  );
  process.exit(0);
}

// ---- parent
const pin = cpus().length >= 2 && existsSync('/usr/bin/taskset') ? ['taskset', '-c', '1'] : [];
const self = fileURLToPath(import.meta.url);
const results = [];
for (let p = 0; p < Number(values.procs); p++) {
  // --perf-basic-prof also turns V8's log on: send it nowhere.
  const flags = ['--perf-basic-prof', '--logfile=/dev/null', ...values.flags.split(' ').filter(Boolean)];
  const cmd = [...pin, process.execPath, ...flags, self, '--child', '--drains', values.drains, '--slots', values.slots];
  const r = spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`child failed: ${r.stderr}`);
  const res = JSON.parse(r.stdout.trim().split('\n').at(-1));
  results.push(res);
  // Each optimised code object of drain(): its size in bytes (the perf map's second column).
  const addr = res.code.map((c) => {
    const [at, size] = c.split(' ');
    return `${parseInt(size, 16)} B @${at.slice(-4)}`;
  });
  console.log(`${String(p).padStart(2)}: steady median ${(res.median / 1e6).toFixed(0)} M/s, steady worst ${(res.worstSteady / 1e6).toFixed(0)}, best ${(res.best / 1e6).toFixed(0)}  ${addr.join('; ')}`);
}
const med = results.map((r) => r.median).sort((a, b) => a - b);
console.log(
  `processes: median of medians ${(med[Math.floor(med.length / 2)] / 1e6).toFixed(0)} M/s, lowest ${(med[0] / 1e6).toFixed(0)}, highest ${(med.at(-1) / 1e6).toFixed(0)}`,
);
