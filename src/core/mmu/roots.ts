/**
 * Roots: kvm_mmu_load, mmu_alloc_shadow_roots / mmu_alloc_direct_roots /
 * mmu_alloc_root, kvm_mmu_free_roots, kvm_mmu_new_pgd with the prev_roots
 * cache, and kvm_mmu_reset_context (mmu.c, 5.15 with the seed patch).
 */
import { hex, hex64, type U64 } from '../bits.ts';
import { guestRootLevel, shadowRootLevel } from '../guest/cpu.ts';
import { pdpteRsvd } from '../guest/walk.ts';
import { anySet, frameOf64 } from '../bits.ts';
import { getSp, KVM_REQ_BIT, type Machine, type PrevRoot } from '../machine.ts';
import type { RootSlot } from '../trace.ts';
import { KVM_MMU_NUM_PREV_ROOTS, PT_PRESENT_MASK } from './constants.ts';
import { clearSpWriteFloodingCount, kvmMmuCommitZapPage, kvmMmuGetPage, kvmMmuPrepareZapPage, makeMmuPagesAvailable } from './pages.ts';
import { roleJson, roleWord } from './role.ts';
import { baseRole, computeRootRole, L61_FREE_OBSOLETE_ROOTS_ONLY, L61_PAE_ROOTS_REBUILT, rebuildsRootsOnPdpteChange, L61_NEW_PGD_FULL_ROLE, L61_ROOT_EFER_NX, linux61Fired, newPgdUsesFullRole } from './rules.ts';
import { kvmMmuSyncRoots } from './sync.ts';

/** mmu_alloc_root(vcpu, gfn, quadrant, level): get (or find) the root page and take a root_count reference. */
function mmuAllocRoot(m: Machine, slot: RootSlot, gfn: number, rootIndex: number, level: number): number {
  const computed = computeRootRole(m.rules, m.cpu, rootIndex, level, m.linux61);
  if (m.linux61Fired && computed.role.eferNx && !(m.cpu.cr0.pg && m.cpu.efer.nx)) linux61Fired(m, L61_ROOT_EFER_NX);
  if (m.tracing) m.emit({
    kind: 'sim_compute_role',
    fn: computed.fn,
    rules: m.rules,
    role: roleJson(computed.role),
    rootIndex,
    gaddr: m.rules === 'before' && level === 2 ? hex(rootIndex * 2 ** 30) : undefined,
    quadrantFormula: computed.quadrantFormula,
  });
  const sp = kvmMmuGetPage(m, gfn, computed.role);
  sp.rootCount++;
  if (m.tracing) m.emit({ kind: 'mmu_alloc_root', slot, gfn: hex(gfn), sp: sp.id, quadrantArg: rootIndex });
  return sp.id;
}

/** mmu_alloc_direct_roots(): paging off under shadow paging: four direct PAE roots, 1 GiB of gpa each. */
function mmuAllocDirectRoots(m: Machine): void {
  makeMmuPagesAvailable(m);
  for (let i = 0; i < 4; i++) {
    m.mmu.paeRoot[i] = mmuAllocRoot(m, `pae${i as 0 | 1 | 2 | 3}`, i * 2 ** 18, i, 2);
  }
  m.mmu.root = 'pae';
  m.mmu.rootPgd = 0;
}

/**
 * mmu_alloc_shadow_roots(): one root for long mode; for PAE, one level-2 root
 * per present PDPTE; for a 32-bit guest, four level-2 roots of the *same*
 * guest page directory with quadrants 0-3.
 */
function mmuAllocShadowRoots(m: Machine): boolean {
  const rootPgd = m.cpu.cr3;
  const rootGfn = Math.floor(rootPgd / 4096);
  const rootLevel = guestRootLevel(m.cpu);
  // mmu_check_root(): a root gfn without a memslot requests a triple fault.
  if (!m.host.gfnVisible(rootGfn)) return false;
  if (rootLevel === 3) {
    for (const p of m.cpu.pdptrs) if (p.lo & PT_PRESENT_MASK && !m.host.gfnVisible(frameOf64(p.lo, p.hi))) return false;
  }
  makeMmuPagesAvailable(m);
  if (rootLevel >= 4) {
    m.mmu.root = mmuAllocRoot(m, 'current', rootGfn, 0, shadowRootLevel(m.cpu));
    m.mmu.rootPgd = rootPgd;
    return true;
  }
  for (let i = 0; i < 4; i++) {
    let gfn = rootGfn;
    if (rootLevel === 3) {
      const pdpte = m.cpu.pdptrs[i]!;
      if (!(pdpte.lo & PT_PRESENT_MASK)) {
        m.mmu.paeRoot[i] = null;
        if (m.tracing) m.emit({ kind: 'sim_pae_root_invalid', index: i, reason: `PDPTE ${i} not present` });
        continue;
      }
      gfn = frameOf64(pdpte.lo, pdpte.hi);
    }
    m.mmu.paeRoot[i] = mmuAllocRoot(m, `pae${i as 0 | 1 | 2 | 3}`, gfn, i, 2);
  }
  m.mmu.root = 'pae';
  m.mmu.rootPgd = rootPgd;
  return true;
}

