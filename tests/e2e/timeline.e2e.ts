/**
 * The timeline at any length (issue 16): a long scenario, from a link or
 * imported in the editor, shows one strip of fixed height instead of a button
 * per step, so the footer keeps the default scenario's height at 1440x900; the
 * strip jumps where it is clicked, moves with the arrows (a slider), and is
 * axe-clean in both themes.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { LIBRARY } from '../../src/scenarios/library/index.ts';
import { DEFAULT_VIEW, encodePermalink } from '../../src/scenarios/permalink.ts';
import { appSession, describeViolations, seriousViolations, waitForCounter } from './helpers.ts';

const session = appSession();
const VIEW = { width: 1440, height: 900 };
const base = LIBRARY.find((e) => e.id === 'permission-faults')!.json as { steps: unknown[] };

/**
 * `n` steps: permission-faults' accesses (hits, shadow faults, guest faults)
 * every `every` steps, zap-all between them: the shortest step there is, so a
 * long run still fits in a link's 32,768 characters of JSON.
 */
function longScenario(n: number, every: number): unknown {
  const steps = Array.from({ length: n }, (_, i) => (i % every === 0 ? base.steps[(i / every) % base.steps.length] : { op: 'zap-all' }));
  return { ...base, title: `${n} steps`, description: 'A long run for the timeline.', steps };
}

const footerHeight = (page: Page) => page.locator('footer.timeline').evaluate((el) => el.getBoundingClientRect().height);
/** Elements under the footer: bounded whatever the step count. */
const footerNodes = (page: Page) => page.locator('footer.timeline').evaluate((el) => el.querySelectorAll('*').length);

async function defaultFooterHeight(): Promise<number> {
  const page = await session.openAt(VIEW);
  await waitForCounter(page, 'step 0 / 12');
  return footerHeight(page);
}

describe('the timeline of a long scenario', () => {
  it('a 1,700-step link: the footer keeps its height; a click on the strip jumps, the arrows move it', async () => {
    const normal = await defaultFooterHeight();
    const fragment = encodePermalink({ scenario: { kind: 'inline', json: longScenario(1700, 10) }, view: DEFAULT_VIEW });
    const page = await session.openAt(VIEW, `#${fragment}`);
    await waitForCounter(page, 'step 0 / 1700');
    expect(await page.getByTestId('step-marker').count()).toBe(0);
    expect(Math.abs((await footerHeight(page)) - normal)).toBeLessThanOrEqual(2);
    expect(await footerNodes(page)).toBeLessThan(60);
    const strip = page.getByTestId('step-strip');
    const box = (await strip.boundingBox())!;
    // A click three quarters along: the step there, within a column's width.
    await page.mouse.click(box.x + box.width * 0.75, box.y + box.height / 2);
    const at = Number(await strip.getAttribute('aria-valuenow'));
    expect(Math.abs(at - 0.75 * 1701)).toBeLessThanOrEqual(1701 / box.width + 1);
    await waitForCounter(page, `step ${at} / 1700`);
    // The strip has the focus now (a slider): the arrows move it by one step.
    await strip.focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowLeft');
    await waitForCounter(page, `step ${at + 1} / 1700`);
    expect(await strip.getAttribute('aria-valuenow')).toBe(String(at + 1));
    await page.keyboard.press('End');
    await waitForCounter(page, 'step 1700 / 1700');
  });

  it('a 2,000-step file imported in the editor: the strip, and the footer as for the default scenario', async () => {
    const normal = await defaultFooterHeight();
    const page = await session.openAt(VIEW);
    await page.getByTestId('edit-toggle').click();
    const text = JSON.stringify(longScenario(2000, 3), null, 2);
    await page.locator('[data-testid=editor] input[type=file]').setInputFiles({ name: 'long.json', mimeType: 'application/json', buffer: Buffer.from(text) });
    await waitForCounter(page, 'step 0 / 2000');
    expect(await page.getByTestId('step-marker').count()).toBe(0);
    expect(await page.getByTestId('step-strip').getAttribute('aria-valuemax')).toBe('2000');
    expect(Math.abs((await footerHeight(page)) - normal)).toBeLessThanOrEqual(2);
    expect(await footerNodes(page)).toBeLessThan(60);
  });

  for (const theme of ['light', 'dark'] as const) {
    it(`${theme} theme: a long timeline, hovered and moved, has no serious or critical axe violations`, async () => {
      const fragment = encodePermalink({ scenario: { kind: 'inline', json: longScenario(1700, 10) }, view: DEFAULT_VIEW });
      const page = await session.openAt(VIEW, `#${fragment}`, theme);
      await waitForCounter(page, 'step 0 / 1700');
      const strip = page.getByTestId('step-strip');
      const box = (await strip.boundingBox())!;
      await page.mouse.click(box.x + box.width * 0.3, box.y + box.height / 2);
      await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2);
      await page.getByTestId('strip-tip').waitFor();
      expect(describeViolations(await seriousViolations(page))).toEqual([]);
    });
  }
});
