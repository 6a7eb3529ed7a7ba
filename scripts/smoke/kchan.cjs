'use strict';
// kchan (the CLI): the bin runs.
const { execFileSync } = require('node:child_process');
const path = require('node:path');
const out = execFileSync(path.join(process.cwd(), 'node_modules', '.bin', 'kchan'), ['--version'], { encoding: 'utf8' });
if (!/\d+\.\d+\.\d+/.test(out)) throw new Error(`kchan --version printed ${out}`);
console.log(`kchan: --version ${out.trim()}`);
