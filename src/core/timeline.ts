/**
 * Running a scenario, and time travel.
 *
 * Decision: snapshots plus replay. The machine is mutable inside a step
 * (cheap, and the kernel's algorithms read naturally that way); a copy is
 * kept every `snapshotEvery` steps, and `stateAt(n)` copies the nearest
 * snapshot at or before n and replays at most snapshotEvery - 1 steps. The
 * core is deterministic, so a replayed state equals the original exactly
 * (tests compare them).
 *
 * A copy costs O(changes since the last one), not O(state): guest frames, the
 * rmap, the page hash and the tracking counts are persistent maps (pmap.ts),
 * shadow page arrays and frames are copied on write 32 elements at a time
 * (cow-array.ts), and a snapshot shares the shadow pages that did not change
 * since the one before (cloneMachine's `prev`): only changed page headers
 * are copied whole. The interval grows with the run (snapshotIntervalFor)
 * so a long run keeps about 6,400 snapshots at most, chosen on the
 * 100,000-step bench: every 16 steps there, heap ~186 MB (every 32: ~153
 * MB), a seek replays 8 steps on average (seek and one step's events:
 * median ~0.15 ms, p95 ~0.6-0.8; every 32: ~0.3, p95 ~1-2); at 1,000,000
 * steps every 256, heap ~857 MB (every 512: ~758). These are for the bench's
 * 113 pages; a snapshot's share grows with the pages alive then (SpTable),
 * not with the pages ever made.
 *
 * Steps run with tracing off; their events are rebuilt when read (eventsOf).
 */
import { hex, hex64, u64 } from './bits.ts';
import { type CpuState } from './guest/cpu.ts';
import { GuestMemory } from './guest/memory.ts';
import { Host } from './host.ts';
import { ChunkPack, CowArray, type CowChunks, newOwnerToken } from './cow-array.ts';
import { type MapDelta, PMap } from './pmap.ts';
import { cloneMachine, copyList, copyPteList, discardEvents, type Machine, newKvmStats, newListMap, newRmap, newVcpuStats, type PteList, sameShadowPage, type ShadowPage, SpTable } from './machine.ts';
import { KVM_MIN_ALLOC_MMU_PAGES, KVM_PERMILLE_MMU_PAGES } from './mmu/constants.ts';
import { ShadowWalk } from './mmu/iterator.ts';
import { unpackRole } from './mmu/role.ts';
import { type Linux61ChangeId, linux61Changes } from './mmu/rules.ts';
import type { RuleSetName, Scenario } from './scenario.ts';
import { type RawStepResult, sim_advance, sim_runStep, type sim_StepOutcome, type StepResult, vcpuEnterGuest } from './step.ts';
import type { TraceEvent } from './trace.ts';

/** The smallest snapshot interval (runs of up to 102,400 steps). */
export const SNAPSHOT_EVERY = 16;
/** A run keeps at most about this many snapshots; the interval doubles past it. */
const MAX_SNAPSHOTS = 6400;

/** The snapshot interval for a run of `steps` steps: SNAPSHOT_EVERY, doubled until at most MAX_SNAPSHOTS snapshots. */
export function snapshotIntervalFor(steps: number): number {
  let every = SNAPSHOT_EVERY;
  while (steps / every > MAX_SNAPSHOTS) every *= 2;
  return every;
}

function initialCpu(s: Scenario): CpuState {
  const g = s.guest;
  const pg = g.mode !== 'off';
  return {
    cr0: { pg, wp: g.cr0.wp },
    cr3: g.cr3,
    cr4: { pse: g.cr4.pse, pae: g.mode === 'pae' || g.mode === 'x86-64', smep: g.cr4.smep, smap: g.cr4.smap, pcide: g.cr4.pcide ?? false },
    efer: { lme: g.mode === 'x86-64', nx: g.efer.nx },
    pdptrs: [u64(0), u64(0), u64(0), u64(0)],
    maxPhyAddr: g.maxPhyAddr,
  };
}

type MachineOptions = { readonly tracing?: boolean; readonly linux61Off?: readonly Linux61ChangeId[]; readonly linux61Fired?: number[] };

/**
 * The machine as the scenario describes it, after the first VM entry
 * (KVM_SET_SREGS loads the PDPTEs, kvm_mmu_load builds the roots). The events
 * of that first entry are returned with it (none with `tracing: false`, and the
 * machine then runs its steps with tracing off too).
 */
/**
 * How many steps a long run goes between two calls of its `progress`
 * (compareRuleSets, sim_traceJsonText): a worker running 1,000,000 steps
 * reports them to the page.
 */
export const sim_PROGRESS_STEPS = 1024;

export function createMachine(s: Scenario, rules: RuleSetName, opts: MachineOptions = {}): { machine: Machine; events: TraceEvent[] } {
  sim_anchorShapes();
  return buildMachine(s, rules, opts);
}

