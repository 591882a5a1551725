/**
 * A document's fingerprint (heavy/fingerprint.ts): the same from its text (the
 * worker's side) as from the page's parse of that text, and a heavy
 * document's taken in a worker, so the page never writes it out.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { HEAVY_STEPS } from './build.ts';
import { fingerprint, fingerprintLater } from './fingerprint.ts';
import { fingerprintOfJsonText, fingerprintOfText } from './fingerprint-text.ts';
import type { BuildReply, BuildRequest } from './protocol.ts';

describe('fingerprintOfText', () => {
  it("is the fingerprint of the page's parse of the same text, however the text is laid out", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(undefined, 1, 2, '\t'), fc.boolean(), (v, indent, bom) => {
        const text = `${bom ? '\ufeff' : ''}${JSON.stringify(v, null, indent)}`;
        const page: unknown = JSON.parse(bom ? text.slice(1) : text);
        expect(fingerprintOfText(text)).toBe(fingerprintOfJsonText(JSON.stringify(page)));
      }),
    );
  });

  it('is null for a text that is not JSON', () => {
    expect(fingerprintOfText('{"steps": [1,')).toBeNull();
  });
});

/** A stand-in for the timeline worker that answers fingerprint requests as the worker does, or fails. */
function fakeWorker(mode: 'answer' | 'fail') {
  const made: string[] = [];
  class FakeWorker extends EventTarget {
    terminated = false;
    constructor(_url: URL, opts: { name?: string }) {
      super();
      made.push(opts.name ?? '');
    }
    postMessage(req: BuildRequest) {
      if (req.type !== 'fingerprint') throw new Error(`unexpected ${req.type}`);
      queueMicrotask(() => {
        if (mode === 'fail') return this.dispatchEvent(Object.assign(new Event('error'), { message: 'boom' }));
        const reply: BuildReply = { type: 'fingerprinted', id: req.id, fingerprint: fingerprintOfText(req.text) };
        this.dispatchEvent(new MessageEvent('message', { data: reply }));
      });
    }
    terminate() {
      this.terminated = true;
    }
  }
  (globalThis as { Worker?: unknown }).Worker = FakeWorker;
  return made;
}

/** A heavy document whose steps count each time the page writes them out. */
function heavyDoc() {
  const written = { count: 0 };
  const steps = Array.from({ length: HEAVY_STEPS + 1 }, (_, i) => ({ op: 'read', gva: `0x${(i * 4096).toString(16)}`, toJSON: () => (written.count++, { op: 'read', gva: `0x${(i * 4096).toString(16)}` }) }));
  const json = { format: 'shadowpaging/v1', title: 'Heavy', guest: { mode: 'off' }, steps };
  // The file's text: what JSON.stringify gives of the document (the toJSONs write the steps as plain data).
  const text = JSON.stringify(json, null, 2);
  written.count = 0;
  return { json, text, written, expected: fingerprintOfJsonText(JSON.stringify(JSON.parse(text))) };
}

describe('fingerprintLater', () => {
  const saved = (globalThis as { Worker?: unknown }).Worker;
  afterEach(() => {
    (globalThis as { Worker?: unknown }).Worker = saved;
  });

  it("takes a heavy document's fingerprint in a worker from its text; the page then knows it without writing the document out", async () => {
    const made = fakeWorker('answer');
    const { json, text, written, expected } = heavyDoc();
    expect(await fingerprintLater(json, text)).toBe(expected);
    expect(made).toEqual(['fingerprint']);
    expect(fingerprint(json)).toBe(expected);
    expect(written.count).toBe(0);
    // Known: a second call asks no worker.
    expect(await fingerprintLater(json, text)).toBe(expected);
    expect(made).toHaveLength(1);
  });

  it('takes it on the page when the worker fails, or for a short document', async () => {
    fakeWorker('fail');
    const { json, text, written, expected } = heavyDoc();
    expect(await fingerprintLater(json, text)).toBe(expected);
    expect(written.count).toBe(HEAVY_STEPS + 1);
    const made = fakeWorker('answer');
    const short = { format: 'shadowpaging/v1', title: 'Short', guest: { mode: 'off' }, steps: [{ op: 'read', gva: '0x1000' }] };
    expect(await fingerprintLater(short, JSON.stringify(short))).toBe(fingerprintOfJsonText(JSON.stringify(short)));
    expect(made).toEqual([]);
  });
});
