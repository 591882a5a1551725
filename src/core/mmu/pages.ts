/**
 * Shadow pages and their bookkeeping (mmu.c): the gfn hash, allocation,
 * kvm_mmu_get_page, write tracking, rmaps, parent ptes, unsync marking and
 * zapping.
 */
import { hex, hex64, pow2, type U64 } from '../bits.ts';
import {
  getSp,
  type KernelBug,
  KVM_REQ_BIT,
  type KvmRequest,
  type PteList,
  bitmapMut,
  forgetPage,
  gfnsMut,
  ownNewPage,
  parentPtesMut,
  sptMut,
  type Machine,
  refId,
  refIndex,
  rmapKey,
  type ShadowPage,
  spteRef,
} from '../machine.ts';
import { CowArray } from '../cow-array.ts';
import type { PMap } from '../pmap.ts';
import { spPfn } from '../host.ts';
import type { SpteRefJson } from '../trace.ts';
import {
  KVM_MIN_FREE_MMU_PAGES,
  KVM_MMU_HASH_SHIFT,
  KVM_PAGE_ARRAY_NR,
  KVM_REFILL_PAGES,
  PG_LEVEL_4K,
  PT_WRITABLE_MASK,
} from './constants.ts';
import { type PageRole, roleJson, roleNotation, roleWord } from './role.ts';
import { L61_NO_CURRENT_FLUSH_ON_SP_CHANGE, L61_NO_UNSYNC_WHEN_PREFETCH, linux61Fired, noCurrentFlushOnSpChange, noUnsyncWhenPrefetch, syncKeepsEmptyPage } from './rules.ts';
import {
  getSpte,
  isLargePteOf,
  isLastSpte,
  isMmioSpte,
  isShadowPresent,
  isShadowPresentOf,
  isZero,
  makeNonleafSpte,
  setSpte,
  SPTE_MMU_WRITEABLE,
  sptePfnOf,
} from './spte.ts';

const ZERO: U64 = { lo: 0, hi: 0 };

// ---------------------------------------------------------------------------
// The gfn hash: kvm_page_table_hashfn(gfn) = hash_64(gfn, KVM_MMU_HASH_SHIFT)

/** GOLDEN_RATIO_64 = 0x61C8864680B583EB as four 16-bit limbs, low first. */
const GR = [0x83eb, 0x80b5, 0x8646, 0x61c8] as const;

/**
 * hash_64(gfn, 12): the top 12 bits of the low 64 bits of gfn * GOLDEN_RATIO_64,
 * by 16-bit limbs (each partial sum stays exact in a double). Scalars and
 * masks only: the array-and-remainder version was a measurable share of every
 * shadow-page lookup on the 100k bench (issue 17).
 */
export function kvmPageTableHashfn(gfn: number): number {
  const g0 = gfn & 0xffff;
  const g1 = Math.floor(gfn / 0x10000) & 0xffff;
  const g2 = Math.floor(gfn / 2 ** 32) & 0xffff;
  const g3 = Math.floor(gfn / 2 ** 48) & 0xffff;
  const r0 = g0 * GR[0];
  const r1 = g0 * GR[1] + g1 * GR[0] + Math.floor(r0 / 0x10000);
  const r2 = g0 * GR[2] + g1 * GR[1] + g2 * GR[0] + Math.floor(r1 / 0x10000);
  const r3 = g0 * GR[3] + g1 * GR[2] + g2 * GR[1] + g3 * GR[0] + Math.floor(r2 / 0x10000);
  return (r3 & 0xffff) >>> (16 - KVM_MMU_HASH_SHIFT);
}

export const spNotation = (sp: ShadowPage): string => roleNotation(sp.gfn, sp.role);

export function refJson(ref: number): SpteRefJson {
  return { sp: refId(ref), index: refIndex(ref) };
}

/** sptep_to_sp() */
export const refSp = (m: Machine, ref: number): ShadowPage => getSp(m, refId(ref));
export const readRef = (m: Machine, ref: number): U64 => getSpte(refSp(m, ref).spt, refIndex(ref));

/** to_shadow_page(spte & PT64_BASE_ADDR_MASK) for a non-leaf spte. */
export function childOf(m: Machine, spte: U64): ShadowPage {
  return childOfWords(m, spte.lo, spte.hi);
}

/** childOf for an spte given as its two halves (the hardware walk reads words: no object per level). */
export function childOfWords(m: Machine, lo: number, hi: number): ShadowPage {
  return getSp(m, sptePfnOf(lo, hi) - spPfn(0));
}

const NO_SPS: readonly ShadowPage[] = Object.freeze([]);

/**
 * for_each_gfn_indirect_valid_sp(): every valid shadow page that shadows guest
 * table `gfn`, as a list of its own (callers may zap while they go through it).
 * One pass and no list when there is none: make_spte() asks this for every
 * writable spte it makes, and most gfns are not guest tables.
 */
