/**
 * The visualizer in a real headless Chromium, on the production build:
 * the default scenario (quadrants-32bit), stepping by keyboard and buttons,
 * time travel, the explanation, event mode, help, theme and rule sets.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { appSession, counterText, explanationText, isDark, picture, screenshot, shadowPages, waitForCounter, waitForExplanation } from './helpers.ts';

const { open } = appSession();

async function press(page: Page, key: string, times = 1): Promise<void> {
  for (let i = 0; i < times; i++) await page.keyboard.press(key);
}

const LEVEL1 = '[data-testid=shadow-page][data-level="1"]';

describe('the default scenario', () => {
  it('opens straight on it: four PAE roots, one per quadrant, for the one guest page directory', async () => {
    const page = await open();
    await waitForCounter(page, 'step 0 / 12');
    const picker = page.getByTestId('scenario-picker');
    expect(await picker.inputValue()).toBe('quadrants-32bit');
    expect(await picker.evaluate((el) => (el as HTMLSelectElement).selectedOptions[0]?.textContent)).toContain('One 32-bit page directory, four PAE roots');
    const roots = await shadowPages(page, '[data-testid=shadow-page][data-root-slot]');
    expect(roots).toHaveLength(4);
    expect(roots.map((r) => r.rootSlot).sort()).toEqual(['0', '1', '2', '3']);
    expect(roots.map((r) => r.quadrant).sort()).toEqual(['0', '1', '2', '3']);
    // pae_root[i] holds the quadrant-i page.
    for (const r of roots) expect(r.quadrant).toBe(r.rootSlot);
    expect(new Set(roots.map((r) => r.gfn)).size).toBe(1);
    expect(roots[0]!.gfn).toBe('0x1');
    // Nothing else is shadowed yet.
    expect(await page.locator('[data-testid=shadow-page]').count()).toBe(4);
    await screenshot(page, 'initial');
  });
});

describe('stepping', () => {
  async function expectStep2(page: Page) {
    await waitForCounter(page, 'step 2 / 12');
    const l1 = await shadowPages(page, LEVEL1);
    expect(l1).toHaveLength(2);
    expect(l1.map((p) => p.gfn)).toEqual(['0x4', '0x4']);
    expect(l1.map((p) => p.quadrant).sort()).toEqual(['0', '1']);
  }

  it('with the keyboard: ArrowRight twice makes the second shadow PT (quadrant 1) of guest PT 0x4', async () => {
    const page = await open();
    await press(page, 'ArrowRight');
    await waitForCounter(page, 'step 1 / 12');
    const l1 = await shadowPages(page, LEVEL1);
    expect(l1.map((p) => `${p.gfn} q${p.quadrant}`)).toEqual(['0x4 q0']);
    await press(page, 'ArrowRight');
    await expectStep2(page);
    await screenshot(page, 'step2');
  });

  it('with the forward button', async () => {
    const page = await open();
    await page.getByTestId('step-forward').click();
    await waitForCounter(page, 'step 1 / 12');
    await page.getByTestId('step-forward').click();
    await expectStep2(page);
  });

  it('back-stepping restores the earlier picture; Home and End jump to the ends', async () => {
    const page = await open();
    const initial = await picture(page);
    await press(page, 'ArrowRight');
    await waitForCounter(page, 'step 1 / 12');
    const atStep1 = await picture(page);
    const svg1 = await page.locator('svg.canvas').evaluate((el) => el.outerHTML);
    await press(page, 'ArrowRight', 2);
    await waitForCounter(page, 'step 3 / 12');
    expect(await picture(page)).not.toEqual(atStep1);
    await press(page, 'ArrowLeft', 2);
    await waitForCounter(page, 'step 1 / 12');
    expect(await picture(page)).toEqual(atStep1);
    expect(await page.locator('svg.canvas').evaluate((el) => el.outerHTML)).toBe(svg1);

    await press(page, 'End');
    await waitForCounter(page, 'step 12 / 12');
    await screenshot(page, 'end');
    await press(page, 'ArrowRight');
    await waitForCounter(page, 'step 12 / 12');
    await press(page, 'Home');
    await waitForCounter(page, 'step 0 / 12');
    expect(await picture(page)).toEqual(initial);
    await press(page, 'ArrowLeft');
    await waitForCounter(page, 'step 0 / 12');
    // The buttons do the same.
    await page.getByTestId('step-last').click();
    await waitForCounter(page, 'step 12 / 12');
    await page.getByTestId('step-back').click();
    await waitForCounter(page, 'step 11 / 12');
    await page.getByTestId('step-first').click();
    await waitForCounter(page, 'step 0 / 12');
  });
});

describe('the explanation', () => {
  it('names kvm_mmu_child_role at step 2, links it to elixir, and shows the quadrant formula', async () => {
    const page = await open();
    await press(page, 'ArrowRight', 2);
    await waitForCounter(page, 'step 2 / 12');
    const panel = page.getByTestId('explanation');
    const link = panel.locator('a', { hasText: 'kvm_mmu_child_role' }).first();
    await link.waitFor();
    const href = await link.getAttribute('href');
    expect(href).toMatch(/^https:\/\/elixir\.bootlin\.com\//);
    expect(href).toContain('kvm_mmu_child_role');
    expect(await link.getAttribute('target')).toBe('_blank');
    expect(await link.getAttribute('rel')).toContain('noreferrer');
    expect(await explanationText(page)).toContain('parent index 3 % 2 = 1');
  });

  it("under the 'before' rules shows the gaddr formula instead", async () => {
    const page = await open();
    await page.getByTestId('rules').selectOption('before');
    expect(await page.getByTestId('rules').inputValue()).toBe('before');
    // Arrow keys would move the focused <select>: step with the button.
    await page.getByTestId('step-forward').click();
    await page.getByTestId('step-forward').click();
    await waitForCounter(page, 'step 2 / 12');
    const text = await explanationText(page);
    expect(text).toContain('(gaddr 0xc0603123 >> 21) & 1 = 1');
    expect(text).not.toContain('parent index 3 % 2');
    // Same picture as the seed patch for this step: two shadow PTs of gfn 0x4.
    expect((await shadowPages(page, LEVEL1)).map((p) => `${p.gfn} q${p.quadrant}`).sort()).toEqual(['0x4 q0', '0x4 q1']);
    await screenshot(page, 'rules-before-step2');
    await page.getByTestId('rules').selectOption('seed');
    await waitForCounter(page, 'step 2 / 12');
    // The step stays 2: wait for the side panel to show the new rule set's story.
    await waitForExplanation(page, 'parent index 3 % 2 = 1');
  });
});

describe('event mode', () => {
  it("'e' then ArrowRight steps through kernel events; the new shadow page appears with its kvm_mmu_get_page event", async () => {
    const page = await open();
    await press(page, 'ArrowRight');
    await waitForCounter(page, 'step 1 / 12');
    const before = new Set((await shadowPages(page)).map((p) => p.sp));
    await press(page, 'ArrowRight');
    await waitForCounter(page, 'step 2 / 12');
    const created = (await shadowPages(page)).filter((p) => !before.has(p.sp));
    expect(created.map((p) => `${p.level} ${p.gfn} q${p.quadrant}`)).toEqual(['1 0x4 q1']);
    const newSp = created[0]!.sp;
    // The step's raw events, to know which one creates the page (the list is built when opened).
    await page.locator('[data-testid=explanation] details summary').click();
    await page.locator('[data-testid=raw-events]').waitFor();
    const kinds = await page.$$eval('[data-testid=raw-events] > li', (lis) => lis.map((li) => `${li.querySelector('code')?.textContent ?? ''} ${li.textContent ?? ''}`));
    const n = kinds.length;
    // (The raw JSON is cut at 160 characters, so match the event by its sp only.)
    const getPage = kinds.findIndex((k) => k.startsWith('kvm_mmu_get_page ') && k.includes(`{"sp":${newSp},`));
    expect(kinds.filter((k) => k.startsWith('kvm_mmu_get_page '))).toHaveLength(1);
    expect(getPage).toBeGreaterThan(0);

    await press(page, 'ArrowLeft');
    await waitForCounter(page, 'step 1 / 12');
    await press(page, 'e');
    expect(await page.getByTestId('granularity').isChecked()).toBe(true);
    const present = () => page.locator(`[data-testid=shadow-page][data-sp="${newSp}"]`).count();
    for (let k = 1; k <= n; k++) {
      await press(page, 'ArrowRight');
      await waitForCounter(page, `step 2 / 12 · event ${k} / ${n}`);
      // Events 0..k-1 are revealed: the page is drawn once event getPage is among them.
      expect({ k, shown: (await present()) === 1 }).toEqual({ k, shown: k > getPage });
      if (k === getPage + 1) {
        expect(await page.locator('.story-current').textContent()).toContain('kvm_mmu_get_page');
        await screenshot(page, 'event-mode-get-page');
      }
    }
    await press(page, 'ArrowRight');
    expect(await counterText(page)).toMatch(/^step 3 \/ 12 · event 1 \/ \d+$/);
    // And back across the step boundary, event by event.
    await press(page, 'ArrowLeft');
    await waitForCounter(page, `step 2 / 12 · event ${n} / ${n}`);
    await press(page, 'ArrowLeft', n - getPage);
    await waitForCounter(page, `step 2 / 12 · event ${getPage} / ${n}`);
    expect(await present()).toBe(0);
    await press(page, 'e');
    await waitForCounter(page, 'step 2 / 12');
    expect(await present()).toBe(1);
  });
});

describe('help and theme', () => {
  it("help opens with '?' and closes with Escape", async () => {
    const page = await open();
    expect(await page.getByTestId('help-overlay').count()).toBe(0);
    await press(page, '?');
    const help = page.getByTestId('help-overlay');
    await help.waitFor({ state: 'visible' });
    expect(await help.getAttribute('role')).toBe('dialog');
    expect(await help.textContent()).toContain('Keyboard');
    await screenshot(page, 'help');
    await press(page, 'Escape');
    await help.waitFor({ state: 'detached' });
    // Stepping still works after the overlay closed.
    await press(page, 'ArrowRight');
    await waitForCounter(page, 'step 1 / 12');
  });

  it("'t' and the theme button switch the dark class on <html>", async () => {
    const page = await open('light');
    expect(await isDark(page)).toBe(false);
    await press(page, 't');
    await page.waitForFunction(() => document.documentElement.classList.contains('dark'));
    await press(page, 'ArrowRight', 2);
    await waitForCounter(page, 'step 2 / 12');
    await screenshot(page, 'dark-step2');
    const button = page.getByRole('button', { name: 'Toggle light and dark theme' });
    await button.click();
    await page.waitForFunction(() => !document.documentElement.classList.contains('dark'));
    await button.click();
    await page.waitForFunction(() => document.documentElement.classList.contains('dark'));
  });

  it('follows prefers-color-scheme on first load', async () => {
    const page = await open('dark');
    expect(await isDark(page)).toBe(true);
  });
});
