// Real allocation failures in the kernel under KueReader's calls and under a
// kernel sender (packages/native/test/shared/failslab.ts; kcsan kernel only).
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { FailNth, failEachAllocation, setupFaultInjection } from '../../../native/test/shared/failslab.js';
import { KueReader } from '../../src/index.js';
import { kcmd, sent } from '../kernel/helpers.js';

const DEVICE = '/dev/kue';

/** A reader that starts empty (what earlier tests queued for it is read first). */
function openEmpty(): KueReader {
  const r = KueReader.open();
  while (r.readBatch().length > 0);
  return r;
}

/** A message sent by the kernel reaches `r` whole. */
function roundTrip(r: KueReader): void {
  const { first } = sent(kcmd('kue send 1 24'));
  const got = r.readBatch();
  expect(got.map((m) => m.seq)).toEqual([first]);
  expect(got[0]!.payload.byteLength).toBe(24);
}

const inVm = process.env.KCHAN_VM === '1';

// Outside the VM this skips, as the kernel suites do; in the VM only
// vitest.kcsan.config.mjs includes it (the kernel with fault injection).
describe.skipIf(!inVm)('/dev/kue: every allocation failing in turn (failslab, fail-nth; needs KCHAN_VM=1)', () => {
  beforeAll(() => {
    setupFaultInjection();
  });

  it('KueReader.open(): ENOMEM and nothing open, or a working reader', async () => {
    const r = await failEachAllocation<null>({
      name: 'KueReader.open()',
      device: DEVICE,
      before: () => null,
      step: () => KueReader.open(),
      check: (_, made) => {
        if (made instanceof KueReader) {
          while (made.readBatch().length > 0);
          roundTrip(made);
        } else {
          const fresh = openEmpty();
          try {
            roundTrip(fresh);
          } finally {
            fresh.close();
          }
        }
      },
      after: (_, made) => (made as KueReader | undefined)?.close(),
    });
    expect(r.failed).toBeGreaterThan(0);
  });

  // readBatch()/consume() allocate nothing in the kernel (kue_read copies
  // queued messages out): fail-nth finds no allocation to fail there.

  it.each(['copy', 'kfree'])('a kernel send (%s) with its allocation failing: the sender gets -ENOMEM, readers get every other message whole, in order', async (mode) => {
    // The sender is kchan_test's "kue send" in this thread (a write() to
    // /dev/kchan_test, opened before arming): fail-nth reaches kue_send's
    // allocations. Each failing n leaves a message unsent; what was sent
    // arrives whole and in order, and nothing else.
    const nth = new FailNth();
    const r = openEmpty();
    let failedSends = 0;
    let ranThrough = false;
    try {
      for (let n = 1; n <= 64; n++) {
        const fd = openSync('/dev/kchan_test', 'r+');
        let err: NodeJS.ErrnoException | undefined;
        nth.arm(n);
        try {
          writeSync(fd, `kue send 4 48 ${mode}`);
        } catch (e) {
          err = e as NodeJS.ErrnoException;
        }
        const fired = nth.disarm();
        const buf = Buffer.alloc(256);
        const status = buf.toString('utf8', 0, readSync(fd, buf, 0, buf.length, 0));
        closeSync(fd);
        const got = r.readBatch();
        for (const m of got) expect(m.payload.byteLength).toBe(48);
        const seqs = got.map((m) => m.seq);
        // In order, no duplicates.
        for (let i = 1; i < seqs.length; i++) expect(seqs[i]!).toBeGreaterThan(seqs[i - 1]!);
        if (!fired) {
          expect(err).toBeUndefined();
          expect(seqs).toHaveLength(4);
          ranThrough = true;
          break;
        }
        if (err) {
          failedSends++;
          expect(err.code, status).toBe('ENOMEM');
          expect(seqs.length).toBeLessThan(4);
        } else {
          expect(seqs).toHaveLength(4);
        }
        roundTrip(r);
      }
    } finally {
      nth.close();
      r.close();
    }
    console.log(`failslab: kernel send (${mode}): ${failedSends} send(s) got -ENOMEM, every other message arrived whole and in order`);
    // Every allocation of the send failed once: a send then ran through.
    expect(ranThrough).toBe(true);
    expect(failedSends).toBeGreaterThan(0);
  });
});
