/**
 * Permalinks: a scenario, the step on screen and the view options, as a URL
 * fragment (the text after `#`). See docs/permalinks.md for the format.
 *
 *   sp1/b/quadrants-32bit/1/s=2&r=merged     a built-in scenario by name and version
 *   sp1/z/s=2&r=merged&k=Cf6AfC/N4IgLg...    a whole scenario, lz-string compressed, with its check
 *
 * `k` (new inline links carry it) is the CRC-32 of the rest of the link, so
 * a link damaged on the way is refused rather than opened altered; links
 * without it open as they always did.
 *
 * `sp1` is the link format version. Every version ever published keeps its
 * decoder here (tests/fixtures/permalinks/v<N>.json holds golden links of
 * each), so a link never stops opening.
 *
 * Nothing here throws to the caller except `encodePermalink` (use
 * `tryEncodePermalink` for a result value). Decoding is bounded: the
 * fragment length is capped first; the length lz-string would unpack it to
 * is then computed without unpacking (lz-bound.ts), so a decompression bomb
 * is refused before it expands; and the unpacked text is capped before
 * JSON.parse and the scenario parser see it.
 */
import * as lzModule from 'lz-string';
import { RULE_SETS } from '../core/mmu/rules.ts';
import type { RuleSetName, Scenario } from '../core/scenario.ts';
import { SCENARIO_LIMITS } from '../core/scenario.ts';
import { quoteKey, suggestKey } from './errors.ts';
import { LIBRARY, type LibraryEntry } from './library/index.ts';
import { crc32 } from './crc32.ts';
import { lzUnpackedLength } from './lz-bound.ts';
import { formatScenarioError, parseScenario, type ParseResult } from './schema.ts';

export type { RuleSetName } from '../core/scenario.ts';

// lz-string is CommonJS: Node's ESM loader exposes it only as `default`,
// bundlers expose the named functions too.
type LzString = typeof lzModule;
const lz: LzString = (lzModule as unknown as { default?: LzString }).default ?? lzModule;

export type Granularity = 'step' | 'event';
export type Theme = 'light' | 'dark';

/** What a link restores besides the scenario (the same meanings as the UI store). */
export interface ViewState {
  /** Steps applied: 0 = the state after the first VM entry, `steps.length` = the end. */
  readonly step: number;
  /** Event mode only: how many events of the current step are revealed (null = all). */
  readonly event: number | null;
  readonly granularity: Granularity;
  readonly rules: RuleSetName;
  /** Canvas zoom, 0.5 to 2.5 in quarter steps. */
  readonly zoom: number;
  /** null: follow the reader's system preference. */
  readonly theme: Theme | null;
  /** The overview (the whole scene on one screen) instead of the tables; left out when off. */
  readonly overview?: true;
  /** Presenting mode (large type, for a classroom projector); left out when off. */
  readonly presenting?: true;
  /** "Quiz me": generated questions before every step (issue 18); left out when off. */
  readonly quiz?: true;
  /**
   * The Compare view (the scenario under several rule sets side by side) is
   * open, comparing these rule sets: two or more, in RULE_SETS order; left
   * out when it is closed.
   */
  readonly compare?: readonly RuleSetName[];
}

export type LinkScenario =
  | { readonly kind: 'builtin'; readonly id: string; readonly version: number }
  | { readonly kind: 'inline'; readonly json: unknown };

export interface Permalink {
  readonly scenario: LinkScenario;
  readonly view: ViewState;
}

export type DecodeResult =
  | {
      readonly ok: true;
      /** The link with its view fitted to the scenario (see `warnings`). */
      readonly link: Permalink;
      /** The scenario document to load: the library's own object for a built-in, the parsed JSON for an inline one. */
      readonly scenarioJson: unknown;
      /** `scenarioJson` already validated, so callers need not parse it again. */
      readonly scenario: Scenario;
      /** Things the link asked for that were adjusted (a step past the end, a zoom out of range). */
      readonly warnings: readonly string[];
    }
  | { readonly ok: false; readonly error: string };

export type EncodeResult = { readonly ok: true; readonly fragment: string } | { readonly ok: false; readonly error: string };

/** The newest link format; `encodePermalink` writes it. */
export const PERMALINK_VERSION = 1;

export const PERMALINK_LIMITS = {
  /**
   * Longest fragment accepted, checked before anything else. The built-ins'
   * inline links are at most ~3,300 characters. Even unguarded, lz-string
   * could unpack this many characters to at most ~11 million (a run of one
   * character; see tests/permalink-fuzz.test.ts), but the unpacked length is
   * checked before unpacking (lz-bound.ts).
   */
  maxFragmentChars: 8192,
  /**
   * Longest scenario JSON a link may carry (7,300 characters for the largest
   * built-in). Bounds the JSON.parse and scenario-parser work of one decode
   * to a few milliseconds.
   */
  maxDecompressedChars: 32_768,
  /** Deepest JSON nesting accepted before JSON.parse (a valid scenario nests 5 levels). */
  maxJsonDepth: 64,
  /** Largest event number a link may name. */
  maxEvent: 999_999,
} as const;

