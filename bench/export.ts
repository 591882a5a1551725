/**
 * Export part (`npm run bench -- --export`), issue 18 item 5: the current view
 * saved as PNG (2x) and SVG, in headless Chromium (1600x1000 window, the
 * production build). export.pngMs: the default scenario's last step, median
 * of RUNS clicks on "PNG" after WARMUP, read from the app's own
 * performance.measure('sim-export-png') (the whole export: the scene redrawn
 * off screen, styles inlined, the SVG drawn on a 2x canvas and encoded);
 * export.svgMs the same for "SVG"; export.largest.* for the built-in with the
 * most steps, at its last step.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, quantile } from 'd3';
import type { Browser } from 'playwright-core';
import { DEFAULT_SCENARIO_ID, LIBRARY } from '../src/scenarios/library/index.ts';
import { buildApp, ensureChromium, launchChromium, serveBuild, settle } from '../tests/e2e/serve.ts';

const RUNS = 15;
const WARMUP = 3;
const round = (x: number | undefined) => Math.round((x ?? NaN) * 10) / 10;

async function timeExport(browser: Browser, url: string, id: string, steps: number): Promise<{ png: number[]; svg: number[]; pngBytes: number; width: number; height: number }> {
  const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
  const page = await context.newPage();
  await page.goto(`${url}#sp1/b/${id}/1/s=${steps}`);
  await page.getByTestId('step-counter').waitFor();
  await settle(page);
  const out = { png: [] as number[], svg: [] as number[], pngBytes: 0, width: 0, height: 0 };
  for (const kind of ['png', 'svg'] as const) {
    for (let k = 0; k < WARMUP + RUNS; k++) {
      const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId(`export-${kind}`).click()]);
      const path = await dl.path();
      const last = await page.evaluate((name) => {
        const e = performance.getEntriesByName(name);
        return e[e.length - 1]?.duration ?? NaN;
      }, `sim-export-${kind}`);
      if (k >= WARMUP) out[kind].push(last);
      if (kind === 'png' && k === 0) {
        const { readFileSync } = await import('node:fs');
        const b = readFileSync(path);
        out.pngBytes = b.length;
        out.width = b.readUInt32BE(16);
        out.height = b.readUInt32BE(20);
      }
      await settle(page);
    }
  }
  await context.close();
  return out;
}

export async function benchExport(): Promise<Record<string, number | string>> {
  const outDir = mkdtempSync(join(tmpdir(), 'shadowpaging-bench-export-'));
  try {
    await buildApp(outDir);
    const served = await serveBuild(outDir);
    const browser = await launchChromium(ensureChromium());
    try {
      const stepsOf = (id: string) => (LIBRARY.find((e) => e.id === id)!.json as { steps: unknown[] }).steps.length;
      const largest = [...LIBRARY].sort((p, q) => stepsOf(q.id) - stepsOf(p.id))[0]!.id;
      // The machine's load when the runs start: other work on a 2-core machine stretches these figures.
      const res: Record<string, number | string> = { 'export.loadAverage': round(loadavg()[0]) };
      for (const [prefix, id] of [['export', DEFAULT_SCENARIO_ID], ['export.largest', largest]] as const) {
        const r = await timeExport(browser, served.url, id, stepsOf(id));
        res[`${prefix}.scenario`] = `${id} step ${stepsOf(id)}`;
        res[`${prefix}.pngMs`] = round(median(r.png));
        res[`${prefix}.pngP95Ms`] = round(quantile(r.png, 0.95));
        res[`${prefix}.svgMs`] = round(median(r.svg));
        res[`${prefix}.pngPixels`] = `${r.width}x${r.height}`;
        res[`${prefix}.pngKB`] = round(r.pngBytes / 1024);
      }
      return res;
    } finally {
      await browser.close();
      await served.close();
    }
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}
