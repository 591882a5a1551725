/**
 * Named examples for rules of the core that no other test pinned (issue 17):
 * each was found by a deliberate bug that broke exactly that rule and still
 * passed the whole suite. Every test here fails under such a bug; the bug
 * used is named in a comment above it ("Breaks if ...").
 *
 * Scenarios are small hand-written `shadowpaging/v1` documents; run() audits
 * the state after every step (tests/run.ts). Kernel references are to Linux
 * 5.15 (arch/x86/kvm/mmu/) and to the Intel SDM volume 3A, chapter 4.
 */
import { describe, expect, it } from 'vitest';
import { RULE_SETS, type RuleSetName, type TraceEvent } from '../src/core/index.ts';
import { parse, run, type Run } from './run.ts';

// Page-fault error code bits (SDM 4.7).
const P = 0x1;
const W = 0x2;
const RSVD = 0x8;
const ID = 0x10;

type Doc = Record<string, unknown>;

function scenario(mode: 'x86-32' | 'pae' | 'x86-64' | 'off', memory: unknown[], steps: unknown[], guest: Doc = {}, host?: Doc): Doc {
  return {
    format: 'shadowpaging/v1',
    title: 'pin',
    guest: { mode, ...(mode === 'off' ? {} : { cr3: '0x1000' }), ...guest },
    ...(host ? { host } : {}),
    memory,
    steps,
  };
}

/**
 * A 4-level table chain for one gva: PML4 at 0x1000, PDPT at 0x2000, PD at
 * 0x3000, PT at 0x4000 (entries at index 0 of each unless given). `flags` are
 * the low 12 bits of the upper entries.
 */
const LONG_BASE = [
  { gpa: '0x1000', entries: { '0': '0x2007' } },
  { gpa: '0x2000', entries: { '0': '0x3007' } },
  { gpa: '0x3000', entries: { '0': '0x4007' } },
];

const step = (r: Run, i: number) => r.tl.results[i]!;
const eventsOf = <K extends TraceEvent['kind']>(r: Run, i: number, kind: K) =>
  step(r, i).events.filter((e): e is Extract<TraceEvent, { kind: K }> => e.kind === kind);
/** The guest's view of a step: what a guest (or a kvm-unit-test) could observe. */
const seen = (r: Run, i: number) => {
  const s = step(r, i);
  return s.vector !== undefined ? { fault: s.vector, errorCode: s.errorCode } : { gpa: s.gpa };
};
/** A guest entry in memory after the first n steps. */
const gpte = (r: Run, n: number, gpa: number, size: 4 | 8 = 8): string => {
  const v = r.tl.stateAt(n).mem.readEntry(gpa, size);
  return '0x' + (BigInt(v.hi) * 2n ** 32n + BigInt(v.lo)).toString(16);
};

// ---------------------------------------------------------------------------

