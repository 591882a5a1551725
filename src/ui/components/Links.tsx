/** The links between cards (guest pointers, fan-outs, child pointers) and their arrow heads, shared by the tables and the overview. */
import { memo } from 'react';
import { type Link, QUADRANT_COLORS } from '../layout/geometry.ts';

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
