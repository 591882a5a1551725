/**
 * The hostile inputs of the parser tests, in one place because two readers
 * use them: the tests (tests/permalink-fuzz.test.ts,
 * tests/scenario-file-fuzz.test.ts, src/scenarios/schema.test.ts) check the
 * answers and bound the work each input causes (tests/parse-work.ts), and
 * `npm run bench` (bench/parse.ts) times the same inputs. Every generator is
 * seeded, so both see the same inputs on every run.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import * as lzModule from 'lz-string';
import { LIBRARY } from '../src/scenarios/library/index.ts';
import { DEFAULT_VIEW, encodePermalink, PERMALINK_LIMITS, type ViewState } from '../src/scenarios/permalink.ts';
import { PARSER_LIMITS } from '../src/scenarios/schema.ts';

/** lz-string is CommonJS: Node's ESM loader exposes it as `default` (the object the decoder calls too). */
export const lz = (lzModule as unknown as { default?: typeof lzModule }).default ?? lzModule;

/** `numRuns` inputs of `arb`, from `seed`. */
export interface FuzzRun {
  readonly arb: fc.Arbitrary<string>;
  readonly numRuns: number;
  readonly seed: number;
}

/** The inputs of runs, as the tests' fc.assert sees them (for the bench, which only times them). */
export const samples = (runs: readonly FuzzRun[]): string[] => runs.flatMap((r) => fc.sample(r.arb, { seed: r.seed, numRuns: r.numRuns }));

// ---------------------------------------------------------------------------
// Permalinks (decodePermalink)

export const PERMALINK_SEED = 0x5eed_1;

// Seeds: valid links of both kinds, in a few views.
const VIEWS: ViewState[] = [
  DEFAULT_VIEW,
  { step: 2, event: 1, granularity: 'event', rules: 'merged', zoom: 1.25, theme: 'dark' },
  { step: 3, event: null, granularity: 'step', rules: 'before', zoom: 0.75, theme: 'light' },
];
export const VALID_LINKS: readonly string[] = LIBRARY.flatMap((e) =>
  VIEWS.flatMap((view) => [
    encodePermalink({ scenario: { kind: 'builtin', id: e.id, version: e.version }, view }),
    encodePermalink({ scenario: { kind: 'inline', json: e.json }, view }),
  ]),
);
export const LINK_ALPHABET = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+-$/&=._'];
const HOSTILE_CHARS = ['%', '#', '?', ' ', '\n', '\u0000', '\u200b', 'é', '😀', '\ud800', '\udfff', '\ufeff', '"', '\\', '<', '/', '&', '='];

const anyChar = fc.oneof(fc.constantFrom(...LINK_ALPHABET), fc.constantFrom(...HOSTILE_CHARS), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }));
const insertText = fc.oneof(fc.string({ unit: fc.constantFrom(...LINK_ALPHABET), maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 6 }), fc.constantFrom(...HOSTILE_CHARS));

