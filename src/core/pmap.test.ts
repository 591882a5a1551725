import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PMap } from './pmap.ts';

type Op = { op: 'set'; k: number; v: number } | { op: 'del'; k: number } | { op: 'push'; k: number; v: number } | { op: 'update'; k: number; v: number } | { op: 'clone' } | { op: 'switch' };

const key = fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 2 ** 45 }), fc.constantFrom(0, 2 ** 40, 3 * 2 ** 40 + 7, 2 ** 32, 2 ** 32 + 1));
const ops = fc.array(
  fc.oneof(
    fc.record({ op: fc.constant('set' as const), k: key, v: fc.integer() }),
    fc.record({ op: fc.constant('del' as const), k: key }),
    fc.record({ op: fc.constant('push' as const), k: key, v: fc.integer() }),
    fc.record({ op: fc.constant('update' as const), k: key, v: fc.integer() }),
    fc.constant({ op: 'clone' as const }),
    fc.constant({ op: 'switch' as const }),
  ),
  { maxLength: 300 },
);

const canon = (m: Map<number, number[]>) => [...m].map(([k, v]) => [k, [...v]] as const).sort((a, b) => a[0] - b[0]);

describe('PMap', () => {
  it('behaves as a Map of arrays, and every copy keeps its own contents whatever the others do', () => {
    fc.assert(
      fc.property(ops, (list) => {
        // Each live pair: the persistent map and a reference Map deep-copied at the same moments.
        const pairs: Array<{ p: PMap<number[]>; r: Map<number, number[]> }> = [{ p: new PMap<number[]>((a) => a.slice()), r: new Map() }];
        let cur = 0;
        for (const o of list as Op[]) {
          const { p, r } = pairs[cur]!;
          if (o.op === 'set') {
            p.set(o.k, [o.v]);
            r.set(o.k, [o.v]);
          } else if (o.op === 'del') {
            expect(p.delete(o.k)).toBe(r.delete(o.k));
          } else if (o.op === 'push') {
            const a = p.getMut(o.k);
            const b = r.get(o.k);
            expect(a === undefined).toBe(b === undefined);
            a?.push(o.v);
            b?.push(o.v);
          } else if (o.op === 'update') {
            // In place (update hands over the map's own value) or a new value, by v's parity.
            p.update(o.k, (a, v) => (a ? (v % 2 === 0 ? (a.push(v), a) : [...a, v]) : [v]), o.v);
            const b = r.get(o.k);
            if (b) b.push(o.v);
            else r.set(o.k, [o.v]);
          } else if (o.op === 'clone') {
            pairs.push({ p: p.clone(), r: new Map([...r].map(([k, v]) => [k, v.slice()])) });
          } else cur = (cur + 1) % pairs.length;
          for (const q of pairs) {
            expect(q.p.size).toBe(q.r.size);
            expect(canon(new Map(q.p))).toEqual(canon(q.r));
          }
        }
        for (const q of pairs) for (const [k, v] of q.r) expect(q.p.get(k)).toEqual(v);
      }),
      { numRuns: 300 },
    );
  });

  it('a copy shares the nodes nobody wrote: a write after clone copies only the nodes on its path', () => {
    const a = new PMap<number>();
    for (let k = 0; k < 10_000; k++) a.set(k, k);
    const b = a.clone();
    b.set(5, -5);
    expect(a.get(5)).toBe(5);
    expect(b.get(5)).toBe(-5);
    // Internals on purpose: the root is copied, and all but one middle node still shared.
    const ra = (a as unknown as { root: unknown[] }).root;
    const rb = (b as unknown as { root: unknown[] }).root;
    expect(ra).not.toBe(rb);
    expect(ra.filter((m, i) => m !== rb[i]).length).toBe(1);
  });
});

describe('PMap.diff / PMap.applied', () => {
  it('a later map is its earlier copy with the diff applied, and the diff names only what changed', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 5000 }), fc.integer()), { maxLength: 200 }), fc.array(fc.tuple(fc.integer({ min: 0, max: 5000 }), fc.option(fc.integer())), { maxLength: 60 }), (before, changes) => {
        const a = new PMap<number>();
        for (const [k, v] of before) a.set(k, v);
        const earlier = a.clone();
        const changed = new Set<number>();
        for (const [k, v] of changes) {
          if (v === null) {
            if (a.delete(k)) changed.add(k);
          } else {
            a.set(k, v);
            changed.add(k);
          }
        }
        const d = a.diff(earlier);
        for (const [k] of d.set) expect(changed.has(k)).toBe(true);
        for (const k of d.removed) expect(changed.has(k)).toBe(true);
        const rebuilt = PMap.applied(earlier, d);
        expect(rebuilt.entries().sort((x, y) => x[0] - y[0])).toEqual(a.entries().sort((x, y) => x[0] - y[0]));
        expect(PMap.applied(null, a.diff(null)).entries().sort((x, y) => x[0] - y[0])).toEqual(a.entries().sort((x, y) => x[0] - y[0]));
      }),
      { numRuns: 200 },
    );
  });
});
