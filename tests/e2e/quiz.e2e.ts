/**
 * Questions before a step (issue 18) in a real browser: a teacher's question
 * blocks the step until it is answered; a wrong answer is marked wrong with
 * the core's explanation as the step is revealed; the score counts; the
 * questions survive Copy link -> reopen and Export .json -> import; Quiz me
 * asks generated questions; the answers export as the grader's file; the
 * question shows (compact) in presenting mode and the 800x500 embed; axe
 * finds nothing serious.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { DEFAULT_VIEW, encodePermalink } from '../../src/scenarios/permalink.ts';
import { LIBRARY } from '../../src/scenarios/library/index.ts';
import { appSession, counterText, describeViolations, screenshot, seriousViolations, waitForCounter } from './helpers.ts';

const session = appSession();

const base = LIBRARY.find((e) => e.id === 'quadrants-32bit')!.json as { title: string; steps: Array<Record<string, unknown>> };
const total = base.steps.length;
/** Step 1 (a read of 0xc0403123: a shadow fault, KVM builds the shadow PT for gfn 0x4, quadrant 0) asks two questions. */
const QUIZ = {
  ...base,
  title: 'Quadrants, with questions',
  steps: base.steps.map((s, i) => (i === 0 ? { ...s, questions: [{ kind: 'outcome' }, { kind: 'quadrant-of', gfn: '0x4' }] } : s)),
};
const link = (step: number, extra: Partial<typeof DEFAULT_VIEW> = {}) => `#${encodePermalink({ scenario: { kind: 'inline', json: QUIZ }, view: { ...DEFAULT_VIEW, step, ...extra } })}`;

const textOf = (page: Page, testId: string) => page.getByTestId(testId).first().evaluate((el) => (el.textContent ?? '').replace(/\s+/g, ' ').trim());

/** Next; the question shows and the counter stays on step 0. */
async function nextIsBlocked(page: Page): Promise<void> {
  await page.getByTestId('step-forward').click();
  await page.getByTestId('quiz-ask').waitFor();
  expect(await counterText(page)).toBe(`step 0 / ${total}`);
  // Next again, and the arrow key: still blocked.
  await page.getByTestId('step-forward').click();
  await page.keyboard.press('ArrowRight');
  expect(await counterText(page)).toBe(`step 0 / ${total}`);
}

