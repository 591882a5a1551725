/**
 * The editor's input bounds in Chromium (issues 16 and 17): a file too big is
 * refused from its size, a file that is not UTF-8 is refused with the byte
 * offset, a document over the step limit (1,000,000) is refused with its
 * count, a file longer than the editor edits opens view-only and says so, and
 * a paste over the editor's length is refused whole: the textarea no longer
 * cuts it silently at 1,000,000 characters (its old maxLength). Every time
 * the text the user had stays as it was.
 */
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { appSession, counterText, screenshot } from './helpers.ts';

const session = appSession();

const openEditor = async (page: Page) => {
  await page.getByTestId('edit-toggle').click();
  await page.getByTestId('tab-json').click();
  return page.getByTestId('editor-text');
};
const importBytes = (page: Page, name: string, buffer: Buffer) =>
  page.locator('[data-testid=editor] input[type=file]').setInputFiles({ name, mimeType: 'application/json', buffer });
const refusal = (page: Page) => page.getByTestId('editor-refusal');

const stepsDoc = (n: number) =>
  JSON.stringify({ format: 'shadowpaging/v1', title: `${n} steps`, guest: { mode: 'off' }, steps: Array.from({ length: n }, () => ({ op: 'zap-all' })) }, null, 2);

describe('the editor refuses oversized or broken input and keeps the text it had', () => {
  it('a 210 MB file: refused by its size, naming the file, its size and the limit', async () => {
    const page = await session.openAt({ width: 1280, height: 720 });
    const area = await openEditor(page);
    const before = await area.inputValue();
    // A sparse file on disk, given by path: nothing is copied, and the app must not read it.
    const dir = mkdtempSync(join(tmpdir(), 'sp-huge-'));
    const file = join(dir, 'lecture-huge.json');
    writeFileSync(file, '');
    truncateSync(file, 210_000_000);
    await page.locator('[data-testid=editor] input[type=file]').setInputFiles(file);
    await expect.poll(() => refusal(page).textContent(), { timeout: 10_000 }).toContain('lecture-huge.json was not imported: it is 210.0 MB (210,000,000 bytes); scenario files are at most 201.3 MB (201,326,592 bytes)');
    rmSync(dir, { recursive: true, force: true });
    expect(await area.inputValue()).toBe(before);
    await screenshot(page, 'editor-refused-size-1280');
  });

  it('a Latin-1 file: refused as not UTF-8, with the byte offset', async () => {
    const page = await session.openAt({ width: 1440, height: 900 }, '', 'dark');
    const area = await openEditor(page);
    const before = await area.inputValue();
    const head = Buffer.from('{ "format": "shadowpaging/v1", "title": "caf');
    await importBytes(page, 'latin1.json', Buffer.concat([head, Buffer.from([0xe9]), Buffer.from('" }')]));
    await expect.poll(() => refusal(page).textContent(), { timeout: 10_000 }).toContain(`latin1.json was not imported: it is not valid UTF-8 text at byte offset ${head.length} (counted from 0; the byte there is 0xe9)`);
    expect(await area.inputValue()).toBe(before);
    await screenshot(page, 'editor-refused-utf8-1440-dark');
  });

  it('a 1,000,001-step file: refused with its step count; the text and the scenario on screen stay', async () => {
    const page = await session.openAt({ width: 1440, height: 900 });
    await page.getByTestId('edit-toggle').click();
    const area = page.getByTestId('editor-text');
    const before = await area.inputValue();
    await importBytes(page, 'long.json', Buffer.from(JSON.stringify({ format: 'shadowpaging/v1', title: 'too long', guest: { mode: 'off' }, steps: new Array(1_000_001).fill(0) })));
    await expect.poll(() => refusal(page).textContent(), { timeout: 10_000 }).toContain('long.json has 1,000,001 steps; the app opens at most 1,000,000');
    expect(await area.inputValue()).toBe(before);
    expect(await counterText(page)).toContain('/ 12');
    await screenshot(page, 'editor-refused-steps-1440');
  });

  it('a 30,000-step file longer than the editor edits: it opens and runs, view-only, and the editor says so', { timeout: 120_000 }, async () => {
    const page = await session.openAt({ width: 1440, height: 900 });
    await page.getByTestId('edit-toggle').click();
    const doc = stepsDoc(30_000);
    expect(doc.length).toBeGreaterThan(1_000_000);
    await importBytes(page, 'lecture-long.json', Buffer.from(doc));
    await expect.poll(() => counterText(page), { timeout: 60_000 }).toContain('/ 30000');
    const note = page.getByTestId('editor-view-only');
    expect(await note.textContent()).toContain(`This document is ${doc.length.toLocaleString('en-US')} characters, more than the editor edits (1,000,000): it runs in the app as it is, but it cannot be changed here or kept in this browser.`);
    expect(await page.getByTestId('editor-text').isHidden()).toBe(true);
    await page.getByTestId('step-last').click();
    await expect.poll(() => counterText(page), { timeout: 10_000 }).toContain('30000 / 30000');
    await screenshot(page, 'editor-view-only-1440');
  });

  it('a real paste of 1,200,000 characters: refused whole, not cut at 1,000,000; a small paste still goes in', async () => {
    const page = await session.openAt({ width: 1280, height: 720 }, '', 'light', { permissions: ['clipboard-read', 'clipboard-write'] });
    const area = await openEditor(page);
    const before = await area.inputValue();
    expect(await area.getAttribute('maxlength')).toBeNull();
    await page.evaluate((n) => navigator.clipboard.writeText('x'.repeat(n)), 1_200_000);
    await area.focus();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.press('ControlOrMeta+V');
    await expect.poll(() => refusal(page).textContent(), { timeout: 10_000 }).toContain('With that paste (1,200,000 characters), the text is 1,200,000 characters; the editor holds at most 1,000,000');
    expect(await area.inputValue()).toBe(before);
    await screenshot(page, 'editor-refused-paste-1280');
    const doc = stepsDoc(3);
    await page.evaluate((t) => navigator.clipboard.writeText(t), doc);
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.press('ControlOrMeta+V');
    await expect.poll(() => area.inputValue(), { timeout: 10_000 }).toBe(doc);
    expect(await refusal(page).count()).toBe(0);
  });
});
