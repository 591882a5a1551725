/**
 * The three linked columns, drawn as one SVG from the pure layout: guest
 * tables | KVM roots | shadow pages, with pointer, fan-out and child links.
 */
import { memo, useEffect, useLayoutEffect, useMemo, useRef } from 'react';
import type { TraceEvent } from '../../core/index.ts';
import { type Card, type GuestCard, HEAD_H, type Layout, type Link, mirrorSptes, QUADRANT_COLORS, ROW_H, rowY, type ShadowCard, shadowPageText, visibleIn } from '../layout/geometry.ts';
import { useStore } from '../store/index.ts';

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
}

const fullHighlights = new WeakMap<readonly TraceEvent[], Highlights>();

export function highlightsOf(events: readonly TraceEvent[], upTo: number | null): Highlights {
  // A whole step's highlights are the same each time the step is shown.
  if (upTo === null) {
    let h = fullHighlights.get(events);
    if (!h) {
      h = computeHighlights(events, null);
      fullHighlights.set(events, h);
    }
    return h;
  }
  return computeHighlights(events, upTo);
}

function computeHighlights(events: readonly TraceEvent[], upTo: number | null): Highlights {
  const walked = new Set<string>();
  const created = new Set<number>();
  const setSptes = new Set<string>();
  const hwPath = new Set<string>();
  let focus: string | null = null;
  const n = upTo ?? events.length;
  events.slice(0, n).forEach((e, i) => {
    const last = i === n - 1;
    if (e.kind === 'kvm_mmu_paging_element' && e.tableGfn) {
      walked.add(`${e.tableGfn}:${e.index}`);
      if (last) focus = `gte:${e.tableGfn}:${e.index}`;
    } else if (e.kind === 'kvm_mmu_get_page') {
      if (e.created) created.add(e.sp);
      if (last) focus = `sp:${e.sp}`;
    } else if (e.kind === 'kvm_mmu_set_spte' || e.kind === 'mark_mmio_spte') {
      setSptes.add(`${e.sp}:${e.index}`);
      if (last) focus = `spte:${e.sp}:${e.index}`;
    } else if (e.kind === 'link_shadow_page') {
      setSptes.add(`${e.parent.sp}:${e.parent.index}`);
      if (last) focus = `spte:${e.parent.sp}:${e.parent.index}`;
    } else if (e.kind === 'sim_hardware_walk') {
      hwPath.clear();
      for (const p of e.path) if (p.sp !== null) hwPath.add(`${p.sp}:${p.index}`);
    } else if (last && (e.kind === 'kvm_mmu_prepare_zap_page' || e.kind === 'kvm_mmu_unsync_page' || e.kind === 'kvm_mmu_sync_page')) {
      focus = `sp:${e.sp}`;
    }
  });
  return { walked, created, setSptes, hwPath, focus };
}

/** The canonical gva a leaf entry maps (as the scenario format writes it). */
function leafGva(vaBase: string, index: number, level: number, entrySize: 4 | 8): string {
  const bits = entrySize === 4 ? 10 : 9;
  const va = parseInt(vaBase, 16) + index * 2 ** (12 + bits * (level - 1));
  const hex = va.toString(16);
  return va >= 2 ** 47 && entrySize === 8 && va < 2 ** 48 ? `0xffff${hex.padStart(12, '0')}` : `0x${hex}`;
}

const hexIdx = (i: number) => String(i).padStart(4, '\u2007');

function linkClass(l: Link, active: boolean): string {
  const base = l.kind === 'guest-pointer' ? 'link-guest' : l.kind === 'shadow-of' ? 'link-shadow-of' : 'link-child';
  return `${base}${active ? ' link-active' : ''}`;
}

/** Arrow heads: normal, faint (shadow-of links) and active (hover/selection). */
const ARROWS = ['arrow', 'arrow-faint', 'arrow-active'] as const;

