/**
 * The three linked columns, drawn as one SVG from the pure layout: guest
 * tables | KVM roots | shadow pages, with pointer, fan-out and child links.
 * Each column is a list of cards the keyboard can walk (one tab stop per
 * column; arrows move, Enter follows a pointer like a click).
 */
import { createContext, type CSSProperties, memo, type KeyboardEvent as ReactKeyboardEvent, type MouseEvent as ReactMouseEvent, type PointerEvent as ReactPointerEvent, useState, useCallback, useEffect, useContext, useLayoutEffect, useMemo, useRef } from 'react';
import { type Card, charsWidth, DENSITIES, type GuestCard, HEAD_H, type Layout, mirrorSptes, type NoteCard, ROW_H, type Row, rowsInWindow, rowString, type RowText, type ShadowCard, shadowPageText, visibleIn } from '../layout/geometry.ts';
import { cardOf, type CardMarks, drawnLinks, stepBoxes, storyBox, hasRow, type Highlights, marksOf, sameCard, targetBox } from '../step/index.ts';
import { sim_guestEntriesShape } from '../../core/index.ts';
import { useStore } from '../store/index.ts';
import { notationLines } from '../glossary/role-notation.ts';
import { flushSync } from 'react-dom';
import { ArrowDefs, LinkPath } from './Links.tsx';
import { type Column, COLUMN_ORDER, columnOf, type Move, neighbour, tabStopOf } from './canvas-focus.ts';
import { sim_reducedMotion } from '../motion.ts';

/** The canonical gva a leaf entry maps (as the scenario format writes it). */
function leafGva(vaBase: string, index: number, level: number, entrySize: 4 | 8): string {
  const bits = entrySize === 4 ? 10 : 9;
  const va = parseInt(vaBase, 16) + index * 2 ** (12 + bits * (level - 1));
  const hex = va.toString(16);
  return va >= 2 ** 47 && entrySize === 8 && va < 2 ** 48 ? `0xffff${hex.padStart(12, '0')}` : `0x${hex}`;
}

/** A card's two heading lines: its title and the line under it (text from the layout, which sized the card for them). */
function CardHeading({ x, title, sub }: { x: number; title: string; sub: string }) {
  return (
    <>
      <text className="card-title" x={x} y={17}>
        {title}
      </text>
      <text className="card-sub" x={x} y={32}>
        {sub}
      </text>
    </>
  );
}

/**
 * A folded run of empty entries: "entries 4–255 not present" (its text comes
 * with the layout); on compact cards a run between present entries is a thin
 * dotted gap with the words as its tooltip.
 */
function FoldRow({ row, x, w }: { row: Row & { kind: 'fold' }; x: number; w: number }) {
  const titled = useContext(Titled);
  if (row.h !== undefined) {
    const y = row.y + row.h / 2;
    // On screen the gap's words are the tooltip's (RowTip); in a file, its title.
    return (
      <g className="row-gap">
        <line x1={x} x2={x + w} y1={y} y2={y} />
        {titled && <title>{row.text}</title>}
      </g>
    );
  }
  return (
    <text className="row-fold" x={x} y={row.y + 13}>
      {row.text}
    </text>
  );
}

/**
 * A table row, guest entry or spte: index, value, flags and target (texts
 * from the layout) as one text run, coloured by its card's row ink
 * (RowInks); its accessible name carries the decoded bits, which the tooltip
 * (RowTip) shows on hover. Kept to two or three elements: a CR3 switch or a
 * jump replaces ~100 rows at once, and every element is one more to create,
 * style, lay out and paint (a row was eleven: a background rect, three
 * tspans and four text nodes, a title; the CR3 switch of the 100k bench took
 * ~23 ms to paint with those and ~17 with these). The background is drawn
 * only for a row the step or the pointer marks (walked, set, on the hardware
 * walk, hovered, in focus); the pointer finds a row by its place in the card
 * (rowAt), so the spaces between texts need no rect of their own.
 */
function EntryRow(p: { testid: string; entityKey: string; index: number; cls: string; ry: number; x: number; textX: number; w: number; text: RowText; label: string; tabStop: boolean }) {
  const titled = useContext(Titled);
  const text = rowString(p.text);
  return (
    <g data-testid={p.testid} data-index={p.index} data-key={p.entityKey} className={p.cls} role="button" tabIndex={p.tabStop ? 0 : -1} aria-label={`${text}. ${p.label.replace(/\n/g, '; ')}`}>
      {/* The column's tab stop keeps its background too: the keyboard focus ring is drawn on it. */}
      {(p.cls !== ROW || p.tabStop) && <rect x={p.x} y={p.ry} width={p.w} height={ROW_H} className="row-bg" />}
      <text x={p.textX} y={p.ry + ROW_BASELINE} className={titled ? 'row-text row-text-file' : 'row-text'}>
        {titled ? (
          // In a file, coloured run by run: the file names a font stack, and another machine's monospace font would move the ink's edges.
          <>
            <tspan className="row-idx">{p.text.idx}</tspan>
            {` ${p.text.value} `}
            <tspan className="row-tail">{`${p.text.flags} ${p.text.target}`}</tspan>
          </>
        ) : (
          text
        )}
      </text>
      {titled && <title>{p.label}</title>}
    </g>
  );
}

/**
 * Whether rows and shadow pages carry their tooltips as SVG titles: in an
 * exported file (export/render.ts), where a viewer shows them; on screen
 * RowTip shows them instead.
 */
const Titled = createContext(false);

/** A row's text baseline below the row's top (card units). */
export const ROW_BASELINE = 13;

