import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hex, hex64, sim_entryFlags, sim_hex64Kept, sim_hex64Length, sim_hexKept, sim_hexLength } from './bits.ts';

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

describe('sim_hexKept and sim_hex64Kept', () => {
  it('give hex and hex64 of any value, also past the bound where the kept strings are dropped', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 0xffff_ffff }), fc.integer({ min: 0, max: 0xffff_ffff })), { maxLength: 64 }), (vs) =>
        vs.every(([lo, hi]) => sim_hexKept(lo) === hex(lo) && sim_hex64Kept({ lo, hi }) === hex64({ lo, hi }) && sim_hex64Kept({ lo, hi }) === hex64({ lo, hi })),
      ),
      { numRuns: 300 },
    );
    // More values than are kept (1 << 16): the store is emptied and filled again, and still answers right.
    for (let i = 0; i < 70_000; i++) {
      const lo = (i * 2654435761) >>> 0;
      if (sim_hexKept(lo) !== hex(lo) || sim_hex64Kept({ lo, hi: i & 0xff }) !== hex64({ lo, hi: i & 0xff })) throw new Error(`wrong at ${i}`);
    }
    expect(sim_hex64Kept({ lo: 0x1000, hi: 0x8000_0000 })).toBe('0x8000000000001000');
    expect(sim_hexKept(0x14a)).toBe('0x14a');
  });
});

describe('sim_hexLength and sim_hex64Length: the lengths of hex and hex64 without the strings', () => {
  it('at every digit boundary, and on random values (fast-check)', () => {
    const ns = [0, 1, 0xf, 0x10, 0xff, 0x100, 0xfffffff, 0x10000000, 0xffffffff, 2 ** 32, 2 ** 32 + 1, 2 ** 36 - 1, 2 ** 36, 2 ** 52 - 1, 2 ** 52, 2 ** 53 - 1];
    for (const n of ns) expect(sim_hexLength(n), hex(n)).toBe(hex(n).length);
    fc.assert(fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (n) => sim_hexLength(n) === hex(n).length));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff }), (lo, hi) => sim_hex64Length({ lo, hi }) === hex64({ lo, hi }).length),
    );
    for (const [lo, hi] of [[0, 0], [0xf, 0], [0x10, 0], [0xffffffff, 0], [0, 1], [5, 0xf], [0, 0x10], [0xffffffff, 0xffffffff]] as const) expect(sim_hex64Length({ lo, hi })).toBe(hex64({ lo, hi }).length);
  });
});
