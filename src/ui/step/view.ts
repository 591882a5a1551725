/**
 * The per-step view model: what the core says about the state after `step`
 * steps, plus what happened in that step. Pure; memoized per timeline/step so
 * stepping back and forth never recomputes (and never re-derives kernel state).
 */
import {
  guestTables,
  type GuestTableJson,
  type Machine,
  machineJson,
  type MachineJson,
  rmapJson,
  sim_JsonMemo,
  type StepResult,
  type Timeline,
  type TraceEvent,
} from '../../core/index.ts';
import { type Ruler, type RulerOp, rulerInputOf, rulerOf } from '../layout/ruler.ts';
import { DENSITIES, type Density, type Gone, type Layout, layoutColumns, layoutOverview, NOTHING_GONE, type OverviewSize } from '../layout/geometry.ts';

export interface StepView {
  readonly step: number;
  readonly machine: MachineJson;
  readonly guest: readonly GuestTableJson[];
  /** The step that produced this state (null for the initial state). */
  readonly result: StepResult | null;
  /** Events of that step (or of the initial VM entry). */
  readonly events: readonly TraceEvent[];
  /** The pages the step zapped, and those it freed as they were before it (drawn faded on this step, gone at the next). */
  readonly gone: Gone;
}

const cache = new WeakMap<Timeline, Map<number, StepView>>();
const layouts = new WeakMap<StepView, Map<Density['name'], Layout>>();
const MAX_CACHED = 256;

/**
 * What a timeline's views reuse: the JSON of shadow pages, spte chunks and
 * guest tables that did not change (core serialize.ts sim_JsonMemo), so
 * memoized components skip them and a jump rebuilds only what changed.
 */
const memos = new WeakMap<Timeline, sim_JsonMemo>();
function memoOf(tl: Timeline): sim_JsonMemo {
  let memo = memos.get(tl);
  if (!memo) memos.set(tl, (memo = new sim_JsonMemo()));
  return memo;
}

/** Whether step `step`'s view of `tl` is kept (a probe for tests: it makes nothing). */
export const sim_viewKept = (tl: Timeline, step: number): boolean => cache.get(tl)?.has(step) ?? false;

export function getStepView(tl: Timeline, step: number): StepView {
  let per = cache.get(tl);
  if (!per) {
    per = new Map();
    cache.set(tl, per);
  }
  const hit = per.get(step);
  if (hit) {
    // Least recently used goes first: a hit moves to the back.
    per.delete(step);
    per.set(step, hit);
    return hit;
  }
  const result = step > 0 ? (tl.result(step - 1) ?? null) : null;
  // Events first: rebuilding them replays the step with tracing on and leaves
  // the state after it as the timeline's cursor, so stateAt then replays nothing.
  const events = result ? result.events : tl.initialEvents;
  const m = tl.stateAt(step);
  const machine = viewJson(tl, m, step);
  // The state before, for what the step freed: the previous view's if it is
  // kept, else that state alone (never its view: a view would need the state
  // before it in turn, and a run of zap-alls recursed to the first one).
  const before = step > 0 ? () => per.get(step - 1)?.machine ?? viewJson(tl, tl.stateAt(step - 1), step - 1) : null;
  const view: StepView = {
    step,
    machine,
    guest: guestTables(m.cpu, m.mem, undefined, memoOf(tl)),
    result,
    events,
    gone: goneIn(events, machine, before, null),
  };
  if (per.size >= MAX_CACHED) per.delete(per.keys().next().value as number);
  per.set(step, view);
  return view;
}

/**
 * A state as the views show it: its JSON with unchanged parts the objects
 * built before, and the reverse map (~15,000 lists at 100,000 steps, read
 * only by the rmap panel) built from the state after `step` steps when read.
 */
const viewJson = (tl: Timeline, m: Machine, step: number): MachineJson => {
  const ref = weakRefOf(tl);
  return machineJson(m, memoOf(tl), () => {
    const t = ref.deref();
    return t ? rmapJson(t.stateAt(step)) : [];
  });
};

