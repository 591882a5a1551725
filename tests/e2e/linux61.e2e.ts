/**
 * The rule set "Linux 6.1" in the app (issue 19): picked in the rule switch on
 * a built-in, the shadow pages' roles change where 6.1 differs (every root
 * role has efer_nx set whatever EFER.NX: `nxe`, not `!nxe`), the link holds
 * r=linux-6.1; a link with c=merged.linux-6.1 opens Compare with both; the
 * built-in says it was checked against the real kernel; axe-core finds no
 * serious or critical violation on any of it, light and dark.
 */
import type { Page } from 'playwright-core';
import { describe, expect, inject, it } from 'vitest';
import { appSession, describeViolations, seriousViolations, waitForCounter } from './helpers.ts';
import { settle } from './serve.ts';

const session = appSession();

/** The role notations on the shadow-page cards, from their accessible names (compact cards show theirs only in the tooltip): "gfn 1 l2 4-byte q0 wux !nxe", ... */
const cardRoles = (page: Page): Promise<string[]> =>
  page.$$eval('[data-testid=shadow-page]', (els) => els.map((e) => /gfn \S+ l\d \d-byte q\d[^·,]*?!?nxe/.exec(e.getAttribute('aria-label') ?? '')?.[0] ?? ''));

const fragment = (page: Page): Promise<string> => page.evaluate(() => window.location.hash);

describe('the Linux 6.1 rule set in the app', () => {
  for (const theme of ['light', 'dark'] as const) {
    it(`${theme}: picking "Linux 6.1" on a built-in changes the roles where 6.1 differs, and the link says r=linux-6.1`, async () => {
      const page = await session.openAt({ width: 1600, height: 1000 }, '#sp1/b/quadrants-32bit/1/s=1&r=merged', theme);
      await waitForCounter(page, 'step 1 / 12');
      const merged = await cardRoles(page);
      expect(merged.length).toBeGreaterThan(3);
      // EFER.NX is 0 here: 5.15 gives the roots efer_nx = 0.
      expect(merged.every((r) => r.endsWith('!nxe'))).toBe(true);
      await page.getByTestId('rules').selectOption('linux-6.1');
      await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=shadow-page]')].every((e) => !(e.getAttribute('aria-label') ?? '').includes('!nxe')));
      await waitForCounter(page, 'step 1 / 12');
      const v61 = await cardRoles(page);
      expect(v61).toEqual(merged.map((r) => r.replace('!nxe', 'nxe')));
      await page.waitForFunction(() => window.location.hash.includes('r=linux-6.1'));
      expect(await fragment(page)).toMatch(/^#sp1\/b\/quadrants-32bit\/1\/.*r=linux-6\.1/);
      // The built-in was checked against the real kernel: the badge beside the picker says how it fared.
      const badge = page.getByTestId('verified-badge');
      expect(await badge.textContent()).toMatch(/Linux 6\.1 ✓ (\d+)\/\1/);
      expect(await badge.getAttribute('title')).toContain('ran as a real guest on Linux 6.1.192');
      expect(describeViolations(await seriousViolations(page))).toEqual([]);
      // Reloading the link keeps the rule set.
      await page.goto(`${inject('baseUrl')}${await fragment(page)}`);
      await page.reload();
      await waitForCounter(page, 'step 1 / 12');
      expect(await page.getByTestId('rules').inputValue()).toBe('linux-6.1');
      expect((await cardRoles(page)).some((r) => r.endsWith('!nxe'))).toBe(false);
    });

    it(`${theme}: a link with c=merged.linux-6.1 opens Compare with Merged and Linux 6.1, which differ in efer_nx`, async () => {
      const page = await session.openAt({ width: 1600, height: 1000 }, '#sp1/b/quadrants-32bit/1/s=1&r=linux-6.1&c=merged.linux-6.1', theme);
      await page.getByTestId('compare-summary').waitFor();
      expect(await page.getByTestId('compare-rule-merged').isChecked()).toBe(true);
      expect(await page.getByTestId('compare-rule-linux-6.1').isChecked()).toBe(true);
      expect(await page.getByTestId('compare-rule-seed').isChecked()).toBe(false);
      const summary = (await page.getByTestId('compare-summary').textContent()) ?? '';
      expect(summary).toMatch(/efer_?nx/i);
      const table = page.getByTestId('compare-role-table').first();
      await table.waitFor();
      const heads = await table.locator('thead th').allTextContents();
      expect(heads.join(' ')).toContain('Merged');
      expect(heads.join(' ')).toContain('6.1');
      await settle(page);
      expect(describeViolations(await seriousViolations(page))).toEqual([]);
    });
  }
});