describe('bit 12 (PAT) of a large-page entry is not reserved', () => {
  // SDM 4.4.2 / 4.5.4 (tables 4-9, 4-17, 4-18): bit 12 of a PDE or PDPTE that
  // maps a 2 MiB / 1 GiB page, and of a 4 MiB PDE (4.3, table 4-4), is PAT;
  // the address starts at bit 21 / 30 / 22. KVM: __reset_rsvds_bits_mask()
  // reserves bits 13-20 (2 MiB), 13-29 (1 GiB) and, for 32-bit PSE-36, 17-21,
  // never bit 12. The page's base is the entry's address bits aligned down, so
  // PAT does not leak into the gpa either (gpte_to_gfn_lvl).

  // Breaks if the 2 MiB mask in buildRsvdCheck (src/core/guest/walk.ts) is rsvdBits(12, 20).
  it('a 2 MiB page with PAT=1 maps (PAE and 4-level), and bit 13 there is reserved', () => {
    const pae = run(
      scenario(
        'pae',
        [
          { gpa: '0x1000', entries: { '0': '0x2001' } },
          // PDE 1: 2 MiB at gpa 0x200000, PAT=1; PDE 2: 2 MiB at 0x400000 with bit 13 set.
          { gpa: '0x2000', entries: { '1': '0x2010e7', '2': '0x4020e7' } },
        ],
        [
          { op: 'read', gva: '0x201234' },
          { op: 'read', gva: '0x401234' },
        ],
      ),
    );
    expect(seen(pae, 0)).toEqual({ gpa: '0x201234' });
    expect(seen(pae, 1)).toEqual({ fault: 14, errorCode: RSVD | P });
    const long = run(
      scenario(
        'x86-64',
        [
          { gpa: '0x1000', entries: { '0': '0x2027' } },
          { gpa: '0x2000', entries: { '0': '0x3027' } },
          { gpa: '0x3000', entries: { '1': '0x2010e7', '2': '0x4020e7' } },
        ],
        [
          { op: 'write', gva: '0x3ffff8', width: 8, value: '0x1' },
          { op: 'read', gva: '0x401234' },
        ],
      ),
    );
    expect(seen(long, 0)).toEqual({ gpa: '0x3ffff8' });
    expect(seen(long, 1)).toEqual({ fault: 14, errorCode: RSVD | P });
  });

  // Breaks if the 1 GiB mask in buildRsvdCheck is rsvdBits(12, 29).
  it('a 1 GiB page with PAT=1 maps (4-level)', () => {
    const r = run(
      scenario(
        'x86-64',
        [
          { gpa: '0x1000', entries: { '0': '0x2027' } },
          { gpa: '0x2000', entries: { '1': '0x400010e7' } },
        ],
        [{ op: 'read', gva: '0x7fff1238' }],
      ),
    );
    expect(seen(r, 0)).toEqual({ gpa: '0x7fff1238' });
  });

  // Breaks if the 32-bit 4 MiB mask in buildRsvdCheck is rsvdBits(12, 21).
  it('a 4 MiB page with PAT=1 maps (32-bit, CR4.PSE)', () => {
    const r = run(scenario('x86-32', [{ gpa: '0x1000', entries: { '1': '0x4010e7' } }], [{ op: 'read', gva: '0x7ff124' }]));
    expect(seen(r, 0)).toEqual({ gpa: '0x7ff124' });
  });
});

// ---------------------------------------------------------------------------

describe('A/D bits are set only where the SDM says', () => {
  // SDM 4.8: the processor sets A in every paging-structure entry it uses to
  // translate, and D only in the entry that maps the page, on a write. KVM:
  // FNAME(update_accessed_dirty_bits) walks from walker->max_level down to
  // walker->level, setting A everywhere and D only at walker->level for a
  // write fault (paging_tmpl.h).

  // Breaks if updateAccessedDirtyBits (src/core/guest/walk.ts) sets D at every
  // level of a write, or sets A only on the leaf.
  it('4-level, 4 KiB: a read sets A on all four entries; a write then sets D on the PTE only', () => {
    const r = run(
      scenario('x86-64', [...LONG_BASE, { gpa: '0x4000', entries: { '5': '0x9007' } }], [
        { op: 'read', gva: '0x5000' },
        { op: 'write', gva: '0x5000', width: 8, value: '0x1' },
      ]),
    );
    expect([gpte(r, 1, 0x1000), gpte(r, 1, 0x2000), gpte(r, 1, 0x3000), gpte(r, 1, 0x4028)]).toEqual(['0x2027', '0x3027', '0x4027', '0x9027']);
    expect(eventsOf(r, 0, 'kvm_mmu_set_accessed_bit').map((e) => e.level)).toEqual([4, 3, 2, 1]);
    expect(eventsOf(r, 0, 'kvm_mmu_set_dirty_bit')).toEqual([]);
    expect([gpte(r, 2, 0x1000), gpte(r, 2, 0x2000), gpte(r, 2, 0x3000), gpte(r, 2, 0x4028)]).toEqual(['0x2027', '0x3027', '0x4027', '0x9067']);
    expect(eventsOf(r, 1, 'kvm_mmu_set_dirty_bit')).toEqual([{ kind: 'kvm_mmu_set_dirty_bit', gpa: '0x4028', level: 1 }]);
  });

  it('a first write sets A on every level and D on the leaf only (4-level 2 MiB page, 32-bit 4 KiB page)', () => {
    const long = run(
      scenario(
        'x86-64',
        [
          { gpa: '0x1000', entries: { '0': '0x2007' } },
          { gpa: '0x2000', entries: { '0': '0x3007' } },
          { gpa: '0x3000', entries: { '1': '0x200087' } },
        ],
        [{ op: 'write', gva: '0x200010', width: 8, value: '0x1' }],
      ),
    );
    expect([gpte(long, 1, 0x1000), gpte(long, 1, 0x2000), gpte(long, 1, 0x3008)]).toEqual(['0x2027', '0x3027', '0x2000e7']);
    expect(eventsOf(long, 0, 'kvm_mmu_set_dirty_bit').map((e) => [e.gpa, e.level])).toEqual([['0x3008', 2]]);
    const x32 = run(
      scenario(
        'x86-32',
        [
          { gpa: '0x1000', entries: { '0': '0x2007' } },
          { gpa: '0x2000', entries: { '5': '0x9007' } },
        ],
        [{ op: 'write', gva: '0x5000', width: 4, value: '0x1' }],
      ),
    );
    expect([gpte(x32, 1, 0x1000, 4), gpte(x32, 1, 0x2014, 4)]).toEqual(['0x2027', '0x9067']);
  });

  it('PAE: the PDPTEs are registers and get no A bit; the PD and PT entries do', () => {
    const r = run(
      scenario(
        'pae',
        [
          { gpa: '0x1000', entries: { '0': '0x2001' } },
          { gpa: '0x2000', entries: { '0': '0x3007' } },
          { gpa: '0x3000', entries: { '5': '0x9007' } },
        ],
        [{ op: 'read', gva: '0x5000' }],
      ),
    );
    expect([gpte(r, 1, 0x1000), gpte(r, 1, 0x2000), gpte(r, 1, 0x3028)]).toEqual(['0x2001', '0x3027', '0x9027']);
  });
});

