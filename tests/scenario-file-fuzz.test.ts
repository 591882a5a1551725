/**
 * Bad input, files: at least 10,000 mutated and random scenario files thrown
 * at the parser (what "Import .json" and the JSON editor use). Nothing may
 * throw, every answer is ok or one error naming a field, and the work is
 * bounded by the text cap, not by the input: a text over
 * PARSER_LIMITS.maxTextChars is refused before JSON.parse, JSON.parse runs
 * at most once, and the scenario parser's reads are linear in the JSON.
 * Counted (tests/parse-work.ts), not timed, so a busy machine cannot fail it;
 * `npm run bench` times the same inputs (parse.scenarioFile*).
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { formatScenarioError, PARSER_LIMITS, type ParseResult, parseScenarioText } from '../src/scenarios/schema.ts';
import { LIBRARY_TEXTS, SCENARIO_FILE_FUZZ } from './fuzz-inputs.ts';
import { maxReads, NO_WORK, type Work, workMeter } from './parse-work.ts';

const meter = workMeter();
afterAll(() => meter.restore());

function check(text: string, stats: { n: number; oversize: number; maxReadsPerChar: number }) {
  let measured: { result: ParseResult; work: Work };
  try {
    measured = meter.measure(() => parseScenarioText(text));
  } catch (e) {
    throw new Error(`parseScenarioText threw on ${JSON.stringify(text.slice(0, 200))}: ${(e as Error).message}`, { cause: e });
  }
  const { result: r, work } = measured;
  stats.n++;
  if (text.length > PARSER_LIMITS.maxTextChars) {
    stats.oversize++;
    expect(work).toEqual(NO_WORK);
    expect(r.ok).toBe(false);
  } else {
    expect(work.jsonParses).toBe(1);
    expect(work.jsonChars).toBeLessThanOrEqual(text.length);
  }
  expect(work.reads).toBeLessThanOrEqual(maxReads(work));
  if (work.jsonChars > 0) stats.maxReadsPerChar = Math.max(stats.maxReadsPerChar, work.reads / work.jsonChars);
  if (!r.ok) expect(formatScenarioError(r.error).length).toBeGreaterThan(0);
}

describe('scenario files: fuzz', () => {
  it('survives 10,000+ mutated, hostile, random and oversize files, each with its work bounded by the text cap', () => {
    const stats = { n: 0, oversize: 0, maxReadsPerChar: 0 };
    for (const t of LIBRARY_TEXTS) check(t, stats);
    for (const { arb, numRuns, seed } of SCENARIO_FILE_FUZZ) fc.assert(fc.property(arb, (t) => check(t, stats)), { numRuns, seed });
    console.info(`scenario file fuzz: ${stats.n} files (${stats.oversize} over the text cap); at most ${stats.maxReadsPerChar.toFixed(2)} reads per JSON character`);
    expect(stats.n).toBeGreaterThanOrEqual(10_000);
    expect(stats.oversize).toBeGreaterThan(0);
    expect(Object.prototype).not.toHaveProperty('x');
  });
});
