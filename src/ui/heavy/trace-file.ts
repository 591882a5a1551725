/**
 * The editor's "Download trace": the CLI's trace document with events
 * (sim_traceJsonText, byte for byte) as a file. A heavy scenario's is written
 * in a worker of its own, with its progress and a cancel. Why: on the page,
 * the 1,000,000-step file's trace (~1.9 GB of text) froze it for ~35 s with
 * no sign of life; in the worker the page stays usable while it is written.
 */
import type { RuleSetName, Scenario } from '../../core/index.ts';
import { HEAVY_STEPS } from './build.ts';
import type { BuildReply, BuildRequest } from './protocol.ts';
import { packScenario } from './steps-pack.ts';
import { traceBlob } from './trace-blob.ts';

let nextId = 1;

export interface TraceJob {
  /** Called with the steps run so far (a heavy scenario's, in the worker). */
  readonly progress: (stepsDone: number) => void;
  readonly done: (file: Blob) => void;
  /** One sentence: why no file was written. */
  readonly failed: (message: string) => void;
}

/**
 * Writes the trace: at once for a short scenario, else in a new worker.
 * Returns a cancel (which ends the worker), or null when it was written at once.
 */
export function writeTrace(scenario: Scenario, rules: RuleSetName, job: TraceJob): (() => void) | null {
  const heavy = scenario.steps.length > HEAVY_STEPS && typeof Worker !== 'undefined';
  if (!heavy) {
    job.done(traceBlob(scenario, rules));
    return null;
  }
  let w: Worker;
  try {
    w = new Worker(new URL('./timeline.worker.ts', import.meta.url), { type: 'module', name: 'trace' });
  } catch {
    job.done(traceBlob(scenario, rules));
    return null;
  }
  const id = nextId++;
  w.addEventListener('message', (e: MessageEvent<BuildReply>) => {
    const m = e.data;
    if (m.id !== id) return;
    if (m.type === 'error') {
      w.terminate();
      job.failed(m.message);
    } else if (m.type === 'traced') {
      if (m.progress !== undefined) job.progress(m.progress);
      if (m.file) {
        w.terminate();
        job.done(m.file);
      }
    }
  });
  w.addEventListener('error', (e) => {
    e.preventDefault?.();
    w.terminate();
    job.failed(`The trace could not be written (${e.message || 'the worker failed'})`);
  });
  const { packed, transfer } = packScenario(scenario);
  const req: BuildRequest = { type: 'trace', id, packed, rules };
  w.postMessage(req, transfer);
  return () => w.terminate();
}