// ---------------------------------------------------------------------------

describe("the role's efer_nx", () => {
  // kvm_calc_mmu_role_common() (mmu.c, 5.15): role.base.efer_nx and cr0_wp are
  // set only `if (____is_cr0_pg(regs))`. With paging off the direct roots and
  // their children have efer_nx = 0 whatever EFER.NX says.

  // Breaks if baseRole (src/core/mmu/rules.ts) sets eferNx from EFER.NX alone.
  // 6.1's kvm_init_shadow_mmu() sets root_role.efer_nx = true, paging or not (tests/linux-6.1.test.ts).
  it.each(RULE_SETS.filter((r) => r !== 'linux-6.1'))('paging off with EFER.NX=1: every shadow page has efer_nx 0; paging on: 1 (%s)', (rules: RuleSetName) => {
    const r = run(
      scenario(
        'off',
        [
          { gpa: '0x1000', entrySize: 4, entries: { '0': '0x2027' } },
          { gpa: '0x2000', entrySize: 4, entries: { '5': '0x9027' } },
        ],
        [
          { op: 'read', gva: '0x123000' },
          { op: 'cr3', value: '0x1000' },
          { op: 'cr0', pg: true },
          { op: 'read', gva: '0x5000' },
        ],
        { efer: { nx: true } },
      ),
      rules,
    );
    const off = r.at(1).shadowPages;
    expect(off.length).toBeGreaterThan(4);
    expect(off.every((sp) => sp.role.direct && !sp.role.eferNx && !sp.role.cr0Wp)).toBe(true);
    // The roots come with the VM entry after MOV CR0 (step 2), their children with the read.
    const created = [2, 3].flatMap((i) => eventsOf(r, i, 'kvm_mmu_get_page')).filter((e) => e.created);
    expect(created.length).toBeGreaterThan(0);
    expect(created.every((e) => e.role.eferNx && e.role.cr0Wp)).toBe(true);
  });
});

// ---------------------------------------------------------------------------