export const ZOOM_RANGE = { min: 0.5, max: 2.5, step: 0.25 } as const;

export const DEFAULT_VIEW: ViewState = { step: 0, event: null, granularity: 'step', rules: 'seed', zoom: 1, theme: null };

/** `PermalinkError.message` is one sentence for the user. */
export class PermalinkError extends Error {
  override readonly name = 'PermalinkError';
}

// ---------------------------------------------------------------------------
// The view

type Fit<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

function clampZoom(z: number): number {
  const q = Math.round(z / ZOOM_RANGE.step) * ZOOM_RANGE.step;
  return Math.min(ZOOM_RANGE.max, Math.max(ZOOM_RANGE.min, q));
}

/**
 * The on/off settings. Each is `true` when on and left out (of the view and
 * of the link) when off, so a link from before a flag existed decodes to the
 * same object as before, and views compare equal whichever way they were made.
 */
const VIEW_FLAGS = ['overview', 'presenting', 'quiz'] as const;
type ViewFlag = (typeof VIEW_FLAGS)[number];
const VIEW_FLAG_KEYS: Record<ViewFlag, ViewKeyV1> = { overview: 'o', presenting: 'p', quiz: 'q' };

/** The flags that are on, as view properties to spread in. */
function flagsWhere(isOn: (flag: ViewFlag) => boolean): Partial<Record<ViewFlag, true>> {
  const on: Partial<Record<ViewFlag, true>> = {};
  for (const flag of VIEW_FLAGS) if (isOn(flag)) on[flag] = true;
  return on;
}

/**
 * The canonical form of a view, as a link stores it: zoom clamped to its
 * range and rounded to a quarter, and no event outside event mode. Errors
 * for values no UI state can have (negative or fractional steps, unknown
 * names). `decode(encode(p)).link.view` equals `normalizeView(p.view)`.
 */
export function normalizeView(view: ViewState): Fit<ViewState> {
  const { step, event, granularity, rules, zoom, theme } = view;
  if (!Number.isSafeInteger(step) || step < 0 || step > SCENARIO_LIMITS.maxSteps) {
    return { ok: false, error: `The step must be a whole number from 0 to ${SCENARIO_LIMITS.maxSteps}, not ${String(step)}.` };
  }
  if (event !== null && (!Number.isSafeInteger(event) || event < 0 || event > PERMALINK_LIMITS.maxEvent)) {
    return { ok: false, error: `The event must be null or a whole number from 0 to ${PERMALINK_LIMITS.maxEvent}, not ${String(event)}.` };
  }
  if (granularity !== 'step' && granularity !== 'event') return { ok: false, error: `Unknown granularity ${quoteKey(String(granularity))}.` };
  if (!RULE_SETS.includes(rules)) return { ok: false, error: `Unknown rule set ${quoteKey(String(rules))}.` };
  if (typeof zoom !== 'number' || !Number.isFinite(zoom)) return { ok: false, error: `The zoom must be a number, not ${String(zoom)}.` };
  if (theme !== null && theme !== 'light' && theme !== 'dark') return { ok: false, error: `Unknown theme ${quoteKey(String(theme))}.` };
  for (const flag of VIEW_FLAGS) {
    const on: unknown = view[flag];
    if (on !== undefined && on !== true) return { ok: false, error: `The ${VIEW_KEY_NAMES[VIEW_FLAG_KEYS[flag]]} must be true or left out, not ${String(on)}.` };
  }
  const compare = normalizeCompare(view.compare);
  if (!compare.ok) return compare;
  return {
    ok: true,
    value: { step, event: granularity === 'event' ? event : null, granularity, rules, zoom: clampZoom(zoom), theme, ...flagsWhere((flag) => view[flag] === true), ...compare.value },
  };
}

/**
 * The compared rule sets as a link stores them: each known, none twice, at
 * least two, in RULE_SETS order (so a view compares equal however its list
 * was made); `{}` when the Compare view is closed.
 */
function normalizeCompare(compare: unknown): Fit<{ compare?: readonly RuleSetName[] }> {
  if (compare === undefined) return { ok: true, value: {} };
  if (!Array.isArray(compare)) return { ok: false, error: `The compared rule sets must be a list or left out, not ${String(compare)}.` };
  for (const r of compare as unknown[]) {
    if (!RULE_SETS.includes(r as RuleSetName)) return { ok: false, error: `Unknown rule set ${quoteKey(String(r))} in the compared rule sets.` };
  }
  if (new Set(compare).size !== compare.length) return { ok: false, error: 'A rule set is compared twice.' };
  if (compare.length < 2) return { ok: false, error: `Compare needs two or more rule sets, not ${compare.length}.` };
  return { ok: true, value: { compare: RULE_SETS.filter((r) => (compare as unknown[]).includes(r)) } };
}

