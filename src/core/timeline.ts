/**
 * Running a scenario, and time travel.
 *
 * Decision: snapshots plus replay. The machine is mutable inside a step
 * (cheap, and the kernel's algorithms read naturally that way); a deep copy
 * is kept every SNAPSHOT_EVERY steps, and `stateAt(n)` copies the nearest
 * snapshot at or before n and replays at most SNAPSHOT_EVERY - 1 steps. The
 * core is deterministic, so a replayed state equals the original exactly
 * (tests compare them). Persistent data structures would make every spte
 * write allocate; whole copies at every step would cost O(steps * pages).
 */
import { u64 } from './bits.ts';
import { type CpuState } from './guest/cpu.ts';
import { GuestMemory } from './guest/memory.ts';
import { Host } from './host.ts';
import { CowArray } from './cow-array.ts';
import { cloneMachine, type Machine, newKvmStats, newRmap, newVcpuStats, type ShadowPage } from './machine.ts';
import { KVM_MIN_ALLOC_MMU_PAGES, KVM_PERMILLE_MMU_PAGES } from './mmu/constants.ts';
import type { RuleSetName, Scenario } from './scenario.ts';
import { applyStep, type StepResult, vcpuEnterGuest } from './step.ts';
import type { TraceEvent } from './trace.ts';

export const SNAPSHOT_EVERY = 16;

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

/**
 * The machine as the scenario describes it, after the first VM entry
 * (KVM_SET_SREGS loads the PDPTEs, kvm_mmu_load builds the roots). The events
 * of that first entry are returned with it (none with `tracing: false`, and the
 * machine then runs its steps with tracing off too).
 */
export function createMachine(s: Scenario, rules: RuleSetName, opts: { readonly tracing?: boolean } = {}): { machine: Machine; events: TraceEvent[] } {
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
    cpu,
    mem,
    host: new Host(s.host),
    sps: new Map(),
    nextSpId: 0,
    hash: new Map(),
    activeList: [],
    nUsedMmuPages: 0,
    // kvm_mmu_calculate_default_mmu_pages(): 20 per mille of guest pages, at least 64.
    nMaxMmuPages: Math.max(Math.floor((s.host.memslotFrames * KVM_PERMILLE_MMU_PAGES) / 1000), KVM_MIN_ALLOC_MMU_PAGES),
    indirectShadowPages: 0,
    rmap: newRmap(),
    writeTrack: new Map(),
    lpageDisallow: new Map(),
    invalidList: [],
    mmu: { root: null, paeRoot: [null, null, null, null], rootPgd: 0, prevRoots: [0, 1, 2].map(() => ({ pgd: 0, root: null })), requests: new Set() },
    stats: newKvmStats(),
    vcpuStats: newVcpuStats(),
    owned: new Set(),
    stepIndex: -1,
    bugs: [],
    tracing: opts.tracing ?? true,
    emit: (e) => {
      events.push(e);
    },
  };
  vcpuEnterGuest(m);
  m.emit = () => {};
  return { machine: m, events };
}

/** A step's result as a timeline keeps it: everything but the events, which are rebuilt when read. */
export type StepSummary = Omit<StepResult, 'events'>;

/** What a finished build holds; the Timeline is a read-only view of it. */
export interface Built {
  readonly initialEvents: readonly TraceEvent[];
  readonly results: readonly StepSummary[];
  /** Shadow pages allocated (m.sps.size) after k steps, for k = 0..steps. */
  readonly pageCounts: readonly number[];
  readonly snapshots: readonly Machine[];
  readonly final: Machine;
  readonly snapshotEvery: number;
}

/**
 * The step's result without its (empty: tracing is off) event list, built
 * field by field: one object shape for every step, no deleted property.
 */
