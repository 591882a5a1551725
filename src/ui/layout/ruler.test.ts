import { describe, expect, it } from 'vitest';
import { RULE_SETS, Timeline } from '../../core/index.ts';
import { LIBRARY } from '../../scenarios/library/index.ts';
import { parseScenario } from '../../scenarios/schema.ts';
import { stepGva, stepRuler } from '../step/view.ts';
import { GiB1, KiB4, MiB2, MiB4, type Ruler, type RulerInput, rulerOf, type ShadowHop } from './ruler.ts';

/** A shadow page on the path: `four` = a role with 4-byte gptes. */
const hop = (sp: number, level: number, quadrant: number, four: boolean, direct = false): ShadowHop => ({ sp, level, role: { gpteIs8Bytes: !four, quadrant, direct } });

const input = (over: Partial<RulerInput> & Pick<RulerInput, 'gva' | 'mode'>): RulerInput => ({
  which: 'this',
  step: 1,
  op: 'read',
  guestPageBytes: KiB4,
  shadowPath: [],
  shadowLeafLevel: 1,
  ...over,
});

/** Fields as `hi:lo=value`, with `*` on quadrant bits. */
const cut = (row: Ruler['guest']): string[] => row.fields.map((f) => `${f.hi}:${f.lo}=${f.value}${f.quadrant ? `*${f.quadrant.hi}:${f.quadrant.lo}` : ''}`);
const labels = (row: Ruler['guest']): string[] => row.fields.map((f) => f.kernel);

const timeline = (id: string, rules: (typeof RULE_SETS)[number]) => {
  const p = parseScenario(LIBRARY.find((e) => e.id === id)!.json);
  if (!p.ok) throw new Error(p.error.message);
  return new Timeline(p.scenario, rules);
};

