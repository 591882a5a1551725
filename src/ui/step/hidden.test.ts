/**
 * Issue 15 item 5: what the scenarios' texts only told is drawn. Invalid
 * pae_root slots with their reason, the prev_roots cache, the pages a step
 * zaps (faded on that step, gone at the next) and the note of an empty guest
 * column, in the step model's layouts (tables in both densities, overview,
 * event mode).
 */
import { describe, expect, it } from 'vitest';
import { Timeline } from '../../core/index.ts';
import { LIBRARY } from '../../scenarios/library/index.ts';
import { parseScenario } from '../../scenarios/schema.ts';
import { type Card, DENSITIES, type Layout, layoutColumns, type ShadowCard, textWidth } from '../layout/geometry.ts';
import { isZapped, marksOf, shownLayout, shownStep, stepBoxes } from './index.ts';
import { getStepView, layoutOf, overviewOf } from './view.ts';

const timeline = (id: string) => {
  const p = parseScenario(LIBRARY.find((e) => e.id === id)!.json);
  if (!p.ok) throw new Error(p.error.message);
  return new Timeline(p.scenario, 'seed');
};
const shadows = (l: Layout) => l.cards.filter((c): c is ShadowCard => c.kind === 'shadow');
const byKey = (l: Layout, key: string) => [...l.cards, ...l.notes].find((c) => c.key === key);
/** The middle column top to bottom: a root card's name, or an invalid slot's title. */
const rootsColumn = (l: Layout) =>
  [...shadows(l).filter((c) => c.column === 'roots'), ...l.notes.filter((n) => n.column === 'roots')]
    .sort((a, b) => a.y - b.y)
    .map((c) => (c.kind === 'note' ? c.title : `${c.root} → sp ${c.sp.id}`));

describe('invalid pae_root slots (pae-nonpresent-pdpte)', () => {
  const tl = timeline('pae-nonpresent-pdpte');
  it('draws pae_root[1..3] as empty slots with the reason, in slot order with the valid root', () => {
    for (const l of [layoutOf(getStepView(tl, 1)), layoutOf(getStepView(tl, 1), DENSITIES.compact)]) {
      expect(rootsColumn(l)).toEqual(['pae_root[0] → sp 0', 'pae_root[1]: invalid', 'pae_root[2]: invalid', 'pae_root[3]: invalid']);
      const slot2 = l.notes.find((n) => n.slot === 2)!;
      expect(slot2.sub).toBe('guest PDPTE 2 not present');
      expect(slot2.label).toBe('pae_root[2]: invalid, guest PDPTE 2 not present');
      // In the middle column, as wide as it, its words inside it.
      expect(slot2.x).toBe(l.columns.roots);
      expect(textWidth(slot2.sub, l.density.font.sub, 'mono')).toBeLessThan(slot2.w);
      expect(textWidth(slot2.title, l.density.font.title, 'sansBold')).toBeLessThan(slot2.w);
    }
  });
  it('fills pae_root[1] once the guest makes PDPTE 1 present and reloads CR3 (step 3); the overview draws the slots too', () => {
    expect(rootsColumn(layoutOf(getStepView(tl, 3)))).toEqual(['pae_root[0] → sp 0', 'pae_root[1] → sp 2', 'pae_root[2]: invalid', 'pae_root[3]: invalid']);
    const ov = overviewOf(getStepView(tl, 3), { width: 1400, height: 800 });
    expect(ov.notes.map((n) => n.slot)).toEqual([2, 3]);
  });
  it('has no slot notes where every root is valid (a 32-bit guest)', () => {
    expect(layoutOf(getStepView(timeline('quadrants-32bit'), 2)).notes).toEqual([]);
  });
});

describe('prev_roots (cr3-pcid-switch)', () => {
  const tl = timeline('cr3-pcid-switch');
  it('shows the cached root with its CR3 in the middle column, apart from the current root, and its child links', () => {
    const l = layoutOf(getStepView(tl, 2));
    expect(rootsColumn(l)).toEqual(['root_hpa → sp 4', 'prev_roots[0] (cached, CR3 = 0xa001) → sp 0']);
    const cached = byKey(l, 'sp:0') as ShadowCard;
    expect([cached.prevRoot, cached.rootSlot, cached.column, cached.x]).toEqual([0, null, 'roots', l.columns.roots]);
    expect(cached.title.startsWith('prev_roots[0] (cached, CR3 = 0xa001) → sp 0')).toBe(true);
    expect(l.links.some((x) => x.kind === 'child' && x.ends[0]!.startsWith('spte:0:'))).toBe(true);
  });
  it('counts the cached root as part of a CR3 switch (not dimmed in presenting mode), and not of a later read', () => {
    const idle = (step: number) => {
      const shown = shownStep(tl, step, null);
      return marksOf(byKey(layoutOf(shown.view), 'sp:0') as ShadowCard, shown.hl, new Set(), new Map()).idle;
    };
    expect([idle(2), idle(3)]).toEqual([false, true]);
  });
  it('swaps them back when the guest switches to the first CR3 again (step 4)', () => {
    expect(rootsColumn(layoutOf(getStepView(tl, 4)))).toEqual(['root_hpa → sp 0', 'prev_roots[0] (cached, CR3 = 0xb002) → sp 4']);
  });
});

