/**
 * SPTE bit layout for shadow paging (non-EPT) in 5.15 (spte.h):
 * P 0, W 1, U 2, A 5, D 6, PS 7, host-writable 9, mmu-writable 10,
 * SPTE_MMU_PRESENT 11, pfn 12..51, NX 63. Every shadow table is PAE format:
 * 512 entries of 8 bytes, kept as 1024 little-endian words.
 */
import { frameOf64, sim_entryFlags, type U64 } from '../bits.ts';
import type { CowArray } from '../cow-array.ts';
import { PT_ACCESSED_MASK, PT_PAGE_SIZE_MASK, PT_PRESENT_MASK, PT_USER_MASK, PT_WRITABLE_MASK } from './constants.ts';

export const SPTE_HOST_WRITEABLE = 1 << 9;
export const SPTE_MMU_WRITEABLE = 1 << 10;
export const SPTE_MMU_PRESENT_MASK = 1 << 11;
/**
 * MMIO sptes: not MMU-present (no bit 11) but with a reserved physical-address
 * bit set, so the CPU takes a RSVD #PF that KVM recognizes as MMIO
 * (handle_mmio_page_fault). Simplified from 5.15's shadow_mmio_value: bit 51
 * plus P, with the gfn and access kept in the usual places.
 */
export const SPTE_MMIO_HI = 1 << 19;

export function spteLo(spt: CowArray, i: number): number {
  return spt.get(2 * i);
}
export function spteHi(spt: CowArray, i: number): number {
  return spt.get(2 * i + 1);
}
export function getSpte(spt: CowArray, i: number): U64 {
  return { lo: spt.get(2 * i), hi: spt.get(2 * i + 1) };
}
/** Write an spte: `spt` must be the page's own (sptMut(m, sp)). */
export function setSpte(spt: CowArray, i: number, v: U64): void {
  setSpteOf(spt, i, v.lo, v.hi);
}
/** setSpte of an spte given as its two halves (no object). */
export function setSpteOf(spt: CowArray, i: number, lo: number, hi: number): void {
  spt.set(2 * i, lo >>> 0);
  spt.set(2 * i + 1, hi >>> 0);
}

// The predicates read only the low half: their `Of` forms take it alone (no object on the hot paths).
export const isShadowPresent = (v: U64): boolean => isShadowPresentOf(v.lo);
export const isShadowPresentOf = (lo: number): boolean => (lo & SPTE_MMU_PRESENT_MASK) !== 0;
export const isLargePte = (v: U64): boolean => isLargePteOf(v.lo);
export const isLargePteOf = (lo: number): boolean => (lo & PT_PAGE_SIZE_MASK) !== 0;
export const isLastSpte = (v: U64, level: number): boolean => isLastSpteOf(v.lo, level);
export const isLastSpteOf = (lo: number, level: number): boolean => level === 1 || isLargePteOf(lo);
export const isWritableSpte = (v: U64): boolean => (v.lo & PT_WRITABLE_MASK) !== 0;
export const isMmioSpte = (v: U64): boolean => isMmioSpteOf(v.lo, v.hi);
/** isMmioSpte of an spte given as its two halves (no object). */
export const isMmioSpteOf = (lo: number, hi: number): boolean => (hi & SPTE_MMIO_HI) !== 0 && (lo & SPTE_MMU_PRESENT_MASK) === 0;
export const sptePfn = (v: U64): number => frameOf64(v.lo, v.hi & ~SPTE_MMIO_HI & 0xfffff);
/** sptePfn of an spte given as its two halves (no object). */
export const sptePfnOf = (lo: number, hi: number): number => frameOf64(lo, hi & ~SPTE_MMIO_HI & 0xfffff);
export const isZero = (v: U64): boolean => v.lo === 0 && v.hi === 0;

function compose(pfn: number, low: number, high: number): U64 {
  return { lo: ((pfn * 4096) | low) >>> 0, hi: (Math.floor(pfn / 0x100000) | high) >>> 0 };
}

/** make_nonleaf_spte(): upper-level sptes are fully permissive; permissions live in the leaves. */
export function makeNonleafSpte(childPfn: number): U64 {
  return compose(childPfn, PT_PRESENT_MASK | PT_WRITABLE_MASK | PT_USER_MASK | PT_ACCESSED_MASK | SPTE_MMU_PRESENT_MASK, 0);
}

export function makeMmioSpte(gfn: number, access: number): U64 {
  return compose(gfn, PT_PRESENT_MASK | (access & (PT_WRITABLE_MASK | PT_USER_MASK)), SPTE_MMIO_HI);
}

/** Decoded spte flags for display. */
export const decodeSpte = (v: U64): string => decodeSpteOf(v.lo, v.hi);

/** decodeSpte of an spte given as its two halves (no object). */
export function decodeSpteOf(lo: number, hi: number): string {
  if (lo === 0 && hi === 0) return 'none';
  if (isMmioSpteOf(lo, hi)) return 'mmio';
  return sim_entryFlags(lo, hi);
}
