/**
 * A timeline as a stream of messages (protocol.ts): the worker's side
 * (`streamTimeline`: run, and post each chunk as it is done) and the page's
 * (`TimelineReceiver`: rebuild the timeline from them). Both sides live here
 * so that a unit test can run the same pair without a Worker.
 */
import {
  Host,
  type Machine,
  type MachineData,
  machineData,
  type RuleSetName,
  type Scenario,
  type sim_PackedSummaries,
  SnapshotChain,
  Timeline,
  TimelineBuilder,
  type TraceEvent,
  concatSummaries,
} from '../../core/index.ts';
import { type BuildReply, CHUNK_MAX_STEPS, pageSnapshots, resultBuffers } from './protocol.ts';
import { packedStepBuffers, packSteps, unpackSteps } from './steps-pack.ts';

type Post = (m: BuildReply, transfer?: Transferable[]) => void;

/**
 * Runs `scenario` and posts the start, a chunk every CHUNK_MAX_STEPS steps,
 * and the end. `sendSteps` false: the page has the steps (it sent the
 * scenario), and the chunks come without them.
 */
export function streamTimeline(id: number, scenario: Scenario, rules: RuleSetName, post: Post, sendSteps = true): void {
  // The builder takes only the snapshots the page keeps (every `stride`-th
  // of a Timeline's own): the worker's timeline is dropped once sent, and
  // the ones in between were ~5,900 of the 100k open's 6,250 machine copies.
  const { every, stride } = pageSnapshots(scenario.steps.length);
  const b = new TimelineBuilder(scenario, rules, every * stride);
  post({ type: 'start', id, scenario: { ...scenario, steps: [] }, total: scenario.steps.length, initialEvents: b.initialEvents, pages: b.pageCounts[0]! });
  let sentResults = 0;
  let lastSent: Machine | null = null;
  // Each snapshot goes as a delta against the one sent before it (the page
  // rebuilds them in the same order): O(changes), not O(state). Taken from
  // the builder as they are sent: the worker keeps only the last.
  const flush = () => {
    const snapshots: MachineData[] = [];
    for (const m of b.takeSnapshots()) {
      snapshots.push(machineData(m, lastSent));
      lastSent = m;
    }
    const results = b.packed(sentResults, b.done);
    // Transferred, not copied: the steps' and results' arrays and each snapshot's chunk buffer (made for this message).
    const steps = sendSteps ? packSteps(scenario.steps, sentResults, b.done) : null;
    post({ type: 'chunk', id, done: b.done, steps, results, snapshots, pages: b.pageCounts.slice(sentResults + 1, b.done + 1) }, [...(steps ? packedStepBuffers(steps) : []), ...resultBuffers(results), ...snapshots.map((d) => d.chunks)]);
    sentResults = b.done;
  };
  while (!b.finished) {
    b.advance(CHUNK_MAX_STEPS);
    flush();
  }
  if (b.done > sentResults || sentResults === 0) flush();
  const final = machineData(b.current, lastSent);
  post({ type: 'done', id, final }, [final.chunks]);
}

/**
 * The page's side: the timeline rebuilt from the messages of one build. Its
 * snapshots are revived when the timeline reads them (SnapshotChain), or by
 * `revival` once it is on screen, not as their chunks come. `known`: the
 * scenario the page sent (a rule switch); the timeline is made on that very
 * object, whose steps the chunks do not carry. (Made again from the chunks,
 * a rule switch of the 1,000,000-step file left a second million step
 * objects beside the store's: ~200 MB more heap after each switch.)
 */
export class TimelineReceiver {
  private scenario: Scenario | null = null;
  private chain: SnapshotChain | null = null;
  private initialEvents: readonly TraceEvent[] = [];
  /** The chunks' results as they came (packed: no object per step), joined when the timeline is made. */
  private readonly results: sim_PackedSummaries[] = [];
  private readonly pages: number[] = [];
  private readonly steps: Scenario['steps'][number][] = [];
  /** Steps run so far. */
  private done = 0;
  total = 0;

  constructor(
    private readonly rules: RuleSetName,
    private readonly known: Scenario | null = null,
  ) {}

  /**
   * Revives the snapshots not read yet, one per `next()` (for the page to run
   * in slices once the timeline is on screen, so that a jump finds them ready).
   */
  revival(): Generator<void, void, void> {
    // The chain only (not the receiver's other parts), for as long as the revival is kept.
    const chain = this.chain;
    return (function* () {
      while (chain?.reviveNext()) yield;
    })();
  }

  /** The scenario with the steps received so far. */
  scenarioSoFar(): Scenario {
    return { ...this.scenario!, steps: this.known ? this.known.steps.slice(0, this.done) : this.steps.slice() };
  }

  /** Takes a start or chunk message; the Timeline at `done`. */
  take(m: Extract<BuildReply, { type: 'start' | 'chunk' | 'done' }>): Timeline | null {
    switch (m.type) {
      case 'start':
        this.scenario = this.known ?? m.scenario;
        this.total = m.total;
        this.initialEvents = m.initialEvents;
        this.chain = new SnapshotChain(new Host(m.scenario.host));
        this.pages.push(m.pages);
        return null;
      case 'chunk':
        if (m.steps) unpackSteps(m.steps, this.steps);
        else if (!this.known) throw new Error('internal: a chunk without its steps for a build of a document');
        this.done = m.done;
        this.results.push(m.results);
        for (const d of m.snapshots) this.chain!.push(d);
        for (const n of m.pages) this.pages.push(n);
        return null;
      case 'done': {
        const s: Scenario = this.known ?? { ...this.scenario!, steps: this.steps };
        const chain = this.chain!;
        chain.end(m.final);
        const { every, stride } = pageSnapshots(s.steps.length);
        const results = concatSummaries(this.results);
        // The chunks' columns are copied into one: not kept twice.
        this.results.length = 0;
        return Timeline.fromRevived({ scenario: s, rules: this.rules, snapshotEvery: every * stride, initialEvents: this.initialEvents, results, pageCounts: this.pages, snapshots: chain, final: () => chain.final() });
      }
    }
  }
}
