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
  /** That slot as the kernel names it: `pae_root[i]` (PAE shadowing) or `root_hpa` (long mode), null if not a root. */
  readonly root: string | null;
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
  /** x of each column's left edge, for the column headings. */
  readonly columns: { readonly guest: number; readonly roots: number; readonly shadow: number };
}

const span = (a: number, b: number) => ({ top: Math.min(a, b) - 4, bottom: Math.max(a, b) + 4 });

const linkGen = linkHorizontal<{ source: [number, number]; target: [number, number] }, [number, number]>();
const path = (s: [number, number], t: [number, number]) => linkGen({ source: s, target: t }) ?? '';

/** How far right of its column a sideLoop may reach. */
const LOOP_ROOM = 70;

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
 * The shadow pages to draw and their order: roots (in slot order) for the
 * middle column, the rest grouped by the guest table they shadow, in the
 * guest column's order. `hidden` pages and `hiddenSptes` (`sp:index`) are
 * left out: in event mode, what later events of the step create is not shown yet.
 */
function shadowColumns(
  machine: MachineJson,
  guest: readonly GuestTableJson[],
  hidden: ReadonlySet<number>,
  hiddenSptes: ReadonlySet<string>,
): { roots: ShadowPageJson[]; others: ShadowPageJson[]; shadowCard: (sp: ShadowPageJson, x: number, y: number, w: number, h: number, rows: readonly Row[]) => ShadowCard } {
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
  // Four slots: the PAE roots of mmu_alloc_shadow_roots; one: mmu->root_hpa.
  const rootName = (slot: number) => (machine.roots.length === 4 ? `pae_root[${slot}]` : 'root_hpa');
  const shadowCard = (sp: ShadowPageJson, x: number, y: number, w: number, h: number, rows: readonly Row[]): ShadowCard => {
    const slot = rootSlot.get(sp.id) ?? null;
    return { kind: 'shadow', key: `sp:${sp.id}`, sp, rootSlot: slot, root: slot === null ? null : rootName(slot), x, y, w, h, rows };
  };
  return { roots, others, shadowCard };
}

/**
 * What a shadow page's card says, in the tables and the overview alike: its
 * quadrant colour (pages of 4-byte guest tables, and direct pages off
 * quadrant 0), its heading, and what it covers of the guest.
 */
export function shadowPageText(card: ShadowCard): { color: string | undefined; heading: string; covers: string } {
  const sp = card.sp;
  const q = sp.role.quadrant;
  const range = guestRange(sp);
  return {
    color: !sp.role.gpteIs8Bytes || (sp.role.direct && q) ? QUADRANT_COLORS[q] : undefined,
    heading: `${card.root !== null ? `${card.root} → ` : ''}sp ${sp.id} · l${sp.role.level} q${q}${sp.unsync ? ' · unsync' : ''}${sp.role.invalid ? ' · invalid' : ''}`,
    covers: sp.role.direct
      ? `direct: gfns from ${sp.gfn}`
      : range && !sp.role.gpteIs8Bytes
        ? `guest ${sp.role.level === 1 ? 'PTEs' : 'PDEs'} ${range.from}–${range.to}`
        : `shadows the guest table at gfn ${sp.gfn}`,
  };
}

const guestKey = (t: GuestTableJson) => `gt:${t.gfn}:${t.level}` as const;

/**
 * Where links attach to a card, in the layout's units: the detailed view
 * starts a pointer at its entry's row; the overview has no rows and starts
 * every link at the middle of the card's edge.
 */
interface Anchors {
  /** y of entry `index`'s row (null: not drawn). */
  readonly entry: (card: Card, index: number) => number | null;
  /** y where a pointer arrives at a card. */
  readonly head: (card: Card) => number;
  /** y where a guest table's fan-out to its shadow pages leaves and arrives. */
  readonly fan: (card: Card) => number;
}

/**
 * The links between the cards: guest pointers (an entry that points at
 * another guest table), shadow-of fan-outs (each guest table to the shadow
 * pages of its gfn, coloured by quadrant for 4-byte tables) and child links
 * (a non-leaf spte to the shadow page it points at).
 */
