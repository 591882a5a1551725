/**
 * textBlob: a long text's Blob is made in a worker (the page only copies the
 * text to it), a short one at once, and the page makes it when the worker
 * fails; the worker's handler answers with a Blob of the text. partsBlob:
 * a text's pieces made into one Blob a part at a time.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { BLOB_PART_CHARS, BLOB_WORKER_CHARS, type BlobReply, type BlobRequest, partsBlob, textBlob } from './text-blob.ts';
import { workerHere } from './worker-here.ts';

const { replies: workerReplies, send } = workerHere<BlobRequest, BlobReply>(() => import('./blob.worker.ts'));

/** A stand-in Worker that runs blob.worker.ts's handler (in this thread), or fails. */
function fakeWorker(mode: 'answer' | 'fail') {
  const made: string[] = [];
  class FakeWorker extends EventTarget {
    constructor(url: URL, opts: { name?: string }) {
      super();
      made.push(`${opts.name}:${url.pathname.split('/').pop()}`);
    }
    postMessage(req: BlobRequest) {
      queueMicrotask(() => {
        if (mode === 'fail') return this.dispatchEvent(Object.assign(new Event('error'), { message: 'boom' }));
        send(req);
        this.dispatchEvent(new MessageEvent('message', { data: workerReplies.pop() }));
      });
    }
    terminate() {}
  }
  (globalThis as { Worker?: unknown }).Worker = FakeWorker;
  return made;
}

describe('textBlob', () => {
  const saved = (globalThis as { Worker?: unknown }).Worker;
  afterEach(() => {
    (globalThis as { Worker?: unknown }).Worker = saved;
  });
  const long = `{"steps": [${'0,'.repeat(BLOB_WORKER_CHARS / 2)}0]}`;

  it('makes a long text into a Blob in a worker, with its type and every character', async () => {
    const made = fakeWorker('answer');
    const b = await textBlob(long, 'application/json');
    expect(made).toEqual(['blob:blob.worker.ts']);
    expect(b.type).toBe('application/json');
    expect(await b.text()).toBe(long);
  });

  it('makes a short text into a Blob at once, and a long one here when the worker fails', async () => {
    const made = fakeWorker('answer');
    expect(await (await textBlob('{"a": "é"}', 'application/json')).text()).toBe('{"a": "é"}');
    expect(made).toEqual([]);
    fakeWorker('fail');
    const b = await textBlob(long, 'image/svg+xml');
    expect(b.type).toBe('image/svg+xml');
    expect(await b.text()).toBe(long);
  });
});

describe('partsBlob', () => {
  it('is the pieces joined, with its type, for pieces of any sizes (some longer than a part)', async () => {
    const pieces = ['<?xml?>\n', 'é'.repeat(10), 'a'.repeat(BLOB_PART_CHARS + 5), '', 'b'.repeat(BLOB_PART_CHARS / 2), 'c'.repeat(BLOB_PART_CHARS / 2 + 1), 'ü€\n'];
    const blob = await partsBlob(pieces, 'image/svg+xml');
    expect(blob.type).toBe('image/svg+xml');
    expect((await blob.text()) === pieces.join('')).toBe(true);
    expect(blob.size).toBe(new TextEncoder().encode(pieces.join('')).length);
  });

  it('is an empty file for no pieces', async () => {
    const blob = await partsBlob([], 'text/plain');
    expect(blob.size).toBe(0);
    expect(blob.type).toBe('text/plain');
  });
});
