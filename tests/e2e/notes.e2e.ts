/**
 * Teacher notes (issue 18) in a real browser: a step's note shows under its
 * caption in the side panel, in presenting mode and in the embed; it survives
 * Copy link -> reopen and Export .json -> import; hostile note text is shown
 * as text (no element, no script run, no javascript: link).
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { DEFAULT_VIEW, encodePermalink } from '../../src/scenarios/permalink.ts';
import { LIBRARY } from '../../src/scenarios/library/index.ts';
import { appSession, screenshot, waitForCounter } from './helpers.ts';

const session = appSession();

const HOSTILE = '<img src=x onerror="window.__pwned = 1"><script>window.__pwned = 2</script> [click](javascript:window.__pwned=3)';
const base = LIBRARY.find((e) => e.id === 'quadrants-32bit')!.json as { title: string; steps: Array<Record<string, unknown>> };
const total = base.steps.length;
const NOTED = {
  ...base,
  title: 'Quadrants, with notes',
  steps: base.steps.map((s, i) =>
    i === 0
      ? { ...s, note: 'The first read: *no* shadow page exists yet, so KVM builds them. Watch `cr3` and read [the MMU docs](https://docs.kernel.org/virt/kvm/x86/mmu.html).\n\nA second paragraph: **this** is why the guest is slow the first time.\n\nA third, so that the embed has more than two lines to show.' }
      : i === 1
        ? { ...s, note: HOSTILE }
        : s,
  ),
};
const link = (step: number) => `#${encodePermalink({ scenario: { kind: 'inline', json: NOTED }, view: { ...DEFAULT_VIEW, step } })}`;

const textOf = (page: Page, testId: string) => page.getByTestId(testId).evaluate((el) => (el.textContent ?? '').replace(/\s+/g, ' ').trim());

/** What the page made of the hostile note: elements it must not have, and whether any of its script ran. */
const hostileCheck = (page: Page, testId: string) =>
  page.getByTestId(testId).evaluate((el) => ({
    elements: el.querySelectorAll('img, script, a[href^="javascript"], [onerror]').length,
    pwned: (window as { __pwned?: number }).__pwned ?? null,
  }));