/**
 * The names in a "c" value. They are joined by dots, and "linux-6.1" holds a
 * dot itself: at each place take the longest rule set name that ends at a dot
 * or at the end, so `c=merged.linux-6.1` reads as two names. A piece that is no
 * name is kept up to the next dot, so the error message can show it.
 */
function splitCompared(raw: string): string[] {
  const names: string[] = [];
  let at = 0;
  while (at <= raw.length) {
    const known = RULE_SETS.filter((r) => raw.startsWith(r, at) && (at + r.length === raw.length || raw[at + r.length] === '.'));
    const longest = known.reduce((a, b) => (b.length > a.length ? b : a), '');
    const end = longest ? at + longest.length : raw.indexOf('.', at) < 0 ? raw.length : raw.indexOf('.', at);
    names.push(raw.slice(at, end));
    at = end + 1;
  }
  return names;
}

/** The query part of a v1 link: defaults left out, keys in a fixed order. */
function encodeView(v: ViewState): string {
  const parts: string[] = [];
  if (v.step !== DEFAULT_VIEW.step) parts.push(`s=${v.step}`);
  if (v.event !== null) parts.push(`e=${v.event}`);
  if (v.granularity !== DEFAULT_VIEW.granularity) parts.push(`g=${v.granularity}`);
  if (v.rules !== DEFAULT_VIEW.rules) parts.push(`r=${v.rules}`);
  if (v.zoom !== DEFAULT_VIEW.zoom) parts.push(`z=${v.zoom}`);
  if (v.theme !== null) parts.push(`t=${v.theme}`);
  for (const flag of VIEW_FLAGS) if (v[flag]) parts.push(`${VIEW_FLAG_KEYS[flag]}=1`);
  if (v.compare) parts.push(`c=${v.compare.join('.')}`);
  return parts.join('&');
}

// "o", "p", then "c" and "q" came later in v1: links without them mean what they always did.
const VIEW_KEYS_V1 = ['s', 'e', 'g', 'r', 'z', 't', 'o', 'p', 'c', 'q'] as const;
type ViewKeyV1 = (typeof VIEW_KEYS_V1)[number];
const VIEW_KEY_NAMES: Record<ViewKeyV1, string> = {
  s: 'step',
  e: 'event',
  g: 'granularity',
  r: 'rule set',
  z: 'zoom',
  t: 'theme',
  o: 'overview',
  p: 'presenting mode',
  c: 'compared rule sets',
  q: 'Quiz me',
};
const WHOLE_RE = /^(?:0|[1-9][0-9]{0,6})$/;
const ZOOM_RE = /^(?:0|[1-9][0-9]?)(?:\.[0-9]{1,4})?$/;

/** Decodes a v1 query part; ranges that depend on the scenario are fitted later. */
function decodeViewV1(query: string): Fit<ViewState> {
  const bad = (why: string): Fit<ViewState> => ({ ok: false, error: `The link's view settings are damaged: ${why}.` });
  const seen = new Map<ViewKeyV1, string>();
  const params = query.split('&');
  if (params.length > VIEW_KEYS_V1.length) return bad(`${params.length} settings where there are at most ${VIEW_KEYS_V1.length}`);
  for (const param of params) {
    if (param === '') return bad('an empty setting (two "&" in a row, or one at an end)');
    const eq = param.indexOf('=');
    const key = eq < 0 ? param : param.slice(0, eq);
    if (!(VIEW_KEYS_V1 as readonly string[]).includes(key)) {
      const known = VIEW_KEYS_V1.map((k) => `${k} (${VIEW_KEY_NAMES[k]})`).join(', ');
      return bad(`unknown setting ${quoteKey(key)}; the settings are ${known}`);
    }
    const k = key as ViewKeyV1;
    if (eq < 0 || eq === param.length - 1) return bad(`"${k}" (the ${VIEW_KEY_NAMES[k]}) has no value`);
    if (seen.has(k)) return bad(`"${k}" (the ${VIEW_KEY_NAMES[k]}) is given twice`);
    seen.set(k, param.slice(eq + 1));
  }
  const val = (k: ViewKeyV1) => seen.get(k);
  const whole = (k: 's' | 'e', fallback: number | null): Fit<number | null> => {
    const raw = val(k);
    if (raw === undefined) return { ok: true, value: fallback };
    if (!WHOLE_RE.test(raw)) return { ok: false, error: `"${k}" (the ${VIEW_KEY_NAMES[k]}) must be a whole number like 3, not ${quoteKey(raw)}` };
    return { ok: true, value: Number(raw) };
  };
  const choice = <T extends string>(k: ViewKeyV1, allowed: readonly T[]): Fit<T | undefined> => {
    const raw = val(k);
    if (raw === undefined) return { ok: true, value: undefined };
    if ((allowed as readonly string[]).includes(raw)) return { ok: true, value: raw as T };
    return { ok: false, error: `"${k}" (the ${VIEW_KEY_NAMES[k]}) must be one of ${allowed.join(', ')}, not ${quoteKey(raw)}` };
  };

  const s = whole('s', DEFAULT_VIEW.step);
  if (!s.ok) return bad(s.error);
  if (s.value! > SCENARIO_LIMITS.maxSteps) return bad(`step ${s.value} is past the most steps a scenario can have (${SCENARIO_LIMITS.maxSteps})`);
  const e = whole('e', null);
  if (!e.ok) return bad(e.error);
  if (e.value !== null && e.value > PERMALINK_LIMITS.maxEvent) return bad(`event ${e.value} is over ${PERMALINK_LIMITS.maxEvent}`);
  const g = choice('g', ['step', 'event'] as const);
  if (!g.ok) return bad(g.error);
  const r = choice('r', RULE_SETS);
  if (!r.ok) return bad(r.error);
  const t = choice('t', ['light', 'dark'] as const);
  if (!t.ok) return bad(t.error);
  for (const flag of VIEW_FLAGS) {
    const f = choice(VIEW_FLAG_KEYS[flag], ['1'] as const);
    if (!f.ok) return bad(f.error);
  }
  let compare: { compare?: readonly RuleSetName[] } = {};
  const cRaw = val('c');
  if (cRaw !== undefined) {
    const names = splitCompared(cRaw);
    // Any order opens; the link is written in RULE_SETS order.
    const fit = normalizeCompare(names);
    if (!fit.ok) return bad(`"c" (the ${VIEW_KEY_NAMES.c}) must be two or more different names of ${RULE_SETS.join(', ')}, separated by dots, not ${quoteKey(cRaw)}`);
    compare = fit.value;
  }
  let zoom: number = DEFAULT_VIEW.zoom;
  const zRaw = val('z');
  if (zRaw !== undefined) {
    if (!ZOOM_RE.test(zRaw)) return bad(`"z" (the zoom) must be a number like 1.25, not ${quoteKey(zRaw)}`);
    zoom = Number(zRaw);
  }
  return {
    ok: true,
    value: {
      step: s.value!,
      event: e.value,
      granularity: g.value ?? DEFAULT_VIEW.granularity,
      rules: r.value ?? DEFAULT_VIEW.rules,
      zoom,
      theme: t.value ?? null,
      ...flagsWhere((flag) => val(VIEW_FLAG_KEYS[flag]) === '1'),
      ...compare,
    },
  };
}

