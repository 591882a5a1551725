/**
 * Messages between the app and the timeline worker (timeline.worker.ts).
 *
 * Why a worker: a long scenario (10,000 steps, or 1,923 zap-alls that each
 * rebuild the roots) takes hundreds of milliseconds to run; on the main thread
 * that froze the page. The worker parses and runs the scenario and hands the
 * Timeline back as plain data (TimelineParts) in chunks small enough that the
 * main thread never spends long on one message.
 */
import type { MachineData, RuleSetName, Scenario, StepResult, TraceEvent } from '../../core/index.ts';
import type { ParseResult } from '../../scenarios/schema.ts';

export type BuildRequest =
  /** Validate a scenario text (the editor's check of a long text): answered with `checked`. */
  | { readonly type: 'check'; readonly id: number; readonly text: string }
  | {
      readonly type: 'build';
      readonly id: number;
      /** A scenario document (or its text) to validate first, or a Scenario validated already. */
      readonly json?: unknown;
      readonly text?: string;
      readonly scenario?: Scenario;
      readonly rules: RuleSetName;
      readonly snapshotEvery: number;
    };

export type BuildReply =
  /** The scenario is valid and its first VM entry has run. */
  | { readonly type: 'start'; readonly id: number; readonly scenario: Scenario; readonly initialEvents: readonly TraceEvent[] }
  /** The next `results` (in step order), the snapshots taken meanwhile, and how many steps are done. */
  | { readonly type: 'chunk'; readonly id: number; readonly done: number; readonly results: readonly StepResult[]; readonly snapshots: readonly MachineData[] }
  /** The state after the last step: the timeline is complete. */
  | { readonly type: 'done'; readonly id: number; readonly final: MachineData }
  | { readonly type: 'checked'; readonly id: number; readonly result: ParseResult }
  /** The document is not a valid scenario (one sentence), or the run failed. */
  | { readonly type: 'error'; readonly id: number; readonly message: string };

/**
 * A chunk is sent once it holds this many trace events or CHUNK_MAX_STEPS
 * steps (with the snapshots taken meanwhile). Measured in headless Chromium
 * on a busy 2-core machine: 250 steps of the 10,000-step run took 9 to 33 ms
 * to read on the main thread, 100 steps 5 to 20 ms (more when a garbage
 * collection falls in); 50 steps or 500 events keep each message to a few ms.
 */
export const CHUNK_EVENTS = 500;
export const CHUNK_MAX_STEPS = 50;
