/**
 * A detailed layout finds its links (and routes them) when they are first
 * read (geometry.ts layoutColumns), not when it is made: the fit of a long
 * scenario's first steps, which runs on the page while the worker builds the
 * rest, reads only sizes, and the links were ~80% of its layouts' time at
 * 100,000 steps. These tests check that a size-only reader finds no links,
 * that whoever draws a step still finds them before it is shown (the idle
 * preparation, the warm-up before a timeline goes on screen), and that links
 * found late are the links found at once.
 */
import { describe, expect, it } from 'vitest';
import { generateScenario100k } from '../bench/scenario100k.ts';
import { Timeline, TimelineBuilder } from '../src/core/index.ts';
import { DENSITIES, layoutColumns, sim_forgetRecent, sim_linksFound } from '../src/ui/layout/geometry.ts';
import { FIT_AT_ONCE_STEPS, firstFit, timelineWarmup } from '../src/ui/step/index.ts';
import { getStepView, layoutOf, prepareStep } from '../src/ui/step/view.ts';
import { plainLayout } from './plain-layout.ts';

const run = (it: Iterator<void>) => {
  while (!it.next().done);
};

describe('a layout finds its links when they are read', () => {
  const scenario = generateScenario100k(400).scenario;

  it('a layout read for its size finds none; the first read finds them once, and they are the links found at once', () => {
    const tl = new TimelineBuilder(scenario, 'seed').timeline();
    for (const step of [0, 7, 120, 399])
      for (const d of [DENSITIES.full, DENSITIES.compact]) {
        const v = getStepView(tl, step);
        const before = sim_linksFound();
        const l = layoutColumns(v.machine, v.guest, undefined, undefined, d, v.gone);
        expect(l.width + l.height + l.cards.length).toBeGreaterThan(0);
        expect(sim_linksFound(), `step ${step} ${d.name}: sizes only`).toBe(before);
        const links = l.links;
        expect(links.length).toBeGreaterThan(0);
        expect(l.links).toBe(links);
        expect(sim_linksFound()).toBe(before + 1);
        // Found late, after other layouts were made: the same as a layout made alone and read at once.
        sim_forgetRecent();
        const fresh = layoutColumns(v.machine, v.guest, undefined, undefined, d, v.gone);
        expect(plainLayout(l)).toEqual(plainLayout(fresh));
      }
  });

  it("the fit of a long scenario's first steps finds no links", () => {
    const tl = new Timeline({ ...scenario, steps: scenario.steps.slice(0, FIT_AT_ONCE_STEPS + 1) }, 'seed');
    const before = sim_linksFound();
    let fit: unknown = null;
    run(firstFit(tl, (f) => (fit = f)));
    expect(fit).not.toBeNull();
    expect(sim_linksFound()).toBe(before);
  });

  it('the idle preparation and the warm-up find the links of the steps they prepare', () => {
    const tl = new TimelineBuilder(scenario, 'seed').timeline();
    const before = sim_linksFound();
    prepareStep(tl, 5, DENSITIES.compact);
    expect(sim_linksFound()).toBe(before + 1);
    // Read again when the step is drawn: not found again.
    void layoutOf(getStepView(tl, 5), DENSITIES.compact).links;
    expect(sim_linksFound()).toBe(before + 1);

    // A timeline from a worker goes on screen after its warm-up, with a fit found meanwhile: step 0 at both densities.
    const fresh = new TimelineBuilder(scenario, 'seed').timeline();
    const fit = { width: { compact: 100, full: 100 }, story: { compact: 0, full: 0 } };
    const at = sim_linksFound();
    run(timelineWarmup(fresh, fit));
    expect(sim_linksFound()).toBe(at + 2);
    for (const d of [DENSITIES.full, DENSITIES.compact]) void layoutOf(getStepView(fresh, 0), d).links;
    expect(sim_linksFound()).toBe(at + 2);
  });
});
