/**
 * The shadow page-fault path: kvm_mmu_page_fault -> FNAME(page_fault) ->
 * FNAME(walk_addr) -> FNAME(fetch) (paging_tmpl.h), or nonpaging_page_fault ->
 * __direct_map with paging off; plus hugepage adjustment and pte prefetch.
 */
import { hex } from '../bits.ts';
import { guestEntrySize, hexGva } from '../guest/cpu.ts';
import { walkAddr, type GuestWalker, type WalkAccess } from '../guest/walk.ts';
import { type Machine, type ShadowPage, spteRef } from '../machine.ts';
import {
  ACC_ALL,
  ACC_EXEC_MASK,
  ACC_USER_MASK,
  ACC_WRITE_MASK,
  pagesPerHpage,
  PFERR_PRESENT_MASK,
  PFERR_RSVD_MASK,
  PFERR_WRITE_MASK,
  PG_LEVEL_4K,
  PTE_PREFETCH_NUM,
} from './constants.ts';
import { ShadowWalk } from './iterator.ts';
import {
  childOfWords,
  clearSpWriteFloodingCount,
  dropLargeSpte,
  dropParentPte,
  isLpageDisallowed,
  isWriteTracked,
  kvmFlushRemoteTlbs,
  kvmMmuGetPage,
  kvmMmuPageGetGfn,
  linkShadowPage,
  makeMmuPagesAvailable,
} from './pages.ts';
import { roleJson, roleNotation, roleWord } from './role.ts';
import { childCheck, childRole, computeChildRole, directPrefetchesTrailing, L61_DIRECT_PREFETCH_TRAILING, linux61Fired } from './rules.ts';
import { mmuSetSpte, type PfResult } from './set_spte.ts';
import { getSpte, isLargePteOf, isMmioSpte, isShadowPresent, isShadowPresentOf, sptePfn } from './spte.ts';
import { invlpgRoot, mmuSyncChildren, prefetchGpte } from './sync.ts';

export interface FaultOutcome {
  readonly result: PfResult;
  /** Error code of a #PF injected into the guest (the guest walk failed). */
  readonly injected?: number;
  /** Why the instruction must be emulated, and the gpa it touches. */
  readonly emulate?: {
    readonly reason: 'write-tracked' | 'write-protected-pt' | 'mmio';
    readonly gpa: number;
    /** Found through an MMIO spte, without a guest walk: the emulator must check the guest's permissions itself. */
    readonly fromMmioSpte?: boolean;
  };
}

/**
 * kvm_mmu_get_child_sp(vcpu, sptep, gfn, direct, access): the child to link
 * at parent.spt[index], or null to keep the child already linked there
 * (-EEXIST). Callers have dropped a large spte, so a present spte links a child.
 *
 * The role comes from the active rule set (kvm_mmu_child_role after the
 * patch, the gaddr formula before it). 5.15 and the seed patch only get here
 * for a non-present sptep and walk through a present one unchecked
 * (childCheck 'follow'). The 5.15.y series as merged keeps a linked child only
 * if it shadows the gfn asked for ("unexpected GFN") and, with patch 7/8, has
 * the role computed here ("unexpected role"); otherwise the stale link is
 * dropped (as validate_direct_spte() does) and a new child is made.
 */
function kvmMmuGetChildSp(m: Machine, parent: ShadowPage, index: number, gaddr: number, gfn: number, direct: boolean, access: number): ShadowPage | null {
  const lo = parent.spt.get(2 * index);
  const present = isShadowPresentOf(lo);
  const check = childCheck(m.rules);
  if (present && check === 'follow') return null;
  // The formula is text for the trace: made only when tracing.
  const computed = m.tracing ? computeChildRole(m.rules, m.cpu, parent.role, index, gaddr, direct, access) : null;
  const role = computed ? computed.role : childRole(m.rules, m.cpu, parent.role, index, gaddr, direct, access);
  if (present) {
    // The spte as its two words: the merged series checks a present child at every level of every fault.
    const child = childOfWords(m, lo, parent.spt.get(2 * index + 1));
    const result = child.gfn !== gfn ? 'unexpected-gfn' : check === 'gfn+role' && child.roleWord !== roleWord(role) ? 'unexpected-role' : 'reuse';
    if (computed) m.emit({
      kind: 'kvm_mmu_get_child_sp',
      parent: { sp: parent.id, index },
      child: child.id,
      childGfn: hex(child.gfn),
      gfn: hex(gfn),
      childRole: roleNotation(child.gfn, child.role),
      role: roleNotation(gfn, role),
      result,
      roleChecked: check === 'gfn+role',
    });
    if (result === 'reuse') return null;
    dropParentPte(m, child, spteRef(parent.id, index));
    kvmFlushRemoteTlbs(m);
  }
  if (computed) m.emit({
    kind: 'sim_compute_role',
    fn: computed.fn,
    rules: m.rules,
    role: roleJson(role),
    parent: { sp: parent.id, index },
    gaddr: hex(gaddr),
    quadrantFormula: computed.quadrantFormula,
  });
  return kvmMmuGetPage(m, gfn, role);
}

