/**
 * Keyboard focus in the canvas, as pure functions of the layout: each column
 * (guest tables, roots, shadow pages) is a list of its cards, each card
 * followed by its entries, walked with the arrow keys; one tab stop per
 * column (a roving tabindex).
 */
import { type Card, cardEntryIndexes, type Layout } from '../layout/geometry.ts';
import { targetBox } from '../step/index.ts';

export type Column = 'guest' | 'roots' | 'shadow';
export const COLUMN_ORDER: readonly Column[] = ['guest', 'roots', 'shadow'];

export const columnOf = (card: Card): Column => (card.kind === 'guest' ? 'guest' : card.column);

const order = new WeakMap<Layout, Record<Column, string[]>>();

/** Each column's focusable keys, top to bottom: a card, then its present entries. */
export function focusOrder(layout: Layout): Record<Column, string[]> {
  let o = order.get(layout);
  if (o) return o;
  o = { guest: [], roots: [], shadow: [] };
  const cards = [...layout.cards].sort((a, b) => a.y - b.y);
  for (const c of cards) {
    const list = o[columnOf(c)];
    list.push(c.key);
    for (const i of cardEntryIndexes(c)) list.push(c.kind === 'guest' ? `gte:${c.table.gfn}:${i}` : `spte:${c.sp.id}:${i}`);
  }
  order.set(layout, o);
  return o;
}

/** The column a focus key is in, if it is in the layout. */
export function columnOfKey(layout: Layout, key: string): Column | null {
  const o = focusOrder(layout);
  return COLUMN_ORDER.find((c) => o[c].includes(key)) ?? null;
}

/**
 * The column's tab stop: the focused key if it is in that column, else its
 * top card. Without a focus (the usual case while stepping) the focus order
 * is not built at all.
 */
export function tabStopOf(layout: Layout, column: Column, focusKey: string | null): string | null {
  if (focusKey !== null) {
    const list = focusOrder(layout)[column];
    return list.includes(focusKey) ? focusKey : (list[0] ?? null);
  }
  let top: Card | undefined;
  for (const c of layout.cards) if (columnOf(c) === column && (!top || c.y < top.y)) top = c;
  return top?.key ?? null;
}

export type Move = 'up' | 'down' | 'left' | 'right' | 'first' | 'last';

/** Where a key press moves the focus from `key`: along its column, or across to the nearest item (by height) of the next non-empty column. */
export function neighbour(layout: Layout, key: string, move: Move): string | null {
  const o = focusOrder(layout);
  const col = columnOfKey(layout, key);
  if (!col) return null;
  const list = o[col];
  const i = list.indexOf(key);
  if (move === 'up') return list[Math.max(0, i - 1)] ?? null;
  if (move === 'down') return list[Math.min(list.length - 1, i + 1)] ?? null;
  if (move === 'first') return list[0] ?? null;
  if (move === 'last') return list[list.length - 1] ?? null;
  const step = move === 'left' ? -1 : 1;
  const y = targetBox(layout, key)?.top ?? 0;
  for (let c = COLUMN_ORDER.indexOf(col) + step; c >= 0 && c < COLUMN_ORDER.length; c += step) {
    const other = o[COLUMN_ORDER[c]!];
    if (!other.length) continue;
    let best = other[0]!;
    let dist = Infinity;
    for (const k of other) {
      const d = Math.abs((targetBox(layout, k)?.top ?? 0) - y);
      if (d < dist) {
        dist = d;
        best = k;
      }
    }
    return best;
  }
  return key;
}
