/**
 * For tests: a worker module (timeline.worker.ts, blob.worker.ts) loaded in
 * this thread, with a stand-in `self` that keeps what it posts; `send` hands
 * it a request as a message would.
 */
import { afterAll, beforeAll } from 'vitest';

export function workerHere<Request, Reply>(load: () => Promise<unknown>) {
  const replies: Reply[] = [];
  const self = { postMessage: (m: Reply) => replies.push(m), onmessage: null as null | ((e: { data: Request }) => void) };
  let saved: unknown;
  beforeAll(async () => {
    saved = (globalThis as { self?: unknown }).self;
    (globalThis as { self?: unknown }).self = self;
    await load();
  });
  afterAll(() => {
    (globalThis as { self?: unknown }).self = saved;
  });
  return { replies, send: (req: Request) => self.onmessage!({ data: req }) };
}
