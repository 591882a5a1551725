/**
 * The step engine: one guest operation in, the next machine state and the
 * ordered events out. Accesses first go through a model of the CPU walking
 * the *shadow* tables (an access they allow is a hit: no exit, even if the
 * guest's own PTE has since changed); anything else is a #PF exit into
 * kvm_mmu_page_fault. Every step ends with the next VM entry
 * (vcpu_enter_guest: pending requests, then kvm_mmu_reload).
 */
import { hex, hex64, pow2, type U64 } from './bits.ts';
import { getPcid, guestEntrySize, hexGva, isLongMode, isPaePaging, shadowRootLevel } from './guest/cpu.ts';
import { walkAddr, type WalkAccess } from './guest/walk.ts';
import { getSp, KVM_REQ_BIT, type KvmRequest, type Machine, type ShadowPage, sptMut } from './machine.ts';
import { childOfWords, kvmMmuZapAll, makeRequest } from './mmu/pages.ts';
import {
  KVM_MMU_NUM_PREV_ROOTS,
  PFERR_FETCH_MASK,
  PFERR_PRESENT_MASK,
  PFERR_RSVD_MASK,
  PFERR_USER_MASK,
  PFERR_WRITE_MASK,
  PT_ACCESSED_MASK,
  PT_DIRTY_MASK,
  PT_PRESENT_MASK,
  PT_USER_MASK,
  PT_WRITABLE_MASK,
  PT64_NX_MASK_HI,
} from './mmu/constants.ts';
import { kvmMmuPageFault } from './mmu/fault.ts';
import { shadowIndex } from './mmu/iterator.ts';
import { kvmMmuPteWrite } from './mmu/pte_write.ts';
import { kvmMmuFreeObsoleteRoots, kvmMmuFreeRoots, kvmMmuSyncPrevRoots, kvmMmuLoad, kvmMmuNewPgd, kvmMmuResetContext, kvmMmuUnload, loadPdptrs } from './mmu/roots.ts';
import { isLastSpteOf, isMmioSpteOf, isShadowPresentOf, sptePfnOf } from './mmu/spte.ts';
import { invlpgRoot, kvmMmuSyncRoots } from './mmu/sync.ts';
import { cachesPrevRootsWithoutPcid, freesObsoleteRootsOnly, L61_PCIDE_OFF_NO_RESET, L61_PREV_ROOTS_WITHOUT_PCID, linux61Fired, pcideOffKeepsRoots } from './mmu/rules.ts';
import type { Step } from './scenario.ts';
import type { TraceEvent } from './trace.ts';

export type Outcome = 'hit' | 'shadow-fault' | 'guest-fault' | 'emulated' | 'done';

export interface StepResult {
  readonly index: number;
  readonly outcome: Outcome;
  /** Exception injected into the guest: #PF (14) with its error code, or #GP (13). */
  readonly vector?: 13 | 14;
  readonly errorCode?: number;
  /** For accesses that completed: the guest-physical address and the value read or written. */
  readonly gpa?: string;
  readonly value?: string;
  readonly events: readonly TraceEvent[];
}

/** kvm_check_request(): test and clear. */
function checkRequest(m: Machine, req: KvmRequest): boolean {
  const bit = KVM_REQ_BIT[req];
  if (!(m.mmu.requests & bit)) return false;
  m.mmu.requests &= ~bit;
  return true;
}

/**
 * vcpu_enter_guest(): service requests in the kernel's order, then
 * kvm_mmu_reload() (kvm_mmu_load when there is no root). Requests raised
 * meanwhile cancel the entry and go round again, as the kernel does.
 */