/** The class of a row nothing marks (rowClass): drawn without a background. */
const ROW = 'row';

/**
 * Where a row's index, value and the rest (flags, target) begin, in
 * characters: rowString's columns (an index of four, a space, the value
 * padded to the card's width, a space).
 */
const INK_IDX_CHARS = 4;

/** The id of the row ink for rows whose text starts at `textX` with values `valueChars` long. */
const inkId = (textX: number, valueChars: number) => `row-ink-${textX}-${valueChars}`;

/**
 * The ink of a card's rows: the index muted, the value in the text colour,
 * flags and target in the accent colour, as one gradient with hard stops in
 * the card's own units (the rows' user space), its edges in the middle of the
 * spaces between the columns. One gradient serves every card whose rows
 * share the text's start and the value's width (a handful per picture),
 * where three tspans per row did the same. `advance` is one monospace
 * character's width (measured: rowAdvance).
 */
function RowInks({ inks, advance }: { inks: ReadonlyArray<readonly [textX: number, valueChars: number]>; advance: number }) {
  return (
    <defs>
      {inks.map(([textX, valueChars]) => (
        <linearGradient key={inkId(textX, valueChars)} id={inkId(textX, valueChars)} gradientUnits="userSpaceOnUse" x1={textX + (INK_IDX_CHARS + 0.5) * advance} x2={textX + (INK_IDX_CHARS + valueChars + 1.5) * advance} y1={0} y2={0}>
          <stop offset={0} className="ink-idx" />
          <stop offset={0} className="ink-value" />
          <stop offset={1} className="ink-value" />
          <stop offset={1} className="ink-tail" />
        </linearGradient>
      ))}
    </defs>
  );
}

/**
 * A card's row ink, from its rows (their text's start, `textX`, and the
 * width every row's value is padded to): what RowInks draws and what the
 * card's fill names; null for a card with no entry row.
 */
const inkOf = (textX: number, rows: readonly Row[]): readonly [textX: number, valueChars: number] | null => {
  const first = rows.find((r) => r.kind === 'entry');
  return first ? [textX, first.text.value.length] : null;
};

/**
 * The card's row ink as its fill, which its rows' texts inherit (nothing
 * else on a card takes its fill from the card): one presentation attribute
 * per card. (A custom property on the card read by every row cost ~2 ms more
 * of style on a CR3 switch.) currentColor where the gradient is missing.
 */
const inkFill = (textX: number, rows: readonly Row[]): string | undefined => {
  const ink = inkOf(textX, rows);
  return ink ? `url(#${inkId(...ink)}) currentColor` : undefined;
};

/** The rows' text starts (card units): guest entries, sptes. */
const GUEST_TEXT_X = 10;
const SPTE_TEXT_X = 12;
const textXOf = (c: Card) => (c.kind === 'guest' ? GUEST_TEXT_X : SPTE_TEXT_X);

/** The layout's estimate of one character of the rows' font (0.6 em of 12 px). */
const MONO_GUESS = charsWidth(1, DENSITIES.full.font.row, 'mono');
let monoAdvance: number | null = null;

/**
 * The width of one character of the rows' font, measured once for the page
 * (until measured, at each call) on a row text drawn off screen: the row ink's column edges must fall
 * between characters whatever monospace font the system has (Consolas is
 * 0.55 em, not 0.6). The estimate where the browser cannot measure (jsdom,
 * no document).
 */
function rowAdvance(): number {
  if (monoAdvance !== null) return monoAdvance;
  if (typeof document === 'undefined' || !document.body) return MONO_GUESS;
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('style', 'position:absolute;left:-9999px;top:0;width:10px;height:10px');
  const t = document.createElementNS('http://www.w3.org/2000/svg', 'text');
  t.setAttribute('class', 'row-text');
  t.textContent = '0x0123456789abcdef';
  svg.appendChild(t);
  document.body.appendChild(svg);
  let w = NaN;
  try {
    w = typeof t.getSubStringLength === 'function' ? t.getSubStringLength(0, 18) / 18 : NaN;
  } catch {
    // Not measurable here (no layout): the estimate.
  } finally {
    svg.remove();
  }
  // Kept only when measured: a page hidden at first (an embed in a closed
  // iframe) measures 0, and must measure again once it is shown.
  if (w > 0) monoAdvance = w;
  return w > 0 ? w : MONO_GUESS;
}

/**
 * The row under the pointer, or null: the entry row the event came from,
 * else the row (an entry or a folded run) at the pointer's height in the
 * card (the card's own units: its screen transform undone). A click the
 * keyboard sends (Enter on a row) comes from the row itself.
 */
function rowAt(e: ReactMouseEvent<SVGGElement>, rows: readonly Row[]): Row | null {
  const from = (e.target as Element).closest?.('[data-index]');
  if (from && from !== e.currentTarget && e.currentTarget.contains(from)) {
    const i = Number(from.getAttribute('data-index'));
    return rows.find((r) => r.kind === 'entry' && r.index === i) ?? null;
  }
  const m = typeof e.currentTarget.getScreenCTM === 'function' ? e.currentTarget.getScreenCTM() : null;
  if (!m || !m.d) return null;
  const y = (e.clientY - m.f) / m.d;
  for (const r of rows) if (y >= r.y && y < r.y + (r.kind === 'fold' ? (r.h ?? ROW_H) : ROW_H)) return r;
  return null;
}

/** The index of the entry row under the pointer (rowAt), or null. */
const entryIndexAt = (e: ReactMouseEvent<SVGGElement>, rows: readonly Row[]): number | null => {
  const r = rowAt(e, rows);
  return r?.kind === 'entry' ? r.index : null;
};