/** One link; memoized on its path and state, so unchanged links are not touched. */
export const LinkPath = memo(
  function LinkPath({ l, active }: { l: Link; active: boolean }) {
    return (
      <path
        d={l.path}
        className={linkClass(l, active)}
        style={l.quadrant !== null && l.kind !== 'guest-pointer' ? { stroke: QUADRANT_COLORS[l.quadrant] } : undefined}
        markerEnd={active ? 'url(#arrow-active)' : l.kind === 'shadow-of' ? 'url(#arrow-faint)' : 'url(#arrow)'}
        data-testid={`link-${l.kind}`}
      />
    );
  },
  (a, b) => a.active === b.active && (a.l === b.l || (a.l.path === b.l.path && a.l.kind === b.l.kind && a.l.quadrant === b.l.quadrant)),
);

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
}

/** A folded run of empty entries: "entries 4–255 not present". */
function FoldRow({ from, to, x, y, one, many }: { from: number; to: number; x: number; y: number; one: string; many: string }) {
  return (
    <text className="row-fold" x={x} y={y + 13}>
      {from === to ? `${one} ${from}` : `${many} ${from}–${to}`} not present
    </text>
  );
}

export const hasRow = (list: string, i: number) => ` ${list} `.includes(` ${i} `);

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
    (a.card.kind === 'shadow' && b.card.kind === 'shadow' ? a.card.rootSlot === b.card.rootSlot && a.card.root === b.card.root : true) &&
    ma.touched === mb.touched &&
    ma.lit === mb.lit &&
    ma.hw === mb.hw &&
    ma.focus === mb.focus &&
    ma.cardLit === mb.cardLit &&
    ma.created === mb.created
  );
};

/**
 * A table row, guest entry or spte: index, value, flags and target, with the
 * decoded bits as its tooltip; hovering lights it (and what mirrors it).
 */
function EntryRow(p: { testid: string; hoverKey: string; index: number; cls: string; ry: number; x: number; textX: number; w: number; value: string; flags: string; target: string; title: string; onClick: () => void }) {
  return (
    <g data-testid={p.testid} data-index={p.index} className={p.cls} onMouseEnter={() => useStore.getState().hover(p.hoverKey)} onMouseLeave={() => useStore.getState().hover(null)} onClick={p.onClick}>
      <rect x={p.x} y={p.ry} width={p.w} height={ROW_H} className="row-bg" />
      <text x={p.textX} y={p.ry + 13} className="row-text">
        <tspan className="row-idx">{hexIdx(p.index)}</tspan> {p.value} <tspan className="row-flags">{p.flags}</tspan> <tspan className="row-target">{p.target}</tspan>
      </text>
      <title>{p.title}</title>
    </g>
  );
}

/** One guest entry row; memoized on what it shows, so a step repaints only the rows it changed. */
const GuestRow = memo(
  function GuestRow({ t, e, ry, w, cls }: { t: GuestCard['table']; e: GuestCard['table']['entries'][number]; ry: number; w: number; cls: string }) {
    const key = `gte:${t.gfn}:${e.index}`;
    return (
      <EntryRow
        testid="guest-entry"
        hoverKey={key}
        index={e.index}
        cls={cls}
        ry={ry}
        x={2}
        textX={10}
        w={w - 4}
        value={e.value.padEnd(t.entrySize === 8 ? 18 : 10)}
        flags={e.flags}
        target={e.flags === 'not present' ? '' : e.leaf ? `→ page ${e.target}` : `→ table ${e.target}`}
        title={`entry ${e.index} = ${e.value}\n${e.flags}${e.leaf ? `\nmaps ${e.pageBytes / 1024} KiB at gfn ${e.target}` : `\npoints to the table at gfn ${e.target}`}`}
        onClick={() => {
          const st = useStore.getState();
          if (e.leaf && st.editorOpen) st.addAccess(leafGva(t.vaBase, e.index, t.level, t.entrySize));
          st.select(e.leaf ? key : (`gt:${e.target}:${t.level - 1}` as const));
        }}
      />
    );
  },
  (a, b) =>
    a.ry === b.ry &&
    a.w === b.w &&
    a.cls === b.cls &&
    (a.e === b.e ||
      (a.e.index === b.e.index && a.e.value === b.e.value && a.e.flags === b.e.flags && a.e.leaf === b.e.leaf && a.e.target === b.e.target && a.e.pageBytes === b.e.pageBytes)) &&
    (a.t === b.t || (a.t.gfn === b.t.gfn && a.t.vaBase === b.t.vaBase && a.t.level === b.t.level && a.t.entrySize === b.t.entrySize)),
);

