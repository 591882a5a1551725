/**
 * `union kvm_mmu_page_role` (arch/x86/include/asm/kvm_host.h, 5.15).
 *
 * Shadow pages are looked up by (gfn, role.word), so the role is packed into
 * the same 32-bit word layout as the kernel's and compared as a whole.
 */
import { accessStr } from './constants.ts';

export interface PageRole {
  readonly level: number;
  /** 0 => the page shadows 32-bit non-PAE (4-byte) guest entries. v5.17+: !has_4_byte_gpte. */
  readonly gpteIs8Bytes: boolean;
  /** Which part of a 4-byte guest table this 8-byte shadow table covers (0-3). */
  readonly quadrant: number;
  readonly direct: boolean;
  readonly access: number;
  readonly invalid: boolean;
  readonly eferNx: boolean;
  readonly cr0Wp: boolean;
  readonly smepAndnotWp: boolean;
  readonly smapAndnotWp: boolean;
  readonly adDisabled: boolean;
  readonly guestMode: boolean;
  readonly smm: number;
}

/** JSON form of a role in traces and snapshots. */
export interface RoleJson extends PageRole {
  /** The packed role.word as hex. */
  readonly word: string;
}

/** Pack into role.word: level 0-3, gpte_is_8_bytes 4, quadrant 5-6, direct 7, access 8-10, invalid 11, efer_nx 12, cr0_wp 13, smep_andnot_wp 14, smap_andnot_wp 15, ad_disabled 16, guest_mode 17, smm 24-31. */
export function roleWord(r: PageRole): number {
  return (
    ((r.level & 0xf) |
      (+r.gpteIs8Bytes << 4) |
      ((r.quadrant & 3) << 5) |
      (+r.direct << 7) |
      ((r.access & 7) << 8) |
      (+r.invalid << 11) |
      (+r.eferNx << 12) |
      (+r.cr0Wp << 13) |
      (+r.smepAndnotWp << 14) |
      (+r.smapAndnotWp << 15) |
      (+r.adDisabled << 16) |
      (+r.guestMode << 17) |
      ((r.smm & 0xff) << 24)) >>>
    0
  );
}

export function unpackRole(word: number): PageRole {
  return {
    level: word & 0xf,
    gpteIs8Bytes: ((word >>> 4) & 1) === 1,
    quadrant: (word >>> 5) & 3,
    direct: ((word >>> 7) & 1) === 1,
    access: (word >>> 8) & 7,
    invalid: ((word >>> 11) & 1) === 1,
    eferNx: ((word >>> 12) & 1) === 1,
    cr0Wp: ((word >>> 13) & 1) === 1,
    smepAndnotWp: ((word >>> 14) & 1) === 1,
    smapAndnotWp: ((word >>> 15) & 1) === 1,
    adDisabled: ((word >>> 16) & 1) === 1,
    guestMode: ((word >>> 17) & 1) === 1,
    smm: (word >>> 24) & 0xff,
  };
}

export function roleJson(r: PageRole): RoleJson {
  return { ...r, word: '0x' + roleWord(r).toString(16).padStart(8, '0') };
}

/**
 * The kvmmmu tracepoint notation (mmutrace.h KVM_MMU_PAGE_PRINTK), e.g.
 * `gfn 1000 l2 4-byte q3 wux !nxe`: what `trace-cmd` shows a kernel developer.
 */
export function roleNotation(gfn: number, r: PageRole): string {
  return (
    `gfn ${gfn.toString(16)} l${r.level} ${r.gpteIs8Bytes ? 8 : 4}-byte q${r.quadrant}` +
    `${r.direct ? ' direct' : ''} ${accessStr(r.access)}${r.invalid ? ' invalid' : ''}` +
    ` ${r.eferNx ? '' : '!'}nxe`
  );
}
