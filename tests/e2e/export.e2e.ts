/**
 * Issue 18 item 5: the current view exported as PNG (2x) and SVG. The files
 * are checked as files: the PNG's signature and IHDR size (twice the scene's),
 * its pixels decoded in the page; the SVG parsed with DOMParser, holding the
 * cards' text; a dark page exports a dark picture. The editor's Download
 * trace saves the trace CLI's document (the golden trace of the scenario).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { appSession, waitForCounter } from './helpers.ts';
import { ROOT } from './serve.ts';

const session = appSession();

/** Clicks an export button and returns the downloaded file's name and bytes. */
async function download(page: Page, testId: 'export-png' | 'export-svg'): Promise<{ name: string; bytes: Buffer }> {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId(testId).click()]);
  const path = await dl.path();
  return { name: dl.suggestedFilename(), bytes: readFileSync(path) };
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Width and height from the PNG's IHDR chunk (right after the signature). */
function ihdr(png: Buffer): { width: number; height: number } {
  expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
  expect(png.toString('latin1', 12, 16)).toBe('IHDR');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

/** The SVG parsed in the page: no parse error, its size, its text, and the luminance (0..1) of its background fill. */
const parseSvg = (page: Page, text: string) =>
  page.evaluate((t) => {
    const doc = new DOMParser().parseFromString(t, 'image/svg+xml');
    const root = doc.documentElement;
    const bg = root.querySelector('rect')?.getAttribute('fill') ?? '';
    const m = /rgba?\((\d+), (\d+), (\d+)/.exec(bg);
    const lum = m ? (0.2126 * Number(m[1]) + 0.7152 * Number(m[2]) + 0.0722 * Number(m[3])) / 255 : -1;
    return {
      error: doc.querySelector('parsererror')?.textContent ?? null,
      name: root.localName,
      width: Number(root.getAttribute('width')),
      height: Number(root.getAttribute('height')),
      text: root.textContent ?? '',
      cards: root.querySelectorAll('svg svg > g rect').length,
      markers: root.querySelectorAll('marker').length,
      lum,
    };
  }, text);

/** The PNG decoded by the page (an <img> from a data: URL): its natural size and the mean luminance of its top-left corner. */
const decodePng = (page: Page, png: Buffer) =>
  page.evaluate(async (b64) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = 8;
    c.height = 8;
    const ctx = c.getContext('2d')!;
    ctx.drawImage(img, 0, 0, 8, 8, 0, 0, 8, 8);
    const d = ctx.getImageData(0, 0, 8, 8).data;
    let sum = 0;
    for (let i = 0; i < d.length; i += 4) sum += (0.2126 * d[i]! + 0.7152 * d[i + 1]! + 0.0722 * d[i + 2]!) / 255;
    return { width: img.naturalWidth, height: img.naturalHeight, cornerLum: sum / 64 };
  }, png.toString('base64'));

const OUT = `${ROOT}/.tmp/export`;

describe('export the current view', () => {
  for (const theme of ['light', 'dark'] as const) {
    it(`saves the whole scene as SVG and as a 2x PNG (${theme})`, async () => {
      // The default scenario's last step, in a window too small to show the whole scene.
      const page = await session.openAt({ width: 1280, height: 720 }, '#sp1/b/quadrants-32bit/1/s=12', theme);
      await waitForCounter(page, 'step 12 / 12');
      const drawnOnScreen = await page.getByTestId('shadow-page').count();

      const svgFile = await download(page, 'export-svg');
      expect(svgFile.name).toBe('quadrants-32bit-step-12.svg');
      const svg = await parseSvg(page, svgFile.bytes.toString('utf8'));
      expect(svg.error).toBeNull();
      expect(svg.name).toBe('svg');
      // The cards' text, the column headings and the title line.
      expect(svg.text).toContain('pae_root[0]');
      expect(svg.text).toContain('Shadow page tables');
      expect(svg.text).toContain('step 12 of 12');
      expect(svg.markers).toBeGreaterThan(0);
      // Every shadow page of the step, not only those drawn near the scroll window.
      const inFile = (svgFile.bytes.toString('utf8').match(/kvm_mmu_page \d+/g) ?? []).length;
      expect(inFile).toBeGreaterThanOrEqual(drawnOnScreen);
      if (theme === 'dark') expect(svg.lum).toBeLessThan(0.2);
      else expect(svg.lum).toBeGreaterThan(0.8);
      // No class or test hook travels with the file: its look is inline.
      expect(svgFile.bytes.toString('utf8')).not.toMatch(/class=|data-testid=/);

      const pngFile = await download(page, 'export-png');
      expect(pngFile.name).toBe('quadrants-32bit-step-12.png');
      const size = ihdr(pngFile.bytes);
      expect(size).toEqual({ width: svg.width * 2, height: svg.height * 2 });
      const decoded = await decodePng(page, pngFile.bytes);
      expect(decoded.width).toBe(size.width);
      expect(decoded.height).toBe(size.height);
      if (theme === 'dark') expect(decoded.cornerLum).toBeLessThan(0.2);
      else expect(decoded.cornerLum).toBeGreaterThan(0.8);
      expect(await page.getByTestId('export-msg').textContent()).toBe('Saved quadrants-32bit-step-12.png');

      // Kept for a look (not committed: .tmp/ is ignored).
      mkdirSync(OUT, { recursive: true });
      writeFileSync(`${OUT}/${theme}.png`, pngFile.bytes);
      writeFileSync(`${OUT}/${theme}.svg`, svgFile.bytes);
    });
  }

  it('exports every card of a scene larger than the window, and in the overview the overview', async () => {
    const page = await session.openAt({ width: 1280, height: 720 }, '#sp1/b/sweep-64-tables/1/s=73');
    await waitForCounter(page, 'step 73 / 73');
    // First the tables: the screen draws only the cards near the scroll window, the file has them all (64 PTs' pages and 4 roots).
    const drawn = await page.getByTestId('shadow-page').count();
    const tables = (await download(page, 'export-svg')).bytes.toString('utf8');
    // Written out in pieces (export/xml-text.ts), it is what one XMLSerializer call writes: it reads back to
    // the same text, and declares the SVG namespace on its root alone.
    const again = await page.evaluate((t) => new XMLSerializer().serializeToString(new DOMParser().parseFromString(t, 'image/svg+xml').documentElement), tables);
    expect(tables === `<?xml version="1.0" encoding="UTF-8"?>\n${again}\n`).toBe(true);
    expect(tables.match(/xmlns="http:\/\/www\.w3\.org\/2000\/svg"/g)).toHaveLength(1);
    const inFile = new Set(tables.match(/kvm_mmu_page \d+/g)).size;
    expect(drawn).toBeLessThan(inFile);
    expect(inFile).toBe(68);
    await page.keyboard.press('o');
    await page.getByTestId('overview').waitFor();
    const cards = await page.locator('[data-testid=overview] .ov-card').count();
    expect(cards).toBeGreaterThan(60);
    const f = await download(page, 'export-svg');
    expect(f.name).toBe('sweep-64-tables-step-73.svg');
    const text = f.bytes.toString('utf8');
    const svg = await parseSvg(page, text);
    expect(svg.error).toBeNull();
    expect(svg.text).toContain('Guest page tables (');
    // The overview's cards, not the tables' rows (which have no place in it).
    expect(await page.evaluate((t) => new DOMParser().parseFromString(t, 'image/svg+xml').querySelectorAll('svg svg g rect').length, text)).toBeGreaterThanOrEqual(cards);
    expect(text).not.toContain('not present');
    const png = await download(page, 'export-png');
    expect(ihdr(png.bytes)).toEqual({ width: svg.width * 2, height: svg.height * 2 });
    mkdirSync(OUT, { recursive: true });
    writeFileSync(`${OUT}/overview.png`, png.bytes);
  });

  it('names the file after the step shown', async () => {
    const page = await session.openAt({ width: 1280, height: 720 }, '#sp1/b/quadrants-32bit/1/s=3');
    await waitForCounter(page, 'step 3 / 12');
    const f = await download(page, 'export-svg');
    expect(f.name).toBe('quadrants-32bit-step-3.svg');
    expect((await parseSvg(page, f.bytes.toString('utf8'))).text).toContain('step 3 of 12');
  });
});

describe('Download trace (the editor)', () => {
  it('saves the trace CLI\'s document for the scenario and rule set on screen, byte for byte', async () => {
    // stale-child-uaf under merged-no-7: a rule set other than the default, and the golden file is the CLI's stdout.
    const page = await session.openAt({ width: 1280, height: 720 }, '#sp1/b/stale-child-uaf/1/s=4&r=merged-no-7');
    await page.getByTestId('edit-toggle').click();
    await page.getByTestId('editor').waitFor();
    const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download trace' }).click()]);
    expect(dl.suggestedFilename()).toMatch(/\.trace\.json$/);
    const golden = readFileSync(`${ROOT}/tests/golden/traces/builtin/stale-child-uaf.merged-no-7.json`, 'utf8');
    expect(readFileSync(await dl.path(), 'utf8')).toBe(golden);
  });
});