/**
 * A tiny machine, a copy of it and the copy handed over as data, kept for as
 * long as this module lives, never read or written (the kernel has no such
 * thing: a JavaScript engine matter). Why: V8 gives each object a hidden
 * class (a "map"); optimized code is specialized to the maps it saw and holds
 * them weakly. The maps of class instances (CowArray, PMap, GuestMemory,
 * Host, and ShadowWalk, made and dropped by every fault) and of the objects a
 * machine makes once (its CPU state, its stats) live only while some object
 * has them. When the last machine of a run was collected, they went, V8
 * threw away (deoptimized, "weak objects") ~90 of the engine's optimized
 * functions, and the next machine got new maps: on the 100k bench every
 * replay after the first started from cold code (~300 ms a replay that runs
 * in ~190 ms warm), and in the app so did the build of the next scenario
 * opened after the last one's timeline was dropped (and a full GC between
 * two faults cost the fault path its code). These few objects keep one of
 * each alive, so compiled code survives its machines
 * (tests/shape-anchor.test.ts counts the functions V8 throws away). Made by
 * the first createMachine in a thread (the page makes one for any scenario
 * it opens, the worker for each build).
 */
let sim_shapeAnchor: readonly unknown[] | null = null;
const SIM_ANCHOR_SCENARIO: Scenario = {
  title: 'shape anchor',
  guest: { mode: 'x86-32', cr3: 0x1000, cr0: { wp: true }, cr4: { pse: true, smep: false, smap: false }, efer: { nx: false }, maxPhyAddr: 40 },
  host: { hugePages: false, memslotFrames: 0x100 },
  memory: [{ gpa: 0x1000, entrySize: 4, entries: [[0, u64(0x2027)]] }],
  steps: [],
};
function sim_anchorShapes(): void {
  if (sim_shapeAnchor !== null) return;
  const m = buildMachine(SIM_ANCHOR_SCENARIO, 'seed', { tracing: false }).machine;
  const copy = cloneMachine(m);
  sim_shapeAnchor = [m, copy, machineFromData(machineData(copy), m.host), new ShadowWalk(m, 0, m.mmu.root)];
}

function buildMachine(s: Scenario, rules: RuleSetName, opts: MachineOptions): { machine: Machine; events: TraceEvent[] } {
  const mem = new GuestMemory();
  for (const f of s.memory) {
    for (const [i, v] of f.entries) mem.write(f.gpa + i * f.entrySize, f.entrySize, v);
  }
  const cpu = initialCpu(s);
  if (s.guest.mode === 'pae') {
    const base = cpu.cr3 - (cpu.cr3 % 32);
    for (let i = 0; i < 4; i++) cpu.pdptrs[i] = mem.readEntry(base + i * 8, 8);
  }
  const events: TraceEvent[] = [];
  const m: Machine = {
    rules,
    linux61: linux61Changes(rules, opts.linux61Off),
    linux61Fired: opts.linux61Fired ?? null,
    cpu,
    mem,
    host: new Host(s.host),
    sps: new SpTable(),
    nextSpId: 0,
    hash: newListMap(),
    activeList: [],
    nUsedMmuPages: 0,
    // kvm_mmu_calculate_default_mmu_pages(): 20 per mille of guest pages, at least 64.
    nMaxMmuPages: Math.max(Math.floor((s.host.memslotFrames * KVM_PERMILLE_MMU_PAGES) / 1000), KVM_MIN_ALLOC_MMU_PAGES),
    indirectShadowPages: 0,
    rmap: newRmap(),
    writeTrack: new PMap(),
    lpageDisallow: new PMap(),
    invalidList: [],
    mmu: { root: null, paeRoot: [null, null, null, null], rootPgd: 0, prevRoots: [0, 1, 2].map(() => ({ pgd: 0, root: null })), requests: 0 },
    stats: newKvmStats(),
    vcpuStats: newVcpuStats(),
    owned: null,
    sim_owner: newOwnerToken(),
    stepIndex: -1,
    bugs: [],
    tracing: opts.tracing ?? true,
    emit: (e) => {
      events.push(e);
    },
    sim_syncMemo: new Map(),
  };
  vcpuEnterGuest(m);
  m.emit = discardEvents;
  return { machine: m, events };
}

/** A step's result as plain data (a timeline's parts): everything but the events, the address and value as numbers. */
export type StepSummary = Omit<RawStepResult, 'events'>;

/** What a finished build holds; the Timeline is a read-only view of it. */
export interface Built {
  readonly initialEvents: readonly TraceEvent[];
  /** Every step's outcome fields, in columns (rows 0..steps - 1; a builder's may have room for more). */
  readonly summaries: sim_PackedSummaries;
  /** Shadow pages allocated (m.sps.size) after k steps, for k = 0..steps. */
  readonly pageCounts: readonly number[];
  readonly snapshots: SnapshotList;
  /** The state after the last step, or how to get it when first asked (a SnapshotChain's final). */
  readonly final: Machine | (() => Machine);
  readonly snapshotEvery: number;
}

/** A timeline's snapshots: an array of them, or a SnapshotChain that revives them when read. Read with 0 <= k < length only (an array's at(-1) is its last). */
export interface SnapshotList {
  readonly length: number;
  at(k: number): Machine | undefined;
}