describe('zapped pages (pd-write-flooding)', () => {
  const tl = timeline('pd-write-flooding');
  const zapped = (l: Layout) => shadows(l).filter((c) => c.zap !== null).map((c) => [c.sp.id, c.zap, c.column]);
  /** The shadow column top to bottom. */
  const shadowColumn = (l: Layout) => shadows(l).filter((c) => c.column === 'shadow').sort((a, b) => a.y - b.y).map((c) => c.title);
  it('draws the three flooded shadow PDs (pae_root[1..3]) faded and marked "zapped" on step 5, atop the shadow column beside the roots, unlinked', () => {
    const l = layoutOf(getStepView(tl, 5));
    expect(zapped(l)).toEqual([
      [1, 'freed', 'shadow'],
      [2, 'freed', 'shadow'],
      [3, 'freed', 'shadow'],
    ]);
    expect(rootsColumn(l)).toEqual(['pae_root[0] → sp 0', 'pae_root[1] → sp 6', 'pae_root[2] → sp 7', 'pae_root[3] → sp 8']);
    expect(shadowColumn(l).map((t) => t.replace(/ · l\d.*?(?= · zapped|$)/, ''))).toEqual(['was pae_root[1] → sp 1 · zapped', 'was pae_root[2] → sp 2 · zapped', 'was pae_root[3] → sp 3 · zapped', 'sp 4', 'sp 5']);
    const sp1 = byKey(l, 'sp:1') as ShadowCard;
    expect(sp1.title).toMatch(/· zapped/);
    // Drawn with no sptes: kvm_mmu_page_unlink_children cleared them before the page was freed.
    const sp0 = byKey(layoutOf(getStepView(tl, 7)), 'sp:0') as ShadowCard;
    expect([getStepView(tl, 6).machine.shadowPages.find((p) => p.id === 0)!.sptes.length, sp0.sp.sptes.length]).toEqual([2, 0]);
    expect(l.links.filter((x) => x.ends.includes('sp:1') || x.ends.some((e) => e.startsWith('spte:1:')))).toEqual([]);
    // They are what the step changed: presenting mode scrolls to them.
    expect(stepBoxes(l, shownStep(tl, 5, null).hl).changed!.bottom).toBeGreaterThanOrEqual(sp1.y + sp1.h);
    // Compact and overview: the same pages, marked the same.
    expect(zapped(layoutOf(getStepView(tl, 5), DENSITIES.compact))).toEqual(zapped(l));
    expect(zapped(overviewOf(getStepView(tl, 5), { width: 1400, height: 800 }))).toEqual(zapped(l));
  });
  it('has them gone at step 6', () => {
    const l = layoutOf(getStepView(tl, 6));
    expect(shadows(l).filter((c) => [1, 2, 3].includes(c.sp.id))).toEqual([]);
    expect(zapped(l)).toEqual([]);
  });
  it('on step 7 (the misaligned write) draws the four old roots faded atop the shadow column, beside the four new roots', () => {
    const l = layoutOf(getStepView(tl, 7));
    expect(rootsColumn(l)).toEqual(['pae_root[0] → sp 9', 'pae_root[1] → sp 10', 'pae_root[2] → sp 11', 'pae_root[3] → sp 12']);
    expect(shadows(l).filter(isZapped).map((c) => [c.sp.id, c.root, c.column])).toEqual([
      [0, 'was pae_root[0]', 'shadow'],
      [6, 'was pae_root[1]', 'shadow'],
      [7, 'was pae_root[2]', 'shadow'],
      [8, 'was pae_root[3]', 'shadow'],
    ]);
  });
  it('in event mode, a page is drawn as it was until its zap, invalid until its free, then freed', () => {
    const events = tl.results[6]!.events;
    const zapAt = events.findIndex((e) => e.kind === 'kvm_mmu_prepare_zap_page' && e.sp === 0);
    const freeAt = events.findIndex((e) => e.kind === 'kvm_mmu_commit_zap_page');
    const zapOf0 = (upTo: number) => (byKey(shownLayout(shownStep(tl, 7, upTo), DENSITIES.full, null), 'sp:0') as ShadowCard).zap;
    expect([zapOf0(zapAt), zapOf0(zapAt + 1), zapOf0(freeAt), zapOf0(freeAt + 1)]).toEqual(['pending', 'invalid', 'invalid', 'freed']);
    const mid = shownLayout(shownStep(tl, 7, zapAt + 1), DENSITIES.full, null);
    expect((byKey(mid, 'sp:0') as ShadowCard).title).toMatch(/zapped: invalid, not yet freed/);
    // Zapped: no link reaches it any more (its parents' sptes were dropped), though the guest PD still shadows there.
    expect(mid.links.filter((x) => x.ends.includes('sp:0'))).toEqual([]);
    // Between kvm_mmu_free_roots and the kvm_mmu_load of the next VM entry, the roots column says why it is empty.
    const between = shownLayout(shownStep(tl, 7, freeAt + 1), DENSITIES.full, null);
    expect(rootsColumn(between)).toEqual(['no roots loaded']);
    expect(between.notes.find((n) => n.key === 'note:roots')!.sub).toBe('kvm_mmu_load builds them at the next VM entry');
    expect(rootsColumn(shownLayout(shownStep(tl, 7, null), DENSITIES.full, null))).not.toContain('no roots loaded');
  });
  it('marks a page zapped but still allocated (role.invalid, a referenced root) "invalid, not yet freed"', () => {
    const v = getStepView(tl, 4);
    const l = layoutColumns(v.machine, v.guest, undefined, undefined, DENSITIES.full, { zapped: new Set([0]), released: new Set(), freed: [], wasRoot: new Map() });
    const root = byKey(l, 'sp:0') as ShadowCard;
    expect([root.zap, root.rootSlot]).toEqual(['invalid', 0]);
    expect(root.title).toBe('pae_root[0] → sp 0 · l2 q0 · zapped: invalid, not yet freed');
  });
});

