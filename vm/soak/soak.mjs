#!/usr/bin/env node
// The soak (`pnpm test:soak`, scripts/soak.mjs boots it in the VM): all three
// readers at once in one process, sharing its event loop as a service would,
// for --seconds (default 600), under mixed load, with readers opened, read for
// a random short time, aborted or closed, and reopened, continuously.
//
//   node --expose-gc vm/soak/soak.mjs [--seconds 600] [--out FILE] [--seed N]
//        [--sample 5] [--memlock-pages 1024] [--as-root] [--fault MODE]
//
// Producers (through /dev/kchan_test, and this process's own memory):
//   - watch_queue: `wq burst <n> <slots>` KAPI posts (payload words seq, seq+1, ...);
//   - kue: `kue send <n> <size>` and `kue burst` (atomic context), with
//     kue_limit_bytes lowered to 32 KiB so slow readers lose messages;
//   - ummunotify: madvise(MADV_DONTNEED) of registered pages of the open
//     readers' anonymous mappings (one invalidation per call, 1-4 regions each),
//     and unregister/re-register of regions.
// Consumers: 3 watch_queue, 2 kue and 2 ummunotify reader slots; each opens a
// reader, reads it through one of its APIs for 20-2000 ms (sometimes slowly),
// then ends it by aborting its wait (AbortSignal) or by close()/[Symbol.dispose]
// while the wait is pending, drains what is left synchronously, checks it and
// closes it.
//
// Accounting is exact, from three independent sources: what the producer did
// (commands and their status lines, its own madvise calls), what the readers
// received (entries, messages, events, with their in-band loss counts and the
// kernel-written sequence numbers in each payload), and the kernel's counters
// (kchan_test's `delivered=`, kue callbacks and drop counters, KUE_IOC_INFO's
// per-reader loss, the ring's meta->lost, ummunotify's generation and slot
// counters). See docs/reliability.md, "Soak".
//
// Every --sample seconds the readers are stopped (their waits aborted or
// closed), and while none is open the process is measured: heap after gc(),
// RSS, fds, SUnreclaim/Slab, VmLck, the user's RLIMIT_MEMLOCK charge (probed
// exactly by charging watch_queue rings up to the limit), kchan's own live
// objects (ummu regions/contexts, kue readers and queued messages). The first
// and last minute are compared against the tolerances below.
//
// Runs as nobody (uid 65534) after the root-only setup, so that kchan charges
// RLIMIT_MEMLOCK (root has CAP_IPC_LOCK and is exempt); --as-root skips that.
// Prints a progress line every 10 s, "SOAK-JSON {...}" at the end, writes the
// same JSON to --out and exits 1 on any failure.
//
// --fault MODE makes the soak itself wrong, to prove that it fails:
//   fd-leak     one /dev/null fd leaked per reader opened
//   skip-count  one delivery in 500 (ring entry, kue message, ummu event) not counted
//   heap-leak   64 KiB of JS heap kept per reader opened
// --snapshots DIR writes V8 heap snapshots at the first-minute mark and at the
// end (with no reader open), to find what a growing heap holds.
import { closeSync, constants as fsc, fstatSync, openSync, readFileSync, readSync, readdirSync, writeSync, chmodSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { release } from 'node:os';
import { writeHeapSnapshot } from 'node:v8';
import { parseArgs } from 'node:util';

const pkg = (name) => new URL(`../../packages/${name}/dist/index.js`, import.meta.url).href;
const native = await import(pkg('native'));
const { WATCH_TYPE_KAPI, WATCH_TYPE_META, WATCH_META_LOSS_NOTIFICATION } = await import(pkg('uapi'));
const { WatchQueue } = await import(pkg('ring'));
const { KueReader } = await import(pkg('kue'));
const { Ummunotify, FEATURE_REGION_GENERATION, decodeEvents, generationStamp } = await import(pkg('ummunotify'));

const { values: opt } = parseArgs({
  options: {
    seconds: { type: 'string', default: '600' },
    out: { type: 'string', default: `${process.env.KCHAN_VM_RESULTS ?? '.'}/soak.json` },
    seed: { type: 'string' },
    sample: { type: 'string', default: '5' },
    'memlock-pages': { type: 'string', default: '1024' },
    'as-root': { type: 'boolean', default: false },
    fault: { type: 'string', default: '' },
    snapshots: { type: 'string' },
  },
});
const SECONDS = Number(opt.seconds);
const SAMPLE_MS = Number(opt.sample) * 1000;
const MEMLOCK_PAGES = Number(opt['memlock-pages']);
const FAULT = opt.fault;
if (FAULT && !['fd-leak', 'skip-count', 'heap-leak'].includes(FAULT)) throw new Error(`unknown --fault ${FAULT}`);
const PAGE = native.pageSize;
const KUE_LIMIT = 32 << 10;
const NOBODY = 65534;

// Tolerances, last minute against first minute (medians of the samples).
const TOL = {
  heapPct: 10, heapBytes: 2 << 20, // heapUsed after gc(): <= +max(10 %, 2 MiB)
  // and its trend after the first minute: <= 2 MiB an hour (a leaked poller
  // per reader closed made it 9-11 MiB an hour, inside the bound above)
  heapTrendPerHour: 2 << 20,
  slabPct: 5, slabBytes: 512 << 10, // SUnreclaim: <= +max(5 %, 512 KiB)
  // fds, VmLck, the RLIMIT_MEMLOCK charge and kchan's live objects: equal, in every sample.
};

// Seeded PRNG (splitmix32), so a run can be replayed up to timing.
const SEED = opt.seed !== undefined ? Number(opt.seed) >>> 0 : (Date.now() ^ (process.pid << 16)) >>> 0;
let rs = SEED;
function rnd() {
  rs = (rs + 0x9e3779b9) | 0;
  let z = rs;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return ((z ^ (z >>> 16)) >>> 0) / 4294967296;
}
const rint = (lo, hi) => lo + Math.floor(rnd() * (hi - lo + 1));
const pick = (a) => a[Math.floor(rnd() * a.length)];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- failures
const failures = [];
const notes = { wqWaitResolvedAborted: 0 };
function fail(what) {
  if (failures.length < 200) failures.push(what);
  if (failures.length <= 20) console.log(`soak: FAIL ${what}`);
}

// ------------------------------------------------------- root-only set-up
const T0 = Date.now();
const elapsed = () => (Date.now() - T0) / 1000;
const testFd = openSync('/dev/kchan_test', fsc.O_RDWR);
const statusBuf = Buffer.alloc(512);
/** One kchan_test command; its status line as numbers. */
function kcmd(line) {
  writeSync(testFd, line);
  const n = readSync(testFd, statusBuf, 0, statusBuf.length, 0);
  const out = {};
  for (const kv of statusBuf.toString('utf8', 0, n).trim().split(/\s+/)) {
    const [k, v] = kv.split('=');
    if (k && v !== undefined) out[k] = Number(v);
  }
  return out;
}
const limitPath = '/sys/module/kchan/parameters/kue_limit_bytes';
const oldLimit = Number(readFileSync(limitPath, 'utf8').trim());
const limitFd = openSync(limitPath, fsc.O_WRONLY);
writeSync(limitFd, `${KUE_LIMIT}\n`, 0);
let slabinfoFd = -1;
try {
  slabinfoFd = openSync('/proc/slabinfo', fsc.O_RDONLY);
} catch {
  // not present or not readable: SUnreclaim alone
}
const outFd = openSync(opt.out, 'w');
kcmd('wq reset');
kcmd('kue reset');
const kue0 = kcmd('kue count');
const ummu0 = kcmd('ummu stats');
let user = 'root';
if (!opt['as-root']) {
  // kue is root-only by default: let this soak's user open it (kue_mode's job on a real system).
  chmodSync('/dev/kue', 0o666);
  execFileSync('prlimit', ['--pid', String(process.pid), `--memlock=${MEMLOCK_PAGES * PAGE}:${MEMLOCK_PAGES * PAGE}`]);
  process.setgroups?.([]);
  process.setgid(NOBODY);
  process.setuid(NOBODY);
  user = `uid ${process.getuid()}`;
}
console.log(`soak: ${SECONDS} s on ${release()}, node ${process.version}, seed ${SEED}, as ${user}, RLIMIT_MEMLOCK ${opt['as-root'] ? '(root: exempt)' : `${MEMLOCK_PAGES} pages`}${FAULT ? `, FAULT ${FAULT}` : ''}`);

// ------------------------------------------------------------ the totals
const tot = {
  wq: { posts: 0, postCmds: 0, kernelWritten: 0, expected: 0, read: 0, lostInBand: 0, lostUnreported: 0, opens: 0, overrunFlags: 0, pagesHist: {} },
  kue: { sent: 0, sendCmds: 0, sentWhileOpen: 0, expected: 0, read: 0, lostInBand: 0, lostTotalKernel: 0, lostUnreported: 0, droppedSeqs: 0, deliveredSeqs: 0, opens: 0, bytesRead: 0 },
  ummu: { ops: 0, hits: 0, events: 0, unexplainedEvents: 0, kernelInvalidations: 0, coveredHits: 0, discardedHits: 0, lateEvents: 0, unregisters: 0, opens: 0, slotted: 0, genDelta: 0, slotChecks: 0, regions: 0 },
  ends: { abort: 0, close: 0, dispose: 0, quiesce: 0 },
};

// A reader is "active" from open to close. end(why) asks it to stop.
const active = new Set();
let quiescing = false;
let stopping = false;
let resumeWaiters = [];
const gate = () => (quiescing ? new Promise((r) => resumeWaiters.push(r)) : undefined);

const leaked = [];
const skipCounters = { wq: 0, kue: 0, ummu: 0 };
/** --fault skip-count: one delivery in 500 per device goes uncounted. */
const skipOne = (dev) => FAULT === 'skip-count' && ++skipCounters[dev] % 500 === 0;
function faultOnOpen() {
  if (FAULT === 'fd-leak') leaked.push(openSync('/dev/null', 'r'));
  if (FAULT === 'heap-leak') leaked.push(new Array(8192).fill(0).map((_, i) => i * 1.5));
}

/** A reader's control: `ended` resolves when its time is up (or a sample or the end asks); `ac` aborts its loop. */
function makeCtl(life) {
  const ctl = { ac: new AbortController(), endWhy: null, endResolve: null };
  ctl.ended = new Promise((r) => (ctl.endResolve = r));
  ctl.end = (why) => {
    if (!ctl.endWhy) {
      ctl.endWhy = why;
      ctl.endResolve(why);
    }
  };
  ctl.timer = setTimeout(() => ctl.end('timer'), life);
  return ctl;
}

// -------------------------------------------------------- watch_queue
let wqSeq = 0; // kchan_test's next seq (from its status lines)
const openRings = new Set();

function wqOpen(slot) {
  const pages = pick([1, 1, 2, 4]);
  const wq = WatchQueue.open({ pages });
  const id = slot + 1;
  wq.addWatch(WATCH_TYPE_KAPI, id);
  const r = { wq, id, pages, startSeq: wqSeq, expectNext: wqSeq, gap: 0, expected: 0, read: 0, lostInBand: 0, overruns: 0 };
  openRings.add(r);
  tot.wq.opens++;
  tot.wq.pagesHist[pages] = (tot.wq.pagesHist[pages] ?? 0) + 1;
  return r;
}

function wqCheckKapi(r, seq, words, overrun) {
  if (skipOne('wq')) return;
  const gap = seq - r.expectNext;
  if (gap !== r.gap) fail(`wq ring ${r.id}: seq ${seq} after ${r.expectNext - 1}: gap ${gap}, loss entries said ${r.gap}`);
  if ((gap > 0) !== overrun) fail(`wq ring ${r.id}: seq ${seq}: gap ${gap} but OVERRUN flag ${overrun}`);
  if (overrun) r.overruns++;
  r.gap = 0;
  r.expectNext = seq + 1;
  r.read++;
}

/** The entry the RingReader hands to consume(). */
function wqOnEntry(r, e) {
  if (e.type === WATCH_TYPE_META && e.subtype === WATCH_META_LOSS_NOTIFICATION) {
    r.lostInBand += e.lost;
    r.gap += e.lost;
    return;
  }
  if (e.type !== WATCH_TYPE_KAPI || e.id !== r.id) return fail(`wq ring ${r.id}: unexpected entry type ${e.type}/${e.subtype} id ${e.id}`);
  const v = e.view;
  const base = e.offset + 8;
  const n = (e.slots - 1) * 2;
  const seq = v.getUint32(base, true);
  for (let k = 1; k < n; k++) if (v.getUint32(base + 4 * k, true) !== ((seq + k) >>> 0)) return fail(`wq ring ${r.id}: torn entry seq ${seq} word ${k}`);
  wqCheckKapi(r, seq, n, e.overrun);
}

/** A decoded notification from notifications(). */
function wqOnNotification(r, nt) {
  if (nt.kind === 'loss') {
    r.lostInBand += nt.lost;
    r.gap += nt.lost;
    return;
  }
  if (nt.kind !== 'kapi' || nt.id !== r.id) return fail(`wq ring ${r.id}: unexpected ${nt.kind} id ${nt.id}`);
  const p = nt.payload;
  const dv = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const seq = dv.getUint32(0, true);
  for (let k = 1; k < p.byteLength / 4; k++) if (dv.getUint32(4 * k, true) !== ((seq + k) >>> 0)) return fail(`wq ring ${r.id}: torn notification seq ${seq} word ${k}`);
  wqCheckKapi(r, seq, p.byteLength / 4, nt.overrun);
}

/** Drain synchronously, settle the ring's books, close it (close() or dispose). */
function wqFinish(r, how) {
  const { wq } = r;
  while (wq.consume((e) => wqOnEntry(r, e)) > 0);
  const unreported = wq.checkLost();
  openRings.delete(r);
  if (wq.lost !== r.lostInBand) fail(`wq ring ${r.id}: WatchQueue.lost ${wq.lost} != loss entries seen ${r.lostInBand}`);
  const tail = wqSeq - r.expectNext;
  if (tail !== r.gap + unreported) fail(`wq ring ${r.id}: ${tail} posts after the last entry read (seq ${r.expectNext - 1}), loss entries ${r.gap} + meta->lost unreported ${unreported}`);
  const lost = r.lostInBand + unreported;
  if (r.read + lost !== r.expected) fail(`wq ring ${r.id}: posted while open ${r.expected} != read ${r.read} + lost ${lost}`);
  tot.wq.expected += r.expected;
  tot.wq.read += r.read;
  tot.wq.lostInBand += r.lostInBand;
  tot.wq.lostUnreported += unreported;
  tot.wq.overrunFlags += r.overruns;
  if (how === 'dispose') wq[Symbol.dispose]();
  else wq.close();
  wq.close(); // idempotent
}

async function wqCycle(slot) {
  const r = wqOpen(slot);
  faultOnOpen();
  const ctl = makeCtl(rint(20, 2000));
  active.add(ctl);
  const slow = rnd() < 0.3;
  const mode = pick(['iter', 'wait']);
  const endBy = pick(['abort', 'close', 'dispose']);
  const { signal } = ctl.ac;
  const loop = (async () => {
    if (mode === 'iter') {
      for await (const nt of r.wq.notifications({ signal })) {
        wqOnNotification(r, nt);
        if (slow && rnd() < 0.01) await sleep(rint(1, 30));
      }
    } else {
      for (;;) {
        await r.wq.wait({ signal });
        if (signal.aborted) {
          // docs/readers.md: "Aborting — before the call or while it waits — rejects".
          // WatchQueue.wait() used to return at once when the ring was not
          // empty, aborted or not (fixed with this soak); a check below fails on it.
          notes.wqWaitResolvedAborted++;
          native.throwIfAborted(signal);
        }
        r.wq.consume((e) => wqOnEntry(r, e));
        if (slow) await sleep(rint(1, 30));
      }
    }
  })();
  await ctl.ended;
  clearTimeout(ctl.timer);
  await settle(`wq ${mode}`, loop, ctl, endBy, mode === 'iter' ? 'end' : 'EBADF', () => wqFinish(r, endBy === 'abort' ? pick(['close', 'dispose']) : endBy));
  active.delete(ctl);
}

/**
 * End a reader's read loop: by abort (the loop must reject with an AbortError
 * whose cause is the reason, then `finish` drains and closes), or by
 * close()/dispose while it waits (`finish` drains and closes first; then the
 * loop must end: an iterator returns, a direct wait rejects with EBADF).
 */
async function settle(what, loop, ctl, endBy, onClose, finish) {
  if (endBy === 'abort') {
    const reason = new Error(`soak: ${ctl.endWhy}`);
    ctl.ac.abort(reason);
    try {
      await loop;
      fail(`${what}: the loop ended without an AbortError after abort`);
    } catch (err) {
      if (err?.name !== 'AbortError' || err?.code !== 'ABORT_ERR' || err?.cause !== reason) fail(`${what}: abort gave ${err?.name} ${err?.code} ${err?.message}`);
    }
    const account = finish();
    account?.();
    tot.ends.abort++;
  } else {
    const account = finish();
    try {
      await loop;
      if (onClose !== 'end') fail(`${what}: the loop ended without ${onClose} after close`);
    } catch (err) {
      if (onClose === 'end' || err?.code !== onClose) fail(`${what}: close gave ${err?.name} ${err?.code} ${err?.message}`);
    }
    account?.();
    tot.ends[endBy]++;
  }
  if (ctl.endWhy === 'quiesce') tot.ends.quiesce++;
}

function wqProduce() {
  if (rnd() < 0.5) return;
  const slots = rint(2, 8);
  const n = rnd() < 0.1 ? rint(100, 400) : rint(1, 40);
  const before = wqSeq;
  const st = kcmd(`wq burst ${n} ${slots}`);
  wqSeq = st.seq;
  if (wqSeq - before !== n) fail(`wq burst ${n}: seq moved ${before} -> ${wqSeq}`);
  if (!(st.delivered >= 0 && st.delivered <= n * openRings.size)) fail(`wq burst ${n}: delivered=${st.delivered} with ${openRings.size} rings`);
  tot.wq.posts += n;
  tot.wq.postCmds++;
  tot.wq.kernelWritten += st.delivered;
  for (const r of openRings) r.expected += n;
}

// ---------------------------------------------------------------- kue
let kueNext = kue0.next_seq; // the next seq kue will give
const openKue = new Set();
// Per seq, in a window: readers open when it was sent (expected) and readers that got it.
const WIN = 1 << 20;
const kueExp = new Uint8Array(WIN);
const kueGot = new Uint8Array(WIN);
let kueFinal = kueNext; // seqs below are settled
const kueCmds = []; // { first, last, size, n } of sends that readers may still read

function kueSettle() {
  let lo = kueNext;
  for (const r of openKue) if (r.startSeq < lo) lo = r.startSeq;
  for (; kueFinal < lo; kueFinal++) {
    const i = kueFinal & (WIN - 1);
    if (kueGot[i] < kueExp[i]) tot.kue.droppedSeqs++;
    else tot.kue.deliveredSeqs++;
    kueExp[i] = 0;
    kueGot[i] = 0;
  }
  while (kueCmds.length > 0 && kueCmds[0].last < kueFinal) kueCmds.shift();
}

function kueOpen() {
  const reader = KueReader.open({ bufferSize: pick([256, 4096, 65536]), copy: rnd() < 0.2 });
  const info = reader.info();
  if (Number(info.next_seq) !== kueNext) fail(`kue open: info.next_seq ${info.next_seq} != ${kueNext}`);
  if (Number(info.cursor) !== kueNext) fail(`kue open: info.cursor ${info.cursor} != next_seq ${kueNext}`);
  const r = { reader, startSeq: kueNext, expectNext: kueNext, read: 0, lostInBand: 0 };
  openKue.add(r);
  tot.kue.opens++;
  return r;
}

function kueOnMessage(r, seq, lost, size, bytes, offset) {
  if (skipOne('kue')) return;
  if (seq - r.expectNext !== lost) fail(`kue: seq ${seq} after ${r.expectNext - 1} with lost=${lost}`);
  r.lostInBand += lost;
  r.expectNext = seq + 1;
  r.read++;
  tot.kue.bytesRead += size;
  const i = seq & (WIN - 1);
  if (++kueGot[i] > kueExp[i]) fail(`kue: seq ${seq} received ${kueGot[i]} times, ${kueExp[i]} readers were open`);
  // The payload kchan_test wrote: message i of its command has bytes 0..3 = i, byte j = (i + j) & 0xff.
  let lo = 0;
  let hi = kueCmds.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (kueCmds[mid].last < seq) lo = mid + 1;
    else hi = mid;
  }
  const c = kueCmds[lo];
  if (!c || seq < c.first || seq > c.last) return fail(`kue: seq ${seq} from no known send`);
  if (size !== c.size) return fail(`kue: seq ${seq}: size ${size}, sent ${c.size}`);
  const idx = (seq - c.first) % c.n;
  if (size >= 8) {
    const got = bytes[offset] | (bytes[offset + 1] << 8) | (bytes[offset + 2] << 16) | (bytes[offset + 3] << 24);
    if (got >>> 0 !== idx || bytes[offset + 4] !== ((idx + 4) & 0xff) || bytes[offset + size - 1] !== ((idx + size - 1) & 0xff)) fail(`kue: seq ${seq}: payload is not message ${idx} of its send`);
  }
}
const onRecord = (r) => (rec) => kueOnMessage(r, rec.seq, rec.lost, rec.size, rec.bytes, rec.offset);
const onMessage = (r, m) => kueOnMessage(r, Number(m.seq), m.lost, m.payload.byteLength, m.payload, 0);

