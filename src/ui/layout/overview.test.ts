import { describe, expect, it } from 'vitest';
import { Timeline } from '../../core/index.ts';
import { parseScenario } from '../../scenarios/schema.ts';
import sweep from '../../scenarios/library/sweep-64-tables.json';
import quadrants from '../../scenarios/library/quadrants-32bit.json';
import longMode from '../../scenarios/library/long-mode-4-levels.json';
import pagingOff from '../../scenarios/library/paging-off.json';
import { type Card, layoutColumns, layoutOverview, OVERVIEW, ROW_H, tickX } from './geometry.ts';
import { getStepView, overviewOf, shadowPageCounts } from '../step/view.ts';
import { highlightsOf, stepBoxes, targetBox } from '../step/marks.ts';
import { pathEnd } from './routes.ts';

const timeline = (json: unknown) => {
  const p = parseScenario(json);
  if (!p.ok) throw new Error(p.error.message);
  return new Timeline(p.scenario, 'seed');
};
const sweepTl = timeline(sweep);
const quadTl = timeline(quadrants);
const SCREEN = { width: 1150, height: 640 };
const inside = (c: Card, w: number, h: number) => c.x >= 0 && c.y >= 0 && c.x + c.w <= w && c.y + c.h <= h;

describe('layoutOverview', () => {
  it('fits every table of the 64-table scenario on one screen, at every step', () => {
    const capacity = Math.max(...shadowPageCounts(sweepTl));
    expect(capacity).toBeGreaterThanOrEqual(68);
    for (let s = 0; s <= sweepTl.length; s++) {
      const v = getStepView(sweepTl, s);
      const l = layoutOverview(v.machine, v.guest, { ...SCREEN, capacity });
      expect([l.width, l.height]).toEqual([SCREEN.width, SCREEN.height]);
      const shadow = l.cards.filter((c) => c.kind === 'shadow');
      expect(shadow.length).toBe(v.machine.shadowPages.length);
      expect(l.cards.filter((c) => c.kind === 'guest').length).toBe(v.guest.length);
      for (const c of l.cards) expect(inside(c, l.width, l.height), c.key).toBe(true);
      // No two cards of a column overlap.
      for (const col of [l.columns.guest, l.columns.roots, l.columns.shadow]) {
        const ys = l.cards.filter((c) => c.x === col).sort((a, b) => a.y - b.y);
        for (let i = 1; i < ys.length; i++) expect(ys[i]!.y).toBeGreaterThanOrEqual(ys[i - 1]!.y + ys[i - 1]!.h);
      }
    }
    const end = layoutOverview(getStepView(sweepTl, sweepTl.length).machine, getStepView(sweepTl, sweepTl.length).guest, { ...SCREEN, capacity });
    const roots = end.cards.filter((c) => c.kind === 'shadow' && c.rootSlot !== null);
    expect(roots.length).toBe(4);
    // The four roots have their own column: room for a label each, however many pages the others are.
    for (const r of roots) expect(r.h).toBeGreaterThanOrEqual(OVERVIEW.labelMinH);
    expect(end.cards.filter((c) => c.kind === 'shadow' && c.rootSlot === null).length).toBeGreaterThanOrEqual(64);
  });

  it('orders the cards as the detailed view does, roots in slot order', () => {
    const v = getStepView(sweepTl, 40);
    const keys = (cards: readonly Card[], x: number) => cards.filter((c) => c.x === x).map((c) => c.key);
    const detail = layoutColumns(v.machine, v.guest);
    const ov = layoutOverview(v.machine, v.guest, SCREEN);
    expect(keys(ov.cards, ov.columns.guest)).toEqual(keys(detail.cards, detail.columns.guest));
    expect(keys(ov.cards, ov.columns.roots)).toEqual(keys(detail.cards, detail.columns.roots));
    expect(keys(ov.cards, ov.columns.shadow)).toEqual(keys(detail.cards, detail.columns.shadow));
    expect(ov.cards.filter((c) => c.kind === 'shadow' && c.rootSlot !== null).map((c) => (c.kind === 'shadow' ? c.rootSlot : -1))).toEqual([0, 1, 2, 3]);
  });

  it('draws the same links as the detailed view: the PD fans out to four roots, a PT to two shadow PTs', () => {
    const v = getStepView(quadTl, 2);
    const ov = layoutOverview(v.machine, v.guest, SCREEN);
    const detail = layoutColumns(v.machine, v.guest);
    expect(ov.links.map((l) => [l.key, l.kind, l.quadrant])).toEqual(detail.links.map((l) => [l.key, l.kind, l.quadrant]));
    expect(ov.links.filter((l) => l.kind === 'shadow-of' && l.ends[0] === 'gt:0x1:2').map((l) => l.quadrant)).toEqual([0, 1, 2, 3]);
    expect(ov.links.filter((l) => l.kind === 'shadow-of' && l.ends[0] === 'gt:0x4:1').map((l) => l.quadrant)).toEqual([0, 1]);
    // A link leaves the middle of its source card's edge.
    const card = new Map<string, Card>(ov.cards.map((c) => [c.key, c]));
    for (const l of ov.links.filter((x) => x.kind === 'shadow-of')) {
      const g = card.get(l.ends[0]!)!;
      expect(l.path.startsWith(`M${g.x + g.w},${g.y + g.h / 2}`)).toBe(true);
    }
  });

  it('keeps cards in place from step to step when sized for the most shadow pages', () => {
    const capacity = Math.max(...shadowPageCounts(sweepTl));
    const pos = (s: number) => {
      const v = getStepView(sweepTl, s);
      return new Map(layoutOverview(v.machine, v.guest, { ...SCREEN, capacity }).cards.map((c) => [c.key, `${c.x},${c.y},${c.h}`]));
    };
    let moved = 0;
    let kept = 0;
    for (let s = 1; s <= sweepTl.length; s++) {
      const a = pos(s - 1);
      for (const [k, p] of pos(s)) {
        if (!a.has(k)) continue;
        if (a.get(k) === p) kept++;
        else moved++;
      }
    }
    // New pages are added in guest-table order here: nothing already drawn moves.
    expect(kept).toBeGreaterThan(1000);
    expect(moved).toBe(0);
    // Without the capacity every new page would change the pitch of its column.
    const v1 = getStepView(sweepTl, 30);
    const v2 = getStepView(sweepTl, 31);
    expect(v2.machine.shadowPages.length).toBe(v1.machine.shadowPages.length + 1);
    const h = (v: typeof v1) => layoutOverview(v.machine, v.guest, SCREEN).cards.find((c) => c.key === 'sp:4')!.h;
    expect(h(v1)).not.toBe(h(v2));
  });

  it('gives few cards room for a label and scrolls when even the smallest pitch does not fit', () => {
    const v = getStepView(quadTl, 2);
    const ov = layoutOverview(v.machine, v.guest, SCREEN);
    for (const c of ov.cards) expect(c.h).toBeGreaterThanOrEqual(OVERVIEW.labelMinH);
    const tiny = layoutOverview(getStepView(sweepTl, sweepTl.length).machine, getStepView(sweepTl, sweepTl.length).guest, { width: 900, height: 200 });
    expect(tiny.height).toBeGreaterThan(200);
    const ys = tiny.cards.filter((c) => c.x === tiny.columns.shadow).map((c) => c.y);
    expect(ys[1]! - ys[0]!).toBeCloseTo(OVERVIEW.minPitch);
    for (const c of tiny.cards) expect(c.y + c.h).toBeLessThanOrEqual(tiny.height);
  });

  it('puts an entry tick at its index along the card', () => {
    const v = getStepView(quadTl, 2);
    const ov = layoutOverview(v.machine, v.guest, SCREEN);
    const pd = ov.cards.find((c) => c.key === 'gt:0x1:2')!;
    const xs = [0, 511, 512, 1023].map((i) => tickX(pd, i, 1024));
    expect(xs[0]).toBeGreaterThan(pd.x);
    expect(xs[3]).toBeLessThan(pd.x + pd.w);
    // The second half of a 4-byte PD starts at its middle: quadrants 2-3.
    expect((xs[1]! + xs[2]!) / 2).toBeCloseTo(pd.x + 4 + (pd.w - 8) / 2);
  });

  it('hides pages and sptes that later events create (event mode), as the tables do', () => {
    const v = getStepView(quadTl, 2);
    const created = v.events.find((e) => e.kind === 'kvm_mmu_get_page' && e.created) as { sp: number } | undefined;
    expect(created).toBeDefined();
    const ov = layoutOverview(v.machine, v.guest, SCREEN, new Set([created!.sp]), new Set(['3:3']));
    expect(ov.cards.some((c) => c.key === `sp:${created!.sp}`)).toBe(false);
    expect(ov.links.some((l) => l.ends.includes(`sp:${created!.sp}`))).toBe(false);
    const root3 = ov.cards.find((c) => c.kind === 'shadow' && c.rootSlot === 3);
    expect(root3?.kind === 'shadow' && root3.sp.sptes.map((e) => e.index)).toEqual([2]);
  });

  it('is kept per view and size', () => {
    const v = getStepView(quadTl, 3);
    const a = overviewOf(v, { ...SCREEN, capacity: 6 });
    expect(overviewOf(v, { ...SCREEN, capacity: 6 })).toBe(a);
    expect(overviewOf(v, { width: 1000, height: 640, capacity: 6 })).not.toBe(a);
  });
});

