/**
 * The current GVA as bit fields, for the guest's split and for the shadow's
 * PAE split at once: guest 31:22 | 21:12 | 11:0 against shadow
 * 31:30 | 29:21 | 20:12 | 11:0, with 31:30 marked as the root quadrant and
 * bit 21 as the page-table quadrant.
 */
import type { GuestMode } from '../../core/index.ts';
import { QUADRANT_COLORS } from '../layout/geometry.ts';

interface Field {
  readonly hi: number;
  readonly lo: number;
  readonly label: string;
  readonly color?: string;
}

function fieldsFor(mode: GuestMode): { guest: Field[]; shadow: Field[] } {
  const shadow32: Field[] = [
    { hi: 31, lo: 30, label: 'root q' },
    { hi: 29, lo: 21, label: 'PD index; bit 21 = PT quadrant' },
    { hi: 20, lo: 12, label: 'shadow PT index' },
    { hi: 11, lo: 0, label: 'offset' },
  ];
  if (mode === 'x86-32') return { guest: [{ hi: 31, lo: 22, label: 'PDE index' }, { hi: 21, lo: 12, label: 'PTE index' }, { hi: 11, lo: 0, label: 'offset' }], shadow: shadow32 };
  if (mode === 'pae') return { guest: [{ hi: 31, lo: 30, label: 'PDPTE' }, { hi: 29, lo: 21, label: 'PDE' }, { hi: 20, lo: 12, label: 'PTE' }, { hi: 11, lo: 0, label: 'offset' }], shadow: shadow32 };
  if (mode === 'off') return { guest: [{ hi: 31, lo: 0, label: 'gpa (paging off)' }], shadow: shadow32 };
  const f: Field[] = [
    { hi: 47, lo: 39, label: 'PML4' },
    { hi: 38, lo: 30, label: 'PDPT' },
    { hi: 29, lo: 21, label: 'PD' },
    { hi: 20, lo: 12, label: 'PT' },
    { hi: 11, lo: 0, label: 'offset' },
  ];
  return { guest: f, shadow: f };
}

const LEFT = 104;
const bitsOf = (v: number, hi: number, lo: number) => Math.floor(v / 2 ** lo) % 2 ** (hi - lo + 1);

function Row({ gva, fields, top, title, bitW }: { gva: number; fields: Field[]; top: number; title: string; bitW: number }) {
  const width = fields[0]!.hi + 1;
  return (
    <g transform={`translate(0,${top})`}>
      <text className="ruler-title" x={0} y={16}>
        {title}
      </text>
      {fields.map((f) => {
        const x = LEFT + (width - 1 - f.hi) * bitW;
        const w = (f.hi - f.lo + 1) * bitW;
        const v = bitsOf(gva, f.hi, f.lo);
        return (
          <g key={`${f.hi}`} transform={`translate(${x},0)`}>
            <rect className="ruler-field" width={w - 2} height={24} rx={3} style={f.color ? { fill: f.color, fillOpacity: 0.25 } : undefined} />
            <text className="ruler-value" x={w / 2} y={16} textAnchor="middle">
              {w < 70 ? v.toString(10) : `${f.hi === f.lo ? `${f.hi}` : `${f.hi}:${f.lo}`} = ${v.toString(10)}`}
            </text>
            <text className="ruler-label" x={w / 2} y={36} textAnchor="middle">
              {f.label}
            </text>
          </g>
        );
      })}
    </g>
  );
}

export function AddressRuler({ gva, mode }: { gva: number | null; mode: GuestMode }) {
  if (gva === null) return <div className="ruler-empty text-sm opacity-70">This step has no guest-virtual address.</div>;
  const { guest, shadow } = fieldsFor(mode);
  const bits = guest[0]!.hi + 1;
  const bitW = Math.min(24, 1000 / bits);
  const q = bitsOf(gva, 31, 30);
  const pt = bitsOf(gva, 21, 21);
  const shadowColored = mode === 'x86-64' ? shadow : shadow.map((f, i) => (i === 0 ? { ...f, color: QUADRANT_COLORS[q] } : i === 1 ? { ...f, color: QUADRANT_COLORS[pt] } : f));
  return (
    <figure data-testid="gva-ruler" aria-label={`gva 0x${gva.toString(16)} split into fields`} className="m-0 flex flex-wrap items-center gap-x-4 gap-y-1">
      {/* Sized in rem, so it zooms with the page; scales down (viewBox) rather than push a narrow window wider. */}
      <svg style={{ width: `${(LEFT + bits * bitW + 8) / 16}rem` }} viewBox={`0 0 ${LEFT + bits * bitW + 8} ${mode === 'x86-64' ? 50 : 96}`} className="ruler">
        <Row gva={gva} fields={guest} top={2} title={mode === 'x86-64' ? 'guest+shadow' : 'guest'} bitW={bitW} />
        {mode !== 'x86-64' && <Row gva={gva} fields={shadowColored} top={50} title="shadow (PAE)" bitW={bitW} />}
      </svg>
      <figcaption className="text-sm leading-snug">
        gva <span className="font-mono font-semibold">0x{gva.toString(16).padStart(mode === 'x86-64' ? 12 : 8, '0')}</span>
        {mode !== 'x86-64' && (
          <>
            <br />
            <span className="qchip" style={{ background: QUADRANT_COLORS[q] }} /> bits 31:30 = {q}: root quadrant, pae_root[{q}]
            <br />
            <span className="qchip" style={{ background: QUADRANT_COLORS[pt] }} /> bit 21 = {pt}: page-table quadrant q{pt}
            {mode === 'x86-32' && (
              <>
                <br />a 4 MiB guest PT is two 2 MiB shadow PTs
              </>
            )}
          </>
        )}
      </figcaption>
    </figure>
  );
}