function kueFinish(r, how) {
  const { reader } = r;
  for (;;) {
    const batch = reader.readBatch();
    if (batch.length === 0) break;
    for (const m of batch) onMessage(r, m);
  }
  const info = reader.info();
  openKue.delete(r);
  const lostKernel = Number(info.lost);
  if (Number(info.next_seq) !== kueNext) fail(`kue close: info.next_seq ${info.next_seq} != ${kueNext}`);
  if (reader.stats.lost !== r.lostInBand) fail(`kue: reader.stats.lost ${reader.stats.lost} != in-band ${r.lostInBand}`);
  const unreported = lostKernel - r.lostInBand;
  if (unreported < 0 || kueNext - r.expectNext !== unreported) fail(`kue close: ${kueNext - r.expectNext} sent after the last read (${r.expectNext - 1}), KUE_IOC_INFO lost ${lostKernel} - in-band ${r.lostInBand}`);
  const expected = kueNext - r.startSeq;
  if (r.read + lostKernel !== expected) fail(`kue close: sent while open ${expected} != read ${r.read} + lost ${lostKernel}`);
  tot.kue.expected += expected;
  tot.kue.read += r.read;
  tot.kue.lostInBand += r.lostInBand;
  tot.kue.lostTotalKernel += lostKernel;
  tot.kue.lostUnreported += unreported;
  if (how === 'dispose') reader[Symbol.dispose]();
  else reader.close();
  reader.close();
  kueSettle();
}