export function gfnIndirectValidSps(m: Machine, gfn: number): readonly ShadowPage[] {
  const ids = m.hash.get(kvmPageTableHashfn(gfn));
  if (!ids) return NO_SPS;
  let out: ShadowPage[] | null = null;
  for (let k = 0; k < ids.length; k++) {
    const sp = getSp(m, ids[k]!);
    if (!sp.role.invalid && sp.gfn === gfn && !sp.role.direct) (out ??= []).push(sp);
  }
  return out ?? NO_SPS;
}

// ---------------------------------------------------------------------------
// Write tracking and large-page disallow (page_track.c, mmu.c)

export const isWriteTracked = (m: Machine, gfn: number): boolean => (m.writeTrack.get(gfn) ?? 0) > 0;

function bump(map: PMap<number>, key: number, by: number): void {
  const v = (map.get(key) ?? 0) + by;
  if (v === 0) map.delete(key);
  else map.set(key, v);
}

/** kvm_mmu_gfn_disallow_lpage / kvm_mmu_gfn_allow_lpage: counts for the 2M and 1G regions. */
function gfnLpage(m: Machine, gfn: number, by: number): void {
  for (let level = 2; level <= 3; level++) bump(m.lpageDisallow, rmapKey(level, gfn), by);
}

export const isLpageDisallowed = (m: Machine, gfn: number, level: number): boolean =>
  (m.lpageDisallow.get(rmapKey(level, gfn)) ?? 0) > 0;

/**
 * account_shadowed(): upper-level guest tables are write-tracked (which also
 * write-protects every spte mapping them); level-1 tables only disallow large
 * pages (kvm_mmu_get_page write-protects them itself).
 */
function accountShadowed(m: Machine, sp: ShadowPage): void {
  m.indirectShadowPages++;
  const tracked = sp.role.level > PG_LEVEL_4K;
  if (m.tracing) m.emit({ kind: 'account_shadowed', sp: sp.id, gfn: hex(sp.gfn), writeTracked: tracked });
  if (tracked) {
    bump(m.writeTrack, sp.gfn, 1);
    gfnLpage(m, sp.gfn, 1);
    // kvm_slot_page_track_add_page(KVM_PAGE_TRACK_WRITE) write-protects
    // through kvm_mmu_slot_gfn_write_protect(), not rmap_write_protect().
    if (kvmMmuSlotGfnWriteProtect(m, sp.gfn, 'kvm_slot_page_track_add_page')) kvmFlushRemoteTlbs(m);
    return;
  }
  gfnLpage(m, sp.gfn, 1);
}

function unaccountShadowed(m: Machine, sp: ShadowPage): void {
  m.indirectShadowPages--;
  if (m.tracing) m.emit({ kind: 'unaccount_shadowed', sp: sp.id, gfn: hex(sp.gfn) });
  if (sp.role.level > PG_LEVEL_4K) bump(m.writeTrack, sp.gfn, -1);
  gfnLpage(m, sp.gfn, -1);
}

/** __clear_sp_write_flooding_count(): sp is in use, so its count of emulated writes restarts. */
export function clearSpWriteFloodingCount(m: Machine, sp: ShadowPage, by: 'FNAME(fetch)' | 'shadow_page_table_clear_flood' | 'kvm_mmu_get_page' | 'kvm_mmu_new_pgd'): void {
  if (sp.writeFloodingCount === 0) return;
  if (m.tracing) m.emit({ kind: 'clear_sp_write_flooding_count', sp: sp.id, count: sp.writeFloodingCount, by });
  sp.writeFloodingCount = 0;
}

/** kvm_make_request(): set a request bit for vcpu_enter_guest to service. */
export function makeRequest(m: Machine, req: KvmRequest): void {
  const bit = KVM_REQ_BIT[req];
  if (m.mmu.requests & bit) return;
  m.mmu.requests |= bit;
  if (m.tracing) m.emit({ kind: 'kvm_make_request', req });
}

/**
 * kvm_flush_remote_tlbs(): KVM_REQ_TLB_FLUSH to every vCPU. With one vCPU no
 * IPI is sent, so only remote_tlb_flush_requests counts it.
 */
export function kvmFlushRemoteTlbs(m: Machine): void {
  m.stats.remote_tlb_flush_requests++;
  if (m.tracing) m.emit({ kind: 'kvm_flush_remote_tlbs' });
  m.mmu.requests |= KVM_REQ_BIT.KVM_REQ_TLB_FLUSH;
}

// ---------------------------------------------------------------------------
// Reverse maps (rmap_add / rmap_remove / __rmap_write_protect)

