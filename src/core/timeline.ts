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
import { cloneMachine, type Machine, newKvmStats, newRmap, newVcpuStats } from './machine.ts';
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

/** What a finished build holds; the Timeline is a read-only view of it. */
export interface Built {
  readonly initialEvents: readonly TraceEvent[];
  readonly results: readonly StepResult[];
  readonly snapshots: readonly Machine[];
  readonly final: Machine;
  readonly snapshotEvery: number;
}

/**
 * A Timeline built in slices: `advance(n)` runs up to n more steps, so a long
 * scenario can be built a little at a time (between frames, or in a worker
 * that reports progress) and handed over when `finished`. The Timeline
 * constructor runs this same builder to the end in one go, so both ways give
 * the same timeline, step for step.
 */
export class TimelineBuilder {
  readonly initialEvents: readonly TraceEvent[];
  readonly results: StepResult[] = [];
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
    this.initialEvents = events;
    this.machine = machine;
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
    for (let i = from; i < end; i++) {
      this.results.push(applyStep(this.machine, i, steps[i]!));
      this.machine.emit = () => {};
      if ((i + 1) % this.snapshotEvery === 0) this.snapshots.push(cloneMachine(this.machine));
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
    return { initialEvents: this.initialEvents, results: this.results, snapshots: this.snapshots, final: this.machine, snapshotEvery: this.snapshotEvery };
  }

  /** Runs what is left and returns the Timeline. The builder must not be advanced after. */
  timeline(): Timeline {
    return new Timeline(this.scenario, this.rules, this.finish());
  }
}

export class Timeline {
  readonly initialEvents: readonly TraceEvent[];
  readonly results: readonly StepResult[];
  /** Steps between two kept snapshots: stateAt replays at most this many minus one. */
  readonly snapshotEvery: number;
  private readonly snapshots: readonly Machine[];
  private readonly finalMachine: Machine;

  /** `built` is for TimelineBuilder and Timeline.fromParts; without it the scenario runs here, whole. */
  constructor(
    readonly scenario: Scenario,
    readonly rules: RuleSetName = 'seed',
    built?: Built,
  ) {
    const b = built ?? new TimelineBuilder(scenario, rules).finish();
    this.initialEvents = b.initialEvents;
    this.results = b.results;
    this.snapshots = b.snapshots;
    this.finalMachine = b.final;
    this.snapshotEvery = b.snapshotEvery;
  }

  /** The timeline as plain data (structured-clone safe): Timeline.fromParts(tl.parts()) behaves as tl. */
  parts(): TimelineParts {
    return {
      scenario: this.scenario,
      rules: this.rules,
      snapshotEvery: this.snapshotEvery,
      initialEvents: this.initialEvents,
      results: this.results,
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
      snapshots: p.snapshots.map((d) => machineFromData(d, host)),
      final: machineFromData(p.final, host),
      snapshotEvery: p.snapshotEvery,
    });
  }

  get length(): number {
    return this.scenario.steps.length;
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
    if (k === this.length) return cloneMachine(this.finalMachine);
    const snap = Math.floor(k / this.snapshotEvery);
    const c = this.cursor;
    const fromCursor = c !== null && c.k <= k && c.k > snap * this.snapshotEvery;
    const m = cloneMachine(fromCursor ? c.m : this.snapshots[snap]!);
    const from = fromCursor ? c.k : snap * this.snapshotEvery;
    // The replayed steps' events are already in `results`: replay without them.
    const tracing = m.tracing;
    m.tracing = false;
    for (let i = from; i < k; i++) applyStep(m, i, this.scenario.steps[i]!);
    m.tracing = tracing;
    m.emit = () => {};
    if (k > from) this.cursor = { k, m: cloneMachine(m) };
    return m;
  }
}

// ---------------------------------------------------------------------------
// The timeline as plain data (what structured clone carries to another thread)

/**
 * A Machine as plain data: no class instances, no functions. The guest memory
 * is its frame map; the Host is rebuilt from the scenario; the event sink, the
 * tracing switch and the copy-on-write bookkeeping (`owned`) are not state.
 */
export type MachineData = Omit<Machine, 'mem' | 'host' | 'emit' | 'owned' | 'tracing' | 'rmap'> & { readonly frames: Map<number, Uint32Array>; readonly rmap: Map<number, number[]> };

export interface TimelineParts {
  readonly scenario: Scenario;
  readonly rules: RuleSetName;
  readonly snapshotEvery: number;
  readonly initialEvents: readonly TraceEvent[];
  readonly results: readonly StepResult[];
  /** Snapshot k: the state after k * snapshotEvery steps. */
  readonly snapshots: readonly MachineData[];
  /** The state after the last step. */
  readonly final: MachineData;
}

/**
 * `m` as plain data. The arrays stay shared with `m` (copy-on-write, as
 * cloneMachine shares them), so structured clone or a revived machine never
 * writes into m's.
 */
export function machineData(m: Machine): MachineData {
  const c = cloneMachine(m);
  // c.mem is a fresh copy that owns no frame: m keeps writing its own copies.
  const frames = new Map(c.mem.frameEntries());
  return {
    rules: c.rules,
    cpu: c.cpu,
    sps: c.sps,
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
    frames,
  };
}

/** The inverse of machineData: a Machine that owns nothing yet (its first writes copy). */
export function machineFromData(d: MachineData, host: Host): Machine {
  const { frames, rmap, ...rest } = d;
  return { ...rest, rmap: newRmap(rmap), mem: new GuestMemory(frames), host, owned: new Set(), tracing: true, emit: () => {} };
}
