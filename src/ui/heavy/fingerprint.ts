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
import { HEAVY_STEPS } from './build.ts';
import { jsonText } from './check.ts';
import { fingerprintOfJsonText } from './fingerprint-text.ts';
import type { BuildReply, BuildRequest } from './protocol.ts';

/** Fingerprints known by document object (taken on the page, or in a worker). */
const known = new WeakMap<object, string>();

/** `json`'s fingerprint, taken here (the whole document written out) unless it is known. */
export function fingerprint(json: unknown): string {
  const k = json !== null && typeof json === 'object' ? known.get(json) : undefined;
  if (k !== undefined) return k;
  const fp = fingerprintOfJsonText(jsonText(json) ?? '');
  if (json !== null && typeof json === 'object') known.set(json, fp);
  return fp;
}

let nextId = 1;

/**
 * `json`'s fingerprint, where `text` is the text it was parsed from: a heavy
 * document's is taken from the text in a worker of its own (the page only
 * copies the text to it), any other at once. Resolves with the fingerprint;
 * a worker that fails falls back to taking it here.
 */
export function fingerprintLater(json: unknown, text: string): Promise<string> {
  const k = json !== null && typeof json === 'object' ? known.get(json) : undefined;
  if (k !== undefined) return Promise.resolve(k);
  const steps = json !== null && typeof json === 'object' ? (json as { steps?: unknown }).steps : undefined;
  if (!Array.isArray(steps) || steps.length <= HEAVY_STEPS || typeof Worker === 'undefined') return Promise.resolve(fingerprint(json));
  return new Promise((resolve) => {
    let w: Worker;
    try {
      w = new Worker(new URL('./timeline.worker.ts', import.meta.url), { type: 'module', name: 'fingerprint' });
    } catch {
      resolve(fingerprint(json));
      return;
    }
    const id = nextId++;
    const settle = (fp: string | null) => {
      w.terminate();
      if (fp === null) return resolve(fingerprint(json));
      known.set(json as object, fp);
      resolve(fp);
    };
    w.addEventListener('message', (e: MessageEvent<BuildReply>) => {
      const m = e.data;
      if (m.id !== id) return;
      if (m.type === 'fingerprinted') settle(m.fingerprint);
      else if (m.type === 'error') settle(null);
    });
    w.addEventListener('error', (e) => {
      e.preventDefault?.();
      settle(null);
    });
    const req: BuildRequest = { type: 'fingerprint', id, text };
    w.postMessage(req);
  });
}