/** The hover key of a compact gap of a card (a folded run drawn as a dotted line: its words are the tooltip's). */
const foldKey = (cardKey: string, from: number) => `fold:${from}:${cardKey}`;

/**
 * Hovers what is under the pointer: an entry row (`keyOf` its index), a
 * compact gap (foldKey), else `none`; only when that changes. A touch moves
 * no hover (a tap would leave a tooltip over the rows below).
 */
function hoverAt(e: ReactPointerEvent<SVGGElement>, rows: readonly Row[], cardKey: string, keyOf: (index: number) => string, none: string | null) {
  if (e.pointerType === 'touch') return;
  const r = rowAt(e, rows);
  // A compact gap's words are only in its tooltip; a folded run drawn in words is the card's.
  const key = r?.kind === 'entry' ? keyOf(r.index) : r?.kind === 'fold' && r.h !== undefined ? foldKey(cardKey, r.from) : none;
  const st = useStore.getState();
  if (st.hovered !== key) st.hover(key);
}

/**
 * A press on a card between a row's texts puts the keyboard focus on that
 * row, not on the card (which the press would focus): the arrows and the
 * column's tab stop then go on from the row, as from a press on its text.
 */
function focusRowAt(e: ReactMouseEvent<SVGGElement>, rows: readonly Row[]) {
  const i = entryIndexAt(e, rows);
  const row = i === null ? null : e.currentTarget.querySelector<SVGGElement>(`[data-index="${i}"]`);
  if (!row || row === document.activeElement) return;
  e.preventDefault();
  row.focus({ preventScroll: true });
}

type GuestEntry = GuestCard['table']['entries'][number];

/** What following a guest entry does: select the table it points to (or the entry, for a leaf). */
function followGuest(t: GuestCard['table'], e: GuestEntry) {
  const st = useStore.getState();
  if (e.leaf && st.editorOpen) st.addAccess(leafGva(t.vaBase, e.index, t.level, t.entrySize));
  st.select(e.leaf ? `gte:${t.gfn}:${e.index}` : `gt:${e.target}:${t.level - 1}`);
}

/** What a guest entry's tooltip says (and its row's accessible name after its text): its value decoded. */
export const guestEntryTitle = (e: GuestEntry) =>
  `guest entry ${e.index} = ${e.value}\n${e.flags}${e.flags === 'not present' ? '' : e.leaf ? `\nmaps ${e.pageBytes / 1024} KiB at gfn ${e.target}` : `\npoints to the table at gfn ${e.target}`}`;

/** One guest entry row; memoized on what it shows, so a step repaints only the rows it changed. */
const GuestRow = memo(
  function GuestRow({ t, e, text, ry, w, cls, tabStop }: { t: GuestCard['table']; e: GuestEntry; text: RowText; ry: number; w: number; cls: string; tabStop: boolean }) {
    return <EntryRow testid="guest-entry" entityKey={`gte:${t.gfn}:${e.index}`} index={e.index} cls={cls} ry={ry} x={2} textX={GUEST_TEXT_X} w={w - 4} text={text} tabStop={tabStop} label={guestEntryTitle(e)} />;
  },
  (a, b) =>
    a.ry === b.ry &&
    a.w === b.w &&
    a.cls === b.cls &&
    a.tabStop === b.tabStop &&
    sameText(a.text, b.text) &&
    (a.e === b.e ||
      (a.e.index === b.e.index && a.e.value === b.e.value && a.e.flags === b.e.flags && a.e.leaf === b.e.leaf && a.e.target === b.e.target && a.e.pageBytes === b.e.pageBytes)) &&
    (a.t === b.t || (a.t.gfn === b.t.gfn && a.t.vaBase === b.t.vaBase && a.t.level === b.t.level && a.t.entrySize === b.t.entrySize)),
);

const sameText = (a: RowText, b: RowText) => a === b || (a.idx === b.idx && a.value === b.value && a.flags === b.flags && a.target === b.target);

/** Rows lit, walked, set or in focus, as the row's classes. */
const rowClass = (marks: CardMarks, i: number, touchedCls: string) =>
  `${ROW}${hasRow(marks.touched, i) ? ` ${touchedCls}` : ''}${hasRow(marks.hw, i) ? ' row-hw' : ''}${hasRow(marks.lit, i) ? ' row-hover' : ''}${marks.focus === String(i) ? ' row-focus' : ''}`;

/** The card's accessible name: what it is and how much of it is present. */
const cardLabel = (card: Card) =>
  card.kind === 'guest'
    ? `${card.title}, ${card.table.entries.length} of ${card.table.entryCount} entries present`
    : `${card.title}, ${card.sp.notation}, ${card.sp.sptes.length} of 512 sptes present`;

/**
 * The entry of each row, rows taken in order: both lists go by index, so one
 * pass finds them all (a search per row was quadratic: a 1,024-entry page
 * directory made ~500,000 comparisons a render).
 */
function entryAt<E extends { readonly index: number }>(entries: readonly E[]): (index: number) => E {
  let k = 0;
  return (index) => {
    if (entries[k]?.index !== index) k = entries.findIndex((x) => x.index === index);
    return entries[k++]!;
  };
}

/**
 * The part of a card near the screen (card units from its top), when only a
 * part is: its rows elsewhere are not drawn (a page table can be thousands
 * of pixels tall, and a CR3 switch replaces whole tables). null: all of it.
 */
export interface RowWindow {
  readonly from: number;
  readonly to: number;
}