/** kvm_mmu_page_get_gfn(): sp->gfns[i] for indirect pages, computed for direct ones. */
export function kvmMmuPageGetGfn(sp: Pick<ShadowPage, 'gfn' | 'gfns' | 'role'>, index: number): number {
  if (sp.gfns) return sp.gfns.get(index);
  return sp.gfn + index * pow2(9 * (sp.role.level - 1));
}

/** pte_list_add(): a single spte in the head, a list from the second on (PteList); the list is the rmap's own (PMap.update). */
const pteListAdd = (cur: PteList | undefined, ref: number): PteList => {
  if (cur === undefined) return ref;
  if (typeof cur === 'number') return [cur, ref];
  cur.push(ref);
  return cur;
};

export function rmapAdd(m: Machine, sp: ShadowPage, index: number, gfn: number): void {
  if (sp.gfns) gfnsMut(m, sp).set(index, gfn);
  const key = rmapKey(sp.role.level, gfn);
  const ref = spteRef(sp.id, index);
  m.rmap.update(key, pteListAdd, ref);
  // A direct page cannot record the gfn: kvm_mmu_page_get_gfn() derives it
  // from sp->gfn. If the two disagree, rmap_remove() will later search the
  // wrong list. Nothing in the kernel notices here; the simulator says so.
  if (sp.gfns) return;
  const derived = kvmMmuPageGetGfn(sp, index);
  if (rmapKey(sp.role.level, derived) !== key) {
    if (m.tracing) m.emit({ kind: 'sim_rmap_gfn_mismatch', sp: sp.id, index, gfn: hex(gfn), derivedGfn: hex(derived) });
    kernelBug(m, 'stale-rmap', `sp ${sp.id}[${index}] is in the rmap of gfn ${hex(gfn)}, but kvm_mmu_page_get_gfn() of this direct page says ${hex(derived)}`);
  }
}

/** Record kernel data corruption the model ran into (see Machine.bugs). */
export function kernelBug(m: Machine, kind: KernelBug['kind'], text: string): void {
  m.bugs.push({ step: m.stepIndex, kind, text });
}

/**
 * rmap_remove(): finds the rmap through kvm_mmu_page_get_gfn, exactly as the
 * kernel does. If that list does not hold the spte, 5.15's pte_list_remove()
 * prints "0->BUG" (empty list), "1->BUG" (one other entry) or "many->many" and
 * BUG()s; kernels since 6.x use KVM_BUG_ON_DATA_CORRUPTION and return. The
 * simulator goes on like the latter, so the spte stays in the list it was
 * really added to, pointing into a page that may then be freed.
 */
function rmapRemove(m: Machine, sp: ShadowPage, index: number): void {
  const gfn = kvmMmuPageGetGfn(sp, index);
  const key = rmapKey(sp.role.level, gfn);
  const cur = m.rmap.get(key);
  const ref = spteRef(sp.id, index);
  const at = cur === undefined ? -1 : typeof cur === 'number' ? (cur === ref ? 0 : -1) : cur.indexOf(ref);
  if (cur === undefined || at < 0) {
    const bug = cur === undefined ? '0->BUG' : typeof cur === 'number' ? '1->BUG' : 'many->many';
    if (m.tracing) m.emit({ kind: 'pte_list_remove', sp: sp.id, index, gfn: hex(gfn), bug });
    kernelBug(m, 'pte_list_remove', `rmap_remove(sp ${sp.id}[${index}]) searched the rmap of gfn ${hex(gfn)}: pte_list_remove: ${bug}, BUG() in 5.15`);
    return;
  }
  if (typeof cur === 'number') {
    m.rmap.delete(key);
    return;
  }
  const list = m.rmap.getMut(key) as number[];
  list.splice(at, 1);
  // Two refs left one: the head holds it alone again (PteList).
  if (list.length === 1) m.rmap.set(key, list[0]!);
}

function pageStats(m: Machine, level: number, by: number): void {
  if (level === 1) m.stats.pages_4k += by;
  else if (level === 2) m.stats.pages_2m += by;
  else m.stats.pages_1g += by;
}

/**
 * kvm_mmu_slot_gfn_write_protect(slot, gfn, PG_LEVEL_4K) / rmap_write_protect():
 * clear W (and mmu-writable) in every spte mapping gfn at any level.
 * Returns whether anything changed (the caller flushes).
 */
