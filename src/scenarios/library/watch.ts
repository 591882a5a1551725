/**
 * "What to watch" in each built-in: its claims as data, each with the facts
 * that make it true (checked against the trace under every rule set it names
 * by tests/watch.test.ts). The sentence says it in plain words; `kernel` gives
 * the Linux 5.15 functions to read (arch/x86/kvm/mmu/mmu.c, paging_tmpl.h,
 * arch/x86/kvm/x86.c). Step numbers are the UI's: 0 is the first VM entry.
 */
import type { WatchItem } from './watch-check.ts';

export type { Expectation, PageMatch, WatchItem } from './watch-check.ts';
export { checkExpectation, checkItem, itemRules, stepEvents } from './watch-check.ts';

const INDIRECT_ROOTS_32: WatchItem = {
  step: 0,
  text: "On the first VM entry KVM builds four shadow page directories for the guest's one page directory (gfn 0x1), one per GiB of address space: quadrants 0 to 3.",
  kernel: 'kvm_mmu_load → mmu_alloc_shadow_roots → mmu_alloc_root, once per pae_root[i]',
  expect: [
    { kind: 'newPage', page: { gfn: 0x1, level: 2, quadrant: 0 } },
    { kind: 'newPage', page: { gfn: 0x1, level: 2, quadrant: 1 } },
    { kind: 'newPage', page: { gfn: 0x1, level: 2, quadrant: 2 } },
    { kind: 'newPage', page: { gfn: 0x1, level: 2, quadrant: 3 } },
  ],
};