/**
 * The class of one timeline's step results: a row of its summary columns,
 * the address and value formatted when read, and `events` asked of the
 * timeline (rebuilt by Timeline.eventsOf). Made when a step is read
 * (Timeline.result), not kept: a timeline holds no object per step (100,000
 * records were ~200,000 long-lived objects that the garbage collector copied
 * while a 100k scenario opened, on the page and in the CLI). A class per
 * timeline, so a record carries no reference of its own.
 */
function recordClass(tl: Timeline, cols: sim_PackedSummaries): new (i: number) => StepResult {
  class StepRecord {
    readonly outcome: StepResult['outcome'];
    readonly vector: StepResult['vector'];
    readonly errorCode: number | undefined;
    constructor(readonly index: number) {
      this.outcome = OUTCOMES[cols.outcome[index]!]!;
      const v = cols.vector[index]!;
      this.vector = v ? (v as 13 | 14) : undefined;
      this.errorCode = v ? cols.errorCode[index] : undefined;
    }
    get gpa(): string | undefined {
      const g = cols.gpa[this.index]!;
      return this.vector !== undefined || g < 0 ? undefined : hex(g);
    }
    get value(): string | undefined {
      const i = this.index;
      return this.vector !== undefined || cols.gpa[i]! < 0 ? undefined : hex64({ lo: cols.valueLo[i]!, hi: cols.valueHi[i]! });
    }
    get events(): readonly TraceEvent[] {
      return tl.eventsOf(this.index);
    }
    /** Written out whole, events included, as applyStep returns it (JSON.stringify of a result). */
    toJSON(): StepResult {
      const { index, outcome, vector, events } = this;
      if (vector !== undefined) return { index, outcome, vector, errorCode: this.errorCode, events };
      if (this.gpa !== undefined) return { index, outcome, gpa: this.gpa, value: this.value, events };
      return { index, outcome, events };
    }
  }
  return StepRecord as unknown as new (i: number) => StepResult;
}

const OUTCOMES: readonly StepSummary['outcome'][] = ['hit', 'shadow-fault', 'guest-fault', 'emulated', 'done'];
/** The outcome each code of Timeline.sim_outcomeCodes() stands for. */
export const sim_OUTCOMES = OUTCOMES;

/**
 * Step summaries as columns of typed arrays (sim_: no kernel structure): what
 * a worker hands the page, transferred, not copied, and with no object per
 * step (100,000 summaries were ~6.6 MB of small objects to clone on both sides).
 */
export interface sim_PackedSummaries {
  /** The index of the first step. */
  readonly first: number;
  readonly outcome: Uint8Array;
  /** The injected exception's vector; 0: none. */
  readonly vector: Uint8Array;
  readonly errorCode: Uint32Array;
  /** The gpa; -1: none. */
  readonly gpa: Float64Array;
  readonly valueLo: Uint32Array;
  readonly valueHi: Uint32Array;
}

/** Packed summaries, one after another from step 0 (a worker's chunks, in order), as one set of columns. */
export function concatSummaries(parts: readonly sim_PackedSummaries[]): sim_PackedSummaries {
  const n = parts.reduce((k, p) => k + p.outcome.length, 0);
  const col = <T extends Uint8Array | Uint32Array | Float64Array>(make: new (n: number) => T, key: Exclude<keyof sim_PackedSummaries, 'first'>): T => {
    const out = new make(n);
    let at = 0;
    for (const p of parts) {
      if (p.first !== at) throw new Error(`internal: summaries from step ${p.first} where step ${at} was expected`);
      out.set(p[key] as T, at);
      at += p.outcome.length;
    }
    return out;
  };
  return { first: 0, outcome: col(Uint8Array, 'outcome'), vector: col(Uint8Array, 'vector'), errorCode: col(Uint32Array, 'errorCode'), gpa: col(Float64Array, 'gpa'), valueLo: col(Uint32Array, 'valueLo'), valueHi: col(Uint32Array, 'valueHi') };
}

/** Rows [from, to) of packed summaries (from step 0), copied (to transfer). */
function packRows(c: sim_PackedSummaries, from: number, to: number): sim_PackedSummaries {
  from = Math.min(Math.max(0, from), to);
  return {
    first: from,
    outcome: c.outcome.slice(from, to),
    vector: c.vector.slice(from, to),
    errorCode: c.errorCode.slice(from, to),
    gpa: c.gpa.slice(from, to),
    valueLo: c.valueLo.slice(from, to),
    valueHi: c.valueHi.slice(from, to),
  };
}

/**
 * Step summaries in growing columns (sim_PackedSummaries' layout, the first
 * at step 0; rows past `length` are not written yet), written as the steps
 * run: no object per step. A builder made ~100,000 records during a 100k
 * build that the garbage collector copied while young, and a worker, which
 * only packs them, needs none.
 */
class SummaryColumns implements sim_PackedSummaries {
  readonly first = 0;
  length = 0;
  outcome = new Uint8Array(1024);
  vector = new Uint8Array(1024);
  errorCode = new Uint32Array(1024);
  gpa = new Float64Array(1024).fill(-1);
  valueLo = new Uint32Array(1024);
  valueHi = new Uint32Array(1024);