type Mutation = (s: string) => string;
const at = (s: string, frac: number) => Math.min(s.length, Math.floor(frac * (s.length + 1)));
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.double({ min: 0, max: 1, noNaN: true }).map((f): Mutation => (s) => s.slice(0, at(s, f))), // truncate
  fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 1, max: 40 })).map(([f, n]): Mutation => (s) => s.slice(0, at(s, f)) + s.slice(at(s, f) + n)), // delete a range
  fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), anyChar).map(([f, c]): Mutation => (s) => s.slice(0, at(s, f)) + c + s.slice(at(s, f) + 1)), // flip a character
  fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), insertText).map(([f, t]): Mutation => (s) => s.slice(0, at(s, f)) + t + s.slice(at(s, f))), // insert
  fc.tuple(fc.nat(), fc.nat()).map(([i, j]): Mutation => (s) => {
    const parts = s.split('/');
    const k = i % parts.length;
    parts.splice(j % (parts.length + 1), 0, parts[k]!); // duplicate a segment
    return parts.join('/');
  }),
  fc.tuple(fc.nat(), fc.nat()).map(([i, j]): Mutation => (s) => {
    const parts = s.split('/');
    const a = i % parts.length;
    const b = j % parts.length;
    [parts[a], parts[b]] = [parts[b]!, parts[a]!]; // swap segments
    return parts.join('/');
  }),
  fc.constant<Mutation>((s) => s + s), // pasted twice
  fc.constant<Mutation>((s) => s.toUpperCase()),
  fc.constant<Mutation>((s) => {
    try {
      return encodeURIComponent(s); // as some mailers do
    } catch {
      return s; // a lone surrogate
    }
  }),
  fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 31 })).map(([f, bit]): Mutation => (s) => {
    const i = Math.min(s.length - 1, at(s, f));
    if (i < 0) return s;
    return s.slice(0, i) + String.fromCharCode(s.charCodeAt(i) ^ (1 << (bit % 16))) + s.slice(i + 1); // flip a bit of one UTF-16 unit
  }),
);
const mutatedLink = fc.tuple(fc.constantFrom(...VALID_LINKS), fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([s, ms]) => ms.reduce((acc, m) => m(acc), s));

/** A scenario-shaped document with one field replaced by junk, so the scenario parser sees it. */
const PATHS: ReadonlyArray<readonly string[]> = [[], ['title'], ['format'], ['guest'], ['guest', 'mode'], ['guest', 'cr3'], ['memory'], ['steps'], ['host'], ['mappings'], ['tablesAt'], ['__proto__'], ['constructor'], ['guest', '__proto__']];
function withField(base: unknown, path: readonly string[], value: unknown): unknown {
  if (path.length === 0) return value;
  const obj = typeof base === 'object' && base !== null && !Array.isArray(base) ? (base as Record<string, unknown>) : {};
  const [head, ...rest] = path as [string, ...string[]];
  const out = Object.fromEntries(Object.entries(obj));
  Object.defineProperty(out, head, { value: withField(out[head], rest, value), enumerable: true, configurable: true, writable: true });
  return out;
}

const POLLUTION = [
  '{"__proto__":{"x":1}}',
  '{"__proto__":{"polluted":true},"format":"shadowpaging/v1"}',
  '{"constructor":{"prototype":{"polluted":true}}}',
  '{"format":"shadowpaging/v1","title":"t","guest":{"mode":"off","__proto__":{"polluted":1}},"steps":[]}',
  '{"format":"shadowpaging/v1","title":"t","guest":{"mode":"x86-32","cr3":"0x1000"},"memory":[{"gpa":"0x1000","entries":{"__proto__":"0x1"}}],"steps":[]}',
  '{"format":"shadowpaging/v1","title":"t","guest":{"mode":"off"},"steps":[{"op":"read","gva":1,"__proto__":{"op":"write"}}]}',
  '{"format":"shadowpaging/v1","title":"t","guest":{"mode":"off"},"steps":[{"__proto__":{"op":"read"},"gva":1}]}',
  '{"format":"shadowpaging/v1","title":{"toString":"x"},"guest":{"mode":"off"},"steps":[]}',
  '{"format":"shadowpaging/v1","title":"t","guest":{"mode":"off"},"steps":{"length":5}}',
  '{"format":"shadowpaging/v1","title":"t","guest":{"mode":"hasOwnProperty"},"steps":[]}',
];

