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

/**
 * Kernel bugs that only allocation-failure injection exposes, in kernel code
 * that is not ours (kchan's caller got the error and returned it): in a run
 * that injected faults (`alloc-faults` in the results share) their kmemleak
 * reports and stack dumps (any whose stack shows `frame`) are set aside and
 * counted, not a failure.
 */
export const KNOWN_FAULT_BUGS = [
  {
    frame: 'sysfs_slab_add+',
    why:
      "SLUB's sysfs_slab_add() leaks the kobject (its name, its sysfs directory: the next " +
      'kmem_cache_create() of that alias warns "cannot create duplicate filename") when ' +
      'kobject_init_and_add() fails; fixed upstream by 2420baa8e046 (CVE-2024-25740), not in 6.1.192',
  },
];

/** Whether a scanLog() hit is a stack dump of a KNOWN_FAULT_BUGS bug. */
export function isKnownFaultBugTrace(hit) {
  return hit.pattern === 'Call Trace:' && hit.window.some((l) => KNOWN_FAULT_BUGS.some((k) => l.includes(k.frame)));
}

/** kmemleak.txt without the blocks of KNOWN_FAULT_BUGS: { text, known: count }. */
export function dropKnownFaultLeaks(kmemleak) {
  let known = 0;
  const kept = kmemleak.split(/(?=^unreferenced object )/m).filter((block) => {
    if (block.startsWith('unreferenced object ') && KNOWN_FAULT_BUGS.some((k) => block.includes(k.frame))) {
      known++;
      return false;
    }
    return true;
  });
  return { text: kept.join(''), known };
}

/**
 * The kernel's own reports of a failed allocation dump the stack from these
 * functions: warn_alloc() ("vmalloc error: ...", "page allocation failure")
 * and kmem_cache_create_usercopy() ("kmem_cache_create_usercopy(name)
 * failed with error -12").
 */
const ALLOC_FAILURE_REPORTERS = /\b(?:warn_alloc|kmem_cache_create_usercopy)(?:\.cold)?\+0x/;

/** A stack dump that is the kernel's report of a failed allocation. */
export function isAllocFailureTrace(hit) {
  return hit.pattern === 'Call Trace:' && hit.window.some((l) => ALLOC_FAILURE_REPORTERS.test(l));
}

/**
 * Returns [{ pattern, line, context, window }] for each offending line:
 * context, the lines shown for it; window, more of them (a stack's frames).
 */
export function scanLog(text) {
  const lines = text.split('\n');
  const hits = [];
  lines.forEach((line, i) => {
    const pattern = BAD_PATTERNS.find((p) => line.includes(p));
    if (pattern) hits.push({ pattern, line, lineNo: i + 1, context: lines.slice(i, i + 6), window: lines.slice(i, i + 16) });
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
