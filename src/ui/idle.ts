/**
 * Work for when the page is idle (the step preparation in App.tsx, the
 * editor's record of a heavy document it put on screen), work in slices
 * between tasks (runSliced: a fallback build, an export's style copy), and a
 * wait for the next paint (before the editor reads a long file).
 */

/** The most of one idle period the step preparation uses. */
const IDLE_SLICE_MS = 20;

/**
 * Runs `cb` when the browser is idle (or soon, where there is no
 * requestIdleCallback), with the time left. No timeout: under constant load
 * the preparation waits rather than competing with frames.
 */
export function whenIdle(cb: (timeLeft: () => number) => void): () => void {
  if (typeof requestIdleCallback === 'function') {
    // An idle period may be up to 50 ms: use at most IDLE_SLICE_MS of it, so
    // the preparation never becomes a long task that delays a click (issue 16).
    const id = requestIdleCallback((d) => {
      const end = performance.now() + IDLE_SLICE_MS;
      cb(() => Math.min(d.timeRemaining(), end - performance.now()));
    });
    return () => cancelIdleCallback(id);
  }
  const id = setTimeout(() => {
    const end = performance.now() + 8;
    cb(() => end - performance.now());
  }, 16);
  return () => clearTimeout(id);
}

/**
 * Resolves once the page has painted a frame (after the next animation frame,
 * in a task of its own): what was put on screen before is seen before a long
 * task that follows. Soon, where there are no animation frames.
 */
export function afterPaint(): Promise<void> {
  return new Promise((resolve) => {
    if (typeof requestAnimationFrame === 'function') requestAnimationFrame(() => setTimeout(resolve, 0));
    else setTimeout(resolve, 0);
  });
}

/** How long one main-thread slice (of the fallback build, of `prepare`, of an export's style copy) may run. */
export const SLICE_MS = 8;

/** Runs `work` in slices of SLICE_MS between tasks while `live()`, then `done`. Returns a cancel. */
export function runSliced(work: Iterator<void>, live: () => boolean, done: () => void): () => void {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  // The next slice as a task of its own: a message, not setTimeout(0), which
  // browsers hold back 4 ms once nested (a third of each 8 ms slice).
  const channel = typeof MessageChannel !== 'undefined' ? new MessageChannel() : null;
  // Once it stops (done, no longer live, or stopped), the channel is closed: nothing holds its handler.
  const close = () => {
    if (channel) {
      channel.port1.onmessage = null;
      channel.port1.close();
    }
  };
  const next = (fn: () => void) => {
    if (channel) {
      channel.port1.onmessage = () => !stopped && fn();
      channel.port2.postMessage(null);
    } else timer = setTimeout(fn, 0);
  };
  const slice = () => {
    timer = null;
    if (!live()) return close();
    const end = performance.now() + SLICE_MS;
    while (performance.now() < end) {
      if (work.next().done) {
        // What comes after (putting a scenario on screen) gets a task of its own.
        next(() => {
          close();
          if (live()) done();
        });
        return;
      }
    }
    next(slice);
  };
  next(slice);
  return () => {
    stopped = true;
    if (timer !== null) clearTimeout(timer);
    close();
  };
}

/**
 * runSliced as a promise: resolves once `work` is done; rejects with the
 * error `stop()` returns between slices (null: go on), and `work` goes no
 * further then.
 */
export function sliced(work: Iterator<void>, stop: () => Error | null = () => null): Promise<void> {
  return new Promise((resolve, reject) => {
    runSliced(
      work,
      () => {
        const e = stop();
        if (e) reject(e);
        return e === null;
      },
      resolve,
    );
  });
}
