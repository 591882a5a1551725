/**
 * The overview: the whole scene on one screen. Every guest table and shadow
 * page is one card without rows; its present entries are ticks at their index
 * along the card (a 4-byte guest PT's 1024 entries across its width, a shadow
 * PT's 512 across its own), so the quadrant split shows as where the ticks
 * fall. The links are the detailed view's: fan-outs coloured by quadrant and
 * child pointers. Hover a card for its role, click it to open it in the
 * detailed tables. Text is drawn only on cards tall enough to read it: at
 * this scale the cost of a step is the few cards and ticks it changes.
 */
import { memo } from 'react';
import { sim_guestEntriesShape, sim_sptesShape } from '../../core/index.ts';
import { type Card, type Layout, type NoteCard, OVERVIEW, shadowPageText, tickX } from '../layout/geometry.ts';
import { useStore } from '../store/index.ts';
import { type CardMarks, drawnLinks, hasRow, type Highlights, marksOf, sameCard } from '../step/index.ts';
import { ArrowDefs, LinkPath } from './Links.tsx';
import { ZapHatch } from './Canvas.tsx';

/** "M x,y0 V y1" for each index: one path for a whole set of ticks. */
function ticks(card: Card, indexes: readonly number[], count: number, y0: number, y1: number): string {
  let d = '';
  for (const i of indexes) d += `M${tickX(card, i, count).toFixed(1)},${y0.toFixed(1)}V${y1.toFixed(1)}`;
  return d;
}

/** What a card says in its tooltip and, when tall enough, its label. */
function describe(card: Card): { color: string | undefined; label: string; title: string; count: number; present: number[] } {
  if (card.kind === 'guest') {
    const t = card.table;
    // From the shape of its entries (their JSON is not made): the present ones, those not present left out.
    const { index, notPresent } = sim_guestEntriesShape(t);
    const absent = notPresent.length ? new Set(notPresent) : null;
    const present = absent ? index.filter((i) => !absent.has(i)) : index.slice();
    return {
      color: undefined,
      label: card.title,
      title: `${card.title}\n${t.entryCount} × ${t.entrySize}-byte entries, ${present.length} present · va ${t.vaBase}\nclick to open it in the tables`,
      count: t.entryCount,
      present,
    };
  }
  const sp = card.sp;
  // From the shape of its sptes: the overview draws where they are, not what they hold (their JSON is not made).
  const present = sim_sptesShape(sp).index.slice();
  const { color, covers } = shadowPageText(sp, card.root, card.zap);
  return {
    color,
    label: card.title,
    title: `${card.zap === 'freed' || card.zap === 'invalid' ? shadowPageText(sp, card.root, card.zap).heading : card.title}${card.zap === 'freed' ? '\nzapped and freed in this step: gone at the next' : ''}\nkvm_mmu_page ${sp.id}: ${sp.notation}\n${covers}\n${present.length} of 512 sptes present\nclick to open it in the tables`,
    count: 512,
    present,
  };
}

const split = (list: string) => (list === '' ? [] : list.split(' ').map(Number));

