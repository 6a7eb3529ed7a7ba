'use strict';
// @kchan/ring: a simulated ring through RingWriter and RingReader.
const assert = require('node:assert/strict');
const { RingReader, RingWriter, createSharedRing } = require('@kchan/ring');
const sab = createSharedRing(256);
const w = new RingWriter(sab);
for (let i = 0; i < 100; i++) assert.equal(w.post(3, i & 0x7f, 0, new Uint8Array([i, i, i])), 'posted');
const reader = new RingReader(sab);
const seen = [];
reader.consume((e) => seen.push(e.subtype));
assert.deepEqual(seen, Array.from({ length: 100 }, (_, i) => i & 0x7f));
console.log('ring: 100 entries through RingWriter/RingReader');
