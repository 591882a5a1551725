/**
 * The teaching scenarios of the kernel notes (section 12), each checked
 * against what 5.15 does, with the audit run after every step.
 */
import { describe, expect, it } from 'vitest';
import { kinds, run, spsOf } from './run.ts';

const x86_32 = (memory: unknown[], steps: unknown[], extra: Record<string, unknown> = {}) => ({
  format: 'shadowpaging/v1',
  title: 't',
  guest: { mode: 'x86-32', cr3: '0x1000', ...((extra.guest as object) ?? {}) },
  ...(extra.host ? { host: extra.host } : {}),
  memory,
  steps,
});

describe('four PAE roots for one 32-bit page directory', () => {
  const s = x86_32(
    [
      { gpa: '0x1000', entries: { '0': '0x10027', '256': '0x11027', '512': '0x12027', '768': '0x13027' } },
      { gpa: '0x10000', entries: { '0': '0x20027' } },
      { gpa: '0x11000', entries: { '0': '0x21027' } },
      { gpa: '0x12000', entries: { '0': '0x22027' } },
      { gpa: '0x13000', entries: { '0': '0x23027' } },
    ],
    [
      { op: 'read', gva: '0x00000000' },
      { op: 'read', gva: '0x40000000' },
      { op: 'read', gva: '0x80000000' },
      { op: 'read', gva: '0xC0000000' },
    ],
  );
  it('allocates four level-2 roots of the same gfn with quadrants 0-3 on the first entry', () => {
    const r = run(s);
    const init = r.at(0);
    expect(init.roots).toHaveLength(4);
    const roots = init.roots.map((id) => init.shadowPages.find((sp) => sp.id === id)!);
    expect(roots.map((sp) => [sp.gfn, sp.role.level, sp.role.quadrant, sp.role.gpteIs8Bytes, sp.rootCount])).toEqual([
      ['0x1', 2, 0, false, 1],
      ['0x1', 2, 1, false, 1],
      ['0x1', 2, 2, false, 1],
      ['0x1', 2, 3, false, 1],
    ]);
    expect(r.tl.initialEvents.filter((e) => e.kind === 'kvm_mmu_get_page').length).toBe(4);
  });
  it('each access builds one level-1 page (quadrant 0) under root i at index 0', () => {
    const r = run(s);
    for (let i = 0; i < 4; i++) {
      expect(r.tl.results[i]!.outcome).toBe('shadow-fault');
      const root = r.final.shadowPages.find((sp) => sp.id === r.final.roots[i])!;
      expect(root.sptes.map((e) => e.index)).toEqual([0]);
      const child = r.final.shadowPages.find((sp) => sp.id === root.sptes[0]!.child)!;
      expect(child.gfn).toBe(`0x${(0x10 + i).toString(16)}`);
      expect(child.role.quadrant).toBe(0);
      expect(child.role.level).toBe(1);
    }
  });
});

describe('two shadow PTs (quadrant 0 and 1) for one guest page table', () => {
  const s = x86_32(
    [
      { gpa: '0x1000', entries: { '769': '0x3027' } },
      { gpa: '0x3000', entries: { '3': '0x5027', '515': '0x6027' } },
    ],
    [
      { op: 'read', gva: '0xC0403123' },
      { op: 'read', gva: '0xC0603123' },
    ],
  );
  for (const rules of ['before', 'seed', 'merged'] as const) {
    it(`gives the guest PT two children of root q3 at indexes 2 and 3 (${rules})`, () => {
      const r = run(s, rules);
      const pts = spsOf(r.final, '0x3');
      expect(pts.map((sp) => [sp.role.level, sp.role.quadrant, sp.parents])).toEqual([
        [1, 0, [{ sp: r.final.roots[3], index: 2 }]],
        [1, 1, [{ sp: r.final.roots[3], index: 3 }]],
      ]);
      expect(pts.map((sp) => sp.sptes.map((e) => [e.index, e.gfn]))).toEqual([[[3, '0x5']], [[3, '0x6']]]);
      const formulas = r.tl.results[1]!.events.filter((e) => e.kind === 'sim_compute_role').map((e) => (e as { quadrantFormula: string }).quadrantFormula);
      expect(formulas).toEqual([rules === 'before' ? '(gaddr 0xc0603123 >> 21) & 1 = 1' : 'parent index 3 % 2 = 1']);
    });
  }
});

