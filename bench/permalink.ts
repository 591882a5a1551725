/**
 * Permalink sizes and timings for `npm run bench` (merged into bench/results.json).
 *
 * Sizes are of the URL fragment, `#` included (the origin and path depend on
 * where the app is served), for every built-in, with the longest view a link
 * can carry (last step, event mode, a rule set, zoom and theme all set).
 * `permalink.maxChars` / `medianChars` are the by-name links (the ones
 * "Copy link" makes for a built-in); `permalink.inline*` the whole-scenario
 * links; `lesson.*` the lesson links (issue 18). Times: the median of 21 runs per link, then the max over links. A
 * by-name decode reuses the built-in's cached parse, so it costs microseconds.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { median as d3median } from 'd3';
import { LIBRARY } from '../src/scenarios/library/index.ts';
import { tryEncodeLessonLink } from '../src/scenarios/lesson-link.ts';
import { LESSONS } from '../src/scenarios/lessons/index.ts';
import { DEFAULT_VIEW } from '../src/scenarios/permalink.ts';
import { decodePermalink, encodePermalink, type LinkScenario, type Permalink } from '../src/scenarios/permalink.ts';

const RUNS = 21;
const median = (a: number[]) => d3median(a)!;
const round = (n: number, digits: number) => Number(n.toFixed(digits));

/** Median time of `run`, each run on a fresh input from `setup` (made outside the timing). */
function timeMs<T>(setup: () => T, run: (input: T) => void): number {
  const t: number[] = [];
  for (let k = 0; k < RUNS; k++) {
    const input = setup();
    const t0 = performance.now();
    run(input);
    t.push(performance.now() - t0);
  }
  return median(t);
}

function stepsOf(id: string, version: number): number {
  const r = decodePermalink(`sp1/b/${id}/${version}`);
  if (!r.ok) throw new Error(r.error);
  return r.scenario.steps.length;
}

export function benchPermalink(): Record<string, number> {
  const rows: Array<{ kind: 'byName' | 'inline'; chars: number; encodeMs: number; decodeMs: number }> = [];
  for (const e of LIBRARY) {
    const view = { step: stepsOf(e.id, e.version), event: 12, granularity: 'event', rules: 'merged', zoom: 1.25, theme: 'dark' } as const;
    const scenarios: Array<['byName' | 'inline', LinkScenario]> = [
      ['byName', { kind: 'builtin', id: e.id, version: e.version }],
      ['inline', { kind: 'inline', json: e.json }],
    ];
    for (const [kind, scenario] of scenarios) {
      const p: Permalink = { scenario, view };
      const fragment = encodePermalink(p);
      const check = decodePermalink(fragment);
      if (!check.ok || check.scenario.title === '') throw new Error(`${e.id}: ${check.ok ? 'no title' : check.error}`);
      rows.push({
        kind,
        chars: fragment.length + 1,
        // A fresh copy of the document each time: the encoder caches the last document it packed.
        encodeMs: timeMs(
          () => (scenario.kind === 'inline' ? { scenario: { kind: 'inline' as const, json: structuredClone(e.json) }, view } : p),
          (q) => encodePermalink(q),
        ),
        decodeMs: timeMs(
          () => fragment,
          (f) => decodePermalink(f),
        ),
      });
    }
  }
  const of = (kind: 'byName' | 'inline') => rows.filter((r) => r.kind === kind);
  const max = (a: number[]) => Math.max(...a);

  // The largest expansion a link within the length cap can carry (tests/permalink-fuzz.test.ts).
  const bomb = readFileSync('tests/fixtures/permalinks/worst-case-bomb.txt', 'utf8').trim();
  const rejectMs = timeMs(
    () => bomb,
    (f) => decodePermalink(f),
  );

  return {
    'permalink.maxChars': max(of('byName').map((r) => r.chars)),
    'permalink.medianChars': median(of('byName').map((r) => r.chars)),
    'permalink.decodeMsMax': round(max(rows.map((r) => r.decodeMs)), 3),
    'permalink.inlineMaxChars': max(of('inline').map((r) => r.chars)),
    'permalink.inlineMedianChars': median(of('inline').map((r) => r.chars)),
    'permalink.inlineOver1500': of('inline').filter((r) => r.chars >= 1500).length,
    'permalink.byNameDecodeMsMax': round(max(of('byName').map((r) => r.decodeMs)), 3),
    'permalink.inlineDecodeMsMax': round(max(of('inline').map((r) => r.decodeMs)), 3),
    'permalink.encodeMsMax': round(max(rows.map((r) => r.encodeMs)), 3),
    'permalink.worstCaseRejectMs': round(rejectMs, 3),
    ...lessonLinkChars(),
  };
}

/**
 * Lesson links (issue 18, item 3), `#` included, at the lesson's first entry
 * and step 0: by name (`lesson.linkChars.<name>`, what Copy link makes for a
 * built-in lesson) and whole (`lesson.inlineLinkChars.<name>`, what it makes
 * for an imported copy of it).
 */
function lessonLinkChars(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const l of LESSONS) {
    for (const [key, lesson] of [
      ['linkChars', { kind: 'builtin', id: l.id, version: l.version }],
      ['inlineLinkChars', { kind: 'inline', json: l.json }],
    ] as const) {
      const r = tryEncodeLessonLink({ lesson, entry: 0, view: DEFAULT_VIEW }, 'seed');
      if (!r.ok) throw new Error(`${l.id}: ${r.error}`);
      out[`lesson.${key}.${l.id}`] = r.fragment.length + 1;
    }
  }
  return out;
}
