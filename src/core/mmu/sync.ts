/**
 * Re-synchronizing unsync shadow pages with the guest's tables:
 * kvm_sync_page / FNAME(sync_page), mmu_sync_children, kvm_mmu_sync_roots,
 * FNAME(invlpg) and FNAME(prefetch_gpte) (mmu.c, paging_tmpl.h, 5.15).
 */
import type { U64 } from '../bits.ts';
import { CHUNK_WRITES } from '../cow-array.ts';
import { guestEntrySize, guestRootLevel } from '../guest/cpu.ts';
import { computeRsvdCheck, gpteAccess, gpteAccessOf, gpteToGfn, gpteToGfnOf, isRsvdBitsSetOf, protectCleanGpte, protectCleanGpteOf, type RsvdCheck } from '../guest/walk.ts';
import { getSp, type Machine, type ShadowPage, spteRef, sptMut } from '../machine.ts';
import { ACC_WRITE_MASK, PG_LEVEL_4K, PT_ACCESSED_MASK, PT_PRESENT_MASK, PT_WRITABLE_MASK } from './constants.ts';
import { ShadowWalk } from './iterator.ts';
import {
  dropSpte,
  kvmFlushRemoteTlbs,
  kvmMmuCommitZapPage,
  kvmMmuPrepareZapPage,
  kvmMmuSlotGfnWriteProtect,
  kvmUnlinkUnsyncPage,
  makeRequest,
  mmuPagesClearParents,
  mmuPagesFirst,
  mmuPagesNext,
  mmuPageZapPte,
  type MmuPagePath,
  mmuUnsyncWalk,
  newMmuPagePath,
  refJson,
  setKvmSyncPage,
} from './pages.ts';
import { baseRole, L61_SYNC_PAGE_KEEPS_EMPTY, linux61Fired, syncKeepsEmptyPage } from './rules.ts';
import { roleWord } from './role.ts';
import { mmuSetSpte, syncSetSpte } from './set_spte.ts';
import { isMmioSpteOf, isShadowPresent, makeMmioSpte, setSpte, sptePfnOf } from './spte.ts';

/** FNAME(get_level1_sp_gpa): a 4-byte guest table's quadrant q starts 512 entries * q in. */
export function getLevel1SpGpa(m: Machine, sp: ShadowPage): number {
  const size = guestEntrySize(m.cpu);
  return sp.gfn * 4096 + (size === 4 ? sp.role.quadrant * 512 * 4 : 0);
}

/** The test of FNAME(prefetch_invalid_gpte), on a 4 KiB gpte's two halves: reserved, not present or not accessed. */
const invalidGpte = (rc: RsvdCheck, lo: number, hi: number): boolean => isRsvdBitsSetOf(rc, lo, hi, PG_LEVEL_4K) || !(lo & PT_PRESENT_MASK) || !(lo & PT_ACCESSED_MASK);

/**
 * FNAME(prefetch_invalid_gpte): a gpte that is reserved, not present or not
 * accessed is not prefetched; its spte is dropped.
 */
function prefetchInvalidGpte(m: Machine, sp: ShadowPage, index: number, gpte: U64): boolean {
  if (!invalidGpte(computeRsvdCheck(m.cpu), gpte.lo, gpte.hi)) return false;
  dropSpte(m, sp, index);
  return true;
}

/** FNAME(prefetch_gpte): install a speculative leaf from a guest PTE (no A bit). */
export function prefetchGpte(m: Machine, sp: ShadowPage, index: number, gpte: U64): boolean {
  if (prefetchInvalidGpte(m, sp, index, gpte)) return false;
  const size = guestEntrySize(m.cpu);
  const gfn = gpteToGfn(gpte, size);
  let access = sp.role.access & gpteAccess(gpte, size);
  access = protectCleanGpte(access, gpte);
  // pte_prefetch_gfn_to_pfn(): no memslot means an error pfn, nothing installed.
  if (!m.host.gfnVisible(gfn)) return false;
  mmuSetSpte(m, sp, index, access, false, PG_LEVEL_4K, gfn, true);
  return true;
}