describe('prefetch stops at the first invalid guest entry', () => {
  // FNAME(pte_prefetch) (paging_tmpl.h): for each of the 8 sptes around the
  // fault, skip the faulting one and present ones, and `break` as soon as
  // FNAME(prefetch_gpte) refuses a gpte (FNAME(prefetch_invalid_gpte): not
  // present, reserved bits, or A=0). Entries after it are not prefetched.
  const pt = (bad: string) => ({
    gpa: '0x4000',
    entries: { '0': '0x10027', '1': '0x11027', '2': '0x12027', '3': bad, '4': '0x14027', '5': '0x15027', '6': '0x16027', '7': '0x17027' },
  });

  // Breaks if ptePrefetch (src/core/mmu/fault.ts) goes on past a refused gpte (`continue` for `break`).
  it.each([
    ['not present', '0x13026'],
    ['not accessed', '0x13007'],
    ['a reserved bit (51)', '0x8000000013027'],
  ])('entry 3 %s: a fault at entry 0 prefetches entries 1 and 2 only', (_what, bad) => {
    const r = run(scenario('x86-64', [...LONG_BASE, pt(bad)], [{ op: 'read', gva: '0x0' }]));
    expect(eventsOf(r, 0, 'pte_prefetch').map((e) => e.indexes)).toEqual([[1, 2]]);
    const leaf = r.final.shadowPages.find((sp) => sp.gfn === '0x4' && sp.role.level === 1)!;
    expect(leaf.sptes.map((s) => s.index)).toEqual([0, 1, 2]);
  });

  it('with every neighbour valid, all seven are prefetched', () => {
    const r = run(scenario('x86-64', [...LONG_BASE, pt('0x13027')], [{ op: 'read', gva: '0x0' }]));
    expect(eventsOf(r, 0, 'pte_prefetch').map((e) => e.indexes)).toEqual([[1, 2, 3, 4, 5, 6, 7]]);
  });
});

// ---------------------------------------------------------------------------

describe('the cached-root lookup compares the role', () => {
  // __kvm_mmu_new_pgd() -> cached_root_available() (mmu.c, 5.15): a prev_roots
  // entry is reused only if is_root_usable(): same pgd and the root page's
  // role word equal to kvm_mmu_calc_root_page_role(), which is computed with
  // base_only = true. The extended role is not filled in then, so
  // smep_andnot_wp (and smap_andnot_wp) come out 0, while the roots built with
  // CR4.SMEP=1 and CR0.WP=0 have it 1: such a root never matches, and every
  // CR3 switch misses the cache. (PCIDs on: without them 5.15 frees every
  // prev root at each MOV CR3, see kvm_invalidate_pcid in src/core/step.ts.)
  const twoSpaces = (guest: Doc) =>
    scenario(
      'x86-64',
      [...LONG_BASE, { gpa: '0x4000', entries: { '5': '0x9027' } }, { gpa: '0x8000', entries: { '0': '0x2007' } }],
      [
        { op: 'read', gva: '0x5000' },
        { op: 'cr3', value: '0x8002' },
        { op: 'read', gva: '0x5000' },
        { op: 'cr3', value: '0x1001' },
      ],
      { ...guest, cr3: '0x1001', cr4: { pcide: true, ...(guest.cr4 as Doc | undefined) } },
    );

  it('CR3 A -> B -> A with SMEP off reuses A\'s root from prev_roots[0]', () => {
    const r = run(twoSpaces({}));
    expect(eventsOf(r, 3, 'cached_root_available')).toEqual([{ kind: 'cached_root_available', hit: true, prevIndex: 0 }]);
    expect(eventsOf(r, 3, 'kvm_mmu_get_page')).toEqual([]);
  });

  // Breaks if isRootUsable (src/core/mmu/roots.ts) stops comparing the role word.
  it('CR3 A -> B -> A with CR4.SMEP=1 and CR0.WP=0 misses: the role differs in smep_andnot_wp', () => {
    const r = run(twoSpaces({ cr0: { wp: false }, cr4: { smep: true } }));
    const rootA = r.at(1).roots[0]!;
    expect(r.at(1).shadowPages.find((sp) => sp.id === rootA)!.role.smepAndnotWp).toBe(true);
    // A's root is in prev_roots with its pgd, but the lookup refuses it; the
    // next VM entry finds the same page again through the hash instead.
    expect(r.at(3).prevRoots[0]).toEqual({ pgd: '0x1001', root: rootA });
    expect(eventsOf(r, 3, 'cached_root_available')).toEqual([{ kind: 'cached_root_available', hit: false, prevIndex: null }]);
    expect(eventsOf(r, 3, 'kvm_mmu_get_page').map((e) => [e.sp, e.created])).toEqual([[rootA, false]]);
  });
});

