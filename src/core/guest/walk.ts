/**
 * The guest page walk, mirroring FNAME(walk_addr_generic) in
 * arch/x86/kvm/mmu/paging_tmpl.h for PTTYPE 32 (4-byte entries) and PTTYPE 64
 * (PAE and long mode), plus permission_fault() from mmu.h.
 *
 * One implementation, parametrized by entry size and levels, also serves
 * FNAME(sync_page) and FNAME(invlpg) re-reads (see gptePrefetchAccess).
 */
import { frameOf64, hex, hex64, or64, pow2, rsvdBits, type U64 } from '../bits.ts';
import type { EventSink } from '../trace.ts';
import {
  ACC_EXEC_MASK,
  ACC_USER_MASK,
  ACC_WRITE_MASK,
  PFERR_FETCH_MASK,
  PFERR_PRESENT_MASK,
  PFERR_RSVD_MASK,
  PFERR_USER_MASK,
  PFERR_WRITE_MASK,
  PT_ACCESSED_MASK,
  PT_DIRTY_MASK,
  PT_PAGE_SIZE_MASK,
  PT_PRESENT_MASK,
  PT_USER_MASK,
  PT_WRITABLE_MASK,
  PTE_PREFETCH_NUM,
  PT64_NX_MASK_HI,
} from '../mmu/constants.ts';
import { type CpuState, guestEntrySize, guestRootLevel, hexGva } from './cpu.ts';
import type { GuestMemory } from './memory.ts';

/** The memslots, as a walk asks them: is this gfn guest RAM (as opposed to MMIO / no slot)? */
export interface Memslots {
  gfnVisible(gfn: number): boolean;
}

/** The access being checked: the page-fault error code bits W, U, F (plus the SMAP override). */
export interface WalkAccess {
  readonly write: boolean;
  readonly user: boolean;
  readonly fetch: boolean;
  /** EFLAGS.AC at CPL < 3 overrides SMAP for supervisor data accesses. */
  readonly ac: boolean;
}

export const accessToPferr = (a: WalkAccess): number =>
  (a.write ? PFERR_WRITE_MASK : 0) | (a.user ? PFERR_USER_MASK : 0) | (a.fetch ? PFERR_FETCH_MASK : 0);

/** struct guest_walker (the fields the shadow MMU uses). Arrays are indexed by level - 1. */
export interface GuestWalker {
  level: number;
  maxLevel: number;
  tableGfn: number[];
  /** The gptes read, as their two halves (walker->ptes[]), levels w.level to w.maxLevel. */
  pteLo: number[];
  pteHi: number[];
  pteGpa: number[];
  /** Access allowed by all entries above level L (ACC_* form), for the table at level L. */
  ptAccess: number[];
  pteAccess: number;
  gfn: number;
  /**
   * The gpa of the 8 guest PTEs around a 4 KiB leaf (-1: the leaf is not at
   * level 1). FNAME(gpte_changed) reads them into gw->prefetch_ptes during
   * FNAME(fetch); FNAME(pte_prefetch) reads each one it needs from here, which
   * is the same (nothing changes guest memory in between) without 8 objects per fault.
   */
  prefetchBase: number;
}

export type WalkResult =
  | { readonly ok: true; readonly walker: GuestWalker }
  | { readonly ok: false; readonly errorCode: number; readonly walker: GuestWalker };

/** Reserved-bit masks as KVM's __reset_rsvds_bits_mask builds them (Intel CPU, PSE-36, GBPAGES). */
export interface RsvdCheck {
  /**
   * rsvdMasks' [bit7][level-1] masks flat: words lo, hi at
   * 2 * (bit7 * RSVD_LEVELS + level - 1), zero where there is none. One
   * typed-array read per half instead of two nested lookups: FNAME(sync_page)
   * tests every present gpte of a page with it.
   */
  readonly flat: Int32Array;
}
const RSVD_LEVELS = 5;

/**
 * The masks depend on four CPU settings only; KVM computes them once per MMU
 * reset. Memoized here because the walker and FNAME(sync_page) (per spte!)
 * would otherwise rebuild them on every call.
 */
const rsvdCache = new Map<number, RsvdCheck>();
export function computeRsvdCheck(cpu: CpuState): RsvdCheck {
  // A number, not a string: this runs on every guest walk, and a template
  // string per walk was a measurable share of a 100k-step run (issue 17).
  const key = ((guestRootLevel(cpu) * 2 + +cpu.cr4.pse) * 2 + +cpu.efer.nx) * 128 + cpu.maxPhyAddr;
  let rc = rsvdCache.get(key);
  if (!rc) {
    rc = buildRsvdCheck(cpu);
    rsvdCache.set(key, rc);
  }
  return rc;
}

