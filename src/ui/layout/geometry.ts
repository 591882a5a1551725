/**
 * Pure layout maths for the three columns (guest tables | KVM roots | shadow
 * pages): card and row positions, folded runs of empty entries, and the link
 * paths between them (d3-shape computes the curves). React only draws it.
 */
import { type GuestTableJson, type MachineJson, type ShadowPageJson, type sim_GuestEntriesShape, sim_guestEntriesShape, type sim_SptesShape, sim_sptesShape } from '../../core/index.ts';
import { type LinkStyle, linkStyle, type Route, type RouteRequest, routeLinks } from './routes.ts';

export const ROW_H = 18;
export const HEAD_H = 40;

/**
 * How much a card says and how tightly the columns sit. `full`: the kvmmmu
 * notation on every card and spelled-out entries; `compact`: the same cards
 * with shorter texts (the notation in the tooltip), larger small print and
 * narrower gaps, for windows where the full form does not fit at 100% (a
 * projector at 1280 px with the side panel, an embed on a slide). Fonts are
 * in layout units: the canvas scales them with the zoom.
 */
export interface Density {
  readonly name: 'full' | 'compact';
  /** Room between cards of a column. */
  readonly cardGap: number;
  /** Room between columns, where the links run. */
  readonly colGap: number;
  /** Font sizes: card title (sans, bold), card subtitle (mono), entry rows (mono), folded runs (sans italic). */
  readonly font: { readonly title: number; readonly sub: number; readonly row: number; readonly fold: number };
  /** The narrowest a column may be. */
  readonly minColW: number;
  /** Height of a folded run of empty entries between present ones (ROW_H: a row with its words). */
  readonly foldGap: number;
}
export const DENSITIES = {
  full: { name: 'full', cardGap: 14, colGap: 74, font: { title: 13, sub: 11, row: 12, fold: 11 }, minColW: 260, foldGap: ROW_H },
  compact: { name: 'compact', cardGap: 6, colGap: 46, font: { title: 13, sub: 12, row: 12, fold: 12 }, minColW: 170, foldGap: 7 },
} as const satisfies Record<string, Density>;

/**
 * Text widths, estimated (the layout is pure and knows no fonts): monospace
 * glyphs are 0.6 em in every common monospace font; the sans factors are
 * generous (DejaVu Sans, the widest of the usual UI fonts, has 0.64 em digits),
 * so a card is never narrower than its text. An e2e test checks it in a browser.
 */
const EM = { mono: 0.6, sans: 0.6, sansBold: 0.68 } as const;
export const textWidth = (s: string, px: number, kind: keyof typeof EM): number => s.length * px * EM[kind];
/** Padding left and right of a card's text. */
const PAD = { left: 12, right: 10 } as const;
/** Left and right margins of the canvas. */
const MARGIN = 16;

/** Okabe-Ito colours, safe for the common colour-vision deficiencies: one per quadrant. */
export const QUADRANT_COLORS = ['#E69F00', '#56B4E9', '#009E73', '#CC79A7'] as const;

/** The columns of an entry row, padded so a card's rows line up. */
export interface RowText {
  readonly idx: string;
  readonly value: string;
  readonly flags: string;
  readonly target: string;
}

/** A row of a table as foldRows places it: a present entry, or a folded run of empty ones. */
export type RowSlot =
  | { readonly kind: 'entry'; readonly index: number; readonly y: number }
  | { readonly kind: 'fold'; readonly from: number; readonly to: number; readonly y: number; /** Set on a compact gap (no words drawn). */ readonly h?: number };

/** A card's row with its text; `y` is relative to the card's top. */
export type Row = (RowSlot & { readonly kind: 'entry'; readonly text: RowText }) | (RowSlot & { readonly kind: 'fold'; readonly text: string });

/**
 * Present entries shown, runs of empty ones folded into one row ("entries
 * 4-255 not present"). With `gapH` (compact cards) a run between or around
 * present entries is a thin gap of that height instead of a row; a table
 * with no entry present keeps its one full row.
 */
export function foldRows(indexes: readonly number[], count: number, y0: number, gapH: number = ROW_H): RowSlot[] {
  const rows: RowSlot[] = [];
  foldRowsWith(
    indexes,
    count,
    y0,
    gapH,
    (index, y) => void rows.push({ kind: 'entry', index, y }),
    (from, to, y, h) => void rows.push(h === undefined ? { kind: 'fold', from, to, y } : { kind: 'fold', from, to, y, h }),
  );
  return rows;
}

/**
 * foldRows as calls, in row order: `entry` for each present entry (told its
 * position k in `indexes`), `fold` for each run between them. Nothing is
 * collected: a layout's placing pass only records positions (an array per
 * card was most of what it made), and the rows are made by their caller.
 */
function foldRowsWith(
  indexes: readonly number[],
  count: number,
  y0: number,
  gapH: number,
  entry: (index: number, y: number, k: number) => void,
  fold: (from: number, to: number, y: number, h: number | undefined) => void,
): void {
  let next = 0;
  let y = y0;
  const gap = (from: number, to: number) => {
    const h = indexes.length ? gapH : ROW_H;
    fold(from, to, y, h === ROW_H ? undefined : h);
    y += h;
  };
  for (let k = 0; k < indexes.length; k++) {
    const i = indexes[k]!;
    if (i > next) gap(next, i - 1);
    entry(i, y, k);
    y += ROW_H;
    next = i + 1;
  }
  if (next < count) gap(next, count - 1);
}

/** A row's height: ROW_H, or a compact gap's own. */
export const rowH = (r: RowSlot): number => (r.kind === 'fold' && r.h !== undefined ? r.h : ROW_H);

/**
 * The rows of a card to draw when only [from, to) of it (card units, from its
 * top) is near the screen: those that reach into it, in order, and the entry
 * `keep` (the column's focused entry) wherever it is, so the keyboard focus
 * is never on a row that is not drawn. Rows keep their own y: leaving some
 * out moves none of the others.
 */
export function rowsInWindow<R extends Row>(rows: readonly R[], from: number, to: number, keep: number | null = null): readonly R[] {
  // Rows are in y order: the first that ends below `from` by bisection.
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const r = rows[mid]!;
    if (r.y + rowH(r) <= from) lo = mid + 1;
    else hi = mid;
  }
  let end = lo;
  while (end < rows.length && rows[end]!.y < to) end++;
  const out = rows.slice(lo, end);
  if (keep === null || out.some((r) => r.kind === 'entry' && r.index === keep)) return out;
  const k = rows.find((r) => r.kind === 'entry' && r.index === keep);
  if (!k) return out;
  return k.y < from ? [k, ...out] : [...out, k];
}