/**
 * The timeline, held weakly (one reference per timeline, not per view): a
 * panel keeps the view it drew last (React's previous props) after another
 * timeline replaced this one, and a view's rmap closure holding the timeline
 * kept all of it alive (~250 MB at 1,000,000 steps). A view whose timeline is
 * gone is no longer drawn, and its rmap is then empty.
 */
const weakRefs = new WeakMap<Timeline, WeakRef<Timeline>>();
function weakRefOf(tl: Timeline): WeakRef<Timeline> {
  let ref = weakRefs.get(tl);
  if (!ref) weakRefs.set(tl, (ref = new WeakRef(tl)));
  return ref;
}

/**
 * What a step's zapping did, from its events: the pages its first `upTo`
 * kvm_mmu_prepare_zap_page events name (null: all), and the pages
 * kvm_mmu_commit_zap_page freed (kvm_mmu_zap_all and
 * kvm_mmu_zap_oldest_mmu_pages go through both), taken from the state before
 * the step (`before`, read only when the step freed a page that existed then),
 * with the root slot each held there.
 */
export function goneIn(events: readonly TraceEvent[], after: MachineJson, before: (() => MachineJson) | null, upTo: number | null): Gone {
  const zapped = new Set<number>();
  const released = new Set<number>();
  const freedIds = new Set<number>();
  events.forEach((e, i) => {
    const shown = upTo === null || i < upTo;
    if (e.kind === 'kvm_mmu_prepare_zap_page' && shown) zapped.add(e.sp);
    else if (e.kind === 'kvm_mmu_commit_zap_page')
      for (const id of e.freed) {
        freedIds.add(id);
        if (shown) released.add(id);
      }
  });
  if (!zapped.size && !freedIds.size) return NOTHING_GONE;
  const alive = new Set(after.shadowPages.map((sp) => sp.id));
  const prev = freedIds.size && before ? before() : null;
  const freed = prev ? prev.shadowPages.filter((sp) => freedIds.has(sp.id) && !alive.has(sp.id)) : [];
  const wasRoot = new Map<number, string>();
  if (prev) {
    prev.roots.forEach((id, i) => {
      if (id !== null && freedIds.has(id) && !wasRoot.has(id)) wasRoot.set(id, prev.roots.length === 4 ? `pae_root[${i}]` : 'root_hpa');
    });
    prev.prevRoots.forEach((p, i) => {
      if (p.root !== null && freedIds.has(p.root) && !wasRoot.has(p.root)) wasRoot.set(p.root, `prev_roots[${i}]`);
    });
  }
  return { zapped, released, freed, wasRoot };
}

/**
 * The layout of a step's full state (nothing hidden), computed once per view:
 * stepping back and forth reuses it instead of placing every card again.
 */
export function layoutOf(view: StepView, density: Density = DENSITIES.full): Layout {
  let per = layouts.get(view);
  if (!per) {
    per = new Map();
    layouts.set(view, per);
  }
  let l = per.get(density.name);
  if (!l) {
    l = layoutColumns(view.machine, view.guest, undefined, undefined, density, view.gone);
    per.set(density.name, l);
  }
  return l;
}

const overviews = new WeakMap<StepView, { size: OverviewSize; layout: Layout }>();

/** The overview layout of a step's full state for a screen size, kept per view for the last size asked. */
export function overviewOf(view: StepView, size: OverviewSize): Layout {
  const hit = overviews.get(view);
  if (hit && hit.size.width === size.width && hit.size.height === size.height && hit.size.capacity === size.capacity) return hit.layout;
  const layout = layoutOverview(view.machine, view.guest, size, undefined, undefined, view.gone);
  overviews.set(view, { size, layout });
  return layout;
}

/** A step's view and layout, its links included, computed now so that showing the step only renders. */
export const prepareStep = (tl: Timeline, step: number, density: Density = DENSITIES.full): StepView => {
  const v = getStepView(tl, step);
  void layoutOf(v, density).links;
  return v;
};