function buildRsvdCheck(cpu: CpuState): RsvdCheck {
  const flat = new Int32Array(2 * 2 * RSVD_LEVELS);
  rsvdMasks(cpu).forEach((byLevel, bit7) =>
    byLevel.forEach((m, l) => {
      flat[2 * (bit7 * RSVD_LEVELS + l)] = m.lo;
      flat[2 * (bit7 * RSVD_LEVELS + l) + 1] = m.hi;
    }),
  );
  return { flat };
}

/** is_rsvd_bits_set's masks, [bit7][level-1] (reset_rsvds_bits_mask / __reset_rsvds_bits_mask). */
function rsvdMasks(cpu: CpuState): U64[][] {
  const none = { lo: 0, hi: 0 };
  const rootLevel = guestRootLevel(cpu);
  if (rootLevel === 2) {
    // 32-bit: no reserved bits in 4 KiB PDEs/PTEs; a 4 MiB PDE reserves 21:17 (PSE-36 CPU).
    const large = cpu.cr4.pse ? rsvdBits(17, 21) : none;
    return [
      [none, none],
      [none, large],
    ];
  }
  const exb = cpu.efer.nx ? none : rsvdBits(63, 63);
  const high = rootLevel === 3 ? rsvdBits(cpu.maxPhyAddr, 62) : rsvdBits(cpu.maxPhyAddr, 51);
  const pte = or64(exb, high);
  if (rootLevel === 3) {
    return [
      [pte, pte, or64(or64(rsvdBits(63, 63), high), or64(rsvdBits(5, 8), rsvdBits(1, 2)))],
      [pte, or64(pte, rsvdBits(13, 20)), none],
    ];
  }
  const l4 = or64(pte, rsvdBits(7, 7));
  return [
    [pte, pte, pte, l4],
    [pte, or64(pte, rsvdBits(13, 20)), or64(pte, rsvdBits(13, 29)), l4],
  ];
}

/** PDPTE reserved bits for load_pdptrs (bits 1,2,5-8 and MAXPHYADDR..63). */
export function pdpteRsvd(cpu: CpuState): U64 {
  return or64(or64(rsvdBits(cpu.maxPhyAddr, 63), rsvdBits(5, 8)), rsvdBits(1, 2));
}

export function isRsvdBitsSet(rc: RsvdCheck, pte: U64, level: number): boolean {
  return isRsvdBitsSetOf(rc, pte.lo, pte.hi, level);
}
/** isRsvdBitsSet of an entry given as its two halves (no object). */
export function isRsvdBitsSetOf(rc: RsvdCheck, lo: number, hi: number, level: number): boolean {
  // Levels 1-5 only (callers pass 1-4): outside them no mask, as the nested lookup gave.
  if (level < 1 || level > RSVD_LEVELS) return false;
  const j = 2 * (((lo >>> 7) & 1) * RSVD_LEVELS + level - 1);
  return ((lo & rc.flat[j]!) | (hi & rc.flat[j + 1]!)) !== 0;
}

/** Index of `va` in a table at `level` (PT32_INDEX / PT64_INDEX). */
export function tableIndex(va: number, level: number, entrySize: 4 | 8): number {
  if (entrySize === 4) return Math.floor(va / pow2(12 + 10 * (level - 1))) & 1023;
  return Math.floor(va / pow2(12 + 9 * (level - 1))) & 511;
}

/** gpte_to_gfn_lvl: the frame an entry points at, with the large-page offset bits dropped. */
export function gpteToGfnLvl(pte: U64, level: number, entrySize: 4 | 8): number {
  return gpteToGfnLvlOf(pte.lo, pte.hi, level, entrySize);
}
/** gpteToGfnLvl of an entry given as its two halves (no object). */
export function gpteToGfnLvlOf(lo: number, hi: number, level: number, entrySize: 4 | 8): number {
  if (entrySize === 4) {
    if (level === 1) return lo >>> 12;
    return (lo >>> 22) * 1024; // PT32_DIR_BASE_ADDR_MASK: bits 31:22
  }
  const f = frameOf64(lo, hi);
  const span = pow2(9 * (level - 1));
  return f - (f % span);
}