/** A folded run's words: "entry 5 not present" for one, "entries 4–255 not present" for more. */
export const foldText = (from: number, to: number, one: string, many: string): string => `${from === to ? `${one} ${from}` : `${many} ${from}–${to}`} not present`;
/** foldText(...).length without the string (a layout measures every gap of every card it places, and draws few). */
export const foldTextChars = (from: number, to: number, one: string, many: string): number =>
  (from === to ? one.length + 1 + digits(from) : many.length + 1 + digits(from) + 1 + digits(to)) + ' not present'.length;

export interface GuestCard {
  readonly kind: 'guest';
  readonly key: `gt:${string}`;
  readonly table: GuestTableJson;
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
  readonly rows: readonly Row[];
  /** The card's heading and subtitle, as drawn (the overview has no subtitle). */
  readonly title: string;
  readonly sub: string;
}

export interface ShadowCard {
  readonly kind: 'shadow';
  readonly key: `sp:${number}`;
  readonly sp: ShadowPageJson;
  /** pae_root[i] / root slot this page hangs in, if it is a root. */
  readonly rootSlot: number | null;
  /** That slot as the kernel names it: `pae_root[i]` (PAE shadowing) or `root_hpa` (long mode), null if not a root. */
  readonly root: string | null;
  /** The prev_roots[i] entry that caches this page (kvm_mmu_new_pgd's cache of roots a CR3 switch can reuse), null if none. */
  readonly prevRoot: number | null;
  /** The column it is drawn in: the current roots and the cached ones (prev_roots) are in the middle one. */
  readonly column: 'roots' | 'shadow';
  /** What the step's zapping did to it (see ZapState). */
  readonly zap: ZapState;
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
  readonly rows: readonly Row[];
  readonly title: string;
  readonly sub: string;
}

export type Card = GuestCard | ShadowCard;

/**
 * What a step's zapping did to a shadow page (kvm_mmu_prepare_zap_page, then
 * kvm_mmu_commit_zap_page frees the pages no root holds): `freed`, zapped
 * and freed in this step: drawn faded, as it was before the step, for this
 * step only; `invalid`, zapped but still allocated (role.invalid: a root
 * whose root_count is not 0 yet, freed by mmu_free_root_page later);
 * `pending`, freed by an event of this step that event mode has not
 * revealed yet (drawn as it was); null: not zapped in this step.
 */
export type ZapState = 'freed' | 'invalid' | 'pending' | null;

/**
 * The pages a step zapped, for the layout: `zapped`, the ids its (revealed)
 * kvm_mmu_prepare_zap_page events name; `released`, those its (revealed)
 * kvm_mmu_commit_zap_page events free; `freed`, the pages alive before the
 * step and gone after it, as they were before it; `wasRoot`, the root slot
 * each of those held before the step (`pae_root[1]`, `prev_roots[0]`, ...).
 */
export interface Gone {
  readonly zapped: ReadonlySet<number>;
  readonly released: ReadonlySet<number>;
  readonly freed: readonly ShadowPageJson[];
  readonly wasRoot: ReadonlyMap<number, string>;
}
export const NOTHING_GONE: Gone = { zapped: new Set(), released: new Set(), freed: [], wasRoot: new Map() };

/**
 * What is drawn but is no table: an invalid `pae_root[i]` slot (the guest's
 * PDPTE i not present, so mmu_alloc_shadow_roots left it INVALID_PAE_ROOT),
 * in slot order among the roots, or the note of an empty guest column.
 * Links never end on one and are routed around it; it is not focusable
 * (its words are its accessible name).
 */
export interface NoteCard {
  readonly kind: 'note';
  readonly key: `note:${string}`;
  readonly column: 'guest' | 'roots' | 'shadow';
  /** For an invalid root slot: its index in pae_root[]. */
  readonly slot: number | null;
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
  readonly title: string;
  readonly sub: string;
  /** Both lines in one sentence: the accessible name and tooltip. */
  readonly label: string;
}
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
  /** How to draw it: fan-outs dashed with a dot, child pointers solid with an arrowhead, guest pointers dotted grey (routes.ts). */
  readonly style: LinkStyle;
}

/** Cards and links that intersect the vertical window [top, bottom] (canvas units). */
export function visibleIn(layout: Layout, top: number, bottom: number): { cards: Card[]; notes: NoteCard[]; links: Link[] } {
  return {
    cards: layout.cards.filter((c) => c.y < bottom && c.y + c.h > top),
    notes: layout.notes.filter((c) => c.y < bottom && c.y + c.h > top),
    links: layout.links.filter((l) => l.top < bottom && l.bottom > top),
  };
}

export interface Layout {
  readonly cards: readonly Card[];
  /** Invalid root slots and empty-column notes (not in `cards`: not focusable, no links; the router avoids them). */
  readonly notes: readonly NoteCard[];
  readonly links: readonly Link[];
  readonly height: number;
  readonly width: number;
  /** x of each column's left edge, for the column headings. */
  readonly columns: { readonly guest: number; readonly roots: number; readonly shadow: number };
  /** How much the cards say (the overview is always compact: its cards have no rows). */
  readonly density: Density;
}

/**
 * A link as the layout gives it: what it joins and how it looks, and its
 * route, whose path is written when first read (routes.ts Route: most links
 * are never drawn). A class, not a spread of the draft and the route: two
 * spreads gave each link a V8 map of its own.
 */
class RoutedLink implements Link {
  readonly key: string;
  readonly kind: Link['kind'];
  readonly quadrant: number | null;
  readonly ends: readonly string[];
  readonly style: LinkStyle;
  readonly top: number;
  readonly bottom: number;
  readonly #route: Route;
  constructor(link: Omit<Link, 'path' | 'top' | 'bottom'>, route: Route) {
    this.key = link.key;
    this.kind = link.kind;
    this.quadrant = link.quadrant;
    this.ends = link.ends;
    this.style = link.style;
    this.top = route.top;
    this.bottom = route.bottom;
    this.#route = route;
  }
  get path(): string {
    return this.#route.path;
  }
  /** Whether `other` joins the same ends, looks the same and takes the same path. */
  same(other: RoutedLink): boolean {
    return (
      this.key === other.key &&
      this.kind === other.kind &&
      this.quadrant === other.quadrant &&
      this.style === other.style &&
      this.top === other.top &&
      this.bottom === other.bottom &&
      this.ends.length === other.ends.length &&
      this.ends.every((e, i) => e === other.ends[i]) &&
      this.#route.samePath(other.#route)
    );
  }
}
const sameLink = (a: RoutedLink, b: RoutedLink) => a.same(b);

