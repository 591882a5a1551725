import { describe, expect, it } from 'vitest';
import { placePopover } from './Term.tsx';

const win = { width: 1280, height: 720 };
const pop = { width: 300, height: 200 };
const overlaps = (t: { left: number; top: number; bottom: number; right: number }, p: { left: number; top: number }) =>
  !(t.bottom <= p.top || p.top + pop.height <= t.top || t.right <= p.left || p.left + pop.width <= t.left);

describe('placePopover', () => {
  it('goes below the term when there is room, left-aligned with it', () => {
    expect(placePopover({ left: 100, top: 100, bottom: 118 }, pop, win)).toEqual({ left: 100, top: 124 });
  });
  it('goes above the term near the bottom of the window, never over it', () => {
    const term = { left: 100, top: 600, bottom: 618, right: 120 };
    const p = placePopover(term, pop, win);
    expect(p).toEqual({ left: 100, top: 394 });
    expect(overlaps(term, p)).toBe(false);
  });
  it('stays inside the window at the right edge', () => {
    expect(placePopover({ left: 1250, top: 100, bottom: 118 }, pop, win).left).toBe(1280 - 8 - 300);
  });
  it('goes below when there is room neither above nor below (the page scrolls, the term stays readable)', () => {
    const term = { left: 10, top: 100, bottom: 118, right: 30 };
    const p = placePopover(term, { width: 300, height: 700 }, win);
    expect(p.top).toBe(124);
  });
});