describe('a 4 MiB PSE page shadowed by direct pages', () => {
  const pse = (hugePages: boolean) =>
    x86_32(
      [{ gpa: '0x1000', entries: { '769': '0x124000e7' } }],
      [
        { op: 'read', gva: '0xC0403123' },
        { op: 'read', gva: '0xC0603123' },
      ],
      { host: { hugePages } },
    );
  it.each([
    ['before', true],
    ['seed', false],
    ['merged', false],
  ] as const)('host 4K: two direct level-1 pages, gfn 0x12400 q0 and 0x12600 q1 (%s: 8-byte = %s)', (rules, g8) => {
    const r = run(pse(false), rules);
    const direct = r.final.shadowPages.filter((sp) => sp.role.direct);
    expect(direct.map((sp) => [sp.gfn, sp.role.level, sp.role.quadrant, sp.role.gpteIs8Bytes, sp.role.access])).toEqual([
      ['0x12400', 1, 0, g8, 7],
      ['0x12600', 1, 1, g8, 7],
    ]);
    // The leaf at index 3 maps gfn 0x12403, and prefetch fills the rest of its group of 8.
    expect(direct[0]!.sptes.find((e) => e.index === 3)!.gfn).toBe('0x12403');
    expect(r.final.shadowPages.filter((sp) => !sp.role.direct && sp.role.level === 1)).toEqual([]);
  });
  it('host 2M: two 2 MiB leaves at root q3 entries 2 and 3, no child pages', () => {
    const r = run(pse(true));
    expect(r.final.shadowPages.filter((sp) => sp.role.level === 1)).toEqual([]);
    const root = r.final.shadowPages.find((sp) => sp.id === r.final.roots[3])!;
    expect(root.sptes.map((e) => [e.index, e.gfn, e.flags.includes('PS')])).toEqual([
      [2, '0x12400', true],
      [3, '0x12600', true],
    ]);
    expect(r.final.stats.pages_2m).toBe(2);
  });
});

/** PD at 0x1000; PDE 0 -> PT 0x2000 (PTE 5 maps gva 0x5000 -> gfn 0x10); PDE 1 -> PT 0x3000 whose PTE 0 is a writable window on gfn 2. */
const windowScenario = (steps: unknown[]) =>
  x86_32(
    [
      { gpa: '0x1000', entries: { '0': '0x2027', '1': '0x3027' } },
      { gpa: '0x2000', entries: { '5': '0x10027' } },
      { gpa: '0x3000', entries: { '0': '0x2067', '1': '0x1067' } },
    ],
    steps,
  );

describe('a guest writing its own page table: unsync, stale translation, invlpg, sync', () => {
  const s = windowScenario([
    { op: 'read', gva: '0x5000' },
    { op: 'write', gva: '0x400014', value: '0x11027' },
    { op: 'read', gva: '0x5000' },
    { op: 'invlpg', gva: '0x5000' },
    { op: 'read', gva: '0x5000' },
    { op: 'write', gva: '0x400014', value: '0x12027' },
    { op: 'cr3', value: '0x1000' },
    { op: 'read', gva: '0x5000' },
  ]);
  it('unsyncs the level-1 page instead of emulating, and serves the stale spte until invlpg', () => {
    const r = run(s);
    expect(r.tl.results.map((x) => x.outcome)).toEqual(['shadow-fault', 'shadow-fault', 'hit', 'done', 'hit', 'hit', 'done', 'shadow-fault']);
    expect(kinds(r.tl, 1)).toContain('kvm_mmu_unsync_page');
    expect(kinds(r.tl, 1)).toContain('mark_unsync');
    expect(spsOf(r.at(2), '0x2')[0]!.unsync).toBe(true);
    // The stale read: the guest changed PTE 5, the shadow still maps the old frame.
    expect(r.tl.results[2]!.gpa).toBe('0x10000');
    // invlpg re-reads that one gpte (FNAME(update_pte)): the next read hits the new frame.
    expect(r.tl.results[3]!.events.find((e) => e.kind === 'invlpg')).toMatchObject({ resynced: { index: 5 } });
    expect(r.tl.results[4]!.gpa).toBe('0x11000');
    // Writes through the window now run natively.
    expect(r.tl.results[5]!.outcome).toBe('hit');
    // MOV CR3 syncs: the page is write-protected again and in sync with PTE 5 = 0x12027.
    expect(kinds(r.tl, 6)).toEqual(expect.arrayContaining(['kvm_mmu_sync_roots', 'mmu_sync_children', 'rmap_write_protect', 'kvm_mmu_sync_page', 'sync_page']));
    // PTE 5 now maps another frame, so sync_page drops it; with no present
    // entry left, kvm_sync_page zaps the page and the next access rebuilds it.
    expect(r.tl.results[6]!.events.find((e) => e.kind === 'sync_page')).toMatchObject({ nrPresent: 0, zap: true });
    expect(spsOf(r.at(7), '0x2')).toEqual([]);
    const after = spsOf(r.at(8), '0x2')[0]!;
    expect(after.unsync).toBe(false);
    expect(r.tl.results[7]!.gpa).toBe('0x12000');
    expect(r.final.stats.mmu_unsync).toBe(0);
  });
});