describe('teacher notes', () => {
  it('shows the note of the step just applied under the side panel caption, hostile text as text', async () => {
    const page = await session.openAt({ width: 1280, height: 720 }, link(1));
    await waitForCounter(page, `step 1 / ${total}`);
    const note = page.getByTestId('side-note');
    expect(await textOf(page, 'side-note')).toMatch(/^The first read: no shadow page exists yet/);
    expect(await note.locator('em').textContent()).toBe('no');
    expect(await note.locator('code').textContent()).toBe('cr3');
    expect(await note.locator('p').count()).toBe(3);
    const a = note.locator('a');
    expect(await a.getAttribute('href')).toBe('https://docs.kernel.org/virt/kvm/x86/mmu.html');
    expect(await a.getAttribute('target')).toBe('_blank');
    expect(await a.getAttribute('rel')).toBe('noopener noreferrer');
    // It sits right under the caption, in a polite live region of its own.
    expect(await note.evaluate((el) => el.parentElement?.previousElementSibling?.getAttribute('data-testid'))).toBe('side-caption');
    expect(await note.evaluate((el) => el.parentElement?.getAttribute('aria-live'))).toBe('polite');
    await screenshot(page, 'notes-side-1280');
    await page.keyboard.press('t');
    await screenshot(page, 'notes-side-1280-dark');
    await page.keyboard.press('ArrowRight');
    await waitForCounter(page, `step 2 / ${total}`);
    expect(await textOf(page, 'side-note')).toBe(HOSTILE.replace(/\s+/g, ' '));
    expect(await hostileCheck(page, 'side-note')).toEqual({ elements: 0, pwned: null });
    // Steps without a note, and step 0, show none.
    await page.keyboard.press('ArrowRight');
    await waitForCounter(page, `step 3 / ${total}`);
    expect(await page.getByTestId('side-note').count()).toBe(0);
    await page.keyboard.press('Home');
    await waitForCounter(page, `step 0 / ${total}`);
    expect(await page.getByTestId('side-note').count()).toBe(0);
  });

  it('survives Copy link -> reopen', async () => {
    const page = await session.openAt({ width: 1280, height: 720 }, link(0), 'light', { permissions: ['clipboard-read', 'clipboard-write'] });
    await waitForCounter(page, `step 0 / ${total}`);
    await page.keyboard.press('ArrowRight');
    await waitForCounter(page, `step 1 / ${total}`);
    await page.getByTestId('copy-link').click();
    await page.getByTestId('copy-status').waitFor();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    expect(copied).toContain('#sp1/');
    const again = await session.openAt({ width: 1280, height: 720 }, copied.slice(copied.indexOf('#')));
    await waitForCounter(again, `step 1 / ${total}`);
    expect(await textOf(again, 'side-note')).toMatch(/^The first read: no shadow page exists yet/);
    await again.keyboard.press('ArrowRight');
    await waitForCounter(again, `step 2 / ${total}`);
    expect(await textOf(again, 'side-note')).toBe(HOSTILE.replace(/\s+/g, ' '));
    expect(await hostileCheck(again, 'side-note')).toEqual({ elements: 0, pwned: null });
  });

  it('survives Export .json -> import, and is edited in the form', async () => {
    const page = await session.openAt({ width: 1280, height: 720 }, link(0));
    await waitForCounter(page, `step 0 / ${total}`);
    await page.getByTestId('edit-toggle').click();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export .json' }).click()]);
    const stream = await download.createReadStream();
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    const exported = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof NOTED;
    expect(exported.steps[0]!.note).toBe(NOTED.steps[0]!.note);
    expect(exported.steps[1]!.note).toBe(HOSTILE);

    // Another scenario on screen first, so the import visibly replaces it.
    const fresh = await session.openAt({ width: 1280, height: 720 }, '#sp1/b/pse-direct-pages/1/s=0');
    await waitForCounter(fresh, 'step 0 / 4');
    await fresh.getByTestId('edit-toggle').click();
    await fresh.locator('[data-testid=editor] input[type=file]').setInputFiles({ name: 'noted.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(exported, null, 2)) });
    await waitForCounter(fresh, `step 0 / ${total}`);
    await fresh.waitForFunction(() => document.querySelector('[data-testid=editor-status]')?.textContent?.includes('Quadrants, with notes'));
    const box = fresh.getByLabel('step 2 teacher note');
    expect(await box.inputValue()).toBe(HOSTILE);
    // At step 2, edit its note: the edited scenario goes on screen (from step 0), then step 2 shows the new note.
    await fresh.locator('body').click({ position: { x: 5, y: 5 } });
    await fresh.keyboard.press('ArrowRight');
    await fresh.keyboard.press('ArrowRight');
    await waitForCounter(fresh, `step 2 / ${total}`);
    await box.fill('Edited: see `invlpg`.');
    await waitForCounter(fresh, `step 0 / ${total}`);
    await fresh.locator('body').click({ position: { x: 5, y: 5 } });
    await fresh.keyboard.press('ArrowRight');
    await fresh.keyboard.press('ArrowRight');
    await waitForCounter(fresh, `step 2 / ${total}`);
    await fresh.waitForFunction(() => document.querySelector('[data-testid=side-note]')?.textContent === 'Edited: see invlpg.');
    await screenshot(fresh, 'notes-editor-1280');
  });

  for (const [w, h, theme] of [
    [1280, 720, 'light'],
    [1920, 1080, 'dark'],
  ] as const) {
    it(`shows the note under the caption in presenting mode at ${w}x${h} (${theme}), in a fixed place`, async () => {
      const page = await session.openAt({ width: w, height: h }, link(1), theme);
      await waitForCounter(page, `step 1 / ${total}`);
      await page.keyboard.press('p');
      const note = page.getByTestId('caption-note');
      await note.waitFor();
      expect(await textOf(page, 'caption-note-text')).toMatch(/^The first read/);
      const place = async () => {
        const b = (await note.boundingBox())!;
        return [b.y, b.height];
      };
      const first = await place();
      // Under the caption bar, and inside the window.
      const bar = (await page.locator('.caption-bar').boundingBox())!;
      expect(first[0]).toBeGreaterThanOrEqual(bar.y + bar.height - 1);
      expect(first[0]! + first[1]!).toBeLessThanOrEqual(h);
      await screenshot(page, `notes-present-${w}`);
      // The note takes room from the tables: their column headings still fit, whole and apart.
      const heads = await page.locator('.col-heads span').evaluateAll((els) =>
        els.map((e, i) => {
          const r = e.getBoundingClientRect();
          const next = els[i + 1]?.getBoundingClientRect();
          return { text: e.textContent, cut: e.scrollWidth > e.clientWidth + 1, overlaps: !!next && r.right > next.left + 0.5 };
        }),
      );
      expect(heads.filter((x) => x.cut || x.overlaps)).toEqual([]);
      await page.keyboard.press('ArrowRight');
      await waitForCounter(page, `step 2 / ${total}`);
      expect(await hostileCheck(page, 'caption-note')).toEqual({ elements: 0, pwned: null });
      await page.keyboard.press('ArrowRight');
      await waitForCounter(page, `step 3 / ${total}`);
      // No note on step 3: the place stays (the tables do not move), empty.
      expect(await place()).toEqual(first);
      expect(await textOf(page, 'caption-note')).toBe('');
    });
  }

  for (const theme of ['light', 'dark'] as const) {
    it(`shows the note in the embed at 800x500 (${theme}), two lines and a "more" toggle`, async () => {
      const page = await session.openAt({ width: 800, height: 500 }, `?embed=1${link(1)}`, theme);
      await waitForCounter(page, `step 1 / ${total}`);
      const body = page.locator('.caption-note-body');
      await body.waitFor();
      const closed = (await body.boundingBox())!;
      const more = page.getByRole('button', { name: 'more' });
      expect(await more.getAttribute('aria-expanded')).toBe('false');
      await screenshot(page, `notes-embed-${theme}`);
      await more.click();
      const open = (await body.boundingBox())!;
      expect(open.height).toBeGreaterThan(closed.height);
      expect(await page.getByRole('button', { name: 'less' }).getAttribute('aria-expanded')).toBe('true');
      await screenshot(page, `notes-embed-open-${theme}`);
      // The caption above stays whole.
      expect(await textOf(page, 'caption')).toMatch(/^1\/\d+ /);
    });
  }
});
