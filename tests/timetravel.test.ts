/**
 * Time travel: Timeline.stateAt(i), asked for in any order, equals the state
 * reached by replaying from scratch (createMachine + applyStep i times), and
 * going forward, back and forward again changes nothing.
 *
 * States are compared twice: as machineJson (what the UI renders) plus the
 * guest memory frames, and as a canonical dump of the whole Machine object
 * (every field the core keeps, hidden ones included: lpage counts, the
 * write-track counts, sp.gfns, hash bucket order, pending requests...).
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyStep, createMachine, type Machine, machineJson, RULE_SETS, type RuleSetName, type Scenario, SNAPSHOT_EVERY, type StepResult, Timeline, TimelineBuilder, type TraceEvent } from '../src/core/index.ts';
import { sameShadowPage } from '../src/core/machine.ts';
import { parseScenario } from '../src/scenarios/schema.ts';
import { canon } from './machine-canon.ts';
import { buildPlan, mappingsPlanArb, type Plan, rawPlanArb, unsyncPlanArb } from './scenario-gen.ts';

/** Everything observable about a machine. */
function snapshot(m: Machine): { json: string; memory: string; whole: string } {
  const frames = m.mem.gfns().map((g) => [g, Array.from(m.mem.frame(g)!.toArray())]);
  return { json: JSON.stringify(machineJson(m)), memory: JSON.stringify(frames), whole: JSON.stringify(canon(m)) };
}

function expectSame(actual: Machine, expected: ReturnType<typeof snapshot>, what: string): void {
  const a = snapshot(actual);
  // Compare the cheap forms first so a failure shows the most readable diff.
  expect(a.json, `${what}: machineJson`).toBe(expected.json);
  expect(a.memory, `${what}: guest memory`).toBe(expected.memory);
  expect(a.whole, `${what}: whole Machine`).toBe(expected.whole);
}

/** The states after 0..n steps, by replaying from scratch. */
function replay(s: Scenario, rules: RuleSetName): { states: ReturnType<typeof snapshot>[]; results: StepResult[]; initialEvents: string } {
  const { machine, events } = createMachine(s, rules);
  const states = [snapshot(machine)];
  const results: StepResult[] = [];
  s.steps.forEach((step, i) => {
    results.push(applyStep(machine, i, step));
    states.push(snapshot(machine));
  });
  return { states, results, initialEvents: JSON.stringify(events) };
}

