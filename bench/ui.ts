/**
 * The UI part of `npm run bench` (alone with `npm run bench -- --ui`): the
 * production build in Debian's headless Chromium, served by vite preview.
 *
 * - ui.stepToPaintMedianMs / P95Ms: a keydown (ArrowRight, or ArrowLeft on
 *   the way back) dispatched in the page, to just after the next paint that
 *   shows the new step: the first animation frame in which the step counter
 *   has changed, then a message posted from that frame's rAF callback (it is
 *   delivered after the frame's rendering, on the main thread: compositing
 *   and presentation come after). The run picks the built-in scenario with
 *   the most steps (in the app's scenario picker) and steps through it
 *   forward and backward, end to end, for STEPS steps after a warm-up.
 * - ui.stepToDomMedianMs: the same keydown to the end of React's DOM commit
 *   (a MutationObserver callback), without the wait for the frame.
 * - Diagnostics: ui.frameIntervalMs, the median interval between animation
 *   frames of the idle page (the display's frame interval: a keydown sent
 *   just after a frame cannot be shown much sooner than that, so it is the
 *   floor of stepToPaint); ui.stepFrameRenderMedianMs / P95Ms, from the rAF
 *   callback of the frame that shows the step to just after that frame
 *   (style, layout, paint and the commit to the compositor).
 * - ui.stepInFrameMedianMs / P95Ms: the same stepping, but each keydown is
 *   delivered at the start of a frame (in a rAF callback), to just after the
 *   paint of the first frame that shows the step (ui.stepInFrameShownSameFrame:
 *   how many were shown in that very frame). This is the app's own
 *   input-to-paint latency; stepToPaint adds the wait for the display's next
 *   frame, which is about one frame interval by construction.
 * - ui.bundleGzipKB: the gzip sizes of dist/assets/*.js, summed.
 * - ui.firstRenderMs: navigation start to the presentation of the first
 *   frame that shows the step counter (Element Timing; median over LOADS
 *   fresh page loads); ui.firstContentfulPaintMs alongside.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { LIBRARY } from '../src/scenarios/library/index.ts';
import { buildApp, ensureChromium, launchChromium, ROOT, serveBuild, settle } from '../tests/e2e/serve.ts';

const STEPS = 200;
const WARMUP = 24;
const LOADS = 10;

const median = (a: number[]) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)]!;
const pct = (a: number[], p: number) => [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(a.length * p))]!;
const ms = (x: number) => Number(x.toFixed(2));

/**
 * tsx compiles this file with esbuild's keepNames, which wraps named
 * functions in `__name(...)`; the functions sent to the page keep those calls,
 * so give the page an identity `__name` before any of them runs.
 */
const NAME_SHIM = 'globalThis.__name ??= (f) => f;';

async function newContext(browser: Browser) {
  const context = await browser.newContext({ viewport: { width: 1600, height: 1000 }, colorScheme: 'light' });
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
  }
}

async function firstRender(browser: Browser, url: string): Promise<{ firstRenderMs: number; fcpMs: number }> {
  const times: number[] = [];
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
          if ((e as PerformanceEntry & { identifier?: string }).identifier === 'step-counter') window.__counterPaintedAt = (e as PerformanceEntry & { renderTime: number }).renderTime || e.startTime;
        }
      }).observe({ type: 'element', buffered: true });
      const mo = new MutationObserver(() => {
        const el = document.querySelector('[data-testid=step-counter]');
        if (!el) return;
        mo.disconnect();
        el.setAttribute('elementtiming', 'step-counter');
      });
      mo.observe(document, { childList: true, subtree: true });
    });
    await page.goto(url);
    await page.waitForFunction(() => window.__counterPaintedAt !== undefined, undefined, { timeout: 10_000 });
    const r = await page.evaluate(() => ({
      at: window.__counterPaintedAt!,
      fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? -1,
    }));
    times.push(r.at);
    if (r.fcp >= 0) fcps.push(r.fcp);
    await context.close();
  }
  return { firstRenderMs: ms(median(times)), fcpMs: fcps.length ? ms(median(fcps)) : -1 };
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

interface SteppingRun {
  paint: number[];
  dom: number[];
  render: number[];
  frameInterval: number;
  shadowPages: number[];
  frames: number[];
  /** With atFrameStart: measured steps shown in the frame whose start the key was pressed at. */
  sameFrame: number;
  scenarioSteps: number;
  title: string;
}

/**
 * Steps the scenario back and forth in the page. With `atFrameStart`, each
 * keydown is delivered at the start of a frame (in a rAF callback) and timed
 * to just after that frame's rendering, if it shows the step (it always has so
 * far; `sameFrame` counts it): the app's own input-to-paint latency.
 * Otherwise the keydown is sent just after a frame, as a user's key press
 * lands at any time, and the wait for the next frame is part of the figure.
 */
/** A fresh page of the app on `scenarioId`, settled, with the keyboard free for stepping. */
export async function openScenario(browser: Browser, url: string, scenarioId: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await newContext(browser);
  const page = await context.newPage();
  await page.goto(url);
  await page.getByTestId('step-counter').waitFor();
  const picker = page.getByTestId('scenario-picker');
  if ((await picker.inputValue()) !== scenarioId) await picker.selectOption(scenarioId);
  await picker.evaluate((el) => (el as HTMLSelectElement).blur());
  await settle(page);
  return { context, page };
}

