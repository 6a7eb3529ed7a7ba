#!/usr/bin/env node
// @kchan/kue benchmarks (not tests: nothing here asserts timings).
//
//   node bench/run.mjs          run the kernel part in the VM (node vm/run.mjs
//                               exec) and write the kue section of
//                               docs/benchmarks.md
//   node bench/run.mjs --vm     kernel part only (inside the VM), JSON on stdout
//
// Measures, on the real /dev/kue (QEMU TCG: absolute rates are 10-50x below
// a real machine, ratios hold):
// - messages/s read by KueReader with batched reads (64 KiB buffer) vs one
//   message per read() (a buffer that holds exactly one record), 64-byte
//   messages;
// - kernel memory per queued message (slab growth / messages queued).
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, readSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as native from '@kchan/native';
import { KueReader, recordSize } from '../dist/index.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '../../..');
const PARAMS = '/sys/module/kchan/parameters';
const SIZE = 64;
const N = 20_000;
/** Runs of each kind; the best counts (TCG timings vary by up to 2x run to run). */
const RUNS = 5;

function kcmd(line) {
  const fd = openSync('/dev/kchan_test', 'r+');
  try {
    writeSync(fd, line);
    const buf = Buffer.alloc(512);
    return buf.subarray(0, readSync(fd, buf, 0, buf.length, 0)).toString();
  } finally {
    closeSync(fd);
  }
}

/** Bytes held by all slab caches (active objects x object size). */
function slabBytes() {
  let total = 0;
  for (const line of readFileSync('/proc/slabinfo', 'utf8').split('\n').slice(2)) {
    const f = line.trim().split(/\s+/);
    if (f.length > 4) total += Number(f[1]) * Number(f[3]);
  }
  return total;
}

// Per message, both ways touch the payload the same: its size and first byte.
let bytes = 0;
const onRecord = (rec) => {
  bytes += rec.size + (rec.bytes[rec.offset] & 0);
};

/**
 * Read all N queued messages with KueReader; returns ns per message.
 * `consume`: consume() (a reused record per message); otherwise readBatch()
 * (an object, a payload view and a BigInt per message).
 */
async function drain(bufferSize, consume) {
  const r = await KueReader.open({ bufferSize });
  try {
    kcmd(`kue send ${N} ${SIZE}`);
    let got = 0;
    bytes = 0;
    const t0 = process.hrtime.bigint();
    while (got < N) {
      let n;
      if (consume) {
        n = r.consume(onRecord);
      } else {
        const batch = r.readBatch();
        n = batch.length;
        for (const m of batch) bytes += m.payload.byteLength + (m.payload[0] & 0);
      }
      if (n === 0) throw new Error(`only ${got} of ${N} messages queued`);
      got += n;
    }
    const ns = Number(process.hrtime.bigint() - t0);
    if (bytes !== N * SIZE) throw new Error('payload bytes mismatch');
    return { nsPerMsg: ns / N, reads: r.stats.reads };
  } finally {
    r.close();
  }
}

/** Raw read(2) loop without decoding (kernel + syscall cost only); ns per message. */
function rawDrain(bufferSize) {
  const fd = native.open('/dev/kue', native.O_RDONLY | native.O_NONBLOCK | native.O_CLOEXEC);
  try {
    kcmd(`kue send ${N} ${SIZE}`);
    const buf = new Uint8Array(bufferSize);
    let bytes = 0;
    const t0 = process.hrtime.bigint();
    for (;;) {
      try {
        bytes += native.read(fd, buf);
      } catch (err) {
        if (err.code === 'EAGAIN') break;
        throw err;
      }
    }
    const ns = Number(process.hrtime.bigint() - t0);
    if (bytes !== N * recordSize(SIZE)) throw new Error('raw bytes mismatch');
    return { nsPerMsg: ns / N };
  } finally {
    native.close(fd);
  }
}

