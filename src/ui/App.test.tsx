// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { App } from './App.tsx';
import { useStore } from './store/index.ts';
import { LIBRARY } from '../scenarios/library/index.ts';

const pages = (c: HTMLElement) => [...c.querySelectorAll('[data-testid="shadow-page"]')].map((g) => ({ sp: g.getAttribute('data-sp'), gfn: g.getAttribute('data-gfn'), level: g.getAttribute('data-level'), q: g.getAttribute('data-quadrant'), slot: g.getAttribute('data-root-slot') }));
const key = (k: string) => act(() => void fireEvent.keyDown(window, { key: k }));

beforeEach(() => {
  useStore.setState({ step: 0, event: null, granularity: 'step', playing: false, showHelp: false, rules: 'seed' });
  useStore.getState().setRules('seed');
});
afterEach(cleanup);

describe('<App>', () => {
  it('draws the tables at a positive size in a window narrower than the side panel (as while a handout prints)', () => {
    // The canvas area measures 0 when hidden (jsdom: always), and its width
    // then falls back to the window's less the side panel's 430 px.
    const innerWidth = window.innerWidth;
    Object.defineProperty(window, 'innerWidth', { configurable: true, value: 300 });
    try {
      render(<App />);
      const svg = screen.getByTestId('canvas');
      expect(Number(svg.getAttribute('width'))).toBeGreaterThan(0);
      expect(Number(svg.getAttribute('height'))).toBeGreaterThan(0);
    } finally {
      Object.defineProperty(window, 'innerWidth', { configurable: true, value: innerWidth });
    }
  });
  it('opens on the default scenario with four roots, quadrants 0-3, one gfn', () => {
    const { container } = render(<App />);
    const roots = pages(container).filter((p) => p.slot !== '');
    expect(roots.map((p) => [p.slot, p.q, p.gfn])).toEqual([0, 1, 2, 3].map((i) => [String(i), String(i), '0x1']));
    expect(screen.getByTestId('step-counter').textContent).toContain('step 0 / 12');
  });
  it('steps with the arrows after a click on a checkbox of the timeline bar; Space there is the checkbox\'s', () => {
    render(<App />);
    const box = screen.getByTestId('granularity') as HTMLInputElement;
    box.focus();
    const on = (k: string) => act(() => void fireEvent.keyDown(box, { key: k }));
    on('ArrowRight');
    on('ArrowRight');
    expect(screen.getByTestId('step-counter').textContent).toContain('step 2 / 12');
    on('Home');
    expect(screen.getByTestId('step-counter').textContent).toContain('step 0 / 12');
    on(' ');
    expect(useStore.getState().playing).toBe(false);
    // A text field keeps its keys.
    const input = document.createElement('input');
    document.body.append(input);
    act(() => void fireEvent.keyDown(input, { key: 'ArrowRight' }));
    expect(screen.getByTestId('step-counter').textContent).toContain('step 0 / 12');
    input.remove();
  });
  it('steps with the keyboard to two shadow PTs of one guest table, and back', () => {
    const { container } = render(<App />);
    const at0 = pages(container);
    key('ArrowRight');
    key('ArrowRight');
    expect(screen.getByTestId('step-counter').textContent).toContain('step 2 / 12');
    const pts = pages(container).filter((p) => p.level === '1' && p.gfn === '0x4');
    expect(pts.map((p) => p.q)).toEqual(['0', '1']);
    expect(within(screen.getByTestId('explanation')).getAllByText('kvm_mmu_child_role').length).toBeGreaterThan(0);
    expect(screen.getByTestId('explanation').textContent).toContain('parent index 3 % 2 = 1');
    key('Home');
    expect(pages(container)).toEqual(at0);
  });
  it('the side panel, rendered at a lower priority, catches up with every step', () => {
    const { container } = render(<App />);
    const side = container.querySelector<HTMLElement>('aside.side')!;
    for (let n = 1; n <= 4; n++) {
      key('ArrowRight');
      expect(side.dataset.step).toBe(String(n));
      expect(screen.getByTestId('outcome').getAttribute('data-outcome')).toBe(useStore.getState().timeline.results[n - 1]!.outcome);
    }
    key('End');
    expect(side.dataset.step).toBe('12');
  });
  it('switches the rule set and shows the pre-patch formula', () => {
    render(<App />);
    act(() => {
      fireEvent.change(screen.getByTestId('rules'), { target: { value: 'before' } });
    });
    key('ArrowRight');
    key('ArrowRight');
    expect(screen.getByTestId('explanation').textContent).toContain('(gaddr 0xc0603123 >> 21) & 1 = 1');
  });
  it('opens and closes the keyboard help', () => {
    render(<App />);
    key('?');
    expect(screen.getByTestId('help-overlay')).toBeTruthy();
    key('Escape');
    expect(screen.queryByTestId('help-overlay')).toBeNull();
  });
  it('reveals kernel events one at a time in event mode', () => {
    const { container } = render(<App />);
    key('e');
    key('ArrowRight');
    expect(screen.getByTestId('step-counter').textContent).toMatch(/step 1 \/ 12 · event 1 \/ \d+/);
    // The level-1 page of step 1 is not there until its kvm_mmu_get_page event.
    expect(pages(container).filter((p) => p.level === '1')).toEqual([]);
    for (let i = 0; i < 12; i++) key('ArrowRight');
    expect(pages(container).filter((p) => p.level === '1')).toHaveLength(1);
  });
});

