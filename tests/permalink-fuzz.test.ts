/**
 * Fuzzing the permalink decoder: random, mutated and hostile links. Whatever
 * the input, decodePermalink returns (never throws), a refusal carries a
 * sentence, and the work of one call is bounded by PERMALINK_LIMITS, not by
 * the input: a link over maxFragmentChars is refused before anything is
 * unpacked, lz-string never produces more than maxDecompressedChars,
 * JSON.parse never reads more, and the scenario parser's reads are linear in
 * what JSON.parse read. Counted (tests/parse-work.ts), not timed, so a busy
 * machine cannot fail it; `npm run bench` times the same inputs
 * (parse.permalink*). Seeded, so a failure reproduces; over 10,000 inputs.
 * Then 10,000 single-character corruptions of checked inline links (every
 * built-in): at least 99.9% must be refused or open exactly what the link
 * held, never something altered (docs/permalinks.md, "The check").
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { lzUnpackedLength } from '../src/scenarios/lz-bound.ts';
import { LIBRARY } from '../src/scenarios/library/index.ts';
import { canonicalJson, decodePermalink, DEFAULT_VIEW, encodePermalink, parseLocation, PERMALINK_LIMITS, type ViewState } from '../src/scenarios/permalink.ts';
import { type FuzzRun, heaviestValidLinks, hugeLink, LINK_ALPHABET, lz, PERMALINK_FUZZ, PERMALINK_SEED, VALID_LINKS, WORST_CASE_BOMB_UNPACKED, worstCaseBomb } from './fuzz-inputs.ts';
import { maxReads, NO_WORK, type Work, workMeter } from './parse-work.ts';

const meter = workMeter();
const stats = { cases: 0, accepted: 0, max: { lzChars: 0, jsonChars: 0, reads: 0, readsPerChar: 0 } };

/** Why `work` is over the bounds for `input`, or null. */
function overBudget(input: string, work: Work): string | null {
  const link = input.trim().replace(/^#/, '');
  if (link.length > PERMALINK_LIMITS.maxFragmentChars && (work.lzUnpacks > 0 || work.jsonParses > 0 || work.reads > 0)) return 'a link over the length cap was not refused before unpacking';
  if (work.lzUnpacks > 1 || work.jsonParses > 1) return `${work.lzUnpacks} unpacks and ${work.jsonParses} JSON.parse calls (at most 1 each)`;
  if (work.lzChars > PERMALINK_LIMITS.maxDecompressedChars) return `lz-string unpacked ${work.lzChars} characters (cap ${PERMALINK_LIMITS.maxDecompressedChars})`;
  if (work.jsonChars > PERMALINK_LIMITS.maxDecompressedChars) return `JSON.parse read ${work.jsonChars} characters (cap ${PERMALINK_LIMITS.maxDecompressedChars})`;
  if (work.reads > maxReads(work)) return `the scenario parser made ${work.reads} reads for ${work.jsonChars} characters of JSON (at most ${maxReads(work)})`;
  return null;
}

/** The property every input must satisfy; returns the work it took. */
function check(input: string): Work {
  const { result: r, work } = meter.measure(() => decodePermalink(input));
  stats.cases++;
  const over = overBudget(input, work);
  if (over !== null) throw new Error(`${over}: ${JSON.stringify(input.slice(0, 120))} (${input.length} chars)`);
  const max = stats.max;
  max.lzChars = Math.max(max.lzChars, work.lzChars);
  max.jsonChars = Math.max(max.jsonChars, work.jsonChars);
  max.reads = Math.max(max.reads, work.reads);
  if (work.jsonChars > 0) max.readsPerChar = Math.max(max.readsPerChar, work.reads / work.jsonChars);
  if (r.ok) {
    stats.accepted++;
    if (!Array.isArray(r.warnings)) throw new Error('ok without warnings array');
  } else if (typeof r.error !== 'string' || r.error.trim() === '') {
    throw new Error(`refused without a message: ${JSON.stringify(input.slice(0, 120))}`);
  }
  return work;
}

const run = (runs: readonly FuzzRun[]) => {
  for (const { arb, numRuns, seed } of runs) fc.assert(fc.property(arb, (s) => void check(s)), { seed, numRuns });
};

describe('permalink decoder fuzz', () => {
  it('accepts every valid link, counting the work of each', () => {
    for (const v of VALID_LINKS) check(v);
    expect(stats.accepted).toBe(stats.cases);
    // The counters see the decoder's calls (an inline link is unpacked, parsed and read).
    const inline = check(VALID_LINKS.find((v) => v.startsWith('sp1/z/'))!);
    expect(inline).toMatchObject({ lzUnpacks: 1, jsonParses: 1 });
    expect(inline.lzChars).toBe(inline.jsonChars);
    expect(inline.reads).toBeGreaterThan(0);
  });

  it('random strings: any unicode, and the link alphabet behind plausible prefixes', () => {
    run(PERMALINK_FUZZ.random);
  });

  it('mutated valid links: truncation, flips, insertions, duplicated and swapped segments', () => {
    run(PERMALINK_FUZZ.mutated);
  });

  it('valid prefix + garbage', () => {
    run(PERMALINK_FUZZ.prefixGarbage);
  });

  it('huge repeated characters and oversized links: refused before any unpacking', () => {
    run(PERMALINK_FUZZ.oversized);
    const huge = hugeLink();
    expect(check(huge)).toEqual(NO_WORK);
    expect(decodePermalink(huge)).toMatchObject({ ok: false, error: expect.stringMatching(/too long/) });
  });

  it('view settings: random keys and values', () => {
    run(PERMALINK_FUZZ.view);
  });

  it('compressed junk: random JSON, scenario-shaped junk, prototype-pollution payloads', () => {
    run(PERMALINK_FUZZ.compressedJunk);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(Object.prototype)).toEqual([]);
  });

  it('deeply nested arrays and objects', () => {
    run(PERMALINK_FUZZ.nested);
  });

  it('decompression bombs: long runs of one character, packed', () => {
    run(PERMALINK_FUZZ.bombs);
  });

  it('the worst case: the largest expansion a link within the length cap can hold is refused unpacked', () => {
    const bomb = worstCaseBomb();
    expect(bomb.length).toBeLessThanOrEqual(PERMALINK_LIMITS.maxFragmentChars);
    expect(bomb.length).toBeGreaterThan(PERMALINK_LIMITS.maxFragmentChars - 10);
    // Unguarded, lz-string would build ~10 M characters...
    const data = bomb.slice('sp1/z/'.length);
    expect(lz.decompressFromEncodedURIComponent(data).length).toBe(WORST_CASE_BOMB_UNPACKED);
    expect(lzUnpackedLength(data, Infinity)).toEqual({ kind: 'length', length: WORST_CASE_BOMB_UNPACKED });
    // ...the decoder counts first and refuses it without unpacking anything.
    expect(check(bomb)).toEqual(NO_WORK);
    const r = decodePermalink(bomb);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/too large: it unpacks to more than 32768 characters/);
  });

  it('the heaviest links accepted: scenarios at the JSON cap, unpacked and parsed once', () => {
    for (const fragment of heaviestValidLinks()) {
      expect(fragment.length).toBeLessThanOrEqual(PERMALINK_LIMITS.maxFragmentChars);
      const work = check(fragment);
      expect(work.lzUnpacks).toBe(1);
      expect(work.jsonChars).toBeGreaterThan(PERMALINK_LIMITS.maxDecompressedChars - 100);
      expect(decodePermalink(fragment).ok).toBe(true);
    }
  });

  describe('single-character corruptions of inline links', () => {
    // Views a teacher shares: the start, a step under another rule set, event mode with every setting.
    const views: ViewState[] = [
      DEFAULT_VIEW,
      { ...DEFAULT_VIEW, step: 1, rules: 'merged' },
      { step: 1, event: 0, granularity: 'event', rules: 'before', zoom: 1.5, theme: 'dark', overview: true, compare: ['seed', 'merged'] },
    ];
    type Corruption = { readonly kind: 'substitute' | 'delete' | 'insert'; readonly at: number; readonly char: string };
    const corruption = fc.record({
      kind: fc.constantFrom('substitute' as const, 'delete' as const, 'insert' as const),
      // A position, taken modulo the link's length (fc.double would crowd the ends).
      at: fc.nat(),
      char: fc.constantFrom(...LINK_ALPHABET),
    });
    /** One character substituted (with another one of the link alphabet), deleted or inserted. */
    const corrupt = (link: string, c: { kind: Corruption['kind']; at: number; char: string }): string | null => {
      const i = c.at % (c.kind === 'insert' ? link.length + 1 : link.length);
      if (c.kind === 'delete') return link.slice(0, i) + link.slice(i + 1);
      if (c.kind === 'insert') return link.slice(0, i) + c.char + link.slice(i);
      return c.char === link[i] ? null : link.slice(0, i) + c.char + link.slice(i + 1);
    };
    /** Whether `bad` opens something other than `good` does: another scenario or another view. */
    const opensAltered = (bad: string, good: string): { refused: boolean; altered: boolean; unpacked: number } => {
      const { result: r, work } = meter.measure(() => decodePermalink(bad));
      stats.cases++;
      if (r.ok) stats.accepted++;
      if (!r.ok) return { refused: true, altered: false, unpacked: work.lzUnpacks };
      const g = decodePermalink(good);
      if (!g.ok) throw new Error(g.error);
      const same = canonicalJson(r.scenarioJson) === canonicalJson(g.scenarioJson) && canonicalJson(r.link.view) === canonicalJson(g.link.view) && r.warnings.length === g.warnings.length;
      return { refused: false, altered: !same, unpacked: work.lzUnpacks };
    };
    const linksOf = (check: boolean) =>
      LIBRARY.flatMap((e) =>
        views.map((view) => {
          const link = encodePermalink({ scenario: { kind: 'inline', json: e.json }, view });
          // An old link: the same, without the check (links made before it opened as they do now).
          return check ? link : link.replace(/&?k=[^/&]+(\/)?/, (_m, slash: string | undefined) => (link.includes('/k=') ? '' : (slash ?? '')));
        }),
      );
    const sample = (links: string[], numRuns: number, seed: number) => fc.sample(fc.tuple(fc.nat({ max: links.length - 1 }), corruption), { seed, numRuns });

    it('are refused (not opened with altered content) in at least 99.9% of 10,000, before anything is unpacked', () => {
      const links = linksOf(true);
      expect(links.every((l) => /[/&]k=/.test(l))).toBe(true);
      let total = 0;
      let refused = 0;
      let altered = 0;
      const examples: string[] = [];
      for (const [li, c] of sample(links, 10_000, PERMALINK_SEED + 20)) {
        const good = links[li]!;
        const bad = corrupt(good, c);
        if (bad === null) continue;
        total++;
        const o = opensAltered(bad, good);
        if (o.refused) {
          refused++;
          // The check is read before the data: a damaged link costs no unpacking.
          expect(o.unpacked, bad.slice(0, 80)).toBe(0);
        }
        if (o.altered) {
          altered++;
          if (examples.length < 5) examples.push(`${c.kind} at ${c.at % good.length}: ${bad.slice(0, 80)}`);
        }
      }
      const safe = (total - altered) / total;
      console.info(`checked inline links: ${total} single-character corruptions of ${links.length} links (every built-in, ${views.length} views): ${refused} refused, ${total - refused - altered} opened unchanged, ${altered} opened altered; ${(100 * safe).toFixed(2)}% not opened with altered content`);
      expect(total).toBeGreaterThanOrEqual(9_900);
      expect(safe, examples.join('\n')).toBeGreaterThanOrEqual(0.999);
    });

    it('(for comparison) old links without the check do open altered, so the measure above can see it', () => {
      const links = linksOf(false);
      expect(links.some((l) => /[/&]k=/.test(l))).toBe(false);
      let total = 0;
      let altered = 0;
      for (const [li, c] of sample(links, 1_000, PERMALINK_SEED + 21)) {
        const bad = corrupt(links[li]!, c);
        if (bad === null) continue;
        total++;
        if (opensAltered(bad, links[li]!).altered) altered++;
      }
      console.info(`old inline links (no check): ${altered} of ${total} single-character corruptions opened altered (${((100 * altered) / total).toFixed(1)}%)`);
      expect(altered / total).toBeGreaterThan(0.01);
    });
  });

  it('parseLocation never throws', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 }), (hash, search) => {
        const r = parseLocation({ hash, search });
        expect(typeof r.embed).toBe('boolean');
        if (r.fragment !== null) check(r.fragment);
      }),
      { seed: PERMALINK_SEED + 14, numRuns: 500 },
    );
  });

  afterAll(() => {
    meter.restore();
    const { lzChars, jsonChars, reads, readsPerChar } = stats.max;
    console.info(`permalink fuzz: ${stats.cases} decodes (${stats.accepted} accepted); at most ${lzChars} characters unpacked, ${jsonChars} parsed as JSON and ${reads} reads (${readsPerChar.toFixed(2)} per JSON character) in one decode`);
    expect(stats.cases).toBeGreaterThanOrEqual(10_000);
  });
});