/** kvm_mmu_hugepage_adjust() / kvm_mmu_max_mapping_level(). */
function kvmMmuHugepageAdjust(m: Machine, gfn: number, maxLevel: number): number {
  if (maxLevel === PG_LEVEL_4K || !m.host.gfnVisible(gfn)) return PG_LEVEL_4K;
  let max = Math.min(maxLevel, 3);
  for (; max > PG_LEVEL_4K; max--) {
    const span = pagesPerHpage(max);
    const base = gfn - (gfn % span);
    // lpage_info disallow: shadowed page tables, and ranges the memslot does not cover.
    if (!isLpageDisallowed(m, gfn, max) && m.host.gfnVisible(base) && m.host.gfnVisible(base + span - 1)) break;
  }
  if (max === PG_LEVEL_4K) return PG_LEVEL_4K;
  return Math.min(m.host.hostMappingLevel(gfn), max);
}

/**
 * trace_kvm_mmu_spte_requested after kvm_mmu_hugepage_adjust(), which returns
 * the level to map and aligns the pfn down to it (`*pfnp = pfn & ~mask`).
 */
function emitSpteRequested(m: Machine, gva: string, tracedLevel: number, gfn: number, mappedLevel: number): void {
  const span = pagesPerHpage(mappedLevel);
  const baseGfn = gfn - (gfn % span);
  const pfn = m.host.gfnVisible(gfn) ? m.host.gfnToPfn(gfn) - (gfn % span) : 0;
  if (m.tracing) m.emit({ kind: 'kvm_mmu_spte_requested', gva, level: tracedLevel, pfn: hex(pfn), mappedLevel, gfn: hex(baseGfn) });
}

/** page_fault_handle_page_track(): a write to a present, write-tracked gfn goes straight to the emulator. */
function pageFaultHandlePageTrack(m: Machine, errorCode: number, gfn: number): boolean {
  if (errorCode & PFERR_RSVD_MASK) return false;
  if (!(errorCode & PFERR_PRESENT_MASK) || !(errorCode & PFERR_WRITE_MASK)) return false;
  return isWriteTracked(m, gfn);
}

/** shadow_page_table_clear_flood(): the guest is using these tables, so they are not being recycled. */
function shadowPageTableClearFlood(m: Machine, addr: number): void {
  const it = new ShadowWalk(m, addr, m.mmu.root);
  for (; it.okay(); it.next()) {
    clearSpWriteFloodingCount(m, it.sp!, 'shadow_page_table_clear_flood');
    if (!isShadowPresent(it.spte())) break;
  }
}

/** FNAME(is_self_change_mapping): does the leaf map one of the tables of its own walk? */
function isSelfChangeMapping(m: Machine, w: GuestWalker, user: boolean): SelfChange {
  let self = false;
  let wf = false;
  if (!(w.pteAccess & ACC_WRITE_MASK || (!m.cpu.cr0.wp && !user))) return SELF_CHANGE[0]!;
  // KVM_PAGES_PER_HPAGE(walker->level): for a 4 MiB PSE leaf (level 2) this is 2 MiB.
  const span = pagesPerHpage(w.level);
  for (let level = w.level; level <= w.maxLevel; level++) {
    const tg = w.tableGfn[level - 1] ?? -1;
    if (Math.floor(w.gfn / span) === Math.floor(tg / span)) self = true;
    if (w.gfn === tg) wf = true;
  }
  return SELF_CHANGE[+self | (+wf << 1)]!;
}

interface SelfChange {
  readonly self: boolean;
  readonly writeFaultToShadowPgtable: boolean;
}
/** isSelfChangeMapping's four answers, shared (no object per fault). */
const SELF_CHANGE: readonly SelfChange[] = [0, 1, 2, 3].map((b) => Object.freeze({ self: (b & 1) !== 0, writeFaultToShadowPgtable: (b & 2) !== 0 }));

