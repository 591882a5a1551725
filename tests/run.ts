/** Shared helpers for the cross-cutting suites: parse a JSON scenario and run it. */
import { auditMachine, machineJson, type MachineJson, type RuleSetName, Timeline } from '../src/core/index.ts';
import { formatScenarioError, parseScenario } from '../src/scenarios/schema.ts';

export function parse(json: unknown) {
  const r = parseScenario(json);
  if (!r.ok) throw new Error(formatScenarioError(r.error));
  return r.scenario;
}

export interface Run {
  readonly tl: Timeline;
  readonly final: MachineJson;
  /** machineJson after step i (index 0 = initial state). */
  at(n: number): MachineJson;
}

/** Run a scenario, auditing the state after the initial entry and after every step. */
export function run(json: unknown, rules: RuleSetName = 'seed'): Run {
  const tl = new Timeline(parse(json), rules);
  for (let n = 0; n <= tl.length; n++) {
    const issues = auditMachine(tl.stateAt(n));
    if (issues.length) throw new Error(`audit after ${n} steps (${rules}):\n${issues.map((i) => `  [${i.rule}] ${i.message}`).join('\n')}`);
  }
  return { tl, final: machineJson(tl.stateAt(tl.length)), at: (n) => machineJson(tl.stateAt(n)) };
}

export const spsOf = (m: MachineJson, gfn: string) => m.shadowPages.filter((sp) => sp.gfn === gfn);
export const kinds = (tl: Timeline, step: number) => tl.results[step]!.events.map((e) => e.kind);
