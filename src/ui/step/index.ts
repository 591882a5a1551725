/**
 * The step model: what "step n" (and, in event mode, "event k of step n")
 * looks like. The canvas, the overview, the side panel, the timeline, the URL
 * sync and presenting mode all read it from here, so they never disagree on
 * which events a step has, what is hidden in event mode, what is lit, or how
 * the step is told. Pure: no React, no DOM.
 */
import { type RuleSetName, type Scenario, sim_sptesShape, Timeline } from '../../core/index.ts';
import { type Density, DENSITIES, type Gone, type Layout, layoutColumns, layoutOverview, type OverviewSize, ROW_H } from '../layout/geometry.ts';
import { stepCaption } from './caption.ts';
import { type Highlights, highlightsOf, storyBox } from './marks.ts';
import { getStepView, goneIn, layoutOf, overviewOf, shadowPageCounts, type StepView } from './view.ts';

export * from './marks.ts';
export * from './view.ts';
export { errorCodeWords, eventCaption, modeAtStep, type StepCaption, stepCaption, stepLabel } from './caption.ts';

/** How many kernel events step `step` has (step 0: the first VM entry's). */
export const eventsInStep = (tl: Timeline, step: number): number => (step > 0 ? (tl.result(step - 1)?.events.length ?? 0) : tl.initialEvents.length);

/** A step as shown: its view, and in event mode (upTo = events revealed) what is not revealed yet. */
export interface ShownStep {
  readonly step: number;
  /** Events revealed (event mode), null = the whole step. */
  readonly upTo: number | null;
  readonly view: StepView;
  /** Shadow pages that later events of the step create: not drawn yet. */
  readonly hidden: ReadonlySet<number>;
  /** Sptes (`sp:index`) that later events set and that were not present before the step. */
  readonly hiddenSptes: ReadonlySet<string>;
  /** What the step's zapping did, as far as revealed (event mode: a page is marked zapped from its kvm_mmu_prepare_zap_page on). */
  readonly gone: Gone;
  readonly hl: Highlights;
}

const NONE = new Set<never>();
const shownCache = new WeakMap<StepView, Map<number | null, ShownStep>>();

/** Step `step` of `tl` with `upTo` events revealed; kept per view and upTo, so re-renders get the same object. */
export function shownStep(tl: Timeline, step: number, upTo: number | null): ShownStep {
  const view = getStepView(tl, step);
  let per = shownCache.get(view);
  if (!per) {
    per = new Map();
    shownCache.set(view, per);
  }
  const hit = per.get(upTo);
  if (hit) return hit;
  const hidden = new Set<number>();
  const hiddenSptes = new Set<string>();
  if (upTo !== null && step > 0) {
    // What the step's unrevealed events create stays hidden: new pages, and
    // sptes that were not present before the step.
    const before = new Set<string>();
    for (const sp of getStepView(tl, step - 1).machine.shadowPages) for (const i of sim_sptesShape(sp).index) before.add(`${sp.id}:${i}`);
    view.events.forEach((e, i) => {
      if (i < upTo) return;
      if (e.kind === 'kvm_mmu_get_page' && e.created) hidden.add(e.sp);
      const key = e.kind === 'kvm_mmu_set_spte' || e.kind === 'set_spte' || e.kind === 'mark_mmio_spte' ? `${e.sp}:${e.index}` : e.kind === 'link_shadow_page' ? `${e.parent.sp}:${e.parent.index}` : null;
      if (key && !before.has(key)) hiddenSptes.add(key);
    });
  }
  // Event mode: the pages freed in this step stay drawn as they were until their zap is revealed.
  const gone = upTo === null || view.gone.freed.length + view.gone.zapped.size === 0 ? view.gone : { ...goneIn(view.events, view.machine, null, upTo), freed: view.gone.freed, wasRoot: view.gone.wasRoot };
  const shown: ShownStep = { step, upTo, view, hidden: hidden.size ? hidden : NONE, hiddenSptes: hiddenSptes.size ? hiddenSptes : NONE, gone, hl: stepHighlights(view, upTo) };
  if (per.size > 64) per.clear();
  per.set(upTo, shown);
  return shown;
}