async function kueCycle() {
  const r = kueOpen();
  faultOnOpen();
  const ctl = makeCtl(rint(20, 2000));
  active.add(ctl);
  const slow = rnd() < 0.4;
  const mode = pick(['messages', 'consumeAsync', 'nextBatch']);
  const endBy = pick(['abort', 'close', 'dispose']);
  const { signal } = ctl.ac;
  const rec = onRecord(r);
  const loop = (async () => {
    if (mode === 'messages') {
      for await (const m of r.reader.messages({ signal })) {
        onMessage(r, m);
        if (slow && rnd() < 0.02) await sleep(rint(5, 60));
      }
    } else if (mode === 'consumeAsync') {
      while ((await r.reader.consumeAsync(rec, { signal })) > 0) if (slow) await sleep(rint(5, 60));
    } else {
      for (;;) {
        const b = await r.reader.nextBatch({ signal });
        if (b.length === 0) break;
        for (const m of b) onMessage(r, m);
        if (slow) await sleep(rint(5, 60));
      }
    }
  })();
  await ctl.ended;
  clearTimeout(ctl.timer);
  await settle(`kue ${mode}`, loop, ctl, endBy, 'end', () => kueFinish(r, endBy === 'abort' ? pick(['close', 'dispose']) : endBy));
  active.delete(ctl);
}

