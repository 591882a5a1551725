/**
 * Opening a heavy scenario through the store (issue 16), without a Worker
 * (as in jsdom): the same builder on the main thread in slices. The scenario
 * on screen stays until the new one is built; progress is reported; Cancel
 * keeps what was shown; a newer load wins over an older one; an invalid heavy
 * document leaves everything and says why; the rule set of a heavy scenario
 * is changed the same way.
 */
import { describe, expect, it } from 'vitest';
import { LIBRARY } from '../../scenarios/library/index.ts';
import { createAppStore, PROGRESS_MS, sim_reportsProgress, whenLoaded } from '../store/index.ts';
import { HEAVY_STEPS } from './build.ts';

const base = LIBRARY.find((e) => e.id === 'permission-faults')!.json as { steps: unknown[] };
const long = (n: number, title = `${n} steps`) => ({ ...base, title, steps: Array.from({ length: n }, (_, i) => base.steps[i % base.steps.length]) });
const tick = () => new Promise((r) => setTimeout(r, 0));

describe('a heavy scenario opened through the store', () => {
  it('is built in slices: the old one stays meanwhile, with progress, then the new one is on screen', async () => {
    const store = createAppStore();
    const before = store.getState().timeline;
    expect(store.getState().loadScenario(long(1500), null)).toBe(true);
    expect(store.getState().timeline).toBe(before);
    expect(store.getState().loading).toMatchObject({ title: '1500 steps', done: 0, total: 1500, what: 'open' });
    const seen: number[] = [];
    const unsub = store.subscribe((s) => s.loading && seen.push(s.loading.done));
    await whenLoaded(store);
    unsub();
    expect(store.getState().timeline.length).toBe(1500);
    expect(store.getState().scenario.title).toBe('1500 steps');
    expect(store.getState().loading).toBeNull();
    expect(seen.some((d) => d > 0 && d < 1500)).toBe(true);
  });

  it('a short one opens at once, as before', () => {
    const store = createAppStore();
    expect(store.getState().loadScenario(long(HEAVY_STEPS), null)).toBe(true);
    expect(store.getState().timeline.length).toBe(HEAVY_STEPS);
    expect(store.getState().loading).toBeNull();
  });

  it('Cancel keeps the scenario on screen, and nothing arrives later', async () => {
    const store = createAppStore();
    store.getState().jumpTo(3);
    const before = store.getState().timeline;
    store.getState().loadScenario(long(1500), null);
    await tick();
    store.getState().cancelLoading();
    expect(store.getState().loading).toBeNull();
    for (let i = 0; i < 30; i++) await tick();
    expect(store.getState().timeline).toBe(before);
    expect(store.getState().step).toBe(3);
  });

  it('a newer load wins: the older one is never swapped in', async () => {
    const store = createAppStore();
    store.getState().loadScenario(long(1500, 'older'), null);
    await tick();
    store.getState().loadScenario(long(900, 'newer'), null);
    await whenLoaded(store);
    for (let i = 0; i < 30; i++) await tick();
    expect(store.getState().scenario.title).toBe('newer');
    expect(store.getState().timeline.length).toBe(900);
  });

  it('an invalid heavy document keeps everything and says why', async () => {
    const store = createAppStore();
    const before = store.getState().timeline;
    const bad = { ...long(600), steps: [...long(600).steps.slice(0, 599), { op: 'jump' }] };
    expect(store.getState().loadScenario(bad, null)).toBe(true);
    await whenLoaded(store);
    expect(store.getState().timeline).toBe(before);
    expect(store.getState().loadError).toMatch(/steps\[599\]/);
  });

  it('the rule set of a heavy scenario is changed off the page too, keeping the step', async () => {
    const store = createAppStore();
    store.getState().loadScenario(long(800), null);
    await whenLoaded(store);
    store.getState().jumpTo(500);
    const seed = store.getState().timeline;
    store.getState().setRules('merged');
    expect(store.getState().loading).toMatchObject({ what: 'rules', rules: 'merged' });
    expect(store.getState().timeline).toBe(seed);
    await whenLoaded(store);
    expect(store.getState().rules).toBe('merged');
    expect(store.getState().timeline).not.toBe(seed);
    expect(store.getState().timeline.rules).toBe('merged');
    expect(store.getState().step).toBe(500);
  });
});

describe("a build's progress reports", () => {
  const shown = { done: 2000, total: 100_000 };
  it('come at least 1% apart and at most every PROGRESS_MS, the last and a new total always', () => {
    // The first report of a build (none made yet): as soon as 1% more is done.
    expect(sim_reportsProgress({ done: 0, total: 100_000 }, 1000, 100_000, 5, -Infinity)).toBe(true);
    expect(sim_reportsProgress({ done: 0, total: 100_000 }, 999, 100_000, 5, -Infinity)).toBe(false);
    // A build's first report does not wait on the last one of the build before.
    expect(sim_reportsProgress({ done: 0, total: 100_000 }, 1000, 100_000, 1001, 1000)).toBe(true);
    // 1% more, but sooner than PROGRESS_MS after the last report: not yet; then yes.
    expect(sim_reportsProgress(shown, 9000, 100_000, 1000 + PROGRESS_MS - 1, 1000)).toBe(false);
    expect(sim_reportsProgress(shown, 9000, 100_000, 1000 + PROGRESS_MS, 1000)).toBe(true);
    // Time enough, but less than 1% more: not yet.
    expect(sim_reportsProgress(shown, 2999, 100_000, 5000, 1000)).toBe(false);
    // The last step at once, and a new total at once.
    expect(sim_reportsProgress(shown, 100_000, 100_000, 1001, 1000)).toBe(true);
    expect(sim_reportsProgress(shown, 2001, 90_000, 1001, 1000)).toBe(true);
  });
});
