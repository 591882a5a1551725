/**
 * A long text as a Blob (a file to save) without freezing the page: making a
 * Blob of a string encodes and copies it in one go, ~1 s for the 47 MB of the
 * 1,000,000-step file (the editor's Export .json) and as long again for a
 * whole scene's SVG at that size. A worker makes it instead; the page only
 * copies the text to it (~0.2 s at 47 MB), and the Blob comes back by
 * reference.
 */

/** Texts shorter than this are made into a Blob at once (~20 ms at 1 Mi characters). */
export const BLOB_WORKER_CHARS = 1 << 20;

export interface BlobRequest {
  readonly id: number;
  readonly text: string;
  readonly type: string;
}
export interface BlobReply {
  readonly id: number;
  readonly blob: Blob;
}

let nextId = 1;

/** `text` as a Blob of MIME type `type`: a long one made in a worker (here again if the worker fails). */
export function textBlob(text: string, type: string): Promise<Blob> {
  const here = () => new Blob([text], { type });
  if (text.length < BLOB_WORKER_CHARS || typeof Worker === 'undefined') return Promise.resolve(here());
  return new Promise((resolve) => {
    let w: Worker;
    try {
      w = new Worker(new URL('./blob.worker.ts', import.meta.url), { type: 'module', name: 'blob' });
    } catch {
      resolve(here());
      return;
    }
    const id = nextId++;
    const settle = (blob: Blob | null) => {
      w.terminate();
      resolve(blob ?? here());
    };
    w.addEventListener('message', (e: MessageEvent<BlobReply>) => {
      if (e.data.id === id) settle(e.data.blob);
    });
    w.addEventListener('error', (e) => {
      e.preventDefault?.();
      settle(null);
    });
    const req: BlobRequest = { id, text, type };
    w.postMessage(req);
  });
}
