/**
 * Kernel-event mode's caption: one plain sentence for the event just
 * revealed, with its numbers, so the caption follows the events one by one.
 * Generated from the event alone (and the guest's mode, for address widths);
 * the call path below the caption keeps the kernel's names.
 */
import type { GuestMode, TraceEvent } from '../../core/index.ts';
import { entryBits, errorCodeWords, gvaOf, pageWords, plural, refusalOf, spList, tableName, ZAP_WORDS } from './caption-words.ts';

/** The kvmmmu notation with its gfn in 0x form ("gfn 1 l2 4-byte q0 wux !nxe" -> "gfn 0x1, l2 4-byte q0 wux !nxe"). */
const notationText = (n: string): string => n.replace(/^gfn (\S+) /, 'gfn 0x$1, ');

const slotWords = (slot: string): string => (slot === 'current' ? 'the current root' : slot.startsWith('pae') ? `pae_root[${slot.slice(3)}]` : `prev_roots[${slot.slice(4)}]`);

const REQUEST_WORDS: Record<string, string> = {
  KVM_REQ_MMU_RELOAD: 'drop and rebuild the roots',
  KVM_REQ_MMU_SYNC: 'sync the unsync pages below the roots',
  KVM_REQ_LOAD_MMU_PGD: 'load the new root',
  KVM_REQ_TLB_FLUSH: 'flush the whole TLB',
  KVM_REQ_TLB_FLUSH_CURRENT: 'flush the current TLB context',
};

const EMULATE_WHY: Record<string, string> = {
  'write-tracked': 'the page written is a guest page table KVM write-tracks',
  'write-protected-pt': 'the page written is a guest page table, so its shadow entry stays read-only',
  mmio: 'there is no RAM behind the address (MMIO)',
};

