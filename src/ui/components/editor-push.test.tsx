// @vitest-environment jsdom
/**
 * What the editor records as the document it put on screen (its fingerprint,
 * kept for this tab: Edit keeps the document while the screen shows it). A
 * heavy document's fingerprint writes the whole document out, so it is taken
 * (in a worker: heavy/fingerprint.ts) once the worker's build is on screen and
 * the page is idle, not beside the build; a cancelled build never records it, and a short document is recorded
 * at once, as before.
 */
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { App } from '../App.tsx';
import { HEAVY_STEPS } from '../heavy/build.ts';
import { crc32 } from '../../scenarios/crc32.ts';
import { useStore, whenLoaded } from '../store/index.ts';
import { resetRecords } from '../storage/index.ts';

const TAB_SHOWN_KEY = 'shadowpaging:tab-shown';
const doc = (steps: number, title: string) => JSON.stringify({ format: 'shadowpaging/v1', title, guest: { mode: 'off' }, steps: Array.from({ length: steps }, (_, i) => ({ op: 'read', gva: `0x${(0x1000 + 4 * i).toString(16)}` })) });
/** The editor's fingerprint of a document (EditorPanel: its JSON text's length and CRC-32). */
const fingerprintOf = (text: string) => {
  const t = JSON.stringify(JSON.parse(text));
  return `${t.length}:${crc32(t).toString(16)}`;
};
/** Long enough that its build on the page (no Worker in jsdom) takes many slices. */
const BIG = 20_000;
const shown = () => window.sessionStorage.getItem(TAB_SHOWN_KEY);
const settle = async (ms = 50) => {
  await act(async () => {
    await new Promise((r) => setTimeout(r, ms));
  });
};

async function importText(text: string, name: string) {
  await act(async () => {
    fireEvent.change(screen.getByLabelText('Import a scenario file'), { target: { files: [new File([text], name)] } });
    for (let i = 0; i < 10; i++) await Promise.resolve();
  });
}

/**
 * The page's idle callbacks, held until runIdle() (jsdom has no
 * requestIdleCallback): the page is idle when a test says so, with no time
 * left in the idle period (the app's own idle preparation then waits).
 */
type IdleCallback = (d: { readonly didTimeout: boolean; timeRemaining(): number }) => void;
let idle = new Map<number, IdleCallback>();
let nextIdle = 1;
const runIdle = () =>
  act(() => {
    const now = [...idle.values()];
    idle = new Map();
    for (const cb of now) cb({ didTimeout: true, timeRemaining: () => 0 });
  });
const idleWindow = window as unknown as { requestIdleCallback?: (cb: IdleCallback) => number; cancelIdleCallback?: (id: number) => void };

beforeEach(() => {
  idle = new Map();
  idleWindow.requestIdleCallback = (cb) => {
    idle.set(nextIdle, cb);
    return nextIdle++;
  };
  idleWindow.cancelIdleCallback = (id) => void idle.delete(id);
  window.localStorage.clear();
  window.sessionStorage.clear();
  resetRecords();
  useStore.setState({ editorOpen: true, step: 0 });
});
afterEach(() => {
  useStore.getState().cancelLoading();
  cleanup();
  delete idleWindow.requestIdleCallback;
  delete idleWindow.cancelIdleCallback;
});

describe('the document the editor put on screen', () => {
  it('a short one is recorded at once', async () => {
    render(<App />);
    const text = doc(HEAVY_STEPS, 'Short');
    await importText(text, 'short.json');
    expect(useStore.getState().scenario.title).toBe('Short');
    expect(shown()).toBe(fingerprintOf(text));
  });

  it('a heavy one is recorded once its build is on screen and the page idle, never while it runs', async () => {
    render(<App />);
    const text = doc(BIG, 'Heavy');
    const fp = fingerprintOf(text);
    const before = shown();
    // What this tab had recorded at each store change while the build ran, and when it went on screen.
    const during: (string | null)[] = [];
    let atShow: string | null | undefined;
    const unsub = useStore.subscribe((s) => {
      if (s.loading) during.push(shown());
      else if (s.scenario.title === 'Heavy' && atShow === undefined) atShow = shown();
    });
    await importText(text, 'heavy.json');
    await act(async () => {
      await whenLoaded(useStore);
    });
    unsub();
    expect(useStore.getState().scenario.title).toBe('Heavy');
    expect(during.length).toBeGreaterThan(0);
    expect(during.every((v) => v === before)).toBe(true);
    expect(atShow).toBe(before);
    // Not in the task that put it on screen either, nor before the page is idle.
    await settle();
    expect(shown()).toBe(before);
    runIdle();
    // Taken off the page (a worker of its own in a browser; jsdom has none, so here at once), then recorded.
    await settle(0);
    expect(shown()).toBe(fp);
  });

  it('a push that comes first drops a heavy one still waiting for the page to be idle', async () => {
    render(<App />);
    const heavy = doc(BIG, 'Heavy');
    await importText(heavy, 'heavy.json');
    await act(async () => {
      await whenLoaded(useStore);
    });
    expect(useStore.getState().scenario.title).toBe('Heavy');
    // Before the page is idle: a short document goes on screen and is recorded at once.
    const short = doc(10, 'Short after');
    await importText(short, 'short.json');
    expect(useStore.getState().scenario.title).toBe('Short after');
    expect(shown()).toBe(fingerprintOf(short));
    expect(idle.size).toBeGreaterThan(0);
    runIdle();
    expect(shown()).toBe(fingerprintOf(short));
  });

  it('a heavy one whose build is cancelled is never recorded: the screen still shows what was recorded before', async () => {
    render(<App />);
    const short = doc(10, 'Before');
    await importText(short, 'before.json');
    expect(shown()).toBe(fingerprintOf(short));
    // Cancelled at its first progress report, while it builds: never on screen.
    let cancelled = false;
    const unsub = useStore.subscribe((s) => {
      if (!cancelled && s.loading?.title === 'Cancelled' && s.loading.done > 0) {
        cancelled = true;
        s.cancelLoading();
      }
    });
    await importText(doc(BIG, 'Cancelled'), 'cancelled.json');
    for (let i = 0; i < 500 && !cancelled && (useStore.getState().loading || useStore.getState().scenario.title !== 'Cancelled'); i++) await settle(10);
    unsub();
    expect(cancelled).toBe(true);
    expect(useStore.getState().loading).toBeNull();
    await settle(200);
    runIdle();
    expect(useStore.getState().scenario.title).toBe('Before');
    expect(shown()).toBe(fingerprintOf(short));
  });
});
