/**
 * Trace events: the only contract between the core and its renderers.
 *
 * Each step yields an ordered list of events named after the kernel function
 * or tracepoint they mirror (grep the kernel for `kind`); simulator-only events
 * start with `sim_`. Addresses and entry values are hex strings, shadow pages
 * are referred to by their stable `id`, so a step renders without consulting
 * its neighbours.
 */
import type { RoleJson } from './mmu/role.ts';
import type { KvmRequest } from './machine.ts';

/** A shadow page id plus the index of one of its 512 sptes. */
export interface SpteRefJson {
  readonly sp: number;
  readonly index: number;
}

export type RootSlot = 'current' | `prev${0 | 1 | 2}` | `pae${0 | 1 | 2 | 3}`;

export type TraceEvent =
  // --- the hardware side -------------------------------------------------
  /** The CPU walked the shadow tables for a guest access (no KVM involved). */
  | {
      readonly kind: 'sim_hardware_walk';
      readonly gva: string;
      readonly access: 'read' | 'write' | 'fetch';
      readonly user: boolean;
      readonly path: ReadonlyArray<{ readonly sp: number | null; readonly index: number; readonly level: number; readonly spte: string }>;
      readonly result: 'hit' | 'fault';
      readonly errorCode?: number;
      readonly hpa?: string;
    }
  /** The guest's access really happened (after a hit, a fixed fault or emulation). */
  | {
      readonly kind: 'sim_guest_access';
      readonly op: 'read' | 'write' | 'fetch';
      readonly gva: string;
      readonly gpa: string;
      readonly width: number;
      readonly value: string;
      readonly emulated: boolean;
    }
  /** VM exit on #PF (x86.c trace kvm_page_fault). */
  | { readonly kind: 'kvm_page_fault'; readonly gva: string; readonly errorCode: number }
  | { readonly kind: 'kvm_mmu_page_fault'; readonly result: 'RET_PF_FIXED' | 'RET_PF_SPURIOUS' | 'RET_PF_EMULATE' | 'RET_PF_RETRY' }
  | { readonly kind: 'handle_mmio_page_fault'; readonly gva: string; readonly gfn: string }
  // --- the guest walk (paging_tmpl.h) ---------------------------------------
  | { readonly kind: 'kvm_mmu_pagetable_walk'; readonly addr: string; readonly pferr: number }
  | {
      readonly kind: 'kvm_mmu_paging_element';
      readonly level: number;
      readonly pte: string;
      /** gpa of the entry; null for a PAE PDPTE (a register, not memory, at walk time). */
      readonly gpa: string | null;
      readonly tableGfn: string | null;
      readonly index: number;
    }
  | { readonly kind: 'kvm_mmu_set_accessed_bit'; readonly gpa: string; readonly level: number }
  | { readonly kind: 'kvm_mmu_set_dirty_bit'; readonly gpa: string; readonly level: number }
  | { readonly kind: 'kvm_mmu_walker_error'; readonly pferr: number; readonly reason: string }
  | {
      readonly kind: 'sim_walk_result';
      readonly gfn: string;
      readonly level: number;
      readonly pteAccess: number;
      readonly tableGfns: readonly string[];
      readonly ptAccess: readonly number[];
    }
  | { readonly kind: 'kvm_inject_page_fault'; readonly gva: string; readonly errorCode: number }
  | { readonly kind: 'kvm_inject_gp'; readonly reason: string }
  // --- FNAME(page_fault) decisions -------------------------------------------
  | { readonly kind: 'page_fault_handle_page_track'; readonly gfn: string }
  | { readonly kind: 'is_self_change_mapping'; readonly selfChanged: boolean; readonly writeFaultToShadowPgtable: boolean }
  | { readonly kind: 'sim_cr0_wp_adjust'; readonly before: number; readonly after: number }
  /**
   * After kvm_mmu_hugepage_adjust(). `level` is what 5.15 traces: the guest
   * leaf's level in FNAME(fetch), the level mapped in __direct_map.
   * `mappedLevel` is the level the leaf spte is installed at, `gfn` the first
   * gfn it maps and `pfn` the host frame, both aligned down to that level.
   */
  | {
      readonly kind: 'kvm_mmu_spte_requested';
      readonly gva: string;
      readonly level: number;
      readonly pfn: string;
      readonly mappedLevel: number;
      readonly gfn: string;
    }
  // --- shadow pages --------------------------------------------------------
  /**
   * The role a shadow page is asked for, and which rule produced it. No
   * kernel function of this name: 5.15 computes the role inline (in
   * kvm_mmu_get_page() and mmu_alloc_root()), the seed patch in
   * kvm_mmu_child_role(); `fn` names the one that applies.
   */
  | {
      readonly kind: 'sim_compute_role';
      /** The kernel function whose rule produced the role. */
      readonly fn: 'kvm_mmu_child_role' | 'mmu_alloc_root' | 'kvm_mmu_get_page';
      readonly rules: string;
      readonly role: RoleJson;
      readonly parent?: SpteRefJson;
      readonly rootIndex?: number;
      readonly gaddr?: string;
      /** The quadrant formula with this step's numbers, e.g. "index 2 % 2 = 0". */
      readonly quadrantFormula: string;
    }
  | {
      readonly kind: 'kvm_mmu_get_page';
      readonly sp: number;
      readonly gfn: string;
      readonly role: RoleJson;
      readonly created: boolean;
      readonly notation: string;
    }
  | { readonly kind: 'account_shadowed'; readonly sp: number; readonly gfn: string; readonly writeTracked: boolean }
  | { readonly kind: 'unaccount_shadowed'; readonly sp: number; readonly gfn: string }
  /**
   * kvm_mmu_slot_gfn_write_protect(): every spte mapping gfn loses W. `caller`
   * says who asked: rmap_write_protect() (kvm_mmu_get_page for a new level-1
   * page, mmu_sync_children) or kvm_slot_page_track_add_page() (account_shadowed
   * write-tracking an upper-level table).
   */
  | {
      readonly kind: 'rmap_write_protect';
      readonly gfn: string;
      readonly sptes: readonly SpteRefJson[];
      readonly caller?: 'rmap_write_protect' | 'kvm_slot_page_track_add_page';
    }
  | { readonly kind: 'link_shadow_page'; readonly parent: SpteRefJson; readonly child: number; readonly spte: string }
  | { readonly kind: 'mark_unsync'; readonly sp: number; readonly index: number }
  | { readonly kind: 'kvm_mmu_unsync_page'; readonly sp: number; readonly notation: string }
  | SpteSetEvent
  /**
   * FNAME(sync_page) recomputed a 4 KiB leaf, keeping its pfn: 5.15 calls
   * set_spte() there, not mmu_set_spte(), so no kvm_mmu_set_spte tracepoint
   * fires (it is traced only at the end of mmu_set_spte()). Always
   * speculative, can_unsync = false.
   */
  | (Omit<SpteSetEvent, 'kind' | 'speculative'> & { readonly kind: 'set_spte' })
  | { readonly kind: 'mark_mmio_spte'; readonly sp: number; readonly index: number; readonly gfn: string; readonly spte: string }
  | { readonly kind: 'drop_spte'; readonly sp: number; readonly index: number; readonly gfn: string; readonly spte: string }
  | { readonly kind: 'drop_parent_pte'; readonly parent: SpteRefJson; readonly child: number }
  | { readonly kind: 'kvm_mmu_prepare_zap_page'; readonly sp: number; readonly notation: string; readonly reason: string }
  | { readonly kind: 'kvm_mmu_commit_zap_page'; readonly freed: readonly number[] }
  | { readonly kind: 'kvm_mmu_sync_page'; readonly sp: number; readonly notation: string }
  | { readonly kind: 'sync_page'; readonly sp: number; readonly nrPresent: number; readonly zap: boolean }
  | { readonly kind: 'mmu_sync_children'; readonly sp: number }
  /** FNAME(pte_prefetch), or __direct_pte_prefetch for a direct page (`direct`). */
  | { readonly kind: 'pte_prefetch'; readonly sp: number; readonly indexes: readonly number[]; readonly direct?: boolean }
  | { readonly kind: 'kvm_mmu_zap_oldest_mmu_pages'; readonly zapped: readonly number[] }
  // --- emulated writes ------------------------------------------------------
  | { readonly kind: 'x86_emulate_instruction'; readonly gva: string; readonly reason: 'write-tracked' | 'write-protected-pt' | 'mmio' }
  | { readonly kind: 'kvm_mmu_pte_write'; readonly gpa: string; readonly bytes: number; readonly gentry: string }
  | { readonly kind: 'detect_write_misaligned'; readonly sp: number }
  | { readonly kind: 'detect_write_flooding'; readonly sp: number; readonly count: number; readonly flooded: boolean }
  /**
   * __clear_sp_write_flooding_count(): an access went through sp (or it was
   * found again as a root or a child), so it is in use: its count of emulated
   * writes since then restarts. Emitted only when the count was not already 0.
   */
  | {
      readonly kind: 'clear_sp_write_flooding_count';
      readonly sp: number;
      readonly count: number;
      readonly by: 'FNAME(fetch)' | 'shadow_page_table_clear_flood' | 'kvm_mmu_get_page' | 'kvm_mmu_new_pgd';
    }
  | { readonly kind: 'get_written_sptes'; readonly sp: number; readonly indexes: readonly number[]; readonly formula: string }
  // --- roots, CR3, flushes ------------------------------------------------------
  | { readonly kind: 'kvm_mmu_load'; readonly directMap: boolean }
  | { readonly kind: 'mmu_alloc_root'; readonly slot: RootSlot; readonly gfn: string; readonly sp: number; readonly quadrantArg: number }
  | { readonly kind: 'sim_pae_root_invalid'; readonly index: number; readonly reason: string }
  | { readonly kind: 'kvm_mmu_free_roots'; readonly which: readonly RootSlot[] }
  | { readonly kind: 'mmu_free_root_page'; readonly slot: RootSlot; readonly sp: number; readonly rootCount: number }
  | { readonly kind: 'kvm_mmu_sync_roots' }
  | { readonly kind: 'kvm_set_cr3'; readonly old: string; readonly new: string }
  | { readonly kind: 'load_pdptrs'; readonly pdptrs: readonly string[]; readonly changed: boolean }
  | { readonly kind: 'kvm_mmu_new_pgd'; readonly pgd: string }
  | { readonly kind: 'cached_root_available'; readonly hit: boolean; readonly prevIndex: number | null }
  | { readonly kind: 'kvm_make_request'; readonly req: KvmRequest }
  | { readonly kind: 'kvm_flush_remote_tlbs' }
  /** vcpu_enter_guest() serving KVM_REQ_TLB_FLUSH / KVM_REQ_TLB_FLUSH_CURRENT (x86.c, 5.15). */
  | { readonly kind: 'kvm_vcpu_flush_tlb_all' }
  | { readonly kind: 'kvm_vcpu_flush_tlb_current' }
  | { readonly kind: 'kvm_mmu_invlpg'; readonly gva: string }
  | { readonly kind: 'invlpg'; readonly root: number | null; readonly resynced: SpteRefJson | null }
  | { readonly kind: 'kvm_mmu_reset_context'; readonly reason: string }
  /** kvm_set_cr0(), kvm_set_cr4(), and set_efer() (x86.c: the MSR_EFER write; 5.15 has no kvm_set_efer). */
  | { readonly kind: 'kvm_set_cr0' | 'kvm_set_cr4' | 'set_efer'; readonly changed: readonly string[] }
  /**
   * kvm_invalidate_pcid() (5.15): if the current CR3 uses the PCID (`active`),
   * sync and flush it; and free the cached roots (prev_roots slots `freed`)
   * whose CR3 carries that PCID.
   */
  | { readonly kind: 'kvm_invalidate_pcid'; readonly pcid: number; readonly active: boolean; readonly freed: readonly number[] }
  // --- the 5.15.y series' child check, host-side events, kernel bugs ---------
  /**
   * kvm_mmu_get_child_sp() found a present child at sptep (5.15.y as merged):
   * reused ("-EEXIST") only if its gfn and, with patch 7/8, its role match.
   */
  | {
      readonly kind: 'kvm_mmu_get_child_sp';
      readonly parent: SpteRefJson;
      readonly child: number;
      readonly childGfn: string;
      readonly gfn: string;
      readonly childRole: string;
      readonly role: string;
      readonly result: 'reuse' | 'unexpected-gfn' | 'unexpected-role';
      readonly roleChecked: boolean;
    }
  | { readonly kind: 'sim_host_write'; readonly gpa: string; readonly width: number; readonly old: string; readonly value: string }
  | { readonly kind: 'kvm_mmu_zap_all'; readonly zapped: readonly number[] }
  /** rmap_add() under a gfn that kvm_mmu_page_get_gfn() of the (direct) page will not give back. */
  | { readonly kind: 'sim_rmap_gfn_mismatch'; readonly sp: number; readonly index: number; readonly gfn: string; readonly derivedGfn: string }
  /** pte_list_remove() did not find the spte in the rmap it searched (5.15: BUG()). */
  | { readonly kind: 'pte_list_remove'; readonly sp: number; readonly index: number; readonly gfn: string; readonly bug: '0->BUG' | '1->BUG' | 'many->many' }
  /** An rmap walk reached an spte in a freed shadow page. */
  | { readonly kind: 'sim_use_after_free'; readonly gfn: string; readonly spte: SpteRefJson; readonly by: string }
  /** A simulator remark: something the kernel would do that has no tracepoint (or a livelock). */
  | { readonly kind: 'sim_note'; readonly text: string };

export type TraceEventKind = TraceEvent['kind'];

/** Where an event stream goes; the core never buffers globally. */
export type EventSink = (e: TraceEvent) => void;

/** kvm_mmu_set_spte: mmu_set_spte() installed a leaf (`set_spte`, sync's own, has the same fields but `speculative`). */
export interface SpteSetEvent {
  readonly kind: 'kvm_mmu_set_spte';
  readonly sp: number;
  readonly index: number;
  readonly level: number;
  readonly gfn: string;
  readonly spte: string;
  readonly old: string;
  readonly speculative: boolean;
  readonly writeProtectedPt: boolean;
}
