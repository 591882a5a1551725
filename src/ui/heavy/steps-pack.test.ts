/**
 * The timeline worker's packed steps (steps-pack.ts): the page gets back the
 * very step objects the parser made (the same keys in the same order, no key
 * added), whatever the chunks' bounds, for every kind of step.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Scenario } from '../../core/index.ts';
import { LIBRARY } from '../../scenarios/library/index.ts';
import { parseScenario } from '../../scenarios/schema.ts';
import { generateScenario100k } from '../../../bench/scenario100k.ts';
import { buildPlan, rawPlanArb } from '../../../tests/scenario-gen.ts';
import { packedStepBuffers, packScenario, packSteps, unpackScenario, unpackSteps } from './steps-pack.ts';

type Step = Scenario['steps'][number];

/** Packs `steps` in chunks ending at `cuts` (and the end), each through structured clone as posted, and unpacks them in order. */
function roundTrip(steps: readonly Step[], cuts: readonly number[] = []): Step[] {
  const out: Step[] = [];
  const ends = [...new Set([...cuts.filter((c) => c > 0 && c < steps.length), steps.length])].sort((a, b) => a - b);
  let from = 0;
  for (const to of ends) {
    const p = packSteps(steps, from, to);
    unpackSteps(structuredClone(p, { transfer: packedStepBuffers(p) }), out);
    from = to;
  }
  return out;
}

/** Equal as data, key order included (JSON text), and no key present as undefined. */
function expectSameSteps(got: readonly Step[], want: readonly Step[]): void {
  expect(JSON.stringify(got)).toBe(JSON.stringify(want));
  expect(got).toStrictEqual(want);
}

const parsedSteps = (doc: unknown): readonly Step[] => {
  const r = parseScenario(doc);
  if (!r.ok) throw new Error(r.error.message);
  return r.scenario.steps;
};

describe('packed steps (the timeline worker hands steps over as columns)', () => {
  it('every kind of step and flag, an address above 2^53 and a 64-bit value', () => {
    const steps: Step[] = [
      { op: 'read', gva: 0x1234, user: false },
      { op: 'read', gva: 0x1234, user: true, ac: true },
      { op: 'fetch', gva: 0xffff_8000_0000_1000, user: false, ac: false },
      { op: 'write', gva: 0x2000, user: true, width: 4, value: { lo: 0xffff_ffff, hi: 0 } },
      { op: 'write', gva: 0x2000, user: false, ac: true, width: 8, value: { lo: 1, hi: 0x8000_0000 } },
      { op: 'write', gva: 0x2001, user: false, width: 1 },
      { op: 'write', gva: 0x2002, user: true, ac: false, width: 2, value: { lo: 0, hi: 0 } },
      { op: 'cr3', value: 0x5000 },
      { op: 'cr3', value: 0x5000, noflush: true },
      { op: 'cr3', value: 2 ** 51, noflush: false },
      { op: 'invlpg', gva: 0xc000_0000 },
      { op: 'cr0', wp: false },
      { op: 'cr0', pg: true, wp: true },
      { op: 'cr4', pae: true, pse: false },
      { op: 'efer', nx: true },
      { op: 'host-write', gpa: 0x3000, width: 8, value: { lo: 7, hi: 9 } },
      { op: 'zap-all' },
    ] as Step[];
    expectSameSteps(roundTrip(steps), steps);
    expectSameSteps(roundTrip(steps, [1, 2, 11, 12, 16]), steps);
  });

  it('every built-in scenario, in chunks of every size from 1 to 9 steps', () => {
    for (const e of LIBRARY) {
      const steps = parsedSteps(e.json);
      for (let size = 1; size <= 9; size++) expectSameSteps(roundTrip(steps, Array.from({ length: Math.ceil(steps.length / size) }, (_, k) => k * size)), steps);
    }
  });

  it('random scenarios and 5,000 steps of the bench scenario (chunks of 1,000, as the worker sends)', () => {
    fc.assert(
      fc.property(rawPlanArb('x86-64', 30), fc.array(fc.nat(40), { maxLength: 4 }), (plan, cuts) => {
        const steps = buildPlan(plan).scenario.steps;
        expectSameSteps(roundTrip(steps, cuts), steps);
      }),
      { numRuns: 40 },
    );
    const steps = generateScenario100k(5000).scenario.steps;
    expectSameSteps(roundTrip(steps, [1000, 2000, 3000, 4000]), steps);
  });

  it('each column in a buffer of its own (all transferred), and a step out of its place is refused', () => {
    const steps = parsedSteps(LIBRARY[0]!.json);
    const p = packSteps(steps, 0, steps.length);
    expect(new Set(packedStepBuffers(p)).size).toBe(6);
    const broken = { ...p, op: p.op.map(() => 255) };
    expect(() => unpackSteps(broken, [])).toThrow(/internal/);
  });

  it('a whole scenario through structured clone as a worker request carries it: the same document, every buffer transferred', () => {
    for (const e of LIBRARY) {
      const r = parseScenario(e.json);
      if (!r.ok) throw new Error(r.error.message);
      const { packed, transfer } = packScenario(r.scenario);
      expect(packed.head.steps).toEqual([]);
      const back = unpackScenario(structuredClone(packed, { transfer }));
      expect(JSON.stringify(back)).toBe(JSON.stringify(r.scenario));
      expect(back).toStrictEqual(r.scenario);
    }
    const s = generateScenario100k(3000).scenario;
    const { packed, transfer } = packScenario(s);
    expect(transfer.length).toBe(6);
    const back = unpackScenario(structuredClone(packed, { transfer }));
    expect(JSON.stringify(back)).toBe(JSON.stringify(s));
    // Transferred: the page's copies of the columns are emptied, not kept beside the worker's.
    expect(packed.steps.op.length).toBe(0);
  });
});
