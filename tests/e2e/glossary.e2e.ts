/**
 * The glossary and the legend in a real browser: hovering `q1` in a role
 * notation shows what q1 means there, keyboard focus shows it too (and Esc
 * closes it, nothing else), the legend opens from the top bar, and axe-core
 * finds no serious or critical violations with the popover or the legend
 * open, in both themes.
 */
import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { appSession, describeViolations, seriousViolations, waitForCounter } from './helpers.ts';

const session = appSession();

/** The default scenario at step 2: its story builds sp 5, `gfn 4 l1 4-byte q1 w-x !nxe`. */
async function atStep2(theme: 'light' | 'dark' = 'light'): Promise<Page> {
  const page = await session.openAt({ width: 1440, height: 900 }, '', theme);
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await waitForCounter(page, 'step 2 / 12');
  return page;
}

/** `q1` in the role notation of the page the step created. */
const q1Of = (page: Page): Locator => page.getByTestId('explanation').getByTestId('role-notation').filter({ hasText: 'gfn 4 l1 4-byte q1' }).locator('[data-term=quadrant]', { hasText: /^q1$/ }).first();

/** The popover the term names through aria-describedby (null: none). */
async function describedBy(term: Locator): Promise<{ role: string | null; text: string; visible: boolean } | null> {
  const id = await term.getAttribute('aria-describedby');
  if (!id) return null;
  return term.page().evaluate((tid) => {
    const el = document.getElementById(tid);
    if (!el) return null;
    const r = el.getBoundingClientRect();
    return { role: el.getAttribute('role'), text: el.textContent ?? '', visible: getComputedStyle(el).visibility === 'visible' && r.width > 0 && r.height > 0 };
  }, id);
}

const Q1_MEANING = 'q1 = quadrant 1: the upper half of the guest page table (guest PTEs 512-1023';

/** The term's box and its popover's do not overlap: the popover never hides what it explains. */
async function apart(term: Locator, page: Page): Promise<boolean> {
  const a = (await term.boundingBox())!;
  const b = (await page.getByTestId('glossary-popover').boundingBox())!;
  return a.y + a.height <= b.y || b.y + b.height <= a.y || a.x + a.width <= b.x || b.x + b.width <= a.x;
}