  /** The next row: a step's outcome as sim_advance left it (read before the next step runs). */
  push(o: sim_StepOutcome): void {
    const i = this.length;
    if (i === this.outcome.length) this.grow();
    // A row not written yet is all zero but its gpa (-1: none): an empty row reads as no address.
    this.outcome[i] = OUTCOMES.indexOf(o.outcome);
    if (o.vector !== 0) {
      this.vector[i] = o.vector;
      this.errorCode[i] = o.errorCode;
    } else if (o.gpa >= 0) {
      this.gpa[i] = o.gpa;
      this.valueLo[i] = o.valueLo;
      this.valueHi[i] = o.valueHi;
    }
    this.length = i + 1;
  }

  private grow(): void {
    const n = this.outcome.length * 2;
    const more = <T extends Uint8Array | Uint32Array | Float64Array>(a: T, make: new (n: number) => T): T => {
      const b = new make(n);
      b.set(a);
      return b;
    };
    this.outcome = more(this.outcome, Uint8Array);
    this.vector = more(this.vector, Uint8Array);
    this.errorCode = more(this.errorCode, Uint32Array);
    this.gpa = more(this.gpa, Float64Array).fill(-1, this.gpa.length);
    this.valueLo = more(this.valueLo, Uint32Array);
    this.valueHi = more(this.valueHi, Uint32Array);
  }

  /** Summaries [from, to) of those written, packed (copies, to transfer). */
  pack(from: number, to: number): sim_PackedSummaries {
    return packRows(this, from, Math.min(to, this.length));
  }
}

/**
 * A Timeline built in slices: `advance(n)` runs up to n more steps, so a long
 * scenario can be built a little at a time (between frames, or in a worker
 * that reports progress) and handed over when `finished`. The Timeline
 * constructor runs this same builder to the end in one go, so both ways give
 * the same timeline, step for step.
 *
 * The steps run with tracing off: only the state moves, and each step's
 * outcome fields and shadow-page count are kept. A step's events are rebuilt
 * when they are read (Timeline.eventsOf); the initial VM entry's are kept.
 */
export class TimelineBuilder {
  readonly initialEvents: readonly TraceEvent[];
  /** The steps' outcomes so far (a Timeline reads its records from these columns). */
  private readonly summaries = new SummaryColumns();
  readonly pageCounts: number[];
  /**
   * Snapshot k is the state after k * snapshotEvery steps. Snapshots share
   * the page objects that did not change between them: copy one
   * (cloneMachine) before stepping on it, never step on it in place.
   * The ones not taken yet (takeSnapshots); all of them unless taken.
   */
  private snaps: Machine[] = [];
  /** Snapshots handed over by takeSnapshots (then the builder cannot make a Timeline). */
  private taken = 0;
  /** The last snapshot made (taken or not): the next is a copy against it (cloneMachine's `prev`). */
  private lastSnapshot: Machine;
  private readonly machine: Machine;

  constructor(
    readonly scenario: Scenario,
    readonly rules: RuleSetName = 'seed',
    readonly snapshotEvery: number = snapshotIntervalFor(scenario.steps.length),
  ) {
    if (!(Number.isInteger(snapshotEvery) && snapshotEvery >= 1)) throw new Error(`internal: snapshot interval ${snapshotEvery}`);
    const { machine, events } = createMachine(scenario, rules);
    machine.tracing = false;
    this.initialEvents = events;
    this.machine = machine;
    this.pageCounts = [machine.sps.size];
    this.lastSnapshot = cloneMachine(machine);
    this.snaps.push(this.lastSnapshot);
  }

  /** The snapshots made and not taken (takeSnapshots): snapshot k is the state after k * snapshotEvery steps, until a take. */
  get snapshots(): readonly Machine[] {
    return this.snaps;
  }

  /**
   * The snapshots made since the last take, handed over and forgotten by the
   * builder (the last one stays the base of the next copy). For a builder
   * whose snapshots go elsewhere as they are made (a worker's, stream.ts):
   * kept, the 100,000-step open's 400 snapshots made the worker's heap the
   * whole timeline's, and its garbage collector worked on all of it (~20% of
   * the build in cold runs). A builder taken from cannot make a Timeline.
   */
  takeSnapshots(): Machine[] {
    const out = this.snaps;
    this.snaps = [];
    this.taken += out.length;
    return out;
  }

  /** Steps run so far. */
  get done(): number {
    return this.summaries.length;
  }

  get total(): number {
    return this.scenario.steps.length;
  }

  get finished(): boolean {
    return this.summaries.length >= this.scenario.steps.length;
  }

