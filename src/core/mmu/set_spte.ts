/**
 * Leaf spte construction: mmu_set_spte() -> set_spte() -> make_spte()
 * (mmu.c / spte.c, 5.15), including the dirty-bit trick, unsync on write and
 * the write-protection of shadowed page tables.
 */
import { hex, hex64 } from '../bits.ts';
import type { Machine, ShadowPage } from '../machine.ts';
import { ACC_EXEC_MASK, ACC_USER_MASK, ACC_WRITE_MASK, PG_LEVEL_4K, PT_ACCESSED_MASK, PT_DIRTY_MASK, PT_PAGE_SIZE_MASK, PT_PRESENT_MASK, PT_USER_MASK, PT_WRITABLE_MASK, PT64_NX_MASK_HI } from './constants.ts';
import { addLeafStats, childOfWords, dropParentPte, dropSpte, kvmFlushRemoteTlbs, makeRequest, mmuTryToUnsyncPages, rmapAdd } from './pages.ts';
import { spteRef, sptMut } from '../machine.ts';
import {
  L61_NO_CURRENT_FLUSH_ON_SP_CHANGE,
  L61_SET_SPTE_TRACE_ON_CHANGE,
  L61_WRITABLE_SPTE_SKIPS_UNSYNC_CHECK,
  linux61Fired,
  noCurrentFlushOnSpChange,
  tracesSetSpteOnlyOnChange,
  writableSpteSkipsUnsyncCheck,
} from './rules.ts';
import {
  getSpte,
  isLargePteOf,
  isMmioSpte,
  isShadowPresent,
  isShadowPresentOf,
  makeMmioSpte,
  setSpte,
  setSpteOf,
  SPTE_HOST_WRITEABLE,
  SPTE_MMU_PRESENT_MASK,
  SPTE_MMU_WRITEABLE,
  sptePfnOf,
} from './spte.ts';

export type PfResult = 'RET_PF_FIXED' | 'RET_PF_SPURIOUS' | 'RET_PF_EMULATE' | 'RET_PF_RETRY';

export interface SetSpteResult {
  readonly ret: PfResult;
  readonly writeProtectedPt: boolean;
}

/** make_spte()'s result, one object reused by every call: read it before the next call. */
interface MadeSpte {
  lo: number;
  hi: number;
  wrprot: boolean;
}
const MADE: MadeSpte = { lo: 0, hi: 0, wrprot: false };

/**
 * make_spte(): the new spte and whether W had to be removed because the gfn
 * is a shadowed page table (SET_SPTE_WRITE_PROTECTED_PT), in MADE (no object
 * per call: sync runs this for every present spte of an unsync page).
 */
function makeSpte(
  m: Machine,
  pteAccess: number,
  level: number,
  gfn: number,
  pfn: number,
  oldLo: number,
  speculative: boolean,
  canUnsync: boolean,
  hostWritable: boolean,
): MadeSpte {
  let low = SPTE_MMU_PRESENT_MASK | PT_PRESENT_MASK;
  if (!speculative) low |= PT_ACCESSED_MASK;
  if (pteAccess & ACC_USER_MASK) low |= PT_USER_MASK;
  if (level > PG_LEVEL_4K) low |= PT_PAGE_SIZE_MASK;
  let access = pteAccess;
  if (hostWritable) low |= SPTE_HOST_WRITEABLE;
  else access &= ~ACC_WRITE_MASK;
  let wrprot = false;
  let skipDirty = false;
  if (access & ACC_WRITE_MASK) {
    low |= PT_WRITABLE_MASK | SPTE_MMU_WRITEABLE;
    // Optimization: for pte sync, if the spte was writable the hash lookup is
    // unnecessary; write protection is kvm_mmu_get_page's / sync_roots' job.
    // 6.1 (writableSpteSkipsUnsyncCheck) skips it for every caller.
    if (oldLo & PT_WRITABLE_MASK && (!canUnsync || writableSpteSkipsUnsyncCheck(m))) {
      if (canUnsync && m.linux61Fired) linux61Fired(m, L61_WRITABLE_SPTE_SKIPS_UNSYNC_CHECK);
      skipDirty = true;
    } else if (!mmuTryToUnsyncPages(m, gfn, canUnsync, speculative)) {
      wrprot = true;
      access &= ~ACC_WRITE_MASK;
      low &= ~(PT_WRITABLE_MASK | SPTE_MMU_WRITEABLE);
    }
  }
  if (!skipDirty && access & ACC_WRITE_MASK) low |= PT_DIRTY_MASK;
  // make_spte's pfn << PAGE_SHIFT | bits | NX, as two halves.
  // `pfn * 4096 | low`: ToInt32 keeps the product's low 32 bits exactly (pfn < 2^41), with no double remainder.
  MADE.lo = ((pfn * 4096) | low) >>> 0;
  MADE.hi = (Math.floor(pfn / 0x100000) | (pteAccess & ACC_EXEC_MASK ? 0 : PT64_NX_MASK_HI)) >>> 0;
  MADE.wrprot = wrprot;
  return MADE;
}

