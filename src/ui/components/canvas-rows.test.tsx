// @vitest-environment jsdom
/**
 * An entry row as the tables draw it: one text run coloured by its card's
 * row ink, a background only where the step or the pointer marks the row,
 * the pointer finding rows by their place in the card, and one tooltip for
 * the picture (SVG titles only in an exported file).
 */
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Timeline } from '../../core/index.ts';
import { parseScenario } from '../../scenarios/schema.ts';
import { LIBRARY } from '../../scenarios/library/index.ts';
import { type Card, DENSITIES, type GuestCard, HEAD_H, ROW_H, type Row, rowString, type ShadowCard } from '../layout/geometry.ts';
import { layoutOf, shownStep } from '../step/index.ts';
import { useStore } from '../store/index.ts';
import { Canvas, guestEntryTitle, ROW_BASELINE, shadowPageTitle, spteTitle } from './Canvas.tsx';

const parsed = parseScenario(LIBRARY.find((e) => e.id === 'quadrants-32bit')!.json);
if (!parsed.ok) throw new Error('the built-in does not parse');
const tl = new Timeline(parsed.scenario, 'seed');
// Step 2: the walk of guest PD 0x1 and PT 0x4, sptes set in the quadrant-1 shadow PT.
const shown = shownStep(tl, 2, null);
const layout = layoutOf(shown.view);
const guest = layout.cards.find((c): c is GuestCard => c.kind === 'guest' && c.table.gfn === '0x4')!;
const shadow = layout.cards.find((c): c is ShadowCard => c.kind === 'shadow' && c.sp.gfn === '0x4' && c.sp.role.quadrant === 1)!;
const entries = (c: Card) => c.rows.filter((r) => r.kind === 'entry');

const draw = (titled = false, l = layout) => render(<Canvas layout={l} hl={shown.hl} viewport={{ top: 0, height: l.height + 1 }} scale={1} titled={titled} />);
const cardEl = (container: Element, c: Card) => container.querySelector<SVGGElement>(`[data-key="${c.key}"]`)!;
const rowEl = (container: Element, key: string) => container.querySelector<SVGGElement>(`[data-key="${key}"]`)!;

beforeEach(() => act(() => useStore.setState({ focusKey: null, hovered: null, selected: null })));
afterEach(cleanup);

