// @kchan/kue: whole-message reader for /dev/kue.
export { KueReader, type KueReaderOptions, type KueReadOptions, type KueReaderStats } from './reader.js';
export { type KueMessage, KueRecord, decodeRecords, recordSize, KUE_HDR_SIZE, KUE_MAX_RECORD_SIZE } from './decode.js';
export { KUE_DEFAULT_BUFFER_SIZE, nextBufferSize } from './buffer.js';
export { type KueBinding, bindingFromNative, defaultBinding } from './binding.js';
export { KueError, type KueErrorCode } from './errors.js';
export { KUE_MSG_FLAG_LOST, KUE_MAX_MSG_SIZE, KUE_RECORD_ALIGN, type KueInfo } from '@kchan/uapi';