  /** Runs up to `n` more steps; returns how many it ran. */
  advance(n: number): number {
    const steps = this.scenario.steps;
    const end = Math.min(steps.length, this.summaries.length + Math.max(0, Math.floor(n)));
    const from = this.summaries.length;
    const m = this.machine;
    for (let i = from; i < end; i++) {
      this.summaries.push(sim_advance(m, i, steps[i]!));
      this.pageCounts.push(m.sps.size);
      if ((i + 1) % this.snapshotEvery === 0) {
        this.lastSnapshot = cloneMachine(m, this.lastSnapshot);
        this.snaps.push(this.lastSnapshot);
      }
    }
    return end - from;
  }

  /** The machine after the last step run (the builder's own: do not change it). */
  get current(): Machine {
    return this.machine;
  }

  /** Summaries of steps [from, to) run so far, packed (what a worker sends). */
  packed(from: number, to: number): sim_PackedSummaries {
    return this.summaries.pack(from, to);
  }

  /** Runs what is left and returns what the Timeline is made of. */
  finish(): Built {
    if (this.taken > 0) throw new Error('internal: a timeline from a builder whose snapshots were taken');
    this.advance(Infinity);
    return { initialEvents: this.initialEvents, summaries: this.summaries, pageCounts: this.pageCounts, snapshots: this.snaps, final: this.machine, snapshotEvery: this.snapshotEvery };
  }

  /** Runs what is left and returns the Timeline. The builder must not be advanced after. */
  timeline(): Timeline {
    return new Timeline(this.scenario, this.rules, this.finish());
  }
}

/** How many steps' rebuilt events a timeline keeps (the UI reads the current step's, and its neighbours'). */
const EVENTS_KEPT = 16;

export class Timeline {
  readonly initialEvents: readonly TraceEvent[];
  /** Every step's outcome fields in columns (rows 0..length - 1): result(i) reads row i. */
  private readonly summaries: sim_PackedSummaries;
  private readonly Record: new (i: number) => StepResult;
  private all: readonly StepResult[] | null = null;
  /** Steps between two kept snapshots: stateAt replays at most this many minus one. */
  readonly snapshotEvery: number;
  private readonly counts: readonly number[];
  private readonly snapshots: SnapshotList;
  private final: Machine | (() => Machine);
  private readonly eventCache = new Map<number, readonly TraceEvent[]>();

  /** `built` is for TimelineBuilder and Timeline.fromParts; without it the scenario runs here, whole. */
  constructor(
    readonly scenario: Scenario,
    readonly rules: RuleSetName = 'seed',
    built?: Built,
  ) {
    const b = built ?? new TimelineBuilder(scenario, rules).finish();
    this.initialEvents = b.initialEvents;
    this.counts = b.pageCounts;
    this.snapshots = b.snapshots;
    this.final = b.final;
    this.snapshotEvery = b.snapshotEvery;
    this.summaries = b.summaries;
    this.Record = recordClass(this, b.summaries);
  }

  /**
   * Step i's result (0-based; undefined past the ends), made when asked
   * (no object per step is kept). Its `events` are rebuilt on first read
   * by replaying that one step with tracing on (eventsOf), and a few are kept.
   */
  result(i: number): StepResult | undefined {
    return Number.isInteger(i) && i >= 0 && i < this.length ? new this.Record(i) : undefined;
  }

  /** Step i's outcome (0-based; undefined past the ends), read from its column: no record made. */
  outcome(i: number): StepResult['outcome'] | undefined {
    return Number.isInteger(i) && i >= 0 && i < this.length ? OUTCOMES[this.summaries.outcome[i]!] : undefined;
  }

  /**
   * Every step's outcome as its code (index into sim_OUTCOMES), the column
   * itself: for a reader of all 100,000 at once (the step strip), which one
   * call of outcome(i) per step made slow while the page's code was still cold.
   */
  sim_outcomeCodes(): Readonly<Uint8Array> {
    return this.summaries.outcome.subarray(0, this.length);
  }

  /**
   * Every step's result, made on first read and kept: an object per step,
   * for tests and tools that walk a short run whole. The app reads result(i)
   * and outcome(i) instead (a 100,000-step timeline keeps no records).
   */
  get results(): readonly StepResult[] {
    return (this.all ??= Array.from({ length: this.length }, (_, i) => new this.Record(i)));
  }

  /** The timeline as plain data (structured-clone safe): Timeline.fromParts(tl.parts()) behaves as tl. */
  parts(): TimelineParts {
    return {
      scenario: this.scenario,
      rules: this.rules,
      snapshotEvery: this.snapshotEvery,
      initialEvents: this.initialEvents,
      results: packRows(this.summaries, 0, this.length),
      pageCounts: this.counts,
      // Each snapshot as a delta against the one before (the final: against the last).
      snapshots: Array.from({ length: this.snapshots.length }, (_, k) => machineData(this.snapshot(k), k > 0 ? this.snapshot(k - 1) : null)),
      final: machineData(this.finalMachine(), this.snapshots.length > 0 ? this.snapshot(this.snapshots.length - 1) : null),
    };
  }

  /**
   * A Timeline from the plain data `parts()` produced: the machines get
   * their GuestMemory, Host and event sink back. Nothing is replayed.
   */
  static fromParts(p: TimelineParts): Timeline {
    const chain = new SnapshotChain(new Host(p.scenario.host));
    for (const d of p.snapshots) chain.push(d);
    chain.end(p.final);
    return Timeline.fromRevived({ ...p, snapshots: chain, final: () => chain.final() });
  }

