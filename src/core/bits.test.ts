import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sim_entryFlags } from './bits.ts';

/** The flags spelled bit by bit, as decodeSpte and the guest tables did before the lookup. */
function spelled(lo: number, hi: number): string {
  const f: string[] = [];
  if (lo & 1) f.push('P');
  if (lo & 2) f.push('W');
  if (lo & 4) f.push('U');
  if (lo & 0x20) f.push('A');
  if (lo & 0x40) f.push('D');
  if (lo & 0x80) f.push('PS');
  if (hi & 0x8000_0000) f.push('NX');
  return f.join(' ');
}

describe('sim_entryFlags', () => {
  it('spells the set flags of any entry, whatever else is set', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffff_ffff }), fc.integer({ min: 0, max: 0xffff_ffff }), (lo, hi) => sim_entryFlags(lo, hi) === spelled(lo, hi)), { numRuns: 2000 });
  });
  it('names each flag by its bit', () => {
    expect(sim_entryFlags(0x67, 0x8000_0000)).toBe('P W U A D NX');
    expect(sim_entryFlags(0x83, 0)).toBe('P W PS');
    expect(sim_entryFlags(0x20, 0x7fff_ffff)).toBe('A');
    expect(sim_entryFlags(0, 0)).toBe('');
  });
});