/** The entry index a tab stop names in the card whose entries' keys start with `prefix` (`gte:0x12:`), else null. */
const keptEntry = (tabStop: string | null, prefix: string): number | null => (tabStop?.startsWith(prefix) ? Number(tabStop.slice(prefix.length)) : null);

/** A card's rows to draw: all of them, or those in its window and the focused one. */
const drawnRows = (rows: readonly Row[], win: RowWindow | null, tabStop: string | null, prefix: string): readonly Row[] => (win ? rowsInWindow(rows, win.from, win.to, keptEntry(tabStop, prefix)) : rows);

type CardProps<C extends Card> = { card: C; marks: CardMarks; tabStop: string | null; cardTab: number; win: RowWindow | null };

/** The card memo's comparator: the same card drawn the same, over the same window. */
const sameCardView = (a: CardProps<Card>, b: CardProps<Card>) =>
  a.tabStop === b.tabStop && a.cardTab === b.cardTab && (a.win === b.win || (a.win !== null && b.win !== null && a.win.from === b.win.from && a.win.to === b.win.to)) && sameCard(a, b);

const GuestTable = memo(function GuestTable({ card, marks, tabStop, cardTab, win }: CardProps<GuestCard>) {
  const t = card.table;
  const at = entryAt(t.entries);
  const rows = drawnRows(card.rows, win, tabStop, `gte:${t.gfn}:`);
  return (
    <g
      transform={`translate(${card.x},${card.y})`}
      data-testid="guest-table"
      data-gfn={t.gfn}
      data-level={t.level}
      data-key={card.key}
      role="listitem"
      tabIndex={cardTab}
      aria-label={cardLabel(card)}
      className={marks.idle ? 'card-idle' : undefined}
      fill={inkFill(textXOf(card), rows)}
      onPointerMove={(ev) => hoverAt(ev, rows, card.key, (i) => `gte:${t.gfn}:${i}`, null)}
      onMouseLeave={() => useStore.getState().hover(null)}
      onMouseDown={(ev) => focusRowAt(ev, rows)}
      onClick={(ev) => {
        const i = entryIndexAt(ev, rows);
        const e = i === null ? undefined : t.entries.find((x) => x.index === i);
        if (e) followGuest(t, e);
      }}
    >
      <rect className={`card card-guest${marks.cardLit ? ' card-hover' : ''}`} width={card.w} height={card.h} rx={6} />
      <CardHeading x={10} title={card.title} sub={card.sub} />
      {rows.map((r) => {
        if (r.kind === 'fold') return <FoldRow key={`f${r.from}`} row={r} x={10} w={card.w - 24} />;
        const e = at(r.index);
        return <GuestRow key={e.index} t={t} e={e} text={r.text} ry={r.y} w={card.w} cls={rowClass(marks, e.index, 'row-walked')} tabStop={tabStop === `gte:${t.gfn}:${e.index}`} />;
      })}
    </g>
  );
}, sameCardView);

type Spte = ShadowCard['sp']['sptes'][number];

/** What an spte's tooltip says (and its row's accessible name after its text): its value decoded. */
export const spteTitle = (e: Spte) =>
  `spte ${e.index} = ${e.value}\n${e.flags}${e.child !== undefined ? `\npoints to sp ${e.child}` : e.gfn ? `\nmaps gfn ${e.gfn} (host pfn ${e.pfn ?? '-'})` : ''}`;

/** One spte row; memoized on what it shows, so a step repaints only the rows it changed. */
const SpteRow = memo(
  function SpteRow({ spId, e, text, ry, w, cls, tabStop }: { spId: number; e: Spte; text: RowText; ry: number; w: number; cls: string; tabStop: boolean }) {
    return <EntryRow testid="spte" entityKey={`spte:${spId}:${e.index}`} index={e.index} cls={cls} ry={ry} x={7} textX={SPTE_TEXT_X} w={w - 9} text={text} tabStop={tabStop} label={spteTitle(e)} />;
  },
  (a, b) =>
    a.spId === b.spId &&
    a.ry === b.ry &&
    a.w === b.w &&
    a.cls === b.cls &&
    a.tabStop === b.tabStop &&
    sameText(a.text, b.text) &&
    (a.e === b.e || (a.e.index === b.e.index && a.e.value === b.e.value && a.e.flags === b.e.flags && a.e.child === b.e.child && a.e.mmio === b.e.mmio && a.e.gfn === b.e.gfn && a.e.pfn === b.e.pfn)),
);

/** What a shadow page's tooltip says: kvm_mmu_page's fields, the role decoded. */
export const shadowPageTitle = (sp: ShadowCard['sp']) =>
  `kvm_mmu_page ${sp.id}\n${sp.notation}\n${notationLines(sp.notation).map((l) => `  ${l}`).join('\n')}\nrole.word ${sp.role.word}\nroot_count ${sp.rootCount}, unsync_children ${sp.unsyncChildren}, write_flooding_count ${sp.writeFloodingCount}\nparents: ${sp.parents.map((p) => `sp ${p.sp}[${p.index}]`).join(', ') || 'none'}`;

