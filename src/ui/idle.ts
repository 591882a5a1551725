/**
 * Work for when the page is idle (the step preparation in App.tsx, the
 * editor's record of a heavy document it put on screen), and a wait for the
 * next paint (before the editor reads a long file).
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
