// Producer thread for concurrent.test.ts: posts `count` KAPI entries of 1..4
// slots with the kchan_test payload pattern into a shared ring, waiting
// (spinning) while the ring is full. Imports the built package.
import { parentPort, workerData } from 'node:worker_threads';
import { RingWriter } from '../dist/index.js';

const { sab, count } = workerData;
const wr = new RingWriter(sab, false);
const payloads = [1, 2, 3, 4].map((slots) => new Uint32Array((slots - 1) * 2));
let spins = 0;
for (let seq = 0; seq < count; seq++) {
  const slots = 1 + (seq % 4);
  const words = payloads[slots - 1];
  if (slots === 1) {
    // A one-slot entry carries the seq in its type flags' low byte instead.
    while (!wr.tryPost(3, seq & 0xff, 0)) spins++;
    continue;
  }
  for (let k = 0; k < words.length; k++) words[k] = (seq + k) >>> 0;
  while (!wr.tryPost(3, seq & 0xff, 0, new Uint8Array(words.buffer))) spins++;
}
parentPort.postMessage({ spins });
