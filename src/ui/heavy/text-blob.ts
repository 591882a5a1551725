/**
 * A long text as a Blob (a file to save) without freezing the page: making a
 * Blob of a string encodes and copies it in one go, ~1 s for the 47 MB of the
 * 1,000,000-step file (the editor's Export .json). A worker makes it
 * instead; the page only copies the text to it (~0.2 s at 47 MB), and the
 * Blob comes back by reference. (A scene's SVG, written in pieces, is made
 * from them a part at a time: partsBlob, below.)
 */
import { sliced } from '../idle.ts';
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

/** How many characters of a text's pieces go into one part-Blob of partsBlob (~5 ms each on this machine). */
export const BLOB_PART_CHARS = 1 << 18;

/**
 * A text given as pieces (joined, the file) as a Blob of MIME type `type`,
 * made a part at a time between tasks: each run of pieces up to
 * BLOB_PART_CHARS characters becomes a Blob of its own, and the file is a
 * Blob of those (no copy). Why: the text of a large scene's SVG is written in
 * pieces (export/xml-text.ts); joined into one string and handed to a worker,
 * the join, the copy and the page's cleanup were one task of ~0.5 s at the
 * 100,000-step file's scene (25 MB).
 */
export async function partsBlob(pieces: readonly string[], type: string): Promise<Blob> {
  const parts: Blob[] = [];
  function* work(): Generator<void> {
    let from = 0;
    while (from < pieces.length) {
      let to = from;
      let chars = 0;
      while (to < pieces.length && (to === from || chars + pieces[to]!.length <= BLOB_PART_CHARS)) chars += pieces[to++]!.length;
      parts.push(new Blob(pieces.slice(from, to)));
      from = to;
      yield;
    }
  }
  await sliced(work());
  return new Blob(parts, { type });
}
