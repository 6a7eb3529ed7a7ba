#!/usr/bin/env node
import { createRequire } from 'node:module';

import { main } from './cli.js';

const require = createRequire(import.meta.url);
const { version } = require('../package.json') as { version: string };

main(process.argv.slice(2), version).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`kchan: ${String(err)}\n`);
    process.exitCode = 1;
  },
);