/**
 * mmu_spte_update(): does replacing an spte with another need a TLB flush?
 * Yes if a lockless-writable spte loses W, or the A or D bit is cleared. Given
 * the two sptes' low halves: every bit it reads is there.
 */
function spteUpdateNeedsFlush(oldLo: number, nextLo: number): boolean {
  if (!isShadowPresentOf(oldLo)) return false;
  const locklessWritable = (oldLo & SPTE_HOST_WRITEABLE) !== 0 && (oldLo & SPTE_MMU_WRITEABLE) !== 0;
  if (locklessWritable && !(nextLo & PT_WRITABLE_MASK)) return true;
  if (oldLo & PT_ACCESSED_MASK && !(nextLo & PT_ACCESSED_MASK)) return true;
  return (oldLo & PT_DIRTY_MASK) !== 0 && !(nextLo & PT_DIRTY_MASK);
}

/**
 * mmu_set_spte(): install a leaf. Replaces a child table or a different pfn
 * first; installs an MMIO spte for a gfn without memslot; adds the rmap.
 */
export function mmuSetSpte(
  m: Machine,
  sp: ShadowPage,
  index: number,
  pteAccess: number,
  writeFault: boolean,
  level: number,
  gfn: number,
  speculative: boolean,
): SetSpteResult {
  const noslot = !m.host.gfnVisible(gfn);
  if (noslot) {
    // mark_mmio_spte(): later accesses fault with RSVD and are emulated. The
    // kernel overwrites a present old spte here without dropping its rmap
    // (a latent BUG_ON); the simulator drops it first to stay consistent.
    if (isShadowPresent(getSpte(sp.spt, index))) dropSpte(m, sp, index);
    const v = makeMmioSpte(gfn, pteAccess);
    setSpte(sptMut(m, sp), index, v);
    if (m.tracing) m.emit({ kind: 'mark_mmio_spte', sp: sp.id, index, gfn: hex(gfn), spte: hex64(v) });
    return EMULATE;
  }
  const pfn = m.host.gfnToPfn(gfn);
  let wasRmapped = false;
  let flush = false;
  // The sptes as their two halves: no object per call (every fault and prefetch comes here).
  const oldLo = sp.spt.get(2 * index);
  const oldHi = sp.spt.get(2 * index + 1);
  if (isShadowPresentOf(oldLo)) {
    if (level > PG_LEVEL_4K && !isLargePteOf(oldLo)) {
      // A large mapping replaces a page-table pointer: unlink the now unreachable child.
      dropParentPte(m, childOfWords(m, oldLo, oldHi), spteRef(sp.id, index));
      flush = true;
    } else if (pfn !== sptePfnOf(oldLo, oldHi)) {
      dropSpte(m, sp, index);
      flush = true;
    } else wasRmapped = true;
  }
  // set_spte()
  const curLo = sp.spt.get(2 * index);
  const curHi = sp.spt.get(2 * index + 1);
  const made = makeSpte(m, pteAccess, level, gfn, pfn, curLo, speculative, true, true);
  const nextLo = made.lo;
  const nextHi = made.hi;
  const wrprot = made.wrprot;
  const spurious = curLo === nextLo && curHi === nextHi;
  if (!spurious) {
    if (spteUpdateNeedsFlush(curLo, nextLo)) flush = true;
    setSpteOf(sptMut(m, sp), index, nextLo, nextHi);
  }
  let ret: PfResult = 'RET_PF_FIXED';
  if (wrprot) {
    if (writeFault) ret = 'RET_PF_EMULATE';
    // 6.1 (noCurrentFlushOnSpChange): no flush of the current TLB here.
    if (!noCurrentFlushOnSpChange(m)) makeRequest(m, 'KVM_REQ_TLB_FLUSH_CURRENT');
    else if (m.linux61Fired) linux61Fired(m, L61_NO_CURRENT_FLUSH_ON_SP_CHANGE);
  }
  if (flush) kvmFlushRemoteTlbs(m);
  // Fully spurious: same spte and no emulation needed (no trace, no rmap change).
  if (spurious && ret === 'RET_PF_FIXED') return SPURIOUS;
  // 6.1 (tracesSetSpteOnlyOnChange): the tracepoint sits in the `*sptep != spte` branch.
  const traced = !spurious || !tracesSetSpteOnlyOnChange(m);
  if (!traced && m.linux61Fired) linux61Fired(m, L61_SET_SPTE_TRACE_ON_CHANGE);
  if (m.tracing && traced) m.emit({
    kind: 'kvm_mmu_set_spte',
    sp: sp.id,
    index,
    level,
    gfn: hex(gfn),
    spte: hex64({ lo: nextLo, hi: nextHi }),
    old: hex64({ lo: oldLo, hi: oldHi }),
    speculative,
    writeProtectedPt: wrprot,
  });
  if (!wasRmapped) {
    addLeafStats(m, level);
    rmapAdd(m, sp, index, gfn);
  }
  return ret === 'RET_PF_EMULATE' ? (wrprot ? EMULATE_WRPROT : EMULATE) : wrprot ? FIXED_WRPROT : FIXED;
}

