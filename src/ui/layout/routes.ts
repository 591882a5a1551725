/**
 * How the links run between the cards, pure (no DOM): the router, which takes
 * a guest table's fan-out around the cards between its ends instead of under
 * them; the styles and end markers that tell fan-outs, child pointers and
 * guest pointers apart; and the path maths the tests and the bench share
 * (SVG paths sampled into polylines, crossings counted).
 */

export type Pt = readonly [number, number];

/** A card's box as the router sees it (layout units). */
export interface Box {
  readonly key: string;
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

/**
 * The polylines of an SVG path (one per subpath): straight commands as they
 * are, Bézier curves sampled at `perCurve` points. Reads the commands the
 * layout writes (M L H V C Q Z, absolute or relative): enough to check what
 * is drawn without a DOM.
 */
export function samplePath(d: string, perCurve = 16): Pt[][] {
  const tokens = d.match(/[a-zA-Z]|-?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?/g) ?? [];
  const out: Pt[][] = [];
  let cur: Pt[] = [];
  let x = 0;
  let y = 0;
  let sx = 0;
  let sy = 0;
  let cmd = '';
  let i = 0;
  const num = () => Number(tokens[i++]);
  while (i < tokens.length) {
    if (/^[a-zA-Z]$/.test(tokens[i]!)) {
      cmd = tokens[i++]!;
      if (cmd === 'Z' || cmd === 'z') {
        cur.push([sx, sy]);
        x = sx;
        y = sy;
        continue;
      }
    }
    const rel = cmd === cmd.toLowerCase();
    const ox = rel ? x : 0;
    const oy = rel ? y : 0;
    switch (cmd.toUpperCase()) {
      case 'M': {
        if (cur.length > 1) out.push(cur);
        x = ox + num();
        y = oy + num();
        sx = x;
        sy = y;
        cur = [[x, y]];
        // Further pairs after M are lines.
        cmd = rel ? 'l' : 'L';
        break;
      }
      case 'L':
        x = ox + num();
        y = oy + num();
        cur.push([x, y]);
        break;
      case 'H':
        x = ox + num();
        cur.push([x, y]);
        break;
      case 'V':
        y = oy + num();
        cur.push([x, y]);
        break;
      case 'C': {
        const x1 = ox + num(), y1 = oy + num(), x2 = ox + num(), y2 = oy + num(), x3 = ox + num(), y3 = oy + num();
        for (let k = 1; k <= perCurve; k++) {
          const t = k / perCurve, u = 1 - t;
          cur.push([u * u * u * x + 3 * u * u * t * x1 + 3 * u * t * t * x2 + t * t * t * x3, u * u * u * y + 3 * u * u * t * y1 + 3 * u * t * t * y2 + t * t * t * y3]);
        }
        x = x3;
        y = y3;
        break;
      }
      case 'Q': {
        const x1 = ox + num(), y1 = oy + num(), x2 = ox + num(), y2 = oy + num();
        for (let k = 1; k <= perCurve; k++) {
          const t = k / perCurve, u = 1 - t;
          cur.push([u * u * x + 2 * u * t * x1 + t * t * x2, u * u * y + 2 * u * t * y1 + t * t * y2]);
        }
        x = x2;
        y = y2;
        break;
      }
      default:
        throw new Error(`samplePath: unsupported command ${cmd} in ${d}`);
    }
  }
  if (cur.length > 1) out.push(cur);
  return out;
}

interface Seg {
  readonly x1: number;
  readonly y1: number;
  readonly x2: number;
  readonly y2: number;
}

/** Where segments a and b cross properly (not merely touch or overlap), or null. */
function crossAt(a: Seg, b: Seg): Pt | null {
  const dax = a.x2 - a.x1, day = a.y2 - a.y1, dbx = b.x2 - b.x1, dby = b.y2 - b.y1;
  const den = dax * dby - day * dbx;
  if (Math.abs(den) < 1e-9) return null;
  const t = ((b.x1 - a.x1) * dby - (b.y1 - a.y1) * dbx) / den;
  const u = ((b.x1 - a.x1) * day - (b.y1 - a.y1) * dax) / den;
  // Half-open on both (with a rounding margin): a crossing exactly at a sample point is counted once.
  const eps = 1e-9;
  if (t < -eps || t >= 1 - eps || u < -eps || u >= 1 - eps) return null;
  return [a.x1 + t * dax, a.y1 + t * day];
}

export interface CrossingLink {
  readonly key: string;
  readonly kind: string;
  readonly path: string;
}

/**
 * How many times the drawn links cross one another: every pair's sampled
 * polylines are intersected, and each proper crossing counts once. Meetings
 * within `endTol` of either link's end points are not crossings (a fan's links
 * share their start, links to one card may share their end). `involving`
 * counts only pairs where at least one link is of that kind (e.g. fan-outs).
 */
export function countCrossings(links: readonly CrossingLink[], opts: { involving?: string; endTol?: number; perCurve?: number } = {}): number {
  const endTol = opts.endTol ?? 3;
  const items = links.map((l) => {
    const lines = samplePath(l.path, opts.perCurve ?? 24);
    const segs: Seg[] = [];
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    const ends: Pt[] = [];
    for (const line of lines) {
      ends.push(line[0]!, line[line.length - 1]!);
      for (let k = 1; k < line.length; k++) {
        const [ax, ay] = line[k - 1]!;
        const [bx, by] = line[k]!;
        if (ax === bx && ay === by) continue;
        segs.push({ x1: ax, y1: ay, x2: bx, y2: by });
        x0 = Math.min(x0, ax, bx);
        y0 = Math.min(y0, ay, by);
        x1 = Math.max(x1, ax, bx);
        y1 = Math.max(y1, ay, by);
      }
    }
    return { l, segs, ends, x0, y0, x1, y1 };
  });
  // Sorted by top: a pair is tested only while their vertical extents overlap.
  items.sort((a, b) => a.y0 - b.y0);
  let n = 0;
  for (let i = 0; i < items.length; i++) {
    const a = items[i]!;
    for (let j = i + 1; j < items.length; j++) {
      const b = items[j]!;
      if (b.y0 > a.y1) break;
      if (b.x0 > a.x1 || b.x1 < a.x0) continue;
      if (opts.involving && a.l.kind !== opts.involving && b.l.kind !== opts.involving) continue;
      const near = (p: Pt) => [...a.ends, ...b.ends].some((e) => Math.abs(e[0] - p[0]) < endTol && Math.abs(e[1] - p[1]) < endTol);
      for (const s of a.segs) {
        const sx0 = Math.min(s.x1, s.x2), sx1 = Math.max(s.x1, s.x2), sy0 = Math.min(s.y1, s.y2), sy1 = Math.max(s.y1, s.y2);
        if (sx1 < b.x0 || sx0 > b.x1 || sy1 < b.y0 || sy0 > b.y1) continue;
        for (const t of b.segs) {
          if (Math.max(t.x1, t.x2) < sx0 || Math.min(t.x1, t.x2) > sx1 || Math.max(t.y1, t.y2) < sy0 || Math.min(t.y1, t.y2) > sy1) continue;
          const p = crossAt(s, t);
          if (p && !near(p)) n++;
        }
      }
    }
  }
  return n;
}

/**
 * The bench's figure (ui.fanoutCrossings.*): crossings that involve a
 * fan-out, among the links always drawn: fan-outs and child pointers (guest
 * pointers are drawn only on the walk or when hovered).
 */
export const fanoutCrossings = (links: readonly CrossingLink[]): number => countCrossings(
  links.filter((l) => l.kind !== 'guest-pointer'),
  { involving: 'shadow-of' },
);

/** Does point p lie strictly inside box b, by more than `tol`? */
export const insideBox = (p: Pt, b: Box, tol = 1): boolean => p[0] > b.x + tol && p[0] < b.x + b.w - tol && p[1] > b.y + tol && p[1] < b.y + b.h - tol;

/** Where a path ends and which way it points there (unit vector), for its end marker. */
export function pathEnd(d: string): { at: Pt; dir: Pt } | null {
  const lines = samplePath(d, 64);
  const line = lines[lines.length - 1];
  if (!line || line.length < 2) return null;
  const at = line[line.length - 1]!;
  // The last command's last control point gives the exact tangent of a curve.
  const m = /([CLQ])([^A-Za-z]*)$/.exec(d.trim());
  const nums = m ? (m[2]!.match(/-?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?/g) ?? []).map(Number) : [];
  let from: Pt = line[line.length - 2]!;
  if (m && nums.length >= 4) {
    for (let k = nums.length - 4; k >= 0; k -= 2) {
      const p: Pt = [nums[k]!, nums[k + 1]!];
      if (p[0] !== at[0] || p[1] !== at[1]) {
        from = p;
        break;
      }
    }
  }
  const dx = at[0] - from[0];
  const dy = at[1] - from[1];
  const n = Math.hypot(dx, dy) || 1;
  return { at, dir: [dx / n, dy / n] };
}

/* ------------------------------------------------------------------ */
/* How links look: what the drawing needs to tell the kinds apart.     */
/* ------------------------------------------------------------------ */

/**
 * A link's drawing style. Fan-outs (a guest table to each shadow page of its
 * gfn) are a relation, not a pointer: dashed, ending in a dot. Child pointers
 * (an spte to the shadow page it points at) are pointers: solid, with an
 * arrowhead. Both take the quadrant's colour when the guest table has 4-byte
 * entries. Guest pointers are dotted grey with a small grey arrowhead.
 */
export interface LinkStyle {
  /** CSS class of the path. */
  readonly cls: 'link-fan' | 'link-child' | 'link-guest';
  /** Stroke colour, or null for the theme's link grey (--link). */
  readonly stroke: string | null;
  /** id of the end marker; the drawing appends `-active` for a hovered or selected link. */
  readonly marker: string;
}

/**
 * The end markers, in layout units (markerUnits="userSpaceOnUse": their size
 * does not follow the stroke width, so the router knows it). `len` is how far
 * a marker reaches back from the path's end, `half` how far either side of
 * it: the router keeps that box clear of every card but the target.
 */
export const MARKER = {
  arrow: { len: 8, half: 3.5 },
  guestArrow: { len: 6, half: 2.75 },
  fanDot: { len: 6, half: 3 },
} as const;

export type LinkRole = 'fan' | 'child' | 'guest';

/** The style of a link of `role`, coloured `color` (a quadrant's colour, index `q` in the palette) or null. */
export function linkStyle(role: LinkRole, q: number | null, color: string | null): LinkStyle {
  // One object per style (a handful), shared by the links: a layout has ~300 links.
  const key = `${role}:${q}:${color}`;
  let style = linkStyles.get(key);
  if (!style) {
    const suffix = q === null || color === null ? '' : `-q${q}`;
    style =
      role === 'fan'
        ? { cls: 'link-fan', stroke: color, marker: `fan-dot${suffix}` }
        : role === 'child'
          ? { cls: 'link-child', stroke: color, marker: `arrow${suffix}` }
          : { cls: 'link-guest', stroke: null, marker: 'arrow-guest' };
    if (linkStyles.size < 256) linkStyles.set(key, style);
  }
  return style;
}
const linkStyles = new Map<string, LinkStyle>();

/** One `<marker>`: its contents are one path filled with `fill` (null: the theme's link grey). */
export interface MarkerSpec {
  readonly id: string;
  readonly viewBox: string;
  readonly refX: number;
  readonly refY: number;
  readonly width: number;
  readonly height: number;
  readonly d: string;
  readonly fill: string | null;
  readonly active: boolean;
}

/**
 * Every marker a LinkStyle may name, for `palette` (the quadrant colours):
 * each in a normal and an `-active` variant (markers cannot follow the
 * link's hover state through CSS). Each marker's tip, or the dot's far side,
 * is the path's end point: it touches the target's edge and no further.
 */
export function linkMarkers(palette: readonly string[]): MarkerSpec[] {
  const { arrow, guestArrow, fanDot } = MARKER;
  const tri = (len: number, half: number) => ({ viewBox: `0 0 ${len} ${2 * half}`, refX: len, refY: half, width: len, height: 2 * half, d: `M0,0L${len},${half}L0,${2 * half}Z` });
  const r = fanDot.half;
  const dot = { viewBox: `0 0 ${fanDot.len} ${2 * r}`, refX: fanDot.len, refY: r, width: fanDot.len, height: 2 * r, d: `M0,${r}A${r},${r},0,1,1,${2 * r},${r}A${r},${r},0,1,1,0,${r}Z` };
  const base: { id: string; fill: string | null; shape: ReturnType<typeof tri> }[] = [
    { id: 'arrow', fill: null, shape: tri(arrow.len, arrow.half) },
    { id: 'arrow-guest', fill: null, shape: tri(guestArrow.len, guestArrow.half) },
    { id: 'fan-dot', fill: null, shape: dot },
    ...palette.flatMap((c, q) => [
      { id: `arrow-q${q}`, fill: c, shape: tri(arrow.len, arrow.half) },
      { id: `fan-dot-q${q}`, fill: c, shape: dot },
    ]),
  ];
  return base.flatMap((m) => [false, true].map((active) => ({ id: active ? `${m.id}-active` : m.id, fill: m.fill, active, ...m.shape })));
}

/* ------------------------------------------------------------------ */
/* Routing                                                             */
/* ------------------------------------------------------------------ */

/**
 * A link to route: it leaves `from`'s right edge at y1 and arrives at `to`'s
 * left edge at y2 when `to` is in a column further right, or at its right
 * edge when both are in one column (a loop beside the column).
 */
export interface RouteRequest {
  readonly key: string;
  readonly from: Box;
  readonly y1: number;
  readonly to: Box;
  readonly y2: number;
  /** Links of one group (one guest table's fan-out) are kept together in the lanes. */
  readonly group: string;
}

/**
 * A routed link: its vertical extent (top, bottom: the path and its end
 * marker) at once, its SVG path written when first read. A layout routes
 * every link of the picture (~300 at 100,000 steps) and only the few on
 * screen are drawn: every path written was a string of concatenations kept
 * with the step's view; its numbers (PathPlan) take about three fifths of
 * that room, and no time to write.
 */
export class Route {
  #path: string | null = null;
  readonly #plan: PathPlan;
  constructor(
    readonly top: number,
    readonly bottom: number,
    plan: PathPlan,
  ) {
    this.#plan = plan;
  }
  get path(): string {
    return (this.#path ??= writePath(this.#plan));
  }
  /** Whether `other` takes the same path, compared without writing either. */
  samePath(other: Route): boolean {
    const a = this.#plan;
    const b = other.#plan;
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
}

/**
 * Lanes where a link crosses a column between cards: `clear` from either
 * card, `minSpacing`..`maxSpacing` apart; the lane nearest the canvas top is
 * at `top` at the least. Lanes 2 apart make a gap a bundle of lines rather
 * than separate ones, but they never overlap, and every lane a gap holds is a
 * link that need not go around the column and cross the links on its way
 * (sweep-64-tables: 1160 fan-out crossings at 2, 1408 at 2.5).
 */
export const LANE = { clear: 2, minSpacing: 2, maxSpacing: 4, top: 3 } as const;
/**
 * Cost of one crossing with a link that is not re-routed, in pixels of
 * vertical detour: a crossing is what makes a diagram hard to follow; a
 * detour only makes one line longer.
 */
const CROSSING_COST = 400;
/** Cost of sending two links of one group through different gaps. */
const SPLIT_COST = 40;

interface Column {
  readonly x0: number;
  readonly x1: number;
  /** The free vertical intervals where a lane may cross the column, top to bottom. */
  readonly regions: readonly Region[];
}

interface Region {
  readonly lo: number;
  readonly hi: number;
  /** How many lanes fit (Infinity below the last card). */
  readonly cap: number;
}

/**
 * The columns: cards whose x extents overlap form one, whatever their
 * widths. A column's free regions are above its first card, between its
 * cards and below its last one.
 */
function columnsOf(cards: readonly Box[]): { cols: Column[]; colOf: Map<string, number> } {
  const sorted = [...cards].sort((a, b) => a.x - b.x || a.y - b.y);
  const groups: { x0: number; x1: number; cards: Box[] }[] = [];
  for (const c of sorted) {
    const g = groups[groups.length - 1];
    if (g && c.x < g.x1) {
      g.cards.push(c);
      g.x1 = Math.max(g.x1, c.x + c.w);
    } else groups.push({ x0: c.x, x1: c.x + c.w, cards: [c] });
  }
  const colOf = new Map<string, number>();
  const cols = groups.map((g, i) => {
    for (const c of g.cards) colOf.set(c.key, i);
    const ys = g.cards.map((c) => [c.y, c.y + c.h] as const).sort((a, b) => a[0] - b[0]);
    const regions: Region[] = [];
    const bounded = (lo: number, hi: number) => {
      if (hi >= lo) regions.push({ lo, hi, cap: Math.floor((hi - lo) / LANE.minSpacing) + 1 });
    };
    let bottom = -Infinity;
    for (const [top, bot] of ys) {
      if (top > bottom) bounded(bottom === -Infinity ? LANE.top : bottom + LANE.clear, top - LANE.clear);
      bottom = Math.max(bottom, bot);
    }
    regions.push({ lo: bottom + LANE.clear, hi: Infinity, cap: Infinity });
    return { x0: g.x0, x1: g.x1, regions };
  });
  return { cols, colOf };
}

/** A link that crosses the column being laned: where it enters (e) and where it is headed (t). */
interface Crosser {
  readonly i: number;
  readonly e: number;
  readonly t: number;
  readonly group: string;
  readonly key: string;
}

/** A link that runs straight across one gutter, from a to b: the routed links try not to cross it. */
interface Fixed {
  readonly a: number;
  readonly b: number;
}

/** How many of `sorted` are below x, above x. */
function below(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (sorted[m]! < x) lo = m + 1;
    else hi = m;
  }
  return lo;
}
function above(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (sorted[m]! <= x) lo = m + 1;
    else hi = m;
  }
  return sorted.length - lo;
}

/**
 * For a lane at height c: how many fixed links a crosser entering at e and
 * headed for t crosses, O(log F) a query. Two S-bends across one gutter
 * cross (once) exactly when their ends are in opposite orders. The fixed
 * links end (before) or start (after) inside the column's cards, so every
 * lane of one region is on the same side of each of them: one counter per
 * region.
 */
function crossingCounter(before: readonly Fixed[], after: readonly Fixed[], c: number): (e: number, t: number) => number {
  const sorted = (xs: number[]) => xs.sort((p, q) => p - q);
  // Before: a fixed link a→b crosses e→c if a < e and b > c, or a > e and b < c.
  const beforeDown = sorted(before.filter((f) => f.b > c).map((f) => f.a));
  const beforeUp = sorted(before.filter((f) => f.b < c).map((f) => f.a));
  // After: a fixed link a→b crosses c→t if a < c and b > t, or a > c and b < t.
  const afterFromAbove = sorted(after.filter((f) => f.a < c).map((f) => f.b));
  const afterFromBelow = sorted(after.filter((f) => f.a > c).map((f) => f.b));
  return (e, t) => below(beforeDown, e) + above(beforeUp, e) + above(afterFromAbove, t) + below(afterFromBelow, t);
}

/**
 * Which region each crosser goes through, in their order (lanes never
 * swap: links that do not cross on the way in do not cross in the column),
 * at the least detour plus crossings with the fixed links of the gutters on
 * either side, plus a cost for splitting a group. Dynamic programming over
 * (region, lanes used in it): O(crossers × lanes).
 */
function assignRegions(items: readonly Crosser[], regions: readonly Region[], before: readonly Fixed[], after: readonly Fixed[]): number[] {
  const n = items.length;
  const R = regions.length;
  const slots = regions.map((r) => (r.cap === Infinity ? 1 : r.cap));
  const start: number[] = [];
  let S = 0;
  for (const s of slots) {
    start.push(S);
    S += s;
  }
  const counters = regions.map((r) => crossingCounter(before, after, r.cap === Infinity ? r.lo : (r.lo + r.hi) / 2));
  const cost = (it: Crosser, r: number): number => {
    const lo = Math.min(it.e, it.t);
    const hi = Math.max(it.e, it.t);
    const detour = 2 * Math.max(0, regions[r]!.lo - hi, lo - regions[r]!.hi);
    return detour + CROSSING_COST * counters[r]!(it.e, it.t);
  };
  // Two rows of best costs (previous link, this link) and every link's back pointers, allocated once.
  let prev = new Float64Array(S);
  let cur = new Float64Array(S);
  const back = new Int32Array(n * S);
  for (let i = 0; i < n; i++) {
    const it = items[i]!;
    const split = i > 0 && items[i - 1]!.group === it.group ? SPLIT_COST : 0;
    cur.fill(Infinity);
    const bp = i * S;
    back.fill(-1, bp, bp + S);
    let best = i === 0 ? 0 : Infinity;
    let bestAt = -1;
    for (let r = 0; r < R; r++) {
      const c = cost(it, r);
      const s0 = start[r]!;
      const k = slots[r]!;
      // The first lane of region r, after a link in an earlier region.
      if (best < Infinity) {
        cur[s0] = best + c + split;
        back[bp + s0] = bestAt;
      }
      if (i === 0) continue;
      if (regions[r]!.cap === Infinity) {
        // Below the column there is room for every link: one state.
        if (prev[s0]! + c < cur[s0]!) {
          cur[s0] = prev[s0]! + c;
          back[bp + s0] = s0;
        }
      } else {
        for (let u = 1; u < k; u++) {
          if (prev[s0 + u - 1]! === Infinity) continue;
          cur[s0 + u] = prev[s0 + u - 1]! + c;
          back[bp + s0 + u] = s0 + u - 1;
        }
      }
      for (let u = 0; u < k; u++) {
        if (prev[s0 + u]! < best) {
          best = prev[s0 + u]!;
          bestAt = s0 + u;
        }
      }
    }
    [prev, cur] = [cur, prev];
  }
  const regionOfSlot = new Int32Array(S);
  for (let r = 0; r < R; r++) for (let u = 0; u < slots[r]!; u++) regionOfSlot[start[r]! + u] = r;
  let at = 0;
  for (let s = 1; s < S; s++) if (prev[s]! < prev[at]!) at = s;
  const out = new Array<number>(n);
  for (let i = n - 1; i >= 0; i--) {
    out[i] = regionOfSlot[at]!;
    at = back[i * S + at]!;
  }
  return out;
}

/** The lanes of the crossers in one region, in order: spread about its middle, or stacked down from below the last card. */
function laneYs(items: readonly Crosser[], r: Region): number[] {
  if (r.cap === Infinity) {
    // Below the column: as high as the link's start allows, so a fan leaves its table level and bends once.
    const out: number[] = [];
    let y = -Infinity;
    for (const it of items) {
      y = Math.max(y + LANE.maxSpacing, r.lo, it.e);
      out.push(y);
    }
    return out;
  }
  const k = items.length;
  const step = k > 1 ? Math.min(LANE.maxSpacing, (r.hi - r.lo) / (k - 1)) : 0;
  const mid = (r.lo + r.hi) / 2;
  return items.map((_, j) => mid + (j - (k - 1) / 2) * step);
}

/** A coordinate as the paths write it: at most 3 decimals, as d3's link generators do. */
const num = (v: number) => Math.round(v * 1000) / 1000;

/**
 * A path as numbers, written out as SVG path data only when read (Route):
 * each command's code (PATH_M, PATH_L, PATH_C) and then its coordinates.
 */
type PathPlan = number[];
const PATH_M = 0;
const PATH_L = 1;
const PATH_C = 2;
const PATH_LETTER = ['M', 'L', 'C'] as const;
const PATH_ARGS = [2, 2, 6] as const;

/** A plan's SVG path data, each coordinate rounded (num). */
function writePath(plan: PathPlan): string {
  let d = '';
  for (let i = 0; i < plan.length; ) {
    const code = plan[i++] as 0 | 1 | 2;
    d += PATH_LETTER[code];
    for (let k = 0; k < PATH_ARGS[code]; k++) d += (k ? ',' : '') + num(plan[i++]!);
  }
  return d;
}

/** A horizontal S-bend from the current point (x0, y0) to (x1, y1): level at both ends, as d3.linkHorizontal draws. */
const sBend = (plan: PathPlan, x0: number, y0: number, x1: number, y1: number) => {
  const m = (x0 + x1) / 2;
  plan.push(PATH_C, m, y0, m, y1, x1, y1);
};

/**
 * A loop on the right of a column, from an entry to another card in the
 * same column; it bulges no further than `room` (the gutter to the next
 * column), so it never reaches that column's cards.
 */
function sideLoop(x: number, y1: number, y2: number, room: number): PathPlan {
  // The curve reaches 3/4 of its control points' offset.
  const bulge = Math.min(26 + Math.min(60, Math.abs(y2 - y1) / 12), Math.max(room, 6) / 0.75);
  return [PATH_M, x, y1, PATH_C, x + bulge, y1, x + bulge, y2, x, y2];
}

/**
 * The paths of `reqs` among `cards`. A link to the next column is the usual
 * horizontal S-curve across the gutter between them; a loop within a column
 * stays in the gutter on its right. A link that has columns in between (a
 * guest table's fan-out to a shadow page beyond the roots) crosses each of
 * them in a lane through a gap between its cards, or above or below them,
 * and S-bends across every gutter: it never runs under a card, and it
 * arrives level at the target's edge, so its end marker touches nothing
 * else. S-bends spanning one gutter cross only when their ends are in
 * opposite orders, so the lanes keep the order in which the links enter
 * (fans of one table stay side by side), and the gaps are chosen for the
 * least detour and the fewest crossings with the links that run straight
 * across the gutters (fan-outs to the next column, child pointers).
 * Deterministic; O(links × lanes) plus the crossing estimates. `loopRoom`:
 * how far right of the last column a loop may reach.
 */
export function routeLinks(cards: readonly Box[], reqs: readonly RouteRequest[], loopRoom = Infinity): Route[] {
  const { cols, colOf } = columnsOf(cards);
  // Right of the last column, loops get what the layout leaves there: at
  // most `loopRoom`, and no more than the widest gutter (a compact layout
  // narrows both together).
  let widest = 0;
  for (let k = 1; k < cols.length; k++) widest = Math.max(widest, cols[k]!.x0 - cols[k - 1]!.x1);
  const lastRoom = Math.min(loopRoom, cols.length > 1 ? widest : Infinity);
  const info = reqs.map((r) => ({ r, cf: colOf.get(r.from.key) ?? -1, ct: colOf.get(r.to.key) ?? -1, lanes: [] as number[] }));
  // Links straight across gutter g (between columns g and g+1).
  const fixed: Fixed[][] = cols.map(() => []);
  for (const l of info) if (l.cf >= 0 && l.ct === l.cf + 1) fixed[l.cf]!.push({ a: l.r.y1, b: l.r.y2 });
  const routed = info.filter((l) => l.cf >= 0 && l.ct > l.cf + 1);
  for (let k = 1; k < cols.length - 1; k++) {
    const items: Crosser[] = [];
    routed.forEach((l, i) => {
      if (l.cf < k && k < l.ct) items.push({ i, e: l.lanes[l.lanes.length - 1] ?? l.r.y1, t: l.r.y2, group: l.r.group, key: l.r.key });
    });
    if (!items.length) continue;
    items.sort((a, b) => a.e - b.e || a.t - b.t || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const regions = cols[k]!.regions;
    const region = assignRegions(items, regions, fixed[k - 1]!, fixed[k]!);
    for (let r = 0; r < regions.length; r++) {
      const inR = items.filter((_, j) => region[j] === r);
      laneYs(inR, regions[r]!).forEach((y, j) => routed[inR[j]!.i]!.lanes.push(y));
    }
  }
  const out: Route[] = [];
  for (const { r, cf, ct, lanes } of info) {
    let top = Math.min(r.y1, r.y2);
    let bottom = Math.max(r.y1, r.y2);
    for (const c of lanes) {
      top = Math.min(top, c);
      bottom = Math.max(bottom, c);
    }
    out.push(new Route(top - 4, bottom + 4, pathOf(r, cf, ct, lanes, cols, lastRoom)));
  }
  return out;
}

/** The path of one link, from its columns and the lanes it was given (one per column it crosses). */
function pathOf(r: RouteRequest, cf: number, ct: number, lanes: readonly number[], cols: readonly Column[], lastRoom: number): PathPlan {
  const xs = r.from.x + r.from.w;
  if (cf < 0 || ct < 0 || ct < cf) {
    // Not among the cards, or back to a column on the left (none in the
    // built-ins: a root is never a child): a plain curve between the facing edges.
    const x0 = ct < cf && ct >= 0 ? r.from.x : xs;
    const x1 = ct < cf && ct >= 0 ? r.to.x + r.to.w : r.to.x;
    const plan = [PATH_M, x0, r.y1];
    sBend(plan, x0, r.y1, x1, r.y2);
    return plan;
  }
  if (ct === cf) {
    const next = cols[cf + 1];
    return sideLoop(xs, r.y1, r.y2, (next ? next.x0 - cols[cf]!.x1 : lastRoom) - 4);
  }
  // Leave the source level to its column's edge, S-bend to each lane, run
  // along it across that column, and S-bend to the target's edge.
  const plan = [PATH_M, xs, r.y1];
  let x = cols[cf]!.x1;
  let y = r.y1;
  if (xs < x) plan.push(PATH_L, x, y);
  for (let j = 0; j < lanes.length; j++) {
    const col = cols[cf + 1 + j]!;
    sBend(plan, x, y, col.x0, lanes[j]!);
    plan.push(PATH_L, col.x1, lanes[j]!);
    x = col.x1;
    y = lanes[j]!;
  }
  sBend(plan, x, y, cols[ct]!.x0, r.y2);
  if (r.to.x > cols[ct]!.x0) plan.push(PATH_L, r.to.x, r.y2);
  return plan;
}
