/**
 * A Timeline handed over as plain data (issue 16: heavy scenarios are built
 * in a Web Worker): Timeline.fromParts(structuredClone(tl.parts())) gives the
 * same results, initial events and stateAt (machineJson, guest memory, the
 * whole Machine) at every step as the Timeline built here, for the built-ins
 * and random scenarios, with the usual and a sparser snapshot interval. And a
 * TimelineBuilder advanced in slices of any size builds the same timeline as
 * the constructor.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyStep, concatSummaries, createMachine, Host, type Machine, type MachineData, machineJson, RULE_SETS, type RuleSetName, type Scenario, SNAPSHOT_EVERY, SnapshotChain, Timeline, TimelineBuilder } from '../src/core/index.ts';
import { LIBRARY } from '../src/scenarios/library/index.ts';
import { parseScenario } from '../src/scenarios/schema.ts';
import { bitmapMut, gfnsMut, parentPtesMut, sptMut } from '../src/core/machine.ts';
import { canon } from './machine-canon.ts';
import { generateScenario100k } from '../bench/scenario100k.ts';
import type { BuildReply } from '../src/ui/heavy/protocol.ts';
import { pageSnapshots } from '../src/ui/heavy/protocol.ts';
import { streamTimeline, TimelineReceiver } from '../src/ui/heavy/stream.ts';
import { buildPlan, mappingsPlanArb, type Plan, rawPlanArb, unsyncPlanArb } from './scenario-gen.ts';

const dump = (m: Machine): string => JSON.stringify([machineJson(m), canon(m)]);

/** The reference timeline's dumps, made once: the same `want` is compared with several copies (the sweep's are ~1 MB each). */
const wantDumps = new WeakMap<Timeline, Map<number, string>>();
function wantDump(want: Timeline, i: number): string {
  let per = wantDumps.get(want);
  if (!per) wantDumps.set(want, (per = new Map()));
  let d = per.get(i);
  if (d === undefined) per.set(i, (d = dump(want.stateAt(i))));
  return d;
}

/**
 * The steps of `got` against `want` in an order that jumps about (every step
 * up to 48 steps; beyond, 48 of them spread over the run, 16 past 2,000 steps,
 * the first and the last included), then the copies are independent.
 */
function expectSameTimeline(got: Timeline, want: Timeline, what: string): void {
  expect(got.length, what).toBe(want.length);
  expect(JSON.stringify(got.initialEvents), `${what}: initial events`).toBe(JSON.stringify(want.initialEvents));
  expect(JSON.stringify(got.results), `${what}: results`).toBe(JSON.stringify(want.results));
  const n = want.length;
  const all = Array.from({ length: n + 1 }, (_, i) => (i * 7 + 3) % (n + 1));
  // 48 spread over the run; 16 for a run of thousands of steps, whose every state is a large
  // dump (the 7,000-step run's 48 took ~15 s of CI's unit time).
  const spread = n > 2000 ? 16 : 48;
  const order = [n, 0, ...(n <= spread ? all : all.filter((_, i) => i % Math.ceil((n + 1) / spread) === 0))];
  for (const i of order) expect(dump(got.stateAt(i)), `${what}: stateAt(${i})`).toBe(wantDump(want, i));
  // Step by step from the start, as the UI prepares steps (stateAt replays one step from the last state).
  for (let i = 0; i <= Math.min(n, 40); i++) expect(dump(got.stateAt(i)), `${what}: stateAt(${i}) in order`).toBe(wantDump(want, i));
  // A copy stepped on does not change the timeline it came from.
  const m = got.stateAt(n);
  m.stats.mmu_shadow_zapped += 1;
  m.mem.writeByte(0x1000, 0xab);
  // A shadow page's arrays are copy-on-write, each on its own: changed, as the core changes them, through their *Mut().
  for (const sp of m.sps.values()) {
    parentPtesMut(m, sp).push(1);
    sptMut(m, sp).set(5, 0xdead);
    if (sp.gfns) gfnsMut(m, sp).set(7, 123);
    bitmapMut(m, sp).set(3, 1);
  }
  expect(dump(got.stateAt(n)), `${what}: stateAt(${n}) after its copy changed`).toBe(wantDump(want, n));
}

/** What a worker does: build (in slices), hand over the parts, revive them on the other side. */
function handedOver(s: Scenario, rules: RuleSetName, every: number, slice: number): Timeline {
  const b = new TimelineBuilder(s, rules, every);
  while (!b.finished) b.advance(slice);
  return Timeline.fromParts(structuredClone(b.timeline().parts()));
}

const load = (doc: unknown): Scenario => {
  const r = parseScenario(doc);
  if (!r.ok) throw new Error(`${r.error.path}: ${r.error.message}`);
  return r.scenario;
};

