/**
 * Issue 17's core and CLI figures on the 100,000-step scenario
 * (bench/scenario100k.ts), for `npm run bench -- --core`. These are targets,
 * not tests: nothing here fails a build.
 *
 * Every measurement that may run out of memory or time runs in a child
 * process (`node --max-old-space-size=4096 --expose-gc --import tsx
 * bench/core100k.ts --child KIND STEPS`) with a wall-clock timeout, so an
 * out-of-memory crash or a timeout is recorded as `null` plus an `error`
 * key instead of ending the bench. A child prints one JSON object per line
 * as each figure is ready (so figures measured before a crash are kept) and
 * its replay progress on stderr.
 *
 * Keys (issue 17's names and targets):
 * - core.replay100k.stepsPerSecond (>= 1,000,000, events off): one machine
 *   run forward with tracing off, no snapshots (CORE.replayNoEvents).
 * - core.replay100k.merged.stepsPerSecond / core.replay100k.linux61.stepsPerSecond:
 *   the same replay under the rule sets `merged` and `linux-6.1`.
 * - core.replay100k.withEvents.stepsPerSecond: one machine run forward with
 *   tracing on, every step's events built (CORE.replayWithEvents); its floor
 *   ratio is core.replay100k.withEvents.floorRatio.
 * - core.timeline100k.stepsPerSecond (not an issue key): building what the
 *   app builds, a Timeline (CORE.timeline); the heap and seek figures are
 *   taken on it.
 * - core.floorRatio (<= 20): the events-off replay's time per step over the
 *   floor loop's (see `floorLoop`), both in the same child.
 * - core.seek100k.medianMs / p95Ms (< 5): `stateAt(n)` at 200 seeded
 *   random n; core.stepEvents.p95Ms (< 1): rebuilding one step's events.
 * - core.heap100kMB (<= 200): heapUsed after a GC with the 100k timeline
 *   alive (the scenario's own objects included: core.heap100k.beforeReplayMB);
 *   core.heap100k.arrayBuffersMB: the ArrayBuffer memory then, which
 *   heapUsed leaves out (the chunk values; .arrayBuffersBeforeReplayMB before);
 *   core.replay1M.stepsPerSecond and core.heap1MMB (<= 1,000).
 * - cli.trace100k.wallMs (<= 1,500) / cli.trace100k.peakMB (<= 400):
 *   `npm run --silent trace -- FILE --no-events` end to end.
 * - core.stepLoop100k.*: not an issue key; the step engine alone (one
 *   machine, applyStep over every step, results dropped, no snapshots), to
 *   tell the engine's speed from the timeline's storage.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { applyStep, createMachine, sim_advance, sim_runStep, Timeline } from '../src/core/index.ts';
import type { RuleSetName, Scenario, Step } from '../src/core/scenario.ts';
import { PARSER_LIMITS } from '../src/scenarios/limits.ts';
import { checkAgainstParser, generateScenario100k, mulberry32 } from './scenario100k.ts';

const HEAP_MB = 4096;
const TIMEOUT_S = 120;
const SEEKS = 200;

/**
 * The one place that knows today's core API; other work is rewriting the
 * core, so rewire these when its API changes.
 */
const CORE = {
  /**
   * What the app builds: a Timeline (steps run with tracing off; each step's
   * outcome fields and shadow-page count kept, a snapshot every
   * SNAPSHOT_EVERY steps; events rebuilt when read).
   */
  timeline(s: Scenario): Timeline {
    return new Timeline(s, 'seed');
  },
  /**
   * The replay with events on: one machine, tracing on, every step's events
   * built (what `trace` without --no-events runs, minus writing them out).
   */
  replayWithEvents(s: Scenario): unknown {
    const { machine } = createMachine(s, 'seed');
    s.steps.forEach((step, i) => sim_runStep(machine, i, step));
    return machine;
  },
  /**
   * The replay with events off: one machine run forward with tracing off, no
   * snapshots, each step's outcome dropped (what `trace --no-events` runs,
   * minus writing the outcome fields). The engine's entry a Timeline's build
   * and replays and that trace run, sim_advance: the step's outcome in the
   * one record every step writes, no result object (sim_runStep makes one,
   * applyStep adds the hex strings a trace prints). Returns the final machine.
   */
  replayNoEvents(s: Scenario, rules: RuleSetName = 'seed'): unknown {
    const { machine } = createMachine(s, rules, { tracing: false });
    s.steps.forEach((step, i) => sim_advance(machine, i, step));
    return machine;
  },
  seek(tl: Timeline, n: number): unknown {
    return tl.stateAt(n);
  },
  /** One step's events rebuilt (Timeline.eventsOf: the state before step n, then step n run again with tracing on). */
  stepEvents(tl: Timeline, n: number): number {
    return tl.eventsOf(n).length;
  },
};

