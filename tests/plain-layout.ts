import type { Layout } from '../src/ui/layout/geometry.ts';

/**
 * Everything a layout draws, as plain data, for comparing two layouts with
 * toEqual: a detailed card's `rows` and a link's `path` are getters on a
 * prototype (geometry.ts DETAILED_CARD, RoutedLink), which toEqual skips.
 */
export const plainLayout = (l: Layout) => ({
  cards: l.cards.map((c) => ({ ...c, rows: c.rows.map((r) => ({ ...r })) })),
  notes: l.notes,
  links: l.links.map((k) => ({ key: k.key, kind: k.kind, quadrant: k.quadrant, ends: [...k.ends], style: { ...k.style }, path: k.path, top: k.top, bottom: k.bottom })),
  height: l.height,
  width: l.width,
  columns: l.columns,
  density: l.density.name,
});
