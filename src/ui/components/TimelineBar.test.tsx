// @vitest-environment jsdom
/**
 * The timeline at any length (issue 16): up to MARKER_LIMIT steps, one mark
 * per step as before; beyond it, one strip whose DOM does not grow with the
 * step count, a slider for the keyboard and the pointer.
 */
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sim_OUTCOMES, type StepResult, type Timeline, TimelineBuilder } from '../../core/index.ts';
import { generateScenario100k } from '../../../bench/scenario100k.ts';
import { parseScenario } from '../../scenarios/schema.ts';
import { LIBRARY } from '../../scenarios/library/index.ts';
import { useStore, whenLoaded } from '../store/index.ts';
import { MARKER_LIMIT, stripColumns, TimelineBar, timelineStripColumns } from './TimelineBar.tsx';

const permissionFaults = LIBRARY.find((e) => e.id === 'permission-faults')!.json as { steps: unknown[] };

/** A real scenario of `n` steps: the permission-faults steps repeated (hits, shadow faults and guest faults); a long one is built in slices, awaited. */
async function load(n: number) {
  const steps = Array.from({ length: n }, (_, i) => permissionFaults.steps[i % permissionFaults.steps.length]);
  expect(useStore.getState().loadScenario({ ...permissionFaults, steps }, null)).toBe(true);
  await act(() => whenLoaded());
  expect(useStore.getState().timeline.length).toBe(n);
  act(() => useStore.setState({ step: 0, event: null, granularity: 'step' }));
}

/**
 * A stand-in Timeline of `n` steps (past the scenario limit, so it cannot be
 * loaded): the timeline bar reads only `length`, each step's outcome and
 * result and, for the one step it names, the scenario.
 */
function fake(n: number) {
  const kinds: StepResult['outcome'][] = ['hit', 'shadow-fault', 'hit', 'done', 'guest-fault', 'hit', 'emulated'];
  const inRange = (i: number) => Number.isInteger(i) && i >= 0 && i < n;
  const outcome = (i: number) => (inRange(i) ? kinds[i % kinds.length]! : undefined);
  const result = (i: number) => (inRange(i) ? ({ index: i, outcome: outcome(i), events: [] } as unknown as StepResult) : undefined);
  const real = useStore.getState().timeline;
  const sim_outcomeCodes = () => Uint8Array.from({ length: n }, (_, i) => sim_OUTCOMES.indexOf(outcome(i)!));
  const tl = { length: n, outcome, result, sim_outcomeCodes, scenario: real.scenario, initialEvents: real.initialEvents } as unknown as Timeline;
  act(() => useStore.setState({ timeline: tl, step: 0, event: null }));
}

const nodesUnder = (el: Element) => el.querySelectorAll('*').length;
const footer = () => screen.getByRole('contentinfo', { name: 'Timeline' });
/** The timeline's part that shows the steps: everything but the playback controls. */
const stepsPart = () => {
  const f = footer();
  return nodesUnder(f) - nodesUnder(f.querySelector('.controls')!) - 1;
};

let saved: ReturnType<typeof useStore.getState>;
beforeEach(() => {
  saved = useStore.getState();
});
afterEach(() => {
  cleanup();
  useStore.setState(saved, true);
});

describe('<TimelineBar>, a short scenario', () => {
  it('keeps one focusable mark per step, with its outcome, label and click to jump', async () => {
    await load(7);
    render(<TimelineBar />);
    expect(screen.queryByTestId('step-strip')).toBeNull();
    expect(screen.getAllByTestId('step-marker-init')).toHaveLength(1);
    const marks = screen.getAllByTestId('step-marker');
    expect(marks).toHaveLength(7);
    const tl = useStore.getState().timeline;
    expect(marks.map((m) => m.getAttribute('data-outcome'))).toEqual(tl.results.map((r) => r.outcome));
    expect(marks[2]!.getAttribute('aria-label')).toMatch(/^step 3: /);
    act(() => void fireEvent.click(marks[4]!));
    expect(useStore.getState().step).toBe(5);
    expect(marks[4]!.classList.contains('marker-current')).toBe(true);
  });
  it(`keeps the marks up to ${MARKER_LIMIT} steps and switches to the strip after`, async () => {
    await load(MARKER_LIMIT);
    const { unmount } = render(<TimelineBar />);
    expect(screen.getAllByTestId('step-marker')).toHaveLength(MARKER_LIMIT);
    unmount();
    await load(MARKER_LIMIT + 1);
    render(<TimelineBar />);
    expect(screen.queryAllByTestId('step-marker')).toHaveLength(0);
    expect(screen.getByTestId('step-strip')).toBeTruthy();
  });
});

