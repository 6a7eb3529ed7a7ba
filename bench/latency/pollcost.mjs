#!/usr/bin/env node
// Where a JS wake-up's time goes (bench/latency/README.md): the parts of the
// readers' wait path, each timed alone in a loop, in the same guest as the
// latency cases (guest.mjs runs it and adds the figures to its JSON).
//
// - a new native Poller, start(), close(): what every wait() of the three
//   readers cost before waitReadable() kept its watcher (minus the wake);
// - a long-lived Poller's start() + stop(): what a wait costs it now;
// - a whole wait on an fd that is already readable, awaited, both ways:
//   waitReadable() (the kept watcher) and a new Poller per wait; each
//   includes the event-loop turn that delivers the wakeup;
// - a read(2) of 8 bytes from JS (any syscall's floor from JS);
// - process.hrtime.bigint() (the clock read the measurement itself adds);
// - an already-resolved promise awaited (the async step after a wake).
const native = await import(new URL('../../packages/native/dist/index.js', import.meta.url).href);
const N = Number(process.argv[2] ?? 2000);
const [r, w] = native.pipe2(native.O_NONBLOCK | native.O_CLOEXEC);
const devZero = native.open('/dev/zero', native.O_RDONLY | native.O_CLOEXEC);
const buf = new Uint8Array(8);

function time(fn) {
  for (let i = 0; i < 50; i++) fn(); // warm up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) fn();
  return Number(process.hrtime.bigint() - t0) / N;
}

const noop = () => {};
const out = {
  newPollerStartClose: time(() => {
    const p = new native.Poller(r, noop);
    p.start();
    p.close();
  }),
  persistentStartStop: (() => {
    const p = new native.Poller(r, noop);
    const ns = time(() => {
      p.start();
      p.stop();
    });
    p.close();
    return ns;
  })(),
  read8: time(() => native.read(devZero, buf)),
  hrtimeBigint: time(() => process.hrtime.bigint()),
};
// A whole wait on a readable fd (a byte sits in the pipe): the kept
// watcher of waitReadable(), then a new Poller per wait as before.
native.write(w, new Uint8Array(1));
async function timeAsync(fn, n) {
  for (let i = 0; i < 50; i++) await fn();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await fn();
  return Number(process.hrtime.bigint() - t0) / n;
}
out.waitKept = await timeAsync(() => native.waitReadable(r), N / 4);
out.waitNewPoller = await timeAsync(
  () =>
    new Promise((resolve) => {
      const p = new native.Poller(r, () => {
        p.close();
        resolve();
      });
      p.start();
    }),
  N / 4,
);
// An awaited resolved promise: timed over a loop of awaits.
{
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) await Promise.resolve(i);
  out.awaitResolved = Number(process.hrtime.bigint() - t0) / N;
}
// One trip through the event loop (setImmediate), for scale.
{
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N / 4; i++) await new Promise((res) => setImmediate(res));
  out.loopTurn = Number(process.hrtime.bigint() - t0) / (N / 4);
}
native.close(r);
native.close(w);
native.close(devZero);
process.stdout.write(`${JSON.stringify(out)}\n`);