function kueProduce() {
  if (rnd() < 0.5) return;
  if (kueNext - kueFinal > WIN / 2) return; // the settling window is full: a reader is stuck (reported at its close)
  const burst = rnd() < 0.1;
  const n = burst ? rint(1, 50) : rnd() < 0.1 ? rint(100, 300) : rint(1, 30);
  const size = pick([8, 16, 64, 200, 1024, 4000]);
  const st = kcmd(burst ? `kue burst ${n} ${size}` : `kue send ${n} ${size}`);
  const count = burst ? 2 * n : n;
  if (st.first !== kueNext || st.last !== kueNext + count - 1) fail(`kue ${burst ? 'burst' : 'send'} ${n}: first=${st.first} last=${st.last}, expected ${kueNext}..${kueNext + count - 1}`);
  const readers = openKue.size;
  for (let s = kueNext; s < kueNext + count; s++) kueExp[s & (WIN - 1)] = readers;
  if (readers > 0) kueCmds.push({ first: st.first, last: st.last, size, n });
  kueNext += count;
  tot.kue.sent += count;
  tot.kue.sendCmds++;
  if (readers > 0) tot.kue.sentWhileOpen += count;
  kueSettle();
}

// ------------------------------------------------------------ ummunotify
let cookieNext = 1n;
const openUmmu = new Set();
let readEpoch = 0;
const readLog = []; // { cookie, epoch } of INVAL events read(2) returned, not yet handed to us