export function vcpuEnterGuest(m: Machine): void {
  for (let round = 0; round < 4; round++) {
    // 6.1 raises KVM_REQ_MMU_FREE_OBSOLETE_ROOTS instead (freesObsoleteRootsOnly).
    if (checkRequest(m, 'KVM_REQ_MMU_RELOAD')) {
      if (freesObsoleteRootsOnly(m)) kvmMmuFreeObsoleteRoots(m);
      else kvmMmuUnload(m);
    }
    if (checkRequest(m, 'KVM_REQ_MMU_SYNC')) kvmMmuSyncRoots(m);
    checkRequest(m, 'KVM_REQ_LOAD_MMU_PGD');
    if (checkRequest(m, 'KVM_REQ_TLB_FLUSH')) {
      // kvm_vcpu_flush_tlb_all(); flushing everything covers the current ASID too.
      m.vcpuStats.tlb_flush++;
      if (m.tracing) m.emit({ kind: 'kvm_vcpu_flush_tlb_all' });
      checkRequest(m, 'KVM_REQ_TLB_FLUSH_CURRENT');
    }
    if (checkRequest(m, 'KVM_REQ_TLB_FLUSH_CURRENT') && m.tracing) m.emit({ kind: 'kvm_vcpu_flush_tlb_current' });
    if (m.mmu.root === null && !kvmMmuLoad(m)) {
      if (m.tracing) m.emit({ kind: 'sim_note', text: 'mmu_check_root: the root table has no memslot; KVM requests a triple fault' });
      m.mmu.requests = 0;
      return;
    }
    if (m.mmu.requests === 0) return;
  }
}

interface HwResult {
  hit: boolean;
  errorCode: number;
  gpa: number;
}
/** hardwareWalk's result, one object reused by every walk (read before the next). */
const HW: HwResult = { hit: false, errorCode: 0, gpa: 0 };

type HwPath = Array<{ sp: number | null; index: number; level: number; spte: string }>;

/**
 * The end of a hardware walk: its event (with tracing on) and its result. A
 * module function rather than a closure in hardwareWalk: one closure made
 * per guest access showed in a 100k-step profile.
 */
function hwWalkDone(m: Machine, gva: number, op: 'read' | 'write' | 'fetch', user: boolean, path: HwPath | null, ec: number, hit: boolean, gpa: number, hpa?: number): HwResult {
  if (path) {
    m.emit({
      kind: 'sim_hardware_walk',
      gva: hexGva(m.cpu, gva),
      access: op,
      user,
      path,
      result: hit ? 'hit' : 'fault',
      ...(hit ? { hpa: hex(hpa ?? 0) } : { errorCode: ec }),
    });
  }
  HW.hit = hit;
  HW.errorCode = ec;
  HW.gpa = gpa;
  return HW;
}

/**
 * The CPU's walk of the shadow tables. Hardware runs with CR0.WP=1 and
 * EFER.NX=1 under shadow paging (KVM's CR0.WP=0 trick and NX-less guests are
 * handled in the sptes); SMEP/SMAP follow the guest's CR4 while it pages.
 * It reads the sptes' words directly and makes no object on a hit with
 * tracing off (most steps are hits): the path is built only for the event.
 */