/** sync_role_ign: level, access and quadrant are not part of the MMU's own role. */
const SYNC_ROLE_IGN = roleWord({ level: 0xf, access: 7, quadrant: 3, gpteIs8Bytes: false, direct: false, invalid: false, eferNx: false, cr0Wp: false, smepAndnotWp: false, smapAndnotWp: false, adDisabled: false, guestMode: false, smm: 0 });

type Chunk = Readonly<Uint32Array> | Readonly<Float64Array>;

/**
 * What FNAME(sync_page) last left in each 16-spte chunk of a page that it
 * settled: the chunk of sptes as the sync left it, the chunks of gptes and
 * sp->gfns behind them, and how many sptes were present. Not machine state but
 * a cache of a pure function: with the same sptes, gptes, gfns, reserved-bit
 * masks and role access, a chunk whose sync met no MMIO spte and asked no other
 * page anything (mmu_try_to_unsync_pages) is left by the next sync exactly as
 * it is (syncPage says why; an spte it dropped is zero, and passed by), so its
 * entries are counted and not re-made.
 * Each chunk is remembered as its object and its count of writes in place
 * (CowArray CHUNK_WRITES): the same object with the same count holds the same
 * values, so a hit costs six comparisons, and the chunks stay their arrays'
 * own (a frozen chunk was copied at its next write). Its values are copied
 * too, for the entry-by-entry compare once it has changed. The simulator's
 * shortcut, not the kernel's, which re-reads every gpte: on the 100k bench a
 * CR3 switch syncs ~200 present sptes, ~97% of them unchanged.
 */
export interface SyncMemo {
  readonly rc: RsvdCheck;
  readonly spAccess: number;
  readonly words: number;
  /** Per chunk: the chunk objects remembered (null in `spt`: nothing remembered), */
  readonly spt: Array<Chunk | null>;
  readonly gptes: Array<Chunk | null>;
  readonly gfns: Array<Chunk | null>;
  /**
   * and copies of them, each whole (MEMO_STRIDE per chunk and kind: its values
   * and, at CHUNK_WRITES, its count of writes then; zeros for no chunk).
   */
  readonly sptW: Uint32Array;
  readonly gptW: Uint32Array;
  readonly gfnW: Float64Array;
  /** Per chunk: its present sptes (read only where `spt` holds a chunk, i.e. one is remembered). */
  readonly present: Int16Array;
}

/** A chunk's count of writes in place; 0 for none (all zero), as its copy says (a chunk is made by a write, so its count is at least 1). */
const writesOf = (c: Chunk | null): number => (c ? c[CHUNK_WRITES]! : 0);

/** Where chunk ci's copied values start in the memo's arrays: whole chunks (values and count), so a copy is one `set`. */
const MEMO_STRIDE = CHUNK_WRITES + 1;

/** Copies a chunk (zeros for none) to `to` at `at`. */
function copyChunk(c: Chunk | null, to: Uint32Array | Float64Array, at: number): void {
  if (c) to.set(c, at);
  else to.fill(0, at, at + MEMO_STRIDE);
}

/**
 * Whether the memo's copy at `at` is already chunk `c`'s values: remembered
 * from that very chunk object (not null: a chunk not remembered leaves its copy
 * as it was, not zeroed) at the count of writes it has now.
 */
function holds(remembered: Chunk | null, copies: Uint32Array | Float64Array, at: number, c: Chunk | null): boolean {
  return c !== null && remembered === c && copies[at + CHUNK_WRITES] === c[CHUNK_WRITES];
}

let syncMemoOn = true;

/** For tests: sync with the memo off (every chunk re-made), to check that it changes nothing. */
export function sim_setSyncMemo(on: boolean): void {
  syncMemoOn = on;
}

/**
 * The page's memo, new (empty) when it has none or the masks, access or gpte
 * size it was made for differ. Kept by page id in the machine's
 * sim_syncMemo, which every copy of the machine shares: whatever page a copy
 * has under that id, an entry only answers for the chunk objects it holds.
 */