function summaryOf(r: StepResult): StepSummary {
  if (r.vector !== undefined) return { index: r.index, outcome: r.outcome, vector: r.vector, errorCode: r.errorCode };
  if (r.gpa !== undefined) return { index: r.index, outcome: r.outcome, gpa: r.gpa, value: r.value };
  return { index: r.index, outcome: r.outcome };
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
  readonly results: StepSummary[] = [];
  readonly pageCounts: number[];
  /** Snapshot k is the state after k * snapshotEvery steps. */
  readonly snapshots: Machine[] = [];
  private readonly machine: Machine;

  constructor(
    readonly scenario: Scenario,
    readonly rules: RuleSetName = 'seed',
    readonly snapshotEvery: number = SNAPSHOT_EVERY,
  ) {
    if (!(Number.isInteger(snapshotEvery) && snapshotEvery >= 1)) throw new Error(`internal: snapshot interval ${snapshotEvery}`);
    const { machine, events } = createMachine(scenario, rules);
    machine.tracing = false;
    this.initialEvents = events;
    this.machine = machine;
    this.pageCounts = [machine.sps.size];
    this.snapshots.push(cloneMachine(machine));
  }

  /** Steps run so far. */
  get done(): number {
    return this.results.length;
  }

  get total(): number {
    return this.scenario.steps.length;
  }

  get finished(): boolean {
    return this.results.length >= this.scenario.steps.length;
  }

  /** Runs up to `n` more steps; returns how many it ran. */
  advance(n: number): number {
    const steps = this.scenario.steps;
    const end = Math.min(steps.length, this.results.length + Math.max(0, Math.floor(n)));
    const from = this.results.length;
    const m = this.machine;
    for (let i = from; i < end; i++) {
      this.results.push(summaryOf(applyStep(m, i, steps[i]!)));
      this.pageCounts.push(m.sps.size);
      if ((i + 1) % this.snapshotEvery === 0) this.snapshots.push(cloneMachine(m));
    }
    return end - from;
  }

  /** The machine after the last step run (the builder's own: do not change it). */
  get current(): Machine {
    return this.machine;
  }

  /** Runs what is left and returns what the Timeline is made of. */
  finish(): Built {
    this.advance(Infinity);
    return { initialEvents: this.initialEvents, results: this.results, pageCounts: this.pageCounts, snapshots: this.snapshots, final: this.machine, snapshotEvery: this.snapshotEvery };
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
  /**
   * Step i's result (0-based). Its `events` are rebuilt on first read by
   * replaying that one step with tracing on (eventsOf), and a few are kept.
   */
  readonly results: readonly StepResult[];
  /** Steps between two kept snapshots: stateAt replays at most this many minus one. */
  readonly snapshotEvery: number;
  private readonly summaries: readonly StepSummary[];
  private readonly counts: readonly number[];
  private readonly snapshots: readonly Machine[];
  private readonly finalMachine: Machine;
  private readonly eventCache = new Map<number, readonly TraceEvent[]>();

  /** `built` is for TimelineBuilder and Timeline.fromParts; without it the scenario runs here, whole. */
  constructor(
    readonly scenario: Scenario,
    readonly rules: RuleSetName = 'seed',
    built?: Built,
  ) {
    const b = built ?? new TimelineBuilder(scenario, rules).finish();
    this.initialEvents = b.initialEvents;
    this.summaries = b.results;
    this.counts = b.pageCounts;
    this.snapshots = b.snapshots;
    this.finalMachine = b.final;
    this.snapshotEvery = b.snapshotEvery;
    this.results = b.results.map(recordClass(this));
  }

  /** The timeline as plain data (structured-clone safe): Timeline.fromParts(tl.parts()) behaves as tl. */
  parts(): TimelineParts {
    return {
      scenario: this.scenario,
      rules: this.rules,
      snapshotEvery: this.snapshotEvery,
      initialEvents: this.initialEvents,
      results: this.summaries,
      pageCounts: this.counts,
      snapshots: this.snapshots.map(machineData),
      final: machineData(this.finalMachine),
    };
  }

  /**
   * A Timeline from the plain data `parts()` (or a worker, chunk by
   * chunk) produced: the machines get their GuestMemory, Host and event sink
   * back. Nothing is replayed.
   */
  static fromParts(p: TimelineParts): Timeline {
    const host = new Host(p.scenario.host);
    return new Timeline(p.scenario, p.rules, {
      initialEvents: p.initialEvents,
      results: p.results,
      pageCounts: p.pageCounts,
      snapshots: p.snapshots.map((d) => machineFromData(d, host)),
      final: machineFromData(p.final, host),
      snapshotEvery: p.snapshotEvery,
    });
  }

  get length(): number {
    return this.scenario.steps.length;
  }

  /** Shadow pages allocated after the first `n` steps (m.sps.size; 0 = after the initial VM entry). */
  shadowPagesAt(n: number): number {
    return this.counts[Math.max(0, Math.min(this.length, Math.floor(n)))]!;
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
      const m = cloneMachine(this.finalMachine);
      m.tracing = true;
      return m;
    }
    const snap = Math.floor(k / this.snapshotEvery);
    const c = this.cursor;
    const fromCursor = c !== null && c.k <= k && c.k > snap * this.snapshotEvery;
    const m = cloneMachine(fromCursor ? c.m : this.snapshots[snap]!);
    const from = fromCursor ? c.k : snap * this.snapshotEvery;
    // The replayed steps' events are not wanted here: replay without them.
    m.tracing = false;
    for (let i = from; i < k; i++) applyStep(m, i, this.scenario.steps[i]!);
    m.emit = () => {};
    if (k > from) this.cursor = { k, m: cloneMachine(m) };
    // The caller's copy records the events of any step applied to it.
    m.tracing = true;
    return m;
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
    if (kept) return kept;
    const m = this.stateAt(i);
    m.tracing = true;
    const { events } = applyStep(m, i, this.scenario.steps[i]!);
    m.emit = () => {};
    this.cursor = { k: i + 1, m };
    if (this.eventCache.size >= EVENTS_KEPT) this.eventCache.delete(this.eventCache.keys().next().value!);
    this.eventCache.set(i, events);
    return events;
  }
}

