// Poster thread for the wake handshake test: waits for round requests on a
// shared counter and posts one KAPI notification per round through
// /dev/kchan_test, so the post races with the main thread going to sleep.
const { workerData } = require('node:worker_threads');
const { openSync, writeSync } = require('node:fs');

const ctl = new Int32Array(workerData.sab); // [0] requested rounds, [1] posted rounds, [2] stop
const fd = openSync('/dev/kchan_test', 'r+');
const cmd = Buffer.from('wq post 3 0 1');
let done = 0;
for (;;) {
  while (Atomics.load(ctl, 0) === done && Atomics.load(ctl, 2) === 0) Atomics.wait(ctl, 0, done, 1000);
  if (Atomics.load(ctl, 2) !== 0) break;
  writeSync(fd, cmd);
  done++;
  Atomics.store(ctl, 1, done);
}