/**
 * kvm_mmu_load(): on VM entry with no valid root, allocate roots, sync them
 * and load CR3. Returns false when the root gfn has no memslot (triple fault).
 */
export function kvmMmuLoad(m: Machine): boolean {
  const directMap = !m.cpu.cr0.pg;
  if (m.tracing) m.emit({ kind: 'kvm_mmu_load', directMap });
  if (directMap) mmuAllocDirectRoots(m);
  else if (!mmuAllocShadowRoots(m)) return false;
  kvmMmuSyncRoots(m);
  return true;
}

/** mmu_free_root_page(): drop one root_count reference; an invalid root with none left is zapped. */
function mmuFreeRootPage(m: Machine, slot: RootSlot, id: number): void {
  const sp = m.sps.get(id);
  if (!sp) return;
  sp.rootCount--;
  if (m.tracing) m.emit({ kind: 'mmu_free_root_page', slot, sp: id, rootCount: sp.rootCount });
  if (sp.rootCount === 0 && sp.role.invalid) kvmMmuPrepareZapPage(m, sp, 'last reference to an invalid root dropped');
}

/** kvm_mmu_free_roots(vcpu, mmu, roots_to_free). */
export function kvmMmuFreeRoots(m: Machine, current: boolean, prev: readonly number[]): void {
  const which: RootSlot[] = [];
  if (current && m.mmu.root !== null) which.push('current');
  for (const i of prev) if (m.mmu.prevRoots[i]?.root != null) which.push(`prev${i as 0 | 1 | 2}`);
  if (which.length === 0) return;
  if (m.tracing) m.emit({ kind: 'kvm_mmu_free_roots', which });
  for (const i of prev) {
    const p = m.mmu.prevRoots[i];
    if (p && p.root !== null) {
      mmuFreeRootPage(m, `prev${i as 0 | 1 | 2}`, p.root);
      // Only the hpa is invalidated; prev_roots[i].pgd keeps its value.
      m.mmu.prevRoots[i] = { pgd: p.pgd, root: null };
    }
  }
  if (current && m.mmu.root !== null) {
    if (m.mmu.root === 'pae') {
      for (let i = 0; i < 4; i++) {
        const id = m.mmu.paeRoot[i];
        if (id != null) mmuFreeRootPage(m, `pae${i as 0 | 1 | 2 | 3}`, id);
        m.mmu.paeRoot[i] = null;
      }
    } else mmuFreeRootPage(m, 'current', m.mmu.root);
    m.mmu.root = null;
    m.mmu.rootPgd = 0;
  }
  kvmMmuCommitZapPage(m);
}

/**
 * kvm_mmu_free_obsolete_roots() (6.1, freesObsoleteRootsOnly): free the
 * current root if it is a PAE root or invalid, and each invalid prev root;
 * valid cached roots stay.
 */
export function kvmMmuFreeObsoleteRoots(m: Machine): void {
  const obsolete = (id: number | null): boolean => id !== null && !(m.sps.get(id) && !getSp(m, id).role.invalid);
  const current = m.mmu.root === 'pae' || (typeof m.mmu.root === 'number' && obsolete(m.mmu.root));
  const prev = [0, 1, 2].filter((i) => obsolete(m.mmu.prevRoots[i]?.root ?? null));
  // It made a difference if kvm_mmu_unload() would have freed a root it keeps.
  if (m.linux61Fired && ((m.mmu.root !== null && !current) || m.mmu.prevRoots.some((p, i) => p.root !== null && !prev.includes(i)))) {
    linux61Fired(m, L61_FREE_OBSOLETE_ROOTS_ONLY);
  }
  kvmMmuFreeRoots(m, current, prev);
}

/** kvm_mmu_sync_prev_roots() (6.1): "sync" the prev roots with unsync pages below them by freeing them. */
export function kvmMmuSyncPrevRoots(m: Machine): void {
  const prev: number[] = [];
  for (let i = 0; i < m.mmu.prevRoots.length; i++) {
    const id = m.mmu.prevRoots[i]!.root;
    const sp = id === null ? undefined : m.sps.get(id);
    if (sp && (sp.unsync || sp.unsyncChildren)) prev.push(i);
  }
  kvmMmuFreeRoots(m, false, prev);
}

/** kvm_mmu_unload(): free the current root and every cached previous root. */
export function kvmMmuUnload(m: Machine): void {
  kvmMmuFreeRoots(m, true, [0, 1, 2]);
}

/** is_root_usable(): same pgd (or a direct role) and the root page's role equals the new role. */
function isRootUsable(m: Machine, root: PrevRoot, pgd: number, newWord: number, direct: boolean): boolean {
  if (root.root === null) return false;
  const sp = m.sps.get(root.root);
  return (direct || pgd === root.pgd) && !!sp && sp.roleWord === newWord;
}

