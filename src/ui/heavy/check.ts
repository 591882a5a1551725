/**
 * The editor's validation of a scenario text, off the main thread when the
 * text is long: a 10,000-step file (~700,000 characters) takes 40 to 80 ms to
 * parse and validate in Chromium, a long task each time the editor checked
 * it. Texts up to CHECK_SYNC_CHARS are checked at once, as before.
 */
import { useEffect, useState } from 'react';
import { parseScenarioText } from '../../scenarios/schema.ts';

export type { CheckResult } from './protocol.ts';
import { type BuildReply, type BuildRequest, type CheckResult, summarize } from './protocol.ts';

/** Longer texts are checked in the worker (a 300-step scenario is ~20,000 characters). */
export const CHECK_SYNC_CHARS = 100_000;

/** The last results, by text: the import checks a file, then the editor shows the same text. */
const results = new Map<string, CheckResult>();
export const rememberCheck = (text: string, r: CheckResult): CheckResult => {
  results.set(text, r);
  while (results.size > 4) results.delete(results.keys().next().value!);
  return r;
};

let worker: Worker | null = null;
let broken = false;
let nextId = 1;
const waiting = new Map<number, { text: string; resolve: (r: CheckResult) => void }>();

function checker(): Worker | null {
  if (broken || typeof Worker === 'undefined') return null;
  if (!worker) {
    try {
      worker = new Worker(new URL('./timeline.worker.ts', import.meta.url), { type: 'module', name: 'check' });
      worker.addEventListener('message', (e: MessageEvent<BuildReply>) => {
        const m = e.data;
        if (m.type !== 'checked') return;
        const w = waiting.get(m.id);
        if (!w) return;
        waiting.delete(m.id);
        w.resolve(rememberCheck(w.text, m.result));
      });
      worker.addEventListener('error', () => {
        broken = true;
        worker = null;
        // Whatever was waiting is checked here after all.
        for (const [id, w] of waiting) {
          waiting.delete(id);
          w.resolve(rememberCheck(w.text, summarize(parseScenarioText(w.text))));
        }
      });
    } catch {
      broken = true;
      return null;
    }
  }
  return worker;
}

/** The result at once when the text is short or was checked already; else null. */
export function checkedNow(text: string): CheckResult | null {
  const hit = results.get(text);
  if (hit) return hit;
  return text.length <= CHECK_SYNC_CHARS || !checker() ? rememberCheck(text, summarize(parseScenarioText(text))) : null;
}

/** Validates `text` (in the worker when it is long). */
export function checkScenarioText(text: string): Promise<CheckResult> {
  const now = checkedNow(text);
  if (now) return Promise.resolve(now);
  const w = checker()!;
  return new Promise((resolve) => {
    const id = nextId++;
    waiting.set(id, { text, resolve });
    const req: BuildRequest = { type: 'check', id, text };
    w.postMessage(req);
  });
}

/** The check of `text` for a component: null while a long text is being checked. */
export function useScenarioCheck(text: string): CheckResult | null {
  const [, setDone] = useState(0);
  const now = checkedNow(text);
  useEffect(() => {
    if (now) return;
    let live = true;
    void checkScenarioText(text).then(() => live && setDone((n) => n + 1));
    return () => {
      live = false;
    };
  }, [text, now]);
  return now;
}

/** JSON text of documents already written out, by object: the scenario on screen is compared with each edit. */
const texts = new WeakMap<object, string>();
export const jsonText = (v: unknown): string | undefined => {
  if (!v || typeof v !== 'object') return JSON.stringify(v);
  let t = texts.get(v);
  if (t === undefined) {
    t = JSON.stringify(v);
    texts.set(v, t);
  }
  return t;
};

/**
 * Whether two documents are the same JSON (key order included, as the
 * editor compared them before): at once when they are the same object, and
 * each object is written out once however often it is compared.
 */
export const sameDocument = (a: unknown, b: unknown): boolean => a === b || (sameStepCount(a, b) && jsonText(a) === jsonText(b));

/** A quick no: documents whose step lists differ in length differ (a new 10,000-step file is not written out to find that). */
const sameStepCount = (a: unknown, b: unknown): boolean => {
  const n = (v: unknown) => (v && typeof v === 'object' && Array.isArray((v as { steps?: unknown }).steps) ? (v as { steps: unknown[] }).steps.length : -1);
  return n(a) === n(b);
};