describe('an empty guest column (paging-off)', () => {
  const tl = timeline('paging-off');
  it('says there are no guest page tables and why, in the guest column, at every step with paging off', () => {
    for (let s = 0; s <= tl.length; s++) {
      const v = getStepView(tl, s);
      const note = layoutOf(v).notes.find((n) => n.key === 'note:guest');
      if (v.machine.mode !== 'off') {
        expect(note).toBeUndefined();
        continue;
      }
      expect(v.guest).toEqual([]);
      expect(note).toMatchObject({ column: 'guest', title: 'no guest page tables', sub: 'paging off: KVM maps gpa = gva with direct pages' });
      expect(note!.label).toBe('no guest page tables: KVM maps gpa = gva with direct pages (paging off)');
      expect(overviewOf(v, { width: 1400, height: 800 }).notes.map((n) => n.key)).toEqual(['note:guest']);
    }
  });
});

describe('the new cards keep the layout invariants', () => {
  it('notes never overlap a card, and a column stacks without overlap, for the four scenarios at every step', () => {
    for (const id of ['pae-nonpresent-pdpte', 'cr3-pcid-switch', 'pd-write-flooding', 'paging-off']) {
      const tl = timeline(id);
      for (let s = 0; s <= tl.length; s++) {
        for (const d of [DENSITIES.full, DENSITIES.compact]) {
          const l = layoutOf(getStepView(tl, s), d);
          const all: (Card | Layout['notes'][number])[] = [...l.cards, ...l.notes];
          for (const a of all)
            for (const b of all) {
              if (a === b) continue;
              const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
              expect(overlap, `${id} step ${s} ${d.name}: ${a.key} overlaps ${b.key}`).toBe(false);
            }
        }
      }
    }
  });
});

describe('the PDPTE a PAE walk reads (pae-nonpresent-pdpte)', () => {
  it('lights the PDPTE registers card: a walk reads PDPTE i from the register, which its event names by no table', () => {
    const tl = timeline('pae-nonpresent-pdpte');
    const shown = shownStep(tl, 1, null);
    const l = shownLayout(shown, DENSITIES.full, null);
    const regs = l.cards.find((c) => c.kind === 'guest' && c.table.registers)!;
    expect(regs).toBeDefined();
    const m = marksOf(regs, shown.hl, new Set(), new Map());
    expect(m.touched).toBe('0');
    // Presenting mode does not dim it: the step read it.
    expect(m.idle).toBe(false);
  });
});

describe('an empty shadow column (permission-faults)', () => {
  it('says why under loaded roots, and goes once a table below them is built', () => {
    const tl = timeline('permission-faults');
    const at = (step: number) => layoutOf(getStepView(tl, step));
    const note = at(4).notes.find((n) => n.key === 'note:shadow')!;
    expect(note.title).toBe('no shadow PTs');
    // It never widens the column beyond the narrowest a column is, in either density.
    expect(note.w).toBe(DENSITIES.full.minColW);
    expect(layoutOf(getStepView(tl, 4), DENSITIES.compact).notes.find((n) => n.key === 'note:shadow')!.w).toBe(DENSITIES.compact.minColW);
    expect(note.x).toBe(at(4).columns.shadow);
    expect(textWidth(note.sub, at(4).density.font.sub, 'mono')).toBeLessThan(note.w);
    const built = tl.length;
    expect(shadows(at(built)).some((c) => c.column === 'shadow')).toBe(true);
    expect(at(built).notes.some((n) => n.key === 'note:shadow')).toBe(false);
  });
});
