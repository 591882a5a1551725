/**
 * The timeline worker: validates a scenario (zod) and runs it, posting the
 * Timeline's parts back in chunks (protocol.ts). One build at a time; the
 * app terminates the worker to cancel one.
 */
/// <reference lib="webworker" />
import { compareRuleSets } from '../../core/index.ts';
import { formatScenarioError, type ParseResult, parseScenario, parseScenarioText } from '../../scenarios/schema.ts';
import { fingerprintOfText } from './fingerprint-text.ts';
import { type BuildReply, type BuildRequest, COMPARE_CHUNK, COMPARE_LISTS, PROGRESS_MS, summarize } from './protocol.ts';
import { unpackScenario } from './steps-pack.ts';
import { streamTimeline } from './stream.ts';
import { traceBlob } from './trace-blob.ts';

const post = (m: BuildReply, transfer: Transferable[] = []) => (self as unknown as DedicatedWorkerGlobalScope).postMessage(m, transfer);

/**
 * The last text an import had checked here (build.ts prepareBuild: the
 * import's check) and its parse, kept for the build of that text, which
 * follows at once when the document goes on screen: it starts without
 * parsing the text again (~0.5 s of a 100,000-step open). Taken by the next
 * request of any kind, and dropped after KEEP_MS when none comes (the
 * document was already on screen, or short enough to run on the page), so at
 * most one parse is kept, for a moment.
 */
let kept: { readonly text: string; readonly parsed: ParseResult } | null = null;
let keptTimer: ReturnType<typeof setTimeout> | undefined;
const KEEP_MS = 30_000;

/** The kept parse, taken (none is kept after this). */
function takeKept(): typeof kept {
  const k = kept;
  kept = null;
  clearTimeout(keptTimer);
  return k;
}

/** `report`, called at most once every `ms` (the steps run so far, as a build's progress: ~10 times a second). */
function atMostEvery(ms: number, report: (done: number) => void): (done: number) => void {
  let told = 0;
  return (done) => {
    const now = performance.now();
    if (now - told < ms) return;
    told = now;
    report(done);
  };
}

self.onmessage = (e: MessageEvent<BuildRequest>) => {
  const req = e.data;
  const k = takeKept();
  if (req.type === 'check') {
    const parsed = parseScenarioText(req.text);
    if (req.keep) {
      kept = { text: req.text, parsed };
      keptTimer = setTimeout(takeKept, KEEP_MS);
    }
    return post({ type: 'checked', id: req.id, result: summarize(parsed) });
  }
  if (req.type === 'fingerprint') return post({ type: 'fingerprinted', id: req.id, fingerprint: fingerprintOfText(req.text) });
  if (req.type === 'compare') {
    const progress = atMostEvery(PROGRESS_MS, (done) => post({ type: 'compared', id: req.id, progress: done }));
    const { requests, roleDifferences, behaviourDifferences, shadowSetDifferences, ...part } = compareRuleSets(unpackScenario(req.packed), req.rules, progress);
    post({ type: 'compared', id: req.id, part });
    const lists = { requests, roleDifferences, behaviourDifferences, shadowSetDifferences };
    for (const key of COMPARE_LISTS) {
      const list = lists[key] as readonly unknown[];
      for (let i = 0; i < list.length; i += COMPARE_CHUNK) post({ type: 'compared', id: req.id, key, items: list.slice(i, i + COMPARE_CHUNK) });
    }
    return post({ type: 'compared', id: req.id, last: true });
  }
  if (req.type === 'trace') {
    const progress = atMostEvery(PROGRESS_MS, (done) => post({ type: 'traced', id: req.id, progress: done }));
    try {
      return post({ type: 'traced', id: req.id, file: traceBlob(unpackScenario(req.packed), req.rules, progress) });
    } catch (err) {
      // Most likely out of memory, or a Blob larger than the browser keeps.
      return post({ type: 'error', id: req.id, message: `The trace could not be written (${err instanceof Error ? err.message : String(err)})` });
    }
  }
  if (req.type !== 'build') return;
  const { id } = req;
  try {
    let scenario = req.packed ? unpackScenario(req.packed) : undefined;
    if (!scenario) {
      const parsed = req.text !== undefined ? (k?.text === req.text ? k.parsed : parseScenarioText(req.text)) : parseScenario(req.json);
      if (!parsed.ok) return post({ type: 'error', id, message: formatScenarioError(parsed.error) });
      scenario = parsed.scenario;
    }
    // A scenario the page sent: the page has its steps.
    streamTimeline(id, scenario, req.rules, post, !req.packed);
  } catch (err) {
    post({ type: 'error', id, message: `The scenario could not be run (${err instanceof Error ? err.message : String(err)}).` });
  }
};
