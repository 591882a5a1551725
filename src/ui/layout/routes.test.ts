/**
 * Links say what they mean only if each is seen to join its own two cards:
 * a fan-out drawn under a root card, or ending where a root's arrowhead is,
 * reads as a pointer to that root (issue 14). Before the router, the first
 * test found 8192 fan-outs running under a card (one per link and layout, over
 * every built-in, rule set and step, tables and overview).
 */
import { describe, expect, it } from 'vitest';
import { RULE_SETS, Timeline } from '../../core/index.ts';
import { LIBRARY } from '../../scenarios/library/index.ts';
import { parseScenario } from '../../scenarios/schema.ts';
import { getStepView, layoutOf, overviewOf, shadowPageCounts } from '../step/view.ts';
import { shownLayout, shownStep } from '../step/index.ts';
import { type Card, DENSITIES, type Layout, type Link, layoutColumns } from './geometry.ts';
import { type Box, countCrossings, insideBox, MARKER, pathEnd, type Pt, type Route, routeLinks, samplePath } from './routes.ts';

/** The card a link starts at: its own key, or the card of the entry it leaves (`gte:GFN:I`, `spte:ID:I`). */
function sourceOf(l: Link, cards: readonly Card[]): Card | undefined {
  const [kind, id] = l.ends[0]!.split(':');
  if (kind === 'gte') return cards.find((c) => c.kind === 'guest' && c.table.gfn === id);
  if (kind === 'spte') return cards.find((c) => c.key === `sp:${id}`);
  return cards.find((c) => c.key === l.ends[0]);
}

const TOL = 1;
const overlaps = (a: { x0: number; y0: number; x1: number; y1: number }, c: Box) => a.x0 < c.x + c.w - TOL && a.x1 > c.x + TOL && a.y0 < c.y + c.h - TOL && a.y1 > c.y + TOL;
const onBox = (p: Pt, c: Box, tol = 0.5) => p[0] >= c.x - tol && p[0] <= c.x + c.w + tol && p[1] >= c.y - tol && p[1] <= c.y + c.h + tol;

/**
 * What is wrong with a layout's links: a fan-out or child pointer whose path
 * passes through a card other than its two ends (a sample strictly inside,
 * by more than TOL), or whose end is not on its target's edge, lies on
 * another card, or whose end marker's box reaches into another card.
 */
function violations(layout: Layout): string[] {
  const out: string[] = [];
  for (const l of layout.links) {
    if (l.kind !== 'shadow-of' && l.kind !== 'child') continue;
    const src = sourceOf(l, layout.cards);
    const tgt = layout.cards.find((c) => c.key === l.ends[1]);
    if (!src || !tgt) {
      out.push(`${l.key}: ends not found`);
      continue;
    }
    // Invalid root slots and column notes are in the way too; a page the step zapped is drawn but linked no more.
    if ([src, tgt].some((c) => c.kind === 'shadow' && c.zap !== null)) out.push(`${l.key} (${l.kind}) ends on a zapped page`);
    const others = [...layout.cards, ...layout.notes].filter((c) => c !== src && c !== tgt);
    const pts = samplePath(l.path, 24).flat();
    // Only the cards the path's extent reaches can have a sample inside.
    const [x0, x1, y0, y1] = [Math.min(...pts.map((p) => p[0])), Math.max(...pts.map((p) => p[0])), Math.min(...pts.map((p) => p[1])), Math.max(...pts.map((p) => p[1]))];
    const near = others.filter((c) => c.x < x1 && c.x + c.w > x0 && c.y < y1 && c.y + c.h > y0);
    const under = near.find((c) => pts.some((p) => insideBox(p, c, TOL)));
    if (under) out.push(`${l.key} (${l.kind}) runs under ${under.key}`);
    const end = pathEnd(l.path);
    if (!end) {
      out.push(`${l.key}: empty path`);
      continue;
    }
    const [x, y] = end.at;
    // Fan-outs end on the target's left edge; a child pointer may loop back to a card of its own column's right edge.
    const onEdge = y > tgt.y && y < tgt.y + tgt.h && (Math.abs(x - tgt.x) <= 0.5 || (l.kind === 'child' && src.x === tgt.x && Math.abs(x - tgt.x - tgt.w) <= 0.5));
    if (!onEdge) out.push(`${l.key} (${l.kind}) ends at ${x},${y}, not on the edge of ${tgt.key}`);
    const onOther = others.find((c) => onBox(end.at, c));
    if (onOther) out.push(`${l.key} (${l.kind}) ends on ${onOther.key}`);
    // The marker: `len` back along the path from its end, `half` either side.
    const m = l.kind === 'shadow-of' ? MARKER.fanDot : MARKER.arrow;
    const [dx, dy] = end.dir;
    const corners: Pt[] = [
      [x + dy * m.half, y - dx * m.half],
      [x - dy * m.half, y + dx * m.half],
      [x - dx * m.len + dy * m.half, y - dy * m.len - dx * m.half],
      [x - dx * m.len - dy * m.half, y - dy * m.len + dx * m.half],
    ];
    const box = { x0: Math.min(...corners.map((p) => p[0])), x1: Math.max(...corners.map((p) => p[0])), y0: Math.min(...corners.map((p) => p[1])), y1: Math.max(...corners.map((p) => p[1])) };
    const hit = others.find((c) => overlaps(box, c));
    if (hit) out.push(`${l.key} (${l.kind}) marker overlaps ${hit.key}`);
  }
  return out;
}

