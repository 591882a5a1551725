/**
 * A trace document as a Blob, written piece by piece (the worker's side of
 * the editor's "Download trace": trace-file.ts), apart from the page's side
 * so that the worker's code does not take in the code that starts workers.
 */
import { type RuleSetName, type Scenario, sim_traceJsonText } from '../../core/index.ts';

/**
 * How many characters of text are joined into one Blob at a time. A Blob
 * holds its bytes outside the JavaScript heap (the browser keeps a large
 * one on disk), so the worker's heap holds at most this much text at once,
 * not the whole document.
 */
const FOLD_CHARS = 32 * 1024 * 1024;

/** The trace document of `scenario` under `rules` as a Blob (JSON); `progress` as sim_traceJsonText's. */
export function traceBlob(scenario: Scenario, rules: RuleSetName, progress?: (stepsDone: number) => void): Blob {
  const blobs: Blob[] = [];
  let parts: string[] = [];
  let chars = 0;
  const fold = () => {
    blobs.push(new Blob(parts, { type: 'application/json' }));
    parts = [];
    chars = 0;
  };
  for (const piece of sim_traceJsonText(scenario, { rules, at: null, events: true }, 1 << 16, progress)) {
    parts.push(piece);
    chars += piece.length;
    if (chars >= FOLD_CHARS) fold();
  }
  fold();
  return new Blob(blobs, { type: 'application/json' });
}
