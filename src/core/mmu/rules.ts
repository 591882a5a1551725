/**
 * The three kernel rule sets for a new shadow page's role (notes section 10).
 *
 * - `before`: Linux 5.15 before the seed patch. kvm_mmu_get_page(vcpu, gfn,
 *   gaddr, level, direct, access) builds the role from the vCPU's base role,
 *   forces gpte_is_8_bytes for direct pages, and derives the quadrant from the
 *   faulting address whenever the MMU shadows a 32-bit guest.
 * - `seed`: 5.15.y v2 3/8 "Derive shadow MMU page role from parent": children
 *   copy the parent's role (kvm_mmu_child_role, quadrant = parent index % 2
 *   for 4-byte gptes); roots get their quadrant from mmu_alloc_root(gfn, i, level).
 * - `merged`: 5.15.y as finally merged, with the three upstream prerequisites:
 *   no forcing for direct pages, has_4_byte_gpte = CR0.PG && !CR4.PAE (so paging
 *   off counts as 8-byte), quadrant only for 4-byte gptes, "Always pass 0 for
 *   @quadrant when gptes are 8 bytes", "WARN and clear role.invalid when
 *   creating a child shadow page", and kvm_mmu_get_child_sp() reusing a child
 *   already linked at sptep only when its gfn ("unexpected GFN") and its role
 *   (7/8, "unexpected role") are the ones asked for.
 * - `merged-no-7`: the same series without patch 7/8: a child already linked
 *   is reused when its gfn matches, whatever its role.
 *
 * Everything rule-specific lives here so the patch lens can run them side by side.
 */
import type { RuleSetName } from '../scenario.ts';
import { type CpuState, guestRootLevel, shadowRootLevel } from '../guest/cpu.ts';
import { ACC_ALL } from './constants.ts';
import type { PageRole } from './role.ts';

export const RULE_SETS: readonly RuleSetName[] = ['before', 'seed', 'merged', 'merged-no-7', 'linux-6.1'];

/** The three rule sets the patch lens compares by default. */
export const COMPARED_RULE_SETS: readonly RuleSetName[] = ['before', 'seed', 'merged'];

export const RULE_SET_LABEL: Readonly<Record<RuleSetName, string>> = {
  before: 'Before (5.15)',
  seed: 'Seed patch (v2 3/8)',
  merged: 'Merged (5.15.y)',
  'merged-no-7': 'Merged without 7/8',
  'linux-6.1': 'Linux 6.1',
};

export const RULE_SET_SHORT: Readonly<Record<RuleSetName, string>> = {
  before: 'Before',
  seed: 'Seed',
  merged: 'Merged',
  'merged-no-7': 'No 7/8',
  'linux-6.1': '6.1',
};

/** The rule sets of the series as merged (its role rules; they differ only in the child check). */
export const isMergedSeries = (rules: RuleSetName): boolean => rules === 'merged' || rules === 'merged-no-7' || rules === 'linux-6.1';

/**
 * What FNAME(fetch) / __direct_map do with a child already linked at the
 * sptep they are walking through:
 * - 'follow': 5.15 and the seed patch only call kvm_mmu_get_page() for a
 *   non-present sptep; a present one is walked through unchecked, trusting
 *   write tracking to have zapped it if the guest entry changed.
 * - 'gfn': kvm_mmu_get_child_sp() returns -EEXIST (reuse) only for a child
 *   with the gfn asked for; otherwise the link is dropped and a new child made.
 * - 'gfn+role': as 'gfn', and the child's role word must equal the role
 *   kvm_mmu_child_role() computes (patch 7/8).
 */
export function childCheck(rules: RuleSetName): 'follow' | 'gfn' | 'gfn+role' {
  if (rules === 'merged' || rules === 'linux-6.1') return 'gfn+role';
  if (rules === 'merged-no-7') return 'gfn';
  return 'follow';
}

/**
 * mmu->mmu_role.base for the shadow MMU (kvm_calc_shadow_mmu_root_page_role in
 * 5.15): access ACC_ALL, direct = !CR0.PG, level = shadow root level, and the
 * CR0/CR4/EFER bits that change what an spte means.
 */
export function baseRole(rules: RuleSetName, cpu: CpuState): PageRole {
  const pg = cpu.cr0.pg;
  const gpteIs8Bytes =
    isMergedSeries(rules)
      ? !(pg && !cpu.cr4.pae) // has_4_byte_gpte = CR0.PG && !CR4.PAE, inverted
      : pg && cpu.cr4.pae; // 5.15: gpte_is_8_bytes = CR0.PG && CR4.PAE
  return {
    level: shadowRootLevel(cpu),
    gpteIs8Bytes,
    quadrant: 0,
    direct: !pg,
    access: ACC_ALL,
    invalid: false,
    eferNx: pg && cpu.efer.nx,
    cr0Wp: pg && cpu.cr0.wp,
    smepAndnotWp: pg && cpu.cr4.smep && !cpu.cr0.wp,
    smapAndnotWp: pg && cpu.cr4.smap && !cpu.cr0.wp,
    adDisabled: false,
    guestMode: false,
    smm: 0,
  };
}

