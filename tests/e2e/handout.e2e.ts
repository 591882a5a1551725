/**
 * The printable handout (issue 18, item 5): a range of steps with their
 * captions, notes and questions, answers optional, printed by the browser's
 * print dialog. The print is stubbed (a headless browser has no dialog) and
 * the page is looked at with print media: only the handout shows.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { appSession, describeViolations, screenshot, seriousViolations, waitForCounter } from './helpers.ts';

const session = appSession();

async function printHandout(page: Page, from: number, to: number, answers: boolean): Promise<void> {
  await page.evaluate(() => {
    (window as unknown as { printed: number }).printed = 0;
    window.print = () => void ((window as unknown as { printed: number }).printed += 1);
  });
  await page.getByTestId('handout-toggle').click();
  await page.getByTestId('handout-from').fill(String(from));
  await page.getByTestId('handout-to').fill(String(to));
  await page.getByTestId('handout-answers').setChecked(answers);
  await page.getByTestId('handout-print').click();
  await page.waitForFunction(() => (window as unknown as { printed: number }).printed === 1);
}

describe('the printable handout', () => {
  it("prints a range of a lesson entry's steps with captions, notes, questions and answers; only the handout in print", async () => {
    const page = await session.openAt({ width: 1280, height: 720 }, '#sp1/l/patch-and-bug/1/3');
    await waitForCounter(page, 'step 0 / 7');
    await page.getByTestId('handout-toggle').click();
    expect(describeViolations(await seriousViolations(page))).toEqual([]);
    // A range the other way round says what to change, and Print waits.
    await page.getByTestId('handout-from').fill('5');
    await page.getByTestId('handout-to').fill('4');
    expect(await page.getByTestId('handout-error').textContent()).toBe('Choose steps from 1 to 7, the first no later than the last.');
    expect(await page.getByTestId('handout-print').isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Close', exact: true }).click();
    expect(await page.getByTestId('handout-dialog').count()).toBe(0);
    await printHandout(page, 4, 5, true);
    const sheet = page.getByTestId('handout');
    // On screen nothing changes; in print only the handout shows.
    expect(await sheet.isVisible()).toBe(false);
    await page.emulateMedia({ media: 'print' });
    expect(await sheet.isVisible()).toBe(true);
    expect(await page.getByTestId('step-counter').isVisible()).toBe(false);
    const text = (await sheet.textContent()) ?? '';
    expect(text).toMatch(/Lesson: The patch and its bug.*scenario 3 of 3.*Steps 4 to 5; rule set: Merged/);
    expect(await page.locator('[data-testid^=handout-step-]').count()).toBe(2);
    expect(await page.getByTestId('handout-step-4').textContent()).toMatch(/Step 4.*What happens on the read of.*Patch 7\/8/);
    expect(await page.getByTestId('handout-answer').count()).toBe(4);
    await sheet.screenshot({ path: `${process.cwd()}/screenshots/e2e-handout-print.png` });
    // After the print dialog closes the handout is gone: Ctrl+P prints the app again.
    await page.evaluate(() => window.dispatchEvent(new Event('afterprint')));
    await sheet.waitFor({ state: 'detached' });
    expect(await page.getByTestId('step-counter').isVisible()).toBe(true);
    await page.emulateMedia({ media: 'screen' });
    // Without the answers.
    await printHandout(page, 1, 7, false);
    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('[data-testid^=handout-step-]').count()).toBe(7);
    expect(await page.getByTestId('handout-answer').count()).toBe(0);
    // A step with questions keeps only what the guest did (the rest would give the answers away); one without keeps its whole caption.
    expect(await page.getByTestId('handout-step-4').textContent()).not.toMatch(/KVM drops the link/);
    expect(await page.getByTestId('handout-step-6').textContent()).toMatch(/zap|free/i);
  });

  it('the dialog fits at 1280x720, light', async () => {
    const page = await session.openAt({ width: 1280, height: 720 }, '#sp1/l/patch-and-bug/1/3');
    await waitForCounter(page, 'step 0 / 7');
    await page.getByTestId('handout-toggle').click();
    const box = (await page.getByTestId('handout-dialog').boundingBox())!;
    expect(box.x + box.width).toBeLessThanOrEqual(1280);
    expect(box.y + box.height).toBeLessThanOrEqual(720);
    await screenshot(page, 'handout-dialog-1280-light');
  });

  it('the dialog fits at 1920x1080, dark', async () => {
    const page = await session.openAt({ width: 1920, height: 1080 }, '#sp1/b/quadrants-32bit/1', 'dark');
    await page.getByTestId('handout-toggle').click();
    const box = (await page.getByTestId('handout-dialog').boundingBox())!;
    expect(box.x + box.width).toBeLessThanOrEqual(1920);
    expect(await page.getByTestId('handout-to').inputValue()).toBe('12');
    await screenshot(page, 'handout-dialog-1920-dark');
    expect(describeViolations(await seriousViolations(page))).toEqual([]);
  });
});
