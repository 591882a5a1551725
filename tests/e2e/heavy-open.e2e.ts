/**
 * Heavy scenarios open without freezing the page (issue 16): a 10,000-step
 * file imported in the editor and the 1,923-step zap-all link each reach the
 * screen with no main-thread task over 50 ms, measured in the page with a
 * PerformanceObserver for long tasks installed before the app's scripts run.
 * The 10,000-step one shows its progress note, and a button works meanwhile
 * (the scenario on screen steps forward).
 *
 * What is measured: the tasks from the moment the link is followed (or the
 * file chosen) until the scenario is on screen and one second after (the
 * idle preparation of its steps). Loading the page itself (evaluating the
 * app's bundle, its first render) comes before and is the same with or
 * without a link; bench/ui.ts measures it (ui.firstRenderMs). The link is
 * followed in the running app, as a click on it in a page does (hashchange,
 * the same openFragment the app runs at start-up). The harness's own polling
 * is a one-line function per 100 ms. Each measurement gets up to three
 * attempts in fresh pages (noLongTaskIn says why).
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { launch } from './helpers.ts';
import { LONG_TASK_RECORDER, longTasksSince, noteTexts, pageNow, tenThousandStepsFile, waitForSteps, zapAllLink } from './heavy.ts';
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

/** The app at 1440x900 with the long-task recorder in place, the default scenario on screen. */
async function openRecorded(): Promise<Page> {
  await context?.close();
  context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console.error: ${m.text()}`);
  });
  await page.addInitScript(LONG_TASK_RECORDER);
  await page.goto(inject('baseUrl'));
  await waitForSteps(page, 'step 0 / 12');
  return page;
}

/** The long tasks since `t0` (after a second more: the idle preparation of the steps), as text, and what the long frames ran. */
async function longTasks(page: Page, t0: number): Promise<{ tasks: string[]; frames: string[] }> {
  await page.waitForTimeout(1000);
  const { tasks, frames } = await longTasksSince(page, t0);
  return { tasks: tasks.map((t) => `${t.ms} ms at ${t.start - Math.round(t0)} ms`), frames };
}

/**
 * Runs `attempt` (a fresh page each time) until one sees no long task, at
 * most ATTEMPTS times, and fails with every attempt's tasks if none did.
 * Why more than one: the CI machine has 2 cores that other jobs share, and a
 * burst of their work (or a garbage collection it delays) can stretch a
 * 20 ms task past 50 ms once; a task of the app's that is long by itself is
 * long in every attempt.
 */
const ATTEMPTS = 3;
async function noLongTaskIn(attempt: () => Promise<{ tasks: string[]; frames: string[] }>): Promise<void> {
  const seen: string[] = [];
  for (let k = 1; k <= ATTEMPTS; k++) {
    const { tasks, frames } = await attempt();
    if (tasks.length === 0) return;
    seen.push(`attempt ${k}: ${tasks.join(', ')}\n  ${frames.join('\n  ')}`);
  }
  expect(seen, 'long tasks (over 50 ms) in every attempt').toEqual([]);
}

describe('heavy scenarios open off the main thread', () => {
  it('the 1,923-step zap-all link: on screen with no main-thread task over 50 ms', { timeout: 180_000 }, async () => {
    const fragment = zapAllLink();
    expect(fragment.length).toBeGreaterThan(1700);
    let page: Page | null = null;
    await noLongTaskIn(async () => {
        page = await openRecorded();
        const t0 = await pageNow(page);
        await page.evaluate((f) => {
          window.location.hash = f;
        }, fragment);
        await waitForSteps(page, 'step 0 / 1923');
        return longTasks(page, t0);
    });
    // It is the link's scenario, stepped like any other.
    await page!.getByTestId('step-last').click();
    await waitForSteps(page!, 'step 1923 / 1923');
  });

  it('a 10,000-step file imported in the editor: a progress note, a working button meanwhile, no task over 50 ms', { timeout: 180_000 }, async () => {
    await noLongTaskIn(async () => {
      const page = await openRecorded();
      await page.getByTestId('edit-toggle').click();
      await page.getByTestId('editor').waitFor();
      await page.waitForTimeout(300);
      const t0 = await pageNow(page);
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
      return longTasks(page, t0);
    });
  });

  it('the 1,923-step link under another rule set, and compared: both off the main thread', { timeout: 300_000 }, async () => {
    await noLongTaskIn(async () => {
      const page = await openRecorded();
      await page.evaluate((f) => {
        window.location.hash = f;
      }, zapAllLink());
      await waitForSteps(page, 'step 0 / 1923');
      await page.getByTestId('step-forward').click();
      await waitForSteps(page, 'step 1 / 1923');
      const t0 = await pageNow(page);
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
      return longTasks(page, t0);
    });
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
