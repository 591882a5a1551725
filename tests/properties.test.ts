/**
 * Property tests of the MMU core against an independent reference walk
 * (tests/reference-walk.ts), on random scenarios in every guest mode.
 *
 * For every generated scenario and every rule set ('before', 'seed', 'merged'):
 *  (a) auditMachine() is clean after the initial entry and after every step;
 *  (b) soundness: every present leaf spte reachable from the current roots
 *      grants no more than the guest's own tables allow at that moment (W, U,
 *      X) and maps the same gpa — except leaves of unsync pages (stale until
 *      the guest flushes), stale PAE roots (5.15's load_pdptrs keeps
 *      pae_root[] on a same-value CR3 write) and the CR0.WP=0 trick;
 *  (c) every access's outcome agrees with the reference: #PF (with the same
 *      error code) exactly when the reference faults, otherwise the same gpa —
 *      unless the shadow path for the gva goes through an unsync page or a
 *      stale PAE root at the start of the step;
 *  (d) determinism: two Timelines of the same scenario give byte-identical
 *      results and final machineJson, equal to a step-by-step applyStep run;
 *  (e) the guest cannot tell the rule sets apart: outcome, vector, error
 *      code, gpa and value of every step are the same under all three, with
 *      'hit' and 'shadow-fault' counted as one outcome (see guestView in
 *      tests/shadow-check.ts for the case where they legitimately differ).
 *
 * One open core bug (mmio-permission) is tolerated here through KNOWN_BUGS in
 * tests/shadow-check.ts and pinned, failing, in tests/known-bugs.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildPlan, mappingsPlanArb, type PagingMode, type Plan, rawPlanArb, unsyncPlanArb } from './scenario-gen.ts';
import { checkScenario, KNOWN_BUGS } from './shadow-check.ts';

/** Runs per property; SP_NUM_RUNS=500 (and SP_SEED=...) for a longer hunt. */
const NUM_RUNS = Number(process.env.SP_NUM_RUNS ?? 20);
const SEED = Number(process.env.SP_SEED ?? 20251015);

const stats = { scenarios: 0, steps: 0, checked: 0, exempt: 0, known: 0 };

function property(arb: fc.Arbitrary<Plan>): fc.IPropertyWithHooks<[Plan]> {
  return fc.property(arb, (plan) => {
    const b = buildPlan(plan);
    const runs = checkScenario(b.scenario, b.doc, KNOWN_BUGS);
    stats.scenarios++;
    stats.steps += b.scenario.steps.length;
    for (const r of runs.values()) {
      stats.checked += r.checked;
      stats.exempt += r.exempt;
      stats.known += r.knownHits.length;
    }
  });
}

const MODES: readonly PagingMode[] = ['x86-32', 'pae', 'x86-64'];

describe('random scenarios: audit, soundness, outcomes vs reference walk, determinism, rule-set equivalence', () => {
  for (const mode of MODES) {
    it(`${mode}, random page tables (memory form)`, () => {
      fc.assert(property(rawPlanArb(mode)), { seed: SEED, numRuns: NUM_RUNS });
    });
    it(`${mode}, mappings form with page-table windows`, () => {
      fc.assert(property(mappingsPlanArb(mode)), { seed: SEED + 1, numRuns: NUM_RUNS });
    });
  }
  it('unsync and resync: PTE rewrites through windows onto level-1 tables, with INVLPG and CR3 reloads', () => {
    for (const [k, mode] of MODES.entries()) fc.assert(property(unsyncPlanArb(mode)), { seed: SEED + 3 + k, numRuns: Math.ceil(NUM_RUNS / 2) });
  });
  it('paging off (direct roots), with CR0.PG toggled on into x86-32 tables now and then', () => {
    fc.assert(property(rawPlanArb('off')), { seed: SEED + 2, numRuns: NUM_RUNS });
  });
  it('checked a meaningful number of accesses', () => {
    // Guards against a generator change that silently stops exercising the core
    // (vacuous when the properties above were filtered out with -t).
    if (stats.scenarios === 0) return;
    expect(stats.checked).toBeGreaterThan(stats.scenarios * 5);
    expect(stats.exempt).toBeLessThan(stats.checked);
  });
});

/**
 * Checkpoints (as in tldraw's fuzz tests): runs that once failed, replayed
 * exactly by seed and path. The path indexes fast-check's run for that seed,
 * so a change to the generators in scenario-gen.ts moves them; re-pin then.
 */
const CHECKPOINTS: ReadonlyArray<{ readonly name: string; readonly arb: () => fc.Arbitrary<Plan>; readonly seed: number; readonly path: string }> = [
  // large-spte-gpa (fixed in 2f324b8): hits through 2 MiB direct sptes at a non-zero 4 KiB page.
  { name: 'large-spte-gpa, paging off', arb: () => rawPlanArb('off'), seed: 1, path: '0' },
  // large-spte-gpa: a guest 2 MiB page backed by a host 2 MiB page.
  { name: 'large-spte-gpa, pae mappings', arb: () => mappingsPlanArb('pae'), seed: 1, path: '15' },
  // mmio-permission (open, tolerated via KNOWN_BUGS): a user access to a supervisor MMIO page is emulated.
  { name: 'mmio-permission, x86-64 tables', arb: () => rawPlanArb('x86-64'), seed: 2, path: '3' },
  // The CR0.WP=0 trick on a write-protected page table leaves spte U=0, W=0: SMAP no longer applies (5.15 behaviour).
  { name: 'WP=0 trick on a shadowed table vs SMAP, x86-32 tables', arb: () => rawPlanArb('x86-32', 40), seed: 1, path: '114' },
  // A 4 MiB PDE with bit 20 set: KVM 5.15 reserves bits 17-21 (PSE-36 as on a MAXPHYADDR-36 CPU).
  { name: 'PSE-36 reserved bits, x86-32 mappings', arb: () => mappingsPlanArb('x86-32', 40), seed: 1, path: '32' },
  // 'before' hits where 'seed' exits: a paging-off direct page reused for a PAE guest's 2 MiB page (see guestView).
  { name: 'rule sets share different direct pages, pae tables, 80 steps', arb: () => rawPlanArb('pae', 80), seed: 30, path: '5' },
];

describe('checkpoints', () => {
  for (const c of CHECKPOINTS) {
    it(c.name, () => {
      fc.assert(property(c.arb()), { seed: c.seed, path: c.path, numRuns: 1 });
    });
  }
});