describe('a guest writing its page directory: emulation, write flooding', () => {
  it('emulates writes to a write-tracked PD and zaps exactly the two shadow PDEs of a guest PDE', () => {
    const r = run(
      windowScenario([
        { op: 'read', gva: '0x5000' },
        { op: 'write', gva: '0x401000', value: '0x2027', width: 4 },
      ]),
    );
    expect(r.tl.results[1]!.outcome).toBe('emulated');
    const ev = r.tl.results[1]!.events;
    expect(ev.map((e) => e.kind)).toEqual(expect.arrayContaining(['x86_emulate_instruction', 'kvm_mmu_pte_write', 'get_written_sptes']));
    // PDE 0 at offset 0: quadrant 0 root, shadow PDEs 0 and 1.
    const written = ev.filter((e) => e.kind === 'get_written_sptes') as Array<{ sp: number; indexes: readonly number[] }>;
    expect(written.find((w) => w.sp === r.final.roots[0])!.indexes).toEqual([0, 1]);
    expect(written.filter((w) => w.sp !== r.final.roots[0]).every((w) => w.indexes.length === 0)).toBe(true);
    expect(r.final.stats.mmu_pte_write).toBe(1);
    expect(r.final.writeTracked).toContain('0x1');
  });
  it('zaps a page directory after three emulated writes with no use in between', () => {
    const r = run(
      windowScenario([
        { op: 'read', gva: '0x5000' },
        { op: 'write', gva: '0x401800', value: 0 },
        { op: 'write', gva: '0x401804', value: 0 },
        { op: 'write', gva: '0x401808', value: 0 },
      ]),
    );
    expect(r.tl.results.slice(1).map((x) => x.outcome)).toEqual(['emulated', 'emulated', 'emulated']);
    const counts = r.tl.results.slice(1).flatMap((x) => x.events.filter((e) => e.kind === 'detect_write_flooding')) as Array<{ sp: number; count: number; flooded: boolean }>;
    // Roots q1..q3 are never on the window's shadow path, so nothing resets their count.
    expect(counts.filter((c) => c.flooded).length).toBeGreaterThan(0);
    expect(r.final.stats.mmu_flooded).toBeGreaterThan(0);
  });
});

describe('dirty-bit emulation', () => {
  it('maps a clean writable page read-only, and the first write sets D in the guest PTE', () => {
    const r = run(
      x86_32(
        [
          { gpa: '0x1000', entries: { '0': '0x2027' } },
          { gpa: '0x2000', entries: { '5': '0x10023' } },
        ],
        [
          { op: 'read', gva: '0x5000' },
          { op: 'write', gva: '0x5000', value: 1 },
          { op: 'write', gva: '0x5004', value: 2 },
        ],
      ),
    );
    const pt = () => spsOf(r.final, '0x2')[0]!;
    expect(r.at(1).shadowPages.find((sp) => sp.gfn === '0x2')!.sptes[0]!.flags).not.toContain('W');
    expect(r.tl.results.map((x) => x.outcome)).toEqual(['shadow-fault', 'shadow-fault', 'hit']);
    expect(kinds(r.tl, 1)).toContain('kvm_mmu_set_dirty_bit');
    expect(pt().sptes.find((e) => e.index === 5)!.flags).toContain('W');
  });
});