const OVERVIEW_SIZE = { width: 1600, height: 1000 };

describe('link routes', () => {
  it('no fan-out or child pointer runs under a card or ends on one, in every built-in at every step under every rule set', () => {
    const found: string[] = [];
    let layouts = 0;
    for (const entry of LIBRARY) {
      const parsed = parseScenario(entry.json);
      if (!parsed.ok) throw new Error(parsed.error.message);
      for (const rules of RULE_SETS) {
        const tl = new Timeline(parsed.scenario, rules);
        const capacity = Math.max(...shadowPageCounts(tl));
        for (let s = 0; s <= tl.length; s++) {
          const v = getStepView(tl, s);
          // The step model's layouts: with the invalid root slots, prev_roots and the pages the step zapped.
          for (const [view, layout] of [
            ['tables', layoutOf(v)],
            ['compact', layoutOf(v, DENSITIES.compact)],
            ['overview', overviewOf(v, { ...OVERVIEW_SIZE, capacity })],
          ] as const) {
            layouts++;
            for (const msg of violations(layout)) found.push(`${entry.id} ${rules} step ${s} ${view}: ${msg}`);
          }
        }
      }
    }
    expect(layouts).toBeGreaterThan(750);
    expect(found.length, `${found.length} violations, e.g.\n${found.slice(0, 12).join('\n')}`).toBe(0);
  });

  it('keeps the links off the cards in event mode while pd-write-flooding zaps and frees its pages (steps 5 and 7, every event)', () => {
    const parsed = parseScenario(LIBRARY.find((e) => e.id === 'pd-write-flooding')!.json);
    if (!parsed.ok) throw new Error(parsed.error.message);
    const tl = new Timeline(parsed.scenario, 'seed');
    const found: string[] = [];
    for (const step of [5, 7]) {
      const n = tl.results[step - 1]!.events.length;
      for (let k = 1; k <= n; k++) {
        const layout = shownLayout(shownStep(tl, step, k), DENSITIES.full, null);
        for (const msg of violations(layout)) found.push(`step ${step} event ${k}: ${msg}`);
      }
    }
    expect(found).toEqual([]);
  });

  it('counts a link through an invalid root slot as running under a card (the check sees notes)', () => {
    const parsed = parseScenario(LIBRARY.find((e) => e.id === 'permission-faults')!.json);
    if (!parsed.ok) throw new Error(parsed.error.message);
    const l = layoutOf(getStepView(new Timeline(parsed.scenario, 'seed'), 7));
    expect(l.notes.map((n) => n.slot)).toEqual([1, 2, 3]);
    expect(violations(l)).toEqual([]);
    // A slot moved onto the path of a fan-out that crosses the roots column.
    const fan = l.links.find((x) => x.kind === 'shadow-of' && samplePath(x.path).flat().some((p) => p[0] > l.columns.roots + 20 && p[0] < l.columns.shadow - 20))!;
    const p = samplePath(fan.path).flat().find((q) => q[0] > l.columns.roots + 20 && q[0] < l.columns.shadow - 20)!;
    const moved = { ...l.notes[0]!, x: p[0] - 10, y: p[1] - 10, w: 20, h: 20 };
    expect(violations({ ...l, notes: [moved, ...l.notes.slice(1)] })).toContain(`${fan.key} (shadow-of) runs under ${moved.key}`);
  });

  it('sends a fan-out past the roots through a gap instead of under pae_root[1] (cr0-wp-off step 3)', () => {
    const parsed = parseScenario(LIBRARY.find((e) => e.id === 'cr0-wp-off')!.json);
    if (!parsed.ok) throw new Error(parsed.error.message);
    const v = getStepView(new Timeline(parsed.scenario, 'seed'), 3);
    const layout = layoutColumns(v.machine, v.guest);
    expect(violations(layout)).toEqual([]);
    const fan = layout.links.find((l) => l.kind === 'shadow-of' && l.ends[0] === 'gt:0x2:1')!;
    const root1 = layout.cards.find((c) => c.kind === 'shadow' && c.rootSlot === 1)!;
    const tgt = layout.cards.find((c) => c.key === fan.ends[1])!;
    expect(pathEnd(fan.path)!.at[0]).toBe(tgt.x);
    expect(samplePath(fan.path).flat().some((p) => onBox(p, root1, -TOL))).toBe(false);
    expect(fan.style.cls).toBe('link-fan');
  });
});