export const gpteToGfn = (pte: U64, entrySize: 4 | 8): number => gpteToGfnOf(pte.lo, pte.hi, entrySize);
/** gpteToGfn of an entry given as its two halves (no object). */
export const gpteToGfnOf = (lo: number, hi: number, entrySize: 4 | 8): number => (entrySize === 4 ? lo >>> 12 : frameOf64(lo, hi));

/** pse36_gfn_delta(): PDE bits 16:13 become gfn bits 23:20 (gpa bits 35:32). */
export const pse36GfnDelta = (pde: number): number => ((pde >>> 13) & 0xf) * 2 ** 20;

/**
 * FNAME(gpte_access): {P, R/W, U/S} with exec = P && !NX. For a 4-byte gpte
 * there is no NX bit at all.
 */
export function gpteAccess(pte: U64, entrySize: 4 | 8): number {
  return gpteAccessOf(pte.lo, pte.hi, entrySize);
}
/** gpteAccess of an entry given as its two halves (no object). */
export function gpteAccessOf(lo: number, hi: number, entrySize: 4 | 8): number {
  let a = lo & (PT_PRESENT_MASK | PT_WRITABLE_MASK | PT_USER_MASK);
  if (entrySize === 8 && (hi & PT64_NX_MASK_HI) !== 0) a ^= ACC_EXEC_MASK;
  return a;
}

/** FNAME(protect_clean_gpte): drop W unless the guest leaf is already dirty. */
export function protectCleanGpte(access: number, pte: U64): number {
  return protectCleanGpteOf(access, pte.lo);
}
/** protectCleanGpte given the gpte's low half (the dirty bit is there). */
export function protectCleanGpteOf(access: number, lo: number): number {
  return (lo & PT_DIRTY_MASK) !== 0 ? access : access & ~ACC_WRITE_MASK;
}

/** FNAME(is_last_gpte) with mmu->last_nonleaf_level (update_last_nonleaf_level). */
export function isLastGpte(cpu: CpuState, level: number, pte: U64): boolean {
  return isLastGpteOf(cpu, level, pte.lo);
}

/** isLastGpte of an entry given as its low half (no object: the bits it reads are there). */
export function isLastGpteOf(cpu: CpuState, level: number, lo: number): boolean {
  if (level === 1) return true;
  const rootLevel = guestRootLevel(cpu);
  const lastNonleaf = rootLevel === 2 && cpu.cr4.pse ? 3 : rootLevel;
  if (level >= lastNonleaf) return false;
  return (lo & PT_PAGE_SIZE_MASK) !== 0;
}

/**
 * permission_fault() as update_permission_bitmask() precomputes it: returns
 * PFERR_PRESENT_MASK when `pteAccess` (ACC_* form) does not allow the access.
 */
export function permissionFault(cpu: CpuState, pteAccess: number, a: WalkAccess): number {
  const w = (pteAccess & ACC_WRITE_MASK) !== 0;
  const u = (pteAccess & ACC_USER_MASK) !== 0;
  const x = (pteAccess & ACC_EXEC_MASK) !== 0;
  const wp = cpu.cr0.wp;
  // SMAP override: (CPL < 3) && EFLAGS.AC. 5.15 cannot tell implicit supervisor
  // accesses apart here, so any CPL<3 access with AC=1 gets it.
  const smapOverride = !a.user && a.ac;
  let fault = false;
  if (a.user && !u) fault = true; // U fault
  if (a.write && !w && (a.user || wp)) fault = true; // W fault; CR0.WP=0 lets supervisor writes through
  if (a.fetch && !x) fault = true; // NX fault (x is always 1 without EFER.NX)
  if (a.fetch && !a.user && u && cpu.cr4.smep) fault = true; // SMEP
  if (!a.fetch && !a.user && u && cpu.cr4.smap && !smapOverride) fault = true; // SMAP
  return fault ? PFERR_PRESENT_MASK : 0;
}

/** `w` emptied for a new walk (its arrays kept: one slot per level). */
function resetWalker(w: GuestWalker): GuestWalker {
  w.level = 0;
  w.maxLevel = 0;
  for (let i = 0; i < 5; i++) w.tableGfn[i] = w.pteLo[i] = w.pteHi[i] = w.pteGpa[i] = w.ptAccess[i] = 0;
  w.pteAccess = 0;
  w.gfn = 0;
  w.prefetchBase = -1;
  return w;
}