// ---------------------------------------------------------------- the floor

interface FloorPlan {
  /** Per step: 2 guest word indexes and 2 shadow word indexes (each spte is 2 words: +0, +1). */
  readonly g: Uint32Array;
  readonly s: Uint32Array;
  readonly guest: Uint32Array;
  readonly shadow: Uint32Array;
}

/**
 * Prepares the floor loop's arrays from the scenario alone (never from the
 * core, so the floor does not move when the core changes). Untimed.
 *
 * Guest side: the table frames of `scenario.memory` copied into one
 * Uint32Array (1024 words a frame). For each step, the 2 words a 32-bit walk
 * of its gva reads under the CR3 of the time: the PDE (cr3 frame, gva >>> 22)
 * and the PTE (the PDE's frame, (gva >>> 12) & 1023). Writes that land in a
 * table frame (the guest's page-table edits) update the copy, so later walks
 * read the edited entries. Steps that are not accesses (cr3, invlpg), a
 * non-present PDE or a frame outside the tables use index 0 of a spare zero
 * frame: every step does the same reads.
 * Shadow side: one zeroed 1024-word region per shadow page KVM keeps for a
 * 32-bit guest: a level-2 page per (cr3, gva >>> 30) (a quarter of the PD)
 * and a level-1 page per (guest PT, (gva >>> 21) & 1) (half of the PT). Per
 * step the 2 sptes the lookup reads: level 2 at (gva >>> 21) & 511 and
 * level 1 at (gva >>> 12) & 511, 2 words each.
 */
function planFloor(sc: Scenario): FloorPlan {
  const slot = new Map<number, number>();
  sc.memory.forEach((f, i) => slot.set(f.gpa, i));
  const spare = sc.memory.length;
  const guest = new Uint32Array((sc.memory.length + 1) * 1024);
  sc.memory.forEach((f, i) => {
    for (const [k, v] of f.entries) guest[i * 1024 + k] = v.lo;
  });
  const shadowSlot = new Map<string, number>();
  const sp = (key: string): number => {
    let v = shadowSlot.get(key);
    if (v === undefined) shadowSlot.set(key, (v = shadowSlot.size + 1));
    return v;
  };
  const n = sc.steps.length;
  const g = new Uint32Array(n * 2).fill(spare * 1024);
  const s = new Uint32Array(n * 2);
  let cr3 = sc.guest.cr3;
  sc.steps.forEach((st: Step, i) => {
    if (st.op === 'cr3') cr3 = st.value;
    if (st.op !== 'read' && st.op !== 'write' && st.op !== 'fetch') return;
    const gva = st.gva;
    const pd = slot.get(cr3 - (cr3 % 4096));
    if (pd === undefined) return;
    const pdeAt = pd * 1024 + (gva >>> 22);
    g[2 * i] = pdeAt;
    const pde = guest[pdeAt]!;
    s[2 * i] = sp(`2:${cr3}:${gva >>> 30}`) * 1024 + ((gva >>> 21) & 511) * 2;
    if (!(pde & 1)) return;
    const ptGpa = pde - (pde % 4096);
    const pt = slot.get(ptGpa);
    if (pt === undefined) return;
    const pteAt = pt * 1024 + ((gva >>> 12) & 1023);
    g[2 * i + 1] = pteAt;
    s[2 * i + 1] = sp(`1:${ptGpa}:${(gva >>> 21) & 1}`) * 1024 + ((gva >>> 12) & 511) * 2;
    const pte = guest[pteAt]!;
    if (st.op === 'write' && pte & 1 && st.value) {
      const gpa = pte - (pte % 4096) + (gva % 4096);
      const target = slot.get(gpa - (gpa % 4096));
      if (target !== undefined) guest[target * 1024 + (gpa % 4096) / 4] = st.value.lo;
    }
  });
  return { g, s, guest, shadow: new Uint32Array((shadowSlot.size + 1) * 1024) };
}

