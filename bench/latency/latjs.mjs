#!/usr/bin/env node
// The JS side of the latency benchmark (bench/latency/README.md): the same
// readers as latc.c through the public APIs of @kchan/ring, @kchan/kue and
// @kchan/ummunotify, taking process.hrtime.bigint() (CLOCK_MONOTONIC, as the
// kernel's ktime_get_ns()) when each event reaches its callback.
//
//   node latjs.mjs wq-iter <events>      for await over WatchQueue.notifications()
//   node latjs.mjs wq-consume <events>   await wq.wait(), then wq.consume(cb)
//   node latjs.mjs wq-count <total>      end to end, as latc.c wq-count
//   node latjs.mjs kue <events>          await reader.consumeAsync(cb)
//   node latjs.mjs ummu-read <events> <period_us> <burst>
//                                        for await over Ummunotify.events()
//   node latjs.mjs ummu-spin <events> <period_us>
//                                        spin on Ummunotify.stamp
//   node latjs.mjs pipe <events> <fifo>  no kchan device: await waitReadable()
//                                        (@kchan/native), then read() stamps
//   node latjs.mjs pipe-worker <events> <fifo>
//                                        the same stamps read by a worker thread
//                                        blocked in read(2): no event loop between
//
// ummunotify: a worker thread of this process (its own mapping, same mm)
// invalidates one of 64 registered pages every period_us, stamping
// hrtime just before each madvise, as latc.c's producer thread does.
// Prints "ready", one latency in ns per line, "done".
// KCHAN_LAT_WARM=0: wq-count reads without warming up first.
// KCHAN_LAT_RING_DIST=<dir>: another build of @kchan/ring's dist/ (A/B in one boot).
import { Worker } from 'node:worker_threads';

const here = new URL('.', import.meta.url);
const pkg = (name) =>
  name === 'ring' && process.env.KCHAN_LAT_RING_DIST
    ? new URL(`file://${process.env.KCHAN_LAT_RING_DIST}/index.js`).href
    : new URL(`../../packages/${name}/dist/index.js`, here).href;
const [mode, eventsArg, periodArg, burstArg] = process.argv.slice(2);
const want = Number(eventsArg);
const lat = new Float64Array(want);
let n = 0;
const PAGES = 64;

function report() {
  const out = [];
  for (let i = 0; i < n; i++) out.push(String(lat[i]));
  out.push('done', '');
  process.stdout.write(out.join('\n'));
}

const ready = () => process.stdout.write('ready\n');

/** A watch_queue of `pages` (4, as latc.c's) watching KAPI. */
async function openWq(pages = 4) {
  const { WatchQueue } = await import(pkg('ring'));
  const { WATCH_TYPE_KAPI } = await import(pkg('uapi'));
  const wq = WatchQueue.open({ pages });
  wq.addWatch(WATCH_TYPE_KAPI, 1);
  return { wq, WATCH_TYPE_KAPI };
}

async function wqIter() {
  const { wq } = await openWq();
  ready();
  for await (const e of wq) {
    if (e.overrun) throw new Error('ring overrun');
    if (e.kind !== 'kapi' || e.subtype !== 1) continue;
    const now = process.hrtime.bigint();
    const stamp = new DataView(e.payload.buffer, e.payload.byteOffset, 8).getBigUint64(0, true);
    lat[n++] = Number(now - stamp);
    if (n === want) break;
  }
  wq.close();
}

async function wqConsume() {
  const { wq, WATCH_TYPE_KAPI } = await openWq();
  ready();
  const cb = (e) => {
    if (e.type !== WATCH_TYPE_KAPI || e.subtype !== 1 || n === want) return;
    const now = process.hrtime.bigint();
    const p = e.payload();
    lat[n++] = Number(now - new DataView(p.buffer, p.byteOffset, 8).getBigUint64(0, true));
  };
  while (n < want) {
    await wq.wait();
    wq.consume(cb);
    if (wq.lost || wq.checkLost()) throw new Error("ring overrun");
  }
  wq.close();
}

