import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GuestMemory, sim_setFrameIndexAfter } from './memory.ts';

type Op = { op: 'write'; gfn: number; word: number; v: number } | { op: 'read'; gfn: number; word: number } | { op: 'clone' } | { op: 'switch' };

// Small gfns (the array index), gfns above 4 GiB (the map alone), and a few repeated ones.
const gfn = fc.oneof(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 2 ** 21 }), fc.constantFrom(2 ** 20 - 1, 2 ** 20, 2 ** 28 + 3));
const ops = fc.array(
  fc.oneof(
    fc.record({ op: fc.constant('write' as const), gfn, word: fc.integer({ min: 0, max: 1023 }), v: fc.integer({ min: 0, max: 0xffff_ffff }) }),
    fc.record({ op: fc.constant('read' as const), gfn, word: fc.integer({ min: 0, max: 1023 }) }),
    fc.constant({ op: 'clone' as const }),
    fc.constant({ op: 'switch' as const }),
  ),
  { maxLength: 200 },
);

describe('GuestMemory', () => {
  // The frame index from the first lookup (the default waits for 4,096), so these check it.
  beforeAll(() => sim_setFrameIndexAfter(0));
  afterAll(() => sim_setFrameIndexAfter(4096));

  it('reads back what it wrote, and every copy keeps its own contents whatever the others do (its gfn index included)', () => {
    fc.assert(
      fc.property(ops, (list) => {
        const pairs: Array<{ m: GuestMemory; r: Map<string, number> }> = [{ m: new GuestMemory(), r: new Map() }];
        let cur = 0;
        for (const o of list as Op[]) {
          const { m, r } = pairs[cur]!;
          const gpa = (g: number, w: number): number => g * 4096 + w * 4;
          if (o.op === 'write') {
            // write and write32 (a table entry's low word, as the guest walk's A/D update) alike.
            if (o.v % 2) m.write(gpa(o.gfn, o.word), 4, { lo: o.v, hi: 0 });
            else m.write32(gpa(o.gfn, o.word), o.v);
            r.set(`${o.gfn}:${o.word}`, o.v);
          } else if (o.op === 'read') {
            // A read first, so a miss is remembered before any later write to that gfn.
            expect(m.read32(gpa(o.gfn, o.word))).toBe(r.get(`${o.gfn}:${o.word}`) ?? 0);
          } else if (o.op === 'clone') pairs.push({ m: m.clone(), r: new Map(r) });
          else cur = (cur + 1) % pairs.length;
        }
        for (const { m, r } of pairs) {
          for (const [k, v] of r) {
            const [g, w] = k.split(':').map(Number) as [number, number];
            expect(m.read32(g * 4096 + w * 4)).toBe(v);
          }
          expect(m.gfns()).toEqual([...new Set([...r.keys()].map((k) => Number(k.split(':')[0])))].sort((a, b) => a - b));
        }
      }),
      { seed: 17, numRuns: 300 },
    );
  });

  it('write32 writes one word of an 8-byte entry and leaves the other, and refuses an unaligned gpa', () => {
    const m = new GuestMemory();
    m.write(0x7008, 8, { lo: 0x1023, hi: 0x8000_0000 });
    m.write32(0x7008, 0x1063);
    expect(m.read(0x7008, 8)).toEqual({ lo: 0x1063, hi: 0x8000_0000 });
    expect(() => m.write32(0x7002, 1)).toThrow(/unaligned/);
  });

  it('sees a frame written after it looked the gfn up and found none', () => {
    const m = new GuestMemory();
    expect(m.read32(0x5000)).toBe(0);
    expect(m.frame(5)).toBeUndefined();
    m.write(0x5004, 4, { lo: 7, hi: 0 });
    expect(m.read32(0x5004)).toBe(7);
    const copy = m.clone();
    m.write(0x5004, 4, { lo: 9, hi: 0 });
    expect(copy.read32(0x5004)).toBe(7);
    expect(m.read32(0x5004)).toBe(9);
  });
});
