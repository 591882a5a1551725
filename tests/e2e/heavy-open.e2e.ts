/**
 * Heavy scenarios open without freezing the page (issue 16): a 10,000-step
 * file imported in the editor and the 1,923-step zap-all link each reach the
 * screen; the 10,000-step one shows its progress note while it builds, and
 * the page answers meanwhile: a click on a button steps the scenario still
 * on screen before the build is done, which a build on the main thread would
 * not let happen. A rule-set change and Compare run with their notes too.
 *
 * How long the page's main-thread tasks are while these open (the target is
 * 50 ms) is a timing, so it is measured by `npm run bench -- --reliability`
 * (bench/heavy.ts: reliability.openHeavyLinkLongestTaskMs,
 * reliability.import10kLongestTaskMs), not asserted here: on a machine
 * running at half its usual speed the same code failed a 50 ms bound here
 * in every attempt.
 *
 * The link is followed in the running app, as a click on it in a page does
 * (hashchange, the same openFragment the app runs at start-up).
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { launch } from './helpers.ts';
import { readFileSync } from 'node:fs';
import { sim_traceJsonText } from '../../src/core/index.ts';
import { crc32 } from '../../src/scenarios/crc32.ts';
import { parseScenarioText } from '../../src/scenarios/schema.ts';
import { millionStepsFile, NOTE_RECORDER, noteTexts, tenThousandStepsFile, tenThousandStepsText, waitForSteps, zapAllLink } from './heavy.ts';
import type { Browser } from 'playwright-core';

let browser: Browser;
let context: BrowserContext | null = null;
let errors: string[] = [];
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});
beforeEach(() => {
  errors = [];
});
afterEach(async () => {
  await context?.close();
  context = null;
  expect(errors).toEqual([]);
});

/** The app at 1440x900 with the note recorder in place, the default scenario on screen. */
async function openRecorded(): Promise<Page> {
  await context?.close();
  context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console.error: ${m.text()}`);
  });
  await page.addInitScript(NOTE_RECORDER);
  await page.goto(inject('baseUrl'));
  await waitForSteps(page, 'step 0 / 12');
  return page;
}

describe('heavy scenarios open with their progress notes', () => {
  it('the 1,923-step zap-all link: on screen, and stepped like any other', { timeout: 180_000 }, async () => {
    const fragment = zapAllLink();
    expect(fragment.length).toBeGreaterThan(1700);
    const page = await openRecorded();
    await page.evaluate((f) => {
      window.location.hash = f;
    }, fragment);
    await waitForSteps(page, 'step 0 / 1923');
    await page.getByTestId('step-last').click();
    await waitForSteps(page, 'step 1923 / 1923');
  });

  it('a 10,000-step file imported in the editor: a progress note, and a working button meanwhile', { timeout: 180_000 }, async () => {
    const page = await openRecorded();
    await page.getByTestId('edit-toggle').click();
    await page.getByTestId('editor').waitFor();
    await page.waitForTimeout(300);
    await page.locator('[data-testid=editor] input[type=file]').setInputFiles(tenThousandStepsFile());
    // While it builds: the note names it and counts its steps, and the scenario
    // on screen still answers a click. Done in the page the moment the note
    // appears (from here, a fast build could end in between), and read two
    // frames later with the note still there.
    await page.waitForFunction(
      () => {
        const w = window as unknown as { __during?: { note: string | null; counter?: string; stillBuilding?: boolean; frames: number } };
        const note = document.querySelector('[data-testid=loading-text]');
        if (!w.__during) {
          if (!note) return false;
          w.__during = { note: note.textContent, frames: 0 };
          document.querySelector<HTMLButtonElement>('[data-testid=step-forward]')?.click();
          return false;
        }
        if (++w.__during.frames < 2) return false;
        w.__during.counter = (document.querySelector('[data-testid=step-counter]')?.textContent ?? '').replace(/\s+/g, ' ').trim();
        w.__during.stillBuilding = !!note;
        return true;
      },
      null,
      { timeout: 20_000, polling: 'raf' },
    );
    const during = await page.evaluate(() => (window as unknown as { __during: { note: string | null; counter: string; stillBuilding: boolean } }).__during);
    expect(during.note).toMatch(/^Opening "10,000 steps of quadrants": [\d,]+ of 10,000 steps$/);
    expect(during.stillBuilding).toBe(true);
    expect(during.counter).toBe('step 1 / 12');
    await waitForSteps(page, 'step 0 / 10000');
    expect(await page.evaluate(() => (window as unknown as { __noteSeen: boolean }).__noteSeen)).toBe(true);
    expect(await page.getByTestId('loading-note').count()).toBe(0);
  });

  it('a 1,000,000-step file (the file cap) opens, its fingerprint and Export .json made off the page, the SVG of its whole scene written in slices, jumps along its strip, steps to its end, and refuses a PNG of its last step\'s whole scene', { timeout: 300_000 }, async () => {
    const file = millionStepsFile();
    const page = await openRecorded();
    await page.getByTestId('edit-toggle').click();
    await page.getByTestId('editor').waitFor();
    await page.locator('[data-testid=editor] input[type=file]').setInputFiles(file);
    // The app once went blank here, after the build: the most shadow pages of
    // any step were found by a spread of 1,000,001 counts into Math.max.
    await waitForSteps(page, 'step 0 / 1000000', 120_000);
    // The tab's record of what the editor put on screen: the document's fingerprint, taken from its text in a worker.
    const text = readFileSync(file, 'utf8');
    const compact = JSON.stringify(JSON.parse(text));
    await page.waitForFunction((want) => sessionStorage.getItem('shadowpaging:tab-shown') === want, `${compact.length}:${crc32(compact).toString(16)}`, { timeout: 60_000 });
    // Export .json: the file's text, whole (its Blob made in a worker).
    const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.getByRole('button', { name: 'Export .json' }).click()]);
    expect(readFileSync((await dl.path())!, 'utf8') === text).toBe(true);
    await page.getByTestId('edit-toggle').click();
    expect(await page.locator('[data-key^="gt:"]').count()).toBeGreaterThan(0);
    // The SVG of the whole scene (~190,000 px tall) is written in slices: the page paints frames while its export stage is up.
    const svgDl = page.waitForEvent('download', { timeout: 120_000 });
    await page.getByTestId('export-svg').click();
    expect(await page.evaluate(() => new Promise<boolean>((r) => requestAnimationFrame(() => r(document.querySelector('.export-stage') !== null))))).toBe(true);
    const svgText = readFileSync((await (await svgDl).path())!, 'utf8');
    expect(svgText.startsWith('<?xml')).toBe(true);
    expect(svgText).not.toMatch(/class=|data-testid=/);
    // A theme change meanwhile would mix the two themes' colours: that export is refused.
    await page.getByTestId('export-svg').click();
    await page.getByRole('button', { name: 'Toggle light and dark theme' }).click();
    await page.getByTestId('export-msg').filter({ hasText: 'theme changed' }).waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('export-msg').textContent()).toBe('Could not export the SVG: the theme changed while the picture was being written; export it again');
    const strip = (await page.getByTestId('step-strip').boundingBox())!;
    await page.mouse.click(strip.x + strip.width / 2, strip.y + strip.height / 2);
    await page.waitForFunction(() => /^step (4|5)\d{5} \/ 1000000$/.test((document.querySelector('[data-testid=step-counter]')?.textContent ?? '').replace(/\s+/g, ' ').trim()), null, { timeout: 30_000 });
    await page.getByTestId('step-last').click();
    await waitForSteps(page, 'step 1000000 / 1000000', 60_000);
    expect(await page.locator('[data-key^="sp:"]').count()).toBeGreaterThan(0);
    // The whole scene there is ~311,000 px tall: a PNG is refused before it is drawn (drawing it froze the page ~20 s, then failed with no reason to act on).
    await page.getByTestId('export-png').click();
    await page.getByTestId('export-msg').waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('export-msg').textContent()).toMatch(/^No PNG: the picture of this view would be [\d,]+ × [\d,]+ px, more than a PNG can hold in a browser \(16,384 px a side\)/);
  });

  it('the 1,923-step link under another rule set, and compared: each with its note, the step kept; the comparison counts its steps and is kept when reopened', { timeout: 300_000 }, async () => {
    const page = await openRecorded();
    await page.evaluate((f) => {
      window.location.hash = f;
    }, zapAllLink());
    await waitForSteps(page, 'step 0 / 1923');
    await page.getByTestId('step-forward').click();
    await waitForSteps(page, 'step 1 / 1923');
    // The rule set: run again in the worker, with the note; the step stays.
    await page.getByTestId('rules').selectOption('merged');
    await page.waitForFunction(() => (window as unknown as { __noteTexts: string[] }).__noteTexts.some((t) => t.startsWith('Running')), null, { timeout: 10_000 });
    expect((await noteTexts(page)).filter((t) => t.startsWith('Running'))[0]).toMatch(/^Running "Zap" under Merged \(5\.15\.y\): [\d,]+ of 1,923 steps$/);
    await page.getByTestId('loading-note').waitFor({ state: 'detached', timeout: 30_000 });
    await waitForSteps(page, 'step 1 / 1923');
    expect(await page.getByTestId('rules').inputValue()).toBe('merged');
    // Compare: the rule sets run in a worker; a note until the report is there, then at most 100 differences listed.
    await page.getByTestId('compare-toggle').click();
    await page.getByTestId('compare-summary').waitFor({ timeout: 45_000 });
    expect(await page.evaluate(() => (window as unknown as { __compareRunningSeen: boolean }).__compareRunningSeen)).toBe(true);
    expect(await page.getByTestId('compare-diff').count()).toBeLessThanOrEqual(100);
    expect(await page.getByTestId('compare-more').textContent()).toMatch(/more/);
    // Meanwhile it counted the steps run (the worker reports every 1,024 steps).
    const counts = await page.evaluate(() => (window as unknown as { __compareProgress: string[] }).__compareProgress);
    expect(counts[0]).toBe('0 of 1,923 steps');
    expect(counts).toContain('1,024 of 1,923 steps');
    // Closed and opened again: the report is kept, not run again.
    await page.getByTestId('compare-close').click();
    await page.evaluate(() => void ((window as unknown as { __compareRunningSeen: boolean }).__compareRunningSeen = false));
    await page.getByTestId('compare-toggle').click();
    await page.getByTestId('compare-summary').waitFor({ timeout: 5_000 });
    expect(await page.evaluate(() => (window as unknown as { __compareRunningSeen: boolean }).__compareRunningSeen)).toBe(false);
  });

  it('Download trace of a 10,000-step file: written in a worker with its count and a Cancel, then the trace CLI\'s document byte for byte', { timeout: 180_000 }, async () => {
    const page = await openRecorded();
    const downloads: string[] = [];
    page.on('download', (d) => downloads.push(d.suggestedFilename()));
    await page.getByTestId('edit-toggle').click();
    await page.getByTestId('editor').waitFor();
    await page.locator('[data-testid=editor] input[type=file]').setInputFiles(tenThousandStepsFile());
    await waitForSteps(page, 'step 0 / 10000');
    // Started and cancelled in one task (a fast worker could finish between two clicks from here);
    // React renders the note in a microtask, before any message from the worker can arrive.
    const during = await page.evaluate(async () => {
      [...document.querySelectorAll<HTMLButtonElement>('button')].find((b) => b.textContent === 'Download trace')!.click();
      for (let k = 0; k < 3; k++) await Promise.resolve();
      const note = document.querySelector('[data-testid=editor-trace-progress]')?.textContent ?? null;
      document.querySelector<HTMLButtonElement>('[data-testid=editor-trace-cancel]')?.click();
      return note;
    });
    expect(during).toMatch(/^Writing the trace: 0 of 10,000 steps\./);
    await expect.poll(() => page.getByTestId('editor-message').textContent()).toBe('Stopped writing the trace. No file was saved.');
    expect(await page.getByTestId('editor-trace-progress').count()).toBe(0);
    const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 120_000 }), page.getByRole('button', { name: 'Download trace' }).click()]);
    expect(dl.suggestedFilename()).toBe('10-000-steps-of-quadrants.trace.json');
    expect(downloads).toEqual(['10-000-steps-of-quadrants.trace.json']);
    const parsed = parseScenarioText(tenThousandStepsText());
    if (!parsed.ok) throw new Error(parsed.error.message);
    const want = [...sim_traceJsonText(parsed.scenario, { rules: 'seed', at: null, events: true })].join('');
    expect(readFileSync(await dl.path(), 'utf8')).toBe(want);
    expect(await page.getByTestId('editor-message').textContent()).toMatch(/^Saved the trace as 10-000-steps-of-quadrants\.trace\.json \([\d.]+ MB \([\d,]+ bytes\)\)\.$/);
  });

  it('Cancel keeps the scenario on screen', async () => {
    const page = await openRecorded();
    await page.getByTestId('step-forward').click();
    await waitForSteps(page, 'step 1 / 12');
    await page.getByTestId('edit-toggle').click();
    await page.locator('[data-testid=editor] input[type=file]').setInputFiles(tenThousandStepsFile());
    // Clicked in the page the moment it appears (a click from here could arrive after a fast build ended).
    await page.waitForFunction(
      () => {
        const b = document.querySelector<HTMLButtonElement>('[data-testid=loading-cancel]');
        b?.click();
        return !!b;
      },
      null,
      { timeout: 20_000, polling: 'raf' },
    );
    await page.getByTestId('loading-note').waitFor({ state: 'detached' });
    await page.waitForTimeout(1500);
    expect((await page.getByTestId('step-counter').textContent())?.replace(/\s+/g, ' ').trim()).toBe('step 1 / 12');
  });
});
