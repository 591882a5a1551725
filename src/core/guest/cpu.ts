/**
 * Guest CPU state that the MMU looks at: CR0, CR3, CR4, EFER and the PDPTE
 * registers of PAE paging. CPL and EFLAGS.AC come with each access.
 */
import type { GuestMode, U64 } from '../scenario.ts';

export interface CpuState {
  cr0: { pg: boolean; wp: boolean };
  cr3: number;
  cr4: { pse: boolean; pae: boolean; smep: boolean; smap: boolean; pcide: boolean };
  efer: { lme: boolean; nx: boolean };
  /** PAE PDPTE registers, loaded by MOV CR3 (KVM: load_pdptrs / mmu->pdptrs). */
  pdptrs: [U64, U64, U64, U64];
  maxPhyAddr: number;
}

export function cloneCpu(c: CpuState): CpuState {
  return {
    cr0: { ...c.cr0 },
    cr3: c.cr3,
    cr4: { ...c.cr4 },
    efer: { ...c.efer },
    pdptrs: [c.pdptrs[0], c.pdptrs[1], c.pdptrs[2], c.pdptrs[3]],
    maxPhyAddr: c.maxPhyAddr,
  };
}

/** EFER.LMA = LME && CR0.PG (the CPU sets it when paging is enabled with LME). */
export const isLongMode = (c: CpuState): boolean => c.efer.lme && c.cr0.pg;

/**
 * A linear address as the kernel prints it: in long mode the core keeps the
 * low 48 bits, so an upper-half address gets bits 63:48 back (canonical form,
 * 0xffff800000123450 rather than 0x800000123450). Other modes are 32-bit.
 */
export function hexGva(c: CpuState, addr: number): string {
  if (isLongMode(c) && addr >= 2 ** 47) return '0xffff' + addr.toString(16).padStart(12, '0');
  return '0x' + addr.toString(16);
}

/** is_pae_paging(): PAE paging proper, i.e. PG && PAE && !LMA. */
export const isPaePaging = (c: CpuState): boolean => c.cr0.pg && c.cr4.pae && !isLongMode(c);

export function guestMode(c: CpuState): GuestMode {
  if (!c.cr0.pg) return 'off';
  if (isLongMode(c)) return 'x86-64';
  return c.cr4.pae ? 'pae' : 'x86-32';
}

/**
 * mmu->root_level (the guest's): 0 with paging off, 2 for 32-bit, 3 for PAE,
 * 4 for long mode (no LA57 here). Mirrors role_regs_to_root_level().
 */
export function guestRootLevel(c: CpuState): 0 | 2 | 3 | 4 {
  if (!c.cr0.pg) return 0;
  if (isLongMode(c)) return 4;
  return c.cr4.pae ? 3 : 2;
}

/** mmu->shadow_root_level: PAE (3) for every non-long-mode guest, 4 for long mode. */
export const shadowRootLevel = (c: CpuState): 3 | 4 => (isLongMode(c) ? 4 : 3);

/** kvm_get_pcid(): CR3[11:0] when CR4.PCIDE, else 0. */
export const getPcid = (c: CpuState, cr3: number): number => (c.cr4.pcide ? cr3 % 4096 : 0);

/** Guest entry width: 4 bytes only for 32-bit non-PAE paging. */
export const guestEntrySize = (c: CpuState): 4 | 8 => (c.cr0.pg && !c.cr4.pae ? 4 : 8);
