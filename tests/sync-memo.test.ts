/**
 * FNAME(sync_page)'s memo (src/core/mmu/sync.ts) is a cache, not a rule: a
 * 16-spte chunk whose sptes, gptes and sp->gfns are the very chunk objects of
 * its last clean sync, written in place no more times since, is counted, not
 * re-made. These tests run the same scenarios with the memo on and off and
 * require the same events, outcomes and final machine, and check that a chunk
 * cannot change without its count of writes changing (CowArray CHUNK_WRITES).
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { generateScenario100k } from '../bench/scenario100k.ts';
import { applyStep, createMachine, machineJson, RULE_SETS, type RuleSetName, type Scenario, Timeline } from '../src/core/index.ts';
import { CHUNK_WRITES, CowArray } from '../src/core/cow-array.ts';
import { sim_setSyncMemo } from '../src/core/mmu/sync.ts';
import { parse } from './run.ts';
import { buildPlan, mappingsPlanArb, type Plan, rawPlanArb, unsyncPlanArb } from './scenario-gen.ts';

/** Every step's result (events included) and the final machine, as one JSON string. */
function run(s: Scenario, rules: RuleSetName, memo: boolean): string {
  sim_setSyncMemo(memo);
  try {
    const { machine } = createMachine(s, rules);
    const steps = s.steps.map((step, i) => applyStep(machine, i, step));
    return JSON.stringify({ steps, machine: machineJson(machine) });
  } finally {
    sim_setSyncMemo(true);
  }
}


/** Every step's result under `seed`, the memo on. */
function stepped(s: Scenario) {
  const { machine } = createMachine(s, 'seed');
  return s.steps.map((step, i) => applyStep(machine, i, step));
}

afterEach(() => sim_setSyncMemo(true));