describe('<App> compare view', () => {
  it('lists the role differences of the PSE scenario and jumps to their step', () => {
    render(<App />);
    act(() => {
      fireEvent.change(screen.getByTestId('scenario-picker'), { target: { value: 'pse-direct-pages' } });
    });
    act(() => {
      fireEvent.click(screen.getByTestId('compare-toggle'));
    });
    const diffs = screen.getAllByTestId('compare-diff');
    expect(diffs.map((d) => d.textContent)).toEqual(['step 1: direct l1 gfn 0x12400 (sp gfn 0x1 entry 2)', 'step 2: direct l1 gfn 0x12600 (sp gfn 0x1 entry 3)']);
    expect(screen.getByTestId('compare').textContent).toContain('gpte_is_8_bytes');
    act(() => {
      fireEvent.click(diffs[1]!);
    });
    expect(useStore.getState().step).toBe(2);
    // This step's request, role by role: gpte_is_8_bytes flagged, the quadrant formulas evaluated.
    const [table] = screen.getAllByTestId('compare-role-table');
    expect(table!.textContent).toContain('roles differ: gpte_is_8_bytes');
    expect(table!.textContent).toContain('(gaddr 0xc0603123 >> 21) & 1 = 1');
    expect(table!.textContent).toContain('parent index 3 % 2 = 1');
    expect(table!.textContent).toContain('gfn 12600 l1 8-byte q1 direct');
    expect(table!.textContent).toContain('gfn 12600 l1 4-byte q1 direct');
    expect(table!.querySelectorAll('.cell-differs')).toHaveLength(2 * 3); // gpte_is_8_bytes and role.word, three rule sets
    // A fourth rule set joins the comparison.
    act(() => {
      fireEvent.click(screen.getByTestId('compare-rule-merged-no-7'));
    });
    expect(useStore.getState().compareRules).toEqual(['before', 'seed', 'merged', 'merged-no-7']);
    expect(screen.getAllByTestId('compare-role-table')[0]!.querySelectorAll('thead th')).toHaveLength(5);
    // Linux 6.1 joins: its column shows bit 4 under 6.1's name (has_4_byte_gpte, inverted) and its own role.word.
    act(() => {
      fireEvent.click(screen.getByTestId('compare-rule-linux-6.1'));
    });
    const t61 = screen.getAllByTestId('compare-role-table')[0]!;
    const col61 = [...t61.querySelectorAll('thead th')].findIndex((th) => th.textContent === '6.1');
    const cellOf = (field: string, col: number) => [...t61.querySelectorAll('tbody tr')].find((tr) => tr.querySelector('th')?.textContent?.startsWith(field))!.children[col]!.textContent;
    const cell = (field: string) => cellOf(field, col61);
    const colMerged = [...t61.querySelectorAll('thead th')].findIndex((th) => th.textContent === 'Merged');
    expect(t61.textContent).toContain('in 6.1: has_4_byte_gpte');
    expect(cell('gpte_is_8_bytes')).toMatch(new RegExp(`^has_4_byte_gpte = ${cellOf('gpte_is_8_bytes', colMerged)?.startsWith('1') ? 0 : 1}`));
    expect(Number.parseInt(cell('role.word')!, 16) ^ Number.parseInt(cellOf('role.word', colMerged)!, 16)).toBe(0x10 | 0x1000); // bit 4's name, and efer_nx in every 6.1 role
    act(() => {
      fireEvent.click(screen.getByTestId('compare-rule-linux-6.1'));
    });
    // Select the direct page of the first half: its role table follows the selection.
    const sp = useStore.getState().timeline.stateAt(2);
    const direct = [...sp.sps.values()].find((x) => x.role.direct && x.gfn === 0x12400)!;
    act(() => useStore.getState().select(`sp:${direct.id}`));
    expect(screen.getByTestId('compare').textContent).toContain(`Selected: sp ${direct.id}`);
    expect(screen.getAllByTestId('compare-role-table').some((t) => (t.textContent ?? '').includes('gfn 12400 l1 4-byte q0 direct'))).toBe(true);
    act(() => {
      fireEvent.click(screen.getByTestId('compare-toggle'));
    });
  });
});