/**
 * The class of a timeline's step results: the summary's fields as own
 * properties, and `events` a getter on the prototype that asks the timeline
 * (a class per timeline, so a result carries no extra field).
 */
function recordClass(tl: Timeline): (s: StepSummary) => StepResult {
  class StepRecord {
    constructor(s: StepSummary) {
      Object.assign(this, s);
    }
    get events(): readonly TraceEvent[] {
      return tl.eventsOf((this as unknown as StepSummary).index);
    }
    /** Written out whole, events included (JSON.stringify of a result). */
    toJSON(): StepResult {
      return { ...(this as unknown as StepSummary), events: this.events };
    }
  }
  return (s) => new StepRecord(s) as unknown as StepResult;
}

// ---------------------------------------------------------------------------
// The timeline as plain data (what structured clone carries to another thread)

/** A shadow page as plain data: its arrays as plain typed arrays. */
export type ShadowPageData = Omit<ShadowPage, 'spt' | 'gfns' | 'unsyncChildBitmap'> & {
  readonly spt: Uint32Array;
  readonly gfns: Float64Array | null;
  readonly unsyncChildBitmap: Uint32Array;
};

/**
 * A Machine as plain data: no class instances, no functions. The guest memory
 * is its frame map; the Host is rebuilt from the scenario; the event sink, the
 * tracing switch and the copy-on-write bookkeeping (`owned`) are not state.
 */
export type MachineData = Omit<Machine, 'mem' | 'host' | 'emit' | 'owned' | 'tracing' | 'rmap' | 'sps'> & {
  readonly frames: Map<number, Uint32Array>;
  readonly rmap: Map<number, number[]>;
  readonly sps: Map<number, ShadowPageData>;
};

export interface TimelineParts {
  readonly scenario: Scenario;
  readonly rules: RuleSetName;
  readonly snapshotEvery: number;
  readonly initialEvents: readonly TraceEvent[];
  readonly results: readonly StepSummary[];
  readonly pageCounts: readonly number[];
  /** Snapshot k: the state after k * snapshotEvery steps. */
  readonly snapshots: readonly MachineData[];
  /** The state after the last step. */
  readonly final: MachineData;
}

/** `m` as plain data (copies: nothing is shared with m). */
export function machineData(m: Machine): MachineData {
  const c = cloneMachine(m);
  const sps = new Map<number, ShadowPageData>();
  for (const [id, sp] of c.sps) {
    sps.set(id, { ...sp, spt: sp.spt.toArray() as Uint32Array, gfns: sp.gfns ? (sp.gfns.toArray() as Float64Array) : null, unsyncChildBitmap: sp.unsyncChildBitmap.toArray() as Uint32Array });
  }
  return {
    rules: c.rules,
    cpu: c.cpu,
    sps,
    nextSpId: c.nextSpId,
    hash: c.hash,
    activeList: c.activeList,
    nUsedMmuPages: c.nUsedMmuPages,
    nMaxMmuPages: c.nMaxMmuPages,
    indirectShadowPages: c.indirectShadowPages,
    rmap: new Map(c.rmap),
    writeTrack: c.writeTrack,
    lpageDisallow: c.lpageDisallow,
    invalidList: c.invalidList,
    mmu: c.mmu,
    stats: c.stats,
    vcpuStats: c.vcpuStats,
    stepIndex: c.stepIndex,
    bugs: c.bugs,
    frames: c.mem.frameData(),
  };
}

/** The inverse of machineData: a Machine that owns nothing yet (its first writes copy). */
export function machineFromData(d: MachineData, host: Host): Machine {
  const { frames, rmap, sps: spsData, ...rest } = d;
  const sps = new Map<number, ShadowPage>();
  for (const [id, sp] of spsData) {
    sps.set(id, { ...sp, spt: CowArray.from(sp.spt), gfns: sp.gfns ? CowArray.from(sp.gfns, true) : null, unsyncChildBitmap: CowArray.from(sp.unsyncChildBitmap) });
  }
  return { ...rest, sps, rmap: newRmap(rmap), mem: new GuestMemory(frames), host, owned: new Set(), tracing: true, emit: () => {} };
}
