// @vitest-environment jsdom
/**
 * Three behaviours no other test pinned, each of which a one-line slip would
 * break without a test failing: Escape only ever closes the help; a folded
 * run of one empty entry is named in the singular; and the root cards go in
 * pae_root slot order, not in the order their shadow pages were made.
 */
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { guestTables, machineJson, Timeline } from '../core/index.ts';
import { LIBRARY } from '../scenarios/library/index.ts';
import { parseScenario } from '../scenarios/schema.ts';
import { App } from './App.tsx';
import { layoutColumns } from './layout/geometry.ts';
import { useStore } from './store/index.ts';

/** A key pressed where the focus is (the help's close button once it is open); it bubbles to the window's listener. */
const press = (key: string) => act(() => void fireEvent.keyDown(document.activeElement ?? document.body, { key }));

/** Opens `json` in the app at `step`. */
function openAt(json: unknown, step: number) {
  act(() => {
    expect(useStore.getState().loadScenario(json)).toBe(true);
  });
  const r = render(<App />);
  act(() => useStore.getState().jumpTo(step));
  return r;
}

beforeEach(() => {
  const first = LIBRARY[0]!;
  act(() => {
    useStore.getState().loadScenario(first.json, first.id);
    useStore.setState({ step: 0, event: null, granularity: 'step', playing: false, showHelp: false, rules: 'seed', overview: false, zoom: 1 });
  });
});
afterEach(cleanup);

describe('Escape', () => {
  it('closes the keyboard help and never opens it', () => {
    render(<App />);
    const helpShown = () => screen.queryByTestId('help-overlay') !== null;
    press('Escape');
    expect(helpShown()).toBe(false);
    press('Escape');
    expect(helpShown()).toBe(false);
    press('?');
    expect(helpShown()).toBe(true);
    press('Escape');
    expect(helpShown()).toBe(false);
    expect(useStore.getState().showHelp).toBe(false);
  });
});

describe('folded runs of empty entries', () => {
  // A PAE guest whose page table has entries 4 and 6, both read: the guest
  // PT and its shadow PT each have exactly one empty entry (5) between two
  // present ones.
  const ONE_GAP = {
    format: 'shadowpaging/v1',
    title: 'One empty entry between two present ones',
    guest: { mode: 'pae', cr3: '0x1000' },
    memory: [
      { gpa: '0x1000', entries: { '0': '0x2001' } },
      { gpa: '0x2000', entries: { '0': '0x3027' } },
      { gpa: '0x3000', entries: { '4': '0x10027', '6': '0x11027' } },
    ],
    steps: [
      { op: 'read', gva: '0x4000' },
      { op: 'read', gva: '0x6000' },
    ],
  };
  /**
   * The words of the card's folded runs, top to bottom: drawn as a row, or
   * the tooltip of a compact gap under the pointer (jsdom has no SVG
   * geometry: the card's screen transform is taken as its own units).
   */
  const folds = (card: Element | null): string[] => {
    if (!card) return [];
    Object.defineProperty(card, 'getScreenCTM', { value: () => ({ a: 1, b: 0, c: 0, d: 1, e: 0, f: 0 }), configurable: true });
    const words: Array<[number, string]> = [...card.querySelectorAll('.row-fold')].map((t) => [Number(t.getAttribute('y')), t.textContent ?? '']);
    for (const line of card.querySelectorAll('.row-gap line')) {
      const y = Number(line.getAttribute('y1'));
      act(() => void fireEvent.pointerMove(card, { clientY: y }));
      words.push([y, screen.getByTestId('row-tip').textContent ?? '']);
    }
    act(() => void fireEvent.mouseLeave(card));
    return words.sort((p, q) => p[0] - q[0]).map(([, t]) => t).filter((t) => t.endsWith(' not present'));
  };

  // A narrow window draws compact cards (a gap with the words as its tooltip), a wide one the words in a row.
  for (const width of [1024, 4000]) {
    it(`reads "entry 5 not present" for one entry and "entries 7–511 not present" for a run (window ${width} px wide)`, () => {
      const was = window.innerWidth;
      window.innerWidth = width;
      try {
        const { container } = openAt(ONE_GAP, 2);
        const guestPt = container.querySelector('[data-testid="guest-table"][data-gfn="0x3"]');
        expect(folds(guestPt)).toEqual(['entries 0–3 not present', 'entry 5 not present', 'entries 7–511 not present']);
        const shadowPt = container.querySelector('[data-testid="shadow-page"][data-gfn="0x3"][data-level="1"]');
        expect(folds(shadowPt)).toEqual(['sptes 0–3 not present', 'spte 5 not present', 'sptes 7–511 not present']);
      } finally {
        window.innerWidth = was;
      }
    });
  }
});

