import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ShadowPage, SpTable } from './machine.ts';

type Op = { op: 'set'; id: number } | { op: 'delete'; id: number } | { op: 'get'; id: number } | { op: 'clear' };

const id = fc.oneof(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 5000 }));
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
});