/** Fits a decoded view to its scenario: the step is clamped to the end, zoom to its range. */
function fitView(view: ViewState, scenario: Scenario, warnings: string[]): ViewState {
  let { step, event, zoom } = view;
  const n = scenario.steps.length;
  if (step > n) {
    warnings.push(`The link asks for step ${step}, but the scenario has ${n} step${n === 1 ? '' : 's'}; showing the end.`);
    step = n;
    event = null;
  }
  if (event !== null && view.granularity !== 'event') {
    warnings.push('The link names an event but not event mode ("g=event"); the event is ignored.');
    event = null;
  }
  const z = clampZoom(zoom);
  if (z !== zoom) {
    warnings.push(`The link's zoom ${zoom} is not one the app offers; using ${z}.`);
    zoom = z;
  }
  return { ...view, step, event, zoom };
}

/**
 * The event count of a step is known only once the scenario has run under
 * the link's rule set; the UI calls this with it. An event past the count
 * becomes the count (every event of the step revealed); when `warnings` is
 * given, a sentence saying so is pushed to it (the app shows it with the
 * link's other adjustments).
 */
export function fitViewEvent(view: ViewState, eventsInStep: number, warnings?: string[]): ViewState {
  if (view.event === null || view.event <= eventsInStep) return view;
  const n = Math.max(0, Math.floor(eventsInStep));
  // Said like a step past the end (fitView): the link still opens, and the reader learns it was adjusted.
  warnings?.push(`The link asks for event ${view.event} of step ${view.step}, but that step has ${n} event${n === 1 ? '' : 's'}; showing all of them.`);
  return { ...view, event: n };
}

// ---------------------------------------------------------------------------
// Scenarios

/** JSON text with object keys sorted and no spaces, so equal documents give equal links. */
export function canonicalJson(value: unknown): string | undefined {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const obj = v as Record<string, unknown>;
    // fromEntries defines own properties, so a "__proto__" key stays a plain key.
    return Object.fromEntries(
      Object.keys(obj)
        .sort()
        .map((k) => [k, Object.getOwnPropertyDescriptor(obj, k)?.value]),
    );
  });
}

const parsedBuiltins = new Map<LibraryEntry, ParseResult>();

function parseBuiltin(entry: LibraryEntry): ParseResult {
  let r = parsedBuiltins.get(entry);
  if (r === undefined) {
    r = parseScenario(entry.json);
    parsedBuiltins.set(entry, r);
  }
  return r;
}

const ID_RE = /^[a-z0-9][a-z0-9-]{0,63}$/;
const VERSION_RE = /^[1-9][0-9]{0,5}$/;
/** lz-string's URI-safe alphabet. */
const LZ_RE = /^[A-Za-z0-9+$-]+$/;

