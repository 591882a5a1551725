/**
 * Permalinks, the editor and the patch lens in a real browser: a copied link
 * reopens the same view, a broken link leaves the app usable, embed mode,
 * an invalid edit keeps the last valid scenario, and the Compare view.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { counterText, launch, screenshot, waitForCounter } from './helpers.ts';
import { tenThousandStepsFile, waitForSteps } from './heavy.ts';

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

async function page(url: string) {
  const context = await browser.newContext({ viewport: { width: 1600, height: 1000 }, permissions: ['clipboard-read', 'clipboard-write'] });
  const p = await context.newPage();
  const errors: string[] = [];
  p.on('pageerror', (e) => errors.push(e.message));
  await p.goto(url);
  await p.getByTestId('step-counter').waitFor();
  return { p, context, errors };
}

describe('permalinks', () => {
  it('a copied link reopens the same scenario, step and rule set', async () => {
    const { p, context, errors } = await page(inject('baseUrl'));
    await p.getByTestId('scenario-picker').selectOption('pse-direct-pages');
    await p.getByTestId('rules').selectOption('before');
    await p.locator('body').click({ position: { x: 5, y: 5 } });
    await p.keyboard.press('ArrowRight');
    await p.keyboard.press('ArrowRight');
    await waitForCounter(p, 'step 2 / 4');
    await p.getByTestId('copy-link').click();
    await p.getByTestId('copy-status').waitFor();
    const url = p.url();
    expect(url).toMatch(/#sp1\/b\/pse-direct-pages\/1\//);
    const again = await page(url);
    await waitForCounter(again.p, 'step 2 / 4');
    expect(await again.p.getByTestId('rules').inputValue()).toBe('before');
    expect(await again.p.getByTestId('scenario-picker').inputValue()).toBe('pse-direct-pages');
    await screenshot(again.p, 'e2e-link-reopened');
    expect([...errors, ...again.errors]).toEqual([]);
    await again.context.close();
    await context.close();
  });
  it('why a scenario too large for a link has none floats below Copy link: the bar keeps its rows, and Dismiss closes it', async () => {
    const { p, context, errors } = await page(inject('baseUrl'));
    await p.setViewportSize({ width: 1280, height: 720 });
    await p.getByTestId('edit-toggle').click();
    await p.locator('[data-testid=editor] input[type=file]').setInputFiles(tenThousandStepsFile());
    await waitForSteps(p, 'step 0 / 10000');
    await p.getByTestId('edit-toggle').click();
    const bar = async () => (await p.locator('header.topbar').boundingBox())!;
    const before = await bar();
    await p.getByTestId('copy-link').click();
    const status = p.getByTestId('copy-status');
    await status.waitFor();
    expect(await status.textContent()).toMatch(/^No link: The scenario is too large for a link \([\d,]+ characters of JSON; a link holds at most 32,768\); share it as a file instead\.Dismiss$/);
    expect(await bar()).toEqual(before);
    // Below the button, whole on the screen.
    const s = (await status.boundingBox())!;
    const b = (await p.getByTestId('copy-link').boundingBox())!;
    expect(s.y).toBeGreaterThanOrEqual(b.y + b.height);
    expect(s.x + s.width).toBeLessThanOrEqual(1280);
    await screenshot(p, 'copy-link-too-large');
    await status.getByRole('button', { name: 'Dismiss' }).click();
    expect(await status.count()).toBe(0);
    expect(errors).toEqual([]);
    await context.close();
  });
  it('a broken link shows why and leaves the app usable', async () => {
    const { p, context, errors } = await page(`${inject('baseUrl')}#sp1/z/this-is-not-a-link`);
    expect(await p.getByTestId('link-error').textContent()).toMatch(/could not be opened/);
    await p.locator('body').click({ position: { x: 5, y: 5 } });
    await p.keyboard.press('ArrowRight');
    expect(await counterText(p)).toContain('step 1 /');
    expect(errors).toEqual([]);
    await context.close();
  });
  it('embed mode shows the tables and the timeline with minimal chrome', async () => {
    const { p, context } = await page(`${inject('baseUrl')}?embed=1`);
    expect(await p.getByTestId('copy-link').count()).toBe(0);
    expect(await p.locator('aside.side').isVisible()).toBe(false);
    expect(await p.locator('[data-testid=shadow-page]').count()).toBe(4);
    await context.close();
  });
});

describe('editor and compare', () => {
  it('an invalid edit names the field and keeps the last valid scenario on screen', async () => {
    const { p, context, errors } = await page(inject('baseUrl'));
    await p.getByTestId('edit-toggle').click();
    await p.getByTestId('tab-json').click();
    const box = p.getByTestId('editor-text');
    const text = await box.inputValue();
    await box.fill(text.replace('"0xC0403123"', '"0xZZ"'));
    await p.waitForFunction(() => (document.querySelector('[data-testid=editor-status]')?.textContent ?? '').includes('steps[0].gva'));
    expect(await p.locator('[data-testid=shadow-page]').count()).toBe(4);
    expect(errors).toEqual([]);
    await context.close();
  });
  it('the Compare view lists the role differences and jumps to their step', async () => {
    const { p, context } = await page(inject('baseUrl'));
    await p.getByTestId('scenario-picker').selectOption('paging-off');
    await p.getByTestId('compare-toggle').click();
    const diffs = p.getByTestId('compare-diff');
    expect(await diffs.count()).toBeGreaterThan(3);
    expect(await p.getByTestId('compare').textContent()).toContain('gpte_is_8_bytes');
    await diffs.last().click();
    expect(await counterText(p)).not.toContain('step 0 /');
    await screenshot(p, 'e2e-compare');
    await context.close();
  });
  it('Compare opens full width (a column per rule set, no identifier broken mid-word) and survives Copy link -> reopen', async () => {
    const { p, context, errors } = await page(inject('baseUrl'));
    await p.setViewportSize({ width: 1280, height: 720 });
    await p.getByTestId('scenario-picker').selectOption('gva-bits-before-after');
    await p.getByTestId('compare-toggle').click();
    await p.getByTestId('compare-rule-merged-no-7').check();
    await p.locator('body').click({ position: { x: 5, y: 5 } });
    await p.keyboard.press('ArrowRight');
    await waitForCounter(p, 'step 1 / 4');
    const fullWidth = async (q: typeof p) => {
      const box = await q.getByTestId('compare').boundingBox();
      expect(box!.width).toBeGreaterThan(1200);
      expect(await q.locator('aside.side').isVisible()).toBe(false);
      const table = q.getByTestId('compare-role-table').first();
      expect(await table.locator('thead th').count()).toBe(5);
      // Every kernel name and notation fits its cell on one line: no identifier wraps mid-word.
      const wrapped = await table.evaluate((t) =>
        [...t.querySelectorAll('th[scope=row], td .font-mono')].filter((e) => {
          // Inline boxes on more than one line (a range has a rect per inline box, so count distinct lines).
          const r = document.createRange();
          r.selectNodeContents(e);
          const lines = new Set([...r.getClientRects()].map((x) => Math.round(x.bottom)));
          return lines.size > 1 && !/\s/.test(e.textContent ?? '');
        }).map((e) => e.textContent),
      );
      expect(wrapped).toEqual([]);
    };
    await fullWidth(p);
    await p.getByTestId('copy-link').click();
    await p.getByTestId('copy-status').waitFor();
    const url = p.url();
    expect(url).toMatch(/&c=before\.seed\.merged\.merged-no-7$/);
    const again = await page(url);
    await again.p.setViewportSize({ width: 1280, height: 720 });
    await waitForCounter(again.p, 'step 1 / 4');
    await fullWidth(again.p);
    await screenshot(again.p, 'e2e-compare-full-width');
    await again.p.keyboard.press('Escape');
    await again.p.locator('[data-testid=shadow-page]').first().waitFor();
    expect(await again.p.getByTestId('compare').count()).toBe(0);
    expect([...errors, ...again.errors]).toEqual([]);
    await again.context.close();
    await context.close();
  });
  it('stale-child-uaf: Merged without 7/8 corrupts its rmap; Merged refuses the stale child; Compare shows the difference', async () => {
    const base = inject('baseUrl');
    const { p, context, errors } = await page(`${base}#sp1/b/stale-child-uaf/1/s=7&r=merged-no-7`);
    await p.getByTestId('kernel-bugs').waitFor();
    const bugs = await p.getByTestId('kernel-bugs').textContent();
    expect(bugs).toContain('stale rmap');
    expect(bugs).toContain('pte_list_remove: 0->BUG');
    expect(bugs).toContain('use-after-free');
    await screenshot(p, 'stale-child-no7');
    await p.getByTestId('rules').selectOption('merged');
    await p.waitForFunction(() => !document.querySelector('[data-testid=kernel-bugs]'));
    await p.getByTestId('compare-toggle').click();
    await p.getByTestId('compare-rule-merged-no-7').check();
    // Step 4: the fault through the stale link; only Merged requests a new child.
    await p.getByText('step 4: shadow page requests', { exact: false }).first().click();
    expect(await counterText(p)).toContain('step 4 /');
    expect(await p.getByTestId('compare').textContent()).toContain('kernel data corruption');
    await screenshot(p, 'compare-stale-child');
    expect(errors).toEqual([]);
    await context.close();
  });
});
