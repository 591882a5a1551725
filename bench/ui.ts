/**
 * The UI part of `npm run bench` (alone with `npm run bench -- --ui`): the
 * production build in Debian's headless Chromium (1600x1000 window), served
 * by vite preview, stepping the built-in scenario with the most steps (in the
 * app's scenario picker) forward and backward, end to end, for STEPS steps
 * after a warm-up. The ways of pressing keys are described at SteppingMode.
 * Every figure ends "just after the paint" of a frame: a message posted from
 * that frame's rAF callback is delivered after its rendering on the main
 * thread (compositing and presentation come after).
 *
 * The scene of the issue's target, "4 roots and 64 shadow pages on screen",
 * is the overview (TARGET_SCENE): the whole scene fitted to the window. The
 * run checks at every measured step that every shadow page and root drawn
 * lies wholly inside the canvas area and the window, and that at its fullest
 * the scene's every page is drawn (ui.shadowPagesOnScreenMax equals
 * ui.shadowPagesInSceneMax), and fails otherwise. The ui.step* figures below
 * are taken there; ui.tables100.* are the same isolated stepping in the
 * detailed tables at 100%, which draw the cards near the scroll window.
 *
 * - ui.stepToPaintMedianMs / P95Ms / MaxMs ('isolated'): the app's
 *   input-to-paint time for one step: the key, delivered at the start of a
 *   frame with the page idle, to just after the paint of the frame that shows
 *   the step (tables, counter, ruler, timeline). ui.stepsOverOneFrame: how
 *   many took longer than the frame interval, i.e. missed that frame.
 * - ui.stepToDomMedianMs / P95Ms: the same key to React's first DOM commit.
 * - ui.stepToSettledMedianMs / P95Ms: the same key to just after the paint of
 *   the first frame in which the side panel (story, registers, statistics)
 *   shows the step too; it renders at a lower priority after the tables.
 * - ui.stepRandomPhaseMedianMs / P95Ms ('random-phase'): what a user's key
 *   press waits for, wherever in a frame it lands: from a key at a random
 *   moment of the frame, page idle, to just after the paint that shows the
 *   step; it includes the wait for the next frame (up to one interval).
 *   ui.blankPage.stepRandomPhase*: the same on a page that only has a step
 *   counter (the floor of this measurement: the wait for the frame alone).
 * - ui.stepBackToBackMedianMs / P95Ms ('back-to-back'): a key at the start
 *   of every frame, 60 steps a second; ui.sidePanelLagMaxSteps: how many
 *   steps the side panel was behind at most while doing so.
 * - ui.stepWithFrameWaitMedianMs / P95Ms ('after-frame'): a key just after a
 *   frame's paint, back to back: the worst case of the wait for the next
 *   frame, so the median cannot go much below ui.frameIntervalMs (the idle
 *   page's median frame interval).
 * - ui.shadowPagesInSceneMax / ui.rootsInSceneMax: the most shadow pages and
 *   roots the canvas holds at any step (from the core);
 *   ui.shadowPagesOnScreenMin/Max / ui.rootsOnScreenMax: how many of them
 *   were wholly inside the window at a step of the target run.
 * - ui.tables100.*: stepToPaint, stepToDom, stepToSettled and stepsOverOneFrame
 *   of the isolated stepping in the tables at 100% zoom, and
 *   shadowPagesDrawnMin/Max/Mean: how many cards are in the DOM there (the
 *   canvas draws the cards in the scroll window plus a margin).
 * - ui.wholeScene.*: the isolated stepping in the tables with every shadow
 *   page drawn at once (zoomed out to 50% in a 1600x5200 window, five times
 *   the window's pixels).
 * - ui.bundleGzipKB: the gzip sizes of dist/assets/*.js, summed.
 * - ui.firstRenderMs: navigation start to the presentation of the first
 *   frame that shows the step counter (Element Timing; median over LOADS
 *   fresh page loads); ui.firstCompleteRenderMs: the same for the side
 *   panel's first content (filled right after the first render);
 *   ui.firstContentfulPaintMs alongside.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { median, quantile } from 'd3';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { machineJson, Timeline } from '../src/core/index.ts';
import { LIBRARY } from '../src/scenarios/library/index.ts';
import { parseScenario } from '../src/scenarios/schema.ts';
import { buildApp, ensureChromium, launchChromium, ROOT, serveBuild, settle } from '../tests/e2e/serve.ts';

const STEPS = 200;
const WARMUP = 24;
const LOADS = 10;

const ms = (x: number | undefined) => Number((x ?? NaN).toFixed(2));
const p95 = (a: number[]) => quantile(a, 0.95);

/**
 * tsx compiles this file with esbuild's keepNames, which wraps named
 * functions in `__name(...)`; the functions sent to the page keep those calls,
 * so give the page an identity `__name` before any of them runs.
 */
