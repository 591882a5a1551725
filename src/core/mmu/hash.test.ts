import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { kvmPageTableHashfn } from './pages.ts';

/** hash_64(val, bits) from include/linux/hash.h: val * GOLDEN_RATIO_64 (mod 2^64) >> (64 - bits). */
const hash64 = (gfn: number, bits: number): number => Number(((BigInt(gfn) * 0x61c8864680b583ebn) & (2n ** 64n - 1n)) >> BigInt(64 - bits));

describe('kvm_page_table_hashfn', () => {
  it('is hash_64(gfn, 12) for any gfn up to 2^52', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 0, max: 2 ** 20 }), fc.integer({ min: 0, max: 2 ** 52 })), (gfn) => {
        expect(kvmPageTableHashfn(gfn)).toBe(hash64(gfn, 12));
      }),
      { numRuns: 3000 },
    );
  });
});
