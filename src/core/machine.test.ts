import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ShadowPage, SpTable } from './machine.ts';

type Op = { op: 'set'; id: number } | { op: 'delete'; id: number } | { op: 'get'; id: number } | { op: 'clear' };

const id = fc.oneof(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 200_000 }));
const ops = fc.array(
  fc.oneof(
    fc.record({ op: fc.constant('set' as const), id }),
    fc.record({ op: fc.constant('delete' as const), id }),
    fc.record({ op: fc.constant('get' as const), id }),
    fc.constant({ op: 'clear' as const }),
  ),
  { maxLength: 200 },
);

describe('SpTable', () => {
  it('answers get, has, size and iteration as a Map does, iterating in id order', () => {
    fc.assert(
      fc.property(ops, (list) => {
        const t = new SpTable();
        const r = new Map<number, ShadowPage>();
        for (const o of list as Op[]) {
          if (o.op === 'set') {
            const sp = { id: o.id } as ShadowPage;
            expect(t.set(o.id, sp)).toBe(t);
            r.set(o.id, sp);
          } else if (o.op === 'delete') expect(t.delete(o.id)).toBe(r.delete(o.id));
          else if (o.op === 'clear') {
            t.clear();
            r.clear();
          }
          const k = o.op === 'clear' ? 0 : o.id;
          expect(t.get(k)).toBe(r.get(k));
          expect(t.has(k)).toBe(r.has(k));
        }
        expect(t.size).toBe(r.size);
        expect(t.sim_storage()).toBeLessThanOrEqual(3 * t.size + 64);
        const byId = [...r].sort((a, b) => a[0] - b[0]);
        expect([...t]).toEqual(byId);
        expect([...t.entries()]).toEqual(byId);
        expect([...t.keys()]).toEqual(byId.map(([k]) => k));
        expect([...t.values()]).toEqual(byId.map(([, v]) => v));
        const seen: Array<[number, ShadowPage]> = [];
        t.forEach((sp, k) => seen.push([k, sp]));
        expect(seen).toEqual(byId);
      }),
      { seed: 17, numRuns: 300 },
    );
  });

  // Ids are handed out in increasing order and never reused: a run that keeps
  // making and freeing pages (write flooding, recycling under a small
  // n_max_mmu_pages) ends with high ids and few pages. Its table, and every
  // copy of it (each snapshot has one), must not grow with the ids.
  it('takes room for its live pages, not for the highest id, as pages are made and freed', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 8 }), (frees, keep) => {
        const t = new SpTable();
        const r = new Map<number, ShadowPage>();
        let next = 0;
        const add = () => {
          const sp = { id: next } as ShadowPage;
          t.set(next, sp);
          r.set(next++, sp);
        };
        // Long-lived pages first (roots), then bursts of new pages, most of which are freed again.
        for (let k = 0; k < keep; k++) add();
        for (const f of frees) {
          for (let k = 0; k < 200; k++) add();
          const live = [...r.keys()].filter((x) => x >= keep);
          for (const x of live.slice(0, live.length - f)) {
            expect(t.delete(x)).toBe(true);
            r.delete(x);
          }
          expect(t.sim_storage()).toBeLessThanOrEqual(3 * t.size + 64);
          const copy = t.map((sp) => sp);
          expect(copy.sim_storage()).toBe(t.sim_storage());
          expect([...copy]).toEqual([...r].sort((a, b) => a[0] - b[0]));
          for (const x of [0, keep - 1, next - 1, next - 300]) expect(t.get(x)).toBe(r.get(x));
        }
      }),
      { seed: 17, numRuns: 100 },
    );
  });

  it('map copies every page through its function, keeping the ids', () => {
    const t = new SpTable();
    for (const x of [0, 1, 5000, 5001, 90_000]) t.set(x, { id: x } as ShadowPage);
    t.delete(5000);
    const copy = t.map((sp, x) => ({ ...sp, gfn: x * 2 }) as ShadowPage);
    expect([...copy].map(([x, sp]) => [x, sp.id, sp.gfn])).toEqual([
      [0, 0, 0],
      [1, 1, 2],
      [5001, 5001, 10002],
      [90_000, 90_000, 180_000],
    ]);
    expect(copy.get(5000)).toBeUndefined();
    expect(t.get(1)!.gfn).toBeUndefined();
  });
});
