// @kchan/uapi: the kchan protocol (constants, ioctl numbers, struct layouts,
// decoders and encoders), generated from spec/kchan.yaml. The generated
// modules live in ./generated/; this file and the helpers are hand-written.

export * from './generated/watch_queue.js';
export * from './generated/ummunotify.js';
export * from './generated/kue.js';
export * from './ioc.js';
export * from './layout.js';
