/**
 * Lessons (issue 18, item 3) in a real browser: a lesson link opens at its
 * entry with the title, the intro and "scenario k of n"; Previous and Next
 * move between entries (and the address bar follows); the lesson's question
 * blocks the step until answered, a wrong answer is marked with the answer
 * revealed, the score counts; the lesson survives Copy link -> reopen and
 * Export lesson -> Import; the picker's Lessons group opens an entry under
 * its own rule set; the bar fits presenting mode and the 800x500 embed; axe
 * finds nothing serious. Screenshots at 1280x720 and 1920x1080, both themes.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { appSession, counterText, describeViolations, screenshot, seriousViolations, waitForCounter } from './helpers.ts';

const session = appSession();
const textOf = (page: Page, testId: string) => page.getByTestId(testId).first().evaluate((el) => (el.textContent ?? '').replace(/\s+/g, ' ').trim());

describe('lessons', () => {
  it('a lesson link opens; its question blocks the step; a wrong answer, the reveal, the score; Next and Previous', async () => {
    const page = await session.openAt({ width: 1280, height: 720 }, '#sp1/l/four-roots/1/1');
    await waitForCounter(page, 'step 0 / 12');
    expect(await textOf(page, 'lesson-title')).toBe('Lesson: Four roots and two quadrants');
    expect(await textOf(page, 'lesson-position')).toBe('Scenario 1 of 2: One 32-bit page directory, four PAE roots; one page table, two shadow PTs');
    expect(await textOf(page, 'lesson-intro-text')).toMatch(/four shadow roots/);
    expect(await page.getByTestId('lesson-prev').isDisabled()).toBe(true);
    await screenshot(page, 'lesson-1280-light');
    expect(describeViolations(await seriousViolations(page))).toEqual([]);
    // Step 1 asks the lesson's two questions (created pages, quadrant) before it shows.
    await page.getByTestId('step-forward').click();
    await page.getByTestId('quiz-ask').waitFor();
    await page.keyboard.press('ArrowRight');
    expect(await counterText(page)).toBe('step 0 / 12');
    expect(await page.locator('[data-testid=quiz-ask] fieldset').evaluateAll((fs) => fs.map((f) => f.getAttribute('data-testid')))).toEqual(['quiz-q-created-pages', 'quiz-q-quadrant-of']);
    expect(await page.getByTestId('quiz-submit').isDisabled()).toBe(true);
    // Wrong: quadrant 1 (the read is in the lower 2 MiB of the guest PT: quadrant 0); no page ticked (one is created).
    await page.getByTestId('quiz-choice-quadrant-of-1').check();
    await page.getByTestId('quiz-submit').click();
    await waitForCounter(page, 'step 1 / 12');
    expect(await page.getByTestId('quiz-result-quadrant-of').getAttribute('data-correct')).toBe('false');
    expect(await textOf(page, 'quiz-result-quadrant-of')).toMatch(/you answered quadrant 1; the answer is quadrant 0/);
    expect(await textOf(page, 'quiz-score')).toBe('score: 0/2 right');
    // The lesson's note for step 1 shows with the step.
    expect(await textOf(page, 'side-note')).toMatch(/quadrant 0/);
    await screenshot(page, 'lesson-1280-marked');
    // Export answers names the lesson and the entry, for the grader.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('quiz-export').click()]);
    const chunks: Buffer[] = [];
    for await (const c of await download.createReadStream()) chunks.push(c as Buffer);
    expect(JSON.parse(Buffer.concat(chunks).toString('utf8')).scenario).toEqual({ title: 'One 32-bit page directory, four PAE roots; one page table, two shadow PTs', lesson: 'four-roots', entry: 0 });
    // Next scenario of the lesson: step 0 of the other scenario, the address bar follows.
    await page.getByTestId('lesson-next').click();
    await waitForCounter(page, 'step 0 / 4');
    expect(await textOf(page, 'lesson-position')).toMatch(/^Scenario 2 of 2: The same GVA bits before and after the patch/);
    expect(await page.getByTestId('lesson-next').isDisabled()).toBe(true);
    await page.waitForFunction(() => window.location.hash === '#sp1/l/four-roots/1/2');
    await page.getByTestId('lesson-prev').click();
    await waitForCounter(page, 'step 0 / 12');
    expect(await textOf(page, 'lesson-position')).toMatch(/^Scenario 1 of 2/);
    // Embed's code carries the lesson link (with ?embed=1), not the bare scenario.
    await page.getByTestId('embed-toggle').click();
    expect(await page.getByTestId('embed-snippet').inputValue()).toMatch(/<iframe [^>]*src="[^"]*\?embed=1#sp1\/l\/four-roots\/1\/1"/);
  });

  it('keeps the lesson through Copy link -> reopen and Export lesson -> Import', async () => {
    const page = await session.openAt({ width: 1280, height: 720 }, '#sp1/l/unsync-invlpg/1/2/s=6', 'light', { permissions: ['clipboard-read', 'clipboard-write'] });
    await waitForCounter(page, 'step 6 / 12');
    // The page is closed when the next one opens: the lesson file first.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('lesson-export').click()]);
    const chunks: Buffer[] = [];
    for await (const c of await download.createReadStream()) chunks.push(c as Buffer);
    const exported = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { format: string; title: string };
    expect(exported.format).toBe('shadowpaging-lesson/v1');
    await page.getByTestId('copy-link').click();
    await page.getByTestId('copy-status').waitFor();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    expect(copied).toMatch(/#sp1\/l\/unsync-invlpg\/1\/2\/s=6$/);
    const again = await session.openAt({ width: 1280, height: 720 }, copied.slice(copied.indexOf('#')));
    await waitForCounter(again, 'step 6 / 12');
    // Step 7 has the lesson's question: blocked until answered.
    await again.getByTestId('step-forward').click();
    await again.getByTestId('quiz-ask').waitFor();
    expect(await counterText(again)).toBe('step 6 / 12');
    expect(await again.getByTestId('quiz-q-spte-writable').count()).toBe(1);

    // Imported (as a teacher's own copy, renamed): the lesson opens at its first scenario, with its questions.
    const mine = { ...exported, title: 'My copy of the unsync lesson' };
    const fresh = await session.openAt({ width: 1280, height: 720 }, '#sp1/b/pse-direct-pages/1/s=0');
    await fresh.getByTestId('edit-toggle').click();
    // A broken lesson is refused with its field named, and the screen stays.
    await fresh.locator('[data-testid=editor] input[type=file]').setInputFiles({ name: 'bad.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify({ ...mine, entries: [{ builtin: 'unsync-invlpg-sinc' }] })) });
    expect(await textOf(fresh, 'editor-refusal')).toMatch(/^bad\.json is a lesson, but it could not be opened: entries\[0\]\.builtin: there is no built-in scenario "unsync-invlpg-sinc" \(did you mean "unsync-invlpg-sync"\?\)/);
    expect(await fresh.getByTestId('lesson-bar').count()).toBe(0);
    await fresh.locator('[data-testid=editor] input[type=file]').setInputFiles({ name: 'lesson.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(mine, null, 2)) });
    await waitForCounter(fresh, 'step 0 / 9');
    expect(await textOf(fresh, 'lesson-title')).toBe('Lesson: My copy of the unsync lesson');
    await fresh.getByTestId('step-forward').click();
    await fresh.getByTestId('quiz-ask').waitFor();
    expect(await counterText(fresh)).toBe('step 0 / 9');
    // An inline lesson's link carries it whole and opens the same.
    await fresh.keyboard.press('Escape');
    await fresh.waitForFunction(() => window.location.hash.startsWith('#sp1/m/1/'));
    const inline = await session.openAt({ width: 1280, height: 720 }, fresh.url().slice(fresh.url().indexOf('#')));
    expect(await textOf(inline, 'lesson-title')).toBe('Lesson: My copy of the unsync lesson');
  });

  it('the picker opens a lesson under its entry\'s rule set; a bad lesson link says why', async () => {
    const page = await session.openAt({ width: 1920, height: 1080 }, '', 'dark');
    await page.getByTestId('scenario-picker').selectOption('lesson:patch-and-bug');
    await page.getByTestId('lesson-bar').waitFor();
    expect(await page.getByTestId('rules').inputValue()).toBe('before');
    await page.getByTestId('lesson-next').click();
    await page.waitForFunction(() => (document.querySelector('[data-testid=lesson-position]')?.textContent ?? '').includes('Scenario 2 of 3'));
    expect(await page.getByTestId('rules').inputValue()).toBe('seed');
    await page.getByTestId('lesson-next').click();
    await page.waitForFunction(() => (document.querySelector('[data-testid=lesson-position]')?.textContent ?? '').includes('Scenario 3 of 3'));
    expect(await page.getByTestId('rules').inputValue()).toBe('merged');
    await screenshot(page, 'lesson-1920-dark');
    expect(describeViolations(await seriousViolations(page))).toEqual([]);
    // Leave lesson: the scenario stays, the bar goes.
    await page.getByTestId('lesson-close').click();
    expect(await page.getByTestId('lesson-bar').count()).toBe(0);
    const bad = await session.openAt({ width: 1280, height: 720 }, '#sp1/l/four-rots/1/1');
    expect(await textOf(bad, 'link-error')).toMatch(/There is no built-in lesson "four-rots".*did you mean "four-roots"/);
    for (const [w, h, theme] of [
      [1280, 720, 'dark'],
      [1920, 1080, 'light'],
    ] as const) {
      const p = await session.openAt({ width: w, height: h }, '#sp1/l/patch-and-bug/1/3/s=4', theme);
      await waitForCounter(p, 'step 4 / 7');
      await screenshot(p, `lesson-${w}-${theme}`);
    }
  });

  it('fits presenting mode (1280x720) and the 800x500 embed, light and dark', async () => {
    for (const theme of ['light', 'dark'] as const) {
      const present = await session.openAt({ width: 1280, height: 720 }, '#sp1/l/four-roots/1/1/p=1', theme);
      const bar = present.getByTestId('lesson-bar');
      await bar.waitFor();
      const pb = (await bar.boundingBox())!;
      expect(pb.x + pb.width).toBeLessThanOrEqual(1280);
      await present.getByTestId('lesson-next').click();
      await waitForCounter(present, 'step 0 / 4');
      await screenshot(present, `lesson-present-1280-${theme}`);

      const embed = await session.openAt({ width: 800, height: 500 }, '?embed=1#sp1/l/four-roots/1/1', theme);
      const eb = embed.getByTestId('lesson-bar');
      await eb.waitFor();
      const box = (await eb.boundingBox())!;
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(800);
      expect(box.height).toBeLessThan(120);
      expect(await embed.getByTestId('lesson-next').isVisible()).toBe(true);
      await embed.getByTestId('step-forward').click();
      await embed.getByTestId('quiz-ask').waitFor();
      expect(await counterText(embed)).toBe('step 0 / 12');
      await screenshot(embed, `lesson-embed-800-${theme}`);
      expect(describeViolations(await seriousViolations(embed))).toEqual([]);
      await embed.getByTestId('quiz-choice-quadrant-of-0').check();
      await embed.getByTestId('quiz-choice-created-pages-0').check();
      await embed.getByTestId('quiz-submit').click();
      await waitForCounter(embed, 'step 1 / 12');
      expect(await textOf(embed, 'quiz-score')).toBe('score: 2/2 right');
      await embed.getByTestId('lesson-next').click();
      await waitForCounter(embed, 'step 0 / 4');
    }
  });
});
