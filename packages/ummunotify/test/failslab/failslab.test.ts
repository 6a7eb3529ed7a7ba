// Real allocation failures in the kernel under Ummunotify's calls
// (packages/native/test/shared/failslab.ts; kcsan kernel only).
import * as native from '@kchan/native';
import { beforeAll, describe, expect, it } from 'vitest';
import { failEachAllocation, setupFaultInjection } from '../../../native/test/shared/failslab.js';
import { FEATURE_REGION_GENERATION, Ummunotify, type RegionWatch } from '../../src/index.js';

const DEVICE = '/dev/ummunotify';
const PAGE = native.PAGE_SIZE;
let cookie = 1000n;

interface State {
  u: Ummunotify;
  m: native.Mapping;
  cookie: bigint;
}

/** Region `s.m` is registered under `s.cookie`: an invalidation of it is seen. */
function roundTrip(s: State): void {
  expect(s.u.drain().events).toEqual([]);
  const g = s.u.generation;
  s.m.madvise(0, PAGE, native.MADV_DONTNEED);
  expect(s.u.generation).toBe(g + 1n);
  expect(s.u.drain().events.map((e) => e.cookie)).toEqual([s.cookie]);
}

function openWithRegion(register: boolean): State {
  const u = Ummunotify.open();
  const m = native.mmapAnonymous(2 * PAGE, native.PROT_READ | native.PROT_WRITE);
  const s = { u, m, cookie: cookie++ };
  if (register) u.register(m.address, BigInt(PAGE), s.cookie);
  return s;
}

function closeState(s: State): void {
  s.m.unmap();
  s.u.close();
}

const inVm = process.env.KCHAN_VM === '1';

// Outside the VM this skips, as the kernel suites do; in the VM only
// vitest.kcsan.config.mjs includes it (the kernel with fault injection).
describe.skipIf(!inVm)('/dev/ummunotify: every allocation failing in turn (failslab, fail-nth; needs KCHAN_VM=1)', () => {
  beforeAll(() => {
    setupFaultInjection();
  });

  it('Ummunotify.open(): ENOMEM and nothing open, or a working reader', async () => {
    const r = await failEachAllocation<null>({
      name: 'Ummunotify.open()',
      device: DEVICE,
      before: () => null,
      step: () => Ummunotify.open(),
      check: (_, made) => {
        const u = made instanceof Ummunotify ? made : Ummunotify.open();
        const m = native.mmapAnonymous(PAGE, native.PROT_READ | native.PROT_WRITE);
        const s = { u, m, cookie: cookie++ };
        try {
          u.register(m.address, BigInt(PAGE), s.cookie);
          roundTrip(s);
        } finally {
          m.unmap();
          if (u !== made) u.close();
        }
      },
      after: (_, made) => (made as Ummunotify | undefined)?.close(),
    });
    expect(r.failed).toBeGreaterThan(0);
  });

  it('register(): ENOMEM and the region can be registered again, or it is watched', async () => {
    const r = await failEachAllocation<State>({
      name: 'register()',
      device: DEVICE,
      before: () => openWithRegion(false),
      step: (s) => {
        s.u.register(s.m.address, BigInt(PAGE), s.cookie);
        return true;
      },
      check: (s, made) => {
        if (made !== true) s.u.register(s.m.address, BigInt(PAGE), s.cookie);
        roundTrip(s);
      },
      after: closeState,
    });
    expect(r.failed).toBeGreaterThan(0);
  });

  /** Register the region with a slot; an invalidation bumps the slot and is read. */
  function slotRoundTrip(s: State, w?: RegionWatch): void {
    const watch = w ?? s.u.registerWithSlot(s.m.address, BigInt(PAGE), s.cookie);
    const g = watch.generation;
    roundTrip(s);
    expect(watch.generation).toBe(g + 1n);
  }

  it('exchangeFeatures(REGION_GENERATION) (the slot array, vmalloc): ENOMEM and it works again, or slots work', async () => {
    const r = await failEachAllocation<State>({
      name: 'exchangeFeatures(FEATURE_REGION_GENERATION)',
      device: DEVICE,
      before: () => openWithRegion(false),
      step: (s) => s.u.exchangeFeatures(FEATURE_REGION_GENERATION),
      check: (s, made) => {
        if (made === undefined) expect(s.u.exchangeFeatures(FEATURE_REGION_GENERATION)).toBe(FEATURE_REGION_GENERATION);
        else expect(made).toBe(FEATURE_REGION_GENERATION);
        slotRoundTrip(s);
      },
      after: closeState,
    });
    expect(r.failed).toBeGreaterThan(0);
  });

  it('registerWithSlot(): ENOMEM and it works again, or the slot counts', async () => {
    const r = await failEachAllocation<State>({
      name: 'registerWithSlot()',
      device: DEVICE,
      before: () => {
        const s = openWithRegion(false);
        s.u.exchangeFeatures(FEATURE_REGION_GENERATION);
        return s;
      },
      step: (s) => s.u.registerWithSlot(s.m.address, BigInt(PAGE), s.cookie),
      check: (s, made) => slotRoundTrip(s, made as RegionWatch | undefined),
      after: closeState,
    });
    expect(r.failed).toBeGreaterThan(0);
  });

  it('drain() with an event pending: an error loses no event', async () => {
    await failEachAllocation<State>({
      name: 'drain()',
      device: DEVICE,
      before: () => {
        const s = openWithRegion(true);
        s.m.madvise(0, PAGE, native.MADV_DONTNEED);
        return s;
      },
      step: (s) => s.u.drain().events.map((e) => e.cookie),
      check: (s, made) => {
        const cookies = Array.isArray(made) ? made : s.u.drain().events.map((e) => e.cookie);
        expect(cookies).toEqual([s.cookie]);
        roundTrip(s);
      },
      after: closeState,
      codes: ['ENOMEM'],
    });
  });
});