/** A fault's outcome with no injection and no emulation, one shared object per result. */
const PLAIN_OUTCOME: Readonly<Record<PfResult, FaultOutcome>> = {
  RET_PF_FIXED: Object.freeze({ result: 'RET_PF_FIXED' }),
  RET_PF_SPURIOUS: Object.freeze({ result: 'RET_PF_SPURIOUS' }),
  RET_PF_EMULATE: Object.freeze({ result: 'RET_PF_EMULATE' }),
  RET_PF_RETRY: Object.freeze({ result: 'RET_PF_RETRY' }),
};

/** Mirrors FNAME(fetch): link shadow pages down the walk, then install the leaf. */
function fetch(m: Machine, addr: number, gw: GuestWalker, writeFault: boolean, maxLevel: number): PfResult {
  const directAccess = gw.pteAccess;
  const it = new ShadowWalk(m, addr, m.mmu.root);
  if (!it.okay()) return 'RET_PF_RETRY';
  // FNAME(gpte_changed) re-reads are omitted: nothing runs concurrently here,
  // so the guest entries cannot change between the walk and this point.
  for (; it.okay() && it.level > gw.level; it.next()) {
    const sp = it.sp!;
    clearSpWriteFloodingCount(m, sp, 'FNAME(fetch)');
    dropLargeSpte(m, sp, it.index);
    const child = kvmMmuGetChildSp(m, sp, it.index, addr, gw.tableGfn[it.level - 2] ?? 0, false, gw.ptAccess[it.level - 2] ?? 0);
    if (!child) continue;
    // The guest need not flush after making a gpte present, so a page with
    // unsync children must be synced before it is linked (5.15).
    if (child.unsyncChildren) mmuSyncChildren(m, child);
    linkShadowPage(m, spteRef(sp.id, it.index), child);
  }
  const level = kvmMmuHugepageAdjust(m, gw.gfn, maxLevel);
  // 5.15 FNAME(fetch) traces kvm_mmu_spte_requested(addr, gw->level, pfn):
  // the guest leaf's level, not the level mapped; the event carries both.
  if (m.tracing) emitSpteRequested(m, hexGva(m.cpu, addr), gw.level, gw.gfn, level);
  let baseGfn = gw.gfn;
  for (; it.okay(); it.next()) {
    const sp = it.sp!;
    clearSpWriteFloodingCount(m, sp, 'FNAME(fetch)');
    baseGfn = gw.gfn - (gw.gfn % pagesPerHpage(it.level));
    if (it.level === level) break;
    validateDirectSpte(m, sp, it.index, directAccess);
    dropLargeSpte(m, sp, it.index);
    const child = kvmMmuGetChildSp(m, sp, it.index, addr, baseGfn, true, directAccess);
    if (child) linkShadowPage(m, spteRef(sp.id, it.index), child);
  }
  const leaf = it.sp!;
  const r = mmuSetSpte(m, leaf, it.index, gw.pteAccess, writeFault, level, baseGfn, false);
  if (r.ret === 'RET_PF_SPURIOUS') return r.ret;
  ptePrefetch(m, gw, leaf, it.index);
  m.vcpuStats.pf_fixed++;
  return r.ret;
}

/**
 * validate_direct_spte(): a direct child whose access no longer matches (the
 * guest leaf's dirty bit changed the effective access) is unlinked so a new
 * one with the right role.access is made.
 */
function validateDirectSpte(m: Machine, sp: ShadowPage, index: number, directAccess: number): void {
  const lo = sp.spt.get(2 * index);
  if (!isShadowPresentOf(lo) || isLargePteOf(lo)) return;
  const child = childOfWords(m, lo, sp.spt.get(2 * index + 1));
  if (child.role.access === directAccess) return;
  dropParentPte(m, child, spteRef(sp.id, index));
  kvmFlushRemoteTlbs(m);
}

/** FNAME(pte_prefetch): fill up to 7 neighbouring sptes from the guest PTEs the walk read. */
function ptePrefetch(m: Machine, gw: GuestWalker, sp: ShadowPage, index: number): void {
  if (sp.role.level > PG_LEVEL_4K) return;
  if (sp.role.direct) {
    directPtePrefetch(m, sp, index);
    return;
  }
  // No gw->prefetch_ptes (the leaf is not a 4 KiB gpte): nothing to prefetch from.
  if (gw.prefetchBase < 0) return;
  const size = guestEntrySize(m.cpu);
  const start = index - (index % PTE_PREFETCH_NUM);
  // The indexes filled, for the event only: no list with tracing off.
  const filled: number[] | null = m.tracing ? [] : null;
  for (let i = 0; i < PTE_PREFETCH_NUM; i++) {
    const idx = start + i;
    if (idx === index || isShadowPresentOf(sp.spt.get(2 * idx))) continue;
    if (!prefetchGpte(m, sp, idx, m.mem.readEntry(gw.prefetchBase + i * size, size))) break;
    filled?.push(idx);
  }
  if (filled?.length) m.emit({ kind: 'pte_prefetch', sp: sp.id, indexes: filled, direct: false });
}

