/** Guest registers, shadow-page counts by level and quadrant, KVM statistics, and a d3 chart of shadow pages over the steps. */
import { scaleLinear, line } from 'd3';
import { memo, useMemo } from 'react';
import type { MachineJson } from '../../core/index.ts';
import { QUADRANT_COLORS } from '../layout/geometry.ts';
import { Term } from '../glossary/Term.tsx';

/** A register bit, on or off; `term`: its glossary entry (the bit's name is the marked text). */
function Flag({ on, name, term }: { on: boolean; name: string; term: string }) {
  return (
    <span className={`flag ${on ? 'flag-on' : 'flag-off'}`}>
      <Term id={term}>{name}</Term>
    </span>
  );
}

const sameCpu = (a: { m: MachineJson }, b: { m: MachineJson }) => a.m === b.m || (a.m.mode === b.m.mode && JSON.stringify(a.m.cpu) === JSON.stringify(b.m.cpu));

/** Registers: re-rendered only when the mode or a register changed. */
export const Registers = memo(function Registers({ m }: { m: MachineJson }) {
  const c = m.cpu;
  return (
    <dl className="regs" data-testid="registers">
      <dt>mode</dt>
      <dd>{m.mode}</dd>
      <dt>
        <Term id="cr0">CR0</Term>
      </dt>
      <dd>
        <Flag on={c.cr0.pg} name="PG" term="pg" /> <Flag on={c.cr0.wp} name="WP" term="cr0-wp" />
      </dd>
      <dt>
        <Term id="cr3">CR3</Term>
      </dt>
      <dd className="font-mono">{c.cr3}</dd>
      <dt>
        <Term id="cr4">CR4</Term>
      </dt>
      <dd>
        <Flag on={c.cr4.pse} name="PSE" term="cr4-pse" /> <Flag on={c.cr4.pae} name="PAE" term="cr4-pae" /> <Flag on={c.cr4.smep} name="SMEP" term="smep" /> <Flag on={c.cr4.smap} name="SMAP" term="smap" />{' '}
        <Flag on={c.cr4.pcide} name="PCIDE" term="pcid" />
      </dd>
      <dt>
        <Term id="efer">EFER</Term>
      </dt>
      <dd>
        <Flag on={c.efer.lme} name="LME" term="lme" /> <Flag on={c.efer.lma} name="LMA" term="lme" /> <Flag on={c.efer.nx} name="NX" term="efer-nx" />
      </dd>
      {m.mode === 'pae' && (
        <>
          <dt>
            <Term id="pdpte">PDPTEs</Term>
          </dt>
          <dd className="font-mono text-xs">{c.pdptrs.join(' ')}</dd>
        </>
      )}
    </dl>
  );
}, sameCpu);

