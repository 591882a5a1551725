// @vitest-environment jsdom
/**
 * What the canvas draws of a large scene: its SVG keeps a size in whole
 * frames inside a box of the picture's exact size, and a card partly off
 * screen draws only its rows near the screen, with the keyboard focus always
 * on a drawn row (issue 17: stepping and scrubbing a 100,000-step run).
 */
import { act, cleanup, fireEvent, render } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateScenario100k } from '../../../bench/scenario100k.ts';
import { TimelineBuilder } from '../../core/index.ts';
import { type Card, ROW_H } from '../layout/geometry.ts';
import { layoutOf, shownStep } from '../step/index.ts';
import { useStore } from '../store/index.ts';
import { Canvas, DRAW_MARGIN, ROW_BASELINE, SVG_FRAME, svgFrame, WINDOW_STEP } from './Canvas.tsx';

const tl = new TimelineBuilder(generateScenario100k(600).scenario, 'seed').timeline();
const STEP = 500;
const shown = shownStep(tl, STEP, null);
const layout = layoutOf(shown.view);
/** The bottom of the window Canvas draws for a viewport from 0 to 300 px at scale 1 (its margin, in whole steps). */
const WIN_BOTTOM = Math.ceil((300 + DRAW_MARGIN) / WINDOW_STEP) * WINDOW_STEP;

/** Where an entry row is drawn: its top in its card (its text's baseline less ROW_BASELINE). */
const rowTop = (row: Element) => Number(row.querySelector('.row-text')!.getAttribute('y')) - ROW_BASELINE;
/** Keys of the entry rows drawn in a card's element. */
const drawnRows = (el: Element) => [...el.querySelectorAll('[data-testid=guest-entry], [data-testid=spte]')].map((r) => Number(r.getAttribute('data-index')));
const entryKey = (c: Card, i: number) => (c.kind === 'guest' ? `gte:${c.table.gfn}:${i}` : `spte:${c.sp.id}:${i}`);
const entryRows = (c: Card) => c.rows.filter((r) => r.kind === 'entry');

beforeEach(() => act(() => useStore.setState({ focusKey: null, hovered: null, selected: null })));
afterEach(cleanup);

