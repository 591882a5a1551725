/**
 * Entry rows in a real browser: the row ink's column edges fall in the spaces
 * between the columns with the font the system has (measured glyph by
 * glyph), the pointer between two rows' texts finds the row there and its
 * tooltip (after a short rest; Esc hides it), and an exported SVG keeps the
 * rows' colours run by run and their titles.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { appSession, waitForCounter } from './helpers.ts';

const session = appSession();
const moving = appSession('full');

describe('entry rows', () => {
  // quadrants-32bit's values all have the card's width; long-mode-4-levels has cards with shorter values padded to it.
  for (const [path, counter, theme] of [
    ['#sp1/b/quadrants-32bit/1/s=12', 'step 12 / 12', 'light'],
    ['#sp1/b/quadrants-32bit/1/s=12', 'step 12 / 12', 'dark'],
    ['#sp1/b/long-mode-4-levels/1/s=5', 'step 5 / 5', 'light'],
  ] as const) {
    it(`colour their columns with the card's ink, its edges between the characters (${path}, ${theme})`, async () => {
      const page = await session.openAt({ width: 1440, height: 900 }, path, theme);
      await waitForCounter(page, counter);
      const rows = await page.evaluate(() =>
        [...document.querySelectorAll<SVGGElement>('[data-testid=guest-entry], [data-testid=spte]')].slice(0, 40).map((row) => {
          const text = row.querySelector<SVGTextElement>('.row-text')!;
          const card = row.closest<SVGGElement>('[role=listitem]')!;
          const id = /url\("?#([\w-]+)"?\)/.exec(getComputedStyle(text).fill)?.[1] ?? '';
          const g = document.getElementById(id) as SVGLinearGradientElement | null;
          // The value's column ends after the card's value width (the gradient's name: row-ink-<x>-<width>), padding included.
          const valueEnd = 5 + Number(id.split('-').pop());
          // The edges in the text's (the card's) units, and the spaces they must fall in.
          const space = (i: number) => [text.getStartPositionOfChar(i).x, text.getEndPositionOfChar(i).x];
          return {
            key: row.getAttribute('data-key'),
            card: card.getAttribute('data-key'),
            id,
            x1: g ? g.x1.baseVal.value : NaN,
            x2: g ? g.x2.baseVal.value : NaN,
            idxSpace: space(4),
            valueSpace: space(valueEnd),
            stops: g ? [...g.querySelectorAll('stop')].map((st) => getComputedStyle(st).stopColor) : [],
            padded: (text.textContent ?? '').charAt(valueEnd - 1) === ' ',
          };
        }),
      );
      expect(rows.length).toBeGreaterThan(path.includes('long-mode') ? 4 : 10);
      // Where values are padded, the edge is after the padding, not after the value's last digit.
      if (path.includes('long-mode')) expect(rows.some((r) => r.padded)).toBe(true);
      for (const r of rows) {
        expect(r.id, `${r.key}: its fill is a gradient of the page`).toMatch(/^row-ink-/);
        expect(r.x1, `${r.key}: the index's edge in the space after it`).toBeGreaterThan(r.idxSpace[0]!);
        expect(r.x1).toBeLessThan(r.idxSpace[1]!);
        expect(r.x2, `${r.key}: the value's edge in the space after it`).toBeGreaterThan(r.valueSpace[0]!);
        expect(r.x2).toBeLessThan(r.valueSpace[1]!);
        // Three colours: the index, the value, the flags and target.
        expect(new Set(r.stops).size, `${r.key}: ${r.stops.join(', ')}`).toBe(3);
      }
      await session.closeNow();
    });
  }

  it('under the pointer between two texts, and to the right of a short one, is the row there, with its tooltip', async () => {
    const page = await session.openAt({ width: 1440, height: 900 }, '#sp1/b/quadrants-32bit/1/s=2');
    await waitForCounter(page, 'step 2 / 12');
    // A row nothing marks (no background of its own).
    const index = await page.evaluate(() => [...document.querySelectorAll('[data-testid=guest-table][data-gfn="0x4"] [data-testid=guest-entry]')].find((r) => r.getAttribute('class') === 'row')?.getAttribute('data-index'));
    expect(index).toBeTruthy();
    const row = page.locator(`[data-testid=guest-table][data-gfn="0x4"] [data-testid=guest-entry][data-index="${index}"]`);
    const text = await row.locator('.row-text').boundingBox();
    const card = await page.locator('[data-testid=guest-table][data-gfn="0x4"]').boundingBox();
    expect(text && card).toBeTruthy();
    // Right of the text's end, just above its row's bottom: no text there, only the card.
    const x = Math.min(card!.x + card!.width - 6, text!.x + text!.width + 12);
    const y = text!.y + text!.height + 1;
    expect(await page.evaluate(([px, py]) => document.elementFromPoint(px!, py!)?.closest('[data-testid=guest-entry]') ?? null, [x, y])).toBeNull();
    await page.mouse.move(x, y);
    await page.getByTestId('row-tip').waitFor();
    expect(await page.getByTestId('row-tip').textContent()).toContain(`guest entry ${index} = `);
    expect(await row.getAttribute('class')).toContain('row-hover');
    // Shown after a short rest, as a browser's own tooltip.
    await page.waitForFunction(() => getComputedStyle(document.querySelector('[data-testid=row-tip]')!).opacity === '1');
    // A click there follows the entry (a leaf: selected, the rmap of the frame it maps shown).
    const target = (await row.getAttribute('aria-label'))!.match(/at gfn (0x[0-9a-f]+)/)![1];
    await page.mouse.click(x, y);
    expect(await page.getByTestId('rmap').textContent()).toContain(`rmap of gfn ${target}`);
    await page.mouse.move(2, 2);
    await page.getByTestId('row-tip').waitFor({ state: 'detached' });
    await session.closeNow();
  });

  it('show their tooltip after a short rest, as a browser does, and Esc hides it', async () => {
    const page = await moving.openAt({ width: 1440, height: 900 }, '#sp1/b/quadrants-32bit/1/s=2');
    await waitForCounter(page, 'step 2 / 12');
    await page.locator('[data-testid=guest-table][data-gfn="0x4"] [data-testid=guest-entry][data-index="515"] .row-text').hover();
    const tip = page.getByTestId('row-tip');
    await tip.waitFor();
    expect(await tip.evaluate((e) => getComputedStyle(e).opacity)).toBe('0');
    await page.waitForFunction(() => getComputedStyle(document.querySelector('[data-testid=row-tip]')!).opacity === '1');
    await page.keyboard.press('Escape');
    await tip.waitFor({ state: 'detached' });
    await moving.closeNow();
  });

  it('keep their colours (run by run, whatever font the viewer has) and tooltips in an exported SVG', async () => {
    const page = await session.openAt({ width: 1280, height: 720 }, '#sp1/b/quadrants-32bit/1/s=12');
    await waitForCounter(page, 'step 12 / 12');
    const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-svg').click()]);
    const file = readFileSync(await dl.path(), 'utf8');
    const got = await page.evaluate((t) => {
      const doc = new DOMParser().parseFromString(t, 'image/svg+xml');
      const fill = (e: Element) => /(?:^|;)fill:\s*([^;]+)/.exec(e.getAttribute('style') ?? '')?.[1]?.trim() ?? '';
      // A row's text: three runs (index, value, flags and target), each with its colour inline.
      const rows = [...doc.querySelectorAll('text')].filter((e) => e.querySelectorAll('tspan').length === 2 && /^\S*\s*\d+ 0x/.test(e.textContent ?? ''));
      return {
        rows: rows.length,
        colours: rows.map((e) => [fill(e.querySelector('tspan')!), fill(e), fill(e.querySelectorAll('tspan')[1]!)]),
        titles: [...doc.querySelectorAll('title')].filter((e) => /^spte \d+ = /.test(e.textContent ?? '')).length,
      };
    }, file);
    expect(got.rows).toBeGreaterThan(10);
    for (const [idx, value, tail] of got.colours) {
      expect(new Set([idx, value, tail]).size, `${idx} ${value} ${tail}`).toBe(3);
      for (const c of [idx, value, tail]) expect(c).toMatch(/^rgb/);
    }
    expect(got.titles).toBeGreaterThan(0);
    await session.closeNow();
  });
});
