/**
 * Issue 17's browser figures on the 100,000-step scenario (bench/scenario100k.ts),
 * for `npm run bench -- --ui100k`, in the production build in headless
 * Chromium at 1440x900. These are targets, not tests.
 *
 * - ui.open100k.ms (target < 3,000): from choosing the file in the editor's
 *   Import (setInputFiles) until the step counter reads "step 0 / 100000" and
 *   the loading note is gone (interactive), then the next frame's paint;
 *   median of RUNS runs (each in a fresh page).
 * - ui.scrub100k.p95Ms / medianMs (target p95 < 50): a pointer press at a
 *   seeded random place on the step strip (what a drag along it does at each
 *   move) until the frame that shows the new step has painted; SCRUBS presses.
 * - ui.step100k.stepToPaintP95Ms / MedianMs (target p95 < 16): the arrow key
 *   to the paint of the frame that shows the next step, one step at a time
 *   from an idle page (bench/ui.ts `stepping`, 'isolated').
 * - ui.heap100kMB: the page's JavaScript heap with the 100k timeline open
 *   (performance.memory, after the open; not a target).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { median, quantile } from 'd3';
import type { Browser, Page } from 'playwright-core';
import { buildApp, ensureChromium, launchChromium, serveBuild } from '../tests/e2e/serve.ts';
import { generateScenario100k } from './scenario100k.ts';
import { CLASSROOM, stepping } from './ui.ts';

const N = 100_000;
const RUNS = Number(process.env.UI100K_RUNS ?? 3);
const SCRUBS = 60;
const VIEWPORT = CLASSROOM.viewport;
const ms = (x: number | undefined) => Number((x ?? NaN).toFixed(1));

/** Imports `file` in the editor of an open page; resolves when the counter shows its steps, with the time it took (ms). */
export async function importFile(page: Page, file: string): Promise<number> {
  await page.getByTestId('edit-toggle').click();
  await page.getByTestId('editor').waitFor();
  const t0 = Date.now();
  await page.locator('[data-testid=editor] input[type=file]').setInputFiles(file);
  await page.waitForFunction(
    (n) => (document.querySelector('[data-testid=step-counter]')?.textContent ?? '').replace(/\s+/g, ' ').includes(`step 0 / ${n}`) && !document.querySelector('[data-testid=loading-text]'),
    N,
    { timeout: 120_000, polling: 'raf' },
  );
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0))));
  const took = Date.now() - t0;
  // Close the editor: the measured steps see the tables as a user stepping would.
  await page.getByTestId('edit-toggle').click();
  return took;
}

/** Pointer presses at seeded random places on the step strip: press to the paint of the frame showing the new step. */
export async function scrub(page: Page): Promise<number[]> {
  return page.evaluate(async (count) => {
    const strip = document.querySelector<HTMLElement>('[data-testid=step-strip]');
    if (!strip) throw new Error('no step strip');
    const counter = document.querySelector('[data-testid=step-counter]')!;
    const frame = () => new Promise<number>((r) => requestAnimationFrame(r));
    const afterFrame = () =>
      new Promise<number>((r) => {
        const ch = new MessageChannel();
        ch.port1.onmessage = () => r(performance.now());
        ch.port2.postMessage(0);
      });
    let seed = 0x1f2e3d4c;
    const random = () => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) / 2 ** 32;
    };
    const box = strip.getBoundingClientRect();
    const out: number[] = [];
    for (let i = 0; i < count; i++) {
      await new Promise((r) => requestIdleCallback(r, { timeout: 1000 }));
      const before = counter.textContent;
      const x = box.left + 1 + random() * (box.width - 2);
      const y = box.top + box.height / 2;
      const t0 = await new Promise<number>((r) =>
        requestAnimationFrame(() => {
          const t = performance.now();
          strip.dispatchEvent(new PointerEvent('pointerdown', { bubbles: true, clientX: x, clientY: y, button: 0, buttons: 1, pointerId: 1 }));
          strip.dispatchEvent(new PointerEvent('pointerup', { bubbles: true, clientX: x, clientY: y, button: 0, buttons: 0, pointerId: 1 }));
          r(t);
        }),
      );
      let frames = 0;
      while (counter.textContent === before && frames < 120) {
        await frame();
        frames++;
      }
      if (counter.textContent === before) continue; // the same step again: nothing to show
      if (frames === 0) await frame();
      out.push((await afterFrame()) - t0);
    }
    return out;
  }, SCRUBS);
}

export async function benchUi100k(): Promise<Record<string, number | string>> {
  const dir = mkdtempSync(join(tmpdir(), 'shadowpaging-ui100k-'));
  const file = join(dir, 'scenario-100k.json');
  writeFileSync(file, JSON.stringify(generateScenario100k(N).toJson()));
  const outDir = resolve(import.meta.dirname, '..', 'dist');
  await buildApp(outDir);
  const served = await serveBuild(outDir);
  const browser: Browser = await launchChromium(ensureChromium());
  try {
    const opens: number[] = [];
    let scrubs: number[] = [];
    let heapMB = NaN;
    for (let k = 0; k < RUNS; k++) {
      const context = await browser.newContext({ viewport: VIEWPORT });
      const page = await context.newPage();
      // tsx names the functions it compiles with a __name helper the page lacks (as bench/heavy.ts does).
      await page.addInitScript('globalThis.__name ??= (f) => f;');
      await page.goto(served.url);
      await page.getByTestId('step-counter').waitFor();
      opens.push(await importFile(page, file));
      if (k === 0) {
        heapMB = await page.evaluate(() => ((performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? NaN) / 2 ** 20);
        scrubs = await scrub(page);
      }
      await context.close();
    }
    const steps = await stepping(browser, served.url, CLASSROOM.scenario, 'isolated', { viewport: VIEWPORT, setup: async (page) => void (await importFile(page, file)) });
    if (steps.scenarioSteps !== N) throw new Error(`the stepped scenario has ${steps.scenarioSteps} steps, not ${N}`);
    return {
      'ui.open100k.ms': Math.round(median(opens)!),
      'ui.open100k.runs': opens.join(', '),
      'ui.scrub100k.medianMs': ms(median(scrubs)),
      'ui.scrub100k.p95Ms': ms(quantile(scrubs, 0.95)),
      'ui.scrub100k.presses': scrubs.length,
      'ui.step100k.stepToPaintMedianMs': ms(median(steps.paint)),
      'ui.step100k.stepToPaintP95Ms': ms(quantile(steps.paint, 0.95)),
      'ui.step100k.steps': steps.paint.length,
      'ui.heap100kMB': Math.round(heapMB),
      'ui.100k.viewport': `${VIEWPORT.width}x${VIEWPORT.height}`,
    };
  } finally {
    await browser.close();
    await served.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