export interface ComputedRole {
  readonly role: PageRole;
  readonly fn: 'kvm_mmu_child_role' | 'mmu_alloc_root' | 'kvm_mmu_get_page';
  readonly quadrantFormula: string;
}

/**
 * The pre-patch role computation inside kvm_mmu_get_page(): base role, then
 * level/direct/access, gpte_is_8_bytes forced for direct pages, and
 * quadrant = (gaddr >> (PAGE_SHIFT + PT64_PT_BITS*level)) & ((1 << ((PT32_PT_BITS-PT64_PT_BITS)*level)) - 1)
 * when !direct_map && root_level <= PT32_ROOT_LEVEL.
 */
function roleBeforePatch(cpu: CpuState, gaddr: number, level: number, direct: boolean, access: number): ComputedRole {
  const base = baseRole('before', cpu);
  const directMap = base.direct;
  let quadrant = 0;
  let quadrantFormula = directMap
    ? 'direct_map: no quadrant, 0'
    : `root_level ${guestRootLevel(cpu)} > 2: no quadrant, 0`;
  if (!directMap && guestRootLevel(cpu) <= 2) {
    const shift = 12 + 9 * level;
    const mask = (1 << level) - 1;
    quadrant = Math.floor(gaddr / 2 ** shift) & mask;
    quadrantFormula = `(gaddr 0x${gaddr.toString(16)} >> ${shift}) & ${mask} = ${quadrant}`;
  }
  return {
    fn: 'kvm_mmu_get_page',
    role: { ...base, level, direct, gpteIs8Bytes: direct ? true : base.gpteIs8Bytes, access, quadrant },
    quadrantFormula,
  };
}

/** Role of a root: mmu_alloc_root(vcpu, gfn, quadrant or gva, level). */
export function computeRootRole(rules: RuleSetName, cpu: CpuState, rootIndex: number, level: number): ComputedRole {
  if (rules === 'before') {
    // 5.15 passes gva = i << 30 for the four PAE roots, 0 for a single root.
    const gva = level === 2 ? rootIndex * 2 ** 30 : 0;
    const base = baseRole(rules, cpu);
    return { ...roleBeforePatch(cpu, gva, level, base.direct, ACC_ALL), fn: 'mmu_alloc_root' };
  }
  const base = baseRole(rules, cpu);
  // seed v2 passes i; "Always pass 0 for @quadrant when gptes are 8 bytes"
  // (merged) passes 0 there, which the gpte check below ignores anyway.
  const quadrantArg = isMergedSeries(rules) && base.gpteIs8Bytes ? 0 : rootIndex;
  if (!base.gpteIs8Bytes) {
    return {
      fn: 'mmu_alloc_root',
      role: { ...base, level, quadrant: quadrantArg },
      quadrantFormula: `root index i = ${quadrantArg}`,
    };
  }
  return { fn: 'mmu_alloc_root', role: { ...base, level }, quadrantFormula: '8-byte gptes: quadrant 0' };
}

/**
 * Role of a child page linked at `parent.spt[index]`.
 * seed/merged mirror kvm_mmu_child_role(); before mirrors the old
 * kvm_mmu_get_page(vcpu, gfn, gaddr, level - 1, direct, access).
 */
export function computeChildRole(
  rules: RuleSetName,
  cpu: CpuState,
  parentRole: PageRole,
  index: number,
  gaddr: number,
  direct: boolean,
  access: number,
): ComputedRole {
  if (rules === 'before') return roleBeforePatch(cpu, gaddr, parentRole.level - 1, direct, access);
  let role: PageRole = {
    ...parentRole,
    level: parentRole.level - 1,
    access,
    direct,
    // "WARN and clear role.invalid when creating a child shadow page" (merged only).
    invalid: isMergedSeries(rules) ? false : parentRole.invalid,
  };
  let quadrantFormula = '8-byte gptes: quadrant copied from parent';
  if (!role.gpteIs8Bytes) {
    role = { ...role, quadrant: index % 2 };
    quadrantFormula = `parent index ${index} % 2 = ${index % 2}`;
  }
  return { fn: 'kvm_mmu_child_role', role, quadrantFormula };
}