const GuestTable = memo(function GuestTable({ card, marks }: { card: GuestCard; marks: CardMarks }) {
  const t = card.table;
  const names = ['', 'PT', 'PD', t.registers ? 'PDPTE registers' : 'PDPT', 'PML4'];
  return (
    <g transform={`translate(${card.x},${card.y})`} data-testid="guest-table" data-gfn={t.gfn} data-level={t.level} data-key={card.key}>
      <rect className={`card card-guest${marks.cardLit ? ' card-hover' : ''}`} width={card.w} height={card.h} rx={6} />
      <text className="card-title" x={10} y={17}>
        guest {names[t.level] ?? `L${t.level}`} · gfn {t.gfn}
      </text>
      <text className="card-sub" x={10} y={32}>
        {t.entryCount} × {t.entrySize}-byte entries{t.registers ? ' (loaded at MOV CR3)' : ''} · va {t.vaBase}
      </text>
      {card.rows.map((r) => {
        const ry = r.y - card.y;
        if (r.kind === 'fold') return <FoldRow key={`f${r.from}`} from={r.from} to={r.to} y={ry} x={10} one="entry" many="entries" />;
        const e = t.entries.find((x) => x.index === r.index)!;
        const walked = hasRow(marks.touched, e.index);
        const lit = hasRow(marks.lit, e.index);
        const cls = `row${walked ? ' row-walked' : ''}${lit ? ' row-hover' : ''}${marks.focus === String(e.index) ? ' row-focus' : ''}`;
        return <GuestRow key={e.index} t={t} e={e} ry={ry} w={card.w} cls={cls} />;
      })}
    </g>
  );
}, sameCard);

type Spte = ShadowCard['sp']['sptes'][number];

/** One spte row; memoized on what it shows, so a step repaints only the rows it changed. */
const SpteRow = memo(
  function SpteRow({ spId, e, ry, w, cls }: { spId: number; e: Spte; ry: number; w: number; cls: string }) {
    const key = `spte:${spId}:${e.index}`;
    return (
      <EntryRow
        testid="spte"
        hoverKey={key}
        index={e.index}
        cls={cls}
        ry={ry}
        x={7}
        textX={12}
        w={w - 9}
        value={e.value.padEnd(13)}
        flags={e.flags}
        target={e.child !== undefined ? `→ sp ${e.child}` : e.mmio ? `MMIO gfn ${e.gfn}` : e.gfn ? `gfn ${e.gfn}` : ''}
        title={`spte ${e.index} = ${e.value}\n${e.flags}${e.child !== undefined ? `\npoints to sp ${e.child}` : e.gfn ? `\nmaps gfn ${e.gfn} (host pfn ${e.pfn ?? '-'})` : ''}`}
        onClick={() => useStore.getState().select(e.child !== undefined ? `sp:${e.child}` : key)}
      />
    );
  },
  (a, b) =>
    a.spId === b.spId &&
    a.ry === b.ry &&
    a.w === b.w &&
    a.cls === b.cls &&
    (a.e === b.e || (a.e.index === b.e.index && a.e.value === b.e.value && a.e.flags === b.e.flags && a.e.child === b.e.child && a.e.mmio === b.e.mmio && a.e.gfn === b.e.gfn && a.e.pfn === b.e.pfn)),
);