/**
 * The floor: a bare loop doing, per step, the reads a replay cannot avoid:
 * the 2 guest table words of the walk and the 2 sptes (4 words) of the
 * shadow lookup, at indexes prepared by planFloor. The words are XORed into
 * a checksum that is returned, so the reads are not optimized away.
 */
function floorLoop(p: FloorPlan, n: number): number {
  const { g, s, guest, shadow } = p;
  let x = 0;
  for (let i = 0; i < n; i++) {
    const a = s[2 * i]!;
    const b = s[2 * i + 1]!;
    x ^= guest[g[2 * i]!]! ^ guest[g[2 * i + 1]!]! ^ shadow[a]! ^ shadow[a + 1]! ^ shadow[b]! ^ shadow[b + 1]!;
  }
  return x;
}

/** Median time of the floor loop over `passes` passes after a warm-up, in ms. */
function timeFloor(p: FloorPlan, n: number, passes = 31): number {
  let sink = 0;
  // Warm up by iterations, not passes, so a short scenario's loop is optimized too.
  for (let k = 0; k < Math.max(5, Math.ceil(1e6 / n)); k++) sink ^= floorLoop(p, n);
  const t: number[] = [];
  for (let k = 0; k < passes; k++) {
    const t0 = performance.now();
    sink ^= floorLoop(p, n);
    t.push(performance.now() - t0);
  }
  if (sink === 0x7fffffff) process.stderr.write('');
  return quantile(t, 0.5);
}

function quantile(a: number[], q: number): number {
  const s = [...a].sort((x, y) => x - y);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  return s[lo]! + (s[Math.min(lo + 1, s.length - 1)]! - s[lo]!) * (pos - lo);
}

// ---------------------------------------------------------------- children

const emit = (o: Record<string, unknown>): void => {
  writeSync(1, `${JSON.stringify(o)}\n`);
};
const progress = (i: number): void => {
  writeSync(2, `progress ${i}\n`);
};

/**
 * A step list that reports replay progress on stderr every 4,096 steps, so a
 * crash can say how far the replay got. It hooks forEach and iteration (what
 * Timeline uses today); a core that indexes the array reports nothing.
 */
function withProgress(steps: readonly Step[]): Step[] {
  class ProgressSteps extends Array<Step> {
    override forEach(cb: (v: Step, i: number, a: Step[]) => void, thisArg?: unknown): void {
      for (let i = 0; i < this.length; i++) {
        if ((i & 4095) === 0) progress(i);
        cb.call(thisArg, this[i]!, i, this);
      }
    }
    override *[Symbol.iterator](): ArrayIterator<Step> {
      for (let i = 0; i < this.length; i++) {
        if ((i & 4095) === 0) progress(i);
        yield this[i]!;
      }
      return undefined;
    }
  }
  const out = new ProgressSteps();
  for (const s of steps) Array.prototype.push.call(out, s);
  return out;
}

const mb = (bytes: number): number => Math.round((bytes / 2 ** 20) * 10) / 10;
const heapAfterGc = (): number => {
  (globalThis as { gc?: () => void }).gc?.();
  (globalThis as { gc?: () => void }).gc?.();
  return mb(process.memoryUsage().heapUsed);
};
/**
 * ArrayBuffer memory (read right after heapAfterGc): outside heapUsed. The
 * values of the timeline's CowArray chunks live there (slabs cut into
 * chunks), so a timeline's whole memory is its heapUsed plus this.
 */
const arrayBuffersMB = (): number => mb(process.memoryUsage().arrayBuffers);
const r3 = (v: number): number => Math.round(v * 1000) / 1000;

