'use strict';
// @kchan/uapi: decode a known struct kue_msg_hdr.
const assert = require('node:assert/strict');
const uapi = require('@kchan/uapi');
const bytes = new Uint8Array(24);
const view = new DataView(bytes.buffer);
view.setBigUint64(0, 42n, true);
view.setBigUint64(8, 7n, true);
view.setUint32(16, uapi.KUE_MSG_FLAG_LOST, true);
view.setUint32(20, 3, true);
assert.deepEqual(uapi.decodeKueMsgHdr(view, 0), { size: 42n, seq: 7n, flags: uapi.KUE_MSG_FLAG_LOST, lost: 3 });
console.log('uapi: decoded struct kue_msg_hdr');
