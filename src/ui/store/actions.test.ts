/**
 * storeActions: what a component's handlers keep from the store is its
 * actions alone, never a state (whose timeline a kept closure held alive
 * after a rule switch), and they act on the store as it is when called.
 */
import { describe, expect, it } from 'vitest';
import { storeActions, useStore } from './index.ts';

describe('storeActions', () => {
  it('holds every action and nothing else of the state', () => {
    const s = useStore.getState();
    const a = storeActions();
    const fns = Object.entries(s).filter(([, v]) => typeof v === 'function').map(([k]) => k);
    expect(Object.keys(a).sort()).toEqual(fns.sort());
    expect(Object.values(a).every((v) => typeof v === 'function')).toBe(true);
    expect('timeline' in a).toBe(false);
    expect('scenario' in a).toBe(false);
  });

  it('acts on the state of the moment, not of when it was taken', () => {
    const a = storeActions();
    const len = useStore.getState().timeline.length;
    a.jumpTo(len);
    expect(useStore.getState().step).toBe(len);
    a.jumpTo(0);
    expect(useStore.getState().step).toBe(0);
    // The same actions after the state changed: the store's, made once.
    expect(storeActions().jumpTo).toBe(a.jumpTo);
  });
});
