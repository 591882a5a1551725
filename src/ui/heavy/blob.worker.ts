/**
 * Makes a Blob of a text (heavy/text-blob.ts says why): the text arrives as a
 * copy, the Blob goes back by reference.
 */
/// <reference lib="webworker" />
import type { BlobReply, BlobRequest } from './text-blob.ts';

self.onmessage = (e: MessageEvent<BlobRequest>) => {
  const { text, type } = e.data;
  const reply: BlobReply = { blob: new Blob([text], { type }) };
  (self as unknown as DedicatedWorkerGlobalScope).postMessage(reply);
};
