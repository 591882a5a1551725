/**
 * The address ruler in a real headless Chromium: one height on every step
 * (accesses, CR3/CR0 loads, step 0, a step with no access after it), so the
 * tables never jump; no quadrant claimed for a PAE guest; hex with paging off;
 * nothing in it cut off.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { appSession, describeViolations, seriousViolations, waitForCounter } from './helpers.ts';

const { openAt } = appSession();

/** Where the ruler and the tables are, what the ruler says, and whether its text fits its box. */
const rulerState = (page: Page) =>
  page.evaluate(() => {
    const bar = document.querySelector<HTMLElement>('.ruler-bar')!;
    const fig = document.querySelector<HTMLElement>('[data-testid=gva-ruler]')!;
    const cap = fig.querySelector<HTMLElement>('figcaption');
    const wrap = document.querySelector('.canvas-wrap')!.getBoundingClientRect();
    return {
      barHeight: bar.getBoundingClientRect().height,
      tablesTop: wrap.top,
      which: fig.dataset.which ?? '',
      mode: fig.dataset.mode ?? '',
      text: (fig.textContent ?? '').replace(/\s+/g, ' ').trim(),
      quadrantMarks: fig.querySelectorAll('[data-quadrant]').length,
      values: [...fig.querySelectorAll('.ruler-value')].map((e) => e.textContent ?? ''),
      // The caption's text fits the box (it has one height, so it must not spill or be clipped).
      captionFits: !cap || (cap.scrollHeight <= fig.clientHeight + 1 && cap.getBoundingClientRect().bottom <= fig.getBoundingClientRect().bottom + 1),
    };
  });

/** Opens `id` at step 0 and reads the ruler on every step, stepping with the arrow key. */
async function everyStep(id: string, steps: number, theme: 'light' | 'dark' = 'light', size = { width: 1280, height: 720 }) {
  const page = await openAt(size, `#sp1/b/${id}/1/s=0`, theme);
  const out = [];
  for (let s = 0; s <= steps; s++) {
    if (s > 0) await page.keyboard.press('ArrowRight');
    await waitForCounter(page, `step ${s} / ${steps}`);
    out.push(await rulerState(page));
  }
  return { page, states: out };
}

describe('the address ruler', () => {
  it('keeps one height, and the tables their top, on every step of paging-off (reads, a CR3 load, CR0.PG set, step 0)', async () => {
    // Steps: read, read, cr3, cr0 (paging on: a 32-bit guest), read.
    const { states } = await everyStep('paging-off', 5);
    expect(new Set(states.map((s) => s.barHeight)).size).toBe(1);
    expect(new Set(states.map((s) => s.tablesTop)).size).toBe(1);
    expect(states.map((s) => s.which)).toEqual(['next', 'this', 'this', 'next', 'next', 'this']);
    expect(states.map((s) => s.mode)).toEqual(['off', 'off', 'off', 'x86-32', 'x86-32', 'x86-32']);
    for (const s of states.filter((x) => x.which === 'next')) expect(s.text).toMatch(/next access step 5: read of gva 0x00005000|next access step 1: read of gpa 0x00005000/);
    for (const s of states) expect(s.captionFits).toBe(true);
  });

  it('keeps that height on unsync-invlpg-sync (INVLPG, CR3) in dark theme at 1440x900, and on a step no access follows', async () => {
    const { states } = await everyStep('unsync-invlpg-sync', 9, 'dark', { width: 1440, height: 900 });
    expect(new Set(states.map((s) => s.barHeight)).size).toBe(1);
    expect(new Set(states.map((s) => s.tablesTop)).size).toBe(1);
    expect(states[5]!.text).toContain('step 5: INVLPG of gva 0x00005000');
    expect(states[8]!.which).toBe('next');
    for (const s of states) expect(s.captionFits).toBe(true);
    const height = states[0]!.barHeight;
    const top = states[0]!.tablesTop;
    // The 64-table sweep ends with a CR3 load: no access follows, the box stays.
    const end = await openAt({ width: 1440, height: 900 }, '#sp1/b/sweep-64-tables/1/s=73', 'dark');
    await waitForCounter(end, 'step 73 / 73');
    const last = await rulerState(end);
    expect(last.which).toBe('none');
    expect(last.text).toContain('No address');
    expect(last.barHeight).toBe(height);
    expect(last.tablesTop).toBe(top);
  });

  it('claims no quadrant for a PAE guest (8-byte gptes), on any step', async () => {
    const { states } = await everyStep('pae-nonpresent-pdpte', 5);
    for (const s of states) {
      expect(s.mode).toBe('pae');
      expect(s.quadrantMarks).toBe(0);
      expect(s.text).not.toMatch(/quadrant/);
      expect(s.captionFits).toBe(true);
    }
    // Step 2 reads through pae_root[1], which a non-present PDPTE left invalid.
    expect(states[2]!.text).toContain("pae_root[1] is invalid (the guest's PDPTE 1 is not present)");
  });

  it('shows a paging-off address as a gpa in hex, and marks the quadrants of a 32-bit guest', async () => {
    const page = await openAt({ width: 1280, height: 720 }, '#sp1/b/paging-off/1/s=2&r=merged');
    const off = await rulerState(page);
    expect(off.text).toContain('step 2: read of gpa 0x40000000');
    expect(off.text).not.toContain('1073741824');
    expect(off.values.length).toBeGreaterThan(0);
    for (const v of off.values) expect(v).toMatch(/^0x[0-9a-f]+$/);
    // merged counts paging off as 8-byte gptes: no quadrant.
    expect(off.quadrantMarks).toBe(0);
    await page.keyboard.press('End');
    await waitForCounter(page, 'step 5 / 5');
    const on = await rulerState(page);
    expect(on.mode).toBe('x86-32');
    expect(on.quadrantMarks).toBe(2);
    expect(on.text).toContain('root quadrant 0 (bits 31:30)');
    expect(on.text).toContain('page-table quadrant 0 (bit 21)');
  });

  it('writes a long-mode kernel address in full, 64 bits', async () => {
    const page = await openAt({ width: 1280, height: 720 }, '#sp1/b/long-mode-4-levels/1/s=4');
    const s = await rulerState(page);
    expect(s.text).toContain('write to gva 0xffff800000123450');
    expect(s.values[0]).toBe('0xffff');
    expect(s.captionFits).toBe(true);
  });

  for (const theme of ['light', 'dark'] as const) {
    it(`${theme} theme: the ruler of a long-mode, a paging-off and a next-access step has no serious or critical axe violations`, async () => {
      const found: Record<string, string[]> = {};
      for (const link of ['long-mode-4-levels/1/s=4', 'paging-off/1/s=2&r=seed', 'paging-off/1/s=3']) {
        const page = await openAt({ width: 1280, height: 720 }, `#sp1/b/${link}`, theme);
        await page.getByTestId('gva-ruler').waitFor();
        found[link] = describeViolations(await seriousViolations(page));
      }
      expect(found).toEqual({ 'long-mode-4-levels/1/s=4': [], 'paging-off/1/s=2&r=seed': [], 'paging-off/1/s=3': [] });
    });
  }
});
