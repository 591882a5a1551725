import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pow2 } from './bits.ts';
import { Host } from './host.ts';

/** The gfn -> pfn mapping written out with BigInt, the way host.ts describes it (a permutation of 2 MiB chunks mod 2^19, from pfn 0x800 * 512). */
const refPfn = (gfn: number): number => {
  const chunk = BigInt(Math.floor(gfn / 512));
  const host = ((chunk * 0x9e3n + 0x55n) % 2n ** 19n) + 0x800n;
  return Number(host * 512n + BigInt(gfn % 512));
};

describe('Host', () => {
  const host = new Host({ memslotFrames: 2 ** 31, hugePages: false } as never);
  it('maps a gfn to the pfn the chunk permutation gives, and back (integer arithmetic, no double remainder)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (gfn) => {
        const pfn = host.gfnToPfn(gfn);
        expect(pfn).toBe(refPfn(gfn));
        // 2^19 chunks of 512 frames: the permutation is one-to-one below gfn 2^28 (1 TiB).
        if (gfn < 2 ** 28) expect(host.pfnToGfn(pfn)).toBe(gfn);
      }),
      { numRuns: 2000 },
    );
  });
  it('gives no gfn for pfns below the host chunks (KVM\'s own pages)', () => {
    expect(host.pfnToGfn(0x80000 + 5)).toBeNull();
  });
});

describe('pow2', () => {
  it('is 2 ** n for every n in 0..63', () => {
    for (let n = 0; n < 64; n++) expect(pow2(n)).toBe(2 ** n);
  });
});
