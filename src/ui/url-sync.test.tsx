// @vitest-environment jsdom
import { act, cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { encodePermalink } from '../scenarios/permalink.ts';
import { App } from './App.tsx';
import { useStore } from './store/index.ts';
import { generateScenario100k } from '../../bench/scenario100k.ts';
import { currentFragment } from './url-sync.ts';

afterEach(() => {
  cleanup();
  window.history.replaceState(null, '', '/');
  vi.useRealTimers();
});

describe('permalinks in the app', () => {
  it('opens a link to a built-in at its step, rules and zoom', () => {
    const f = encodePermalink({ scenario: { kind: 'builtin', id: 'pse-direct-pages', version: 1 }, view: { step: 2, event: null, granularity: 'step', rules: 'before', zoom: 1.5, theme: 'light' } });
    window.history.replaceState(null, '', `/#${f}`);
    render(<App />);
    const s = useStore.getState();
    expect([s.libraryId, s.step, s.rules, s.zoom]).toEqual(['pse-direct-pages', 2, 'before', 1.5]);
    expect(screen.getByTestId('step-counter').textContent).toContain('step 2 / 4');
    // The current view encodes back to the same link.
    const again = currentFragment(useStore.getState());
    expect(again.ok && again.fragment).toBe(f);
  });
  it('opens a link in the overview and carries the overview back', () => {
    useStore.setState({ themeChosen: false });
    window.history.replaceState(null, '', '/#sp1/b/sweep-64-tables/1/s=40&o=1');
    render(<App />);
    expect(useStore.getState()).toMatchObject({ libraryId: 'sweep-64-tables', step: 40, overview: true });
    expect(screen.getByTestId('overview').getAttribute('aria-label')).toMatch(/^Overview: 65 guest page tables and 44 shadow pages$/);
    const again = currentFragment(useStore.getState());
    expect(again.ok && again.fragment).toBe('sp1/b/sweep-64-tables/1/s=40&o=1');
    act(() => useStore.getState().setOverview(false));
    const off = currentFragment(useStore.getState());
    expect(off.ok && off.fragment).toBe('sp1/b/sweep-64-tables/1/s=40');
  });
  it('opens a link with the Compare view, full width in the tables\' place, and carries it back', () => {
    window.history.replaceState(null, '', '/#sp1/b/gva-bits-before-after/1/s=2&c=before.merged');
    render(<App />);
    expect(useStore.getState()).toMatchObject({ libraryId: 'gva-bits-before-after', step: 2, compareOpen: true, compareRules: ['before', 'merged'] });
    expect(screen.getByTestId('compare').closest('main')).toBeNull();
    expect(document.querySelector('main')?.hidden).toBe(true);
    expect(screen.getAllByTestId('compare-role-table')[0]!.querySelectorAll('thead th')).toHaveLength(3);
    const again = currentFragment(useStore.getState());
    expect(again.ok && again.fragment).toBe('sp1/b/gva-bits-before-after/1/s=2&c=before.merged');
    act(() => useStore.getState().toggleCompareRule('seed'));
    const three = currentFragment(useStore.getState());
    expect(three.ok && three.fragment).toBe('sp1/b/gva-bits-before-after/1/s=2&c=before.seed.merged');
    act(() => screen.getByTestId('compare-close').click());
    expect(document.querySelector('main')?.hidden).toBe(false);
    const off = currentFragment(useStore.getState());
    expect(off.ok && off.fragment).toBe('sp1/b/gva-bits-before-after/1/s=2');
  });
  it('carries the theme only once the user (or a link) chose one', () => {
    useStore.setState({ themeChosen: false });
    useStore.getState().loadScenario(useStore.getState().scenarioJson, 'quadrants-32bit');
    const plain = currentFragment(useStore.getState());
    expect(plain.ok && plain.fragment).not.toContain('t=');
    act(() => useStore.getState().setTheme('dark'));
    const dark = currentFragment(useStore.getState());
    expect(dark.ok && dark.fragment).toContain('t=dark');
  });
  it('keeps what was on screen and says why when a link is broken', () => {
    useStore.getState().loadScenario((useStore.getState().scenarioJson), 'quadrants-32bit');
    const before = useStore.getState().scenario;
    window.history.replaceState(null, '', '/#sp1/z/garbage!!');
    render(<App />);
    expect(screen.getByTestId('link-error').textContent).toMatch(/could not be opened/);
    expect(useStore.getState().scenario).toBe(before);
  });
  it('says so when a link names an event past the events of its step', () => {
    window.history.replaceState(null, '', '/#sp1/b/pse-direct-pages/1/s=1&e=999&g=event');
    render(<App />);
    const s = useStore.getState();
    expect([s.step, s.granularity]).toEqual([1, 'event']);
    expect(s.event).toBeLessThan(999);
    expect(s.linkError).toMatch(new RegExp(`^Opened the link, with adjustments: The link asks for event 999 of step 1, but that step has ${s.event} events?; showing all of them\\.$`));
    expect(screen.getByTestId('link-error').textContent).toContain('showing all of them');
  });
  it('mirrors the view into the address bar after a pause', () => {
    vi.useFakeTimers();
    window.history.replaceState(null, '', '/');
    render(<App />);
    act(() => useStore.getState().jumpTo(3));
    act(() => {
      vi.advanceTimersByTime(500);
    });
    expect(window.location.hash).toMatch(/^#sp1\//);
  });
  it('a scenario too large for a link: the address bar drops the last link, and a reload says what it could not bring back', async () => {
    window.history.replaceState(null, '', '/');
    render(<App />);
    act(() => useStore.getState().jumpTo(2));
    await vi.waitFor(() => expect(window.location.hash).toMatch(/^#sp1\/b\//), { timeout: 3000 });
    const doc = generateScenario100k(2500).toJson();
    act(() => void useStore.getState().loadScenario(doc, null));
    // Built in slices here (no Worker in jsdom), then on screen.
    await vi.waitFor(() => expect(useStore.getState().scenario.steps.length).toBe(2500), { timeout: 20_000 });
    expect(currentFragment(useStore.getState())).toMatchObject({ ok: false, error: expect.stringMatching(/too large for a link/) });
    // The built-in's link went (a reload or a copy of the address opened it instead), and the tab remembers what it shows.
    await vi.waitFor(() => expect(window.location.hash).toBe(''), { timeout: 3000 });
    expect(JSON.parse(sessionStorage.getItem('shadowpaging:tab-unlinked')!)).toEqual({ title: doc.title, steps: 2500, savedId: null });
    cleanup();
    // As after a reload (the store keeps its scenario here; the page's would start with the default).
    act(() => useStore.getState().setLinkError(null));
    render(<App />);
    expect(useStore.getState().linkError).toBe(`Before the reload this tab showed "${doc.title}" (2,500 steps): too large for a link, so the reload could not bring it back and shows the default scenario. To go on, import its file again (or open it from My scenarios or Unsaved drafts).`);
    expect(screen.getByTestId('link-error').textContent).toContain('import its file again');
    // Said once: the next reload has nothing to say.
    expect(sessionStorage.getItem('shadowpaging:tab-unlinked')).toBeNull();
  });
  it('embed mode hides the chrome', () => {
    window.history.replaceState(null, '', '/?embed=1');
    render(<App />);
    expect(useStore.getState().embed).toBe(true);
    expect(screen.queryByTestId('copy-link')).toBeNull();
    useStore.setState({ embed: false });
  });
});
