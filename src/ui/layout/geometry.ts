/**
 * Pure layout maths for the three columns (guest tables | KVM roots | shadow
 * pages): card and row positions, folded runs of empty entries, and the link
 * paths between them (d3-shape computes the curves). React only draws it.
 */
import { linkHorizontal } from 'd3';
import type { GuestTableJson, MachineJson, ShadowPageJson } from '../../core/index.ts';

export const ROW_H = 18;
export const HEAD_H = 40;
export const CARD_GAP = 14;
export const COLUMNS = {
  guest: { x: 16, w: 340 },
  roots: { x: 430, w: 300 },
  shadow: { x: 800, w: 340 },
} as const;
export const CANVAS_W = COLUMNS.shadow.x + COLUMNS.shadow.w + 24;

/** Okabe-Ito colours, safe for the common colour-vision deficiencies: one per quadrant. */
export const QUADRANT_COLORS = ['#E69F00', '#56B4E9', '#009E73', '#CC79A7'] as const;

export type Row =
  | { readonly kind: 'entry'; readonly index: number; readonly y: number }
  | { readonly kind: 'fold'; readonly from: number; readonly to: number; readonly y: number };

/** Present entries shown, runs of empty ones folded into one row ("entries 4-255 not present"). */
export function foldRows(indexes: readonly number[], count: number, y0: number): Row[] {
  const rows: Row[] = [];
  let next = 0;
  let y = y0;
  for (const i of indexes) {
    if (i > next) {
      rows.push({ kind: 'fold', from: next, to: i - 1, y });
      y += ROW_H;
    }
    rows.push({ kind: 'entry', index: i, y });
    y += ROW_H;
    next = i + 1;
  }
  if (next < count) rows.push({ kind: 'fold', from: next, to: count - 1, y });
  return rows;
}

export interface GuestCard {
  readonly kind: 'guest';
  readonly key: `gt:${string}`;
  readonly table: GuestTableJson;
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
  readonly rows: readonly Row[];
}

export interface ShadowCard {
  readonly kind: 'shadow';
  readonly key: `sp:${number}`;
  readonly sp: ShadowPageJson;
  /** pae_root[i] / root slot this page hangs in, if it is a root. */
  readonly rootSlot: number | null;
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
  readonly rows: readonly Row[];
}

export type Card = GuestCard | ShadowCard;

export interface Link {
  readonly key: string;
  readonly kind: 'guest-pointer' | 'shadow-of' | 'child' | 'root';
  readonly path: string;
  readonly quadrant: number | null;
  /** Entities at either end (hover lights the link). */
  readonly ends: readonly string[];
  /** Vertical extent, for drawing only what is on screen. */
  readonly top: number;
  readonly bottom: number;
}

/** Cards and links that intersect the vertical window [top, bottom] (canvas units). */
export function visibleIn(layout: Layout, top: number, bottom: number): { cards: Card[]; links: Link[] } {
  return {
    cards: layout.cards.filter((c) => c.y < bottom && c.y + c.h > top),
    links: layout.links.filter((l) => l.top < bottom && l.bottom > top),
  };
}

export interface Layout {
  readonly cards: readonly Card[];
  readonly links: readonly Link[];
  readonly height: number;
  readonly width: number;
}

const span = (a: number, b: number) => ({ top: Math.min(a, b) - 4, bottom: Math.max(a, b) + 4 });

const linkGen = linkHorizontal<{ source: [number, number]; target: [number, number] }, [number, number]>();
const path = (s: [number, number], t: [number, number]) => linkGen({ source: s, target: t }) ?? '';

/** A loop on the right of a column, from an entry to another card in the same column. */
function sideLoop(x: number, y1: number, y2: number): string {
  const bulge = 26 + Math.min(60, Math.abs(y2 - y1) / 12);
  return `M${x},${y1} C${x + bulge},${y1} ${x + bulge},${y2} ${x},${y2}`;
}

export const rowY = (card: Card, index: number): number | null => {
  for (const r of card.rows) if (r.kind === 'entry' && r.index === index) return r.y + ROW_H / 2;
  return null;
};

/** Which guest entries a shadow page mirrors: its quadrant's slice of a 4-byte table, else all. */
export function guestRange(sp: ShadowPageJson): { from: number; to: number } | null {
  if (sp.role.direct) return null;
  if (sp.role.gpteIs8Bytes) return { from: 0, to: 511 };
  const per = sp.role.level === 1 ? 512 : 256;
  return { from: sp.role.quadrant * per, to: sp.role.quadrant * per + per - 1 };
}

/**
 * The shadow sptes that mirror guest entry `index` of a table shadowed by `sp`
 * (get_written_sptes in reverse): a 32-bit PDE is two shadow PDEs.
 */
export function mirrorSptes(sp: ShadowPageJson, index: number, entrySize: 4 | 8): number[] {
  if (sp.role.direct) return [];
  if (entrySize === 8 || sp.role.gpteIs8Bytes) return [index];
  const range = guestRange(sp)!;
  if (index < range.from || index > range.to) return [];
  const local = index - range.from;
  return sp.role.level === 2 ? [local * 2, local * 2 + 1] : [local];
}

/**
 * `hidden` pages and `hiddenSptes` (`sp:index`) are left out: in event mode,
 * what later events of the step create is not shown yet.
 */