/** __direct_pte_prefetch / direct_pte_prefetch_many: runs of empty sptes around the fault. */
function directPtePrefetch(m: Machine, sp: ShadowPage, index: number): void {
  if (sp.role.level > PG_LEVEL_4K) return;
  const filled: number[] = [];
  const many = (from: number, to: number): boolean => {
    let gfn = kvmMmuPageGetGfn(sp, from);
    if (!m.host.gfnVisible(gfn)) return false;
    for (let i = from; i < to && m.host.gfnVisible(gfn); i++, gfn++) {
      mmuSetSpte(m, sp, i, sp.role.access, false, sp.role.level, gfn, true);
      filled.push(i);
    }
    return true;
  };
  const base = index - (index % PTE_PREFETCH_NUM);
  let start: number | null = null;
  for (let i = 0; i < PTE_PREFETCH_NUM; i++) {
    const idx = base + i;
    if (isShadowPresent(getSpte(sp.spt, idx)) || idx === index) {
      if (start === null) continue;
      // direct_pte_prefetch_many() < 0: the kernel returns, trailing run included.
      if (!many(start, idx)) {
        start = null;
        break;
      }
      start = null;
    } else if (start === null) start = idx;
  }
  // A run still open at the end of the group is not prefetched in 5.15; 6.1
  // (directPrefetchesTrailing) prefetches it too.
  if (start !== null && directPrefetchesTrailing(m)) {
    if (m.linux61Fired) linux61Fired(m, L61_DIRECT_PREFETCH_TRAILING);
    many(start, base + PTE_PREFETCH_NUM);
  }
  if (filled.length && m.tracing) m.emit({ kind: 'pte_prefetch', sp: sp.id, indexes: filled, direct: true });
}

/** __direct_map(): paging off; the shadow tables map gpa directly. */
function directMap(m: Machine, gpa: number, write: boolean, maxLevel: number): PfResult {
  const gfn = Math.floor(gpa / 4096);
  const level = kvmMmuHugepageAdjust(m, gfn, maxLevel);
  // 5.15 __direct_map traces kvm_mmu_spte_requested(gpa, level, pfn): the level mapped.
  if (m.tracing) emitSpteRequested(m, hex(gpa), level, gfn, level);
  const it = new ShadowWalk(m, gpa, m.mmu.root);
  let baseGfn = gfn;
  for (; it.okay(); it.next()) {
    const sp = it.sp!;
    baseGfn = gfn - (gfn % pagesPerHpage(it.level));
    if (it.level === level) break;
    dropLargeSpte(m, sp, it.index);
    const child = kvmMmuGetChildSp(m, sp, it.index, gpa, baseGfn, true, ACC_ALL);
    if (child) linkShadowPage(m, spteRef(sp.id, it.index), child);
  }
  const leaf = it.sp!;
  const r = mmuSetSpte(m, leaf, it.index, ACC_ALL, write, level, baseGfn, false);
  if (r.ret === 'RET_PF_SPURIOUS') return r.ret;
  directPtePrefetch(m, leaf, it.index);
  m.vcpuStats.pf_fixed++;
  return r.ret;
}

/** handle_mmio_page_fault(): the spte on the path is an MMIO spte: emulate without walking. */
function handleMmioPageFault(m: Machine, addr: number): FaultOutcome | null {
  const it = new ShadowWalk(m, addr, m.mmu.root);
  for (; it.okay(); it.next()) {
    const v = it.spte();
    if (isMmioSpte(v)) {
      const gfn = sptePfn(v);
      if (m.tracing) m.emit({ kind: 'handle_mmio_page_fault', gva: hexGva(m.cpu, addr), gfn: hex(gfn) });
      return { result: 'RET_PF_EMULATE', emulate: { reason: 'mmio', gpa: gfn * 4096 + (addr % 4096), fromMmioSpte: true } };
    }
    if (!isShadowPresent(v)) break;
  }
  return null;
}

/**
 * kvm_mmu_page_fault(vcpu, cr2, error_code): entry point for a #PF exit.
 * `access` carries the same W/U/F bits plus EFLAGS.AC for the guest walk.
 */
