/**
 * Less motion for those who ask their system for it (prefers-reduced-motion:
 * reduce): a step's new pages, set entries and zapped pages are drawn in
 * their end state at once (no fade-in, flash or zap-out), still marked as
 * new, set and zapped; a card opened from the overview is jumped to, not
 * scrolled to smoothly. Without the setting the animations run, and
 * switching the setting on in a running page stops them at once.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { appSession, waitForCounter } from './helpers.ts';

const session = appSession();
const SIZE = { width: 1440, height: 900 };

/** The animations running on the page (CSS animations and transitions). */
const running = (page: Page) => page.evaluate(() => document.getAnimations().filter((a) => a.playState === 'running').length);
/** The marks a step leaves, whatever the motion: new cards (dashed), set rows (their colour) and zapped cards. */
const marks = (page: Page) =>
  page.evaluate(() => ({
    newCards: document.querySelectorAll('.card-new').length,
    setRows: document.querySelectorAll('.row-set').length,
    zapped: document.querySelectorAll('.card-zapped').length,
    // The end state: a new card fully opaque, a set row in its row colour (not the flash's).
    opacities: [...document.querySelectorAll('.card-new')].map((e) => getComputedStyle(e).opacity),
  }));

describe('prefers-reduced-motion', () => {
  it('reduce: a step is drawn in its end state at once, its new, set and zapped marks kept', async () => {
    const page = await session.openAt(SIZE, '#sp1/b/pd-write-flooding/1/s=4', 'light', { motion: 'reduce' });
    await page.keyboard.press('ArrowRight');
    await waitForCounter(page, 'step 5 / 7');
    expect(await running(page)).toBe(0);
    const m = await marks(page);
    expect(m.zapped).toBeGreaterThan(0);
    expect(m.setRows + m.newCards).toBeGreaterThan(0);
    expect(m.opacities.every((o) => o === '1')).toBe(true);
  });

  it('no preference: the same step animates; turning reduce on in the running page stops it at once, and the next step does not animate', async () => {
    const page = await session.openAt(SIZE, '#sp1/b/pd-write-flooding/1/s=4', 'light', { motion: 'full' });
    await page.keyboard.press('ArrowRight');
    await waitForCounter(page, 'step 5 / 7');
    expect(await running(page)).toBeGreaterThan(0);
    await page.emulateMedia({ reducedMotion: 'reduce' });
    expect(await running(page)).toBe(0);
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowRight');
    await waitForCounter(page, 'step 5 / 7');
    expect(await running(page)).toBe(0);
  });

  it('reduce: a card opened from the overview is jumped to, in the first frame after the click', async () => {
    const page = await session.openAt({ width: 1600, height: 1000 }, '', 'light', { motion: 'reduce' });
    await page.getByTestId('scenario-picker').selectOption('sweep-64-tables');
    await page.getByTestId('scenario-picker').evaluate((el) => (el as HTMLSelectElement).blur());
    await waitForCounter(page, 'step 0 / 73');
    await page.keyboard.press('End');
    await page.keyboard.press('o');
    await page.getByTestId('overview').waitFor();
    await page.locator('[data-testid=shadow-page]').last().click();
    await page.getByTestId('overview').waitFor({ state: 'detached' });
    // Two frames later the scroll has ended where it goes, and holds there.
    const tops = await page.evaluate(
      () =>
        new Promise<number[]>((resolve) => {
          const wrap = document.querySelector('.canvas-wrap')!;
          const seen: number[] = [];
          const frame = () => {
            seen.push(wrap.scrollTop);
            if (seen.length < 12) requestAnimationFrame(frame);
            else resolve(seen);
          };
          requestAnimationFrame(() => requestAnimationFrame(frame));
        }),
    );
    expect(tops[0]).toBeGreaterThan(2000);
    expect(new Set(tops).size).toBe(1);
  });
});
