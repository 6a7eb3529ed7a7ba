'use strict';
// @kchan/ummunotify: an Ummunotify reader over an injected binding (a KchanBinding; no device, no addon).
const assert = require('node:assert/strict');
const { Ummunotify } = require('@kchan/ummunotify');
const page = new ArrayBuffer(4096);
const calls = [];
const binding = {
  open: (path) => (calls.push(['open', path]), 7),
  close: (fd) => calls.push(['close', fd]),
  ioctl: () => 0,
  read: () => 0,
  mmap: () => ({ buffer: page, unmap() { calls.push(['unmap']); } }),
  addressOf: () => 0n,
  waitReadable: () => new Promise(() => {}),
  pageSize: 4096,
};
const u = Ummunotify.open({ path: '/dev/ummunotify-smoke', binding });
assert.equal(u.fd, 7);
u.close();
assert.deepEqual(calls[0], ['open', '/dev/ummunotify-smoke']);
assert.ok(calls.some(([c, fd]) => c === 'close' && fd === 7));
console.log('ummunotify: Ummunotify opened and closed over an injected binding');
