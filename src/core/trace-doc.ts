/** The trace document: what the CLI prints and the app downloads. */
import { machineJson, type MachineJson } from './serialize.ts';
import type { RuleSetName, Scenario } from './scenario.ts';
import { applyStep, type StepResult } from './step.ts';
import type { TraceEvent } from './trace.ts';
import { createMachine, Timeline } from './timeline.ts';

export interface TraceOptions {
  readonly rules: RuleSetName;
  /** State after this many steps (null: after all of them); steps beyond it are not listed. */
  readonly at: number | null;
  readonly events: boolean;
}

export interface TraceStepJson {
  readonly index: number;
  readonly op: string;
  readonly outcome: string;
  readonly vector?: number;
  readonly errorCode?: number;
  readonly gpa?: string;
  readonly value?: string;
  readonly events?: readonly TraceEvent[];
}

export interface TraceJson {
  readonly format: 'shadowpaging-trace/v1';
  readonly title: string;
  readonly rules: RuleSetName;
  readonly at: number;
  readonly initial: { readonly events?: readonly TraceEvent[] };
  readonly steps: readonly TraceStepJson[];
  readonly final: MachineJson;
}

function stepJson(scenario: Scenario, r: StepResult, events: boolean): TraceStepJson {
  return {
    index: r.index,
    op: scenario.steps[r.index]!.op,
    outcome: r.outcome,
    ...(r.vector !== undefined ? { vector: r.vector, errorCode: r.errorCode } : {}),
    ...(r.gpa !== undefined ? { gpa: r.gpa, value: r.value } : {}),
    ...(events ? { events: r.events } : {}),
  };
}

export function buildTrace(scenario: Scenario, opts: TraceOptions): TraceJson {
  return opts.events ? buildTraceWithEvents(scenario, opts) : buildTraceNoEvents(scenario, opts);
}

/** The whole Timeline: its results hold every step's events. */
function buildTraceWithEvents(scenario: Scenario, opts: TraceOptions): TraceJson {
  const tl = new Timeline(scenario, opts.rules);
  const at = opts.at ?? tl.length;
  return {
    format: 'shadowpaging-trace/v1',
    title: scenario.title,
    rules: opts.rules,
    at,
    initial: { events: tl.initialEvents },
    steps: tl.results.slice(0, at).map((r) => stepJson(scenario, r, true)),
    final: machineJson(tl.stateAt(at)),
  };
}

/**
 * Without events nothing needs time travel: one machine runs forward with
 * tracing off up to `at`, keeping only each step's outcome fields (no
 * Timeline, no snapshots, no event lists), so memory stays the size of one
 * machine plus the step list.
 */
function buildTraceNoEvents(scenario: Scenario, opts: TraceOptions): TraceJson {
  const at = opts.at ?? scenario.steps.length;
  const run = Math.min(at, scenario.steps.length);
  const { machine } = createMachine(scenario, opts.rules, { tracing: false });
  const steps: TraceStepJson[] = [];
  for (let i = 0; i < run; i++) steps.push(stepJson(scenario, applyStep(machine, i, scenario.steps[i]!), false));
  return {
    format: 'shadowpaging-trace/v1',
    title: scenario.title,
    rules: opts.rules,
    at,
    initial: {},
    steps,
    final: machineJson(machine),
  };
}
