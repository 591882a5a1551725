/**
 * Golden traces: what the trace CLI prints for every built-in under every
 * rule set, and for 36 seeded random scenarios (issue 17). A core rewrite must
 * reproduce them byte for byte, except where a fix changes them on purpose.
 *
 * This module lists the cases and renders a trace exactly as src/cli/trace.ts
 * does; tests/golden-traces.test.ts compares (and, with UPDATE_GOLDEN=1,
 * rewrites) the files. Run as a script it writes the random scenarios'
 * documents, once:
 *
 *   npx tsx tests/golden/make-traces.ts            # writes missing scenario files
 *   npx tsx tests/golden/make-traces.ts --force    # re-samples all of them
 *
 * The documents are saved so the goldens never depend on fast-check's
 * generators (or tests/scenario-gen.ts) staying the same; re-sampling is only
 * for when those documents are to be replaced on purpose.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { buildTrace, RULE_SETS, type RuleSetName } from '../../src/core/index.ts';
import { LIBRARY } from '../../src/scenarios/library/index.ts';
import { formatScenarioError, parseScenario } from '../../src/scenarios/schema.ts';
import { buildPlan, mappingsPlanArb, type PagingMode, type Plan, rawPlanArb, unsyncPlanArb } from '../scenario-gen.ts';

export const TRACES_DIR = resolve(dirname(fileURLToPath(import.meta.url)), 'traces');
export const BUILTIN_DIR = join(TRACES_DIR, 'builtin');
export const RANDOM_DIR = join(TRACES_DIR, 'random');

/**
 * The CLI's stdout for a scenario document (src/cli/trace.ts main(): events
 * on, no --at): the same buildTrace call and the same stringify.
 */
export function traceText(doc: unknown, rules: RuleSetName): string {
  const parsed = parseScenario(doc);
  if (!parsed.ok) throw new Error(`invalid scenario: ${formatScenarioError(parsed.error)}`);
  return `${JSON.stringify(buildTrace(parsed.scenario, { rules, at: null, events: true }), null, 2)}\n`;
}

export interface GoldenCase {
  /** Path of the golden file, relative to TRACES_DIR. */
  readonly file: string;
  readonly rules: RuleSetName;
  /** The scenario document, and where it lives (for the CLI). */
  readonly doc: () => unknown;
  readonly scenarioPath: string;
}

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Every built-in under every rule set: 15 x 4 files. */
export function builtinCases(): GoldenCase[] {
  const out: GoldenCase[] = [];
  for (const e of LIBRARY) {
    for (const rules of RULE_SETS) {
      out.push({ file: `builtin/${e.id}.${rules}.json`, rules, doc: () => e.json, scenarioPath: join(REPO, 'src/scenarios/library', `${e.id}.json`) });
    }
  }
  return out;
}

/**
 * The random scenarios to sample: 12 generators x 3 samples, each with its
 * own fixed seed. Names say the generator and the guest mode.
 */
const RANDOM_SOURCES: ReadonlyArray<{ readonly name: string; readonly arb: () => fc.Arbitrary<Plan> }> = [
  ...(['x86-32', 'pae', 'x86-64', 'off'] as const).map((mode) => ({ name: `raw-${mode}`, arb: () => rawPlanArb(mode) })),
  ...(['x86-32', 'pae', 'x86-64'] as const).map((mode: PagingMode) => ({ name: `mappings-${mode}`, arb: () => mappingsPlanArb(mode) })),
  ...(['x86-32', 'pae', 'x86-64'] as const).map((mode: PagingMode) => ({ name: `unsync-${mode}`, arb: () => unsyncPlanArb(mode) })),
  // Two long ones (80 steps): enough activity for recycling, rotation and resyncs.
  { name: 'raw-long-x86-32', arb: () => rawPlanArb('x86-32', 80) },
  { name: 'raw-long-pae', arb: () => rawPlanArb('pae', 80) },
];
const SAMPLES_PER_SOURCE = 3;
const SEED_BASE = 1700;

