/**
 * One request to a worker made for it alone (heavy/fingerprint.ts,
 * heavy/text-blob.ts): the worker ends with the answer.
 */

/**
 * Posts `req` to the worker `make` makes and resolves with what `answer`
 * makes of its first reply that it answers (not undefined), or null when the
 * worker cannot be made, fails, or `answer` says null. Either way the worker
 * is ended.
 */
export function askWorker<Reply, T>(make: () => Worker, req: unknown, answer: (reply: Reply) => T | null | undefined): Promise<T | null> {
  return new Promise((resolve) => {
    let w: Worker;
    try {
      w = make();
    } catch {
      resolve(null);
      return;
    }
    const settle = (v: T | null) => {
      w.terminate();
      resolve(v);
    };
    w.addEventListener('message', (e: MessageEvent<Reply>) => {
      const v = answer(e.data);
      if (v !== undefined) settle(v);
    });
    w.addEventListener('error', (e) => {
      e.preventDefault?.();
      settle(null);
    });
    w.postMessage(req);
  });
}