function linksBetween(cards: readonly Card[], a: Anchors): Link[] {
  const links: Link[] = [];
  const byGfn = new Map<string, GuestCard>();
  const spCard = new Map<number, ShadowCard>();
  for (const c of cards) {
    if (c.kind === 'guest') {
      if (!byGfn.has(c.table.gfn)) byGfn.set(c.table.gfn, c);
    } else spCard.set(c.sp.id, c);
  }
  for (const c of cards) {
    if (c.kind !== 'guest') continue;
    for (const e of c.table.entries) {
      if (e.leaf || e.flags === 'not present') continue;
      const target = byGfn.get(e.target);
      const y1 = a.entry(c, e.index);
      if (!target || y1 === null || target === c) continue;
      const y2 = a.head(target);
      links.push({
        key: `gp:${c.key}:${e.index}`,
        kind: 'guest-pointer',
        path: sideLoop(c.x + c.w, y1, y2),
        quadrant: null,
        ends: [`gte:${c.table.gfn}:${e.index}`, target.key],
        ...span(y1, y2),
      });
    }
  }
  for (const sc of spCard.values()) {
    if (sc.sp.role.direct) continue;
    const g = byGfn.get(sc.sp.gfn);
    if (!g) continue;
    const y1 = a.fan(g);
    const y2 = a.fan(sc);
    links.push({
      key: `so:${sc.sp.id}`,
      kind: 'shadow-of',
      path: path([g.x + g.w, y1], [sc.x, y2]),
      quadrant: g.table.entrySize === 4 ? sc.sp.role.quadrant : null,
      ends: [g.key, sc.key],
      ...span(y1, y2),
    });
  }
  for (const sc of spCard.values()) {
    for (const e of sc.sp.sptes) {
      if (e.child === undefined) continue;
      const child = spCard.get(e.child);
      const y1 = a.entry(sc, e.index);
      if (!child || y1 === null) continue;
      const y2 = a.head(child);
      const p = child.x > sc.x ? path([sc.x + sc.w, y1], [child.x, y2]) : sideLoop(sc.x + sc.w, y1, y2);
      links.push({
        key: `ch:${sc.sp.id}:${e.index}`,
        kind: 'child',
        path: p,
        quadrant: child.sp.role.gpteIs8Bytes ? null : child.sp.role.quadrant,
        ends: [`spte:${sc.sp.id}:${e.index}`, child.key],
        ...span(y1, y2),
      });
    }
  }
  return links;
}

const DETAIL_ANCHORS: Anchors = { entry: rowY, head: (c) => c.y + 12, fan: (c) => c.y + 20 };

/** The detailed view: every card with its rows (present entries, folded empty runs). */
export function layoutColumns(
  machine: MachineJson,
  guest: readonly GuestTableJson[],
  hidden: ReadonlySet<number> = new Set(),
  hiddenSptes: ReadonlySet<string> = new Set(),
): Layout {
  const cards: Card[] = [];
  let y = 12;
  for (const t of guest) {
    const rows = foldRows(
      t.entries.map((e) => e.index),
      t.entryCount,
      y + HEAD_H,
    );
    const h = HEAD_H + rows.length * ROW_H + 6;
    cards.push({ kind: 'guest', key: guestKey(t), table: t, x: COLUMNS.guest.x, y, w: COLUMNS.guest.w, h, rows });
    y += h + CARD_GAP;
  }
  const guestH = y;
  const { roots, others, shadowCard } = shadowColumns(machine, guest, hidden, hiddenSptes);
  const place = (list: ShadowPageJson[], col: { x: number; w: number }) => {
    let cy = 12;
    for (const sp of list) {
      const rows = foldRows(
        sp.sptes.map((e) => e.index),
        512,
        cy + HEAD_H,
      );
      const h = HEAD_H + rows.length * ROW_H + 6;
      cards.push(shadowCard(sp, col.x, cy, col.w, h, rows));
      cy += h + CARD_GAP;
    }
    return cy;
  };
  const rootsH = place(roots, COLUMNS.roots);
  const othersH = place(others, COLUMNS.shadow);
  return { cards, links: linksBetween(cards, DETAIL_ANCHORS), height: Math.max(guestH, rootsH, othersH, 200), width: CANVAS_W, columns: COLUMN_X };
}

