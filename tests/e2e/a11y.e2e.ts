/**
 * axe-core on the running app: no serious or critical violations on the
 * initial page and at step 2, with the Compare view and the kernel-bug
 * panel open, and in the overview, in the light and the dark theme.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launch, openApp, waitForCounter } from './helpers.ts';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[]; html: string; failureSummary: string }>;
}

async function seriousViolations(page: Page): Promise<Violation[]> {
  await page.addScriptTag({ content: AXE_SOURCE });
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, opts: object) => Promise<{ violations: Array<Record<string, unknown>> }> } }).axe;
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: String(v.id),
      impact: (v.impact as string | null) ?? null,
      help: String(v.help),
      nodes: (v.nodes as Array<{ target: unknown[]; html: string; failureSummary?: string }>).map((n) => ({
        target: n.target.map(String),
        html: n.html,
        failureSummary: n.failureSummary ?? '',
      })),
    }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** One line per failing node: rule id, impact, selector, element, message. */
const describeViolations = (vs: Violation[]) =>
  vs.flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}) at ${n.target.join(' ')} ${n.html}: ${v.help}. ${n.failureSummary.replace(/\s+/g, ' ')}`));

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

describe('accessibility (axe-core)', () => {
  for (const theme of ['light', 'dark'] as const) {
    it(`${theme} theme: initial page and step 2 have no serious or critical violations`, async () => {
      const { page, context } = await openApp(browser, theme);
      try {
        expect(await page.evaluate(() => document.documentElement.classList.contains('dark'))).toBe(theme === 'dark');
        const initial = describeViolations(await seriousViolations(page));
        await page.keyboard.press('ArrowRight');
        await page.keyboard.press('ArrowRight');
        await waitForCounter(page, 'step 2 / 12');
        const step2 = describeViolations(await seriousViolations(page));
        expect({ initial, step2 }).toEqual({ initial: [], step2: [] });
      } finally {
        await context.close();
      }
    });
    it(`${theme} theme: the Compare view and the kernel-bug panel (stale-child scenario) have no serious or critical violations`, async () => {
      const { page, context } = await openApp(browser, theme);
      try {
        await page.goto(`${inject('baseUrl')}#sp1/b/stale-child-uaf/1/s=4&r=merged-no-7`);
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
      } finally {
        await context.close();
      }
    });
    it(`${theme} theme: the overview of the 64-table scenario has no serious or critical violations`, async () => {
      const { page, context } = await openApp(browser, theme);
      try {
        await page.goto(`${inject('baseUrl')}#sp1/b/sweep-64-tables/1/s=40&o=1`);
        await page.getByTestId('overview').waitFor();
        await waitForCounter(page, 'step 40 / 73');
        expect(describeViolations(await seriousViolations(page))).toEqual([]);
      } finally {
        await context.close();
      }
    });
  }
});