function childTimeline(n: number, timeTravel: boolean): void {
  const g = generateScenario100k(n);
  const sc = { ...g.scenario, steps: withProgress(g.scenario.steps) };
  const plan = planFloor(g.scenario);
  const floorMs = timeFloor(plan, n);
  emit({ floorMs: r3(floorMs), floorNsPerStep: r3((floorMs * 1e6) / n) });
  // The scenario's own objects are on the heap from here on; heapMB includes them.
  emit({ heapBeforeMB: heapAfterGc(), arrayBuffersBeforeMB: arrayBuffersMB() });
  const times: number[] = [];
  let tl: Timeline | null = null;
  // One replay when it is slow; a fast one (under a second) is repeated and the median taken.
  for (let k = 0; k < 5 && (k === 0 || times[0]! < 1000); k++) {
    // Drop the previous timeline before the next replay, so two never coexist on the heap.
    // eslint-disable-next-line no-useless-assignment
    tl = null;
    if (k > 0) heapAfterGc();
    const t0 = performance.now();
    tl = CORE.timeline(sc);
    times.push(performance.now() - t0);
  }
  const ms = quantile(times, 0.5);
  emit({ replayMs: Math.round(ms), replays: times.length, stepsPerSecond: Math.round((n / ms) * 1000), floorRatio: Math.round(ms / floorMs) });
  emit({ heapMB: heapAfterGc(), arrayBuffersMB: arrayBuffersMB() });
  if (!tl) return;
  if (!timeTravel) return;
  const rnd = mulberry32(1717);
  const seek: number[] = [];
  for (let k = 0; k < SEEKS; k++) {
    const at = Math.floor(rnd() * (n + 1));
    const t = performance.now();
    CORE.seek(tl, at);
    seek.push(performance.now() - t);
  }
  emit({ seekMedianMs: r3(quantile(seek, 0.5)), seekP95Ms: r3(quantile(seek, 0.95)), seeks: SEEKS });
  const ev: number[] = [];
  for (let k = 0; k < SEEKS; k++) {
    const at = Math.floor(rnd() * n);
    const t = performance.now();
    CORE.stepEvents(tl, at);
    ev.push(performance.now() - t);
  }
  emit({ stepEventsMedianMs: r3(quantile(ev, 0.5)), stepEventsP95Ms: r3(quantile(ev, 0.95)) });
}

/**
 * core.replay100k.stepsPerSecond: CORE.replayNoEvents (or with `events`,
 * CORE.replayWithEvents), the median of up to 5 runs (repeated while a run
 * takes under a second), with its floor ratio.
 */
function childReplayOneMachine(n: number, events: boolean, rules: RuleSetName = 'seed'): void {
  const g = generateScenario100k(n);
  const sc = { ...g.scenario, steps: withProgress(g.scenario.steps) };
  const plan = planFloor(g.scenario);
  const floorMs = timeFloor(plan, n);
  emit({ floorMs: r3(floorMs), floorNsPerStep: r3((floorMs * 1e6) / n) });
  const times: number[] = [];
  for (let k = 0; k < 5 && (k === 0 || times[0]! < 1000); k++) {
    if (k > 0) heapAfterGc();
    const t0 = performance.now();
    if (events) CORE.replayWithEvents(sc);
    else CORE.replayNoEvents(sc, rules);
    times.push(performance.now() - t0);
  }
  const ms = quantile(times, 0.5);
  emit({ replayMs: Math.round(ms), replays: times.length, stepsPerSecond: Math.round((n / ms) * 1000), floorRatio: Math.round(ms / floorMs) });
}

/** The step engine alone: one machine, every step applied, results dropped. */
function childStepLoop(n: number): void {
  const g = generateScenario100k(n);
  const plan = planFloor(g.scenario);
  const floorMs = timeFloor(plan, n);
  const { machine } = createMachine(g.scenario, 'seed');
  const mix: Record<string, number> = {};
  const t0 = performance.now();
  g.scenario.steps.forEach((s, i) => {
    const r = applyStep(machine, i, s);
    mix[r.outcome] = (mix[r.outcome] ?? 0) + 1;
  });
  const ms = performance.now() - t0;
  emit({
    stepsPerSecond: Math.round((n / ms) * 1000),
    floorRatio: Math.round(ms / floorMs),
    mix: Object.fromEntries(Object.entries(mix).map(([k, v]) => [k, Math.round((1000 * v) / n) / 10])),
  });
}

// ---------------------------------------------------------------- parent