describe('the canvas of a large scene', () => {
  it('has a scene with a card cut by the drawn window (else the tests below test nothing)', () => {
    expect(layout.height).toBeGreaterThan(4 * WIN_BOTTOM);
    expect(layout.cards.some((c) => c.y < WIN_BOTTOM && c.y + c.h > WIN_BOTTOM && entryRows(c).some((r) => c.y + r.y >= WIN_BOTTOM))).toBe(true);
  });

  it('sizes its SVG in whole frames and clips it to the picture', () => {
    const scale = 0.8;
    const { container } = render(<Canvas layout={layout} hl={shown.hl} viewport={{ top: 0, height: 300 }} scale={scale} />);
    const svg = container.querySelector('svg[data-testid=canvas]')!;
    const box = svg.parentElement!;
    const frame = svgFrame(layout);
    expect(frame.height % SVG_FRAME.height).toBe(0);
    expect(frame.height).toBeGreaterThanOrEqual(layout.height);
    expect(frame.height - layout.height).toBeLessThan(SVG_FRAME.height);
    expect(svg.getAttribute('viewBox')).toBe(`0 0 ${frame.width} ${frame.height}`);
    // The same scale as the picture's own size would give, in both directions.
    expect(Number(svg.getAttribute('width')) / frame.width).toBeCloseTo(scale, 9);
    expect(Number(svg.getAttribute('height')) / frame.height).toBeCloseTo(scale, 9);
    expect(box.style.height).toBe(`${layout.height * scale}px`);
    expect(box.style.width).toBe(`${layout.width * scale}px`);
    expect(box.style.overflow).toBe('hidden');
  });

  it('draws a card cut by the window with its rows near the screen only, at their own places', () => {
    const { container } = render(<Canvas layout={layout} hl={shown.hl} viewport={{ top: 0, height: 300 }} scale={1} />);
    let cut = 0;
    for (const c of layout.cards) {
      const el = container.querySelector(`[data-key="${c.key}"]`);
      if (!el) {
        expect(c.y >= WIN_BOTTOM, `${c.key} is not drawn`).toBe(true);
        continue;
      }
      const want = entryRows(c).filter((r) => c.y + r.y < WIN_BOTTOM);
      expect(drawnRows(el), c.key).toEqual(want.map((r) => r.index));
      if (want.length < entryRows(c).length) cut++;
      // Each drawn row where the layout puts it.
      for (const r of want) expect(rowTop(el.querySelector(`[data-key="${entryKey(c, r.index)}"]`)!)).toBe(r.y);
    }
    expect(cut).toBeGreaterThan(0);
    // All of them once the window covers the scene (what the export draws).
    const all = render(<Canvas layout={layout} hl={shown.hl} viewport={{ top: 0, height: layout.height + 1 }} scale={1} />);
    expect(all.container.querySelectorAll('[data-testid=guest-entry], [data-testid=spte]').length).toBe(layout.cards.reduce((n, c) => n + entryRows(c).length, 0));
  });

  it('keeps the focused row drawn off screen, and the arrow keys move the focus onto rows not drawn yet', () => {
    const c = layout.cards.find((x) => x.y < WIN_BOTTOM && entryRows(x).filter((r) => x.y + r.y >= WIN_BOTTOM).length >= 2)!;
    const rows = entryRows(c);
    const firstOff = rows.findIndex((r) => c.y + r.y >= WIN_BOTTOM);
    const last = rows[firstOff - 1]!;
    const { container } = render(<Canvas layout={layout} hl={shown.hl} viewport={{ top: 0, height: 300 }} scale={1} />);
    const card = () => container.querySelector(`[data-key="${c.key}"]`)!;
    expect(drawnRows(card())).not.toContain(rows[firstOff]!.index);
    // Focus the last row drawn, then go down twice: each new row is drawn and focused.
    act(() => useStore.getState().setFocusKey(entryKey(c, last.index)));
    const lastEl = container.querySelector<SVGElement>(`[data-key="${entryKey(c, last.index)}"]`)!;
    act(() => lastEl.focus());
    for (const k of [firstOff, firstOff + 1]) {
      act(() => void fireEvent.keyDown(document.activeElement!, { key: 'ArrowDown' }));
      expect(document.activeElement?.getAttribute('data-key')).toBe(entryKey(c, rows[k]!.index));
      expect(useStore.getState().focusKey).toBe(entryKey(c, rows[k]!.index));
      // Drawn where the layout puts it, far below the window.
      expect(rowTop(document.activeElement!)).toBe(rows[k]!.y);
      expect(c.y + rows[k]!.y + ROW_H).toBeGreaterThan(WIN_BOTTOM);
    }
    // The row left behind off screen is not drawn any more; the rows near the screen still are.
    expect(drawnRows(card())).not.toContain(rows[firstOff]!.index);
    expect(drawnRows(card())).toContain(last.index);
  });

  it('after CR3 switches to another process and back, draws the rows a fresh canvas draws (guest tables are updated in place)', () => {
    // Steps of the run whose guest tables differ from the step before's (CR3 switches between processes).
    const tablesAt = (n: number) => layoutOf(shownStep(tl, n, null).view).cards.filter((c) => c.kind === 'guest').map((c) => c.key).join(',');
    const switches: number[] = [];
    for (let n = 1; n <= tl.length && switches.length < 6; n++) if (tablesAt(n) !== tablesAt(n - 1)) switches.push(n);
    expect(switches.length).toBeGreaterThanOrEqual(3);
    /** Everything the guest column draws, row by row. */
    const guestColumn = (root: Element) =>
      [...root.querySelectorAll('[data-testid=guest-table]')].map((t) => ({
        key: t.getAttribute('data-key'),
        label: t.getAttribute('aria-label'),
        rows: [...t.querySelectorAll('[data-testid=guest-entry]')].map((r) => [r.getAttribute('data-key'), r.getAttribute('class'), r.getAttribute('aria-label'), r.textContent, rowTop(r)].join('|')),
        folds: [...t.querySelectorAll('.row-fold, .row-gap title')].map((f) => f.textContent),
      }));
    const props = (n: number) => {
      const s = shownStep(tl, n, null);
      return { layout: layoutOf(s.view), hl: s.hl, viewport: { top: 0, height: 300 }, scale: 1 };
    };
    // One canvas through the steps before and after each switch...
    const steps = [switches[0]! - 1, ...switches];
    const { container, rerender } = render(<Canvas {...props(steps[0]!)} />);
    for (const n of steps.slice(1)) {
      rerender(<Canvas {...props(n)} />);
      // ...draws what a canvas drawn at that step alone draws.
      const fresh = render(<Canvas {...props(n)} />);
      expect(guestColumn(container), `step ${n}`).toEqual(guestColumn(fresh.container));
      fresh.unmount();
    }
  });
});
