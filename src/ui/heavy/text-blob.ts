/**
 * A long text as a Blob (a file to save) without freezing the page: making a
 * Blob of a string encodes and copies it in one go, ~1 s for the 47 MB of the
 * 1,000,000-step file (the editor's Export .json) and as long again for a
 * whole scene's SVG at that size. A worker makes it instead; the page only
 * copies the text to it (~0.2 s at 47 MB), and the Blob comes back by
 * reference.
 */
import { askWorker } from './ask-worker.ts';

/** Texts shorter than this are made into a Blob at once (~20 ms at 1 Mi characters). */
export const BLOB_WORKER_CHARS = 1 << 20;

export interface BlobRequest {
  readonly text: string;
  readonly type: string;
}
export interface BlobReply {
  readonly blob: Blob;
}

/** `text` as a Blob of MIME type `type`: a long one made in a worker (here again if the worker fails). */
export async function textBlob(text: string, type: string): Promise<Blob> {
  const here = () => new Blob([text], { type });
  if (text.length < BLOB_WORKER_CHARS || typeof Worker === 'undefined') return here();
  const req: BlobRequest = { text, type };
  const blob = await askWorker(() => new Worker(new URL('./blob.worker.ts', import.meta.url), { type: 'module', name: 'blob' }), req, (m: BlobReply) => m.blob);
  return blob ?? here();
}
