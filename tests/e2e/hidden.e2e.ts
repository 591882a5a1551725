/**
 * Issue 15 item 5 in a real headless Chromium: what the scenarios only told
 * is drawn. The PAE scenario's invalid pae_root slots are empty slots with
 * their reason; the page a step zaps is drawn faded with "zapped" on that
 * step and is gone at the next; the cached root of a CR3 switch carries its
 * CR3; paging off says why the guest column is empty. Each checked at
 * 1280x720, on screen and not cut off, and by axe in both themes.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { appSession, describeViolations, seriousViolations, waitForCounter } from './helpers.ts';

// Full motion: what is on screen as users see it by default (helpers.ts Motion).
const session = appSession('full');
const SIZE = { width: 1280, height: 720 };

/** The text of each element matched, whitespace collapsed. */
const texts = (page: Page, selector: string) => page.$$eval(selector, (els) => els.map((e) => (e.textContent ?? '').replace(/\s+/g, ' ').trim()));

/** Elements matched whose text runs past their first rect (the card's or slot's border): none should. */
const clipped = (page: Page, selector: string) =>
  page.$$eval(selector, (els) =>
    els.flatMap((el) => {
      const box = el.querySelector('rect')!.getBoundingClientRect();
      return [...el.querySelectorAll(':scope > text')].filter((t) => t.getBoundingClientRect().right > box.right + 0.5).map((t) => t.textContent ?? '');
    }),
  );

