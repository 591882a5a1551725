/**
 * The layout builds a card's rows only when they are read (geometry.ts Body):
 * its height, its column's width and where each entry's row is come from one
 * pass over its entries instead. These tests build the rows and check that
 * every figure the layout took without them is the one the rows give: a card
 * off screen (whose rows are never built) has the right height and row
 * anchors, and its column is as wide as its widest row.
 */
import { describe, expect, it } from 'vitest';
import { generateScenario100k } from '../bench/scenario100k.ts';
import { sim_guestEntriesMade, sim_sptesMade, Timeline, TimelineBuilder } from '../src/core/index.ts';
import { LIBRARY } from '../src/scenarios/library/index.ts';
import { parseScenario } from '../src/scenarios/schema.ts';
import { cardEntryIndexes, DENSITIES, type Density, foldRows, HEAD_H, type Layout, ROW_H, rowH, rowString, rowsInWindow, rowsTextWidth, rowY, type GuestCard, type ShadowCard, textWidth, type Row } from '../src/ui/layout/geometry.ts';
import { columnOf, focusOrder } from '../src/ui/components/canvas-focus.ts';
import { getStepView, layoutOf } from '../src/ui/step/view.ts';
import { shownLayout, shownStep } from '../src/ui/step/index.ts';
import { highlightsOf, marksOf } from '../src/ui/step/marks.ts';

/** Padding of a card's text (geometry.ts PAD, left + right). */
const PAD = 22;

/** What a card's text needs, from its built rows and headings (the eager layout's formula). */
function need(l: Layout, c: Layout['cards'][number] | Layout['notes'][number]): number {
  const d = l.density;
  let w = Math.max(textWidth(c.title, d.font.title, 'sansBold'), textWidth(c.sub, d.font.sub, 'mono'));
  if (c.kind !== 'note')
    for (const r of c.rows) {
      if (r.kind === 'entry') w = Math.max(w, textWidth(rowString(r.text), d.font.row, 'mono'));
      else if (r.h === undefined) w = Math.max(w, textWidth(r.text, d.font.fold, 'sans'));
    }
  return w + PAD;
}

/** Every figure of a detailed layout checked against its rows, built now. */
function checkLayout(l: Layout, where: string): void {
  const d: Density = l.density;
  const widths = { guest: d.minColW, roots: d.minColW, shadow: d.minColW };
  for (const c of l.cards) {
    // Anchors first: read before the rows are built, they must not need them.
    const entries = c.kind === 'guest' ? c.table.entries : c.sp.sptes;
    const anchors = entries.map((e) => rowY(c, e.index));
    const lazyW = rowsTextWidth(c);
    const rows: readonly Row[] = c.rows;
    const at = `${where} ${c.key}`;
    expect(c.h, at).toBe(HEAD_H + rows.reduce((s, r) => s + rowH(r), 0) + 6);
    const count = c.kind === 'guest' ? c.table.entryCount : 512;
    const slots = foldRows(
      entries.map((e) => e.index),
      count,
      HEAD_H,
      d.foldGap,
    );
    expect(rows.map(({ kind, y, ...r }) => ({ kind, y, at: 'index' in r ? r.index : `${r.from}-${r.to}` })), at).toEqual(
      slots.map(({ kind, y, ...r }) => ({ kind, y, at: 'index' in r ? r.index : `${r.from}-${r.to}` })),
    );
    const entryRows = rows.filter((r) => r.kind === 'entry');
    expect(anchors, at).toEqual(entryRows.map((r) => c.y + r.y + ROW_H / 2));
    expect(rowY(c, count + 5), at).toBeNull();
    expect(cardEntryIndexes(c), at).toEqual(entryRows.map((r) => r.index));
    // The width of the card's rows alone (headings left out): each row's text, as drawn.
    let rowsW = 0;
    for (const r of rows) {
      if (r.kind === 'entry') rowsW = Math.max(rowsW, textWidth(rowString(r.text), d.font.row, 'mono'));
      else if (r.h === undefined) rowsW = Math.max(rowsW, textWidth(r.text, d.font.fold, 'sans'));
    }
    expect(lazyW, `${at} rows' width`).toBeCloseTo(rowsW, 9);
    widths[columnOf(c)] = Math.max(widths[columnOf(c)], need(l, c));
  }
  for (const n of l.notes) widths[n.column] = Math.max(widths[n.column], need(l, n));
  for (const c of l.cards) expect(c.w, `${where} ${c.key} width`).toBe(Math.ceil(widths[columnOf(c)]));
  // The focus order (read from the entries) walks each card's entry rows in order.
  const order = focusOrder(l);
  for (const c of l.cards) {
    const keys = c.rows.filter((r) => r.kind === 'entry').map((r) => (c.kind === 'guest' ? `gte:${c.table.gfn}:${r.index}` : `spte:${c.sp.id}:${r.index}`));
    const list = order[columnOf(c)];
    const from = list.indexOf(c.key);
    expect(list.slice(from + 1, from + 1 + keys.length), `${where} ${c.key} focus order`).toEqual(keys);
  }
}

