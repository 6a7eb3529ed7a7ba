// LAST means drained (issue 17): whatever the reader's buffer size, a reader
// that stops at the first LAST has seen every pending region's event, the
// generation on the page only "matches" what it read once the queue is
// empty, and a reader with room for one event at a time drains the queue.
// Real regions, a real madvise(DONTNEED), the real device, in the VM.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as native from '@kchan/native';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Ummunotify } from '../../src/index.js';

const inVm = process.env.KCHAN_VM === '1';
const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../../..');
const PAGE = native.PAGE_SIZE;
const EVENT = 32;
const INVAL = 0;
const LAST = 1;

interface Read {
  cookies: bigint[];
  last: bigint | null;
}

function readOnce(fd: number, buf: DataView): Read | null {
  let n: number;
  try {
    n = native.read(fd, buf);
  } catch (e) {
    if ((e as { code?: string }).code === 'EAGAIN') return null;
    throw e;
  }
  if (n % EVENT !== 0) throw new Error(`read ${n} bytes: not whole events`);
  const r: Read = { cookies: [], last: null };
  for (let off = 0; off < n; off += EVENT) {
    const type = buf.getUint32(off, true);
    const counter = buf.getBigUint64(off + 24, true);
    // Nothing may follow LAST in a read.
    if (r.last !== null) throw new Error('an event after LAST');
    if (type === INVAL) r.cookies.push(counter);
    else if (type === LAST) r.last = counter;
    else throw new Error(`unknown event type ${type}`);
  }
  return r;
}

