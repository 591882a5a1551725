import { describe, expect, it } from 'vitest';
import { Timeline } from '../../core/index.ts';
import { parseScenario } from '../../scenarios/schema.ts';
import json from '../../scenarios/library/quadrants-32bit.json';
import fc from 'fast-check';
import { foldRows, foldText, foldTextChars, layoutColumns, mirrorSptes, ROW_H } from './geometry.ts';
import { getStepView } from '../step/view.ts';
import { storyOf } from './explain.ts';

const tl = (() => {
  const p = parseScenario(json);
  if (!p.ok) throw new Error(p.error.message);
  return new Timeline(p.scenario, 'seed');
})();

describe('foldRows', () => {
  it('shows present entries and folds the empty runs between them', () => {
    const rows = foldRows([3, 4, 769], 1024, 100);
    expect(rows.map((r) => (r.kind === 'entry' ? r.index : `${r.from}-${r.to}`))).toEqual(['0-2', 3, 4, '5-768', 769, '770-1023']);
    expect(rows.map((r) => r.y)).toEqual([0, 1, 2, 3, 4, 5].map((i) => 100 + i * ROW_H));
  });
  it('folds a fully empty table into one row', () => {
    expect(foldRows([], 512, 0)).toEqual([{ kind: 'fold', from: 0, to: 511, y: 0 }]);
  });
});

describe('layout of the default scenario', () => {
  it('puts the four roots in the middle column in slot order and fans the guest PD out to them', () => {
    const v = getStepView(tl, 2);
    const layout = layoutColumns(v.machine, v.guest);
    const roots = layout.cards.filter((c) => c.kind === 'shadow' && c.rootSlot !== null);
    expect(roots.map((c) => (c.kind === 'shadow' ? [c.rootSlot, c.sp.role.quadrant, c.x] : null))).toEqual([0, 1, 2, 3].map((i) => [i, i, layout.columns.roots]));
    const fan = layout.links.filter((l) => l.kind === 'shadow-of' && l.ends[0] === 'gt:0x1:2');
    expect(fan.map((l) => l.quadrant)).toEqual([0, 1, 2, 3]);
    const ptFan = layout.links.filter((l) => l.kind === 'shadow-of' && l.ends[0] === 'gt:0x4:1');
    expect(ptFan.map((l) => l.quadrant)).toEqual([0, 1]);
    expect(layout.links.every((l) => l.path.startsWith('M'))).toBe(true);
  });
  it('hides pages and sptes that later events create (event mode)', () => {
    const v = getStepView(tl, 2);
    const created = v.events.find((e) => e.kind === 'kvm_mmu_get_page' && e.created);
    expect(created).toBeDefined();
    const sp = (created as { sp: number }).sp;
    const layout = layoutColumns(v.machine, v.guest, new Set([sp]), new Set(['3:3']));
    expect(layout.cards.some((c) => c.kind === 'shadow' && c.sp.id === sp)).toBe(false);
    const root3 = layout.cards.find((c) => c.kind === 'shadow' && c.rootSlot === 3);
    expect(root3 && root3.kind === 'shadow' && root3.sp.sptes.map((e) => e.index)).toEqual([2]);
    // Pages with nothing hidden keep their identity (their cards are not re-rendered).
    const others = layout.cards.filter((c) => c.kind === 'shadow' && c.rootSlot !== 3);
    expect(others.length).toBeGreaterThan(0);
    for (const c of others) if (c.kind === 'shadow') expect(v.machine.shadowPages).toContain(c.sp);
  });
});

describe('mirrorSptes', () => {
  const v = getStepView(tl, 2);
  const byId = (id: number) => v.machine.shadowPages.find((sp) => sp.id === id)!;
  it('maps a 32-bit PDE to two shadow PDEs of the quadrant root (get_written_sptes in reverse)', () => {
    expect(mirrorSptes(byId(3), 769, 4)).toEqual([2, 3]);
    expect(mirrorSptes(byId(0), 769, 4)).toEqual([]);
  });
  it('maps guest PTE 515 to spte 3 of the quadrant-1 shadow PT', () => {
    const pts = v.machine.shadowPages.filter((sp) => sp.gfn === '0x4');
    expect(pts.map((sp) => mirrorSptes(sp, 515, 4))).toEqual([[], [3]]);
  });
});

describe('storyOf', () => {
  it('tells step 2 as a call path with the quadrant formula evaluated', () => {
    const lines = storyOf(getStepView(tl, 2).events);
    const fns = lines.map((l) => l.fn);
    expect(fns).toEqual(expect.arrayContaining(['kvm_mmu_page_fault', 'FNAME(page_fault)', 'FNAME(walk_addr)', 'FNAME(fetch)', 'kvm_mmu_get_child_sp', 'kvm_mmu_child_role', 'kvm_mmu_get_page', 'link_shadow_page', 'mmu_set_spte']));
    expect(lines.find((l) => l.fn === 'kvm_mmu_child_role')!.text).toContain('parent index 3 % 2 = 1');
    expect(fns.indexOf('FNAME(walk_addr)')).toBeLessThan(fns.indexOf('FNAME(fetch)'));
  });
});

describe('foldTextChars: the length of a gap\'s words without them', () => {
  it('is foldText(...).length at every digit boundary and on random runs', () => {
    for (const [from, to] of [[0, 0], [9, 9], [10, 10], [0, 9], [9, 10], [99, 100], [100, 999], [999, 1000], [4, 1023]] as const) {
      expect(foldTextChars(from, to, 'entry', 'entries')).toBe(foldText(from, to, 'entry', 'entries').length);
      expect(foldTextChars(from, to, 'spte', 'sptes')).toBe(foldText(from, to, 'spte', 'sptes').length);
    }
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1 << 20 }), fc.integer({ min: 0, max: 1 << 20 }), fc.string(), fc.string(), (a, b, one, many) => {
        const [from, to] = a <= b ? [a, b] : [b, a];
        return foldTextChars(from, to, one, many) === foldText(from, to, one, many).length;
      }),
    );
  });
});