async function stepping(browser: Browser, url: string, scenarioId: string, atFrameStart: boolean): Promise<SteppingRun> {
  const { context, page } = await openScenario(browser, url, scenarioId);
  try {
    return await page.evaluate(
      async ({ steps, warmup, atFrameStart }) => {
        const counter = document.querySelector('[data-testid=step-counter]')!;
        const root = document.getElementById('root')!;
        const read = () => {
          const m = /step (\d+) \/ (\d+)/.exec(counter.textContent ?? '');
          if (!m) throw new Error(`unexpected step counter "${counter.textContent}"`);
          return { step: Number(m[1]), total: Number(m[2]) };
        };
        const frame = () => new Promise<number>((r) => requestAnimationFrame(r));
        const afterFrame = () =>
          new Promise<number>((r) => {
            const ch = new MessageChannel();
            ch.port1.onmessage = () => r(performance.now());
            ch.port2.postMessage(0);
          });
        const { total } = read();
        if (total < 1) throw new Error('the scenario has no steps');
        const out = { paint: [] as number[], dom: [] as number[], render: [] as number[], shadowPages: [] as number[], frames: [] as number[], sameFrame: 0 };
        let dir = 1;
        for (let i = 0; i < warmup + steps; i++) {
          const { step } = read();
          if (step >= total) dir = -1;
          else if (step <= 0) dir = 1;
          const before = counter.textContent;
          let domAt = -1;
          const mo = new MutationObserver(() => {
            if (domAt < 0) domAt = performance.now();
          });
          mo.observe(root, { subtree: true, childList: true, characterData: true, attributes: true });
          const press = () => document.body.dispatchEvent(new KeyboardEvent('keydown', { key: dir > 0 ? 'ArrowRight' : 'ArrowLeft', bubbles: true, cancelable: true }));
          let t0: number;
          let t1 = -1;
          let rafAt = -1;
          let frames = 0;
          if (atFrameStart) {
            // Press in a rAF callback; a message posted from it arrives after that frame's rendering.
            ({ t0, t1 } = await new Promise<{ t0: number; t1: number }>((resolve) =>
              requestAnimationFrame(() => {
                const start = performance.now();
                press();
                void afterFrame().then((end) => resolve({ t0: start, t1: end }));
              }),
            ));
            rafAt = t0;
            frames = 1;
            if (counter.textContent !== before && i >= warmup) out.sameFrame++;
          } else {
            t0 = performance.now();
            press();
          }
          // Otherwise (or if that frame did not show it): the first frame whose rendering shows the new step, then just after its paint.
          if (counter.textContent === before) {
            do {
              await frame();
              rafAt = performance.now();
              frames++;
            } while (counter.textContent === before && frames < 60);
            if (counter.textContent === before) throw new Error(`step ${step}: the counter did not change`);
            t1 = await afterFrame();
          }
          mo.disconnect();
          if (i < warmup) continue;
          out.paint.push(t1 - t0);
          out.dom.push(domAt - t0);
          out.render.push(t1 - rafAt);
          out.frames.push(frames);
          out.shadowPages.push(document.querySelectorAll('[data-testid=shadow-page]').length);
        }
        // The idle page's frame interval (diagnostic), after the stepping.
        const stamps: number[] = [];
        for (let i = 0; i < 31; i++) stamps.push(await frame());
        const intervals = stamps.slice(1).map((t, i) => t - stamps[i]!).sort((p, q) => p - q);
        const frameInterval = intervals[Math.floor(intervals.length / 2)]!;
        const picker = document.querySelector<HTMLSelectElement>('[data-testid=scenario-picker]');
        return { ...out, frameInterval, scenarioSteps: total, title: picker?.selectedOptions[0]?.textContent ?? '' };
      },
      { steps: STEPS, warmup: WARMUP, atFrameStart },
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
    const run = await stepping(browser, served.url, largest.id, false);
    if (run.scenarioSteps !== largest.steps) throw new Error(`${largest.id}: the app shows ${run.scenarioSteps} steps, the library ${largest.steps}`);
    const aligned = await stepping(browser, served.url, largest.id, true);
    const load = await firstRender(browser, served.url);
    return {
      'ui.stepToPaintMedianMs': ms(median(run.paint)),
      'ui.stepToPaintP95Ms': ms(pct(run.paint, 0.95)),
      'ui.stepToDomMedianMs': ms(median(run.dom)),
      'ui.stepToDomP95Ms': ms(pct(run.dom, 0.95)),
      'ui.stepInFrameMedianMs': ms(median(aligned.paint)),
      'ui.stepInFrameP95Ms': ms(pct(aligned.paint, 0.95)),
      'ui.stepInFrameShownSameFrame': `${aligned.sameFrame}/${aligned.paint.length}`,
      'ui.frameIntervalMs': ms(run.frameInterval),
      'ui.stepFrameRenderMedianMs': ms(median(run.render)),
      'ui.stepFrameRenderP95Ms': ms(pct(run.render, 0.95)),
      'ui.steps': run.paint.length,
      'ui.scenario': largest.id,
      'ui.scenarioTitle': run.title,
      'ui.scenarioSteps': run.scenarioSteps,
      'ui.shadowPagesOnScreenMin': Math.min(...run.shadowPages),
      'ui.shadowPagesOnScreenMax': Math.max(...run.shadowPages),
      'ui.shadowPagesOnScreenMean': Number((run.shadowPages.reduce((a, b) => a + b, 0) / run.shadowPages.length).toFixed(1)),
      'ui.framesToShowStepMax': Math.max(...run.frames),
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
