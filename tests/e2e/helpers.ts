/** Page helpers for the e2e tests (no assertions library: playwright-core only drives the browser). */
import { mkdirSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, inject } from 'vitest';
import { launchChromium, ROOT, settle } from './serve.ts';

export const launch = (): Promise<Browser> => launchChromium(inject('chromiumPath'));

export interface Opened {
  page: Page;
  context: BrowserContext;
  /** Uncaught exceptions and console errors seen on the page. */
  errors: string[];
}

/** A fresh context (so a fresh store) on the app, waiting for the first render. */
export async function openApp(browser: Browser, colorScheme: 'light' | 'dark' = 'light'): Promise<Opened> {
  const context = await browser.newContext({ viewport: { width: 1600, height: 1000 }, colorScheme });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console.error: ${m.text()}`);
  });
  await page.goto(inject('baseUrl'));
  await page.getByTestId('step-counter').waitFor({ state: 'visible' });
  await settle(page);
  return { page, context, errors };
}

/**
 * A test file's browser, launched once, and `open()`: the app in a fresh
 * context, closed after each test, which also checks that the page threw
 * nothing and logged no error. `closeNow()` ends the current one early (a
 * test that opens several).
 */
export function appSession(): { open: (colorScheme?: 'light' | 'dark') => Promise<Page>; closeNow: () => Promise<void> } {
  let browser: Browser;
  let opened: Opened | null = null;
  const closeNow = async () => {
    const o = opened;
    opened = null;
    if (!o) return;
    await o.context.close();
    expect(o.errors).toEqual([]);
  };
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });
  afterEach(closeNow);
  return {
    open: async (colorScheme = 'light') => {
      await closeNow();
      opened = await openApp(browser, colorScheme);
      return opened.page;
    },
    closeNow,
  };
}

export const counterText = (page: Page): Promise<string> =>
  page.getByTestId('step-counter').evaluate((el) => (el.textContent ?? '').replace(/\s+/g, ' ').trim());

/**
 * Waits until the step counter reads exactly `text` (whitespace collapsed)
 * and the side panel, which follows at a lower priority, shows that step and
 * event too.
 */
export async function waitForCounter(page: Page, text: string): Promise<void> {
  try {
    await page.waitForFunction(
      (want) => {
        if ((document.querySelector('[data-testid=step-counter]')?.textContent ?? '').replace(/\s+/g, ' ').trim() !== want) return false;
        const m = /^step (\d+) \/ \d+(?: · event (\d+) \/ \d+)?$/.exec(want);
        const side = document.querySelector<HTMLElement>('aside.side');
        return !m || !side || (side.dataset.step === m[1] && side.dataset.event === (m[2] ?? ''));
      },
      text,
      { timeout: 5_000 },
    );
  } catch {
    throw new Error(`step counter: expected "${text}", got "${await counterText(page)}"`);
  }
}

export interface ShadowPageAttrs {
  sp: string;
  level: string;
  quadrant: string;
  gfn: string;
  rootSlot: string;
}

export const shadowPages = (page: Page, selector = '[data-testid=shadow-page]'): Promise<ShadowPageAttrs[]> =>
  page.$$eval(selector, (els) =>
    els.map((e) => ({
      sp: e.getAttribute('data-sp') ?? '',
      level: e.getAttribute('data-level') ?? '',
      quadrant: e.getAttribute('data-quadrant') ?? '',
      gfn: e.getAttribute('data-gfn') ?? '',
      rootSlot: e.getAttribute('data-root-slot') ?? '',
    })),
  );

/** What is on the canvas: the shadow pages (id, quadrant, gfn) and the text of every spte row. */
export async function picture(page: Page): Promise<{ sps: string[]; sptes: string[] }> {
  const sps = (await shadowPages(page)).map((p) => `sp ${p.sp} q${p.quadrant} gfn ${p.gfn}`).sort();
  const sptes = await page.$$eval('[data-testid=shadow-page]', (els) =>
    els.flatMap((sp) => [...sp.querySelectorAll('[data-testid=spte]')].map((r) => `sp ${sp.getAttribute('data-sp')}: ${(r.textContent ?? '').replace(/\s+/g, ' ').trim()}`)),
  );
  return { sps, sptes: sptes.sort() };
}

export const explanationText = (page: Page): Promise<string> =>
  page.getByTestId('explanation').evaluate((el) => (el.textContent ?? '').replace(/\s+/g, ' '));

/** Waits until the explanation (rendered at a lower priority than the tables) contains `text`. */
export async function waitForExplanation(page: Page, text: string): Promise<void> {
  try {
    await page.waitForFunction((want) => (document.querySelector('[data-testid=explanation]')?.textContent ?? '').replace(/\s+/g, ' ').includes(want), text, { timeout: 5_000 });
  } catch {
    throw new Error(`explanation: expected it to contain "${text}", got "${await explanationText(page)}"`);
  }
}

export const isDark = (page: Page): Promise<boolean> => page.evaluate(() => document.documentElement.classList.contains('dark'));

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(`${ROOT}/screenshots`, { recursive: true });
  await page.screenshot({ path: `${ROOT}/screenshots/e2e-${name}.png` });
}