/** The layout of a shown step: the detailed tables at a density, or the overview fitted to a size. */
export function shownLayout(s: ShownStep, density: Density, overview: OverviewSize | null): Layout {
  const partial = s.hidden.size > 0 || s.hiddenSptes.size > 0 || s.gone !== s.view.gone;
  const { machine, guest } = s.view;
  if (overview) return partial ? layoutOverview(machine, guest, overview, s.hidden, s.hiddenSptes, s.gone) : overviewOf(s.view, overview);
  return partial ? layoutColumns(machine, guest, s.hidden, s.hiddenSptes, density, s.gone) : layoutOf(s.view, density);
}

/** A view's highlights (the PAE PDPTE registers' gfn comes from its guest tables: a walk reads them from the registers). */
const stepHighlights = (view: StepView, upTo: number | null): Highlights => highlightsOf(view.events, upTo, view.guest.find((t) => t.registers)?.gfn ?? null);

/** The most of a measure seen so far per timeline and density: `value` raises it, and the current one comes back. */
function maxSeen(seen: WeakMap<Timeline, Map<Density['name'], number>>, tl: Timeline, density: Density, value: number): number {
  let per = seen.get(tl);
  if (!per) {
    per = new Map();
    seen.set(tl, per);
  }
  const m = Math.max(per.get(density.name) ?? 0, value);
  per.set(density.name, m);
  return m;
}

const widest = new WeakMap<Timeline, Map<Density['name'], number>>();
const tallest = new WeakMap<Timeline, Map<Density['name'], number>>();

/**
 * The widest layout of a timeline seen so far at a density: the canvas fits
 * this width, not each step's own, so the picture keeps its scale from step
 * to step (the idle preparation lays out every step soon after a load).
 */
export const widestLayout = (tl: Timeline, density: Density, width = 0): number => maxSeen(widest, tl, density, width);

/** Steps laid out at once when a timeline is first fitted: its fit is then final from the first paint for scenarios this short. */
export const FIT_AT_ONCE_STEPS = 40;
const fittedAtOnce = new WeakMap<Timeline, Set<string>>();

/**
 * Lays out the first FIT_AT_ONCE_STEPS steps of a timeline at a density
 * (once), feeding widestLayout and, with `stories`, tallestStory, so a short
 * scenario's scale does not change when the idle preparation reaches a wider
 * (or taller) step after the first paint; longer ones learn the rest as before.
 */
export function fitAtOnce(tl: Timeline, density: Density, stories: boolean): void {
  let done = fittedAtOnce.get(tl);
  if (!done) {
    done = new Set();
    fittedAtOnce.set(tl, done);
  }
  const key = `${density.name}:${stories}`;
  if (done.has(key)) return;
  done.add(key);
  for (let n = 0; n <= Math.min(tl.length, FIT_AT_ONCE_STEPS); n++) {
    const view = getStepView(tl, n);
    const l = layoutOf(view, density);
    widestLayout(tl, density, l.width);
    if (stories) tallestStory(tl, density, storyHeight(view, l));
  }
}

/** Whether fitAtOnce has nothing left to do for `tl` at a density (its measures are in, from its own layouts or a FirstFit). */
export const sim_fittedAtOnce = (tl: Timeline, density: Density, stories: boolean): boolean => fittedAtOnce.get(tl)?.has(`${density.name}:${stories}`) ?? false;

/** What fitAtOnce finds over a timeline's first steps at each density: the widest layout and the tallest step story. */
export interface FirstFit {
  readonly width: Readonly<Record<Density['name'], number>>;
  readonly story: Readonly<Record<Density['name'], number>>;
}

const BOTH = [DENSITIES.compact, DENSITIES.full] as const;

/**
 * fitAtOnce's measures of the first FIT_AT_ONCE_STEPS steps of `tl`, as
 * units of work; `done` receives them. A step's view and layout depend only
 * on the steps up to it, so a timeline of a long scenario's first steps alone
 * gives the long timeline's measures: the page runs one while the worker
 * builds the rest (store: loadScenario), and timelineWarmup takes them.
 * `last`: the last step measured (the first FIT_AT_ONCE_STEPS by default).
 */
