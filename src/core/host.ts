/**
 * The host side: which gfns have a memslot, the host pfn backing each gfn,
 * and where KVM's own shadow-page pages live.
 *
 * Pfns are deliberately different from gfns (a student must see that an spte
 * holds a *host* frame), but deterministic and 2 MiB-aligned chunk for chunk,
 * so a host huge page backs an aligned 2 MiB guest range as real THP would.
 */
import type { HostConfig } from './scenario.ts';

const CHUNK_BITS = 19;
const CHUNK_MASK = (1 << CHUNK_BITS) - 1;
const MULT = 0x9e3;
const ADD = 0x55;
/** Host chunks start at pfn 0x100000 (4 GiB) so they never meet KVM's own pages below. */
const CHUNK_BASE = 0x800;

/** Modular inverse of MULT mod 2^19 by Newton iteration (exact in doubles: < 2^38). */
const MULT_INV = (() => {
  let inv = MULT;
  for (let i = 0; i < 5; i++) inv = (inv * ((2 - ((MULT * inv) % 2 ** CHUNK_BITS) + 2 ** CHUNK_BITS) % 2 ** CHUNK_BITS)) % 2 ** CHUNK_BITS;
  return inv;
})();

/** Host pfn of the page holding shadow page `id`'s spt (hpa 0x80000000 + id * 4 KiB). */
export const SP_PFN_BASE = 0x80000;
export const spPfn = (id: number): number => SP_PFN_BASE + id;
/** The per-vCPU pae_root page (allocated __GFP_DMA32 in __kvm_mmu_create: below 4 GiB). */
export const PAE_ROOT_PFN = 0x7ffff;

export class Host {
  constructor(readonly config: HostConfig) {}

  /** kvm_vcpu_gfn_to_memslot() != NULL: one memslot of RAM starting at gfn 0. */
  gfnVisible(gfn: number): boolean {
    return gfn >= 0 && gfn < this.config.memslotFrames;
  }

  /** gfn -> host pfn (__gfn_to_pfn_memslot). Only meaningful for visible gfns. */
  gfnToPfn(gfn: number): number {
    // Integer arithmetic only: a product mod 2^19 is the low bits of
    // Math.imul's, and `& 511` is `% 512` for a gfn below 2^53. The double
    // `%` these replace compiled to a floating-point remainder, on every fault
    // and every hit (issue 17's hot path).
    const chunk = Math.floor(gfn / 512);
    const host = ((Math.imul(chunk, MULT) + ADD) & CHUNK_MASK) + CHUNK_BASE;
    return host * 512 + (gfn & 511);
  }

  /** Inverse of gfnToPfn: which guest frame a host pfn backs (null for KVM's own pages). */
  pfnToGfn(pfn: number): number | null {
    const host = Math.floor(pfn / 512) - CHUNK_BASE;
    if (host < 0 || host > CHUNK_MASK) return null;
    const chunk = Math.imul((host - ADD) & CHUNK_MASK, MULT_INV) & CHUNK_MASK;
    const gfn = chunk * 512 + (pfn & 511);
    return this.gfnVisible(gfn) ? gfn : null;
  }

  /**
   * host_pfn_mapping_level(): the level at which the host maps this gfn's
   * page (2 = 2 MiB THP when the scenario turns host huge pages on).
   */
  hostMappingLevel(gfn: number): number {
    if (!this.config.hugePages) return 1;
    const base = gfn - (gfn % 512);
    return this.gfnVisible(base) && this.gfnVisible(base + 511) ? 2 : 1;
  }
}
