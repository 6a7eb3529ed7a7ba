// kchan: the command-line front end over @kchan/ring, @kchan/ummunotify and
// @kchan/kue. `main(argv)` runs it programmatically.
export { main, USAGE, UsageError, type CommonOptions } from './cli.js';
export { Printer, hex, type Colour, type EventRecord, type PrinterOptions } from './output.js';
export { describe as describeNotification, sourceTypes, SOURCES } from './commands/watch.js';
export { kchanStatus, type KchanStatus, type DeviceStatus } from './commands/info.js';
export { GENERATOR, type Step } from './commands/demo.js';