/** The x coordinates in an SVG path of absolute M/C commands (number pairs). */
const pathXs = (d: string) => (d.match(/-?[0-9.]+/g) ?? []).map(Number).filter((_, i) => i % 2 === 0);

describe('link ends in the overview', () => {
  it('a child pointer and a fan-out into the same card end at different heights (arrowhead and dot apart)', () => {
    const tl = timeline(longMode);
    let pairs = 0;
    for (let s = 0; s <= tl.length; s++) {
      const v = getStepView(tl, s);
      const l = layoutOverview(v.machine, v.guest, SCREEN);
      for (const c of l.cards) {
        const ends = (kind: string) => l.links.filter((k) => k.kind === kind && k.ends[1] === c.key).map((k) => pathEnd(k.path)!.at[1]);
        for (const a of ends('child'))
          for (const b of ends('shadow-of')) {
            pairs++;
            expect(Math.abs(a - b)).toBeGreaterThan(1);
          }
      }
    }
    expect(pairs).toBeGreaterThan(0);
  });
});

describe('stepBoxes', () => {
  it('spans what step 2 of the default scenario changed, and with the walk everything it read', () => {
    const v = getStepView(quadTl, 2);
    const l = layoutColumns(v.machine, v.guest);
    const { changed, all } = stepBoxes(l, highlightsOf(v.events, null));
    // sp 5 was made and spte 3 of pae_root[3] (sp 3) set.
    const sp5 = targetBox(l, 'sp:5')!;
    const spte33 = targetBox(l, 'spte:3:3')!;
    expect(changed).toEqual({ top: Math.min(sp5.top, spte33.top), bottom: Math.max(sp5.bottom, spte33.bottom), left: spte33.left, right: sp5.right });
    // The walk read guest PD entry 769 and guest PT 0x4 entry 515.
    const pte = targetBox(l, 'gte:0x4:515')!;
    expect(all!.top).toBeLessThanOrEqual(targetBox(l, 'gte:0x1:769')!.top);
    expect(all!.bottom).toBeGreaterThanOrEqual(pte.bottom);
    expect(all!.left).toBe(pte.left);
  });
  it('is empty for a step that touched nothing', () => {
    const l = layoutColumns(getStepView(quadTl, 2).machine, getStepView(quadTl, 2).guest);
    expect(stepBoxes(l, highlightsOf([], null))).toEqual({ changed: null, all: null });
  });
});