export function kvmMmuSlotGfnWriteProtect(m: Machine, gfn: number, caller: 'rmap_write_protect' | 'kvm_slot_page_track_add_page' = 'rmap_write_protect'): boolean {
  // The sptes changed, for the event (no list with tracing off), and whether any was.
  const changed: SpteRefJson[] | null = m.tracing ? [] : null;
  let any = false;
  for (let level = 1; level <= 3; level++) {
    const l = m.rmap.get(rmapKey(level, gfn));
    if (l === undefined) continue;
    // A pte_list's refs without a list made for a single one (PteList).
    const n = typeof l === 'number' ? 1 : l.length;
    for (let j = 0; j < n; j++) {
      const ref = typeof l === 'number' ? l : l[j]!;
      const sp = m.sps.get(refId(ref));
      if (!sp) {
        // The rmap still points into a shadow page that has been freed: the
        // kernel would read and write freed memory here.
        if (m.tracing) m.emit({ kind: 'sim_use_after_free', gfn: hex(gfn), spte: refJson(ref), by: 'rmap_write_protect' });
        kernelBug(m, 'use-after-free', `rmap_write_protect(gfn ${hex(gfn)}) followed the rmap into sp ${refId(ref)}[${refIndex(ref)}], which was freed`);
        continue;
      }
      const i = refIndex(ref);
      const lo = sp.spt.get(2 * i);
      if (!(lo & (PT_WRITABLE_MASK | SPTE_MMU_WRITEABLE))) continue;
      // Only the low half changes (W and MMU-writable are there).
      sptMut(m, sp).set(2 * i, (lo & ~(PT_WRITABLE_MASK | SPTE_MMU_WRITEABLE)) >>> 0);
      if (lo & PT_WRITABLE_MASK) {
        any = true;
        changed?.push(refJson(ref));
      }
    }
  }
  if (changed) m.emit({ kind: 'rmap_write_protect', gfn: hex(gfn), sptes: changed, caller });
  return any;
}

/** drop_spte(): clear a leaf spte and drop it from its rmap. */
export function dropSpte(m: Machine, sp: ShadowPage, index: number): void {
  const old = getSpte(sp.spt, index);
  if (isZero(old)) return;
  setSpte(sptMut(m, sp), index, ZERO);
  if (!isShadowPresent(old)) return;
  if (m.tracing) m.emit({ kind: 'drop_spte', sp: sp.id, index, gfn: hex(kvmMmuPageGetGfn(sp, index)), spte: hex64(old) });
  rmapRemove(m, sp, index);
  pageStats(m, sp.role.level, -1);
}

/** drop_parent_pte(): unlink child from one parent spte (the parent's unsync bit stays; see __mmu_unsync_walk). */
export function dropParentPte(m: Machine, child: ShadowPage, parentRef: number): void {
  const at = child.parentPtes.indexOf(parentRef);
  if (at >= 0) parentPtesMut(m, child).splice(at, 1);
  setSpte(sptMut(m, refSp(m, parentRef)), refIndex(parentRef), ZERO);
  if (m.tracing) m.emit({ kind: 'drop_parent_pte', parent: refJson(parentRef), child: child.id });
}

/** mmu_page_zap_pte(): drop a leaf, unlink a child table, or clear an MMIO spte. */
export function mmuPageZapPte(m: Machine, sp: ShadowPage, index: number): void {
  const v = getSpte(sp.spt, index);
  if (isShadowPresent(v)) {
    if (isLastSpte(v, sp.role.level)) dropSpte(m, sp, index);
    else dropParentPte(m, childOf(m, v), spteRef(sp.id, index));
  } else if (isMmioSpte(v)) {
    setSpte(sptMut(m, sp), index, ZERO);
  }
}

/** drop_large_spte(): a large leaf where a table must go is dropped (and flushed). */
export function dropLargeSpte(m: Machine, sp: ShadowPage, index: number): void {
  // is_shadow_present_pte() && is_large_pte() read only the low word: no object per level of a fault.
  const lo = sp.spt.get(2 * index);
  if (isShadowPresentOf(lo) && isLargePteOf(lo)) {
    dropSpte(m, sp, index);
    kvmFlushRemoteTlbs(m);
  }
}

export function addLeafStats(m: Machine, level: number): void {
  pageStats(m, level, 1);
}

// ---------------------------------------------------------------------------
// Unsync (kvm_unsync_page, mark_unsync, mmu_try_to_unsync_pages)

/** mark_unsync(): set the parent's bitmap bit; propagate up when its count leaves zero. */
function markUnsync(m: Machine, ref: number): void {
  const sp = refSp(m, ref);
  const index = refIndex(ref);
  if (sp.unsyncChildBitmap.get(index)) return;
  bitmapMut(m, sp).set(index, 1);
  if (m.tracing) m.emit({ kind: 'mark_unsync', sp: sp.id, index });
  if (sp.unsyncChildren++) return;
  kvmMmuMarkParentsUnsync(m, sp);
}

function kvmMmuMarkParentsUnsync(m: Machine, sp: ShadowPage): void {
  for (const ref of sp.parentPtes.slice()) markUnsync(m, ref);
}

export function clearUnsyncChildBit(m: Machine, sp: ShadowPage, index: number): void {
  if (!sp.unsyncChildBitmap.get(index)) return;
  sp.unsyncChildren--;
  bitmapMut(m, sp).set(index, 0);
}

