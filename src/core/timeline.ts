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
import { cloneMachine, type Machine, newKvmStats, newVcpuStats } from './machine.ts';
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
 * of that first entry are returned with it.
 */
export function createMachine(s: Scenario, rules: RuleSetName): { machine: Machine; events: TraceEvent[] } {
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
    rmap: new Map(),
    writeTrack: new Map(),
    lpageDisallow: new Map(),
    invalidList: [],
    mmu: { root: null, paeRoot: [null, null, null, null], rootPgd: 0, prevRoots: [0, 1, 2].map(() => ({ pgd: 0, root: null })), requests: new Set() },
    stats: newKvmStats(),
    vcpuStats: newVcpuStats(),
    owned: new Set(),
    stepIndex: -1,
    bugs: [],
    emit: (e) => {
      events.push(e);
    },
  };
  vcpuEnterGuest(m);
  m.emit = () => {};
  return { machine: m, events };
}

export class Timeline {
  readonly initialEvents: readonly TraceEvent[];
  readonly results: readonly StepResult[];
  private readonly snapshots: Machine[] = [];
  private readonly finalMachine: Machine;

  constructor(
    readonly scenario: Scenario,
    readonly rules: RuleSetName = 'seed',
  ) {
    const { machine, events } = createMachine(scenario, rules);
    this.initialEvents = events;
    const results: StepResult[] = [];
    this.snapshots.push(cloneMachine(machine));
    scenario.steps.forEach((step, i) => {
      results.push(applyStep(machine, i, step));
      machine.emit = () => {};
      if ((i + 1) % SNAPSHOT_EVERY === 0) this.snapshots.push(cloneMachine(machine));
    });
    this.results = results;
    this.finalMachine = machine;
  }

  get length(): number {
    return this.scenario.steps.length;
  }

  /** The state after the first `n` steps (0 = after the initial VM entry). A fresh copy. */
  stateAt(n: number): Machine {
    const k = Math.max(0, Math.min(this.length, Math.floor(n)));
    if (k === this.length) return cloneMachine(this.finalMachine);
    const snap = Math.floor(k / SNAPSHOT_EVERY);
    const m = cloneMachine(this.snapshots[snap]!);
    for (let i = snap * SNAPSHOT_EVERY; i < k; i++) {
      applyStep(m, i, this.scenario.steps[i]!);
      m.emit = () => {};
    }
    return m;
  }
}