describe('FNAME(sync_page) memo', () => {
  // The bench's scenario: 4 processes whose page tables the guest edits
  // through unsync mappings between CR3 switches, so pages are synced again
  // and again, some with a gpte changed in place since their last sync.
  const bench = generateScenario100k(6000).scenario;
  for (const rules of RULE_SETS) {
    it(`changes nothing on 6,000 steps of the 100k bench scenario (${rules})`, () => {
      const on = run(bench, rules, true);
      expect(on.length).toBeGreaterThan(1000);
      expect(on === run(bench, rules, false)).toBe(true);
    });
  }

  // The memo is kept by page id in sim_syncMemo, which a machine shares with
  // its copies: a timeline's snapshots, the copies a seek replays, a page
  // revived from a worker. Copies taken at different steps, visited out of
  // order, then find entries other copies made: each must still answer only
  // for its own chunks.
  for (const rules of ['seed', 'linux-6.1'] as const) {
    it(`shared by a timeline's copies, changes no state and no step's events (${rules})`, () => {
      const n = 3000;
      const s = { ...bench, steps: bench.steps.slice(0, n) };
      // Visited out of order, some next to each other (the cursor), some far apart.
      const at = Array.from({ length: 60 }, (_, k) => (k * 1733 + (k % 3 === 0 ? 1 : 0)) % n);
      const want = new Map<number, string>();
      const wantEvents = new Map<number, string>();
      sim_setSyncMemo(false);
      const { machine } = createMachine(s, rules);
      for (let i = 0; i < n; i++) {
        if (at.includes(i)) want.set(i, JSON.stringify(machineJson(machine)));
        const r = applyStep(machine, i, s.steps[i]!);
        if (at.includes(i)) wantEvents.set(i, JSON.stringify(r.events));
      }
      sim_setSyncMemo(true);
      const tl = new Timeline(s, rules);
      for (const i of at) {
        expect(JSON.stringify(machineJson(tl.stateAt(i))), `state after ${i} steps`).toBe(want.get(i));
        expect(JSON.stringify(tl.eventsOf(i)), `step ${i}'s events`).toBe(wantEvents.get(i));
      }
    });
  }

  // Pages made and freed again and again (n_max_mmu_pages is 64 with this
  // memslot, so kvm_mmu_get_page recycles), and seeks all over: each copy
  // replaying steps before a page was freed makes its entry again. The
  // shared memo must not grow with the pages ever made.
  it('keeps entries for about twice the live pages when pages come and go', () => {
    const n = 20_000;
    const s = { ...bench, steps: generateScenario100k(n).scenario.steps, host: { ...bench.host, memslotFrames: 3200 } };
    const tl = new Timeline(s, 'seed');
    const maxLive = Math.max(...tl.pageCounts);
    let most = 0;
    for (let k = 0; k < 800; k++) {
      const m = tl.stateAt((k * 7919) % n);
      tl.eventsOf((k * 104_729) % n);
      most = Math.max(most, m.sim_syncMemo.size);
    }
    const made = tl.stateAt(n).nextSpId;
    expect(made).toBeGreaterThan(10 * (2 * maxLive + 256));
    expect(most).toBeLessThanOrEqual(2 * maxLive + 257);
  });

  // A sync whose answer depends on another page: T (0x3000) maps the second
  // page directory (0x4000) writable and dirty at 0x400000, and itself at
  // 0x420000. While 0x4000 is shadowed (write-tracked, from the CR3 switch to
  // it), FNAME(sync_page) keeps that spte read-only: make_spte() asks
  // mmu_try_to_unsync_pages(), which says no. Three writes flood and zap
  // 0x4000's pages; T's chunk with entry 0 is unchanged, but the next sync
  // must now make the spte writable, so the write after it hits. A memo that
  // remembered the earlier read-only answer would keep it and fault.
  const dependent = (): Scenario =>
    parse({
      format: 'shadowpaging/v1',
      title: 'sync after the last shadow page of a mapped gfn is zapped',
      guest: { mode: 'x86-32', cr3: '0x1000' },
      memory: [
        { gpa: '0x1000', entries: { 0: '0x2027', 1: '0x3027' } },
        { gpa: '0x4000', entries: { 0: '0x2027', 1: '0x3027' } },
        { gpa: '0x2000', entries: { 5: '0x10027' } },
        // T: entry 0 maps 0x4000 (W, D), entry 32 maps T itself (W, D).
        { gpa: '0x3000', entries: { 0: '0x4067', 32: '0x3067' } },
      ],
      steps: [
        { op: 'cr3', value: '0x4000' }, // 0: 0x4000's four pages are made (write-tracked)
        { op: 'cr3', value: '0x1000' },
        { op: 'read', gva: '0x400000' }, // 2: T is shadowed; the spte for 0x4000 is read-only
        { op: 'read', gva: '0x420000' }, // 3: T unsync
        { op: 'cr3', value: '0x1000' }, // 4: sync (entry 0 loses its A bit)
        { op: 'write', gva: '0x420190', value: '0x11027' }, // 5: T unsync again (entry 100)
        { op: 'cr3', value: '0x1000' }, // 6: sync: entry 0 unchanged, still read-only
        { op: 'write', gva: '0x400000', value: '0x0' }, // 7-9: emulated writes flood 0x4000's pages
        { op: 'write', gva: '0x400004', value: '0x0' },
        { op: 'write', gva: '0x400008', value: '0x0' },
        { op: 'write', gva: '0x420194', value: '0x12027' }, // 10: T unsync again (entry 101)
        { op: 'cr3', value: '0x1000' }, // 11: sync: entry 0 becomes writable
        { op: 'write', gva: '0x400010', value: '0x0' }, // 12: a hit
      ],
    });
  it('re-asks mmu_try_to_unsync_pages(): an spte kept read-only for a shadowed gfn becomes writable once the gfn is not', () => {
    const s = dependent();
    const results = stepped(s);
    // Step 6 syncs T with 0x4000 still shadowed: entry 0 stays as it is.
    expect(results[6]!.events.some((e) => e.kind === 'set_spte' && e.index === 0)).toBe(false);
    // Steps 7-9 zap every page of gfn 4; step 11 syncs T again.
    expect(results[9]!.events.filter((e) => e.kind === 'kvm_mmu_prepare_zap_page').length).toBe(4);
    const set = results[11]!.events.find((e) => e.kind === 'set_spte' && e.index === 0);
    expect(set).toMatchObject({ gfn: '0x4', writeProtectedPt: false });
    expect(results[12]!.outcome).toBe('hit');
    for (const rules of RULE_SETS) expect(run(s, rules, true)).toBe(run(s, rules, false));
  });

  /**
   * A 64-bit guest (EFER.NX) with two page tables: PT A (0x4000) maps 0x1000
   * and 0x2000 (entries 1 and 2); PT B (0x5000) maps PT A at 0x200000,
   * through which the guest edits it.
   */
  const twoTables = (title: string, steps: unknown[]): Scenario =>
    parse({
      format: 'shadowpaging/v1',
      title,
      guest: { mode: 'x86-64', cr3: '0x1000', efer: { nx: true } },
      memory: [
        { gpa: '0x1000', entries: { 0: '0x2027' } },
        { gpa: '0x2000', entries: { 0: '0x3027' } },
        { gpa: '0x3000', entries: { 0: '0x4027', 1: '0x5027' } },
        { gpa: '0x4000', entries: { 1: '0x11025', 2: '0x12025' } },
        { gpa: '0x5000', entries: { 0: '0x4067' } },
      ],
      steps,
    });

  // A remembered chunk whose gptes changed since: its entries are compared
  // with the remembered values one by one, and only those that differ are
  // made again. Here only the high word of an 8-byte gpte changes (its NX
  // bit), in twoTables.
  const highWord = (): Scenario =>
    twoTables('a gpte whose high word alone changes between two syncs', [
      { op: 'read', gva: '0x1000', user: true }, // 0: PT A shadowed
      { op: 'read', gva: '0x2000', user: true },
      { op: 'write', gva: '0x20000c', width: 4, value: '0x80000000' }, // 2: PT A unsync; entry 1 gets NX
      { op: 'cr3', value: '0x1000' }, // 3: sync: entry 1's spte gets NX; the chunk is remembered
      { op: 'write', gva: '0x20000c', width: 4, value: '0x0' }, // 4: PT A unsync again; entry 1 loses NX
      { op: 'cr3', value: '0x1000' }, // 5: sync: entry 1 is made again (its low word is as it was)
      { op: 'fetch', gva: '0x1000', user: true }, // 6: a hit
    ]);
  it('makes an spte again when only the high word of its 8-byte gpte changed', () => {
    const s = highWord();
    const results = stepped(s);
    expect(results[3]!.events.some((e) => e.kind === 'set_spte' && e.index === 1)).toBe(true);
    expect(results[5]!.events.some((e) => e.kind === 'set_spte' && e.index === 1)).toBe(true);
    expect(results[6]!.outcome).toBe('hit');
    for (const rules of RULE_SETS) expect(run(s, rules, true)).toBe(run(s, rules, false));
  });

  // A chunk whose sync dropped an spte is remembered too: the dropped spte is
  // zero in the chunk the sync leaves, and a sync passes zero sptes by.
  const dropped = (): Scenario =>
    twoTables('a chunk synced twice, the first sync dropping one of its sptes', [
      { op: 'read', gva: '0x1000', user: true }, // 0: PT A shadowed
      { op: 'read', gva: '0x2000', user: true }, // 1: entry 2's spte
      { op: 'write', gva: '0x200010', width: 4, value: '0x0' }, // 2: PT A unsync; entry 2 not present
      { op: 'cr3', value: '0x1000' }, // 3: sync: entry 2's spte dropped, entry 1 kept; chunk 0 remembered
      { op: 'write', gva: '0x2000a0', width: 4, value: '0x0' }, // 4: PT A unsync again, through entry 20 (chunk 1)
      { op: 'cr3', value: '0x1000' }, // 5: sync: chunk 0 as the last sync left it, counted from the memo
      { op: 'read', gva: '0x1000', user: true }, // 6: a hit
      { op: 'read', gva: '0x2000', user: true }, // 7: not present in the guest: a #PF for it
    ]);
  it('remembers a chunk whose sync dropped an spte, and counts it as a sync would', () => {
    const s = dropped();
    const results = stepped(s);
    const syncs = (i: number) => results[i]!.events.filter((e) => e.kind === 'sync_page');
    // Step 3 drops entry 2 and keeps entry 1; step 5 finds the same one present entry.
    expect(results[3]!.events.some((e) => e.kind === 'kvm_mmu_prepare_zap_page')).toBe(false);
    expect(syncs(3)).toEqual([expect.objectContaining({ nrPresent: 1, zap: false })]);
    expect(syncs(5)).toEqual([expect.objectContaining({ nrPresent: 1, zap: false })]);
    expect(results[6]!.outcome).toBe('hit');
    expect(results[7]!.outcome).toBe('guest-fault');
    for (const rules of RULE_SETS) expect(run(s, rules, true)).toBe(run(s, rules, false));
  });

  const arbs: ReadonlyArray<[string, () => fc.Arbitrary<Plan>]> = [
    ['x86-32 unsync and resync', () => unsyncPlanArb('x86-32', 40)],
    ['pae unsync and resync', () => unsyncPlanArb('pae', 40)],
    ['x86-64 unsync and resync', () => unsyncPlanArb('x86-64', 40)],
    ['x86-32 tables', () => rawPlanArb('x86-32', 40)],
    ['pae mappings', () => mappingsPlanArb('pae', 40)],
  ];
  for (const [name, arb] of arbs) {
    it(`changes nothing on random scenarios: ${name}`, () => {
      fc.assert(
        fc.property(arb(), fc.constantFrom(...RULE_SETS), (plan, rules) => {
          const s = buildPlan(plan).scenario;
          expect(run(s, rules, true)).toBe(run(s, rules, false));
        }),
        { seed: Number(process.env.SP_SEED ?? 4242), numRuns: Number(process.env.SP_MEMO_RUNS ?? 40) },
      );
    });
  }
});