function kvmUnsyncPage(m: Machine, sp: ShadowPage): void {
  if (m.tracing) m.emit({ kind: 'kvm_mmu_unsync_page', sp: sp.id, notation: spNotation(sp) });
  m.stats.mmu_unsync++;
  sp.unsync = true;
  kvmMmuMarkParentsUnsync(m, sp);
}

/** kvm_unlink_unsync_page(): traces kvm_mmu_sync_page. */
export function kvmUnlinkUnsyncPage(m: Machine, sp: ShadowPage): void {
  if (m.tracing) m.emit({ kind: 'kvm_mmu_sync_page', sp: sp.id, notation: spNotation(sp) });
  sp.unsync = false;
  m.stats.mmu_unsync--;
}

/**
 * mmu_try_to_unsync_pages(): may a writable spte map `gfn`? Refused (returns
 * false, the spte is write-protected) if the gfn is write-tracked, or if it is
 * shadowed and `canUnsync` is false, or (6.1) shadowed by a synced page and
 * the spte is prefetched; otherwise every level-1 shadow page of the gfn is unsynced.
 */
export function mmuTryToUnsyncPages(m: Machine, gfn: number, canUnsync: boolean, prefetch: boolean): boolean {
  if (isWriteTracked(m, gfn)) return false;
  const sps = gfnIndirectValidSps(m, gfn);
  for (let k = 0; k < sps.length; k++) {
    const sp = sps[k]!;
    if (!canUnsync) return false;
    if (sp.unsync) continue;
    // 6.1 (noUnsyncWhenPrefetch): a prefetched spte never unsyncs a page (-EEXIST).
    if (prefetch && noUnsyncWhenPrefetch(m)) {
      if (m.linux61Fired) linux61Fired(m, L61_NO_UNSYNC_WHEN_PREFETCH);
      return false;
    }
    kvmUnsyncPage(m, sp);
  }
  return true;
}

// ---------------------------------------------------------------------------
// Linking

/** link_shadow_page(): write the non-leaf spte, add the parent pte, propagate unsync. */
export function linkShadowPage(m: Machine, parentRef: number, child: ShadowPage): void {
  const parent = refSp(m, parentRef);
  const spte = makeNonleafSpte(spPfn(child.id));
  setSpte(sptMut(m, parent), refIndex(parentRef), spte);
  parentPtesMut(m, child).push(parentRef);
  if (m.tracing) m.emit({ kind: 'link_shadow_page', parent: refJson(parentRef), child: child.id, spte: hex64(spte) });
  if (child.unsyncChildren || child.unsync) markUnsync(m, parentRef);
}

// ---------------------------------------------------------------------------
// kvm_mmu_get_page

/** kvm_mmu_alloc_page() + hash insertion: a new page at the head of both lists. */
function kvmMmuAllocPage(m: Machine, gfn: number, role: PageRole): ShadowPage {
  const id = m.nextSpId++;
  const sp: ShadowPage = {
    id,
    gfn,
    role,
    roleWord: roleWord(role),
    spt: CowArray.of(1024),
    gfns: role.direct ? null : CowArray.of(512, true),
    parentPtes: [],
    rootCount: 0,
    unsync: false,
    unsyncChildren: 0,
    unsyncChildBitmap: CowArray.of(512),
    writeFloodingCount: 0,
    createdAt: m.stepIndex,
  };
  m.sps.set(id, sp);
  ownNewPage(m, sp);
  m.activeList.unshift(id);
  m.nUsedMmuPages++;
  const bucket = kvmPageTableHashfn(gfn);
  const list = m.hash.getMut(bucket);
  if (list) list.unshift(id);
  else m.hash.set(bucket, [id]);
  return sp;
}

/**
 * Mirrors kvm_mmu_get_page(vcpu, gfn, role) after the seed patch (the role is
 * computed by the caller; see rules.ts): find (gfn, role.word) in the hash,
 * syncing an unsync match, or create the page, write-protecting the gfn.
 */