/**
 * How to refer to the scenario on screen: by name when it is a built-in as
 * shipped (the same object or the same canonical JSON), else inline.
 */
export function linkScenarioFor(libraryId: string | null, json: unknown): LinkScenario {
  if (libraryId !== null) {
    for (const entry of LIBRARY) {
      if (entry.id !== libraryId) continue;
      if (entry.json === json) return { kind: 'builtin', id: entry.id, version: entry.version };
      try {
        const mine = canonicalJson(json);
        if (mine !== undefined && mine === canonicalJson(entry.json)) return { kind: 'builtin', id: entry.id, version: entry.version };
      } catch {
        /* not JSON: inline, and encoding will say why */
      }
    }
  }
  return { kind: 'inline', json };
}

// ---------------------------------------------------------------------------
// The check of a link

/**
 * The check setting, added to format 1 after `o`, `p` and `c`: `k=` and six
 * characters, the CRC-32 of the rest of the link. Inline links carry it
 * (their data is opaque: a changed character in it can unpack to a different
 * scenario); by-name links do not (they are short, readable, edited by hand,
 * and a changed name is refused by the library lookup), but a check in one is
 * verified all the same. A link without it opens as it always did.
 */
const CHECK_KEY = 'k';
const CHECK_RE = /^[A-D][A-Za-z0-9_-]{5}$/;
/** base64url's digits: all in the link alphabet, none of them a separator of the link. */
const CHECK_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * The check of a link's text (the link without its check setting): its
 * CRC-32 as six base64url digits, most significant first (36 bits, so the
 * first digit is one of A-D, never a digit: the value can never pass for a
 * number of another setting).
 */
export function linkCheck(text: string): string {
  const crc = crc32(text);
  let out = CHECK_DIGITS[crc >>> 30]!;
  for (let shift = 24; shift >= 0; shift -= 6) out += CHECK_DIGITS[(crc >>> shift) & 63]!;
  return out;
}

const CHECK_FAILED = 'The link is damaged: its check does not match; it may have been altered when copied. Copy the whole link again.';

/**
 * Takes the check setting out of a v1 query part: the other settings, in
 * their order (so the text the check covers is rebuilt exactly), and the
 * check, if any.
 */
function splitCheck(query: string): Fit<{ readonly rest: string; readonly check: string | undefined }> {
  const params = query.split('&');
  const checks = params.filter((p) => p === CHECK_KEY || p.startsWith(`${CHECK_KEY}=`));
  if (checks.length === 0) return { ok: true, value: { rest: query, check: undefined } };
  if (params.includes('')) return { ok: false, error: 'The link\'s view settings are damaged: an empty setting (two "&" in a row, or one at an end).' };
  if (checks.length > 1) return { ok: false, error: `The link's view settings are damaged: "${CHECK_KEY}" (the check) is given twice.` };
  const check = checks[0]!.slice(CHECK_KEY.length + 1);
  if (!CHECK_RE.test(check)) return { ok: false, error: CHECK_FAILED };
  return { ok: true, value: { rest: params.filter((p) => p !== checks[0]).join('&'), check } };
}

// ---------------------------------------------------------------------------
// Encoding

/** Builds the fragment (without `#`) in the newest format, or says why it cannot. Never throws. */
export function tryEncodePermalink(p: Permalink): EncodeResult {
  try {
    const s = p.scenario;
    // An inline scenario's size first: when it is too large for a link, that
    // is the reason there is none, whatever the view (at step 1,000,000 of a
    // file the step's range was given as the reason).
    const data = s.kind === 'builtin' ? null : packInline(s.json);
    if (data && !data.ok) return data;
    const v = normalizeView(p.view);
    if (!v.ok) return v;
    const query = encodeView(v.value);
    let fragment: string;
    if (s.kind === 'builtin') {
      if (!LIBRARY.some((e) => e.id === s.id && e.version === s.version)) {
        return { ok: false, error: `There is no built-in scenario ${quoteKey(String(s.id))} version ${String(s.version)} to link to.` };
      }
      fragment = `sp${PERMALINK_VERSION}/b/${s.id}/${s.version}${query === '' ? '' : `/${query}`}`;
    } else {
      // Packed above (an inline scenario always is).
      const packed = data!.value;
      // The check covers the link as it would be without it (settings and data), and is written last among the settings.
      const check = linkCheck(`sp${PERMALINK_VERSION}/z/${query === '' ? '' : `${query}/`}${packed}`);
      fragment = `sp${PERMALINK_VERSION}/z/${query === '' ? '' : `${query}&`}${CHECK_KEY}=${check}/${packed}`;
    }
    if (fragment.length > PERMALINK_LIMITS.maxFragmentChars) {
      return {
        ok: false,
        error: `The scenario is too large for a link (the link would be ${fragment.length.toLocaleString('en-US')} characters; at most ${PERMALINK_LIMITS.maxFragmentChars.toLocaleString('en-US')}); share it as a file instead.`,
      };
    }
    return { ok: true, fragment };
  } catch (e) {
    return { ok: false, error: `The link could not be made (${e instanceof Error ? e.message.slice(0, 200) : 'unknown error'}).` };
  }
}

