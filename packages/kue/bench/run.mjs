#!/usr/bin/env node
// @kchan/kue benchmarks (not tests: nothing here asserts timings).
//
//   node bench/run.mjs          run the kernel part in the VM (node vm/run.mjs
//                               exec) and write the kue section of
//                               docs/benchmarks.md
//   node bench/run.mjs --vm     kernel part only (inside the VM), JSON on stdout
//
// Measures, on the real /dev/kue (QEMU TCG: absolute rates are 10-50x below
// a real machine):
// - messages/s read by KueReader with batched reads (64 KiB buffer) vs one
//   message per read() (a buffer that holds exactly one record), 64-byte
//   messages;
// - kernel memory per queued message (slab growth / messages queued).
//
// The guest's speed drifts by up to 2x within seconds (the emulator shares
// the host), so each ratio comes from pairs: one batched and one
// single-record drain right after each other (in alternating order), one
// ratio per pair; the table shows the median pair and the middle half.
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
/** Messages per batched drain. */
const N = 20_000;
/** Messages per single-record drain (each costs a read(): ~10 us in the guest). */
const N_SINGLE = 2_000;
/** Pairs (batched drain, single-record drain) per way of reading. */
const PAIRS = 61;
/** Read buffers: batched, and exactly one record. */
const BIG = 64 * 1024;
const ONE = recordSize(SIZE);

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

/**
 * Wait for the retire work (callbacks, frees) left by earlier drains, so
 * that it does not run during the next timed one ("kue count" flushes it).
 */
function settle() {
  kcmd('kue count');
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
 * Queue n messages and read them all with KueReader; returns ns per message.
 * `consume`: consume() (a reused record per message); otherwise readBatch()
 * (an object, a payload view and a BigInt per message).
 */
async function drain(n, bufferSize, consume) {
  const r = KueReader.open({ bufferSize });
  try {
    kcmd(`kue send ${n} ${SIZE}`);
    settle();
    let got = 0;
    bytes = 0;
    const t0 = process.hrtime.bigint();
    while (got < n) {
      let k;
      if (consume) {
        k = r.consume(onRecord);
      } else {
        const batch = r.readBatch();
        k = batch.length;
        for (const m of batch) bytes += m.payload.byteLength + (m.payload[0] & 0);
      }
      if (k === 0) throw new Error(`only ${got} of ${n} messages queued`);
      got += k;
    }
    const ns = Number(process.hrtime.bigint() - t0);
    if (bytes !== n * SIZE) throw new Error('payload bytes mismatch');
    return { nsPerMsg: ns / n, reads: r.stats.reads };
  } finally {
    r.close();
  }
}

/** Raw read(2) loop without decoding (kernel + syscall cost only); ns per message. */
function rawDrain(n, bufferSize) {
  const fd = native.open('/dev/kue', native.O_RDONLY | native.O_NONBLOCK | native.O_CLOEXEC);
  try {
    kcmd(`kue send ${n} ${SIZE}`);
    settle();
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
    if (bytes !== n * ONE) throw new Error('raw bytes mismatch');
    return { nsPerMsg: ns / n };
  } finally {
    native.close(fd);
  }
}

/** The q-quantile (0..1) of xs, by nearest rank. */
function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.round((s.length - 1) * q)];
}

/**
 * PAIRS pairs of drains, batched (64 KiB buffer) and one record per read(),
 * back to back in alternating order. Returns the median rates, the median
 * pair ratio and the middle half of the pair ratios.
 */
async function pairs(drainWith) {
  const b = [];
  const s = [];
  let reads = 0;
  for (let i = 0; i < PAIRS; i++) {
    if (i % 2) s.push(await drainWith(N_SINGLE, ONE));
    const one = await drainWith(N, BIG);
    b.push(one);
    reads = one.reads;
    if (!(i % 2)) s.push(await drainWith(N_SINGLE, ONE));
  }
  const ratios = b.map((x, i) => s[i].nsPerMsg / x.nsPerMsg);
  return {
    batchedMsgsPerSec: 1e9 / quantile(b.map((x) => x.nsPerMsg), 0.5),
    singleMsgsPerSec: 1e9 / quantile(s.map((x) => x.nsPerMsg), 0.5),
    batchedReads: reads,
    ratio: quantile(ratios, 0.5),
    ratioMid: [quantile(ratios, 0.25), quantile(ratios, 0.75)],
  };
}

async function vm() {
  const limit0 = readFileSync(`${PARAMS}/kue_limit_bytes`, 'utf8').trim();
  writeFileSync(`${PARAMS}/kue_limit_bytes`, String(64 << 20));
  try {
    const viaConsume = (n, size) => drain(n, size, true);
    const viaList = (n, size) => drain(n, size, false);
    // Warm up (JIT, slabs), then the pairs.
    for (let i = 0; i < 3; i++) {
      for (const d of [viaConsume, viaList, rawDrain]) {
        await d(N, BIG);
        await d(N_SINGLE, ONE);
      }
    }
    const consume = await pairs(viaConsume);
    const list = await pairs(viaList);
    const raw = await pairs(rawDrain);

    // Memory: queue N messages for one open reader, compare slab usage.
    const r = KueReader.open();
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
      consume,
      list,
      raw,
      queuedMsgs: Number(info.queued_msgs),
      payloadPerMsg: Number(info.queued_bytes) / Number(info.queued_msgs),
      slabPerMsg: (s1 - s0) / Number(info.queued_msgs),
    };
  } finally {
    writeFileSync(`${PARAMS}/kue_limit_bytes`, limit0);
  }
}

