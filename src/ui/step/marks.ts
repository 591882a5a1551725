/**
 * What a step touched, as highlights, and each card's share of them as plain
 * strings (so memoized cards skip what did not change). Pure: the canvas and
 * the overview draw from it.
 */
import { sim_guestEntriesShape, sim_sptesShape, type TraceEvent } from '../../core/index.ts';
import type { Card, Layout, Link } from '../layout/geometry.ts';
import { ROW_H, rowY } from '../layout/geometry.ts';

/** What the current step touched, for highlighting. */
export interface Highlights {
  /** Guest entries read by the walk: `gfn:index`. */
  readonly walked: ReadonlySet<string>;
  /** Shadow pages created in this step. */
  readonly created: ReadonlySet<number>;
  /** Sptes set in this step: `sp:index`. */
  readonly setSptes: ReadonlySet<string>;
  /** The hardware's path through the shadow tables: `sp:index`. */
  readonly hwPath: ReadonlySet<string>;
  /** The entity of the current event (event mode). */
  readonly focus: string | null;
  /** A CR3 switch looked in the prev_roots cache (cached_root_available): the roots and cached roots are part of the step. */
  readonly rootsSwitched: boolean;
}

const fullHighlights = new WeakMap<readonly TraceEvent[], Highlights>();

/**
 * The highlights of a step's first `upTo` events (null: all of them; computed
 * once per step). `pdptGfn`: the gfn the guest tables give the PAE PDPTE
 * registers (a walk reads them from the registers, so its event names no
 * table), null when the guest has none.
 */
export function highlightsOf(events: readonly TraceEvent[], upTo: number | null, pdptGfn: string | null = null): Highlights {
  if (upTo === null) {
    let h = fullHighlights.get(events);
    if (!h) {
      h = computeHighlights(events, null, pdptGfn);
      fullHighlights.set(events, h);
    }
    return h;
  }
  return computeHighlights(events, upTo, pdptGfn);
}

function computeHighlights(events: readonly TraceEvent[], upTo: number | null, pdptGfn: string | null): Highlights {
  const walked = new Set<string>();
  const created = new Set<number>();
  const setSptes = new Set<string>();
  const hwPath = new Set<string>();
  let focus: string | null = null;
  let rootsSwitched = false;
  const n = upTo ?? events.length;
  events.slice(0, n).forEach((e, i) => {
    const last = i === n - 1;
    // A PAE walk's first element is a PDPTE register (no gpa): it lights the PDPTE registers card.
    const table = e.kind === 'kvm_mmu_paging_element' ? (e.tableGfn ?? (e.gpa === null ? pdptGfn : null)) : null;
    if (e.kind === 'kvm_mmu_paging_element' && table) {
      walked.add(`${table}:${e.index}`);
      if (last) focus = `gte:${table}:${e.index}`;
    } else if (e.kind === 'kvm_mmu_get_page') {
      if (e.created) created.add(e.sp);
      if (last) focus = `sp:${e.sp}`;
    } else if (e.kind === 'kvm_mmu_set_spte' || e.kind === 'set_spte' || e.kind === 'mark_mmio_spte') {
      setSptes.add(`${e.sp}:${e.index}`);
      if (last) focus = `spte:${e.sp}:${e.index}`;
    } else if (e.kind === 'link_shadow_page') {
      setSptes.add(`${e.parent.sp}:${e.parent.index}`);
      if (last) focus = `spte:${e.parent.sp}:${e.parent.index}`;
    } else if (e.kind === 'cached_root_available') {
      rootsSwitched = true;
    } else if (e.kind === 'sim_hardware_walk') {
      hwPath.clear();
      for (const p of e.path) if (p.sp !== null) hwPath.add(`${p.sp}:${p.index}`);
    } else if (last && (e.kind === 'kvm_mmu_prepare_zap_page' || e.kind === 'kvm_mmu_unsync_page' || e.kind === 'kvm_mmu_sync_page')) {
      focus = `sp:${e.sp}`;
    }
  });
  return { walked, created, setSptes, hwPath, focus, rootsSwitched };
}