// ---------------------------------------------------------------------------

describe('zapped pages are freed only after the remote TLB flush', () => {
  // kvm_mmu_commit_zap_page() (mmu.c): kvm_flush_remote_tlbs() first, then
  // kvm_mmu_free_page() for each page on invalid_list. Another vCPU may still
  // walk a zapped page through a stale TLB entry until the flush.
  const flushedBeforeEveryFree = (events: readonly TraceEvent[]): boolean => {
    let flushed = false;
    for (const e of events) {
      if (e.kind === 'kvm_mmu_prepare_zap_page') flushed = false;
      else if (e.kind === 'kvm_flush_remote_tlbs') flushed = true;
      else if (e.kind === 'kvm_mmu_commit_zap_page' && e.freed.length > 0 && !flushed) return false;
    }
    return true;
  };

  // Breaks if kvmMmuCommitZapPage (src/core/mmu/pages.ts) frees without kvmFlushRemoteTlbs.
  it('zap-all: the remote flush comes after the last prepare_zap and before the pages are freed', () => {
    const r = run(
      scenario(
        'x86-32',
        [
          { gpa: '0x1000', entries: { '0': '0x2027' } },
          { gpa: '0x2000', entries: { '5': '0x9027' } },
        ],
        [{ op: 'read', gva: '0x5000' }, { op: 'zap-all' }],
      ),
    );
    const kinds = step(r, 1).events.map((e) => e.kind);
    // kvm_mmu_zap_all's own commit frees the level-1 page (the roots, still
    // loaded, are freed by the reload that follows, with a commit of their own).
    const commit = kinds.indexOf('kvm_mmu_commit_zap_page');
    const lastPrepare = kinds.slice(0, commit).lastIndexOf('kvm_mmu_prepare_zap_page');
    expect(eventsOf(r, 1, 'kvm_mmu_commit_zap_page')[0]!.freed.length).toBeGreaterThan(0);
    expect(lastPrepare).toBeGreaterThanOrEqual(0);
    expect(kinds.slice(lastPrepare, commit)).toContain('kvm_flush_remote_tlbs');
    expect(flushedBeforeEveryFree(step(r, 1).events)).toBe(true);
  });

  it('holds at every step of the built-ins that free pages (write flooding, the stale-child demo)', async () => {
    const { LIBRARY } = await import('../src/scenarios/library/index.ts');
    const { Timeline } = await import('../src/core/index.ts');
    let frees = 0;
    for (const id of ['pd-write-flooding', 'stale-child-uaf']) {
      for (const rules of RULE_SETS) {
        const tl = new Timeline(parse(LIBRARY.find((e) => e.id === id)!.json), rules);
        for (const res of tl.results) {
          frees += res.events.filter((e) => e.kind === 'kvm_mmu_commit_zap_page' && e.freed.length > 0).length;
          expect(flushedBeforeEveryFree(res.events), `${id} (${rules}) step ${res.index}`).toBe(true);
        }
      }
    }
    expect(frees).toBeGreaterThan(0);
  });
});

// ---------------------------------------------------------------------------

