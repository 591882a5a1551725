/**
 * `npm run bench`: timings that the issues name, written to bench/results.json.
 * Core part: a large 32-bit scenario (every PDE, a page table per 4 MiB region
 * with PTEs, sweeping accesses, unsync and emulated writes, CR3 reloads) run
 * under each rule set; step throughput and time-travel latency; then issue
 * 17's figures on the 100,000-step scenario (bench/core100k.ts: replay,
 * floor ratio, seek, heap, 1M steps, the trace CLI's cli.trace100k.*).
 * UI part (bench/ui.ts): step-to-paint, bundle size and first render in
 * headless Chromium, the link crossings of the layout (bench/layout.ts, no
 * browser) and caption building (bench/caption.ts, ui.captionMs.p95). Permalink part (bench/permalink.ts): link sizes of the
 * built-ins and encode/decode times. Parse part (bench/parse.ts): decode and
 * parse times of the parser tests' hostile inputs. Reliability part
 * (bench/cli.ts): the trace CLI refusing /dev/zero
 * (reliability.cliDevZeroRefuseMs, target 1,000 ms) and heavy scenarios
 * opening (bench/heavy.ts: reliability.openHeavyLinkLongestTaskMs, target
 * 50 ms; reliability.import10kStepsMs, target 2,000 ms). Offline part
 * (bench/offline.ts): the single file of `npm run build:offline`
 * (offline.fileKB) opened from file://. Export part (bench/export.ts): the
 * current view saved as a 2x PNG (export.pngMs) and SVG. UI at 100k part
 * (bench/ui100k.ts): the 100,000-step scenario opened, scrubbed and stepped
 * in the browser (ui.open100k.ms, ui.scrub100k.p95Ms,
 * ui.step100k.stepToPaintP95Ms). `--ui`, `--parse` (or `--core`,
 * `--permalink`, `--reliability`, `--offline`, `--export`, `--ui100k`, `--kernel`)
 * runs only the parts named; no flag runs all nine. Kernel part
 * (bench/kernel.ts): agreement with the recorded real Linux 6.1 traces
 * (core.linux61.agreement, target 1).
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { median as d3median, quantile } from 'd3';
import { compareRuleSets, RULE_SETS, Timeline } from '../src/core/index.ts';
import { LIBRARY } from '../src/scenarios/library/index.ts';
import { parseScenario } from '../src/scenarios/schema.ts';
import { benchCaption } from './caption.ts';
import { mulberry32 } from './scenario100k.ts';
import { benchCore100k } from './core100k.ts';
import { benchExport } from './export.ts';
import { benchCli } from './cli.ts';
import { benchHeavy } from './heavy.ts';
import { benchKernel } from './kernel.ts';
import { benchLayout } from './layout.ts';
import { benchOffline } from './offline.ts';
import { benchParse } from './parse.ts';
import { benchPermalink } from './permalink.ts';
import { benchUi } from './ui.ts';
import { benchUi100k } from './ui100k.ts';

function largeScenario(steps: number) {
  const pd: Record<string, string> = {};
  const memory: Array<{ gpa: string; entries: Record<string, string> }> = [];
  // 64 page tables at 0x100000.., each mapping 64 pages; PDE 1 is a window on the PTs.
  for (let t = 0; t < 64; t++) {
    const ptGpa = 0x100000 + t * 0x1000;
    pd[String(t * 16 + 2)] = `0x${(ptGpa | 0x27).toString(16)}`;
    const entries: Record<string, string> = {};
    for (let i = 0; i < 64; i++) entries[String(i * 16)] = `0x${((0x400000 + (t * 64 + i) * 0x1000) | 0x67).toString(16)}`;
    memory.push({ gpa: `0x${ptGpa.toString(16)}`, entries });
  }
  pd['1'] = '0x3027';
  const window: Record<string, string> = {};
  for (let t = 0; t < 64; t++) window[String(t)] = `0x${((0x100000 + t * 0x1000) | 0x67).toString(16)}`;
  memory.push({ gpa: '0x1000', entries: pd }, { gpa: '0x3000', entries: window });
  const ops: unknown[] = [];
  // Seeded, so the benchmark is the same every run: mulberry32's 32-bit output (exact: a uint32 over 2^32 and back) modulo n.
  const next = mulberry32(12345);
  const rnd = (n: number) => (next() * 4294967296) % n;
  for (let s = 0; s < steps; s++) {
    const t = rnd(64);
    const i = rnd(64) * 16;
    const gva = (t * 16 + 2) * 0x400000 + i * 0x1000;
    const r = rnd(100);
    if (r < 70) ops.push({ op: 'read', gva: `0x${gva.toString(16)}` });
    else if (r < 85) ops.push({ op: 'write', gva: `0x${gva.toString(16)}`, value: s });
    else if (r < 95) ops.push({ op: 'write', gva: `0x${(0x400000 + rnd(64) * 0x1000 + i * 4).toString(16)}`, value: `0x${((0x400000 + rnd(4096) * 0x1000) | 0x27).toString(16)}` });
    else if (r < 98) ops.push({ op: 'invlpg', gva: `0x${gva.toString(16)}` });
    else ops.push({ op: 'cr3', value: '0x1000' });
  }
  return { format: 'shadowpaging/v1', title: 'bench', guest: { mode: 'x86-32', cr3: '0x1000' }, memory, steps: ops };
}

const median = (a: number[]) => d3median(a)!;
const pct = (a: number[], p: number) => quantile(a, p)!;

async function benchCore() {
  const parsed = parseScenario(largeScenario(2000));
  if (!parsed.ok) throw new Error(parsed.error.message);
  const s = parsed.scenario;
  const out: Record<string, number> = {};
  for (const rules of RULE_SETS) {
    const runs: number[] = [];
    let tl: Timeline | null = null;
    for (let k = 0; k < 5; k++) {
      const t0 = performance.now();
      tl = new Timeline(s, rules);
      runs.push(performance.now() - t0);
    }
    out[`core.${rules}.runMs`] = Number(median(runs).toFixed(2));
    out[`core.${rules}.stepsPerSec`] = Math.round((s.steps.length / median(runs)) * 1000);
    if (rules === 'seed' && tl) {
      const lat: number[] = [];
      for (let k = 0; k < 400; k++) {
        const n = (k * 7919) % (s.steps.length + 1);
        const t0 = performance.now();
        tl.stateAt(n);
        lat.push(performance.now() - t0);
      }
      out['core.stateAtMedianMs'] = Number(median(lat).toFixed(3));
      out['core.stateAtP95Ms'] = Number(pct(lat, 0.95).toFixed(3));
      const final = tl.stateAt(s.steps.length);
      out['core.shadowPages'] = final.sps.size;
    }
  }
  out['core.steps'] = s.steps.length;
  // The patch lens: the largest built-in under the four rule sets in lockstep (what the Compare view runs).
  const big = [...LIBRARY].sort((p, q) => (q.json as { steps: unknown[] }).steps.length - (p.json as { steps: unknown[] }).steps.length)[0]!;
  const bigParsed = parseScenario(big.json);
  if (!bigParsed.ok) throw new Error(bigParsed.error.message);
  const cmp: number[] = [];
  for (let k = 0; k < 7; k++) {
    const t0 = performance.now();
    compareRuleSets(bigParsed.scenario, RULE_SETS);
    cmp.push(performance.now() - t0);
  }
  out['core.compareAllRuleSetsMedianMs'] = Number(median(cmp).toFixed(1));
  // Issue 17: the 100,000-step scenario, each heavy figure in its own child process (bench/core100k.ts).
  return { ...out, ...(await benchCore100k()) };
}

const file = 'bench/results.json';
const prev = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
const parts: Record<string, () => Record<string, unknown> | Promise<Record<string, unknown>>> = { core: benchCore, permalink: benchPermalink, parse: benchParse, ui: async () => ({ ...(await benchUi()), ...benchLayout(), ...benchCaption() }), reliability: async () => ({ ...(await benchCli()), ...(await benchHeavy()) }), offline: benchOffline, export: benchExport, ui100k: benchUi100k, kernel: benchKernel };
const chosen = Object.keys(parts).filter((p) => process.argv.includes(`--${p}`));
const running = chosen.length > 0 ? chosen : Object.keys(parts);
// A run of some parts keeps the other parts' figures; every run replaces all of its own (keys no longer measured go).
// The core part also writes the trace CLI's figures on its scenario (cli.*).
const prefixes: Record<string, string[]> = { core: ['core.', 'cli.'], kernel: ['core.linux61.'], permalink: ['permalink.', 'lesson.'], ui100k: ['ui.open100k', 'ui.scrub100k', 'ui.step100k', 'ui.heap100k', 'ui.100k'] };
const partOf = (k: string): string | undefined => {
  // The most specific prefix wins: ui100k's keys are not the ui part's.
  let best: [string, number] | undefined;
  for (const p of Object.keys(parts)) for (const x of prefixes[p] ?? [`${p}.`]) if (k.startsWith(x) && (!best || x.length > best[1])) best = [p, x.length];
  return best?.[0];
};
const kept = chosen.length > 0 ? Object.fromEntries(Object.entries(prev).filter(([k]) => k !== 'generatedAt' && !running.includes(partOf(k) ?? ''))) : {};
const measured: Record<string, unknown> = {};
for (const p of running) Object.assign(measured, await parts[p]!());
const results = { ...kept, ...measured, generatedAt: new Date().toISOString() };
mkdirSync('bench', { recursive: true });
writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
console.log(JSON.stringify(results, null, 2));
