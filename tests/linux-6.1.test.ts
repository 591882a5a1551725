/**
 * The linux-6.1 rule set (issue 19) is `merged` plus the upstream changes
 * listed in LINUX_61_CHANGES (src/core/mmu/rules.ts), each behind its own
 * bit of Machine.linux61. On random scenarios in every guest mode:
 *  (a) with every change switched off, linux-6.1's trace is merged's, event
 *      for event (apart from the rule set's name in sim_compute_role);
 *  (b) with one change on, the trace differs from (a) only if that change
 *      fired (Machine.linux61Fired), and not before the step it first fired;
 *  (c) with all of them on (the rule set as shipped), likewise: a difference
 *      from merged is preceded by some change firing.
 * Plus: the audit holds at every step of every built-in under linux-6.1, and
 * each 6.1 check scenario run on the real kernel (tests/golden/linux-6.1-checks)
 * shows the difference the change predicts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyStep,
  auditMachine,
  createMachine,
  kernelRoleFields,
  kernelRoleWord,
  LINUX_61_CHANGES,
  linux61Bit,
  type Linux61ChangeId,
  roleFieldName,
  roleWord,
  type RuleSetName,
  type Scenario,
  Timeline,
  type TraceEvent,
} from '../src/core/index.ts';
import { LIBRARY } from '../src/scenarios/library/index.ts';
import { parse } from './run.ts';
import { buildPlan, mappingsPlanArb, type Plan, rawPlanArb, unsyncPlanArb } from './scenario-gen.ts';

const NUM_RUNS = Number(process.env.SP_NUM_RUNS ?? 15);
const SEED = Number(process.env.SP_SEED ?? 20261205);
const ALL_IDS = LINUX_61_CHANGES.map((c) => c.id);

interface Run {
  /** One JSON line per step (index -1: the initial entry): outcome, error code, events. */
  readonly lines: string[];
  /** [stepIndex, bit] pairs, in order. */
  readonly fired: number[];
}

/** The rule set's own name appears in sim_compute_role events; everything else must match. */
const sameRules = (e: TraceEvent): unknown => ('rules' in e ? { ...e, rules: '*' } : e);

function runTrace(s: Scenario, rules: RuleSetName, off: readonly Linux61ChangeId[] = []): Run {
  const fired: number[] = [];
  const { machine, events } = createMachine(s, rules, { linux61Off: off, linux61Fired: fired });
  const lines = [JSON.stringify(events.map(sameRules))];
  machine.tracing = true;
  s.steps.forEach((step, i) => {
    const r = applyStep(machine, i, step);
    lines.push(JSON.stringify({ o: r.outcome, v: r.vector, ec: r.errorCode, gpa: r.gpa, value: r.value, ev: r.events.map(sameRules) }));
  });
  return { lines, fired };
}

/** Index (step + 1: line 0 is the initial entry) of the first line that differs, or -1. */
function firstDiff(a: Run, b: Run): number {
  const n = Math.max(a.lines.length, b.lines.length);
  for (let i = 0; i < n; i++) if (a.lines[i] !== b.lines[i]) return i;
  return -1;
}

/** The first step at which a change among `bits` fired, as a line index, or Infinity. */
function firstFired(r: Run, bits: number): number {
  for (let k = 0; k < r.fired.length; k += 2) if (r.fired[k + 1]! & bits) return r.fired[k]! + 1;
  return Infinity;
}

const stats = { scenarios: 0, differing: 0, firedBy: new Map<Linux61ChangeId, number>() };

