/** The trace document: what the CLI prints and the app downloads. */
import { machineJson, type MachineJson } from './serialize.ts';
import type { RuleSetName, Scenario } from './scenario.ts';
import { applyStep, type StepResult } from './step.ts';
import type { TraceEvent } from './trace.ts';
import { createMachine } from './timeline.ts';
import { kernelRoleFields, type PageRole } from './mmu/role.ts';
import { type Linux61Change, LINUX_61_CHANGES } from './mmu/rules.ts';

const ZERO_ROLE: PageRole = { level: 0, gpteIs8Bytes: false, quadrant: 0, direct: false, access: 0, invalid: false, eferNx: false, cr0Wp: false, smepAndnotWp: false, smapAndnotWp: false, adDisabled: false, guestMode: false, smm: 0 };
const LINUX_61_KERNEL = { version: 'Linux 6.1', roleFields: kernelRoleFields(ZERO_ROLE, 'linux-6.1').map((f) => f.name), changes: LINUX_61_CHANGES };

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
  /**
   * Under linux-6.1 only: the kernel's role fields in role.word order (6.1's
   * names: has_4_byte_gpte, passthrough) and the changes after 5.15 that the
   * rule set models, each with its commit.
   */
  readonly kernel?: { readonly version: string; readonly roleFields: readonly string[]; readonly changes: readonly Linux61Change[] };
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

/**
 * One machine runs forward up to `at` (nothing needs time travel), each
 * step's outcome fields, and with `events` its events, written out as it
 * goes. Without events tracing is off: no event object or hex string is
 * made, and memory stays the size of one machine plus the step list.
 */
export function buildTrace(scenario: Scenario, opts: TraceOptions): TraceJson {
  const at = opts.at ?? scenario.steps.length;
  const run = Math.min(at, scenario.steps.length);
  const { machine, events } = createMachine(scenario, opts.rules, { tracing: opts.events });
  const steps: TraceStepJson[] = [];
  for (let i = 0; i < run; i++) steps.push(stepJson(scenario, applyStep(machine, i, scenario.steps[i]!), opts.events));
  return {
    format: 'shadowpaging-trace/v1',
    title: scenario.title,
    rules: opts.rules,
    ...(opts.rules === 'linux-6.1' ? { kernel: LINUX_61_KERNEL } : {}),
    at,
    initial: opts.events ? { events } : {},
    steps,
    final: machineJson(machine),
  };
}
