/**
 * The overview in a real headless Chromium: the 64-table scenario's whole
 * scene (4 roots, 64+ shadow pages, 65 guest tables) on one screen, stepping
 * in it, and a card clicked there opened in the tables, scrolled into view.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { appSession, screenshot, waitForCounter } from './helpers.ts';

// Full motion: a card opened from the overview is scrolled to smoothly, as users see it by default (helpers.ts Motion).
const { open, closeNow } = appSession('full');

/** The shadow pages and guest tables drawn, and how many of them lie wholly inside the canvas area (and so the window). */
const onScreen = (page: Page) =>
  page.evaluate(() => {
    const wrap = document.querySelector('.canvas-wrap')!.getBoundingClientRect();
    const all = (sel: string) => [...document.querySelectorAll(sel)].map((e) => e.getBoundingClientRect());
    const inside = (r: DOMRect) => r.left >= wrap.left && r.right <= wrap.right && r.top >= wrap.top && r.bottom <= wrap.bottom && r.bottom <= window.innerHeight && r.right <= window.innerWidth;
    const sps = all('[data-testid=shadow-page]');
    const gts = all('[data-testid=guest-table]');
    return { sps: sps.length, spsInside: sps.filter(inside).length, roots: document.querySelectorAll('[data-testid=shadow-page][data-root-slot]:not([data-root-slot=""])').length, gts: gts.length, gtsInside: gts.filter(inside).length };
  });

async function openSweep(width = 1600): Promise<Page> {
  const page = await open();
  if (width !== 1600) await page.setViewportSize({ width, height: 1000 });
  await page.getByTestId('scenario-picker').selectOption('sweep-64-tables');
  await page.getByTestId('scenario-picker').evaluate((el) => (el as HTMLSelectElement).blur());
  await waitForCounter(page, 'step 0 / 73');
  return page;
}

/** End of the 64-table scenario, overview, click the last shadow page: the tables open scrolled to it. */
async function openLastCard(width: number): Promise<void> {
  const page = await openSweep(width);
  await page.keyboard.press('End');
  await page.keyboard.press('o');
  await page.getByTestId('overview').waitFor();
  const last = page.locator('[data-testid=shadow-page]').last();
  const sp = await last.getAttribute('data-sp');
  await last.click();
  await page.getByTestId('overview').waitFor({ state: 'detached' });
  // The card is thousands of pixels down the tables: the canvas scrolls to it (smoothly).
  await page.waitForFunction(
    (id) => {
      const el = document.querySelector(`[data-testid=shadow-page][data-sp="${id}"]`);
      if (!el) return false;
      const r = el.getBoundingClientRect();
      const wrap = document.querySelector('.canvas-wrap')!;
      const w = wrap.getBoundingClientRect();
      // The client box: not under the scroll bars.
      return r.top >= w.top && r.bottom <= w.top + wrap.clientHeight && r.left >= w.left && r.right <= w.left + wrap.clientWidth;
    },
    sp,
    { timeout: 5_000 },
  );
  const scrolled = await page.locator('.canvas-wrap').evaluate((el) => ({ top: el.scrollTop, wide: el.scrollWidth - el.clientWidth }));
  expect(scrolled.top).toBeGreaterThan(2000);
  // The tables are fitted to their area's width at every window size: nothing to scroll across to.
  expect(scrolled.wide).toBeLessThanOrEqual(0);
  expect(await page.locator(`[data-testid=shadow-page][data-sp="${sp}"] [data-testid=spte]`).count()).toBeGreaterThan(0);
  await screenshot(page, `overview-opened-card-${width}`);
  await closeNow();
}

describe('the overview', () => {
  it('puts the whole 64-table scene on one screen: 4 roots and every shadow page, at every width from 1280 px', async () => {
    for (const width of [1600, 1280]) {
      const page = await openSweep(width);
      await page.keyboard.press('End');
      await waitForCounter(page, 'step 73 / 73');
      // Before: the tables draw only what is near the scroll window.
      expect((await onScreen(page)).spsInside).toBeLessThan(20);
      await page.keyboard.press('o');
      await page.getByTestId('overview').waitFor();
      const s = await onScreen(page);
      expect(s).toEqual({ sps: 68, spsInside: 68, roots: 4, gts: 65, gtsInside: 65 });
      expect(await page.getByTestId('zoom-level').textContent()).toBe('all');
      // No scroll bar: the scene fits.
      expect(await page.locator('.canvas-wrap').evaluate((el) => el.scrollHeight <= el.clientHeight && el.scrollWidth <= el.clientWidth)).toBe(true);
      await screenshot(page, `overview-${width}`);
      await closeNow();
    }
  });

  it('steps in the overview, back and forth', async () => {
    const page = await openSweep();
    await page.keyboard.press('o');
    await page.getByTestId('overview').waitFor();
    for (let i = 0; i < 40; i++) await page.keyboard.press('ArrowRight');
    await waitForCounter(page, 'step 40 / 73');
    expect(await onScreen(page)).toMatchObject({ sps: 44, spsInside: 44, roots: 4 });
    // This step's walk is lit: the guest PD and one guest PT; the new shadow PT is marked new.
    expect(await page.locator('.overview .card-walked').count()).toBe(2);
    expect(await page.locator('.overview .card-new').count()).toBe(1);
    await page.keyboard.press('Home');
    await waitForCounter(page, 'step 0 / 73');
    expect((await onScreen(page)).sps).toBe(4);
    await page.keyboard.press('End');
    await waitForCounter(page, 'step 73 / 73');
    expect(await onScreen(page)).toMatchObject({ sps: 68, spsInside: 68 });
  });

  it('opens a card clicked in the overview in the tables, scrolled into view (down and across) and selected, at 1600 and 1280 px', async () => {
    for (const width of [1600, 1280]) await openLastCard(width);
  });
});