/** Per-card highlight state as plain strings, so memo() can skip unchanged cards. */
export interface CardMarks {
  /** Space-separated row indexes: walked (guest) or set (shadow). */
  readonly touched: string;
  /** Rows lit by hover (this card's or a mirrored one). */
  readonly lit: string;
  /** Rows on the hardware's shadow walk. */
  readonly hw: string;
  /** Row index in focus (event mode), or '' / 'card'. */
  readonly focus: string;
  readonly cardLit: boolean;
  readonly created: boolean;
  /** Nothing of the card took part in the step (presenting mode dims it). */
  readonly idle: boolean;
}

export const hasRow = (list: string, i: number) => ` ${list} `.includes(` ${i} `);

/** Whether two cards draw the same (their memo comparator). */
export const sameCard = (a: { card: Card; marks: CardMarks }, b: { card: Card; marks: CardMarks }) => {
  const ma = a.marks;
  const mb = b.marks;
  const da = a.card.kind === 'guest' ? a.card.table : a.card.sp;
  const db = b.card.kind === 'guest' ? b.card.table : b.card.sp;
  return (
    da === db &&
    a.card.x === b.card.x &&
    a.card.y === b.card.y &&
    a.card.w === b.card.w &&
    a.card.h === b.card.h &&
    a.card.title === b.card.title &&
    a.card.sub === b.card.sub &&
    (a.card.kind === 'shadow' && b.card.kind === 'shadow' ? a.card.rootSlot === b.card.rootSlot && a.card.root === b.card.root && a.card.zap === b.card.zap && a.card.prevRoot === b.card.prevRoot : true) &&
    ma.touched === mb.touched &&
    ma.lit === mb.lit &&
    ma.hw === mb.hw &&
    ma.focus === mb.focus &&
    ma.cardLit === mb.cardLit &&
    ma.created === mb.created &&
    ma.idle === mb.idle
  );
};

/**
 * A card's highlight state: rows this step walked (guest) or set (shadow),
 * rows lit by hover (`litRows`, keyed `gt:GFN` / `sp:ID`), rows on the
 * hardware walk, the focus of event mode, and whether the card is hovered,
 * selected (`activeEnds`) or new.
 */
export function marksOf(c: Card, hl: Highlights, activeEnds: ReadonlySet<string>, litRows: ReadonlyMap<string, readonly number[]>): CardMarks {
  const focusParts = hl.focus?.split(':') ?? [];
  if (c.kind === 'guest') {
    const gfn = c.table.gfn;
    const touched = sim_guestEntriesShape(c.table).index.filter((i) => hl.walked.has(`${gfn}:${i}`)).join(' ');
    const focus = focusParts[0] === 'gte' && focusParts[1] === gfn ? focusParts[2]! : '';
    const cardLit = activeEnds.has(c.key);
    return { touched, lit: (litRows.get(`gt:${gfn}`) ?? []).join(' '), hw: '', focus, cardLit, created: false, idle: touched === '' && focus === '' && !cardLit };
  }
  const id = c.sp.id;
  // The indexes from the shape of its sptes (core sim_sptesShape): a card off screen makes no spte JSON for its marks.
  const present = sim_sptesShape(c.sp).index;
  const touched = present.filter((i) => hl.setSptes.has(`${id}:${i}`)).join(' ');
  const hw = present.filter((i) => hl.hwPath.has(`${id}:${i}`)).join(' ');
  const focus = focusParts[0] === 'spte' && focusParts[1] === String(id) ? focusParts[2]! : hl.focus === c.key ? 'card' : '';
  const cardLit = activeEnds.has(c.key);
  const created = hl.created.has(id);
  // A page the step zapped took part in it (presenting mode does not dim it
  // further), and so did the roots a CR3 switch swapped in or out of the prev_roots cache.
  const inStep = isZapped(c) || (hl.rootsSwitched && c.column === 'roots');
  return { touched, lit: (litRows.get(`sp:${id}`) ?? []).join(' '), hw, focus, cardLit, created, idle: touched === '' && hw === '' && focus === '' && !cardLit && !created && !inStep };
}