export const WATCH: Readonly<Record<string, readonly WatchItem[]>> = {
  'quadrants-32bit': [
    INDIRECT_ROOTS_32,
    {
      step: 1,
      text: 'The kernel reads 0xc0403123 (guest PDE 769, PTE 3). The shadow tables have no entry yet, so KVM builds a shadow page table for guest page table gfn 0x4, quadrant 0: it covers guest PTEs 0-511.',
      kernel: 'FNAME(page_fault) → FNAME(fetch) → kvm_mmu_get_page; quadrant: kvm_mmu_child_role, parent index 2 % 2 = 0',
      expect: [
        { kind: 'outcome', outcome: 'shadow-fault' },
        { kind: 'newPage', page: { gfn: 0x4, level: 1, quadrant: 0 } },
      ],
    },
    {
      step: 1,
      text: "The dirty-bit trick: the guest PTE allows writes but its dirty bit is clear, so KVM maps the page read-only (W=0 in the spte). The guest's first write to it would exit, and KVM would set the dirty bit then.",
      kernel: 'FNAME(walk_addr_generic) → FNAME(protect_clean_gpte) drops ACC_WRITE_MASK for a read of a clean gpte',
      expect: [{ kind: 'spte', gfn: 0x12, writable: false }],
    },
    {
      step: 2,
      text: 'The kernel reads 0xc0603123: the same guest PDE 769, so the same guest page table, but bit 21 is set, so the upper half. A 4 KiB guest page table of 1024 entries needs two shadow tables of 512: a second shadow page for gfn 0x4, quadrant 1 (PTEs 512-1023).',
      kernel: 'kvm_mmu_get_page; quadrant: kvm_mmu_child_role, parent index 3 % 2 = 1 (before the patch: from the address, bit 21)',
      expect: [{ kind: 'newPage', page: { gfn: 0x4, level: 1, quadrant: 1 } }],
    },
    {
      step: 3,
      text: 'Reading 0xc0403123 again hits: the CPU finds the shadow entry and KVM never runs.',
      expect: [{ kind: 'outcome', outcome: 'hit' }],
    },
    {
      step: 4,
      text: "A write to a clean page that has no shadow entry yet: the guest walk sets the guest PTE's dirty bit at once, so this spte is writable from the start (no second exit).",
      kernel: 'FNAME(update_accessed_dirty_bits), trace kvm_mmu_set_dirty_bit; FNAME(fetch) → mmu_set_spte',
      expect: [
        { kind: 'outcome', outcome: 'shadow-fault' },
        { kind: 'event', name: 'kvm_mmu_set_dirty_bit' },
        { kind: 'spte', gfn: 0x13, writable: true },
      ],
    },
    {
      step: 5,
      text: "A user-mode read of a kernel-only page (guest PTE 3 has U=0): the guest's own tables refuse it, so KVM injects a #PF into the guest with error code 0x5 (P=1: present; U=1: user mode).",
      kernel: 'FNAME(walk_addr_generic) fails (permission_fault) → kvm_inject_emulated_page_fault',
      expect: [{ kind: 'outcome', outcome: 'guest-fault', errorCode: 0x5 }],
    },
    {
      step: 6,
      text: 'A user read of 0x5000 builds the shadow page table for guest page table gfn 0x2 (PDE 0), quadrant 0.',
      expect: [{ kind: 'newPage', page: { gfn: 0x2, level: 1, quadrant: 0 } }],
    },
    {
      step: 7,
      text: "The kernel writes a new PTE 5 (frame 0x11) into guest page table gfn 0x2 through a window at 0x400000. Instead of write-protecting that table, KVM lets its shadow go unsync (out of date until the guest flushes).",
      kernel: 'mmu_set_spte → set_spte → make_spte → mmu_try_to_unsync_pages → kvm_unsync_page (trace kvm_mmu_unsync_page) → kvm_mmu_mark_parents_unsync → mark_unsync',
      expect: [
        { kind: 'newPage', page: { gfn: 0x3, level: 1 } },
        { kind: 'unsync', gfn: 0x2 },
      ],
    },
    {
      step: 8,
      text: 'Reading 0x5000 still reaches the old frame 0x10: the unsync shadow entry is stale, as a real TLB entry would be until the guest flushes it.',
      expect: [
        { kind: 'outcome', outcome: 'hit' },
        { kind: 'access', gpa: 0x10000 },
      ],
    },
    {
      step: 9,
      text: 'INVLPG 0x5000: KVM re-reads that one guest PTE (entry 5 of gfn 0x2) into the unsync shadow page.',
      kernel: 'kvm_mmu_invlpg → FNAME(invlpg) → FNAME(update_pte)',
      expect: [{ kind: 'resync', gfn: 0x2, index: 5 }],
    },
    {
      step: 10,
      text: 'Now 0x5000 reaches the new frame 0x11 without an exit.',
      expect: [
        { kind: 'outcome', outcome: 'hit' },
        { kind: 'access', gpa: 0x11000 },
      ],
    },
    {
      step: 11,
      text: "0xfffff000 goes through PDE 1023 (guest page table gfn 0x5); bit 21 is set, so its shadow is quadrant 1.",
      expect: [{ kind: 'newPage', page: { gfn: 0x5, level: 1, quadrant: 1 } }],
    },
    {
      step: 12,
      text: 'The guest reloads the same CR3. The four roots stay; KVM syncs the unsync shadow page of gfn 0x2 (write-protecting the guest table again) and flushes.',
      kernel: 'kvm_set_cr3 (same value, no PAE) → kvm_invalidate_pcid → KVM_REQ_MMU_SYNC → kvm_mmu_sync_roots → mmu_sync_children → kvm_sync_page',
      expect: [
        { kind: 'roots', change: 'kept' },
        { kind: 'sync', gfn: 0x2 },
      ],
    },
  ],

  'gva-bits-before-after': [
    INDIRECT_ROOTS_32,
    {
      step: 1,
      text: '0x00001000: bits 31:30 = 0 pick root 0; bit 21 = 0 picks the lower half of guest page table gfn 0x2 (PDE 0): quadrant 0.',
      kernel: 'before: kvm_mmu_get_page, (gaddr >> 21) & 1; seed and merged: kvm_mmu_child_role, parent index 0 % 2',
      expect: [{ kind: 'newPage', page: { gfn: 0x2, level: 1, quadrant: 0 } }],
    },
    {
      step: 2,
      text: '0x40601000: bits 31:30 = 1 pick root 1; PDE 257 points to the same guest page table gfn 0x2, and bit 21 = 1 picks its upper half: quadrant 1.',
      kernel: 'before: (gaddr >> 21) & 1 = 1; seed and merged: parent index 3 % 2 = 1',
      expect: [{ kind: 'newPage', page: { gfn: 0x2, level: 1, quadrant: 1 } }],
    },
    {
      step: 3,
      text: '0x80002000: bits 31:30 = 2 pick root 2; PDE 512 points to guest page table gfn 0x3, bit 21 = 0: quadrant 0.',
      expect: [{ kind: 'newPage', page: { gfn: 0x3, level: 1, quadrant: 0 } }],
    },
    {
      step: 4,
      text: '0xffffe000: bits 31:30 = 3 pick root 3; PDE 1023 points to gfn 0x3 too, bit 21 = 1: quadrant 1. Four addresses, one per root, with bit 21 alternating 0, 1, 0, 1: under every rule set the quadrants are the same.',
      expect: [{ kind: 'newPage', page: { gfn: 0x3, level: 1, quadrant: 1 } }],
    },
  ],

  'pse-direct-pages': [
    INDIRECT_ROOTS_32,
    {
      step: 1,
      rules: ['seed', 'merged', 'merged-no-7', 'linux-6.1'],
      text: "The read of 0xc0403123 lands in the lower 2 MiB of the 4 MiB guest page: KVM builds a direct shadow page table for gfn 0x12400, quadrant 0. With the patch it copies its parent's role, 4-byte gptes.",
      kernel: 'FNAME(fetch) → kvm_mmu_get_page(direct) with kvm_mmu_child_role',
      expect: [{ kind: 'newPage', page: { gfn: 0x12400, level: 1, quadrant: 0, direct: true, gpte: 4 } }],
    },
    {
      step: 1,
      rules: ['before'],
      text: 'Before the patch the same direct page is forced to 8-byte gptes (gpte_is_8_bytes = 1), though its parent is a 4-byte page.',
      kernel: 'kvm_mmu_get_page: role.gpte_is_8_bytes = true for direct pages',
      expect: [{ kind: 'newPage', page: { gfn: 0x12400, level: 1, quadrant: 0, direct: true, gpte: 8 } }],
    },
    {
      step: 1,
      rules: ['linux-6.1'],
      text: 'Linux 6.1 also prefetches the empty entries after the faulting one: the direct page of gfn 0x12400 gets entries 4-7 as well as 0-2.',
      kernel: '__direct_pte_prefetch ("KVM: x86/mmu: Complete prefetch for trailing SPTEs for direct, legacy MMU", v5.16)',
      expect: [{ kind: 'prefetch', page: { gfn: 0x12400, direct: true }, indexes: [0, 1, 2, 4, 5, 6, 7] }],
    },
    {
      step: 2,
      text: 'The read of 0xc0603123 lands in the upper 2 MiB: a second direct page, gfn 0x12600, quadrant 1. One guest PDE, two shadow PDEs, two direct pages.',
      expect: [{ kind: 'newPage', page: { gfn: 0x12600, level: 1, quadrant: 1, direct: true } }],
    },
    {
      step: 3,
      text: 'A write to 0xc0603123 hits: the guest PDE is dirty, so the direct page mapped it writable already.',
      expect: [{ kind: 'outcome', outcome: 'hit' }],
    },
    {
      step: 4,
      rules: ['before', 'seed', 'merged', 'merged-no-7'],
      text: '0xc0405000 has no spte yet (prefetch filled entries 0-2 only), so it faults, and the direct page of gfn 0x12400 gets entry 5: no new page.',
      kernel: 'FNAME(fetch) walks through the present child; merged: kvm_mmu_get_child_sp reuses it',
      expect: [
        { kind: 'outcome', outcome: 'shadow-fault' },
        { kind: 'noNewPage' },
        { kind: 'spte', index: 5, in: { gfn: 0x12400 } },
      ],
    },
    {
      step: 4,
      rules: ['linux-6.1'],
      text: 'So under Linux 6.1 the read of 0xc0405000 hits: its entry was prefetched with the first read.',
      expect: [{ kind: 'outcome', outcome: 'hit' }],
    },
  ],

  'pse-host-huge': [
    INDIRECT_ROOTS_32,
    {
      step: 1,
      text: 'The read of 0xc0403123 installs a 2 MiB leaf spte directly in the quadrant-3 root, entry 2: no child shadow page.',
      kernel: 'kvm_mmu_hugepage_adjust allows level 2 (host huge page) → FNAME(fetch) → mmu_set_spte at level 2',
      expect: [
        { kind: 'noNewPage' },
        { kind: 'spte', level: 2, index: 2, in: { level: 2, quadrant: 3 } },
      ],
    },
    {
      step: 2,
      text: 'The read of 0xc0603123 (the upper 2 MiB) installs a second 2 MiB leaf, entry 3: a 4 MiB guest page is always at least two shadow mappings.',
      expect: [
        { kind: 'noNewPage' },
        { kind: 'spte', level: 2, index: 3, in: { level: 2, quadrant: 3 } },
      ],
    },
    {
      step: 3,
      text: '0xc0405000 is in the first 2 MiB, already mapped: a hit, no exit.',
      expect: [{ kind: 'outcome', outcome: 'hit' }],
    },
  ],

  'pae-nonpresent-pdpte': [
    {
      step: 0,
      text: 'KVM builds one shadow page directory per present PDPTE: only PDPTE 0 is present, so one root (gfn 0x2, 8-byte gptes, quadrant 0), and pae_root[1], [2] and [3] stay empty.',
      kernel: 'mmu_alloc_shadow_roots: a PDPTE without P leaves pae_root[i] = INVALID_PAE_ROOT',
      expect: [
        { kind: 'newPage', page: { gfn: 0x2, level: 2, quadrant: 0, gpte: 8 } },
        { kind: 'paeRootInvalid', indexes: [1, 2, 3] },
      ],
    },
    {
      step: 2,
      text: "Touching 0x40000000 (PDPTE 1) exits; KVM's walk of the guest tables stops at the non-present PDPTE, so the guest gets a not-present #PF (error code 0).",
      kernel: 'FNAME(walk_addr_generic) → kvm_inject_emulated_page_fault',
      expect: [{ kind: 'outcome', outcome: 'guest-fault', errorCode: 0 }],
    },
    {
      step: 3,
      text: 'Loading a new CR3, whose PDPTEs 0 and 1 are present, frees the roots and builds them again: the root for gfn 0x2 comes back from the hash, gfn 0x3 gets a new one, [2] and [3] stay empty.',
      kernel: 'kvm_set_cr3 → load_pdptrs → kvm_mmu_new_pgd → kvm_mmu_free_roots; kvm_mmu_load → mmu_alloc_shadow_roots',
      expect: [
        { kind: 'roots', change: 'freed' },
        { kind: 'pageFound', page: { gfn: 0x2, level: 2 } },
        { kind: 'newPage', page: { gfn: 0x3, level: 2 } },
        { kind: 'paeRootInvalid', indexes: [2, 3] },
      ],
    },
    {
      step: 4,
      text: 'Now 0x40000000 is a normal shadow fault: a shadow page table for gfn 0x5.',
      expect: [
        { kind: 'outcome', outcome: 'shadow-fault' },
        { kind: 'newPage', page: { gfn: 0x5, level: 1 } },
      ],
    },
    {
      step: 5,
      text: "0x0 still hits: its shadow page table survived the root rebuild (the root for gfn 0x2 was found again, children and all).",
      expect: [{ kind: 'outcome', outcome: 'hit' }],
    },
  ],

  'long-mode-4-levels': [
    {
      step: 0,
      text: "A 64-bit guest: one level-4 root for the guest's PML4 (gfn 0x100), no quadrants.",
      kernel: 'mmu_alloc_shadow_roots → mmu_alloc_root(level 4)',
      expect: [{ kind: 'newPage', page: { gfn: 0x100, level: 4, quadrant: 0 } }],
    },
    {
      step: 1,
      text: 'The first fault adds the three missing levels under the root: shadows of the PDPT (gfn 0x101), PD (0x102) and PT (0x103).',
      kernel: 'FNAME(fetch): kvm_mmu_get_page for each level',
      expect: [
        { kind: 'newPage', page: { gfn: 0x101, level: 3 } },
        { kind: 'newPage', page: { gfn: 0x102, level: 2 } },
        { kind: 'newPage', page: { gfn: 0x103, level: 1 } },
      ],
    },
    {
      step: 2,
      text: 'A user-mode fetch from a no-execute page: the guest gets a #PF with error code 0x15 (P=1 present, U=1 user, I/D=1 instruction fetch).',
      kernel: 'FNAME(walk_addr_generic) (permission_fault) → kvm_inject_emulated_page_fault',
      expect: [{ kind: 'outcome', outcome: 'guest-fault', errorCode: 0x15 }],
    },
    {
      step: 3,
      text: 'A 2 MiB guest page on 4 KiB host pages: KVM adds the PDPT and PD shadows and a direct level-1 page (gfn 0x600) that maps the 2 MiB in 4 KiB pieces.',
      kernel: 'FNAME(fetch): kvm_mmu_hugepage_adjust keeps level 1 → kvm_mmu_get_page(direct)',
      expect: [
        { kind: 'newPage', page: { gfn: 0x104, level: 3 } },
        { kind: 'newPage', page: { gfn: 0x105, level: 2 } },
        { kind: 'newPage', page: { gfn: 0x600, level: 1, direct: true } },
      ],
    },
    {
      step: 4,
      text: 'A 1 GiB guest page: below the PDPT shadow (gfn 0x106) KVM builds a direct level-2 page for the whole 1 GiB (gfn 0x40000) and, as the host maps 4 KiB, a direct level-1 page under it for the 2 MiB that was touched.',
      kernel: 'FNAME(fetch): two kvm_mmu_get_page(direct) calls, levels 2 and 1',
      expect: [
        { kind: 'newPage', page: { gfn: 0x106, level: 3 } },
        { kind: 'newPage', page: { gfn: 0x40000, level: 2, direct: true } },
        { kind: 'newPage', page: { gfn: 0x40000, level: 1, direct: true } },
      ],
    },
    {
      step: 5,
      text: 'Reading the same kernel address back hits.',
      expect: [{ kind: 'outcome', outcome: 'hit' }],
    },
  ],

  'permission-faults': [
    {
      step: 1,
      text: 'Read of 0x7000, whose guest PTE is not present: #PF with error code 0x0 (P=0).',
      kernel: 'FNAME(walk_addr_generic) → kvm_inject_emulated_page_fault',
      expect: [{ kind: 'outcome', outcome: 'guest-fault', errorCode: 0x0 }, { kind: 'noNewPage' }],
    },
    {
      step: 2,
      text: 'User read of a kernel-only page: 0x5 (P=1, U=1).',
      expect: [{ kind: 'outcome', outcome: 'guest-fault', errorCode: 0x5 }, { kind: 'noNewPage' }],
    },
    {
      step: 3,
      text: 'Kernel fetch from a no-execute page (EFER.NX): 0x11 (P=1, I/D=1).',
      expect: [{ kind: 'outcome', outcome: 'guest-fault', errorCode: 0x11 }, { kind: 'noNewPage' }],
    },
    {
      step: 4,
      text: "User write to a read-only page. The exit's error code is 0x6 (W=1, U=1, P=0): the CPU faulted on the shadow tables, which have no entry for the page yet. KVM's walk of the guest's tables finds the page present but read-only, so the guest gets 0x7 (P=1, W=1, U=1).",
      kernel: 'kvm_page_fault (exit) vs kvm_inject_page_fault (the error code FNAME(walk_addr_generic) computes)',
      expect: [{ kind: 'outcome', outcome: 'guest-fault', errorCode: 0x7, exitCode: 0x6 }, { kind: 'noNewPage' }],
    },
    {
      step: 5,
      text: 'Kernel fetch from a user page with CR4.SMEP: 0x11 (P=1, I/D=1).',
      expect: [{ kind: 'outcome', outcome: 'guest-fault', errorCode: 0x11 }, { kind: 'noNewPage' }],
    },
    {
      step: 6,
      text: 'Read through a PTE with a reserved bit set: 0x9 (P=1, RSVD=1).',
      expect: [{ kind: 'outcome', outcome: 'guest-fault', errorCode: 0x9 }, { kind: 'noNewPage' }],
    },
    {
      step: 7,
      text: 'A user read of the page step 5 could not execute is allowed: a normal shadow fault that builds shadow page 1, the page table for gfn 0x3.',
      kernel: 'FNAME(fetch) → kvm_mmu_get_page',
      expect: [
        { kind: 'outcome', outcome: 'shadow-fault' },
        { kind: 'newPage', page: { gfn: 0x3, level: 1 } },
      ],
    },
  ],

  'cr0-wp-off': [
    {
      step: 1,
      text: 'With CR0.WP=0 the guest kernel writes a read-only user page. The CPU runs the guest with CR0.WP=1, so KVM maps the page writable but kernel-only (W=1, U=0).',
      kernel: 'FNAME(page_fault): !is_cr0_wp && !user_fault && write_fault → pte_access |= ACC_WRITE_MASK, &= ~ACC_USER_MASK',
      expect: [
        { kind: 'event', name: 'sim_cr0_wp_adjust' },
        { kind: 'spte', gfn: 0x10, writable: true, user: false },
      ],
    },
    {
      step: 2,
      text: 'A user read of the same page now faults in the shadow (U=0 there), and KVM rebuilds the spte as the guest sees it: U=1, W=0.',
      expect: [
        { kind: 'outcome', outcome: 'shadow-fault', exitCode: 0x5 },
        { kind: 'spte', gfn: 0x10, writable: false, user: true },
        { kind: 'noNewPage' },
      ],
    },
    {
      step: 3,
      text: 'A user write is refused by the guest itself: #PF with error code 0x7 (P=1, W=1, U=1).',
      expect: [{ kind: 'outcome', outcome: 'guest-fault', errorCode: 0x7 }],
    },
    {
      step: 4,
      text: "Setting CR0.WP resets the MMU: the roots are freed, and the four new roots are new pages, not the old ones from the hash, because the role's cr0_wp bit differs.",
      kernel: 'kvm_set_cr0 → kvm_post_set_cr0 → kvm_mmu_reset_context → kvm_mmu_unload; kvm_mmu_get_page compares role.cr0_wp',
      expect: [
        { kind: 'roots', change: 'freed' },
        { kind: 'newPage', page: { gfn: 0x1, level: 2 }, count: 4 },
      ],
    },
    {
      step: 5,
      text: 'With CR0.WP=1 the same kernel write is a guest fault: 0x3 (P=1, W=1).',
      expect: [{ kind: 'outcome', outcome: 'guest-fault', errorCode: 0x3 }],
    },
  ],

  'unsync-invlpg-sync': [
    {
      step: 1,
      text: 'Reading 0x5000 builds the shadow page table for guest page table gfn 0x2.',
      expect: [{ kind: 'newPage', page: { gfn: 0x2, level: 1 } }],
    },
    {
      step: 2,
      text: "Writing PTE 5 through the window at 0x400000 exits once: the new spte would make a shadowed page table writable, so KVM marks gfn 0x2's shadow page unsync (and flags it in its parent's unsync_child_bitmap) instead of write-protecting it.",
      kernel: 'mmu_set_spte → set_spte → make_spte → mmu_try_to_unsync_pages → kvm_unsync_page → mark_unsync',
      expect: [
        { kind: 'outcome', outcome: 'shadow-fault' },
        { kind: 'unsync', gfn: 0x2 },
      ],
    },
    {
      step: 3,
      text: 'Reading 0x5000 still reaches the old frame 0x10: the shadow PT is stale, as a real TLB would be until the guest flushes.',
      expect: [
        { kind: 'outcome', outcome: 'hit' },
        { kind: 'access', gpa: 0x10000 },
      ],
    },
    {
      step: 4,
      text: 'The guest writes PTE 6 of its page table with no exit at all.',
      expect: [{ kind: 'outcome', outcome: 'hit' }],
    },
    {
      step: 5,
      text: 'INVLPG 0x5000 re-reads that one guest PTE (entry 5) into the shadow page; PTE 6 stays as it was.',
      kernel: 'kvm_mmu_invlpg → FNAME(invlpg)',
      expect: [{ kind: 'resync', gfn: 0x2, index: 5 }],
    },
    {
      step: 6,
      text: 'Now 0x5000 reaches the new frame 0x11.',
      expect: [{ kind: 'access', gpa: 0x11000 }],
    },
    {
      step: 8,
      text: 'MOV CR3 (the same value) syncs the whole page: gfn 0x2 is write-protected again, every entry re-read, unsync cleared. The roots stay.',
      kernel: 'kvm_set_cr3 → kvm_invalidate_pcid → kvm_mmu_sync_roots → mmu_sync_children → kvm_sync_page → FNAME(sync_page)',
      expect: [
        { kind: 'sync', gfn: 0x2 },
        { kind: 'event', name: 'rmap_write_protect' },
        { kind: 'roots', change: 'kept' },
      ],
    },
  ],

  'pd-write-flooding': [
    INDIRECT_ROOTS_32,
    {
      step: 2,
      text: '0xc0005000 goes through PDE 768, which points to the same guest page table as PDE 0: KVM finds the shadow page from step 1 (gfn 0x2, quadrant 0) in its hash and links it under root 3.',
      kernel: 'FNAME(fetch) → kvm_mmu_get_page finds it (kvm_mmu_lookup_page)',
      expect: [{ kind: 'pageFound', page: { gfn: 0x2, level: 1, quadrant: 0 } }],
    },
    {
      step: 3,
      text: "The guest writes its page directory (PDE 768) through a window at 0x401000. The page directory is shadowed, so the write exits and KVM emulates it, then zaps exactly the shadow entries it touched: entries 0 and 1 of the quadrant-3 root (a 4-byte PDE is two 8-byte shadow PDEs).",
      kernel: 'x86_emulate_instruction → emulator write → kvm_page_track_write → kvm_mmu_pte_write → get_written_sptes',
      expect: [
        { kind: 'outcome', outcome: 'emulated' },
        { kind: 'written', page: { gfn: 0x1, level: 2, quadrant: 3 }, indexes: [0, 1] },
      ],
    },
    {
      step: 4,
      text: 'The next write (PDE 769) exits because the page directory is write-tracked, and is emulated the same way. The quadrant 1-3 roots, which no access has used since, count their second write.',
      kernel: 'FNAME(page_fault) → page_fault_handle_page_track → RET_PF_EMULATE; kvm_mmu_pte_write → detect_write_flooding',
      expect: [
        { kind: 'outcome', outcome: 'emulated' },
        { kind: 'event', name: 'page_fault_handle_page_track' },
        { kind: 'floodCount', page: { gfn: 0x1, level: 2, quadrant: 3 }, count: 2 },
      ],
    },
    {
      step: 5,
      text: 'Third write to the page directory with no use of the quadrant 1-3 roots in between: they count it as the guest recycling the page and are zapped (write flooding). The quadrant-0 root is not: every write exits through it, and each exit resets its count.',
      kernel: 'kvm_mmu_pte_write → detect_write_flooding (count ≥ 3); shadow_page_table_clear_flood from FNAME(page_fault) resets the count of the pages on the faulting address\'s path',
      expect: [
        { kind: 'zap', page: { gfn: 0x1, level: 2 }, reason: 'write flooding', count: 3 },
        { kind: 'floodCount', page: { gfn: 0x1, level: 2, quadrant: 0 }, count: 1 },
      ],
    },
    {
      step: 5,
      text: 'The zapped roots are rebuilt on the next entry: quadrant 0 is the same page, quadrants 1-3 are new pages.',
      kernel: 'kvm_mmu_free_roots, kvm_mmu_load → mmu_alloc_shadow_roots',
      expect: [
        { kind: 'pageFound', page: { gfn: 0x1, level: 2, quadrant: 0 } },
        { kind: 'newPage', page: { gfn: 0x1, level: 2 }, count: 3 },
      ],
    },
    {
      step: 6,
      text: "0x5000 still hits: root 0 and its child survived.",
      expect: [{ kind: 'outcome', outcome: 'hit' }],
    },
    {
      step: 7,
      text: 'A 2-byte write at offset 2 of a PDE is misaligned: KVM gives up on patching and zaps all four roots, which are then built anew.',
      kernel: 'kvm_mmu_pte_write → detect_write_misaligned',
      expect: [
        { kind: 'zap', page: { gfn: 0x1, level: 2 }, reason: 'misaligned', count: 4 },
        { kind: 'newPage', page: { gfn: 0x1, level: 2 }, count: 4 },
      ],
    },
  ],

  'cr3-pcid-switch': [
    {
      step: 1,
      text: "Process A's first access builds the shadows of its PDPT, PD and PT under A's root.",
      expect: [
        { kind: 'newPage', page: { gfn: 0xc, level: 3 } },
        { kind: 'newPage', page: { gfn: 0xd, level: 2 } },
        { kind: 'newPage', page: { gfn: 0xe, level: 1 } },
      ],
    },
    {
      step: 2,
      text: "Switching to B (PCID 2) misses the cache: A's root moves into prev_roots, and KVM builds B's root (gfn 0xb).",
      kernel: 'kvm_set_cr3 → kvm_mmu_new_pgd → cached_root_available (miss)',
      expect: [
        { kind: 'prevRoots', hit: false },
        { kind: 'prevRoot', slot: 0, gfn: 0xa, pgd: 0xa001 },
        { kind: 'newPage', page: { gfn: 0xb, level: 4 } },
      ],
    },
    {
      step: 3,
      text: "B's PML4 points to the same PDPT as A's, so B's first access finds A's shadow PDPT (gfn 0xc) in the hash.",
      expect: [{ kind: 'pageFound', page: { gfn: 0xc, level: 3 } }],
    },
    {
      step: 4,
      text: "Switching back to A hits prev_roots: no new page, just a swap (B's root now waits in prev_roots[0]); KVM then syncs and flushes for PCID 1.",
      kernel: 'cached_root_available (hit) → kvm_invalidate_pcid(1)',
      expect: [
        { kind: 'prevRoots', hit: true },
        { kind: 'prevRoot', slot: 0, gfn: 0xb, pgd: 0xb002 },
        { kind: 'noNewPage' },
        { kind: 'event', name: 'kvm_mmu_sync_roots' },
      ],
    },
    {
      step: 5,
      text: "A's mappings survived the round trip: a hit.",
      expect: [{ kind: 'outcome', outcome: 'hit' }],
    },
    {
      step: 6,
      text: 'MOV CR3 with the no-flush bit set switches to B from the cache and skips the flush.',
      kernel: 'kvm_set_cr3: X86_CR3_PCID_NOFLUSH skips kvm_invalidate_pcid',
      expect: [
        { kind: 'prevRoots', hit: true },
        { kind: 'event', name: 'kvm_invalidate_pcid', none: true },
      ],
    },
  ],

  'self-map': [
    INDIRECT_ROOTS_32,
    {
      step: 2,
      text: "Reading 0xfffff000 walks PD → PD, so the page directory's gfn 0x1 is now shadowed a second way: as a level-1 page, quadrant 1 under root 3.",
      expect: [{ kind: 'newPage', page: { gfn: 0x1, level: 1, quadrant: 1 } }],
    },
    {
      step: 3,
      text: 'Reading 0xffc00014 uses the page directory as the page table of the top 4 MiB: another level-1 page for gfn 0x1, quadrant 0.',
      expect: [{ kind: 'newPage', page: { gfn: 0x1, level: 1, quadrant: 0 } }],
    },
    {
      step: 4,
      text: "A write through the self-map lands in the page directory. Its level-1 shadow cannot go unsync, because the gfn is write-tracked as an upper-level table: the write is emulated.",
      kernel: 'FNAME(page_fault) → page_fault_handle_page_track: the gfn is write-tracked (account_shadowed of its level-2 pages) → RET_PF_EMULATE → kvm_mmu_pte_write',
      expect: [
        { kind: 'outcome', outcome: 'emulated' },
        { kind: 'event', name: 'kvm_mmu_unsync_page', none: true },
      ],
    },
    {
      step: 5,
      text: 'A write through the self-map into an ordinary page table (gfn 0x2) behaves like any other: its shadow goes unsync.',
      expect: [{ kind: 'unsync', gfn: 0x2 }],
    },
    {
      step: 6,
      text: 'So 0x5000 still reaches the old frame 0x10 until the guest flushes.',
      expect: [
        { kind: 'outcome', outcome: 'hit' },
        { kind: 'access', gpa: 0x10000 },
      ],
    },
  ],

  'paging-off': [
    {
      step: 0,
      rules: ['seed'],
      text: 'Four direct roots, 1 GiB of guest-physical space each. The seed patch gives them quadrants 0-3 and 4-byte gptes.',
      kernel: 'mmu_alloc_direct_roots → mmu_alloc_root for pae_root[0..3]; seed: quadrant = i',
      expect: [
        { kind: 'newPage', page: { gfn: 0x0, level: 2, direct: true, quadrant: 0, gpte: 4 } },
        { kind: 'newPage', page: { gfn: 0x40000, level: 2, direct: true, quadrant: 1, gpte: 4 } },
        { kind: 'newPage', page: { gfn: 0x80000, level: 2, direct: true, quadrant: 2, gpte: 4 } },
        { kind: 'newPage', page: { gfn: 0xc0000, level: 2, direct: true, quadrant: 3, gpte: 4 } },
      ],
    },
    {
      step: 0,
      rules: ['before', 'merged', 'merged-no-7', 'linux-6.1'],
      text: 'Four direct roots, 1 GiB of guest-physical space each, all quadrant 0 with 8-byte gptes (before: direct pages are forced to 8 bytes; merged and 6.1: paging off counts as 8-byte).',
      kernel: 'mmu_alloc_direct_roots → kvm_mmu_get_page(direct)',
      expect: [{ kind: 'newPage', page: { level: 2, direct: true, quadrant: 0, gpte: 8 }, count: 4 }],
    },
    {
      step: 1,
      text: 'Reading 0x5000 (a guest-physical address: no guest walk) adds a direct level-1 page for gfn 0x0; the data is at gpa 0x5000.',
      kernel: 'nonpaging_page_fault → direct_page_fault → __direct_map (no FNAME(walk_addr))',
      expect: [
        { kind: 'newPage', page: { gfn: 0x0, level: 1, direct: true } },
        { kind: 'access', gpa: 0x5000 },
        { kind: 'event', name: 'kvm_mmu_pagetable_walk', none: true },
      ],
    },
    {
      step: 2,
      text: 'Reading 0x40000000 adds one under the second root (gfn 0x40000).',
      expect: [{ kind: 'newPage', page: { gfn: 0x40000, level: 1, direct: true } }],
    },
    {
      step: 3,
      text: 'Loading CR3 while paging is off frees the roots and finds the same four again in the hash.',
      kernel: 'kvm_set_cr3 → kvm_mmu_new_pgd → kvm_mmu_free_roots; kvm_mmu_load',
      expect: [
        { kind: 'roots', change: 'freed' },
        { kind: 'pageFound', page: { level: 2, direct: true } },
        { kind: 'noNewPage' },
      ],
    },
    {
      step: 4,
      text: 'Turning paging on resets the MMU: every root is unloaded and the shadow MMU builds four indirect roots for the 32-bit page directory (gfn 0x1).',
      kernel: 'kvm_set_cr0 → kvm_post_set_cr0 → kvm_mmu_reset_context → kvm_mmu_unload; kvm_mmu_load → mmu_alloc_shadow_roots',
      expect: [
        { kind: 'roots', change: 'freed' },
        { kind: 'newPage', page: { gfn: 0x1, level: 2, direct: false }, count: 4 },
      ],
    },
    {
      step: 5,
      text: 'Now 0x5000 is translated by the guest: it reaches frame 0x10 through guest page table gfn 0x2.',
      expect: [
        { kind: 'newPage', page: { gfn: 0x2, level: 1, direct: false } },
        { kind: 'access', gpa: 0x10000 },
      ],
    },
  ],

  'sweep-64-tables': [
    INDIRECT_ROOTS_32,
    {
      step: 1,
      through: 64,
      text: 'Steps 1-64: every first touch is a shadow fault that adds exactly one level-1 shadow page.',
      expect: [
        { kind: 'outcome', outcome: 'shadow-fault' },
        { kind: 'newPage', page: { level: 1 } },
      ],
    },
    {
      step: 1,
      text: '0x40000010: bits 31:30 = 1 choose root 1, bit 21 = 0 the lower half of guest page table gfn 0x100: quadrant 0.',
      expect: [{ kind: 'newPage', page: { gfn: 0x100, level: 1, quadrant: 0 } }],
    },
    {
      step: 15,
      text: '0x6a206010: bit 21 = 1, so the upper half of guest page table gfn 0x10e: quadrant 1.',
      expect: [{ kind: 'newPage', page: { gfn: 0x10e, level: 1, quadrant: 1 } }],
    },
    {
      step: 64,
      text: 'With the four roots that makes 68 shadow pages.',
      expect: [{ kind: 'pageCount', count: 68 }],
    },
    {
      step: 65,
      through: 72,
      text: 'Steps 65-72 revisit pages already mapped: hits, no exit.',
      expect: [{ kind: 'outcome', outcome: 'hit' }],
    },
    {
      step: 73,
      text: 'The MOV CR3 at the end reloads the same CR3 in a 32-bit guest, which 5.15 short-cuts: KVM syncs and flushes, and the four roots and all 68 pages stay.',
      kernel: 'kvm_set_cr3: same value, not PAE → kvm_invalidate_pcid (KVM_REQ_MMU_SYNC, KVM_REQ_TLB_FLUSH_CURRENT); no kvm_mmu_new_pgd',
      expect: [
        { kind: 'roots', change: 'kept' },
        { kind: 'event', name: 'kvm_mmu_sync_roots' },
        { kind: 'pageCount', count: 68 },
      ],
    },
  ],

  'stale-child-uaf': [
    {
      step: 1,
      text: 'PD entry 1 maps a 2 MiB page; with 4 KiB host pages KVM shadows it with a direct level-1 page for gfn 0x200.',
      expect: [{ kind: 'newPage', page: { gfn: 0x200, level: 1, direct: true } }],
    },
    {
      step: 2,
      text: 'The host rewrites that PD entry to point to a page table at gpa 0x200000. KVM does not see it: no write tracking runs, nothing is zapped.',
      kernel: 'a host-side write bypasses kvm_mmu_pte_write (page-track notifier)',
      expect: [
        { kind: 'event', name: 'sim_host_write' },
        { kind: 'event', name: 'kvm_mmu_pte_write', none: true },
        { kind: 'event', name: 'kvm_mmu_prepare_zap_page', none: true },
      ],
    },
    {
      step: 4,
      rules: ['before', 'seed', 'merged-no-7'],
      text: "The next fault walks through the stale direct child (its gfn matches, and nothing checks its role): the leaf for gfn 0x345 lands in the direct page, whose rmap would compute gfn 0x210 for that entry (sp->gfn + index).",
      kernel: 'FNAME(fetch) follows the present sptep (5.15, seed); kvm_mmu_get_child_sp reuses it on gfn alone (merged without 7/8); rmap_add',
      expect: [
        { kind: 'noNewPage' },
        { kind: 'kernelBug', bug: 'stale-rmap' },
      ],
    },
    {
      step: 4,
      rules: ['merged', 'linux-6.1'],
      text: 'Under Merged (and Linux 6.1, which has the same backports), the child check sees the unexpected role, drops the link and builds a real shadow page table for gfn 0x200.',
      kernel: 'kvm_mmu_get_child_sp (patch 7/8: role check) → drop_parent_pte → kvm_mmu_get_page',
      expect: [
        { kind: 'childCheck', result: 'unexpected-role' },
        { kind: 'newPage', page: { gfn: 0x200, level: 1, direct: false } },
      ],
    },
    {
      step: 5,
      rules: ['before', 'seed', 'merged-no-7'],
      text: 'The guest still reads its old 2 MiB page at 0x205000.',
      expect: [
        { kind: 'outcome', outcome: 'hit' },
        { kind: 'access', gpa: 0x205000 },
      ],
    },
    {
      step: 5,
      rules: ['merged', 'linux-6.1'],
      text: "Under Merged and Linux 6.1 the guest sees its new page table, whose entry 5 is not present: a #PF (error code 0).",
      expect: [{ kind: 'outcome', outcome: 'guest-fault', errorCode: 0 }],
    },
    {
      step: 6,
      rules: ['before', 'seed', 'merged-no-7'],
      text: "Zap-all: removing that spte searches gfn 0x210's rmap, the wrong list (BUG() in 5.15), so gfn 0x345's rmap keeps pointing into a page that is then freed.",
      kernel: 'kvm_mmu_zap_all → kvm_mmu_prepare_zap_page → kvm_mmu_page_unlink_children → mmu_page_zap_pte → drop_spte → rmap_remove → __pte_list_remove',
      expect: [{ kind: 'kernelBug', bug: 'pte_list_remove' }],
    },
    {
      step: 7,
      rules: ['before', 'seed', 'merged-no-7'],
      text: "When gfn 0x345 becomes a page table, write-protecting it walks that rmap into the freed page: a use-after-free.",
      kernel: 'kvm_mmu_get_page → rmap_write_protect(gfn 0x345) walks that rmap',
      expect: [{ kind: 'kernelBug', bug: 'use-after-free' }],
    },
  ],
};