/**
 * The one walker every walk fills (walkAddr returns it): struct guest_walker
 * lives on FNAME(page_fault)'s stack, and the simulator's walks, like the
 * kernel's, never overlap: each walk's walker is used up (FNAME(fetch), the
 * emulator's check) before the next walk starts. A fresh walker and its arrays
 * per walk were ~15% of what a 100k-step replay allocated.
 */
const theWalker: GuestWalker = resetWalker({ level: 0, maxLevel: 0, tableGfn: [], pteLo: [], pteHi: [], pteGpa: [], ptAccess: [], pteAccess: 0, gfn: 0, prefetchBase: -1 });

/** Where walkAddr reads each entry into (read at once: no object per level). */
const ENTRY = { lo: 0, hi: 0 };

/** What FNAME(walk_addr) reads: the vCPU, guest memory and the memslots (a Machine is one; no object is made per walk). */
export interface WalkEnv {
  readonly cpu: CpuState;
  readonly mem: GuestMemory;
  readonly host: Memslots;
  readonly emit: EventSink;
  /** False: build no events at all (Machine.tracing); absent counts as on. */
  readonly tracing?: boolean;
}

/**
 * Mirrors FNAME(walk_addr_generic). Sets guest A/D bits in memory on success
 * (FNAME(update_accessed_dirty_bits)) and emits the kernel's tracepoints.
 * `cpu.cr0.pg` must be set: paging-off accesses never walk.
 *
 * `errorCode` is what the caller passes as FNAME(walk_addr)'s `access`, which
 * trace_kvm_mmu_pagetable_walk prints: FNAME(page_fault) passes the fault's
 * whole error code (P included on a protection fault); the emulator's
 * gva_to_gpa passes only W/U/F (the default).
 * The walker in the result is the one every walk fills (theWalker): read it
 * before the next walk.
 */