const NAME_SHIM = 'globalThis.__name ??= (f) => f;';

const VIEWPORT = { width: 1600, height: 1000 };

/** The issue's target scene: the overview, every shadow page and root on the screen at once. */
export const TARGET_SCENE = {
  setup: async (page: Page): Promise<void> => {
    await page.keyboard.press('o');
    await page.getByTestId('overview').waitFor();
    await settle(page);
  },
};

/** Issue 14's classroom figures: the default scenario at 1440x900, in the normal view and in presenting mode (P). */
export const CLASSROOM = { scenario: 'quadrants-32bit', viewport: { width: 1440, height: 900 } } as const;
export const PRESENTING = {
  viewport: CLASSROOM.viewport,
  setup: async (page: Page): Promise<void> => {
    await page.keyboard.press('p');
    await page.getByTestId('caption').waitFor();
    await settle(page);
  },
};

/** The whole scene drawn at once in the tables: a window tall enough for the largest scenario's canvas (4,836 px) at 50% zoom. */
export const WHOLE_SCENE = {
  viewport: { width: 1600, height: 5200 },
  setup: async (page: Page): Promise<void> => {
    await page.keyboard.press('-');
    await page.keyboard.press('-');
    await settle(page);
  },
};

async function newContext(browser: Browser, viewport = VIEWPORT) {
  const context = await browser.newContext({ viewport, colorScheme: 'light' });
  await context.addInitScript({ content: NAME_SHIM });
  return context;
}

function bundleGzipKB(outDir: string): number {
  const dir = join(outDir, 'assets');
  let bytes = 0;
  for (const f of readdirSync(dir)) if (f.endsWith('.js')) bytes += gzipSync(readFileSync(join(dir, f))).length;
  return Number((bytes / 1024).toFixed(2));
}

declare global {
  interface Window {
    __counterPaintedAt?: number;
    __sidePaintedAt?: number;
  }
}

async function firstRender(browser: Browser, url: string): Promise<{ firstRenderMs: number; completeMs: number; fcpMs: number }> {
  const times: number[] = [];
  const complete: number[] = [];
  const fcps: number[] = [];
  for (let i = 0; i < LOADS; i++) {
    const context = await newContext(browser);
    const page = await context.newPage();
    // Before any of the page's scripts: as soon as the counter is in the DOM
    // (a microtask after React's commit, before the frame is painted), mark it
    // for the Element Timing API, which reports when it was presented.
    await page.addInitScript(() => {
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) {
          const t = (e as PerformanceEntry & { renderTime: number }).renderTime || e.startTime;
          const id = (e as PerformanceEntry & { identifier?: string }).identifier;
          if (id === 'step-counter') window.__counterPaintedAt = t;
          if (id === 'side-panel') window.__sidePaintedAt = t;
        }
      }).observe({ type: 'element', buffered: true });
      const mo = new MutationObserver(() => {
        const counter = document.querySelector('[data-testid=step-counter]');
        if (counter && !counter.hasAttribute('elementtiming')) counter.setAttribute('elementtiming', 'step-counter');
        // The side panel's first content: the outcome line of the story.
        const side = document.querySelector('[data-testid=outcome]');
        if (side && !side.hasAttribute('elementtiming')) side.setAttribute('elementtiming', 'side-panel');
        if (counter && side) mo.disconnect();
      });
      mo.observe(document, { childList: true, subtree: true });
    });
    await page.goto(url);
    await page.waitForFunction(() => window.__counterPaintedAt !== undefined && window.__sidePaintedAt !== undefined, undefined, { timeout: 10_000 });
    const r = await page.evaluate(() => ({
      at: window.__counterPaintedAt!,
      side: window.__sidePaintedAt!,
      fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? -1,
    }));
    times.push(r.at);
    complete.push(Math.max(r.at, r.side));
    if (r.fcp >= 0) fcps.push(r.fcp);
    await context.close();
  }
  return { firstRenderMs: ms(median(times)), completeMs: ms(median(complete)), fcpMs: fcps.length ? ms(median(fcps)) : -1 };
}