function check(s: Scenario): void {
  stats.scenarios++;
  const merged = runTrace(s, 'merged');
  const none = runTrace(s, 'linux-6.1', ALL_IDS);
  // (a) all changes off: merged, event for event.
  const d0 = firstDiff(merged, none);
  if (d0 >= 0) throw new Error(`linux-6.1 with every change off differs from merged at line ${d0}:\n  merged: ${merged.lines[d0]?.slice(0, 400)}\n  6.1:    ${none.lines[d0]?.slice(0, 400)}`);
  if (none.fired.length) throw new Error(`a change fired while switched off: ${none.fired.join(',')}`);
  // (b) one change on at a time.
  for (const id of ALL_IDS) {
    const one = runTrace(s, 'linux-6.1', ALL_IDS.filter((x) => x !== id));
    const bit = linux61Bit(id);
    if (one.fired.some((v, k) => k % 2 === 1 && v !== bit)) throw new Error(`${id} alone: another change fired`);
    const d = firstDiff(merged, one);
    const f = firstFired(one, bit);
    if (f !== Infinity) stats.firedBy.set(id, (stats.firedBy.get(id) ?? 0) + 1);
    if (d >= 0 && d < f) {
      throw new Error(
        `${id} alone: the trace differs from merged at line ${d} (step ${d - 1}) but the change ${f === Infinity ? 'never fired' : `first fired at line ${f}`}:\n  merged: ${merged.lines[d]?.slice(0, 400)}\n  6.1:    ${one.lines[d]?.slice(0, 400)}`,
      );
    }
  }
  // (c) the rule set as shipped.
  const all = runTrace(s, 'linux-6.1');
  const d = firstDiff(merged, all);
  if (d >= 0) {
    stats.differing++;
    const f = firstFired(all, -1 >>> 0);
    if (d < f) throw new Error(`linux-6.1 differs from merged at line ${d} before any change fired (${f})`);
  }
}

const property = (arb: fc.Arbitrary<Plan>) => fc.property(arb, (plan) => check(buildPlan(plan).scenario));

describe('linux-6.1 differs from merged only where a named 6.1 change fires', () => {
  for (const mode of ['x86-32', 'pae', 'x86-64'] as const) {
    it(`${mode}, random page tables`, () => {
      fc.assert(property(rawPlanArb(mode)), { seed: SEED, numRuns: NUM_RUNS });
    });
    it(`${mode}, mappings with page-table windows`, () => {
      fc.assert(property(mappingsPlanArb(mode)), { seed: SEED + 1, numRuns: NUM_RUNS });
    });
    it(`${mode}, unsync and resync`, () => {
      fc.assert(property(unsyncPlanArb(mode)), { seed: SEED + 2, numRuns: NUM_RUNS });
    });
  }
  it('paging off (direct roots)', () => {
    fc.assert(property(rawPlanArb('off')), { seed: SEED + 3, numRuns: NUM_RUNS });
  });
  it('the random scenarios exercised the changes (not a vacuous pass)', () => {
    if (stats.scenarios === 0) return; // filtered with -t
    if (process.env.SP_DEBUG) console.log(stats.scenarios, stats.differing, [...stats.firedBy]);
    expect(stats.differing).toBeGreaterThan(0);
    // These fire on ordinary scenarios; the others need the built-ins or the checks below.
    for (const id of ['root-efer-nx', 'direct-prefetch-trailing', 'sync-page-keeps-empty'] as const) expect(stats.firedBy.get(id) ?? 0, id).toBeGreaterThan(0);
  });
});

describe('the built-ins under linux-6.1', () => {
  for (const entry of LIBRARY) {
    it(`${entry.id}: the audit holds at every step, and all changes off gives merged`, () => {
      const s = parse(entry.json);
      const tl = new Timeline(s, 'linux-6.1');
      for (let n = 0; n <= tl.length; n++) expect(auditMachine(tl.stateAt(n)), `after ${n} steps`).toEqual([]);
      check(s);
    });
  }
});

