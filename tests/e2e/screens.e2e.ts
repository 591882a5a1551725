/**
 * The layout on real screens (issue 14): at 1280x720, 1366x768, 1440x900,
 * 1920x1080 and in an 800x500 embed the four PAE roots and the two shadow
 * PTs of guest PT 0x4 are wholly on screen and on top, and no visible text
 * is under 11 px; no text spills past its card in any built-in scenario;
 * presenting mode; a 1280x720 window at 150% browser zoom; the embed at
 * 800x500 and 640x400 without page scroll bars. Also: the Embed dialog
 * inside the window, and the scale at load the same as after a step.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { CLASSROOM_SIZES } from './serve.ts';
import { appSession, cardsOnTop, counterText, openInFrame, scrollSettled, smallText, type Target, waitForCounter } from './helpers.ts';
import { LIBRARY } from '../../src/scenarios/library/index.ts';

// Full motion: what is on screen as users see it by default (helpers.ts Motion).
const session = appSession('full');

/** The default scenario's permalink at `step` (`extra`: more view settings, e.g. `&p=1`). */
const link = (step: number, extra = '') => `#sp1/b/quadrants-32bit/1/s=${step}${extra}`;

const ROOT_CARDS = [0, 1, 2, 3].map((i) => `[data-testid=shadow-page][data-root-slot="${i}"]`);
/** The two shadow PTs (quadrants 0 and 1) of the guest page table at gfn 0x4. */
const GFN4_PTS = '[data-testid=shadow-page][data-gfn="0x4"][data-root-slot=""]';

/**
 * The guest entries step 2's walk read (its read of gva 0xc0603123): PDE 769
 * of the guest PD and PTE 515 of guest PT 0x4, whose quadrant the step is about.
 */
const STEP2_WALK = ['[data-testid=guest-table][data-gfn="0x1"] [data-testid=guest-entry][data-index="769"]', '[data-testid=guest-table][data-gfn="0x4"] [data-testid=guest-entry][data-index="515"]'];

/**
 * The step's six key cards (the four roots, the two shadow PTs of gfn 0x4),
 * and at step 2 the guest entries its walk read, wholly in the window and on
 * top, and no visible text under 11 px: the problems, each prefixed with `where`.
 */
async function screenProblems(t: Target, where: string, step2 = false): Promise<string[]> {
  const { problems, counts } = await cardsOnTop(t, [...ROOT_CARDS, GFN4_PTS, ...(step2 ? STEP2_WALK : [])]);
  const out = problems.map((p) => `${where}: ${p}`);
  const want = step2 ? '1,1,1,1,2,1,1' : '1,1,1,1,2';
  if (counts.join(',') !== want) out.push(`${where}: expected one card per root slot, two shadow PTs of gfn 0x4${step2 ? ' and the two guest entries the walk read' : ''}, found ${counts.join(',')}`);
  for (const s of await smallText(t, 11)) out.push(`${where}: text under 11 px: ${s}`);
  return out;
}

/** Blurs whatever has the focus (a <select> would take End and the arrows itself). */
const blur = (t: Target) => t.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());

/** Presses End and waits until the counter (and the side panel) show the last step. */
async function toLastStep(page: Page): Promise<string> {
  await blur(page);
  await page.keyboard.press('End');
  await page.waitForFunction(() => {
    const m = /^step (\d+) \/ (\d+)$/.exec((document.querySelector('[data-testid=step-counter]')?.textContent ?? '').replace(/\s+/g, ' ').trim());
    return !!m && m[1] === m[2] && document.querySelector<HTMLElement>('aside.side')?.dataset.step === m[1];
  });
  return counterText(page);
}