/**
 * The most shadow pages (and roots) the scenario's canvas holds at any step,
 * from the core: the canvas lays all of them out and draws those in the
 * scroll window (plus a margin).
 */
function shadowPagesInScene(id: string): { max: number; roots: number } {
  const entry = LIBRARY.find((e) => e.id === id)!;
  const parsed = parseScenario(entry.json);
  if (!parsed.ok) throw new Error(`${id} does not parse`);
  const tl = new Timeline(parsed.scenario, 'seed');
  let max = 0;
  let roots = 0;
  for (let s = 0; s <= tl.length; s++) {
    const m = machineJson(tl.stateAt(s));
    max = Math.max(max, m.shadowPages.length);
    roots = Math.max(roots, m.roots.filter((r) => r !== null).length);
  }
  return { max, roots };
}

/** The built-in scenario with the most steps (the first of equals). */
export function largestScenario(): { id: string; steps: number } {
  let best = { id: '', steps: -1 };
  for (const e of LIBRARY) {
    const steps = (e.json as { steps: unknown[] }).steps.length;
    if (steps > best.steps) best = { id: e.id, steps };
  }
  return best;
}

/**
 * How keys are pressed:
 * - 'isolated': one step at a time: the page is idle first (the previous step
 *   fully shown, side panel included, and the app's idle work yielded), then
 *   the key is delivered at the start of a frame (in a rAF callback), so the
 *   time to the paint is the app's own work for the step.
 * - 'random-phase': the page idle, then the key at a random moment of a frame
 *   (a seeded delay after a rAF callback), as a user's key lands.
 * - 'back-to-back': a key at the start of every frame, without waiting for
 *   idle: 60 steps a second, twice a held key's repeat rate, so frames also
 *   carry the side panel of the steps before.
 * - 'after-frame': a key just after a frame's paint, back to back.
 */
export type SteppingMode = 'isolated' | 'random-phase' | 'back-to-back' | 'after-frame';

interface SteppingRun {
  /** Key to just after the paint of the first frame that shows the step (tables, counter, ruler, timeline). */
  paint: number[];
  /** Key to the end of React's first DOM commit. */
  dom: number[];
  /** 'isolated': key to just after the paint of the first frame in which the side panel shows the step too. */
  settled: number[];
  /** Steps the side panel was behind the counter when the step was painted. */
  sideLag: number[];
  frameInterval: number;
  shadowPages: number[];
  /** Shadow pages (and roots) wholly inside the canvas area, within the window, after each step; roots drawn. */
  onScreen: number[];
  rootsOnScreen: number[];
  rootsDrawn: number[];
  scenarioSteps: number;
  title: string;
}

/**
 * The floor of the measurements: a page that only has the app's step counter
 * and steps it on the same keys, with nothing else to draw.
 */
async function openBlank(browser: Browser, total: number): Promise<{ context: BrowserContext; page: Page }> {
  const context = await newContext(browser);
  const page = await context.newPage();
  await page.setContent(`<div id="root"><span data-testid="step-counter">step 0 / ${total}</span></div>
<script>
  let step = 0;
  document.body.addEventListener('keydown', (e) => {
    step = Math.max(0, Math.min(${total}, step + (e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0)));
    document.querySelector('[data-testid=step-counter]').textContent = 'step ' + step + ' / ${total}';
  });
</script>`);
  await settle(page);
  return { context, page };
}

/** A fresh page of the app on `scenarioId`, settled, with the keyboard free for stepping. */
export async function openScenario(browser: Browser, url: string, scenarioId: string, viewport = VIEWPORT): Promise<{ context: BrowserContext; page: Page }> {
  const context = await newContext(browser, viewport);
  const page = await context.newPage();
  await page.goto(url);
  await page.getByTestId('step-counter').waitFor();
  const picker = page.getByTestId('scenario-picker');
  if ((await picker.inputValue()) !== scenarioId) await picker.selectOption(scenarioId);
  await picker.evaluate((el) => (el as HTMLSelectElement).blur());
  await settle(page);
  return { context, page };
}

/**
 * Steps the scenario back and forth in the page, end to end, for STEPS steps
 * after WARMUP, pressing keys as `mode` says, in a page of `viewport` size.
 * `setup` runs on the page first (the whole-scene run zooms out with it).
 */