describe('CowArray chunks count their writes in place (CHUNK_WRITES)', () => {
  it('a chunk object with the same count holds the same values', () => {
    const a = CowArray.of(1024);
    a.set(40, 7);
    const c = a.chunkAt(1)!;
    const n = c[CHUNK_WRITES]!;
    const seen = Array.from(c.subarray(0, 32));
    // Written in place: the same object, another count.
    a.set(41, 9);
    expect(a.chunkAt(1)).toBe(c);
    expect(c[CHUNK_WRITES]).toBe(n + 1);
    // The same value written again counts too.
    a.set(41, 9);
    expect(c[CHUNK_WRITES]).toBe(n + 2);
    // A copy shares the chunk and neither writes it in place again: the count and the values stay.
    const b = a.clone();
    const at = c[CHUNK_WRITES];
    b.set(42, 1);
    a.set(43, 2);
    expect(c[CHUNK_WRITES]).toBe(at);
    expect(Array.from(c.subarray(0, 32))).toEqual([...seen.slice(0, 9), 9, ...seen.slice(10)]);
    expect(a.chunkAt(1)).not.toBe(c);
    expect(b.chunkAt(1)).not.toBe(c);
    expect([a.get(40), a.get(41), a.get(42), a.get(43), b.get(42), b.get(43)]).toEqual([7, 9, 0, 2, 1, 0]);
  });

  it('counts in f64 chunks (sp->gfns) too, and toArray leaves the counts out', () => {
    const a = CowArray.of(512, true);
    expect(a.chunkAt(3)).toBeNull();
    a.set(100, 2 ** 40);
    a.set(101, 3);
    expect(a.chunkAt(3)![CHUNK_WRITES]).toBe(2);
    const flat = a.toArray();
    expect(flat.length).toBe(512);
    expect([flat[96], flat[100], flat[101], flat[128]]).toEqual([0, 2 ** 40, 3, 0]);
  });
});