/** Whether the step zapped the card's page (shown faded, marked "zapped"). */
export const isZapped = (c: Card): boolean => c.kind === 'shadow' && (c.zap === 'freed' || c.zap === 'invalid');

/**
 * The links to draw, with whether each is active (an end hovered or
 * selected). Guest table pointers are drawn only where they matter (the entry
 * text names the target anyway): on this step's walk, or when active.
 */
export function drawnLinks(links: readonly Link[], hl: Highlights, activeEnds: ReadonlySet<string>): { l: Link; active: boolean }[] {
  const out: { l: Link; active: boolean }[] = [];
  for (const l of links) {
    const active = l.ends.some((e) => activeEnds.has(e));
    if (l.kind === 'guest-pointer' && !active && !hl.walked.has(l.ends[0]!.slice(4))) continue;
    out.push({ l, active });
  }
  return out;
}

/** The card that holds what an entity key names: a card (`sp:ID`, `gt:GFN:LEVEL`) or an entry (`spte:ID:INDEX`, `gte:GFN:INDEX`). */
export function cardOf(layout: Layout, key: string): Card | undefined {
  const [kind, id] = key.split(':');
  if (kind === 'sp' || kind === 'gt') return layout.cards.find((c) => c.key === key);
  if (kind === 'spte') return layout.cards.find((c) => c.kind === 'shadow' && String(c.sp.id) === id);
  if (kind === 'gte') return layout.cards.find((c) => c.kind === 'guest' && c.table.gfn === id);
  return undefined;
}

/**
 * The box (layout units) of what an entity key names: its card, or the
 * entry's row (the whole card where the row is folded away).
 */
export function targetBox(layout: Layout, key: string): { top: number; bottom: number; left: number; right: number } | null {
  const card = cardOf(layout, key);
  if (!card) return null;
  const [kind, , index] = key.split(':');
  const y = index !== undefined && (kind === 'spte' || kind === 'gte') ? rowY(card, Number(index)) : null;
  const x = { left: card.x, right: card.x + card.w };
  return y === null ? { top: card.y, bottom: card.y + card.h, ...x } : { top: y - ROW_H / 2, bottom: y + ROW_H / 2, ...x };
}

type Box = { top: number; bottom: number; left: number; right: number };

const union = (boxes: readonly (Box | null)[]): Box | null =>
  boxes.reduce<Box | null>((u, b) => (!b ? u : !u ? b : { top: Math.min(u.top, b.top), bottom: Math.max(u.bottom, b.bottom), left: Math.min(u.left, b.left), right: Math.max(u.right, b.right) }), null);

/**
 * Where a step's story is in the layout: `changed`, the pages it made and the
 * sptes it set; `all`, those and the entries the walks read. Presenting mode
 * and the embed scroll to them, so the step's cards are on screen.
 */
export function stepBoxes(layout: Layout, hl: Highlights): { changed: Box | null; all: Box | null } {
  const rows = (keys: ReadonlySet<string>, kind: 'gte' | 'spte') => [...keys].map((k) => targetBox(layout, `${kind}:${k}`));
  // The pages it zapped are part of what it changed: presenting mode shows them fading.
  const zapped = layout.cards.filter(isZapped).map((c) => targetBox(layout, c.key));
  const changed = union([...[...hl.created].map((id) => targetBox(layout, `sp:${id}`)), ...rows(hl.setSptes, 'spte'), ...zapped]);
  return { changed, all: union([changed, ...rows(hl.walked, 'gte'), ...rows(hl.hwPath, 'spte')]) };
}

/**
 * What presenting mode keeps on screen at every step: the step's whole story
 * (stepBoxes' `all`) and the roots column, the picture's anchor.
 */
export function storyBox(layout: Layout, hl: Highlights): Box | null {
  const all = stepBoxes(layout, hl).all;
  return union([all, ...layout.cards.filter((c) => c.kind === 'shadow' && c.column === 'roots').map((c) => targetBox(layout, c.key))]);
}