interface ChildRun {
  readonly lines: Array<Record<string, unknown>>;
  /** null when the child finished; else what went wrong, in words. */
  readonly error: string | null;
  /** The last replay progress the child reported (-1: none). */
  readonly reached: number;
}

function runChild(kind: string, n: number, timeoutS = TIMEOUT_S): Promise<ChildRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [`--max-old-space-size=${HEAP_MB}`, '--expose-gc', '--import', 'tsx', 'bench/core100k.ts', '--child', kind, String(n)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let last = -1;
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      err += d;
      for (const m of d.matchAll(/progress (\d+)/g)) last = Number(m[1]);
      if (err.length > 1e6) err = err.slice(-1e5);
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutS * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const lines = out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      const at = last >= 0 ? ` after ~${last.toLocaleString('en-US')} steps` : '';
      let error: string | null = null;
      if (timedOut) error = `timed out after ${timeoutS} s${last >= 0 ? ` (~${last.toLocaleString('en-US')} steps replayed)` : ''}`;
      else if (/heap out of memory|Reached heap limit/i.test(err)) error = `out of memory (${HEAP_MB / 1024} GB heap)${at}`;
      else if (code !== 0) error = `the child exited with ${signal ?? `status ${code}`}${at}: ${err.split('\n').filter((l) => l && !l.startsWith('progress')).slice(-3).join(' / ')}`;
      resolve({ lines, error, reached: last });
    });
  });
}

const field = (run: ChildRun, key: string): unknown => run.lines.find((l) => key in l)?.[key];

/** Wall time and peak RSS of `npm run --silent trace -- FILE --no-events`. */
function runCli(file: string): { wallMs: number; peakMB: number | null; code: number | null; stderr: string } {
  const args = ['run', '--silent', 'trace', '--', file, '--no-events'];
  const hasTime = existsSync('/usr/bin/time');
  const t0 = performance.now();
  const r = hasTime
    ? spawnSync('/usr/bin/time', ['-v', 'npm', ...args], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 26, timeout: TIMEOUT_S * 1000 })
    : spawnSync('npm', args, { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 26, timeout: TIMEOUT_S * 1000 });
  const wallMs = Math.round(performance.now() - t0);
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr ?? '');
  // GNU time exits with the command's status, so r.status is the CLI's.
  const stderr = (r.stderr ?? '').split('\n').filter((l) => l && !/^\t|Command (exited|being timed)/.test(l)).join(' ').trim();
  return { wallMs, peakMB: rss ? Math.round(Number(rss[1]) / 1024) : null, code: r.status, stderr };
}

/**
 * `N` and `BIG` are parameters only so the bench's own paths can be tried on
 * small scenarios (`smoke`); the keys are named for 100k and 1M.
 */
