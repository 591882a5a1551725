import { describe, expect, it } from 'vitest';
import { segmentsOf, SPELLINGS } from './match.ts';
import { TERMS } from './terms.ts';

const marks = (text: string) => segmentsOf(text).flatMap((s) => (s.kind === 'text' ? [] : [s.kind === 'term' ? `${s.id}:${s.text}` : `notation:${s.text}`]));

describe('segmentsOf', () => {
  it('keeps the text whole', () => {
    const t = 'kvm_mmu_get_page new sp 5: gfn 4 l1 4-byte q1 w-x !nxe, write-protect gfn 4: 1 spte loses W';
    expect(segmentsOf(t).map((s) => s.text).join('')).toBe(t);
  });
  it('marks whole words only: sp, not the sp in spte or kvm_mmu_sp', () => {
    expect(marks('sp 3 entry 2 = spte')).toEqual(['sp:sp', 'spte:spte']);
    expect(marks('kvm_mmu_sp_x spx')).toEqual([]);
    expect(marks('mmu_alloc_direct_roots')).toEqual([]);
  });
  it('takes the longest spelling: CR0.WP before WP, !nxe before nxe, guest PTEs before PTEs', () => {
    expect(marks('CR0.WP=0')).toEqual(['cr0-wp:CR0.WP']);
    expect(marks('WP')).toEqual(['cr0-wp:WP']);
    expect(marks('re-read the guest PTEs of sp 4')).toEqual(['gpte:guest PTEs', 'sp:sp']);
    expect(marks('RET_PF_EMULATE')).toEqual(['ret-pf-emulate:RET_PF_EMULATE']);
  });
  it('marks a term once per text, at its first occurrence', () => {
    expect(marks('sp 1 entry 3 -> sp 2')).toEqual(['sp:sp']);
  });
  it('finds role notations, with or without their gfn, as one piece', () => {
    expect(marks('new sp 2: gfn 4 l1 4-byte q1 w-x !nxe')).toEqual(['sp:sp', 'notation:gfn 4 l1 4-byte q1 w-x !nxe']);
    expect(marks('role l2 4-byte q3 direct wux: quadrant = 3')).toEqual(['role:role', 'notation:l2 4-byte q3 direct wux', 'quadrant:quadrant']);
  });
  it('every spelling belongs to one term, and every term has a definition', () => {
    const all = TERMS.flatMap((t) => t.match);
    expect(all.length).toBe(new Set(all).size);
    expect(SPELLINGS.size).toBe(all.length);
    expect(new Set(TERMS.map((t) => t.id)).size).toBe(TERMS.length);
    for (const t of TERMS) {
      expect(t.def.length, t.id).toBeGreaterThan(30);
      if (t.link) expect(t.link.href, t.id).toMatch(/^https:\/\/elixir\.bootlin\.com\/linux\/v(5\.15|6\.0)\//);
    }
  });
});