/** The length of a document's `steps` list, or null when it has none (or reading it throws: a hand-made value). */
function stepCount(json: unknown): number | null {
  try {
    const steps = json !== null && typeof json === 'object' ? (json as { steps?: unknown }).steps : undefined;
    return Array.isArray(steps) ? steps.length : null;
  } catch {
    return null;
  }
}

/** The fewest characters JSON.stringify writes for an array of `n` values: each value takes one at least, plus the commas and brackets. */
const minArrayChars = (n: number): number => (n === 0 ? 2 : 2 * n + 1);

/** The last scenario packed (by identity): the app re-encodes the same document at every step. */
let lastPacked: { readonly json: unknown; readonly result: Fit<string> } | null = null;

/** Validated, canonical, size-checked and compressed scenario data. */
function packInline(json: unknown): Fit<string> {
  if (lastPacked !== null && lastPacked.json === json && typeof json === 'object' && json !== null) return lastPacked.result;
  let result: Fit<string>;
  // A step list too long for a link by its count alone is refused without
  // writing the document out: at 1,000,000 steps that took ~0.7 s of the
  // page's thread, each time a file was opened, only to learn its length.
  const steps = stepCount(json);
  if (steps !== null && minArrayChars(steps) > PERMALINK_LIMITS.maxDecompressedChars) {
    result = {
      ok: false,
      error: `The scenario is too large for a link (its ${steps.toLocaleString('en-US')} steps alone take more than the ${PERMALINK_LIMITS.maxDecompressedChars.toLocaleString('en-US')} characters of JSON a link holds); share it as a file instead.`,
    };
    lastPacked = { json, result };
    return result;
  }
  // The size first: a scenario too large for a link (10,000 steps) is refused
  // without validating it, which took ~50 ms of the main thread there.
  let text: string | undefined;
  try {
    // Its length first, from the plain JSON: sorting the keys changes no
    // length, and the sort (canonicalJson) took ~150 ms of a 100,000-step
    // document for nothing when the link refuses it anyway.
    const plain = JSON.stringify(json);
    text = plain !== undefined && plain.length > PERMALINK_LIMITS.maxDecompressedChars ? plain : canonicalJson(json);
  } catch {
    text = undefined;
  }
  const tooLarge = text !== undefined && text.length > PERMALINK_LIMITS.maxDecompressedChars;
  const parsed = tooLarge ? null : parseScenario(json);
  if (parsed && !parsed.ok) result = { ok: false, error: `The scenario is not valid, so it cannot be linked (${formatScenarioError(parsed.error)}).` };
  else if (text === undefined) result = { ok: false, error: 'The scenario is not JSON, so it cannot be linked.' };
  else if (text.length > PERMALINK_LIMITS.maxDecompressedChars) {
    result = {
      ok: false,
      error: `The scenario is too large for a link (${text.length.toLocaleString('en-US')} characters of JSON; a link holds at most ${PERMALINK_LIMITS.maxDecompressedChars.toLocaleString('en-US')}); share it as a file instead.`,
    };
  } else result = { ok: true, value: lz.compressToEncodedURIComponent(text) };
  lastPacked = { json, result };
  return result;
}

/** The fragment (without `#`), e.g. `sp1/b/quadrants-32bit/1/s=2&r=merged`. Throws PermalinkError when it cannot. */
export function encodePermalink(p: Permalink): string {
  const r = tryEncodePermalink(p);
  if (!r.ok) throw new PermalinkError(r.error);
  return r.fragment;
}

// ---------------------------------------------------------------------------
// Decoding

type Decoded = Extract<DecodeResult, { ok: true }>;
const failed = (error: string): DecodeResult => ({ ok: false, error });

/** Characters a link of any version may hold; anything else is damage. */
const LINK_CHARS_RE = /[^A-Za-z0-9+$\-/&=._]/;

