// @vitest-environment jsdom
/**
 * The glossary against what the app really renders: the side panel (story,
 * rmap, registers, shadow-page counts, statistics, kernel-bug banner) of
 * every step of every built-in under every rule set, the top bar, the
 * timeline and the help overlay. Every marked term must have an entry, and
 * every entry must be marked somewhere (a glossary of words the app never
 * shows, or a shown term left out, fails).
 */
import { act, cleanup, render } from '@testing-library/react';
import { afterAll, describe, expect, it } from 'vitest';
import { RULE_SETS, type Timeline } from '../../core/index.ts';
import { LIBRARY } from '../../scenarios/library/index.ts';
import { App } from '../App.tsx';
import { ExplanationPanel } from '../components/ExplanationPanel.tsx';
import { Counts, Registers, Stats } from '../components/RegistersPanel.tsx';
import { KernelBugBanner, RmapPanel } from '../components/RmapPanel.tsx';
import { getStepView } from '../step/index.ts';
import { useStore } from '../store/index.ts';
import { SPELLINGS } from './match.ts';
import { GlossaryPopover } from './Term.tsx';
import { TERM_BY_ID, TERMS } from './terms.ts';

afterAll(cleanup);

/**
 * A user scenario beside the built-ins, for what none of them does: an
 * access beyond guest RAM (MMIO, no memslot) and a CR3 load above
 * MAXPHYADDR (#GP).
 */
const EXTRA = {
  format: 'shadowpaging/v1',
  title: 'MMIO and #GP',
  guest: { mode: 'off' },
  host: { memoryMiB: 16 },
  steps: [
    { op: 'read', gva: '0x2000000' },
    { op: 'cr3', value: '0xffffffffff000' },
  ],
};
const SCENARIOS: ReadonlyArray<{ id: string | null; json: unknown }> = [...LIBRARY.map((e) => ({ id: e.id, json: e.json as unknown })), { id: null, json: EXTRA }];

/** All text the app renders (HTML and SVG, tooltips included), for terms drawn where no popover can go. */
let shownText = '';
/** The text nodes joined by spaces (textContent runs neighbouring SVG texts together). */
function textOf(root: Node): string {
  const walk = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const out: string[] = [];
  for (let n = walk.nextNode(); n; n = walk.nextNode()) out.push(n.nodeValue ?? '');
  return out.join(' ');
}

/** The side panel's parts that carry kernel words, as SideContent in App.tsx lays them out. */
function Side({ tl, step }: { tl: Timeline; step: number }) {
  const view = getStepView(tl, step);
  return (
    <>
      <KernelBugBanner bugs={view.machine.bugs} />
      <RmapPanel machine={view.machine} guest={view.guest} />
      <ExplanationPanel events={view.events} result={view.result} upTo={null} />
      <Registers m={view.machine} />
      <Counts m={view.machine} />
      <Stats m={view.machine} />
    </>
  );
}

const seen = new Set<string>();
const unknown = new Set<string>();
const collect = (root: ParentNode) => {
  for (const el of root.querySelectorAll<HTMLElement>('[data-term]')) {
    const id = el.dataset.term!;
    (TERM_BY_ID.has(id) ? seen : unknown).add(id);
  }
};

describe('the glossary in the rendered UI', () => {
  it('every term marked in the side panel of every built-in step has an entry', () => {
    const { container, rerender } = render(<div />);
    for (const entry of SCENARIOS) {
      for (const rules of RULE_SETS) {
        act(() => {
          expect(useStore.getState().loadScenario(entry.json, entry.id)).toBe(true);
          useStore.getState().setRules(rules);
        });
        const tl = useStore.getState().timeline;
        for (let step = 0; step <= tl.length; step++) {
          // The rmap panel shows its rows for a selected frame: the first one some spte maps.
          const rmapGfn = getStepView(tl, step).machine.rmap[0]?.gfn;
          act(() => useStore.getState().select(rmapGfn ? `gfn:${rmapGfn}` : null));
          rerender(<Side tl={tl} step={step} />);
          collect(container);
        }
      }
    }
    act(() => useStore.getState().select(null));
    expect([...unknown]).toEqual([]);
    expect(seen.size).toBeGreaterThan(0);
  });
  it('the whole app (tables, ruler, Compare, top bar, timeline, help) at the first and last step of every built-in marks terms with entries only', () => {
    const { container } = render(<App />);
    act(() => useStore.getState().setPanelOpen(true));
    for (const entry of SCENARIOS) {
      act(() => {
        useStore.getState().loadScenario(entry.json, entry.id);
        useStore.getState().setRules('seed');
      });
      for (const step of [0, useStore.getState().timeline.length]) {
        act(() => useStore.getState().jumpTo(step));
        // The tables and side panel, then Compare (which takes their place).
        for (const compare of [false, true]) {
          act(() => useStore.getState().toggleCompare(compare));
          collect(container);
          shownText += `\n${textOf(container)}`;
        }
        act(() => useStore.getState().toggleCompare(false));
      }
    }
    act(() => useStore.getState().toggleHelp(true));
    collect(container);
    act(() => useStore.getState().toggleHelp(false));
    expect([...unknown]).toEqual([]);
  });
  it('every glossary entry is marked somewhere in the UI, or shown where no popover can go (the SVG tables and ruler, Compare)', () => {
    const shown = (id: string) => [...SPELLINGS].some(([s, t]) => t === id && new RegExp(`(?<!\\w)${s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?!\\w)`).test(shownText));
    const missing = TERMS.map((t) => t.id).filter((id) => !seen.has(id) && !shown(id));
    expect(missing).toEqual([]);
    // Most are marked: a glossary shown only as plain text would be little use.
    expect(TERMS.filter((t) => seen.has(t.id)).length).toBeGreaterThan(TERMS.length * 0.85);
  });
  it('every marked occurrence is focusable and names its definition while open', () => {
    const { container } = render(
      <>
        <Side tl={useStore.getState().timeline} step={1} />
        <GlossaryPopover />
      </>,
    );
    const terms = [...container.querySelectorAll<HTMLElement>('[data-term]')];
    expect(terms.length).toBeGreaterThan(10);
    for (const t of terms) expect(t.tabIndex).toBe(0);
    act(() => terms[0]!.focus());
    const tip = document.getElementById(terms[0]!.getAttribute('aria-describedby') ?? '');
    expect(tip?.getAttribute('role')).toBe('tooltip');
    expect(tip?.textContent).toContain(TERM_BY_ID.get(terms[0]!.dataset.term!)!.def);
  });
});
