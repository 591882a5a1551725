/**
 * The patch lens (issue 6, core part): the rule sets in lockstep. The role
 * differences are exactly the documented ones (notes section 10.2) and the
 * guest sees the same thing under every rule set.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { COMPARED_RULE_SETS, compareRuleSets, type CompareReport, RULE_SETS, Timeline } from '../src/core/index.ts';
import { LIBRARY } from '../src/scenarios/library/index.ts';
import { buildMappings, buildRaw, mappingsPlanArb, rawPlanArb } from './scenario-gen.ts';
import { parse } from './run.ts';

const lib = (id: string) => parse(LIBRARY.find((e) => e.id === id)!.json);

/** Every documented difference: direct pages under a 4-byte parent, and paging off. */
function assertOnlyDocumentedDifferences(r: CompareReport, pagingOffAtStart: boolean) {
  // linux-6.1 sets efer_nx in every role (kvm_init_shadow_mmu); the others follow EFER.NX.
  const eferNx61 = (d: CompareReport['roleDifferences'][number]) => r.rules.includes('linux-6.1') && d.fields.eferNx?.['linux-6.1'] === true;
  for (const d of r.roleDifferences) {
    const fields = Object.keys(d.fields);
    expect(fields.every((f) => f === 'gpteIs8Bytes' || f === 'quadrant' || f === 'invalid' || (f === 'eferNx' && eferNx61(d))), JSON.stringify(d.fields)).toBe(true);
    // gpte_is_8_bytes and quadrant differ only for direct pages (split large pages, or paging off).
    if (fields.includes('gpteIs8Bytes') || fields.includes('quadrant')) expect(d.request.direct || pagingOffAtStart).toBe(true);
  }
  expect(r.behaviourDifferences.filter((b) => b.kind === 'guest' || b.kind === 'kernel')).toEqual([]);
  // The series' child check never fires unless KVM's shadow is out of step with the guest.
  for (const q of r.requests) expect(q.differing.every((f) => f === 'gpteIs8Bytes' || f === 'quadrant' || f === 'invalid' || (f === 'eferNx' && r.rules.includes('linux-6.1')))).toBe(true);
  // Whatever linux-6.1 does differently is named: a 6.1 change fired at or before it.
  if (r.rules.includes('linux-6.1')) for (const b of r.behaviourDifferences) if (b.values['linux-6.1'] !== b.values.merged) expect(b.linux61?.length, JSON.stringify(b)).toBeGreaterThan(0);
}

