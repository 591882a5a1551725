/**
 * The legend: every border, highlight, arrow style and marker the tables,
 * the overview and the timeline use, each drawn with the very classes (and
 * so the theme's colours) the app draws it with, beside what it means.
 * Rows are data (LEGEND_SECTIONS): a new mark is one more row.
 */
import type { ReactNode } from 'react';
import { QUADRANT_COLORS } from '../layout/geometry.ts';
import { OUTCOME_MARKS, type MarkKind } from '../glossary/outcome-marks.ts';

const W = 76;
const H = 30;

/** A small card: `cls` on its rect (card-new, card-unsync...), `color` its quadrant border and stripe. */
function CardSample({ cls = '', color, guest = false, label, dim = false }: { cls?: string; color?: string; guest?: boolean; label?: string; dim?: boolean }) {
  return (
    <g className={dim ? 'legend-dim' : undefined}>
      <rect x={3} y={3} width={W - 6} height={H - 6} rx={5} className={`card ${guest ? 'card-guest' : 'card-shadow'} ${cls}`} style={color ? { stroke: color } : undefined} />
      {color && <rect x={3} y={3} width={5} height={H - 6} rx={2.5} fill={color} />}
      {label && (
        <text x={12} y={19} className="legend-text">
          {label}
        </text>
      )}
    </g>
  );
}

/** One entry row with `cls` (row-walked, row-set...), as a row of a card. */
function RowSample({ cls, text = '3 0x5027' }: { cls: string; text?: string }) {
  return (
    <g className={`row ${cls}`}>
      <rect x={3} y={6} width={W - 6} height={18} className="row-bg" />
      <text x={7} y={19} className="legend-text">
        {text}
      </text>
    </g>
  );
}

/** A link: fan-out (dashed, a dot at its end), child pointer (solid, arrowhead), guest pointer (dotted grey, small arrowhead). */
function LinkSample({ kind, color, active = false }: { kind: 'fan' | 'child' | 'guest'; color?: string; active?: boolean }) {
  const y = H / 2;
  const cls = kind === 'fan' ? 'link-fan' : kind === 'child' ? 'link-child' : 'link-guest';
  const fill = color ?? undefined;
  return (
    <g className="links">
      <path d={`M4 ${y}H${kind === 'fan' ? W - 10 : W - 12}`} className={`${cls}${active ? ' link-active' : ''}`} style={color ? { stroke: color } : undefined} />
      {kind === 'fan' ? (
        <circle cx={W - 7} cy={y} r={3} className="link-marker link-marker-active" style={fill ? { fill } : undefined} />
      ) : kind === 'child' ? (
        <path d={`M${W - 12} ${y - 3.5}L${W - 4} ${y}L${W - 12} ${y + 3.5}Z`} className="link-marker link-marker-active" style={fill ? { fill } : undefined} />
      ) : (
        <path d={`M${W - 12} ${y - 2.75}L${W - 6} ${y}L${W - 12} ${y + 2.75}Z`} className="link-marker" />
      )}
    </g>
  );
}

/** Overview ticks: a present entry, walked, set, on the hardware walk. */
function TickSample({ cls }: { cls: string }) {
  return (
    <g>
      <rect x={3} y={3} width={W - 6} height={H - 6} rx={5} className="card card-shadow" />
      {[14, 26, 38].map((x) => (
        <line key={x} x1={x} x2={x} y1={8} y2={H - 8} className="tick" />
      ))}
      <line x1={52} x2={52} y1={8} y2={H - 8} className={`tick ${cls}`} />
    </g>
  );
}

/** A timeline marker as the timeline draws it. */
export function MarkShape({ kind, size = 14 }: { kind: MarkKind; size?: number }) {
  const m = OUTCOME_MARKS[kind];
  return (
    <svg width={size} height={size} viewBox="0 0 14 14" aria-hidden="true" className={`mk-svg ${m.cls}`}>
      <path d={m.d} className="mk-shape" />
    </svg>
  );
}

interface LegendRow {
  readonly key: string;
  readonly sample: ReactNode;
  readonly text: ReactNode;
}

const q = (i: number) => QUADRANT_COLORS[i]!;