describe('CR0.WP=0: a supervisor write to a read-only user page', () => {
  it('makes the spte writable but supervisor-only; a user read then rebuilds it', () => {
    const r = run(
      x86_32(
        [
          { gpa: '0x1000', entries: { '0': '0x2027' } },
          { gpa: '0x2000', entries: { '5': '0x10065' } },
        ],
        [
          { op: 'write', gva: '0x5000', value: 7 },
          { op: 'read', gva: '0x5000', user: true },
          { op: 'write', gva: '0x5000', user: true },
        ],
        { guest: { cr0: { wp: false } } },
      ),
    );
    expect(r.tl.results.map((x) => [x.outcome, x.errorCode])).toEqual([
      ['shadow-fault', undefined],
      ['shadow-fault', undefined],
      ['guest-fault', 7],
    ]);
    expect(kinds(r.tl, 0)).toContain('sim_cr0_wp_adjust');
    const spte = (n: number) => r.at(n).shadowPages.find((sp) => sp.gfn === '0x2')!.sptes.find((e) => e.index === 5)!.flags;
    expect(spte(1)).toMatch(/W/);
    expect(spte(1)).not.toMatch(/U/);
    expect(spte(2)).toMatch(/U/);
    expect(spte(2)).not.toMatch(/W/);
    expect(r.final.shadowPages[0]!.role.cr0Wp).toBe(false);
  });
});

describe('guest #PF injection', () => {
  const base = (guest: Record<string, unknown>, memory: unknown[], steps: unknown[]) => ({
    format: 'shadowpaging/v1',
    title: 't',
    guest: { cr3: '0x1000', ...guest },
    memory,
    steps,
  });
  it('injects not-present, user, reserved, NX and SMEP faults with their error codes and no shadow change', () => {
    const r = run(
      base(
        { mode: 'pae', efer: { nx: true }, cr4: { smep: true } },
        [
          { gpa: '0x1000', entries: { '0': '0x2001' } },
          { gpa: '0x2000', entries: { '0': '0x3027', '1': '0x4027' } },
          { gpa: '0x3000', entries: { '1': '0x10023', '2': '0x8000000000011027', '3': '0x8000000000012027', '4': '0x13027' } },
          { gpa: '0x4000', entries: { '0': '0x0008000000014027' } },
        ],
        [
          { op: 'read', gva: '0x5000' },
          { op: 'read', gva: '0x1000', user: true },
          { op: 'fetch', gva: '0x2000' },
          { op: 'write', gva: '0x3000', user: true },
          { op: 'fetch', gva: '0x4000' },
          { op: 'read', gva: '0x200000' },
          { op: 'read', gva: '0x40000000' },
        ],
      ),
    );
    expect(r.tl.results.map((x) => [x.outcome, x.errorCode])).toEqual([
      ['guest-fault', 0x0],
      ['guest-fault', 0x5],
      ['guest-fault', 0x11],
      ['shadow-fault', undefined],
      ['guest-fault', 0x11],
      ['guest-fault', 0x9],
      ['guest-fault', 0x0],
    ]);
    expect(r.final.stats.pf_guest).toBe(6);
  });
});