/** One sentence for event `e` (a guest in `mode`). */
export function eventCaption(e: TraceEvent, mode: GuestMode): string {
  const paging = mode !== 'off';
  switch (e.kind) {
    case 'sim_hardware_walk': {
      const last = e.path[e.path.length - 1];
      const at = last ? (last.sp === null ? `pae_root[${last.index}]` : `sp ${last.sp} entry ${last.index}`) : 'the root';
      if (e.result === 'hit') return `The CPU walks the shadow tables for ${gvaOf(e.gva, mode)} and finds a mapping (${at}): no exit, KVM does not run.`;
      const ec = e.errorCode ?? 0;
      const why = ec & 1 && !(ec & 8) && last ? refusalOf(e.access, e.user, entryBits(last.spte)) : undefined;
      return `The CPU walks the shadow tables for ${gvaOf(e.gva, mode)} and stops at ${at}: a #PF, which exits to KVM (${errorCodeWords(ec, why)}).`;
    }
    case 'sim_guest_access':
      return `The ${e.op === 'fetch' ? 'instruction fetch' : e.op} completes${e.emulated ? ' (done by KVM\'s emulator)' : ''}: ${e.op === 'write' ? `${e.value} is stored at` : `${e.value} comes from`} gpa ${e.gpa}.`;
    case 'kvm_page_fault':
      return `VM exit: the guest's access to ${gvaOf(e.gva, mode)} page-faulted on the shadow tables; KVM's fault handler runs (error code 0x${e.errorCode.toString(16)}).`;
    case 'kvm_mmu_page_fault': {
      const r: Record<string, string> = {
        RET_PF_FIXED: 'the shadow tables now map the access, so the guest retries it',
        RET_PF_SPURIOUS: 'the entry was already right, so the guest just retries',
        RET_PF_EMULATE: 'KVM performs the instruction itself',
        RET_PF_RETRY: 'the guest resumes (at its own #PF handler if one was injected)',
      };
      return `The fault handler returns ${e.result}: ${r[e.result] ?? e.result}.`;
    }
    case 'handle_mmio_page_fault':
      return `The shadow entry is KVM's MMIO marker for gfn ${e.gfn}: no RAM there, so KVM emulates the access without walking the guest's tables.`;
    case 'kvm_mmu_pagetable_walk':
      return `KVM walks the guest's own page tables for ${gvaOf(e.addr, mode)}, as the CPU would (access bits 0x${e.pferr.toString(16)}).`;
    case 'kvm_mmu_paging_element':
      return e.gpa === null
        ? `Guest level-${e.level} entry ${e.index} is PDPTE register ${e.index} = ${e.pte}.`
        : `Guest ${tableName(e.level)} entry ${e.index} (at gpa ${e.gpa}) = ${e.pte}${entryBits(e.pte).present ? '' : ': not present'}.`;
    case 'kvm_mmu_set_accessed_bit':
      return `KVM sets the Accessed bit in the guest's level-${e.level} entry at gpa ${e.gpa}, as the CPU would.`;
    case 'kvm_mmu_set_dirty_bit':
      return `KVM sets the Dirty bit in the guest PTE at gpa ${e.gpa}: this write makes the page dirty.`;
    case 'kvm_mmu_walker_error':
      return `The guest's own tables refuse the access too (${e.reason}): the fault is the guest's, error code ${errorCodeWords(e.pferr)}.`;
    case 'sim_walk_result':
      return `The guest's tables map it to gfn ${e.gfn} (a level-${e.level} leaf) with access ${accessWords(e.pteAccess)}.`;
    case 'kvm_inject_page_fault':
      return `KVM injects a #PF into the guest (CR2 = ${gvaOf(e.gva, mode)}): ${errorCodeWords(e.errorCode)}.`;
    case 'kvm_inject_gp':
      return `KVM injects #GP(0) into the guest: ${e.reason}.`;
    case 'page_fault_handle_page_track':
      return `The write hits gfn ${e.gfn}, a guest page table KVM write-tracks: KVM will emulate it, so it sees the new entry.`;
    case 'is_self_change_mapping':
      return `The page being mapped holds one of the guest's own page tables for this address: KVM maps it with 4 KiB pages${e.writeFaultToShadowPgtable ? ', and this write goes to a shadowed table' : ''}.`;
    case 'sim_cr0_wp_adjust':
      return `CR0.WP=0: the guest kernel may write read-only pages, so KVM maps the page writable but supervisor-only (access ${accessWords(e.before)} becomes ${accessWords(e.after)}).`;
    case 'kvm_mmu_spte_requested':
      return `KVM will map ${gvaOf(e.gva, mode)} with a level-${e.level} shadow entry, to host frame ${e.pfn}.`;
    case 'sim_compute_role':
      return `KVM works out the role of the ${e.fn === 'mmu_alloc_root' ? 'root' : 'next shadow page'}: level ${e.role.level}, ${e.role.direct ? 'direct' : `${e.role.gpteIs8Bytes ? 8 : 4}-byte guest entries`}, quadrant ${e.role.quadrant} (${e.quadrantFormula}).`;
    case 'kvm_mmu_get_page':
      return e.created ? `KVM builds a new ${pageWords(e.sp, e.gfn, e.role, paging)}.` : `KVM finds the shadow page it needs already built: sp ${e.sp} (${notationText(e.notation)}).`;
    case 'account_shadowed':
      return e.writeTracked
        ? `gfn ${e.gfn} is now shadowed: KVM write-tracks it, so guest writes to that table exit and are emulated.`
        : `gfn ${e.gfn} is now shadowed by a page table: KVM will not map it with a huge page.`;
    case 'unaccount_shadowed':
      return `gfn ${e.gfn} is no longer shadowed by sp ${e.sp}.`;
    case 'rmap_write_protect':
      return e.sptes.length
        ? `KVM write-protects gfn ${e.gfn}: ${plural(e.sptes.length, 'shadow entry', 'shadow entries')} mapping it lose W, so guest writes to that table will exit.`
        : `KVM write-protects gfn ${e.gfn}: no shadow entry maps it writable yet.`;
    case 'link_shadow_page':
      return `KVM links sp ${e.child} into sp ${e.parent.sp} entry ${e.parent.index}.`;
    case 'mark_unsync':
      return `sp ${e.sp} notes that its entry ${e.index} leads to an unsync page (for the next sync).`;
    case 'kvm_mmu_unsync_page':
      return `sp ${e.sp} (${notationText(e.notation)}) goes unsync: KVM stops write-protecting that guest page table, so the guest may edit it without exits and the shadow catches up at the next sync (INVLPG or CR3 load).`;
    case 'kvm_mmu_set_spte': {
      const b = entryBits(e.spte);
      const rw = b.w ? 'writable' : e.writeProtectedPt ? 'read-only, because gfn ' + e.gfn + ' is a shadowed page table' : 'read-only';
      return `KVM ${e.speculative ? 'prefetches' : 'sets'} sp ${e.sp} entry ${e.index} -> gfn ${e.gfn} (${rw}${b.u ? ', user' : ', supervisor-only'}).`;
    }
    case 'set_spte': {
      const b = entryBits(e.spte);
      const rw = b.w ? 'writable' : e.writeProtectedPt ? 'read-only, because gfn ' + e.gfn + ' is a shadowed page table' : 'read-only';
      return `The sync recomputes sp ${e.sp} entry ${e.index} -> gfn ${e.gfn} from the guest's entry (${rw}${b.u ? ', user' : ', supervisor-only'}).`;
    }
    case 'mark_mmio_spte':
      return `gfn ${e.gfn} has no RAM (MMIO): KVM marks sp ${e.sp} entry ${e.index} so the next access exits straight to the emulator.`;
    case 'drop_spte':
      return `KVM clears sp ${e.sp} entry ${e.index} (it mapped gfn ${e.gfn}).`;
    case 'drop_parent_pte':
      return `KVM unlinks sp ${e.child} from sp ${e.parent.sp} entry ${e.parent.index}.`;
    case 'kvm_mmu_prepare_zap_page':
      return `KVM zaps sp ${e.sp} (${(ZAP_WORDS[e.reason] ?? e.reason).replace(/:.*$/, '')}): it is unlinked now and freed at the end.`;
    case 'kvm_mmu_commit_zap_page':
      return e.freed.length ? `KVM frees the zapped ${spList(e.freed)}.` : 'KVM flushes the TLBs; nothing left to free.';
    case 'kvm_mmu_sync_page':
      return `sp ${e.sp} is in sync with its guest table again.`;
    case 'sync_page':
      return `KVM re-reads the guest entries behind sp ${e.sp}: ${e.nrPresent} present${e.zap ? ', none left, so the page is zapped' : ''}.`;
    case 'mmu_sync_children':
      return `KVM syncs the unsync pages below sp ${e.sp}.`;
    case 'pte_prefetch':
      return `KVM prefetches ${plural(e.indexes.length, 'neighbouring entry', 'neighbouring entries')} of sp ${e.sp}, guessing they will be used soon.`;
    case 'kvm_mmu_zap_oldest_mmu_pages':
      return `Too many shadow pages: KVM recycles ${plural(e.zapped.length, 'old page')} (${spList(e.zapped)}).`;
    case 'x86_emulate_instruction':
      return `KVM emulates the instruction at ${gvaOf(e.gva, mode)}: ${EMULATE_WHY[e.reason] ?? e.reason}.`;
    case 'kvm_mmu_pte_write':
      return `The emulated write stores ${e.bytes} bytes at gpa ${e.gpa} (new entry ${e.gentry}); KVM updates the shadow entries built from it.`;
    case 'detect_write_misaligned':
      return `The write to sp ${e.sp}'s guest table is misaligned (not one whole entry): KVM zaps the page.`;
    case 'detect_write_flooding':
      return e.flooded
        ? `sp ${e.sp}'s guest table was written ${e.count} times with no use in between (write flooding): KVM zaps it, guessing it is no longer a page table.`
        : `KVM counts the write to sp ${e.sp}'s guest table (${e.count} in a row).`;
    case 'clear_sp_write_flooding_count':
      return `sp ${e.sp} is in use (${e.by === 'FNAME(fetch)' || e.by === 'shadow_page_table_clear_flood' ? 'an access went through it' : 'KVM found it again'}): its count of emulated writes (${e.count}) starts again from 0, so it is not taken for a recycled page.`;
    case 'get_written_sptes':
      return e.indexes.length
        ? `The write lands in sp ${e.sp} entr${e.indexes.length === 1 ? 'y' : 'ies'} ${e.indexes.join(', ')} (${e.formula}).`
        : `None of sp ${e.sp}'s entries shadows the guest entry written (${e.formula}).`;
    case 'kvm_mmu_load':
      return `The guest enters with no shadow root: KVM builds ${e.directMap ? 'direct roots (paging is off)' : 'the roots for the guest\'s CR3'}.`;
    case 'mmu_alloc_root':
      return `${e.slot === 'current' ? 'The root' : slotWords(e.slot)} is now sp ${e.sp} (gfn ${e.gfn}).`;
    case 'sim_pae_root_invalid':
      return `pae_root[${e.index}] stays empty: ${e.reason}, so that GiB of addresses has no shadow table.`;
    case 'kvm_mmu_free_roots':
      return `KVM drops ${e.which.map(slotWords).join(', ')}.`;
    case 'mmu_free_root_page':
      return `${slotWords(e.slot)} lets go of sp ${e.sp}${e.rootCount === 0 ? ' (no longer anyone\'s root)' : ` (still a root ${e.rootCount} times)`}.`;
    case 'kvm_mmu_sync_roots':
      return 'KVM syncs the unsync pages reachable from the roots.';
    case 'kvm_set_cr3':
      return e.old === e.new ? `The guest loads the same CR3 again (${e.new}).` : `The guest loads CR3 ${e.old} -> ${e.new}.`;
    case 'load_pdptrs':
      return `KVM loads the four PDPTEs from CR3${e.changed ? ' (they changed)' : ''}: ${e.pdptrs.join(', ')}.`;
    case 'kvm_mmu_new_pgd':
      return `KVM switches to the tables at ${e.pgd}.`;
    case 'cached_root_available':
      return e.hit
        ? `KVM finds a root for this CR3 in its cache of previous roots${e.prevIndex !== null ? ` (prev_roots[${e.prevIndex}])` : ''}: it switches back to it, nothing is rebuilt.`
        : 'No cached root for this CR3: the current root goes into prev_roots[0] and a new one is built.';
    case 'kvm_make_request':
      return `KVM asks for the next VM entry to ${REQUEST_WORDS[e.req] ?? e.req}.`;
    case 'kvm_flush_remote_tlbs':
      return 'KVM flushes the TLBs of all vCPUs.';
    case 'kvm_vcpu_flush_tlb_all':
      return 'On VM entry KVM flushes the whole TLB.';
    case 'kvm_vcpu_flush_tlb_current':
      return 'On VM entry KVM flushes the current context\'s TLB.';
    case 'kvm_mmu_invlpg':
      return `The guest invalidates ${gvaOf(e.gva, mode)} (INVLPG): KVM checks the shadow entries for it.`;
    case 'invlpg':
      return e.resynced
        ? `sp ${e.resynced.sp} is unsync: KVM re-reads the guest PTE behind entry ${e.resynced.index}.`
        : 'No unsync shadow page on the path: nothing to re-read.';
    case 'kvm_mmu_reset_context':
      return `${e.reason}: the shadow roots no longer fit, so KVM drops them and builds new ones.`;
    case 'kvm_set_cr0':
    case 'kvm_set_cr4':
    case 'set_efer': {
      const reg = e.kind === 'set_efer' ? 'EFER' : e.kind.slice(8).toUpperCase();
      return e.changed.length ? `The guest writes ${reg}: ${e.changed.join(', ')} change${e.changed.length === 1 ? 's' : ''}.` : `The guest writes ${reg} with no change.`;
    }
    case 'kvm_invalidate_pcid':
      return `KVM invalidates PCID ${e.pcid}: it syncs and flushes it if it is the current one, and drops cached roots with that PCID.`;
    case 'kvm_mmu_get_child_sp':
      return e.result === 'reuse'
        ? `sp ${e.parent.sp} entry ${e.parent.index} already links sp ${e.child}: KVM keeps it.`
        : e.result === 'unexpected-gfn'
          ? `sp ${e.parent.sp} entry ${e.parent.index} links sp ${e.child} (gfn ${e.childGfn}), but the guest now points at gfn ${e.gfn}: KVM drops the stale link.`
          : `sp ${e.parent.sp} entry ${e.parent.index} links sp ${e.child} with the wrong role: KVM drops the stale link.`;
    case 'sim_host_write':
      return `The host writes ${e.value} at gpa ${e.gpa} (was ${e.old}): no VM exit, so KVM never sees it and shadow entries built from the old value stay.`;
    case 'kvm_mmu_zap_all':
      return `KVM zaps all ${plural(e.zapped.length, 'shadow page')}.`;
    case 'sim_rmap_gfn_mismatch':
      return `Kernel bug: sp ${e.sp} entry ${e.index} is filed under gfn ${e.gfn} in the reverse map, but the page computes gfn ${e.derivedGfn} for it, so removal will look in the wrong list.`;
    case 'pte_list_remove':
      return `Kernel bug: removing sp ${e.sp} entry ${e.index} from gfn ${e.gfn}'s reverse map finds nothing (5.15 calls BUG() here).`;
    case 'sim_use_after_free':
      return `Kernel bug: ${e.by} follows gfn ${e.gfn}'s reverse map into sp ${e.spte.sp}, a freed page (use after free).`;
    case 'sim_note':
      return `Note: ${e.text}.`;
  }
}

/** Access bits (ACC_EXEC 1, ACC_WRITE 2, ACC_USER 4) in words. */
export function accessWords(a: number): string {
  const parts = [a & 2 ? 'writable' : 'read-only', a & 4 ? 'user' : 'supervisor-only', a & 1 ? 'executable' : 'no-execute'];
  return parts.join(', ');
}