describe('CR4.PCIDE toggles (no real-kernel run: the TCG CPU has no PCIDs; from 6.1 kvm_post_set_cr4)', () => {
  const doc = {
    format: 'shadowpaging/v1',
    title: 'PCIDE toggles',
    guest: { mode: 'x86-64', cr3: '0x1000' },
    memory: [
      { gpa: '0x1000', entries: { '0': '0x2007' } },
      { gpa: '0x8000', entries: { '0': '0x2007' } },
      { gpa: '0x2000', entries: { '0': '0x3007' } },
      { gpa: '0x3000', entries: { '0': '0x4007' } },
      { gpa: '0x4000', entries: { '16': '0x10063', '24': '0x31063' } },
    ],
    steps: [
      { op: 'read', gva: '0x18000' },
      { op: 'cr3', value: '0x8000' },
      { op: 'read', gva: '0x18000' },
      { op: 'cr4', pcide: true },
      { op: 'read', gva: '0x18000' },
      { op: 'cr3', value: '0x1000', noflush: true },
      { op: 'read', gva: '0x18000' },
      { op: 'cr4', pcide: false },
      { op: 'read', gva: '0x18000' },
      { op: 'cr3', value: '0x8000' },
    ],
  };
  const kinds = (s: Scenario, rules: RuleSetName, i: number, off: readonly Linux61ChangeId[] = []) => {
    const { machine } = createMachine(s, rules, { linux61Off: off });
    let out: string[] = [];
    s.steps.forEach((step, k) => {
      const r = applyStep(machine, k, step);
      if (k === i) out = r.events.filter((e) => e.kind === 'kvm_mmu_reset_context' || e.kind === 'kvm_mmu_free_roots' || e.kind === 'cached_root_available').map((e) => e.kind);
    });
    return out;
  };
  it('PCIDE 0 -> 1 frees every root under 6.1 (the roots cached with PCIDE=0), nothing under 5.15', () => {
    const s = parse(doc);
    expect(kinds(s, 'merged', 3)).toEqual([]);
    expect(kinds(s, 'linux-6.1', 3)).toEqual(['kvm_mmu_free_roots']);
    expect(kinds(s, 'linux-6.1', 3, ['prev-roots-without-pcid'])).toEqual([]);
  });
  it('PCIDE 1 -> 0 resets the MMU under 5.15; 6.1 keeps the roots (guest TLB flush: sync), so the next CR3 finds its cached root', () => {
    const s = parse(doc);
    expect(kinds(s, 'merged', 7)).toEqual(['kvm_mmu_reset_context', 'kvm_mmu_free_roots']);
    expect(kinds(s, 'linux-6.1', 7)).toEqual([]);
    expect(kinds(s, 'linux-6.1', 7, ['pcide-off-no-reset'])).toEqual(['kvm_mmu_reset_context', 'kvm_mmu_free_roots']);
    expect(kinds(s, 'linux-6.1', 9)).toEqual(['cached_root_available']);
    check(s);
  });
});

describe('a consequence of efer_nx in every role: clearing EFER.NX keeps the shadow pages (from the 6.1 source; the real-kvm tool runs no efer steps)', () => {
  // PAE guest, EFER.NX=1; gva 0 maps through a PTE with XD set. After EFER.NX=0 that bit is
  // reserved: 5.15 builds new pages (the role changed) and the read faults with RSVD; 6.1's role
  // did not change, the same pages come back, and the read still hits the old spte.
  const doc = {
    format: 'shadowpaging/v1',
    title: 'XD PTE, then EFER.NX cleared',
    guest: { mode: 'pae', cr3: '0x100000', efer: { nx: true } },
    memory: [
      { gpa: '0x100000', entries: { '0': '0x101001' } },
      { gpa: '0x101000', entries: { '0': '0x102027' } },
      { gpa: '0x102000', entries: { '5': '0x8000000000105023' } },
    ],
    steps: [
      { op: 'read', gva: '0x5000' },
      { op: 'efer', nx: false },
      { op: 'read', gva: '0x5000' },
    ],
  };
  it('merged: #PF with the reserved-bit error code; linux-6.1: a hit through the old spte; root-efer-nx off: as merged', () => {
    const s = parse(doc);
    const last = (rules: RuleSetName, off: readonly Linux61ChangeId[] = []) => {
      const { machine } = createMachine(s, rules, { linux61Off: off });
      return s.steps.map((st, i) => applyStep(machine, i, st)).at(-1)!;
    };
    expect(last('merged')).toMatchObject({ outcome: 'guest-fault', vector: 14, errorCode: 0x9 });
    expect(last('linux-6.1').outcome).toBe('hit');
    expect(last('linux-6.1', ['root-efer-nx'])).toMatchObject({ outcome: 'guest-fault', errorCode: 0x9 });
  });
});

