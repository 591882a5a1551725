/**
 * Building a Timeline without blocking the page (issue 16): in the timeline
 * worker when the browser has workers, else on the main thread in slices of
 * a few milliseconds between tasks (jsdom in the unit tests, or a page where
 * the worker could not start). Either way the caller gets progress, then the
 * Timeline, and can cancel.
 */
import { type RuleSetName, type Scenario, type Timeline, TimelineBuilder } from '../../core/index.ts';
import { formatScenarioError, parseScenario } from '../../scenarios/schema.ts';
import { CHECK_SYNC_CHARS, checkScenarioText, rememberCheck } from './check.ts';
import type { BuildReply, BuildRequest, CheckResult } from './protocol.ts';
import { packScenario } from './steps-pack.ts';
import { TimelineReceiver } from './stream.ts';
import { runSliced } from '../idle.ts';

/**
 * Scenarios with more steps than this are built off the main thread; shorter
 * ones (every built-in: at most 73 steps) are built at once, as before. At
 * 200 steps the costliest step kind measured (zap-all, which frees and
 * rebuilds the roots: ~0.1 ms a step in Chromium) takes ~20 ms, well inside
 * a 50 ms task with the render that follows.
 */
export const HEAVY_STEPS = 200;

/** Hands the finished timeline over: after `prepare`, in slices, when there is one; then `then`. */
function deliver(tl: Timeline, scenario: Scenario, cb: BuildCallbacks, live: () => boolean, then = () => {}): () => void {
  const done = () => {
    cb.onDone(tl, scenario);
    then();
  };
  if (!cb.prepare) {
    done();
    return () => {};
  }
  return runSliced(cb.prepare(tl), live, done);
}

/**
 * The snapshots of the last timeline a worker handed over, revived in slices
 * (TimelineReceiver.revival) while it is on screen, so that a jump finds them
 * ready (any snapshot read before is revived then, with those before it).
 * Paused while another build runs (it needs the thread) and resumed if that
 * build ends without a timeline; let go once done or no longer shown.
 */
let revival: { readonly work: Iterator<void>; readonly live: () => boolean; stop: (() => void) | null } | null = null;

/** Starts reviving `tl`'s snapshots (`work`) in slices while `shown(tl)`. Only its arguments are kept (not a build's state). */
function reviveInSlices(work: Iterator<void>, tl: Timeline, shown: ((tl: Timeline) => boolean) | undefined): void {
  const r = {
    work,
    live: () => {
      if (revival === r && (shown?.(tl) ?? true)) return true;
      // Replaced on screen (or by a newer revival): let it go (its slices stop here).
      if (revival === r) revival = null;
      return false;
    },
    stop: null as (() => void) | null,
  };
  revival?.stop?.();
  revival = r;
  resumeRevival();
}

function resumeRevival(): void {
  const r = revival;
  if (!r || r.stop || !r.live()) return;
  r.stop = runSliced(r.work, r.live, () => {
    if (revival === r) revival = null;
  });
}

function pauseRevival(): void {
  revival?.stop?.();
  if (revival) revival.stop = null;
}

export const isHeavy = (json: unknown): boolean => {
  const steps = json && typeof json === 'object' && !Array.isArray(json) ? (json as { steps?: unknown }).steps : undefined;
  return Array.isArray(steps) && steps.length > HEAVY_STEPS;
};

export interface BuildInput {
  /** A document to validate (or its text, when there is one), or a Scenario validated already. */
  readonly json?: unknown;
  readonly text?: string;
  readonly scenario?: Scenario;
  readonly rules: RuleSetName;
}