describe('compareRuleSets', () => {
  it('finds no difference where the patch really is "no functional change" (32-bit quadrants)', () => {
    const r = compareRuleSets(lib('quadrants-32bit'), COMPARED_RULE_SETS);
    expect(r.roleDifferences).toEqual([]);
    expect(r.behaviourDifferences).toEqual([]);
  });
  it('flags gpte_is_8_bytes of the direct pages that split a 4 MiB PSE page, with the rule behind each value', () => {
    const r = compareRuleSets(lib('pse-direct-pages'), COMPARED_RULE_SETS);
    expect(r.roleDifferences.map((d) => [d.step, d.request.gfn, d.fields])).toEqual([
      [0, '0x12400', { gpteIs8Bytes: { before: true, seed: false, merged: false } }],
      [1, '0x12600', { gpteIs8Bytes: { before: true, seed: false, merged: false } }],
    ]);
    expect(r.roleDifferences[0]!.rules.gpteIs8Bytes!.before).toContain('forces gpte_is_8_bytes = 1 for direct pages');
    expect(r.roleDifferences[0]!.rules.gpteIs8Bytes!.seed).toContain('kvm_mmu_child_role');
    expect(r.summary.guestVisible).toBe(0);
  });
  it('flags quadrant and gpte_is_8_bytes of the four direct roots with paging off', () => {
    const r = compareRuleSets(lib('paging-off'), COMPARED_RULE_SETS);
    const roots = r.roleDifferences.filter((d) => d.step === -1);
    expect(roots.map((d) => d.request.where)).toEqual(['root 0', 'root 1', 'root 2', 'root 3']);
    expect(roots.map((d) => d.fields.quadrant?.seed ?? 0)).toEqual([0, 1, 2, 3]);
    expect(roots.every((d) => d.fields.gpteIs8Bytes!.before === true && d.fields.gpteIs8Bytes!.seed === false && d.fields.gpteIs8Bytes!.merged === true)).toBe(true);
    expect(r.summary.fieldsDiffering).toEqual(['gpteIs8Bytes', 'quadrant']);
  });
  it('built-ins: only documented differences, nothing the guest can see (except the stale-child demonstration)', () => {
    for (const e of LIBRARY.filter((x) => x.id !== 'stale-child-uaf')) assertOnlyDocumentedDifferences(compareRuleSets(parse(e.json), RULE_SETS), (e.json as { guest: { mode: string } }).guest.mode === 'off');
  });
  it('lists every request with its role and formulas under each rule set', () => {
    const r = compareRuleSets(lib('quadrants-32bit'), COMPARED_RULE_SETS);
    expect(r.requests.length).toBeGreaterThan(4);
    const pt = r.requests.find((q) => q.request.level === 1 && q.roles.seed!.role.quadrant === 1)!;
    expect(pt.differing).toEqual([]);
    expect(pt.roles.before!.quadrantFormula).toMatch(/^\(gaddr 0x[0-9a-f]+ >> 21\) & 1 = 1$/);
    expect(pt.roles.seed!.quadrantFormula).toMatch(/^parent index \d+ % 2 = 1$/);
    expect(pt.roles.merged!.notation).toMatch(/^gfn [0-9a-f]+ l1 4-byte q1 [-w][-u][-x] !?nxe$/);
  });
  it('stale-child-uaf: the child check of the merged series, with and without patch 7/8', () => {
    const r = compareRuleSets(lib('stale-child-uaf'), ['before', 'seed', 'merged-no-7', 'merged']);
    expect(r.roleDifferences).toEqual([]);
    // Only Merged requests a new (indirect) child for gfn 0x200 at step 3 ...
    expect(r.behaviourDifferences.filter((b) => b.kind === 'requests').map((b) => [b.step, b.values])).toEqual([
      [3, { before: 'not requested', seed: 'not requested', 'merged-no-7': 'not requested', merged: 'requested' }],
    ]);
    // ... so only Merged stops the guest reading its old 2 MiB page through entries it removed.
    const outcome = r.behaviourDifferences.find((b) => b.kind === 'guest' && b.field === 'outcome')!;
    expect([outcome.step, outcome.values]).toEqual([4, { before: 'hit', seed: 'hit', 'merged-no-7': 'hit', merged: 'guest-fault' }]);
    expect(r.behaviourDifferences.filter((b) => b.kind === 'kernel').map((b) => [b.step, b.values.before, b.values['merged-no-7'], b.values.merged])).toEqual([
      [3, 'stale-rmap', 'stale-rmap', 'none'],
      [5, 'pte_list_remove', 'pte_list_remove', 'none'],
      [6, 'use-after-free', 'use-after-free', 'none'],
    ]);
  });
  it('mapped random scenarios: the child check reuses every linked child, so merged and merged-no-7 run identically', () => {
    let reused = 0;
    for (const mode of ['x86-32', 'pae', 'x86-64'] as const) {
      fc.assert(
        fc.property(mappingsPlanArb(mode, 20), (plan) => {
          const s = buildMappings(plan).scenario;
          const merged = new Timeline(s, 'merged');
          const no7 = new Timeline(s, 'merged-no-7');
          const checks = merged.results.flatMap((r) => r.events).filter((e) => e.kind === 'kvm_mmu_get_child_sp');
          expect(checks.filter((e) => e.kind === 'kvm_mmu_get_child_sp' && e.result !== 'reuse')).toEqual([]);
          reused += checks.length;
          // Same events apart from the rule-set name (sim_compute_role) and whether the role was checked (kvm_mmu_get_child_sp).
          const norm = (tl: Timeline) => JSON.stringify(tl.results.map((r) => r.events), (k, v: unknown) => (k === 'rules' || k === 'roleChecked' ? undefined : v));
          expect(norm(no7)).toBe(norm(merged));
        }),
        { numRuns: 25, seed: 77 },
      );
    }
    expect(reused).toBeGreaterThan(0);
  });
  it('random scenarios in every mode: only documented differences, nothing the guest can see', () => {
    for (const mode of ['x86-32', 'pae', 'x86-64', 'off'] as const) {
      fc.assert(
        fc.property(rawPlanArb(mode, 16), (plan) => {
          const built = buildRaw(plan);
          assertOnlyDocumentedDifferences(compareRuleSets(built.scenario, RULE_SETS), mode === 'off' || built.scenario.steps.some((s) => s.op === 'cr0'));
          // Without writes behind KVM's back, the merged series' child check never refuses a linked child.
          const merged = new Timeline(built.scenario, 'merged');
          const refused = merged.results.flatMap((r) => r.events).filter((e) => e.kind === 'kvm_mmu_get_child_sp' && e.result !== 'reuse');
          expect(refused).toEqual([]);
        }),
        { numRuns: 8, seed: 6 },
      );
    }
  });
});

describe('compareRuleSets progress', () => {
  it('is told the steps run every 1,024 steps, and changes nothing in the report', () => {
    const base = lib('quadrants-32bit');
    const steps = Array.from({ length: 2_500 }, (_, i) => base.steps[i % base.steps.length]!);
    const s = { ...base, steps };
    const told: number[] = [];
    const r = compareRuleSets(s, COMPARED_RULE_SETS, (n) => told.push(n));
    expect(told).toEqual([1024, 2048]);
    expect(r).toEqual(compareRuleSets(s, COMPARED_RULE_SETS));
  });
});