/**
 * The cards and links made last, by key. A layout gives again the object
 * made for an earlier one when the new one is the same in every field (a
 * card also by its body): the layouts of neighbouring steps share most of
 * their cards and links, and keep one copy of each instead of making the
 * whole picture again for every step (what a new object costs is less the
 * making than the garbage collector copying it while it is young).
 */
const recentCards = new Map<string, Card>();
const recentLinks = new Map<string, RoutedLink>();
const RECENT_MAX = 4096;

/** How many times a layout's links were found (linksBetween; a probe for tests). */
let linksFound = 0;
export const sim_linksFound = (): number => linksFound;

/** Forgets the cards and links kept (for tests: a layout made after it has only new objects). */
export function sim_forgetRecent(): void {
  recentCards.clear();
  recentLinks.clear();
}

/** `made`, or the object by its key in `kept` if that is the same (then `made` is garbage at once). */
function recent<T extends { readonly key: string }>(kept: Map<string, T>, made: T, same: (a: T, b: T) => boolean): T {
  const before = kept.get(made.key);
  if (before && same(before, made)) return before;
  if (kept.size >= RECENT_MAX) kept.clear();
  kept.set(made.key, made);
  return made;
}

/** Two detailed cards with the same fields (own ones: `rows` is their body's, compared apart). */
function sameCardFields(a: Card, b: Card): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const k of keys) if ((a as unknown as Record<string, unknown>)[k] !== (b as unknown as Record<string, unknown>)[k]) return false;
  return true;
}

/** How far right of its column a loop (a link within the column) may reach. */
const LOOP_ROOM = 70;

/** The middle of entry `index`'s row (layout units), null where the card draws no such row. */
export const rowY = (card: Card, index: number): number | null => {
  // A detailed card knows where each entry's row is without building its rows (bodies).
  const body = bodies.get(card);
  if (body) {
    const k = entryPosition(card, index);
    return k < 0 ? null : card.y + body.entryY[k]! + ROW_H / 2;
  }
  for (const r of card.rows) if (r.kind === 'entry' && r.index === index) return card.y + r.y + ROW_H / 2;
  return null;
};

/** The shape of a card's present entries (core sim_guestEntriesShape, sim_sptesShape): what the layout reads instead of their JSON. */
const shapeOf = (card: Card): sim_GuestEntriesShape | sim_SptesShape => (card.kind === 'guest' ? sim_guestEntriesShape(card.table) : sim_sptesShape(card.sp));