/**
 * The rule sets a random scenario's traces are kept under: two of the four,
 * one from before the series (before, seed) and one from the series as
 * merged (merged, merged-no-7), rotating so every rule set is covered by half
 * of the random scenarios; linux-6.1 is kept beside merged. All four would
 * make the goldens ~13 MB (see traces/README.md).
 */
export function randomRuleSets(index: number): RuleSetName[] {
  // linux-6.1 rides with merged (half the scenarios), so its golden reads
  // against merged's for the same scenario: the difference is the 6.1 changes.
  const pairs: RuleSetName[][] = [
    ['before', 'merged', 'linux-6.1'],
    ['seed', 'merged-no-7'],
    ['before', 'merged-no-7'],
    ['seed', 'merged', 'linux-6.1'],
  ];
  return pairs[index % pairs.length]!;
}

/** The saved random scenario documents, in name order. */
export function randomScenarioFiles(): string[] {
  if (!existsSync(RANDOM_DIR)) return [];
  return readdirSync(RANDOM_DIR)
    .filter((f) => f.endsWith('.scenario.json'))
    .sort();
}

export function randomCases(): GoldenCase[] {
  return randomScenarioFiles().flatMap((f) => {
    const stem = f.slice(0, -'.scenario.json'.length);
    // The rotation follows the number in the name (rNN-...), so adding or
    // removing a scenario does not move the others to other rule sets.
    const i = Number(/^r(\d+)-/.exec(f)?.[1] ?? NaN);
    if (!Number.isInteger(i)) throw new Error(`${f}: a random scenario's name must start with rNN-`);
    const path = join(RANDOM_DIR, f);
    let cached: unknown;
    const doc = () => (cached ??= JSON.parse(readFileSync(path, 'utf8')));
    return randomRuleSets(i).map((rules) => ({ file: `random/${stem}.${rules}.json`, rules, doc, scenarioPath: path }));
  });
}

/** Sample the random scenarios (deterministic: fixed seeds) as JSON documents. */
export function sampleRandomScenarios(): Array<{ readonly name: string; readonly doc: Record<string, unknown> }> {
  const out: Array<{ name: string; doc: Record<string, unknown> }> = [];
  RANDOM_SOURCES.forEach((src, k) => {
    const plans = fc.sample(src.arb(), { seed: SEED_BASE + k, numRuns: SAMPLES_PER_SOURCE });
    plans.forEach((plan, j) => {
      const b = buildPlan(plan);
      const n = out.length;
      const doc = { ...b.doc, title: `golden random ${String(n).padStart(2, '0')}: ${src.name} (seed ${SEED_BASE + k}, sample ${j})` };
      // The saved document must give the very scenario the generator built
      // (apart from the title): a JSON round trip loses nothing.
      const again = parseScenario(JSON.parse(JSON.stringify(doc)));
      if (!again.ok) throw new Error(`${src.name} #${j}: ${formatScenarioError(again.error)}`);
      if (JSON.stringify({ ...again.scenario, title: '' }) !== JSON.stringify({ ...b.scenario, title: '' })) {
        throw new Error(`${src.name} #${j}: the JSON document does not round-trip to the generated scenario`);
      }
      out.push({ name: `r${String(n).padStart(2, '0')}-${src.name}`, doc });
    });
  });
  return out;
}

function main(): void {
  const force = process.argv.includes('--force');
  mkdirSync(RANDOM_DIR, { recursive: true });
  let written = 0;
  for (const { name, doc } of sampleRandomScenarios()) {
    const path = join(RANDOM_DIR, `${name}.scenario.json`);
    if (existsSync(path) && !force) continue;
    writeFileSync(path, `${JSON.stringify(doc, null, 2)}\n`);
    written++;
  }
  process.stdout.write(`${written} scenario document(s) written to ${RANDOM_DIR}\nnow: UPDATE_GOLDEN=1 npx vitest run tests/golden-traces.test.ts\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) main();
