/**
 * Caption building (src/ui/step/caption.ts), part of `npm run bench`'s UI
 * part, with no browser: every step of the default scenario and of
 * sweep-64-tables, each on a fresh timeline (so nothing is cached: the cost a
 * step change pays the first time), and every kernel event of those steps
 * (event mode's caption).
 * - ui.captionMs.p95 / median / max: building one step's caption.
 * - ui.captionEventMs.p95: one event-mode caption (the step's caption cached).
 */
import { performance } from 'node:perf_hooks';
import { quantile } from 'd3';
import { Timeline } from '../src/core/index.ts';
import { DEFAULT_SCENARIO_ID, LIBRARY } from '../src/scenarios/library/index.ts';
import { parseScenario } from '../src/scenarios/schema.ts';
import { eventsInStep, stepCaption } from '../src/ui/step/index.ts';

const ms = (x: number) => Number(x.toFixed(4));

export function benchCaption(): Record<string, number> {
  const scenarios = [DEFAULT_SCENARIO_ID, 'sweep-64-tables'].map((id) => {
    const parsed = parseScenario(LIBRARY.find((e) => e.id === id)!.json);
    if (!parsed.ok) throw new Error(parsed.error.message);
    return parsed.scenario;
  });
  const step: number[] = [];
  const event: number[] = [];
  // A warm-up round (JIT), then 5 measured rounds on fresh timelines.
  for (let round = 0; round < 6; round++) {
    for (const s of scenarios) {
      const tl = new Timeline(s, 'seed');
      for (let n = 0; n <= tl.length; n++) {
        const t0 = performance.now();
        stepCaption(tl, n);
        const t1 = performance.now();
        if (round > 0) step.push(t1 - t0);
        const events = eventsInStep(tl, n);
        for (let k = 1; k <= events; k++) {
          const e0 = performance.now();
          stepCaption(tl, n, k);
          if (round > 0) event.push(performance.now() - e0);
        }
      }
    }
  }
  step.sort((a, b) => a - b);
  event.sort((a, b) => a - b);
  return {
    'ui.captionMs.p95': ms(quantile(step, 0.95)!),
    'ui.captionMs.median': ms(quantile(step, 0.5)!),
    'ui.captionMs.max': ms(step[step.length - 1]!),
    'ui.captionEventMs.p95': ms(quantile(event, 0.95)!),
  };
}