function syncMemoOf(m: Machine, sp: ShadowPage, rc: RsvdCheck, spAccess: number, words: number): SyncMemo {
  const memos = m.sim_syncMemo;
  const old = memos.get(sp.id);
  if (old && old.rc === rc && old.spAccess === spAccess && old.words === words) return old;
  // A copy replaying steps before a page was freed makes its entry again,
  // and the machine that freed it never deletes that one: past twice this
  // machine's pages (plus some), the entries of pages it does not have go
  // (a copy that has one just misses). Amortized: it takes that many new
  // entries to get there again.
  if (!old && memos.size >= 2 * m.sps.size + 256) for (const id of memos.keys()) if (!m.sps.has(id)) memos.delete(id);
  const none = (): Array<Chunk | null> => new Array<Chunk | null>(32).fill(null);
  const memo: SyncMemo = {
    rc,
    spAccess,
    words,
    spt: none(),
    gptes: none(),
    gfns: none(),
    sptW: new Uint32Array(32 * MEMO_STRIDE),
    gptW: new Uint32Array(32 * MEMO_STRIDE),
    gfnW: new Float64Array(32 * MEMO_STRIDE),
    present: new Int16Array(32),
  };
  memos.set(sp.id, memo);
  return memo;
}

/**
 * FNAME(sync_page): re-read every guest PTE behind a present spte.
 * 5.15 returns the number of present entries (0 tells kvm_sync_page to zap)
 * and flushes itself. 6.1 (syncKeepsEmptyPage) returns -1 (zap), 0, or 1
 * (the caller must flush remote TLBs), and keeps a page left empty.
 */