export async function benchCore100k(N = 100_000, BIG = 1_000_000, timeoutS = TIMEOUT_S): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const gen = generateScenario100k(N);
  checkAgainstParser(gen);
  out['core.scenario100k.steps'] = N;
  out['core.scenario100k.processes'] = gen.shape.processes;
  out['core.scenario100k.tableFrames'] = gen.shape.tableFrames;
  out['core.scenario100k.presentEntries'] = gen.shape.presentEntries;
  const checked = Math.min(N, PARSER_LIMITS.maxFileSteps);
  out['core.scenario100k.note'] = `the core benchmarks run the Scenario built directly; the parser builds the same from the file (checked on ${checked === N ? 'all' : `the first ${checked} of`} its steps)`;

  const loop = await runChild('steploop', N, timeoutS);
  out['core.stepLoop100k.stepsPerSecond'] = field(loop, 'stepsPerSecond') ?? null;
  out['core.stepLoop100k.floorRatio'] = field(loop, 'floorRatio') ?? null;
  if (loop.error) out['core.stepLoop100k.error'] = loop.error;
  const mix = field(loop, 'mix') as Record<string, number> | undefined;
  // The core's step outcomes ('done': cr3 and invlpg steps), in per cent of the 100k steps.
  const outcomes = { hit: 'hitPct', 'shadow-fault': 'shadowFaultPct', emulated: 'emulatedPct', 'guest-fault': 'guestFaultPct', done: 'donePct' };
  for (const [k, name] of Object.entries(outcomes)) out[`core.scenario100k.mix.${name}`] = mix ? (mix[k] ?? 0) : null;

  // The Timeline the app builds gives the heap, seek and step-events figures.
  const replay = await runChild('timeline', N, timeoutS);
  out['core.timeline100k.stepsPerSecond'] = field(replay, 'stepsPerSecond') ?? null;
  out['core.timeline100k.floorRatio'] = field(replay, 'floorRatio') ?? null;
  if (replay.error) out['core.timeline100k.error'] = replay.error;
  // Events on: one machine building every step's events.
  const withEvents = await runChild('replay-events', N, timeoutS);
  out['core.replay100k.withEvents.stepsPerSecond'] = field(withEvents, 'stepsPerSecond') ?? null;
  out['core.replay100k.withEvents.floorRatio'] = field(withEvents, 'floorRatio') ?? null;
  if (withEvents.error) out['core.replay100k.withEvents.error'] = withEvents.error;
  // Events off: the issue's headline replay, and the one core.floorRatio is about.
  const off = await runChild('replay-off', N, timeoutS);
  out['core.replay100k.stepsPerSecond'] = field(off, 'stepsPerSecond') ?? null;
  out['core.floorRatio'] = field(off, 'floorRatio') ?? null;
  out['core.floorNsPerStep'] = field(off, 'floorNsPerStep') ?? null;
  if (off.error) out['core.replay100k.error'] = off.error;
  // The same replay under the 5.15.y series as merged and under Linux 6.1
  // (its changes are bit tests on the hot path: the two should be alike).
  for (const [rules, key] of [['merged', 'merged'], ['linux-6.1', 'linux61']] as const) {
    const r = await runChild(`replay-off-${rules}`, N, timeoutS);
    out[`core.replay100k.${key}.stepsPerSecond`] = field(r, 'stepsPerSecond') ?? null;
    if (r.error) out[`core.replay100k.${key}.error`] = r.error;
  }
  if (out['core.floorRatio'] === null) out['core.floorRatio.error'] = off.error ?? 'no replay figure';
  out['core.heap100kMB'] = field(replay, 'heapMB') ?? null;
  // Of which the generated scenario itself (heap after a GC before the replay).
  out['core.heap100k.beforeReplayMB'] = field(replay, 'heapBeforeMB') ?? null;
  // Not counted in heapUsed: the chunk values in ArrayBuffers, with the timeline alive and before the replay.
  out['core.heap100k.arrayBuffersMB'] = field(replay, 'arrayBuffersMB') ?? null;
  out['core.heap100k.arrayBuffersBeforeReplayMB'] = field(replay, 'arrayBuffersBeforeMB') ?? null;
  if (out['core.heap100kMB'] === null) out['core.heap100kMB.error'] = replay.error ?? 'not measured';

  // Seek on the 100k timeline, or on the largest that fits.
  let seekRun = replay;
  let seekSteps = N;
  if (field(replay, 'seekMedianMs') === undefined) {
    // Sizes well under where the 100k replay stopped (a second out-of-memory run costs minutes).
    const fits = [N / 2, N / 5, N / 10].filter((m) => replay.reached < 0 || m <= replay.reached * 0.8);
    for (const m of fits.length ? fits : [N / 10]) {
      seekSteps = m;
      seekRun = await runChild('timeline', m, timeoutS);
      if (field(seekRun, 'seekMedianMs') !== undefined) break;
    }
  }
  out['core.seek100k.timelineSteps'] = field(seekRun, 'seekMedianMs') !== undefined ? seekSteps : null;
  out['core.seek100k.medianMs'] = field(seekRun, 'seekMedianMs') ?? null;
  out['core.seek100k.p95Ms'] = field(seekRun, 'seekP95Ms') ?? null;
  out['core.stepEvents.p95Ms'] = field(seekRun, 'stepEventsP95Ms') ?? null;
  out['core.stepEvents.medianMs'] = field(seekRun, 'stepEventsMedianMs') ?? null;
  const seekHeap = field(seekRun, 'heapMB');
  // Not an issue key: heap per 1,000 steps of a timeline (issue 17 measured ~90 MB), on the seek timeline.
  out['core.heapPer1kStepsMB'] = typeof seekHeap === 'number' ? Math.round((seekHeap / seekSteps) * 1000 * 10) / 10 : null;
  if (seekSteps !== N) {
    // Not issue keys: the full replay on the largest timeline that fitted, so today's figure is on record.
    out['core.replayFallback.steps'] = seekSteps;
    out['core.replayFallback.stepsPerSecond'] = field(seekRun, 'stepsPerSecond') ?? null;
    out['core.replayFallback.floorRatio'] = field(seekRun, 'floorRatio') ?? null;
    out['core.replayFallback.heapMB'] = seekHeap ?? null;
  }
  if (seekSteps !== N) out['core.seek100k.note'] = `the 100k timeline did not fit (${replay.error ?? 'no figure'}); measured on a ${seekSteps.toLocaleString('en-US')}-step timeline`;
  if (seekRun.error && field(seekRun, 'seekMedianMs') === undefined) out['core.seek100k.error'] = seekRun.error;

  if (field(replay, 'heapMB') !== undefined && !replay.error) {
    const big = await runChild('timeline-1m', BIG, timeoutS);
    out['core.replay1M.stepsPerSecond'] = field(big, 'stepsPerSecond') ?? null;
    out['core.heap1MMB'] = field(big, 'heapMB') ?? null;
    out['core.heap1M.arrayBuffersMB'] = field(big, 'arrayBuffersMB') ?? null;
    out['core.heap1M.beforeReplayMB'] = field(big, 'heapBeforeMB') ?? null;
    out['core.heap1M.arrayBuffersBeforeReplayMB'] = field(big, 'arrayBuffersBeforeMB') ?? null;
    if (big.error) out['core.replay1M.error'] = big.error;
  } else {
    out['core.replay1M.stepsPerSecond'] = null;
    out['core.heap1MMB'] = null;
    out['core.replay1M.error'] = `not attempted: the 100k replay did not complete (${replay.error ?? 'no figure'})`;
  }

  // The CLI on files: 100k, and 10k (where issue 17 measured 2.1 s and 557 MB).
  const dir = mkdtempSync(join(tmpdir(), 'bench100k-'));
  try {
    for (const [key, n] of [
      ['trace100k', N],
      ['trace10k', 10_000],
    ] as const) {
      const file = join(dir, `${key}.json`);
      writeFileSync(file, `${JSON.stringify(n === N ? gen.toJson() : generateScenario100k(n).toJson())}\n`);
      const r = runCli(file);
      if (r.code === 0) {
        out[`cli.${key}.wallMs`] = r.wallMs;
        out[`cli.${key}.peakMB`] = r.peakMB;
      } else {
        out[`cli.${key}.wallMs`] = null;
        out[`cli.${key}.peakMB`] = null;
        const what = /heap out of memory|Reached heap limit/i.test(r.stderr)
          ? 'out of memory (Node\'s default heap)'
          : r.code === null
            ? `timed out after ${TIMEOUT_S} s`
            : `exit ${r.code}: ${r.stderr.slice(0, 300)}`;
        out[`cli.${key}.error`] = `${what}, after ${r.wallMs} ms, peak ${r.peakMB ?? '?'} MB`;
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

if (process.argv[2] === '--child') {
  const kind = process.argv[3];
  const n = Number(process.argv[4]);
  if (kind === 'steploop') childStepLoop(n);
  else if (kind === 'timeline') childTimeline(n, true);
  else if (kind === 'replay-events') childReplayOneMachine(n, true);
  else if (kind === 'replay-off') childReplayOneMachine(n, false);
  else if (kind === 'replay-off-merged') childReplayOneMachine(n, false, 'merged');
  else if (kind === 'replay-off-linux-6.1') childReplayOneMachine(n, false, 'linux-6.1');
  else if (kind === 'timeline-1m') childTimeline(n, false);
  else throw new Error(`core100k: unknown child ${kind}`);
} else if (import.meta.url === `file://${process.argv[1]}`) {
  // `npx tsx bench/core100k.ts [--smoke]` prints the figures (results.json is written by `npm run bench`).
  const smoke = process.argv.includes('--smoke');
  console.log(JSON.stringify(await (smoke ? benchCore100k(2000, 6000, 5) : benchCore100k()), null, 2));
}