describe('CR3 switches', () => {
  const proc = (pcide: boolean) => ({
    format: 'shadowpaging/v1',
    title: 't',
    guest: { mode: 'x86-64', cr3: '0xA000', cr4: { pcide } },
    memory: [
      { gpa: '0xA000', entries: { '0': '0xC027' } },
      { gpa: '0xB000', entries: { '0': '0xC027' } },
      { gpa: '0xC000', entries: { '0': '0xD027' } },
      { gpa: '0xD000', entries: { '0': '0xE027' } },
      { gpa: '0xE000', entries: { '0': '0x10027' } },
    ],
    steps: [
      { op: 'read', gva: '0x0' },
      { op: 'cr3', value: pcide ? '0xB002' : '0xB000' },
      { op: 'read', gva: '0x0' },
      { op: 'cr3', value: pcide ? '0xA001' : '0xA000' },
    ],
  });
  it('with PCIDs, switching back finds the previous root in prev_roots', () => {
    const r = run({ ...proc(true), guest: { ...proc(true).guest, cr3: '0xA001' } });
    const hits = (n: number) => r.tl.results[n]!.events.filter((e) => e.kind === 'cached_root_available');
    expect(hits(1)).toEqual([{ kind: 'cached_root_available', hit: false, prevIndex: null }]);
    expect(hits(3)).toEqual([{ kind: 'cached_root_available', hit: true, prevIndex: 0 }]);
    expect(kinds(r.tl, 3)).not.toContain('kvm_mmu_get_page');
    expect(r.final.prevRoots[0]!.pgd).toBe('0xb002');
  });
  it('without PCIDs every MOV CR3 frees the previous roots (5.15), and the reload finds pages in the hash', () => {
    const r = run(proc(false));
    expect(kinds(r.tl, 3)).toContain('kvm_mmu_free_roots');
    const gets = r.tl.results[3]!.events.filter((e) => e.kind === 'kvm_mmu_get_page') as Array<{ created: boolean }>;
    expect(gets.map((g) => g.created)).toEqual([false]);
    expect(r.final.prevRoots.every((p) => p.root === null || p.pgd === '0xb000')).toBe(true);
  });
  it('a 32-bit guest drops its four roots on every CR3 write and finds them again', () => {
    const r = run(
      x86_32(
        [{ gpa: '0x1000', entries: {} }, { gpa: '0x4000', entries: {} }],
        [
          { op: 'cr3', value: '0x4000' },
          { op: 'cr3', value: '0x1000' },
        ],
      ),
    );
    const gets = r.tl.results[1]!.events.filter((e) => e.kind === 'kvm_mmu_get_page') as Array<{ created: boolean }>;
    expect(gets.map((g) => g.created)).toEqual([false, false, false, false]);
    expect(r.final.shadowPages).toHaveLength(8);
  });
});

describe('a recursive (self-mapped) page directory', () => {
  it('shadows the PD gfn as level-2 roots and level-1 pages; writes through the self-map are emulated', () => {
    const r = run(
      x86_32(
        [
          { gpa: '0x1000', entries: { '0': '0x2027', '1023': '0x1027' } },
          { gpa: '0x2000', entries: { '5': '0x10027' } },
        ],
        [
          { op: 'read', gva: '0xFFFFF000' },
          { op: 'write', gva: '0xFFFFF004', value: '0x3027' },
        ],
      ),
    );
    const pd = spsOf(r.final, '0x1');
    expect(pd.filter((sp) => sp.role.level === 2)).toHaveLength(4);
    expect(pd.some((sp) => sp.role.level === 1)).toBe(true);
    expect(pd.every((sp) => !sp.unsync)).toBe(true);
    expect(r.tl.results[1]!.outcome).toBe('emulated');
  });
});

describe('a PAE guest with a non-present PDPTE', () => {
  it('leaves pae_root[1] invalid, injects a not-present #PF, and a new CR3 rebuilds the roots', () => {
    const r = run({
      format: 'shadowpaging/v1',
      title: 't',
      guest: { mode: 'pae', cr3: '0x1000' },
      memory: [
        { gpa: '0x1000', entries: { '0': '0x2001' } },
        { gpa: '0x2000', entries: {} },
        { gpa: '0x3000', entries: {} },
        { gpa: '0x5000', entries: { '0': '0x2001', '1': '0x3001' } },
      ],
      steps: [
        { op: 'read', gva: '0x40000000' },
        { op: 'cr3', value: '0x5000' },
        { op: 'read', gva: '0x40000000' },
      ],
    });
    expect(r.at(0).roots).toEqual([0, null, null, null]);
    expect(r.tl.results[0]).toMatchObject({ outcome: 'guest-fault', errorCode: 0 });
    expect(r.at(2).roots.filter((x) => x !== null)).toHaveLength(2);
    expect(r.tl.results[2]!.outcome).toBe('guest-fault');
  });
});

