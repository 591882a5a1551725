/**
 * Event names (issue 17): every trace event kind is either the name of a
 * Linux 5.15 function or tracepoint in arch/x86/kvm/ (so it can be grepped
 * there), a function the seed patch adds, or starts with `sim_`. The table
 * below says where each kernel name lives; it is a Record over every kind, so
 * a new kind does not typecheck until it is placed here, and the run-time
 * checks catch a kind in a golden trace that the table does not know.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Timeline, type TraceEvent, type TraceEventKind } from '../src/core/index.ts';
import { LIBRARY } from '../src/scenarios/library/index.ts';
import { TRACES_DIR } from './golden/make-traces.ts';
import { parse } from './run.ts';

/** Where the kernel has each name (5.15 unless marked), or 'sim' for a simulator-only event. */
const WHERE: Record<TraceEventKind, string> = {
  // tracepoints (x86 trace.h, mmu/mmutrace.h)
  kvm_page_fault: 'trace.h tracepoint',
  kvm_mmu_pagetable_walk: 'mmutrace.h tracepoint',
  kvm_mmu_paging_element: 'mmutrace.h tracepoint',
  kvm_mmu_set_accessed_bit: 'mmutrace.h tracepoint',
  kvm_mmu_set_dirty_bit: 'mmutrace.h tracepoint',
  kvm_mmu_walker_error: 'mmutrace.h tracepoint',
  kvm_mmu_spte_requested: 'mmutrace.h tracepoint',
  kvm_mmu_get_page: 'mmu.c + mmutrace.h tracepoint',
  kvm_mmu_unsync_page: 'mmutrace.h tracepoint',
  kvm_mmu_sync_page: 'mmutrace.h tracepoint',
  kvm_mmu_prepare_zap_page: 'mmu.c + mmutrace.h tracepoint',
  kvm_mmu_set_spte: 'mmutrace.h tracepoint, traced in mmu_set_spte() only',
  // mmu/mmu.c
  kvm_mmu_page_fault: 'mmu.c',
  handle_mmio_page_fault: 'mmu.c',
  page_fault_handle_page_track: 'mmu.c',
  account_shadowed: 'mmu.c',
  unaccount_shadowed: 'mmu.c',
  rmap_write_protect: 'mmu.c',
  link_shadow_page: 'mmu.c',
  mark_unsync: 'mmu.c',
  set_spte: 'mmu.c (called by FNAME(sync_page); folded away in 5.16)',
  mark_mmio_spte: 'mmu.c',
  drop_spte: 'mmu.c',
  drop_parent_pte: 'mmu.c',
  kvm_mmu_commit_zap_page: 'mmu.c',
  mmu_sync_children: 'mmu.c',
  kvm_mmu_zap_oldest_mmu_pages: 'mmu.c',
  kvm_mmu_pte_write: 'mmu.c',
  detect_write_misaligned: 'mmu.c',
  detect_write_flooding: 'mmu.c',
  clear_sp_write_flooding_count: 'mmu.c',
  get_written_sptes: 'mmu.c',
  kvm_mmu_load: 'mmu.c',
  mmu_alloc_root: 'mmu.c',
  kvm_mmu_free_roots: 'mmu.c',
  mmu_free_root_page: 'mmu.c',
  kvm_mmu_sync_roots: 'mmu.c',
  kvm_mmu_new_pgd: 'mmu.c',
  cached_root_available: 'mmu.c',
  kvm_mmu_invlpg: 'mmu.c',
  kvm_mmu_reset_context: 'mmu.c',
  kvm_mmu_zap_all: 'mmu.c',
  pte_list_remove: 'mmu.c',
  // mmu/paging_tmpl.h (FNAME(...))
  is_self_change_mapping: 'paging_tmpl.h FNAME(is_self_change_mapping)',
  sync_page: 'paging_tmpl.h FNAME(sync_page)',
  pte_prefetch: 'paging_tmpl.h FNAME(pte_prefetch)',
  invlpg: 'paging_tmpl.h FNAME(invlpg)',
  // x86.c, x86.h, virt/kvm
  kvm_inject_page_fault: 'x86.c',
  kvm_inject_gp: 'x86.h',
  x86_emulate_instruction: 'x86.c',
  kvm_set_cr0: 'x86.c',
  kvm_set_cr3: 'x86.c',
  kvm_set_cr4: 'x86.c',
  set_efer: 'x86.c (the MSR_EFER write)',
  load_pdptrs: 'x86.c',
  kvm_invalidate_pcid: 'x86.c',
  kvm_vcpu_flush_tlb_all: 'x86.c',
  kvm_vcpu_flush_tlb_current: 'x86.c',
  kvm_make_request: 'include/linux/kvm_host.h',
  kvm_flush_remote_tlbs: 'virt/kvm/kvm_main.c',
  // the seed patch (docs: seed-patch.txt; upstream in 6.0)
  kvm_mmu_get_child_sp: 'seed patch, mmu.c',
  // the simulator's own
  sim_hardware_walk: 'sim',
  sim_guest_access: 'sim',
  sim_walk_result: 'sim',
  sim_cr0_wp_adjust: 'sim',
  sim_compute_role: 'sim',
  sim_pae_root_invalid: 'sim',
  sim_host_write: 'sim',
  sim_rmap_gfn_mismatch: 'sim',
  sim_use_after_free: 'sim',
  sim_note: 'sim',
};