describe('root cards', () => {
  // A PAE guest whose CR3 is reloaded with a PDPT that lists the same two
  // page directories the other way round. The first VM entry makes sp 0
  // (PD 0x2000) pae_root[0] and sp 1 (PD 0x3000) pae_root[1]; the reload
  // frees the roots and mmu_alloc_shadow_roots finds both pages again, now
  // sp 1 in slot 0 and sp 0 in slot 1.
  const SWAPPED = {
    format: 'shadowpaging/v1',
    title: 'The same page directories, the other way round',
    guest: { mode: 'pae', cr3: '0x1000' },
    memory: [
      { gpa: '0x1000', entries: { '0': '0x2001', '1': '0x3001' } },
      { gpa: '0x2000', entries: { '0': '0x4027' } },
      { gpa: '0x3000', entries: { '0': '0x5027' } },
      { gpa: '0x6000', entries: { '0': '0x3001', '1': '0x2001' } },
    ],
    steps: [
      { op: 'read', gva: '0x0' },
      { op: 'cr3', value: '0x6000' },
      { op: 'read', gva: '0x0' },
    ],
  };
  const timeline = () => {
    const parsed = parseScenario(SWAPPED);
    if (!parsed.ok) throw new Error(parsed.error.message);
    return new Timeline(parsed.scenario, 'seed');
  };
  /** Root cards top to bottom: [slot, sp id]. */
  const rootsInLayout = (tl: Timeline, step: number) => {
    const m = tl.stateAt(step);
    return layoutColumns(machineJson(m), guestTables(m.cpu, m.mem))
      .cards.flatMap((c) => (c.kind === 'shadow' && c.rootSlot !== null ? [{ slot: c.rootSlot, sp: c.sp.id, y: c.y }] : []))
      .sort((a, b) => a.y - b.y)
      .map(({ slot, sp }) => [slot, sp]);
  };

  it('lays them out in slot order, not in shadow page id order', () => {
    const tl = timeline();
    expect(rootsInLayout(tl, 0)).toEqual([
      [0, 0],
      [1, 1],
    ]);
    // After the reload the page with the higher id is in the lower slot, and goes first.
    for (const step of [2, 3]) {
      expect(rootsInLayout(tl, step)).toEqual([
        [0, 1],
        [1, 0],
      ]);
    }
  });

  it('draws them in slot order', () => {
    const { container } = openAt(SWAPPED, 3);
    const drawn = [...container.querySelectorAll('[data-testid="shadow-page"]')]
      .filter((g) => g.getAttribute('data-root-slot') !== '')
      .map((g) => ({ slot: Number(g.getAttribute('data-root-slot')), sp: Number(g.getAttribute('data-sp')), y: Number(/translate\([^,]+,([^)]+)\)/.exec(g.getAttribute('transform') ?? '')?.[1]) }))
      .sort((a, b) => a.y - b.y);
    expect(drawn.map(({ slot, sp }) => [slot, sp])).toEqual([
      [0, 1],
      [1, 0],
    ]);
    expect(screen.getByTestId('canvas').textContent).toContain('pae_root[0] → sp 1');
  });
});