describe('rulerOf: one split per mode and page size', () => {
  it('32-bit, 4 KiB page: 10:10:12 against the PAE shadow 2:9:9:12, quadrant bits 31:30 and 21 marked', () => {
    // 0xc0603123 = 1100 0000 0110 0000 0011 0001 0010 0011
    // guest: PDE 31:22 = 0x301, PTE 21:12 = 0x203, offset 0x123
    // shadow: 31:30 = 3, 29:21 = 0x003, 20:12 = 0x003, offset 0x123; bit 21 = 1
    const r = rulerOf(input({ gva: 0xc0603123, mode: 'x86-32', shadowPath: [hop(3, 2, 3, true), hop(5, 1, 1, true)] }));
    expect(r.address).toBe('0xc0603123');
    expect(r.kind).toBe('gva');
    expect(r.guest.split).toBe('10:10:12');
    expect(cut(r.guest)).toEqual(['31:22=0x301', '21:12=0x203', '11:0=0x123']);
    expect(labels(r.guest)).toEqual(['PDE', 'PTE', 'offset']);
    expect(r.shadow.split).toBe('2:9:9:12');
    expect(cut(r.shadow)).toEqual(['31:30=0x3*31:30', '29:21=0x3*21:21', '20:12=0x3', '11:0=0x123']);
    expect(r.quadrants.map((q) => [q.kind, q.value])).toEqual([
      ['root', 3],
      ['page-table', 1],
    ]);
    expect(r.quadrants[0]!.text).toContain('guest PDEs 768-1023');
    expect(r.quadrants[1]!.text).toContain('guest PTEs 512-1023');
  });

  it('32-bit, 4 MiB page (PSE): 10:22 for the guest; the shadow as it was built (4 KiB direct PT, or a 2 MiB spte)', () => {
    // 0xc0603123: PDE 0x301, offset in the 4 MiB page 0x203123
    const small = rulerOf(input({ gva: 0xc0603123, mode: 'x86-32', guestPageBytes: MiB4, shadowPath: [hop(3, 2, 3, true), hop(5, 1, 0, false, true)] }));
    expect(small.guest.split).toBe('10:22');
    expect(cut(small.guest)).toEqual(['31:22=0x301', '21:0=0x203123']);
    expect(small.guest.fields[1]!.label).toBe('offset in the 4 MiB page');
    // `before` forces 8-byte gptes on a direct page: no page-table quadrant then.
    expect(cut(small.shadow)).toEqual(['31:30=0x3*31:30', '29:21=0x3', '20:12=0x3', '11:0=0x123']);
    expect(small.notes).toContain('a 4 MiB guest page');
    expect(small.notes[0]).toBe('shadow: a 4 KiB spte in sp 5 (direct)');
    const huge = rulerOf(input({ gva: 0xc0603123, mode: 'x86-32', guestPageBytes: MiB4, shadowPath: [hop(3, 2, 3, true)], shadowLeafLevel: 2 }));
    expect(huge.shadow.split).toBe('2:9:21');
    expect(cut(huge.shadow)).toEqual(['31:30=0x3*31:30', '29:21=0x3', '20:0=0x3123']);
    expect(huge.notes[0]).toBe('shadow: a 2 MiB spte in sp 3');
  });

  it('PAE, 4 KiB page: 2:9:9:12 for both, and no quadrant marks (8-byte gptes)', () => {
    // 0x40603123: PDPTE 31:30 = 1, PDE 29:21 = 0x003, PTE 20:12 = 0x003, offset 0x123
    const r = rulerOf(input({ gva: 0x40603123, mode: 'pae', shadowPath: [hop(1, 2, 0, false), hop(4, 1, 0, false)] }));
    expect(cut(r.guest)).toEqual(['31:30=0x1', '29:21=0x3', '20:12=0x3', '11:0=0x123']);
    expect(labels(r.guest)).toEqual(['PDPTE', 'PDE', 'PTE', 'offset']);
    expect(cut(r.shadow)).toEqual(['31:30=0x1', '29:21=0x3', '20:12=0x3', '11:0=0x123']);
    expect(r.quadrants).toEqual([]);
  });

  it('PAE, 2 MiB page: 2:9:21', () => {
    // 0x7fe12345: PDPTE 1, PDE 0x1ff, offset in the 2 MiB page 0x012345
    const r = rulerOf(input({ gva: 0x7fe12345, mode: 'pae', guestPageBytes: MiB2, shadowPath: [hop(1, 2, 0, false)], shadowLeafLevel: 2 }));
    expect(r.guest.split).toBe('2:9:21');
    expect(cut(r.guest)).toEqual(['31:30=0x1', '29:21=0x1ff', '20:0=0x12345']);
    expect(cut(r.shadow)).toEqual(['31:30=0x1', '29:21=0x1ff', '20:0=0x12345']);
    expect(r.quadrants).toEqual([]);
  });

  // 0xffff800000123450 as the core keeps it: bits 47:0 = 0x800000123450.
  const kernelHalf = 0x8000_0012_3450;
  it('long mode, 4 KiB page, kernel half: 9:9:9:9:12 with bits 63:48 shown as the sign extension', () => {
    const r = rulerOf(input({ gva: kernelHalf, mode: 'x86-64', shadowPath: [hop(0, 4, 0, false), hop(1, 3, 0, false), hop(2, 2, 0, false), hop(3, 1, 0, false)] }));
    expect(r.address).toBe('0xffff800000123450');
    expect(r.guest.split).toBe('9:9:9:9:12');
    // 47:39 = 0x100, 38:30 = 0, 29:21 = 0, 20:12 = 0x123, offset 0x450
    expect(cut(r.guest)).toEqual(['63:48=0xffff', '47:39=0x100', '38:30=0x0', '29:21=0x0', '20:12=0x123', '11:0=0x450']);
    expect(r.guest.fields[0]!.sign).toBe(true);
    expect(labels(r.guest)).toEqual(['sign extension', 'PML4E', 'PDPTE', 'PDE', 'PTE', 'offset']);
    expect(cut(r.shadow)).toEqual(cut(r.guest));
    expect(r.quadrants).toEqual([]);
  });

  it('long mode, 2 MiB page: 9:9:9:21 (user half: bits 63:48 are 0)', () => {
    // 0x7f0000234567: 47:39 = 0xfe, 38:30 = 0, 29:21 = 1, offset 0x34567
    const r = rulerOf(input({ gva: 0x7f00_0023_4567, mode: 'x86-64', guestPageBytes: MiB2, shadowPath: [hop(0, 4, 0, false), hop(1, 3, 0, false), hop(2, 2, 0, false), hop(6, 1, 0, false, true)] }));
    expect(r.address).toBe('0x00007f0000234567');
    expect(r.guest.split).toBe('9:9:9:21');
    expect(cut(r.guest)).toEqual(['63:48=0x0', '47:39=0xfe', '38:30=0x0', '29:21=0x1', '20:0=0x34567']);
    // Host 4 KiB pages: the shadow maps it with a direct PT of 4 KiB sptes.
    expect(r.shadow.split).toBe('9:9:9:9:12');
    expect(r.notes[0]).toBe('shadow: a 4 KiB spte in sp 6 (direct)');
  });

  it('long mode, 1 GiB page, kernel half: 9:9:30', () => {
    const r = rulerOf(input({ gva: kernelHalf, mode: 'x86-64', guestPageBytes: GiB1, shadowPath: [hop(0, 4, 0, false), hop(7, 3, 0, false)], shadowLeafLevel: 3 }));
    expect(r.guest.split).toBe('9:9:30');
    expect(cut(r.guest)).toEqual(['63:48=0xffff', '47:39=0x100', '38:30=0x0', '29:0=0x123450']);
    expect(r.guest.fields[3]!.label).toBe('offset in the 1 GiB page');
    expect(r.shadow.split).toBe('9:9:30');
  });

  it('paging off: the address is a gpa (no guest walk), the shadow is the direct map in PAE format', () => {
    // 0x40005000: pae_root[1], direct PD index 0, direct PT index 5
    const merged = rulerOf(input({ gva: 0x40005000, mode: 'off', guestPageBytes: null, shadowPath: [hop(1, 2, 0, false, true), hop(5, 1, 0, false, true)] }));
    expect(merged.kind).toBe('gpa');
    expect(merged.address).toBe('0x40005000');
    expect(merged.guest.split).toBe('');
    expect(cut(merged.guest)).toEqual(['31:0=0x40005000']);
    expect(cut(merged.shadow)).toEqual(['31:30=0x1', '29:21=0x0', '20:12=0x5', '11:0=0x0']);
    expect(merged.quadrants).toEqual([]);
    expect(merged.notes).toContain('paging off: direct pages map gpa = gva');
    // The seed patch leaves gpte_is_8_bytes clear with paging off: its direct roots have quadrants.
    const seed = rulerOf(input({ gva: 0x40005000, mode: 'off', guestPageBytes: null, shadowPath: [hop(1, 2, 1, true, true), hop(5, 1, 0, true, true)] }));
    expect(cut(seed.shadow)).toEqual(['31:30=0x1*31:30', '29:21=0x0*21:21', '20:12=0x5', '11:0=0x0']);
    expect(seed.quadrants[0]!.text).toBe('root quadrant 1 (bits 31:30): pae_root[1] = sp 1, gpa 0x40000000-0x7fffffff');
  });

  it('marks a quadrant only where the page on the path has a 4-byte role, and says when the role and the bits disagree', () => {
    const eight = rulerOf(input({ gva: 0xc0603123, mode: 'x86-32', shadowPath: [hop(3, 2, 0, false), hop(5, 1, 0, false)] }));
    expect(eight.quadrants).toEqual([]);
    expect(eight.shadow.fields.some((f) => f.quadrant)).toBe(false);
    const wrong = rulerOf(input({ gva: 0xc0603123, mode: 'x86-32', shadowPath: [hop(3, 2, 3, true), hop(5, 1, 0, true)] }));
    expect(wrong.notes).toContain("sp 5's role says q0, bit 21 says 1");
  });
});

