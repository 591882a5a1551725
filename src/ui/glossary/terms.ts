/**
 * The glossary: every kernel (and hardware) term the app shows, in plain
 * words for a student who knows basic paging but not KVM, with a link to its
 * Linux 5.15 source where one exists. Pure data: the marking (`match.ts`)
 * and the components (`Term.tsx`) read it; the help overlay lists it.
 *
 * `match` lists the spellings the UI uses (matched case-sensitively, as
 * whole words, longest first): a term is marked wherever one of them is shown.
 */
import { kernelLink } from '../layout/kernel-links.ts';

export interface GlossaryTerm {
  /** Stable id (also `data-term` on every marked occurrence). */
  readonly id: string;
  /** The name as the glossary page lists it. */
  readonly name: string;
  /** Spellings to mark in text (exact, whole words). */
  readonly match: readonly string[];
  /** The definition, in plain words first; kernel names after. */
  readonly def: string;
  /** Where it lives in the kernel source, if anywhere. */
  readonly link?: { readonly label: string; readonly href: string };
}

const V = 'https://elixir.bootlin.com/linux/v5.15';
/** An identifier search in the 5.15 tree (structs, fields, macros). */
const ident = (name: string) => ({ label: name, href: `${V}/A/ident/${name}` });
/** A kernel function, linked to its line (kernel-links.ts). */
const fn = (name: string) => {
  const href = kernelLink(name);
  if (!href) throw new Error(`glossary: no kernel link for ${name}`);
  return { label: `${name}()`, href };
};
const MMU_DOC = { label: 'Documentation/virt/kvm/mmu.rst', href: `${V}/source/Documentation/virt/kvm/mmu.rst` };

/** The stats counters the side panel lists (KVM's own names; `hits` and `pages_*` are the simulator's counts). */
const STATS: ReadonlyArray<readonly [string, string, GlossaryTerm['link']?]> = [
  ['mmu_cache_miss', 'How many times KVM looked for a shadow page (by gfn and role) and had to build a new one.', ident('mmu_cache_miss')],
  ['mmu_shadow_zapped', 'How many shadow pages have been zapped (torn down).', ident('mmu_shadow_zapped')],
  ['mmu_unsync', 'How many times a shadow page went unsync (KVM let the guest write that page table without exits).', ident('mmu_unsync')],
  ['mmu_pte_write', 'How many guest writes to a shadowed page table KVM has seen (through write tracking, kvm_mmu_pte_write).', ident('mmu_pte_write')],
  ['mmu_pde_zapped', 'How many times the guest wrote a new entry into a shadowed upper-level table, so KVM dropped the matching spte (and with it the link to the shadow page below).', ident('mmu_pde_zapped')],
  ['mmu_flooded', 'How many shadow pages were zapped for write flooding (the guest kept writing a table it no longer uses as one).', ident('mmu_flooded')],
  ['pf_fixed', 'How many page-fault exits KVM fixed by installing a shadow entry (RET_PF_FIXED).', ident('pf_fixed')],
  ['pf_guest', 'How many page faults KVM handed back to the guest, because the guest\'s own tables forbid the access.', ident('pf_guest')],
  ['pf_exits', 'How many #PF VM exits there were (every access the shadow tables did not allow).'],
  ['hits', 'Accesses the shadow tables allowed directly: the CPU translated them and KVM never ran (the simulator\'s count).'],
  ['emulated', 'Instructions KVM emulated instead of letting the guest run them (a write to a write-tracked page table, or MMIO).', ident('insn_emulation')],
  ['invlpg', 'INVLPG instructions the guest executed (each one exits to KVM without EPT).', ident('invlpg')],
  ['tlb_flush', 'TLB flushes KVM did for this vCPU.', ident('tlb_flush')],
  ['remote_tlb_flush_requests', 'Requests to flush every vCPU\'s TLB (kvm_flush_remote_tlbs), for example after write-protecting or zapping.', ident('remote_tlb_flush_requests')],
  ['pages_4k', 'Leaf shadow entries that map a 4 KiB page.', ident('pages_4k')],
  ['pages_2m', 'Leaf shadow entries that map a 2 MiB page.', ident('pages_2m')],
  ['pages_1g', 'Leaf shadow entries that map a 1 GiB page.', ident('pages_1g')],
];

