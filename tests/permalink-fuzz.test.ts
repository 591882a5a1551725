/**
 * Fuzzing the permalink decoder: random, mutated and hostile links. Whatever
 * the input, decodePermalink returns (never throws), a refusal carries a
 * sentence, and no single call takes 50 ms or more. Seeded, so a failure
 * reproduces; over 10,000 inputs in all, in a few seconds.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import * as lzModule from 'lz-string';
import { afterAll, describe, expect, it } from 'vitest';
import { LIBRARY } from '../src/scenarios/library/index.ts';
import { lzUnpackedLength } from '../src/scenarios/lz-bound.ts';
import { decodePermalink, DEFAULT_VIEW, encodePermalink, parseLocation, PERMALINK_LIMITS, type ViewState } from '../src/scenarios/permalink.ts';

const lz = (lzModule as unknown as { default?: typeof lzModule }).default ?? lzModule;
const SEED = 0x5eed_1;
const MAX_MS = 50;

const stats = { cases: 0, accepted: 0, maxMs: 0, slowest: '' };
const started = performance.now();

/** The property every input must satisfy. */
function check(input: string): void {
  const t0 = performance.now();
  const r = decodePermalink(input);
  const ms = performance.now() - t0;
  stats.cases++;
  if (ms > stats.maxMs) {
    stats.maxMs = ms;
    stats.slowest = input.slice(0, 80);
  }
  if (ms >= MAX_MS) throw new Error(`decode took ${ms.toFixed(1)} ms (limit ${MAX_MS}) for ${JSON.stringify(input.slice(0, 120))} (${input.length} chars)`);
  if (r.ok) {
    stats.accepted++;
    if (!Array.isArray(r.warnings)) throw new Error('ok without warnings array');
  } else if (typeof r.error !== 'string' || r.error.trim() === '') {
    throw new Error(`refused without a message: ${JSON.stringify(input.slice(0, 120))}`);
  }
}

const run = (arb: fc.Arbitrary<string>, numRuns: number, seed: number) =>
  fc.assert(
    fc.property(arb, (s) => check(s)),
    { seed, numRuns },
  );

// --- seeds: valid links of both kinds
const VIEWS: ViewState[] = [
  DEFAULT_VIEW,
  { step: 2, event: 1, granularity: 'event', rules: 'merged', zoom: 1.25, theme: 'dark' },
  { step: 3, event: null, granularity: 'step', rules: 'before', zoom: 0.75, theme: 'light' },
];
const VALID: string[] = LIBRARY.flatMap((e) =>
  VIEWS.flatMap((view) => [
    encodePermalink({ scenario: { kind: 'builtin', id: e.id, version: e.version }, view }),
    encodePermalink({ scenario: { kind: 'inline', json: e.json }, view }),
  ]),
);
const LINK_ALPHABET = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+-$/&=._'];
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
const mutated = fc.tuple(fc.constantFrom(...VALID), fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([s, ms]) => ms.reduce((acc, m) => m(acc), s));

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

