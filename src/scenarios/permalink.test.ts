import fc from 'fast-check';
import * as lzModule from 'lz-string';
import { describe, expect, it } from 'vitest';
import { RULE_SETS } from '../core/mmu/rules.ts';
import { LIBRARY } from './library/index.ts';
import {
  canonicalJson,
  decodePermalink,
  DEFAULT_VIEW,
  encodePermalink,
  fitViewEvent,
  linkCheck,
  linkScenarioFor,
  normalizeView,
  parseLocation,
  PERMALINK_LIMITS,
  PermalinkError,
  permalinkUrl,
  tryEncodePermalink,
  type DecodeResult,
  type LinkScenario,
  type Permalink,
  type ViewState,
} from './permalink.ts';
import { crc32 } from './crc32.ts';

/** The issue's budget for a link to a built-in, counted as `#` + fragment. */
const LINK_BUDGET = 1500;
/** Built-ins whose whole-scenario (inline) link is over the budget; they are shared by name (docs/permalinks.md). */
const INLINE_OVER_BUDGET = ['sweep-64-tables'];

const lz = (lzModule as unknown as { default?: typeof lzModule }).default ?? lzModule;
const view = (o: Partial<ViewState> = {}): ViewState => ({ ...DEFAULT_VIEW, ...o });
const builtin = (id: string, version = 1): LinkScenario => ({ kind: 'builtin', id, version });

function ok(r: DecodeResult): Extract<DecodeResult, { ok: true }> {
  if (!r.ok) throw new Error(`expected a decoded link, got: ${r.error}`);
  return r;
}

function errorOf(fragment: string): string {
  const r = decodePermalink(fragment);
  if (r.ok) throw new Error(`expected ${JSON.stringify(fragment.slice(0, 80))} to be refused`);
  expect(r.error.length).toBeGreaterThan(0);
  return r.error;
}

/** A view that fits every built-in (the smallest has 3 steps). */
const VIEWS: ViewState[] = [
  DEFAULT_VIEW,
  view({ step: 1 }),
  view({ step: 2, rules: 'merged' }),
  view({ step: 3, event: 2, granularity: 'event', rules: 'before', zoom: 1.25, theme: 'dark' }),
  view({ step: 1, event: null, granularity: 'event', theme: 'light' }),
  view({ step: 0, event: 0, granularity: 'event', zoom: 0.5 }),
  view({ zoom: 2.5, theme: 'dark' }),
  view({ step: 2, overview: true }),
  view({ step: 1, presenting: true }),
  view({ step: 3, event: 1, granularity: 'event', theme: 'dark', overview: true, presenting: true }),
];