function syncPage(m: Machine, sp: ShadowPage): number {
  const ign = SYNC_ROLE_IGN;
  const mmuWord = roleWord(baseRole(m.rules, m.cpu, m.linux61));
  const v61 = syncKeepsEmptyPage(m);
  if (sp.role.direct || ((sp.roleWord ^ mmuWord) & ~ign) !== 0 || guestRootLevel(m.cpu) === 0) {
    if (m.tracing) m.emit({ kind: 'sync_page', sp: sp.id, nrPresent: 0, zap: true });
    return v61 ? -1 : 0;
  }
  const size = guestEntrySize(m.cpu);
  const first = getLevel1SpGpa(m, sp);
  // The guest table's words, the sptes and sp->gfns are read straight from
  // their 32-element chunks, with no object per entry: a sync visits ~100
  // present sptes, and on the 100k bench syncs are most of a CR3 switch's cost.
  // An spt chunk holds 16 sptes; their 16 gptes are 16 words (4-byte gptes,
  // half a frame chunk) or 32 (8-byte gptes, a whole one), and their gfns half
  // a gfns chunk: one chunk lookup of each per 16 entries.
  const frame = m.mem.frame(Math.floor(first / 4096));
  const word0 = (first % 4096) / 4;
  const words = size / 4;
  // The guest's reserved-bit masks, looked up once for the page (the CPU state does not change during a sync).
  const rc = computeRsvdCheck(m.cpu);
  const gfns = sp.gfns!;
  const spAccess = sp.role.access;
  const memo = syncMemoOf(m, sp, rc, spAccess, words);
  let nrPresent = 0;
  let flush = false;
  // A chunk never written since the page was made is null: skip its 16 sptes at once.
  for (let ci = 0; ci < 32; ci++) {
    const chunk = sp.spt.chunkAt(ci);
    if (!chunk) continue;
    const gw = word0 + ci * 16 * words;
    const gChunk = frame ? frame.chunkAt(gw >>> 5) : null;
    const gAt = gw & 31;
    const fChunk = gfns.chunkAt(ci >>> 1);
    const fAt = (ci & 1) * 16;
    const gWrites = writesOf(gChunk);
    const fWrites = writesOf(fChunk);
    // Where chunk ci's copies start in the memo's arrays.
    const m0 = ci * MEMO_STRIDE;
    // `chunk` is not null, so a match is a remembered chunk, and its copies hold the counts it had then.
    if (
      syncMemoOn &&
      memo.spt[ci] === chunk &&
      memo.sptW[m0 + CHUNK_WRITES] === chunk[CHUNK_WRITES] &&
      memo.gptes[ci] === gChunk &&
      memo.gptW[m0 + CHUNK_WRITES] === gWrites &&
      memo.gfns[ci] === fChunk &&
      memo.gfnW[m0 + CHUNK_WRITES] === fWrites
    ) {
      nrPresent += memo.present[ci]!;
      continue;
    }
    // Whether these 16 entries are settled (no MMIO spte, no
    // mmu_try_to_unsync_pages() whose answer depends on other pages): then
    // the chunk as this sync leaves it goes into the memo. An spte it changed
    // (most often: the A bit the CPU set, which a speculative spte lacks) is
    // one a second sync keeps as it is: make_spte() gives it the same bits
    // again (W only where it had W, and then no D), so the sync of the chunk
    // it leaves changes nothing and counts the same present sptes. An spte it
    // dropped (an invalid gpte, or one now pointing elsewhere) is zero in the
    // chunk it leaves, and a sync passes a zero spte by without reading its
    // gpte: that too is as a second sync leaves it. (Counting drops as
    // unsettled left ~4,300 chunks of the 100k bench unremembered, and their
    // ~50,000 sptes re-made at every sync.)
    let settled = true;
    let present = 0;
    // A remembered chunk whose sptes, gptes or gfns have changed since (the
    // CPU set an A bit, a fault filled an spte, the guest edited a gpte next
    // to others): an entry whose spte, gpte and gfn are the values it had
    // there is settled and present, and the sync leaves it as it is (the
    // same pure function of the same values), so only the others are re-made.
    const known = syncMemoOn && memo.spt[ci] !== null;
    // The remembered values: chunk ci's 32 of each kind.
    const mS = memo.sptW;
    const mG = memo.gptW;
    const mF = memo.gfnW;
    for (let k = 0; k < 16; k++) {
      // Read before entry i is written: the write changes `chunk` in place (or, for a chunk a copy of the
      // machine shares, makes a new one). Syncing entry i writes no other entry of the page.
      const curLo = chunk[2 * k]!;
      const curHi = chunk[2 * k + 1]!;
      if (curLo === 0 && curHi === 0) continue;
      const i = ci * 16 + k;
      const gLo = gChunk ? gChunk[gAt + k * words]! : 0;
      const gHi = gChunk && words === 2 ? gChunk[gAt + 2 * k + 1]! : 0;
      if (
        known &&
        mS[m0 + 2 * k] === curLo &&
        mS[m0 + 2 * k + 1] === curHi &&
        mG[m0 + gAt + k * words] === gLo &&
        (words === 2 ? mG[m0 + gAt + 2 * k + 1]! : 0) === gHi &&
        mF[m0 + fAt + k] === (fChunk ? fChunk[fAt + k]! : 0)
      ) {
        nrPresent++;
        present++;
        continue;
      }
      // FNAME(prefetch_invalid_gpte), on the two halves.
      if (invalidGpte(rc, gLo, gHi)) {
        dropSpte(m, sp, i);
        flush = true;
        continue;
      }
      const gfn = gpteToGfnOf(gLo, gHi, size);
      const access = protectCleanGpteOf(spAccess & gpteAccessOf(gLo, gHi, size), gLo);
      // is_mmio_spte() on the two halves, without an object (most sptes are not MMIO).
      if (isMmioSpteOf(curLo, curHi)) {
        settled = false;
        // sync_mmio_spte()
        if (gfn !== sptePfnOf(curLo, curHi)) setSpte(sptMut(m, sp), i, { lo: 0, hi: 0 });
        else {
          nrPresent++;
          setSpte(sptMut(m, sp), i, makeMmioSpte(gfn, access));
        }
        continue;
      }
      // kvm_mmu_page_get_gfn(): sp->gfns[i] (an indirect page).
      if (gfn !== (fChunk ? fChunk[fAt + k]! : 0)) {
        dropSpte(m, sp, i);
        flush = true;
        continue;
      }
      nrPresent++;
      present++;
      // make_spte() asks mmu_try_to_unsync_pages() about a writable gpte behind a read-only spte.
      if (access & ACC_WRITE_MASK && !(curLo & PT_WRITABLE_MASK)) settled = false;
      if (syncSetSpte(m, sp, i, access, gfn)) flush = true;
    }
    // Remembered: the sptes as this sync left them, and the gptes and gfns it
    // read, if nothing wrote those meanwhile (the sync writes neither).
    const same =
      settled &&
      (frame ? frame.chunkAt(gw >>> 5) : null) === gChunk &&
      writesOf(gChunk) === gWrites &&
      gfns.chunkAt(ci >>> 1) === fChunk &&
      writesOf(fChunk) === fWrites;
    memo.present[ci] = present;
    if (same) {
      const after = sp.spt.chunkAt(ci);
      // A copy already holds a chunk's values when it was made from the same
      // chunk object at the same count of writes (most often only the sptes
      // changed: the gptes' and gfns' copies stay as they are).
      if (!holds(memo.spt[ci] ?? null, memo.sptW, m0, after)) copyChunk(after, memo.sptW, m0);
      if (!holds(memo.gptes[ci] ?? null, memo.gptW, m0, gChunk)) copyChunk(gChunk, memo.gptW, m0);
      if (!holds(memo.gfns[ci] ?? null, memo.gfnW, m0, fChunk)) copyChunk(fChunk, memo.gfnW, m0);
      memo.spt[ci] = after;
      memo.gptes[ci] = gChunk;
      memo.gfns[ci] = fChunk;
    } else {
      // Nothing kept for a chunk not remembered: the old chunks (and their slabs) can go.
      memo.spt[ci] = null;
      memo.gptes[ci] = null;
      memo.gfns[ci] = null;
    }
  }
  if (v61) {
    // A difference from 5.15: the page would have been zapped, or the flush moves to the caller.
    if (m.linux61Fired && (nrPresent === 0 || flush)) linux61Fired(m, L61_SYNC_PAGE_KEEPS_EMPTY);
    if (m.tracing) m.emit({ kind: 'sync_page', sp: sp.id, nrPresent, zap: false });
    return flush ? 1 : 0;
  }
  if (flush) kvmFlushRemoteTlbs(m);
  if (m.tracing) m.emit({ kind: 'sync_page', sp: sp.id, nrPresent, zap: nrPresent === 0 });
  return nrPresent;
}

