/**
 * The editor's form as a teacher uses it (issue 16), in Chromium at 1280x720
 * (the side panel as the app gives it there, 22.5rem):
 *
 * - the task (a 32-bit scenario mapping 0xC0000000 -> 0x123000 and
 *   0x00400000 -> 0x200000, two reads and a write), from the app as it opens,
 *   takes at most 12 actions, counted here: each click and each field filled
 *   is one, from Edit, New and the template's pick to the last step;
 * - every control of the form (button, input, select, textarea) lies inside
 *   the editor panel, with mappings, a frame, a write step and control-register
 *   steps present;
 * - a write step's gva and value boxes each show a whole 32-bit value
 *   (they used to share one line and show 7 of its 10 characters);
 * - no serious or critical axe violations in the form, light and dark.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { EDITOR_TEMPLATES } from '../../src/ui/editor-templates.ts';
import { appSession, describeViolations, screenshot, seriousViolations, waitForCounter } from './helpers.ts';

const session = appSession();

/** The editor open on the Form tab with `doc` in it. */
async function editorWith(page: Page, doc: object): Promise<void> {
  await page.getByTestId('edit-toggle').click();
  await page.getByTestId('tab-json').click();
  await page.getByTestId('editor-text').fill(JSON.stringify(doc, null, 2));
  await page.getByTestId('tab-form').click();
  await page.getByTestId('scenario-form').waitFor();
}

/** Controls of the form whose box is not inside the editor panel's box (with half a pixel of rounding). */
async function outsideThePanel(page: Page): Promise<string[]> {
  return page.getByTestId('editor').evaluate((panel) => {
    const p = panel.getBoundingClientRect();
    const form = panel.querySelector('[data-testid=scenario-form]');
    if (!form) return ['no form'];
    const out: string[] = [];
    for (const el of form.querySelectorAll<HTMLElement>('button, input, select, textarea')) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue; // not rendered (none are expected)
      if (r.left < p.left - 0.5 || r.right > p.right + 0.5 || r.top < p.top - 0.5 || r.bottom > p.bottom + 0.5) {
        out.push(`${el.tagName.toLowerCase()} "${el.getAttribute('aria-label') ?? el.textContent ?? ''}" at x ${Math.round(r.left)}-${Math.round(r.right)} (panel ${Math.round(p.left)}-${Math.round(p.right)})`);
      }
    }
    return out;
  });
}

const template = EDITOR_TEMPLATES.find((t) => t.id === 'empty-32')!;

