/**
 * Invariants checked after every step in tests, in the spirit of the
 * kernel's old mmu_audit.c. Returns a list of problems (empty = clean).
 */
import { hex } from './bits.ts';
import { guestEntrySize } from './guest/cpu.ts';
import { gpteAccess } from './guest/walk.ts';
import { type Machine, pteListRefs, refId, refIndex, rmapKey, type ShadowPage, spteRef } from './machine.ts';
import { ACC_EXEC_MASK, ACC_USER_MASK, ACC_WRITE_MASK, PT_PRESENT_MASK, PT_USER_MASK, PT_WRITABLE_MASK, PT64_NX_MASK_HI } from './mmu/constants.ts';
import { childOf, kvmMmuPageGetGfn, kvmPageTableHashfn } from './mmu/pages.ts';
import { type PageRole, roleWord } from './mmu/role.ts';
import { computeChildRole, isMergedSeries } from './mmu/rules.ts';
import { getSpte, isLastSpte, isShadowPresent, isWritableSpte } from './mmu/spte.ts';
import { getLevel1SpGpa } from './mmu/sync.ts';

export interface AuditIssue {
  readonly rule: string;
  readonly message: string;
}

/** The role a child linked at parent.spt[index] must have under the machine's rule set. */
function expectedChildRole(m: Machine, parent: ShadowPage, index: number, child: ShadowPage): PageRole {
  if (m.rules !== 'before') {
    return computeChildRole(m.rules, m.cpu, parent.role, index, 0, child.role.direct, child.role.access).role;
  }
  // Before the patch the child took the vCPU's base role at creation time; the
  // parent carries the same base fields. gpte_is_8_bytes is forced for direct
  // pages, and a 32-bit guest's level-1 pages get quadrant = VA[21], which is
  // the low bit of the parent index.
  const fromRoot32 = !parent.role.direct && !parent.role.gpteIs8Bytes;
  return {
    ...parent.role,
    invalid: false,
    level: parent.role.level - 1,
    direct: child.role.direct,
    access: child.role.access,
    gpteIs8Bytes: child.role.direct ? true : parent.role.gpteIs8Bytes,
    quadrant: fromRoot32 ? index % 2 : parent.role.direct ? 0 : parent.role.quadrant,
  };
}

