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
  // Field by field, not `{ ...r, word }`: a spread gave each role object a V8
  // map of its own, which made every reader of roles megamorphic.
  return {
    level: r.level,
    gpteIs8Bytes: r.gpteIs8Bytes,
    quadrant: r.quadrant,
    direct: r.direct,
    access: r.access,
    invalid: r.invalid,
    eferNx: r.eferNx,
    cr0Wp: r.cr0Wp,
    smepAndnotWp: r.smepAndnotWp,
    smapAndnotWp: r.smapAndnotWp,
    adDisabled: r.adDisabled,
    guestMode: r.guestMode,
    smm: r.smm,
    word: '0x' + roleWord(r).toString(16).padStart(8, '0'),
  };
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

/**
 * The role's fields under the names and layout of one kernel: 5.15's
 * `gpte_is_8_bytes`, or 6.1's `has_4_byte_gpte` (the same bit inverted and
 * renamed in v5.17, the prerequisite the 5.15.y series backported as a
 * computation only), plus 6.1's `passthrough` bit (PAE/PML4 passthrough roots of nested NPT:
 * never set for the shadow MMU of a non-nested guest, so always 0 here).
 * PageRole keeps the 5.15 form inside the core; this is for display.
 */
export interface KernelRoleField {
  /** The kernel's name of the field. */
  readonly name: string;
  /** Its value as the kernel stores it (has_4_byte_gpte = !gpteIs8Bytes). */
  readonly value: number;
  /** The field's bits in role.word, e.g. "0-3". */
  readonly bits: string;
}

/** Whether a rule set's kernel has 6.1's role layout (has_4_byte_gpte, passthrough). */
const has61Layout = (rules: string): boolean => rules === 'linux-6.1';

/** The kernel's name of a PageRole field under a rule set (e.g. gpteIs8Bytes: gpte_is_8_bytes, or has_4_byte_gpte for linux-6.1). */
export function roleFieldName(field: keyof PageRole, rules: string): string {
  if (field === 'gpteIs8Bytes') return has61Layout(rules) ? 'has_4_byte_gpte' : 'gpte_is_8_bytes';
  return field.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());
}

/** The role's fields in role.word order, as the rule set's kernel names and stores them. */
export function kernelRoleFields(r: PageRole, rules: string): KernelRoleField[] {
  const v61 = has61Layout(rules);
  const fields: KernelRoleField[] = [
    { name: 'level', value: r.level, bits: '0-3' },
    v61 ? { name: 'has_4_byte_gpte', value: +!r.gpteIs8Bytes, bits: '4' } : { name: 'gpte_is_8_bytes', value: +r.gpteIs8Bytes, bits: '4' },
    { name: 'quadrant', value: r.quadrant, bits: '5-6' },
    { name: 'direct', value: +r.direct, bits: '7' },
    { name: 'access', value: r.access, bits: '8-10' },
    { name: 'invalid', value: +r.invalid, bits: '11' },
    { name: 'efer_nx', value: +r.eferNx, bits: '12' },
    { name: 'cr0_wp', value: +r.cr0Wp, bits: '13' },
    { name: 'smep_andnot_wp', value: +r.smepAndnotWp, bits: '14' },
    { name: 'smap_andnot_wp', value: +r.smapAndnotWp, bits: '15' },
    { name: 'ad_disabled', value: +r.adDisabled, bits: '16' },
    { name: 'guest_mode', value: +r.guestMode, bits: '17' },
  ];
  if (v61) fields.push({ name: 'passthrough', value: 0, bits: '18' });
  fields.push({ name: 'smm', value: r.smm, bits: '24-31' });
  return fields;
}

/** role.word as the rule set's kernel packs it: 6.1 stores has_4_byte_gpte in bit 4, the inverse of 5.15's gpte_is_8_bytes. */
export function kernelRoleWord(r: PageRole, rules: string): number {
  const w = roleWord(r);
  return has61Layout(rules) ? (w ^ (1 << 4)) >>> 0 : w;
}