/** End to end (as latc.c wq-count): drain a 256-page ring until delivered + lost = total. */
async function wqCount() {
  const { wq, WATCH_TYPE_KAPI } = await openWq(256);
  let delivered = 0;
  let first = 0n;
  let last = 0n;
  const cb = (e) => {
    if (e.type === WATCH_TYPE_KAPI) delivered++;
  };
  if (process.env.KCHAN_LAT_WARM !== '0') {
    // Warm up first, as a service that has been running would be: 2 M
    // entries of the same size (2 slots) through an in-memory ring, read by
    // the same RingReader code with the same callback, so that the flood
    // below does not meet the reader in V8's interpreter.
    const { RingReader, RingWriter } = await import(pkg('ring'));
    const buf = new ArrayBuffer(1 << 20);
    const writer = new RingWriter(buf);
    const reader = new RingReader(buf);
    const payload = new Uint8Array(8);
    for (let total = 0; total < 2_000_000; ) {
      while (writer.tryPost(WATCH_TYPE_KAPI, 2, 0, payload)) total++;
      reader.consume(cb);
    }
    delivered = 0;
  }
  ready();
  while (delivered + wq.lost + wq.checkLost() < want) {
    await wq.wait();
    // As latc.c: from the first wake-up with entries to the end of the last drain.
    const t = process.hrtime.bigint();
    if (wq.consume(cb) > 0) {
      if (first === 0n) first = t;
      last = process.hrtime.bigint();
    }
  }
  const lost = wq.lost + wq.checkLost();
  wq.close();
  process.stdout.write(`count ${delivered} ${lost} ${last - first}\ndone\n`);
  process.exit(0);
}

async function kue() {
  const { KueReader } = await import(pkg('kue'));
  const r = KueReader.open();
  ready();
  const cb = (rec) => {
    if (rec.lost) throw new Error(`kue lost ${rec.lost}`);
    if (rec.size < 8 || n === want) return;
    const now = process.hrtime.bigint();
    lat[n++] = Number(now - rec.view.getBigUint64(rec.offset, true));
  };
  while (n < want) await r.consumeAsync(cb);
  r.close();
}

/** The producer worker: maps 64 pages, reports their address, then invalidates on schedule. */
const PRODUCER = `
const { parentPort, workerData } = require('node:worker_threads');
const { stamps, last, ctl, periodUs, burst, events, nativeUrl } = workerData;
import(nativeUrl).then((native) => {
  const page = Number(native.PAGE_SIZE ?? 4096);
  const m = native.mmapAnonymous(${PAGES} * page, native.PROT_READ | native.PROT_WRITE);
  const bytes = new Uint8Array(m.buffer);
  parentPort.postMessage({ address: m.address, page });
  Atomics.wait(ctl, 0, 0); // until "go"
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  let next = process.hrtime.bigint();
  for (let k = 0; k < events; ) {
    next += BigInt(periodUs) * 1000n;
    const ms = Number(next - process.hrtime.bigint()) / 1e6;
    if (ms > 0) Atomics.wait(sleeper, 0, 0, ms);
    for (let b = 0; b < burst && k < events; b++, k++) {
      const c = k % ${PAGES};
      bytes[c * page] = 1; // fault it in: a mapped page to zap
      Atomics.store(stamps, c, process.hrtime.bigint());
      Atomics.store(last, 0, k + 1);
      m.madvise(c * page, page, native.MADV_DONTNEED);
    }
  }
  parentPort.postMessage({ done: true });
});
`;