describe('round trips', () => {
  for (const entry of LIBRARY) {
    it(`${entry.id}: by name and inline, in every view`, () => {
      const steps = ok(decodePermalink(`sp1/b/${entry.id}/${entry.version}`)).scenario.steps.length;
      for (const v of [...VIEWS, view({ step: steps }), view({ step: steps, event: 7, granularity: 'event', rules: 'merged', zoom: 1.75, theme: 'dark' })]) {
        const byName = encodePermalink({ scenario: builtin(entry.id, entry.version), view: v });
        const a = ok(decodePermalink(byName));
        expect(a.link).toEqual({ scenario: builtin(entry.id, entry.version), view: v });
        expect(a.scenarioJson).toBe(entry.json);
        expect(a.warnings).toEqual([]);
        expect(byName.length + 1).toBeLessThan(LINK_BUDGET);

        const inline = encodePermalink({ scenario: { kind: 'inline', json: entry.json }, view: v });
        const b = ok(decodePermalink(inline));
        expect(b.link.view).toEqual(v);
        expect(b.scenarioJson).toEqual(entry.json);
        expect(b.scenario).toEqual(a.scenario);
        expect(b.warnings).toEqual([]);
        expect(inline.length).toBeLessThanOrEqual(PERMALINK_LIMITS.maxFragmentChars);
      }
    });
  }

  it('keeps inline links to built-ins under the budget, except the documented ones', () => {
    const full = view({ step: 3, event: 12, granularity: 'event', rules: 'merged', zoom: 1.25, theme: 'dark' });
    const sizes = LIBRARY.map((e) => ({
      id: e.id,
      byName: encodePermalink({ scenario: builtin(e.id, e.version), view: full }).length + 1,
      inline: encodePermalink({ scenario: { kind: 'inline', json: e.json }, view: full }).length + 1,
    }));
    console.info(`permalink sizes ('#' + fragment):\n${sizes.map((s) => `  ${s.id.padEnd(22)} by name ${String(s.byName).padStart(4)}   inline ${String(s.inline).padStart(5)}`).join('\n')}`);
    expect(sizes.filter((s) => s.inline >= LINK_BUDGET).map((s) => s.id)).toEqual(INLINE_OVER_BUDGET);
    expect(Math.max(...sizes.map((s) => s.byName))).toBeLessThan(100);
  });

  it('round-trips random views (the decoded view is the normalized one)', () => {
    const arb = fc.record({
      entry: fc.constantFrom(...LIBRARY),
      inline: fc.boolean(),
      stepFrac: fc.double({ min: 0, max: 1, noNaN: true }),
      event: fc.option(fc.nat({ max: 500 })),
      granularity: fc.constantFrom('step' as const, 'event' as const),
      rules: fc.constantFrom(...RULE_SETS),
      zoom: fc.double({ min: 0.1, max: 5, noNaN: true }),
      theme: fc.constantFrom(null, 'light' as const, 'dark' as const),
      overview: fc.boolean(),
      presenting: fc.boolean(),
      compare: fc.option(fc.subarray([...RULE_SETS], { minLength: 2 })),
    });
    fc.assert(
      fc.property(arb, (c) => {
        const steps = ok(decodePermalink(`sp1/b/${c.entry.id}/${c.entry.version}`)).scenario.steps.length;
        const v: ViewState = { step: Math.floor(c.stepFrac * steps), event: c.event, granularity: c.granularity, rules: c.rules, zoom: c.zoom, theme: c.theme, ...(c.overview ? { overview: true as const } : {}), ...(c.presenting ? { presenting: true as const } : {}), ...(c.compare ? { compare: [...c.compare].reverse() } : {}) };
        const scenario: LinkScenario = c.inline ? { kind: 'inline', json: c.entry.json } : builtin(c.entry.id, c.entry.version);
        const norm = normalizeView(v);
        if (!norm.ok) throw new Error(norm.error);
        const r = ok(decodePermalink(encodePermalink({ scenario, view: v })));
        expect(r.link.view).toEqual(norm.value);
        expect(r.warnings).toEqual([]);
      }),
      { seed: 20_241_125, numRuns: 300 },
    );
  });
});