const ShadowPage = memo(function ShadowPage({ card, marks, tabStop, cardTab, win }: CardProps<ShadowCard>) {
  const titled = useContext(Titled);
  const sp = card.sp;
  const q = sp.role.quadrant;
  const { color } = shadowPageText(sp, card.root);
  const at = entryAt(sp.sptes);
  const rows = drawnRows(card.rows, win, tabStop, `spte:${sp.id}:`);
  const fields = shadowPageTitle(sp);
  return (
    <g
      transform={`translate(${card.x},${card.y})`}
      data-testid="shadow-page"
      data-sp={sp.id}
      data-gfn={sp.gfn}
      data-level={sp.role.level}
      data-quadrant={q}
      data-root-slot={card.rootSlot ?? ''}
      data-prev-root={card.prevRoot ?? undefined}
      data-zap={card.zap ?? undefined}
      data-key={card.key}
      role="listitem"
      tabIndex={cardTab}
      aria-label={cardLabel(card)}
      // kvm_mmu_page's fields, which the tooltip shows (aria-hidden), for assistive technology.
      aria-description={fields.replace(/\n\s*/g, '; ')}
      className={`${marks.idle ? 'card-idle' : ''}${card.zap === 'freed' || card.zap === 'invalid' ? ' card-zapped' : ''}`.trim() || undefined}
      fill={inkFill(textXOf(card), rows)}
      // Off the rows (the heading, a folded run) the page itself is hovered.
      onPointerMove={(ev) => hoverAt(ev, rows, card.key, (i) => `spte:${sp.id}:${i}`, card.key)}
      onMouseLeave={() => useStore.getState().hover(null)}
      onMouseDown={(ev) => focusRowAt(ev, rows)}
      onClick={(ev) => {
        const i = entryIndexAt(ev, rows);
        const e = i === null ? undefined : sp.sptes.find((x) => x.index === i);
        if (e) useStore.getState().select(e.child !== undefined ? `sp:${e.child}` : `spte:${sp.id}:${e.index}`);
      }}
    >
      <rect
        className={`card card-shadow${marks.created ? ' card-new' : ''}${sp.unsync ? ' card-unsync' : ''}${marks.cardLit || marks.focus === 'card' ? ' card-hover' : ''}`}
        width={card.w}
        height={card.h}
        rx={6}
        style={color ? { stroke: color } : undefined}
      />
      {/* A cached root (prev_roots[i]): a second, inner border sets it apart from the current roots. */}
      {card.prevRoot !== null && <rect className="card-cached" x={3} y={3} width={card.w - 6} height={card.h - 6} rx={4} />}
      {color && <rect width={6} height={card.h} rx={3} fill={color} />}
      <CardHeading x={12} title={card.title} sub={card.sub} />
      {titled && <title>{fields}</title>}
      {rows.map((r) => {
        if (r.kind === 'fold') return <FoldRow key={`f${r.from}`} row={r} x={12} w={card.w - 26} />;
        const e = at(r.index);
        return <SpteRow key={e.index} spId={sp.id} e={e} text={r.text} ry={r.y} w={card.w} cls={rowClass(marks, e.index, 'row-set')} tabStop={tabStop === `spte:${sp.id}:${e.index}`} />;
      })}
    </g>
  );
}, sameCardView);

/** What the tooltip for a hovered key says, and the box (layout units) it opens beside: a row decoded, a folded run's words, a shadow page's fields by its heading; null for anything else. */
function tipOf(layout: Layout, key: string): { text: string; box: { top: number; bottom: number; left: number; right: number } } | null {
  const [kind, a, b] = key.split(':');
  if (kind === 'fold') {
    // fold:<from>:<card key> (foldKey; a card's key has colons of its own).
    const card = cardOf(layout, key.slice(`fold:${a}:`.length));
    const row = card?.rows.find((r): r is Row & { kind: 'fold' } => r.kind === 'fold' && r.from === Number(a));
    return card && row ? { text: row.text, box: { top: card.y + row.y, bottom: card.y + row.y + (row.h ?? ROW_H), left: card.x, right: card.x + card.w } } : null;
  }
  const card = cardOf(layout, key);
  if (!card) return null;
  if (card.kind === 'shadow' && kind === 'sp') return { text: shadowPageTitle(card.sp), box: { top: card.y, bottom: card.y + HEAD_H, left: card.x, right: card.x + card.w } };
  const text = entryTitle(card, kind, Number(b));
  const box = text ? targetBox(layout, key) : null;
  return text && box ? { text, box } : null;
}

/** The tooltip of a guest entry (kind gte) or an spte (spte) of `card` by its index; null if the card has none. */
function entryTitle(card: Card, kind: string | undefined, index: number): string | null {
  if (card.kind === 'guest' && kind === 'gte') {
    const e = card.table.entries.find((x) => x.index === index);
    return e ? guestEntryTitle(e) : null;
  }
  if (card.kind === 'shadow' && kind === 'spte') {
    const e = card.sp.sptes.find((x) => x.index === index);
    return e ? spteTitle(e) : null;
  }
  return null;
}

/** The tooltip's line height and padding (CSS px, .row-tip): its height from its lines, to choose the side it fits on. */
const TIP_LINE_PX = 12 * 1.4;
const TIP_PAD_PX = 12;

/**
 * The tooltip of what the pointer is on in the tables: one element for the
 * whole picture (each row had an SVG title of its own, two more elements per
 * row to make on every CR3 switch). Under the row, or above it where there
 * is room on screen there and not below (the scroll window, else the
 * picture, whose box clips it); on the side of its card that keeps it inside
 * the picture. It appears after a short rest (CSS), as a browser tooltip
 * does, takes no pointer events, and Esc hides it until the pointer moves to
 * something else. Hidden from assistive technology: a row's accessible name
 * (a shadow page's description) already says the same.
 */