export function kvmMmuGetPage(m: Machine, gfn: number, role: PageRole): ShadowPage {
  const word = roleWord(role);
  const directMmu = !m.cpu.cr0.pg;
  let collisions = 0;
  let found: ShadowPage | null = null;
  // for_each_valid_sp(). A zap in the loop only prepares (the bucket's list
  // changes when kvm_mmu_commit_zap_page() frees, after the loop).
  const bucket = m.hash.get(kvmPageTableHashfn(gfn));
  for (let k = 0; bucket && k < bucket.length; k++) {
    const sp = getSp(m, bucket[k]!);
    if (sp.role.invalid) continue; // obsolete, or zapped earlier in this loop
    if (sp.gfn !== gfn) {
      collisions++;
      continue;
    }
    if (sp.roleWord !== word) {
      // Creating an upper-level page write-protects the gfn: an unsync
      // level-1 view of it must not survive.
      if (role.level > PG_LEVEL_4K && sp.unsync) kvmMmuPrepareZapPage(m, sp, 'unsync page of a gfn becoming an upper-level table');
      continue;
    }
    if (directMmu) {
      found = sp;
      break;
    }
    if (sp.unsync) {
      // kvm_sync_page() re-reads the guest PTEs without write-protecting or
      // marking it synchronized; if it fails the page is zapped and rebuilt.
      const ret = kvmSyncPageHook(m, sp);
      if (ret < 0) break;
      // 6.1 (syncKeepsEmptyPage): a remote flush when the sync needs one;
      // (noCurrentFlushOnSpChange): no flush of the current TLB.
      if (ret > 0 && syncKeepsEmptyPage(m)) kvmFlushRemoteTlbs(m);
      if (!noCurrentFlushOnSpChange(m)) makeRequest(m, 'KVM_REQ_TLB_FLUSH_CURRENT');
      else if (m.linux61Fired) linux61Fired(m, L61_NO_CURRENT_FLUSH_ON_SP_CHANGE);
    }
    clearSpWriteFloodingCount(m, sp, 'kvm_mmu_get_page');
    found = sp;
    break;
  }
  if (found) {
    if (m.tracing) m.emit({ kind: 'kvm_mmu_get_page', sp: found.id, gfn: hex(gfn), role: roleJson(found.role), created: false, notation: spNotation(found) });
    kvmMmuCommitZapPage(m);
    updateCollisions(m, collisions);
    return found;
  }
  m.stats.mmu_cache_miss++;
  const sp = kvmMmuAllocPage(m, gfn, role);
  if (m.tracing) m.emit({ kind: 'kvm_mmu_get_page', sp: sp.id, gfn: hex(gfn), role: roleJson(role), created: true, notation: spNotation(sp) });
  if (!role.direct) {
    accountShadowed(m, sp);
    if (role.level === PG_LEVEL_4K && kvmMmuSlotGfnWriteProtect(m, gfn)) kvmFlushRemoteTlbs(m);
  }
  kvmMmuCommitZapPage(m);
  updateCollisions(m, collisions);
  return sp;
}

function updateCollisions(m: Machine, c: number): void {
  if (c > m.stats.max_mmu_page_hash_collisions) m.stats.max_mmu_page_hash_collisions = c;
}

/** Set by sync.ts (kvm_sync_page) to avoid an import cycle at module load. */
let kvmSyncPageHook: (m: Machine, sp: ShadowPage) => number = () => 1;
export function setKvmSyncPage(fn: (m: Machine, sp: ShadowPage) => number): void {
  kvmSyncPageHook = fn;
}

// ---------------------------------------------------------------------------
// mmu_unsync_walk: collecting unsync descendants through the bitmaps

export interface PageVecEntry {
  readonly sp: ShadowPage;
  /** Index in the parent (-1 = INVALID_INDEX for the starting page). */
  readonly idx: number;
}

/** An empty batch, shared. */
const NO_PAGES: readonly PageVecEntry[] = Object.freeze([]);

/** mmu_pages_add(): append (sp, idx) unless an unsync page is already in; true when the batch is full. */
function mmuPagesAdd(pvec: PageVecEntry[], sp: ShadowPage, idx: number): boolean {
  if (sp.unsync) for (const e of pvec) if (e.sp === sp) return false;
  pvec.push({ sp, idx });
  return pvec.length === KVM_PAGE_ARRAY_NR;
}

/** __mmu_unsync_walk(): the unsync leaves below `sp` into pvec; their count, or -1 when the batch filled. */
function mmuUnsyncWalkFrom(m: Machine, sp: ShadowPage, pvec: PageVecEntry[]): number {
  let nrUnsyncLeaf = 0;
  for (let i = 0; i < 512; i++) {
    if (i % 32 === 0 && sp.unsyncChildBitmap.isZeroChunkAt(i)) {
      // 32 bits never set since the page was made: skip them at once.
      i += 31;
      continue;
    }
    if (!sp.unsyncChildBitmap.get(i)) continue;
    const ent = getSpte(sp.spt, i);
    if (!isShadowPresent(ent) || isLastSpte(ent, sp.role.level)) {
      clearUnsyncChildBit(m, sp, i);
      continue;
    }
    const child = childOf(m, ent);
    if (child.unsyncChildren) {
      if (mmuPagesAdd(pvec, child, i)) return -1;
      const ret = mmuUnsyncWalkFrom(m, child, pvec);
      if (ret === 0) {
        clearUnsyncChildBit(m, sp, i);
        continue;
      } else if (ret > 0) nrUnsyncLeaf += ret;
      else return ret;
    } else if (child.unsync) {
      nrUnsyncLeaf++;
      if (mmuPagesAdd(pvec, child, i)) return -1;
    } else clearUnsyncChildBit(m, sp, i);
  }
  return nrUnsyncLeaf;
}