function hardwareWalk(m: Machine, gva: number, op: 'read' | 'write' | 'fetch', user: boolean, ac: boolean): HwResult {
  const path: HwPath | null = m.tracing ? [] : null;
  const write = op === 'write';
  const fetch = op === 'fetch';
  let ec = (write ? PFERR_WRITE_MASK : 0) | (user ? PFERR_USER_MASK : 0) | (fetch ? PFERR_FETCH_MASK : 0);
  // shadow_walk_init_using_root(): pae_root[] for a PAE root, else the root page.
  const root = m.mmu.root;
  let sp: ShadowPage | null = null;
  let level = 0;
  if (root === 'pae') {
    const i = Math.floor(gva / 2 ** 30) & 3;
    const id = m.mmu.paeRoot[i] ?? null;
    if (path) path.push({ sp: null, index: i, level: 3, spte: id === null ? '0x0' : 'pae_root' });
    if (id !== null) {
      sp = getSp(m, id);
      level = 2;
    }
  } else if (root !== null) {
    sp = getSp(m, root);
    level = shadowRootLevel(m.cpu) === 4 ? 4 : sp.role.level;
  }
  while (sp && level >= 1) {
    const index = shadowIndex(gva, level);
    const lo = sp.spt.get(2 * index);
    const hi = sp.spt.get(2 * index + 1);
    if (path) path.push({ sp: sp.id, index, level, spte: hex64({ lo, hi }) });
    if (isMmioSpteOf(lo, hi)) {
      // is_mmio_spte(): a reserved bit set, so a RSVD fault KVM recognizes.
      ec |= PFERR_RSVD_MASK | PFERR_PRESENT_MASK;
      return hwWalkDone(m, gva, op, user, path, ec, false, 0);
    }
    if (!(lo & PT_PRESENT_MASK)) return hwWalkDone(m, gva, op, user, path, ec, false, 0);
    if (!isLastSpteOf(lo, level)) {
      // shadow_walk_next(): descend, unless the entry is not MMU-present.
      if (!isShadowPresentOf(lo)) break;
      sp = childOfWords(m, lo, hi);
      level--;
      continue;
    }
    const w = (lo & PT_WRITABLE_MASK) !== 0;
    const u = (lo & PT_USER_MASK) !== 0;
    const nx = (hi & PT64_NX_MASK_HI) !== 0;
    const paging = m.cpu.cr0.pg;
    const smep = paging && m.cpu.cr4.smep;
    const smap = paging && m.cpu.cr4.smap;
    const fault =
      (user && !u) ||
      (write && !w) ||
      (fetch && nx) ||
      (fetch && !user && u && smep) ||
      (!fetch && !user && u && smap && !ac);
    if (fault) {
      ec |= PFERR_PRESENT_MASK;
      return hwWalkDone(m, gva, op, user, path, ec, false, 0);
    }
    // The CPU sets A (and D on a write) in the leaf it used.
    const setLo = (lo | PT_ACCESSED_MASK | (write ? PT_DIRTY_MASK : 0)) >>> 0;
    // Only the low half changes (A and D are there).
    if (setLo !== lo) sptMut(m, sp).set(2 * index, setLo);
    // A large spte maps a whole 2 MiB / 1 GiB range: the offset covers it all.
    const span = pow2(12 + 9 * (level - 1));
    // gva % span without a floating-point remainder (a kernel gva is above 2^31, a double): exact for a power of two.
    const offset = gva - Math.floor(gva / span) * span;
    const pfn = sptePfnOf(lo, hi);
    const gfn = m.host.pfnToGfn(pfn) ?? 0;
    return hwWalkDone(m, gva, op, user, path, ec, true, gfn * 4096 + offset, pfn * 4096 + offset);
  }
  return hwWalkDone(m, gva, op, user, path, ec, false, 0);
}

/**
 * One step's outcome, as the fields the engine writes at the end of every
 * step: one record, not an object per step (most steps are hits; issue 17's
 * allocation-free hot path). sim_advance returns it; read it before the next
 * step on any machine. sim_runStep makes a RawStepResult of it.
 */
export interface sim_StepOutcome {
  outcome: Outcome;
  /** The exception injected into the guest: #PF (14) or #GP (13); 0: none. */
  vector: number;
  errorCode: number;
  /** For an access that completed: its guest-physical address, and the value read or written as two words; -1: none. */
  gpa: number;
  valueLo: number;
  valueHi: number;
}

const OUT: sim_StepOutcome = { outcome: 'done', vector: 0, errorCode: 0, gpa: -1, valueLo: 0, valueHi: 0 };

/** The outcome of a step that made no access and injected nothing ('done', or an access that kept faulting). */
function outcome(how: Outcome): sim_StepOutcome {
  OUT.outcome = how;
  OUT.vector = 0;
  OUT.errorCode = 0;
  OUT.gpa = -1;
  OUT.valueLo = 0;
  OUT.valueHi = 0;
  return OUT;
}

/** The outcome of a step that injected exception `vector` into the guest. */
function injected(vector: 13 | 14, errorCode: number): sim_StepOutcome {
  outcome('guest-fault');
  OUT.vector = vector;
  OUT.errorCode = errorCode;
  return OUT;
}

/**
 * The guest's read or write once the access goes through, recorded as the
 * step's outcome with its address and the value read or written. No object
 * is made for an aligned access (most of them): the value goes into the
 * outcome's words.
 */
function performAccess(m: Machine, step: Extract<Step, { op: 'read' | 'write' | 'fetch' }>, how: Outcome, gpa: number, emulated: boolean, mmio: boolean): sim_StepOutcome {
  const width = step.op === 'write' ? step.width : guestEntrySize(m.cpu);
  let lo: number;
  let hi: number;
  if (step.op === 'write') {
    const value = step.value ?? (mmio ? ZERO : m.mem.read(gpa, width));
    if (!mmio) m.mem.write(gpa, width, value);
    lo = value.lo;
    hi = value.hi;
  } else if (mmio) {
    lo = 0xffffffff;
    hi = width === 8 ? 0xffffffff : 0;
  } else ({ lo, hi } = m.mem.readInto(gpa, width, READ));
  if (m.tracing) m.emit({ kind: 'sim_guest_access', op: step.op, gva: hexGva(m.cpu, step.gva), gpa: hex(gpa), width, value: hex64({ lo, hi }), emulated });
  outcome(how);
  OUT.gpa = gpa;
  OUT.valueLo = lo;
  OUT.valueHi = hi;
  return OUT;
}