describe('the key cards on screen, no text under 11 px', () => {
  for (const [width, height] of CLASSROOM_SIZES) {
    it(`${width}x${height}: at steps 2 and 12 the four roots and the two shadow PTs of gfn 0x4 (at step 2 also the guest entries its walk read) are wholly on screen and on top`, async () => {
      const page = await session.openAt({ width, height }, link(2));
      await waitForCounter(page, 'step 2 / 12');
      const problems = await screenProblems(page, `${width}x${height} step 2`, true);
      for (let i = 0; i < 10; i++) await page.keyboard.press('ArrowRight');
      await waitForCounter(page, 'step 12 / 12');
      problems.push(...(await screenProblems(page, `${width}x${height} step 12`)));
      expect(problems).toEqual([]);
    });
  }

  it('an 800x500 <iframe> embed in a course page: the same, inside the frame, and the frame wholly in the host window', async () => {
    const { page, context, errors, frame } = await openInFrame(session.browser(), { width: 1280, height: 720 }, { width: 800, height: 500 }, link(2), 'light', session.motion);
    try {
      const problems: string[] = [];
      expect(await frame.evaluate(() => [window.innerWidth, window.innerHeight])).toEqual([800, 500]);
      const box = await page.locator('iframe#app').boundingBox();
      const win = await page.evaluate(() => [window.innerWidth, window.innerHeight]);
      if (!box || box.x < 0 || box.y < 0 || box.x + box.width > win[0]! || box.y + box.height > win[1]!) problems.push(`iframe box ${JSON.stringify(box)} not wholly inside the host window ${win.join('x')}`);
      await waitForCounter(frame, 'step 2 / 12');
      problems.push(...(await screenProblems(frame, '800x500 iframe embed step 2', true)));
      for (let n = 3; n <= 12; n++) {
        await frame.getByTestId('step-forward').click();
        await waitForCounter(frame, `step ${n} / 12`);
      }
      problems.push(...(await screenProblems(frame, '800x500 iframe embed step 12')));
      expect(problems).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

/**
 * Every card drawn while the tables scroll from top to bottom (only what is
 * near the scroll window is drawn): each <text> of a shadow page or guest
 * table must end inside its card (getBBox in card coordinates against the
 * card rect's width, 1 px of slack). Returns the problems and the number of
 * cards checked.
 */
function textSpills(page: Page, where: string): Promise<{ problems: string[]; cards: number }> {
  return page.evaluate(async (label) => {
    const frame = () => new Promise<void>((r) => requestAnimationFrame(() => r()));
    const problems: string[] = [];
    const seen = new Set<string>();
    const wrap = document.querySelector<HTMLElement>('.canvas-wrap');
    if (!wrap) return { problems: [`${label}: no .canvas-wrap`], cards: 0 };
    const check = () => {
      for (const g of document.querySelectorAll<SVGGElement>('g[data-testid=shadow-page], g[data-testid=guest-table]')) {
        const key = g.getAttribute('data-key') ?? '';
        if (seen.has(key)) continue;
        seen.add(key);
        const rect = g.querySelector<SVGRectElement>('rect.card');
        if (!rect) {
          problems.push(`${label} ${key}: no rect.card`);
          continue;
        }
        const w = Number(rect.getAttribute('width'));
        for (const t of g.querySelectorAll<SVGTextElement>('text')) {
          const b = t.getBBox();
          if (b.width === 0) continue;
          if (b.x + b.width > w + 1 || b.x < -1) problems.push(`${label} ${key}: "${(t.textContent ?? '').trim()}" spans x ${b.x.toFixed(1)}..${(b.x + b.width).toFixed(1)}, the card is ${w} wide`);
        }
      }
    };
    const stepBy = Math.max(100, wrap.clientHeight * 0.8);
    for (let top = 0; ; top += stepBy) {
      wrap.scrollTop = top;
      for (let i = 0; i < 3; i++) await frame();
      await new Promise((r) => setTimeout(r, 0));
      check();
      if (top >= wrap.scrollHeight - wrap.clientHeight) break;
    }
    wrap.scrollTop = 0;
    return { problems, cards: seen.size };
  }, where);
}

describe('no text spills past its card', () => {
  for (const [width, height] of [
    [1920, 1080],
    [1280, 720],
  ] as const) {
    it(`${width}x${height}: every built-in scenario at its last step`, async () => {
      // Reduced motion: the text of each scenario's end state, which no animation changes.
      const page = await session.openAt({ width, height }, '', 'light', { motion: 'reduce' });
      const problems: string[] = [];
      const checked: string[] = [];
      for (const { id } of LIBRARY) {
        await page.getByTestId('scenario-picker').selectOption(id);
        expect(await page.getByTestId('scenario-picker').inputValue()).toBe(id);
        const at = await toLastStep(page);
        const r = await textSpills(page, `${width}x${height} ${id} (${at})`);
        problems.push(...r.problems);
        checked.push(`${id}: ${r.cards > 0 ? 'cards' : 'no cards'}`);
      }
      // Every scenario drew cards (paging-off too: its direct pages).
      expect(checked.filter((c) => c.endsWith('no cards'))).toEqual([]);
      expect(problems).toEqual([]);
    });
  }
});

describe('presenting mode at 1280x720', () => {
  const captionText = (page: Page) => page.getByTestId('caption').evaluate((el) => (el.textContent ?? '').replace(/\s+/g, ' ').trim());

  it('P turns it on: a large caption on top that tells each step; Escape leaves it', async () => {
    const page = await session.openAt({ width: 1280, height: 720 });
    expect(await page.getByTestId('caption').count()).toBe(0);
    await page.keyboard.press('p');
    const caption = page.getByTestId('caption');
    await caption.waitFor({ state: 'visible' });
    expect(await page.locator('header.topbar').count()).toBe(0);
    expect(await caption.evaluate((el) => parseFloat(getComputedStyle(el).fontSize))).toBeGreaterThanOrEqual(20);
    // On top: above the tables.
    const [capBottom, canvasTop] = await page.evaluate(() => [document.querySelector('[data-testid=caption]')!.getBoundingClientRect().bottom, document.querySelector('.canvas-wrap')!.getBoundingClientRect().top]);
    expect(capBottom).toBeLessThanOrEqual(canvasTop! + 1);
    await waitForCounter(page, 'step 0 / 12');
    let before = await captionText(page);
    expect(before).toMatch(/^0\/12 \S/);
    for (let n = 1; n <= 12; n++) {
      await page.keyboard.press('ArrowRight');
      await waitForCounter(page, `step ${n} / 12`);
      const now = await captionText(page);
      expect(now).not.toBe(before);
      expect(now.startsWith(`${n}/12 `)).toBe(true);
      // The caption is this step's: the brief form of the side panel's (hidden here), which starts with the same sentence.
      const sentence = now.slice(`${n}/12 `.length);
      expect(sentence.length).toBeGreaterThan(10);
      const did = await page.locator('[data-testid=side-caption] .caption-did').evaluate((el) => (el.textContent ?? '').replace(/\s+/g, ' ').trim());
      expect(sentence.startsWith(did)).toBe(true);
      before = now;
    }
    // The step's cards stand out, the others are dimmed.
    const idle = await page.$$eval('.card-idle', (els) => els.map((e) => Number(getComputedStyle(e).opacity)));
    expect(idle.length).toBeGreaterThan(0);
    for (const o of idle) expect(o).toBeLessThan(0.6);
    await page.keyboard.press('Escape');
    await caption.waitFor({ state: 'detached' });
    await page.locator('header.topbar').waitFor({ state: 'visible' });
    expect(await page.evaluate(() => getComputedStyle(document.documentElement).fontSize)).toBe('16px');
    expect(await page.$$eval('.card-idle', (els) => els.filter((e) => Number(getComputedStyle(e).opacity) < 1).length)).toBe(0);
    await waitForCounter(page, 'step 12 / 12');
  });

  it("follows every step's story at one scale: the rows it read and set and the pages it made are wholly in the tables' window", async () => {
    for (const [id, steps] of [['quadrants-32bit', 12], ['pd-write-flooding', 7]] as const) {
      const page = await session.openAt({ width: 1280, height: 720 }, `#sp1/b/${id}/1/p=1`);
      await waitForCounter(page, `step 0 / ${steps}`);
      // The scale is learnt from every step while the page is idle after the load (as the fit to the widest step is).
      const scaleNow = () => page.evaluate(() => { const svg = document.querySelector<SVGSVGElement>('[data-testid=canvas]')!; return (svg.getBoundingClientRect().width / svg.viewBox.baseVal.width).toFixed(3); });
      for (let last = '', same = 0; same < 3; ) {
        await page.waitForTimeout(250);
        const now = await scaleNow();
        same = now === last ? same + 1 : 0;
        last = now;
      }
      const scales = new Set<string>();
      for (let n = 1; n <= steps; n++) {
        await page.keyboard.press('ArrowRight');
        await waitForCounter(page, `step ${n} / ${steps}`);
        await scrollSettled(page);
        const out = await page.evaluate(() => {
          const wrap = document.querySelector('.canvas-wrap')!.getBoundingClientRect();
          const heads = document.querySelector('.col-heads')!.getBoundingClientRect().bottom;
          const top = Math.max(wrap.top, heads) - 1;
          const bottom = wrap.bottom + 1;
          const lit = [...document.querySelectorAll<SVGGraphicsElement>('.row-walked .row-bg, .row-set .row-bg, .row-hw .row-bg, .card-new')];
          return {
            lit: lit.length,
            outside: lit.filter((e) => { const r = e.getBoundingClientRect(); return r.top < top || r.bottom > bottom; }).map((e) => e.closest('[data-key]')?.getAttribute('data-key') ?? '?'),
          };
        });
        scales.add(await scaleNow());
        expect({ step: n, outside: out.outside }, `${id} step ${n}`).toEqual({ step: n, outside: [] });
      }
      // One scale for every step: the picture does not jump as the steps go by.
      expect([...scales], id).toHaveLength(1);
      await session.closeNow();
    }
  });

  it('the Present button turns it on, and a link with p=1 opens in it', async () => {
    const page = await session.openAt({ width: 1280, height: 720 });
    await page.getByTestId('present-toggle').click();
    await page.getByTestId('caption').waitFor({ state: 'visible' });
    await session.closeNow();
    const linked = await session.openAt({ width: 1280, height: 720 }, link(2, '&p=1'));
    await waitForCounter(linked, 'step 2 / 12');
    await linked.getByTestId('caption').waitFor({ state: 'visible' });
    expect(await linked.getByTestId('caption').evaluate((el) => parseFloat(getComputedStyle(el).fontSize))).toBeGreaterThanOrEqual(20);
    expect(await linked.locator('header.topbar').count()).toBe(0);
    expect(await linked.evaluate(() => getComputedStyle(document.documentElement).fontSize)).toBe('20px');
    // The key cards fit in presenting mode too.
    const { problems, counts } = await cardsOnTop(linked, [...ROOT_CARDS, GFN4_PTS]);
    expect({ problems, counts }).toEqual({ problems: [], counts: [1, 1, 1, 1, 2] });
  });
});

/** Controls wholly inside the window: one line per control that is not (empty: all inside). */
function controlsOutside(page: Page, selector: string): Promise<string[]> {
  return page.evaluate((sel) => {
    const W = window.innerWidth;
    const H = window.innerHeight;
    const out: string[] = [];
    const els = [...document.querySelectorAll<HTMLElement>(sel)].filter((e) => e.getClientRects().length > 0);
    if (!els.length) return [`no ${sel}`];
    for (const e of els) {
      const r = e.getBoundingClientRect();
      if (r.left < -0.5 || r.top < -0.5 || r.right > W + 0.5 || r.bottom > H + 0.5) {
        const name = e.getAttribute('aria-label') ?? e.getAttribute('data-testid') ?? (e.textContent ?? '').trim();
        out.push(`<${e.tagName.toLowerCase()}> "${name}" at [${r.left.toFixed(0)}, ${r.top.toFixed(0)}, ${r.right.toFixed(0)}, ${r.bottom.toFixed(0)}] not inside ${W}x${H}`);
      }
    }
    return out;
  }, selector);
}

describe('a 1280x720 window at 150% browser zoom (853x480 CSS px)', () => {
  it('every control of the top bar and the step controls is reachable without scrolling across', async () => {
    const page = await session.openAt({ width: 853, height: 480 }, '', 'light', { deviceScaleFactor: 1.5 });
    expect(await page.evaluate(() => [window.innerWidth, window.innerHeight, window.devicePixelRatio])).toEqual([853, 480, 1.5]);
    const topbar = await controlsOutside(page, 'header.topbar button, header.topbar select, header.topbar a');
    const pageScrollsAcross = await page.evaluate(() => (document.documentElement.scrollWidth > window.innerWidth ? `the page is ${document.documentElement.scrollWidth} px wide in a ${window.innerWidth} px window` : false));
    // A short window scrolls the page down (src/index.css, max-height: 620px) but never across:
    // each step control, scrolled into view vertically, is then wholly in the window.
    const steps: string[] = [];
    for (const c of await page.locator('#step-controls button, #step-controls select, #step-controls input').all()) {
      if (!(await c.isVisible())) continue;
      const problem = await c.evaluate((e) => {
        e.scrollIntoView({ block: 'nearest', inline: 'nearest' });
        const r = e.getBoundingClientRect();
        const name = e.getAttribute('aria-label') ?? e.getAttribute('data-testid') ?? e.tagName;
        if (window.scrollX !== 0) return `scrolling "${name}" into view scrolled the page ${window.scrollX} px across`;
        if (r.left < -0.5 || r.top < -0.5 || r.right > window.innerWidth + 0.5 || r.bottom > window.innerHeight + 0.5) return `"${name}" at [${r.left.toFixed(0)}, ${r.top.toFixed(0)}, ${r.right.toFixed(0)}, ${r.bottom.toFixed(0)}] not inside ${window.innerWidth}x${window.innerHeight} even scrolled into view`;
        return null;
      });
      if (problem) steps.push(problem);
    }
    expect({ topbar, steps, pageScrollsAcross }).toEqual({ topbar: [], steps: [], pageScrollsAcross: false });
  });
});

describe('the Embed dialog', () => {
  for (const [width, height] of [
    [1920, 1080],
    [1280, 720],
  ] as const) {
    it(`${width}x${height}: opens wholly inside the window`, async () => {
      const page = await session.openAt({ width, height });
      await page.getByTestId('embed-toggle').click();
      await page.getByTestId('embed-snippet').waitFor({ state: 'visible' });
      const outside = await controlsOutside(page, '[data-testid=embed-dialog], [data-testid=embed-dialog] input, [data-testid=embed-dialog] textarea, [data-testid=embed-dialog] button');
      expect(outside).toEqual([]);
    });
  }
});

describe('the embed at 800x500 and 640x400', () => {
  for (const [width, height] of [
    [800, 500],
    [640, 400],
  ] as const) {
    it(`${width}x${height}: no page scroll bars, a caption of one or two lines, the three column headings in view, at every step`, async () => {
      const page = await session.openAt({ width, height }, '?embed=1');
      const problems: string[] = [];
      for (let step = 0; step <= 12; step++) {
        if (step > 0) await page.keyboard.press('ArrowRight');
        await waitForCounter(page, `step ${step} / 12`);
        const r = await page.evaluate(() => {
          const out: string[] = [];
          const d = document.documentElement;
          if (d.scrollWidth > d.clientWidth || d.scrollHeight > d.clientHeight) out.push(`the page scrolls: ${d.scrollWidth}x${d.scrollHeight} in ${d.clientWidth}x${d.clientHeight}`);
          const cap = document.querySelector<HTMLElement>('[data-testid=caption]');
          if (!cap) out.push('no caption');
          else {
            const lh = parseFloat(getComputedStyle(cap).lineHeight);
            const lines = Math.round(cap.clientHeight / lh);
            if (lines < 1 || lines > 2) out.push(`the caption is ${lines} lines (${cap.clientHeight}px at ${lh}px a line)`);
            if (cap.scrollHeight > cap.clientHeight + 1) out.push(`the caption is cut off: ${cap.scrollHeight}px of text in ${cap.clientHeight}px ("${(cap.textContent ?? '').trim()}")`);
          }
          const heads = [...document.querySelectorAll<HTMLElement>('.col-heads span')];
          if (heads.length !== 3) out.push(`${heads.length} column headings`);
          const W = window.innerWidth;
          const H = window.innerHeight;
          const boxes = heads.map((h) => h.getBoundingClientRect());
          heads.forEach((h, i) => {
            const b = boxes[i]!;
            const name = (h.textContent ?? '').trim();
            if (b.width === 0 || b.height === 0) out.push(`heading "${name}" not rendered`);
            else if (b.left < -0.5 || b.top < -0.5 || b.right > W + 0.5 || b.bottom > H + 0.5) out.push(`heading "${name}" at [${b.left.toFixed(0)}, ${b.top.toFixed(0)}, ${b.right.toFixed(0)}, ${b.bottom.toFixed(0)}] not inside ${W}x${H}`);
            else {
              const hit = document.elementFromPoint((b.left + b.right) / 2, (b.top + b.bottom) / 2);
              if (!hit || !h.contains(hit)) out.push(`heading "${name}" is covered by <${hit?.tagName.toLowerCase()}>`);
            }
            if (h.scrollWidth > h.clientWidth + 1) out.push(`heading "${name}" is cut off (${h.scrollWidth}px of text in ${h.clientWidth}px)`);
            const next = boxes[i + 1];
            if (next && b.right > next.left + 0.5) out.push(`heading "${name}" (right ${b.right.toFixed(0)}) runs into "${(heads[i + 1]!.textContent ?? '').trim()}" (left ${next.left.toFixed(0)})`);
          });
          return out;
        });
        problems.push(...r.map((p) => `step ${step}: ${p}`));
      }
      expect(problems).toEqual([]);
    });
  }
});

describe('the picture keeps its scale', () => {
  it('the density and scale shown right after a load are the ones stepping shows (1600x1000, the 800x500 embed)', async () => {
    const problems: string[] = [];
    for (const [width, height, path] of [
      [1600, 1000, ''],
      [800, 500, '?embed=1'],
    ] as const) {
      const page = await session.openAt({ width, height }, path);
      await waitForCounter(page, 'step 0 / 12');
      const picture = () => page.evaluate(() => {
        const svg = document.querySelector('svg.canvas')!;
        return `${svg.getAttribute('class')} ${Number(svg.getAttribute('width')).toFixed(1)} px wide`;
      });
      const atLoad = await picture();
      await page.keyboard.press('ArrowRight');
      await waitForCounter(page, 'step 1 / 12');
      await page.keyboard.press('ArrowLeft');
      await waitForCounter(page, 'step 0 / 12');
      const again = await picture();
      if (again !== atLoad) problems.push(`${width}x${height}${path}: step 0 is "${atLoad}" at load, "${again}" after one step forward and back`);
      await session.closeNow();
    }
    expect(problems).toEqual([]);
  });
});

describe('the app zoom', () => {
  it('zooms the whole page together: + grows the tables, the ruler, the panel and the timeline; − shrinks only the tables', async () => {
    const page = await session.openAt({ width: 1920, height: 1080 }, link(2));
    await waitForCounter(page, 'step 2 / 12');
    const sizes = () =>
      page.evaluate(() => {
        const w = (sel: string) => document.querySelector(sel)!.getBoundingClientRect().width;
        return {
          root: parseFloat(getComputedStyle(document.documentElement).fontSize),
          tables: w('[data-testid=canvas]'),
          ruler: w('svg.ruler'),
          panel: w('aside.side'),
          marker: w('[data-testid=step-marker]'),
          counter: parseFloat(getComputedStyle(document.querySelector('[data-testid=step-counter]')!).fontSize),
        };
      });
    const before = await sizes();
    await page.keyboard.press('+');
    await page.waitForFunction((r) => parseFloat(getComputedStyle(document.documentElement).fontSize) > r, before.root);
    const zoomed = await sizes();
    for (const k of Object.keys(before) as (keyof typeof before)[]) expect(zoomed[k], k).toBeCloseTo(before[k] * 1.25, 0);
    await page.keyboard.press('-');
    await page.keyboard.press('-');
    await page.waitForFunction(() => document.querySelector('[data-testid=zoom-level]')?.textContent === '75%');
    const out = await sizes();
    expect(out.root).toBe(before.root);
    expect(out.tables).toBeCloseTo(before.tables * 0.75, 0);
  });
});
