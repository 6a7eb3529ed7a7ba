// Progress output of the harness. Everything the harness itself says goes to
// stderr with a "vm:" prefix, so stdout carries only guest output.
const isTty = process.stderr.isTTY;
const paint = (code, s) => (isTty ? `\x1b[${code}m${s}\x1b[0m` : s);

export const log = {
  step: (msg) => process.stderr.write(`${paint('36', 'vm:')} ${msg}\n`),
  info: (msg) => process.stderr.write(`${paint('2', 'vm:')} ${msg}\n`),
  ok: (msg) => process.stderr.write(`${paint('32', 'vm:')} ${msg}\n`),
  fail: (msg) => process.stderr.write(`${paint('31', 'vm: FAIL')} ${msg}\n`),
  raw: (msg) => process.stderr.write(msg),
};

/** An error whose message is meant for the user as is (no stack trace). */
export class HarnessError extends Error {
  constructor(message) {
    super(message);
    this.name = 'HarnessError';
  }
}

export function seconds(ms) {
  return `${(ms / 1000).toFixed(1)} s`;
}
