/**
 * Minimal reproductions of core bugs found by the property tests, marked
 * `it.fails`: each asserts the correct behaviour and currently fails. When a
 * fix lands the test starts passing, vitest reports the `it.fails` as an
 * error, and the bug's name should come out of KNOWN_BUGS
 * (tests/shadow-check.ts) so the properties check it again.
 *
 * Also here: behaviours that look wrong against the SDM but are what Linux
 * 5.15 does, asserted as such (these pass), so nobody "fixes" them by mistake.
 */
import { describe, expect, it } from 'vitest';
import { type Scenario, type StepResult, Timeline } from '../src/core/index.ts';
import { parseScenario } from '../src/scenarios/schema.ts';
import { envOf, referenceAccess } from './reference-walk.ts';
import { checkScenario } from './shadow-check.ts';

function load(doc: unknown): Scenario {
  const r = parseScenario(doc);
  if (!r.ok) throw new Error(`${r.error.path}: ${r.error.message}`);
  return r.scenario;
}

const run = (doc: unknown, rules: 'before' | 'seed' | 'merged' = 'seed'): { t: Timeline; r: readonly StepResult[] } => {
  const t = new Timeline(load(doc), rules);
  return { t, r: t.results };
};

const view = (r: StepResult): Record<string, unknown> => ({ outcome: r.outcome, vector: r.vector, errorCode: r.errorCode, gpa: r.gpa, value: r.value });

/**
 * FIXED large-spte-gpa (found by the properties; fixed meanwhile in 2f324b8
 * "large-page hit offsets"): a hit through a large (2 MiB) leaf spte used to
 * report gpa gfn(base) * 4096 + (offset % 4096), dropping gva bits 20:12, so
 * the access read or wrote the first 4 KiB page of the 2 MiB region instead.
 * Kept as regression tests below.
 */
const LARGE_SPTE_OFF = {
  format: 'shadowpaging/v1',
  title: 'paging off, 2 MiB direct spte',
  guest: { mode: 'off' },
  host: { hugePages: true },
  steps: [
    { op: 'write', gva: '0x1008', width: 8, value: '0x1234' },
    { op: 'read', gva: '0x8' },
  ],
};
// Step 0 writes gpa 0x1008; step 1 reads gpa 0x8, which was never written: 0x0.
// (Before the fix: step 0 reported gpa 0x8 and wrote there; step 1 read back 0x1234.)

const LARGE_SPTE_PAE = {
  format: 'shadowpaging/v1',
  title: 'pae guest, 2 MiB page on a 2 MiB host page',
  guest: { mode: 'pae' },
  host: { hugePages: true },
  mappings: [{ gva: '0x200000', gpa: '0x400000', size: '2M', flags: 'rw', dirty: true }],
  steps: [
    { op: 'read', gva: '0x201008' },
    { op: 'read', gva: '0x201008' },
  ],
};
// gpa 0x401008 twice. (Before the fix: 0x400008 twice.)

/**
 * FIXED mmio-permission (src/core/mmu/fault.ts, kvmMmuPageFault ->
 * handleMmioPageFault; src/core/step.ts, guestAccess): once an MMIO spte is
 * cached, every later access to that page is emulated without a permission
 * check. In KVM the emulator translates the gva itself
 * (vcpu_mmio_gva_to_gpa: permission_fault() on the cached mmio_access, else
 * a full gva_to_gpa walk) and injects the #PF the guest's tables call for.
 */
const MMIO_PERMISSION = {
  format: 'shadowpaging/v1',
  title: 'supervisor read-only MMIO page',
  guest: { mode: 'pae' },
  host: { memoryMiB: 32 },
  mappings: [{ gva: '0x2000', gpa: '0x2000000', flags: 'r' }],
  steps: [
    { op: 'read', gva: '0x2000', user: false },
    { op: 'read', gva: '0x2000', user: true },
    { op: 'write', gva: '0x2000', user: false, width: 4, value: '0x1' },
    { op: 'write', gva: '0x2000', user: true, width: 4, value: '0x1' },
  ],
};
// Expected: step 0 emulated (MMIO read); step 1 #PF P|U (5); step 2 #PF P|W (3, CR0.WP=1); step 3 #PF P|W|U (7).
// (Before the fix: all four 'emulated'.)