describe('the default guest RAM size', () => {
  // README and docs/scenario-format.md: without host.memoryMiB the guest has
  // 4096 MiB of RAM in one memslot at gpa 0 (SCENARIO_DEFAULTS.memslotFrames);
  // a gfn past it has no memslot, so KVM installs an MMIO spte and emulates.

  // Breaks if SCENARIO_DEFAULTS.memslotFrames (src/core/scenario.ts) or DEFAULT_MEMORY_MIB changes.
  it('is 4 GiB: the last page below 4 GiB is RAM, the first page at 4 GiB is MMIO', () => {
    const doc = scenario(
      'x86-64',
      [
        { gpa: '0x1000', entries: { '0': '0x2027' } },
        { gpa: '0x2000', entries: { '0': '0x3027' } },
        { gpa: '0x3000', entries: { '0': '0x4027' } },
        { gpa: '0x4000', entries: { '0': '0xfffff067', '1': '0x100000067' } },
      ],
      [
        { op: 'read', gva: '0x0' },
        { op: 'read', gva: '0x1000' },
      ],
    );
    expect(parse(doc).host.memslotFrames).toBe(0x10_0000);
    const r = run(doc);
    expect(step(r, 0)).toMatchObject({ outcome: 'shadow-fault', gpa: '0xfffff000' });
    expect(step(r, 1)).toMatchObject({ outcome: 'emulated', gpa: '0x100000000', value: '0xffffffffffffffff' });
    expect(eventsOf(r, 1, 'x86_emulate_instruction').map((e) => e.reason)).toEqual(['mmio']);
  });
});

// ---------------------------------------------------------------------------
// Five guest-walk rules that only a seeded random test caught before.

describe('guest walk: NX across levels', () => {
  // SDM 4.6.2: with IA32_EFER.NXE=1 an instruction fetch is allowed only if
  // XD=0 in every paging-structure entry used to translate it. KVM:
  // FNAME(walk_addr_generic) ANDs every entry with the NX bit inverted
  // (walk_nx_mask), so one XD anywhere on the path removes exec.

  // Breaks if walkAddr (src/core/guest/walk.ts) takes exec from the leaf only.
  it('XD in the PDE forbids a fetch through a PTE without XD; reads still work', () => {
    const r = run(
      scenario(
        'x86-64',
        [
          { gpa: '0x1000', entries: { '0': '0x2027' } },
          { gpa: '0x2000', entries: { '0': '0x3027' } },
          { gpa: '0x3000', entries: { '0': '0x8000000000004027', '1': '0x5027' } },
          { gpa: '0x4000', entries: { '5': '0x9027' } },
          { gpa: '0x5000', entries: { '5': '0xa027' } },
        ],
        [
          { op: 'fetch', gva: '0x5000' },
          { op: 'read', gva: '0x5000' },
          { op: 'fetch', gva: '0x205000' },
        ],
        { efer: { nx: true } },
      ),
    );
    expect(seen(r, 0)).toEqual({ fault: 14, errorCode: P | ID });
    expect(seen(r, 1)).toEqual({ gpa: '0x9000' });
    expect(seen(r, 2)).toEqual({ gpa: '0xa000' });
  });
});

describe('guest walk: SMEP', () => {
  // SDM 4.6.1: with CR4.SMEP=1 a supervisor-mode instruction fetch from a
  // user-mode page faults. KVM: update_permission_bitmask() (smepf).

  // Breaks if permissionFault (src/core/guest/walk.ts) drops the SMEP term.
  it('a supervisor fetch from a user page faults with P|I/D; from a supervisor page, and a user fetch, do not', () => {
    const r = run(
      scenario(
        'x86-32',
        [
          { gpa: '0x1000', entries: { '0': '0x2027' } },
          { gpa: '0x2000', entries: { '5': '0x9027', '6': '0xa023' } },
        ],
        [
          { op: 'fetch', gva: '0x5000' },
          { op: 'fetch', gva: '0x5000', user: true },
          { op: 'fetch', gva: '0x6000' },
        ],
        { cr4: { smep: true } },
      ),
    );
    expect(seen(r, 0)).toEqual({ fault: 14, errorCode: P | ID });
    expect(seen(r, 1)).toEqual({ gpa: '0x9000' });
    expect(seen(r, 2)).toEqual({ gpa: '0xa000' });
  });
});

