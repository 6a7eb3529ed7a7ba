#!/usr/bin/env node
// Kernel posting rate into one ring (context only; run inside the VM):
//   node vm/run.mjs exec --kernel 6.12 -- node packages/ring/bench/kernel-post-rate.mjs
// Posts through kchan_test ("wq bench <n> <slots>" -> kchan_watch_queue_post())
// into a 256-page ring that has room for every entry, then once more into a
// full ring (the drop path). Prints a Markdown list.
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { release } from 'node:os';
import { WATCH_TYPE_KAPI } from '@kchan/uapi';
import { WatchQueue } from '../dist/index.js';

function kcmd(line) {
  const fd = openSync('/dev/kchan_test', 'r+');
  try {
    writeSync(fd, line);
    const buf = Buffer.alloc(256);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return Object.fromEntries(buf.subarray(0, n).toString().trim().split(/\s+/).map((kv) => kv.split('=')));
  } finally {
    closeSync(fd);
  }
}

const lines = [];
for (const [slots, n] of [[1, 100000], [8, 15000], [63, 2000]]) {
  const wq = WatchQueue.open({ pages: 256 });
  wq.addWatch(WATCH_TYPE_KAPI, 1);
  const fits = kcmd(`wq bench ${n} ${slots}`);
  const full = kcmd(`wq bench ${n} ${slots}`);
  let got = 0;
  wq.consume(() => got++);
  wq.close();
  lines.push(
    `- ${slots * 8}-byte entries: ${fits.ns_per_post} ns per post into an empty ring (${fits.delivered}/${n} written), ` +
      `${full.ns_per_post} ns per post into a full ring (drop and count; ${full.delivered} written)`,
  );
}
console.log(`Kernel ${release()} in the QEMU/TCG guest (emulated CPU, so 10-50x slower than native), one queue, one watch:\n`);
console.log(lines.join('\n'));