/** What the figures say (edit when the code or the figures change). */
const ANALYSIS = [
  'Target: batching >= 20x one message per read() for 64-byte messages: met on both kernels in the run',
  'above. How far above depends on the run and on the machine the emulator runs on. On 2026-12-03, on',
  'this machine, earlier runs (code of 2026-12-02 and of 2026-12-03; six on 6.1, four on 6.12) gave 22.6-31.1x on',
  '6.1 and 25.0-31.7x on 6.12: within one run the guest drifts (the same drain costs 0.34 or 0.65 us per',
  'message from one minute to the next), which the pairing absorbs only in part. On 2026-12-02 another',
  'machine of the same kind gave 18.5-19.0x on 6.1 and 21.5-21.7x on 6.12 with the code of that day: a',
  'batched message cost ~0.6 us through consume() and ~0.4 us raw there, ~0.35 and ~0.23 us here, one',
  'message per read() ~10.5 us there and ~9.5 us here: that machine ran the per-message work up to',
  '1.7x slower, the system call ~1.1x. What the ratio is made of in the guest: a read() round trip from',
  'JS; per message in a batched read the kernel (~0.2-0.3 us with a C reader) and consume()\'s decode',
  'and callback (~0.1 us). Raw read() batching without decoding: see the raw column. readBatch() no',
  'longer makes a DataView and a Uint32Array per call (2026-12-03): one message per read() costs',
  '~11 us instead of ~19.5 (same-boot A/B), so its batching gain is lower than before.',
  '',
  'Changes of 2026-12-03: `KueRecord.seq` is read from the header when the callback asks for it instead',
  'of computed for every record (a floating-point multiply-add: same-boot A/B, 45 pairs, batched',
  'consume() 369 -> 344 ns per message on 6.1, 354 -> 329 on 6.12).',
  '',
  'Changes of 2026-12-02 (docs/kue.md): records written straight into the user buffer in one',
  'user-access section per run instead of staged and copied twice; one rbtree node per 16 queued',
  'messages instead of one each (rb_erase() was ~20% of a batched read per message); copied payloads',
  'stored zero-padded and written in whole words; a decoder reading words through a Uint32Array, whose',
  'callback call site is no longer shared with readBatch() (sharing made it megamorphic in a process',
  'using both, as this one does: consume() ran at two thirds of its speed). Tried and dropped: copying',
  'under the lock with page faults disabled, with no reference per message (4-6% less per message, for',
  'a second copy path); read batches of 16-128 messages (16 up to 10% cheaper in a C reader in some',
  'boots, within noise in others; left at 32); freeing in the retire work after the reads (no effect).',
  'Emulation prices system calls, memory accesses and branches differently from hardware; measure',
  'there before drawing conclusions. Memory per message is slab growth: the 104-byte',
  '`struct kue_msg` and the padded payload in one kmalloc-192 object.',
];

function section(results) {
  const f = (x) => Math.round(x).toLocaleString('en-US');
  const gain = (p) => `${p.ratio.toFixed(1)}x (${p.ratioMid[0].toFixed(1)}-${p.ratioMid[1].toFixed(1)})`;
  const rows = results.map(
    (r) =>
      `| ${r.kernel} | ${f(r.consume.batchedMsgsPerSec)} (${r.consume.batchedReads} reads) | ${f(r.consume.singleMsgsPerSec)} | **${gain(r.consume)}** | ` +
      `${f(r.list.batchedMsgsPerSec)} / ${f(r.list.singleMsgsPerSec)}: ${gain(r.list)} | ` +
      `${f(r.raw.batchedMsgsPerSec)} / ${f(r.raw.singleMsgsPerSec)}: ${gain(r.raw)} | ${r.payloadPerMsg} B | ${f(r.slabPerMsg)} B |`,
  );
  return [
    '<!-- kue:start -->',
    '## @kchan/kue',
    '',
    `Generated by \`pnpm --filter @kchan/kue bench\` on ${new Date().toISOString().slice(0, 10)}, inside the QEMU/TCG guest`,
    '(absolute rates are far below real hardware).',
    `Messages of ${SIZE} bytes, queued by kchan_test, read by one KueReader with \`consume()\` (one reused`,
    `record per message). Batched: ${N} messages through a 64 KiB buffer. One per read: ${N_SINGLE} messages`,
    `through a buffer of exactly one record (${ONE} bytes). The guest's speed drifts by up to 2x within`,
    `seconds, so the two are measured in ${PAIRS} back-to-back pairs (alternating which goes first): the gain is`,
    'the median of the per-pair ratios, in brackets the middle half of them (quartiles); rates are',
    `medians. Memory: slab growth (all caches, /proc/slabinfo) while ${N} messages are queued for an open`,
    'reader, divided by the messages queued (KUE_IOC_INFO).',
    '',
    'readBatch(): the same with `readBatch()`, which makes an object, a payload view and a BigInt per',
    'message. Raw: `native.read()` alone, no decoding: the kernel and the system call, i.e. the most',
    'any reader can get from batching on this machine.',
    '',
    '| kernel | consume() batched msgs/s | consume() one per read() msgs/s | batching gain, median pair (quartiles) | readBatch() batched / one per read | raw batched / one per read | payload/msg | kernel memory/msg |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    ...ANALYSIS,
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