describe('guest walk: SMAP', () => {
  // SDM 4.6.1: with CR4.SMAP=1 a supervisor-mode data access to a user-mode
  // page faults unless EFLAGS.AC=1 (explicit accesses). KVM:
  // update_permission_bitmask() (smapf) and permission_fault()'s override.

  // Breaks if permissionFault drops the SMAP term (or ignores EFLAGS.AC).
  it('a supervisor read or write of a user page faults with AC=0 and goes through with AC=1', () => {
    const r = run(
      scenario(
        'pae',
        [
          { gpa: '0x1000', entries: { '0': '0x2001' } },
          { gpa: '0x2000', entries: { '0': '0x3027' } },
          { gpa: '0x3000', entries: { '5': '0x9067' } },
        ],
        [
          { op: 'read', gva: '0x5008' },
          { op: 'write', gva: '0x5008', width: 8, value: '0x1' },
          { op: 'read', gva: '0x5008', ac: true },
          { op: 'read', gva: '0x5008', user: true },
        ],
        { cr4: { smap: true } },
      ),
    );
    expect(seen(r, 0)).toEqual({ fault: 14, errorCode: P });
    expect(seen(r, 1)).toEqual({ fault: 14, errorCode: P | W });
    expect(seen(r, 2)).toEqual({ gpa: '0x9008' });
    expect(seen(r, 3)).toEqual({ gpa: '0x9008' });
  });
});

describe('guest walk: the I/D bit of the error code', () => {
  // SDM 4.7: I/D is set for an instruction fetch only if CR4.SMEP=1 or
  // (PAE/4-level paging and IA32_EFER.NXE=1). KVM's FNAME(walk_addr_generic)
  // error path: `if (fetch_fault && (is_efer_nx(mmu) || is_cr4_smep(mmu)))`,
  // which also applies EFER.NXE to 32-bit paging (a 5.15 difference from the
  // SDM, kept on purpose; see the notes, section 2.2).
  const notPresent = (mode: 'x86-32' | 'pae', guest: Doc) =>
    run(
      scenario(
        mode,
        mode === 'pae' ? [{ gpa: '0x1000', entries: { '0': '0x2001' } }] : [],
        [
          { op: 'fetch', gva: '0x5000' },
          { op: 'write', gva: '0x5000', width: 4, value: '0x1' },
        ],
        guest,
      ),
    );

  // Breaks if walkAddr adds PFERR_FETCH_MASK to every fetch fault, or never.
  it.each([
    ['pae', {}, 0],
    ['pae', { efer: { nx: true } }, ID],
    ['pae', { cr4: { smep: true } }, ID],
    ['x86-32', {}, 0],
    ['x86-32', { efer: { nx: true } }, ID],
  ] as const)('%s %j: a fetch from a not-present page reports %i', (mode, guest, id) => {
    const r = notPresent(mode, guest);
    expect(seen(r, 0)).toEqual({ fault: 14, errorCode: id });
    expect(seen(r, 1)).toEqual({ fault: 14, errorCode: W });
  });
});

describe('guest walk: PS in a 32-bit PDE without CR4.PSE', () => {
  // SDM 4.3: with CR4.PSE=0 a 32-bit PDE always references a page table; its
  // PS bit is ignored. KVM: update_last_nonleaf_level() sets
  // last_nonleaf_level = PT32_ROOT_LEVEL + 1 only with CR4.PSE, so
  // FNAME(is_last_gpte) never ends a walk at a PDE without it.
  const doc = (pse: boolean) =>
    scenario(
      'x86-32',
      [
        { gpa: '0x1000', entries: { '1': '0x4000a7' } },
        { gpa: '0x400000', entries: { '2': '0x7027' } },
      ],
      [{ op: 'read', gva: '0x402010' }],
      { cr4: { pse } },
    );

  // Breaks if isLastGpte (src/core/guest/walk.ts) treats PS as a 4 MiB page without CR4.PSE.
  it('PSE=0: the PDE with PS=1 points at a page table; PSE=1: the same PDE maps 4 MiB', () => {
    const off = run(doc(false));
    expect(seen(off, 0)).toEqual({ gpa: '0x7010' });
    expect(eventsOf(off, 0, 'sim_walk_result').map((e) => e.level)).toEqual([1]);
    const on = run(doc(true));
    expect(seen(on, 0)).toEqual({ gpa: '0x402010' });
    expect(eventsOf(on, 0, 'sim_walk_result').map((e) => e.level)).toEqual([2]);
  });
});