const packed = (text: string) => `sp1/z/${lz.compressToEncodedURIComponent(text)}`;
const viewKey = fc.constantFrom('s', 'e', 'g', 'r', 'z', 't', 'x', '', 'step', 'S', '__proto__');
const viewValue = fc.oneof(
  fc.constantFrom('0', '1', '3', '999999', '9999999', '01', '-1', '1.5', '1e3', 'NaN', 'event', 'step', 'seed', 'merged', 'before', 'dark', 'light', '0.5', '2.5', '2.75', '99.99', ''),
  fc.string({ unit: fc.constantFrom(...LINK_ALPHABET), maxLength: 8 }),
);
const viewQuery = fc.array(fc.oneof(fc.tuple(viewKey, viewValue).map(([k, v]) => `${k}=${v}`), viewKey), { maxLength: 8 }).map((ps) => ps.join('&'));
// The default view's inline link: only the check setting before its data.
const inlineLink = VALID_LINKS.find((v) => /^sp1\/z\/k=[^&/]+\//.test(v))!.replace(/k=[^/]+\//, '');

/** The decoder's fuzz runs, by kind of damage (one test each). */
export const PERMALINK_FUZZ = {
  /** Any unicode, and the link alphabet behind plausible prefixes. */
  random: [
    { arb: fc.string({ unit: 'binary', maxLength: 300 }), numRuns: 1500, seed: PERMALINK_SEED },
    { arb: fc.string({ unit: 'grapheme', maxLength: 100 }), numRuns: 500, seed: PERMALINK_SEED + 1 },
    {
      arb: fc
        .tuple(fc.constantFrom('', 'sp', 'sp1', 'sp1/', 'sp1/b/', 'sp1/z/', 'sp2/', 'sp1/b/quadrants-32bit/', 'sp1/b/quadrants-32bit/1/', '#sp1/z/'), fc.string({ unit: fc.constantFrom(...LINK_ALPHABET), maxLength: 400 }))
        .map(([p, s]) => p + s),
      numRuns: 1500,
      seed: PERMALINK_SEED + 2,
    },
  ],
  /** Valid links cut, flipped, inserted into, with segments duplicated and swapped. */
  mutated: [{ arb: mutatedLink, numRuns: 3000, seed: PERMALINK_SEED + 3 }],
  /** A valid prefix, then garbage. */
  prefixGarbage: [{ arb: fc.tuple(fc.constantFrom(...VALID_LINKS), fc.double({ min: 0, max: 1, noNaN: true }), insertText).map(([s, f, g]) => s.slice(0, at(s, f)) + g), numRuns: 700, seed: PERMALINK_SEED + 4 }],
  /** One character repeated up to three times the length cap. */
  oversized: [
    {
      arb: fc.tuple(fc.constantFrom('', 'sp1/z/', 'sp1/b/', 'sp1/b/self-map/1/s='), anyChar, fc.integer({ min: 1, max: 3 * PERMALINK_LIMITS.maxFragmentChars })).map(([p, c, n]) => p + c.repeat(n)),
      numRuns: 300,
      seed: PERMALINK_SEED + 5,
    },
  ],
  /** Random view settings, on by-name and inline links. */
  view: [
    { arb: fc.tuple(fc.constantFrom('sp1/b/quadrants-32bit/1/', 'sp1/b/sweep-64-tables/1/', 'sp1/b/paging-off/1/'), viewQuery).map(([b, q]) => b + q), numRuns: 1000, seed: PERMALINK_SEED + 6 },
    { arb: viewQuery.map((q) => `sp1/z/${q}/${inlineLink.slice('sp1/z/'.length)}`), numRuns: 300, seed: PERMALINK_SEED + 7 },
  ],
  /** Compressed junk: random JSON and text, scenario-shaped junk, prototype-pollution payloads. */
  compressedJunk: [
    { arb: fc.jsonValue({ maxDepth: 6 }).map((v) => packed(JSON.stringify(v) ?? '')), numRuns: 1000, seed: PERMALINK_SEED + 8 },
    { arb: fc.string({ unit: 'binary', maxLength: 200 }).map(packed), numRuns: 500, seed: PERMALINK_SEED + 9 },
    { arb: fc.tuple(fc.constantFrom(...LIBRARY), fc.constantFrom(...PATHS), fc.jsonValue({ maxDepth: 3 })).map(([e, path, junk]) => packed(JSON.stringify(withField(e.json, path, junk)))), numRuns: 800, seed: PERMALINK_SEED + 10 },
    { arb: fc.tuple(fc.constantFrom(...POLLUTION), fc.boolean()).map(([p, wrap]) => packed(wrap ? `[${p},${p}]` : p)), numRuns: 100, seed: PERMALINK_SEED + 11 },
  ],
  /** Arrays and objects nested up to 30,000 deep, closed or cut. */
  nested: [
    {
      arb: fc.tuple(fc.integer({ min: 1, max: 30_000 }), fc.constantFrom('[]', '{}', 'title'), fc.boolean()).map(([d, kind, cut]) => {
        let text: string;
        if (kind === '[]') text = '['.repeat(d) + (cut ? '' : ']'.repeat(d));
        else if (kind === '{}') text = '{"a":'.repeat(d) + '1' + (cut ? '' : '}'.repeat(d));
        else text = `{"format":"shadowpaging/v1","title":${'['.repeat(d)}${']'.repeat(d)},"guest":{"mode":"off"},"steps":[]}`;
        return packed(text);
      }),
      numRuns: 150,
      seed: PERMALINK_SEED + 12,
    },
  ],
  /** Decompression bombs: long runs of one character, packed. */
  bombs: [{ arb: fc.tuple(fc.integer({ min: 1000, max: 150_000 }), fc.constantFrom('a', '[', ' ', '"'), fc.constantFrom('', 's=1/')).map(([n, c, v]) => `sp1/z/${v}${lz.compressToEncodedURIComponent(c.repeat(n))}`), numRuns: 40, seed: PERMALINK_SEED + 13 }],
} satisfies Record<string, readonly FuzzRun[]>;

/** Far over the length cap: 50 million characters. */
export const hugeLink = (): string => 'A'.repeat(50_000_000);

/**
 * The largest expansion a link within the length cap can hold:
 * compressToEncodedURIComponent('a'.repeat(9_694_000)). A run of one
 * character is lz-string's best compression (entry k of its dictionary is
 * k+1 long), and a run of 9,696,000 no longer fits the cap. Compressing it
 * takes half a minute, so it is a fixture.
 */
export const WORST_CASE_BOMB_UNPACKED = 9_694_000;
export const worstCaseBomb = (): string => readFileSync(join(import.meta.dirname, 'fixtures', 'permalinks', 'worst-case-bomb.txt'), 'utf8').trim();

/** Valid documents just under maxDecompressedChars, of the kinds that cost the parser most per character, as links. */
export function heaviestValidLinks(): string[] {
  const base = { format: 'shadowpaging/v1', title: 'heavy', guest: { mode: 'x86-32', cr3: '0x1000' } };
  const makers: Array<(n: number) => unknown> = [
    (n) => ({ ...base, steps: Array.from({ length: n }, () => ({ op: 'read', gva: 1 })) }),
    (n) => ({ ...base, steps: Array.from({ length: n }, (_, i) => ({ op: 'write', gva: (i % 1000) * 4, value: i })) }),
    (n) => ({ ...base, guest: { mode: 'x86-32' }, mappings: Array.from({ length: n }, (_, i) => ({ gva: i * 4096, gpa: 4096, flags: 'rw' })), steps: [] }),
    (n) => ({ ...base, guest: { mode: 'x86-64', cr3: '0x1000' }, steps: Array.from({ length: n }, () => ({ op: 'cr3', value: 0x1000, noflush: true })) }),
  ];
  return makers.map((make) => {
    let n = 1;
    while (JSON.stringify(make(n + 1)).length <= PERMALINK_LIMITS.maxDecompressedChars) n++;
    return packed(JSON.stringify(make(n)));
  });
}

// ---------------------------------------------------------------------------
// Scenario files (parseScenarioText: "Import .json" and the JSON editor)

export const LIBRARY_TEXTS: readonly string[] = LIBRARY.map((e) => JSON.stringify(e.json));

/** A built-in's text with random damage: cuts, flipped characters, inserted junk, duplicated slices. */
const mutatedFile = fc
  .tuple(fc.constantFrom(...LIBRARY_TEXTS), fc.array(fc.tuple(fc.nat(), fc.nat(), fc.constantFrom('cut', 'flip', 'insert', 'dup', 'swap-digit')), { minLength: 1, maxLength: 6 }), fc.string({ maxLength: 12 }))
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
const hostileFile = fc
  .record({
    format: fc.constantFrom('shadowpaging/v1', 'shadowpaging/v2', '', '__proto__'),
    title: fc.oneof(fc.string({ maxLength: 20 }), fc.constant('<img src=x onerror=alert(1)>')),
    guest: fc.record({ mode: fc.constantFrom('x86-32', 'pae', 'x86-64', 'off', 'bogus'), cr3: fc.oneof(fc.constant('0x1000'), fc.constant('0xffffffffffffffffffff'), fc.integer(), fc.constant(null)) }),
    memory: fc.array(fc.record({ gpa: fc.oneof(fc.constant('0x1000'), fc.string({ maxLength: 8 })), entries: fc.dictionary(fc.oneof(fc.nat({ max: 2000 }).map(String), fc.constant('__proto__')), fc.oneof(fc.constant('0x27'), fc.string({ maxLength: 4 }))) }), { maxLength: 3 }),
    steps: fc.array(fc.record({ op: fc.constantFrom('read', 'write', 'cr3', 'invlpg', 'nope'), gva: fc.oneof(fc.constant('0xC0403123'), fc.integer(), fc.string({ maxLength: 6 })) }), { maxLength: 8 }),
  })
  .map((o) => JSON.stringify(o));

export const SCENARIO_FILE_FUZZ: readonly FuzzRun[] = [
  { arb: mutatedFile, numRuns: 6000 },
  { arb: hostileFile, numRuns: 2500 },
  { arb: fc.string({ maxLength: 200 }), numRuns: 1000 },
  { arb: fc.json(), numRuns: 500 },
  { arb: fc.nat({ max: 5000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`), numRuns: 50 }, // deep
  { arb: fc.nat({ max: 200_000 }).map((n) => `{"format":"shadowpaging/v1","title":"${'a'.repeat(n)}"}`), numRuns: 20 }, // huge
  // Past the text cap: refused before JSON.parse, whatever follows.
  { arb: fc.tuple(fc.nat({ max: 1000 }), fc.constantFrom(' ', '[', '{"format":"shadowpaging/v1","title":"')).map(([n, head]) => head + ' '.repeat(PARSER_LIMITS.maxTextChars + n)), numRuns: 5 },
].map((r, i) => ({ ...r, seed: 4242 + i }));

// ---------------------------------------------------------------------------
// The schema test's large inputs (parseScenario and parseScenarioText)

export interface LargeInput {
  readonly name: string;
  /** Given to parseScenarioText if a string, else to parseScenario. */
  readonly input: string | { readonly value: unknown };
  /** The field the refusal must name ('' for the document as a whole). */
  readonly path: string;
}

/** Deep nesting, huge arrays and objects, and text over the cap, alone or inside `base` (a valid document); built on each call. */
export function largeInputs(base: Record<string, unknown>): LargeInput[] {
  let deep: unknown = 1;
  for (let i = 0; i < 100_000; i++) deep = { steps: [deep] };
  const manyKeys: Record<string, string> = {};
  for (let i = 0; i < 100_000; i++) manyKeys[String(i)] = '0x1';
  return [
    { name: '100,000 nested arrays', input: '['.repeat(100_000) + ']'.repeat(100_000), path: '' },
    { name: '50,000 nested objects', input: '{"a":'.repeat(50_000) + '1' + '}'.repeat(50_000), path: 'format' },
    { name: '100,000 nested steps', input: { value: deep }, path: 'format' },
    { name: '100,000 nested steps as the steps', input: { value: { ...base, steps: deep } }, path: 'steps' },
    { name: '5,000,000 steps', input: { value: { ...base, steps: new Array(5_000_000) } }, path: 'steps' },
    { name: '100,000 entries in a frame', input: { value: { ...base, memory: [{ gpa: 0, entries: manyKeys }] } }, path: 'memory[0].entries' },
    { name: '20 MiB of text', input: 'x'.repeat(20 * 1024 * 1024), path: '' },
  ];
}