export function Counts({ m }: { m: MachineJson }) {
  const byLevel = new Map<number, number[]>();
  for (const sp of m.shadowPages) {
    const q = byLevel.get(sp.role.level) ?? [0, 0, 0, 0];
    q[sp.role.quadrant] = (q[sp.role.quadrant] ?? 0) + 1;
    byLevel.set(sp.role.level, q);
  }
  return (
    <table className="counts" data-testid="sp-counts">
      <caption className="sr-only">Shadow pages by level and quadrant</caption>
      <thead>
        <tr>
          <th scope="col">
            <Term id="level">level</Term>
          </th>
          {[0, 1, 2, 3].map((q) => (
            <th key={q} scope="col">
              <span className="qchip" style={{ background: QUADRANT_COLORS[q] }} />{' '}
              <Term id="quadrant" meaning={`q${q} = quadrant ${q}: for shadow pages of 32-bit guest tables, which part of the guest table the page covers (level 1: the lower or upper half; level 2: which quarter)`}>
                q{q}
              </Term>
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {[...byLevel.entries()]
          .sort((a, b) => b[0] - a[0])
          .map(([level, qs]) => (
            <tr key={level}>
              <th scope="row">l{level}</th>
              {qs.map((n, q) => (
                <td key={q}>{n || ''}</td>
              ))}
            </tr>
          ))}
      </tbody>
    </table>
  );
}

const STAT_NAMES = ['mmu_cache_miss', 'mmu_shadow_zapped', 'mmu_unsync', 'mmu_pte_write', 'mmu_pde_zapped', 'mmu_flooded', 'pf_fixed', 'pf_guest', 'pf_exits', 'hits', 'emulated', 'invlpg', 'tlb_flush', 'remote_tlb_flush_requests', 'pages_4k', 'pages_2m', 'pages_1g'] as const;

const sameStats = (a: { m: MachineJson }, b: { m: MachineJson }) => a.m === b.m || STAT_NAMES.every((k) => a.m.stats[k] === b.m.stats[k]);

/** KVM statistics: re-rendered only when a counter changed. */
export const Stats = memo(function Stats({ m }: { m: MachineJson }) {
  return (
    <dl className="stats" data-testid="stats">
      {STAT_NAMES.map((k) => (
        <div key={k} className="stat">
          <dt>
            <Term id={`stat-${k}`}>{k}</Term>
          </dt>
          <dd>{m.stats[k]}</dd>
        </div>
      ))}
    </dl>
  );
}, sameStats);

const W = 300;
const H = 70;

/**
 * The points of the line: every step while there are at most two per pixel
 * column; beyond, the least and the most of each column's steps, in step
 * order. A 10,000-step run draws the same picture from ~530 points instead of
 * 10,001 (a 40 ms path on the main thread, issue 16).
 */
export function envelope(counts: readonly number[], columns: number): Array<readonly [number, number]> {
  if (counts.length <= columns * 2) return counts.map((v, i) => [i, v] as const);
  const out: Array<readonly [number, number]> = [];
  const per = counts.length / columns;
  for (let c = 0; c < columns; c++) {
    const a = Math.floor(c * per);
    const b = c === columns - 1 ? counts.length : Math.floor((c + 1) * per);
    let lo = a;
    let hi = a;
    for (let i = a; i < b; i++) {
      if (counts[i]! < counts[lo]!) lo = i;
      if (counts[i]! > counts[hi]!) hi = i;
    }
    const [first, second] = lo <= hi ? [lo, hi] : [hi, lo];
    out.push([first, counts[first]!]);
    if (second !== first) out.push([second, counts[second]!]);
  }
  // The last step ends the line, as it does unreduced.
  const last = counts.length - 1;
  if (out[out.length - 1]![0] !== last) out.push([last, counts[last]!]);
  return out;
}

/** Shadow pages after each step: a d3 line, React draws it. */
export function ShadowChart({ counts, step, onJump }: { counts: readonly number[]; step: number; onJump: (n: number) => void }) {
  // The scales and the line depend on the counts only (not on the step): computed once per timeline.
  const { x, y, d } = useMemo(() => {
    const x = scaleLinear().domain([0, Math.max(1, counts.length - 1)]).range([28, W - 6]);
    let max = 4;
    for (const v of counts) if (v > max) max = v;
    const y = scaleLinear().domain([0, max]).nice().range([H - 14, 6]);
    const d = line<readonly [number, number]>().x((p) => x(p[0])).y((p) => y(p[1]))(envelope(counts, W - 34)) ?? '';
    return { x, y, d };
  }, [counts]);
  const w = W;
  const h = H;
  return (
    <svg width={w} height={h} className="chart" role="img" aria-label="Shadow pages after each step" data-testid="sp-chart">
      <line x1={28} x2={w - 6} y1={h - 14} y2={h - 14} className="axis" />
      {/* The ends of the axis only: the chart is too short for more labels at a readable size. */}
      {y.domain().map((t) => (
        <text key={t} x={24} y={y(t) + 4} textAnchor="end" className="tick">
          {t}
        </text>
      ))}
      <path d={d} className="chart-line" />
      <line x1={x(step)} x2={x(step)} y1={4} y2={h - 14} className="chart-cursor" />
      <rect x={28} y={0} width={w - 34} height={h} fill="transparent" onClick={(e) => {
        const r = (e.currentTarget as SVGRectElement).getBoundingClientRect();
        onJump(Math.round(x.invert(e.clientX - r.left + 28)));
      }} />
      <text x={w - 6} y={h - 2} textAnchor="end" className="tick">
        steps
      </text>
    </svg>
  );
}
