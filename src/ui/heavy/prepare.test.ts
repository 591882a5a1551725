/**
 * An import's check in the build worker (build.ts prepareBuild), with a
 * stand-in Worker that runs the real worker's handler (timeline.worker.ts)
 * in this thread, a task later: the check's answer is the editor's cached
 * check, the build of that text then parses nothing, and a check cut off by
 * a build that ends the worker is still answered.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LIBRARY } from '../../scenarios/library/index.ts';
import type { Timeline } from '../../core/index.ts';
import { firstFitOf } from '../step/index.ts';
import type { BuildReply, BuildRequest } from './protocol.ts';

const parses = vi.hoisted(() => ({ count: 0 }));
vi.mock('../../scenarios/schema.ts', async (importOriginal) => {
  const orig = await importOriginal<typeof import('../../scenarios/schema.ts')>();
  return { ...orig, parseScenarioText: (text: string) => (parses.count++, orig.parseScenarioText(text)) };
});

const workerSelf = {
  /** The stand-in worker whose message is being handled (the replies go to it). */
  running: null as FakeWorker | null,
  onmessage: null as null | ((e: { data: BuildRequest }) => void),
  postMessage: (m: BuildReply) => {
    const w = workerSelf.running!;
    setTimeout(() => !w.terminated && w.dispatchEvent(new MessageEvent('message', { data: structuredClone(m) })), 0);
  },
};
class FakeWorker extends EventTarget {
  static made = 0;
  terminated = false;
  constructor() {
    super();
    FakeWorker.made++;
  }
  postMessage(m: BuildRequest) {
    const data = structuredClone(m);
    setTimeout(() => {
      if (this.terminated) return;
      workerSelf.running = this;
      workerSelf.onmessage!({ data });
    }, 0);
  }
  terminate() {
    this.terminated = true;
  }
}

const saved = { self: (globalThis as { self?: unknown }).self, Worker: (globalThis as { Worker?: unknown }).Worker };
let build: typeof import('./build.ts');
let check: typeof import('./check.ts');
beforeAll(async () => {
  Object.assign(globalThis, { self: workerSelf, Worker: FakeWorker });
  await import('./timeline.worker.ts');
  build = await import('./build.ts');
  check = await import('./check.ts');
});
afterAll(() => void Object.assign(globalThis, saved));

const base = LIBRARY.find((e) => e.id === 'permission-faults')!.json as { steps: unknown[] };
/** A document longer than the texts checked at once (CHECK_SYNC_CHARS). */
const longText = (title: string) => JSON.stringify({ ...base, title, steps: Array.from({ length: 3000 }, (_, i) => base.steps[i % base.steps.length]) });

const buildOf = (text: string) =>
  new Promise<number>((resolve, reject) => {
    build.startBuild({ text, rules: 'merged' }, { onProgress: () => {}, onDone: (tl) => resolve(tl.length), onError: reject });
  });

describe('prepareBuild: an import checked by the build worker', () => {
  it('answers the check, caches it for the editor, and the build of that text parses nothing more', async () => {
    const text = longText('prepared');
    expect(text.length).toBeGreaterThan(check.CHECK_SYNC_CHARS);
    parses.count = 0;
    const p = build.prepareBuild(text);
    expect(p).not.toBeNull();
    expect(await p!.result).toMatchObject({ ok: true, scenario: { title: 'prepared', steps: { length: 3000 } } });
    expect(parses.count).toBe(1);
    // The editor's check of the same text is answered from the cache.
    expect(check.checkedNow(text)).toMatchObject({ ok: true });
    expect(await buildOf(text)).toBe(3000);
    expect(parses.count).toBe(1);
  });

  describe("a worker timeline's snapshots, revived in slices once it is handed over", () => {
    const tasks = async (n: number) => {
      for (let i = 0; i < n; i++) await new Promise((r) => setTimeout(r, 0));
    };
    /** Builds a long text as the store does (the first render's fit included), with `shown` saying what is on screen. */
    const handed = (text: string, shown: (tl: Timeline) => boolean = () => true) =>
      new Promise<Timeline>((resolve, reject) => {
        build.startBuild({ text, rules: 'seed' }, { onProgress: () => {}, ...firstFitOf('seed'), onDone: (tl) => resolve(tl), onError: reject, shown });
      });
    const untilRevived = async (tl: Timeline) => {
      for (let i = 0; i < 300 && tl.sim_snapshotsPending > 0; i++) await tasks(1);
      return tl.sim_snapshotsPending;
    };

    it('handed over with step 0 read only; the rest revived in slices', async () => {
      const tl = await handed(longText('revived'));
      // 3,000 steps: a snapshot every 16, and the final state; the first render read step 0's (and the fit's).
      expect(tl.sim_snapshotsPending).toBeGreaterThan(150);
      expect(await untilRevived(tl)).toBe(0);
    });

    it('paused while the next build runs; resumed if that one is cancelled', async () => {
      const tl = await handed(longText('paused'));
      const left = tl.sim_snapshotsPending;
      expect(left).toBeGreaterThan(150);
      // The next build is cancelled at its first progress (before it hands anything over).
      let atProgress = -1;
      const next = build.startBuild(
        { text: longText('next'), rules: 'seed' },
        {
          onProgress: () => {
            if (atProgress >= 0) return;
            atProgress = tl.sim_snapshotsPending;
            queueMicrotask(() => next.cancel());
          },
          onDone: () => {},
          onError: () => {},
        },
      );
      for (let i = 0; i < 50 && atProgress < 0; i++) await tasks(1);
      expect(atProgress).toBe(left);
      expect(await untilRevived(tl)).toBe(0);
    });

    it('let go once the timeline is no longer on screen; what is read is revived all the same', async () => {
      let onScreen = true;
      const tl = await handed(longText('replaced'), () => onScreen);
      onScreen = false;
      const left = tl.sim_snapshotsPending;
      await tasks(20);
      expect(tl.sim_snapshotsPending).toBeGreaterThanOrEqual(left - 1);
      expect(tl.sim_snapshotsPending).toBeGreaterThan(150);
      tl.stateAt(tl.length);
      expect(tl.sim_snapshotsPending).toBe(0);
    });
  });

  it('is not used for a short text', () => {
    expect(build.prepareBuild(JSON.stringify(base))).toBeNull();
  });

  it('a check cut off by a build that ends the worker is answered all the same', async () => {
    const text = longText('cut off');
    const made = FakeWorker.made;
    const p = build.prepareBuild(text)!.result;
    // A build starts and is cancelled before the worker answered: the worker is ended.
    build.startBuild({ text: longText('other'), rules: 'seed' }, { onProgress: () => {}, onDone: () => {}, onError: () => {} }).cancel();
    expect(await p).toMatchObject({ ok: true, scenario: { title: 'cut off' } });
    // The next build runs in a new worker.
    expect(await buildOf(longText('after'))).toBe(3000);
    expect(FakeWorker.made).toBeGreaterThan(made);
  });

  it('abandoned (the import was refused meanwhile): the worker is ended before it parses, and the next use starts a new one', async () => {
    const made = FakeWorker.made;
    parses.count = 0;
    const p = build.prepareBuild(longText('refused'))!;
    p.abandon();
    for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0));
    expect(parses.count).toBe(0);
    const next = build.prepareBuild(longText('next'));
    expect(FakeWorker.made).toBe(made + 1);
    expect(await next!.result).toMatchObject({ ok: true, scenario: { title: 'next' } });
    expect(parses.count).toBe(1);
  });
});