const ZERO: U64 = Object.freeze({ lo: 0, hi: 0 });
/** Where performAccess reads a value into (read at once: no object per guest read). */
const READ = { lo: 0, hi: 0 };

/** A guest read, write or instruction fetch. */
function guestAccess(m: Machine, step: Extract<Step, { op: 'read' | 'write' | 'fetch' }>): sim_StepOutcome {
  const ac = step.ac ?? false;
  // Made at the first exit only: most accesses hit and never need it.
  let access: WalkAccess | null = null;
  let exits = 0;
  for (;;) {
    const hw = hardwareWalk(m, step.gva, step.op, step.user, ac);
    if (hw.hit) {
      if (exits === 0) m.vcpuStats.hits++;
      return performAccess(m, step, exits === 0 ? 'hit' : 'shadow-fault', hw.gpa, false, false);
    }
    if (exits === 3) {
      if (m.tracing) m.emit({ kind: 'sim_note', text: 'the same access faulted 3 times without progress: the guest would loop here' });
      return outcome('shadow-fault');
    }
    exits++;
    m.vcpuStats.pf_exits++;
    access ??= { write: step.op === 'write', user: step.user, fetch: step.op === 'fetch', ac };
    if (m.tracing) m.emit({ kind: 'kvm_page_fault', gva: hexGva(m.cpu, step.gva), errorCode: hw.errorCode });
    const r = kvmMmuPageFault(m, step.gva, hw.errorCode, access);
    if (m.tracing) m.emit({ kind: 'kvm_mmu_page_fault', result: r.result });
    if (r.injected !== undefined) {
      vcpuEnterGuest(m);
      return injected(14, r.injected);
    }
    if (r.emulate) {
      // x86_emulate_instruction(): the write is modelled as a `mov`, a
      // page-table-writing instruction, so retry_instruction() never
      // unprotects instead. The emulator's own gva->gpa walk finds the A/D
      // bits the fault's walk already set, so it is not repeated.
      if (m.tracing) m.emit({ kind: 'x86_emulate_instruction', gva: hexGva(m.cpu, step.gva), reason: r.emulate.reason });
      m.vcpuStats.emulated++;
      // The emulator translates the gva itself (vcpu_mmio_gva_to_gpa): after an
      // MMIO spte hit no guest walk has checked this access yet, so it walks
      // and a refused access becomes a #PF for the guest.
      if (r.emulate.fromMmioSpte && m.cpu.cr0.pg) {
        const walk = walkAddr(m, step.gva, access);
        if (!walk.ok) {
          if (m.tracing) m.emit({ kind: 'kvm_inject_page_fault', gva: hexGva(m.cpu, step.gva), errorCode: walk.errorCode });
          m.vcpuStats.pf_guest++;
          vcpuEnterGuest(m);
          return injected(14, walk.errorCode);
        }
      }
      const mmio = r.emulate.reason === 'mmio';
      const out = performAccess(m, step, 'emulated', r.emulate.gpa, true, mmio);
      // emulator_write_phys(): write guest memory, then the page-track notifier.
      if (step.op === 'write' && !mmio) kvmMmuPteWrite(m, r.emulate.gpa, step.width);
      vcpuEnterGuest(m);
      return out;
    }
    vcpuEnterGuest(m);
  }
}

function injectGp(m: Machine, reason: string): sim_StepOutcome {
  if (m.tracing) m.emit({ kind: 'kvm_inject_gp', reason });
  vcpuEnterGuest(m);
  return injected(13, 0);
}

