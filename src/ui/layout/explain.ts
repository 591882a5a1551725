/**
 * The step's story: kernel events turned into an indented call path with this
 * step's numbers plugged in. Pure: events in, lines out.
 */
import type { TraceEvent } from '../../core/index.ts';

export interface StoryLine {
  /** Kernel function this line is about (linked to its source), or null for the CPU. */
  readonly fn: string | null;
  readonly depth: number;
  readonly text: string;
  /** Index of the event in the step (-1 for a synthetic call-path line). */
  readonly event: number;
  readonly tone?: 'fault' | 'new' | 'zap' | 'ok';
}

export function decodeErrorCode(ec: number): string {
  const bits: string[] = [];
  bits.push(ec & 1 ? 'P (protection)' : '!P (not present)');
  if (ec & 2) bits.push('W');
  if (ec & 4) bits.push('U');
  if (ec & 8) bits.push('RSVD');
  if (ec & 16) bits.push('I/D');
  return `0x${ec.toString(16)} = ${bits.join(' | ')}`;
}

const ACCESS = ['---', '--x', 'w--', 'w-x', '-u-', '-ux', 'wu-', 'wux'];

export function storyOf(events: readonly TraceEvent[]): StoryLine[] {
  const out: StoryLine[] = [];
  const push = (fn: string | null, depth: number, text: string, event: number, tone?: StoryLine['tone']) =>
    out.push(tone ? { fn, depth, text, event, tone } : { fn, depth, text, event });
  let inFetch = false;
  events.forEach((e, i) => {
    switch (e.kind) {
      case 'sim_hardware_walk':
        inFetch = false;
        if (e.result === 'hit') push(null, 0, `CPU walks the shadow tables for ${e.gva}: hit (host address ${e.hpa}), no exit`, i, 'ok');
        else push(null, 0, `CPU walks the shadow tables for ${e.gva}: #PF, error code ${decodeErrorCode(e.errorCode ?? 0)}`, i, 'fault');
        break;
      case 'kvm_page_fault':
        push('kvm_mmu_page_fault', 0, `VM exit: #PF at ${e.gva}, error code 0x${e.errorCode.toString(16)}`, i);
        break;
      case 'handle_mmio_page_fault':
        push('handle_mmio_page_fault', 1, `an MMIO spte: gfn ${e.gfn}, emulate without walking the guest`, i);
        break;
      case 'kvm_mmu_pagetable_walk':
        push('FNAME(page_fault)', 1, 'shadow page fault handler', -1);
        push('FNAME(walk_addr)', 2, `walk the guest's tables for ${e.addr} (access 0x${e.pferr.toString(16)})`, i);
        break;
      case 'kvm_mmu_paging_element':
        push('FNAME(walk_addr_generic)', 3, `level ${e.level} entry ${e.index} = ${e.pte}${e.gpa ? ` at gpa ${e.gpa}` : ' (PDPTE register)'}`, i);
        break;
      case 'kvm_mmu_set_accessed_bit':
        push('FNAME(update_accessed_dirty_bits)', 3, `set A in the level-${e.level} entry at ${e.gpa}`, i);
        break;
      case 'kvm_mmu_set_dirty_bit':
        push('FNAME(update_accessed_dirty_bits)', 3, `set D in the leaf at ${e.gpa}`, i);
        break;
      case 'kvm_mmu_walker_error':
        push('FNAME(walk_addr_generic)', 3, `the guest walk fails (${e.reason}): error code ${decodeErrorCode(e.pferr)}`, i, 'fault');
        break;
      case 'sim_walk_result':
        push('FNAME(walk_addr_generic)', 3, `-> gfn ${e.gfn}, level-${e.level} leaf, access ${ACCESS[e.pteAccess] ?? e.pteAccess}`, i);
        break;
      case 'kvm_inject_page_fault':
        push('kvm_inject_emulated_page_fault', 1, `inject #PF into the guest: CR2 = ${e.gva}, error code ${decodeErrorCode(e.errorCode)}`, i, 'fault');
        break;
      case 'kvm_inject_gp':
        push(null, 1, `inject #GP(0) into the guest: ${e.reason}`, i, 'fault');
        break;
      case 'page_fault_handle_page_track':
        push('page_fault_handle_page_track', 1, `write to a present, write-tracked gfn ${e.gfn} (a guest page table): emulate`, i);
        break;
      case 'is_self_change_mapping':
        push('FNAME(is_self_change_mapping)', 2, `the leaf maps one of its own tables: map it 4 KiB${e.writeFaultToShadowPgtable ? ', write fault to a shadowed table' : ''}`, i);
        break;
      case 'sim_cr0_wp_adjust':
        push('FNAME(page_fault)', 2, `CR0.WP=0 supervisor write: access ${ACCESS[e.before]} becomes ${ACCESS[e.after]} (writable, supervisor-only)`, i);
        break;
      case 'compute_role':
        if (!inFetch && e.parent) {
          push('FNAME(fetch)', 1, 'build the shadow path for the guest walk', -1);
          inFetch = true;
        }
        if (e.fn === 'kvm_mmu_child_role') push('kvm_mmu_get_child_sp', 2, `child of sp ${e.parent?.sp} entry ${e.parent?.index}`, -1);
        push(e.fn, e.fn === 'mmu_alloc_root' ? 2 : 3, `role l${e.role.level} ${e.role.gpteIs8Bytes ? 8 : 4}-byte q${e.role.quadrant}${e.role.direct ? ' direct' : ''} ${ACCESS[e.role.access]}: quadrant = ${e.quadrantFormula}`, i);
        break;
      case 'kvm_mmu_get_page':
        push('kvm_mmu_get_page', 3, `${e.created ? 'new' : 'existing'} sp ${e.sp}: ${e.notation}`, i, e.created ? 'new' : undefined);
        break;
      case 'account_shadowed':
        push('account_shadowed', 4, e.writeTracked ? `gfn ${e.gfn} is an upper-level table: write-track it` : `gfn ${e.gfn}: no large pages over it`, i);
        break;
      case 'rmap_write_protect':
        push('rmap_write_protect', 4, `write-protect gfn ${e.gfn}: ${e.sptes.length} spte${e.sptes.length === 1 ? '' : 's'} lose W`, i);
        break;
      case 'link_shadow_page':
        push('link_shadow_page', 2, `sp ${e.parent.sp} entry ${e.parent.index} -> sp ${e.child} (${e.spte})`, i);
        break;
      case 'kvm_mmu_spte_requested':
        if (!inFetch) {
          push('FNAME(fetch)', 1, 'build the shadow path for the guest walk', -1);
          inFetch = true;
        }
        push('kvm_mmu_hugepage_adjust', 2, `map ${e.gva} at level ${e.level}, host pfn ${e.pfn}`, i);
        break;
      case 'kvm_mmu_set_spte':
        push('mmu_set_spte', e.speculative ? 3 : 2, `sp ${e.sp} entry ${e.index} = ${e.spte} -> gfn ${e.gfn}${e.speculative ? ' (speculative)' : ''}${e.writeProtectedPt ? ': W refused, the gfn is a shadowed page table' : ''}`, i);
        break;
      case 'mark_mmio_spte':
        push('mmu_set_spte', 2, `gfn ${e.gfn} has no memslot: MMIO spte at sp ${e.sp} entry ${e.index}`, i);
        break;
      case 'pte_prefetch':
        push('FNAME(pte_prefetch)', 2, `prefetch sp ${e.sp} entries ${e.indexes.join(', ')}`, i);
        break;
      case 'kvm_mmu_unsync_page':
        push('kvm_unsync_page', 3, `sp ${e.sp} (${e.notation}) goes unsync: the guest may now write it without exits`, i, 'new');
        break;
      case 'mark_unsync':
        push('mark_unsync', 4, `sp ${e.sp} unsync_child_bitmap bit ${e.index}`, i);
        break;
      case 'kvm_mmu_sync_page':
        push('kvm_unlink_unsync_page', 2, `sp ${e.sp} is in sync again`, i);
        break;
      case 'sync_page':
        push('FNAME(sync_page)', 3, `re-read the guest PTEs of sp ${e.sp}: ${e.nrPresent} present${e.zap ? ', nothing left: zap' : ''}`, i);
        break;
      case 'mmu_sync_children':
        push('mmu_sync_children', 1, `sync the unsync pages below sp ${e.sp}`, i);
        break;
      case 'kvm_mmu_prepare_zap_page':
        push('kvm_mmu_prepare_zap_page', 2, `zap sp ${e.sp} (${e.notation}): ${e.reason}`, i, 'zap');
        break;
      case 'kvm_mmu_commit_zap_page':
        push('kvm_mmu_commit_zap_page', 2, `free sp ${e.freed.join(', ')}`, i, 'zap');
        break;
      case 'drop_spte':
        push('drop_spte', 3, `clear sp ${e.sp} entry ${e.index} (gfn ${e.gfn})`, i);
        break;
      case 'drop_parent_pte':
        push('drop_parent_pte', 3, `unlink sp ${e.child} from sp ${e.parent.sp} entry ${e.parent.index}`, i);
        break;
      case 'x86_emulate_instruction':
        push('x86_emulate_instruction', 0, `emulate the instruction (${e.reason})`, i);
        break;
      case 'kvm_mmu_pte_write':
        push('kvm_mmu_pte_write', 1, `the guest wrote ${e.bytes} bytes at ${e.gpa}: new entry ${e.gentry}`, i);
        break;
      case 'detect_write_misaligned':
        push('detect_write_misaligned', 2, `misaligned write to sp ${e.sp}'s table`, i, 'zap');
        break;
      case 'detect_write_flooding':
        push('detect_write_flooding', 2, `sp ${e.sp} write_flooding_count = ${e.count}${e.flooded ? ': flooded' : ''}`, i, e.flooded ? 'zap' : undefined);
        break;
      case 'get_written_sptes':
        push('get_written_sptes', 2, `sp ${e.sp}: ${e.formula}`, i);
        break;
      case 'kvm_mmu_load':
        push('kvm_mmu_load', 0, `VM entry without a root: ${e.directMap ? 'mmu_alloc_direct_roots' : 'mmu_alloc_shadow_roots'}`, i);
        break;
      case 'mmu_alloc_root':
        push('mmu_alloc_root', 1, `${e.slot === 'current' ? 'root' : `pae_root[${e.slot.slice(3)}]`} = sp ${e.sp} (gfn ${e.gfn})`, i);
        break;
      case 'sim_pae_root_invalid':
        push('mmu_alloc_shadow_roots', 1, `pae_root[${e.index}] stays invalid: ${e.reason}`, i);
        break;
      case 'kvm_mmu_free_roots':
        push('kvm_mmu_free_roots', 1, `free roots: ${e.which.join(', ')}`, i);
        break;
      case 'mmu_free_root_page':
        push('kvm_mmu_free_roots', 2, `${e.slot}: sp ${e.sp} root_count -> ${e.rootCount}`, i);
        break;
      case 'kvm_mmu_sync_roots':
        push('kvm_mmu_sync_roots', 1, 'sync the roots\' unsync children', i);
        break;
      case 'kvm_set_cr3':
        push('kvm_set_cr3', 0, `MOV CR3: ${e.old} -> ${e.new}`, i);
        break;
      case 'load_pdptrs':
        push('load_pdptrs', 1, `load the PDPTE registers${e.changed ? ' (changed)' : ''}: ${e.pdptrs.join(' ')}`, i);
        break;
      case 'kvm_mmu_new_pgd':
        push('kvm_mmu_new_pgd', 1, `new page-table root ${e.pgd}`, i);
        break;
      case 'cached_root_available':
        push('cached_root_available', 2, e.hit ? `prev_roots hit${e.prevIndex !== null ? ` (slot ${e.prevIndex})` : ''}: reuse the root` : 'no cached root: the current one goes to prev_roots[0]', i);
        break;
      case 'kvm_invalidate_pcid':
        push('kvm_invalidate_pcid', 1, `TLB flush of PCID ${e.pcid}`, i);
        break;
      case 'kvm_make_request':
        push(null, 2, `request ${e.req}`, i);
        break;
      case 'kvm_flush_remote_tlbs':
        push(null, 3, 'kvm_flush_remote_tlbs', i);
        break;
      case 'kvm_vcpu_flush_tlb':
        push('vcpu_enter_guest', 0, `VM entry: flush the ${e.which === 'all' ? 'whole' : 'current'} TLB`, i);
        break;
      case 'kvm_mmu_invlpg':
        push('kvm_mmu_invlpg', 0, `INVLPG ${e.gva}`, i);
        break;
      case 'invlpg':
        push('FNAME(invlpg)', 1, e.resynced ? `re-read the gpte behind sp ${e.resynced.sp} entry ${e.resynced.index}` : 'nothing unsync on the path', i);
        break;
      case 'kvm_mmu_reset_context':
        push('kvm_mmu_reset_context', 1, `${e.reason}: unload every root`, i);
        break;
      case 'kvm_set_cr0':
      case 'kvm_set_cr4':
      case 'kvm_set_efer':
        push(e.kind === 'kvm_set_efer' ? null : e.kind, 0, `${e.kind.slice(8).toUpperCase()} write${e.changed.length ? `: ${e.changed.join(', ')} changed` : ' (no change)'}`, i);
        break;
      case 'sim_guest_access':
        push(null, 0, `the guest ${e.op === 'write' ? 'writes' : e.op === 'fetch' ? 'fetches' : 'reads'} ${e.value} at gpa ${e.gpa}${e.emulated ? ' (emulated)' : ''}`, i, 'ok');
        break;
      case 'kvm_mmu_page_fault':
        push('kvm_mmu_page_fault', 0, `returns ${e.result}`, i);
        break;
      case 'kvm_mmu_zap_oldest_mmu_pages':
        push('kvm_mmu_zap_oldest_mmu_pages', 1, `recycle ${e.zapped.length} old shadow pages`, i, 'zap');
        break;
      case 'unaccount_shadowed':
        push(null, 3, `gfn ${e.gfn} no longer shadowed by sp ${e.sp}`, i);
        break;
      case 'sim_note':
        push(null, 0, e.text, i, 'fault');
        break;
      case 'kvm_mmu_get_child_sp':
        if (!inFetch) {
          push('FNAME(fetch)', 1, 'build the shadow path for the guest walk', -1);
          inFetch = true;
        }
        push(
          'kvm_mmu_get_child_sp',
          2,
          e.result === 'reuse'
            ? `sp ${e.parent.sp} entry ${e.parent.index} already links sp ${e.child} (gfn ${e.childGfn}${e.roleChecked ? ', same role' : ''}): -EEXIST, keep it`
            : e.result === 'unexpected-gfn'
              ? `sp ${e.parent.sp} entry ${e.parent.index} links sp ${e.child} for gfn ${e.childGfn}, but the guest walk asks for gfn ${e.gfn}: unexpected GFN, drop the link`
              : `sp ${e.parent.sp} entry ${e.parent.index} links sp ${e.child} (${e.childRole}), but the role asked for is ${e.role}: unexpected role, drop the link`,
          i,
          e.result === 'reuse' ? undefined : 'zap',
        );
        break;
      case 'sim_host_write':
        push(null, 0, `the host writes ${e.value} at gpa ${e.gpa} (was ${e.old}): no exit, so kvm_page_track_write() never runs and the shadow tables keep what they had`, i, 'fault');
        break;
      case 'kvm_mmu_zap_all':
        push('kvm_mmu_zap_all', 0, `the host zaps all ${e.zapped.length} shadow pages`, i, 'zap');
        break;
      case 'sim_rmap_gfn_mismatch':
        push(null, 3, `rmap_add under gfn ${e.gfn}, but this direct page computes gfn ${e.derivedGfn} for entry ${e.index} (sp->gfn + index): rmap_remove() will search the wrong list`, i, 'fault');
        break;
      case 'pte_list_remove':
        push('__pte_list_remove', 3, `rmap_remove(sp ${e.sp} entry ${e.index}) searches gfn ${e.gfn}'s rmap and does not find it: "pte_list_remove: ${e.bug}", BUG() in 5.15; the entry stays in the rmap it was added to`, i, 'fault');
        break;
      case 'sim_use_after_free':
        push(null, 4, `${e.by} follows gfn ${e.gfn}'s rmap into sp ${e.spte.sp} entry ${e.spte.index}, a freed shadow page: use-after-free`, i, 'fault');
        break;
    }
  });
  return out;
}
