'use strict';
// @kchan/kue: a KueReader over an injected binding (a KchanBinding; no device, no addon).
const assert = require('node:assert/strict');
const { KueReader } = require('@kchan/kue');
const calls = [];
const binding = {
  open: (path, _flags) => (calls.push(['open', path]), 42),
  close: (fd) => calls.push(['close', fd]),
  read: () => {
    const e = new Error('EAGAIN: resource temporarily unavailable, read');
    Object.assign(e, { code: 'EAGAIN', errno: -11, syscall: 'read' });
    throw e;
  },
  ioctl: () => 0,
  waitReadable: () => new Promise(() => {}),
};
const reader = KueReader.open({ path: '/dev/kue-smoke', binding });
assert.ok(reader instanceof KueReader);
reader.close();
assert.deepEqual(calls[0], ['open', '/dev/kue-smoke']);
assert.ok(calls.some(([c, fd]) => c === 'close' && fd === 42));
console.log('kue: KueReader opened and closed over an injected binding');
