// The constants are written out in src/constants.ts (so importing the package
// never loads the addon); they must equal what the addon was compiled with.
// pnpm test:arm64 runs this against the arm64 prebuild too.
import { describe, expect, it } from 'vitest';

import { addon } from '../src/binding.js';
import * as constants from '../src/constants.js';

describe('constants', () => {
  it('equal the C headers the addon was compiled with', () => {
    const exported = constants as unknown as Record<string, unknown>;
    const names = Object.keys(exported).filter((n) => /^[A-Z][A-Z0-9_]+$/.test(n));
    expect(names.length).toBeGreaterThan(40);
    for (const name of names) {
      expect({ name, value: exported[name] }).toEqual({ name, value: addon.constants[name] });
    }
  });
});