describe.skipIf(!inVm)('/dev/ummunotify: LAST means drained (needs KCHAN_VM=1)', () => {
  let u: Ummunotify;
  let m: native.Mapping;

  beforeEach(() => {
    u = Ummunotify.open();
  });
  afterEach(() => {
    m?.unmap();
    u.close();
  });

  /**
   * Register `regions` 64-byte regions packed into one mapping, dirty them
   * all with one madvise(DONTNEED) and read with a buffer of `events`
   * events until the first LAST, checking the contract at every read.
   */
  function dirtyAndRead(regions: number, events: number): void {
    const pages = Math.ceil((regions * 64) / PAGE);
    m = native.mmapAnonymous(pages * PAGE, native.PROT_READ | native.PROT_WRITE);
    for (let i = 0; i < regions; i++) u.register(m.address + BigInt(i * 64), 64n, BigInt(i + 1));
    expect(u.drain().events).toEqual([]);
    const g0 = u.generation;
    m.madvise(0, pages * PAGE, native.MADV_DONTNEED);
    const g = u.generation;
    expect(g).toBe(g0 + 1n);

    const buf = new DataView(new ArrayBuffer(events * EVENT));
    const seen = new Set<bigint>();
    let last: bigint | null = null;
    let reads = 0;
    // Each read before the last one takes `events` INVALs; then one more
    // read at most for an owed LAST.
    const most = Math.ceil(regions / events) + 1;
    while (last === null) {
      reads++;
      if (reads > most) throw new Error(`no LAST after ${most} reads of ${events} events`);
      const r = readOnce(u.fd, buf);
      if (r === null) throw new Error(`EAGAIN before LAST, ${seen.size} of ${regions} events read`);
      for (const c of r.cookies) {
        if (seen.has(c)) throw new Error(`cookie ${c} twice`);
        seen.add(c);
      }
      if (r.last === null) {
        // No LAST: the read was full and the reader is not yet current,
        // though the page already says g.
        if (r.cookies.length !== events) throw new Error(`a read of ${r.cookies.length} events without LAST`);
      } else {
        last = r.last;
      }
    }
    // The first LAST came only once every region's event had been read,
    // and it carries the page's generation.
    expect(seen.size).toBe(regions);
    expect(last).toBe(g);
    expect(u.generation).toBe(last);
    expect(readOnce(u.fd, buf)).toBeNull();
  }

  for (const regions of [300, 70_000]) {
    for (const events of [1, 2, 128, 4096]) {
      it(`${regions} dirty regions read ${events} event${events > 1 ? 's' : ''} at a time: the first LAST means every event was read`, () => {
        dirtyAndRead(regions, events);
      }, 300_000);
    }
  }

  it('owes LAST to a full read (the fd stays readable) and returns new events before it', async () => {
    m = native.mmapAnonymous(4 * PAGE, native.PROT_READ | native.PROT_WRITE);
    u.register(m.address, BigInt(PAGE), 1n);
    u.register(m.address + BigInt(2 * PAGE), BigInt(PAGE), 2n);
    m.madvise(0, PAGE, native.MADV_DONTNEED);
    const one = new DataView(new ArrayBuffer(EVENT));
    expect(readOnce(u.fd, one)).toEqual({ cookies: [1n], last: null });
    // The owed LAST keeps the fd readable.
    const ac = new AbortController();
    const t = setTimeout(() => ac.abort(new Error('not readable with LAST owed')), 10_000);
    await native.waitReadable(u.fd, { signal: ac.signal });
    clearTimeout(t);
    // Another invalidation before the owed LAST is read: its event first.
    m.madvise(2 * PAGE, PAGE, native.MADV_DONTNEED);
    expect(readOnce(u.fd, one)).toEqual({ cookies: [2n], last: null });
    expect(readOnce(u.fd, one)).toEqual({ cookies: [], last: u.generation });
    expect(readOnce(u.fd, one)).toBeNull();
  });

  /**
   * Write the ```lang block of docs/ummunotify.md to dir/example.ext, let
   * `build` turn it into a command, run that and check what it printed.
   */
  function runDocExample(lang: string, ext: string, build: (dir: string, file: string) => string[]): void {
    const doc = readFileSync(join(root, 'docs/ummunotify.md'), 'utf8');
    const src = new RegExp('```' + lang + '\\n([\\s\\S]*?)```').exec(doc)?.[1];
    expect(src, `a ${lang} block in docs/ummunotify.md`).toBeDefined();
    const dir = mkdtempSync(join(tmpdir(), 'ummu-doc-'));
    const file = join(dir, `example.${ext}`);
    writeFileSync(file, src!);
    const [cmd, ...args] = build(dir, file);
    const out = execFileSync(cmd!, args, {
      encoding: 'utf8',
      env: { ...process.env, PYTHONPATH: join(root, 'packages/uapi/python') },
    });
    expect(out).toMatch(/^8 events, current at generation \d+$/m);
  }

  it('runs the C client of docs/ummunotify.md, which reads until LAST', () => {
    runDocExample('c', 'c', (dir, file) => {
      execFileSync('gcc', ['-O2', '-Wall', '-Werror', `-I${join(root, 'packages/uapi/include')}`, file, '-o', join(dir, 'example')]);
      return [join(dir, 'example')];
    });
  });

  it('runs the Python client of docs/ummunotify.md, which reads until LAST', () => {
    runDocExample('python', 'py', (_dir, file) => ['python3', file]);
  });

  it('runs the Rust client of docs/ummunotify.md, which reads until LAST', () => {
    runDocExample('rust', 'rs', (dir, file) => {
      // The host's toolchain, seen through the VM's view of the host root:
      // rustup's rustc finds it through RUSTUP_HOME (the guest's HOME differs).
      // KCHAN_RUSTC: the guest's own (arm64: the x86 rustup cannot run there).
      const rustup = !process.env.KCHAN_RUSTC && existsSync('/root/.cargo/bin/rustc');
      const rustc = process.env.KCHAN_RUSTC ?? (rustup ? '/root/.cargo/bin/rustc' : 'rustc');
      const env = rustup ? { ...process.env, RUSTUP_HOME: process.env.RUSTUP_HOME ?? '/root/.rustup' } : process.env;
      const lib = join(dir, 'libkchan_uapi.rlib');
      execFileSync(rustc, ['--edition', '2021', '--crate-type', 'rlib', '--crate-name', 'kchan_uapi', join(root, 'packages/uapi/rust/src/lib.rs'), '-o', lib], { env });
      execFileSync(rustc, ['--edition', '2021', file, '--extern', `kchan_uapi=${lib}`, '-o', join(dir, 'example')], { env });
      return [join(dir, 'example')];
    });
  }, 300_000);
});

