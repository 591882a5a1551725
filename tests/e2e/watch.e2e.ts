/**
 * The "What to watch" list in a real browser: a click on an item's step
 * button jumps there and keeps the list open, with the item marked current;
 * axe-core finds no serious or critical violation there in either theme
 * (the current item's highlight included).
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeViolations, launch, openAt, seriousViolations, waitForCounter } from './helpers.ts';

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

describe('What to watch', () => {
  for (const theme of ['light', 'dark'] as const) {
    it(`${theme} theme: a step button jumps to its step, the list stays open, axe is clean`, async () => {
      const { page, context } = await openAt(browser, { width: 1280, height: 720 }, '#sp1/b/quadrants-32bit/1/s=0', theme);
      try {
        const item = page.locator('[data-testid="watch-list"] li[data-step="7"]');
        await item.getByRole('button').click();
        await waitForCounter(page, 'step 7 / 12');
        expect(await page.getByTestId('about-scenario').evaluate((d) => (d as HTMLDetailsElement).open)).toBe(true);
        expect(await item.getAttribute('aria-current')).toBe('step');
        expect(describeViolations(await seriousViolations(page))).toEqual([]);
      } finally {
        await context.close();
      }
    });
  }
});
