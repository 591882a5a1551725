/**
 * Leaf spte construction: mmu_set_spte() -> set_spte() -> make_spte()
 * (mmu.c / spte.c, 5.15), including the dirty-bit trick, unsync on write and
 * the write-protection of shadowed page tables.
 */
import { hex, hex64 } from '../bits.ts';
import type { Machine, ShadowPage } from '../machine.ts';
import { ACC_EXEC_MASK, ACC_USER_MASK, ACC_WRITE_MASK, PG_LEVEL_4K, PT_ACCESSED_MASK, PT_DIRTY_MASK, PT_PAGE_SIZE_MASK, PT_PRESENT_MASK, PT_USER_MASK, PT_WRITABLE_MASK, PT64_NX_MASK_HI } from './constants.ts';
import { addLeafStats, childOf, dropParentPte, dropSpte, kvmFlushRemoteTlbs, makeRequest, mmuTryToUnsyncPages, rmapAdd } from './pages.ts';
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
import { eq64, type U64 } from '../bits.ts';
import {
  getSpte,
  isLargePte,
  isMmioSpte,
  isShadowPresent,
  isWritableSpte,
  makeMmioSpte,
  setSpte,
  SPTE_HOST_WRITEABLE,
  SPTE_MMU_PRESENT_MASK,
  SPTE_MMU_WRITEABLE,
  sptePfn,
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
 * mmu_spte_update(): does replacing `old` with `next` need a TLB flush? Yes if
 * a lockless-writable spte loses W, or the A or D bit is cleared.
 */
export function spteUpdateNeedsFlush(old: U64, next: U64): boolean {
  if (!isShadowPresent(old)) return false;
  const locklessWritable = (old.lo & SPTE_HOST_WRITEABLE) !== 0 && (old.lo & SPTE_MMU_WRITEABLE) !== 0;
  if (locklessWritable && !isWritableSpte(next)) return true;
  if (old.lo & PT_ACCESSED_MASK && !(next.lo & PT_ACCESSED_MASK)) return true;
  return (old.lo & PT_DIRTY_MASK) !== 0 && !(next.lo & PT_DIRTY_MASK);
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
    return { ret: 'RET_PF_EMULATE', writeProtectedPt: false };
  }
  const pfn = m.host.gfnToPfn(gfn);
  let wasRmapped = false;
  let flush = false;
  const old = getSpte(sp.spt, index);
  if (isShadowPresent(old)) {
    if (level > PG_LEVEL_4K && !isLargePte(old)) {
      // A large mapping replaces a page-table pointer: unlink the now unreachable child.
      dropParentPte(m, childOf(m, old), spteRef(sp.id, index));
      flush = true;
    } else if (pfn !== sptePfn(old)) {
      dropSpte(m, sp, index);
      flush = true;
    } else wasRmapped = true;
  }
  // set_spte()
  const cur = getSpte(sp.spt, index);
  const made = makeSpte(m, pteAccess, level, gfn, pfn, cur.lo, speculative, true, true);
  const next = { lo: made.lo, hi: made.hi };
  const wrprot = made.wrprot;
  const spurious = eq64(cur, next);
  if (!spurious) {
    if (spteUpdateNeedsFlush(cur, next)) flush = true;
    setSpte(sptMut(m, sp), index, next);
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
  if (spurious && ret === 'RET_PF_FIXED') return { ret: 'RET_PF_SPURIOUS', writeProtectedPt: false };
  // 6.1 (tracesSetSpteOnlyOnChange): the tracepoint sits in the `*sptep != spte` branch.
  const traced = !spurious || !tracesSetSpteOnlyOnChange(m);
  if (!traced && m.linux61Fired) linux61Fired(m, L61_SET_SPTE_TRACE_ON_CHANGE);
  if (m.tracing && traced) m.emit({
    kind: 'kvm_mmu_set_spte',
    sp: sp.id,
    index,
    level,
    gfn: hex(gfn),
    spte: hex64(next),
    old: hex64(old),
    speculative,
    writeProtectedPt: wrprot,
  });
  if (!wasRmapped) {
    addLeafStats(m, level);
    rmapAdd(m, sp, index, gfn);
  }
  return { ret, writeProtectedPt: wrprot };
}

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
  // Most sptes are unchanged by a sync: compare the halves before making any object.
  if (made.lo === oldLo && made.hi === oldHi) return false;
  const old = { lo: oldLo, hi: oldHi };
  const next = { lo: made.lo, hi: made.hi };
  setSpte(sptMut(m, sp), index, next);
  // 5.15 FNAME(sync_page) calls set_spte() directly: no mmu_set_spte(), so no
  // kvm_mmu_set_spte tracepoint. The event carries set_spte's own name so the
  // UI can show the changed spte and nothing mistakes it for a traced line.
  if (m.tracing) m.emit({ kind: 'set_spte', sp: sp.id, index, level: 1, gfn: hex(gfn), spte: hex64(next), old: hex64(old), writeProtectedPt: made.wrprot });
  return spteUpdateNeedsFlush(old, next);
}

export { isMmioSpte };
