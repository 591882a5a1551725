/**
 * The fit of a long timeline's first steps found on those steps alone
 * (firstFit, run while the worker builds the rest) is fitAtOnce's on the
 * whole timeline, and timelineWarmup with it leaves fitAtOnce nothing to lay
 * out: the first frame's scale is the one it had before.
 */
import { describe, expect, it } from 'vitest';
import { RULE_SETS, type Scenario, Timeline } from '../../core/index.ts';
import { DENSITIES } from '../layout/geometry.ts';
import { LIBRARY } from '../../scenarios/library/index.ts';
import { parseScenario } from '../../scenarios/schema.ts';
import { FIT_AT_ONCE_STEPS, firstFit, type FirstFit, firstFitOf, fitAtOnce, sim_fittedAtOnce, tallestStory, widestLayout } from './index.ts';
import { getStepView, sim_viewKept } from './view.ts';

/** A built-in's steps repeated to `n` steps. */
function long(id: string, n: number): Scenario {
  const p = parseScenario(LIBRARY.find((e) => e.id === id)!.json);
  if (!p.ok) throw new Error(id);
  return { ...p.scenario, steps: Array.from({ length: n }, (_, i) => p.scenario.steps[i % p.scenario.steps.length]!) };
}

const run = (it: Iterator<void>) => {
  while (!it.next().done);
};
const BOTH = [DENSITIES.compact, DENSITIES.full];

describe('firstFit', () => {
  for (const id of ['quadrants-32bit', 'pd-write-flooding', 'long-mode-4-levels']) {
    it(`${id}, 300 steps: on the first steps alone, fitAtOnce's widest layout and tallest story of the whole timeline, under every rule set`, () => {
      const s = long(id, 300);
      for (const rules of RULE_SETS) {
        const whole = new Timeline(s, rules);
        let fit = null as FirstFit | null;
        run(firstFit(new Timeline({ ...s, steps: s.steps.slice(0, FIT_AT_ONCE_STEPS + 1) }, rules), (f) => (fit = f)));
        expect(fit).not.toBeNull();
        for (const d of BOTH) {
          fitAtOnce(whole, d, true);
          expect(fit!.width[d.name], `${rules} ${d.name}`).toBe(widestLayout(whole, d));
          expect(fit!.story[d.name], `${rules} ${d.name}`).toBe(tallestStory(whole, d));
        }
      }
    });
  }

  it('timelineWarmup with it: the same measures, only step 0 laid out, and fitAtOnce has nothing left to do', () => {
    const s = long('quadrants-32bit', 300);
    const { early, prepare } = firstFitOf('merged');
    run(early(s));
    const tl = new Timeline(s, 'merged');
    run(prepare(tl));
    const reference = new Timeline(s, 'merged');
    for (const d of BOTH) fitAtOnce(reference, d, true);
    for (const d of BOTH) {
      expect(widestLayout(tl, d)).toBe(widestLayout(reference, d));
      expect(tallestStory(tl, d)).toBe(tallestStory(reference, d));
      // fitAtOnce will lay out nothing more, with or without the stories.
      expect(sim_fittedAtOnce(tl, d, true) && sim_fittedAtOnce(tl, d, false)).toBe(true);
    }
    // Only step 0 was made.
    expect([0, 1, FIT_AT_ONCE_STEPS].map((n) => sim_viewKept(tl, n))).toEqual([true, false, false]);
  });

  it('without a fit (the early work did not finish), timelineWarmup lays out the first steps itself, for fitAtOnce to find', () => {
    const s = long('quadrants-32bit', 300);
    const { prepare } = firstFitOf('seed');
    const tl = new Timeline(s, 'seed');
    run(prepare(tl));
    for (const d of BOTH) expect(sim_fittedAtOnce(tl, d, true)).toBe(false);
    // Every view fitAtOnce reads was made.
    for (let n = 0; n <= FIT_AT_ONCE_STEPS; n++) expect(sim_viewKept(tl, n), `step ${n}`).toBe(true);
    const view40 = getStepView(tl, FIT_AT_ONCE_STEPS);
    const reference = new Timeline(s, 'seed');
    for (const d of BOTH) {
      fitAtOnce(reference, d, true);
      fitAtOnce(tl, d, true);
      expect(widestLayout(tl, d)).toBe(widestLayout(reference, d));
    }
    expect(getStepView(tl, FIT_AT_ONCE_STEPS)).toBe(view40);
  });
});