/** Deterministic shuffle (xorshift) so a failure names its order. */
function shuffled(n: number, seed: number): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  let x = seed | 1;
  for (let i = n - 1; i > 0; i--) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const j = (x >>> 0) % (i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/** All time-travel checks for one scenario under one rule set. */
function checkTimeTravel(s: Scenario, rules: RuleSetName, seed: number): void {
  const n = s.steps.length;
  const ref = replay(s, rules);
  const t = new Timeline(s, rules);
  expect(t.length).toBe(n);
  expect(JSON.stringify(t.initialEvents)).toBe(ref.initialEvents);
  expect(JSON.stringify(t.results)).toBe(JSON.stringify(ref.results));
  // The shadow-page counts recorded while building agree with the events: a created page up, each freed one down.
  const count = (evs: readonly TraceEvent[], from: number) => evs.reduce((c, e) => (e.kind === 'kvm_mmu_get_page' && e.created ? c + 1 : e.kind === 'kvm_mmu_commit_zap_page' ? c - e.freed.length : c), from);
  const counts = [count(JSON.parse(ref.initialEvents) as TraceEvent[], 0)];
  for (const r of ref.results) counts.push(count(r.events, counts[counts.length - 1]!));
  expect(t.pageCounts).toEqual(counts);

  // Random order, every index.
  for (const i of shuffled(n + 1, seed)) expectSame(t.stateAt(i), ref.states[i]!, `stateAt(${i}) in shuffled order`);

  // Forward to N, back to K, forward to N again; then replay K..N from the K copy.
  const k = n === 0 ? 0 : seed % n;
  expectSame(t.stateAt(n), ref.states[n]!, `stateAt(${n})`);
  const atK = t.stateAt(k);
  expectSame(atK, ref.states[k]!, `back to stateAt(${k})`);
  expectSame(t.stateAt(n), ref.states[n]!, `forward again to stateAt(${n})`);
  for (let i = k; i < n; i++) {
    const r = applyStep(atK, i, s.steps[i]!);
    expect(JSON.stringify(r), `step ${i} replayed from stateAt(${k})`).toBe(JSON.stringify(ref.results[i]));
    expectSame(atK, ref.states[i + 1]!, `stateAt(${k}) + steps ${k}..${i}`);
  }

  // stateAt hands out copies: mutating one (atK ran ahead above) leaves the timeline alone.
  expectSame(t.stateAt(k), ref.states[k]!, `stateAt(${k}) after its copy was stepped`);
  const fin = t.stateAt(n);
  if (n > 0) applyStep(fin, n, s.steps[0]!);
  expectSame(t.stateAt(n), ref.states[n]!, `stateAt(${n}) after its copy was stepped`);

  // Out-of-range and fractional arguments clamp and floor.
  expectSame(t.stateAt(-3), ref.states[0]!, 'stateAt(-3)');
  expectSame(t.stateAt(n + 7), ref.states[n]!, `stateAt(${n + 7})`);
  if (n >= 2) expectSame(t.stateAt(1.9), ref.states[1]!, 'stateAt(1.9)');
}

function load(doc: unknown): Scenario {
  const r = parseScenario(doc);
  if (!r.ok) throw new Error(`${r.error.path}: ${r.error.message}`);
  return r.scenario;
}

const FIXTURE = load(JSON.parse(readFileSync(new URL('./fixtures/two-quadrants.json', import.meta.url), 'utf8')));

/** A 64-bit guest switching between two address spaces, with page-table writes, past several snapshots. */
function longScenario(): Scenario {
  const steps: unknown[] = [];
  for (let round = 0; round < 6; round++) {
    steps.push(
      { op: 'read', gva: '0x400000' },
      { op: 'write', gva: '0x401000', width: 8, value: hexOf(0x50_3063 + round * 0x1000) },
      { op: 'read', gva: '0x403000' },
      { op: 'write', gva: '0x402000', user: true, width: 4 },
      { op: 'cr3', value: round % 2 ? '0x100000' : '0x200000' },
      { op: 'fetch', gva: '0xffffffff80000000' },
      { op: 'invlpg', gva: '0x403000' },
      { op: 'cr0', wp: round % 3 !== 0 },
      { op: 'read', gva: '0x404000', user: true },
    );
  }
  return load({
    format: 'shadowpaging/v1',
    title: 'two address spaces, long',
    guest: { mode: 'x86-64', cr3: '0x100000', efer: { nx: true } },
    host: { memoryMiB: 64 },
    memory: [
      { gpa: '0x100000', entries: { '0': '0x101027', '511': '0x101027' } },
      { gpa: '0x101000', entries: { '0': '0x102027', '510': '0x102027' } },
      { gpa: '0x102000', entries: { '2': '0x103027', '0': '0x103027' } },
      // PT at 0x103000: data pages, and itself mapped writable at gva 0x401000 (a window).
      { gpa: '0x103000', entries: { '0': '0x500067', '1': '0x103063', '2': '0x501067', '3': '0x502065', '4': '0x8000000000504065' } },
      { gpa: '0x200000', entries: { '0': '0x101027', '511': '0x201027' } },
      { gpa: '0x201000', entries: { '510': '0x202027' } },
      { gpa: '0x202000', entries: { '0': '0x103025' } },
    ],
    steps,
  });
}

const hexOf = (n: number): string => '0x' + n.toString(16);

describe('time travel', () => {
  it(`the long scenario crosses several snapshots (SNAPSHOT_EVERY = ${SNAPSHOT_EVERY})`, () => {
    expect(longScenario().steps.length).toBeGreaterThan(3 * SNAPSHOT_EVERY);
  });

  it('a snapshot shares the pages that did not change since the last one, and never a page of the running machine', () => {
    for (const rules of RULE_SETS) {
      const b = new TimelineBuilder(longScenario(), rules, 2);
      let shared = 0;
      let copied = 0;
      while (!b.finished) {
        b.advance(1);
        const snaps = b.snapshots;
        const [prev, last] = [snaps[snaps.length - 2], snaps[snaps.length - 1]!];
        for (const [id, sp] of b.current.sps) expect(last.sps.get(id) === sp, `${rules}: page ${id} of the running machine`).toBe(false);
        if (!prev) continue;
        for (const [id, sp] of last.sps) {
          const p = prev.sps.get(id);
          if (!p) continue;
          // One object exactly when nothing about the page changed between the two snapshots.
          expect(p === sp, `${rules}: page ${id}`).toBe(sameShadowPage(p, sp));
          if (p === sp) shared++;
          else copied++;
        }
      }
      expect(shared, rules).toBeGreaterThan(0);
      expect(copied, rules).toBeGreaterThan(0);
      // And every state is still exact (the tests below compare each step with a replay from scratch).
      checkTimeTravel(longScenario(), rules, 99);
    }
  });

  it('takeSnapshots hands each snapshot over once, in order, the same as a builder that keeps them; then the builder holds none and makes no Timeline', () => {
    for (const rules of RULE_SETS) {
      const s = longScenario();
      const kept = new TimelineBuilder(s, rules, 3);
      kept.advance(Infinity);
      const taking = new TimelineBuilder(s, rules, 3);
      const taken: Machine[] = [];
      // Takes between uneven advances, as a worker sends them with its chunks.
      for (let n = 1; !taking.finished; n = (n % 7) + 1) {
        taking.advance(n);
        taken.push(...taking.takeSnapshots());
        expect(taking.snapshots, `${rules}: the builder keeps none it handed over`).toHaveLength(0);
      }
      taken.push(...taking.takeSnapshots());
      expect(taken.length, rules).toBe(kept.snapshots.length);
      taken.forEach((m, k) => expect(JSON.stringify(canon(m)), `${rules}: snapshot ${k}`).toBe(JSON.stringify(canon(kept.snapshots[k]))));
      expect(taking.takeSnapshots(), `${rules}: nothing twice`).toHaveLength(0);
      expect(() => taking.timeline()).toThrow(/snapshots were taken/);
    }
  });

  it('nothing writes a snapshot: with every snapshot page frozen, seeks and rebuilt events in any order stay exact', () => {
    for (const rules of RULE_SETS) {
      const s = longScenario();
      const ref = replay(s, rules);
      const b = new TimelineBuilder(s, rules, 3);
      b.advance(Infinity);
      // Pages are shared between snapshots; a write to one (ES modules are strict) throws here.
      for (const m of b.snapshots) for (const sp of m.sps.values()) Object.freeze(Object.freeze(sp).parentPtes);
      const t = b.timeline();
      for (const i of shuffled(s.steps.length + 1, 5)) expectSame(t.stateAt(i), ref.states[i]!, `${rules}: stateAt(${i})`);
      for (const i of shuffled(s.steps.length, 6)) expect(JSON.stringify(t.eventsOf(i)), `${rules}: eventsOf(${i})`).toBe(JSON.stringify(ref.results[i]!.events));
    }
  });

  for (const rules of RULE_SETS) {
    it(`fixed scenarios [${rules}]`, () => {
      checkTimeTravel(FIXTURE, rules, 7);
      checkTimeTravel(longScenario(), rules, 12345);
      checkTimeTravel(load({ format: 'shadowpaging/v1', title: 'Empty', guest: { mode: 'off' }, steps: [] }), rules, 1);
    });
  }

  const arbs: ReadonlyArray<[string, () => fc.Arbitrary<Plan>]> = [
    ['x86-32 tables', () => rawPlanArb('x86-32', 40)],
    ['pae mappings', () => mappingsPlanArb('pae', 40)],
    ['x86-64 tables', () => rawPlanArb('x86-64', 40)],
    ['x86-64 mappings', () => mappingsPlanArb('x86-64', 40)],
    ['paging off', () => rawPlanArb('off', 40)],
    ['x86-32 unsync and resync', () => unsyncPlanArb('x86-32', 40)],
  ];
  for (const [name, arb] of arbs) {
    it(`random scenarios: ${name}`, () => {
      fc.assert(
        fc.property(arb(), fc.constantFrom(...RULE_SETS), fc.nat(), (plan, rules, seed) => {
          checkTimeTravel(buildPlan(plan).scenario, rules, seed);
        }),
        { seed: Number(process.env.SP_SEED ?? 4242), numRuns: Number(process.env.SP_TT_RUNS ?? 8) },
      );
    });
  }
});