/** @kchan/native with read() logging what each read(2) returned (docs/readers.md: one binding interface). */
const ummuBinding = {
  open: native.open,
  close: native.close,
  ioctl: native.ioctl,
  mmap: native.mmap,
  addressOf: native.addressOf,
  waitReadable: native.waitReadable,
  pageSize: native.pageSize,
  read(fd, buf) {
    const n = native.read(fd, buf);
    readEpoch++;
    const owner = fdOwner.get(fd);
    for (const e of decodeEvents(new DataView(buf.buffer, buf.byteOffset, n), n).events) owner.log.push({ cookie: e.cookie, epoch: readEpoch });
    return n;
  },
};
const fdOwner = new Map();

function ummuOpen() {
  const u = Ummunotify.open({ binding: ummuBinding, batchEvents: pick([2, 3, 16, 256]) });
  const r = { u, log: [], regions: [], byCookie: new Map(), ops: 0, unexplained: 0, gen0: u.generation, slots: false, mem: null };
  fdOwner.set(u.fd, r);
  if (rnd() < 0.5) {
    u.exchangeFeatures(FEATURE_REGION_GENERATION);
    r.slots = true;
    tot.ummu.slotted++;
  }
  const pages = rint(8, 128);
  r.mem = native.mmapAnonymous(pages * PAGE, native.PROT_READ | native.PROT_WRITE);
  // No transparent huge pages (Debian's default is "always"): a THP split or collapse
  // is one invalidation over 2 MiB, i.e. events no madvise of ours explains.
  r.mem.madvise(0, pages * PAGE, native.MADV_NOHUGEPAGE);
  r.bytes = new Uint8Array(r.mem.buffer);
  for (let i = 0; i < pages; i++) ummuRegister(r, i);
  openUmmu.add(r);
  tot.ummu.opens++;
  return r;
}

function ummuRegister(r, page) {
  const cookie = cookieNext++;
  const start = r.mem.address + BigInt(page * PAGE);
  const g = { cookie, page, start, end: start + BigInt(PAGE), inv: [], hits: 0, watch: null, retired: false };
  if (r.slots) g.watch = r.u.registerWithSlot(start, BigInt(PAGE), cookie);
  else r.u.register(start, BigInt(PAGE), cookie);
  r.regions[page] = g;
  r.byCookie.set(cookie, g);
  tot.ummu.regions++;
}

function ummuOnEvent(r, e) {
  if (skipOne('ummu')) return;
  const rec = r.log.shift();
  if (!rec || rec.cookie !== e.cookie) return fail(`ummu: event ${e.cookie} handed out, read(2) returned ${rec?.cookie}`);
  const g = r.byCookie.get(e.cookie);
  if (!g) return fail(`ummu: event for unknown cookie ${e.cookie}`);
  if (e.hintStart < g.start || e.hintEnd > g.end || e.hintStart >= e.hintEnd) fail(`ummu: cookie ${e.cookie}: hint ${e.hintStart}..${e.hintEnd} outside ${g.start}..${g.end}`);
  // The event was read by read(2) number rec.epoch: it covers the invalidations made before that read.
  let k = 0;
  while (k < g.inv.length && g.inv[k] < rec.epoch) k++;
  if (g.retired && rec.epoch > g.retiredEpoch) return fail(`ummu: cookie ${e.cookie}: event read by read #${rec.epoch}, after the region was unregistered (read #${g.retiredEpoch})`);
  if (k === 0) {
    // No madvise of ours before this read: the kernel invalidated the page itself (THP
    // split or collapse, migration, compaction). Allowed only if the fd's generation
    // moved more often than we called madvise (checked at close).
    r.unexplained++;
    tot.ummu.unexplainedEvents++;
    return;
  }
  g.inv.splice(0, k);
  tot.ummu.events++;
  tot.ummu.coveredHits += k;
  if (g.retired) tot.ummu.lateEvents++;
}

function ummuProduce() {
  if (openUmmu.size === 0 || rnd() < 0.3) return;
  const r = pick([...openUmmu]);
  const ops = rint(1, 8);
  for (let o = 0; o < ops; o++) {
    const pages = r.regions.length;
    if (rnd() < 0.05) {
      // Unregister one region (its pending event goes with it, documented), register the page anew.
      const g = r.regions[rint(0, pages - 1)];
      if (g.watch && g.watch.generation - g.watch.seen < BigInt(g.hits)) fail(`ummu: cookie ${g.cookie}: slot moved ${g.watch.generation - g.watch.seen}, ${g.hits} invalidations`);
      if (g.watch) tot.ummu.slotChecks++;
      r.u.unregister(g.cookie);
      g.retired = true;
      g.retiredEpoch = readEpoch;
      tot.ummu.unregisters++;
      ummuRegister(r, g.page);
      continue;
    }
    const first = rint(0, pages - 1);
    const n = Math.min(rint(1, 4), pages - first);
    for (let i = first; i < first + n; i++) r.bytes[i * PAGE + rint(0, PAGE - 1)] = 1; // populate (no invalidation)
    r.mem.madvise(first * PAGE, n * PAGE, native.MADV_DONTNEED);
    r.ops++;
    tot.ummu.ops++;
    for (let i = first; i < first + n; i++) {
      const g = r.regions[i];
      g.inv.push(readEpoch);
      g.hits++;
      tot.ummu.hits++;
    }
  }
}

