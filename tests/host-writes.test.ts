/**
 * Untracked writes (issue 6): page-directory entries rewritten behind KVM's
 * back (a `host-write` step: no exit, no kvm_mmu_pte_write) leave shadow links
 * that no longer match the guest. Translations may then be stale under every
 * rule set, but the shadow MMU's own bookkeeping must stay sound in 5.15.y as
 * merged: kvm_mmu_get_child_sp() checks the gfn and role of a child it finds
 * linked, so no rmap, parent pointer or child role goes wrong and the model
 * records no kernel bug. Without the check (5.15, the seed) or with the gfn
 * check alone (merged without 7/8), the rmaps may be corrupted, and only by
 * the documented route: a leaf installed in a reused direct child.
 *
 * The generator is built for this: a page directory whose first entries point,
 * as 2 MiB/4 MiB pages or as page tables, at a few frames that serve as both
 * (so a table at the first frame of a former large page has the same gfn),
 * accesses spread over those regions, and host writes that retarget entries
 * or toggle PS.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { auditMachine, type RuleSetName, type Scenario, type Step, Timeline, type U64 } from '../src/core/index.ts';

/** Audit rules about KVM's own bookkeeping (not about what the sptes grant the guest). */
const BOOKKEEPING = new Set(['rmap', 'parent-ptes', 'child-role', 'count', 'hash', 'active-list', 'root-count', 'write-track', 'unsync', 'quadrant', 'invalid']);

type Mode = 'x86-32' | 'pae' | 'x86-64';
const PDES = 4;
/** Large-page size of the mode, and the frames that are both large pages and page tables. */
const geometry = (mode: Mode) => {
  const large = mode === 'x86-32' ? 0x40_0000 : 0x20_0000;
  return { large, pool: [1, 2, 3].map((k) => k * large), entrySize: (mode === 'x86-32' ? 4 : 8) as 4 | 8 };
};
const DATA = 0x10_0000;

const stepArb = fc.oneof(
  { weight: 6, arbitrary: fc.record({ k: fc.constant('access' as const), pde: fc.nat(PDES - 1), pte: fc.nat(15), write: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('pde' as const), pde: fc.nat(PDES - 1), target: fc.nat(2), large: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('cr3' as const) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('zap' as const) }) },
);

const planArb = fc.record({
  hugePages: fc.boolean(),
  init: fc.array(fc.record({ target: fc.nat(2), large: fc.boolean() }), { minLength: PDES, maxLength: PDES }),
  steps: fc.array(stepArb, { minLength: 4, maxLength: 24 }),
});

const u64 = (lo: number, hi = 0): U64 => ({ lo: lo >>> 0, hi });

type Plan = typeof planArb extends fc.Arbitrary<infer T> ? T : never;

function build(mode: Mode, p: Plan): Scenario {
  const { large, pool, entrySize } = geometry(mode);
  const flags = 0x27; // P, RW, US, A
  const pde = (target: number, isLarge: boolean): U64 => u64(pool[target]! | flags | (isLarge ? 0xc0 : 0)); // PS + D for a large page
  const memory: Array<{ gpa: number; entrySize: 4 | 8; entries: Array<readonly [number, U64]> }> = [];
  const pdGpa = mode === 'x86-32' ? 0x1000 : 0x3000;
  if (mode === 'x86-64') {
    memory.push({ gpa: 0x1000, entrySize, entries: [[0, u64(0x2000 | 7)]] });
    memory.push({ gpa: 0x2000, entrySize, entries: [[0, u64(0x3000 | 7)]] });
  } else if (mode === 'pae') memory.push({ gpa: 0x1000, entrySize, entries: [[0, u64(0x3000 | 1)]] }); // PDPTE 0: only P (the rest is reserved)
  memory.push({ gpa: pdGpa, entrySize, entries: p.init.map((e, i) => [i, pde(e.target, e.large)] as const) });
  // Each pool frame as a page table: 16 PTEs mapping data frames (distinct per table).
  pool.forEach((gpa, t) => memory.push({ gpa, entrySize, entries: Array.from({ length: 16 }, (_, i) => [i, u64(DATA + (t * 16 + i) * 0x1000 + 0x67)] as const) }));
  const steps: Step[] = p.steps.map((s) => {
    if (s.k === 'access') {
      const gva = s.pde * large + s.pte * 0x1000;
      return s.write ? { op: 'write', gva, user: false, width: 4, value: u64(0x5a) } : { op: 'read', gva, user: false };
    }
    if (s.k === 'pde') return { op: 'host-write', gpa: pdGpa + s.pde * entrySize, width: entrySize, value: pde(s.target, s.large) };
    if (s.k === 'zap') return { op: 'zap-all' };
    return { op: 'cr3', value: 0x1000 };
  });
  return {
    title: 'host writes',
    guest: { mode, cr3: 0x1000, cr0: { wp: true }, cr4: { pse: true, smep: false, smap: false }, efer: { nx: false }, maxPhyAddr: 36 },
    host: { hugePages: p.hugePages, memslotFrames: 0x1000 },
    memory,
    steps,
  };
}

const bookkeepingIssues = (tl: Timeline, n: number) => auditMachine(tl.stateAt(n)).filter((i) => BOOKKEEPING.has(i.rule));

describe("host writes behind KVM's back", () => {
  for (const mode of ['x86-32', 'pae', 'x86-64'] as const) {
    it(`${mode}: 5.15.y as merged keeps its rmaps, parents and roles sound; without the check only the documented corruption`, () => {
      const corrupted: Partial<Record<RuleSetName, number>> = {};
      const refused = { 'unexpected-gfn': 0, 'unexpected-role': 0 };
      fc.assert(
        fc.property(planArb, (plan) => {
          const scenario = build(mode, plan);
          const merged = new Timeline(scenario, 'merged');
          for (let n = 0; n <= merged.length; n++) expect(bookkeepingIssues(merged, n), `merged, after ${n} steps`).toEqual([]);
          expect(merged.stateAt(merged.length).bugs).toEqual([]);
          for (const r of merged.results) for (const e of r.events) if (e.kind === 'kvm_mmu_get_child_sp' && e.result !== 'reuse') refused[e.result]++;
          for (const rules of ['before', 'seed', 'merged-no-7'] as const) {
            const tl = new Timeline(scenario, rules);
            const bugs = tl.stateAt(tl.length).bugs;
            if (bugs.length) {
              expect(bugs[0]!.kind).toBe('stale-rmap');
              corrupted[rules] = (corrupted[rules] ?? 0) + 1;
            } else for (let n = 0; n <= tl.length; n++) expect(bookkeepingIssues(tl, n), `${rules}, after ${n} steps`).toEqual([]);
          }
        }),
        { numRuns: 80, seed: 46113 },
      );
      console.info(`${mode}: the merged check refused`, refused, '; runs whose rmaps were corrupted without it:', corrupted);
      // The property is only worth something if the generated writes do leave
      // stale links of both kinds, and the unchecked kernels do trip on them.
      expect(refused['unexpected-gfn']).toBeGreaterThan(0);
      expect(refused['unexpected-role']).toBeGreaterThan(0);
      expect(corrupted['merged-no-7'] ?? 0).toBeGreaterThan(0);
      expect(corrupted.before ?? 0).toBeGreaterThanOrEqual(corrupted['merged-no-7'] ?? 0);
    });
  }
});
