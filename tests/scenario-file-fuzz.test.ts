/**
 * Bad input, files: at least 10,000 mutated and random scenario files thrown
 * at the parser (what "Import .json" and the JSON editor use). Nothing may
 * throw, every answer is ok or one error naming a field, and no input takes
 * over 50 ms to accept or reject.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LIBRARY } from '../src/scenarios/library/index.ts';
import { formatScenarioError, parseScenarioText } from '../src/scenarios/schema.ts';

const texts = LIBRARY.map((e) => JSON.stringify(e.json));

/** A built-in's text with random damage: cuts, flipped characters, inserted junk, duplicated slices. */
const mutated = fc
  .tuple(fc.constantFrom(...texts), fc.array(fc.tuple(fc.nat(), fc.nat(), fc.constantFrom('cut', 'flip', 'insert', 'dup', 'swap-digit')), { minLength: 1, maxLength: 6 }), fc.string({ maxLength: 12 }))
  .map(([t, ops, junk]) => {
    let s = t;
    for (const [a, b, op] of ops) {
      const i = a % Math.max(1, s.length);
      const j = b % Math.max(1, s.length);
      if (op === 'cut') s = s.slice(0, Math.max(i, j));
      else if (op === 'flip') s = s.slice(0, i) + String.fromCharCode((s.charCodeAt(i) ^ (1 + (b % 31))) & 0xffff) + s.slice(i + 1);
      else if (op === 'insert') s = s.slice(0, i) + junk + s.slice(i);
      else if (op === 'dup') s = s.slice(0, i) + s.slice(Math.min(i, j), Math.max(i, j)) + s.slice(i);
      else s = s.replace(/[0-9]/, String((a + b) % 10));
    }
    return s;
  });

/** Valid JSON of the right shape with hostile values. */
const hostile = fc
  .record({
    format: fc.constantFrom('shadowpaging/v1', 'shadowpaging/v2', '', '__proto__'),
    title: fc.oneof(fc.string({ maxLength: 20 }), fc.constant('<img src=x onerror=alert(1)>')),
    guest: fc.record({ mode: fc.constantFrom('x86-32', 'pae', 'x86-64', 'off', 'bogus'), cr3: fc.oneof(fc.constant('0x1000'), fc.constant('0xffffffffffffffffffff'), fc.integer(), fc.constant(null)) }),
    memory: fc.array(fc.record({ gpa: fc.oneof(fc.constant('0x1000'), fc.string({ maxLength: 8 })), entries: fc.dictionary(fc.oneof(fc.nat({ max: 2000 }).map(String), fc.constant('__proto__')), fc.oneof(fc.constant('0x27'), fc.string({ maxLength: 4 }))) }), { maxLength: 3 }),
    steps: fc.array(fc.record({ op: fc.constantFrom('read', 'write', 'cr3', 'invlpg', 'nope'), gva: fc.oneof(fc.constant('0xC0403123'), fc.integer(), fc.string({ maxLength: 6 })) }), { maxLength: 8 }),
  })
  .map((o) => JSON.stringify(o));

const deep = fc.nat({ max: 5000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`);
const huge = fc.nat({ max: 200_000 }).map((n) => `{"format":"shadowpaging/v1","title":"${'a'.repeat(n)}"}`);

function check(text: string, stats: { n: number; worst: number }) {
  const t0 = performance.now();
  let r: ReturnType<typeof parseScenarioText>;
  try {
    r = parseScenarioText(text);
  } catch (e) {
    throw new Error(`parseScenarioText threw on ${JSON.stringify(text.slice(0, 200))}: ${(e as Error).message}`, { cause: e });
  }
  const ms = performance.now() - t0;
  stats.n++;
  stats.worst = Math.max(stats.worst, ms);
  expect(ms).toBeLessThan(50);
  if (!r.ok) expect(formatScenarioError(r.error).length).toBeGreaterThan(0);
}

describe('scenario files: fuzz', () => {
  it('survives 10,000+ mutated, hostile and random files, each accepted or rejected in under 50 ms', () => {
    const stats = { n: 0, worst: 0 };
    for (const t of texts) check(t, stats); // warm up the parser (JIT) before timing counts
    const runs: Array<[fc.Arbitrary<string>, number]> = [
      [mutated, 6000],
      [hostile, 2500],
      [fc.string({ maxLength: 200 }), 1000],
      [fc.json(), 500],
      [deep, 50],
      [huge, 20],
    ];
    runs.forEach(([arb, numRuns], i) => fc.assert(fc.property(arb, (t) => check(t, stats)), { numRuns, seed: 4242 + i }));
    expect(stats.n).toBeGreaterThanOrEqual(10_000);
    expect(Object.prototype).not.toHaveProperty('x');
  });
});