/** mmu_unsync_walk(): up to KVM_PAGE_ARRAY_NR pages, parents before children. Returns [] when done. */
export function mmuUnsyncWalk(m: Machine, parent: ShadowPage): readonly PageVecEntry[] {
  if (!parent.unsyncChildren) return NO_PAGES;
  const pvec: PageVecEntry[] = [];
  mmuPagesAdd(pvec, parent, -1);
  return mmuUnsyncWalkFrom(m, parent, pvec) === 0 ? NO_PAGES : pvec;
}

/**
 * struct mmu_page_path: the path from an unsync leaf up through its parents,
 * parent[l] (nearest first; null ends it) and idx[l], its index in that
 * parent. mmuPagesFirst/mmuPagesNext keep it up to date as they go through a
 * batch, as the kernel's for_each_sp() does: read it before the next call.
 */
export interface MmuPagePath {
  readonly parent: Array<ShadowPage | null>;
  readonly idx: number[];
}

/** Room for every level (PT64_ROOT_MAX_LEVEL); the arrays keep their length, so no walk grows them. */
export const newMmuPagePath = (): MmuPagePath => ({ parent: new Array<ShadowPage | null>(5).fill(null), idx: new Array<number>(5).fill(-1) });

/**
 * mmu_pages_first(): the batch's first page is where the walk started (never
 * a leaf): the top of every path. Returns the index in pvec of the first
 * level-1 page, or pvec.length when there is none. With mmuPagesNext, the
 * kernel's for_each_sp(pvec, sp, parents, i), with no object per leaf (a CR3
 * switch syncs ~2 pages).
 */
export function mmuPagesFirst(pvec: readonly PageVecEntry[], path: MmuPagePath): number {
  if (pvec.length === 0) return 0;
  const first = pvec[0]!;
  // As a new path: no parent (a null ends the climb) and no index (-1, INVALID_INDEX).
  path.parent.fill(null);
  path.idx.fill(-1);
  path.parent[first.sp.role.level - 2] = first.sp;
  path.parent[first.sp.role.level - 1] = null;
  return mmuPagesNext(pvec, path, 0);
}

/** mmu_pages_next(): the next level-1 page after pvec[i] (pvec.length: none), updating the path on the way. */
export function mmuPagesNext(pvec: readonly PageVecEntry[], path: MmuPagePath, i: number): number {
  for (let n = i + 1; n < pvec.length; n++) {
    const e = pvec[n]!;
    const level = e.sp.role.level;
    path.idx[level - 1] = e.idx;
    if (level === PG_LEVEL_4K) return n;
    path.parent[level - 2] = e.sp;
  }
  return pvec.length;
}

/** mmu_pages_clear_parents(): clear the bitmap bits up the path while counts drop to zero. */
export function mmuPagesClearParents(m: Machine, path: MmuPagePath): void {
  for (let l = 0; ; l++) {
    const parent = path.parent[l];
    if (!parent) return;
    clearUnsyncChildBit(m, parent, path.idx[l]!);
    if (parent.unsyncChildren) return;
  }
}

// ---------------------------------------------------------------------------
// Zapping

/** kvm_mmu_prepare_zap_page(): returns true if other pages were zapped (the active list changed). */
export function kvmMmuPrepareZapPage(m: Machine, sp: ShadowPage, reason: string): boolean {
  return prepareZapPage(m, sp, reason).unstable;
}

/** __kvm_mmu_prepare_zap_page(): also counts the pages zapped (nr_zapped), self included if freeable. */
function prepareZapPage(m: Machine, sp: ShadowPage, reason: string): { unstable: boolean; nrZapped: number } {
  if (m.tracing) m.emit({ kind: 'kvm_mmu_prepare_zap_page', sp: sp.id, notation: spNotation(sp), reason });
  m.stats.mmu_shadow_zapped++;
  let zapped = mmuZapUnsyncChildren(m, sp);
  const unstable = zapped > 0;
  // kvm_mmu_page_unlink_children
  for (let i = 0; i < 512; i++) mmuPageZapPte(m, sp, i);
  // kvm_mmu_unlink_parents
  while (sp.parentPtes.length) dropParentPte(m, sp, sp.parentPtes[0]!);
  if (!sp.role.invalid && !sp.role.direct) unaccountShadowed(m, sp);
  if (sp.unsync) kvmUnlinkUnsyncPage(m, sp);
  const onActive = m.activeList.indexOf(sp.id);
  if (onActive >= 0) m.activeList.splice(onActive, 1);
  if (!sp.rootCount) {
    zapped++;
    m.invalidList.push(sp.id);
    m.nUsedMmuPages--;
  } else if (!sp.role.invalid) {
    // An active root: kept until its last root_count reference goes
    // (mmu_free_root_page); every vCPU must reload its MMU.
    makeRequest(m, 'KVM_REQ_MMU_RELOAD');
  }
  setInvalid(sp);
  return { unstable, nrZapped: zapped };
}

