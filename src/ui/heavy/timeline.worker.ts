/**
 * The timeline worker: validates a scenario (zod) and runs it, posting the
 * Timeline's parts back in chunks (protocol.ts). One build at a time; the
 * app terminates the worker to cancel one.
 */
/// <reference lib="webworker" />
import { compareRuleSets, type Machine, type MachineData, machineData, stepSummary, TimelineBuilder } from '../../core/index.ts';
import { formatScenarioError, parseScenario, parseScenarioText } from '../../scenarios/schema.ts';
import { type BuildReply, type BuildRequest, CHUNK_MAX_STEPS, COMPARE_CHUNK, COMPARE_LISTS, pageSnapshots, type ResultData, summarize } from './protocol.ts';

const post = (m: BuildReply) => (self as unknown as DedicatedWorkerGlobalScope).postMessage(m);

self.onmessage = (e: MessageEvent<BuildRequest>) => {
  const req = e.data;
  if (req.type === 'check') return post({ type: 'checked', id: req.id, result: summarize(parseScenarioText(req.text)) });
  if (req.type === 'compare') {
    const { requests, roleDifferences, behaviourDifferences, shadowSetDifferences, ...part } = compareRuleSets(req.scenario, req.rules);
    post({ type: 'compared', id: req.id, part });
    const lists = { requests, roleDifferences, behaviourDifferences, shadowSetDifferences };
    for (const key of COMPARE_LISTS) {
      const list = lists[key] as readonly unknown[];
      for (let i = 0; i < list.length; i += COMPARE_CHUNK) post({ type: 'compared', id: req.id, key, items: list.slice(i, i + COMPARE_CHUNK) });
    }
    return post({ type: 'compared', id: req.id, last: true });
  }
  if (req.type !== 'build') return;
  const { id } = req;
  try {
    let scenario = req.scenario;
    if (!scenario) {
      const parsed = req.text !== undefined ? parseScenarioText(req.text) : parseScenario(req.json);
      if (!parsed.ok) return post({ type: 'error', id, message: formatScenarioError(parsed.error) });
      scenario = parsed.scenario;
    }
    const b = new TimelineBuilder(scenario, req.rules);
    post({ type: 'start', id, scenario: { ...scenario, steps: [] }, total: scenario.steps.length, initialEvents: b.initialEvents, pages: b.pageCounts[0]! });
    let sentResults = 0;
    let seenSnapshots = 0;
    let lastSent: Machine | null = null;
    const { stride } = pageSnapshots(scenario.steps.length);
    // Every stride-th snapshot goes, as a delta against the one sent before it
    // (the page rebuilds them in the same order): O(changes), not O(state).
    const flush = () => {
      const snaps: MachineData[] = [];
      for (; seenSnapshots < b.snapshots.length; seenSnapshots++) {
        if (seenSnapshots % stride) continue;
        const m = b.snapshots[seenSnapshots]!;
        snaps.push(machineData(m, lastSent));
        lastSent = m;
      }
      const results: readonly ResultData[] = b.results.slice(sentResults).map(stepSummary);
      post({ type: 'chunk', id, done: b.done, steps: scenario.steps.slice(sentResults, b.done), results, snapshots: snaps, pages: b.pageCounts.slice(sentResults + 1, b.done + 1) });
      sentResults = b.done;
    };
    while (!b.finished) {
      b.advance(CHUNK_MAX_STEPS);
      flush();
    }
    if (b.done > sentResults || sentResults === 0) flush();
    post({ type: 'done', id, final: machineData(b.current, lastSent) });
  } catch (err) {
    post({ type: 'error', id, message: `The scenario could not be run (${err instanceof Error ? err.message : String(err)}).` });
  }
};