describe('the same guest table reached with different access', () => {
  it('gets two level-1 pages with the same gfn and quadrant but different role.access', () => {
    const r = run(
      x86_32(
        [
          { gpa: '0x1000', entries: { '0': '0x2027', '1': '0x2023' } },
          { gpa: '0x2000', entries: { '0': '0x10027' } },
        ],
        [
          { op: 'read', gva: '0x0' },
          { op: 'read', gva: '0x400000' },
        ],
      ),
    );
    const pts = spsOf(r.final, '0x2');
    expect(pts.map((sp) => [sp.role.quadrant, sp.notation.split(' ').slice(5, 6)[0]])).toEqual([
      [0, 'wux'],
      [0, 'w-x'],
    ]);
  });
});

describe('paging off', () => {
  it.each([
    ['before', [0, 0, 0, 0], true],
    ['seed', [0, 1, 2, 3], false],
    ['merged', [0, 0, 0, 0], true],
  ] as const)('builds four direct roots (%s: quadrants %j, 8-byte %s)', (rules, quadrants, g8) => {
    const r = run({ format: 'shadowpaging/v1', title: 't', guest: { mode: 'off' }, steps: [{ op: 'read', gva: '0x12345' }] }, rules);
    const roots = r.final.roots.map((id) => r.final.shadowPages.find((sp) => sp.id === id)!);
    expect(roots.map((sp) => sp.role.quadrant)).toEqual(quadrants);
    expect(roots.every((sp) => sp.role.direct && sp.role.gpteIs8Bytes === g8)).toBe(true);
    expect(roots.map((sp) => sp.gfn)).toEqual(['0x0', '0x40000', '0x80000', '0xc0000']);
    expect(r.tl.results[0]!.outcome).toBe('shadow-fault');
  });
});

describe('misaligned writes to a shadowed table', () => {
  const s = (width: number, offset: number) =>
    windowScenario([
      { op: 'read', gva: '0x5000' },
      { op: 'write', gva: '0x400000', value: '0x2027' },
      { op: 'write', gva: `0x${(0x401000 + offset).toString(16)}`, value: 0, width },
    ]);
  it('zaps the whole page directory shadow on a 2-byte write into a PDE', () => {
    const r = run(s(2, 0));
    const ev = r.tl.results[2]!.events;
    expect(ev.filter((e) => e.kind === 'detect_write_misaligned')).toHaveLength(4);
    const zaps = ev.filter((e) => e.kind === 'kvm_mmu_prepare_zap_page') as Array<{ reason: string }>;
    expect(zaps.filter((z) => z.reason === 'misaligned write')).toHaveLength(4);
    // They are active roots: zapping marks them invalid and asks for a reload,
    // which frees them (root_count 0) and builds four new roots.
    expect(kinds(r.tl, 2)).toEqual(expect.arrayContaining(['kvm_make_request', 'kvm_mmu_free_roots', 'kvm_mmu_load']));
    expect(zaps.filter((z) => z.reason.startsWith('last reference'))).toHaveLength(4);
    expect(r.final.roots.every((id) => id !== null && id >= 6)).toBe(true);
    expect(ev.some((e) => e.kind === 'get_written_sptes')).toBe(false);
  });
  it('tolerates a 1-byte write at the start of an entry (andb clearing a flag)', () => {
    const r = run(s(1, 4));
    const ev = r.tl.results[2]!.events;
    expect(ev.some((e) => e.kind === 'detect_write_misaligned')).toBe(false);
    expect(ev.filter((e) => e.kind === 'get_written_sptes')).toHaveLength(4);
  });
  it('zaps on an 8-byte write that straddles two 4-byte PDEs', () => {
    const r = run(s(8, 4));
    expect(r.tl.results[2]!.events.filter((e) => e.kind === 'detect_write_misaligned')).toHaveLength(4);
  });
});

describe('MMIO', () => {
  it('installs an MMIO spte on the first access; later ones go straight to the emulator, which checks the guest permissions', () => {
    const r = run(
      x86_32(
        [
          { gpa: '0x1000', entries: { '0': '0x2027' } },
          { gpa: '0x2000', entries: { '1': '0xFEE00027' } },
        ],
        [
          { op: 'read', gva: '0x1000' },
          { op: 'read', gva: '0x1004' },
        ],
        { host: { memoryMiB: 256 } },
      ),
    );
    expect(r.tl.results.map((x) => x.outcome)).toEqual(['emulated', 'emulated']);
    expect(kinds(r.tl, 0)).toContain('mark_mmio_spte');
    const k = kinds(r.tl, 1);
    expect(k).toContain('handle_mmio_page_fault');
    // No FNAME(page_fault): the only walk is the emulator's own, after x86_emulate_instruction.
    expect(k.indexOf('x86_emulate_instruction')).toBeLessThan(k.indexOf('kvm_mmu_pagetable_walk'));
    expect(k).not.toContain('kvm_mmu_get_page');
    expect(r.tl.results[1]!.events.find((e) => e.kind === 'kvm_page_fault')).toMatchObject({ errorCode: 9 });
  });
});

