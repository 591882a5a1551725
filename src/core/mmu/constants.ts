/** Constants shared by the guest walker and the shadow MMU (names from the kernel). */
import { pow2 } from '../bits.ts';

/** ACC_* (mmu.h): deliberately alias P, R/W and U/S so a PTE can be masked directly. */
export const ACC_EXEC_MASK = 1;
export const ACC_WRITE_MASK = 2;
export const ACC_USER_MASK = 4;
export const ACC_ALL = 7;

/** PFERR_* page-fault error code bits. */
export const PFERR_PRESENT_MASK = 1 << 0;
export const PFERR_WRITE_MASK = 1 << 1;
export const PFERR_USER_MASK = 1 << 2;
export const PFERR_RSVD_MASK = 1 << 3;
export const PFERR_FETCH_MASK = 1 << 4;

/** Guest and shadow entry bits (low word). */
export const PT_PRESENT_MASK = 1 << 0;
export const PT_WRITABLE_MASK = 1 << 1;
export const PT_USER_MASK = 1 << 2;
export const PT_ACCESSED_MASK = 1 << 5;
export const PT_DIRTY_MASK = 1 << 6;
export const PT_PAGE_SIZE_MASK = 1 << 7;
/** NX is bit 63: bit 31 of the high word. */
export const PT64_NX_MASK_HI = 0x8000_0000;

export const PG_LEVEL_4K = 1;
export const PG_LEVEL_2M = 2;
export const PG_LEVEL_1G = 3;
export const PT32_ROOT_LEVEL = 2;
export const PT32E_ROOT_LEVEL = 3;
export const PT64_ROOT_4LEVEL = 4;

/** KVM_PAGES_PER_HPAGE(level): 4 KiB frames covered by one entry at `level`. */
export const pagesPerHpage = (level: number): number => pow2(9 * (level - 1));

/** PTE_PREFETCH_NUM (mmu.c): neighbouring sptes filled speculatively after a fault. */
export const PTE_PREFETCH_NUM = 8;
/** KVM_MMU_NUM_PREV_ROOTS. */
export const KVM_MMU_NUM_PREV_ROOTS = 3;
/** KVM_PAGE_ARRAY_NR: mmu_unsync_walk collects at most this many pages per batch. */
export const KVM_PAGE_ARRAY_NR = 16;
/** KVM_MIN_FREE_MMU_PAGES / KVM_REFILL_PAGES (kvm_host.h). */
export const KVM_MIN_FREE_MMU_PAGES = 5;
export const KVM_REFILL_PAGES = 25;
/** KVM_PERMILLE_MMU_PAGES / KVM_MIN_ALLOC_MMU_PAGES (kvm_mmu_calculate_default_mmu_pages). */
export const KVM_PERMILLE_MMU_PAGES = 20;
export const KVM_MIN_ALLOC_MMU_PAGES = 64;
/** KVM_MMU_HASH_SHIFT: 4096 buckets in kvm->arch.mmu_page_hash. */
export const KVM_MMU_HASH_SHIFT = 12;

/** Access value -> the trace helper's string (`--- --x w-- w-x -u- -ux wu- wux`). */
export const ACCESS_STR = ['---', '--x', 'w--', 'w-x', '-u-', '-ux', 'wu-', 'wux'] as const;
export const accessStr = (a: number): string => ACCESS_STR[a & 7] ?? '---';