async function ummu(spin) {
  const { Ummunotify } = await import(pkg('ummunotify'));
  const u = Ummunotify.open();
  const stamps = new BigInt64Array(new SharedArrayBuffer(8 * PAGES));
  const ctl = new Int32Array(new SharedArrayBuffer(4));
  /** Number of the latest madvise (from 1), published before it is made. */
  const last = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(PRODUCER, {
    eval: true,
    workerData: { stamps, last, ctl, periodUs: Number(periodArg), burst: spin ? 1 : Number(burstArg), events: want, nativeUrl: pkg('native') },
  });
  const { address, page } = await new Promise((res, rej) => {
    worker.once('message', res);
    worker.once('error', rej);
  });
  for (let c = 0; c < PAGES; c++) u.register(address + BigInt(c * page), BigInt(page), BigInt(c));
  const finished = new Promise((res, rej) => {
    worker.on('message', (m) => m.done && res());
    worker.once('error', rej);
  });
  ready();
  Atomics.store(ctl, 0, 1);
  Atomics.notify(ctl, 0);
  if (spin) {
    let seen = u.stamp;
    let done = 0;
    while (done < want) {
      const s = u.stamp;
      if (s === seen) continue;
      seen = s;
      // As in latc.c: the latest madvise moved it; a move without one is not ours.
      const k = Atomics.load(last, 0);
      if (k === done) continue;
      done = k;
      const now = process.hrtime.bigint();
      lat[n++] = Number(now - Atomics.load(stamps, (k - 1) % PAGES));
    }
  } else {
    const ac = new AbortController();
    for await (const ev of u.events({ signal: ac.signal })) {
      const now = process.hrtime.bigint();
      const stamp = Atomics.load(stamps, Number(ev.cookie % BigInt(PAGES)));
      // No stamp yet: an invalidation the producer did not make (latc.c).
      if (stamp === 0n) continue;
      lat[n++] = Number(now - stamp);
      if (n === want) break;
    }
  }
  await finished;
  await worker.terminate();
  u.close();
}

/** The wake-up machinery alone: the waits the three readers use, on a FIFO. */
async function pipe() {
  const native = await import(pkg('native'));
  const fd = native.open(periodArg, native.O_RDONLY | native.O_NONBLOCK | native.O_CLOEXEC);
  const buf = new BigUint64Array(64);
  ready();
  while (n < want) {
    let got;
    try {
      got = native.read(fd, buf);
    } catch (err) {
      if (err.code !== 'EAGAIN') throw err;
      got = -1;
    }
    if (got <= 0) {
      // EAGAIN, or no writer yet (0): wait as the readers do.
      await native.waitReadable(fd);
      continue;
    }
    // A clock read per event, as latc.c.
    for (let i = 0; i < got / 8 && n < want; i++) lat[n++] = Number(process.hrtime.bigint() - buf[i]);
  }
  native.close(fd);
}

/** A worker thread blocked in read(2) on the FIFO: the wake-up without libuv, a promise or a loop turn. */
const PIPE_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
import(workerData.nativeUrl).then((native) => {
  const { want, fifo } = workerData;
  // O_RDWR: a FIFO opened so never blocks in open() and never reads EOF.
  const fd = native.open(fifo, native.O_RDWR | native.O_CLOEXEC);
  const buf = new BigUint64Array(64);
  const lat = new Float64Array(want);
  let n = 0;
  parentPort.postMessage({ ready: true });
  while (n < want) {
    const got = native.read(fd, buf); // blocks
    for (let i = 0; i < got / 8 && n < want; i++) lat[n++] = Number(process.hrtime.bigint() - buf[i]);
  }
  native.close(fd);
  parentPort.postMessage({ lat }, [lat.buffer]);
});
`;

async function pipeWorker() {
  const worker = new Worker(PIPE_WORKER, { eval: true, workerData: { want, fifo: periodArg, nativeUrl: pkg('native') } });
  const done = new Promise((res, rej) => {
    worker.on('message', (m) => {
      if (m.ready) ready();
      else res(m.lat);
    });
    worker.once('error', rej);
  });
  const got = await done;
  lat.set(got);
  n = got.length;
  await worker.terminate();
}

const modes = { pipe, 'pipe-worker': pipeWorker, 'wq-iter': wqIter, 'wq-consume': wqConsume, 'wq-count': wqCount, kue, 'ummu-read': () => ummu(false), 'ummu-spin': () => ummu(true) };
if (!modes[mode] || !(want > 0)) {
  process.stderr.write('usage: see the comment at the top of latjs.mjs\n');
  process.exit(2);
}
await modes[mode]();
report();