describe('<TimelineBar>, a long scenario', () => {
  it('draws 10,000 real steps in a bounded number of nodes', async () => {
    await load(10_000);
    render(<TimelineBar />);
    expect(screen.queryAllByTestId('step-marker')).toHaveLength(0);
    expect(stepsPart()).toBeLessThan(20);
    expect(nodesUnder(footer())).toBeLessThan(50);
  });
  it('the same node count for 10,000 and 100,000 steps', () => {
    fake(10_000);
    const { unmount } = render(<TimelineBar />);
    const at10k = nodesUnder(footer());
    unmount();
    fake(100_000);
    render(<TimelineBar />);
    expect(nodesUnder(footer())).toBe(at10k);
    expect(at10k).toBeLessThan(50);
  });
  it('is a slider: its value, text and range follow the step; arrows, Page keys, Home and End move it', async () => {
    await load(2_000);
    render(<TimelineBar />);
    const s = screen.getByRole('slider', { name: 'Steps by outcome' });
    expect(s.getAttribute('aria-valuemin')).toBe('0');
    expect(s.getAttribute('aria-valuemax')).toBe('2000');
    expect(s.getAttribute('aria-valuenow')).toBe('0');
    expect(s.getAttribute('aria-valuetext')).toBe('step 0: initial VM entry');
    act(() => void fireEvent.keyDown(s, { key: 'ArrowRight' }));
    act(() => void fireEvent.keyDown(s, { key: 'ArrowRight' }));
    expect(useStore.getState().step).toBe(2);
    expect(s.getAttribute('aria-valuenow')).toBe('2');
    expect(s.getAttribute('aria-valuetext')).toMatch(/^step 2: read 0x.* → /);
    act(() => void fireEvent.keyDown(s, { key: 'ArrowLeft' }));
    expect(useStore.getState().step).toBe(1);
    act(() => void fireEvent.keyDown(s, { key: 'PageUp' }));
    expect(useStore.getState().step).toBe(101);
    act(() => void fireEvent.keyDown(s, { key: 'End' }));
    expect(useStore.getState().step).toBe(2000);
    act(() => void fireEvent.keyDown(s, { key: 'Home' }));
    expect(useStore.getState().step).toBe(0);
  });
  it('a click jumps to the step under the pointer, and the tip names it', async () => {
    await load(2_000);
    render(<TimelineBar />);
    const s = screen.getByTestId('step-strip');
    // jsdom has no layout: give the strip a box 1,000 px wide at x = 100.
    s.getBoundingClientRect = () => ({ left: 100, top: 0, width: 1000, height: 18, right: 1100, bottom: 18, x: 100, y: 0, toJSON: () => ({}) });
    act(() => void fireEvent.pointerDown(s, { button: 0, clientX: 600, pointerId: 1 }));
    // 2,001 positions over 1,000 px: x = 500 is position floor(0.5 * 2001) = 1000.
    expect(useStore.getState().step).toBe(1000);
    // x = 999 is position floor(0.999 * 2001) = 1998; a move without a button only names it.
    act(() => void fireEvent.pointerMove(s, { clientX: 1099, buttons: 0 }));
    expect(screen.getByTestId('strip-tip').textContent).toMatch(/^step 1998: /);
    expect(useStore.getState().step).toBe(1000);
  });
});

describe('stripColumns', () => {
  it('shows the worst outcome of each column and never more columns than pixels', () => {
    const outcomes = ['init', ...Array.from({ length: 999 }, (_, i) => (i === 500 ? 'guest-fault' : 'hit'))] as const;
    const { cols, paths } = stripColumns(outcomes.length, (p) => outcomes[p]!, 100);
    expect(cols).toBe(100);
    // The lone guest fault owns its column: one bar.
    expect(paths['guest-fault']!.match(/M/g)).toHaveLength(1);
    // Column 0 holds the VM entry and hits: init is the least severe, so it shows hits.
    expect(paths.init).toBeUndefined();
    expect(paths.hit!.match(/M/g)).toHaveLength(99);
  });
  it('one column per position when the strip is wider than the run', () => {
    const { cols, paths } = stripColumns(3, (p) => (['init', 'hit', 'done'] as const)[p]!, 500);
    expect(cols).toBe(3);
    expect(Object.keys(paths).sort()).toEqual(['done', 'hit', 'init']);
  });
  it("a timeline's strip from its outcome column is the strip of its outcomes step by step", () => {
    const tl = new TimelineBuilder(generateScenario100k(3000).scenario, 'seed').timeline();
    const kinds = new Set<string>();
    for (let i = 0; i < tl.length; i++) kinds.add(tl.outcome(i)!);
    // Most outcomes the column can hold, so that their codes' ranks are checked.
    expect(kinds.size).toBeGreaterThanOrEqual(4);
    for (const width of [1, 37, 960, 2000, 5000])
      expect(timelineStripColumns(tl, width), `width ${width}`).toEqual(stripColumns(tl.length + 1, (p) => (p === 0 ? 'init' : tl.outcome(p - 1)!), width));
    for (const e of LIBRARY.slice(0, 8)) {
      const p = parseScenario(e.json);
      if (!p.ok) continue;
      const short = new TimelineBuilder(p.scenario, 'seed').timeline();
      expect(timelineStripColumns(short, 300), e.id).toEqual(stripColumns(short.length + 1, (q) => (q === 0 ? 'init' : short.outcome(q - 1)!), 300));
    }
  });
});