const ShadowPage = memo(function ShadowPage({ card, marks }: { card: ShadowCard; marks: CardMarks }) {
  const hover = useStore((s) => s.hover);
  const sp = card.sp;
  const q = sp.role.quadrant;
  const { color, heading, covers } = shadowPageText(card);
  return (
    <g transform={`translate(${card.x},${card.y})`} data-testid="shadow-page" data-sp={sp.id} data-gfn={sp.gfn} data-level={sp.role.level} data-quadrant={q} data-root-slot={card.rootSlot ?? ''} data-key={card.key}>
      <rect
        className={`card card-shadow${marks.created ? ' card-new' : ''}${sp.unsync ? ' card-unsync' : ''}${marks.cardLit || marks.focus === 'card' ? ' card-hover' : ''}`}
        width={card.w}
        height={card.h}
        rx={6}
        style={color ? { stroke: color } : undefined}
        onMouseEnter={() => hover(card.key)}
        onMouseLeave={() => hover(null)}
      />
      {color && <rect width={6} height={card.h} rx={3} fill={color} />}
      <text className="card-title" x={12} y={17}>
        {heading}
      </text>
      <text className="card-sub" x={12} y={32}>
        {sp.notation} · {covers}
      </text>
      <title>{`kvm_mmu_page ${sp.id}\n${sp.notation}\nrole.word ${sp.role.word}\nroot_count ${sp.rootCount}, unsync_children ${sp.unsyncChildren}, write_flooding_count ${sp.writeFloodingCount}\nparents: ${sp.parents.map((p) => `sp ${p.sp}[${p.index}]`).join(', ') || 'none'}`}</title>
      {card.rows.map((r) => {
        const ry = r.y - card.y;
        if (r.kind === 'fold') return <FoldRow key={`f${r.from}`} from={r.from} to={r.to} y={ry} x={12} one="spte" many="sptes" />;
        const e = sp.sptes.find((x) => x.index === r.index)!;
        const cls = `row${hasRow(marks.touched, e.index) ? ' row-set' : ''}${hasRow(marks.hw, e.index) ? ' row-hw' : ''}${hasRow(marks.lit, e.index) ? ' row-hover' : ''}${marks.focus === String(e.index) ? ' row-focus' : ''}`;
        return <SpteRow key={e.index} spId={sp.id} e={e} ry={ry} w={card.w} cls={cls} />;
      })}
    </g>
  );
}, sameCard);

/**
 * The vertical extent (layout units) of what an entity key names: a card
 * (`sp:ID`, `gt:GFN:LEVEL`), or an entry's row (`spte:ID:INDEX`,
 * `gte:GFN:INDEX`; the whole card where the row is folded away).
 */
export function targetBox(layout: Layout, key: string): { top: number; bottom: number; left: number; right: number } | null {
  const [kind, id, index] = key.split(':');
  const card =
    kind === 'sp' || kind === 'gt'
      ? layout.cards.find((c) => c.key === key)
      : kind === 'spte'
        ? layout.cards.find((c) => c.kind === 'shadow' && String(c.sp.id) === id)
        : kind === 'gte'
          ? layout.cards.find((c) => c.kind === 'guest' && c.table.gfn === id)
          : undefined;
  if (!card) return null;
  const y = index !== undefined && (kind === 'spte' || kind === 'gte') ? rowY(card, Number(index)) : null;
  const x = { left: card.x, right: card.x + card.w };
  return y === null ? { top: card.y, bottom: card.y + card.h, ...x } : { top: y - ROW_H / 2, bottom: y + ROW_H / 2, ...x };
}

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
    const touched = c.table.entries.filter((e) => hl.walked.has(`${gfn}:${e.index}`)).map((e) => e.index).join(' ');
    const focus = focusParts[0] === 'gte' && focusParts[1] === gfn ? focusParts[2]! : '';
    return { touched, lit: (litRows.get(`gt:${gfn}`) ?? []).join(' '), hw: '', focus, cardLit: activeEnds.has(c.key), created: false };
  }
  const id = c.sp.id;
  const touched = c.sp.sptes.filter((e) => hl.setSptes.has(`${id}:${e.index}`)).map((e) => e.index).join(' ');
  const hw = c.sp.sptes.filter((e) => hl.hwPath.has(`${id}:${e.index}`)).map((e) => e.index).join(' ');
  const focus = focusParts[0] === 'spte' && focusParts[1] === String(id) ? focusParts[2]! : hl.focus === c.key ? 'card' : '';
  return { touched, lit: (litRows.get(`sp:${id}`) ?? []).join(' '), hw, focus, cardLit: activeEnds.has(c.key), created: hl.created.has(id) };
}

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