export function walkAddr(env: WalkEnv, addr: number, access: WalkAccess, errorCode?: number): WalkResult {
  const { cpu, mem, emit } = env;
  const tracing = env.tracing !== false;
  const size = guestEntrySize(cpu);
  const rc = computeRsvdCheck(cpu);
  const w = resetWalker(theWalker);
  const pferr = errorCode ?? accessToPferr(access);
  if (tracing) emit({ kind: 'kvm_mmu_pagetable_walk', addr: hexGva(cpu, addr), pferr });

  let errcode = 0;
  let reason = '';
  let level: number = guestRootLevel(cpu);
  // The entry in hand, as its two halves: CR3 first.
  let lo = cpu.cr3 % 2 ** 32 >>> 0;
  let hi = Math.floor(cpu.cr3 / 2 ** 32);
  // Raw AND of all entries with NX inverted: bits P/W/U/A as in the entries, exec separately.
  let accLo = 0xffff_ffff;
  let accExec = true;
  let ok = false;

  walk: {
    if (level === 3) {
      const i = Math.floor(addr / 2 ** 30) & 3;
      const pdpte = cpu.pdptrs[i];
      lo = pdpte?.lo ?? 0;
      hi = pdpte?.hi ?? 0;
      if (tracing) emit({ kind: 'kvm_mmu_paging_element', level: 3, pte: hex64({ lo, hi }), gpa: null, tableGfn: null, index: i });
      if (!(lo & PT_PRESENT_MASK)) {
        reason = `PDPTE ${i} not present`;
        break walk;
      }
      level = 2;
    }
    w.maxLevel = level;
    for (;;) {
      const ptAccLo: number = accLo;
      const ptExec: boolean = accExec;
      const index = tableIndex(addr, level, size);
      // CR3 (and a PDPTE) carry the table address like any entry (gpte_to_gfn).
      const tableGfn = gpteToGfnOf(lo, hi, size);
      const pteGpa = tableGfn * 4096 + index * size;
      w.tableGfn[level - 1] = tableGfn;
      w.pteGpa[level - 1] = pteGpa;
      if (!env.host.gfnVisible(tableGfn)) {
        reason = `table gfn ${hex(tableGfn)} is not guest RAM`;
        break walk;
      }
      ({ lo, hi } = mem.readInto(pteGpa, size, ENTRY));
      if (tracing) emit({ kind: 'kvm_mmu_paging_element', level, pte: hex64({ lo, hi }), gpa: hex(pteGpa), tableGfn: hex(tableGfn), index });
      accLo = ptAccLo & lo;
      accExec = ptExec && !(size === 8 && (hi & PT64_NX_MASK_HI) !== 0);
      if (!(lo & PT_PRESENT_MASK)) {
        reason = `level ${level} entry ${index} not present`;
        break walk;
      }
      if (isRsvdBitsSetOf(rc, lo, hi, level)) {
        errcode = PFERR_RSVD_MASK | PFERR_PRESENT_MASK;
        reason = `reserved bit set in level ${level} entry ${index}`;
        break walk;
      }
      w.pteLo[level - 1] = lo;
      w.pteHi[level - 1] = hi;
      w.ptAccess[level - 1] = (ptAccLo & (PT_WRITABLE_MASK | PT_USER_MASK)) | (ptExec ? ACC_EXEC_MASK : 0);
      if (isLastGpteOf(cpu, level, lo)) break;
      level -= 1;
    }
    w.level = level;
    w.pteAccess = (accLo & (PT_WRITABLE_MASK | PT_USER_MASK)) | (accExec ? ACC_EXEC_MASK : 0);
    errcode = permissionFault(cpu, w.pteAccess, access);
    if (errcode) {
      reason = 'permission';
      break walk;
    }
    let gfn = gpteToGfnLvlOf(lo, hi, level, size) + (Math.floor((addr % levelSpan(level, size)) / 4096));
    if (size === 4 && level > 1) gfn += pse36GfnDelta(lo);
    w.gfn = gfn;
    let accessedDirty = (accLo & PT_ACCESSED_MASK) !== 0;
    if (!access.write) w.pteAccess = protectCleanGpteOf(w.pteAccess, lo);
    else accessedDirty = accessedDirty && (lo & PT_DIRTY_MASK) !== 0;
    if (!accessedDirty) updateAccessedDirtyBits(env, w, access.write);
    // FNAME(gpte_changed) at level 1: the PTE_PREFETCH_NUM aligned neighbours of the leaf gpte.
    if (level === 1) w.prefetchBase = (w.pteGpa[0] ?? 0) - ((w.pteGpa[0] ?? 0) % (PTE_PREFETCH_NUM * size));
    ok = true;
  }

  if (ok) {
    if (tracing) emit({
      kind: 'sim_walk_result',
      gfn: hex(w.gfn),
      level: w.level,
      pteAccess: w.pteAccess,
      tableGfns: w.tableGfn.slice(w.level - 1, w.maxLevel).map(hex),
      ptAccess: w.ptAccess.slice(0, w.maxLevel),
    });
    return { ok: true, walker: w };
  }
  errcode |= pferr & (PFERR_WRITE_MASK | PFERR_USER_MASK);
  if (access.fetch && (cpu.efer.nx || cpu.cr4.smep)) errcode |= PFERR_FETCH_MASK;
  if (tracing) emit({ kind: 'kvm_mmu_walker_error', pferr: errcode, reason });
  return { ok: false, errorCode: errcode, walker: w };
}

/** PT_LVL_OFFSET_MASK span: bytes covered by one entry at `level`. */
function levelSpan(level: number, size: 4 | 8): number {
  return size === 4 ? pow2(12 + 10 * (level - 1)) : pow2(12 + 9 * (level - 1));
}

/**
 * FNAME(update_accessed_dirty_bits): set A on every entry from max_level down
 * to the leaf, D on the leaf for writes. The walker writes guest memory
 * directly (a cmpxchg), not through the emulator, so no shadow page is zapped.
 */
function updateAccessedDirtyBits(env: WalkEnv, w: GuestWalker, write: boolean): void {
  for (let level = w.maxLevel; level >= w.level; level--) {
    const orig = w.pteLo[level - 1]!;
    let lo = orig;
    const gpa = w.pteGpa[level - 1] ?? 0;
    if (!(lo & PT_ACCESSED_MASK)) {
      if (env.tracing !== false) env.emit({ kind: 'kvm_mmu_set_accessed_bit', gpa: hex(gpa), level });
      lo |= PT_ACCESSED_MASK;
    }
    if (level === w.level && write && !(lo & PT_DIRTY_MASK)) {
      if (env.tracing !== false) env.emit({ kind: 'kvm_mmu_set_dirty_bit', gpa: hex(gpa), level });
      lo |= PT_DIRTY_MASK;
    }
    if (lo === orig) continue;
    w.pteLo[level - 1] = lo >>> 0;
    // A and D are in the entry's low word (its first, little endian): the
    // high word of an 8-byte entry is written back as it was read, so only
    // the low word is written (no object per update).
    env.mem.write32(gpa, lo);
  }
}

