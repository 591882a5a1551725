/**
 * A document's fingerprint: the length and CRC-32 of its JSON text, which the
 * tab keeps (storage setTabShown) to tell later whether the editor's document
 * is the scenario on screen. Taking it means writing the whole document out:
 * ~0.15 s at 100,000 steps, ~0.8 s at 1,000,000, a freeze of the page after
 * every heavy import. A heavy document's is therefore taken in a worker from
 * its text (parsed and written out there: the same JSON text as the page's
 * parse of that text gives), and remembered here by document object, so the
 * editor's later checks of the same object cost nothing.
 */
import { askWorker } from './ask-worker.ts';
import { isHeavy } from './build.ts';
import { jsonText } from './check.ts';
import { fingerprintOfJsonText } from './fingerprint-text.ts';
import type { BuildReply, BuildRequest } from './protocol.ts';

/** Fingerprints known by document object (taken on the page, or in a worker). */
const known = new WeakMap<object, string>();

/** A document's fingerprint taken before, if any. */
const knownOf = (json: unknown): string | undefined => (json !== null && typeof json === 'object' ? known.get(json) : undefined);

/** `json`'s fingerprint, taken here (the whole document written out) unless it is known. */
export function fingerprint(json: unknown): string {
  const k = knownOf(json);
  if (k !== undefined) return k;
  const fp = fingerprintOfJsonText(jsonText(json) ?? '');
  if (json !== null && typeof json === 'object') known.set(json, fp);
  return fp;
}

/**
 * `json`'s fingerprint, where `text` is the text it was parsed from: a heavy
 * document's is taken from the text in a worker of its own (the page only
 * copies the text to it), any other at once. Resolves with the fingerprint;
 * a worker that fails falls back to taking it here.
 */
export async function fingerprintLater(json: unknown, text: string): Promise<string> {
  const k = knownOf(json);
  if (k !== undefined) return k;
  if (!isHeavy(json) || typeof Worker === 'undefined') return fingerprint(json);
  const req: BuildRequest = { type: 'fingerprint', id: 1, text };
  const fp = await askWorker(
    () => new Worker(new URL('./timeline.worker.ts', import.meta.url), { type: 'module', name: 'fingerprint' }),
    req,
    (m: BuildReply) => (m.type === 'fingerprinted' ? m.fingerprint : m.type === 'error' ? null : undefined),
  );
  if (fp === null) return fingerprint(json);
  known.set(json as object, fp);
  return fp;
}