describe('layoutOverview in the other paging modes', () => {
  for (const [name, json, roots] of [['long mode (one root_hpa)', longMode, 1], ['paging off (direct PAE roots)', pagingOff, 4]] as const) {
    it(`${name}: every card and link inside the screen at every step`, () => {
      const tl = timeline(json);
      const capacity = Math.max(...shadowPageCounts(tl));
      for (let s = 0; s <= tl.length; s++) {
        const v = getStepView(tl, s);
        const l = layoutOverview(v.machine, v.guest, { ...SCREEN, capacity });
        expect(l.cards.filter((c) => c.kind === 'shadow').length).toBe(v.machine.shadowPages.length);
        for (const c of l.cards) expect(inside(c, l.width, l.height), `step ${s} ${c.key}`).toBe(true);
        // Child links within the shadow column loop out to its right: still inside the picture.
        for (const link of l.links) for (const x of pathXs(link.path)) expect(x, `step ${s} ${link.key}`).toBeLessThanOrEqual(l.width);
      }
      const end = getStepView(tl, tl.length);
      const rootCards = layoutOverview(end.machine, end.guest, SCREEN).cards.filter((c) => c.kind === 'shadow' && c.rootSlot !== null);
      expect(rootCards.length).toBe(roots);
      expect(rootCards.map((c) => (c.kind === 'shadow' ? c.root : null))).toEqual(roots === 1 ? ['root_hpa'] : [0, 1, 2, 3].map((i) => `pae_root[${i}]`));
    });
  }
  it('draws an empty scene without cards', () => {
    const v = getStepView(quadTl, 0);
    const l = layoutOverview({ ...v.machine, shadowPages: [], roots: [] }, [], SCREEN);
    expect(l.cards).toEqual([]);
    expect(l.links).toEqual([]);
    expect([l.width, l.height]).toEqual([SCREEN.width, SCREEN.height]);
  });
});

describe('targetBox', () => {
  const v = getStepView(sweepTl, sweepTl.length);
  const l = layoutColumns(v.machine, v.guest);
  it('finds a card far down the detailed view, and an entry row inside it', () => {
    const last = l.cards.filter((c) => c.kind === 'shadow').at(-1)!;
    expect(last.y).toBeGreaterThan(3000);
    expect(targetBox(l, last.key)).toEqual({ top: last.y, bottom: last.y + last.h, left: last.x, right: last.x + last.w });
    const sp = last.kind === 'shadow' ? last.sp : null;
    const e = sp!.sptes[0]!;
    const row = last.rows.find((r) => r.kind === 'entry' && r.index === e.index)!;
    // The entry's own row (a row's y is relative to its card).
    expect(targetBox(l, `spte:${sp!.id}:${e.index}`)).toEqual({ top: last.y + row.y, bottom: last.y + row.y + ROW_H, left: last.x, right: last.x + last.w });
    const g = l.cards.find((c) => c.kind === 'guest' && c.table.level === 1)!;
    expect(targetBox(l, g.key)?.top).toBe(g.y);
  });
  it('answers null for what is not in the layout', () => {
    expect(targetBox(l, 'sp:99999')).toBeNull();
    expect(targetBox(l, 'gt:0xdead:1')).toBeNull();
    expect(targetBox(l, 'nonsense')).toBeNull();
  });
});
