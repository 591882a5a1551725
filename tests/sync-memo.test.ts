/**
 * FNAME(sync_page)'s memo (src/core/mmu/sync.ts) is a cache, not a rule: a
 * 16-spte chunk whose sptes, gptes and sp->gfns are the very chunk objects of
 * its last clean sync is counted, not re-made. These tests run the same
 * scenarios with the memo on and off and require the same events, outcomes
 * and final machine, and check that a chunk the memo remembers cannot change
 * in place (CowArray.frozenChunkAt).
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { generateScenario100k } from '../bench/scenario100k.ts';
import { applyStep, createMachine, machineJson, RULE_SETS, type RuleSetName, type Scenario } from '../src/core/index.ts';
import { CowArray } from '../src/core/cow-array.ts';
import { sim_setSyncMemo } from '../src/core/mmu/sync.ts';
import { buildPlan, mappingsPlanArb, type Plan, rawPlanArb, unsyncPlanArb } from './scenario-gen.ts';

/** Every step's result (events included) and the final machine, as one JSON string. */
function run(s: Scenario, rules: RuleSetName, memo: boolean): string {
  sim_setSyncMemo(memo);
  try {
    const { machine } = createMachine(s, rules);
    const steps = s.steps.map((step, i) => applyStep(machine, i, step));
    return JSON.stringify({ steps, machine: machineJson(machine) });
  } finally {
    sim_setSyncMemo(true);
  }
}

afterEach(() => sim_setSyncMemo(true));

describe('FNAME(sync_page) memo', () => {
  // The bench's scenario: 4 processes whose page tables the guest edits
  // through unsync mappings between CR3 switches, so pages are synced again
  // and again, some with a gpte changed in place since their last sync.
  const bench = generateScenario100k(6000).scenario;
  for (const rules of RULE_SETS) {
    it(`changes nothing on 6,000 steps of the 100k bench scenario (${rules})`, () => {
      const on = run(bench, rules, true);
      expect(on.length).toBeGreaterThan(1000);
      expect(on === run(bench, rules, false)).toBe(true);
    });
  }

  const arbs: ReadonlyArray<[string, () => fc.Arbitrary<Plan>]> = [
    ['x86-32 unsync and resync', () => unsyncPlanArb('x86-32', 40)],
    ['pae unsync and resync', () => unsyncPlanArb('pae', 40)],
    ['x86-64 unsync and resync', () => unsyncPlanArb('x86-64', 40)],
    ['x86-32 tables', () => rawPlanArb('x86-32', 40)],
    ['pae mappings', () => mappingsPlanArb('pae', 40)],
  ];
  for (const [name, arb] of arbs) {
    it(`changes nothing on random scenarios: ${name}`, () => {
      fc.assert(
        fc.property(arb(), fc.constantFrom(...RULE_SETS), (plan, rules) => {
          const s = buildPlan(plan).scenario;
          expect(run(s, rules, true)).toBe(run(s, rules, false));
        }),
        { seed: Number(process.env.SP_SEED ?? 4242), numRuns: Number(process.env.SP_MEMO_RUNS ?? 40) },
      );
    });
  }
});

describe('CowArray.frozenChunkAt', () => {
  it('returns the chunk, which the array then never writes in place', () => {
    const a = CowArray.of(1024);
    a.set(40, 7);
    const frozen = a.frozenChunkAt(1)!;
    expect(frozen[8]).toBe(7);
    a.set(41, 9);
    // The write copied the chunk: the frozen one keeps its values, the array has the new one.
    expect(frozen[9]).toBe(0);
    expect(a.get(41)).toBe(9);
    expect(a.get(40)).toBe(7);
    expect(a.chunkAt(1)).not.toBe(frozen);
    // Other chunks stay the array's own.
    a.set(0, 1);
    const c0 = a.chunkAt(0);
    a.set(1, 2);
    expect(a.chunkAt(0)).toBe(c0);
  });

  it('gives null for a chunk never written, and a later write makes a new one', () => {
    const a = CowArray.of(512, true);
    expect(a.frozenChunkAt(3)).toBeNull();
    a.set(100, 2 ** 40);
    expect(a.chunkAt(3)![4]).toBe(2 ** 40);
  });
});