export const TERMS: readonly GlossaryTerm[] = [
  // What the shadow tables are made of
  {
    id: 'sp',
    name: 'sp / shadow page (kvm_mmu_page)',
    match: ['sp', 'shadow page', 'shadow pages', 'Shadow pages', 'kvm_mmu_page'],
    def: 'A shadow page: one page table that KVM builds and the real CPU walks, in place of a guest page table (or of part of one). "sp 5" is KVM\'s shadow page number 5. KVM finds it again by the guest table it shadows (gfn) and its role.',
    link: ident('kvm_mmu_page'),
  },
  {
    id: 'spte',
    name: 'spte (shadow page-table entry)',
    match: ['spte', 'sptes', 'SPTE'],
    def: 'An entry in a shadow page: what the CPU really uses. It points to the next shadow page, or (a leaf) to the host page that backs the guest page, with rights no wider than the guest\'s own entries allow.',
    link: fn('make_spte'),
  },
  {
    id: 'gpte',
    name: 'gpte (guest page-table entry)',
    match: ['gpte', 'gptes', 'guest PTE', 'guest PTEs', 'guest PDE', 'guest PDEs'],
    def: 'An entry in one of the guest\'s own page tables, as the guest wrote it. KVM reads it (the guest walk) and copies it, with host addresses, into an spte.',
    link: fn('FNAME(walk_addr_generic)'),
  },
  {
    id: 'gva',
    name: 'gva (guest virtual address)',
    match: ['gva', 'GVA'],
    def: 'An address as a program in the guest uses it: the guest\'s page tables translate it to a gpa.',
  },
  {
    id: 'gpa',
    name: 'gpa (guest physical address)',
    match: ['gpa'],
    def: 'An address in the guest\'s "physical" memory: what the guest\'s page tables produce. It is not where the data really is: KVM translates it again to a host address (hpa).',
  },
  {
    id: 'gfn',
    name: 'gfn (guest frame number)',
    match: ['gfn', 'gfns', 'GFN'],
    def: 'A gpa divided by 4096: the number of a 4 KiB guest page. A guest page table is also a guest page, so a shadow page is named by the gfn of the guest table it shadows.',
    link: ident('gfn_t'),
  },
  {
    id: 'pfn',
    name: 'pfn (host page frame number)',
    match: ['pfn', 'host pfn'],
    def: 'The number of a real (host) 4 KiB page: hpa divided by 4096. Each guest frame (gfn) is backed by some host frame (pfn); leaf sptes hold pfns.',
    link: ident('kvm_pfn_t'),
  },
  {
    id: 'hpa',
    name: 'hpa (host physical address)',
    match: ['hpa', 'host address'],
    def: 'A real physical address of the machine. The shadow tables translate a gva straight to an hpa, skipping the gpa.',
    link: ident('hpa_t'),
  },
  {
    id: 'leaf',
    name: 'leaf',
    match: ['leaf'],
    def: 'The last entry of a walk: it maps a page (4 KiB, or a large 2 MiB / 4 MiB / 1 GiB page) instead of pointing to another table.',
  },
  {
    id: 'large-page',
    name: 'large page (huge page)',
    match: ['large page', 'large pages', 'huge page', 'huge pages'],
    def: 'A page bigger than 4 KiB, mapped by an entry above level 1 (2 MiB, 4 MiB or 1 GiB). KVM may map it with small pages if the host backs it with small pages, or if a guest page table lies inside it.',
    link: fn('kvm_mmu_hugepage_adjust'),
  },
  // The role
  {
    id: 'role',
    name: 'role (kvm_mmu_page_role)',
    match: ['role', 'roles', 'role.word'],
    def: 'What kind of shadow page it is, packed in one 32-bit word: level, 4- or 8-byte guest entries, quadrant, direct, access, invalid, efer_nx and more. Two shadow pages of one guest table with different roles are different pages; KVM looks a page up by (gfn, role).',
    link: ident('kvm_mmu_page_role'),
  },
  {
    id: 'kvmmmu',
    name: 'kvmmmu notation',
    match: ['kvmmmu'],
    def: 'How the kernel\'s kvmmmu tracepoints print a shadow page, e.g. "gfn 4 l1 4-byte q1 w-x !nxe": gfn, level, entry size, quadrant, direct, access, invalid, NX. Hover each field of a notation for its meaning.',
    link: ident('KVM_MMU_PAGE_PRINTK'),
  },
  {
    id: 'level',
    name: 'level',
    match: ['level'],
    def: 'Which layer of the page-table tree a table or entry is in, counted from the bottom: level 1 = a page table (PT, its entries map 4 KiB pages), level 2 = a page directory (PD), level 3 = a PDPT, level 4 = a PML4.',
    link: ident('PG_LEVEL_4K'),
  },
  {
    id: 'quadrant',
    name: 'quadrant (role.quadrant)',
    match: ['quadrant', 'quadrants'],
    def: 'Which part of a 32-bit guest table this shadow page covers. A 32-bit guest table has 1024 entries of 4 bytes, a shadow table only 512 entries of 8 bytes, so KVM needs several shadow pages per guest table: at level 1, quadrant 0/1 = the lower/upper 512 guest PTEs; at level 2, quadrant 0-3 = which 256 of the 1024 guest PDEs (1 GiB each). Guests with 8-byte entries always have quadrant 0.',
    link: MMU_DOC,
  },
  {
    id: '4-byte',
    name: '4-byte gpte',
    match: ['4-byte', '4-byte entries'],
    def: 'The shadow page shadows a guest table with 4-byte entries: a 32-bit guest without PAE (1024 entries per table). Such tables need two (PT) or four (PD) shadow pages each: see quadrant.',
    link: ident('gpte_is_8_bytes'),
  },
  {
    id: '8-byte',
    name: '8-byte gpte (gpte_is_8_bytes)',
    match: ['8-byte', '8-byte entries', 'gpte_is_8_bytes'],
    def: 'The shadow page shadows a guest table with 8-byte entries (PAE or 64-bit guests, 512 entries per table, like the shadow table itself): one shadow page per guest table, quadrant 0. The role bit is gpte_is_8_bytes in 5.15 (has_4_byte_gpte, its inverse, from 5.17).',
    link: ident('gpte_is_8_bytes'),
  },
  {
    id: 'direct',
    name: 'direct (role.direct)',
    match: ['direct'],
    def: 'A direct shadow page shadows no guest table: it maps a run of guest frames straight (a guest large page that KVM maps with 4 KiB pages, or a guest with paging off, where gpa = gva). Its gfn is the first frame it maps.',
    link: fn('__direct_map'),
  },
  {
    id: 'access',
    name: 'access (wux)',
    match: ['role.access'],
    def: 'Three letters for the rights an entry or a role allows: w = writable, u = user mode allowed, x = executable; a "-" in a place means not allowed (so "w-x" = writable, supervisor only, executable). A role\'s access is what the guest\'s upper-level entries allow on the way down.',
    link: ident('ACC_ALL'),
  },
  {
    id: 'nxe',
    name: 'nxe / !nxe (role.efer_nx)',
    match: ['!nxe', 'nxe', 'efer_nx'],
    def: 'Whether the guest had EFER.NX (no-execute) on when the shadow page was made: "nxe" on, "!nxe" off. It is part of the role because it changes how the guest\'s entries are read (with NX off, their bit 63 is reserved), so one guest table gets a separate shadow page for each setting.',
    link: ident('efer_nx'),
  },
  {
    id: 'invalid',
    name: 'invalid (role.invalid)',
    match: ['invalid'],
    def: 'A shadow page KVM has zapped while it is still in use (for example as a root): it stays allocated until its last user lets go, but no lookup will find it again. For a pae_root slot, "invalid" means the slot holds no shadow page (its PDPTE is not present).',
    link: ident('kvm_mmu_page_role'),
  },
  // Keeping the shadow in step with the guest
  {
    id: 'unsync',
    name: 'unsync',
    match: ['unsync', 'goes unsync'],
    def: 'A shadow page (level 1) that KVM lets the guest write freely, for speed: the guest may change its page table without an exit, so the shadow may be out of date until the guest flushes the TLB (INVLPG, MOV CR3), when KVM syncs it.',
    link: fn('kvm_unsync_page'),
  },
  {
    id: 'unsync-children',
    name: 'unsync_child_bitmap / unsync_children',
    match: ['unsync_child_bitmap', 'unsync_children'],
    def: 'In an upper-level shadow page, which of its entries lead down to unsync pages, so a sync can find them without walking everything.',
    link: fn('mark_unsync'),
  },
  {
    id: 'sync',
    name: 'sync',
    match: ['sync', 'in sync', 'resync'],
    def: 'Bringing an unsync shadow page up to date: KVM re-reads the guest\'s entries and fixes or drops the sptes that no longer match, then write-protects the guest table again.',
    link: fn('FNAME(sync_page)'),
  },
  {
    id: 'write-protect',
    name: 'write-protect',
    match: ['write-protect', 'write-protected', 'write protection', 'write-protects'],
    def: 'KVM clears W in every spte that maps a guest page table (found through the rmap), so the guest\'s next write to it faults to KVM, which lets the shadow page go unsync or emulates the write. In 5.15 this is done for guest page tables shadowed at level 1; upper-level tables are write-tracked instead.',
    link: fn('rmap_write_protect'),
  },
  {
    id: 'write-tracked',
    name: 'write-tracked (account_shadowed)',
    match: ['write-tracked', 'write-track', 'write tracking'],
    def: 'A guest frame holding an upper-level guest table (a page directory or above) that KVM shadows is added to write tracking (account_shadowed): while it is, the frame is never mapped writable, and every guest write to it exits to KVM, which emulates the write and updates the shadow pages (kvm_page_track_write, kvm_mmu_pte_write). Level-1 tables are write-protected through the rmap instead.',
    link: fn('account_shadowed'),
  },
  {
    id: 'flooding',
    name: 'write flooding',
    match: ['write flooding', 'flooded', 'flooding', 'write_flooding_count'],
    def: 'When the guest keeps writing a shadowed upper-level table (a page directory or above) while KVM never walks through it to fix a fault (each such walk resets the count), the page is probably not a page table any more: at the third write KVM zaps the shadow page instead of tracking it further. Level-1 pages are skipped: they can go unsync instead.',
    link: fn('detect_write_flooding'),
  },
  {
    id: 'misaligned',
    name: 'misaligned write',
    match: ['misaligned write', 'misaligned'],
    def: 'A write to a shadowed page table that does not cover whole entries (it straddles two entries, or writes fewer than 4 bytes; a single byte at an entry\'s start is allowed, as Linux clears bits that way): KVM cannot tell what the new entry is, so it zaps the shadow page.',
    link: fn('detect_write_misaligned'),
  },
  {
    id: 'zap',
    name: 'zap',
    match: ['zap', 'zaps', 'zapped', 'zap-all'],
    def: 'To tear down a shadow page: unlink it from its parents, drop its sptes (and their rmap entries), then free it. The next access that needs it faults and builds it again.',
    link: fn('kvm_mmu_prepare_zap_page'),
  },
  {
    id: 'speculative',
    name: 'speculative / prefetch',
    match: ['speculative', 'prefetch', 'prefetched'],
    def: 'While fixing a fault, KVM also fills some neighbouring sptes from guest entries it has not been asked for yet (prefetch), so the next accesses nearby hit. Such an spte is speculative: made before any access needed it.',
    link: fn('FNAME(pte_prefetch)'),
  },
  {
    id: 'rmap',
    name: 'rmap (reverse map)',
    match: ['rmap', 'rmaps', 'reverse map', 'Reverse map'],
    def: 'For each guest frame, the list of every spte that maps it. KVM uses it to write-protect a guest page table, or to drop every mapping of a frame, without searching all shadow pages.',
    link: fn('rmap_remove'),
  },
  {
    id: 'emulate',
    name: 'emulate',
    match: ['emulate', 'emulated', 'emulation', 'emulates'],
    def: 'KVM carries out the guest\'s instruction itself instead of letting the CPU run it: for a write to a write-tracked page table (so it sees the new entry) or to MMIO.',
    link: fn('x86_emulate_instruction'),
  },
  {
    id: 'mmio',
    name: 'MMIO',
    match: ['MMIO', 'MMIO spte'],
    def: 'Memory-mapped I/O: a gpa with no RAM behind it (no memslot), where a device is emulated. KVM puts a special "MMIO spte" there, so the next access goes straight to emulation.',
    link: fn('handle_mmio_page_fault'),
  },
  {
    id: 'memslot',
    name: 'memslot',
    match: ['memslot'],
    def: 'A range of guest physical memory that the host backs with RAM. A gfn outside every memslot is MMIO.',
    link: ident('kvm_memory_slot'),
  },
  // Roots
  {
    id: 'root_hpa',
    name: 'root_hpa',
    match: ['root_hpa'],
    def: 'The top shadow table KVM loads into the real CR3 while the guest runs (one per guest address space). For a 32-bit or PAE guest it points to pae_root.',
    link: ident('root_hpa'),
  },
  {
    id: 'pae_root',
    name: 'pae_root[0..3]',
    match: ['pae_root'],
    def: 'For a 32-bit or PAE guest, KVM runs the CPU in PAE mode: the root is four PDPTE-like slots, each pointing to a shadow page directory for 1 GiB of the address space. For a 32-bit guest the four come from one guest page directory (quadrants 0-3); for a PAE guest each comes from a guest PDPTE, and is invalid where that PDPTE is not present.',
    link: fn('mmu_alloc_shadow_roots'),
  },
  {
    id: 'prev_roots',
    name: 'prev_roots',
    match: ['prev_roots'],
    def: 'A small cache (3 entries) of roots KVM used before, each with the guest CR3 it was for: when the guest switches back to that CR3, KVM reuses the cached root instead of building one again.',
    link: fn('cached_root_available'),
  },
  {
    id: 'root_count',
    name: 'root_count',
    match: ['root_count'],
    def: 'How many roots use this shadow page as their top table. A page with a root_count above 0 cannot be freed, even when zapped (it is marked invalid until its count drops to 0).',
    link: ident('root_count'),
  },
  {
    id: 'request',
    name: 'request (KVM_REQ_*)',
    match: ['KVM_REQ_MMU_RELOAD', 'KVM_REQ_MMU_SYNC', 'KVM_REQ_LOAD_MMU_PGD', 'KVM_REQ_TLB_FLUSH', 'KVM_REQ_TLB_FLUSH_CURRENT'],
    def: 'A note KVM leaves for the vCPU, acted on at the next VM entry: reload the roots, sync the unsync pages, load the new CR3\'s root, flush the TLB (all of it, or the current address space).',
    link: ident('kvm_make_request'),
  },
  // Fault handling
  {
    id: 'vm-exit',
    name: 'VM exit',
    match: ['VM exit'],
    def: 'The CPU stops running the guest and hands control to KVM, saying why (here: a page fault, a MOV to CR3, an INVLPG...).',
    link: fn('kvm_mmu_page_fault'),
  },
  {
    id: 'vm-entry',
    name: 'VM entry',
    match: ['VM entry'],
    def: 'KVM resumes the guest on the CPU. Before it, KVM acts on pending requests (load a root, flush the TLB...).',
    link: fn('vcpu_enter_guest'),
  },
  {
    id: 'pf',
    name: '#PF (page fault)',
    match: ['#PF'],
    def: 'The page-fault exception (vector 14): a translation was missing or forbidden. Without EPT every #PF the shadow tables raise exits to KVM, which decides whether it is its own (fix the shadow) or the guest\'s (inject it).',
    link: fn('kvm_mmu_page_fault'),
  },
  {
    id: 'error-code',
    name: '#PF error code',
    match: ['error code', 'error codes'],
    def: 'Bits the CPU reports with a page fault: P = the page was present (a rights problem, not a missing page), W = it was a write, U = it came from user mode, RSVD = a reserved bit was set, I/D = an instruction fetch. E.g. 0x6 = W+U on a missing page; 0x7 = W+U on a present page.',
    link: ident('PFERR_PRESENT_MASK'),
  },
  {
    id: 'gp',
    name: '#GP (general protection)',
    match: ['#GP', '#GP(0)'],
    def: 'The general-protection exception (vector 13): the guest did something the CPU forbids outright, for example loading an invalid value into a control register.',
    link: ident('kvm_inject_gp'),
  },
  {
    id: 'cr2',
    name: 'CR2',
    match: ['CR2'],
    def: 'The register where the CPU leaves the address (gva) of the last page fault, for the guest\'s fault handler.',
  },
  { id: 'ret-pf-fixed', name: 'RET_PF_FIXED', match: ['RET_PF_FIXED'], def: 'KVM\'s page-fault handler fixed the fault (installed an spte): the guest retries the access and it succeeds.', link: ident('RET_PF_FIXED') },
  { id: 'ret-pf-spurious', name: 'RET_PF_SPURIOUS', match: ['RET_PF_SPURIOUS'], def: 'The fault needed no fix: the spte KVM would install is already there (another path fixed it first). The guest just retries.', link: ident('RET_PF_SPURIOUS') },
  { id: 'ret-pf-emulate', name: 'RET_PF_EMULATE', match: ['RET_PF_EMULATE'], def: 'KVM cannot let the guest retry (a write to a write-tracked page table, or MMIO): it emulates the instruction instead.', link: ident('RET_PF_EMULATE') },
  { id: 'ret-pf-retry', name: 'RET_PF_RETRY', match: ['RET_PF_RETRY'], def: 'KVM returns to the guest without fixing anything: the guest runs the instruction again, which faults again if needed (also after injecting a fault into the guest).', link: ident('RET_PF_RETRY') },
  {
    id: 'inject',
    name: 'inject',
    match: ['inject', 'injected', 'injects'],
    def: 'KVM makes the guest see an exception (a #PF or #GP) as if its own CPU had raised it, because the guest\'s own rules forbid what it did.',
    link: fn('kvm_inject_emulated_page_fault'),
  },
  // Guest page-table entries by level
  { id: 'pte', name: 'PTE / PT', match: ['PTE', 'PTEs', 'PT'], def: 'Page-table entry: an entry of a level-1 table (a page table, PT). It maps one 4 KiB page.' },
  { id: 'pde', name: 'PDE / PD', match: ['PDE', 'PDEs', 'PD'], def: 'Page-directory entry: an entry of a level-2 table (a page directory, PD). It points to a page table, or (PS=1) maps a large page (4 MiB for a 32-bit guest, 2 MiB with PAE or in 64-bit).' },
  {
    id: 'pdpte',
    name: 'PDPTE / PDPT',
    match: ['PDPTE', 'PDPTEs', 'PDPT', 'PDPTE register', 'PDPTE registers'],
    def: 'Page-directory-pointer-table entry: level 3. A PAE guest has just 4, which the CPU loads into registers at MOV CR3 (so KVM reads them with load_pdptrs, not from memory at each walk); each covers 1 GiB. In 64-bit mode a PDPT has 512 entries in memory.',
    link: fn('load_pdptrs'),
  },
  { id: 'pml4e', name: 'PML4E / PML4', match: ['PML4E', 'PML4Es', 'PML4'], def: 'An entry of the level-4 table of a 64-bit guest (the top, loaded from CR3); each covers 512 GiB.' },
  // Control registers and TLB
  { id: 'cr0', name: 'CR0', match: ['CR0'], def: 'A control register: its PG bit turns paging on, its WP bit makes read-only pages read-only for the kernel too.', link: fn('kvm_set_cr0') },
  { id: 'pg', name: 'CR0.PG', match: ['CR0.PG', 'PG'], def: 'Paging on (1) or off (0). With paging off, guest addresses are physical (gva = gpa): KVM maps them with direct shadow pages.', link: fn('kvm_set_cr0') },
  {
    id: 'cr0-wp',
    name: 'CR0.WP',
    match: ['CR0.WP', 'WP'],
    def: 'Write protect: when 1, kernel (supervisor) code cannot write read-only pages either. When the guest clears it, KVM still runs the real CPU with WP=1 and instead gives kernel writes their own writable, supervisor-only sptes.',
    link: fn('kvm_set_cr0'),
  },
  {
    id: 'cr3',
    name: 'CR3',
    match: ['CR3', 'MOV CR3'],
    def: 'The register holding the (guest-physical) address of the guest\'s top page table. Loading it (MOV CR3) switches address spaces and flushes the TLB; KVM intercepts it to switch or sync its shadow roots.',
    link: fn('kvm_set_cr3'),
  },
  { id: 'cr4', name: 'CR4', match: ['CR4'], def: 'A control register with paging options: PSE (4 MiB pages), PAE (8-byte entries), SMEP, SMAP, PCIDE.', link: fn('kvm_set_cr4') },
  { id: 'cr4-pae', name: 'CR4.PAE', match: ['CR4.PAE', 'PAE'], def: 'Physical Address Extension: page-table entries are 8 bytes (512 per table) and a 32-bit address is split 2:9:9:12 through 4 PDPTEs. Shadow tables always use 8-byte entries.', link: fn('kvm_set_cr4') },
  { id: 'cr4-pse', name: 'CR4.PSE', match: ['CR4.PSE', 'PSE'], def: 'Page Size Extension: lets a 32-bit guest\'s PDE map a 4 MiB page directly (PS bit).', link: fn('kvm_set_cr4') },
  { id: 'smep', name: 'CR4.SMEP', match: ['SMEP'], def: 'Supervisor Mode Execution Prevention: kernel code may not execute user pages.', link: fn('kvm_set_cr4') },
  { id: 'smap', name: 'CR4.SMAP', match: ['SMAP'], def: 'Supervisor Mode Access Prevention: kernel code may not read or write user pages.', link: fn('kvm_set_cr4') },
  {
    id: 'pcid',
    name: 'PCID / CR4.PCIDE',
    match: ['PCID', 'PCIDE'],
    def: 'Process-context identifiers: with CR4.PCIDE on, the low 12 bits of CR3 tag TLB entries with an address-space number, so a CR3 switch need not flush other address spaces\' translations.',
    link: fn('kvm_invalidate_pcid'),
  },
  { id: 'efer', name: 'EFER', match: ['EFER'], def: 'Extended Feature Enable Register: LME/LMA (64-bit long mode enabled / active) and NX.' },
  { id: 'lme', name: 'EFER.LME / LMA', match: ['LME', 'LMA'], def: 'Long mode enabled (LME) and active (LMA, once paging is on): a 64-bit guest with 4-level page tables.' },
  { id: 'efer-nx', name: 'EFER.NX', match: ['EFER.NX', 'NX'], def: 'No-execute on: the guest may mark pages not executable (bit 63 of an 8-byte entry). KVM\'s shadow entries always use NX; the role records the guest\'s setting (nxe / !nxe).', link: ident('efer_nx') },
  {
    id: 'invlpg',
    name: 'INVLPG',
    match: ['INVLPG'],
    def: 'The instruction a guest runs after changing one page-table entry, to drop that address from the TLB. Without EPT it exits to KVM, which syncs the unsync shadow entry for that address.',
    link: fn('kvm_mmu_invlpg'),
  },
  {
    id: 'tlb-flush',
    name: 'TLB flush',
    match: ['TLB flush', 'TLB'],
    def: 'The TLB is the CPU\'s cache of translations. Flushing it makes the CPU walk the page tables again. Here the shadow tables are the only cached translations, so a flush is bookkeeping (counted in tlb_flush).',
    link: ident('kvm_vcpu_flush_tlb_all'),
  },
  {
    id: 'use-after-free',
    name: 'use-after-free',
    match: ['use-after-free'],
    def: 'A kernel bug: code reads or writes memory that has already been freed (here, a freed shadow page reached through a stale rmap entry).',
  },
  // The statistics are marked where they are listed (by id), not in running text: "emulated" and "hits" are plain words there.
  ...STATS.map(([name, def, link]): GlossaryTerm => (link ? { id: `stat-${name}`, name, match: [], def, link } : { id: `stat-${name}`, name, match: [], def })),
];

export const TERM_BY_ID: ReadonlyMap<string, GlossaryTerm> = new Map(TERMS.map((t) => [t.id, t]));

/** The terms in the glossary page's order: alphabetical, ignoring case and leading punctuation. */
export const TERMS_SORTED: readonly GlossaryTerm[] = [...TERMS].sort((a, b) => sortKey(a.name).localeCompare(sortKey(b.name)));

function sortKey(name: string): string {
  return name.replace(/^[^A-Za-z0-9]+/, '').toLowerCase();
}