describe('fixed: mmio-permission', () => {
  it('accesses through a cached MMIO spte are permission-checked by the emulator', () => {
    const { r } = run(MMIO_PERMISSION);
    expect(r.map(view)).toEqual([
      { outcome: 'emulated', vector: undefined, errorCode: undefined, gpa: '0x2000000', value: '0xffffffffffffffff' },
      { outcome: 'guest-fault', vector: 14, errorCode: 5, gpa: undefined, value: undefined },
      { outcome: 'guest-fault', vector: 14, errorCode: 3, gpa: undefined, value: undefined },
      { outcome: 'guest-fault', vector: 14, errorCode: 7, gpa: undefined, value: undefined },
    ]);
  });

  it('the full property check accepts the reproduction without tolerating anything', () => {
    checkScenario(load(MMIO_PERMISSION), MMIO_PERMISSION, []);
  });
});

describe('regressions of fixed core bugs', () => {
  it('large-spte-gpa: a write through a 2 MiB direct spte lands at gpa base + gva[20:0]', () => {
    const { r } = run(LARGE_SPTE_OFF);
    expect(view(r[0]!)).toMatchObject({ gpa: '0x1008' });
    expect(view(r[1]!)).toMatchObject({ gpa: '0x8', value: '0x0' });
    for (const rules of ['before', 'merged'] as const) expect(run(LARGE_SPTE_OFF, rules).r.map(view)).toEqual(r.map(view));
  });

  it('large-spte-gpa: reads through a guest 2 MiB page shadowed by a 2 MiB spte', () => {
    const { r } = run(LARGE_SPTE_PAE);
    expect(r.map((x) => [x.outcome, x.gpa])).toEqual([
      ['shadow-fault', '0x401008'],
      ['hit', '0x401008'],
    ]);
  });

  it('large-spte-gpa: both reproductions pass the full property check with no bug tolerated', () => {
    for (const doc of [LARGE_SPTE_OFF, LARGE_SPTE_PAE]) checkScenario(load(doc), doc, []);
  });
});

describe('rule sets: differences the guest cannot see', () => {
  it("a direct page built with paging off is reused for a PAE guest's 2 MiB page under 'before' and 'merged', not 'seed'", () => {
    // Notes §10.2 says paging-off direct pages "differ by gfn anyway"; they need not:
    // the guest's 2 MiB page at gpa 0x400000 is split into a direct page for gfn 0x400,
    // which paging-off mode built already (with prefetched sptes) when the roles agree
    // (CR0.WP=0, EFER.NX=0, no SMEP/SMAP). 'seed' gives paging-off pages 4-byte roles.
    const doc = {
      format: 'shadowpaging/v1',
      title: 'direct page shared across CR0.PG',
      guest: { mode: 'pae', cr0: { wp: false } },
      mappings: [{ gva: '0x0', gpa: '0x400000', size: '2M', flags: 'rwux', dirty: true }],
      steps: [
        { op: 'cr0', pg: false },
        { op: 'read', gva: '0x407000' },
        { op: 'cr0', pg: true },
        { op: 'read', gva: '0x0' },
        { op: 'read', gva: '0x1000' },
      ],
    };
    const outcomes = (rules: 'before' | 'seed' | 'merged'): string[] => run(doc, rules).r.map((x) => `${x.outcome}${x.gpa ? '@' + x.gpa : ''}`);
    expect(outcomes('before')).toEqual(['done', 'shadow-fault@0x407000', 'done', 'shadow-fault@0x400000', 'hit@0x401000']);
    expect(outcomes('merged')).toEqual(outcomes('before'));
    expect(outcomes('seed')).toEqual(['done', 'shadow-fault@0x407000', 'done', 'shadow-fault@0x400000', 'shadow-fault@0x401000']);
    checkScenario(load(doc), doc); // the same to the guest
  });
});

