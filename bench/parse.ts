/**
 * Parser timings for `npm run bench` (merged into bench/results.json): the
 * hostile inputs of the parser tests (tests/fuzz-inputs.ts), timed. The
 * tests bound the work each input causes by counting it
 * (tests/parse-work.ts), since a time limit fails on a busy machine; the
 * times are here.
 *
 * - `parse.permalinkDecodeMaxMs`: the slowest decodePermalink of the inputs of
 *   tests/permalink-fuzz.test.ts (the fuzz runs, the valid links, the
 *   worst-case bomb, the heaviest valid links, a 50-million-character link);
 *   `parse.permalinkFuzzTotalS`: making all of them and decoding each once.
 * - `parse.scenarioFileParseMaxMs` / `parse.scenarioFileFuzzTotalS`: the same
 *   for parseScenarioText and the inputs of tests/scenario-file-fuzz.test.ts.
 * - `parse.schemaLargeParseMs`: the slowest of the large inputs of
 *   src/scenarios/schema.test.ts (deep nesting, 5,000,000 steps, 100,000
 *   entries, 20 MiB of text), each the median of 7 runs.
 *
 * - `parse.steps100k.ms` / `parse.steps100k.zodMs`: parseScenario on a
 *   document of 100,000 steps already read from JSON (reads, writes, fetches
 *   and invlpgs, as a long trace has), with the steps checked by the
 *   hand-written fast path (src/scenarios/steps-fast.ts), and with zod alone
 *   (sim_parseScenarioZodOnly), the median of 7 runs each, taken in turns
 *   and before the other parts (a heap full of their inputs slows both);
 *   `parse.steps1M.textMs`: parseScenarioText on the 1,000,000-step file of the
 *   same steps (the step cap; JSON.parse included), the median of 3.
 *
 * A slowest time is found by timing every input once, then the 20 slowest
 * again, 7 times each: the largest of their medians (one run alone can
 * include a garbage collection).
 */
import { performance } from 'node:perf_hooks';
import { median as d3median } from 'd3';
import { LIBRARY } from '../src/scenarios/library/index.ts';
import { decodePermalink } from '../src/scenarios/permalink.ts';
import { parseScenario, parseScenarioText, sim_parseScenarioZodOnly } from '../src/scenarios/schema.ts';
import { heaviestValidLinks, hugeLink, largeInputs, LIBRARY_TEXTS, PERMALINK_FUZZ, samples, SCENARIO_FILE_FUZZ, VALID_LINKS, worstCaseBomb } from '../tests/fuzz-inputs.ts';

const RUNS = 7;
const RETIMED = 20;
const round = (n: number, digits: number) => Number(n.toFixed(digits));

function medianMs(run: () => void, runs = RUNS): number {
  const t: number[] = [];
  for (let k = 0; k < runs; k++) {
    const t0 = performance.now();
    run();
    t.push(performance.now() - t0);
  }
  return d3median(t)!;
}

/** `parse` over every input made by `make`: the total time (making included) and the slowest input. */
function corpus(name: string, make: () => string[], parse: (input: string) => unknown): { totalS: number; maxMs: number } {
  const t0 = performance.now();
  const inputs = make();
  const once = inputs.map((input) => {
    const s = performance.now();
    parse(input);
    return { input, ms: performance.now() - s };
  });
  const totalS = (performance.now() - t0) / 1000;
  const slowest = once
    .sort((a, b) => b.ms - a.ms)
    .slice(0, RETIMED)
    .map(({ input }) => ({ input, ms: medianMs(() => parse(input)) }))
    .sort((a, b) => b.ms - a.ms)[0]!;
  console.info(`${name}: ${inputs.length} inputs in ${totalS.toFixed(1)} s; slowest ${slowest.ms.toFixed(2)} ms: ${JSON.stringify(slowest.input.slice(0, 60))} (${slowest.input.length} chars)`);
  return { totalS, maxMs: slowest.ms };
}