async function vm() {
  const limit0 = readFileSync(`${PARAMS}/kue_limit_bytes`, 'utf8').trim();
  writeFileSync(`${PARAMS}/kue_limit_bytes`, String(64 << 20));
  try {
    const best = (xs) => xs.reduce((a, b) => (a.nsPerMsg < b.nsPerMsg ? a : b));
    // Each run's single/batched ratio: how far one pair of runs can stray.
    const spread = (singles, batcheds) => {
      const rs = singles.map((s, i) => s.nsPerMsg / batcheds[i].nsPerMsg);
      return [Math.min(...rs), Math.max(...rs)];
    };
    const ONE = recordSize(SIZE);
    const BIG = 64 * 1024;
    // Warm up, then best of RUNS of each, interleaved.
    for (const c of [true, false]) {
      await drain(BIG, c);
      await drain(ONE, c);
    }
    const runs = { batched: [], single: [], batchedList: [], singleList: [] };
    for (let i = 0; i < RUNS; i++) {
      runs.batched.push(await drain(BIG, true));
      runs.single.push(await drain(ONE, true));
      runs.batchedList.push(await drain(BIG, false));
      runs.singleList.push(await drain(ONE, false));
    }
    const batched = best(runs.batched);
    const single = best(runs.single);
    const batchedList = best(runs.batchedList);
    const singleList = best(runs.singleList);

    const raw = { batched: [], single: [] };
    for (let i = 0; i < RUNS; i++) {
      raw.batched.push(rawDrain(BIG));
      raw.single.push(rawDrain(ONE));
    }
    const rawB = best(raw.batched);
    const rawS = best(raw.single);

    // Memory: queue N messages for one open reader, compare slab usage.
    const r = await KueReader.open();
    kcmd('kue count');
    const s0 = slabBytes();
    kcmd(`kue send ${N} ${SIZE}`);
    const s1 = slabBytes();
    const info = r.info();
    r.close();
    return {
      kernel: execFileSync('uname', ['-r']).toString().trim(),
      messages: N,
      size: SIZE,
      batched: { msgsPerSec: 1e9 / batched.nsPerMsg, reads: batched.reads },
      single: { msgsPerSec: 1e9 / single.nsPerMsg, reads: single.reads },
      ratio: single.nsPerMsg / batched.nsPerMsg,
      ratioRange: spread(runs.single, runs.batched),
      listBatchedMsgsPerSec: 1e9 / batchedList.nsPerMsg,
      listSingleMsgsPerSec: 1e9 / singleList.nsPerMsg,
      listRatio: singleList.nsPerMsg / batchedList.nsPerMsg,
      rawRatio: rawS.nsPerMsg / rawB.nsPerMsg,
      rawBatchedMsgsPerSec: 1e9 / rawB.nsPerMsg,
      rawSingleMsgsPerSec: 1e9 / rawS.nsPerMsg,
      queuedMsgs: Number(info.queued_msgs),
      payloadPerMsg: Number(info.queued_bytes) / Number(info.queued_msgs),
      slabPerMsg: (s1 - s0) / Number(info.queued_msgs),
    };
  } finally {
    writeFileSync(`${PARAMS}/kue_limit_bytes`, limit0);
  }
}