describe('glossary terms', () => {
  it('hovering q1 in a role notation shows what q1 means there, beside it', async () => {
    const page = await atStep2();
    const q1 = q1Of(page);
    await q1.scrollIntoViewIfNeeded();
    expect(await describedBy(q1)).toBeNull();
    await q1.hover();
    await page.getByTestId('glossary-popover').waitFor({ state: 'visible' });
    const tip = await describedBy(q1);
    expect(tip).toMatchObject({ role: 'tooltip', visible: true });
    expect(tip!.text).toContain(Q1_MEANING);
    expect(tip!.text).toContain('quadrant (role.quadrant)');
    expect(await apart(q1, page)).toBe(true);
    // The pointer leaves: it goes.
    await page.mouse.move(5, 5);
    await page.getByTestId('glossary-popover').waitFor({ state: 'detached' });
  });
  it('keyboard focus on q1 shows it too; Esc closes it and nothing else', async () => {
    const page = await atStep2();
    const q1 = q1Of(page);
    // Tab onto it from the term before it (the notation's level field).
    const before = page.getByTestId('explanation').getByTestId('role-notation').filter({ hasText: 'gfn 4 l1 4-byte q1' }).locator('[data-term="4-byte"]').first();
    await before.focus();
    await page.keyboard.press('Tab');
    expect(await q1.evaluate((el) => el === document.activeElement)).toBe(true);
    await page.getByTestId('glossary-popover').waitFor({ state: 'visible' });
    expect((await describedBy(q1))!.text).toContain(Q1_MEANING);
    await page.keyboard.press('Escape');
    await page.getByTestId('glossary-popover').waitFor({ state: 'detached' });
    expect(await q1.evaluate((el) => el === document.activeElement)).toBe(true);
    expect(await page.getByTestId('step-counter').textContent()).toContain('step 2 / 12');
  });
  it('Enter pins it open with the focus on its kernel link; Tab or Esc brings the focus back to the term', async () => {
    const page = await atStep2();
    const q1 = q1Of(page);
    await q1.focus();
    await page.keyboard.press('Enter');
    const pop = page.getByTestId('glossary-popover');
    await pop.waitFor({ state: 'visible' });
    expect(await pop.getAttribute('role')).toBe('dialog');
    const link = pop.locator('.gloss-link');
    await expect.poll(() => link.evaluate((el) => el === document.activeElement)).toBe(true);
    expect(await link.getAttribute('href')).toMatch(/^https:\/\//);
    // Tab leaves the link for the term again (the popover sits at the end of the page).
    await page.keyboard.press('Tab');
    expect(await q1.evaluate((el) => el === document.activeElement)).toBe(true);
    // Enter again, then Esc from the link: closed, the focus on the term, the step unchanged.
    await page.keyboard.press('Enter');
    await expect.poll(() => link.evaluate((el) => el === document.activeElement)).toBe(true);
    await page.keyboard.press('Escape');
    await pop.waitFor({ state: 'detached' });
    expect(await q1.evaluate((el) => el === document.activeElement)).toBe(true);
    expect(await page.getByTestId('step-counter').textContent()).toContain('step 2 / 12');
  });
  it('a tap (click) pins it open; a click elsewhere closes it', async () => {
    const page = await atStep2();
    const q1 = q1Of(page);
    await q1.scrollIntoViewIfNeeded();
    await q1.click();
    await page.getByTestId('glossary-popover').waitFor({ state: 'visible' });
    // Pinned: the pointer leaving does not close it.
    await page.mouse.move(5, 400);
    await page.waitForTimeout(400);
    expect((await describedBy(q1))!.text).toContain(Q1_MEANING);
    await page.mouse.click(5, 400);
    await page.getByTestId('glossary-popover').waitFor({ state: 'detached' });
  });
});

describe('the legend', () => {
  it('opens from the top bar, on the help overlay\'s Legend page, and closes with Escape', async () => {
    const page = await atStep2();
    await page.getByTestId('legend-toggle').click();
    await page.getByTestId('legend').waitFor({ state: 'visible' });
    expect(await page.getByTestId('help-overlay').getAttribute('role')).toBe('dialog');
    expect(await page.getByTestId('help-tab-legend').getAttribute('aria-selected')).toBe('true');
    // Every timeline outcome is in it, drawn with the timeline's own shape.
    for (const k of ['init', 'hit', 'shadow-fault', 'guest-fault', 'emulated', 'done']) expect(await page.getByTestId(`legend-mark-${k}`).count()).toBe(1);
    const shapes = await page.evaluate(() => {
      const d = (sel: string) => document.querySelector(sel)?.getAttribute('d');
      return { legend: d('[data-testid=legend-mark-shadow-fault] .mk-shape'), timeline: d('[data-testid=step-marker][data-outcome=shadow-fault] .mk-shape') };
    });
    expect(shapes.legend).toBe(shapes.timeline);
    // The Glossary page lists every term.
    await page.getByTestId('help-tab-glossary').click();
    await page.getByTestId('glossary-page').waitFor({ state: 'visible' });
    expect(await page.locator('.glossary-entry').count()).toBeGreaterThan(60);
    await page.keyboard.press('Escape');
    await page.getByTestId('help-overlay').waitFor({ state: 'detached' });
  });
});

describe('accessibility (axe-core) with the glossary open', () => {
  for (const theme of ['light', 'dark'] as const) {
    it(`${theme} theme: a glossary popover, the Legend and the Glossary have no serious or critical violations`, async () => {
      const page = await atStep2(theme);
      expect(await page.evaluate(() => document.documentElement.classList.contains('dark'))).toBe(theme === 'dark');
      const q1 = q1Of(page);
      await q1.scrollIntoViewIfNeeded();
      await q1.hover();
      await page.getByTestId('glossary-popover').waitFor({ state: 'visible' });
      const popover = describeViolations(await seriousViolations(page));
      await page.mouse.move(5, 5);
      await page.getByTestId('legend-toggle').click();
      await page.getByTestId('legend').waitFor({ state: 'visible' });
      const legend = describeViolations(await seriousViolations(page));
      await page.getByTestId('help-tab-glossary').click();
      await page.getByTestId('glossary-page').waitFor({ state: 'visible' });
      const glossary = describeViolations(await seriousViolations(page));
      expect({ popover, legend, glossary }).toEqual({ popover: [], legend: [], glossary: [] });
    });
  }
});
