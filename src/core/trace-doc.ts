/** The trace document: what the CLI prints and the app downloads. */
import { machineJson, type MachineJson } from './serialize.ts';
import type { RuleSetName, Scenario } from './scenario.ts';
import type { TraceEvent } from './trace.ts';
import { Timeline } from './timeline.ts';

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

export function buildTrace(scenario: Scenario, opts: TraceOptions): TraceJson {
  const tl = new Timeline(scenario, opts.rules);
  const at = opts.at ?? tl.length;
  const steps = tl.results.slice(0, at).map((r) => ({
    index: r.index,
    op: scenario.steps[r.index]!.op,
    outcome: r.outcome,
    ...(r.vector !== undefined ? { vector: r.vector, errorCode: r.errorCode } : {}),
    ...(r.gpa !== undefined ? { gpa: r.gpa, value: r.value } : {}),
    ...(opts.events ? { events: r.events } : {}),
  }));
  return {
    format: 'shadowpaging-trace/v1',
    title: scenario.title,
    rules: opts.rules,
    at,
    initial: opts.events ? { events: tl.initialEvents } : {},
    steps,
    final: machineJson(tl.stateAt(at)),
  };
}