export function layoutColumns(
  machine: MachineJson,
  guest: readonly GuestTableJson[],
  hidden: ReadonlySet<number> = new Set(),
  hiddenSptes: ReadonlySet<string> = new Set(),
): Layout {
  const cards: Card[] = [];
  const links: Link[] = [];
  const byGfn = new Map<string, GuestCard>();
  let y = 12;
  for (const t of guest) {
    const rows = foldRows(
      t.entries.map((e) => e.index),
      t.entryCount,
      y + HEAD_H,
    );
    const h = HEAD_H + rows.length * ROW_H + 6;
    const card: GuestCard = { kind: 'guest', key: `gt:${t.gfn}:${t.level}` as `gt:${string}`, table: t, x: COLUMNS.guest.x, y, w: COLUMNS.guest.w, h, rows };
    cards.push(card);
    if (!byGfn.has(t.gfn)) byGfn.set(t.gfn, card);
    y += h + CARD_GAP;
  }
  const guestH = y;

  // Shadow pages: roots in the middle column (in slot order), the rest grouped
  // by the guest table they shadow, in the guest column's order.
  const sps = machine.shadowPages
    .filter((sp) => !hidden.has(sp.id))
    // Only pages with hidden sptes are copied: the others keep their identity, so their cards are not re-rendered.
    .map((sp) => (hiddenSptes.size && sp.sptes.some((e) => hiddenSptes.has(`${sp.id}:${e.index}`)) ? { ...sp, sptes: sp.sptes.filter((e) => !hiddenSptes.has(`${sp.id}:${e.index}`)) } : sp));
  const rootSlot = new Map<number, number>();
  machine.roots.forEach((id, i) => {
    if (id !== null && !rootSlot.has(id)) rootSlot.set(id, i);
  });
  const order = new Map<string, number>();
  guest.forEach((t, i) => {
    if (!order.has(t.gfn)) order.set(t.gfn, i);
  });
  const rank = (sp: ShadowPageJson) => order.get(sp.gfn) ?? 1e6 + parseInt(sp.gfn, 16);
  const others = sps
    .filter((sp) => !rootSlot.has(sp.id))
    .sort((a, b) => rank(a) - rank(b) || b.role.level - a.role.level || a.role.quadrant - b.role.quadrant || a.id - b.id);
  const roots = sps.filter((sp) => rootSlot.has(sp.id)).sort((a, b) => rootSlot.get(a.id)! - rootSlot.get(b.id)!);
  const place = (list: ShadowPageJson[], col: { x: number; w: number }) => {
    let cy = 12;
    const out: ShadowCard[] = [];
    for (const sp of list) {
      const rows = foldRows(
        sp.sptes.map((e) => e.index),
        512,
        cy + HEAD_H,
      );
      const h = HEAD_H + rows.length * ROW_H + 6;
      out.push({ kind: 'shadow', key: `sp:${sp.id}`, sp, rootSlot: rootSlot.get(sp.id) ?? null, x: col.x, y: cy, w: col.w, h, rows });
      cy += h + CARD_GAP;
    }
    return { out, h: cy };
  };
  const r = place(roots, COLUMNS.roots);
  const o = place(others, COLUMNS.shadow);
  cards.push(...r.out, ...o.out);
  const spCard = new Map<number, ShadowCard>();
  for (const c of [...r.out, ...o.out]) spCard.set(c.sp.id, c);

  // Guest pointers: an entry that points at another guest table.
  for (const c of cards) {
    if (c.kind !== 'guest') continue;
    for (const e of c.table.entries) {
      if (e.leaf || e.flags === 'not present') continue;
      const target = byGfn.get(e.target);
      const y1 = rowY(c, e.index);
      if (!target || y1 === null || target === c) continue;
      links.push({
        key: `gp:${c.key}:${e.index}`,
        kind: 'guest-pointer',
        path: sideLoop(c.x + c.w, y1, target.y + 12),
        quadrant: null,
        ends: [`gte:${c.table.gfn}:${e.index}`, target.key],
        ...span(y1, target.y + 12),
      });
    }
  }
  // Shadow-of: each guest table fans out to the shadow pages of its gfn.
  for (const sc of spCard.values()) {
    if (sc.sp.role.direct) continue;
    const g = byGfn.get(sc.sp.gfn);
    if (!g) continue;
    links.push({
      key: `so:${sc.sp.id}`,
      kind: 'shadow-of',
      path: path([g.x + g.w, g.y + 20], [sc.x, sc.y + 20]),
      quadrant: g.table.entrySize === 4 ? sc.sp.role.quadrant : null,
      ends: [g.key, sc.key],
      ...span(g.y + 20, sc.y + 20),
    });
  }
  // Child links: a non-leaf spte to the shadow page it points at.
  for (const sc of spCard.values()) {
    for (const e of sc.sp.sptes) {
      if (e.child === undefined) continue;
      const child = spCard.get(e.child);
      const y1 = rowY(sc, e.index);
      if (!child || y1 === null) continue;
      const p = child.x > sc.x ? path([sc.x + sc.w, y1], [child.x, child.y + 12]) : sideLoop(sc.x + sc.w, y1, child.y + 12);
      links.push({
        key: `ch:${sc.sp.id}:${e.index}`,
        kind: 'child',
        path: p,
        quadrant: child.sp.role.gpteIs8Bytes ? null : child.sp.role.quadrant,
        ends: [`spte:${sc.sp.id}:${e.index}`, child.key],
        ...span(y1, child.y + 12),
      });
    }
  }
  return { cards, links, height: Math.max(guestH, r.h, o.h, 200), width: CANVAS_W };
}
