/**
 * Events off (issue 17): a run with tracing off must leave exactly the state a
 * run with tracing on leaves, and the trace document without events must be
 * the one with events minus the events. Checked for every built-in under
 * every rule set and for the saved random golden scenarios under every rule
 * set, at the end and half way (`at`). The CLI's text of each
 * (sim_traceJsonText) is the document's JSON.stringify, byte for byte, and so
 * is a report written with its lists item by item (sim_objectJsonText).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyStep, buildTrace, compareRuleSets, createMachine, machineJson, RULE_SETS, type Scenario, sim_advance, sim_objectJsonText, sim_rawResult, sim_runStep, type sim_StepOutcome, sim_traceJsonText, Timeline, sim_PROGRESS_STEPS } from '../src/core/index.ts';
import { generateScenario100k } from '../bench/scenario100k.ts';
import { LIBRARY } from '../src/scenarios/library/index.ts';
import { formatScenarioError, parseScenario } from '../src/scenarios/schema.ts';
import { RANDOM_DIR, randomScenarioFiles } from './golden/make-traces.ts';

function scenarioOf(doc: unknown): Scenario {
  const parsed = parseScenario(doc);
  if (!parsed.ok) throw new Error(`invalid scenario: ${formatScenarioError(parsed.error)}`);
  return parsed.scenario;
}

/** The events-on document with the events taken out, as --no-events has always printed it. */
function withoutEvents(doc: ReturnType<typeof buildTrace>): unknown {
  return {
    ...doc,
    initial: {},
    steps: doc.steps.map(({ events: _events, ...rest }) => rest),
  };
}

const cases: Array<{ readonly name: string; readonly scenario: () => Scenario }> = [
  ...LIBRARY.map((e) => ({ name: `built-in ${e.id}`, scenario: () => scenarioOf(e.json) })),
  ...randomScenarioFiles().map((f) => ({ name: `random ${f}`, scenario: () => scenarioOf(JSON.parse(readFileSync(join(RANDOM_DIR, f), 'utf8'))) })),
];

describe('buildTrace with events: false', () => {
  it('has built-ins and random scenarios to check', () => {
    expect(LIBRARY.length).toBeGreaterThan(0);
    expect(randomScenarioFiles().length).toBeGreaterThan(0);
  });

  for (const c of cases) {
    it(`${c.name}: equals the events-on document without its events, under every rule set, at the end and half way`, () => {
      const s = c.scenario();
      for (const rules of RULE_SETS) {
        for (const at of [null, Math.floor(s.steps.length / 2)]) {
          const on = buildTrace(s, { rules, at, events: true });
          const off = buildTrace(s, { rules, at, events: false });
          expect(JSON.stringify(off), `${rules} at ${at ?? 'end'}`).toBe(JSON.stringify(withoutEvents(on)));
          // The CLI's text, written as the steps run: the documents' text byte for byte,
          // in pieces of any size (1: a piece after every step).
          for (const [doc, events] of [[on, true], [off, false]] as const) {
            const want = `${JSON.stringify(doc, null, 2)}\n`;
            for (const piece of [1, 1 << 16]) expect([...sim_traceJsonText(s, { rules, at, events }, piece)].join(''), `${rules} at ${at ?? 'end'}, events ${events}, pieces of ${piece}`).toBe(want);
          }
        }
      }
    });
  }
});

describe('sim_traceJsonText progress', () => {
  it('is told the steps run every sim_PROGRESS_STEPS steps, and the text is the same with it', () => {
    const s = generateScenario100k(2500).scenario;
    const told: number[] = [];
    const text = [...sim_traceJsonText(s, { rules: 'seed', at: null, events: true }, 1 << 16, (n) => told.push(n))].join('');
    expect(told).toEqual([sim_PROGRESS_STEPS, 2 * sim_PROGRESS_STEPS]);
    expect(text).toBe([...sim_traceJsonText(s, { rules: 'seed', at: null, events: true })].join(''));
  });
});

describe('Machine.tracing', () => {
  const s = scenarioOf(LIBRARY[0]!.json);

  it('off: the initial entry and every step record no event, and the state is the traced run\'s', () => {
    const off = createMachine(s, 'seed', { tracing: false });
    const on = createMachine(s, 'seed');
    expect(off.events).toEqual([]);
    expect(on.events.length).toBeGreaterThan(0);
    let traced = 0;
    s.steps.forEach((step, i) => {
      expect(applyStep(off.machine, i, step).events).toEqual([]);
      traced += applyStep(on.machine, i, step).events.length;
    });
    expect(traced).toBeGreaterThan(0);
    expect(machineJson(off.machine)).toEqual(machineJson(on.machine));
  });

  it('a state from Timeline.stateAt (replayed with tracing off) still records the events of a step applied to it', () => {
    const tl = new Timeline(s, 'seed');
    const k = Math.min(3, tl.length - 1);
    const m = tl.stateAt(k);
    expect(m.tracing).toBe(true);
    expect(applyStep(m, k, s.steps[k]!).events).toEqual(tl.results[k]!.events);
  });
});