describe('the ruler of the built-ins', () => {
  it('a PAE built-in claims no quadrant on any step under any rule set', () => {
    for (const rules of RULE_SETS) {
      for (const id of ['pae-nonpresent-pdpte', 'permission-faults']) {
        const tl = timeline(id, rules);
        for (let s = 0; s <= tl.length; s++) {
          const r = stepRuler(tl, s)!;
          expect(r.mode).toBe('pae');
          expect(r.quadrants).toEqual([]);
          expect(r.shadow.fields.some((f) => f.quadrant)).toBe(false);
        }
      }
    }
  });

  it('paging off: quadrants only under the seed patch (4-byte direct roles), none under before / merged', () => {
    const marked = (rules: (typeof RULE_SETS)[number]) => stepRuler(timeline('paging-off', rules), 2)!.quadrants.map((q) => q.kind);
    expect(stepRuler(timeline('paging-off', 'merged'), 2)!.kind).toBe('gpa');
    expect(marked('before')).toEqual([]);
    expect(marked('merged')).toEqual([]);
    expect(marked('merged-no-7')).toEqual([]);
    expect(marked('seed')).toEqual(['root', 'page-table']);
  });

  it('the pae_root slot of a non-present PDPTE is named as invalid', () => {
    const r = stepRuler(timeline('pae-nonpresent-pdpte', 'merged'), 2)!;
    expect(r.address).toBe('0x40000000');
    expect(r.notes[0]).toBe("pae_root[1] is invalid (the guest's PDPTE 1 is not present)");
  });

  it('long mode: the kernel-half address in full, from a 1 GiB guest page', () => {
    const r = stepRuler(timeline('long-mode-4-levels', 'merged'), 4)!;
    expect(r.address).toBe('0xffff800000123450');
    expect(r.guest.split).toBe('9:9:30');
  });

  it('32-bit PSE with host huge pages: the shadow maps 2 MiB', () => {
    const r = stepRuler(timeline('pse-host-huge', 'merged'), 1)!;
    expect(r.guest.split).toBe('10:22');
    expect(r.shadow.split).toBe('2:9:21');
  });

  it('a step that is no access shows the next access, labelled; none after the last access', () => {
    const tl = timeline('unsync-invlpg-sync', 'merged');
    // Steps: read, write, read, write, invlpg, read, read, cr3, read.
    expect(stepGva(tl, 0)).toMatchObject({ which: 'next', step: 1 });
    expect(stepGva(tl, 5)).toMatchObject({ which: 'this', step: 5, op: 'invlpg' });
    expect(stepGva(tl, 8)).toMatchObject({ which: 'next', step: 9 });
    const sweep = timeline('sweep-64-tables', 'merged');
    expect(stepGva(sweep, sweep.length)).toBeNull();
  });
});
