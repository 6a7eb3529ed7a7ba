// Real allocation failures inside the kernel (issue 20, part 3, the failslab
// half; packages/native/test/shared/faults.ts is the injected-binding half).
// Only on the kcsan kernel (vm/debug/kcsan-ci.config: CONFIG_FAILSLAB,
// CONFIG_FAIL_PAGE_ALLOC, CONFIG_FAULT_INJECTION_DEBUG_FS), where
// vitest.kcsan.config.mjs runs the packages' test/failslab suites.
//
// Systematic, as syzkaller does it: /proc/thread-self/fail-nth = n makes the
// n-th allocation of this thread fail (kmalloc, kmem_cache_alloc, page and
// vmalloc pages; user pages of page faults excepted), whatever its GFP flags,
// and nothing else. A step runs with n = 1, 2, 3, ... until it makes fewer
// than n allocations: every allocation of the step, in the kernel code it
// reaches (kchan.ko, the VFS, mm), fails once. After each failure the
// contract of docs/readers.md ("Errors") must hold: the caller got a
// KchanError with an errno code (ENOMEM for a failed allocation), no fd or
// mapping leaked, and the reader works again (or a failed open() left nothing
// open). kmemleak, scanned at the end of the boot, sees the kernel's side.
import { closeSync, existsSync, openSync, readSync, writeFileSync, writeSync } from 'node:fs';
import { expect } from 'vitest';

import { KchanError } from '../../src/errors.js';
import { errnoOf, fdCount, mappingsOf } from './faults.js';

const DEBUGFS = '/sys/kernel/debug';
/** The harness's results share in the guest (vm/lib/job.mjs GUEST_RESULTS). */
const RESULTS = '/run/kchan-vm/results';

/**
 * failslab and fail_page_alloc fail nothing by themselves (probability 0),
 * only fail-nth's chosen allocation, GFP_KERNEL (may sleep) and order-0
 * included, silently (verbose 0: a stack dump would fail the run's log
 * scan). Highmem-capable allocations stay out: they are user pages, whose
 * failure in a page fault would end the test process, not test kchan.
 */
export function setupFaultInjection(): void {
  for (const attr of ['failslab', 'fail_page_alloc']) {
    const dir = `${DEBUGFS}/${attr}`;
    if (!existsSync(dir)) {
      throw new Error(
        `${dir} is missing: the failslab suites need the kcsan kernel (CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC, CONFIG_FAULT_INJECTION_DEBUG_FS): node vm/run.mjs test --kernel kcsan`,
      );
    }
    writeFileSync(`${dir}/probability`, '0');
    writeFileSync(`${dir}/times`, '-1');
    writeFileSync(`${dir}/verbose`, '0');
    writeFileSync(`${dir}/ignore-gfp-wait`, 'N');
  }
  writeFileSync(`${DEBUGFS}/fail_page_alloc/min-order`, '0');
  writeFileSync(`${DEBUGFS}/fail_page_alloc/ignore-gfp-highmem`, 'Y');
  // Tells the harness that the kernel's reports of failed allocations
  // (warn_alloc's stack dumps) in this boot were asked for (vm/run.mjs).
  if (existsSync(RESULTS)) writeFileSync(`${RESULTS}/alloc-faults`, 'failslab and fail_page_alloc through fail-nth\n');
}

/**
 * This thread's /proc/thread-self/fail-nth, opened once: arming and reading
 * it back must not allocate (an open() would, and would take the fault).
 */
export class FailNth {
  readonly #fd = openSync('/proc/thread-self/fail-nth', 'r+');

  /** The n-th allocation from now on fails. */
  arm(n: number): void {
    writeSync(this.#fd, String(n), 0);
  }

  /** Disarm; whether the armed allocation was reached (and failed). */
  disarm(): boolean {
    const buf = Buffer.alloc(16);
    const len = readSync(this.#fd, buf, 0, buf.length, 0);
    writeSync(this.#fd, '0', 0);
    return Number(buf.toString('utf8', 0, len).trim()) === 0;
  }

  close(): void {
    closeSync(this.#fd);
  }
}

export interface FailStep<R> {
  /** What the step is: 'WatchQueue.open()'. */
  name: string;
  /** The device whose mappings must not leak: '/dev/watch_queue'. */
  device: string;
  /** Make the state the step starts from (an open reader, or null). Runs unarmed. */
  before(): R;
  /** The step, run with one allocation failing. Returns what it made (closed by `after`). */
  step(state: R): unknown;
  /** The step once more with no fault, then a real event through the device: must work. Runs unarmed. */
  check(state: R, made: unknown): void | Promise<void>;
  /** Close what before() and step() made. */
  after(state: R, made: unknown): void;
  /** Error codes a failed step may throw (default: ENOMEM). */
  codes?: string[];
}

export interface FailReport {
  /** Allocations the step makes (the last n that fired + 1 is where it stopped). */
  points: number;
  /** Of those, how many made the step throw (the rest the kernel absorbed). */
  failed: number;
  /** Error codes seen, with counts. */
  codes: Record<string, number>;
}

/**
 * Run `s.step` with its 1st, 2nd, ... allocation failing until it runs
 * through unfaulted; check the contract after each. At most `max` points.
 */
export async function failEachAllocation<R>(s: FailStep<R>, max = 400): Promise<FailReport> {
  const nth = new FailNth();
  const report: FailReport = { points: 0, failed: 0, codes: {} };
  try {
    for (let n = 1; n <= max; n++) {
      const fds = fdCount();
      const maps = mappingsOf(s.device);
      const state = s.before();
      let made: unknown;
      let err: unknown;
      nth.arm(n);
      try {
        made = s.step(state);
      } catch (e) {
        err = e;
      }
      const fired = nth.disarm();
      try {
        if (!fired) {
          // Fewer than n allocations: the step ran unfaulted, and must have worked.
          expect(err, `${s.name} with no fault`).toBeUndefined();
          await s.check(state, made);
          const codes = Object.entries(report.codes).map(([c, k]) => `${k} ${c}`).join(', ') || 'none';
          console.log(`failslab: ${s.name}: ${report.points} allocation(s) failed in turn; ${report.failed} reached the caller (${codes}), the kernel absorbed ${report.points - report.failed}`);
          return report;
        }
        report.points = n;
        if (err !== undefined) {
          report.failed++;
          expect(err, `${s.name}, allocation ${n} failing`).toBeInstanceOf(KchanError);
          const { code, errno } = err as KchanError;
          expect(s.codes ?? ['ENOMEM'], `${s.name}, allocation ${n} failing: ${String(err)}`).toContain(code);
          expect(errno).toBe(-errnoOf(code));
          report.codes[code] = (report.codes[code] ?? 0) + 1;
        }
        await s.check(state, made);
      } finally {
        s.after(state, made);
      }
      expect(fdCount(), `${s.name}, allocation ${n} failing: fds`).toBe(fds);
      expect(mappingsOf(s.device), `${s.name}, allocation ${n} failing: mappings of ${s.device}`).toBe(maps);
    }
    throw new Error(`${s.name}: still faulting after ${max} allocations`);
  } finally {
    nth.close();
  }
}