const COLUMN_X = { guest: COLUMNS.guest.x, roots: COLUMNS.roots.x, shadow: COLUMNS.shadow.x } as const;

export interface OverviewSize {
  readonly width: number;
  readonly height: number;
  /** The most shadow pages the scene will hold, roots included, if known (the current count when larger). */
  readonly capacity?: number;
}

/** Space the overview leaves at its edges and the fewest pixels a card row may take (below it, the overview scrolls). */
export const OVERVIEW = { pad: 10, minPitch: 7, maxPitch: 46, labelMinH: 24 } as const;

/**
 * The overview: the whole scene laid out to fit `size` (CSS pixels) at once,
 * one card per table with no rows: the cards of a column share its height,
 * up to OVERVIEW.maxPitch each and down to OVERVIEW.minPitch (then it is
 * taller than `size` and scrolls). `size.capacity` is the most shadow pages
 * the scene will hold (e.g. the most alive at any step): with it the shadow
 * column's pitch stays the same from step to step, so a new page moves only the cards
 * after it instead of every card. The component draws each card's present
 * entries as ticks at their index along its width.
 */
export function layoutOverview(
  machine: MachineJson,
  guest: readonly GuestTableJson[],
  size: OverviewSize,
  hidden: ReadonlySet<number> = new Set(),
  hiddenSptes: ReadonlySet<string> = new Set(),
): Layout {
  const { pad, minPitch, maxPitch } = OVERVIEW;
  const width = Math.max(640, Math.floor(size.width));
  const height = Math.max(200, Math.floor(size.height));
  const { roots, others, shadowCard } = shadowColumns(machine, guest, hidden, hiddenSptes);
  const col = (from: number, to: number) => ({ x: Math.round(width * from), w: Math.round(width * (to - from)) });
  // The shadow column leaves room on its right for the loops of child links
  // within it (long mode: l3 -> l2 -> l1 pages are all there).
  const cols = { guest: { x: pad, w: Math.round(width * 0.28) - pad }, roots: col(0.37, 0.62), shadow: { x: Math.round(width * 0.71), w: width - LOOP_ROOM - Math.round(width * 0.71) } };
  const pitchFor = (n: number) => Math.max(minPitch, Math.min(maxPitch, (height - 2 * pad) / Math.max(1, n)));
  const cardH = (pitch: number) => (pitch >= 20 ? pitch - 6 : Math.max(4, pitch * 0.72));
  const cards: Card[] = [];
  let bottom = 0;
  const place = <T,>(list: readonly T[], room: number, make: (item: T, y: number, h: number) => Card) => {
    const pitch = pitchFor(Math.max(list.length, room));
    const h = cardH(pitch);
    list.forEach((item, i) => cards.push(make(item, pad + i * pitch, h)));
    bottom = Math.max(bottom, pad + list.length * pitch);
  };
  place(guest, 0, (t, y, h) => ({ kind: 'guest', key: guestKey(t), table: t, x: cols.guest.x, y, w: cols.guest.w, h, rows: [] }));
  const shadow = (c: { x: number; w: number }) => (sp: ShadowPageJson, y: number, h: number): Card => shadowCard(sp, c.x, y, c.w, h, []);
  // Room for every root slot (pae_root[0..3]), and for the most shadow pages
  // the scenario will have (capacity counts the roots too).
  place(roots, machine.roots.length, shadow(cols.roots));
  place(others, (size.capacity ?? 0) - machine.roots.length, shadow(cols.shadow));
  const mid = (c: Card) => c.y + c.h / 2;
  const links = linksBetween(cards, { entry: mid, head: mid, fan: mid });
  return { cards, links, height: Math.max(height, Math.ceil(bottom + pad)), width, columns: { guest: cols.guest.x, roots: cols.roots.x, shadow: cols.shadow.x } };
}

/** x of entry `index` of `count` along an overview card (its ticks). */
export function tickX(card: Card, index: number, count: number): number {
  const inset = card.kind === 'shadow' ? 8 : 4;
  return card.x + inset + ((index + 0.5) * (card.w - inset - 4)) / count;
}