describe('lazy rows: what the layout knows without building them', () => {
  it('agrees with the rows on every step of every built-in, at both densities', () => {
    for (const e of LIBRARY) {
      const p = parseScenario(e.json);
      if (!p.ok) throw new Error(p.error.message);
      const tl = new Timeline(p.scenario, 'seed');
      for (let n = 0; n <= tl.length; n++)
        for (const d of [DENSITIES.full, DENSITIES.compact]) {
          // A fresh layout (not layoutOf's), so that no row was read before the checks.
          const v = getStepView(tl, n);
          checkLayout(layoutOf({ ...v }, d), `${e.id} step ${n} ${d.name}`);
        }
    }
  });

  it('agrees with the rows across a 3,000-step run of the 100,000-step generator, jumping about', () => {
    const tl = new TimelineBuilder(generateScenario100k(3000).scenario, 'seed').timeline();
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let k = 0; k < 40; k++) {
      const n = next() % (tl.length + 1);
      checkLayout(layoutOf({ ...getStepView(tl, n) }, k % 2 ? DENSITIES.compact : DENSITIES.full), `3000-step run, step ${n}`);
    }
  });
});

describe('lazy entries: a view lays out its guest tables and shadow pages without their entries\' JSON', () => {
  it('the layout, its links, every card\'s marks and the focus order make no entry JSON; a card\'s rows make its own only', () => {
    const scenario = generateScenario100k(3000).scenario;
    for (const n of [2999, 1234, 777]) {
      // A timeline each: a view reuses the unchanged tables and pages of the views before it (and whatever was made of them).
      const v = getStepView(new TimelineBuilder(scenario, 'seed').timeline(), n);
      const made = () => [...v.guest.filter(sim_guestEntriesMade).map((t) => t.gfn), ...v.machine.shadowPages.filter(sim_sptesMade).map((p) => p.id)];
      // A page the step zapped is drawn empty (a copy): the others are the view's own.
      expect(v.gone.zapped.size, `step ${n}`).toBe(0);
      for (const d of [DENSITIES.full, DENSITIES.compact]) {
        const l = layoutOf(v, d);
        void l.links;
        const hl = highlightsOf(v.events, v.events.length);
        for (const c of l.cards) marksOf(c, hl, new Set(), new Map());
        void focusOrder(l);
      }
      expect(made(), `step ${n}`).toEqual([]);
      const card = layoutOf(v).cards.find((c): c is ShadowCard => c.kind === 'shadow' && c.sp.role.level === 1)!;
      expect(card.rows.length).toBeGreaterThan(0);
      expect(made(), `step ${n}`).toEqual([card.sp.id]);
      const table = layoutOf(v).cards.find((c): c is GuestCard => c.kind === 'guest')!;
      expect(table.rows.length).toBeGreaterThan(0);
      expect(made(), `step ${n}`).toEqual([table.table.gfn, card.sp.id]);
    }
  });
});