const OverviewCard = memo(function OverviewCard({ card, marks }: { card: Card; marks: CardMarks }) {
  const { color, label, title, count, present } = describe(card);
  const shadow = card.kind === 'shadow' ? card.sp : null;
  const q = shadow?.role.quadrant ?? 0;
  const labelled = card.h >= OVERVIEW.labelMinH;
  // Ticks fill the card, or its lower half under a label.
  const y0 = labelled ? card.y + card.h * 0.55 : card.y + 1.5;
  const y1 = card.y + card.h - (labelled ? 3 : 1.5);
  // Lit ticks stand out by their full height, but stay clear of a label.
  const litY0 = labelled ? y0 - 3 : card.y;
  const litY1 = labelled ? y1 + 2 : card.y + card.h;
  const touched = split(marks.touched);
  const hw = split(marks.hw);
  const focus = marks.focus !== '' && marks.focus !== 'card' ? [Number(marks.focus)] : [];
  const plain = present.filter((i) => !hasRow(marks.touched, i));
  const cls = `card ${shadow ? 'card-shadow' : 'card-guest'}${touched.length ? (shadow ? ' card-set' : ' card-walked') : ''}${marks.created ? ' card-new' : ''}${shadow?.unsync ? ' card-unsync' : ''}${marks.cardLit || marks.focus === 'card' ? ' card-hover' : ''}`;
  const attrs = shadow
    ? { 'data-testid': 'shadow-page', 'data-sp': shadow.id, 'data-gfn': shadow.gfn, 'data-level': shadow.role.level, 'data-quadrant': q, 'data-root-slot': card.kind === 'shadow' ? (card.rootSlot ?? '') : '' }
    : { 'data-testid': 'guest-table', 'data-gfn': card.kind === 'guest' ? card.table.gfn : '', 'data-level': card.kind === 'guest' ? card.table.level : 0 };
  const st = useStore.getState;
  return (
    <g {...attrs} data-key={card.key} data-zap={card.kind === 'shadow' ? (card.zap ?? undefined) : undefined} className={`ov-card${card.kind === 'shadow' && (card.zap === 'freed' || card.zap === 'invalid') ? ' card-zapped' : ''}`} onMouseEnter={() => st().hover(card.key)} onMouseLeave={() => st().hover(null)} onClick={() => st().openInDetail(card.key)}>
      <rect className={cls} x={card.x} y={card.y} width={card.w} height={card.h} rx={Math.min(4, card.h / 3)} style={color ? { stroke: color } : undefined} />
      {color && <rect x={card.x} y={card.y} width={4} height={card.h} rx={Math.min(2, card.h / 4)} fill={color} />}
      {labelled && (
        <text className="ov-label" x={card.x + (shadow ? 9 : 6)} y={card.y + 12}>
          {label}
        </text>
      )}
      <path className="tick" d={ticks(card, plain, count, y0, y1)} />
      {touched.length > 0 && <path className={shadow ? 'tick tick-set' : 'tick tick-walked'} d={ticks(card, touched, count, litY0, litY1)} />}
      {hw.length > 0 && <path className="tick tick-hw" d={ticks(card, hw, count, litY0, litY1)} />}
      {focus.length > 0 && <path className="tick tick-focus" d={ticks(card, focus, count, card.y - 2, card.y + card.h + 2)} />}
      <title>{title}</title>
    </g>
  );
}, sameCard);

/** An invalid pae_root slot or an empty column's note: an empty dotted slot, its words as label (when tall enough) and tooltip. */
function OverviewNote({ note }: { note: NoteCard }) {
  return (
    <g data-testid={note.slot !== null ? 'root-slot-invalid' : 'column-note'} data-slot={note.slot ?? undefined} data-key={note.key} role="note" aria-label={note.label}>
      <rect className="card-note" x={note.x} y={note.y} width={note.w} height={note.h} rx={Math.min(4, note.h / 3)} />
      {note.h >= OVERVIEW.labelMinH && (
        <text className="ov-label" x={note.x + 6} y={note.y + 12}>
          {note.title}
        </text>
      )}
      <title>{note.label}</title>
    </g>
  );
}

const NO_ROWS: ReadonlyMap<string, readonly number[]> = new Map();

/** The overview of `layout` (from layoutOverview, in CSS pixels: drawn 1:1); a scroll of the page, which changes neither, does not re-render it. */
export const Overview = memo(function Overview({ layout, hl }: { layout: Layout; hl: Highlights }) {
  const hovered = useStore((s) => s.hovered);
  const selected = useStore((s) => s.selected);
  const activeEnds = new Set([hovered, selected].filter((k): k is string => k !== null));
  const shadows = layout.cards.filter((c) => c.kind === 'shadow').length;
  const guests = layout.cards.length - shadows;
  return (
    <svg className="canvas overview" width={layout.width} height={layout.height} role="img" aria-label={`Overview: ${guests} guest page tables and ${shadows} shadow pages`} data-testid="overview">
      <ArrowDefs />
      <ZapHatch />
      <g className="links">
        {drawnLinks(layout.links, hl, activeEnds).map(({ l, active }) => (
          <LinkPath key={l.key} l={l} active={active} />
        ))}
      </g>
      {layout.notes.map((n) => (
        <OverviewNote key={n.key} note={n} />
      ))}
      {layout.cards.map((c) => (
        <OverviewCard key={c.key} card={c} marks={marksOf(c, hl, activeEnds, NO_ROWS)} />
      ))}
    </svg>
  );
});