describe('questions before a step', () => {
  it('blocks the step until answered; a wrong answer is marked, the step revealed, the score kept', async () => {
    const page = await session.openAt({ width: 1280, height: 720 }, link(0));
    await waitForCounter(page, `step 0 / ${total}`);
    await nextIsBlocked(page);
    const submit = page.getByTestId('quiz-submit');
    expect(await submit.isDisabled()).toBe(true);
    // The ruler's "next access" (quadrants, pae_root slot) would give the answers away: hidden, its place kept.
    const rulerShown = () => page.locator('.ruler-bar').evaluate((el) => getComputedStyle(el).visibility);
    expect(await rulerShown()).toBe('hidden');
    expect(await textOf(page, 'quiz-q-outcome')).toMatch(/What happens on the read of 0xc0403123\?/);
    // The choices are reachable by keyboard: Tab to the first radio, arrows move, Space picks.
    await page.getByTestId('quiz-choice-outcome-0').focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    // The third choice: "Guest fault" (wrong: it is a shadow fault).
    expect(await page.getByTestId('quiz-choice-outcome-2').isChecked()).toBe(true);
    expect(await submit.isDisabled()).toBe(true);
    await page.getByTestId('quiz-choice-quadrant-of:0x4-0').check();
    expect(await submit.isDisabled()).toBe(false);
    await screenshot(page, 'quiz-ask-1280');
    const axe = await seriousViolations(page);
    expect(describeViolations(axe)).toEqual([]);
    await submit.click();
    await waitForCounter(page, `step 1 / ${total}`);
    expect(await rulerShown()).toBe('visible');
    const wrong = page.getByTestId('quiz-result-outcome');
    expect(await wrong.getAttribute('data-correct')).toBe('false');
    expect(await textOf(page, 'quiz-result-outcome')).toMatch(/Wrong: you answered Guest fault.*the answer is Shadow fault.*kvm_mmu_page_fault/);
    expect(await page.getByTestId('quiz-result-quadrant-of:0x4').getAttribute('data-correct')).toBe('true');
    expect(await textOf(page, 'quiz-result-quadrant-of:0x4')).toMatch(/Right: quadrant 0.*role\.quadrant/);
    expect(await textOf(page, 'quiz-score')).toBe('score: 1/2 right');
    await screenshot(page, 'quiz-marked-1280');
    await page.keyboard.press('t');
    await screenshot(page, 'quiz-marked-1280-dark');
    expect(describeViolations(await seriousViolations(page))).toEqual([]);
    // Answered steps pass: back and forward again without a question.
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('ArrowLeft');
    await waitForCounter(page, `step 0 / ${total}`);
    await page.keyboard.press('ArrowRight');
    await waitForCounter(page, `step 1 / ${total}`);
    // Export answers: the grader's file.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('quiz-export').click()]);
    const chunks: Buffer[] = [];
    for await (const c of await download.createReadStream()) chunks.push(c as Buffer);
    const file = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    expect(file).toEqual({
      format: 'shadowpaging-answers/v1',
      scenario: 'Quadrants, with questions',
      rules: 'seed',
      answers: [
        { step: 1, question: 'outcome', answer: 'guest-fault' },
        { step: 1, question: 'quadrant-of:0x4', answer: 0 },
      ],
    });
    // Reset: the score is gone, the question is asked again.
    await page.getByTestId('quiz-reset').click();
    expect(await page.getByTestId('quiz-score').count()).toBe(0);
    await page.keyboard.press('Home');
    await waitForCounter(page, `step 0 / ${total}`);
    await page.keyboard.press('ArrowRight');
    await page.getByTestId('quiz-ask').waitFor();
    // Back leaves the question without revealing the step.
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('ArrowLeft');
    expect(await page.getByTestId('quiz-ask').count()).toBe(0);
    expect(await counterText(page)).toBe(`step 0 / ${total}`);
  });

  it('keeps the questions through Copy link -> reopen, and Export .json -> import', async () => {
    const page = await session.openAt({ width: 1280, height: 720 }, link(0), 'light', { permissions: ['clipboard-read', 'clipboard-write'] });
    await waitForCounter(page, `step 0 / ${total}`);
    await page.getByTestId('edit-toggle').click();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export .json' }).click()]);
    const chunks: Buffer[] = [];
    for await (const c of await download.createReadStream()) chunks.push(c as Buffer);
    const exported = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof QUIZ;
    expect(exported.steps[0]!.questions).toEqual(QUIZ.steps[0]!.questions);
    await page.getByTestId('copy-link').click();
    await page.getByTestId('copy-status').waitFor();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    const again = await session.openAt({ width: 1280, height: 720 }, copied.slice(copied.indexOf('#')));
    await waitForCounter(again, `step 0 / ${total}`);
    await nextIsBlocked(again);
    expect(await again.getByTestId('quiz-q-quadrant-of:0x4').count()).toBe(1);

    const fresh = await session.openAt({ width: 1280, height: 720 }, '#sp1/b/pse-direct-pages/1/s=0');
    await waitForCounter(fresh, 'step 0 / 4');
    await fresh.getByTestId('edit-toggle').click();
    await fresh.locator('[data-testid=editor] input[type=file]').setInputFiles({ name: 'quiz.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(exported, null, 2)) });
    await waitForCounter(fresh, `step 0 / ${total}`);
    await fresh.getByTestId('edit-toggle').click();
    await nextIsBlocked(fresh);
  });

  for (const [w, h, theme] of [
    [1280, 720, 'light'],
    [1920, 1080, 'dark'],
  ] as const) {
    it(`a teacher picks and orders a step's questions in the editor (${w}x${h}, ${theme}), and they are asked`, async () => {
      const page = await session.openAt({ width: w, height: h }, '#sp1/b/quadrants-32bit/1/s=0', theme);
      await page.getByTestId('edit-toggle').click();
      await page.getByTestId('step-2-questions').click();
      const picker = page.getByTestId('quiz-picker');
      await picker.waitFor();
      await page.getByTestId('quiz-pick-add').click();
      await page.getByTestId('quiz-pick-kind').selectOption('created-pages');
      await page.getByTestId('quiz-pick-add').click();
      await page.getByLabel('Move question 2 up').click();
      expect(await page.getByTestId('step-2-questions').getAttribute('aria-label')).toBe('Questions before step 2 (2)');
      // Inside the side panel, nothing cut off.
      const panel = (await page.locator('#side-panel').boundingBox())!;
      const box = (await picker.boundingBox())!;
      expect(box.x).toBeGreaterThanOrEqual(panel.x);
      expect(box.x + box.width).toBeLessThanOrEqual(panel.x + panel.width + 0.5);
      expect(await picker.evaluate((el) => el.scrollWidth <= el.clientWidth + 1)).toBe(true);
      expect(describeViolations(await seriousViolations(page))).toEqual([]);
      await picker.screenshot({ path: `${process.cwd()}/screenshots/e2e-quiz-picker-${w}-${theme}.png` });
      await page.getByTestId('quiz-picker-close').click();
      await page.getByTestId('edit-toggle').click();
      // The edited scenario is on screen from step 0: step 1 passes, step 2 asks, created pages first.
      await page.locator('body').click({ position: { x: 5, y: 5 } });
      await page.keyboard.press('ArrowRight');
      await waitForCounter(page, 'step 1 / 12');
      await page.keyboard.press('ArrowRight');
      await page.getByTestId('quiz-ask').waitFor();
      expect(await page.locator('[data-testid=quiz-ask] fieldset').evaluateAll((fs) => fs.map((f) => f.getAttribute('data-testid')))).toEqual(['quiz-q-created-pages', 'quiz-q-outcome']);
      expect(await counterText(page)).toBe('step 1 / 12');
    });
  }

  it('Quiz me asks generated questions before every step, and survives a link (q=1)', async () => {
    const page = await session.openAt({ width: 1920, height: 1080 }, '#sp1/b/permission-faults/1/s=0', 'dark');
    const steps = Number((await counterText(page)).split('/ ')[1]);
    await page.getByTestId('quiz-me').check();
    await page.getByTestId('step-forward').click();
    await page.getByTestId('quiz-ask').waitFor();
    expect(await counterText(page)).toBe(`step 0 / ${steps}`);
    expect(await page.locator('[data-testid=quiz-ask] fieldset').count()).toBeGreaterThanOrEqual(1);
    await screenshot(page, 'quiz-me-1920-dark');
    // The address bar follows the view a moment later (url-sync.ts).
    await page.waitForFunction(() => window.location.hash.includes('q=1'));
    const again = await session.openAt({ width: 1280, height: 720 }, page.url().slice(page.url().indexOf('#')));
    expect(await again.getByTestId('quiz-me').isChecked()).toBe(true);
    await again.getByTestId('step-forward').click();
    await again.getByTestId('quiz-ask').waitFor();
  });

  it('shows the question compact in presenting mode (1280x720) and the 800x500 embed, light and dark', async () => {
    for (const theme of ['light', 'dark'] as const) {
      const page = await session.openAt({ width: 1280, height: 720 }, link(0, { presenting: true }), theme);
      await page.getByTestId('step-forward').click();
      const ask = page.getByTestId('quiz-ask');
      await ask.waitFor();
      const box = (await ask.boundingBox())!;
      expect(box.y).toBeGreaterThanOrEqual(0);
      expect(box.y + box.height).toBeLessThanOrEqual(720);
      // The answer button stays in view while the questions scroll.
      const submit = (await page.getByTestId('quiz-submit').boundingBox())!;
      expect(submit.y + submit.height).toBeLessThanOrEqual(box.y + box.height + 1);
      await screenshot(page, `quiz-present-1280-${theme}`);

      const embed = await session.openAt({ width: 800, height: 500 }, `?embed=1${link(0)}`, theme);
      await embed.getByTestId('step-forward').click();
      const e = embed.getByTestId('quiz-ask');
      await e.waitFor();
      const eb = (await e.boundingBox())!;
      expect(eb.x).toBeGreaterThanOrEqual(0);
      expect(eb.x + eb.width).toBeLessThanOrEqual(800);
      expect(eb.y).toBeGreaterThanOrEqual(0);
      // Above the timeline bar, whose buttons stay usable.
      const bar = (await embed.locator('footer.timeline').boundingBox())!;
      expect(eb.y + eb.height).toBeLessThanOrEqual(bar.y + 1);
      await screenshot(embed, `quiz-embed-800-${theme}`);
      expect(describeViolations(await seriousViolations(embed))).toEqual([]);
      await embed.getByTestId('quiz-choice-outcome-1').check();
      await embed.getByTestId('quiz-choice-quadrant-of:0x4-0').check();
      await embed.getByTestId('quiz-submit').click();
      await waitForCounter(embed, `step 1 / ${total}`);
      expect(await textOf(embed, 'quiz-score')).toBe('score: 2/2 right');
      await screenshot(embed, `quiz-embed-800-marked-${theme}`);
      expect(describeViolations(await seriousViolations(embed))).toEqual([]);
      await embed.getByTestId('quiz-marked-close').click();
      expect(await embed.getByTestId('quiz-marked').count()).toBe(0);
    }
  });
});
