/**
 * The kernel rule sets: a new shadow page's role (notes section 10), and Linux 6.1's other changes.
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
 * - `linux-6.1`: Linux 6.1 (checked against 6.1.192): `merged`'s role rules
 *   (upstream since v6.0) and child check (in 6.1.192 through the stable
 *   backports the real-kvm tool's README names), plus the
 *   changes after 5.15 in LINUX_61_CHANGES at the end of this file, each
 *   behind a predicate used where the behaviour lives.
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
export function baseRole(rules: RuleSetName, cpu: CpuState, linux61: number = linux61Changes(rules)): PageRole {
  const key = roleCacheKey(rules, cpu, linux61);
  let role = baseRoles.get(key);
  if (role === undefined) baseRoles.set(key, (role = makeBaseRole(rules, cpu, linux61)));
  return role;
}

/**
 * The CPU settings a base role (and a root's role) is made from, and the rule
 * set and 6.1 changes, as one number: CR0.PG, CR0.WP, CR4.PAE, CR4.SMEP,
 * CR4.SMAP, EFER.NX and EFER.LME (long mode and the root levels come from
 * these). Roles are made once per key and shared: a role is never changed in
 * place (a page's role is replaced, as when it is zapped), and a CR3 switch of
 * a 32-bit guest made four roots' roles and strings each time (~7% of what a
 * 100k-step replay allocated).
 */
function roleCacheKey(rules: RuleSetName, cpu: CpuState, linux61: number): number {
  const bits =
    +cpu.cr0.pg | (+cpu.cr0.wp << 1) | (+cpu.cr4.pae << 2) | (+cpu.cr4.smep << 3) | (+cpu.cr4.smap << 4) | (+cpu.efer.nx << 5) | (+cpu.efer.lme << 6);
  return (linux61 * 8 + RULE_SETS.indexOf(rules)) * 128 + bits;
}
const baseRoles = new Map<number, PageRole>();
/** computeRootRole's results by roleCacheKey, root index (0-3) and level (0-7). */
const rootRoles = new Map<number, ComputedRole>();

/**
 * kvm_mmu_child_role()'s roles, by the parent's role (the object: a page's
 * role is shared and never changed in place) and childRoleKey. A fault links
 * up to three children, and making each role (two copies of a 14-field
 * object and the quadrant's formula as text) was the largest thing a
 * 100k-step replay's faults allocated after new pages. A WeakMap: the roles
 * of pages no machine holds any more are forgotten with them.
 */
let childRoles = new WeakMap<PageRole, Map<number, PageRole>>();

/** For tests: forget every role made, so the next call makes it afresh. */
export function sim_clearRoleCache(): void {
  baseRoles.clear();
  rootRoles.clear();
  childRoles = new WeakMap();
}