describe('encoding', () => {
  it('leaves defaults out and writes settings in a fixed order', () => {
    expect(encodePermalink({ scenario: builtin('quadrants-32bit'), view: DEFAULT_VIEW })).toBe('sp1/b/quadrants-32bit/1');
    expect(encodePermalink({ scenario: builtin('quadrants-32bit'), view: view({ theme: 'dark', step: 2, rules: 'merged' }) })).toBe(
      'sp1/b/quadrants-32bit/1/s=2&r=merged&t=dark',
    );
    expect(
      encodePermalink({ scenario: builtin('quadrants-32bit'), view: view({ zoom: 1.5, granularity: 'event', event: 4, step: 1, rules: 'before', theme: 'light' }) }),
    ).toBe('sp1/b/quadrants-32bit/1/s=1&e=4&g=event&r=before&z=1.5&t=light');
    expect(encodePermalink({ scenario: builtin('quadrants-32bit'), view: view({ step: 3, theme: 'dark', overview: true }) })).toBe('sp1/b/quadrants-32bit/1/s=3&t=dark&o=1');
    expect(ok(decodePermalink('sp1/b/quadrants-32bit/1/s=3&o=1')).link.view).toEqual(view({ step: 3, overview: true }));
    expect(encodePermalink({ scenario: builtin('quadrants-32bit'), view: view({ presenting: true }) })).toBe('sp1/b/quadrants-32bit/1/p=1');
    expect(encodePermalink({ scenario: builtin('quadrants-32bit'), view: view({ presenting: true, overview: true, zoom: 1.5, step: 2 }) })).toBe('sp1/b/quadrants-32bit/1/s=2&z=1.5&o=1&p=1');
    // Off is left out of the view, not false, so a view compares equal to one from a link made before "p".
    expect(ok(decodePermalink('sp1/b/quadrants-32bit/1/p=1&s=3')).link.view).toEqual(view({ step: 3, presenting: true }));
    expect(ok(decodePermalink('sp1/b/quadrants-32bit/1/s=3')).link.view).not.toHaveProperty('presenting');
    // The Compare view: its rule sets in RULE_SETS order, whatever order the view lists them in.
    expect(encodePermalink({ scenario: builtin('quadrants-32bit'), view: view({ step: 2, compare: ['merged', 'before'] }) })).toBe('sp1/b/quadrants-32bit/1/s=2&c=before.merged');
    expect(ok(decodePermalink('sp1/b/quadrants-32bit/1/c=merged-no-7.seed.merged&s=1')).link.view).toEqual(view({ step: 1, compare: ['seed', 'merged', 'merged-no-7'] }));
    expect(ok(decodePermalink('sp1/b/quadrants-32bit/1/s=3')).link.view).not.toHaveProperty('compare');
    const inline = encodePermalink({ scenario: { kind: 'inline', json: LIBRARY[0]!.json }, view: view({ step: 2 }) });
    // The check comes last among the settings (and alone at the default view).
    expect(inline).toMatch(/^sp1\/z\/s=2&k=[A-D][A-Za-z0-9_-]{5}\/[A-Za-z0-9+$-]+$/);
    expect(encodePermalink({ scenario: { kind: 'inline', json: LIBRARY[0]!.json }, view: DEFAULT_VIEW })).toMatch(/^sp1\/z\/k=[A-D][A-Za-z0-9_-]{5}\/[A-Za-z0-9+$-]+$/);
  });

  it('normalizes the view: zoom to a quarter in range, no event outside event mode', () => {
    const p: Permalink = { scenario: builtin('quadrants-32bit'), view: view({ zoom: 1.3, event: 3 }) };
    expect(encodePermalink(p)).toBe('sp1/b/quadrants-32bit/1/z=1.25');
    expect(encodePermalink({ ...p, view: view({ zoom: 9 }) })).toBe('sp1/b/quadrants-32bit/1/z=2.5');
    expect(encodePermalink({ ...p, view: view({ zoom: 0.01 }) })).toBe('sp1/b/quadrants-32bit/1/z=0.5');
  });

  it('gives the same link for the same document whatever its key order', () => {
    const json = LIBRARY[0]!.json as Record<string, unknown>;
    const reordered = Object.fromEntries(Object.entries(json).reverse());
    const a = encodePermalink({ scenario: { kind: 'inline', json }, view: DEFAULT_VIEW });
    expect(encodePermalink({ scenario: { kind: 'inline', json: reordered }, view: DEFAULT_VIEW })).toBe(a);
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: 2 } })).toBe('{"a":{"c":2,"d":[{"y":2,"z":1}]},"b":1}');
  });

  it('canonicalJson is as long as the plain JSON (the link\'s size check reads the plain one)', () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => canonicalJson(v)!.length === JSON.stringify(v).length));
    // A parsed "__proto__" key is a plain key in both.
    const odd = JSON.parse('{"b":1,"__proto__":{"x":[1,{"z":0,"a":""}]},"a":null}') as unknown;
    expect(canonicalJson(odd)!.length).toBe(JSON.stringify(odd).length);
  });

  it('refuses what cannot be linked, with a sentence (and encodePermalink throws it)', () => {
    const cases: Array<[Permalink, RegExp]> = [
      [{ scenario: builtin('no-such-scenario'), view: DEFAULT_VIEW }, /no built-in scenario "no-such-scenario" version 1/],
      [{ scenario: builtin('quadrants-32bit', 7), view: DEFAULT_VIEW }, /version 7/],
      [{ scenario: { kind: 'inline', json: { format: 'shadowpaging/v1' } }, view: DEFAULT_VIEW }, /not valid.*title/],
      [{ scenario: builtin('quadrants-32bit'), view: view({ step: -1 }) }, /step/],
      [{ scenario: builtin('quadrants-32bit'), view: view({ step: 1.5 }) }, /step/],
      [{ scenario: builtin('quadrants-32bit'), view: view({ granularity: 'event', event: Number.NaN }) }, /event/],
      [{ scenario: builtin('quadrants-32bit'), view: view({ zoom: Number.POSITIVE_INFINITY }) }, /zoom/],
      [{ scenario: builtin('quadrants-32bit'), view: view({ rules: 'other' as 'seed' }) }, /rule set/],
      [{ scenario: builtin('quadrants-32bit'), view: view({ overview: false as unknown as true }) }, /^The overview must be true or left out, not false\.$/],
      [{ scenario: builtin('quadrants-32bit'), view: view({ presenting: 1 as unknown as true }) }, /^The presenting mode must be true or left out, not 1\.$/],
      [{ scenario: builtin('quadrants-32bit'), view: view({ compare: ['seed'] }) }, /^Compare needs two or more rule sets, not 1\.$/],
      [{ scenario: builtin('quadrants-32bit'), view: view({ compare: ['seed', 'seed'] }) }, /compared twice/],
      [{ scenario: builtin('quadrants-32bit'), view: view({ compare: ['seed', 'later' as 'seed'] }) }, /Unknown rule set "later" in the compared rule sets/],
    ];
    for (const [p, re] of cases) {
      const r = tryEncodePermalink(p);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toMatch(re);
      expect(() => encodePermalink(p)).toThrow(PermalinkError);
    }
  });

  it('refuses a scenario too large for a link', () => {
    // 900 steps at pseudo-random addresses: under the JSON cap, but it does not compress to a link.
    let x = 1;
    const rnd = () => (x = (Math.imul(x, 1_103_515_245) + 12_345) >>> 0);
    const steps = Array.from({ length: 900 }, () => ({ op: 'read', gva: `0x${rnd().toString(16)}` }));
    const json = { format: 'shadowpaging/v1', title: 'big', guest: { mode: 'off' }, steps };
    expect(JSON.stringify(json).length).toBeLessThan(PERMALINK_LIMITS.maxDecompressedChars);
    const r = tryEncodePermalink({ scenario: { kind: 'inline', json }, view: DEFAULT_VIEW });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/too large for a link \(the link would be [\d,]+ characters; at most 8,192\); share it as a file/);
    // Repetitive enough to compress well, but over the JSON cap.
    const same = Array.from({ length: 2000 }, () => ({ op: 'read', gva: '0x1000' }));
    const r2 = tryEncodePermalink({ scenario: { kind: 'inline', json: { ...json, steps: same } }, view: DEFAULT_VIEW });
    expect(r2.ok).toBe(false);
    if (!r2.ok) expect(r2.error).toMatch(/too large for a link \([\d,]+ characters of JSON; a link holds at most 32,768\)/);
  });

  it('refuses a step list too long for a link by its count, without writing the document out (1,000,000 steps took ~0.7 s)', () => {
    // Each step says when JSON.stringify writes it out.
    let written = 0;
    const step = { op: 'read', gva: '0x1000', toJSON: () => (written++, { op: 'read', gva: '0x1000' }) };
    const doc = (n: number) => ({ format: 'shadowpaging/v1', title: 'long', guest: { mode: 'off' }, steps: Array.from({ length: n }, () => step) });
    // 16,384 steps take at least 2 * 16,384 + 1 = 32,769 characters: over the cap by their count alone.
    const r = tryEncodePermalink({ scenario: { kind: 'inline', json: doc(16_384) }, view: DEFAULT_VIEW });
    expect(!r.ok && r.error).toBe('The scenario is too large for a link (its 16,384 steps alone take more than the 32,768 characters of JSON a link holds); share it as a file instead.');
    expect(written).toBe(0);
    // One fewer could still fit by its count: it is written out, and its real length refuses it.
    const r2 = tryEncodePermalink({ scenario: { kind: 'inline', json: doc(16_383) }, view: DEFAULT_VIEW });
    expect(written).toBe(16_383);
    expect(!r2.ok && r2.error).toMatch(/^The scenario is too large for a link \([\d,]+ characters of JSON; a link holds at most 32,768\); share it as a file instead\.$/);
  });

  it('says a scenario is too large for a link before anything about the view: at step 1,000,000 of a file, not the step\'s range', () => {
    const steps = Array.from({ length: 20_000 }, () => ({ op: 'read', gva: '0x1000' }));
    const json = { format: 'shadowpaging/v1', title: 'long', guest: { mode: 'off' }, steps };
    const r = tryEncodePermalink({ scenario: { kind: 'inline', json }, view: { ...DEFAULT_VIEW, step: 20_000 } });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toBe('The scenario is too large for a link (its 20,000 steps alone take more than the 32,768 characters of JSON a link holds); share it as a file instead.');
    // A scenario that fits still has its view checked.
    const small = { ...json, steps: steps.slice(0, 3) };
    const bad = tryEncodePermalink({ scenario: { kind: 'inline', json: small }, view: { ...DEFAULT_VIEW, step: -1 } });
    expect(!bad.ok && bad.error).toMatch(/^The step must be a whole number/);
  });

  it('links a built-in by name only while it is the built-in as shipped', () => {
    const entry = LIBRARY[0]!;
    expect(linkScenarioFor(entry.id, entry.json)).toEqual(builtin(entry.id, entry.version));
    expect(linkScenarioFor(entry.id, JSON.parse(JSON.stringify(entry.json)))).toEqual(builtin(entry.id, entry.version));
    const edited = { ...(entry.json as object), title: 'edited' };
    expect(linkScenarioFor(entry.id, edited)).toEqual({ kind: 'inline', json: edited });
    expect(linkScenarioFor(null, entry.json)).toEqual({ kind: 'inline', json: entry.json });
    expect(linkScenarioFor('gone', entry.json)).toEqual({ kind: 'inline', json: entry.json });
  });
});

