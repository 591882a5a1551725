/**
 * axe-core on the running app: no serious or critical violations on the
 * initial page and at step 2, with the Compare view and the kernel-bug
 * panel open, and in the overview, in the light and the dark theme.
 */
import { describe, expect, it } from 'vitest';
import { appSession, describeViolations, seriousViolations, waitForCounter } from './helpers.ts';

const session = appSession();
const WINDOW = { width: 1600, height: 1000 };

describe('accessibility (axe-core)', () => {
  for (const theme of ['light', 'dark'] as const) {
    it(`${theme} theme: initial page and step 2 have no serious or critical violations`, async () => {
      const page = await session.open(theme);
      expect(await page.evaluate(() => document.documentElement.classList.contains('dark'))).toBe(theme === 'dark');
      const initial = describeViolations(await seriousViolations(page));
      await page.keyboard.press('ArrowRight');
      await page.keyboard.press('ArrowRight');
      await waitForCounter(page, 'step 2 / 12');
      const step2 = describeViolations(await seriousViolations(page));
      expect({ initial, step2 }).toEqual({ initial: [], step2: [] });
    });
    it(`${theme} theme: the Compare view and the kernel-bug panel (stale-child scenario) have no serious or critical violations`, async () => {
      const page = await session.openAt(WINDOW, '#sp1/b/stale-child-uaf/1/s=4&r=merged-no-7', theme);
      await page.getByTestId('kernel-bugs').waitFor();
      await page.getByTestId('compare-toggle').click();
      await page.getByTestId('compare-rule-merged-no-7').check();
      await page.getByTestId('compare-summary').waitFor();
      // The PSE scenario's step 1 has a role table with differing fields.
      const stale = describeViolations(await seriousViolations(page));
      await page.getByTestId('scenario-picker').selectOption('pse-direct-pages');
      await page.keyboard.press('ArrowRight');
      await page.getByTestId('compare-role-table').first().waitFor();
      const roles = describeViolations(await seriousViolations(page));
      expect({ stale, roles }).toEqual({ stale: [], roles: [] });
    });
    it(`${theme} theme: the overview of the 64-table scenario has no serious or critical violations`, async () => {
      const page = await session.openAt(WINDOW, '#sp1/b/sweep-64-tables/1/s=40&o=1', theme);
      await page.getByTestId('overview').waitFor();
      await waitForCounter(page, 'step 40 / 73');
      expect(describeViolations(await seriousViolations(page))).toEqual([]);
    });
  }
});
