/**
 * Keyboard only (issue 14): Tab to a button and Space presses it (playback
 * does not start); the skip link; a guest entry reached and followed in the
 * canvas; Escape closes help but never opens it. And axe-core on presenting
 * mode and the embed, in both themes.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { appSession, counterText, describeViolations, openInFrame, seriousViolations, waitForCounter } from './helpers.ts';

const session = appSession();

/** What has the focus, for messages and checks: tag, test id, data-key, class. */
const focused = (page: Page) =>
  page.evaluate(() => {
    const e = document.activeElement;
    if (!e || e === document.body) return 'body';
    return `<${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}${e.getAttribute('data-testid') ? ` testid=${e.getAttribute('data-testid')}` : ''}${e.getAttribute('data-key') ? ` key=${e.getAttribute('data-key')}` : ''}${e.getAttribute('class') ? ` class="${e.getAttribute('class')}"` : ''}>`;
  });

/** Presses Tab until `done` holds for the focused element (at most `max` times); returns the focus path. */
async function tabUntil(page: Page, done: (page: Page) => Promise<boolean>, max = 40): Promise<string[]> {
  const path: string[] = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    path.push(await focused(page));
    if (await done(page)) return path;
  }
  throw new Error(`not reached after ${max} Tabs; the focus went ${path.join(' → ')}`);
}

describe('keyboard only', () => {
  it('Tab to Compare and Space opens it, without starting playback', async () => {
    const page = await session.openAt({ width: 1280, height: 720 });
    await waitForCounter(page, 'step 0 / 12');
    await tabUntil(page, (p) => p.evaluate(() => document.activeElement?.getAttribute('data-testid') === 'compare-toggle'));
    const compare = page.getByTestId('compare-toggle');
    expect(await compare.getAttribute('aria-pressed')).toBe('false');
    await page.keyboard.press(' ');
    await page.waitForFunction(() => document.querySelector('[data-testid=compare-toggle]')?.getAttribute('aria-pressed') === 'true');
    // Playback would have moved one step a second.
    await page.waitForTimeout(1500);
    expect(await page.getByTestId('play').getAttribute('aria-label')).toMatch(/^Play/);
    expect(await counterText(page)).toBe('step 0 / 12');
    expect(await focused(page)).toContain('testid=compare-toggle');
  });

  it('the skip link is the first Tab stop; Enter moves the focus to the step controls, the next Tab to a step control', async () => {
    const page = await session.openAt({ width: 1280, height: 720 });
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.matches('a.skip-link') ?? false)).toBe(true);
    // Shown while focused.
    const box = await page.locator('a.skip-link').boundingBox();
    expect(box && box.y >= 0 && box.height > 0).toBe(true);
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => !!document.activeElement?.closest('#step-controls'));
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.closest('#step-controls') !== null && document.activeElement?.tagName === 'BUTTON')).toBe(true);
    expect(await focused(page)).toContain('testid=step-first');
    // The jump is not taken for a permalink: no "could not be opened" banner, the view unchanged.
    await page.waitForTimeout(100);
    expect(await page.getByTestId('link-error').count()).toBe(0);
    await page.keyboard.press('Enter');
    await waitForCounter(page, 'step 0 / 12');
  });

  it('a guest entry reached with Tab and the arrows; Enter follows its pointer (the guest PT at gfn 0x4 is selected)', async () => {
    const page = await session.openAt({ width: 1280, height: 720 });
    await waitForCounter(page, 'step 0 / 12');
    const path = await tabUntil(page, (p) => p.evaluate(() => !!document.activeElement?.closest('svg.canvas [role=list][aria-label="Guest page tables"]')));
    // One tab stop per column: the first Tab into the canvas lands on the guest column's first card.
    expect(path.at(-1)).toContain('testid=guest-table');
    const target = 'gte:0x1:769';
    for (let i = 0; i < 30 && (await page.evaluate(() => document.activeElement?.getAttribute('data-key'))) !== target; i++) await page.keyboard.press('ArrowDown');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-key'))).toBe(target);
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('guest-entry');
    // The row in focus shows it: its background carries the focus ring (a row nothing else marks has no background of its own).
    expect(await page.evaluate(() => getComputedStyle(document.activeElement!.querySelector('rect.row-bg')!).strokeWidth)).toBe('2.5px');
    // Arrows in the canvas move the focus, not the step.
    expect(await counterText(page)).toBe('step 0 / 12');
    const lit = page.locator('[data-testid=guest-table][data-gfn="0x4"] rect.card-hover');
    expect(await lit.count()).toBe(0);
    await page.keyboard.press('Enter');
    await lit.waitFor({ state: 'attached', timeout: 5_000 });
    expect(await counterText(page)).toBe('step 0 / 12');
    // The next Tab leaves the guest column for the roots column (one stop per column).
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => !!document.activeElement?.closest('svg.canvas [role=list][aria-label="KVM roots"]'))).toBe(true);
  });

  it('Escape never opens help; with help open it closes it', async () => {
    const page = await session.openAt({ width: 1280, height: 720 });
    await page.keyboard.press('Escape');
    await page.waitForTimeout(200);
    expect(await page.getByTestId('help-overlay').count()).toBe(0);
    await page.keyboard.press('Escape');
    await page.waitForTimeout(200);
    expect(await page.getByTestId('help-overlay').count()).toBe(0);
    await page.keyboard.press('?');
    await page.getByTestId('help-overlay').waitFor({ state: 'visible' });
    await page.keyboard.press('Escape');
    await page.getByTestId('help-overlay').waitFor({ state: 'detached' });
    await page.keyboard.press('Escape');
    await page.waitForTimeout(200);
    expect(await page.getByTestId('help-overlay').count()).toBe(0);
  });
});

describe('accessibility (axe-core) of presenting mode and the embed', () => {
  for (const theme of ['light', 'dark'] as const) {
    it(`${theme} theme: presenting mode at 1280x720 has no serious or critical violations`, async () => {
      const page = await session.openAt({ width: 1280, height: 720 }, '#sp1/b/quadrants-32bit/1/s=2&p=1', theme);
      await waitForCounter(page, 'step 2 / 12');
      await page.getByTestId('caption').waitFor();
      expect(await page.evaluate(() => document.documentElement.classList.contains('dark'))).toBe(theme === 'dark');
      expect(describeViolations(await seriousViolations(page))).toEqual([]);
    });
    it(`${theme} theme: the 800x500 embed in an <iframe> has no serious or critical violations`, async () => {
      const { context, errors, frame } = await openInFrame(session.browser(), { width: 1280, height: 720 }, { width: 800, height: 500 }, '#sp1/b/quadrants-32bit/1/s=2', theme);
      try {
        await waitForCounter(frame, 'step 2 / 12');
        expect(await frame.evaluate(() => document.documentElement.classList.contains('dark'))).toBe(theme === 'dark');
        expect(describeViolations(await seriousViolations(frame))).toEqual([]);
        expect(errors).toEqual([]);
      } finally {
        await context.close();
      }
    });
  }
});
