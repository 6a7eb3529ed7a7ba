#!/usr/bin/env node
import { createRequire } from 'node:module';

import { main } from './cli.js';

const require = createRequire(import.meta.url);
const { version } = require('../package.json') as { version: string };

// A reader that went away (`kchan kue | head -3`) is not an error: main()
// stops the command on EPIPE; writes after that fail here, quietly.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') return;
  process.stderr.write(`kchan: stdout: ${err.message}\n`);
  process.exitCode = 1;
});

main(process.argv.slice(2), version).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`kchan: ${String(err)}\n`);
    process.exitCode = 1;
  },
);
