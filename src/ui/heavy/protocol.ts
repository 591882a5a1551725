/**
 * Messages between the app and the timeline worker (timeline.worker.ts).
 *
 * Why a worker: a long scenario (10,000 steps, or 1,923 zap-alls that each
 * rebuild the roots) takes hundreds of milliseconds to run; on the main thread
 * that froze the page. The worker parses and runs the scenario and hands the
 * Timeline back as plain data (TimelineParts) in chunks small enough that the
 * main thread never spends long on one message.
 */
import { type CompareReport, type MachineData, type RuleSetName, type Scenario, type sim_PackedSummaries, snapshotIntervalFor, type TraceEvent } from '../../core/index.ts';
import type { ParseResult } from '../../scenarios/schema.ts';
import type { PackedScenario, PackedSteps } from './steps-pack.ts';

/** The least time (ms) between two progress reports shown (a build's, a comparison's; the last is always reported). */
export const PROGRESS_MS = 100;

export type BuildRequest =
  /** Run a scenario under several rule sets in lockstep (the Compare view): answered with `compared` pieces. */
  | { readonly type: 'compare'; readonly id: number; readonly packed: PackedScenario; readonly rules: readonly RuleSetName[] }
  /**
   * Write the scenario's trace (the CLI's document with events, byte for
   * byte): answered with `traced` progress, then the file as a Blob.
   */
  | { readonly type: 'trace'; readonly id: number; readonly packed: PackedScenario; readonly rules: RuleSetName }
  /**
   * Validate a scenario text (the editor's check of a long text): answered
   * with `checked`. With `keep`, the worker keeps the parse for a build of
   * the same text (build.ts prepareBuild).
   */
  | { readonly type: 'check'; readonly id: number; readonly text: string; readonly keep?: true }
  /** The fingerprint of the document a text holds (heavy/fingerprint.ts): answered with `fingerprinted`. */
  | { readonly type: 'fingerprint'; readonly id: number; readonly text: string }
  | {
      readonly type: 'build';
      readonly id: number;
      /**
       * A scenario document (or its text) to validate first, or a Scenario
       * validated already (packed). The page has that one's steps: the
       * chunks come without them (`steps` null), and the timeline is made on
       * the page's own scenario object.
       */
      readonly json?: unknown;
      readonly text?: string;
      readonly packed?: PackedScenario;
      readonly rules: RuleSetName;
    };

export type BuildReply =
  /**
   * The scenario is valid and its first VM entry has run; `pages`: shadow
   * pages alive after it. The scenario comes without its steps (`steps`
   * empty, `total` of them): they follow with the chunks, so no one message
   * carries 10,000 of them.
   */
  | { readonly type: 'start'; readonly id: number; readonly scenario: Scenario; readonly total: number; readonly initialEvents: readonly TraceEvent[]; readonly pages: number }
  /**
   * The next steps (packed: steps-pack.ts) and their results (in step order), the snapshots taken
   * meanwhile, the shadow pages alive after each of these steps, and how many
   * steps are done.
   */
  | { readonly type: 'chunk'; readonly id: number; readonly done: number; readonly steps: PackedSteps | null; readonly results: ResultData; readonly snapshots: readonly MachineData[]; readonly pages: readonly number[] }
  /** The state after the last step: the timeline is complete. */
  | { readonly type: 'done'; readonly id: number; readonly final: MachineData }
  | { readonly type: 'checked'; readonly id: number; readonly result: CheckResult }
  /** The text's fingerprint; null when the text is not JSON. */
  | { readonly type: 'fingerprinted'; readonly id: number; readonly fingerprint: string | null }
  /**
   * A piece of a CompareReport: `part` is the report without its lists
   * (first), or `key` names the list that `items` continue; `last` ends it.
   * Before them, `progress`: the steps run so far under every rule set.
   */
  | { readonly type: 'compared'; readonly id: number; readonly progress?: number; readonly part?: Omit<CompareReport, CompareList>; readonly key?: CompareList; readonly items?: readonly unknown[]; readonly last?: true }
  /** A trace being written: the steps run so far, or (last) the whole file. */
  | { readonly type: 'traced'; readonly id: number; readonly progress?: number; readonly file?: Blob }
  /** The document is not a valid scenario (one sentence), or the run failed. */
  | { readonly type: 'error'; readonly id: number; readonly message: string };

/**
 * A chunk's step results without events (the timeline rebuilds a step's
 * events when the page reads them: Timeline.eventsOf), packed in typed
 * arrays that are transferred, not copied.
 */
export type ResultData = sim_PackedSummaries;

/** The buffers of a chunk's results, to transfer with it. */
export const resultBuffers = (r: ResultData): ArrayBuffer[] => [r.outcome, r.vector, r.errorCode, r.gpa, r.valueLo, r.valueHi].map((a) => a.buffer as ArrayBuffer);

/**
 * A chunk is sent every CHUNK_MAX_STEPS steps (with the snapshots taken
 * meanwhile). Measured in headless Chromium on a busy 2-core machine: 250
 * steps of the 10,000-step run with their events took 9 to 33 ms to read on
 * the main thread; 100 steps without events take well under a millisecond.
 */
export const CHUNK_MAX_STEPS = 1000;

/**
 * The page keeps fewer snapshots than a Timeline of the run takes: every
 * `stride`-th, so that at most about PAGE_SNAPSHOTS cross the thread, and the
 * worker takes only those (stream.ts). Each one sent is a delta of ~100-200
 * small objects (the shadow page headers, the CPU, the MMU) and one buffer of
 * chunks: at 100,000 steps, sending all 1,563 snapshots (then every 64 steps)
 * took ~0.75 s to write and ~1.5 s to clone, most of the open. The page then
 * replays up to `every * stride` steps to reach a step (~1 ms at 256), which
 * only a jump does: stepping goes on from the state before (Timeline's cursor).
 */
export const PAGE_SNAPSHOTS = 400;

/** A Timeline's snapshot interval for a run of `steps` steps (snapshotIntervalFor), and every how many of those the page keeps. */
export function pageSnapshots(steps: number): { readonly every: number; readonly stride: number } {
  const every = snapshotIntervalFor(steps);
  let stride = 1;
  while (steps / (every * stride) > PAGE_SNAPSHOTS) stride *= 2;
  return { every, stride };
}

/** The lists of a CompareReport, sent COMPARE_CHUNK items at a time (1,923 zap-alls: 7,696 requests and as many role differences). */
export const COMPARE_LISTS = ['requests', 'roleDifferences', 'behaviourDifferences', 'shadowSetDifferences'] as const;
export type CompareList = (typeof COMPARE_LISTS)[number];
export const COMPARE_CHUNK = 300;

/**
 * What the editor needs of a check: valid or why not, the title, the number
 * of steps and the warnings. Not the Scenario itself: handing 10,000 steps
 * back from the worker took the page up to 45 ms, for a count.
 */
export type CheckResult =
  | { readonly ok: true; readonly scenario: { readonly title: string; readonly steps: { readonly length: number } }; readonly warnings: readonly string[] }
  | Extract<ParseResult, { ok: false }>;

export const summarize = (r: ParseResult): CheckResult => (r.ok ? { ok: true, scenario: { title: r.scenario.title, steps: { length: r.scenario.steps.length } }, warnings: r.warnings } : r);