// mmu_set_spte()'s results, shared (they are read only): no object per call.
const result = (ret: PfResult, writeProtectedPt: boolean): SetSpteResult => Object.freeze({ ret, writeProtectedPt });
const SPURIOUS = result('RET_PF_SPURIOUS', false);
const FIXED = result('RET_PF_FIXED', false);
const FIXED_WRPROT = result('RET_PF_FIXED', true);
const EMULATE = result('RET_PF_EMULATE', false);
const EMULATE_WRPROT = result('RET_PF_EMULATE', true);

/**
 * set_spte() as FNAME(sync_page) calls it: recompute a 4 KiB leaf keeping its
 * pfn, speculative, can_unsync = false. Returns whether a remote flush is needed.
 * (The spte is read here, not passed in: a word above 2^31 passed to a call
 * is boxed, one heap number per spte of every sync.)
 */
export function syncSetSpte(m: Machine, sp: ShadowPage, index: number, pteAccess: number, gfn: number): boolean {
  const oldLo = sp.spt.get(2 * index);
  const oldHi = sp.spt.get(2 * index + 1);
  const hostWritable = (oldLo & SPTE_HOST_WRITEABLE) !== 0;
  const made = makeSpte(m, pteAccess, PG_LEVEL_4K, gfn, sptePfnOf(oldLo, oldHi), oldLo, true, false, hostWritable);
  // Most sptes are unchanged by a sync: compare the halves, and make no object.
  const nextLo = made.lo;
  const nextHi = made.hi;
  if (nextLo === oldLo && nextHi === oldHi) return false;
  setSpteOf(sptMut(m, sp), index, nextLo, nextHi);
  // 5.15 FNAME(sync_page) calls set_spte() directly: no mmu_set_spte(), so no
  // kvm_mmu_set_spte tracepoint. The event carries set_spte's own name so the
  // UI can show the changed spte and nothing mistakes it for a traced line.
  if (m.tracing) m.emit({ kind: 'set_spte', sp: sp.id, index, level: 1, gfn: hex(gfn), spte: hex64({ lo: nextLo, hi: nextHi }), old: hex64({ lo: oldLo, hi: oldHi }), writeProtectedPt: made.wrprot });
  return spteUpdateNeedsFlush(oldLo, nextLo);
}

export { isMmioSpte };