/**
 * Function and tracepoint names of Linux 5.15's arch/x86/kvm (and the helpers
 * it calls in virt/kvm, include/linux/kvm_host.h) that events may carry,
 * FNAME(x) written as x. Checked by hand against the v5.15 tree (the line
 * numbers in src/ui/layout/kernel-links.ts); a name not here needs the sim_
 * prefix.
 */
const KERNEL_5_15 = new Set([
  'kvm_page_fault', 'kvm_mmu_pagetable_walk', 'kvm_mmu_paging_element', 'kvm_mmu_set_accessed_bit', 'kvm_mmu_set_dirty_bit',
  'kvm_mmu_walker_error', 'kvm_mmu_spte_requested', 'kvm_mmu_get_page', 'kvm_mmu_unsync_page', 'kvm_mmu_sync_page',
  'kvm_mmu_prepare_zap_page', 'kvm_mmu_set_spte', 'kvm_mmu_page_fault', 'handle_mmio_page_fault', 'page_fault_handle_page_track',
  'account_shadowed', 'unaccount_shadowed', 'rmap_write_protect', 'link_shadow_page', 'mark_unsync', 'set_spte', 'mmu_set_spte',
  'mark_mmio_spte', 'drop_spte', 'drop_parent_pte', 'kvm_mmu_commit_zap_page', 'mmu_sync_children', 'kvm_mmu_zap_oldest_mmu_pages',
  'kvm_mmu_pte_write', 'detect_write_misaligned', 'detect_write_flooding', 'clear_sp_write_flooding_count', 'get_written_sptes',
  'kvm_mmu_load', 'mmu_alloc_root', 'kvm_mmu_free_roots', 'mmu_free_root_page', 'kvm_mmu_sync_roots', 'kvm_mmu_new_pgd',
  'cached_root_available', 'kvm_mmu_invlpg', 'kvm_mmu_reset_context', 'kvm_mmu_zap_all', 'pte_list_remove',
  'is_self_change_mapping', 'sync_page', 'pte_prefetch', 'invlpg', 'kvm_inject_page_fault', 'kvm_inject_gp',
  'x86_emulate_instruction', 'kvm_set_cr0', 'kvm_set_cr3', 'kvm_set_cr4', 'set_efer', 'load_pdptrs', 'kvm_invalidate_pcid',
  'kvm_vcpu_flush_tlb_all', 'kvm_vcpu_flush_tlb_current', 'kvm_make_request', 'kvm_flush_remote_tlbs',
]);

/** Functions the seed patch adds (they reached mainline in 6.0). */
const SEED_PATCH = new Set(['kvm_mmu_get_child_sp', 'kvm_mmu_child_role']);

/** Names the review found that 5.15 does not have: they must not come back as kinds. */
const NOT_IN_5_15 = ['compute_role', 'kvm_set_efer', 'kvm_vcpu_flush_tlb'];

function eventsIn(file: string): TraceEvent[] {
  const doc = JSON.parse(readFileSync(file, 'utf8')) as { initial: { events?: TraceEvent[] }; steps: Array<{ events?: TraceEvent[] }> };
  return [...(doc.initial.events ?? []), ...doc.steps.flatMap((s) => s.events ?? [])];
}