function section(results) {
  const f = (x) => Math.round(x).toLocaleString('en-US');
  const rows = results.map(
    (r) =>
      `| ${r.kernel} | ${f(r.batched.msgsPerSec)} (${r.batched.reads} reads) | ${f(r.single.msgsPerSec)} (${r.single.reads} reads) | **${r.ratio.toFixed(1)}x** (${r.ratioRange[0].toFixed(1)}-${r.ratioRange[1].toFixed(1)}) | ` +
      `${f(r.listBatchedMsgsPerSec)} / ${f(r.listSingleMsgsPerSec)} = ${r.listRatio.toFixed(1)}x | ` +
      `${f(r.rawBatchedMsgsPerSec)} / ${f(r.rawSingleMsgsPerSec)} = ${r.rawRatio.toFixed(1)}x | ${r.payloadPerMsg} B | ${f(r.slabPerMsg)} B |`,
  );
  return [
    '<!-- kue:start -->',
    '## @kchan/kue',
    '',
    `Generated by \`pnpm --filter @kchan/kue bench\` on ${new Date().toISOString().slice(0, 10)}, inside the QEMU/TCG guest`,
    '(absolute rates are far below real hardware; the ratio is what counts).',
    `${results[0]?.messages ?? N} messages of ${SIZE} bytes, queued by kchan_test, read by one KueReader`,
    `with \`consume()\` (one reused record per message); best of ${RUNS} runs, interleaved. Batched: 64 KiB`,
    `buffer. One per read: a buffer of exactly one record (${recordSize(SIZE)} bytes). Memory: slab growth (all caches,`,
    `/proc/slabinfo) while ${N} messages are queued for an open reader, divided by the messages queued`,
    '(KUE_IOC_INFO).',
    '',
    'readBatch(): the same with `readBatch()`, which makes an object, a payload view and a BigInt per',
    'message. Raw: `native.read()` alone, no decoding: the kernel and the system call, i.e. the most',
    'any reader can get from batching on this machine.',
    '',
    '| kernel | consume() batched msgs/s | consume() one per read() msgs/s | batching gain (per-run range) | readBatch() batched / one per read | raw batched / one per read | payload/msg | kernel memory/msg |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    'Target: batching >= 20x one message per read() for 64-byte messages. Not met under TCG with',
    'consume(): the ratio is the per-message cost (kernel, plus ~0.15 us of decoding and callback in the',
    'guest; ~10 ns natively) against one read() round trip from JS. Raw read() batching, without the',
    'decoding, is at 13-28x. On 2026-12-02 the read path was made cheaper per message (records staged',
    'and copied out 4 KiB at a time, delivered messages leaving the queue as one run, retire work on the',
    'unbound workqueue; see docs/kue.md): a C reader in the 6.12 guest went from 1466 to 609 ns per message',
    'batched (median of 9), and consume() from 631-728 k to 1.2-1.7 M msgs/s (three bench runs, both',
    'kernels). But one-per-read() sped up too (every read() used to pay the same per-message',
    'retirement), from 44-56 k to 84-126 k msgs/s, so the ratio moved only to 12-18x. What is left per',
    'message in the kernel under TCG (perf in the guest, cpu-clock samples in read()): the gather and',
    'pass bookkeeping ~40%, the payload memcpy into the staging buffer ~30%, rb_erase ~20%. Emulation',
    'prices system calls and memory accesses differently from hardware, so the ratio there will differ;',
    'measure on hardware (or KVM) before drawing conclusions. Memory per message',
    'is slab growth: the 80-byte `struct kue_msg` plus payload in one kmalloc-192 object (copied',
    'payloads); each open fd also holds a 4 KiB staging buffer.',
    '<!-- kue:end -->',
  ].join('\n');
}

function writeDoc(text) {
  const path = join(REPO, 'docs/benchmarks.md');
  let doc;
  try {
    doc = readFileSync(path, 'utf8');
  } catch {
    doc = '# kchan benchmarks\n\nEach package writes its own section (`pnpm bench`).\n';
  }
  const re = /<!-- kue:start -->[\s\S]*<!-- kue:end -->/;
  doc = re.test(doc) ? doc.replace(re, text) : `${doc.trimEnd()}\n\n${text}\n`;
  writeFileSync(path, doc);
  console.log(`wrote ${path}`);
}

if (process.argv.includes('--vm')) {
  console.log(JSON.stringify(await vm()));
} else {
  const results = [];
  for (const kernel of ['6.1', '6.12']) {
    const out = execFileSync(
      'node',
      ['vm/run.mjs', 'exec', '--kernel', kernel, '--', 'node', 'packages/kue/bench/run.mjs', '--vm'],
      { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const line = out.split('\n').find((l) => l.startsWith('{'));
    if (!line) throw new Error(`no result from the ${kernel} VM:\n${out}`);
    const r = JSON.parse(line);
    console.log(JSON.stringify(r));
    results.push(r);
  }
  writeDoc(section(results));
}