describe('lazy entries in event mode and on zapping steps', () => {
  it('a partial step makes the JSON only of pages with hidden sptes; a step that zaps makes none for its zapped pages', () => {
    // A step of the 3,000-step run that adds sptes (event mode hides them until revealed), and the first step of a built-in that zaps pages.
    const scenario = generateScenario100k(3000).scenario;
    const tl = new TimelineBuilder(scenario, 'seed').timeline();
    const adds = Array.from({ length: 400 }, (_, i) => 2000 + i).find((n) => getStepView(tl, n).events.some((e) => e.kind === 'kvm_mmu_set_spte'))!;
    const cases: Array<{ scenario: typeof scenario; n: number }> = [{ scenario, n: adds }];
    for (const e of LIBRARY) {
      const p = parseScenario(e.json);
      if (!p.ok) throw new Error(p.error.message);
      const t = new Timeline(p.scenario, 'seed');
      const n = Array.from({ length: t.length }, (_, i) => i + 1).find((k) => getStepView(t, k).gone.zapped.size > 0);
      if (n !== undefined) {
        cases.push({ scenario: p.scenario, n });
        break;
      }
    }
    expect(cases.length, 'a built-in that zaps').toBe(2);
    for (const { scenario: sc, n } of cases)
      for (const upTo of [1, null]) {
        const fresh = new Timeline(sc, 'seed');
        const shown = shownStep(fresh, n, upTo);
        const v = shown.view;
        // The freed pages are the step before's: drawn empty, their sptes not made for it.
        const madePages = () => [...v.machine.shadowPages, ...v.gone.freed].filter(sim_sptesMade).map((p) => p.id);
        expect(madePages(), `step ${n} before`).toEqual([]);
        for (const d of [DENSITIES.full, DENSITIES.compact]) void shownLayout(shown, d, null).links;
        void shownLayout(shown, DENSITIES.full, { width: 1440, height: 900, capacity: 200 }).links;
        const withHidden = new Set([...shown.hiddenSptes].map((k) => Number(k.split(':')[0])));
        expect(madePages().filter((id) => !withHidden.has(id)), `step ${n}, ${upTo ?? 'all'} events`).toEqual([]);
      }
  });
});

describe('rowsInWindow', () => {
  const rows = foldRows([2, 3, 4, 40, 41, 300], 512, HEAD_H).map((r): Row => (r.kind === 'entry' ? { ...r, text: { idx: '', value: '', flags: '', target: '' } } : { ...r, text: '' }));
  const at = (rs: readonly Row[]) => rs.map((r) => (r.kind === 'entry' ? r.index : `${r.from}-${r.to}`));

  it('keeps the rows that reach into the window, at their own y', () => {
    // Rows at 40, 58, ...: [60, 100) cuts rows 2 (58..76), 3 (76..94) and 4 (94..112).
    const got = rowsInWindow(rows, 60, 100);
    expect(at(got)).toEqual([2, 3, 4]);
    expect(got.map((r) => r.y)).toEqual(rows.slice(1, 4).map((r) => r.y));
    expect(at(rowsInWindow(rows, -1000, 1e6))).toEqual(at(rows));
    expect(rowsInWindow(rows, 1e5, 2e5)).toEqual([]);
  });

  it('adds the focused entry where it is outside the window, in row order', () => {
    expect(at(rowsInWindow(rows, 60, 100, 300))).toEqual([2, 3, 4, 300]);
    // Rows 41 (148..166), the run 42-299 (166..184) and 300 (184..202) reach into [150, 200).
    expect(at(rowsInWindow(rows, 150, 200, 2))).toEqual([2, 41, '42-299', 300]);
    // Inside already, or no such entry: nothing added.
    expect(at(rowsInWindow(rows, 60, 100, 3))).toEqual([2, 3, 4]);
    expect(at(rowsInWindow(rows, 60, 100, 7))).toEqual([2, 3, 4]);
  });
});