export async function stepping(
  browser: Browser,
  url: string,
  scenarioId: string,
  mode: SteppingMode,
  { setup, viewport, blank }: { setup?: (page: Page) => Promise<void>; viewport?: { width: number; height: number }; blank?: boolean } = {},
): Promise<SteppingRun> {
  const { context, page } = blank ? await openBlank(browser, largestScenario().steps) : await openScenario(browser, url, scenarioId, viewport);
  try {
    if (setup) await setup(page);
    return await page.evaluate(
      async ({ steps, warmup, mode }) => {
        const counter = document.querySelector('[data-testid=step-counter]')!;
        const side = document.querySelector<HTMLElement>('aside.side');
        const root = document.getElementById('root')!;
        const read = () => {
          const m = /step (\d+) \/ (\d+)/.exec(counter.textContent ?? '');
          if (!m) throw new Error(`unexpected step counter "${counter.textContent}"`);
          return { step: Number(m[1]), total: Number(m[2]) };
        };
        const frame = () => new Promise<number>((r) => requestAnimationFrame(r));
        // A message posted from a rAF callback arrives after that frame's rendering.
        const afterFrame = () =>
          new Promise<number>((r) => {
            const ch = new MessageChannel();
            ch.port1.onmessage = () => r(performance.now());
            ch.port2.postMessage(0);
          });
        const idle = () => new Promise((r) => requestIdleCallback(r, { timeout: 1000 }));
        // A seeded generator, so the random phases are the same in every run.
        let seed = 0x2545f491;
        const random = () => {
          seed ^= seed << 13;
          seed ^= seed >>> 17;
          seed ^= seed << 5;
          return (seed >>> 0) / 2 ** 32;
        };
        const { total } = read();
        if (total < 1) throw new Error('the scenario has no steps');
        // The idle page's frame interval (the random phases spread over it).
        const stamps: number[] = [];
        for (let i = 0; i < 31; i++) stamps.push(await frame());
        const intervals = stamps.slice(1).map((t, i) => t - stamps[i]!).sort((p, q) => p - q);
        const frameInterval = intervals[Math.floor(intervals.length / 2)]!;
        const out = { paint: [] as number[], dom: [] as number[], settled: [] as number[], sideLag: [] as number[], shadowPages: [] as number[], onScreen: [] as number[], rootsOnScreen: [] as number[], rootsDrawn: [] as number[] };
        // Wholly inside the canvas area and the window (read after the step is measured: reading boxes forces a layout).
        const wrap = document.querySelector('.canvas-wrap');
        const inWindow = (sel: string) => {
          const w = wrap?.getBoundingClientRect();
          if (!w) return 0;
          return [...document.querySelectorAll(sel)].filter((e) => {
            const r = e.getBoundingClientRect();
            return r.width > 0 && r.left >= Math.max(0, w.left) && r.top >= Math.max(0, w.top) && r.right <= Math.min(innerWidth, w.right) && r.bottom <= Math.min(innerHeight, w.bottom);
          }).length;
        };
        const ROOTS = '[data-testid=shadow-page]:not([data-root-slot=""])';
        let dir = 1;
        for (let i = 0; i < warmup + steps; i++) {
          const { step } = read();
          if (step >= total) dir = -1;
          else if (step <= 0) dir = 1;
          if (mode === 'isolated' || mode === 'random-phase') await idle();
          const before = counter.textContent;
          let domAt = -1;
          const mo = new MutationObserver(() => {
            if (domAt < 0) domAt = performance.now();
          });
          mo.observe(root, { subtree: true, childList: true, characterData: true, attributes: true });
          const press = () => document.body.dispatchEvent(new KeyboardEvent('keydown', { key: dir > 0 ? 'ArrowRight' : 'ArrowLeft', bubbles: true, cancelable: true }));
          let t0: number;
          let t1 = -1;
          if (mode === 'isolated' || mode === 'back-to-back') {
            ({ t0, t1 } = await new Promise<{ t0: number; t1: number }>((resolve) =>
              requestAnimationFrame(() => {
                const start = performance.now();
                press();
                void afterFrame().then((end) => resolve({ t0: start, t1: end }));
              }),
            ));
          } else {
            if (mode === 'random-phase') {
              await frame();
              await new Promise((r) => setTimeout(r, random() * frameInterval));
            }
            t0 = performance.now();
            press();
          }
          // Otherwise (or if that frame did not show it): the first frame whose rendering shows the new step, then just after its paint.
          if (counter.textContent === before || t1 < 0) {
            let frames = 0;
            while (counter.textContent === before && frames < 60) {
              await frame();
              frames++;
            }
            if (counter.textContent === before) throw new Error(`step ${step}: the counter did not change`);
            if (frames === 0) await frame();
            t1 = await afterFrame();
          }
          mo.disconnect();
          const now = read().step;
          const lag = side ? Math.abs(now - Number(side.dataset.step ?? -1)) : 0;
          // The side panel follows at a lower priority: the first frame that shows it too.
          let settledAt = t1;
          if (mode === 'isolated' && side) {
            let extra = 0;
            while (side.dataset.step !== String(now) && extra < 60) {
              await frame();
              extra++;
            }
            if (side.dataset.step !== String(now)) throw new Error(`step ${now}: the side panel did not follow`);
            if (extra > 0) settledAt = await afterFrame();
          }
          if (i < warmup) continue;
          out.paint.push(t1 - t0);
          out.dom.push(domAt - t0);
          out.settled.push(settledAt - t0);
          out.sideLag.push(lag);
          out.shadowPages.push(document.querySelectorAll('[data-testid=shadow-page]').length);
          out.onScreen.push(inWindow('[data-testid=shadow-page]'));
          out.rootsOnScreen.push(inWindow(ROOTS));
          out.rootsDrawn.push(document.querySelectorAll(ROOTS).length);
        }
        const picker = document.querySelector<HTMLSelectElement>('[data-testid=scenario-picker]');
        return { ...out, frameInterval, scenarioSteps: total, title: picker?.selectedOptions[0]?.textContent ?? '' };
      },
      { steps: STEPS, warmup: WARMUP, mode },
    );
  } finally {
    await context.close();
  }
}

