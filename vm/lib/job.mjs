// The job file: how the host tells the guest what to run. init.sh runs it
// with `env -i ... chroot /newroot /bin/sh /run/kchan-vm/results/job.sh`, so
// everything the command sees (cwd, env) is set here.
import { writeFileSync } from 'node:fs';

export const GUEST_RESULTS = '/run/kchan-vm/results';
export const GUEST_MODULES = '/run/kchan-vm/modules';

export function shQuote(s) {
  return `'${String(s).replace(/'/g, `'\\''`)}'`;
}

/** Variables passed through from the host environment when set. */
const PASSTHROUGH = ['CI', 'TERM', 'NO_COLOR', 'FORCE_COLOR', 'GITHUB_ACTIONS', 'LANG', 'TZ'];

/**
 * @param {object} o
 * @param {string} o.path      job.sh on the host (inside the results share)
 * @param {string} o.cwd       working directory (same path in the guest)
 * @param {string|null} o.command  shell command line, run through `sh -c`; null = interactive shell
 * @param {Record<string,string>} o.env  extra variables
 * @param {{rows:number, cols:number}|null} o.tty  terminal size for the shell
 */
export function writeJob({ path, cwd, command, env, tty }) {
  const vars = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin',
    HOME: '/tmp',
    KCHAN_VM: '1',
    KCHAN_VM_RESULTS: GUEST_RESULTS,
    KCHAN_VM_MODULES: GUEST_MODULES,
  };
  for (const k of PASSTHROUGH) if (process.env[k] !== undefined) vars[k] = process.env[k];
  // Batch output goes to logs through a pipe: no colours or cursor games.
  if (command !== null) vars.TERM = 'dumb';
  Object.assign(vars, env);
  const lines = [
    '# written by vm/run.mjs; run by vm/init.sh inside the guest chroot',
    ...Object.entries(vars).map(([k, v]) => `export ${k}=${shQuote(v)}`),
    // KCHAN_KERNEL comes from init (uname -r of the guest) through env -i.
    `cd ${shQuote(cwd)} || { echo "kchan-vm: cwd ${cwd} does not exist in the guest"; exit 90; }`,
  ];
  if (command === null) {
    lines.push('export PS1="[kchan-vm $KCHAN_KERNEL \\w]# "');
    if (tty) lines.push(`stty rows ${tty.rows} cols ${tty.cols} 2>/dev/null`);
    lines.push('echo "kchan-vm shell: $KCHAN_KERNEL, modules: $(cut -d" " -f1 /proc/modules | tr "\\n" " ")"');
    lines.push('echo "exit (or Ctrl-D) powers the VM off; Ctrl-A x kills qemu"');
    lines.push('if [ -x /bin/bash ]; then exec /bin/bash --norc -i; else exec /bin/sh -i; fi');
  } else {
    lines.push(`exec /bin/sh -c ${shQuote(command)}`);
  }
  writeFileSync(path, `${lines.join('\n')}\n`);
}

/** `exec -- a b c`: one argument is a shell command line, several are argv. */
export function commandFromArgv(argv) {
  return argv.length === 1 ? argv[0] : argv.map(shQuote).join(' ');
}
