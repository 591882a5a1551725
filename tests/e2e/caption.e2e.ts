/**
 * The step caption in a real browser: it heads the side panel inside a polite
 * live region and changes on every step of the default scenario; in kernel
 * event mode it tells the event just revealed, and the current kernel line
 * stays in view in the (docked) side panel at 1280x720.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { appSession, describeViolations, screenshot, seriousViolations, waitForCounter } from './helpers.ts';

const session = appSession();

const text = (page: Page, testId: string) => page.getByTestId(testId).evaluate((el) => (el.textContent ?? '').replace(/\s+/g, ' ').trim());

describe('the step caption', () => {
  it('heads the side panel in an aria-live region and changes on every step of the default scenario', async () => {
    const page = await session.openAt({ width: 1280, height: 720 }, '#sp1/b/quadrants-32bit/1/s=0');
    await waitForCounter(page, 'step 0 / 12');
    const caption = page.getByTestId('side-caption');
    expect(await caption.evaluate((el) => el.closest('[aria-live]')?.getAttribute('aria-live'))).toBe('polite');
    // It heads the panel: nothing in the panel's flow (but the editor, banners and Compare, closed here) comes before it.
    expect(await caption.evaluate((el) => el.parentElement?.id === 'side-panel' && !el.previousElementSibling)).toBe(true);
    const seen = [await text(page, 'side-caption')];
    expect(seen[0]).toMatch(/^The guest starts in 32-bit paging/);
    for (let n = 1; n <= 12; n++) {
      await page.keyboard.press('ArrowRight');
      await waitForCounter(page, `step ${n} / 12`);
      const now = await text(page, 'side-caption');
      expect(now, `step ${n}`).not.toBe(seen[seen.length - 1]);
      expect(now, `step ${n}`).toMatch(/^The guest (kernel|\(user mode\)) \S+/);
      // Accesses and INVLPG name their address in hex, 8 digits for this 32-bit guest.
      if (/ (reads|writes|invalidates) /.test(now)) expect(now, `step ${n}`).toMatch(/ 0x[0-9a-f]{8}\b/);
      seen.push(now);
    }
    expect(new Set(seen).size).toBe(13);
    await screenshot(page, 'caption-side-step12');
  });

  it('event mode keeps the current kernel line in view below the caption at 1280x720', async () => {
    // pd-write-flooding step 5: a long story (flooding, zaps, new roots).
    const page = await session.openAt({ width: 1280, height: 720 }, '#sp1/b/pd-write-flooding/1/s=4');
    await waitForCounter(page, 'step 4 / 7');
    expect(await page.locator('aside#side-panel').isVisible()).toBe(true);
    await page.keyboard.press('e');
    await page.keyboard.press('ArrowRight');
    const first = /^step 5 \/ 7 · event 1 \/ (\d+)$/.exec((await page.getByTestId('step-counter').textContent())!.replace(/\s+/g, ' ').trim());
    expect(first).not.toBeNull();
    const n = Number(first![1]);
    expect(n).toBeGreaterThan(30);
    const captions = new Set<string>();
    let scrolled = false;
    for (let k = 1; k <= n; k++) {
      if (k > 1) await page.keyboard.press('ArrowRight');
      await waitForCounter(page, `step 5 / 7 · event ${k} / ${n}`);
      const cap = await text(page, 'side-caption');
      expect(cap).toContain(`Event ${k} of ${n}: `);
      captions.add(cap);
      const where = await page.evaluate(() => {
        const panel = document.querySelector<HTMLElement>('aside#side-panel')!;
        const line = panel.querySelector<HTMLElement>('.story-current');
        const cap = panel.querySelector<HTMLElement>('[data-testid=side-caption]')!.getBoundingClientRect();
        const box = panel.getBoundingClientRect();
        if (!line) return null;
        const r = line.getBoundingClientRect();
        return { top: r.top, bottom: r.bottom, visibleTop: Math.max(box.top, cap.bottom), visibleBottom: box.bottom, capTop: cap.top, boxTop: box.top, scrollTop: panel.scrollTop };
      });
      // A line shows with its first event; some events have no line of their own.
      if (!where) continue;
      expect(where.top, `event ${k}: the line is below the caption`).toBeGreaterThanOrEqual(where.visibleTop - 1);
      expect(where.bottom, `event ${k}: the line is above the panel's bottom`).toBeLessThanOrEqual(where.visibleBottom + 1);
      // The caption stays on top of the panel.
      expect(where.capTop).toBeLessThanOrEqual(where.boxTop + 1);
      if (where.scrollTop > 0) scrolled = true;
      if (k === 29) await screenshot(page, 'caption-event-mode-1280x720');
    }
    // The story is longer than the panel, so following it scrolled; the caption followed every event.
    expect(scrolled).toBe(true);
    expect(captions.size).toBeGreaterThan(n / 2);
  });

  for (const theme of ['light', 'dark'] as const) {
    it(`${theme} theme: the caption in event mode, presenting mode and the embed has no serious or critical axe violations`, async () => {
      const page = await session.openAt({ width: 1280, height: 720 }, '#sp1/b/pd-write-flooding/1/s=5', theme);
      await waitForCounter(page, 'step 5 / 7');
      await page.keyboard.press('e');
      await page.keyboard.press('ArrowLeft');
      await page.locator('.side-caption-sticky').waitFor();
      const eventMode = describeViolations(await seriousViolations(page));
      await page.keyboard.press('p');
      await page.getByTestId('caption').waitFor();
      expect(await page.getByTestId('caption').getAttribute('aria-live')).toBe('polite');
      await screenshot(page, `caption-present-${theme}`);
      const presenting = describeViolations(await seriousViolations(page));
      const embed = await session.openAt({ width: 800, height: 500 }, '?embed=1#sp1/b/quadrants-32bit/1/s=7', theme);
      await embed.getByTestId('caption').waitFor();
      expect(await embed.getByTestId('caption').evaluate((el) => el.textContent ?? '')).toContain('The guest kernel writes 0x11027 to 0x00400014.');
      await screenshot(embed, `caption-embed-800x500-${theme}`);
      const embedded = describeViolations(await seriousViolations(embed));
      expect({ eventMode, presenting, embedded }).toEqual({ eventMode: [], presenting: [], embedded: [] });
    });
  }
});
