'use strict';
// @kchan/native: load the addon and use system calls on a pipe.
const assert = require('node:assert/strict');
const native = require('@kchan/native');
const [r, w] = native.pipe2(native.O_CLOEXEC | native.O_NONBLOCK);
assert.equal(native.write(w, new TextEncoder().encode('kchan')), 5);
const avail = new Int32Array(1);
native.ioctl(r, native.FIONREAD, avail);
assert.equal(avail[0], 5);
const buf = new Uint8Array(16);
assert.equal(native.read(r, buf), 5);
assert.equal(new TextDecoder().decode(buf.subarray(0, 5)), 'kchan');
assert.throws(() => native.read(r, buf), { code: 'EAGAIN' });
native.close(r);
native.close(w);
console.log(`native: pipe2/write/ioctl(FIONREAD)/read on ${process.platform}-${process.arch}`);