describe('every event kind is a 5.15 kernel name, a seed-patch name, or sim_', () => {
  it('the table places each kind', () => {
    for (const [kind, where] of Object.entries(WHERE)) {
      if (kind.startsWith('sim_')) expect(where, kind).toBe('sim');
      else expect(KERNEL_5_15.has(kind) || SEED_PATCH.has(kind), `${kind} is not a Linux 5.15 function or tracepoint: name it sim_${kind} or after the 5.15 function`).toBe(true);
    }
    for (const bad of NOT_IN_5_15) expect(Object.keys(WHERE)).not.toContain(bad);
  });

  it('every kind in the golden traces is in the table', () => {
    const seen = new Set<string>();
    for (const dir of ['builtin', 'random']) {
      for (const f of readdirSync(join(TRACES_DIR, dir))) if (f.endsWith('.json') && !f.includes('.scenario.')) for (const e of eventsIn(join(TRACES_DIR, dir, f))) seen.add(e.kind);
    }
    expect(seen.size).toBeGreaterThan(40);
    const unknown = [...seen].filter((k) => !(k in WHERE));
    expect(unknown, 'event kinds in tests/golden/traces the table does not place').toEqual([]);
  });

  it('sim_compute_role names the kernel function whose rule it applies', () => {
    const fns = new Set<string>();
    for (const e of LIBRARY) {
      for (const rules of ['before', 'seed', 'merged'] as const) {
        const tl = new Timeline(parse(e.json), rules);
        for (const ev of [...tl.initialEvents, ...tl.results.flatMap((r) => r.events)]) if (ev.kind === 'sim_compute_role') fns.add(ev.fn);
      }
    }
    expect([...fns].sort()).toEqual(['kvm_mmu_child_role', 'kvm_mmu_get_page', 'mmu_alloc_root']);
    for (const fn of fns) expect(KERNEL_5_15.has(fn) || SEED_PATCH.has(fn), fn).toBe(true);
  });
});

describe("FNAME(sync_page)'s spte updates are set_spte, not kvm_mmu_set_spte", () => {
  // 5.15 traces kvm_mmu_set_spte only at the end of mmu_set_spte();
  // FNAME(sync_page) calls set_spte() (mmu.c), which has no tracepoint. A
  // tool that diffs our events with real kvmmmu traces must not count them.
  it('the resync in unsync-invlpg-sync emits set_spte under sync_page, and no kvm_mmu_set_spte', () => {
    const entry = LIBRARY.find((e) => e.id === 'unsync-invlpg-sync')!;
    const tl = new Timeline(parse(entry.json), 'merged');
    const ev = tl.results[7]!.events; // step 7 (the UI's step 8): MOV CR3 syncs the unsync page
    const kinds = ev.map((e) => e.kind);
    const sets = ev.filter((e): e is Extract<TraceEvent, { kind: 'set_spte' }> => e.kind === 'set_spte');
    expect(sets.length).toBeGreaterThan(0);
    expect(kinds).not.toContain('kvm_mmu_set_spte');
    // Each follows the kvm_mmu_sync_page of its page and keeps the pfn it had.
    for (const s of sets) {
      const at = ev.indexOf(s);
      expect(ev.slice(0, at).some((e) => e.kind === 'kvm_mmu_sync_page' && e.sp === s.sp)).toBe(true);
      expect(BigInt(s.spte) >> 12n & 0xffffffffffn).toBe(BigInt(s.old) >> 12n & 0xffffffffffn);
      expect(s.level).toBe(1);
    }
  });

  it('across the built-ins, kvm_mmu_set_spte never comes from a sync and set_spte only from one', () => {
    for (const e of LIBRARY) {
      const tl = new Timeline(parse(e.json), 'merged');
      for (const r of tl.results) {
        let inSync = false;
        for (const ev of r.events) {
          // A sync runs from kvm_mmu_sync_page to its sync_page result.
          if (ev.kind === 'kvm_mmu_sync_page') inSync = true;
          else if (ev.kind === 'sync_page') inSync = false;
          else if (ev.kind === 'set_spte') expect(inSync, `${e.id} step ${r.index}: set_spte outside a sync`).toBe(true);
          else if (ev.kind === 'kvm_mmu_set_spte') expect(inSync, `${e.id} step ${r.index}: kvm_mmu_set_spte inside a sync`).toBe(false);
        }
      }
    }
  });
});