/** The scenarios run on the real Linux 6.1.192 KVM (tests/golden/linux-6.1-checks/real/compare.txt). */
const CHECKS_DIR = join(import.meta.dirname, 'golden/linux-6.1-checks');
const loadCheck = (name: string): Scenario => parse(JSON.parse(readFileSync(join(CHECKS_DIR, `${name}.json`), 'utf8')));

/** Shadow-page events and kvm_mmu_set_spte lines as the real-kvm comparison reads them, per step. */
function pageEvents(s: Scenario, rules: RuleSetName, off: readonly Linux61ChangeId[] = []): string[] {
  const { machine, events } = createMachine(s, rules, { linux61Off: off });
  const out: string[] = [];
  const take = (i: number, evs: readonly TraceEvent[]) => {
    for (const e of evs) {
      if (e.kind === 'kvm_mmu_get_page') out.push(`${i} get ${e.created ? 'new' : 'existing'} ${e.notation}`);
      else if (e.kind === 'kvm_mmu_unsync_page' || e.kind === 'kvm_mmu_sync_page' || e.kind === 'kvm_mmu_prepare_zap_page') out.push(`${i} ${e.kind} ${e.notation}`);
      else if (e.kind === 'kvm_mmu_set_spte') out.push(`${i} set_spte gfn ${e.gfn} ${e.spte}`);
    }
  };
  take(-1, events);
  s.steps.forEach((step, i) => take(i, applyStep(machine, i, step).events));
  return out;
}

describe('the 6.1 check scenarios show what the real kernel did', () => {
  it('sync of an empty unsync page keeps it; CR3 back to a cached root needs no kvm_mmu_get_page; a writable spte is rebuilt without D', () => {
    const s = loadCheck('l61-sync-empty-prev-roots');
    const v61 = pageEvents(s, 'linux-6.1');
    // Real: "kvm_mmu_sync_page: ... gfn 5 l1 ... unsync" and no prepare_zap of gfn 5 before the end.
    expect(v61.filter((l) => l.includes('kvm_mmu_prepare_zap_page'))).toEqual([]);
    expect(pageEvents(s, 'linux-6.1', ['sync-page-keeps-empty']).some((l) => l.startsWith('3 kvm_mmu_prepare_zap_page gfn 5 l1'))).toBe(true);
    // Real: nothing between "oracle step 5 done" and "oracle step 7 done".
    expect(v61.filter((l) => l.startsWith('7 '))).toEqual([]);
    expect(pageEvents(s, 'linux-6.1', ['prev-roots-without-pcid']).filter((l) => l.startsWith('7 '))).toEqual(['7 get existing gfn 1 l4 8-byte q0 wux nxe']);
    // Real: "kvm_mmu_set_spte: gfn 10 spte c54de23" in step 6 (D clear; it was ...de63).
    expect(v61.filter((l) => l.startsWith('6 set_spte'))).toEqual(['6 set_spte gfn 0x10 0x10aa10e23']);
    expect(pageEvents(s, 'linux-6.1', ['writable-spte-skips-unsync-check']).filter((l) => l.startsWith('6 set_spte'))).toEqual([]);
  });
  it('a prefetched PTE mapping a shadowed table gets a read-only spte; the write fault unsyncs', () => {
    const s = loadCheck('l61-prefetch-no-unsync');
    const v61 = pageEvents(s, 'linux-6.1');
    // Real: step 2 "kvm_mmu_set_spte: gfn 5 ... (r-x-)", step 3 "kvm_mmu_unsync_page ... gfn 5".
    expect(v61.filter((l) => l.startsWith('2 ') || l.startsWith('3 '))).toEqual([
      '2 set_spte gfn 0x31 0x10aa31a21',
      '2 set_spte gfn 0x5 0x10aa05a01',
      '3 kvm_mmu_unsync_page gfn 5 l1 8-byte q0 wux nxe',
      '3 set_spte gfn 0x5 0x10aa05e63',
    ]);
    expect(pageEvents(s, 'linux-6.1', ['no-unsync-when-prefetch']).some((l) => l.startsWith('2 kvm_mmu_unsync_page'))).toBe(true);
  });
  it('with SMEP and CR0.WP=0, CR3 back to a cached root is found (whole root role)', () => {
    const s = loadCheck('l61-smep-wp0-cr3');
    expect(pageEvents(s, 'linux-6.1').filter((l) => l.startsWith('6 '))).toEqual([]);
    expect(pageEvents(s, 'linux-6.1', ['new-pgd-full-role']).filter((l) => l.startsWith('6 '))).toEqual(['6 get existing gfn 1 l4 8-byte q0 wux nxe']);
  });
  it('a zapped current root frees only itself: the cached previous root survives', () => {
    const s = loadCheck('l61-root-zap-prev-roots');
    const v61 = pageEvents(s, 'linux-6.1');
    // Real: step 4 zaps gfn 8's root and builds it again; nothing after "oracle step 5 done" until step 6's is done.
    expect(v61.filter((l) => l.startsWith('4 ') && !l.includes('set_spte'))).toEqual([
      '4 kvm_mmu_prepare_zap_page gfn 8 l4 8-byte q0 wux nxe',
      '4 kvm_mmu_prepare_zap_page gfn 8 l4 8-byte q0 wux invalid nxe',
      '4 get new gfn 8 l4 8-byte q0 wux nxe',
    ]);
    expect(v61.filter((l) => l.startsWith('6 '))).toEqual([]);
    expect(pageEvents(s, 'linux-6.1', ['free-obsolete-roots-only']).filter((l) => l.startsWith('6 '))).toEqual(['6 get existing gfn 1 l4 8-byte q0 wux nxe']);
  });
  it('every shadow page has efer_nx, whatever EFER.NX', () => {
    const s = loadCheck('l61-prefetch-no-unsync');
    const gets = pageEvents(s, 'linux-6.1').filter((l) => l.includes(' get '));
    expect(gets.length).toBeGreaterThan(0);
    for (const l of gets) expect(l).toMatch(/ nxe$/);
    for (const l of pageEvents(s, 'merged').filter((x) => x.includes(' get '))) expect(l).toMatch(/ !nxe$/);
  });
});