/**
 * Drain and close (synchronously, before the read loop is awaited); returns
 * the accounting step, run once the loop has ended: an events() iterator
 * still hands out the rest of a batch it read before the close.
 */
function ummuFinish(r, how) {
  const { u } = r;
  const drained = u.drain();
  const again = u.drain().events;
  const genNow = u.generation;
  for (const g of r.byCookie.values()) if (g.watch && !g.retired) g.slotNow = g.watch.generation;
  openUmmu.delete(r);
  fdOwner.delete(u.fd);
  if (how === 'dispose') u[Symbol.dispose]();
  else u.close();
  u.close();
  // After close: this unmap is no invalidation anyone hears of.
  r.mem.unmap();
  return () => {
    for (const e of drained.events) ummuOnEvent(r, e);
    for (const e of again) fail(`ummu: a second drain found cookie ${e.cookie}`);
    if (r.log.length) fail(`ummu: ${r.log.length} events read(2) but never handed out`);
    if (drained.generation !== genNow) fail(`ummu: drain() generation ${drained.generation} != page ${genNow}`);
    const kernelInv = Number(genNow - r.gen0) - r.ops;
    if (kernelInv < 0) fail(`ummu: generation moved ${genNow - r.gen0}, fewer than the ${r.ops} invalidating madvise calls`);
    if (r.unexplained > 0 && kernelInv <= 0) fail(`ummu: ${r.unexplained} events no invalidation explains, and the generation moved only with our ${r.ops} madvise calls`);
    tot.ummu.genDelta += Number(genNow - r.gen0);
    tot.ummu.kernelInvalidations += Math.max(kernelInv, 0);
    for (const g of r.byCookie.values()) {
      if (g.retired) {
        // Invalidations no event read before the unregister reported: dropped with the region (documented).
        tot.ummu.discardedHits += g.inv.length;
        continue;
      }
      if (g.inv.length) fail(`ummu: cookie ${g.cookie}: ${g.inv.length} invalidations never reported (after drain)`);
      if (g.watch) {
        tot.ummu.slotChecks++;
        const moved = g.slotNow - g.watch.seen;
        if (moved < BigInt(g.hits) || (kernelInv === 0 && moved !== BigInt(g.hits))) fail(`ummu: cookie ${g.cookie}: slot moved ${moved}, ${g.hits} invalidations`);
      }
    }
  };
}

async function ummuCycle() {
  const r = ummuOpen();
  faultOnOpen();
  const ctl = makeCtl(rint(20, 2000));
  active.add(ctl);
  const mode = pick(['events', 'events', 'stamp']);
  const endBy = mode === 'stamp' ? pick(['close', 'dispose']) : pick(['abort', 'close', 'dispose']);
  const { signal } = ctl.ac;
  const slow = rnd() < 0.3;
  const loop = (async () => {
    if (mode === 'events') {
      for await (const e of r.u.events({ signal })) {
        ummuOnEvent(r, e);
        if (slow && rnd() < 0.05) await sleep(rint(1, 40));
      }
    } else {
      // The fast path: one load of the generation's stamp, drain() only when it moved.
      let seen = r.u.stamp;
      while (!r.u.closed) {
        await sleep(rint(1, 40));
        if (r.u.closed) break;
        if (r.u.stamp === seen) continue;
        const { events, generation } = r.u.drain();
        for (const e of events) ummuOnEvent(r, e);
        seen = generationStamp(generation);
      }
    }
  })();
  await ctl.ended;
  clearTimeout(ctl.timer);
  await settle(`ummu ${mode}`, loop, ctl, endBy, 'end', () => ummuFinish(r, endBy === 'abort' ? pick(['close', 'dispose']) : endBy));
  active.delete(ctl);
}

// ------------------------------------------------------------- sampling
function meminfo() {
  const out = {};
  for (const line of readFileSync('/proc/meminfo', 'utf8').split('\n')) {
    const m = /^(\w+):\s+(\d+) kB/.exec(line);
    if (m) out[m[1]] = Number(m[2]) * 1024;
  }
  return out;
}
function statusKb(key) {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}
const slabBuf = Buffer.alloc(1 << 20);
/** Active objects × size of kchan's caches and the kmalloc caches, from /proc/slabinfo (opened as root). */
function slabinfo() {
  if (slabinfoFd < 0) return null;
  let len = 0;
  for (;;) {
    const n = readSync(slabinfoFd, slabBuf, len, slabBuf.length - len, len);
    if (n <= 0) break;
    len += n;
  }
  let kchan = 0;
  let all = 0;
  for (const line of slabBuf.toString('utf8', 0, len).split('\n')) {
    const f = line.split(/\s+/);
    if (f.length < 4 || line.startsWith('#') || line.startsWith('slabinfo')) continue;
    const bytes = Number(f[1]) * Number(f[3]);
    all += bytes;
    if (/ummu|kchan|kue|watch/.test(f[0])) kchan += bytes;
  }
  return { kchanCaches: kchan, allActive: all };
}

/** The user's RLIMIT_MEMLOCK charge, exactly: charge watch_queue rings (256 down to 1 page) until refused. */
function memlockCharge() {
  if (opt['as-root']) return 0;
  const held = [];
  let pages = 0;
  try {
    for (let size = 256; size >= 1; size >>= 1) {
      for (;;) {
        const wq = WatchQueue.open();
        try {
          wq.setSize(size);
        } catch (err) {
          wq.close();
          if (err?.code !== 'ENOMEM') throw err;
          break;
        }
        held.push(wq);
        pages += size;
      }
    }
  } finally {
    for (const wq of held) wq.close();
  }
  return MEMLOCK_PAGES - pages;
}