/** kvm_invalidate_pcid() (5.15; 6.1 with PCIDE=0 keeps the prev roots): sync + flush the active PCID, free prev roots of that PCID. */
function kvmInvalidatePcid(m: Machine, pcid: number): void {
  const active = getPcid(m.cpu, m.cpu.cr3) === pcid;
  // 5.15 has no "PCIDE=0: keep prev_roots" short-cut (that came in 5.16):
  // with PCIDs off every cached root has PCID 0 and is freed here.
  const prev: number[] = [];
  for (let i = 0; i < KVM_MMU_NUM_PREV_ROOTS; i++) {
    const p = m.mmu.prevRoots[i];
    if (p && getPcid(m.cpu, p.pgd) === pcid) prev.push(i);
  }
  // 6.1 (cachesPrevRootsWithoutPcid): "If PCID is disabled, there is no need
  // to free prev_roots even if the PCIDs for them are also 0, because MOV to
  // CR3 always flushes the TLB with PCIDE=0."
  const keep = !m.cpu.cr4.pcide && cachesPrevRootsWithoutPcid(m);
  if (keep) {
    if (m.linux61Fired && prev.some((i) => m.mmu.prevRoots[i]?.root != null)) linux61Fired(m, L61_PREV_ROOTS_WITHOUT_PCID);
    prev.length = 0;
  }
  if (m.tracing) m.emit({ kind: 'kvm_invalidate_pcid', pcid, active, freed: prev.filter((i) => m.mmu.prevRoots[i]?.root != null) });
  if (active) {
    makeRequest(m, 'KVM_REQ_MMU_SYNC');
    makeRequest(m, 'KVM_REQ_TLB_FLUSH_CURRENT');
  }
  kvmMmuFreeRoots(m, false, prev);
}

/** kvm_set_cr3() (x86.c, 5.15). */
function setCr3(m: Machine, value: number, noflush: boolean): sim_StepOutcome {
  if (m.tracing) m.emit({ kind: 'kvm_set_cr3', old: hex(m.cpu.cr3), new: hex(value) });
  const skipTlbFlush = m.cpu.cr4.pcide && noflush;
  const pcid = getPcid(m.cpu, value);
  if (!(value === m.cpu.cr3 && !isPaePaging(m.cpu))) {
    if (value >= 2 ** m.cpu.maxPhyAddr) return injectGp(m, 'CR3 above MAXPHYADDR');
    if (isPaePaging(m.cpu) && !loadPdptrs(m, value)) return injectGp(m, 'the PDPTEs at CR3 are unreadable or have reserved bits set');
    if (value !== m.cpu.cr3) kvmMmuNewPgd(m, value);
    m.cpu.cr3 = value;
  }
  if (!skipTlbFlush) kvmInvalidatePcid(m, pcid);
  vcpuEnterGuest(m);
  return outcome('done');
}

/** kvm_mmu_invlpg() -> kvm_mmu_invalidate_gva(): current root and every valid prev root. */
function invlpg(m: Machine, gva: number): sim_StepOutcome {
  if (m.tracing) m.emit({ kind: 'kvm_mmu_invlpg', gva: hexGva(m.cpu, gva) });
  m.vcpuStats.invlpg++;
  // nonpaging_init_context() has no invlpg hook: with paging off only the TLB
  // is flushed. (Non-canonical gvas, a no-op, are rejected by the parser.)
  if (m.cpu.cr0.pg && m.mmu.root !== null) {
    invlpgRoot(m, gva, m.mmu.root);
    for (const p of m.mmu.prevRoots) if (p.root !== null) invlpgRoot(m, gva, p.root);
  }
  vcpuEnterGuest(m);
  return outcome('done');
}