export interface BuildCallbacks {
  onProgress: (done: number, total: number) => void;
  onDone: (tl: Timeline, scenario: Scenario) => void;
  /**
   * Work to do on the finished timeline before onDone, a unit per `next()`
   * (the first render's per-timeline work: step/index.ts timelineWarmup); run
   * in slices between tasks, and dropped if the build is cancelled.
   */
  prepare?: (tl: Timeline) => Iterator<void>;
  /**
   * Work to do on the scenario's first steps while the worker builds the
   * rest (the store: the first render's fit, found on those steps alone), a
   * unit per `next()`, in slices between tasks. Given the scenario with the
   * steps received so far (a chunk's worth, CHUNK_MAX_STEPS, or all) when the
   * first chunk comes; stopped when the build ends or is cancelled.
   */
  early?: (first: Scenario) => Iterator<void>;
  /** One sentence: why the document is not a valid scenario, or why the run failed. */
  onError: (message: string) => void;
  /**
   * Whether a timeline handed over is still the one on screen: its snapshots
   * are revived in slices after onDone only while it is (a worker's build).
   */
  shown?: (tl: Timeline) => boolean;
}

export interface BuildJob {
  /** Stops the build: no callback runs after this. */
  cancel: () => void;
}

let worker: Worker | null = null;
let workerBroken = false;
let nextId = 1;
/** The job the worker is running (one at a time: a new one cancels it). */
let current: { id: number; cancel: () => void } | null = null;

function getWorker(): Worker | null {
  if (workerBroken || typeof Worker === 'undefined') return null;
  if (!worker) {
    try {
      worker = new Worker(new URL('./timeline.worker.ts', import.meta.url), { type: 'module', name: 'timeline' });
    } catch {
      workerBroken = true;
      return null;
    }
  }
  return worker;
}

/** Starts the worker ahead of its first request (where there are workers). */
export function startBuildWorker(): void {
  getWorker();
}

/** Ends the worker (the only way to stop a build it is in the middle of); the next build starts a new one. */
function killWorker(): void {
  worker?.terminate();
  worker = null;
  const orphans = [...preparing.values()];
  preparing.clear();
  for (const redo of orphans) redo();
}

/**
 * An import's check of a long text, done by the build worker, which keeps the
 * parse for the build of that text (timeline.worker.ts): the build that
 * follows starts without parsing the file again (~0.5 s of a 100,000-step
 * open), and no second worker parses it meanwhile. The result goes into the
 * editor's cache of checks (check.ts). null when there is no worker, the text
 * is short, or a build is running (then check.ts checks it as before).
 */
export function prepareBuild(text: string): PreparedCheck | null {
  if (current || text.length <= CHECK_SYNC_CHARS) return null;
  const w = getWorker();
  if (!w) return null;
  const id = nextId++;
  let stop = () => {};
  const result = new Promise<CheckResult>((resolve) => {
    stop = () => {
      preparing.delete(id);
      w.removeEventListener('message', onMessage);
      w.removeEventListener('error', onError);
    };
    const onMessage = (e: MessageEvent<BuildReply>) => {
      if (e.data.id !== id || e.data.type !== 'checked') return;
      stop();
      resolve(rememberCheck(text, e.data.result));
    };
    // The worker script failed to load: no worker from now on (as a build does).
    const onError = () => {
      workerBroken = true;
      killWorker();
    };
    w.addEventListener('message', onMessage);
    w.addEventListener('error', onError);
    // If the worker ends first (a build started and was cancelled, or it failed): checked as before.
    preparing.set(id, () => {
      stop();
      void checkScenarioText(text).then(resolve);
    });
    const req: BuildRequest = { type: 'check', id, text, keep: true };
    w.postMessage(req);
  });
  return {
    result,
    abandon: () => {
      if (!preparing.has(id)) return;
      stop();
      // Nothing else waits on the worker: end it rather than let it parse a text no one will open.
      if (!current && preparing.size === 0) killWorker();
    },
  };
}

/** An import's check in the build worker: its answer, or `abandon` when the import is refused meanwhile (the answer then never comes). */
export interface PreparedCheck {
  readonly result: Promise<CheckResult>;
  readonly abandon: () => void;
}

/** Checks waiting on the build worker, each with what to do if the worker ends first. */
const preparing = new Map<number, () => void>();