const samples = [];
let fdBase = null;
function measure() {
  global.gc?.();
  global.gc?.();
  const mu = process.memoryUsage();
  const mi = meminfo();
  const ks = kcmd('kue count');
  const us = kcmd('ummu stats');
  const s = {
    t: Math.round(elapsed() * 10) / 10,
    heapUsed: mu.heapUsed,
    rss: mu.rss,
    external: mu.external,
    fds: readdirSync('/proc/self/fd').length,
    slab: mi.Slab,
    sunreclaim: mi.SUnreclaim,
    vmlck: statusKb('VmLck'),
    memlockPages: memlockCharge(),
    ummuRegions: us.regions - ummu0.regions,
    ummuContexts: us.contexts - ummu0.contexts,
    kueReaders: ks.readers,
    kueQueued: ks.queued_msgs,
    slabinfo: slabinfo(),
  };
  if (fdBase === null) fdBase = s.fds;
  if (s.fds !== fdBase) fail(`sample at ${s.t} s: ${s.fds} fds open with no reader open, ${fdBase} in the first sample`);
  if (s.vmlck !== 0) fail(`sample at ${s.t} s: VmLck ${s.vmlck}`);
  if (s.memlockPages !== 0) fail(`sample at ${s.t} s: ${s.memlockPages} pages still charged to RLIMIT_MEMLOCK with no reader open`);
  if (s.ummuRegions !== 0 || s.ummuContexts !== 0) fail(`sample at ${s.t} s: ummu regions ${s.ummuRegions}, contexts ${s.ummuContexts} left with no reader open`);
  if (s.kueReaders !== 0 || s.kueQueued !== 0) fail(`sample at ${s.t} s: kue readers ${s.kueReaders}, queued ${s.kueQueued} with no reader open`);
  samples.push(s);
  return s;
}

/** Stop every reader (their waits aborted or closed), wait until none is open, measure, resume. */
async function quiesceAndMeasure() {
  quiescing = true;
  for (const ctl of active) ctl.end('quiesce');
  while (active.size > 0) await sleep(5);
  const s = measure();
  quiescing = false;
  const w = resumeWaiters;
  resumeWaiters = [];
  for (const r of w) r();
  return s;
}

// ---------------------------------------------------------------- run
async function slotLoop(cycle, arg) {
  while (!stopping) {
    await gate();
    if (stopping) break;
    try {
      await cycle(arg);
    } catch (err) {
      fail(`reader cycle threw: ${err?.stack ?? err}`);
      await sleep(100);
    }
  }
}

let producing = true;
async function producerLoop() {
  while (producing) {
    try {
      wqProduce();
      kueProduce();
      ummuProduce();
    } catch (err) {
      fail(`producer threw: ${err?.stack ?? err}`);
    }
    await sleep(rint(1, 15));
  }
}

const producer = producerLoop();
await sleep(200);
measure().baseline = true; // t≈0: producers running, no reader opened yet (fd baseline; not in the medians)
const slots = [slotLoop(wqCycle, 0), slotLoop(wqCycle, 1), slotLoop(wqCycle, 2), slotLoop(kueCycle), slotLoop(kueCycle), slotLoop(ummuCycle), slotLoop(ummuCycle)];

let lastProgress = 0;
let snapped = false;
let nextSample = SAMPLE_MS;
while (elapsed() < SECONDS) {
  await sleep(250);
  if (elapsed() * 1000 >= nextSample) {
    nextSample += SAMPLE_MS;
    const s = await quiesceAndMeasure();
    if (opt.snapshots && !snapped && s.t >= Math.min(60, SECONDS / 3)) {
      snapped = true;
      console.log(`soak: heap snapshot ${writeHeapSnapshot(`${opt.snapshots}/soak-1.heapsnapshot`)}`);
    }
  }
  if (elapsed() - lastProgress >= 10) {
    lastProgress = elapsed();
    const s = samples[samples.length - 1];
    console.log(
      `soak: ${Math.round(elapsed())}/${SECONDS} s  wq posts ${tot.wq.posts} read ${tot.wq.read} lost ${tot.wq.lostInBand + tot.wq.lostUnreported} (${tot.wq.opens} opens)` +
        `  kue sent ${tot.kue.sent} read ${tot.kue.read} lost ${tot.kue.lostTotalKernel} (${tot.kue.opens} opens)` +
        `  ummu inval ${tot.ummu.ops} events ${tot.ummu.events} (${tot.ummu.opens} opens)` +
        `  heap ${(s.heapUsed / 1048576).toFixed(1)} MiB fds ${s.fds} SUnreclaim ${(s.sunreclaim / 1024).toFixed(0)} kB  failures ${failures.length}`,
    );
  }
}

// The end: stop the readers, then the producers; settle everything.
stopping = true;
quiescing = true;
for (const ctl of active) ctl.end('stop');
for (const r of resumeWaiters.splice(0)) r();
await Promise.all(slots);
producing = false;
await producer;
kueSettle();
const final = measure();
if (opt.snapshots) console.log(`soak: heap snapshot ${writeHeapSnapshot(`${opt.snapshots}/soak-2.heapsnapshot`)}`);
const kue1 = kcmd('kue count'); // waits for the due callbacks
writeSync(limitFd, `${oldLimit}\n`, 0);
for (const fd of leaked) if (typeof fd === 'number') closeSync(fd);