function controlStep(m: Machine, step: Extract<Step, { op: 'cr0' | 'cr4' | 'efer' }>): sim_StepOutcome {
  const c = m.cpu;
  const changed: string[] = [];
  if (step.op === 'cr0') {
    const pg = step.pg ?? c.cr0.pg;
    const wp = step.wp ?? c.cr0.wp;
    if (pg && !c.cr0.pg && c.efer.lme && !c.cr4.pae) return injectGp(m, 'CR0.PG with EFER.LME needs CR4.PAE');
    if (!pg && c.cr4.pcide) return injectGp(m, 'CR0.PG cleared while CR4.PCIDE is set');
    if (pg !== c.cr0.pg) changed.push('PG');
    if (wp !== c.cr0.wp) changed.push('WP');
    if (m.tracing) m.emit({ kind: 'kvm_set_cr0', changed });
    if (!c.efer.lme && pg && c.cr4.pae && pg !== c.cr0.pg) {
      const saved = c.cr0.pg;
      c.cr0.pg = true;
      const ok = loadPdptrs(m, c.cr3);
      c.cr0.pg = saved;
      if (!ok) return injectGp(m, 'the PDPTEs at CR3 are unreadable or have reserved bits set');
    }
    c.cr0 = { pg, wp };
    if (changed.length) kvmMmuResetContext(m, `CR0.${changed.join('/')} changed`);
  } else if (step.op === 'cr4') {
    const next = {
      pse: step.pse ?? c.cr4.pse,
      pae: step.pae ?? c.cr4.pae,
      smep: step.smep ?? c.cr4.smep,
      smap: step.smap ?? c.cr4.smap,
      pcide: step.pcide ?? c.cr4.pcide,
    };
    for (const k of ['pse', 'pae', 'smep', 'smap', 'pcide'] as const) if (next[k] !== c.cr4[k]) changed.push(k.toUpperCase());
    const old = c.cr4;
    // kvm_set_cr4(): the PDPTEs are reloaded (and may #GP) before the PCIDE checks.
    if (isLongMode(c)) {
      if (!next.pae) return injectGp(m, 'CR4.PAE cleared in long mode');
    } else if (c.cr0.pg && next.pae && (next.pse !== old.pse || next.pae !== old.pae || next.smep !== old.smep)) {
      if (!loadPdptrs(m, c.cr3)) return injectGp(m, 'the PDPTEs at CR3 are unreadable or have reserved bits set');
    }
    if (next.pcide && !old.pcide && (c.cr3 % 4096 !== 0 || !isLongMode(c))) return injectGp(m, 'CR4.PCIDE needs long mode and CR3[11:0] = 0');
    if (m.tracing) m.emit({ kind: 'kvm_set_cr4', changed });
    c.cr4 = next;
    const roleBits = changed.filter((k) => k !== 'PCIDE');
    const pcideOff = old.pcide && !next.pcide;
    if (roleBits.length || (pcideOff && !pcideOffKeepsRoots(m))) kvmMmuResetContext(m, `CR4.${changed.join('/')} changed`);
    else if (pcideOff) {
      // 6.1 (pcideOffKeepsRoots): KVM_REQ_TLB_FLUSH_GUEST, serviced at the
      // entry: kvm_vcpu_flush_tlb_guest() syncs the roots and frees the prev
      // roots with unsync pages below them (kvm_mmu_sync_prev_roots).
      if (m.linux61Fired) linux61Fired(m, L61_PCIDE_OFF_NO_RESET);
      if (m.tracing) m.emit({ kind: 'sim_note', text: 'CR4.PCIDE 1 -> 0: KVM_REQ_TLB_FLUSH_GUEST, no MMU reset (Linux 6.1): kvm_mmu_sync_roots + kvm_mmu_sync_prev_roots' });
      kvmMmuSyncRoots(m);
      kvmMmuSyncPrevRoots(m);
    }
    // 6.1 (cachesPrevRootsWithoutPcid): PCIDE 0 -> 1 frees every root, so no
    // root cached with PCIDE=0 is found by a later NOFLUSH MOV CR3.
    if (!old.pcide && next.pcide && cachesPrevRootsWithoutPcid(m)) {
      if (m.linux61Fired && (m.mmu.root !== null || m.mmu.prevRoots.some((p) => p.root !== null))) linux61Fired(m, L61_PREV_ROOTS_WITHOUT_PCID);
      kvmMmuUnload(m);
    }
  } else {
    const nx = step.nx ?? c.efer.nx;
    const lme = step.lme ?? c.efer.lme;
    if (lme !== c.efer.lme && c.cr0.pg) return injectGp(m, 'EFER.LME changed while paging');
    if (nx !== c.efer.nx) changed.push('NX');
    if (lme !== c.efer.lme) changed.push('LME');
    if (m.tracing) m.emit({ kind: 'set_efer', changed });
    c.efer = { nx, lme };
    // set_efer() in 5.15.y (x86.c, since 5.15.33: "KVM: x86: Reinitialize
    // context if host userspace toggles EFER.LME", upstream d6174299365d):
    //   if ((efer ^ old_efer) & KVM_MMU_EFER_ROLE_BITS)  /* EFER_LME | EFER_NX */
    //           kvm_mmu_reset_context(vcpu);
    // v5.15 itself compared EFER_NX only. A guest can flip LME only with
    // CR0.PG=0 (the #GP above), where the role does not depend on it, but the
    // kernel resets all the same: the roots are unloaded and rebuilt.
    if (changed.length) kvmMmuResetContext(m, `EFER.${changed.join('/')} changed`);
  }
  vcpuEnterGuest(m);
  return outcome('done');
}