describe("the role under 6.1's names", () => {
  const role = { level: 1, gpteIs8Bytes: false, quadrant: 3, direct: false, access: 7, invalid: false, eferNx: true, cr0Wp: true, smepAndnotWp: false, smapAndnotWp: false, adDisabled: false, guestMode: false, smm: 0 };
  it('has_4_byte_gpte is gpte_is_8_bytes inverted, passthrough is 0, and the word follows 6.1 layout', () => {
    const f61 = kernelRoleFields(role, 'linux-6.1');
    expect(f61.map((f) => f.name)).toEqual(['level', 'has_4_byte_gpte', 'quadrant', 'direct', 'access', 'invalid', 'efer_nx', 'cr0_wp', 'smep_andnot_wp', 'smap_andnot_wp', 'ad_disabled', 'guest_mode', 'passthrough', 'smm']);
    expect(f61.find((f) => f.name === 'has_4_byte_gpte')!.value).toBe(1);
    expect(f61.find((f) => f.name === 'passthrough')!.value).toBe(0);
    const f515 = kernelRoleFields(role, 'merged');
    expect(f515.find((f) => f.name === 'gpte_is_8_bytes')!.value).toBe(0);
    expect(f515.some((f) => f.name === 'passthrough' || f.name === 'has_4_byte_gpte')).toBe(false);
    // 4-byte l1 q3 wux, efer_nx, cr0_wp: 6.1 sets bit 4 where 5.15 clears it.
    expect(kernelRoleWord(role, 'merged')).toBe(roleWord(role));
    expect(kernelRoleWord(role, 'linux-6.1')).toBe(roleWord(role) | 0x10);
    expect(kernelRoleWord({ ...role, gpteIs8Bytes: true }, 'linux-6.1')).toBe(roleWord(role));
    expect(roleFieldName('gpteIs8Bytes', 'linux-6.1')).toBe('has_4_byte_gpte');
    expect(roleFieldName('gpteIs8Bytes', 'seed')).toBe('gpte_is_8_bytes');
    expect(roleFieldName('smepAndnotWp', 'linux-6.1')).toBe('smep_andnot_wp');
  });
});
