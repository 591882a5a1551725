/**
 * The Compare view's report without blocking the page: a heavy scenario
 * (more than HEAVY_STEPS steps) runs under the compared rule sets in a worker
 * of its own (1,923 zap-alls under three rule sets: ~3.5 s), and the report
 * comes back in pieces; shorter ones are compared at once, as before.
 */
import { useEffect, useMemo, useState } from 'react';
import { type CompareReport, compareRuleSets, type RuleSetName, type Scenario } from '../../core/index.ts';
import { HEAVY_STEPS } from './build.ts';
import type { BuildReply, BuildRequest } from './protocol.ts';
import { packScenario } from './steps-pack.ts';

let nextId = 1;

/** Runs the comparison in a new worker; `progress` gets the steps run so far, `done` the report. Returns a cancel (which ends the worker). */
function compareInWorker(scenario: Scenario, rules: readonly RuleSetName[], done: (r: CompareReport) => void, progress: (steps: number) => void): (() => void) | null {
  if (typeof Worker === 'undefined') return null;
  let w: Worker;
  try {
    w = new Worker(new URL('./timeline.worker.ts', import.meta.url), { type: 'module', name: 'compare' });
  } catch {
    return null;
  }
  const id = nextId++;
  let report: Record<string, unknown> | null = null;
  w.addEventListener('message', (e: MessageEvent<BuildReply>) => {
    const m = e.data;
    if (m.type !== 'compared' || m.id !== id) return;
    if (m.progress !== undefined) progress(m.progress);
    else if (m.part) report = { ...m.part, requests: [], roleDifferences: [], behaviourDifferences: [], shadowSetDifferences: [] };
    else if (m.key && m.items && report) (report[m.key] as unknown[]).push(...m.items);
    if (m.last && report) {
      w.terminate();
      done(report as unknown as CompareReport);
    }
  });
  const { packed, transfer } = packScenario(scenario);
  const req: BuildRequest = { type: 'compare', id, packed, rules };
  w.postMessage(req, transfer);
  return () => w.terminate();
}

/**
 * The last heavy report made for a scenario, with its rule sets: closing
 * Compare and opening it again (or Esc, then back) shows it at once instead
 * of running the scenario again (1,000,000 steps: ~80 s). One per scenario (a
 * report of a long run is large), dropped with the scenario.
 */
const kept = new WeakMap<Scenario, { readonly rules: string; readonly report: CompareReport }>();
const keptFor = (scenario: Scenario, rules: readonly RuleSetName[]): CompareReport | null => {
  const k = kept.get(scenario);
  return k && k.rules === rules.join() ? k.report : null;
};

/** A comparison: its report, null while a heavy one runs, with the steps run so far under every rule set. */
export interface CompareState {
  readonly report: CompareReport | null;
  readonly stepsDone: number;
}

/** The report for `scenario` under `rules`: null while a heavy one is being compared (`stepsDone` counts its progress). */
export function useCompareReport(scenario: Scenario, rules: readonly RuleSetName[]): CompareState {
  const heavy = scenario.steps.length > HEAVY_STEPS && typeof Worker !== 'undefined';
  const now = useMemo(() => (heavy ? null : compareRuleSets(scenario, rules)), [heavy, scenario, rules]);
  const [done, setDone] = useState<{ scenario: Scenario; rules: readonly RuleSetName[]; report: CompareReport } | null>(null);
  const [progress, setProgress] = useState<{ scenario: Scenario; rules: readonly RuleSetName[]; steps: number } | null>(null);
  useEffect(() => {
    if (!heavy || keptFor(scenario, rules)) return;
    const finish = (report: CompareReport) => {
      kept.set(scenario, { rules: rules.join(), report });
      setDone({ scenario, rules, report });
    };
    const cancel = compareInWorker(scenario, rules, finish, (steps) => setProgress({ scenario, rules, steps }));
    if (cancel) return cancel;
    // No worker after all: compare here, after this render.
    const t = setTimeout(() => finish(compareRuleSets(scenario, rules)), 0);
    return () => clearTimeout(t);
  }, [heavy, scenario, rules]);
  if (now) return { report: now, stepsDone: scenario.steps.length };
  const report = keptFor(scenario, rules) ?? (done && done.scenario === scenario && done.rules === rules ? done.report : null);
  const stepsDone = progress && progress.scenario === scenario && progress.rules === rules ? progress.steps : 0;
  return { report, stepsDone: report ? scenario.steps.length : stepsDone };
}