describe('drawn, not only told (issue 15 item 5)', () => {
  it("draws the PAE scenario's invalid roots as empty slots with the reason, in slot order with the valid root", async () => {
    const page = await session.openAt(SIZE, '#sp1/b/pae-nonpresent-pdpte/1/s=1');
    await waitForCounter(page, 'step 1 / 5');
    const slots = page.locator('[data-testid=root-slot-invalid]');
    expect(await slots.count()).toBe(3);
    expect(await slots.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')))).toEqual([
      'pae_root[1]: invalid, guest PDPTE 1 not present',
      'pae_root[2]: invalid, guest PDPTE 2 not present',
      'pae_root[3]: invalid, guest PDPTE 3 not present',
    ]);
    expect(await texts(page, '[data-testid=root-slot-invalid][data-slot="2"] text')).toEqual(['pae_root[2]: invalid', 'guest PDPTE 2 not present']);
    // Top to bottom: pae_root[0]'s page, then the slots 1, 2, 3, all in the middle column.
    const tops = await page.evaluate(() => {
      const top = (sel: string) => document.querySelector(sel)!.getBoundingClientRect().top;
      return [top('[data-testid=shadow-page][data-root-slot="0"]'), ...[1, 2, 3].map((i) => top(`[data-testid=root-slot-invalid][data-slot="${i}"]`))];
    });
    expect([...tops].sort((a, b) => a - b)).toEqual(tops);
    expect(await clipped(page, '[data-testid=root-slot-invalid]')).toEqual([]);
    // pae_root[1] is filled once the guest makes PDPTE 1 present and reloads CR3.
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await waitForCounter(page, 'step 3 / 5');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=root-slot-invalid]').length === 2);
    expect(await page.locator('[data-testid=shadow-page][data-root-slot="1"]').count()).toBe(1);
  });

  it('draws a zapped page faded with "zapped" on its step, and it is gone at the next (pd-write-flooding step 5)', async () => {
    const page = await session.openAt(SIZE, '#sp1/b/pd-write-flooding/1/s=5');
    await waitForCounter(page, 'step 5 / 7');
    const zapped = page.locator('[data-testid=shadow-page][data-zap=freed]');
    expect(await zapped.evaluateAll((els) => els.map((e) => e.getAttribute('data-sp')))).toEqual(['1', '2', '3']);
    // Read the colours as they stay, after the zap-out animation.
    await page.evaluate(() => Promise.all(document.getAnimations().map((a) => a.finished)));
    const look = await zapped.first().evaluate((g) => {
      const rect = g.querySelector('rect.card')!;
      const title = g.querySelector('.card-title')!;
      const muted = document.createElementNS('http://www.w3.org/2000/svg', 'text');
      muted.setAttribute('class', 'card-sub');
      g.closest('svg')!.appendChild(muted);
      const mutedFill = getComputedStyle(muted).fill;
      muted.remove();
      return { cls: g.getAttribute('class'), fill: getComputedStyle(rect).fill, textFill: getComputedStyle(title).fill, mutedFill, title: title.textContent, label: g.getAttribute('aria-label') };
    });
    expect(look.cls).toContain('card-zapped');
    // Compact at 1280x720: the role words go under the heading, the zap state stays in it.
    expect(look.title).toBe('was pae_root[1] → sp 1 · zapped');
    expect(look.label).toMatch(/zapped/);
    // Faded: hatched instead of filled, its text grey.
    expect(look.fill).toMatch(/url\(.*#zap-hatch/);
    expect(look.textFill).toBe(look.mutedFill);
    expect(await clipped(page, '[data-testid=shadow-page][data-zap=freed]')).toEqual([]);
    await page.keyboard.press('ArrowRight');
    await waitForCounter(page, 'step 6 / 7');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=shadow-page][data-zap]').length === 0);
    expect(await page.locator('[data-testid=shadow-page][data-sp="1"]').count()).toBe(0);
  });

  it('in event mode, a page is zapped (invalid, not yet freed) from its kvm_mmu_prepare_zap_page, freed from kvm_mmu_commit_zap_page', async () => {
    const page = await session.openAt(SIZE, '#sp1/b/pd-write-flooding/1/s=5');
    await waitForCounter(page, 'step 5 / 7');
    const states = () => page.$$eval('[data-testid=shadow-page][data-zap]', (els) => els.map((e) => `${e.getAttribute('data-sp')}:${e.getAttribute('data-zap')}`).join(' '));
    await page.keyboard.press('e');
    // Event mode opens on the step's last event: everything revealed.
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=shadow-page][data-zap=freed]').length === 3);
    // Back through the events: freed, then zapped but not freed, then as it was.
    const seen: string[] = [];
    let invalidTitle = '';
    for (let i = 0; i < 200; i++) {
      const now = await states();
      if (seen[seen.length - 1] !== now) seen.push(now);
      if (now.includes(':invalid') && !invalidTitle) invalidTitle = (await page.locator('[data-zap=invalid] .card-title').first().textContent()) ?? '';
      if (now === '1:pending 2:pending 3:pending') break;
      await page.keyboard.press('ArrowLeft');
    }
    expect(seen[0]).toBe('1:freed 2:freed 3:freed');
    expect(seen).toContain('1:invalid 2:invalid 3:invalid');
    expect(seen[seen.length - 1]).toBe('1:pending 2:pending 3:pending');
    expect(invalidTitle).toMatch(/ · zapped: invalid, not yet freed$/);
  });

  it('shows the cached root of a CR3 switch with its CR3 (cr3-pcid-switch step 2)', async () => {
    const page = await session.openAt(SIZE, '#sp1/b/cr3-pcid-switch/1/s=2');
    await waitForCounter(page, 'step 2 / 6');
    const cached = page.locator('[data-testid=shadow-page][data-prev-root="0"]');
    expect(await cached.count()).toBe(1);
    expect(await cached.locator('.card-title').textContent()).toMatch(/^prev_roots\[0\] \(cached, CR3 = 0xa001\) → sp 0/);
    expect(await cached.locator('rect.card-cached').count()).toBe(1);
    expect(await clipped(page, '[data-testid=shadow-page][data-prev-root]')).toEqual([]);
  });

  it('says why the guest column is empty with paging off', async () => {
    const page = await session.openAt(SIZE, '#sp1/b/paging-off/1/s=1');
    await waitForCounter(page, 'step 1 / 5');
    expect(await texts(page, '[data-testid=column-note] text')).toEqual(['no guest page tables', 'paging off: KVM maps gpa = gva with direct pages']);
    expect(await clipped(page, '[data-testid=column-note]')).toEqual([]);
  });

  for (const scheme of ['light', 'dark'] as const) {
    it(`axe finds nothing serious on the new cards (${scheme})`, async () => {
      for (const path of ['#sp1/b/pd-write-flooding/1/s=5', '#sp1/b/pae-nonpresent-pdpte/1/s=1', '#sp1/b/cr3-pcid-switch/1/s=2', '#sp1/b/paging-off/1/s=1']) {
        // Reduced motion: the colours as they stay, drawn at once (the zap-out itself: the tests above).
        const page = await session.openAt(SIZE, path, scheme, { motion: 'reduce' });
        // The tables, where the new cards are (the whole page at these views: a11y.e2e.ts and the other files' axe runs).
        expect(describeViolations(await seriousViolations(page, '.canvas-wrap')), path).toEqual([]);
      }
      // The overview draws the invalid slots and the zapped pages too.
      const page = await session.openAt(SIZE, '#sp1/b/pd-write-flooding/1/s=7', scheme, { motion: 'reduce' });
      await page.keyboard.press('o');
      await page.getByTestId('overview').waitFor();
      expect(await page.locator('[data-testid=overview] [data-testid=shadow-page][data-zap=freed]').count()).toBe(4);
      expect(describeViolations(await seriousViolations(page, '[data-testid=overview]')), 'overview').toEqual([]);
    });
  }
});
