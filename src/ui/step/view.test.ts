import { describe, expect, it } from 'vitest';
import { Timeline } from '../../core/index.ts';
import { parseScenario } from '../../scenarios/schema.ts';
import json from '../../scenarios/library/sweep-64-tables.json';
import { layoutColumns, sim_forgetRecent } from '../layout/geometry.ts';
import { plainLayout } from '../../../tests/plain-layout.ts';
import { getStepView, layoutOf, mostShadowPages, prefetchStepViews } from './view.ts';

const fresh = () => {
  const p = parseScenario(json);
  if (!p.ok) throw new Error(p.error.message);
  return new Timeline(p.scenario, 'seed');
};

/** A hand-driven idle scheduler: each run() gives the callback `budget` calls of time. */
function manualIdle() {
  const queue: Array<(timeLeft: () => number) => void> = [];
  let cancelled = 0;
  return {
    idle: (cb: (timeLeft: () => number) => void) => {
      queue.push(cb);
      return () => {
        const i = queue.indexOf(cb);
        if (i >= 0) {
          queue.splice(i, 1);
          cancelled++;
        }
      };
    },
    /** Runs the next idle callback, with time for `n` views. */
    run(n: number) {
      const cb = queue.shift();
      let left = n;
      cb?.(() => (left-- > 0 ? 10 : 0));
      return cb !== undefined;
    },
    get pending() {
      return queue.length;
    },
    get cancelled() {
      return cancelled;
    },
  };
}

describe('prefetchStepViews', () => {
  it('computes every step view a few at a time, outward from the current step, and the views are the ones getStepView returns', () => {
    const tl = fresh();
    const seen: number[] = [];
    const s = manualIdle();
    prefetchStepViews(tl, 10, s.idle, (v) => seen.push(v.step));
    expect(seen).toEqual([]);
    s.run(3);
    expect(seen).toEqual([11, 12, 13]);
    while (s.run(5));
    expect(seen.length).toBe(tl.length);
    expect(new Set(seen).size).toBe(tl.length);
    expect(seen.slice(0, tl.length - 10)).toEqual(Array.from({ length: tl.length - 10 }, (_, i) => 11 + i));
    expect(seen.slice(tl.length - 10)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    // Cached: the same objects.
    for (const n of [0, 11, tl.length]) expect(getStepView(tl, n).step).toBe(n);
    const before = getStepView(tl, 40);
    expect(getStepView(tl, 40)).toBe(before);
    expect(s.pending).toBe(0);
  });

  it('stops when cancelled, between idle callbacks', () => {
    const tl = fresh();
    const seen: number[] = [];
    const s = manualIdle();
    const cancel = prefetchStepViews(tl, 0, s.idle, (v) => seen.push(v.step));
    s.run(2);
    cancel();
    expect(s.cancelled).toBe(1);
    expect(s.run(2)).toBe(false);
    expect(seen).toEqual([1, 2]);
  });
});

describe('layoutOf', () => {
  it('is computed once per state and equals a fresh layout', () => {
    const tl = fresh();
    const v = getStepView(tl, 30);
    const a = layoutOf(v);
    expect(layoutOf(v)).toBe(a);
    // From scratch: no card or link handed out again (geometry.ts recent), rows and paths compared.
    sim_forgetRecent();
    expect(plainLayout(a)).toEqual(plainLayout(layoutColumns(v.machine, v.guest)));
    const w = getStepView(tl, 31);
    expect(layoutOf(w)).not.toBe(a);
  });
});

describe('a view far into a long run of zap-alls', () => {
  it('is made from the state before it, not from every view before it (20,000 zap-alls: no deep recursion)', () => {
    const n = 20_000;
    const p = parseScenario({ format: 'shadowpaging/v1', title: 'zaps', guest: { mode: 'off' }, steps: Array.from({ length: n }, () => ({ op: 'zap-all' })) });
    if (!p.ok) throw new Error(p.error.message);
    const tl = new Timeline(p.scenario, 'seed');
    const v = getStepView(tl, n);
    // The last zap-all freed the pages the state before it had, and the view says so.
    expect(v.gone.freed.length).toBeGreaterThan(0);
    expect(v.gone.freed.map((sp) => sp.id)).toEqual(getStepView(tl, n - 1).machine.shadowPages.map((sp) => sp.id));
  });
});

describe('mostShadowPages', () => {
  it('is the largest count, and 0 for none', () => {
    const tl = fresh();
    expect(mostShadowPages(tl)).toBe(Math.max(...tl.pageCounts));
    expect(mostShadowPages({ pageCounts: [] } as unknown as Timeline)).toBe(0);
  });

  it('takes the counts of a 1,000,000-step file (the cap): a spread into Math.max overflowed the stack there', () => {
    const counts = Array.from({ length: 1_000_001 }, (_, i) => (i * 7919) % 4093);
    counts[777_777] = 5000;
    expect(mostShadowPages({ pageCounts: counts } as unknown as Timeline)).toBe(5000);
  });
});
