/**
 * A layout hands out again the card and link objects an earlier layout made
 * when they are the same in every field (geometry.ts recent): neighbouring
 * steps share them. These tests check that a layout with reused objects is
 * the layout made from scratch, field by field and row by row, and that
 * neighbouring steps do share them.
 */
import { describe, expect, it } from 'vitest';
import { generateScenario100k, mulberry32 } from '../bench/scenario100k.ts';
import { TimelineBuilder } from '../src/core/index.ts';
import { DENSITIES, layoutColumns, sim_forgetRecent } from '../src/ui/layout/geometry.ts';
import { getStepView } from '../src/ui/step/view.ts';
import { plainLayout } from './plain-layout.ts';
import { LIBRARY } from '../src/scenarios/library/index.ts';
import { parseScenario } from '../src/scenarios/schema.ts';


describe('layouts reuse the cards and links of earlier layouts only where they are the same', () => {
  it('lays out steps of a long run and of every built-in as it would from scratch', () => {
    const runs = [new TimelineBuilder(generateScenario100k(3000).scenario, 'seed').timeline()];
    for (const e of LIBRARY.slice(0, 12)) {
      const p = parseScenario(e.json);
      if (p.ok) runs.push(new TimelineBuilder(p.scenario, 'seed').timeline());
    }
    const rnd = mulberry32(21);
    let reused = 0;
    for (const tl of runs) {
      // Neighbours, jumps back and forth, and both densities: what the canvas asks for.
      const steps = Array.from({ length: 12 }, () => Math.floor(rnd() * (tl.length + 1))).flatMap((s) => [s, Math.min(tl.length, s + 1), Math.max(0, s - 1)]);
      for (const s of steps)
        for (const d of [DENSITIES.full, DENSITIES.compact]) {
          const v = getStepView(tl, s);
          const before = new Set<object>();
          const got = layoutColumns(v.machine, v.guest, undefined, undefined, d, v.gone);
          // Its links found now, from the objects kept so far (a layout finds them when first read).
          void got.links;
          sim_forgetRecent();
          const fresh = layoutColumns(v.machine, v.guest, undefined, undefined, d, v.gone);
          for (const c of fresh.cards) before.add(c);
          expect(plainLayout(got), `step ${s} ${d.name}`).toEqual(plainLayout(fresh));
          // Made again from what the fresh one kept: mostly the same objects (a page
          // the step freed is drawn from a new object each time), and the same layout.
          const again = layoutColumns(v.machine, v.guest, undefined, undefined, d, v.gone);
          const kept = again.cards.filter((c) => before.has(c)).length;
          expect(kept, `step ${s} ${d.name}`).toBeGreaterThanOrEqual(again.cards.length - v.gone.freed.length);
          reused += kept;
          expect(plainLayout(again), `step ${s} ${d.name}`).toEqual(plainLayout(fresh));
        }
    }
    expect(reused).toBeGreaterThan(0);
  });

  it('gives a new object for a card or link that only moved', () => {
    // Hiding the first page of the shadow column (as event mode hides a page a
    // later event creates) moves the cards below it up, and nothing else about them.
    const tl = new TimelineBuilder(generateScenario100k(3000).scenario, 'seed').timeline();
    const v = getStepView(tl, 2500);
    const d = DENSITIES.compact;
    const all = layoutColumns(v.machine, v.guest, undefined, undefined, d, v.gone);
    // Links found as each layout is made (a layout finds them when first read), so that each one's can reuse the one before's.
    void all.links;
    const first = all.cards.find((c) => c.kind === 'shadow' && c.column === 'shadow')!;
    if (first.kind !== 'shadow') throw new Error('no shadow column');
    const hidden = new Set([first.sp.id]);
    const moved = layoutColumns(v.machine, v.guest, hidden, undefined, d, v.gone);
    void moved.links;
    sim_forgetRecent();
    expect(plainLayout(moved)).toEqual(plainLayout(layoutColumns(v.machine, v.guest, hidden, undefined, d, v.gone)));
    // The cards that moved are new objects (the layout made before keeps its own).
    const movedCards = moved.cards.filter((c) => all.cards.some((a) => a.key === c.key && a.y !== c.y));
    expect(movedCards.length).toBeGreaterThan(0);
    for (const c of movedCards) expect(all.cards.includes(c), c.key).toBe(false);
  });

  it('shares most cards and links between neighbouring steps of a long run', () => {
    const tl = new TimelineBuilder(generateScenario100k(3000).scenario, 'seed').timeline();
    sim_forgetRecent();
    const v1 = getStepView(tl, 2000);
    const v2 = getStepView(tl, 2001);
    const a = layoutColumns(v1.machine, v1.guest, undefined, undefined, DENSITIES.compact, v1.gone);
    const b = layoutColumns(v2.machine, v2.guest, undefined, undefined, DENSITIES.compact, v2.gone);
    const cards = new Set<object>(a.cards);
    const links = new Set<object>(a.links);
    expect(b.cards.filter((c) => cards.has(c)).length).toBeGreaterThan(b.cards.length / 2);
    expect(b.links.filter((l) => links.has(l)).length).toBeGreaterThan(b.links.length / 2);
  });
});