export async function benchUi(): Promise<Record<string, number | string>> {
  const chromiumPath = ensureChromium();
  const outDir = resolve(ROOT, 'dist');
  await buildApp(outDir);
  const gz = bundleGzipKB(outDir);
  const served = await serveBuild(outDir);
  const browser = await launchChromium(chromiumPath);
  try {
    const largest = largestScenario();
    const inScene = shadowPagesInScene(largest.id);
    const run = await stepping(browser, served.url, largest.id, 'isolated', TARGET_SCENE);
    if (run.scenarioSteps !== largest.steps) throw new Error(`${largest.id}: the app shows ${run.scenarioSteps} steps, the library ${largest.steps}`);
    // At every step every shadow page and root drawn is wholly on screen, and at its fullest the scene's every page is drawn.
    const offScreen = run.onScreen.findIndex((n, i) => n !== run.shadowPages[i] || run.rootsOnScreen[i] !== run.rootsDrawn[i]);
    if (offScreen >= 0) throw new Error(`target scene, measured step ${offScreen}: ${run.onScreen[offScreen]} of ${run.shadowPages[offScreen]} shadow pages and ${run.rootsOnScreen[offScreen]} of ${run.rootsDrawn[offScreen]} roots on screen`);
    if (Math.max(...run.shadowPages) !== inScene.max || Math.max(...run.rootsDrawn) !== inScene.roots) {
      throw new Error(`the target scene draws at most ${Math.max(...run.shadowPages)} of ${inScene.max} shadow pages and ${Math.max(...run.rootsDrawn)} of ${inScene.roots} roots`);
    }
    const random = await stepping(browser, served.url, largest.id, 'random-phase', TARGET_SCENE);
    const b2b = await stepping(browser, served.url, largest.id, 'back-to-back', TARGET_SCENE);
    const wait = await stepping(browser, served.url, largest.id, 'after-frame', TARGET_SCENE);
    const floor = await stepping(browser, served.url, largest.id, 'random-phase', { blank: true });
    const tables = await stepping(browser, served.url, largest.id, 'isolated');
    const whole = await stepping(browser, served.url, largest.id, 'isolated', WHOLE_SCENE);
    if (Math.max(...whole.shadowPages) !== inScene.max) throw new Error(`the whole-scene run draws ${Math.max(...whole.shadowPages)} of ${inScene.max} shadow pages`);
    const classroom = await stepping(browser, served.url, CLASSROOM.scenario, 'isolated', { viewport: CLASSROOM.viewport });
    const present = await stepping(browser, served.url, CLASSROOM.scenario, 'isolated', PRESENTING);
    const load = await firstRender(browser, served.url);
    const overFrame = (r: SteppingRun) => `${r.paint.filter((t) => t > r.frameInterval).length}/${r.paint.length}`;
    return {
      'ui.stepToPaintMedianMs': ms(median(run.paint)),
      'ui.stepToPaintP95Ms': ms(p95(run.paint)),
      'ui.stepToPaintMaxMs': ms(Math.max(...run.paint)),
      'ui.stepsOverOneFrame': overFrame(run),
      'ui.stepToDomMedianMs': ms(median(run.dom)),
      'ui.stepToDomP95Ms': ms(p95(run.dom)),
      'ui.stepToSettledMedianMs': ms(median(run.settled)),
      'ui.stepToSettledP95Ms': ms(p95(run.settled)),
      'ui.stepRandomPhaseMedianMs': ms(median(random.paint)),
      'ui.stepRandomPhaseP95Ms': ms(p95(random.paint)),
      'ui.blankPage.stepRandomPhaseMedianMs': ms(median(floor.paint)),
      'ui.blankPage.stepRandomPhaseP95Ms': ms(p95(floor.paint)),
      'ui.stepBackToBackMedianMs': ms(median(b2b.paint)),
      'ui.stepBackToBackP95Ms': ms(p95(b2b.paint)),
      'ui.sidePanelLagMaxSteps': Math.max(...b2b.sideLag),
      'ui.stepWithFrameWaitMedianMs': ms(median(wait.paint)),
      'ui.stepWithFrameWaitP95Ms': ms(p95(wait.paint)),
      'ui.frameIntervalMs': ms(run.frameInterval),
      'ui.steps': run.paint.length,
      'ui.scenario': largest.id,
      'ui.scenarioTitle': run.title,
      'ui.scenarioSteps': run.scenarioSteps,
      'ui.scene': `overview, ${VIEWPORT.width}x${VIEWPORT.height}`,
      'ui.shadowPagesInSceneMax': inScene.max,
      'ui.rootsInSceneMax': inScene.roots,
      'ui.shadowPagesOnScreenMin': Math.min(...run.onScreen),
      'ui.shadowPagesOnScreenMax': Math.max(...run.onScreen),
      'ui.rootsOnScreenMax': Math.max(...run.rootsOnScreen),
      'ui.tables100.stepToPaintMedianMs': ms(median(tables.paint)),
      'ui.tables100.stepToPaintP95Ms': ms(p95(tables.paint)),
      'ui.tables100.stepsOverOneFrame': overFrame(tables),
      'ui.tables100.stepToDomP95Ms': ms(p95(tables.dom)),
      'ui.tables100.stepToSettledP95Ms': ms(p95(tables.settled)),
      'ui.tables100.shadowPagesDrawnMin': Math.min(...tables.shadowPages),
      'ui.tables100.shadowPagesDrawnMax': Math.max(...tables.shadowPages),
      'ui.tables100.shadowPagesDrawnMean': Number((tables.shadowPages.reduce((a, b) => a + b, 0) / tables.shadowPages.length).toFixed(1)),
      'ui.wholeScene.viewport': `${WHOLE_SCENE.viewport.width}x${WHOLE_SCENE.viewport.height} at 50%`,
      'ui.wholeScene.shadowPagesDrawnMax': Math.max(...whole.shadowPages),
      'ui.wholeScene.stepToPaintMedianMs': ms(median(whole.paint)),
      'ui.wholeScene.stepToPaintP95Ms': ms(p95(whole.paint)),
      'ui.wholeScene.stepToSettledP95Ms': ms(p95(whole.settled)),
      'ui.default1440.stepToPaintMedianMs': ms(median(classroom.paint)),
      'ui.default1440.stepToPaintP95Ms': ms(p95(classroom.paint)),
      'ui.default1440.stepsOverOneFrame': overFrame(classroom),
      'ui.present.stepToPaintMedianMs': ms(median(present.paint)),
      'ui.present.stepToPaintP95Ms': ms(p95(present.paint)),
      'ui.present.stepsOverOneFrame': overFrame(present),
      'ui.firstCompleteRenderMs': load.completeMs,
      'ui.bundleGzipKB': gz,
      'ui.firstRenderMs': load.firstRenderMs,
      'ui.firstContentfulPaintMs': load.fcpMs,
      'ui.chromium': await browser.version(),
    };
  } finally {
    await browser.close();
    await served.close();
  }
}