describe('5.15 behaviour that differs from the SDM, on purpose', () => {
  it('CR0.WP=0 trick: after a supervisor write with EFLAGS.AC=1, supervisor reads of the user page skip SMAP', () => {
    const doc = {
      format: 'shadowpaging/v1',
      title: 'WP=0 trick and SMAP',
      guest: { mode: 'x86-32', cr3: '0x100000', cr0: { wp: false }, cr4: { smap: true } },
      memory: [
        { gpa: '0x100000', entries: { '0': '0x101027' } },
        { gpa: '0x101000', entries: { '0': '0x102065' } },
      ],
      steps: [
        { op: 'write', gva: '0x0', user: false, ac: true, width: 4 },
        { op: 'read', gva: '0x0', user: false, ac: false },
      ],
    };
    const s = load(doc);
    const t = new Timeline(s, 'seed');
    // The SDM (and the reference walk): the page is a user page, SMAP=1, AC=0 -> #PF P.
    expect(referenceAccess(envOf(t.stateAt(1)), 0x0, { op: 'read', user: false, ac: false })).toMatchObject({ ok: false, errorCode: 1 });
    // KVM 5.15: the spte is W=1 U=0, so hardware applies no SMAP check: the read hits.
    expect(t.results.map((x) => x.outcome)).toEqual(['shadow-fault', 'hit']);
    checkScenario(s, doc); // the property check knows this exemption
  });

  it('CR0.WP=0 trick on a write-protected page table: the spte loses U even though W is refused (emulated write)', () => {
    // gva 0 maps the page directory itself as a user, read-only page.
    const doc = {
      format: 'shadowpaging/v1',
      title: 'WP=0 trick on a shadowed table',
      guest: { mode: 'x86-32', cr3: '0x100000', cr0: { wp: false }, cr4: { smap: true } },
      memory: [
        { gpa: '0x100000', entries: { '0': '0x101027' } },
        { gpa: '0x101000', entries: { '0': '0x100065' } },
      ],
      steps: [
        { op: 'write', gva: '0x8', user: false, ac: true, width: 4, value: '0x0' },
        { op: 'read', gva: '0x0', user: false, ac: false },
      ],
    };
    const s = load(doc);
    const t = new Timeline(s, 'seed');
    expect(t.results.map((x) => x.outcome)).toEqual(['emulated', 'hit']);
    expect(referenceAccess(envOf(t.stateAt(1)), 0x0, { op: 'read', user: false, ac: false })).toMatchObject({ ok: false, errorCode: 1 });
    checkScenario(s, doc);
  });

  it('PAE: a same-value CR3 write reloads the PDPTE registers but keeps the stale pae_root[]', () => {
    // PDPT at 0x100000 maps 0-1 GiB with PD 0x101000; a window at 0x1000 maps the PDPT itself.
    const doc = {
      format: 'shadowpaging/v1',
      title: 'stale pae_root',
      guest: { mode: 'pae', cr3: '0x100000' },
      memory: [
        { gpa: '0x100000', entries: { '0': '0x101001' } },
        { gpa: '0x101000', entries: { '0': '0x102027' } },
        { gpa: '0x102000', entries: { '1': '0x100063', '2': '0x500063' } },
        { gpa: '0x103000', entries: { '0': '0x104027' } },
        { gpa: '0x104000', entries: { '2': '0x600063' } },
      ],
      steps: [
        { op: 'read', gva: '0x2000' },
        // PDPTE 0 := PD 0x103000, through the window (the PDPT is not shadowed: no exit).
        { op: 'write', gva: '0x1000', width: 8, value: '0x103001' },
        { op: 'cr3', value: '0x100000' },
        { op: 'read', gva: '0x2000' },
      ],
    };
    const s = load(doc);
    const t = new Timeline(s, 'seed');
    const m = t.stateAt(3);
    expect(m.cpu.pdptrs[0]).toEqual({ lo: 0x103001, hi: 0 });
    // The guest's tables now say gpa 0x600000; the stale root still maps 0x500000.
    expect(referenceAccess(envOf(m), 0x2000, { op: 'read', user: false })).toMatchObject({ ok: true, gpa: 0x60_0000 });
    expect(t.results[3]).toMatchObject({ outcome: 'hit', gpa: '0x500000' });
    checkScenario(s, doc); // exempt as a stale PAE root
  });

  it('PAE: a stale *empty* pae_root[] slot livelocks the access (5.15 has no guard; flagged, not modelled)', () => {
    // PDPTE 1 is not present at the first entry, so pae_root[1] stays empty; the guest
    // then makes it present (the PDPT is mapped at gva 0x1000) and reloads the same CR3.
    const doc = {
      format: 'shadowpaging/v1',
      title: 'stale empty pae_root',
      guest: { mode: 'pae', cr3: '0x100000' },
      memory: [
        { gpa: '0x100000', entries: { '0': '0x101001' } },
        { gpa: '0x101000', entries: { '0': '0x102027' } },
        { gpa: '0x102000', entries: { '1': '0x100063' } },
        { gpa: '0x103000', entries: { '0': '0x104027' } },
        { gpa: '0x104000', entries: { '0': '0x600063' } },
      ],
      steps: [
        { op: 'write', gva: '0x1008', width: 8, value: '0x103001' },
        { op: 'cr3', value: '0x100000' },
        { op: 'read', gva: '0x40000000' },
        // A role change rebuilds the roots from the PDPTE registers.
        { op: 'cr0', wp: false },
        { op: 'read', gva: '0x40000000' },
      ],
    };
    const s = load(doc);
    const { r } = run(doc);
    expect(r[2]).toMatchObject({ outcome: 'shadow-fault' });
    expect(r[2]!.gpa).toBeUndefined();
    expect(r[2]!.events.some((e) => e.kind === 'sim_note')).toBe(true);
    expect(r[4]).toMatchObject({ outcome: 'shadow-fault', gpa: '0x600000' });
    checkScenario(s, doc);
  });

  it('32-bit paging with EFER.NXE: a faulting fetch gets the I/D bit (KVM), which the SDM would not set', () => {
    const doc = {
      format: 'shadowpaging/v1',
      title: 'I/D in 32-bit paging',
      guest: { mode: 'x86-32', cr3: '0x100000', efer: { nx: true } },
      memory: [{ gpa: '0x100000', entries: {} }],
      steps: [{ op: 'fetch', gva: '0x1000', user: true }],
    };
    const { r, t } = run(doc);
    expect(r[0]).toMatchObject({ outcome: 'guest-fault', vector: 14, errorCode: 4 | 16 });
    expect(referenceAccess(envOf(t.stateAt(0)), 0x1000, { op: 'fetch', user: true }, 'sdm')).toMatchObject({ errorCode: 4 });
  });

  it('32-bit PSE-36: KVM reserves 4 MiB PDE bits 17-21 whatever MAXPHYADDR is; the SDM (M=40) uses 20:13 as gpa bits 39:32', () => {
    const doc = {
      format: 'shadowpaging/v1',
      title: 'PSE-36 bit 17',
      guest: { mode: 'x86-32', cr3: '0x100000', maxPhyAddr: 40 },
      memory: [{ gpa: '0x100000', entries: { '1': '0x420083' } }],
      steps: [{ op: 'read', gva: '0x400000' }],
    };
    const { r, t } = run(doc);
    expect(r[0]).toMatchObject({ outcome: 'guest-fault', errorCode: 1 | 8 });
    expect(referenceAccess(envOf(t.stateAt(0)), 0x40_0000, { op: 'read', user: false })).toMatchObject({ ok: true, gpa: 0x10_0040_0000 });
  });
});