/** The arrow-head markers the links refer to. */
export function ArrowDefs() {
  return (
    <defs>
      {ARROWS.map((id) => (
        <marker key={id} id={id} className={id} viewBox="0 0 10 10" refX={9} refY={5} markerWidth={6} markerHeight={6} orient="auto-start-reverse">
          <path d="M0,0 L10,5 L0,10 z" className="arrow-head" />
        </marker>
      ))}
    </defs>
  );
}

/**
 * Only what is on screen (plus a margin) is drawn: large scenarios have
 * hundreds of cards, and painting a huge SVG on every step would blow the
 * frame budget. `viewport` is the scroll window in CSS pixels.
 */
export function Canvas({ layout, hl, viewport }: { layout: Layout; hl: Highlights; viewport: { top: number; height: number } }) {
  const hovered = useStore((s) => s.hovered);
  const selected = useStore((s) => s.selected);
  const zoom = useStore((s) => s.zoom);
  const svgRef = useRef<SVGSVGElement>(null);
  const layoutRef = useRef(layout);
  useLayoutEffect(() => {
    layoutRef.current = layout;
  });
  // Clicking an entry follows its pointer (and clicking a card in the
  // overview opens it here): bring the target into view. From the layout, not
  // the DOM: a card far from the scroll window is not drawn yet.
  useEffect(() => {
    const wrap = svgRef.current?.parentElement;
    if (!selected || !wrap) return;
    const box = targetBox(layoutRef.current, selected);
    if (!box) return;
    const z = useStore.getState().zoom;
    const heads = svgRef.current!.getBoundingClientRect().top - wrap.getBoundingClientRect().top + wrap.scrollTop;
    // Nearest: scroll only if it is not in view, and as little as needed.
    const nearest = (from: number, to: number, now: number, view: number) => (from < now ? from : to > now + view ? Math.min(from, to - view) : now);
    const top = nearest(box.top * z, box.bottom * z, wrap.scrollTop, wrap.clientHeight - heads);
    const left = nearest(box.left * z, box.right * z, wrap.scrollLeft, wrap.clientWidth);
    if ((top !== wrap.scrollTop || left !== wrap.scrollLeft) && typeof wrap.scrollTo === 'function') wrap.scrollTo({ top, left, behavior: 'smooth' });
  }, [selected]);
  const zoomNow = useStore((s) => s.zoom);
  const margin = 400;
  const visible = visibleIn(layout, (viewport.top - margin) / zoomNow, (viewport.top + viewport.height + margin) / zoomNow);
  const guestCards = visible.cards.filter((c): c is GuestCard => c.kind === 'guest');
  const shadowCards = visible.cards.filter((c): c is ShadowCard => c.kind === 'shadow');
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
      for (const e of t.entries) {
        const keys = mirrorSptes(c.sp, e.index, t.entrySize).map((i) => `spte:${c.sp.id}:${i}`);
        if (!keys.length) continue;
        const g = `gte:${t.gfn}:${e.index}`;
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
  return (
    <svg
      ref={svgRef}
      className="canvas"
      width={layout.width * zoom}
      height={layout.height * zoom}
      viewBox={`0 0 ${layout.width} ${layout.height}`}
      role="img"
      aria-label="Guest page tables, KVM roots and shadow page tables"
    >
      <ArrowDefs />
      <g className="links">
        {drawnLinks(visible.links, hl, activeEnds).map(({ l, active }) => (
          <LinkPath key={l.key} l={l} active={active} />
        ))}
      </g>
      {guestCards.map((c) => (
        <GuestTable key={c.key} card={c} marks={marksFor(c)} />
      ))}
      {shadowCards.map((c) => (
        <ShadowPage key={c.key} card={c} marks={marksFor(c)} />
      ))}
    </svg>
  );
}

export type { Card };
export { HEAD_H };