describe('<App> rmap view', () => {
  it('shows every spte that maps the frame of a selected page entry', () => {
    const entryJson = LIBRARY.find((e) => e.id === 'quadrants-32bit')!.json;
    act(() => void useStore.getState().loadScenario(entryJson, 'quadrants-32bit'));
    const { container } = render(<App />);
    key('ArrowRight');
    key('ArrowRight');
    // Guest PT 0x4 entry 515 maps gfn 0x14: one spte, in the quadrant-1 shadow PT.
    const entry = container.querySelector('[data-testid="guest-table"][data-gfn="0x4"] [data-testid="guest-entry"][data-index="515"]')!;
    act(() => {
      fireEvent.click(entry);
    });
    const rmap = screen.getByTestId('rmap');
    expect(rmap.textContent).toContain('rmap of gfn 0x14');
    const q1 = pages(container).find((p) => p.gfn === '0x4' && p.q === '1')!;
    expect(rmap.textContent).toContain(`sp ${q1.sp} entry 3`);
  });
});

describe('<App> stale child (patch 7/8)', () => {
  const open = (rules: 'before' | 'merged') => {
    const entryJson = LIBRARY.find((e) => e.id === 'stale-child-uaf')!.json;
    act(() => {
      useStore.getState().loadScenario(entryJson, 'stale-child-uaf');
      useStore.getState().setRules(rules);
    });
    const r = render(<App />);
    key('End');
    return r;
  };
  it('before: the stale rmap, the pte_list_remove BUG and the use-after-free are named, and the rmap view flags the entry', () => {
    const { container } = open('before');
    const banner = screen.getByTestId('kernel-bugs');
    expect(banner.textContent).toContain('step 4 stale rmap');
    expect(banner.textContent).toContain('pte_list_remove: 0->BUG');
    expect(banner.textContent).toContain('step 7 use-after-free');
    // Back at step 4 (before the zap): guest PT 0x200 entry 16 maps gfn 0x345, whose rmap holds an spte of the direct page.
    act(() => useStore.getState().jumpTo(4));
    const entry = container.querySelector('[data-testid="guest-table"][data-gfn="0x200"] [data-testid="guest-entry"][data-index="16"]')!;
    act(() => {
      fireEvent.click(entry);
    });
    expect(screen.getByTestId('rmap').textContent).toContain('rmap of gfn 0x345');
    expect(screen.getByTestId('rmap-stale').textContent).toContain('kvm_mmu_page_get_gfn() computes another gfn');
    act(() => useStore.getState().jumpTo(7));
    expect(screen.getByTestId('rmap-stale').textContent).toContain('use-after-free');
    // Any gfn can be typed in; junk gets a message and changes nothing.
    const input = screen.getByTestId('rmap-gfn');
    act(() => {
      fireEvent.change(input, { target: { value: 'zz' } });
      fireEvent.submit(input.closest('form')!);
    });
    expect(screen.getByTestId('rmap').textContent).toContain('a gfn is a hex frame number');
    expect(screen.getByTestId('rmap').textContent).toContain('rmap of gfn 0x345');
    act(() => {
      fireEvent.change(input, { target: { value: '200' } });
      fireEvent.submit(input.closest('form')!);
    });
    expect(screen.getByTestId('rmap').textContent).toContain('rmap of gfn 0x200');
  });
  it('merged: nothing to report', () => {
    open('merged');
    expect(screen.queryByTestId('kernel-bugs')).toBeNull();
  });
});