export function auditMachine(m: Machine): AuditIssue[] {
  const issues: AuditIssue[] = [];
  const fail = (rule: string, message: string): void => {
    issues.push({ rule, message });
  };
  const valid = [...m.sps.values()].filter((sp) => !sp.role.invalid);

  // Hash table, active list and page counts agree.
  for (const sp of m.sps.values()) {
    const bucket = m.hash.get(kvmPageTableHashfn(sp.gfn)) ?? [];
    if (!bucket.includes(sp.id)) fail('hash', `sp ${sp.id} (gfn ${hex(sp.gfn)}) missing from its hash bucket`);
    const onActive = m.activeList.includes(sp.id);
    if (!sp.role.invalid && !onActive) fail('active-list', `valid sp ${sp.id} is not on active_mmu_pages`);
    if (sp.role.invalid && onActive) fail('active-list', `invalid sp ${sp.id} is still on active_mmu_pages`);
    if (sp.role.invalid && sp.rootCount === 0) fail('invalid', `invalid sp ${sp.id} with no root reference was not freed`);
  }
  for (const [bucket, ids] of m.hash) {
    for (const id of ids) {
      const sp = m.sps.get(id);
      if (!sp) fail('hash', `bucket ${bucket} holds freed sp ${id}`);
      else if (kvmPageTableHashfn(sp.gfn) !== bucket) fail('hash', `sp ${id} is in bucket ${bucket}, not ${kvmPageTableHashfn(sp.gfn)}`);
    }
  }
  if (m.nUsedMmuPages !== m.sps.size) fail('count', `n_used_mmu_pages ${m.nUsedMmuPages} != ${m.sps.size} pages`);
  if (m.invalidList.length) fail('count', 'invalid_list not committed at the end of a step');

  // Root counts.
  const refs = new Map<number, number>();
  const addRef = (id: number | null): void => {
    if (id !== null) refs.set(id, (refs.get(id) ?? 0) + 1);
  };
  if (m.mmu.root === 'pae') m.mmu.paeRoot.forEach(addRef);
  else addRef(m.mmu.root);
  for (const p of m.mmu.prevRoots) addRef(p.root);
  for (const sp of m.sps.values()) {
    if ((refs.get(sp.id) ?? 0) !== sp.rootCount) fail('root-count', `sp ${sp.id} root_count ${sp.rootCount} but ${refs.get(sp.id) ?? 0} references`);
  }
  for (const id of refs.keys()) if (!m.sps.has(id)) fail('root-count', `a root references freed sp ${id}`);

  // Quadrants in range.
  for (const sp of m.sps.values()) {
    const q = sp.role.quadrant;
    if (sp.role.gpteIs8Bytes && !sp.role.direct && q !== 0) fail('quadrant', `8-byte sp ${sp.id} has quadrant ${q}`);
    if (!sp.role.gpteIs8Bytes && q > (sp.role.level === 1 ? 1 : 3)) fail('quadrant', `sp ${sp.id} level ${sp.role.level} quadrant ${q} out of range`);
  }

  // Parent pointers, child roles, rmaps, unsync bitmaps.
  const leafCount = new Map<number, number>();
  for (const sp of m.sps.values()) {
    let setBits = 0;
    for (let i = 0; i < 512; i++) {
      if (sp.unsyncChildBitmap.get(i)) setBits++;
      const v = getSpte(sp.spt, i);
      if (!isShadowPresent(v)) continue;
      if (!isLastSpte(v, sp.role.level)) {
        const child = childOf(m, v);
        if (!child.parentPtes.includes(spteRef(sp.id, i))) fail('parent-ptes', `sp ${sp.id}[${i}] -> sp ${child.id}, which does not list it as a parent`);
        const expected = expectedChildRole(m, sp, i, child);
        if (!sp.role.invalid && roleWord(expected) !== child.roleWord && !child.role.invalid) {
          fail('child-role', `sp ${child.id} under sp ${sp.id}[${i}] has role 0x${child.roleWord.toString(16)}, ${m.rules} rules derive 0x${roleWord(expected).toString(16)}`);
        }
        continue;
      }
      const gfn = kvmMmuPageGetGfn(sp, i);
      const list = pteListRefs(m.rmap.get(rmapKey(sp.role.level, gfn)));
      if (!list.includes(spteRef(sp.id, i))) fail('rmap', `leaf sp ${sp.id}[${i}] (gfn ${hex(gfn)}) is not in its rmap`);
      leafCount.set(sp.id, (leafCount.get(sp.id) ?? 0) + 1);
    }
    if (setBits !== sp.unsyncChildren) fail('unsync', `sp ${sp.id} unsync_children ${sp.unsyncChildren} but ${setBits} bits set`);
    for (const ref of sp.parentPtes) {
      const parent = m.sps.get(refId(ref));
      const v = parent ? getSpte(parent.spt, refIndex(ref)) : null;
      if (!parent || !v || !isShadowPresent(v) || childOf(m, v) !== sp) fail('parent-ptes', `sp ${sp.id} lists parent ${refId(ref)}[${refIndex(ref)}], which does not point to it`);
      else if (sp.unsync || sp.unsyncChildren) {
        if (!parent.unsyncChildBitmap.get(refIndex(ref))) fail('unsync', `unsync sp ${sp.id}: parent ${parent.id}[${refIndex(ref)}] lacks the unsync_child_bitmap bit`);
      }
    }
    if (sp.unsync && (sp.role.level !== 1 || sp.role.direct)) fail('unsync', `sp ${sp.id} is unsync but not an indirect level-1 page`);
  }
  let rmapRefs = 0;
  for (const [key, list] of m.rmap) {
    for (const ref of pteListRefs(list)) {
      rmapRefs++;
      const sp = m.sps.get(refId(ref));
      const v = sp ? getSpte(sp.spt, refIndex(ref)) : null;
      if (!sp || !v || !isShadowPresent(v) || !isLastSpte(v, sp.role.level) || rmapKey(sp.role.level, kvmMmuPageGetGfn(sp, refIndex(ref))) !== key) {
        fail('rmap', `stale rmap entry sp ${refId(ref)}[${refIndex(ref)}]`);
      }
    }
  }
  const leaves = [...leafCount.values()].reduce((a, b) => a + b, 0);
  if (leaves !== rmapRefs) fail('rmap', `${leaves} leaf sptes but ${rmapRefs} rmap entries`);
  const pages = m.stats.pages_4k + m.stats.pages_2m + m.stats.pages_1g;
  if (pages !== leaves) fail('count', `pages_4k/2m/1g add up to ${pages}, ${leaves} leaves present`);

  // Write protection of shadowed guest tables.
  const indirect = valid.filter((sp) => !sp.role.direct);
  if (indirect.length !== m.indirectShadowPages) fail('count', `indirect_shadow_pages ${m.indirectShadowPages} != ${indirect.length}`);
  const tracked = new Map<number, number>();
  for (const sp of indirect) if (sp.role.level > 1) tracked.set(sp.gfn, (tracked.get(sp.gfn) ?? 0) + 1);
  for (const [gfn, n] of tracked) if ((m.writeTrack.get(gfn) ?? 0) !== n) fail('write-track', `gfn ${hex(gfn)} has ${n} upper-level sps but track count ${m.writeTrack.get(gfn) ?? 0}`);
  for (const [gfn, n] of m.writeTrack) if (!tracked.has(gfn) && n) fail('write-track', `gfn ${hex(gfn)} tracked without an upper-level sp`);
  const shadowedGfns = new Set(indirect.map((sp) => sp.gfn));
  for (const gfn of shadowedGfns) {
    const sps = indirect.filter((sp) => sp.gfn === gfn);
    const upper = sps.some((sp) => sp.role.level > 1);
    const allUnsync = sps.every((sp) => sp.role.level === 1 && sp.unsync);
    for (let level = 1; level <= 3; level++) {
      for (const ref of pteListRefs(m.rmap.get(rmapKey(level, gfn)))) {
        const sp = m.sps.get(refId(ref));
        if (!sp || !isWritableSpte(getSpte(sp.spt, refIndex(ref)))) continue; // a freed page is reported as a stale rmap entry above
        if (upper || !allUnsync) fail('write-protect', `shadowed gfn ${hex(gfn)} is mapped writable by sp ${sp.id}[${refIndex(ref)}]${upper ? ' (an upper-level table)' : ''}`);
      }
    }
  }

  // No spte grants more than the guest's PTE (synced indirect level-1 pages).
  if (m.cpu.cr0.pg) {
    const size = guestEntrySize(m.cpu);
    for (const sp of indirect) {
      if (sp.role.level !== 1 || sp.unsync || sp.role.invalid) continue;
      if (sp.role.gpteIs8Bytes !== (size === 8) && !isMergedSeries(m.rules)) continue;
      const first = getLevel1SpGpa(m, sp);
      for (let i = 0; i < 512; i++) {
        const v = getSpte(sp.spt, i);
        if (!isShadowPresent(v)) continue;
        const gpte = m.mem.readEntry(first + i * size, size);
        if (!(gpte.lo & PT_PRESENT_MASK)) {
          fail('rights', `sp ${sp.id}[${i}] is present but the guest PTE is not`);
          continue;
        }
        const g = sp.role.access & gpteAccess(gpte, size);
        const wpTrick = !sp.role.cr0Wp && !(v.lo & PT_USER_MASK);
        if (v.lo & PT_WRITABLE_MASK && !(g & ACC_WRITE_MASK) && !wpTrick) fail('rights', `sp ${sp.id}[${i}] writable, guest PTE is not`);
        if (v.lo & PT_USER_MASK && !(g & ACC_USER_MASK)) fail('rights', `sp ${sp.id}[${i}] user, guest PTE is supervisor`);
        if (!(v.hi & PT64_NX_MASK_HI) && !(g & ACC_EXEC_MASK)) fail('rights', `sp ${sp.id}[${i}] executable, guest PTE is NX`);
      }
    }
  }
  return issues;
}