/**
 * __kvm_mmu_new_pgd(): fast_pgd_switch() only for 64-bit guests on 64-bit
 * shadow tables, via cached_root_available(), which rotates the current root
 * into prev_roots; otherwise free the current root(s).
 */
export function kvmMmuNewPgd(m: Machine, newPgd: number): void {
  if (m.tracing) m.emit({ kind: 'kvm_mmu_new_pgd', pgd: hex(newPgd) });
  // kvm_mmu_calc_root_page_role() computes the role with base_only = true: the
  // extended role is left zero, so smep_andnot_wp / smap_andnot_wp are 0 here
  // and a root with either bit set is never found in the cache (5.15). 6.1
  // (newPgdUsesFullRole) compares with mmu->root_role as it is.
  const full = baseRole(m.rules, m.cpu, m.linux61);
  const fullRole = newPgdUsesFullRole(m);
  if (fullRole && m.linux61Fired && (full.smepAndnotWp || full.smapAndnotWp)) linux61Fired(m, L61_NEW_PGD_FULL_ROLE);
  const base = fullRole ? full : { ...full, smepAndnotWp: false, smapAndnotWp: false };
  const newWord = roleWord(base);
  if (shadowRootLevel(m.cpu) >= 4 && guestRootLevel(m.cpu) >= 4 && m.mmu.root !== 'pae') {
    let root: PrevRoot = { pgd: m.mmu.rootPgd, root: m.mmu.root as number | null };
    if (!isRootUsable(m, root, newPgd, newWord, base.direct)) {
      let i = 0;
      for (; i < KVM_MMU_NUM_PREV_ROOTS; i++) {
        const tmp = m.mmu.prevRoots[i]!;
        m.mmu.prevRoots[i] = root;
        root = tmp;
        if (isRootUsable(m, root, newPgd, newWord, base.direct)) break;
      }
      m.mmu.root = root.root;
      m.mmu.rootPgd = root.pgd;
      const hitIndex = i < KVM_MMU_NUM_PREV_ROOTS ? i : null;
      if (m.tracing) m.emit({ kind: 'cached_root_available', hit: hitIndex !== null, prevIndex: hitIndex });
      if (hitIndex === null) {
        kvmMmuFreeRoots(m, true, []);
        return;
      }
    } else if (m.tracing) m.emit({ kind: 'cached_root_available', hit: true, prevIndex: null });
    m.mmu.requests |= KVM_REQ_BIT.KVM_REQ_LOAD_MMU_PGD;
    // A reused root's flooding count restarts: the guest is using it again.
    if (!base.direct && typeof m.mmu.root === 'number') clearSpWriteFloodingCount(m, getSp(m, m.mmu.root), 'kvm_mmu_new_pgd');
    return;
  }
  kvmMmuFreeRoots(m, true, []);
}

/**
 * load_pdptrs(): read the four PDPTEs at CR3 into the registers; a present
 * PDPTE with reserved bits makes the MOV fail (#GP). In 5.15 the shadow roots
 * are *not* freed when the PDPTEs change (upstream 6b123c3a89a9 was never
 * backported): a same-value CR3 reload keeps the old pae_root[] entries.
 * 6.1 has it: changed PDPTEs free the current root, rebuilt at the next entry.
 */
export function loadPdptrs(m: Machine, cr3: number): boolean {
  const base = cr3 - (cr3 % 32);
  // kvm_read_guest_page_mmu() fails for a gfn without memslot.
  if (!m.host.gfnVisible(Math.floor(cr3 / 4096))) return false;
  const next: U64[] = [];
  for (let i = 0; i < 4; i++) next.push(m.mem.readEntry(base + i * 8, 8));
  const rsvd = pdpteRsvd(m.cpu);
  for (const p of next) if (p.lo & PT_PRESENT_MASK && anySet(p, rsvd)) return false;
  const changed = next.some((p, i) => p.lo !== m.cpu.pdptrs[i]!.lo || p.hi !== m.cpu.pdptrs[i]!.hi);
  m.cpu.pdptrs = [next[0]!, next[1]!, next[2]!, next[3]!];
  if (m.tracing) m.emit({ kind: 'load_pdptrs', pdptrs: next.map(hex64), changed });
  // 6.1 (rebuildsRootsOnPdpteChange): "Shadow page roots need to be
  // reconstructed instead": kvm_mmu_free_roots(KVM_MMU_ROOT_CURRENT).
  if (changed && m.mmu.root !== null && rebuildsRootsOnPdpteChange(m)) {
    if (m.linux61Fired) linux61Fired(m, L61_PAE_ROOTS_REBUILT);
    kvmMmuFreeRoots(m, true, []);
  }
  return true;
}

/** kvm_mmu_reset_context(): a role-relevant CR0/CR4/EFER change unloads every root. */
export function kvmMmuResetContext(m: Machine, reason: string): void {
  if (m.tracing) m.emit({ kind: 'kvm_mmu_reset_context', reason });
  kvmMmuUnload(m);
}