  /** A Timeline from parts whose machines are rebuilt already, or are rebuilt when read (a SnapshotChain of a worker's). */
  static fromRevived(p: Omit<TimelineParts, 'snapshots' | 'final'> & { readonly snapshots: SnapshotList; readonly final: Machine | (() => Machine) }): Timeline {
    if (p.results.first !== 0 || p.results.outcome.length !== p.scenario.steps.length) throw new Error(`internal: ${p.results.outcome.length} summaries from step ${p.results.first} for ${p.scenario.steps.length} steps`);
    return new Timeline(p.scenario, p.rules, {
      initialEvents: p.initialEvents,
      summaries: p.results,
      pageCounts: p.pageCounts,
      snapshots: p.snapshots,
      final: p.final,
      snapshotEvery: p.snapshotEvery,
    });
  }

  get length(): number {
    return this.scenario.steps.length;
  }

  /** Machines of a SnapshotChain not revived yet (its final state's included); 0 for snapshots kept as machines. */
  get sim_snapshotsPending(): number {
    return this.snapshots instanceof SnapshotChain ? this.snapshots.pending : 0;
  }

  /** Snapshot k (0 <= k < their number; not Array#at's reading of -1 as the last, nor of NaN as 0). */
  private snapshot(k: number): Machine {
    const m = Number.isInteger(k) && k >= 0 ? this.snapshots.at(k) : undefined;
    if (!m) throw new RangeError(`no snapshot ${k} (${this.snapshots.length} kept)`);
    return m;
  }

  /** The state after the last step (made when first asked, for a timeline from a SnapshotChain): copy it before stepping on it. */
  private finalMachine(): Machine {
    if (typeof this.final === 'function') this.final = this.final();
    return this.final;
  }

  /** Every step's shadow-page count, index n = after n steps (shared: do not change). */
  get pageCounts(): readonly number[] {
    return this.counts;
  }

  /**
   * The last state stateAt replayed to (a private copy): asked for the next
   * steps in order (the UI preparing steps 1, 2, 3...), stateAt replays one
   * step from here instead of up to snapshotEvery - 1 from the snapshot.
   */
  private cursor: { readonly k: number; readonly m: Machine } | null = null;

  /** The state after the first `n` steps (0 = after the initial VM entry). A fresh copy. */
  stateAt(n: number): Machine {
    const k = Math.max(0, Math.min(this.length, Math.floor(n)));
    if (k === this.length) {
      const m = cloneMachine(this.finalMachine());
      m.tracing = true;
      return m;
    }
    const { m, from } = this.replayTo(k);
    if (k > from) this.cursor = { k, m: cloneMachine(m) };
    // The caller's copy records the events of any step applied to it.
    m.tracing = true;
    return m;
  }

  /**
   * A private copy of the state after `k` (< length) steps: the nearest
   * snapshot or the cursor, whichever is closer below k, copied and run
   * forward with tracing off; `from` is where the run started.
   */
  private replayTo(k: number): { m: Machine; from: number } {
    const snap = Math.floor(k / this.snapshotEvery);
    const c = this.cursor;
    const fromCursor = c !== null && c.k <= k && c.k > snap * this.snapshotEvery;
    const m = cloneMachine(fromCursor ? c.m : this.snapshot(snap));
    const from = fromCursor ? c.k : snap * this.snapshotEvery;
    // The replayed steps' events are not wanted here: replay without them.
    m.tracing = false;
    for (let i = from; i < k; i++) sim_advance(m, i, this.scenario.steps[i]!);
    m.emit = discardEvents;
    return { m, from };
  }

  /**
   * Step i's events (0-based), rebuilt: the state before the step, then the
   * step run again with tracing on. The core is deterministic, so these are
   * the events the step emitted when the timeline was built (tests compare
   * them with a traced run). The state after the step becomes the cursor, so
   * reading the next step's events replays nothing more.
   */
  eventsOf(i: number): readonly TraceEvent[] {
    const kept = this.eventCache.get(i);
    if (kept) {
      // Least recently read goes first: a step read again (the UI's current one) moves to the back.
      this.eventCache.delete(i);
      this.eventCache.set(i, kept);
      return kept;
    }
    // replayTo, not stateAt: the cursor becomes the state after this step
    // below, so stateAt's own copy of the state before it would be wasted.
    const { m } = this.replayTo(i);
    m.tracing = true;
    const { events } = sim_runStep(m, i, this.scenario.steps[i]!);
    m.emit = discardEvents;
    this.cursor = { k: i + 1, m };
    if (this.eventCache.size >= EVENTS_KEPT) this.eventCache.delete(this.eventCache.keys().next().value!);
    this.eventCache.set(i, events);
    return events;
  }
}

// ---------------------------------------------------------------------------
// The timeline as plain data (what structured clone carries to another thread)

