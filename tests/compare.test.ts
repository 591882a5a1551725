/**
 * The patch lens (issue 6, core part): the rule sets in lockstep. The role
 * differences are exactly the documented ones (notes section 10.2) and the
 * guest sees the same thing under every rule set.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareRuleSets, type CompareReport, RULE_SETS } from '../src/core/index.ts';
import { LIBRARY } from '../src/scenarios/library/index.ts';
import { buildRaw, rawPlanArb } from './scenario-gen.ts';
import { parse } from './run.ts';

const lib = (id: string) => parse(LIBRARY.find((e) => e.id === id)!.json);

/** Every documented difference: direct pages under a 4-byte parent, and paging off. */
function assertOnlyDocumentedDifferences(r: CompareReport, pagingOffAtStart: boolean) {
  for (const d of r.roleDifferences) {
    const fields = Object.keys(d.fields);
    expect(fields.every((f) => f === 'gpteIs8Bytes' || f === 'quadrant' || f === 'invalid')).toBe(true);
    // gpte_is_8_bytes and quadrant differ only for direct pages (split large pages, or paging off).
    if (fields.includes('gpteIs8Bytes') || fields.includes('quadrant')) expect(d.request.direct || pagingOffAtStart).toBe(true);
  }
  expect(r.behaviourDifferences.filter((b) => b.kind === 'guest')).toEqual([]);
}

describe('compareRuleSets', () => {
  it('finds no difference where the patch really is "no functional change" (32-bit quadrants)', () => {
    const r = compareRuleSets(lib('quadrants-32bit'), RULE_SETS);
    expect(r.roleDifferences).toEqual([]);
    expect(r.behaviourDifferences).toEqual([]);
  });
  it('flags gpte_is_8_bytes of the direct pages that split a 4 MiB PSE page, with the rule behind each value', () => {
    const r = compareRuleSets(lib('pse-direct-pages'), RULE_SETS);
    expect(r.roleDifferences.map((d) => [d.step, d.request.gfn, d.fields])).toEqual([
      [0, '0x12400', { gpteIs8Bytes: { before: true, seed: false, merged: false } }],
      [1, '0x12600', { gpteIs8Bytes: { before: true, seed: false, merged: false } }],
    ]);
    expect(r.roleDifferences[0]!.rules.gpteIs8Bytes!.before).toContain('forces gpte_is_8_bytes = 1 for direct pages');
    expect(r.roleDifferences[0]!.rules.gpteIs8Bytes!.seed).toContain('kvm_mmu_child_role');
    expect(r.summary.guestVisible).toBe(0);
  });
  it('flags quadrant and gpte_is_8_bytes of the four direct roots with paging off', () => {
    const r = compareRuleSets(lib('paging-off'), RULE_SETS);
    const roots = r.roleDifferences.filter((d) => d.step === -1);
    expect(roots.map((d) => d.request.where)).toEqual(['root 0', 'root 1', 'root 2', 'root 3']);
    expect(roots.map((d) => d.fields.quadrant?.seed ?? 0)).toEqual([0, 1, 2, 3]);
    expect(roots.every((d) => d.fields.gpteIs8Bytes!.before === true && d.fields.gpteIs8Bytes!.seed === false && d.fields.gpteIs8Bytes!.merged === true)).toBe(true);
    expect(r.summary.fieldsDiffering).toEqual(['gpteIs8Bytes', 'quadrant']);
  });
  it('built-ins: only documented differences, nothing the guest can see', () => {
    for (const e of LIBRARY) assertOnlyDocumentedDifferences(compareRuleSets(parse(e.json), RULE_SETS), (e.json as { guest: { mode: string } }).guest.mode === 'off');
  });
  it('random scenarios in every mode: only documented differences, nothing the guest can see', () => {
    for (const mode of ['x86-32', 'pae', 'x86-64', 'off'] as const) {
      fc.assert(
        fc.property(rawPlanArb(mode, 16), (plan) => {
          const built = buildRaw(plan);
          assertOnlyDocumentedDifferences(compareRuleSets(built.scenario, RULE_SETS), mode === 'off' || built.scenario.steps.some((s) => s.op === 'cr0'));
        }),
        { numRuns: 8, seed: 6 },
      );
    }
  });
});
