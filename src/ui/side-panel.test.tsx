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