/** The events of a step run with tracing off (frozen: nothing may add to it). */
const NO_EVENTS = Object.freeze([]) as unknown as TraceEvent[];
const discard = (): void => {};

/** applyStep's result with the guest-physical address and value as numbers (no hex strings: see sim_runStep). */
export type RawStepResult = Omit<StepResult, 'gpa' | 'value'> & { readonly gpa?: number; readonly value?: U64 };

/** Apply one step; the result's address and value as hex strings (as traces print them). */
export function applyStep(m: Machine, index: number, step: Step): StepResult {
  return sim_stepResult(sim_runStep(m, index, step));
}

/** A RawStepResult with its address and value as hex strings: applyStep's result. */
export function sim_stepResult(r: RawStepResult): StepResult {
  if (r.gpa === undefined) return r as StepResult;
  return { index: r.index, outcome: r.outcome, gpa: hex(r.gpa), value: hex64(r.value!), events: r.events };
}

/**
 * The step engine's entry: applyStep without formatting the address and
 * value as strings, for callers that keep a few results (a step's events, a
 * comparison): the result is an object of its own. Its events are recorded
 * only when `m.tracing` is on; the state the step leaves is the same either way.
 */
export function sim_runStep(m: Machine, index: number, step: Step): RawStepResult {
  // With tracing off every emit call site is skipped, so no array or sink is
  // made for the step: the result carries the one shared empty list.
  const events: TraceEvent[] = m.tracing ? [] : NO_EVENTS;
  m.emit = m.tracing
    ? (e) => {
        events.push(e);
      }
    : discard;
  return sim_rawResult(index, runStep(m, index, step), events);
}

/**
 * Runs step `index` on `m` (mutated in place) and returns its outcome, the
 * one record every step writes (read it before the next step): the entry for
 * runs that keep no result object, a timeline's build and replays, a trace
 * without events, a replay. No object is made for a hit with tracing off.
 * Events are made only with tracing on, and then dropped: sim_runStep keeps them.
 */
export function sim_advance(m: Machine, index: number, step: Step): sim_StepOutcome {
  m.emit = discard;
  return runStep(m, index, step);
}

/** The RawStepResult of step `index`: its outcome record (sim_advance's) and its events. */
export function sim_rawResult(index: number, o: sim_StepOutcome, events: readonly TraceEvent[]): RawStepResult {
  if (o.vector !== 0) return { index, outcome: o.outcome, vector: o.vector as 13 | 14, errorCode: o.errorCode, events };
  if (o.gpa >= 0) return { index, outcome: o.outcome, gpa: o.gpa, value: { lo: o.valueLo, hi: o.valueHi }, events };
  return { index, outcome: o.outcome, events };
}

function runStep(m: Machine, index: number, step: Step): sim_StepOutcome {
  m.stepIndex = index;
  switch (step.op) {
    case 'read':
    case 'write':
    case 'fetch':
      return guestAccess(m, step);
    case 'cr3':
      return setCr3(m, step.value, step.noflush ?? false);
    case 'invlpg':
      return invlpg(m, step.gva);
    case 'cr0':
    case 'cr4':
    case 'efer':
      return controlStep(m, step);
    case 'host-write': {
      // Straight into guest memory: no exit, no emulator, so no
      // kvm_page_track_write() and no kvm_mmu_pte_write(). Shadow entries
      // built from the old value stay as they are.
      const old = m.mem.read(step.gpa, step.width);
      m.mem.write(step.gpa, step.width, step.value);
      if (m.tracing) m.emit({ kind: 'sim_host_write', gpa: hex(step.gpa), width: step.width, old: hex64(old), value: hex64(step.value) });
      return outcome('done');
    }
    case 'zap-all':
      kvmMmuZapAll(m);
      vcpuEnterGuest(m);
      return outcome('done');
  }
}