describe('decoding', () => {
  it('reads "linux-6.1" in a compared list although its name holds the separator', () => {
    const d = ok(decodePermalink('sp1/b/self-map/1/c=linux-6.1.merged&r=linux-6.1'));
    expect([d.link.view.compare, d.link.view.rules]).toEqual([['merged', 'linux-6.1'], 'linux-6.1']);
    expect(errorOf('sp1/b/self-map/1/c=linux-6.2.merged')).toMatch(/not "linux-6.2.merged"/);
  });

  it('accepts a leading "#" and surrounding spaces', () => {
    expect(ok(decodePermalink('#sp1/b/self-map/1/s=2')).link.view.step).toBe(2);
    expect(ok(decodePermalink('  sp1/b/self-map/1/s=2\n')).link.view.step).toBe(2);
  });

  it('fits the view to the scenario, with a warning each', () => {
    const r = ok(decodePermalink('sp1/b/self-map/1/s=999&g=event&e=3'));
    expect(r.link.view).toEqual(view({ step: 6, granularity: 'event' }));
    expect(r.warnings).toEqual(['The link asks for step 999, but the scenario has 6 steps; showing the end.']);
    const z = ok(decodePermalink('sp1/b/self-map/1/z=1.1'));
    expect(z.link.view.zoom).toBe(1);
    expect(z.warnings[0]).toMatch(/zoom 1.1 .*using 1/);
    const e = ok(decodePermalink('sp1/b/self-map/1/s=1&e=3'));
    expect(e.link.view).toEqual(view({ step: 1 }));
    expect(e.warnings[0]).toMatch(/event mode/);
    expect(ok(decodePermalink('sp1/b/self-map/1/g=step')).link.view).toEqual(DEFAULT_VIEW);
  });

  it('names the problem with every bad link', () => {
    const cases: Array<[string, RegExp]> = [
      ['', /empty/],
      ['#', /empty/],
      ['hello', /not a shadowpaging link.*"sp1\/"/],
      ['sp0/b/self-map/1', /not a shadowpaging link/],
      ['sp2/b/self-map/1', /link format 2, from a newer version/],
      ['sp1/x/self-map', /"b\/".*"z\/".*not "x"/],
      ['sp1/b/self-map', /form "sp1\/b\/<name>\/<version>"/],
      ['sp1/b/self-map/1/s=1/extra', /form "sp1\/b\/<name>\/<version>"/],
      ['sp1/b/Self-Map/1', /"Self-Map" is not the name of a built-in/],
      ['sp1/b/self-ma/1', /cut short \(did you mean "self-map"\?\)/],
      ['sp1/b/self-mop/1', /no built-in scenario "self-mop".*did you mean "self-map"/],
      ['sp1/b/nothing-like-it/1', /no built-in scenario "nothing-like-it" in this version/],
      ['sp1/b/self-map/2', /"self-map" in version 1 only, not version 2/],
      ['sp1/b/self-map/01', /version .* must be a whole number/],
      ['sp1/b/self-map/1/', /empty setting/],
      ['sp1/b/self-map/1/s=1&', /empty setting/],
      ['sp1/b/self-map/1/s', /"s" \(the step\) has no value/],
      ['sp1/b/self-map/1/s=', /"s" \(the step\) has no value/],
      ['sp1/b/self-map/1/s=1&s=2', /"s" \(the step\) is given twice/],
      ['sp1/b/self-map/1/s=x', /"s" \(the step\) must be a whole number like 3, not "x"/],
      ['sp1/b/self-map/1/s=-1', /"s" \(the step\) must be a whole number/],
      ['sp1/b/self-map/1/s=01', /"s" \(the step\) must be a whole number/],
      ['sp1/b/self-map/1/s=99999', /past the most steps/],
      ['sp1/b/self-map/1/e=1.5', /"e" \(the event\) must be a whole number/],
      ['sp1/b/self-map/1/g=events', /"g" \(the granularity\) must be one of step, event, not "events"/],
      ['sp1/b/self-map/1/r=mer', /"r" \(the rule set\) must be one of before, seed, merged, merged-no-7, linux-6.1, not "mer"/],
      ['sp1/b/self-map/1/t=blue', /"t" \(the theme\) must be one of light, dark/],
      ['sp1/b/self-map/1/z=big', /"z" \(the zoom\) must be a number like 1.25/],
      ['sp1/b/self-map/1/x=1', /unknown setting "x"; the settings are s \(step\)/],
      ['sp1/b/self-map/1/s=1&e=1&g=event&r=seed&z=1&t=dark&o=1&p=1&c=seed.merged&q=1&s=2', /11 settings where there are at most 10/],
      ['sp1/b/self-map/1/c=seed', /"c" \(the compared rule sets\) must be two or more different names of before, seed, merged, merged-no-7, linux-6.1, separated by dots, not "seed"/],
      ['sp1/b/self-map/1/c=seed.seed', /"c" \(the compared rule sets\) must be two or more different/],
      ['sp1/b/self-map/1/c=seed..merged', /"c" \(the compared rule sets\) must be two or more different/],
      ['sp1/b/self-map/1/c=seed-merged', /"c" \(the compared rule sets\) must be two or more different names .* not "seed-merged"/],
      ['sp1/b/self-map/1/o=0', /"o" \(the overview\) must be one of 1, not "0"/],
      ['sp1/b/self-map/1/o=true', /"o" \(the overview\) must be one of 1/],
      ['sp1/b/self-map/1/p=2', /^The link's view settings are damaged: "p" \(the presenting mode\) must be one of 1, not "2"\.$/],
      ['sp1/b/self-map/1/s=2&p=yes', /"p" \(the presenting mode\) must be one of 1, not "yes"/],
      ['sp1/b/self-map/1/p=0', /"p" \(the presenting mode\) must be one of 1, not "0"/],
      ['sp1/b/self-map/1/p', /"p" \(the presenting mode\) has no value/],
      ['sp1/b/self-map/1/p=1&o=1&p=1', /"p" \(the presenting mode\) is given twice/],
      ['sp1/b/self-map/1/P=1', /unknown setting "P"; the settings are .*o \(overview\), p \(presenting mode\), c \(compared rule sets\), q \(Quiz me\)\.$/],
      ['sp1/z/p=true/N4Ig', /"p" \(the presenting mode\) must be one of 1/],
      ['sp1/b/self-map/1/s=1 x', /contains a space \(at character 21\)/],
      ['sp1/b/self-map/1/s=1\u0000', /the character U\+0000 \(at character 21\)/],
      ['sp1/b/self-map/1/s=é', /contains "é"/],
      ['sp1/b/self-map/1/s=\ud83d', /U\+D83D/],
      ['sp1/z/', /cut short: it has no scenario data/],
      ['sp1/z/s=1/', /cut short: it has no scenario data/],
      ['sp1/z/a.b', /characters that compressed data never has/],
      ['sp1/z/a/b/c', /form "sp1\/z\/<data>"/],
      ['sp1/z/s=1&x=2/N4Ig', /unknown setting "x"/],
      ['sp1/z/abc', /damaged or cut short: it could not be unpacked/],
      ['x'.repeat(PERMALINK_LIMITS.maxFragmentChars + 1), /too long \(8193 characters; at most 8192\)/],
      ['sp1/z/' + 'A'.repeat(1_000_000), /too long \(1000006 characters/],
    ];
    for (const [fragment, re] of cases) expect(errorOf(fragment), JSON.stringify(fragment.slice(0, 60))).toMatch(re);
  });

  it('names the problem with a damaged or cut inline link', () => {
    const full = encodePermalink({ scenario: { kind: 'inline', json: LIBRARY[0]!.json }, view: view({ step: 2 }) });
    // Every cut of the data part is refused (lz-string ends its stream with a marker)...
    const start = full.indexOf('/', 'sp1/z/'.length) + 1;
    for (let cut = start + 1; cut < full.length - 1; cut += 7) expect(errorOf(full.slice(0, cut))).toMatch(/damaged|cut short|not valid/);
    // ...and so are the invalid documents a link can carry.
    expect(errorOf(packed({ format: 'shadowpaging/v1', title: 'x', guest: { mode: 'off' } }))).toMatch(/^The scenario in the link is not valid \(steps: missing/);
    expect(errorOf(packed({ format: 'shadowpaging/v2' }))).toMatch(/unsupported format version/);
    expect(errorOf(packed(42))).toMatch(/not valid \(scenario: expected a JSON object/);
  });

  it('refuses the worst JSON a link can unpack to', () => {
    expect(errorOf(packedText('{"a":'.repeat(10)))).toMatch(/not valid JSON/);
    expect(errorOf(packedText('['.repeat(65) + ']'.repeat(65)))).toMatch(/nests deeper than 64 levels/);
    // Brackets inside strings are not nesting.
    expect(errorOf(packedText(JSON.stringify({ format: 'shadowpaging/v1', title: '['.repeat(100), guest: { mode: 'off' } })))).toMatch(/steps: missing/);
    expect(errorOf(packedText('"' + '\\"['.repeat(100) + '"'))).toMatch(/expected a JSON object/);
    expect(errorOf(packedText(' '.repeat(PERMALINK_LIMITS.maxDecompressedChars + 1)))).toMatch(/too large: it unpacks to more than 32768 characters/);
  });

  it('keeps the prototype clean', () => {
    for (const text of ['{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"polluted":1}}}', '{"format":"shadowpaging/v1","__proto__":{"polluted":1}}']) {
      expect(decodePermalink(packedText(text)).ok).toBe(false);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('fits an event to the events of its step, with a warning when it clamps', () => {
    const v = view({ step: 2, granularity: 'event', event: 9 });
    expect(fitViewEvent(v, 4)).toEqual({ ...v, event: 4 });
    expect(fitViewEvent(v, 12)).toBe(v);
    expect(fitViewEvent(view(), 0)).toEqual(view());
    const warnings: string[] = [];
    expect(fitViewEvent(v, 4, warnings)).toEqual({ ...v, event: 4 });
    expect(warnings).toEqual(['The link asks for event 9 of step 2, but that step has 4 events; showing all of them.']);
    expect(fitViewEvent(view({ step: 0, granularity: 'event', event: 3 }), 1, warnings).event).toBe(1);
    expect(warnings[1]).toBe('The link asks for event 3 of step 0, but that step has 1 event; showing all of them.');
    // In range (or no event): nothing to say.
    fitViewEvent(v, 9, warnings);
    fitViewEvent(view({ granularity: 'event' }), 0, warnings);
    expect(warnings).toHaveLength(2);
  });
});

describe('the check of an inline link', () => {
  const inlineOf = (i: number, v: Partial<ViewState> = {}) => encodePermalink({ scenario: { kind: 'inline', json: LIBRARY[i]!.json }, view: view(v) });
  const CHECK_FAILED = 'The link is damaged: its check does not match; it may have been altered when copied. Copy the whole link again.';

  it('is the CRC-32 of the rest of the link, in six base64url digits', () => {
    // The standard check values of CRC-32 (zlib, PNG).
    expect(crc32('')).toBe(0);
    expect(crc32('123456789')).toBe(0xcbf43926);
    expect(crc32('The quick brown fox jumps over the lazy dog')).toBe(0x414fa339);
    expect(linkCheck('123456789')).toBe('DL9Dkm'); // 0xcbf43926: 3, 11, 61, 3, 36, 38
    const link = inlineOf(0, { step: 2, theme: 'dark' });
    const m = /^sp1\/z\/(s=2&t=dark)&k=([^/]+)\/(.+)$/.exec(link)!;
    expect(m).not.toBeNull();
    expect(m[2]).toBe(linkCheck(`sp1/z/${m[1]}/${m[3]}`));
    // By-name links do not carry it (short, readable, edited by hand).
    expect(encodePermalink({ scenario: builtin('self-map'), view: view({ step: 3 }) })).toBe('sp1/b/self-map/1/s=3');
  });

  it('opens a checked link, and an old link without the check as before', () => {
    const link = inlineOf(1, { step: 1 });
    const withCheck = ok(decodePermalink(link));
    const old = ok(decodePermalink(link.replace(/&k=[^/]+/, '')));
    expect(withCheck.link).toEqual(old.link);
    expect(withCheck.warnings).toEqual([]);
    expect(canonicalJson(withCheck.scenarioJson)).toBe(canonicalJson(old.scenarioJson));
  });

  it('refuses every change of one character to another of the link alphabet', () => {
    const link = inlineOf(2, { step: 3, granularity: 'event', event: 1, rules: 'merged' });
    const alphabet = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+-$/&=._'];
    let altered = 0;
    let cases = 0;
    for (let i = 0; i < link.length; i++) {
      for (const c of alphabet) {
        if (c === link[i]) continue;
        const bad = link.slice(0, i) + c + link.slice(i + 1);
        cases++;
        if (decodePermalink(bad).ok) altered++;
      }
    }
    expect(cases).toBeGreaterThan(20_000);
    expect(altered).toBe(0);
    // Damage in the data or the settings gets the check's sentence.
    const at = link.length - 10;
    expect(errorOf(link.slice(0, at) + (link[at] === 'A' ? 'B' : 'A') + link.slice(at + 1))).toBe(CHECK_FAILED);
    expect(errorOf(link.replace('r=merged', 'r=before'))).toBe(CHECK_FAILED);
    expect(errorOf(link.replace(/k=[A-D]/, 'k=E'))).toBe(CHECK_FAILED);
    expect(errorOf(link.replace(/k=(.)./, 'k=$1'))).toBe(CHECK_FAILED);
    expect(errorOf(link.replace(/&k=[^/]+/, '$&&'))).toMatch(/an empty setting/);
    expect(errorOf(link.replace(/&k=[^/]+/, '$&$&'))).toMatch(/"k" \(the check\) is given twice/);
  });

  it('is verified on a by-name link too, if one carries it', () => {
    const text = 'sp1/b/self-map/1/s=3';
    expect(ok(decodePermalink(`${text}&k=${linkCheck(text)}`)).link.view).toEqual(view({ step: 3 }));
    expect(ok(decodePermalink(`sp1/b/self-map/1/k=${linkCheck('sp1/b/self-map/1')}`)).link.view).toEqual(view());
    expect(errorOf(`sp1/b/self-map/1/s=4&k=${linkCheck(text)}`)).toBe(CHECK_FAILED);
  });
});

describe('the page address', () => {
  it('reads embed mode and the fragment', () => {
    expect(parseLocation({ hash: '', search: '' })).toEqual({ embed: false, fragment: null });
    expect(parseLocation({ hash: '#', search: '?' })).toEqual({ embed: false, fragment: null });
    expect(parseLocation({ hash: '#sp1/b/self-map/1', search: '?embed=1' })).toEqual({ embed: true, fragment: 'sp1/b/self-map/1' });
    expect(parseLocation({ hash: '#x', search: '?a=b&embed' }).embed).toBe(true);
    expect(parseLocation({ hash: '#x', search: '?embed=true' }).embed).toBe(true);
    expect(parseLocation({ hash: '#x', search: '?embed=0' }).embed).toBe(false);
    expect(parseLocation({ hash: '#x', search: '?embedded=1' }).embed).toBe(false);
    // Percent-encoded on the way (chat apps, mailers).
    expect(parseLocation({ hash: '#sp1%2Fb%2Fself-map%2F1%2Fs%3D2', search: '' }).fragment).toBe('sp1/b/self-map/1/s=2');
    expect(parseLocation({ hash: '#sp1/%E0%A4%A', search: '' }).fragment).toBe('sp1/%E0%A4%A');
    expect(parseLocation(null as unknown as { hash: string; search: string })).toEqual({ embed: false, fragment: null });
  });

  it('builds URLs', () => {
    expect(permalinkUrl('https://example.org/sp/', 'sp1/b/self-map/1')).toBe('https://example.org/sp/#sp1/b/self-map/1');
    expect(permalinkUrl('https://example.org/sp/?embed=1#old', 'sp1/b/self-map/1', { embed: true })).toBe('https://example.org/sp/?embed=1#sp1/b/self-map/1');
    expect(permalinkUrl('https://example.org/sp/?a=b#old', '')).toBe('https://example.org/sp/');
    expect(permalinkUrl('https://example.org/sp/', '', { embed: true })).toBe('https://example.org/sp/?embed=1');
    const url = new URL(permalinkUrl('https://example.org/', 'sp1/b/self-map/1/s=2&t=dark', { embed: true }));
    expect(parseLocation(url)).toEqual({ embed: true, fragment: 'sp1/b/self-map/1/s=2&t=dark' });
  });
});

/** An inline link to any text, bypassing the encoder's checks. */
function packedText(text: string): string {
  return `sp1/z/${lz.compressToEncodedURIComponent(text)}`;
}
/** An inline link to any JSON value. */
function packed(json: unknown): string {
  return packedText(JSON.stringify(json));
}
