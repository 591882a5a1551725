/**
 * Offline part of `npm run bench` (`--offline`): the single file of
 * `npm run build:offline` (issue 18, item 6).
 * - offline.fileKB: the size of shadowpaging.html in KB (1,024 bytes), what
 *   a teacher copies onto a lab machine; offline.fileGzipKB: gzipped, for
 *   comparison with ui.bundleGzipKB (the served build's script).
 * - offline.buildMs: the offline build, from code (scripts/build-offline.ts).
 * - offline.firstRenderMs: opening the file from file:// in headless
 *   Chromium, navigation start to the presentation of the first frame that
 *   shows the step counter (Element Timing), median of LOADS fresh contexts.
 * - offline.heavyLinkOpenMs: a 1,500-step inline link followed in the open
 *   file (hashchange) until the counter reads "step 0 / 1500", median of
 *   LOADS: the heavy path (a blob: worker where the app has one) from file://.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { performance } from 'node:perf_hooks';
import { median } from 'd3';
import { buildOffline } from '../scripts/build-offline.ts';
import { DEFAULT_VIEW, encodePermalink } from '../src/scenarios/permalink.ts';
import { ensureChromium, launchChromium } from '../tests/e2e/serve.ts';

const LOADS = 7;
const ms = (x: number | undefined) => Number((x ?? -1).toFixed(1));

declare global {
  interface Window {
    __offlineCounterAt?: number;
  }
}

export async function benchOffline(): Promise<Record<string, number | string>> {
  const outDir = mkdtempSync(join(tmpdir(), 'shadowpaging-bench-offline-'));
  try {
    const t0 = performance.now();
    const { path, bytes } = await buildOffline(outDir);
    const buildMs = performance.now() - t0;
    const url = pathToFileURL(path).href;
    const browser = await launchChromium(ensureChromium());
    const first: number[] = [];
    const heavy: number[] = [];
    const json = { format: 'shadowpaging/v1', title: 'Offline heavy', guest: { mode: 'off' }, steps: Array.from({ length: 1500 }, (_, i) => (i % 5 === 4 ? { op: 'read', gva: `0x${((i % 64) * 0x1000).toString(16)}` } : { op: 'zap-all' })) };
    const fragment = encodePermalink({ scenario: { kind: 'inline', json }, view: DEFAULT_VIEW });
    try {
      for (let i = 0; i < LOADS; i++) {
        const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
        // tsx compiles with esbuild's keepNames: functions sent to the page call __name (as in bench/ui.ts).
        await context.addInitScript({ content: 'globalThis.__name ??= (f) => f;' });
        const page = await context.newPage();
        // Before the page's script: mark the counter for Element Timing as soon as it is in the DOM.
        await page.addInitScript(() => {
          new PerformanceObserver((list) => {
            for (const e of list.getEntries()) {
              if ((e as PerformanceEntry & { identifier?: string }).identifier === 'step-counter') window.__offlineCounterAt = (e as PerformanceEntry & { renderTime: number }).renderTime || e.startTime;
            }
          }).observe({ type: 'element', buffered: true });
          const mo = new MutationObserver(() => {
            const counter = document.querySelector('[data-testid=step-counter]');
            if (counter) {
              counter.setAttribute('elementtiming', 'step-counter');
              mo.disconnect();
            }
          });
          mo.observe(document, { childList: true, subtree: true });
        });
        await page.goto(url);
        await page.waitForFunction(() => window.__offlineCounterAt !== undefined, undefined, { timeout: 10_000 });
        first.push(await page.evaluate(() => window.__offlineCounterAt!));
        const h = await page.evaluate(
          (f) =>
            new Promise<number>((resolve) => {
              const start = performance.now();
              const tick = () => ((document.querySelector('[data-testid=step-counter]')?.textContent ?? '').replace(/\s+/g, ' ').trim() === 'step 0 / 1500' ? resolve(performance.now() - start) : requestAnimationFrame(tick));
              window.location.hash = f;
              requestAnimationFrame(tick);
            }),
          fragment,
        );
        heavy.push(h);
        await context.close();
      }
    } finally {
      await browser.close();
    }
    return {
      'offline.fileKB': Number((bytes / 1024).toFixed(1)),
      'offline.fileGzipKB': Number((gzipSync(readFileSync(path)).length / 1024).toFixed(1)),
      'offline.buildMs': Math.round(buildMs),
      'offline.firstRenderMs': ms(median(first)),
      'offline.heavyLinkOpenMs': ms(median(heavy)),
      'offline.heavyLinkSteps': 1500,
    };
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}