/** Where entry `index` is among a card's present entries (sorted by index), by bisection; -1 if absent. */
function entryPosition(card: Card, index: number): number {
  const { index: indexes } = shapeOf(card);
  let lo = 0;
  let hi = indexes.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const at = indexes[mid]!;
    if (at === index) return mid;
    if (at < index) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** The width a detailed card's rows need (layout units, no padding) as the layout took it, without its rows; null for other cards. */
export const rowsTextWidth = (card: Card): number | null => bodies.get(card)?.textW ?? null;

/** The entry indexes of a card's entry rows, top to bottom (its focus order), without building the rows of a detailed card. */
export function cardEntryIndexes(card: Card): number[] {
  if (bodies.has(card)) return shapeOf(card).index.slice();
  const out: number[] = [];
  for (const r of card.rows) if (r.kind === 'entry') out.push(r.index);
  return out;
}

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
 * A copy of a page with other sptes, made without reading its own (a view's
 * page makes them when first read: a spread would make them), its fields in
 * their order.
 */
const withSptes = (sp: ShadowPageJson, sptes: ShadowPageJson['sptes']): ShadowPageJson =>
  Object.defineProperties({}, { ...Object.getOwnPropertyDescriptors(sp), sptes: { value: sptes, enumerable: true } }) as ShadowPageJson;

/** A shadow page as a column draws it: where it hangs (if a root) and what the step's zapping did to it. */
interface PageItem {
  readonly kind: 'sp';
  readonly sp: ShadowPageJson;
  readonly rootSlot: number | null;
  readonly root: string | null;
  readonly prevRoot: number | null;
  readonly zap: ZapState;
}
/** An invalid pae_root slot, with the reason. */
interface SlotItem {
  readonly kind: 'slot';
  readonly slot: number;
  readonly title: string;
  readonly sub: string;
  readonly label: string;
}

/** Whether a PDPTE register value (hex) has its P bit set. */
const pdptePresent = (v: string | undefined) => v !== undefined && (parseInt(v.slice(-1), 16) & 1) === 1;

/**
 * An invalid pae_root[i] slot's words. mmu_alloc_shadow_roots (mmu.c) leaves
 * pae_root[i] INVALID_PAE_ROOT for a PAE guest whose PDPTE i is not present:
 * there is no guest page directory to shadow. A same-value MOV CR3 reloads
 * the PDPTEs but keeps pae_root[] (kvm_set_cr3 in 5.15), so a PDPTE present
 * now may still have an invalid slot.
 */
function invalidSlot(machine: MachineJson, i: number): SlotItem {
  const title = `pae_root[${i}]: invalid`;
  const sub =
    machine.mode !== 'pae'
      ? 'no shadow root in this slot'
      : pdptePresent(machine.cpu.pdptrs[i])
        ? `guest PDPTE ${i} was not present when the roots were built`
        : `guest PDPTE ${i} not present`;
  return { kind: 'slot', slot: i, title, sub, label: `${title}, ${sub}` };
}

/**
 * The shadow pages to draw and their order. The middle column: the roots in
 * slot order (an invalid PAE slot as a slot item), then the cached
 * prev_roots. The shadow column: the rest, with the pages the step freed
 * (roots that were included), grouped by the guest table they shadow, in
 * the guest column's order. `hidden` pages and `hiddenSptes`
 * (`sp:index`) are left out: in event mode, what later events of the step
 * create is not shown yet.
 */
function shadowColumns(
  machine: MachineJson,
  guest: readonly GuestTableJson[],
  hidden: ReadonlySet<number>,
  hiddenSptes: ReadonlySet<string>,
  gone: Gone,
): { rootCol: (PageItem | SlotItem)[]; others: PageItem[] } {
  const sps = machine.shadowPages
    .filter((sp) => !hidden.has(sp.id))
    // Only pages with hidden sptes are copied: the others keep their identity, so their cards are not re-rendered
    // (found from the shape of their sptes: the others' JSON is not made for it).
    .map((sp) => (hiddenSptes.size && sim_sptesShape(sp).index.some((i) => hiddenSptes.has(`${sp.id}:${i}`)) ? withSptes(sp, sp.sptes.filter((e) => !hiddenSptes.has(`${sp.id}:${e.index}`))) : sp));
  const byId = new Map(sps.map((sp) => [sp.id, sp]));
  const placed = new Set<number>();
  // Four slots: the PAE roots of mmu_alloc_shadow_roots; one: mmu->root_hpa.
  const rootName = (slot: number) => (machine.roots.length === 4 ? `pae_root[${slot}]` : 'root_hpa');
  const live = (sp: ShadowPageJson, rootSlot: number | null, root: string | null, prevRoot: number | null): PageItem => ({
    kind: 'sp',
    sp,
    rootSlot,
    root,
    prevRoot,
    zap: gone.zapped.has(sp.id) ? 'invalid' : null,
  });
  const rootCol: (PageItem | SlotItem)[] = [];
  machine.roots.forEach((id, i) => {
    if (id === null) {
      if (machine.roots.length === 4) rootCol.push(invalidSlot(machine, i));
      return;
    }
    const sp = byId.get(id);
    if (!sp || placed.has(id)) return;
    placed.add(id);
    rootCol.push(live(sp, i, rootName(i), null));
  });
  // Event mode: zapped but not freed yet (on invalid_list, or a root still referenced) until its kvm_mmu_commit_zap_page.
  const freedZap = (id: number): ZapState => (!gone.zapped.has(id) ? 'pending' : gone.released.has(id) ? 'freed' : 'invalid');
  // Once zapped it is drawn with no sptes: kvm_mmu_page_unlink_children
  // cleared them all before the page was freed (so it also takes little room).
  const freed = (sp: ShadowPageJson, root: string | null): PageItem => {
    const zap = freedZap(sp.id);
    return { kind: 'sp', sp: zap === 'pending' || !sim_sptesShape(sp).index.length ? sp : withSptes(sp, []), rootSlot: null, root, prevRoot: null, zap };
  };
  machine.prevRoots.forEach((p, i) => {
    const sp = p.root === null ? undefined : byId.get(p.root);
    if (!sp || placed.has(sp.id)) return;
    placed.add(sp.id);
    rootCol.push(live(sp, null, `prev_roots[${i}] (cached, CR3 = ${p.pgd})`, i));
  });
  const order = new Map<string, number>();
  guest.forEach((t, i) => {
    if (!order.has(t.gfn)) order.set(t.gfn, i);
  });
  const rank = (sp: ShadowPageJson) => order.get(sp.gfn) ?? 1e6 + parseInt(sp.gfn, 16);
  const others = [
    ...sps.filter((sp) => !placed.has(sp.id)).map((sp) => live(sp, null, null, null)),
    // A freed root too: it is no root any more, and here, beside the roots
    // that replace it and among the pages of its guest table, it stays on
    // screen with them (the roots column is the tallest when roots are rebuilt).
    ...gone.freed.filter((sp) => !byId.has(sp.id)).map((sp) => {
      const was = gone.wasRoot.get(sp.id);
      return freed(sp, was === undefined ? null : `was ${was}`);
    }),
  ].sort((x, y) => {
    const [a, b] = [x.sp, y.sp];
    return rank(a) - rank(b) || b.role.level - a.role.level || a.role.quadrant - b.role.quadrant || a.id - b.id;
  });
  return { rootCol, others };
}

/**
 * What a shadow page's card says, in the tables and the overview alike: its
 * quadrant colour (pages of 4-byte guest tables, and direct pages off
 * quadrant 0), its heading, and what it covers of the guest.
 */
export function shadowPageText(
  sp: ShadowPageJson,
  root: string | null,
  zap: ZapState = null,
): { color: string | undefined; heading: string; name: string; roleWords: string; zapWords: string; covers: string } {
  const q = sp.role.quadrant;
  const range = guestRange(sp);
  const name = `${root !== null ? `${root} → ` : ''}sp ${sp.id}`;
  // A page the step zapped says so, in every density's heading: freed now
  // (gone at the next step), or still allocated (on invalid_list, or a root
  // with references left) with role.invalid set.
  const zapWords = zap === 'freed' ? 'zapped' : zap === 'invalid' ? 'zapped: invalid, not yet freed' : '';
  const roleWords = `l${sp.role.level} q${q}${sp.unsync ? ' · unsync' : ''}${sp.role.invalid && !zapWords ? ' · invalid' : ''}`;
  return {
    color: !sp.role.gpteIs8Bytes || (sp.role.direct && q) ? QUADRANT_COLORS[q] : undefined,
    heading: `${name} · ${roleWords}${zapWords ? ` · ${zapWords}` : ''}`,
    name,
    roleWords,
    zapWords,
    covers: sp.role.direct
      ? `direct: gfns from ${sp.gfn}`
      : range && !sp.role.gpteIs8Bytes
        ? `guest ${sp.role.level === 1 ? 'PTEs' : 'PDEs'} ${range.from}–${range.to}`
        : `shadows the guest table at gfn ${sp.gfn}`,
  };
}

const GUEST_LEVEL_NAME = ['', 'PT', 'PD', 'PDPT', 'PML4'];

/** A guest table's name: `guest PT · gfn 0x4` (the PAE PDPTE registers are no table in memory). */
export function guestTableName(t: GuestTableJson): string {
  const name = t.level === 3 && t.registers ? 'PDPTE registers' : (GUEST_LEVEL_NAME[t.level] ?? `L${t.level}`);
  return `guest ${name} · gfn ${t.gfn}`;
}

/** Flags as compact cards draw them, per flags string (a handful of them in a scenario). */
const compactFlags = new Map<string, string>();

/** Flags as drawn: spaced out in full, run together (single letters) in compact. */
function flagText(flags: string, d: Density): string {
  if (d.name === 'full' || flags === 'not present') return flags;
  let t = compactFlags.get(flags);
  if (t === undefined) {
    t = flags.replace(/\b(\w) (?=\w\b)/g, '$1');
    if (compactFlags.size < 4096) compactFlags.set(flags, t);
  }
  return t;
}

const padIdx = (i: number) => String(i).padStart(4, '\u2007');

type GuestEntry = GuestTableJson['entries'][number];
type Spte = ShadowPageJson['sptes'][number];

const guestTarget = (e: GuestEntry, d: Density): string => (e.flags === 'not present' ? '' : d.name === 'full' ? `→ ${e.leaf ? 'page' : 'table'} ${e.target}` : `→ ${e.target}`);
const spteTarget = (e: Spte): string => (e.child !== undefined ? `→ sp ${e.child}` : e.mmio ? `MMIO gfn ${e.gfn}` : e.gfn ? `gfn ${e.gfn}` : '');

function guestRowText(e: GuestEntry, valueW: number, d: Density): RowText {
  return { idx: padIdx(e.index), value: e.value.padEnd(valueW), flags: flagText(e.flags, d), target: guestTarget(e, d) };
}

function spteRowText(e: Spte, valueW: number, d: Density): RowText {
  return { idx: padIdx(e.index), value: e.value.padEnd(valueW), flags: flagText(e.flags, d), target: spteTarget(e) };
}

/**
 * How many characters an entry's row has after its value (flags, target and
 * the space between them): with the index's and the value's, the length of
 * its rowString, so its width is known without building its text.
 */
/** The longest rowTail of a table's entries, from the shape of its entries (their JSON is not made for it): guestRowText's flags and guestTarget. */
const guestTailMax = (s: sim_GuestEntriesShape, d: Density): number =>
  s.tails.reduce((w, t) => Math.max(w, flagText(t.flags, d).length + 1 + (t.flags === 'not present' ? 0 : d.name === 'full' ? (t.kind /* leaf: "→ page " */ ? 7 : 8) + t.n : 2 + t.n)), 0);
/** The longest rowTail of a page's sptes, from the shape of its sptes: spteRowText's flags and spteTarget. */
const spteTailMax = (s: sim_SptesShape, d: Density): number =>
  s.tails.reduce((w, t) => Math.max(w, flagText(t.flags, d).length + 1 + (t.kind === 'non-leaf' ? 5 + digits(t.n) : t.kind === 'mmio' ? 9 + t.n : t.kind === 'leaf' ? 4 + t.n : 0)), 0);
/** How many digits a number has in decimal (String(n).length, without the string). */
const digits = (n: number): number => (n >= 0 && n < 10 ? 1 : n >= 10 && n < 100 ? 2 : n >= 100 && n < 1000 ? 3 : n >= 1000 && n < 10000 ? 4 : String(n).length);

/** A row's text as drawn, in one string (its width, and the start of its accessible name). */
export const rowString = (r: RowText) => `${r.idx} ${r.value} ${r.flags} ${r.target}`;

/**
 * A card's rows as the layout needs them: their total height, the width of
 * their text (no padding) and the top of each entry's row (card units, by
 * position in its entries); the rows themselves (objects with texts) are
 * built only when first read: at 100,000 steps a jump changes most of ~80
 * cards, and only the few on screen are drawn.
 */
interface Body {
  readonly textW: number;
  readonly height: number;
  readonly entryY: Float64Array;
  readonly rows: () => Row[];
}

/** The body of each detailed card (what rowY reads instead of its rows). */
const bodies = new WeakMap<Card, Body>();

/**
 * What every detailed card inherits: `rows`, its body's, built when first
 * read. One getter on a shared prototype, not one in each card's literal: V8
 * gives an object literal with an accessor a dictionary-mode map of its own,
 * and every reader of cards (layout, links, canvas) went megamorphic.
 */
const DETAILED_CARD: { readonly rows: readonly Row[] } = {
  get rows(): readonly Row[] {
    return bodies.get(this as unknown as Card)?.rows() ?? [];
  },
};

/** A detailed card: its fields (all but rows) on an object whose `rows` is DETAILED_CARD's. */
const detailedCard = <C extends Card>(fields: Omit<C, 'rows'>): C => Object.assign(Object.create(DETAILED_CARD) as object, fields) as C;

/**
 * A card's body by the shape of its entries: the views reuse the table or
 * page that did not change (core sim_JsonMemo), and so its shape and its body
 * here; a jump across a 100,000-step run then lays out only the cards that changed.
 */
const rowsMemo = new WeakMap<object, Map<Density['name'], Body>>();

/**
 * What a card's rows are made from: the shape of its present entries (their
 * indexes and longest value; the body is kept by it, rowsMemo), the longest
 * text after a value, how many slots it has, and how an entry reads. The
 * entries themselves are read only when the rows are built (a view makes
 * them then: core sim_sptesShape, sim_guestEntriesShape).
 */
interface RowsSpec<E extends { index: number }> {
  readonly shape: { readonly index: readonly number[]; readonly valueChars: number };
  /** The longest text after an entry's value: its flags, a space and its target (rowTail). */
  readonly tailMax: () => number;
  readonly entries: () => readonly E[];
  readonly count: number;
  readonly y0: number;
  readonly text: (e: E, valueW: number) => RowText;
  readonly fold: { readonly one: string; readonly many: string };
  readonly d: Density;
}

/** A card's body, and the width its text needs (layout units, padding included). */
function cardRows<E extends { index: number }>(spec: RowsSpec<E>, heading: readonly string[]): { body: Body; textW: number } {
  const { shape, d } = spec;
  let per = rowsMemo.get(shape);
  if (!per) rowsMemo.set(shape, (per = new Map()));
  let body = per.get(d.name);
  if (!body) per.set(d.name, (body = rowsOf(spec)));
  const headW = Math.max(textWidth(heading[0] ?? '', d.font.title, 'sansBold'), textWidth(heading[1] ?? '', d.font.sub, 'mono'));
  return { body, textW: Math.max(headW, body.textW) + PAD.left + PAD.right };
}

/** An entry's row text and its width, for the density and value width last asked (`key`). */
const rowTexts = new WeakMap<object, { readonly key: string; readonly t: RowText }>();

/**
 * The body of cardRows: one placing pass over the entries and the runs
 * between them (foldRowsWith, recording positions and widths, no rows), the
 * rows on demand.
 */
function rowsOf<E extends { index: number }>(spec: RowsSpec<E>): Body {
  const { count, y0, text, fold, d } = spec;
  const indexes = spec.shape.index;
  // Values share one width per card, so the flag and target columns line up.
  const valueW = spec.shape.valueChars;
  // A row reads `${idx} ${value} ${flags} ${target}`: the index padded to 4
  // (padIdx; a table has at most 1,024 entries), the value to valueW.
  const chars = 4 + 1 + valueW + 1 + spec.tailMax();
  const entryY = new Float64Array(indexes.length);
  let textW = 0;
  let end = y0;
  // Both passes (placing now, rows on demand) place the same entries and runs the same way.
  const place = (entry: (index: number, y: number, k: number) => void, gap: (from: number, to: number, y: number, h: number | undefined) => void): void =>
    foldRowsWith(indexes, count, y0, d.foldGap, entry, gap);
  place(
    (_, y, k) => {
      entryY[k] = y;
      end = y + ROW_H;
    },
    (from, to, y, h) => {
      // A compact gap draws no words (they are its tooltip), so it needs no width.
      if (h === undefined) textW = Math.max(textW, charsWidth(foldTextChars(from, to, fold.one, fold.many), d.font.fold, 'sans'));
      end = y + (h ?? ROW_H);
    },
  );
  if (indexes.length) textW = Math.max(textW, charsWidth(chars, d.font.row, 'mono'));
  const key = `${d.name}:${valueW}`;
  let rows: Row[] | null = null;
  const make = (): Row[] => {
    const entries = spec.entries();
    const out: Row[] = [];
    place(
      (index, ry, k) => {
        // An entry kept from an earlier state (core sim_JsonMemo) keeps its text too.
        const e = entries[k]!;
        let got = rowTexts.get(e);
        if (got?.key !== key) rowTexts.set(e, (got = { key, t: text(e, valueW) }));
        out.push({ kind: 'entry', index, y: ry, text: got.t });
      },
      (from, to, ry, h) => {
        const t = foldText(from, to, fold.one, fold.many);
        out.push(h === undefined ? { kind: 'fold', from, to, y: ry, text: t } : { kind: 'fold', from, to, y: ry, h, text: t });
      },
    );
    return out;
  };
  return { textW, height: end - y0, entryY, rows: () => (rows ??= make()) };
}

/** textWidth of a string of `chars` characters. */
export const charsWidth = (chars: number, px: number, kind: keyof typeof EM): number => chars * px * EM[kind];

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
 * (a non-leaf spte to the shadow page it points at). Each carries its style
 * (routes.ts linkStyle); routeLinks draws the paths, taking a fan-out past
 * the roots column through a gap between its cards (or above or below
 * them), never under one.
 */
function linksBetween(cards: readonly Card[], notes: readonly NoteCard[], a: Anchors): Link[] {
  linksFound++;
  const byGfn = new Map<string, GuestCard>();
  const spCard = new Map<number, ShadowCard>();
  for (const c of cards) {
    if (c.kind === 'guest') {
      if (!byGfn.has(c.table.gfn)) byGfn.set(c.table.gfn, c);
      // A page the step zapped is drawn, but nothing links to it or from it any more: kvm_mmu_prepare_zap_page
      // dropped its parents' sptes and its own, and role.invalid keeps lookups from finding it.
    } else if (c.zap === null) spCard.set(c.sp.id, c);
  }
  // What each link joins first; then one pass routes them all (routes.ts),
  // so that a fan-out can find its way around the cards between its ends.
  const drafts: { link: Omit<Link, 'path' | 'top' | 'bottom'>; req: RouteRequest }[] = [];
  const color = (q: number | null) => (q === null ? null : QUADRANT_COLORS[q]!);
  for (const c of cards) {
    if (c.kind !== 'guest') continue;
    // Only the entries that point at a table (sim_guestEntriesShape.pointers): the 100,000-step bench's tables hold ~16,700 entries, nearly all leaves.
    for (const e of sim_guestEntriesShape(c.table).pointers) {
      const target = byGfn.get(e.target);
      const y1 = a.entry(c, e.index);
      if (!target || y1 === null || target === c) continue;
      const key = `gp:${c.key}:${e.index}`;
      drafts.push({
        link: { key, kind: 'guest-pointer', quadrant: null, ends: [`gte:${c.table.gfn}:${e.index}`, target.key], style: linkStyle('guest', null, null) },
        req: { key, from: c, y1, to: target, y2: a.head(target), group: c.key },
      });
    }
  }
  for (const sc of spCard.values()) {
    if (sc.sp.role.direct) continue;
    const g = byGfn.get(sc.sp.gfn);
    if (!g) continue;
    const key = `so:${sc.sp.id}`;
    const q = g.table.entrySize === 4 ? sc.sp.role.quadrant : null;
    drafts.push({
      link: { key, kind: 'shadow-of', quadrant: q, ends: [g.key, sc.key], style: linkStyle('fan', q, color(q)) },
      // One group per guest table: its fan-out keeps together where it crosses a column.
      req: { key, from: g, y1: a.fan(g), to: sc, y2: a.fan(sc), group: g.key },
    });
  }
  for (const sc of spCard.values()) {
    // Non-leaf sptes from the shape of the page's sptes (their JSON is not made for this).
    for (const { index, child: id } of sim_sptesShape(sc.sp).children) {
      const child = spCard.get(id);
      const y1 = a.entry(sc, index);
      if (!child || y1 === null) continue;
      const key = `ch:${sc.sp.id}:${index}`;
      const q = child.sp.role.gpteIs8Bytes ? null : child.sp.role.quadrant;
      drafts.push({
        link: { key, kind: 'child', quadrant: q, ends: [`spte:${sc.sp.id}:${index}`, child.key], style: linkStyle('child', q, color(q)) },
        req: { key, from: sc, y1, to: child, y2: a.head(child), group: sc.key },
      });
    }
  }
  // Every card and note is in the way of the links that do not end on it.
  const routes = routeLinks([...cards, ...notes], drafts.map((d) => d.req), LOOP_ROOM);
  return drafts.map(({ link }, i) => recent(recentLinks, new RoutedLink(link, routes[i]!), sameLink));
}

const DETAIL_ANCHORS: Anchors = { entry: rowY, head: (c) => c.y + 12, fan: (c) => c.y + 20 };

/**
 * The detailed view: every card with its rows (present entries, folded empty
 * runs). Each column is as wide as its widest card's text, so no text is
 * clipped; `density` says how much the cards say (see Density). The canvas
 * scales the result to the room it has (fit to width).
 */
export function layoutColumns(
  machine: MachineJson,
  guest: readonly GuestTableJson[],
  hidden: ReadonlySet<number> = new Set(),
  hiddenSptes: ReadonlySet<string> = new Set(),
  density: Density = DENSITIES.full,
  gone: Gone = NOTHING_GONE,
): Layout {
  const d = density;
  const { rootCol, others } = shadowColumns(machine, guest, hidden, hiddenSptes, gone);
  // Texts and rows first (rows at y relative to the card), then widths, then positions.
  const guestDrafts = guest.map((t) => {
    const title = guestTableName(t);
    const sub = d.name === 'full' ? `${t.entryCount} × ${t.entrySize}-byte entries${t.registers ? ' (loaded at MOV CR3)' : ''} · va ${t.vaBase}` : `${t.entryCount} × ${t.entrySize} B · va ${t.vaBase}`;
    // Placed and sized from the shape of its entries: their JSON is made only if the card's rows are drawn.
    const shape = sim_guestEntriesShape(t);
    const body = cardRows(
      {
        shape,
        tailMax: () => guestTailMax(shape, d),
        entries: () => t.entries,
        count: t.entryCount,
        y0: HEAD_H,
        text: (e, w) => guestRowText(e, w, d),
        fold: { one: 'entry', many: 'entries' },
        d,
      },
      [title, sub],
    );
    return { t, title, sub, ...body };
  });
  const shadowDraft = (item: PageItem) => {
    const { sp } = item;
    const { heading, name, roleWords, zapWords, covers } = shadowPageText(sp, item.root, item.zap);
    // Compact: the notation moves to the tooltip; the heading's role words go under it (its zap state stays in it).
    const [title, sub] = d.name === 'full' ? [heading, `${sp.notation} · ${covers}`] : [zapWords ? `${name} · ${zapWords}` : name, `${roleWords} · ${covers}`];
    // Placed and sized from the shape of its sptes: their JSON is made only if the card's rows are drawn.
    const shape = sim_sptesShape(sp);
    const body = cardRows(
      {
        shape,
        tailMax: () => spteTailMax(shape, d),
        entries: () => sp.sptes,
        count: 512,
        y0: HEAD_H,
        text: (e, w) => spteRowText(e, w, d),
        fold: { one: 'spte', many: 'sptes' },
        d,
      },
      [title, sub],
    );
    return { kind: 'sp' as const, item, title, sub, ...body };
  };
  const noteDraft = (title: string, sub: string) => ({ kind: 'note' as const, title, sub, body: null, textW: Math.max(textWidth(title, d.font.title, 'sansBold'), textWidth(sub, d.font.sub, 'mono')) + PAD.left + PAD.right });
  // An empty roots column says why (event mode, between kvm_mmu_free_roots and the kvm_mmu_load of the next VM entry).
  const rootsNote = rootCol.length === 0 ? EMPTY_ROOTS_NOTE : null;
  const rootDrafts = (rootsNote ? [{ kind: 'slot' as const, slot: -1, ...rootsNote }] : rootCol).map((r) =>
    r.kind === 'sp' ? shadowDraft(r) : { ...noteDraft(r.title, r.sub), slot: r.slot, label: r.label },
  );
  const otherDrafts = others.map(shadowDraft);
  // An empty guest column says why (paging off: no guest page tables at all).
  const guestNote = guest.length === 0 ? emptyGuestNote(machine) : null;
  const guestNoteDraft = guestNote && noteDraft(guestNote.title, guestNote.sub);
  const colW = (drafts: readonly { textW: number }[]) => Math.ceil(drafts.reduce((w, x) => Math.max(w, x.textW), d.minColW));
  const x0 = MARGIN;
  const w0 = colW(guestNoteDraft ? [...guestDrafts, guestNoteDraft] : guestDrafts);
  const x1 = x0 + w0 + d.colGap;
  const w1 = colW(rootDrafts);
  // An empty shadow column below loaded roots says why (no access has yet needed a table below them).
  const shadowNoteDraft = otherDrafts.length === 0 && rootCol.length > 0 ? noteDraft(EMPTY_SHADOW_NOTE.title, EMPTY_SHADOW_NOTE.sub) : null;
  const x2 = x1 + w1 + d.colGap;
  const w2 = colW(shadowNoteDraft ? [shadowNoteDraft] : otherDrafts);
  const cards: Card[] = [];
  const notes: NoteCard[] = [];
  // A card's rows are its body's, built when first read (most cards are never drawn): see DETAILED_CARD.
  const stack = <T extends { body: Body | null }>(drafts: readonly T[], make: (draft: T, y: number, h: number) => Card | NoteCard) => {
    let y = 12;
    for (const draft of drafts) {
      const body = draft.body;
      const h = HEAD_H + (body?.height ?? 0) + 6;
      const made = make(draft, y, h);
      if (made.kind === 'note') notes.push(made);
      else {
        // The body follows from the fields (the page or table JSON, the density's title, sub and width); compared all the same.
        const c = recent(recentCards, made, (a, b) => (bodies.get(a) ?? null) === body && sameCardFields(a, b));
        cards.push(c);
        if (body && c === made) bodies.set(c, body);
      }
      y += h + d.cardGap;
    }
    return y;
  };
  const guestH = stack(guestDrafts, (g, y, h) =>
    detailedCard<GuestCard>({
      kind: 'guest',
      key: guestKey(g.t),
      table: g.t,
      x: x0,
      y,
      w: w0,
      h,
      title: g.title,
      sub: g.sub,
    }),
  );
  const guestNoteH = guestNote ? stack([guestNoteDraft!], (n, y, h) => ({ kind: 'note', key: 'note:guest', column: 'guest', slot: null, x: x0, y, w: w0, h, title: n.title, sub: n.sub, label: guestNote.label })) : 0;
  const shadowCard = (x: number, w: number, column: 'roots' | 'shadow') => (s: ReturnType<typeof shadowDraft>, y: number, h: number): ShadowCard =>
    detailedCard<ShadowCard>({
      kind: 'shadow',
      key: `sp:${s.item.sp.id}`,
      sp: s.item.sp,
      rootSlot: s.item.rootSlot,
      root: s.item.root,
      prevRoot: s.item.prevRoot,
      column,
      zap: s.item.zap,
      x,
      y,
      w,
      h,
      title: s.title,
      sub: s.sub,
    });
  const rootCard = shadowCard(x1, w1, 'roots');
  const rootsH = stack(rootDrafts, (r, y, h) =>
    r.kind === 'sp'
      ? rootCard(r, y, h)
      : r.slot < 0
        ? { kind: 'note', key: 'note:roots', column: 'roots', slot: null, x: x1, y, w: w1, h, title: r.title, sub: r.sub, label: r.label }
        : { kind: 'note', key: `note:slot${r.slot}`, column: 'roots', slot: r.slot, x: x1, y, w: w1, h, title: r.title, sub: r.sub, label: r.label },
  );
  const othersH = shadowNoteDraft
    ? stack([shadowNoteDraft], (n, y, h) => ({ kind: 'note', key: 'note:shadow', column: 'shadow', slot: null, x: x2, y, w: w2, h, title: n.title, sub: n.sub, label: EMPTY_SHADOW_NOTE.label }))
    : stack(otherDrafts, shadowCard(x2, w2, 'shadow'));
  // The links (and their routes: ~80% of a layout's time at 100,000 steps)
  // are found when first read: a layout read only for its size (the fit's
  // first steps while a long scenario is built, fitAtOnce) never needs them.
  // An own getter, not a class's: a spread of the layout ({ ...layout, notes })
  // still carries them. (It gives each layout a V8 map of its own; layouts are
  // few, one per step and density kept, and read a few times a render.)
  let links: readonly Link[] | null = null;
  return {
    cards,
    notes,
    get links() {
      return (links ??= linksBetween(cards, notes, DETAIL_ANCHORS));
    },
    height: Math.max(guestH, guestNoteH, rootsH, othersH, 200),
    // Room on the right for the loops of child links within the shadow column.
    width: x2 + w2 + Math.max(MARGIN, Math.min(LOOP_ROOM, d.colGap)),
    columns: { guest: x0, roots: x1, shadow: x2 },
    density: d,
  };
}

/** The note of an empty roots column: vcpu_enter_guest's kvm_mmu_reload calls kvm_mmu_load when no root is loaded. */
export const EMPTY_ROOTS_NOTE = { title: 'no roots loaded', sub: 'kvm_mmu_load builds them at the next VM entry', label: 'no roots loaded: kvm_mmu_load builds them at the next VM entry' } as const;

/** The note of an empty shadow column under loaded roots: FNAME(fetch) (or __direct_map) builds the lower tables on a #PF exit that needs them. */
export const EMPTY_SHADOW_NOTE = {
  // Short, so the note never widens the column (and so the fit) beyond what its pages need.
  title: 'no shadow PTs',
  sub: 'built on #PF exits',
  label: 'no shadow page tables yet: only the roots; KVM builds the tables below them on a #PF exit that needs them',
} as const;

/**
 * The note of an empty guest column. Paging off: the guest has no page
 * tables; mmu_alloc_direct_roots builds direct roots and __direct_map maps
 * each gpa (= the gva) with direct pages.
 */
export function emptyGuestNote(machine: MachineJson): { title: string; sub: string; label: string } {
  const title = 'no guest page tables';
  const sub = machine.mode === 'off' ? 'paging off: KVM maps gpa = gva with direct pages' : `none found from CR3 = ${machine.cpu.cr3}`;
  return { title, sub, label: `${title}: ${sub.replace(/^paging off: /, '')}${machine.mode === 'off' ? ' (paging off)' : ''}` };
}

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
  gone: Gone = NOTHING_GONE,
): Layout {
  const { pad, minPitch, maxPitch } = OVERVIEW;
  const width = Math.max(640, Math.floor(size.width));
  const height = Math.max(200, Math.floor(size.height));
  const { rootCol, others } = shadowColumns(machine, guest, hidden, hiddenSptes, gone);
  const col = (from: number, to: number) => ({ x: Math.round(width * from), w: Math.round(width * (to - from)) });
  // The shadow column leaves room on its right for the loops of child links
  // within it (long mode: l3 -> l2 -> l1 pages are all there).
  const cols = { guest: { x: pad, w: Math.round(width * 0.28) - pad }, roots: col(0.37, 0.62), shadow: { x: Math.round(width * 0.71), w: width - LOOP_ROOM - Math.round(width * 0.71) } };
  const pitchFor = (n: number) => Math.max(minPitch, Math.min(maxPitch, (height - 2 * pad) / Math.max(1, n)));
  const cardH = (pitch: number) => (pitch >= 20 ? pitch - 6 : Math.max(4, pitch * 0.72));
  const cards: Card[] = [];
  const notes: NoteCard[] = [];
  let bottom = 0;
  const place = <T,>(list: readonly T[], room: number, make: (item: T, y: number, h: number) => Card | NoteCard) => {
    const pitch = pitchFor(Math.max(list.length, room));
    const h = cardH(pitch);
    list.forEach((item, i) => {
      const c = make(item, pad + i * pitch, h);
      if (c.kind === 'note') notes.push(c);
      else cards.push(c);
    });
    bottom = Math.max(bottom, pad + list.length * pitch);
  };
  place(guest, 0, (t, y, h) => ({ kind: 'guest', key: guestKey(t), table: t, x: cols.guest.x, y, w: cols.guest.w, h, rows: [], title: guestTableName(t), sub: '' }));
  if (guest.length === 0) {
    const n = emptyGuestNote(machine);
    place([n], 1, (_, y, h) => ({ kind: 'note', key: 'note:guest', column: 'guest', slot: null, x: cols.guest.x, y, w: cols.guest.w, h, title: n.title, sub: n.sub, label: n.label }));
  }
  const shadow = (c: { x: number; w: number }, column: 'roots' | 'shadow') => (item: PageItem | SlotItem, y: number, h: number): Card | NoteCard =>
    item.kind === 'slot'
      ? { kind: 'note', key: `note:slot${item.slot}`, column: 'roots', slot: item.slot, x: c.x, y, w: c.w, h, title: item.title, sub: item.sub, label: item.label }
      : {
          kind: 'shadow',
          key: `sp:${item.sp.id}`,
          sp: item.sp,
          rootSlot: item.rootSlot,
          root: item.root,
          prevRoot: item.prevRoot,
          column,
          zap: item.zap,
          x: c.x,
          y,
          w: c.w,
          h,
          rows: [],
          // A zapped page's label says just that (its former slot is in the tooltip): the card is narrow.
          title: item.zap === 'freed' || item.zap === 'invalid' ? `sp ${item.sp.id} · zapped` : shadowPageText(item.sp, item.root, item.zap).heading,
          sub: '',
        };
  // Room for every root slot (pae_root[0..3]), and for the most shadow pages
  // the scenario will have (capacity counts the roots too).
  place(rootCol, machine.roots.length, shadow(cols.roots, 'roots'));
  if (rootCol.length === 0) {
    const n = EMPTY_ROOTS_NOTE;
    place([n], machine.roots.length, (_, y, h) => ({ kind: 'note', key: 'note:roots', column: 'roots', slot: null, x: cols.roots.x, y, w: cols.roots.w, h, title: n.title, sub: n.sub, label: n.label }));
  }
  place(others, (size.capacity ?? 0) - machine.roots.length, shadow(cols.shadow, 'shadow'));
  const mid = (c: Card) => c.y + c.h / 2;
  // Fan-outs leave and arrive at a card's middle; a pointer arrives a third
  // of the way down, so its arrowhead never lands on a fan-out's dot.
  const links = linksBetween(cards, notes, { entry: mid, head: (c) => c.y + c.h / 3, fan: mid });
  return { cards, notes, links, height: Math.max(height, Math.ceil(bottom + pad)), width, columns: { guest: cols.guest.x, roots: cols.roots.x, shadow: cols.shadow.x }, density: DENSITIES.compact };
}

/** x of entry `index` of `count` along an overview card (its ticks). */
export function tickX(card: Card, index: number, count: number): number {
  const inset = card.kind === 'shadow' ? 8 : 4;
  return card.x + inset + ((index + 0.5) * (card.w - inset - 4)) / count;
}