function RowTip({ layout, hovered, scale, viewport }: { layout: Layout; hovered: string | null; scale: number; viewport: { top: number; height: number } }) {
  const [dismissed, setDismissed] = useState<string | null>(null);
  const tip = hovered && hovered !== dismissed ? tipOf(layout, hovered) : null;
  const shown = tip ? hovered : null;
  // Listening only while a tooltip is shown, and again only when what it is for changes.
  useEffect(() => {
    if (!shown) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') setDismissed(shown);
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [shown]);
  if (!tip || !hovered) return null;
  const { text, box } = tip;
  const h = text.split('\n').length * TIP_LINE_PX + TIP_PAD_PX;
  const top = box.top * scale;
  const bottom = box.bottom * scale;
  const height = layout.height * scale;
  const fitsBelow = (limit: number) => bottom + 2 + h <= limit;
  const fitsAbove = (limit: number) => top - 2 - h >= limit;
  const seen = { top: Math.max(0, viewport.top), bottom: Math.min(height, viewport.top + viewport.height) };
  const below = fitsBelow(seen.bottom) || (!fitsAbove(seen.top) && (fitsBelow(height) || height - bottom >= top));
  const right = (box.left + box.right) / 2 > layout.width / 2;
  const style: CSSProperties = {
    ...(below ? { top: bottom + 2 } : { bottom: height - top + 2 }),
    ...(right ? { right: (layout.width - box.right) * scale } : { left: box.left * scale }),
  };
  return (
    <div key={hovered} className="row-tip" data-testid="row-tip" aria-hidden="true" style={style}>
      {text}
    </div>
  );
}

/**
 * The SVG's size in layout units: the picture's, rounded up to whole
 * SVG_FRAME units. Chromium lays out every element of an SVG again when the
 * SVG's size or viewBox changes (~6 ms at 100,000 steps, where the picture is
 * ~190,000 px tall, on every step whose tables grew by a row); inside a
 * frame, the box around the SVG (the picture's exact size, clipping the rest)
 * is all that changes. The scale (SVG pixels per unit) is the same either way.
 */
export const SVG_FRAME = { width: 256, height: 2048 } as const;
export const svgFrame = (layout: Pick<Layout, 'width' | 'height'>): { width: number; height: number } => ({
  width: Math.ceil(layout.width / SVG_FRAME.width) * SVG_FRAME.width,
  height: Math.ceil(layout.height / SVG_FRAME.height) * SVG_FRAME.height,
});

/**
 * What is drawn around the scroll window: DRAW_MARGIN CSS pixels above and
 * below it (a wheel notch or two: a scroll lands on drawn rows, and the
 * render that follows draws the next ones), the bounds rounded out to
 * multiples of WINDOW_STEP layout units (scrolling redraws the cards the
 * window cuts only when it crosses one). Every row drawn is ~11 elements to
 * create and lay out when a jump or a CR3 switch changes its table: with
 * 400 px, a jump across a 100,000-step run drew a third more rows.
 */
export const DRAW_MARGIN = 200;
export const WINDOW_STEP = 128;

/** Which arrow/Home/End key moves the canvas focus where. */
const MOVES: Record<string, Move> = { ArrowUp: 'up', ArrowDown: 'down', ArrowLeft: 'left', ArrowRight: 'right', Home: 'first', End: 'last' };

/** The hatching of a page the step zapped (its card's fill): a page being taken away, not one being built. */
export function ZapHatch() {
  return (
    <defs>
      <pattern id="zap-hatch" width={8} height={8} patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
        <line className="zap-hatch-line" x1={0} y1={0} x2={0} y2={8} />
      </pattern>
    </defs>
  );
}

/**
 * A note in a column: an invalid pae_root slot (drawn as an empty slot, with
 * the reason) or why a column is empty. Its words are its accessible name.
 */
const NoteView = memo(function NoteView({ note }: { note: NoteCard }) {
  return (
    <g transform={`translate(${note.x},${note.y})`} data-testid={note.slot !== null ? 'root-slot-invalid' : 'column-note'} data-slot={note.slot ?? undefined} data-key={note.key} role="note" aria-label={note.label}>
      <rect className="card-note" width={note.w} height={note.h} rx={6} />
      <CardHeading x={12} title={note.title} sub={note.sub} />
      <title>{note.label}</title>
    </g>
  );
});

const COLUMN_NAME: Record<Column, string> = { guest: 'Guest page tables', roots: 'KVM roots', shadow: 'Shadow page tables' };

/**
 * Only what is on screen (plus a margin) is drawn: large scenarios have
 * hundreds of cards, and painting a huge SVG on every step would blow the
 * frame budget. `viewport` is the scroll window in CSS pixels; `scale` the
 * drawing's scale (the fit to the width, times the zoom).
 */
export function Canvas({
  layout,
  hl,
  viewport,
  scale,
  follow = false,
  titled = false,
}: {
  layout: Layout;
  hl: Highlights;
  viewport: { top: number; height: number };
  scale: number;
  follow?: false | 'story' | 'changed';
  /** Tooltips as SVG titles, for a file (Titled); else the on-screen tooltip. */
  titled?: boolean;
}) {
  const hovered = useStore((s) => s.hovered);
  const selected = useStore((s) => s.selected);
  const focusKey = useStore((s) => s.focusKey);
  const svgRef = useRef<SVGSVGElement>(null);
  const boxRef = useRef<HTMLDivElement>(null);
  const layoutRef = useRef(layout);
  const scaleRef = useRef(scale);
  useLayoutEffect(() => {
    layoutRef.current = layout;
    scaleRef.current = scale;
  });
  // Bring a key into view: from the layout, not the DOM (a card far from the
  // scroll window is not drawn yet). Nearest: scroll only if it is not in view.
  // Stable (refs only), so the effects below run when what they follow changes, not on every render.
  // `home`: where the box fits below the canvas top, go back to the top (the picture's resting place).
  const revealBox = useCallback((box: ReturnType<typeof targetBox>, smooth: boolean, home = false) => {
    const wrap = boxRef.current?.parentElement;
    if (!wrap || !box) return;
    const z = scaleRef.current;
    const heads = svgRef.current!.getBoundingClientRect().top - wrap.getBoundingClientRect().top + wrap.scrollTop;
    const nearest = (from: number, to: number, now: number, view: number) => (from < now ? from : to > now + view ? Math.min(from, to - view) : now);
    const top = home && box.bottom * z <= wrap.clientHeight - heads ? 0 : nearest(box.top * z, box.bottom * z, wrap.scrollTop, wrap.clientHeight - heads);
    const left = nearest(box.left * z, box.right * z, wrap.scrollLeft, wrap.clientWidth);
    // Called even where the position looks reached: a new target must replace
    // a smooth scroll still under way (scrollTop is where it is, not where it goes).
    if (typeof wrap.scrollTo === 'function') wrap.scrollTo({ top, left, behavior: smooth && !sim_reducedMotion() ? 'smooth' : 'auto' });
  }, []);
  const reveal = useCallback((key: string, smooth: boolean) => revealBox(targetBox(layoutRef.current, key), smooth), [revealBox]);
  // Clicking an entry follows its pointer (and clicking a card in the overview opens it here).
  useEffect(() => {
    if (selected) reveal(selected, true);
  }, [selected, reveal]);
  // Presenting mode and the embed follow the step: what it changed (new
  // pages, sptes set) is scrolled into view, or for a step that changed
  // nothing, what its walks read; back at the top where that shows it, else
  // scrolling only as far as needed.
  useEffect(() => {
    if (!follow) return;
    const { changed, all } = stepBoxes(layoutRef.current, hl);
    const pad = (b: NonNullable<typeof all>) => ({ ...b, top: b.top - ROW_H / 2, bottom: b.bottom + ROW_H / 2 });
    // Presenting: the whole story with the roots (e.g. the entry a write
    // faulted on), which its scale keeps on screen where it can; else what it changed.
    const story = follow === 'story' ? storyBox(layoutRef.current, hl) : null;
    const wrap = boxRef.current?.parentElement;
    const room = wrap ? wrap.clientHeight - (svgRef.current!.getBoundingClientRect().top - wrap.getBoundingClientRect().top + wrap.scrollTop) : 0;
    const box = story && (story.bottom - story.top + ROW_H) * scaleRef.current <= room ? story : (changed ?? all);
    revealBox(box && pad(box), true, true);
    // Again when the scale settles (presenting mode learns the tallest story as the steps are prepared).
  }, [hl, follow, revealBox, scale]);
  // The keyboard focus follows focusKey once its element is drawn.
  useEffect(() => {
    if (!focusKey || !svgRef.current?.contains(document.activeElement)) return;
    const el = svgRef.current.querySelector<SVGElement>(`[data-key="${focusKey}"]`);
    if (el && document.activeElement !== el) el.focus({ preventScroll: true });
  });
  const onKeyDown = (e: ReactKeyboardEvent<SVGSVGElement>) => {
    const target = e.target as Element;
    const key = target.getAttribute('data-key');
    if (!key || e.ctrlKey || e.metaKey || e.altKey) return;
    const move = MOVES[e.key];
    if (move) {
      const next = neighbour(layoutRef.current, key, move);
      if (next) {
        // Drawn now: a row off screen is drawn only once it has the focus
        // (drawnRows), and the row left may go as it loses it.
        flushSync(() => useStore.getState().setFocusKey(next));
        reveal(next, false);
        svgRef.current?.querySelector<SVGElement>(`[data-key="${next}"]`)?.focus({ preventScroll: true });
      }
    } else if (e.key === 'Enter' || e.key === ' ') {
      // A card opens like a click on it in the overview: selected; an entry follows its pointer.
      if (target.getAttribute('role') === 'listitem') useStore.getState().select(key);
      else (target as SVGElement).dispatchEvent(new MouseEvent('click', { bubbles: true }));
    } else return;
    e.preventDefault();
    e.stopPropagation();
  };
  // The window drawn, in layout units (see DRAW_MARGIN).
  const win = {
    top: Math.floor((viewport.top - DRAW_MARGIN) / scale / WINDOW_STEP) * WINDOW_STEP,
    bottom: Math.ceil((viewport.top + viewport.height + DRAW_MARGIN) / scale / WINDOW_STEP) * WINDOW_STEP,
  };
  const visible = visibleIn(layout, win.top, win.bottom);
  // The focused card stays drawn even when scrolled away, so focus is never lost.
  const focusCard = focusKey ? cardOf(layout, focusKey) : undefined;
  if (focusCard && !visible.cards.includes(focusCard)) visible.cards.push(focusCard);
  // Hover linking: a guest entry and the sptes that mirror it light up together.
  // Only while something is hovered: stepping does not pay for it.
  const hovering = hovered !== null;
  const mirrors = useMemo(() => {
    if (!hovering) return null;
    const fromGuest = new Map<string, string[]>();
    const fromSpte = new Map<string, string[]>();
    const tables = new Map<string, GuestCard['table']>();
    for (const g of layout.cards) if (g.kind === 'guest' && !tables.has(g.table.gfn)) tables.set(g.table.gfn, g.table);
    for (const c of layout.cards) {
      if (c.kind !== 'shadow') continue;
      const t = tables.get(c.sp.gfn);
      if (!t || c.sp.role.direct) continue;
      // The indexes from the shape of its entries: their JSON is not made for this.
      for (const index of sim_guestEntriesShape(t).index) {
        const keys = mirrorSptes(c.sp, index, t.entrySize).map((i) => `spte:${c.sp.id}:${i}`);
        if (!keys.length) continue;
        const g = `gte:${t.gfn}:${index}`;
        fromGuest.set(g, [...(fromGuest.get(g) ?? []), ...keys]);
        for (const k of keys) fromSpte.set(k, [...(fromSpte.get(k) ?? []), g]);
      }
    }
    return { fromGuest, fromSpte };
  }, [layout, hovering]);
  const activeEnds = new Set([hovered, selected].filter(Boolean) as string[]);
  if (hovered && mirrors) for (const k of [...(mirrors.fromGuest.get(hovered) ?? []), ...(mirrors.fromSpte.get(hovered) ?? [])]) activeEnds.add(k);
  // Rows lit by hover: the hovered row itself and the rows that mirror it.
  const litRows = new Map<string, number[]>();
  for (const k of activeEnds) {
    const parts = k.split(':');
    if (parts[0] !== 'gte' && parts[0] !== 'spte') continue;
    const owner = parts[0] === 'gte' ? `gt:${parts[1]}` : `sp:${parts[1]}`;
    litRows.set(owner, [...(litRows.get(owner) ?? []), Number(parts[2])]);
  }
  const marksFor = (c: Card) => marksOf(c, hl, activeEnds, litRows);
  const stops = { guest: tabStopOf(layout, 'guest', focusKey), roots: tabStopOf(layout, 'roots', focusKey), shadow: tabStopOf(layout, 'shadow', focusKey) };
  const cardTab = (c: Card) => (stops[columnOf(c)] === c.key ? 0 : -1);
  const frame = svgFrame(layout);
  const advance = rowAdvance();
  // The row inks the drawn cards use (RowInks): a few, shared.
  const inks = new Map<string, readonly [number, number]>();
  for (const c of visible.cards) {
    const ink = inkOf(textXOf(c), c.rows);
    if (ink) inks.set(inkId(...ink), ink);
  }
  return (
    // The box has the picture's size and clips the SVG, which is a little
    // larger (svgFrame): a step that only grows or shrinks the picture changes
    // the box's height (an HTML layout of one element), not the SVG's size.
    <div ref={boxRef} className="canvas-box" style={{ width: layout.width * scale, height: layout.height * scale, overflow: 'hidden' }}>
      <svg
        ref={svgRef}
        className={`canvas density-${layout.density.name}`}
        width={frame.width * scale}
        height={frame.height * scale}
        viewBox={`0 0 ${frame.width} ${frame.height}`}
        role="group"
        aria-label="Guest page tables, KVM roots and shadow page tables"
        data-testid="canvas"
        onKeyDown={onKeyDown}
        onFocus={(e) => {
          const k = (e.target as Element).getAttribute('data-key');
          if (k && k !== useStore.getState().focusKey) useStore.getState().setFocusKey(k);
        }}
      >
        <ArrowDefs />
        <ZapHatch />
        <RowInks inks={[...inks.values()]} advance={advance} />
        <g className="links" aria-hidden="true">
          {drawnLinks(visible.links, hl, activeEnds).map(({ l, active }) => (
            <LinkPath key={l.key} l={l} active={active} />
          ))}
        </g>
        <g className="notes">
          {visible.notes.map((n) => (
            <NoteView key={n.key} note={n} />
          ))}
        </g>
        <Titled.Provider value={titled}>
          {COLUMN_ORDER.map((col) => (
            <g key={col} role="list" aria-label={COLUMN_NAME[col]}>
              {visible.cards
                .filter((c) => columnOf(c) === col)
                .map((c) => (
                  <CardView key={reactKey(layout, c)} card={c} marks={marksFor(c)} tabStop={stops[col]} cardTab={cardTab(c)} win={c.y >= win.top && c.y + c.h <= win.bottom ? null : { from: win.top - c.y, to: win.bottom - c.y }} />
                ))}
            </g>
          ))}
        </Titled.Provider>
      </svg>
      {!titled && <RowTip layout={layout} hovered={hovered} scale={scale} viewport={viewport} />}
    </div>
  );
}

const guestSlots = new WeakMap<Layout, Map<Card, number>>();

/**
 * The React key of a card: a shadow page's own key; a guest table's place in
 * its column. A CR3 switch replaces every guest table at once (another
 * process's tables, in the same places): keyed by place, React updates the
 * rows of the table drawn there (texts, keys) instead of removing all of them
 * and creating the new process's (~11 elements each). Shadow pages come and
 * go one at a time, and move: they keep their own key.
 */
function reactKey(layout: Layout, c: Card): string {
  if (c.kind !== 'guest') return c.key;
  let slots = guestSlots.get(layout);
  if (!slots) {
    slots = new Map();
    for (const g of layout.cards) if (g.kind === 'guest') slots.set(g, slots.size);
    guestSlots.set(layout, slots);
  }
  return `guest#${slots.get(c) ?? c.key}`;
}

/** A card of either kind, focusable itself (its tab stop when it is its column's). */
function CardView({ card, ...rest }: CardProps<Card>) {
  return card.kind === 'guest' ? <GuestTable card={card} {...rest} /> : <ShadowPage card={card} {...rest} />;
}

export { HEAD_H };