/**
 * kvm_sync_page(): sync, or zap when nothing is left (5.15) or the role no
 * longer fits. Returns -1 when the page was zapped; otherwise 1 under 5.15,
 * and under 6.1 whether the caller must flush remote TLBs (1) or not (0).
 */
export function kvmSyncPage(m: Machine, sp: ShadowPage): number {
  const ret = syncPage(m, sp);
  if (ret < 0 || (ret === 0 && !syncKeepsEmptyPage(m))) {
    kvmMmuPrepareZapPage(m, sp, ret < 0 ? 'FNAME(sync_page) cannot sync the page in this MMU context' : 'FNAME(sync_page) found no present entry');
    return -1;
  }
  return syncKeepsEmptyPage(m) ? ret : 1;
}
setKvmSyncPage(kvmSyncPage);

/**
 * mmu_sync_children(): in batches, write-protect every unsync descendant's gfn
 * again, then unlink (mark synced) and sync each one.
 */
export function mmuSyncChildren(m: Machine, parent: ShadowPage): void {
  if (m.tracing) m.emit({ kind: 'mmu_sync_children', sp: parent.id });
  let flush = false;
  // Made for the first batch: most calls (four per CR3 switch of a 32-bit guest) find none.
  let path: MmuPagePath | null = null;
  for (let pvec = mmuUnsyncWalk(m, parent); pvec.length; pvec = mmuUnsyncWalk(m, parent)) {
    path ??= newMmuPagePath();
    let isProtected = false;
    for (let i = mmuPagesFirst(pvec, path); i < pvec.length; i = mmuPagesNext(pvec, path, i)) {
      // mmu_sync_children() -> rmap_write_protect()
      if (kvmMmuSlotGfnWriteProtect(m, pvec[i]!.sp.gfn, 'rmap_write_protect')) isProtected = true;
    }
    if (isProtected) {
      kvmFlushRemoteTlbs(m);
      flush = false;
    }
    for (let i = mmuPagesFirst(pvec, path); i < pvec.length; i = mmuPagesNext(pvec, path, i)) {
      const sp = pvec[i]!.sp;
      kvmUnlinkUnsyncPage(m, sp);
      const ret = kvmSyncPage(m, sp);
      if (ret > 0) flush = true;
      // 5.15 asks for a local flush for every page kept; 6.1 does not.
      if (ret >= 0 && m.linux61Fired && syncKeepsEmptyPage(m)) linux61Fired(m, L61_SYNC_PAGE_KEEPS_EMPTY);
      mmuPagesClearParents(m, path);
    }
  }
  // 6.1 (syncKeepsEmptyPage): kvm_mmu_remote_flush_or_zap(), a remote flush
  // when a sync needs one; 5.15 flushes the current TLB when a page was kept.
  if (syncKeepsEmptyPage(m)) kvmMmuFlushOrZap(m, flush, false);
  else kvmMmuFlushOrZap(m, false, flush);
}

