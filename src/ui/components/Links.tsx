/** The links between cards (guest pointers, fan-outs, child pointers) and their arrow heads, shared by the tables and the overview. */
import { memo } from 'react';
import { type Link, QUADRANT_COLORS } from '../layout/geometry.ts';
import { linkMarkers } from '../layout/routes.ts';

/** One marker per link style and state (routes.ts): a fan-out's dot, a pointer's arrowhead, in each quadrant colour. */
const MARKERS = linkMarkers(QUADRANT_COLORS);

/**
 * One link; memoized on its path and style, so unchanged links are not
 * touched. Fan-outs are dashed and end in a dot (a relation, not a pointer),
 * child pointers solid with an arrowhead, guest pointers dotted grey.
 */
export const LinkPath = memo(
  function LinkPath({ l, active }: { l: Link; active: boolean }) {
    return (
      <path
        d={l.path}
        className={`${l.style.cls}${active ? ' link-active' : ''}`}
        style={l.style.stroke ? { stroke: l.style.stroke } : undefined}
        markerEnd={`url(#${l.style.marker}${active ? '-active' : ''})`}
        data-testid={`link-${l.kind}`}
      />
    );
  },
  (a, b) => a.active === b.active && (a.l === b.l || (a.l.path === b.l.path && a.l.style.cls === b.l.style.cls && a.l.style.stroke === b.l.style.stroke && a.l.style.marker === b.l.style.marker)),
);

/** The markers the links refer to, sized in user units: the router keeps exactly that box clear of other cards. */
export function ArrowDefs() {
  return (
    <defs>
      {MARKERS.map((m) => (
        <marker key={m.id} id={m.id} viewBox={m.viewBox} refX={m.refX} refY={m.refY} markerWidth={m.width} markerHeight={m.height} markerUnits="userSpaceOnUse" orient="auto">
          <path d={m.d} className={m.active ? 'link-marker link-marker-active' : 'link-marker'} style={m.fill ? { fill: m.fill } : undefined} />
        </marker>
      ))}
    </defs>
  );
}
