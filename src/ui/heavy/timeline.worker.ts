/**
 * The timeline worker: validates a scenario (zod) and runs it, posting the
 * Timeline's parts back in chunks (protocol.ts). One build at a time; the
 * app terminates the worker to cancel one.
 */
/// <reference lib="webworker" />
import { compareRuleSets } from '../../core/index.ts';
import { formatScenarioError, parseScenario, parseScenarioText } from '../../scenarios/schema.ts';
import { type BuildReply, type BuildRequest, COMPARE_CHUNK, COMPARE_LISTS, summarize } from './protocol.ts';
import { streamTimeline } from './stream.ts';

const post = (m: BuildReply, transfer: Transferable[] = []) => (self as unknown as DedicatedWorkerGlobalScope).postMessage(m, transfer);

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
    streamTimeline(id, scenario, req.rules, post);
  } catch (err) {
    post({ type: 'error', id, message: `The scenario could not be run (${err instanceof Error ? err.message : String(err)}).` });
  }
};