/** kvm_mmu_flush_or_zap(): commit zaps, else a remote flush, else a local one. */
export function kvmMmuFlushOrZap(m: Machine, remoteFlush: boolean, localFlush: boolean): void {
  if (m.invalidList.length) kvmMmuCommitZapPage(m);
  else if (remoteFlush) kvmFlushRemoteTlbs(m);
  else if (localFlush) makeRequest(m, 'KVM_REQ_TLB_FLUSH_CURRENT');
}

/** kvm_mmu_sync_roots(): sync the unsync descendants of the current root(s). */
export function kvmMmuSyncRoots(m: Machine): void {
  if (!m.cpu.cr0.pg || m.mmu.root === null) return;
  if (m.tracing) m.emit({ kind: 'kvm_mmu_sync_roots' });
  if (m.mmu.root !== 'pae') {
    const sp = getSp(m, m.mmu.root);
    if (!sp.unsync && !sp.unsyncChildren) return;
    mmuSyncChildren(m, sp);
    return;
  }
  for (const id of m.mmu.paeRoot) if (id !== null) mmuSyncChildren(m, getSp(m, id));
}

/**
 * FNAME(invlpg)(vcpu, gva, root): walk the shadow path of gva; at a leaf of an
 * unsync page, zap the spte and re-read the guest PTE (FNAME(update_pte)).
 * Stops where the path has no unsync children.
 */
export function invlpgRoot(m: Machine, gva: number, root: number | 'pae'): void {
  let resynced: { sp: number; index: number } | null = null;
  const it = new ShadowWalk(m, gva, root);
  for (; it.okay(); it.next()) {
    const sp = it.sp!;
    const old = it.spte();
    if (it.level === 1 || (isShadowPresent(old) && it.level > 1 && (old.lo & 0x80) !== 0)) {
      if (!sp.unsync) break;
      const size = guestEntrySize(m.cpu);
      const pteGpa = getLevel1SpGpa(m, sp) + it.index * size;
      mmuPageZapPte(m, sp, it.index);
      if (isShadowPresent(old)) kvmFlushRemoteTlbs(m);
      const gpte = m.mem.readEntry(pteGpa, size);
      prefetchGpte(m, sp, it.index, gpte);
      resynced = refJson(spteRef(sp.id, it.index));
    }
    if (!isShadowPresent(it.spte()) || !sp.unsyncChildren) break;
  }
  if (m.tracing) m.emit({ kind: 'invlpg', root: root === 'pae' ? null : root, resynced });
}

