// Verdicts from the kernel's side: the log scan and the taint mask.

/** Kernel log lines that fail a run wherever they appear. */
export const BAD_PATTERNS = [
  'Oops',
  'BUG:',
  'WARNING:',
  'KASAN',
  'possible circular locking',
  'possible recursive locking',
  'refcount_t:',
  'kernel BUG',
  'general protection fault',
  'Call Trace:',
  'Call trace:', // arm64's spelling
  'list_add corruption',
  'list_del corruption',
  'list_add double add',
  'sleeping function called from invalid context',
  'unreferenced object',
  'suspected memory leak',
  'blocked for more than',
  'Kernel panic',
];

/**
 * Reports after which the guest rarely finishes on its own (the task died,
 * maybe holding locks): the harness stops the VM shortly after one.
 */
export const FATAL_PATTERNS = ['Oops', 'Kernel panic', 'kernel BUG', 'general protection fault', 'BUG: unable to handle'];

/** Returns [{ pattern, line, context }] for each offending line. */
export function scanLog(text) {
  const lines = text.split('\n');
  const hits = [];
  lines.forEach((line, i) => {
    const pattern = BAD_PATTERNS.find((p) => line.includes(p));
    if (pattern) hits.push({ pattern, line, lineNo: i + 1, context: lines.slice(i, i + 6) });
  });
  return hits;
}

/**
 * Did the kernel oops before any module of ours was loaded? Every oops
 * header ("CPU: 0 PID: 18 Comm: x Not tainted 6.1.0-57-amd64", or
 * "Tainted: G      D" after an earlier oops) lacks the O flag, which
 * kchan.ko, built out of tree, sets once loaded.
 */
export function oopsedBeforeModules(kernelText) {
  const headers = [...kernelText.matchAll(/\bComm: .*? (?:Not tainted|Tainted: ([A-Z ]+?)) \d/g)];
  return headers.length > 0 && headers.every((m) => !m[1]?.includes('O'));
}

/** Taint bits, /proc/sys/kernel/tainted (Documentation/admin-guide/tainted-kernels.rst). */
const TAINT_FLAGS = 'PFSRMBUDAWCIOELKXTN';
export const TAINT_OOT_MODULE = 1 << 12; // O
export const TAINT_UNSIGNED_MODULE = 1 << 13; // E

export function taintLetters(mask) {
  let s = '';
  for (let b = 0; b < TAINT_FLAGS.length; b++) if (mask & (1 << b)) s += TAINT_FLAGS[b];
  return s || '-';
}

/**
 * Taint that our run added beyond loading out-of-tree/unsigned modules.
 * `boot` is the taint before our modules were loaded (environment), `after`
 * after the command.
 */
export function badTaint(boot, after) {
  return after & ~boot & ~(TAINT_OOT_MODULE | TAINT_UNSIGNED_MODULE);
}