/**
 * A shadow page as plain data: its role as role.word only (unpackRole gives
 * the rest); each array as its chunks that the previous MachineData's page of
 * that id does not have (all written chunks when there is none), or null when
 * it is the same array (so nothing is carried again).
 */
export type ShadowPageData = Omit<ShadowPage, 'role' | 'spt' | 'gfns' | 'unsyncChildBitmap'> & {
  readonly spt: CowChunks | null;
  readonly gfns: CowChunks | null;
  readonly unsyncChildBitmap: CowChunks | null;
};

/**
 * A Machine as plain data: no class instances, no functions. The Host is
 * rebuilt from the scenario; the event sink, the tracing switch and the
 * copy-on-write bookkeeping (`owned`) are not state. The persistent maps go
 * as deltas: against the previous MachineData of a stream (`delta`: a
 * worker sends snapshot after snapshot, each costing O(changes)), or
 * against nothing (every entry).
 */
export type MachineData = Omit<Machine, 'mem' | 'host' | 'emit' | 'owned' | 'sim_owner' | 'tracing' | 'linux61Fired' | 'sim_syncMemo' | 'rmap' | 'sps' | 'hash' | 'writeTrack' | 'lpageDisallow'> & {
  readonly delta: boolean;
  readonly frames: MapDelta<CowChunks>;
  readonly rmap: MapDelta<PteList>;
  readonly hash: MapDelta<number[]>;
  readonly writeTrack: MapDelta<number>;
  readonly lpageDisallow: MapDelta<number>;
  /** null: the page as it is in the machine before (a delta only). */
  readonly sps: Map<number, ShadowPageData | null>;
  /** The one buffer holding every chunk above (ChunkPack; CowChunks say where): transfer it with them, or clone. */
  readonly chunks: ArrayBuffer;
};

export interface TimelineParts {
  readonly scenario: Scenario;
  readonly rules: RuleSetName;
  readonly snapshotEvery: number;
  readonly initialEvents: readonly TraceEvent[];
  /** Every step's summary, in columns from step 0. */
  readonly results: sim_PackedSummaries;
  readonly pageCounts: readonly number[];
  /** Snapshot k: the state after k * snapshotEvery steps; each a delta against the one before (SnapshotChain). */
  readonly snapshots: readonly MachineData[];
  /** The state after the last step: a delta against the last snapshot. */
  readonly final: MachineData;
}

/**
 * `m` as plain data (copies: nothing is shared with m). With `prev`, the
 * copy of a machine this one was copied from (the previous snapshot sent),
 * only what changed since it: the receiver rebuilds with machineFromData and
 * the machine it rebuilt from the previous data.
 */
export function machineData(m: Machine, prev: Machine | null = null): MachineData {
  const c = cloneMachine(m);
  const pack = new ChunkPack();
  const sps = new Map<number, ShadowPageData | null>();
  for (const [id, sp] of c.sps) {
    const p = prev?.sps.get(id);
    // Most pages do not change between two snapshots: null says "as before" (a page's header is ~300 bytes,
    // ~32 KB a snapshot at 100,000 steps, where the chunks that did change are ~20 KB).
    if (p && sameShadowPage(p, sp)) {
      sps.set(id, null);
      continue;
    }
    // The role goes as role.word only: unpackRole rebuilds it.
    const { role, ...header } = sp;
    void role;
    sps.set(id, {
      ...header,
      spt: p?.spt === sp.spt ? null : sp.spt.chunkDelta(p?.spt ?? null, pack),
      gfns: !sp.gfns || p?.gfns === sp.gfns ? null : sp.gfns.chunkDelta(p?.gfns ?? null, pack),
      unsyncChildBitmap: p?.unsyncChildBitmap === sp.unsyncChildBitmap ? null : sp.unsyncChildBitmap.chunkDelta(p?.unsyncChildBitmap ?? null, pack),
    });
  }
  const frames = c.mem.frameDelta(prev?.mem ?? null, pack);
  return {
    delta: prev !== null,
    rules: c.rules,
    linux61: c.linux61,
    cpu: c.cpu,
    sps,
    nextSpId: c.nextSpId,
    hash: c.hash.diff(prev?.hash ?? null),
    activeList: c.activeList,
    nUsedMmuPages: c.nUsedMmuPages,
    nMaxMmuPages: c.nMaxMmuPages,
    indirectShadowPages: c.indirectShadowPages,
    rmap: c.rmap.diff(prev?.rmap ?? null),
    writeTrack: c.writeTrack.diff(prev?.writeTrack ?? null),
    lpageDisallow: c.lpageDisallow.diff(prev?.lpageDisallow ?? null),
    invalidList: c.invalidList,
    mmu: c.mmu,
    stats: c.stats,
    vcpuStats: c.vcpuStats,
    stepIndex: c.stepIndex,
    bugs: c.bugs,
    frames,
    chunks: pack.seal(),
  };
}