/** A valid 32-bit document of `n` steps: 60% reads, 20% 4-byte writes with a value, 10% user fetches, 10% invlpg. */
function stepsDocument(n: number): Record<string, unknown> {
  const steps: unknown[] = [];
  for (let i = 0; i < n; i++) {
    const page = 0xc040_0000 + (i % 4096) * 0x1000;
    const hex = (v: number) => `0x${v.toString(16).toUpperCase()}`;
    const r = i % 10;
    if (r < 6) steps.push({ op: 'read', gva: hex(page + 0x123) });
    else if (r < 8) steps.push({ op: 'write', gva: hex(page + 0x120), value: '0x6007', width: 4 });
    else if (r < 9) steps.push({ op: 'fetch', gva: hex(page), user: true });
    else steps.push({ op: 'invlpg', gva: hex(page) });
  }
  return { format: 'shadowpaging/v1', title: `${n} steps`, guest: { mode: 'x86-32', cr3: '0x1000' }, memory: [{ gpa: '0x1000', entries: { '769': '0x3007' } }], steps };
}

function benchSteps(): Record<string, number> {
  const doc = stepsDocument(100_000);
  for (let k = 0; k < 3; k++) {
    if (!parseScenario(doc).ok || !sim_parseScenarioZodOnly(doc).ok) throw new Error('the 100,000-step bench document does not parse');
  }
  // Taken in turns, so that a garbage collection of the other's objects is as likely to land in either.
  const fast: number[] = [];
  const zod: number[] = [];
  for (let k = 0; k < RUNS; k++) {
    fast.push(medianMs(() => parseScenario(doc), 1));
    zod.push(medianMs(() => sim_parseScenarioZodOnly(doc), 1));
  }
  const fastMs = d3median(fast)!;
  const zodMs = d3median(zod)!;
  const text = JSON.stringify(stepsDocument(1_000_000));
  if (!parseScenarioText(text).ok) throw new Error('the 1,000,000-step bench file does not parse');
  const textMs = medianMs(() => parseScenarioText(text), 3);
  console.info(`steps: 100,000 in ${fastMs.toFixed(1)} ms (zod alone ${zodMs.toFixed(1)} ms); the 1,000,000-step file (${text.length} chars) in ${textMs.toFixed(0)} ms`);
  return {
    'parse.steps100k.ms': round(fastMs, 2),
    'parse.steps100k.zodMs': round(zodMs, 2),
    'parse.steps1M.textMs': round(textMs, 1),
  };
}

export function benchParse(): Record<string, number> {
  // First, while the heap holds nothing of the corpora below.
  const steps = benchSteps();

  // Warm-up, so the first inputs do not pay for compiling the parsers.
  for (let k = 0; k < 3; k++) {
    for (const v of VALID_LINKS) decodePermalink(v);
    for (const t of LIBRARY_TEXTS) parseScenarioText(t);
  }

  const links = corpus(
    'permalink decode',
    () => [...VALID_LINKS, ...samples(Object.values(PERMALINK_FUZZ).flat()), worstCaseBomb(), ...heaviestValidLinks(), hugeLink()],
    decodePermalink,
  );
  const files = corpus('scenario file parse', () => [...LIBRARY_TEXTS, ...samples(SCENARIO_FILE_FUZZ)], parseScenarioText);

  const large = largeInputs(LIBRARY[0]!.json as Record<string, unknown>).map(({ name, input }) => ({
    name,
    ms: medianMs(() => (typeof input === 'string' ? parseScenarioText(input) : parseScenario(input.value))),
  }));
  const slowestLarge = large.sort((a, b) => b.ms - a.ms)[0]!;
  console.info(`schema large inputs: slowest ${slowestLarge.ms.toFixed(2)} ms (${slowestLarge.name})`);

  return {
    'parse.permalinkDecodeMaxMs': round(links.maxMs, 3),
    'parse.permalinkFuzzTotalS': round(links.totalS, 2),
    'parse.scenarioFileParseMaxMs': round(files.maxMs, 3),
    'parse.scenarioFileFuzzTotalS': round(files.totalS, 2),
    'parse.schemaLargeParseMs': round(slowestLarge.ms, 2),
    ...steps,
  };
}