export function kvmMmuPageFault(m: Machine, addr: number, errorCode: number, access: WalkAccess): FaultOutcome {
  if (errorCode & PFERR_RSVD_MASK) {
    // handle_mmio_page_fault(): no MMIO spte on the path means another vCPU
    // changed it meanwhile; the guest just retries.
    return handleMmioPageFault(m, addr) ?? PLAIN_OUTCOME.RET_PF_RETRY;
  }
  const ec = errorCode & ~PFERR_RSVD_MASK;
  if (!m.cpu.cr0.pg) return nonpagingPageFault(m, addr, ec, access.write);
  return pagingPageFault(m, addr, ec, access);
}

/** nonpaging_page_fault -> direct_page_fault (max_level PG_LEVEL_2M: the PAE shadow can do no more). */
function nonpagingPageFault(m: Machine, gpa: number, errorCode: number, write: boolean): FaultOutcome {
  const gfn = Math.floor(gpa / 4096);
  if (pageFaultHandlePageTrack(m, errorCode, gfn)) return { result: 'RET_PF_EMULATE', emulate: { reason: 'write-tracked', gpa } };
  makeMmuPagesAvailable(m);
  const result = directMap(m, gpa, write, 2);
  if (result === 'RET_PF_EMULATE') {
    return { result, emulate: { reason: m.host.gfnVisible(gfn) ? 'write-protected-pt' : 'mmio', gpa } };
  }
  return PLAIN_OUTCOME[result];
}

/** Mirrors FNAME(page_fault) (5.15 signature: addr, error_code, prefault). */
function pagingPageFault(m: Machine, addr: number, errorCode: number, access: WalkAccess): FaultOutcome {
  // FNAME(page_fault) hands the error code to FNAME(walk_addr) as its access.
  const walk = walkAddr(m, addr, access, errorCode);
  if (!walk.ok) {
    // The guest itself would have faulted: inject #PF with the walker's error
    // code. kvm_inject_emulated_page_fault() first invalidates the gva in the
    // current root for a protection fault (P=1, no RSVD), as hardware would
    // drop the TLB entry, so an unsync page re-reads that gpte.
    if (walk.errorCode & PFERR_PRESENT_MASK && !(walk.errorCode & PFERR_RSVD_MASK) && m.mmu.root !== null) {
      invlpgRoot(m, addr, m.mmu.root);
    }
    if (m.tracing) m.emit({ kind: 'kvm_inject_page_fault', gva: hexGva(m.cpu, addr), errorCode: walk.errorCode });
    m.vcpuStats.pf_guest++;
    return { result: 'RET_PF_RETRY', injected: walk.errorCode };
  }
  const w = walk.walker;
  const gpa = w.gfn * 4096 + (addr % 4096);
  if (pageFaultHandlePageTrack(m, errorCode, w.gfn)) {
    if (m.tracing) m.emit({ kind: 'page_fault_handle_page_track', gfn: hex(w.gfn) });
    shadowPageTableClearFlood(m, addr);
    return { result: 'RET_PF_EMULATE', emulate: { reason: 'write-tracked', gpa } };
  }
  const self = isSelfChangeMapping(m, w, access.user);
  if (self.self || self.writeFaultToShadowPgtable) {
    if (m.tracing) m.emit({ kind: 'is_self_change_mapping', selfChanged: self.self, writeFaultToShadowPgtable: self.writeFaultToShadowPgtable });
  }
  const maxLevel = self.self ? PG_LEVEL_4K : w.level;
  const noslot = !m.host.gfnVisible(w.gfn);
  // CR0.WP=0: a supervisor write to a read-only page is legal, so make the
  // spte writable but supervisor-only (and not executable under SMEP).
  if (access.write && !(w.pteAccess & ACC_WRITE_MASK) && !m.cpu.cr0.wp && !access.user && !noslot) {
    const before = w.pteAccess;
    w.pteAccess = (w.pteAccess | ACC_WRITE_MASK) & ~ACC_USER_MASK;
    if (m.cpu.cr4.smep) w.pteAccess &= ~ACC_EXEC_MASK;
    if (m.tracing) m.emit({ kind: 'sim_cr0_wp_adjust', before, after: w.pteAccess });
  }
  makeMmuPagesAvailable(m);
  const result = fetch(m, addr, w, access.write, maxLevel);
  if (result === 'RET_PF_EMULATE') return { result, emulate: { reason: noslot ? 'mmio' : 'write-protected-pt', gpa } };
  return PLAIN_OUTCOME[result];
}