/**
 * Computes, a few at a time while the page is idle, the views and layouts of
 * every step not cached yet, so the first pass through a scenario steps as
 * fast as later ones (each new view runs the core from its snapshot and
 * serializes the state). `idle(cb)` schedules `cb` with a deadline;
 * `prepared` is told of each step done. Returns a cancel function.
 */
export function prefetchStepViews(
  tl: Timeline,
  from: number,
  idle: (cb: (timeLeft: () => number) => void) => () => void,
  prepared: (view: StepView) => void = () => {},
  density: Density = DENSITIES.full,
): () => void {
  // Outward from the current step: the next steps first, then the earlier
  // ones; fewer than the views kept, so prefetching never evicts the current
  // step. Only those are listed: a 100,000-step run lists 240, not 100,000.
  const want = MAX_CACHED - 16;
  const todo: number[] = [];
  for (let s = from + 1; s <= tl.length && todo.length < want; s++) todo.push(s);
  for (let s = from - 1; s >= 0 && todo.length < want; s--) todo.push(s);
  let cancel = () => {};
  let stopped = false;
  // A view and its layout take a few ms on a slow machine: start one only with
  // that much of the idle period left.
  const run = (timeLeft: () => number) => {
    while (todo.length && timeLeft() > 4) prepared(prepareStep(tl, todo.shift()!, density));
    if (todo.length && !stopped) cancel = idle(run);
  };
  cancel = idle(run);
  return () => {
    stopped = true;
    cancel();
  };
}


/** Shadow pages alive after each step (index n: after n steps), as the timeline recorded them while it was built. */
export const shadowPageCounts = (tl: Timeline): readonly number[] => tl.pageCounts;

/**
 * The most shadow pages alive after any step (0 for none), by a loop: a
 * spread of the counts into Math.max passed each one as an argument, and a
 * file of 1,000,000 steps (the cap) overflowed the stack and blanked the app.
 */
export function mostShadowPages(tl: Timeline): number {
  let most = 0;
  for (const n of shadowPageCounts(tl)) if (n > most) most = n;
  return most;
}

/** The address the ruler shows for a step: its own (an access or INVLPG), else the next access's. */
export interface StepAddress {
  readonly gva: number;
  /** 'this': the step's own address; 'next': the step is no access (step 0, cr3, cr0/cr4, efer, host-write, zap-all), so the next one's. */
  readonly which: 'this' | 'next';
  /** The step the address belongs to (1-based, as the counter shows it). */
  readonly step: number;
  readonly op: RulerOp;
}

/**
 * The gva step `step` is about: its own for an access or INVLPG; for step 0
 * and any other step, the next access's (null when no access follows).
 */
export function stepGva(tl: Timeline, step: number): StepAddress | null {
  const steps = tl.scenario.steps;
  for (let n = Math.max(step, 1); n <= steps.length; n++) {
    const s = steps[n - 1]!;
    if ('gva' in s) return { gva: s.gva, which: n === step ? 'this' : 'next', step: n, op: s.op };
  }
  return null;
}

const rulers = new WeakMap<Timeline, Map<number, Ruler | null>>();

/**
 * The address ruler of step `step`, kept per timeline and step. A step that
 * is no access shows the next access as that access found it: the state after
 * it (its guest walk and the shadow pages its path went through), in the mode
 * it ran in.
 */
export function stepRuler(tl: Timeline, step: number): Ruler | null {
  let per = rulers.get(tl);
  if (!per) {
    per = new Map();
    rulers.set(tl, per);
  }
  const hit = per.get(step);
  if (hit !== undefined) return hit;
  const at = stepGva(tl, step);
  const ruler = at && rulerOf(rulerInputOf(at, getStepView(tl, at.step)));
  if (per.size > 4096) per.clear();
  per.set(step, ruler);
  return ruler;
}