export function* firstFit(tl: Timeline, done: (fit: FirstFit) => void, last = Math.min(tl.length, FIT_AT_ONCE_STEPS)): Generator<void, void, void> {
  const width = { compact: 0, full: 0 };
  const story = { compact: 0, full: 0 };
  for (let n = 0; n <= last; n++) {
    const view = getStepView(tl, n);
    yield;
    for (const d of BOTH) {
      const l = layoutOf(view, d);
      width[d.name] = Math.max(width[d.name], l.width);
      story[d.name] = Math.max(story[d.name], storyHeight(view, l));
      yield;
    }
  }
  done({ width, story });
}

/**
 * A heavy build's `early` and `prepare` (heavy/build.ts) under `rules`:
 * firstFit on a timeline of the scenario's first steps while the worker runs
 * the rest, then timelineWarmup with it (or without, if it did not finish).
 */
export function firstFitOf(rules: RuleSetName): { early: (first: Scenario) => Iterator<void>; prepare: (tl: Timeline) => Iterator<void> } {
  let fit: FirstFit | null = null;
  return {
    early: function* (first) {
      const tl = new Timeline({ ...first, steps: first.steps.slice(0, FIT_AT_ONCE_STEPS + 1) }, rules);
      yield;
      yield* firstFit(tl, (f) => (fit = f));
    },
    prepare: (tl) => timelineWarmup(tl, fit),
  };
}

/**
 * What the first render of a timeline computes once per timeline (the
 * shadow-page counts, the captions' guest states, and fitAtOnce's views and
 * layouts of the first steps at both densities), as small units of work: a
 * heavy timeline from the worker runs them between tasks before it goes on
 * screen (store: loadScenario), so its first render finds them cached instead
 * of doing them in one long task (at 10,000 steps: ~70 ms of layouts). With
 * `fit` (firstFit of its first steps, found while it was built), fitAtOnce's
 * measures are taken from there and only step 0 is laid out (~0.15 s less
 * between a 100,000-step build and its first frame).
 */
export function* timelineWarmup(tl: Timeline, fit: FirstFit | null = null): Generator<void, void, void> {
  // Counted by the worker for a timeline it built (heavy/build.ts); else here, now.
  shadowPageCounts(tl);
  yield;
  stepCaption(tl, 0);
  yield;
  if (fit && tl.length > FIT_AT_ONCE_STEPS) {
    let done = fittedAtOnce.get(tl);
    if (!done) fittedAtOnce.set(tl, (done = new Set()));
    for (const d of BOTH) {
      widestLayout(tl, d, fit.width[d.name]);
      tallestStory(tl, d, fit.story[d.name]);
      done.add(`${d.name}:true`).add(`${d.name}:false`);
    }
  }
  // The views and layouts fitAtOnce reads, made now (with a fit: step 0's only).
  yield* firstFit(tl, () => {}, fit && tl.length > FIT_AT_ONCE_STEPS ? 0 : undefined);
  // Step 0's links too (a fit reads only sizes), where an opened timeline starts: its first render only draws. (A rules
  // change keeps its step, which is laid out when drawn, as before.)
  for (const d of BOTH) {
    void layoutOf(getStepView(tl, 0), d).links;
    yield;
  }
}

const storyHeights = new WeakMap<Layout, number>();

/** The height (layout units) of a step's storyBox (what it changed and read, and the roots), with half a row of air each side; once per layout. */
export function storyHeight(view: StepView, layout: Layout): number {
  let h = storyHeights.get(layout);
  if (h === undefined) {
    const box = storyBox(layout, stepHighlights(view, null));
    h = box ? box.bottom - box.top + ROW_H : 0;
    storyHeights.set(layout, h);
  }
  return h;
}

/**
 * The tallest step story of a timeline seen so far at a density (fed like
 * widestLayout): presenting mode scales the tables up no further than keeps
 * it on screen, the same scale for every step.
 */
export const tallestStory = (tl: Timeline, density: Density, height = 0): number => maxSeen(tallest, tl, density, height);