function showChar(text: string, at: number): string {
  const cp = text.codePointAt(at) ?? 0;
  if (cp === 0x20) return 'a space';
  const ch = String.fromCodePoint(cp);
  const printable = cp > 0x20 && cp !== 0x7f && !(cp >= 0x80 && cp < 0xa0) && !(cp >= 0xd800 && cp <= 0xdfff);
  return printable ? JSON.stringify(ch) : `the character U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Decodes a fragment (with or without its `#`). Never throws; each failure is one sentence. */
export function decodePermalink(fragment: string): DecodeResult {
  try {
    if (typeof fragment !== 'string') return failed('The link is not text.');
    let f = fragment;
    if (f.length > PERMALINK_LIMITS.maxFragmentChars + 64) {
      return failed(`The link is too long (${f.length} characters; at most ${PERMALINK_LIMITS.maxFragmentChars}): it may have been pasted twice or altered.`);
    }
    f = f.trim();
    if (f.startsWith('#')) f = f.slice(1);
    if (f === '') return failed('The link is empty: it has no scenario after "#".');
    if (f.length > PERMALINK_LIMITS.maxFragmentChars) {
      return failed(`The link is too long (${f.length} characters; at most ${PERMALINK_LIMITS.maxFragmentChars}): it may have been pasted twice or altered.`);
    }
    const badAt = f.search(LINK_CHARS_RE);
    if (badAt >= 0) {
      return failed(`The link is damaged: it contains ${showChar(f, badAt)} (at character ${badAt + 1}), which links never have; it may have been altered when copied.`);
    }
    const m = /^sp([1-9][0-9]{0,5})\//.exec(f);
    if (m === null) {
      return failed(`This is not a shadowpaging link: it should start with "sp${PERMALINK_VERSION}/".`);
    }
    const version = Number(m[1]);
    const rest = f.slice(m[0].length);
    switch (version) {
      case 1:
        return decodeV1(rest);
      default:
        return failed(
          `This link uses link format ${version}, from a newer version of shadowpaging; this version opens link format${PERMALINK_VERSION === 1 ? ' 1' : `s 1 to ${PERMALINK_VERSION}`}.`,
        );
    }
  } catch (e) {
    // Not expected (everything above is bounded and checked); kept so nothing escapes.
    let detail = 'unknown error';
    try {
      detail = e instanceof Error ? `${e.name}: ${e.message}`.slice(0, 200) : String(e).slice(0, 200);
    } catch {
      /* keep the generic text */
    }
    return failed(`The link could not be read (${detail}).`);
  }
}

/** Format v1: `b/<id>/<version>[/<view>]` or `z/[<view>/]<lz data>`. */
function decodeV1(rest: string): DecodeResult {
  const parts = rest.split('/');
  const kind = parts[0];
  if (kind === 'b') {
    if (parts.length < 3 || parts.length > 4) {
      return failed(`The link is damaged: a link to a built-in scenario has the form "sp1/b/<name>/<version>" with optional view settings after one more "/", but this one has ${parts.length + 1} parts.`);
    }
    const [, id = '', ver = '', query] = parts;
    if (!ID_RE.test(id)) return failed(`The link is damaged: ${quoteKey(id)} is not the name of a built-in scenario (names are lowercase letters, digits and "-").`);
    if (!VERSION_RE.test(ver)) return failed(`The link is damaged: the version of built-in scenario "${id}" must be a whole number like 1, not ${quoteKey(ver)}.`);
    const entries = LIBRARY.filter((e) => e.id === id);
    if (entries.length === 0) {
      const ids = LIBRARY.map((e) => e.id);
      const longer = ids.find((known) => known.startsWith(id));
      if (longer !== undefined) return failed(`There is no built-in scenario "${id}": the link looks cut short (did you mean "${longer}"?).`);
      const hint = suggestKey(id, ids);
      return failed(`There is no built-in scenario "${id}" in this version of shadowpaging${hint !== undefined ? ` (did you mean "${hint}"?)` : ''}.`);
    }
    const entry = entries.find((e) => e.version === Number(ver));
    if (entry === undefined) {
      const have = entries.map((e) => e.version).join(', ');
      return failed(`This version of shadowpaging has built-in scenario "${id}" in version ${have} only, not version ${ver}; the link may come from a newer version.`);
    }
    const split = query === undefined ? { ok: true as const, value: { rest: '', check: undefined } } : splitCheck(query);
    if (!split.ok) return split;
    const { rest: settings, check } = split.value;
    if (check !== undefined && linkCheck(`sp1/b/${id}/${ver}${settings === '' ? '' : `/${settings}`}`) !== check) return failed(CHECK_FAILED);
    const view = query === undefined || (check !== undefined && settings === '') ? { ok: true as const, value: DEFAULT_VIEW } : decodeViewV1(settings);
    if (!view.ok) return view;
    const parsed = parseBuiltin(entry);
    if (!parsed.ok) return failed(`The built-in scenario "${id}" is broken in this build (${formatScenarioError(parsed.error)}).`);
    return done({ kind: 'builtin', id: entry.id, version: entry.version }, entry.json, parsed.scenario, view.value);
  }
  if (kind === 'z') {
    if (parts.length < 2 || parts.length > 3) {
      return failed(`The link is damaged: a link holding a whole scenario has the form "sp1/z/<data>", with optional view settings before the data, but this one has ${parts.length + 1} parts.`);
    }
    const data = parts[parts.length - 1]!;
    const split = parts.length === 3 ? splitCheck(parts[1]!) : { ok: true as const, value: { rest: '', check: undefined } };
    if (!split.ok) return split;
    const { rest: settings, check } = split.value;
    const view = parts.length === 3 && !(check !== undefined && settings === '') ? decodeViewV1(settings) : { ok: true as const, value: DEFAULT_VIEW };
    if (!view.ok) return view;
    if (data === '') return failed('The link is cut short: it has no scenario data after "sp1/z/".');
    if (!LZ_RE.test(data)) return failed('The link is damaged: its scenario data holds characters that compressed data never has.');
    // Before unpacking: a link that is not what was copied is refused whatever it would unpack to.
    if (check !== undefined && linkCheck(`sp1/z/${settings === '' ? '' : `${settings}/`}${data}`) !== check) return failed(CHECK_FAILED);
    const json = unpackJson(data);
    if (!json.ok) return json;
    const parsed = parseScenario(json.value);
    if (!parsed.ok) return failed(`The scenario in the link is not valid (${formatScenarioError(parsed.error)}).`);
    return done({ kind: 'inline', json: json.value }, json.value, parsed.scenario, view.value);
  }
  return failed(`The link is damaged: after "sp1/" comes "b/" (a built-in scenario by name) or "z/" (a whole scenario), not ${quoteKey(kind ?? '')}.`);
}

function done(scenario: LinkScenario, scenarioJson: unknown, parsed: Scenario, view: ViewState): Decoded {
  const warnings: string[] = [];
  const fitted = fitView(view, parsed, warnings);
  return { ok: true, link: { scenario, view: fitted }, scenarioJson, scenario: parsed, warnings };
}

/** lz data -> JSON value, with the size and nesting caps. */
function unpackJson(data: string): Fit<unknown> {
  const damaged: Fit<unknown> = { ok: false, error: 'The scenario in the link is damaged or cut short: it could not be unpacked. Copy the whole link again.' };
  // The size first, without unpacking: a few link characters can unpack to millions.
  const size = lzUnpackedLength(data, PERMALINK_LIMITS.maxDecompressedChars);
  if (size.kind === 'over') {
    return { ok: false, error: `The scenario in the link is too large: it unpacks to more than ${PERMALINK_LIMITS.maxDecompressedChars} characters, the most a link may hold.` };
  }
  if (size.kind === 'invalid' || size.length === 0) return damaged;
  let text: string | null;
  try {
    text = lz.decompressFromEncodedURIComponent(data) as string | null;
  } catch {
    return damaged;
  }
  // Equal by construction (lz-bound.ts models lz-string); checked so a mismatch can only refuse.
  if (typeof text !== 'string' || text.length !== size.length) return damaged;
  const depth = jsonDepth(text);
  if (depth > PERMALINK_LIMITS.maxJsonDepth) {
    return { ok: false, error: `The scenario in the link is damaged: its JSON nests deeper than ${PERMALINK_LIMITS.maxJsonDepth} levels.` };
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (e) {
    const msg = e instanceof Error ? e.message.slice(0, 120) : 'syntax error';
    return { ok: false, error: `The scenario in the link is damaged or cut short: its text is not valid JSON (${msg}).` };
  }
}

/** Deepest bracket nesting outside strings (stops counting once past the cap). */
function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > PERMALINK_LIMITS.maxJsonDepth) return max;
      }
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

