/**
 * The layout part of the UI figures, pure (no browser): how tangled the links
 * are. ui.fanoutCrossings.default: crossings that involve a fan-out (a guest
 * table's dashed links to its shadow pages) among the links always drawn
 * (fan-outs and child pointers; guest pointers are drawn only on the walk),
 * in the tables of the default scenario's last step (rule set seed), every
 * path sampled into a polyline (routes.ts countCrossings).
 * ui.fanoutCrossings.defaultBefore: the same links drawn as they were before
 * the routing (one d3 linkHorizontal curve from end to end, through whatever
 * lies between), on the same cards.
 * ui.fanoutCrossings.overview: the same in the overview at 1600x1000.
 * ui.fanoutCrossings.builtins: the tables' figure summed over every built-in
 * but the 64-table stress scene; ui.fanoutCrossings.sweep64: that scene's.
 * ui.layoutColumnsSweep64Ms: layoutColumns (cards and routed links) of the
 * 64-table scene's last step (about 130 cards, 200 links), the fastest of
 * repeated batches.
 */
import { performance } from 'node:perf_hooks';
import { linkHorizontal } from 'd3';
import { Timeline } from '../src/core/index.ts';
import { DEFAULT_SCENARIO_ID, LIBRARY } from '../src/scenarios/library/index.ts';
import { parseScenario } from '../src/scenarios/schema.ts';
import { type Card, type Layout, layoutColumns, layoutOverview, rowY } from '../src/ui/layout/geometry.ts';
import { fanoutCrossings } from '../src/ui/layout/routes.ts';
import { getStepView, shadowPageCounts } from '../src/ui/step/view.ts';

function lastStep(id: string) {
  const entry = LIBRARY.find((e) => e.id === id);
  if (!entry) throw new Error(`no built-in ${id}`);
  const parsed = parseScenario(entry.json);
  if (!parsed.ok) throw new Error(parsed.error.message);
  const tl = new Timeline(parsed.scenario, 'seed');
  return { tl, view: getStepView(tl, tl.length) };
}

const curve = linkHorizontal<{ source: [number, number]; target: [number, number] }, [number, number]>();

/**
 * The fan-outs and child pointers of a layout of the tables as they were
 * drawn before the routing: straight from the source's right edge to the
 * target's left edge (a fan-out at 20 below both cards' tops, a pointer from
 * its row to 12 below the target's top), crossing whatever lay between.
 */
function unrouted(layout: Layout): { key: string; kind: string; path: string }[] {
  const byKey = new Map<string, Card>(layout.cards.map((c) => [c.key, c]));
  const cardOfEnd = (end: string): Card | undefined => {
    const [kind, id] = end.split(':');
    return kind === 'spte' ? byKey.get(`sp:${id}`) : byKey.get(end);
  };
  return layout.links.flatMap((l) => {
    const from = cardOfEnd(l.ends[0]!);
    const to = cardOfEnd(l.ends[1]!);
    if (!from || !to || to.x <= from.x || l.kind === 'guest-pointer') return [];
    const y1 = l.kind === 'shadow-of' ? from.y + 20 : rowY(from, Number(l.ends[0]!.split(':')[2]));
    const y2 = l.kind === 'shadow-of' ? to.y + 20 : to.y + 12;
    if (y1 === null) return [];
    return [{ key: l.key, kind: l.kind, path: curve({ source: [from.x + from.w, y1], target: [to.x, y2] }) ?? '' }];
  });
}

export function benchLayout(): Record<string, number> {
  const tables = (id: string): Layout => {
    const { view } = lastStep(id);
    return layoutColumns(view.machine, view.guest);
  };
  const def = lastStep(DEFAULT_SCENARIO_ID);
  const overview = layoutOverview(def.view.machine, def.view.guest, { width: 1600, height: 1000, capacity: Math.max(...shadowPageCounts(def.tl)) });
  const sweep = lastStep('sweep-64-tables').view;
  // The fastest of 12 batches of 10 (after a warm-up batch): what the layout costs, not what other processes do meanwhile.
  let fastest = Infinity;
  for (let b = 0; b < 13; b++) {
    const t0 = performance.now();
    // The links too: a layout finds them when they are first read (geometry.ts), and this figure is cards and routed links.
    for (let k = 0; k < 10; k++) void layoutColumns(sweep.machine, sweep.guest).links;
    if (b > 0) fastest = Math.min(fastest, (performance.now() - t0) / 10);
  }
  return {
    'ui.fanoutCrossings.defaultBefore': fanoutCrossings(unrouted(tables(DEFAULT_SCENARIO_ID))),
    'ui.fanoutCrossings.default': fanoutCrossings(tables(DEFAULT_SCENARIO_ID).links),
    'ui.fanoutCrossings.overview': fanoutCrossings(overview.links),
    'ui.fanoutCrossings.builtins': LIBRARY.filter((e) => e.id !== 'sweep-64-tables').reduce((n, e) => n + fanoutCrossings(tables(e.id).links), 0),
    'ui.fanoutCrossings.sweep64': fanoutCrossings(tables('sweep-64-tables').links),
    'ui.layoutColumnsSweep64Ms': Number(fastest.toFixed(3)),
  };
}