/**
 * Snapshots sent as MachineData (each a delta against the one before, the
 * first whole), revived when first read: reading snapshot k revives every one
 * up to k not revived yet (each needs the one before it), and `reviveNext`
 * revives one more, for work done while nothing else waits. The page keeps a
 * worker's snapshots this way: reviving all 400 of a 100,000-step build as
 * they came took ~0.3-0.5 s of the page's thread while the worker was still
 * building, on a 2-core machine time the worker waited for (the open was
 * that much later); now the timeline goes on screen first. The state after
 * the last step (`end`) is a delta against the last snapshot, revived last.
 * Revived machines are snapshots: copy before stepping (machineFromData).
 */
export class SnapshotChain implements SnapshotList {
  private readonly machines: Machine[] = [];
  /** Data not revived yet (null: revived), the final's last once `end` is called. */
  private readonly data: (MachineData | null)[] = [];
  private ended = false;

  constructor(private readonly host: Host) {}

  /** The next snapshot's data (a delta against the one pushed before it). */
  push(d: MachineData): void {
    if (this.ended) throw new Error('internal: a snapshot after the final state');
    this.data.push(d);
  }

  /** The state after the last step (a delta against the last snapshot): no snapshot comes after it. */
  end(final: MachineData): void {
    this.push(final);
    this.ended = true;
  }

  /** Snapshots pushed (the final state not counted). */
  get length(): number {
    return this.data.length - (this.ended ? 1 : 0);
  }

  /** Machines still to revive (the final's included). */
  get pending(): number {
    return this.data.length - this.machines.length;
  }

  at(k: number): Machine | undefined {
    if (!(Number.isInteger(k) && k >= 0 && k < this.length)) return undefined;
    while (this.machines.length <= k) this.reviveNext();
    return this.machines[k];
  }

  /** The state after the last step (every snapshot is revived first). */
  final(): Machine {
    if (!this.ended) throw new Error('internal: the final state of a chain that has not ended');
    while (this.pending > 0) this.reviveNext();
    return this.machines[this.machines.length - 1]!;
  }

  /** Revives the next machine, if any; whether any is left after it. */
  reviveNext(): boolean {
    const i = this.machines.length;
    const d = this.data[i];
    if (!d) return false;
    this.machines.push(machineFromData(d, this.host, this.machines[i - 1] ?? null));
    // Its data is not needed again (~50 KB of chunks a snapshot at 100,000 steps).
    this.data[i] = null;
    return this.pending > 0;
  }
}

/**
 * The inverse of machineData: a snapshot, to copy (cloneMachine, as stateAt
 * does) and never to step on or change. A delta needs `prev`, the machine
 * rebuilt from the data sent before it. A page sent as unchanged is `prev`'s
 * page object itself, as between a timeline's snapshots (cloneMachine's
 * `prev`), so a write to one machine's page would change the others'; the
 * arrays are shared copy-on-write as usual (this machine owns none of them).
 */
export function machineFromData(d: MachineData, host: Host, prev: Machine | null = null): Machine {
  const { delta, frames, rmap, hash, writeTrack, lpageDisallow, sps: spsData, chunks, ...rest } = d;
  if (delta && !prev) throw new Error('internal: a machine delta without the machine before it');
  const base = delta ? prev : null;
  const sps = new SpTable();
  for (const [id, sp] of spsData) {
    const p = base?.sps.get(id);
    if (sp === null) {
      if (!p) throw new Error(`internal: sp ${id} is sent as unchanged but is not in the machine before`);
      sps.set(id, p);
      continue;
    }
    const keep = <T>(v: T | null | undefined, what: string): T => {
      if (v == null) throw new Error(`internal: sp ${id}'s ${what} is neither sent nor in the machine before`);
      return v;
    };
    const role = unpackRole(sp.roleWord);
    sps.set(id, {
      ...sp,
      role,
      spt: sp.spt ? CowArray.withChunks(p?.spt ?? null, 1024, false, sp.spt, chunks) : keep(p?.spt, 'spt'),
      gfns: sp.gfns ? CowArray.withChunks(p?.gfns ?? null, 512, true, sp.gfns, chunks) : role.direct ? null : keep(p?.gfns, 'gfns'),
      unsyncChildBitmap: sp.unsyncChildBitmap ? CowArray.withChunks(p?.unsyncChildBitmap ?? null, 512, false, sp.unsyncChildBitmap, chunks) : keep(p?.unsyncChildBitmap, 'bitmap'),
    });
  }
  return {
    ...rest,
    sps,
    rmap: PMap.applied(base?.rmap ?? null, rmap, copyPteList),
    hash: PMap.applied(base?.hash ?? null, hash, copyList),
    writeTrack: PMap.applied(base?.writeTrack ?? null, writeTrack),
    lpageDisallow: PMap.applied(base?.lpageDisallow ?? null, lpageDisallow),
    mem: GuestMemory.fromDelta(base?.mem ?? null, frames, chunks),
    host,
    owned: null,
    sim_owner: newOwnerToken(),
    tracing: true,
    linux61Fired: null,
    emit: discardEvents,
    // The memo of the machine before (a cache the whole chain of snapshots shares, as cloneMachine's copies do).
    sim_syncMemo: prev?.sim_syncMemo ?? new Map(),
  };
}