describe('routeLinks', () => {
  const box = (key: string, x: number, y: number, h: number, w = 100): Box => ({ key, x, y, w, h });
  // Three columns; the middle one has two cards with a 14-unit gap between them.
  const g = [box('g1', 0, 0, 100), box('g2', 0, 120, 100)];
  const mid = [box('m1', 200, 10, 100), box('m2', 200, 124, 200)];
  const right = [box('r1', 400, 0, 60), box('r2', 400, 70, 60), box('r3', 400, 140, 60)];
  const cards = [...g, ...mid, ...right];
  const req = (key: string, from: Box, y1: number, to: Box, y2: number) => ({ key, from, y1, to, y2, group: from.key });

  it('routes links past a column through its gaps, keeping their order, without crossing', () => {
    const reqs = [req('a', g[0]!, 20, right[0]!, 20), req('b', g[0]!, 20, right[1]!, 90), req('c', g[1]!, 140, right[2]!, 160)];
    const routes = routeLinks(cards, reqs);
    for (const r of routes) for (const p of samplePath(r.path).flat()) for (const c of mid) expect(insideBox(p, c, 0)).toBe(false);
    expect(countCrossings(routes.map((r, i) => ({ key: reqs[i]!.key, kind: 'fan', path: r.path })))).toBe(0);
    // Ends level at the targets' left edges.
    routes.forEach((r, i) => {
      const end = pathEnd(r.path)!;
      expect(end.at).toEqual([reqs[i]!.to.x, reqs[i]!.y2]);
      expect(end.dir[0]).toBeCloseTo(1);
    });
  });

  it('keeps the S-curve of a link to the next column and the loop within a column, and is deterministic', () => {
    const reqs = [req('n', g[0]!, 20, mid[0]!, 30), req('loop', right[0]!, 20, right[2]!, 152)];
    const [n, loop] = routeLinks(cards, reqs);
    expect(n!.path).toBe('M100,20C150,20,150,30,200,30');
    expect(loop!.path.startsWith('M500,20C')).toBe(true);
    // Deterministic: the same paths and extents again (a path is written when read).
    const plain = (rs: readonly Route[]) => rs.map((r) => ({ path: r.path, top: r.top, bottom: r.bottom }));
    expect(plain(routeLinks(cards, reqs))).toEqual(plain([n!, loop!]));
  });

  it('counts crossings of sampled paths, not meetings at shared ends', () => {
    expect(countCrossings([
      { key: 'x', kind: 'fan', path: 'M0,0L10,10' },
      { key: 'y', kind: 'child', path: 'M0,10L10,0' },
      { key: 'z', kind: 'fan', path: 'M0,0L10,0' },
    ])).toBe(1);
    expect(countCrossings([{ key: 'x', kind: 'fan', path: 'M0,0C50,0,50,100,100,100' }, { key: 'y', kind: 'child', path: 'M0,100C50,100,50,0,100,0' }], { involving: 'fan' })).toBe(1);
  });
});
