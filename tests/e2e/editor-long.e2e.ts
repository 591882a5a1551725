/**
 * The editor on a long scenario (issue 16): a 2,000-step file imported in the
 * editor at 1440x900 draws a bounded number of step rows; scrolled to the end,
 * the last step is there and can be edited.
 */
import { describe, expect, it } from 'vitest';
import { LIBRARY } from '../../src/scenarios/library/index.ts';
import { appSession, describeViolations, seriousViolations, waitForCounter } from './helpers.ts';

const session = appSession();
const base = LIBRARY.find((e) => e.id === 'permission-faults')!.json as { steps: unknown[] };

describe('the editor on a long scenario', () => {
  it('a 2,000-step file: a bounded step list, scrolled to the end, the last step edited', async () => {
    const page = await session.openAt({ width: 1440, height: 900 });
    await page.getByTestId('edit-toggle').click();
    const steps = Array.from({ length: 2000 }, (_, i) => (i === 1999 ? { op: 'read', gva: '0x5000' } : base.steps[i % base.steps.length]));
    const text = JSON.stringify({ ...base, title: '2000 steps', steps }, null, 2);
    await page.locator('[data-testid=editor] input[type=file]').setInputFiles({ name: 'long.json', mimeType: 'application/json', buffer: Buffer.from(text) });
    await waitForCounter(page, 'step 0 / 2000');
    const rows = page.getByTestId('step-row');
    expect(await rows.count()).toBeLessThan(60);
    expect(await page.getByLabel('step 2000 gva').count()).toBe(0);
    const list = page.getByTestId('step-list');
    await list.evaluate((el) => {
      el.scrollTop = el.scrollHeight;
    });
    const last = page.getByLabel('step 2000 gva');
    await last.waitFor();
    expect(await rows.count()).toBeLessThan(60);
    expect(await last.inputValue()).toBe('0x5000');
    // The last row is inside the list's box (not cut off below it).
    const [row, box] = [(await last.boundingBox())!, (await list.boundingBox())!];
    expect(row.y + row.height).toBeLessThanOrEqual(box.y + box.height + 1);
    await last.fill('0x7000');
    await page.waitForFunction(() => (document.querySelector<HTMLTextAreaElement>('[data-testid=editor-text]')?.value ?? '').includes('"gva": "0x7000"\n    }\n  ]'));
    // The focus stays in the row being edited.
    expect(await last.evaluate((el) => el === document.activeElement)).toBe(true);
    await page.getByTestId('tab-json').click();
    // The check of the edited text may still be running ("Checking the scenario…") on a slow machine: wait for its answer.
    await expect.poll(() => page.getByTestId('editor-status').textContent()).toContain('2000 steps');
  });

  for (const theme of ['light', 'dark'] as const) {
    it(`${theme} theme: the windowed step list, scrolled, has no serious or critical axe violations`, async () => {
      const page = await session.openAt({ width: 1280, height: 720 }, '', theme);
      await page.getByTestId('edit-toggle').click();
      const list = page.getByTestId('step-list');
      await list.evaluate((el) => {
        el.scrollTop = el.scrollHeight;
      });
      await page.getByLabel('step 12 operation').waitFor();
      expect(describeViolations(await seriousViolations(page))).toEqual([]);
    });
  }
});