/** A built-in's timeline under a rule set, built once for the tests below (with its dumps, wantDump). */
const builtIns = new Map<string, Timeline>();
function builtIn(id: string, s: Scenario, rules: RuleSetName): Timeline {
  const key = `${id}:${rules}`;
  let tl = builtIns.get(key);
  if (!tl) builtIns.set(key, (tl = new Timeline(s, rules)));
  return tl;
}

describe('a timeline handed over as plain data', () => {
  for (const e of LIBRARY) {
    it(`built-in ${e.id}: every step, every rule set, snapshots every ${SNAPSHOT_EVERY} and every 5`, () => {
      const s = load(e.json);
      for (const rules of RULE_SETS) {
        const want = builtIn(e.id, s, rules);
        expectSameTimeline(Timeline.fromParts(structuredClone(want.parts())), want, `${e.id} [${rules}] parts`);
        expectSameTimeline(handedOver(s, rules, 5, 3), want, `${e.id} [${rules}] every 5, slices of 3`);
      }
    });
  }

  /** What the timeline worker posts, through structured clone (buffers transferred), rebuilt as the page does. */
  function streamedWith(s: Scenario, rules: RuleSetName): { tl: Timeline; receiver: TimelineReceiver } {
    const receiver = new TimelineReceiver(rules);
    let tl: Timeline | null = null;
    streamTimeline(1, s, rules, (m: BuildReply, transfer: Transferable[] = []) => {
      const copy = structuredClone(m, { transfer });
      if (copy.type === 'start' || copy.type === 'chunk' || copy.type === 'done') tl = receiver.take(copy) ?? tl;
    });
    return { tl: tl!, receiver };
  }
  const streamed = (s: Scenario, rules: RuleSetName): Timeline => streamedWith(s, rules).tl;

  it('streamed as the worker sends it: every built-in, every rule set', () => {
    for (const e of LIBRARY) {
      const s = load(e.json);
      for (const rules of RULE_SETS) expectSameTimeline(streamed(s, rules), builtIn(e.id, s, rules), `${e.id} [${rules}] streamed`);
    }
    // The last test that reads them: their dumps (~300 MB for the sweep's) go now, not at the file's end.
    builtIns.clear();
  });

  it("revives a handed-over timeline's snapshots when they are first read, each once, in order (3,000 steps)", () => {
    const s = generateScenario100k(3000).scenario;
    const want = new Timeline(s, 'seed');
    const p = structuredClone(want.parts());
    const chain = new SnapshotChain(new Host(s.host));
    for (const d of p.snapshots) chain.push(d);
    chain.end(p.final);
    expect(() => chain.push(p.final)).toThrow(/after the final state/);
    const total = p.snapshots.length + 1;
    expect([chain.length, chain.pending]).toEqual([p.snapshots.length, total]);
    for (const k of [-1, chain.length, 1.5]) expect(chain.at(k)).toBeUndefined();
    expect(chain.pending).toBe(total);
    const got = Timeline.fromRevived({ ...p, snapshots: chain, final: () => chain.final() });
    // Step 0 needs the first snapshot only; a step in the sixth interval, the first six.
    expect(dump(got.stateAt(0))).toBe(wantDump(want, 0));
    expect(chain.pending).toBe(total - 1);
    const k = 5 * got.snapshotEvery + 3;
    expect(dump(got.stateAt(k))).toBe(wantDump(want, k));
    expect(chain.pending).toBe(total - 6);
    // The same machine object each read (revived once), and an earlier one costs nothing more.
    expect(chain.at(2)).toBe(chain.at(2));
    expect(chain.pending).toBe(total - 6);
    // The state after the last step: every snapshot before it too.
    expect(dump(got.stateAt(got.length))).toBe(wantDump(want, got.length));
    expect(chain.pending).toBe(0);
    expect(chain.reviveNext()).toBe(false);
    const j = 2 * got.snapshotEvery + 1;
    expect(dump(got.stateAt(j))).toBe(wantDump(want, j));
    // Not a step: a clear error, not some snapshot (an array's at() reads NaN as 0 and -1 as the last).
    expect(() => got.stateAt(NaN)).toThrow(RangeError);
    expect(() => want.stateAt(NaN)).toThrow(RangeError);
    expect(() => want.eventsOf(-1)).toThrow(RangeError);
    // Summaries joined out of order are refused.
    const cols = p.results;
    const rows = (first: number, n: number) => ({ first, outcome: cols.outcome.slice(first, first + n), vector: cols.vector.slice(first, first + n), errorCode: cols.errorCode.slice(first, first + n), gpa: cols.gpa.slice(first, first + n), valueLo: cols.valueLo.slice(first, first + n), valueHi: cols.valueHi.slice(first, first + n) });
    expect(concatSummaries([rows(0, 10), rows(10, 5)]).outcome).toEqual(cols.outcome.slice(0, 15));
    expect(() => concatSummaries([rows(0, 10), rows(11, 5)])).toThrow(/from step 11 where step 10 was expected/);
  });

  it('the page revives what it was sent in slices once the timeline is on screen (receiver.revival)', () => {
    const s = generateScenario100k(3000).scenario;
    const { tl, receiver } = streamedWith(s, 'seed');
    const units = [...receiver.revival()].length;
    // One unit a machine: every snapshot sent and the final state, less the last (revived by the call that ends it).
    const { every, stride } = pageSnapshots(s.steps.length);
    expect(units).toBe(Math.floor(s.steps.length / (every * stride)) + 1);
    expect([...receiver.revival()]).toEqual([]);
    const want = new Timeline(s, 'seed');
    for (const k of [0, 1000, 2777, 3000]) expect(dump(tl.stateAt(k)), `stateAt(${k})`).toBe(wantDump(want, k));
  });

  it("a rule switch's build (the page sent the scenario): no chunk carries steps, and the timeline is made on the page's own scenario object", () => {
    const s = generateScenario100k(2500).scenario;
    const receiver = new TimelineReceiver('merged', s);
    let tl: Timeline | null = null;
    let stepsSent = 0;
    let firstSoFar = -1;
    streamTimeline(
      1,
      structuredClone(s),
      'merged',
      (m: BuildReply, transfer: Transferable[] = []) => {
        const copy = structuredClone(m, { transfer });
        if (copy.type === 'chunk' && copy.steps) stepsSent += copy.steps.op.length;
        if (copy.type === 'start' || copy.type === 'chunk' || copy.type === 'done') tl = receiver.take(copy) ?? tl;
        if (copy.type === 'chunk' && firstSoFar < 0) firstSoFar = receiver.scenarioSoFar().steps.length;
      },
      false,
    );
    expect(stepsSent).toBe(0);
    expect(tl!.scenario).toBe(s);
    expect(firstSoFar).toBe(1000);
    expectSameTimeline(tl!, new Timeline(s, 'merged'), '2,500 steps, the scenario known');
    // A document's build (the page has no steps yet) must carry them: a chunk without is refused.
    const blind = new TimelineReceiver('seed');
    expect(() =>
      streamTimeline(2, s, 'seed', (m: BuildReply) => {
        if (m.type === 'start' || m.type === 'chunk') blind.take(m);
      }, false),
    ).toThrow(/without its steps/);
  });

  it('streamed with the page keeping every other snapshot (7,000 steps: a snapshot every 32 steps on the page)', () => {
    const s = generateScenario100k(7000).scenario;
    expect(pageSnapshots(s.steps.length)).toEqual({ every: 16, stride: 2 });
    const got = streamed(s, 'seed');
    expect(got.snapshotEvery).toBe(32);
    expectSameTimeline(got, new Timeline(s, 'seed'), '7,000 steps streamed');
  });

  it("a timeline's step results are the engine's, field for field (7,000 steps, so the builder's columns grow; every built-in, every rule set)", () => {
    const fields = (r: { index: number; outcome: string; gpa?: string; value?: string; vector?: number; errorCode?: number }) => ({ index: r.index, outcome: r.outcome, gpa: r.gpa, value: r.value, vector: r.vector, errorCode: r.errorCode });
    const runs: Array<[Scenario, RuleSetName]> = [[generateScenario100k(7000).scenario, 'seed'], ...LIBRARY.flatMap((e) => RULE_SETS.map((r) => [load(e.json), r] as [Scenario, RuleSetName]))];
    for (const [s, rules] of runs) {
      const { machine } = createMachine(s, rules, { tracing: false });
      const want = s.steps.map((st, i) => fields(applyStep(machine, i, st)));
      const tl = new Timeline(s, rules);
      // Read one at a time (the app's way: no record kept per step), and all at once.
      expect(
        Array.from({ length: tl.length }, (_, i) => fields(tl.result(i)!)),
        `${s.title} [${rules}]`,
      ).toEqual(want);
      expect(Array.from({ length: tl.length }, (_, i) => tl.outcome(i)), `${s.title} [${rules}] outcomes`).toEqual(want.map((r) => r.outcome));
      expect(tl.results.map(fields), `${s.title} [${rules}] results`).toEqual(want);
      // Past either end, or not a step number: undefined (the UI asks for step 0's and the last step + 1's).
      for (const i of [-1, tl.length, 0.5, NaN]) expect([tl.result(i), tl.outcome(i)]).toEqual([undefined, undefined]);
    }
  });

  it("sends each snapshot's chunks in one buffer of its own, transferred, and one snapshot per page interval", () => {
    const s = generateScenario100k(7000).scenario;
    const { every, stride } = pageSnapshots(s.steps.length);
    const sent: MachineData[] = [];
    streamTimeline(1, s, 'seed', (m: BuildReply, transfer: Transferable[] = []) => {
      const data = m.type === 'chunk' ? m.snapshots : m.type === 'done' ? [m.final] : [];
      for (const d of data) {
        expect(transfer).toContain(d.chunks);
        // Every list of chunks names a stretch of that buffer (indexes and an offset, no view per chunk);
        // the stretches, one after another, fill it: u32 chunks 136 bytes apart, the f64 gfns 264.
        const lists = [...d.frames.set.map(([, c]) => [c, 136] as const), ...[...d.sps.values()].flatMap((sp) => (sp ? ([[sp.spt, 136], [sp.gfns, 264], [sp.unsyncChildBitmap, 136]] as const).filter(([c]) => c !== null) : []))];
        let end = 0;
        for (const [c, size] of lists.filter(([c]) => c!.idx.length > 0).sort((a, b) => a[0]!.at - b[0]!.at)) {
          expect(c!.at).toBe(end);
          expect(c!.idx.every((ci) => Number.isInteger(ci))).toBe(true);
          end += c!.idx.length * size;
        }
        expect(end).toBe(d.chunks.byteLength);
        sent.push(d);
      }
      structuredClone(m, { transfer });
      // Transferred, so not copied: the worker's side is left detached.
      for (const d of data) expect(d.chunks.byteLength).toBe(0);
    });
    // One per `every * stride` steps (the first at step 0), and the final state. (That the worker
    // takes no others, which it did until it sent every stride-th, is a cost the bench measures.)
    expect(sent.length).toBe(Math.floor(s.steps.length / (every * stride)) + 2);
  });

  it('the parts are plain data: structured clone takes them, and they hold no function', () => {
    const tl = new Timeline(load(LIBRARY[0]!.json));
    const p = tl.parts();
    const fns: string[] = [];
    const walk = (x: unknown, path: string) => {
      if (typeof x === 'function') fns.push(path);
      else if (x instanceof Map) for (const [k, v] of x) walk(v, `${path}.get(${String(k)})`);
      else if (x && typeof x === 'object' && !ArrayBuffer.isView(x)) for (const [k, v] of Object.entries(x)) walk(v, `${path}.${k}`);
    };
    walk(p, 'parts');
    expect(fns).toEqual([]);
    expect(() => structuredClone(p)).not.toThrow();
  });

  it('a builder reports its progress and builds, slice by slice, what the constructor builds', () => {
    const s = load(LIBRARY.find((e) => e.id === 'sweep-64-tables')!.json);
    const b = new TimelineBuilder(s, 'seed');
    expect([b.done, b.total, b.finished]).toEqual([0, s.steps.length, false]);
    expect(b.advance(10)).toBe(10);
    expect(b.done).toBe(10);
    // Only the steps run are packed, whatever the range asked.
    expect(b.packed(0, 1000).outcome.length).toBe(10);
    expect(b.advance(1e9)).toBe(s.steps.length - 10);
    expect(b.finished).toBe(true);
    expect(b.advance(5)).toBe(0);
    expectSameTimeline(b.timeline(), new Timeline(s, 'seed'), 'sliced');
  });

  const arbs: ReadonlyArray<[string, () => fc.Arbitrary<Plan>]> = [
    ['x86-32 tables', () => rawPlanArb('x86-32', 40)],
    ['pae mappings', () => mappingsPlanArb('pae', 40)],
    ['x86-64 tables', () => rawPlanArb('x86-64', 40)],
    ['paging off', () => rawPlanArb('off', 40)],
    ['x86-32 unsync and resync', () => unsyncPlanArb('x86-32', 40)],
  ];
  for (const [name, arb] of arbs) {
    it(`random scenarios: ${name}`, () => {
      fc.assert(
        fc.property(arb(), fc.constantFrom(...RULE_SETS), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 50 }), (plan, rules, every, slice) => {
          const s = buildPlan(plan).scenario;
          expectSameTimeline(handedOver(s, rules, every, slice), new Timeline(s, rules), `every ${every}, slices of ${slice}`);
        }),
        { seed: Number(process.env.SP_SEED ?? 4242), numRuns: Number(process.env.SP_TT_RUNS ?? 8) },
      );
    });
  }
});
