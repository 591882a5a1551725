/**
 * Where each kernel function lives in Linux 5.15 (line numbers read from the
 * v5.15 tree), for links into a public source browser. Functions added by the
 * seed patch link to an identifier search in v6.0, where they arrived upstream.
 */
const BASE = 'https://elixir.bootlin.com/linux/v5.15/source/arch/x86/kvm/';

const LINES: Record<string, [file: string, line: number]> = {
  kvm_mmu_page_fault: ['mmu/mmu.c', 5270],
  kvm_mmu_get_page: ['mmu/mmu.c', 2082],
  link_shadow_page: ['mmu/mmu.c', 2246],
  mmu_set_spte: ['mmu/mmu.c', 2715],
  set_spte: ['mmu/mmu.c', 2691],
  make_spte: ['mmu/spte.c', 92],
  kvm_unsync_page: ['mmu/mmu.c', 2579],
  mark_unsync: ['mmu/mmu.c', 1770],
  mmu_try_to_unsync_pages: ['mmu/mmu.c', 2594],
  kvm_mmu_prepare_zap_page: ['mmu/mmu.c', 2420],
  kvm_mmu_commit_zap_page: ['mmu/mmu.c', 2429],
  mmu_sync_children: ['mmu/mmu.c', 2030],
  kvm_mmu_sync_roots: ['mmu/mmu.c', 3656],
  kvm_sync_page: ['mmu/mmu.c', 1909],
  kvm_unlink_unsync_page: ['mmu/mmu.c', 1886],
  kvm_mmu_pte_write: ['mmu/mmu.c', 5206],
  detect_write_misaligned: ['mmu/mmu.c', 5151],
  detect_write_flooding: ['mmu/mmu.c', 5134],
  get_written_sptes: ['mmu/mmu.c', 5175],
  mmu_alloc_root: ['mmu/mmu.c', 3417],
  mmu_alloc_shadow_roots: ['mmu/mmu.c', 3475],
  mmu_alloc_direct_roots: ['mmu/mmu.c', 3428],
  kvm_mmu_load: ['mmu/mmu.c', 5058],
  kvm_mmu_free_roots: ['mmu/mmu.c', 3327],
  kvm_mmu_new_pgd: ['mmu/mmu.c', 4196],
  cached_root_available: ['mmu/mmu.c', 4115],
  kvm_mmu_invlpg: ['mmu/mmu.c', 5369],
  kvm_mmu_invalidate_gva: ['mmu/mmu.c', 5330],
  kvm_mmu_reset_context: ['mmu/mmu.c', 5051],
  account_shadowed: ['mmu/mmu.c', 828],
  rmap_write_protect: ['mmu/mmu.c', 1440],
  __direct_map: ['mmu/mmu.c', 2989],
  direct_page_fault: ['mmu/mmu.c', 3965],
  nonpaging_page_fault: ['mmu/mmu.c', 4028],
  handle_mmio_page_fault: ['mmu/mmu.c', 3824],
  drop_spte: ['mmu/mmu.c', 1188],
  rmap_remove: ['mmu/mmu.c', 1088],
  __pte_list_remove: ['mmu/mmu.c', 966],
  kvm_mmu_zap_all: ['mmu/mmu.c', 5921],
  kvm_page_track_write: ['mmu/page_track.c', 220],
  drop_parent_pte: ['mmu/mmu.c', 1742],
  mmu_page_zap_pte: ['mmu/mmu.c', 2286],
  kvm_mmu_hugepage_adjust: ['mmu/mmu.c', 2927],
  make_mmu_pages_available: ['mmu/mmu.c', 2500],
  kvm_mmu_zap_oldest_mmu_pages: ['mmu/mmu.c', 2454],
  __direct_pte_prefetch: ['mmu/mmu.c', 2829],
  page_fault_handle_page_track: ['mmu/mmu.c', 3858],
  'FNAME(walk_addr)': ['mmu/paging_tmpl.h', 543],
  'FNAME(walk_addr_generic)': ['mmu/paging_tmpl.h', 340],
  'FNAME(update_accessed_dirty_bits)': ['mmu/paging_tmpl.h', 235],
  'FNAME(page_fault)': ['mmu/paging_tmpl.h', 844],
  'FNAME(fetch)': ['mmu/paging_tmpl.h', 666],
  'FNAME(sync_page)': ['mmu/paging_tmpl.h', 1070],
  'FNAME(invlpg)': ['mmu/paging_tmpl.h', 960],
  'FNAME(pte_prefetch)': ['mmu/paging_tmpl.h', 623],
  'FNAME(prefetch_gpte)': ['mmu/paging_tmpl.h', 561],
  'FNAME(is_self_change_mapping)': ['mmu/paging_tmpl.h', 808],
  kvm_set_cr3: ['x86.c', 1111],
  load_pdptrs: ['x86.c', 825],
  kvm_set_cr0: ['x86.c', 876],
  kvm_set_cr4: ['x86.c', 1051],
  kvm_invalidate_pcid: ['x86.c', 1088],
  kvm_inject_emulated_page_fault: ['x86.c', 728],
  vcpu_enter_guest: ['x86.c', 9425],
  x86_emulate_instruction: ['x86.c', 7847],
};

const SEED = new Set(['kvm_mmu_child_role', 'kvm_mmu_get_child_sp']);

/**
 * Functions the story names whose v5.15 line was not read: linked to an
 * identifier search in v5.15 (which lists the definition first).
 */
const IDENT = new Set([
  'kvm_slot_page_track_add_page',
  'kvm_mmu_slot_gfn_write_protect',
  'shadow_page_table_clear_flood',
  'clear_sp_write_flooding_count',
  'direct_pte_prefetch',
  'kvm_inject_page_fault',
  'kvm_vcpu_flush_tlb_all',
  'kvm_vcpu_flush_tlb_current',
  'mmu_free_root_page',
  'unaccount_shadowed',
  'kvm_make_request',
  'kvm_flush_remote_tlbs',
  'vcpu_mmio_gva_to_gpa',
  'set_efer',
]);

export function kernelLink(fn: string): string | null {
  if (SEED.has(fn)) return `https://elixir.bootlin.com/linux/v6.0/A/ident/${fn}`;
  if (IDENT.has(fn)) return `https://elixir.bootlin.com/linux/v5.15/A/ident/${fn}`;
  const hit = LINES[fn];
  return hit ? `${BASE}${hit[0]}#L${hit[1]}` : null;
}