describe('large pages and shadowed tables', () => {
  it('maps a guest 2 MiB page with 4 KiB sptes when it contains one of the guest page tables', () => {
    const pae = (withTable: boolean) => ({
      format: 'shadowpaging/v1',
      title: 't',
      guest: { mode: 'pae', cr3: '0x1000' },
      host: { hugePages: true },
      memory: [
        { gpa: '0x1000', entries: { '0': '0x2001' } },
        // PDE 1: a 2 MiB page at 0x200000; PDE 2: a page table that lives inside it (or not).
        { gpa: '0x2000', entries: { '1': '0x2000e7', '2': withTable ? '0x201027' : '0x3027' } },
        { gpa: withTable ? '0x201000' : '0x3000', entries: { '0': '0x10027' } },
      ],
      steps: [
        { op: 'read', gva: '0x400000' },
        { op: 'read', gva: '0x200000' },
      ],
    });
    const free = run(pae(false));
    expect(free.final.shadowPages.find((sp) => sp.id === free.final.roots[0])!.sptes.find((e) => e.index === 1)!.flags).toContain('PS');
    const blocked = run(pae(true));
    const root = blocked.final.shadowPages.find((sp) => sp.id === blocked.final.roots[0])!;
    const e1 = root.sptes.find((e) => e.index === 1)!;
    expect(e1.child).toBeDefined();
    const direct = blocked.final.shadowPages.find((sp) => sp.id === e1.child)!;
    expect(direct.role.direct).toBe(true);
    expect(direct.gfn).toBe('0x200');
  });
});

describe('regressions from the source review', () => {
  it('a hit through a 2 MiB spte lands at the full offset inside the large page', () => {
    const r = run({
      format: 'shadowpaging/v1',
      title: 't',
      guest: { mode: 'pae', cr3: '0x1000' },
      host: { hugePages: true },
      memory: [
        { gpa: '0x1000', entries: { '0': '0x2001' } },
        { gpa: '0x2000', entries: { '1': '0x2000e7' } },
      ],
      steps: [
        { op: 'write', gva: '0x205010', value: '0xdeadbeef', width: 4 },
        { op: 'read', gva: '0x205010' },
      ],
    });
    expect(r.tl.results.map((x) => [x.outcome, x.gpa])).toEqual([
      ['shadow-fault', '0x205010'],
      ['hit', '0x205010'],
    ]);
    expect(r.tl.results[1]!.value).toBe('0xdeadbeef');
  });
  it('direct prefetch fills only runs closed by a present spte or the faulting one (__direct_pte_prefetch)', () => {
    const off = (gva: string) => run({ format: 'shadowpaging/v1', title: 't', guest: { mode: 'off' }, steps: [{ op: 'read', gva }] });
    const leaves = (r: ReturnType<typeof off>) => r.final.shadowPages.filter((sp) => sp.role.level === 1).flatMap((sp) => sp.sptes.map((e) => e.index));
    expect(leaves(off('0x0'))).toEqual([0]);
    expect(leaves(off('0x3000'))).toEqual([0, 1, 2, 3]);
  });
  it('a protection fault injected through an unsync page re-reads that gpte first (kvm_inject_emulated_page_fault)', () => {
    const r = run(
      windowScenario([
        { op: 'read', gva: '0x5000' },
        { op: 'write', gva: '0x400014', value: '0x10025' },
        { op: 'write', gva: '0x5000', value: 1 },
      ]),
    );
    expect(r.tl.results[2]).toMatchObject({ outcome: 'guest-fault', errorCode: 3 });
    expect(r.tl.results[2]!.events.map((e) => e.kind)).toEqual(expect.arrayContaining(['invlpg', 'kvm_inject_page_fault']));
  });
});