function setInvalid(sp: ShadowPage): void {
  sp.role = { ...sp.role, invalid: true };
  sp.roleWord = roleWord(sp.role);
}

/** mmu_zap_unsync_children(): zap every unsync descendant of an upper-level page. */
function mmuZapUnsyncChildren(m: Machine, parent: ShadowPage): number {
  if (parent.role.level === PG_LEVEL_4K) return 0;
  let zapped = 0;
  let path: MmuPagePath | null = null;
  for (let pvec = mmuUnsyncWalk(m, parent); pvec.length; pvec = mmuUnsyncWalk(m, parent)) {
    path ??= newMmuPagePath();
    for (let i = mmuPagesFirst(pvec, path); i < pvec.length; i = mmuPagesNext(pvec, path, i)) {
      kvmMmuPrepareZapPage(m, pvec[i]!.sp, 'unsync child of a zapped page');
      mmuPagesClearParents(m, path);
      zapped++;
    }
  }
  return zapped;
}

/** kvm_mmu_commit_zap_page(): flush, then free every page on invalid_list. */
export function kvmMmuCommitZapPage(m: Machine): void {
  if (m.invalidList.length === 0) return;
  kvmFlushRemoteTlbs(m);
  const freed = m.invalidList.splice(0);
  for (const id of freed) {
    const sp = getSp(m, id);
    const bucket = kvmPageTableHashfn(sp.gfn);
    const list = m.hash.getMut(bucket);
    if (list) {
      const at = list.indexOf(id);
      if (at >= 0) list.splice(at, 1);
      if (list.length === 0) m.hash.delete(bucket);
    }
    m.sps.delete(id);
    forgetPage(m, id);
    // Its sync memo goes with it (ids are not reused: a copy that still has the page just misses; syncMemoOf drops the ones copies make again).
    m.sim_syncMemo.delete(id);
  }
  if (m.tracing) m.emit({ kind: 'kvm_mmu_commit_zap_page', freed });
}

/**
 * kvm_mmu_zap_all(): zap every valid page on active_mmu_pages, newest first,
 * restarting when a zap changed the list, then free them together. Roots in
 * use stay, invalid, until each vCPU reloads (KVM_REQ_MMU_RELOAD).
 */
export function kvmMmuZapAll(m: Machine): void {
  const zapped: number[] = [];
  restart: for (;;) {
    for (const id of m.activeList.slice()) {
      const sp = m.sps.get(id);
      if (!sp || sp.role.invalid || !m.activeList.includes(id)) continue;
      zapped.push(id);
      if (prepareZapPage(m, sp, 'kvm_mmu_zap_all').unstable) continue restart;
    }
    break;
  }
  if (m.tracing) m.emit({ kind: 'kvm_mmu_zap_all', zapped });
  kvmMmuCommitZapPage(m);
}

const availablePages = (m: Machine): number => Math.max(0, m.nMaxMmuPages - m.nUsedMmuPages);

/**
 * make_mmu_pages_available() / kvm_mmu_zap_oldest_mmu_pages(): keep
 * KVM_MIN_FREE_MMU_PAGES free by zapping from the tail (oldest end) of
 * active_mmu_pages, skipping roots, restarting when a zap changed the list.
 * Returns false for -ENOSPC (nothing could be freed).
 */
export function makeMmuPagesAvailable(m: Machine): boolean {
  const avail = availablePages(m);
  if (avail >= KVM_MIN_FREE_MMU_PAGES) return true;
  const target = KVM_REFILL_PAGES - avail;
  const zapped: number[] = [];
  let total = 0;
  restart: for (;;) {
    for (let i = m.activeList.length - 1; i >= 0; i--) {
      const sp = m.sps.get(m.activeList[i]!);
      if (!sp || sp.rootCount) continue;
      const r = prepareZapPage(m, sp, 'recycled: kvm_mmu_zap_oldest_mmu_pages');
      zapped.push(sp.id);
      total += r.nrZapped;
      if (total >= target) break restart;
      if (r.unstable) continue restart;
    }
    break;
  }
  if (m.tracing) m.emit({ kind: 'kvm_mmu_zap_oldest_mmu_pages', zapped });
  kvmMmuCommitZapPage(m);
  m.stats.mmu_recycled += total;
  if (availablePages(m) === 0) {
    if (m.tracing) m.emit({ kind: 'sim_note', text: 'make_mmu_pages_available: -ENOSPC, every shadow page is a root; KVM_RUN fails' });
    return false;
  }
  return true;
}