describe('<App> overview', () => {
  beforeEach(() => {
    const entryJson = LIBRARY.find((e) => e.id === 'quadrants-32bit')!.json;
    act(() => {
      useStore.getState().loadScenario(entryJson, 'quadrants-32bit');
      useStore.setState({ overview: false, zoom: 1, selected: null, hovered: null });
    });
  });
  afterEach(() => act(() => useStore.setState({ overview: false, zoom: 1, selected: null })));

  it('O shows every table as one card, with the same pages, quadrants and root slots as the tables', () => {
    const { container } = render(<App />);
    key('ArrowRight');
    key('ArrowRight');
    const detailed = pages(container);
    expect(container.querySelector('[data-testid="guest-entry"]')).not.toBeNull();
    key('o');
    const ov = screen.getByTestId('overview');
    expect(ov.getAttribute('aria-label')).toBe('Overview: 5 guest page tables and 6 shadow pages');
    expect(pages(container)).toEqual(detailed);
    // No rows in the overview: the present entries are ticks.
    expect(container.querySelector('[data-testid="guest-entry"]')).toBeNull();
    expect(screen.getByTestId('zoom-level').textContent).toBe('all');
    expect(screen.getByTestId('overview-toggle').getAttribute('aria-pressed')).toBe('true');
    // This step's walk: guest PD 0x1 and PT 0x4 are lit, and sptes were set in the quadrant-1 shadow PT.
    const lit = [...container.querySelectorAll('.card-walked')].map((r) => r.closest('[data-testid]')!.getAttribute('data-gfn'));
    expect(lit).toEqual(['0x1', '0x4']);
    const q1 = container.querySelector('[data-testid="shadow-page"][data-gfn="0x4"][data-quadrant="1"]')!;
    expect(q1.querySelector('.tick-set')).not.toBeNull();
    expect(q1.querySelector('title')!.textContent).toContain('guest PTEs 512–1023');
    // Stepping back keeps the overview and restores the earlier picture.
    key('Home');
    expect(screen.getByTestId('overview')).toBeTruthy();
    expect(pages(container).filter((p) => p.level === '1')).toEqual([]);
    key('O');
    expect(screen.queryByTestId('overview')).toBeNull();
  });

  it('event mode in the overview: a page appears only with its kvm_mmu_get_page event', () => {
    const { container } = render(<App />);
    key('o');
    key('e');
    key('ArrowRight');
    expect(screen.getByTestId('overview')).toBeTruthy();
    expect(screen.getByTestId('step-counter').textContent).toMatch(/step 1 \/ 12 · event 1 \/ \d+/);
    expect(pages(container).filter((p) => p.level === '1')).toEqual([]);
    for (let i = 0; i < 12; i++) key('ArrowRight');
    expect(pages(container).filter((p) => p.level === '1')).toHaveLength(1);
    key('e');
  });

  it('clicking a card opens it in the tables, selected', () => {
    const { container } = render(<App />);
    key('ArrowRight');
    key('ArrowRight');
    act(() => useStore.getState().setOverview(true));
    const q1 = container.querySelector('[data-testid="shadow-page"][data-gfn="0x4"][data-quadrant="1"]')!;
    const sp = q1.getAttribute('data-sp');
    act(() => {
      fireEvent.click(q1);
    });
    expect(screen.queryByTestId('overview')).toBeNull();
    expect(useStore.getState().selected).toBe(`sp:${sp}`);
    expect(container.querySelector(`[data-testid="shadow-page"][data-sp="${sp}"] [data-testid="spte"]`)).not.toBeNull();
  });

  it('zooming out past 50% shows the overview, zooming in leaves it at the zoom it had', () => {
    render(<App />);
    key('-');
    key('-');
    expect(useStore.getState()).toMatchObject({ zoom: 0.5, overview: false });
    key('-');
    expect(useStore.getState()).toMatchObject({ zoom: 0.5, overview: true });
    key('-');
    expect(useStore.getState()).toMatchObject({ zoom: 0.5, overview: true });
    key('+');
    expect(useStore.getState()).toMatchObject({ zoom: 0.5, overview: false });
    key('o');
    act(() => {
      fireEvent.click(screen.getByRole('button', { name: 'Zoom in (+)' }));
    });
    expect(useStore.getState()).toMatchObject({ zoom: 0.5, overview: false });
    expect((screen.getByRole('button', { name: 'Zoom out (-)' }) as HTMLButtonElement).disabled).toBe(false);
  });
});