// ---------------------------------------------------------------------------
// The page's address

/**
 * Reads the page address: `?embed=1` (also `?embed` or `?embed=true`) asks
 * for the minimal-chrome embed mode; the fragment, if any, is the link. A
 * fragment that was percent-encoded on the way (by a chat app or mailer) is
 * decoded. Never throws.
 */
export function parseLocation(loc: { readonly hash: string; readonly search: string }): { readonly embed: boolean; readonly fragment: string | null } {
  let embed = false;
  let fragment: string | null = null;
  try {
    const search = typeof loc.search === 'string' ? loc.search.slice(0, 2048) : '';
    for (const param of search.replace(/^\?/, '').split('&')) {
      const eq = param.indexOf('=');
      const key = safeDecode(eq < 0 ? param : param.slice(0, eq));
      const value = eq < 0 ? '' : safeDecode(param.slice(eq + 1));
      if (key === 'embed') embed = value === '' || value === '1' || value === 'true';
    }
    const hash = typeof loc.hash === 'string' ? loc.hash : '';
    let f = hash.startsWith('#') ? hash.slice(1) : hash;
    if (f.includes('%') && f.length <= PERMALINK_LIMITS.maxFragmentChars * 3) f = safeDecode(f);
    fragment = f === '' ? null : f;
  } catch {
    /* an odd location object: no embed, no link */
  }
  return { embed, fragment };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * `base` (origin + path) + `?embed=1` when asked + `#` + fragment. The base's
 * own query and hash are dropped (the app reads nothing else from them); an
 * empty fragment (the app's start page) gets no `#`.
 */
export function permalinkUrl(base: string, fragment: string, options: { readonly embed?: boolean } = {}): string {
  const clean = base.replace(/[?#].*$/s, '');
  return `${clean}${options.embed === true ? '?embed=1' : ''}${fragment === '' ? '' : `#${fragment}`}`;
}

// ---------------------------------------------------------------------------
// Shared with lesson links (lesson-link.ts), which reuse format 1's view
// settings, check and packing rather than define their own.

export const sim_linkParts = { encodeView, decodeViewV1, splitCheck, unpackJson, fitView, CHECK_FAILED, LINK_CHARS_RE, LZ_RE, ID_RE, VERSION_RE, lz } as const;