// ------------------------------------------------------------ the books
const cb = {
  delivered: kue1.cb_delivered - kue0.cb_delivered,
  dropped: kue1.cb_dropped - kue0.cb_dropped,
  recalled: kue1.cb_recalled - kue0.cb_recalled,
  droppedStat: kue1.dropped - kue0.dropped,
};
const checks = [];
function check(name, ok, detail) {
  checks.push({ name, ok, detail });
  if (!ok) fail(`${name}: ${detail}`);
}
const W = tot.wq;
check('wq: posts x rings open = read + lost', W.expected === W.read + W.lostInBand + W.lostUnreported, `${W.expected} = ${W.read} + ${W.lostInBand} + ${W.lostUnreported}`);
check('wq: entries the kernel wrote (kchan_test delivered=) = entries read', W.kernelWritten === W.read, `${W.kernelWritten} = ${W.read}`);
const K = tot.kue;
check('kue: messages sent = seq range', kue1.next_seq - kue0.next_seq === K.sent && kueNext === kue1.next_seq, `${K.sent} = ${kue1.next_seq} - ${kue0.next_seq}`);
check('kue: callbacks: delivered + dropped = sent, none recalled', cb.delivered + cb.dropped === K.sent && cb.recalled === 0, `${cb.delivered} + ${cb.dropped} = ${K.sent}, recalled ${cb.recalled}`);
check('kue: messages some open reader never got = dropped callbacks = kue dropped counter', K.droppedSeqs === cb.dropped && cb.droppedStat === cb.dropped, `${K.droppedSeqs} = ${cb.dropped} = ${cb.droppedStat}`);
check('kue: every seq settled', K.droppedSeqs + K.deliveredSeqs === K.sent, `${K.droppedSeqs} + ${K.deliveredSeqs} = ${K.sent}`);
check('kue: per reader, sent while open = read + lost (KUE_IOC_INFO)', K.expected === K.read + K.lostTotalKernel, `${K.expected} = ${K.read} + ${K.lostTotalKernel}`);
check('kue: nothing queued, no reader left', kue1.queued_msgs === 0 && kue1.readers === 0, `queued ${kue1.queued_msgs}, readers ${kue1.readers}`);
const U = tot.ummu;
check('ummu: invalidations = reported (coalesced) + dropped with an unregistered region', U.hits === U.coveredHits + U.discardedHits, `${U.hits} = ${U.coveredHits} + ${U.discardedHits}`);
check('ummu: generation moves = our madvise calls + kernel-initiated invalidations', U.genDelta === U.ops + U.kernelInvalidations, `${U.genDelta} = ${U.ops} + ${U.kernelInvalidations} (events they explain: ${U.unexplainedEvents})`);
check('ummu: no region or context left', final.ummuRegions === 0 && final.ummuContexts === 0, `regions ${final.ummuRegions}, contexts ${final.ummuContexts}`);

// ------------------------------------------------- first vs last minute
const win = Math.min(60, SECONDS / 3);
const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length ? (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2 : NaN;
};
const firstS = samples.filter((s) => !s.baseline && s.t <= win + 0.5);
const lastS = samples.filter((s) => s.t >= SECONDS - win - 0.5 && s !== final);
const flat = {};
function compare(key, pct, abs) {
  const a = median(firstS.map((s) => s[key]));
  const b = median(lastS.map((s) => s[key]));
  const limit = pct === undefined ? 0 : Math.max((a * pct) / 100, abs);
  const ok = b - a <= limit;
  flat[key] = { first: a, last: b, delta: b - a, limit: pct === undefined ? 'equal' : `+max(${pct} %, ${abs} B)`, ok };
  if (!ok) fail(`${key}: last-minute median ${b} vs first-minute ${a}: +${b - a} > ${limit}`);
}
compare('heapUsed', TOL.heapPct, TOL.heapBytes);
compare('sunreclaim', TOL.slabPct, TOL.slabBytes);
compare('fds');
compare('vmlck');
compare('memlockPages');
// Trend after the first minute (least squares over the samples), reported: a leak too slow
// for the first-vs-last bound shows up here as bytes per hour.
function slopePerHour(key) {
  const pts = samples.filter((s) => !s.baseline && s !== final && s.t > win);
  if (pts.length < 3) return null;
  const mt = pts.reduce((a, s) => a + s.t, 0) / pts.length;
  const mv = pts.reduce((a, s) => a + s[key], 0) / pts.length;
  let num = 0;
  let den = 0;
  for (const s of pts) {
    num += (s.t - mt) * (s[key] - mv);
    den += (s.t - mt) ** 2;
  }
  return Math.round((num / den) * 3600);
}
const trend = { heapUsedPerHour: slopePerHour('heapUsed'), rssPerHour: slopePerHour('rss'), sunreclaimPerHour: slopePerHour('sunreclaim') };
if (trend.heapUsedPerHour !== null && trend.heapUsedPerHour > TOL.heapTrendPerHour) {
  fail(`heapUsed: trend after the first minute ${trend.heapUsedPerHour} B/h > ${TOL.heapTrendPerHour} B/h`);
}
check('ring: wait() with an aborted signal always rejected', notes.wqWaitResolvedAborted === 0, `${notes.wqWaitResolvedAborted} resolved`);
flat.rss = { first: median(firstS.map((s) => s.rss)), last: median(lastS.map((s) => s.rss)), limit: 'reported only' };
flat.slab = { first: median(firstS.map((s) => s.slab)), last: median(lastS.map((s) => s.slab)), limit: 'reported only' };

const result = {
  ok: failures.length === 0,
  kernel: release(),
  node: process.version,
  seed: SEED,
  seconds: SECONDS,
  wallSeconds: Math.round(elapsed()),
  user,
  memlockPages: opt['as-root'] ? null : MEMLOCK_PAGES,
  kueLimitBytes: KUE_LIMIT,
  fault: FAULT || null,
  notes,
  samplesEvery: SAMPLE_MS / 1000,
  windowSeconds: win,
  tolerances: TOL,
  totals: tot,
  kueCallbacks: cb,
  checks,
  flat,
  trend,
  failures,
  samples,
};
const json = JSON.stringify(result);
writeSync(outFd, json);
closeSync(outFd);
console.log(`soak: ${result.ok ? 'PASS' : `FAIL (${failures.length} failures)`} after ${result.wallSeconds} s`);
for (const c of checks) console.log(`soak:   ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
for (const [k, v] of Object.entries(flat)) console.log(`soak:   ${v.ok === false ? 'FAIL' : 'ok  '} ${k}: first minute ${v.first}, last minute ${v.last} (${v.limit})`);
console.log(`soak:   trend after the first minute, per hour: heap ${trend.heapUsedPerHour} B, RSS ${trend.rssPerHour} B, SUnreclaim ${trend.sunreclaimPerHour} B (reported)`);
console.log(`SOAK-JSON ${JSON.stringify({ ...result, samples: undefined })}`);
process.exit(result.ok ? 0 : 1);