export const LEGEND_SECTIONS: ReadonlyArray<{ readonly title: string; readonly rows: readonly LegendRow[] }> = [
  {
    title: 'Cards (one per table)',
    rows: [
      { key: 'guest', sample: <CardSample guest label="guest PT" />, text: 'A guest page table: the guest\'s own, in its memory (left column).' },
      { key: 'shadow', sample: <CardSample label="sp 3" />, text: 'A shadow page (kvm_mmu_page): a table KVM built for the CPU (middle and right columns). Grey border: it shadows a table with 8-byte entries.' },
      { key: 'quadrant', sample: <CardSample color={q(1)} label="sp 5 · q1" />, text: 'Coloured border and stripe: the quadrant of a shadow page of a 32-bit guest table (q0 orange, q1 sky blue, q2 green, q3 reddish purple).' },
      { key: 'new', sample: <CardSample cls="card-new" label="sp 6" />, text: 'Long dashes: made in this step (it fades in).' },
      { key: 'unsync', sample: <CardSample cls="card-unsync" label="sp 7" />, text: 'Short dashes: unsync; the guest may write the table it shadows without exits, so it may be out of date.' },
      { key: 'hover', sample: <CardSample cls="card-hover" label="sp 2" />, text: 'Thick border: under the pointer, selected, or the current kernel event\'s page (event mode).' },
      { key: 'invalid', sample: <CardSample label="· invalid" />, text: '"invalid" in the heading: zapped while still a root (role.invalid); it goes when its root_count drops to 0.' },
      { key: 'dim', sample: <CardSample dim label="sp 4" />, text: 'Faded (presenting mode): the step did not touch this card.' },
      {
        key: 'zapped',
        sample: (
          <g className="card-zapped">
            {/* Its own hatch: the tables' #zap-hatch is not in the page while Compare or the overview is open. */}
            <pattern id="legend-zap-hatch" width={8} height={8} patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
              <line className="zap-hatch-line" x1={0} y1={0} x2={0} y2={8} />
            </pattern>
            <rect x={3} y={3} width={W - 6} height={H - 6} rx={5} className="card card-shadow" style={{ fill: 'url(#legend-zap-hatch)' }} />
            <text x={8} y={19} className="legend-text">
              · zapped
            </text>
          </g>
        ),
        text: 'Hatched and grey, "zapped" in the heading, no entries: KVM zapped this shadow page in this step (kvm_mmu_prepare_zap_page); at the next step it is gone. "zapped: invalid, not yet freed" while a root still holds it.',
      },
      {
        key: 'cached',
        sample: (
          <g>
            <rect x={3} y={3} width={W - 6} height={H - 6} rx={5} className="card card-shadow" />
            <rect x={6} y={6} width={W - 12} height={H - 12} rx={4} className="card-cached" />
            <text x={10} y={19} className="legend-text">
              prev_roots
            </text>
          </g>
        ),
        text: 'A second, inner border (roots column): a cached root in prev_roots, with the CR3 it belongs to; a MOV CR3 back to that CR3 reuses it instead of building new roots.',
      },
      {
        key: 'note',
        sample: (
          <g>
            <rect x={3} y={3} width={W - 6} height={H - 6} rx={6} className="card-note" />
            <text x={8} y={19} className="legend-text">
              invalid
            </text>
          </g>
        ),
        text: 'Dotted, empty: no table here, with the reason: a pae_root slot left invalid (the guest\'s PDPTE is not present), or a column with no tables (paging off: no guest page tables).',
      },
    ],
  },
  {
    title: 'Entries (rows)',
    rows: [
      { key: 'walked', sample: <RowSample cls="row-walked" />, text: 'Blue: a guest entry the guest walk read in this step.' },
      { key: 'set', sample: <RowSample cls="row-set" text="3 0x8027" />, text: 'Green (flashes yellow first): an spte KVM set in this step.' },
      { key: 'hw', sample: <RowSample cls="row-hw" text="0 0x9027" />, text: 'Purple outline: an spte on the CPU\'s own walk of the shadow tables for this access.' },
      { key: 'row-hover', sample: <RowSample cls="row-hover" />, text: 'Yellow (amber in the dark theme): the entry under the pointer, and every entry that mirrors it (a guest entry and its sptes).' },
      { key: 'row-focus', sample: <RowSample cls="row-focus" />, text: 'Thick outline: the entry of the current kernel event (event mode), or keyboard focus.' },
      {
        key: 'fold',
        sample: (
          <text x={4} y={19} className="row-fold">
            entries 4–9 …
          </text>
        ),
        text: 'Italic: a run of entries that are not present, folded into one line.',
      },
      {
        key: 'gap',
        sample: (
          <g className="row-gap">
            <line x1={6} x2={W - 6} y1={H / 2} y2={H / 2} />
          </g>
        ),
        text: 'Dotted line (compact cards): the same, with the words in its tooltip.',
      },
    ],
  },
  {
    title: 'Lines between cards',
    rows: [
      {
        key: 'link-fan',
        sample: (
          <>
            {[0, 1, 2, 3].map((i) => (
              <g key={i} transform={`translate(0,${(i - 1.5) * 6})`}>
                <LinkSample kind="fan" color={q(i)} />
              </g>
            ))}
          </>
        ),
        text: 'Dashed, ending in a dot: a guest table and a shadow page that shadows it (a relation, not a pointer), in the shadow page\'s quadrant colour.',
      },
      { key: 'link-child', sample: <LinkSample kind="child" color={q(1)} />, text: 'Solid with an arrowhead: an spte pointing to the shadow page below it (in the child\'s quadrant colour; grey for 8-byte tables).' },
      { key: 'link-guest', sample: <LinkSample kind="guest" />, text: 'Dotted grey with a small arrowhead: a guest entry pointing to the guest table below it (drawn on this step\'s walk, or on hover).' },
      { key: 'link-active', sample: <LinkSample kind="child" active />, text: 'Thick: a line whose end is under the pointer or selected.' },
    ],
  },
  {
    title: 'Timeline (one mark per step, by outcome)',
    rows: (['init', 'hit', 'shadow-fault', 'guest-fault', 'emulated', 'done'] as const).map((k) => ({
      key: `mark-${k}`,
      sample: (
        <g transform={`translate(${W / 2 - 9},${H / 2 - 9})`}>
          <svg width={18} height={18} viewBox="0 0 14 14" className={`mk-svg ${OUTCOME_MARKS[k].cls}`}>
            <path d={OUTCOME_MARKS[k].d} className="mk-shape" />
          </svg>
        </g>
      ),
      text: (
        <>
          <strong>{OUTCOME_MARKS[k].label}</strong> ({OUTCOME_MARKS[k].shape}): {OUTCOME_MARKS[k].meaning}.
        </>
      ),
    })).concat([
      {
        key: 'mark-current',
        sample: (
          <g transform={`translate(${W / 2 - 11},${H / 2 - 11})`}>
            <rect x={1} y={1} width={20} height={20} rx={3} className="legend-current" />
            <svg x={4} y={4} width={14} height={14} viewBox="0 0 14 14" className={`mk-svg ${OUTCOME_MARKS['shadow-fault'].cls}`}>
              <path d={OUTCOME_MARKS['shadow-fault'].d} className="mk-shape" />
            </svg>
          </g>
        ),
        text: <>Framed and larger: the step on screen.</>,
      },
      {
        key: 'strip',
        sample: (
          <g transform={`translate(4,${H / 2 - 9})`}>
            <rect x={0} y={0} width={W - 8} height={18} rx={3} className="legend-strip-bg" />
            {([[6, 'hit', 6], [14, 'shadow', 10], [22, 'hit', 6], [30, 'guest', 16], [38, 'shadow', 10], [46, 'emulated', 13], [54, 'hit', 6]] as const).map(([x, k, h]) => (
              <rect key={x} x={x} y={18 - h} width={5} height={h} className={`strip-mk-${k}`} />
            ))}
            <rect x={36.5} y={0.75} width={10} height={16.5} rx={2} className="strip-cursor" />
          </g>
        ),
        text: (
          <>
            <strong>Long timelines</strong> (more than 120 steps): one strip; each pixel column shows the most severe outcome among its steps (guest fault &gt; emulated &gt; shadow fault &gt; done &gt; hit), taller = more severe; the framed column is the step on screen. Click or drag to jump; arrows, Page Up/Down, Home/End move it.
          </>
        ),
      },
    ]),
  },
  {
    title: 'Overview (one card per table, entries as ticks)',
    rows: [
      { key: 'tick', sample: <TickSample cls="" />, text: 'A tick: a present entry, at its index across the card.' },
      { key: 'tick-walked', sample: <TickSample cls="tick-walked" />, text: 'Thick blue tick: read by this step\'s guest walk.' },
      { key: 'tick-set', sample: <TickSample cls="tick-set" />, text: 'Thick green tick: an spte set in this step.' },
      { key: 'tick-hw', sample: <TickSample cls="tick-hw" />, text: 'Purple tick: on the CPU\'s walk of the shadow tables.' },
    ],
  },
];

export function Legend() {
  return (
    <div className="legend" data-testid="legend">
      {LEGEND_SECTIONS.map((s) => (
        <section key={s.title} className="legend-section">
          <h3 className="panel-subtitle">{s.title}</h3>
          <ul className="legend-rows">
            {s.rows.map((r) => (
              <li key={r.key} className="legend-row" data-testid={`legend-${r.key}`}>
                <svg width={W} height={H} viewBox={`0 0 ${W} ${H}`} aria-hidden="true" className="legend-sample">
                  {r.sample}
                </svg>
                <span>{r.text}</span>
              </li>
            ))}
          </ul>
        </section>
      ))}
    </div>
  );
}