/** Starts building; a build still running is cancelled first. */
export function startBuild(input: BuildInput, cb: BuildCallbacks): BuildJob {
  current?.cancel();
  pauseRevival();
  const id = nextId++;
  const w = getWorker();
  // A build that ends without a timeline gives the thread back to the revival of the one on screen.
  const ended = { ...cb, onError: (message: string) => (cb.onError(message), resumeRevival()) };
  const job = w ? inWorker(w, id, input, ended) : sliced(input, ended);
  const entry = { id, cancel: job.cancel };
  current = entry;
  return {
    cancel: () => {
      if (current === entry) current = null;
      job.cancel();
      resumeRevival();
    },
  };
}

function inWorker(w: Worker, id: number, input: BuildInput, cb: BuildCallbacks): BuildJob {
  let live = true;
  const receiver = new TimelineReceiver(input.rules, input.scenario ?? null);
  const finish = () => {
    live = false;
    w.removeEventListener('message', onMessage);
    w.removeEventListener('error', onError);
    if (current?.id === id) current = null;
  };
  let stopEarly: (() => void) | null = null;
  const onMessage = (e: MessageEvent<BuildReply>) => {
    const m = e.data;
    if (!live || m.id !== id) return;
    switch (m.type) {
      case 'start':
      case 'chunk':
        receiver.take(m);
        if (m.type === 'chunk' && cb.early && !stopEarly) stopEarly = runSliced(cb.early(receiver.scenarioSoFar()), () => live, () => {});
        cb.onProgress(m.type === 'start' ? 0 : m.done, receiver.total);
        return;
      case 'done': {
        const tl = receiver.take(m)!;
        stopEarly?.();
        finish();
        handing = true;
        // On screen first; then its snapshots are revived in slices, so that jumps later find them ready.
        const revive = receiver.revival();
        stopHanding = deliver(tl, tl.scenario, cb, () => handing, () => reviveInSlices(revive, tl, cb.shown));
        return;
      }
      case 'error':
        finish();
        cb.onError(m.message);
        return;
    }
  };
  // The worker script failed to load or threw outside a build: build here instead.
  const onError = (e: ErrorEvent) => {
    e.preventDefault?.();
    if (!live) return;
    finish();
    workerBroken = true;
    killWorker();
    const job = sliced(input, cb);
    cancelFallback = job.cancel;
  };
  let cancelFallback: (() => void) | null = null;
  let handing = false;
  let stopHanding = () => {};
  w.addEventListener('message', onMessage);
  w.addEventListener('error', onError);
  const packed = input.scenario ? packScenario(input.scenario) : null;
  const req: BuildRequest = { type: 'build', id, rules: input.rules, ...(packed ? { packed: packed.packed } : input.text !== undefined ? { text: input.text } : { json: input.json }) };
  w.postMessage(req, packed?.transfer ?? []);
  return {
    cancel: () => {
      cancelFallback?.();
      stopEarly?.();
      handing = false;
      stopHanding();
      if (!live) return;
      finish();
      killWorker();
    },
  };
}

/** The fallback: the same builder, run in slices between tasks (runSliced). */
function sliced(input: BuildInput, cb: BuildCallbacks): BuildJob {
  let live = true;
  let stop = () => {};
  const start = setTimeout(() => {
    if (!live) return;
    let scenario = input.scenario;
    if (!scenario) {
      const parsed = parseScenario(input.json);
      if (!parsed.ok) {
        live = false;
        return cb.onError(formatScenarioError(parsed.error));
      }
      scenario = parsed.scenario;
    }
    const s = scenario;
    const b = new TimelineBuilder(s, input.rules);
    cb.onProgress(0, b.total);
    function* steps(): Generator<void, void, void> {
      while (!b.finished) {
        b.advance(4);
        if (b.done % 64 === 0) cb.onProgress(b.done, b.total);
        yield;
      }
    }
    stop = runSliced(steps(), () => live, () => {
      cb.onProgress(b.done, b.total);
      stop = deliver(b.timeline(), s, cb, () => live);
    });
  }, 0);
  return {
    cancel: () => {
      live = false;
      clearTimeout(start);
      stop();
    },
  };
}