function makeBaseRole(rules: RuleSetName, cpu: CpuState, linux61: number): PageRole {
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
    // 6.1 (rootEferNxAlways): kvm_init_shadow_mmu() sets root_role.efer_nx
    // = true, also for the direct roots of a guest with paging off.
    eferNx: (linux61 & L61_ROOT_EFER_NX) !== 0 || (pg && cpu.efer.nx),
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
export function computeRootRole(rules: RuleSetName, cpu: CpuState, rootIndex: number, level: number, linux61: number = linux61Changes(rules)): ComputedRole {
  // Roots have index 0-3 and level 2-5: anything else is made, not kept (it would share a key).
  if (rootIndex < 0 || rootIndex > 3 || level < 0 || level > 7) return makeRootRole(rules, cpu, rootIndex, level, linux61);
  const key = (roleCacheKey(rules, cpu, linux61) * 4 + rootIndex) * 8 + level;
  let computed = rootRoles.get(key);
  if (computed === undefined) rootRoles.set(key, (computed = makeRootRole(rules, cpu, rootIndex, level, linux61)));
  return computed;
}

function makeRootRole(rules: RuleSetName, cpu: CpuState, rootIndex: number, level: number, linux61: number): ComputedRole {
  if (rules === 'before') {
    // 5.15 passes gva = i << 30 for the four PAE roots, 0 for a single root.
    const gva = level === 2 ? rootIndex * 2 ** 30 : 0;
    const base = baseRole(rules, cpu);
    return { ...roleBeforePatch(cpu, gva, level, base.direct, ACC_ALL), fn: 'mmu_alloc_root' };
  }
  const base = baseRole(rules, cpu, linux61);
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
  const role = childRole(rules, cpu, parentRole, index, gaddr, direct, access);
  return { fn: 'kvm_mmu_child_role', role, quadrantFormula: role.gpteIs8Bytes ? '8-byte gptes: quadrant copied from parent' : `parent index ${index} % 2 = ${index % 2}` };
}

/**
 * computeChildRole's role alone, with no formula: the fault path's, which
 * shows the formula only when tracing. After the patch the role of every
 * (parent role, childRoleKey) is made once and shared.
 */
export function childRole(rules: RuleSetName, cpu: CpuState, parentRole: PageRole, index: number, gaddr: number, direct: boolean, access: number): PageRole {
  if (rules === 'before') return roleBeforePatch(cpu, gaddr, parentRole.level - 1, direct, access).role;
  const merged = isMergedSeries(rules);
  const key = childRoleKey(merged, parentRole, index, direct, access);
  let per = childRoles.get(parentRole);
  if (per === undefined) childRoles.set(parentRole, (per = new Map()));
  let role = per.get(key);
  if (role === undefined) per.set(key, (role = makeChildRole(merged, parentRole, index, direct, access)));
  return role;
}

/** What kvm_mmu_child_role() reads besides the parent's role: the access, direct, the index's parity (4-byte gptes only) and whether role.invalid is cleared (the merged series). */
const childRoleKey = (merged: boolean, parentRole: PageRole, index: number, direct: boolean, access: number): number =>
  ((access * 2 + +direct) * 2 + (parentRole.gpteIs8Bytes ? 0 : index % 2)) * 2 + +merged;

function makeChildRole(merged: boolean, parentRole: PageRole, index: number, direct: boolean, access: number): PageRole {
  return {
    ...parentRole,
    level: parentRole.level - 1,
    access,
    direct,
    // "WARN and clear role.invalid when creating a child shadow page" (merged only).
    invalid: merged ? false : parentRole.invalid,
    // 4-byte gptes: a 4 KiB guest table is shadowed by two pages, one per half.
    quadrant: parentRole.gpteIs8Bytes ? parentRole.quadrant : index % 2,
  };
}

// ---------------------------------------------------------------------------
// Linux 6.1: what changed after 5.15 in the paths the simulator models.
//
// `linux-6.1` is `merged` (6.1.192 carries the stable backports of the
// series, kvm_mmu_get_child_sp() included) plus the upstream changes below.
// Each is one bit of Machine.linux61, tested by its own predicate where the
// behaviour lives, so a test can switch any of them off (createMachine's
// `linux61Off`) and the patch lens can say which commit a difference comes
// from. A predicate is true only under linux-6.1 with its change on.

/** The upstream changes between 5.15 and 6.1 the linux-6.1 rule set models. */
export type Linux61ChangeId =
  | 'root-efer-nx'
  | 'prev-roots-without-pcid'
  | 'new-pgd-full-role'
  | 'no-unsync-when-prefetch'
  | 'direct-prefetch-trailing'
  | 'set-spte-trace-on-change'
  | 'no-current-flush-on-sp-change'
  | 'sync-page-keeps-empty'
  | 'writable-spte-skips-unsync-check'
  | 'free-obsolete-roots-only'
  | 'pcide-off-no-reset'
  | 'pae-roots-rebuilt-on-pdpte-change';

export interface Linux61Change {
  readonly id: Linux61ChangeId;
  /** The commit's title, as in `git log --oneline`. */
  readonly commit: string;
  /** The first release that has it. */
  readonly since: string;
  /** The 6.1 function where the difference lives. */
  readonly fn: string;
  /** One sentence, plain words: what 6.1 does differently from 5.15. */
  readonly text: string;
}

/** Every modelled 6.1 change, in the order of the bits of Machine.linux61. */
export const LINUX_61_CHANGES: readonly Linux61Change[] = [
  {
    id: 'root-efer-nx',
    commit: 'KVM: x86/mmu: store shadow EFER.NX in the MMU role',
    since: 'v5.19',
    fn: 'kvm_init_shadow_mmu',
    text: 'Every shadow page has efer_nx set in its role, whatever the guest\'s EFER.NX, because KVM always runs the guest with NX on under shadow paging.',
  },
  {
    id: 'prev-roots-without-pcid',
    commit: 'KVM: X86: Cache CR3 in prev_roots when PCID is disabled',
    since: 'v5.16',
    fn: 'kvm_invalidate_pcid, kvm_post_set_cr4',
    text: 'A MOV CR3 with CR4.PCIDE=0 keeps the cached previous roots, so switching back to an earlier CR3 reuses its root instead of looking it up again; setting CR4.PCIDE then frees every root.',
  },
  {
    id: 'new-pgd-full-role',
    commit: 'KVM: x86/mmu: Always use current mmu\'s role when loading new PGD',
    since: 'v5.18',
    fn: 'kvm_mmu_new_pgd',
    text: 'A MOV CR3 compares cached roots with the MMU\'s whole root role, so a root with smep_andnot_wp or smap_andnot_wp set (CR0.WP=0 with SMEP or SMAP) can be found in the cache.',
  },
  {
    id: 'no-unsync-when-prefetch',
    commit: 'KVM: X86: Don\'t unsync pagetables when speculative',
    since: 'v5.16',
    fn: 'mmu_try_to_unsync_pages',
    text: 'A prefetched writable PTE that maps a shadowed guest page table gets a read-only spte; the page is unsynced only by a real write fault.',
  },
  {
    id: 'direct-prefetch-trailing',
    commit: 'KVM: x86/mmu: Complete prefetch for trailing SPTEs for direct, legacy MMU',
    since: 'v5.16',
    fn: '__direct_pte_prefetch',
    text: 'Prefetch for a direct shadow page also fills the run of empty sptes after the faulting one, not only the runs before it.',
  },
  {
    id: 'set-spte-trace-on-change',
    commit: 'KVM: MMU: inline set_spte in mmu_set_spte',
    since: 'v5.16',
    fn: 'mmu_set_spte',
    text: 'kvm_mmu_set_spte is traced only when the spte really changes: rewriting the same value (a write-protected page table hit again) leaves no trace line.',
  },
  {
    id: 'no-current-flush-on-sp-change',
    commit: 'KVM: X86: Don\'t flush current tlb on shadow page modification',
    since: 'v5.16',
    fn: 'mmu_set_spte, kvm_mmu_get_page, kvm_mmu_pte_write',
    text: 'Write-protecting a leaf, syncing a page found by kvm_mmu_get_page or zapping sptes on a write to a guest page table no longer requests a flush of the current TLB; only a needed remote flush is made.',
  },
  {
    id: 'sync-page-keeps-empty',
    commit: 'KVM: X86: Change kvm_sync_page() to return true when remote flush is needed',
    since: 'v5.16',
    fn: 'FNAME(sync_page), kvm_sync_page',
    text: 'Syncing an unsync page that has no present entry left keeps the page instead of zapping it; FNAME(sync_page) reports whether a flush is needed, not how many entries are present.',
  },
  {
    id: 'writable-spte-skips-unsync-check',
    commit: 'KVM: X86: Don\'t check unsync if the original spte is writible',
    since: 'v5.16',
    fn: 'make_spte',
    text: 'Rebuilding a leaf whose old spte was already writable keeps it writable without looking for shadow pages to unsync and without setting the dirty bit, on a fault as on a sync.',
  },
  {
    id: 'free-obsolete-roots-only',
    commit: 'KVM: x86/mmu: Zap only obsolete roots if a root shadow page is zapped',
    since: 'v5.18',
    fn: 'kvm_mmu_free_obsolete_roots',
    text: 'When a root shadow page is zapped, the next VM entry frees only the roots that were zapped (and a PAE root), not every cached root.',
  },
  {
    id: 'pcide-off-no-reset',
    commit: 'KVM: X86: Don\'t reset mmu context when X86_CR4_PCIDE 1->0',
    since: 'v5.16',
    fn: 'kvm_post_set_cr4',
    text: 'Clearing CR4.PCIDE no longer rebuilds the MMU: KVM flushes the guest TLB instead, which syncs the current root and frees only the cached roots that have unsync pages below them.',
  },
  {
    id: 'pae-roots-rebuilt-on-pdpte-change',
    commit: 'KVM: x86/mmu: Reconstruct shadow page root if the guest PDPTEs is changed',
    since: 'v5.16',
    fn: 'load_pdptrs',
    text: 'When a PAE guest reloads CR3 and its four PDPTEs have changed, KVM frees the current roots and builds them again from the new PDPTEs; 5.15 kept the old ones.',
  },
];

/** Machine.linux61's bit for a change. */
export const linux61Bit = (id: Linux61ChangeId): number => 1 << LINUX_61_CHANGES.findIndex((c) => c.id === id);

const L61_ALL = (1 << LINUX_61_CHANGES.length) - 1;
export const L61_ROOT_EFER_NX = 1 << 0;
export const L61_PREV_ROOTS_WITHOUT_PCID = 1 << 1;
export const L61_NEW_PGD_FULL_ROLE = 1 << 2;
export const L61_NO_UNSYNC_WHEN_PREFETCH = 1 << 3;
export const L61_DIRECT_PREFETCH_TRAILING = 1 << 4;
export const L61_SET_SPTE_TRACE_ON_CHANGE = 1 << 5;
export const L61_NO_CURRENT_FLUSH_ON_SP_CHANGE = 1 << 6;
export const L61_SYNC_PAGE_KEEPS_EMPTY = 1 << 7;
export const L61_WRITABLE_SPTE_SKIPS_UNSYNC_CHECK = 1 << 8;
export const L61_FREE_OBSOLETE_ROOTS_ONLY = 1 << 9;
export const L61_PCIDE_OFF_NO_RESET = 1 << 10;
export const L61_PAE_ROOTS_REBUILT = 1 << 11;

/** Machine.linux61 for a rule set: every change under linux-6.1 but those switched off; none otherwise. */
export function linux61Changes(rules: RuleSetName, off: readonly Linux61ChangeId[] = []): number {
  if (rules !== 'linux-6.1') return 0;
  let bits = L61_ALL;
  for (const id of off) bits &= ~linux61Bit(id);
  return bits;
}

/** What the predicates read: the machine's linux61 bits. */
interface HasLinux61 {
  readonly linux61: number;
}

/** The predicate of one change: whether its bit is on in the machine's Machine.linux61. */
const inForce =
  (bit: number) =>
  (m: HasLinux61): boolean =>
    (m.linux61 & bit) !== 0;

/**
 * "KVM: x86/mmu: store shadow EFER.NX in the MMU role" (v5.19):
 * kvm_init_shadow_mmu() sets root_role.efer_nx = true; every child copies it.
 */
export const rootEferNxAlways = inForce(L61_ROOT_EFER_NX);
/**
 * "KVM: X86: Cache CR3 in prev_roots when PCID is disabled" (v5.16):
 * kvm_invalidate_pcid() returns before freeing prev_roots when CR4.PCIDE=0.
 * In return kvm_post_set_cr4() unloads every root when PCIDE goes 0 -> 1
 * ("stale prev_roots could be reused incorrectly ... after a MOV to CR3 with
 * NOFLUSH=1, so we free them all"); 5.15 did nothing there.
 */
export const cachesPrevRootsWithoutPcid = inForce(L61_PREV_ROOTS_WITHOUT_PCID);
/**
 * "KVM: x86/mmu: Always use current mmu's role when loading new PGD" (v5.18):
 * kvm_mmu_new_pgd() compares with mmu->root_role, not a base-only role whose
 * smep_andnot_wp / smap_andnot_wp are zero.
 */
export const newPgdUsesFullRole = inForce(L61_NEW_PGD_FULL_ROLE);
/**
 * "KVM: X86: Don't unsync pagetables when speculative" (v5.16):
 * mmu_try_to_unsync_pages(..., prefetch) returns -EEXIST for a synced shadow
 * page of the gfn, so make_spte() write-protects the prefetched spte.
 */
export const noUnsyncWhenPrefetch = inForce(L61_NO_UNSYNC_WHEN_PREFETCH);
/**
 * "KVM: x86/mmu: Complete prefetch for trailing SPTEs for direct, legacy MMU"
 * (v5.16): __direct_pte_prefetch() also prefetches a run still open at the
 * end of the PTE_PREFETCH_NUM group.
 */
export const directPrefetchesTrailing = inForce(L61_DIRECT_PREFETCH_TRAILING);
/**
 * "KVM: MMU: inline set_spte in mmu_set_spte" (v5.16): trace_kvm_mmu_set_spte
 * sits in the `*sptep != spte` branch of mmu_set_spte().
 */
export const tracesSetSpteOnlyOnChange = inForce(L61_SET_SPTE_TRACE_ON_CHANGE);
/**
 * "KVM: X86: Don't flush current tlb on shadow page modification" (v5.16):
 * no KVM_REQ_TLB_FLUSH_CURRENT from mmu_set_spte() for a write-protected
 * page table, from kvm_mmu_get_page() after syncing the page it found, nor
 * from kvm_mmu_pte_write() (kvm_mmu_remote_flush_or_zap: remote or nothing).
 */
export const noCurrentFlushOnSpChange = inForce(L61_NO_CURRENT_FLUSH_ON_SP_CHANGE);
/**
 * "KVM: X86: Change kvm_sync_page() to return true when remote flush is
 * needed" (v5.16): FNAME(sync_page) returns <0 (zap), 0 or >0 (flush); a
 * page with no present spte left is no longer zapped.
 */
export const syncKeepsEmptyPage = inForce(L61_SYNC_PAGE_KEEPS_EMPTY);
/**
 * "KVM: X86: Don't check unsync if the original spte is writible" (v5.16):
 * make_spte() skips mmu_try_to_unsync_pages() (and the dirty bit) whenever
 * the old spte was writable, not only for a sync (can_unsync = false).
 */
export const writableSpteSkipsUnsyncCheck = inForce(L61_WRITABLE_SPTE_SKIPS_UNSYNC_CHECK);
/**
 * "KVM: x86/mmu: Zap only obsolete roots if a root shadow page is zapped"
 * (v5.18): zapping a root raises KVM_REQ_MMU_FREE_OBSOLETE_ROOTS, and
 * kvm_mmu_free_obsolete_roots() frees the current and previous roots that
 * are invalid (or have no shadow page: PAE), where 5.15's KVM_REQ_MMU_RELOAD
 * unloaded them all. The simulator keeps the request's 5.15 name.
 */
export const freesObsoleteRootsOnly = inForce(L61_FREE_OBSOLETE_ROOTS_ONLY);
/**
 * "KVM: X86: Don't reset mmu context when X86_CR4_PCIDE 1->0" (v5.16):
 * kvm_post_set_cr4() raises KVM_REQ_TLB_FLUSH_GUEST instead of
 * kvm_mmu_reset_context(); kvm_vcpu_flush_tlb_guest() then runs
 * kvm_mmu_sync_roots() and kvm_mmu_sync_prev_roots() (which frees the prev
 * roots with unsync pages below them).
 */
export const pcideOffKeepsRoots = inForce(L61_PCIDE_OFF_NO_RESET);
/**
 * "KVM: x86/mmu: Reconstruct shadow page root if the guest PDPTEs is changed"
 * (upstream 6b123c3a89a9, v5.16; never in 5.15.y): load_pdptrs() frees the
 * current root (KVM_MMU_ROOT_CURRENT) when the PDPTEs it loads differ.
 */
export const rebuildsRootsOnPdpteChange = inForce(L61_PAE_ROOTS_REBUILT);

/**
 * Record that a 6.1 change made a difference at this step (the property test
 * and the patch lens read Machine.linux61Fired). Called only where the
 * predicate is on and the outcome differs from 5.15's.
 */
export function linux61Fired(m: { linux61Fired: number[] | null; stepIndex: number }, bit: number): void {
  if (m.linux61Fired === null) return;
  m.linux61Fired.push(m.stepIndex, bit);
}
