/**
 * The step's address cut into bit fields: the guest's split above the
 * shadow's, for whatever mode the guest is in (the model is
 * `layout/ruler.ts`). The box has one height whatever the step, with or
 * without an address, so the tables below it never move.
 */
import type { Ruler, RulerField, RulerRow } from '../layout/ruler.ts';
import { QUADRANT_COLORS } from '../layout/geometry.ts';

/** The drawing's coordinate system (the svg scales it to its CSS size). */
const LEFT = 112;
/** 32 bits at 22 units each; long mode's 48 bits plus the sign field share the same width. */
const AREA = 704;
const W = LEFT + AREA + 6;
const H = 108;
/** Bits 63:48 are 16 copies of one bit: drawn 6 bits wide. */
const SIGN_COLS = 6;
const ROW_H = 54;

const colsOf = (f: RulerField): number => (f.sign ? SIGN_COLS : f.hi - f.lo + 1);
const range = (hi: number, lo: number): string => (hi === lo ? `${hi}` : `${hi}:${lo}`);
/** Rough text widths (px at the drawing's scale) to pick a label that fits. */
const fits = (text: string, px: number, width: number): boolean => text.length * px * 0.58 <= width - 4;

function fieldLabel(f: RulerField, w: number): string {
  if (f.sign) return fits(f.kernel, 11, w) ? f.kernel : 'sign ext.';
  const full = f.kernel && f.kernel !== f.label ? `${f.label} (${f.kernel})` : f.label;
  if (fits(full, 11, w)) return full;
  if (f.kernel && fits(f.kernel, 11, w)) return f.kernel;
  return fits(f.label, 11, w) ? f.label : (f.kernel || f.label).split(' ')[0]!;
}

function Row({ row, top, bitW }: { row: RulerRow; top: number; bitW: number }) {
  const starts = row.fields.map((_, i) => LEFT + row.fields.slice(0, i).reduce((n, f) => n + colsOf(f) * bitW, 0));
  return (
    <g transform={`translate(0,${top})`}>
      <text className="ruler-title" x={0} y={16}>
        {row.title}
      </text>
      <text className="ruler-split" x={0} y={30}>
        {row.split}
      </text>
      <text className="ruler-sub" x={0} y={row.split ? 44 : 30}>
        {row.subtitle}
      </text>
      {row.fields.map((f, i) => {
        const w = colsOf(f) * bitW;
        const at = starts[i]!;
        const q = f.quadrant;
        const label = fieldLabel(f, w);
        return (
          <g key={`${f.hi}:${f.lo}`} transform={`translate(${at},0)`} data-field={range(f.hi, f.lo)} data-quadrant={q ? q.kind : undefined}>
            <title>{`bits ${range(f.hi, f.lo)} = ${f.value}: ${f.label}${f.kernel && f.kernel !== f.label ? ` (${f.kernel})` : ''}`}</title>
            <text className="ruler-bits" x={1} y={10}>
              {range(f.hi, f.lo)}
            </text>
            <rect className={`ruler-field${f.sign ? ' ruler-sign' : ''}`} y={13} width={w - 2} height={22} rx={3} />
            {q && (
              <rect
                className="ruler-q"
                x={(f.hi - q.hi) * bitW}
                y={13}
                width={(q.hi - q.lo + 1) * bitW - 2}
                height={22}
                rx={3}
                style={{ fill: QUADRANT_COLORS[q.role ?? q.bits], stroke: QUADRANT_COLORS[q.role ?? q.bits] }}
              />
            )}
            {q && q.hi === q.lo && (
              <text className="ruler-qtext" x={(f.hi - q.hi) * bitW + (bitW - 2) / 2} y={28} textAnchor="middle">
                q
              </text>
            )}
            <text className="ruler-value" x={(w - 2) / 2} y={28} textAnchor="middle">
              {f.value}
            </text>
            <text className="ruler-label" x={(w - 2) / 2} y={48} textAnchor="middle">
              {label}
            </text>
          </g>
        );
      })}
    </g>
  );
}

/** Keeps a number range ("768-1023") on one line: a non-breaking hyphen. */
const unbroken = (text: string): string => text.replace(/([0-9a-fx])-(0x|[0-9])/g, '$1\u2011$2');

const OP_WORDS: Record<Ruler['op'], string> = { read: 'read of', write: 'write to', fetch: 'instruction fetch from', invlpg: 'INVLPG of' };

export function AddressRuler({ ruler, step }: { ruler: Ruler | null; step: number }) {
  if (!ruler) {
    return (
      <figure data-testid="gva-ruler" data-which="none" className="ruler-box m-0">
        <div className="ruler-empty">No address: no guest access follows this step, so there is nothing to split.</div>
      </figure>
    );
  }
  const cols = ruler.guest.fields.reduce((n, f) => n + colsOf(f), 0);
  const bitW = Math.min(22, AREA / cols);
  const summary = (row: RulerRow) => `${row.title}: ${row.fields.map((f) => `bits ${range(f.hi, f.lo)} ${f.kernel || f.label} ${f.value}`).join(', ')}`;
  return (
    <figure data-testid="gva-ruler" data-which={ruler.which} data-mode={ruler.mode} className="ruler-box m-0">
      <svg viewBox={`0 0 ${W} ${H}`} className="ruler" role="img" aria-label={`${ruler.kind} ${ruler.address} split into fields. ${summary(ruler.guest)}. ${summary(ruler.shadow)}.`}>
        <Row row={ruler.guest} top={0} bitW={bitW} />
        <Row row={ruler.shadow} top={ROW_H} bitW={bitW} />
      </svg>
      <figcaption className="ruler-caption">
        <div data-testid="ruler-address">
          {ruler.which === 'next' && <span className="ruler-next">next access</span>} step {ruler.step}: {OP_WORDS[ruler.op]} {ruler.kind}{' '}
          <span className="font-mono font-semibold">{ruler.address}</span>
          {ruler.which === 'next' && step > 0 && <span className="ruler-muted"> (this step has none)</span>}
        </div>
        {ruler.quadrants.map((q) => (
          <div key={q.kind} data-testid={`ruler-quadrant-${q.kind}`}>
            <span className="qchip" style={{ background: QUADRANT_COLORS[q.quadrant] }} /> {unbroken(q.text)}
          </div>
        ))}
        {ruler.notes.length > 0 && <div className="ruler-muted">{ruler.notes.join(' · ')}</div>}
      </figcaption>
    </figure>
  );
}