describe('an entry row', () => {
  it('is one text run (its columns in one string), with no title of its own on screen', () => {
    const { container } = draw();
    const rows = [...container.querySelectorAll('[data-testid=guest-entry], [data-testid=spte]')];
    expect(rows.length).toBeGreaterThan(10);
    for (const r of rows) {
      const text = r.querySelector('.row-text')!;
      expect(text.childNodes.length).toBe(1);
      expect(text.firstChild!.nodeType).toBe(3);
      expect(r.querySelector('title, tspan')).toBeNull();
    }
    const first = entries(guest)[0]!;
    expect(rowEl(container, `gte:${guest.table.gfn}:${first.index}`).querySelector('.row-text')!.textContent).toBe(rowString(first.text));
  });

  it('has a background only where something marks it: the walk, the sptes set, the pointer, the focus', () => {
    const { container } = draw();
    const marked = [...container.querySelectorAll('[data-testid=guest-entry], [data-testid=spte]')].filter((r) => r.querySelector('rect.row-bg'));
    // Step 2 walks PT 0x4 entry 515 and sets sptes in the quadrant-1 page: those rows, and no plain one.
    expect(marked.length).toBeGreaterThan(0);
    for (const r of marked) expect(r.getAttribute('class')).not.toBe('row');
    for (const r of container.querySelectorAll('[data-testid=guest-entry].row:not([class*=" "]), [data-testid=spte].row:not([class*=" "])')) expect(r.querySelector('rect')).toBeNull();
    expect(rowEl(container, 'gte:0x4:515').querySelector('rect.row-bg')).not.toBeNull();
    // A plain row gains one while hovered, and loses it after.
    const plain = entries(guest).find((r) => r.index !== 515)!;
    const key = `gte:0x4:${plain.index}`;
    expect(rowEl(container, key).querySelector('rect')).toBeNull();
    act(() => void fireEvent.pointerMove(rowEl(container, key).querySelector('.row-text')!));
    expect(useStore.getState().hovered).toBe(key);
    expect(rowEl(container, key).getAttribute('class')).toContain('row-hover');
    const bg = rowEl(container, key).querySelector('rect.row-bg')!;
    expect(Number(bg.getAttribute('y'))).toBe(plain.y);
    expect(Number(bg.getAttribute('height'))).toBe(ROW_H);
    act(() => void fireEvent.mouseLeave(cardEl(container, guest)));
    expect(useStore.getState().hovered).toBeNull();
    expect(rowEl(container, key).querySelector('rect')).toBeNull();
    // The keyboard's: the row in focus (its column's tab stop) has the background its focus ring is drawn on.
    act(() => useStore.setState({ focusKey: key }));
    expect(rowEl(container, key).getAttribute('tabindex')).toBe('0');
    expect(rowEl(container, key).querySelector('rect.row-bg')).not.toBeNull();
  });

  it("is coloured by its card's ink: a gradient in the card's units whose edges fall in the spaces between the columns", () => {
    const { container } = draw();
    for (const c of [guest, shadow]) {
      const fill = cardEl(container, c).getAttribute('fill')!;
      const id = /^url\(#([\w-]+)\) currentColor$/.exec(fill)?.[1];
      expect(id, `${c.key} fill ${fill}`).toBeTruthy();
      const g = container.querySelector(`linearGradient#${id}`)!;
      expect(g.getAttribute('gradientUnits')).toBe('userSpaceOnUse');
      expect([...g.querySelectorAll('stop')].map((s) => [s.getAttribute('offset'), s.getAttribute('class')])).toEqual([
        ['0', 'ink-idx'],
        ['0', 'ink-value'],
        ['1', 'ink-value'],
        ['1', 'ink-tail'],
      ]);
      // jsdom cannot measure text: the layout's 0.6 em of the 12 px font. Edges in the middle of the space after the index (4 characters) and after the value.
      const text = cardEl(container, c).querySelector('.row-text')!;
      const x = Number(text.getAttribute('x'));
      const valueChars = entries(c)[0]!.text.value.length;
      expect(Number(g.getAttribute('x1'))).toBeCloseTo(x + 4.5 * 7.2, 9);
      expect(Number(g.getAttribute('x2'))).toBeCloseTo(x + (5 + valueChars + 0.5) * 7.2, 9);
      // The value column as rowString spells it: four characters of index, a space, then the value.
      expect(rowString(entries(c)[0]!.text).slice(5, 5 + valueChars)).toBe(entries(c)[0]!.text.value);
    }
  });
});

describe('the pointer on the tables', () => {
  it('finds the row at its height in the card, between texts too (the card transform undone)', () => {
    const { container } = draw();
    // The card at (x, y) on a page scrolled by 100 px, drawn at scale 2 (jsdom has no SVG geometry: its screen transform is given).
    const at = (c: Card) => {
      const el = cardEl(container, c);
      Object.defineProperty(el, 'getScreenCTM', { value: () => ({ a: 2, b: 0, c: 0, d: 2, e: 2 * c.x, f: 2 * c.y - 100 }) });
      return { el, y: (r: { y: number }, dy: number) => 2 * (c.y + r.y + dy) - 100 };
    };
    const g = at(guest);
    const [a, b] = entries(guest);
    expect(b).toBeDefined();
    // Low in row a, below where its text reaches: still row a; the top of row b: row b.
    act(() => void fireEvent.pointerMove(g.el, { clientY: g.y(a!, ROW_H - 1) }));
    expect(useStore.getState().hovered).toBe(`gte:0x4:${a!.index}`);
    act(() => void fireEvent.pointerMove(g.el, { clientY: g.y(b!, 0.5) }));
    expect(useStore.getState().hovered).toBe(`gte:0x4:${b!.index}`);
    // A guest table's heading: nothing; a shadow page's: the page itself.
    act(() => void fireEvent.pointerMove(g.el, { clientY: g.y({ y: 0 }, 5) }));
    expect(useStore.getState().hovered).toBeNull();
    const s = at(shadow);
    act(() => void fireEvent.pointerMove(s.el, { clientY: s.y({ y: 0 }, 5) }));
    expect(useStore.getState().hovered).toBe(shadow.key);
    act(() => void fireEvent.pointerMove(s.el, { clientY: s.y(entries(shadow)[0]!, ROW_H - 1) }));
    expect(useStore.getState().hovered).toBe(`spte:${shadow.sp.id}:${entries(shadow)[0]!.index}`);
    // A click between texts follows the row there (a leaf entry: selected).
    const leaf = entries(guest).find((r) => guest.table.entries.find((e) => e.index === r.index)!.leaf)!;
    act(() => void fireEvent.click(g.el, { clientY: g.y(leaf, ROW_H - 1) }));
    expect(useStore.getState().selected).toBe(`gte:0x4:${leaf.index}`);
  });

  it('focuses the row, not the card, on a press between texts; a touch moves no hover', () => {
    const { container } = draw();
    const el = cardEl(container, guest);
    Object.defineProperty(el, 'getScreenCTM', { value: () => ({ a: 1, b: 0, c: 0, d: 1, e: guest.x, f: guest.y }) });
    const r = entries(guest)[1]!;
    act(() => void fireEvent.mouseDown(el, { clientY: guest.y + r.y + ROW_H - 1 }));
    expect(document.activeElement?.getAttribute('data-key')).toBe(`gte:0x4:${r.index}`);
    act(() => void fireEvent.pointerMove(el, { clientY: guest.y + r.y + 2, pointerType: 'touch' }));
    expect(useStore.getState().hovered).toBeNull();
    act(() => void fireEvent.pointerMove(el, { clientY: guest.y + r.y + 2, pointerType: 'mouse' }));
    expect(useStore.getState().hovered).toBe(`gte:0x4:${r.index}`);
  });

  it('follows a guest entry clicked on its text, and one the keyboard activates (Enter on the row)', () => {
    const { container } = draw();
    act(() => void fireEvent.click(rowEl(container, 'gte:0x1:769').querySelector('.row-text')!));
    // PD entry 769 points to the PT at gfn 0x4: following it selects that table.
    expect(useStore.getState().selected).toBe('gt:0x4:1');
    act(() => useStore.setState({ selected: null }));
    const row = rowEl(container, 'gte:0x4:515');
    act(() => void fireEvent.keyDown(row, { key: 'Enter' }));
    expect(useStore.getState().selected).toBe('gte:0x4:515');
  });

  it('shows one tooltip, for what is hovered: a row decoded, a shadow page by its fields', () => {
    const { container } = draw();
    expect(screen.queryByTestId('row-tip')).toBeNull();
    const e = guest.table.entries.find((x) => x.index === 515)!;
    act(() => void fireEvent.pointerMove(rowEl(container, 'gte:0x4:515').querySelector('.row-text')!));
    const tip = screen.getByTestId('row-tip');
    expect(tip.textContent).toBe(guestEntryTitle(e));
    expect(tip.textContent).toContain('maps 4 KiB at gfn 0x14');
    expect(tip.getAttribute('aria-hidden')).toBe('true');
    // Under the row, from its card's left edge (the guest column is on the left).
    expect(tip.style.left).toBe(`${guest.x}px`);
    expect(parseFloat(tip.style.top)).toBeGreaterThan(guest.y + entries(guest).find((r) => r.index === 515)!.y);
    const s = entries(shadow)[0]!;
    act(() => void fireEvent.pointerMove(rowEl(container, `spte:${shadow.sp.id}:${s.index}`).querySelector('.row-text')!));
    expect(screen.getAllByTestId('row-tip')).toHaveLength(1);
    expect(screen.getByTestId('row-tip').textContent).toBe(spteTitle(shadow.sp.sptes.find((x) => x.index === s.index)!));
    act(() => useStore.getState().hover(shadow.key));
    expect(screen.getByTestId('row-tip').textContent).toBe(shadowPageTitle(shadow.sp));
    // A page's tooltip opens by its heading, not below the whole card; on the card's side of the picture.
    const tipAt = screen.getByTestId('row-tip').style;
    expect(parseFloat(tipAt.top)).toBe(shadow.y + HEAD_H + 2);
    expect(tipAt.right).toBe(`${layout.width - shadow.x - shadow.w}px`);
    // Esc hides it until the pointer is on something else.
    act(() => void fireEvent.keyDown(document.body, { key: 'Escape' }));
    expect(screen.queryByTestId('row-tip')).toBeNull();
    act(() => useStore.getState().hover('gte:0x4:515'));
    expect(screen.getByTestId('row-tip').textContent).toBe(guestEntryTitle(e));
    act(() => useStore.getState().hover(null));
    expect(screen.queryByTestId('row-tip')).toBeNull();
  });

  it("opens above a row with no room below it in the window, and shows a compact gap's words", () => {
    const compact = layoutOf(shown.view, DENSITIES.compact);
    const card = compact.cards.find((c) => c.kind === 'guest' && c.rows.some((r) => r.kind === 'fold' && r.h !== undefined))!;
    expect(card).toBeDefined();
    const gap = card.rows.find((r): r is Row & { kind: 'fold' } => r.kind === 'fold' && r.h !== undefined)!;
    const { container } = draw(false, compact);
    // On screen the gap has no title of its own: the tooltip says its words.
    expect(cardEl(container, card).querySelector('.row-gap title')).toBeNull();
    const el = cardEl(container, card);
    Object.defineProperty(el, 'getScreenCTM', { value: () => ({ a: 1, b: 0, c: 0, d: 1, e: card.x, f: card.y }) });
    act(() => void fireEvent.pointerMove(el, { clientY: card.y + gap.y + gap.h! / 2 }));
    expect(screen.getByTestId('row-tip').textContent).toBe(gap.text);
    cleanup();
    // A window that ends just below a row: its tooltip opens above it.
    const r = entries(guest)[0]!;
    const rowBottom = guest.y + r.y + ROW_H;
    render(<Canvas layout={layout} hl={shown.hl} viewport={{ top: 0, height: rowBottom + 20 }} scale={1} />);
    act(() => useStore.getState().hover(`gte:0x4:${r.index}`));
    const tip = screen.getByTestId('row-tip').style;
    expect(tip.top).toBe('');
    expect(parseFloat(tip.bottom)).toBeCloseTo(layout.height - (rowBottom - ROW_H) + 2, 6);
  });

  it('in an exported picture carries the same words as SVG titles, colours rows run by run, and draws no tooltip element', () => {
    const { container } = draw(true);
    // Run by run: the file's viewer may have another monospace font than the ink was measured with.
    const first = entries(guest)[0]!;
    const text = rowEl(container, `gte:0x4:${first.index}`).querySelector('.row-text')!;
    expect(text.textContent).toBe(rowString(first.text));
    expect([...text.querySelectorAll('tspan')].map((t) => [t.getAttribute('class'), t.textContent])).toEqual([
      ['row-idx', first.text.idx],
      ['row-tail', `${first.text.flags} ${first.text.target}`],
    ]);
    const e = guest.table.entries.find((x) => x.index === 515)!;
    expect(rowEl(container, 'gte:0x4:515').querySelector('title')!.textContent).toBe(guestEntryTitle(e));
    expect(cardEl(container, shadow).querySelector(':scope > title')!.textContent).toBe(shadowPageTitle(shadow.sp));
    act(() => useStore.getState().hover('gte:0x4:515'));
    expect(screen.queryByTestId('row-tip')).toBeNull();
  });

  it('keeps the row text where the layout puts it (baseline below the row top)', () => {
    const { container } = draw();
    for (const r of entries(guest)) expect(Number(rowEl(container, `gte:0x4:${r.index}`).querySelector('.row-text')!.getAttribute('y'))).toBe(r.y + ROW_BASELINE);
  });
});