describe('sim_advance', () => {
  it('gives every step\'s outcome in one record, the fields of sim_runStep\'s result, and leaves the same state, for every built-in and random scenario under every rule set', () => {
    const seen = new Set<string>();
    // No built-in injects #GP: an EFER.LME change while paging does (set_efer refuses it).
    const gp: (typeof cases)[number] = {
      name: 'EFER.LME while paging',
      scenario: () =>
        scenarioOf({
          format: 'shadowpaging/v1',
          title: '#GP',
          guest: { mode: 'pae', cr3: '0x1000' },
          memory: [
            { gpa: '0x1000', entrySize: 8, entries: { '0': '0x2001' } },
            { gpa: '0x2000', entrySize: 8, entries: { '0': '0x3027' } },
            { gpa: '0x3000', entrySize: 8, entries: { '5': '0x9027' } },
          ],
          steps: [{ op: 'read', gva: '0x5000' }, { op: 'efer', lme: true }, { op: 'read', gva: '0x5000' }],
        }),
    };
    for (const c of [...cases, gp]) {
      const s = c.scenario();
      for (const rules of RULE_SETS) {
        const quiet = createMachine(s, rules, { tracing: false }).machine;
        const full = createMachine(s, rules, { tracing: false }).machine;
        let record: sim_StepOutcome | null = null;
        s.steps.forEach((step, i) => {
          const o = sim_advance(quiet, i, step);
          // One record, written by every step: no object per step.
          record ??= o;
          expect(o).toBe(record);
          const want = sim_runStep(full, i, step);
          expect(sim_rawResult(i, o, want.events), `${c.name} ${rules} step ${i}`).toEqual(want);
          seen.add(o.vector ? `${o.outcome} ${o.vector}` : o.outcome);
        });
        expect(machineJson(quiet), `${c.name} ${rules}`).toEqual(machineJson(full));
      }
    }
    // Every kind of outcome was compared: the record's fields for each.
    expect([...seen].sort()).toEqual(['done', 'emulated', 'guest-fault 13', 'guest-fault 14', 'hit', 'shadow-fault']);
  });

  it('with tracing on leaves the state the traced run leaves (its events are made and dropped)', () => {
    const s = scenarioOf(LIBRARY[0]!.json);
    const a = createMachine(s, 'seed').machine;
    const b = createMachine(s, 'seed').machine;
    s.steps.forEach((step, i) => {
      sim_advance(a, i, step);
      applyStep(b, i, step);
    });
    expect(machineJson(a)).toEqual(machineJson(b));
  });
});

describe('sim_objectJsonText', () => {
  it('is JSON.stringify(doc, null, 2) and a newline, byte for byte, on any object, in pieces of any size', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.oneof(fc.jsonValue(), fc.array(fc.jsonValue()), fc.constant(undefined))), fc.integer({ min: 1, max: 200 }), (doc, piece) => {
        expect([...sim_objectJsonText(doc, piece)].join('')).toBe(`${JSON.stringify(doc, null, 2)}\n`);
      }),
      { numRuns: 300 },
    );
  });

  it('writes a top-level iterator as the array of what it yields (empty or not)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.array(fc.jsonValue(), { maxLength: 5 })), fc.integer({ min: 1, max: 200 }), (doc, piece) => {
        const lazy = Object.fromEntries(Object.entries(doc).map(([k, v]) => [k, v.values()]));
        expect([...sim_objectJsonText(lazy, piece)].join('')).toBe(`${JSON.stringify(doc, null, 2)}\n`);
      }),
      { numRuns: 200 },
    );
  });

  it('is the CLI\'s --compare report of every built-in, byte for byte', () => {
    for (const e of LIBRARY) {
      const p = parseScenario(e.json);
      if (!p.ok) throw new Error(formatScenarioError(p.error));
      const report = compareRuleSets(p.scenario, RULE_SETS);
      expect([...sim_objectJsonText(report, 1)].join('') === `${JSON.stringify(report, null, 2)}\n`, e.id).toBe(true);
    }
  });
});
