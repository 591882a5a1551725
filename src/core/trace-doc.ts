/** The trace document: what the CLI prints and the app downloads. */
import { machineJson, type MachineJson } from './serialize.ts';
import type { RuleSetName, Scenario } from './scenario.ts';
import { applyStep, sim_advance, sim_runStep, type sim_StepOutcome, sim_stepResult, type StepResult } from './step.ts';
import { hex, hex64Of } from './bits.ts';
import type { TraceEvent } from './trace.ts';
import { createMachine, sim_PROGRESS_STEPS } from './timeline.ts';
import type { Machine } from './machine.ts';
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
  const { run, machine, head } = traceStart(scenario, opts);
  const steps: TraceStepJson[] = [];
  for (let i = 0; i < run; i++) steps.push(stepJson(scenario, applyStep(machine, i, scenario.steps[i]!), opts.events));
  return { ...head, steps, final: machineJson(machine) };
}

/** What both forms of the document start from: the machine before the first step, how many steps run, and the keys before "steps" (in the document's order). */
function traceStart(scenario: Scenario, opts: TraceOptions): { readonly run: number; readonly machine: Machine; readonly head: Omit<TraceJson, 'steps' | 'final'> } {
  const at = opts.at ?? scenario.steps.length;
  const { machine, events } = createMachine(scenario, opts.rules, { tracing: opts.events });
  const head = {
    format: 'shadowpaging-trace/v1',
    title: scenario.title,
    rules: opts.rules,
    ...(opts.rules === 'linux-6.1' ? { kernel: LINUX_61_KERNEL } : {}),
    at,
    initial: opts.events ? { events } : {},
  } as const;
  return { run: Math.min(at, scenario.steps.length), machine, head };
}

/**
 * The text of `JSON.stringify(buildTrace(scenario, opts), null, 2)` and a
 * newline, byte for byte, in pieces of about `pieceChars` made as the machine
 * runs. Why: the CLI on a 100,000-step file wrote an 18 MB string built from
 * 100,000 step objects, and copying and collecting them took a quarter of its
 * time (issue 17's `cli.trace100k.wallMs`). Here no step list and no whole
 * text is held: a step without events is spelled straight from its numbers.
 * `progress` (optional) is told the steps run so far every
 * sim_PROGRESS_STEPS steps (the page's worker writing a trace reports it).
 */
export function* sim_traceJsonText(scenario: Scenario, opts: TraceOptions, pieceChars = 1 << 16, progress?: (stepsDone: number) => void): Generator<string, void, undefined> {
  const { run, machine, head } = traceStart(scenario, opts);
  // The head's text without its closing "\n}"; steps and final are the document's last keys.
  let text = `${JSON.stringify(head, null, 2).slice(0, -2)},\n  "steps": [`;
  for (let i = 0; i < run; i++) {
    const step = scenario.steps[i]!;
    text += `${i === 0 ? '' : ','}\n    ${opts.events ? sim_nestedJsonText('steps', stepJson(scenario, sim_stepResult(sim_runStep(machine, i, step)), true), true) : stepText(i, step.op, sim_advance(machine, i, step))}`;
    if (progress && (i + 1) % sim_PROGRESS_STEPS === 0) progress(i + 1);
    if (text.length >= pieceChars) {
      yield text;
      text = '';
    }
  }
  yield `${text}${run === 0 ? '' : '\n  '}],\n${sim_nestedJsonText('final', machineJson(machine))}\n}\n`;
}

/**
 * `value` as JSON.stringify(..., null, 2) spells it inside a document: as
 * the key `key` of the top object, or (`item`) as an item of the array under
 * that key; cut out of the text of an object holding just that. (Also the
 * CLI's answer key, written a step at a time.)
 */
export function sim_nestedJsonText(key: string, value: unknown, item = false): string {
  if (!item) return JSON.stringify({ [key]: value }, null, 2).slice('{\n'.length, -'\n}'.length);
  const t = JSON.stringify({ [key]: [value] }, null, 2);
  return t.slice(`{\n  ${JSON.stringify(key)}: [\n    `.length, -'\n  ]\n}'.length);
}

/** An iterator (a generator's object): sim_objectJsonText writes it as the array of what it yields. */
const isIterator = (v: unknown): v is Iterator<unknown> & Iterable<unknown> =>
  v !== null && typeof v === 'object' && typeof (v as Iterator<unknown>).next === 'function' && typeof (v as Iterable<unknown>)[Symbol.iterator] === 'function';

/**
 * The text of `JSON.stringify(doc, null, 2)` and a newline, byte for byte, in
 * pieces of about `pieceChars`: each item of a top-level array is spelled on
 * its own, and a top-level iterator (a generator) is written as the array of
 * what it yields, as it yields it (the CLI's answer key, a step at a time).
 * Why: a report with long lists (the CLI's `--compare` of five rule sets over
 * a 1,000,000-step file) passed the longest string V8 can make (~512 MB):
 * `JSON.stringify` of the whole threw "Invalid string length" after the
 * 207 s the comparison took.
 */
export function* sim_objectJsonText(doc: object, pieceChars = 1 << 16): Generator<string, void, undefined> {
  let text = '{';
  let first = true;
  for (const [key, value] of Object.entries(doc)) {
    // What JSON.stringify leaves out of an object.
    if (value === undefined || typeof value === 'function' || typeof value === 'symbol') continue;
    text += `${first ? '' : ','}\n`;
    first = false;
    if (!Array.isArray(value) && !isIterator(value)) {
      text += sim_nestedJsonText(key, value);
      continue;
    }
    text += `  ${JSON.stringify(key)}: [`;
    let items = 0;
    for (const item of value as Iterable<unknown>) {
      text += `${items++ === 0 ? '' : ','}\n    ${sim_nestedJsonText(key, item, true)}`;
      if (text.length >= pieceChars) {
        yield text;
        text = '';
      }
    }
    text += items === 0 ? ']' : '\n  ]';
  }
  yield `${text}${first ? '' : '\n'}}\n`;
}

/** JSON strings of the few names a step has (its op, its outcome), each made once. */
const quotedNames = new Map<string, string>();
const quoted = (name: string): string => {
  let q = quotedNames.get(name);
  if (q === undefined) quotedNames.set(name, (q = JSON.stringify(name)));
  return q;
};

/** stepJson(..., false) of `r` as JSON.stringify(..., null, 2) spells it as an item of "steps". */
function stepText(index: number, op: string, o: sim_StepOutcome): string {
  let t = `{\n      "index": ${index},\n      "op": ${quoted(op)},\n      "outcome": ${quoted(o.outcome)}`;
  if (o.vector !== 0) t += `,\n      "vector": ${o.vector},\n      "errorCode": ${o.errorCode}`;
  else if (o.gpa >= 0) t += `,\n      "gpa": "${hex(o.gpa)}",\n      "value": "${hex64Of(o.valueLo, o.valueHi)}"`;
  return `${t}\n    }`;
}
