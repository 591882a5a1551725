// @vitest-environment jsdom
/**
 * The side panel is rendered from a deferred value: a scenario switch must
 * never show (or compute) the new timeline at the old step, not even in the
 * urgent render before the deferred one.
 */
import { act, cleanup, fireEvent, render } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Timeline } from '../core/index.ts';
import { LIBRARY } from '../scenarios/library/index.ts';

const calls: Array<{ tl: Timeline; step: number }> = [];
vi.mock('./step/view.ts', async (importOriginal) => {
  const orig = await importOriginal<typeof import('./step/view.ts')>();
  return {
    ...orig,
    getStepView: (tl: Timeline, step: number) => {
      calls.push({ tl, step });
      return orig.getStepView(tl, step);
    },
  };
});

const { App } = await import('./App.tsx');
const { useStore } = await import('./store/index.ts');

afterEach(cleanup);

describe('the deferred side panel', () => {
  it('never pairs a newly loaded scenario with the previous step', () => {
    const { container } = render(<App />);
    act(() => void fireEvent.keyDown(window, { key: 'End' }));
    expect(container.querySelector('aside.side')!.getAttribute('data-step')).toBe('12');
    const short = LIBRARY.find((e) => e.id === 'pse-host-huge')!;
    calls.length = 0;
    act(() => void useStore.getState().loadScenario(short.json, short.id));
    const tl = useStore.getState().timeline;
    expect(tl.length).toBe(3);
    const onNew = calls.filter((c) => c.tl === tl);
    expect(onNew.length).toBeGreaterThan(0);
    // Every view asked of the new timeline is of a step it has.
    expect(onNew.filter((c) => c.step > tl.length)).toEqual([]);
    expect(container.querySelector('aside.side')!.getAttribute('data-step')).toBe('0');
  });
});

describe('About this scenario: the "What to watch" list', () => {
  it('renders the checked list of the built-in and jumps to an item\'s step, staying open', () => {
    const { container } = render(<App />);
    act(() => void useStore.getState().loadScenario(LIBRARY.find((e) => e.id === 'quadrants-32bit')!.json, 'quadrants-32bit'));
    const list = container.querySelector('[data-testid="watch-list"]')!;
    expect(list).not.toBeNull();
    const items = [...list.querySelectorAll('li')];
    expect(items.length).toBeGreaterThan(5);
    const seven = items.find((li) => li.getAttribute('data-step') === '7')!;
    expect(seven.textContent).toContain('unsync');
    act(() => void fireEvent.click(seven.querySelector('button')!));
    expect(useStore.getState().step).toBe(7);
    expect(container.querySelector('aside.side')!.getAttribute('data-step')).toBe('7');
    const about = container.querySelector('[data-testid="about-scenario"]') as HTMLDetailsElement;
    expect(about.open).toBe(true);
    expect(container.querySelector('.watch-current')!.getAttribute('data-step')).toBe('7');
    // Stepping on as usual closes it again (as before the list existed).
    act(() => void useStore.getState().stepForward());
    expect((container.querySelector('[data-testid="about-scenario"]') as HTMLDetailsElement).open).toBe(false);
  });

  it('marks an item that holds only under other rule sets instead of hiding it', () => {
    const { container } = render(<App />);
    act(() => void useStore.getState().loadScenario(LIBRARY.find((e) => e.id === 'pse-direct-pages')!.json, 'pse-direct-pages'));
    act(() => void useStore.getState().setRules('seed'));
    const other = [...container.querySelectorAll('[data-testid="watch-list"] li')].filter((li) => li.classList.contains('watch-other-rules'));
    // pse-direct-pages also has two Linux 6.1 items (its trailing prefetch, and the hit it gives).
    expect(other.map((li) => li.querySelector('.watch-rules')!.textContent)).toEqual([
      '(under Before only: not what Seed shows) ',
      '(under 6.1 only: not what Seed shows) ',
      '(under 6.1 only: not what Seed shows) ',
    ]);
  });
});