describe('the editor form at 1280x720', () => {
  it('the issue\'s task in at most 12 actions, from the 32-bit template: it goes on screen as typed', async () => {
    const page = await session.openAt({ width: 1280, height: 720 });
    let actions = 0;
    const fill = async (label: string, value: string) => {
      await page.getByLabel(label, { exact: true }).fill(value);
      actions++;
    };
    const click = async (label: string) => {
      await page.getByLabel(label, { exact: true }).click();
      actions++;
    };
    const clickId = async (testId: string) => {
      await page.getByTestId(testId).click();
      actions++;
    };
    await clickId('edit-toggle');
    await clickId('editor-new');
    await clickId(`new-${template.id}`);
    await fill('Title', 'Two mappings');
    await fill('new mapping gva', '0xC0000000');
    await fill('mapping 1 gpa', '0x123000');
    await fill('new mapping gva', '0x00400000');
    await fill('mapping 2 gpa', '0x200000');
    await click("Add a read of mapping 1's gva");
    await click("Add a read of mapping 2's gva");
    await click("Add a write to mapping 1's gva");
    expect(actions).toBeLessThanOrEqual(12);
    // The document is valid as it stands and is on screen (the editor loads a valid one as you type).
    await expect.poll(() => page.getByTestId('editor-status').textContent(), { timeout: 5_000 }).toContain('Valid: "Two mappings", 3 steps');
    await waitForCounter(page, 'step 0 / 3');
    const doc = JSON.parse(await page.getByTestId('editor-text').inputValue()) as Record<string, unknown>;
    expect(doc.mappings).toEqual([
      { gva: '0xC0000000', gpa: '0x123000', flags: 'rw' },
      { gva: '0x00400000', gpa: '0x200000', flags: 'rw' },
    ]);
    expect(doc.steps).toEqual([
      { op: 'read', gva: '0xC0000000' },
      { op: 'read', gva: '0x00400000' },
      { op: 'write', gva: '0xC0000000' },
    ]);
    expect('description' in doc).toBe(false);
    await screenshot(page, 'editor-form-task-1280');
  });

  it('every control of the form is inside the panel, with mappings, a frame, a write, a host-write and control-register steps; a write\'s boxes show whole values', async () => {
    const page = await session.openAt({ width: 1280, height: 720 });
    await editorWith(page, {
      ...template.doc(),
      title: 'Two mappings',
      description: 'Reads and a write through two mappings.',
      memory: [{ gpa: '0x300000', entries: { '0': '0x5007' } }],
      mappings: [
        { gva: '0xC0000000', gpa: '0x123000', flags: 'rw' },
        { gva: '0x00400000', gpa: '0x200000', flags: 'rwu', dirty: true },
      ],
      steps: [
        { op: 'read', gva: '0xC0000000' },
        { op: 'write', gva: '0xC0000ffc', value: '0xdeadbeef' },
        { op: 'host-write', gpa: '0x123000', value: '0x12345007' },
        { op: 'cr3', value: '0x1000' },
        { op: 'cr4', smep: true },
        { op: 'cr0', wp: false },
      ],
    });
    // The panel is as the app gives it at 1280 px (not some wider test layout).
    const panel = (await page.getByTestId('editor').boundingBox())!;
    expect(panel.width).toBeLessThan(400);
    expect(await page.getByTestId('mapping-row').count()).toBe(2);
    expect(await page.getByTestId('frame-row').count()).toBe(1);
    expect(await outsideThePanel(page)).toEqual([]);
    // Each value box of the write (and the host-write) shows its whole value: nothing scrolled out of sight.
    for (const name of ['step 2 gva', 'step 2 value', 'step 3 gpa', 'step 3 value', 'mapping 1 gva', 'mapping 1 gpa']) {
      const box = page.getByLabel(name, { exact: true });
      const { scroll, client } = await box.evaluate((el) => ({ scroll: el.scrollWidth, client: el.clientWidth }));
      expect(scroll, `${name} is cut (${scroll} px of text in ${client} px)`).toBeLessThanOrEqual(client);
    }
    // The labels stay once the boxes are filled.
    for (const name of ['step 2 gva', 'step 2 value', 'mapping 2 gpa']) {
      const label = page.getByLabel(name, { exact: true }).locator('xpath=ancestor::label[1]/span');
      expect(await label.isVisible(), name).toBe(true);
    }
    // Deleting the frame and a mapping with their own buttons, inside the panel.
    await page.getByLabel('Delete frame 1', { exact: true }).click();
    await page.getByLabel('Delete mapping 2', { exact: true }).click();
    expect(await page.getByTestId('frame-row').count()).toBe(0);
    expect(await page.getByTestId('mapping-row').count()).toBe(1);
    // A new read step: the focus is in its gva box, which is inside the panel too.
    await page.getByRole('button', { name: 'Add read', exact: true }).click();
    expect(await page.getByLabel('step 7 gva', { exact: true }).evaluate((el) => el === document.activeElement)).toBe(true);
    expect(await outsideThePanel(page)).toEqual([]);
    await page.getByTestId('step-list').scrollIntoViewIfNeeded();
    await screenshot(page, 'editor-form-controls-1280');
  });

  for (const theme of ['light', 'dark'] as const) {
    it(`${theme} theme: the form with mappings and steps has no serious or critical axe violations`, async () => {
      const page = await session.openAt({ width: 1280, height: 720 }, '', theme);
      await editorWith(page, {
        ...template.doc(),
        mappings: [{ gva: '0xC0000000', gpa: '0x123000', flags: 'rw' }],
        memory: [{ gpa: '0x300000', entries: { '0': '0x5007' } }],
        steps: [
          { op: 'read', gva: '0xC0000000' },
          { op: 'write', gva: '0xC0000000', value: '0x1' },
        ],
      });
      expect(describeViolations(await seriousViolations(page))).toEqual([]);
    });
  }
});
