// The prebuilt addon must load where Node 20 runs: glibc 2.28 and GCC 8's
// libstdc++ at most (scripts/glibc-floor.mjs; docs/dependencies.md). A
// newer symbol version sneaks in with a compiler or code change (GCC 11+'s
// libstdc++ pulled GLIBC_2.32's __libc_single_threaded): caught here, at
// `pnpm test:unit`, as well as by `pnpm release` on the packed tarball.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// @ts-expect-error: a plain .mjs script without types
import { aboveFloor, highestVersions } from '../../../scripts/glibc-floor.mjs';

const dir = fileURLToPath(new URL('../prebuilds/linux-x64/', import.meta.url));

describe('the linux-x64 prebuild', () => {
  it('needs no more than glibc 2.28 and GLIBCXX_3.4.25', () => {
    const files = readdirSync(dir).filter((f) => f.endsWith('.node'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const needs = (highestVersions as (f: string) => Record<string, string>)(join(dir, f));
      expect(needs.GLIBC).toBeDefined();
      expect((aboveFloor as (f: string) => string[])(join(dir, f))).toEqual([]);
    }
  });
});