describe('permalink decoder fuzz', () => {
  it('warms up (so JIT compilation is not timed as a decode)', () => {
    for (let k = 0; k < 3; k++) for (const v of VALID) check(v);
    expect(stats.accepted).toBe(stats.cases);
  });

  it('random strings: any unicode, and the link alphabet behind plausible prefixes', () => {
    run(fc.string({ unit: 'binary', maxLength: 300 }), 1500, SEED);
    run(fc.string({ unit: 'grapheme', maxLength: 100 }), 500, SEED + 1);
    const prefix = fc.constantFrom('', 'sp', 'sp1', 'sp1/', 'sp1/b/', 'sp1/z/', 'sp2/', 'sp1/b/quadrants-32bit/', 'sp1/b/quadrants-32bit/1/', '#sp1/z/');
    run(fc.tuple(prefix, fc.string({ unit: fc.constantFrom(...LINK_ALPHABET), maxLength: 400 })).map(([p, s]) => p + s), 1500, SEED + 2);
  });

  it('mutated valid links: truncation, flips, insertions, duplicated and swapped segments', () => {
    run(mutated, 3000, SEED + 3);
  });

  it('valid prefix + garbage', () => {
    run(fc.tuple(fc.constantFrom(...VALID), fc.double({ min: 0, max: 1, noNaN: true }), insertText).map(([s, f, g]) => s.slice(0, at(s, f)) + g), 700, SEED + 4);
  });

  it('huge repeated characters and oversized links', () => {
    const big = fc.tuple(fc.constantFrom('', 'sp1/z/', 'sp1/b/', 'sp1/b/self-map/1/s='), anyChar, fc.integer({ min: 1, max: 3 * PERMALINK_LIMITS.maxFragmentChars })).map(([p, c, n]) => p + c.repeat(n));
    run(big, 300, SEED + 5);
    check('A'.repeat(50_000_000));
  });

  it('view settings: random keys and values', () => {
    const key = fc.constantFrom('s', 'e', 'g', 'r', 'z', 't', 'x', '', 'step', 'S', '__proto__');
    const value = fc.oneof(fc.constantFrom('0', '1', '3', '999999', '9999999', '01', '-1', '1.5', '1e3', 'NaN', 'event', 'step', 'seed', 'merged', 'before', 'dark', 'light', '0.5', '2.5', '2.75', '99.99', ''), fc.string({ unit: fc.constantFrom(...LINK_ALPHABET), maxLength: 8 }));
    const param = fc.oneof(fc.tuple(key, value).map(([k, v]) => `${k}=${v}`), key);
    const query = fc.array(param, { maxLength: 8 }).map((ps) => ps.join('&'));
    const base = fc.constantFrom('sp1/b/quadrants-32bit/1/', 'sp1/b/sweep-64-tables/1/', 'sp1/b/paging-off/1/');
    run(fc.tuple(base, query).map(([b, q]) => b + q), 1000, SEED + 6);
    const inline = VALID.find((v) => v.startsWith('sp1/z/') && !v.includes('='))!;
    run(query.map((q) => `sp1/z/${q}/${inline.slice('sp1/z/'.length)}`), 300, SEED + 7);
  });

  it('compressed junk: random JSON, scenario-shaped junk, prototype-pollution payloads', () => {
    run(fc.jsonValue({ maxDepth: 6 }).map((v) => `sp1/z/${lz.compressToEncodedURIComponent(JSON.stringify(v) ?? '')}`), 1000, SEED + 8);
    run(fc.string({ unit: 'binary', maxLength: 200 }).map((t) => `sp1/z/${lz.compressToEncodedURIComponent(t)}`), 500, SEED + 9);
    const shaped = fc.tuple(fc.constantFrom(...LIBRARY), fc.constantFrom(...PATHS), fc.jsonValue({ maxDepth: 3 })).map(([e, path, junk]) => `sp1/z/${lz.compressToEncodedURIComponent(JSON.stringify(withField(e.json, path, junk)))}`);
    run(shaped, 800, SEED + 10);
    const pollution = fc.tuple(fc.constantFrom(...POLLUTION), fc.boolean()).map(([p, wrap]) => `sp1/z/${lz.compressToEncodedURIComponent(wrap ? `[${p},${p}]` : p)}`);
    run(pollution, 100, SEED + 11);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(Object.prototype)).toEqual([]);
  });

  it('deeply nested arrays and objects', () => {
    const nested = fc.tuple(fc.integer({ min: 1, max: 30_000 }), fc.constantFrom('[]', '{}', 'title'), fc.boolean()).map(([d, kind, cut]) => {
      let text: string;
      if (kind === '[]') text = '['.repeat(d) + (cut ? '' : ']'.repeat(d));
      else if (kind === '{}') text = '{"a":'.repeat(d) + '1' + (cut ? '' : '}'.repeat(d));
      else text = `{"format":"shadowpaging/v1","title":${'['.repeat(d)}${']'.repeat(d)},"guest":{"mode":"off"},"steps":[]}`;
      return `sp1/z/${lz.compressToEncodedURIComponent(text)}`;
    });
    run(nested, 150, SEED + 12);
  });

  it('decompression bombs: long runs of one character, packed', () => {
    const bomb = fc.tuple(fc.integer({ min: 1000, max: 150_000 }), fc.constantFrom('a', '[', ' ', '"'), fc.constantFrom('', 's=1/')).map(([n, c, v]) => `sp1/z/${v}${lz.compressToEncodedURIComponent(c.repeat(n))}`);
    run(bomb, 40, SEED + 13);
  });

  it('the worst case: the largest expansion a link within the length cap can hold', () => {
    // Made once with compressToEncodedURIComponent('a'.repeat(9_694_000)): a
    // run of one character is lz-string's best compression (entry k of its
    // dictionary is k+1 long), and a run of 9,696,000 no longer fits the cap.
    // Compressing it takes half a minute, so it is a fixture.
    const bomb = readFileSync(join(import.meta.dirname, 'fixtures', 'permalinks', 'worst-case-bomb.txt'), 'utf8').trim();
    expect(bomb.length).toBeLessThanOrEqual(PERMALINK_LIMITS.maxFragmentChars);
    expect(bomb.length).toBeGreaterThan(PERMALINK_LIMITS.maxFragmentChars - 10);
    // Unguarded, lz-string would build ~10 M characters...
    const t0 = performance.now();
    const unpacked = lz.decompressFromEncodedURIComponent(bomb.slice('sp1/z/'.length));
    const unpackMs = performance.now() - t0;
    expect(unpacked.length).toBe(9_694_000);
    expect(lzUnpackedLength(bomb.slice('sp1/z/'.length), Infinity)).toEqual({ kind: 'length', length: 9_694_000 });
    // ...the decoder counts first and refuses it.
    const times: number[] = [];
    for (let k = 0; k < 5; k++) {
      const s = performance.now();
      const r = decodePermalink(bomb);
      times.push(performance.now() - s);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toMatch(/too large: it unpacks to more than 32768 characters/);
      check(bomb);
    }
    console.info(`worst-case link: ${bomb.length} chars would unpack to ${unpacked.length} (${unpackMs.toFixed(1)} ms in lz-string); decode refuses it in ${Math.max(...times).toFixed(2)} ms`);
    expect(Math.max(...times)).toBeLessThan(MAX_MS);
  });

  it('the heaviest links accepted: scenarios at the JSON cap', () => {
    // Valid documents just under maxDecompressedChars, of the kinds that cost the parser most per character.
    const base = { format: 'shadowpaging/v1', title: 'heavy', guest: { mode: 'x86-32', cr3: '0x1000' } };
    const makers: Array<(n: number) => unknown> = [
      (n) => ({ ...base, steps: Array.from({ length: n }, () => ({ op: 'read', gva: 1 })) }),
      (n) => ({ ...base, steps: Array.from({ length: n }, (_, i) => ({ op: 'write', gva: (i % 1000) * 4, value: i })) }),
      (n) => ({ ...base, guest: { mode: 'x86-32' }, mappings: Array.from({ length: n }, (_, i) => ({ gva: i * 4096, gpa: 4096, flags: 'rw' })), steps: [] }),
      (n) => ({ ...base, guest: { mode: 'x86-64', cr3: '0x1000' }, steps: Array.from({ length: n }, () => ({ op: 'cr3', value: 0x1000, noflush: true })) }),
    ];
    for (const make of makers) {
      let n = 1;
      while (JSON.stringify(make(n + 1)).length <= PERMALINK_LIMITS.maxDecompressedChars) n++;
      const fragment = `sp1/z/${lz.compressToEncodedURIComponent(JSON.stringify(make(n)))}`;
      expect(fragment.length).toBeLessThanOrEqual(PERMALINK_LIMITS.maxFragmentChars);
      for (let k = 0; k < 5; k++) check(fragment);
      expect(decodePermalink(fragment).ok).toBe(true);
    }
  });

  it('parseLocation never throws', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 }), (hash, search) => {
        const r = parseLocation({ hash, search });
        expect(typeof r.embed).toBe('boolean');
        if (r.fragment !== null) check(r.fragment);
      }),
      { seed: SEED + 14, numRuns: 500 },
    );
  });

  afterAll(() => {
    const seconds = (performance.now() - started) / 1000;
    console.info(`permalink fuzz: ${stats.cases} decodes (${stats.accepted} accepted) in ${seconds.toFixed(1)} s; slowest ${stats.maxMs.toFixed(1)} ms (${JSON.stringify(stats.slowest)})`);
    expect(stats.cases).toBeGreaterThanOrEqual(10_000);
    expect(seconds).toBeLessThan(20);
  });
});
