/**
 * Lesson links (issue 18, item 3): a new, optional form of link format 1
 * (docs/permalinks.md); `sp1/b/` and `sp1/z/` links are unchanged.
 *
 *   sp1/l/four-roots/1/2/s=3           built-in lesson "four-roots" version 1, entry 2, at step 3
 *   sp1/m/2/s=3&k=Bx7Yc0/N4Ig...       a whole lesson, lz-string compressed, with its check
 *
 * The entry is counted from 1. The view settings are those of `sp1/b/`
 * links, except the rule set: left out, it is the entry's own (a lesson
 * entry can be meant for Before or Merged), so `r=` is written only when the
 * reader switched away from it. An inline lesson is packed, checked and
 * capped as an inline scenario is (PERMALINK_LIMITS), with the same messages.
 */
import type { RuleSetName } from '../core/scenario.ts';
import { formatLessonError, parseLesson, type Lesson } from './lesson.ts';
import { LESSONS } from './lessons/index.ts';
import { canonicalJson, DEFAULT_VIEW, linkCheck, normalizeView, PERMALINK_LIMITS, sim_linkParts as P, type EncodeResult, type ViewState } from './permalink.ts';
import { quoteKey, suggestKey } from './errors.ts';

export type LinkLesson = { readonly kind: 'builtin'; readonly id: string; readonly version: number } | { readonly kind: 'inline'; readonly json: unknown };

export interface LessonLink {
  readonly lesson: LinkLesson;
  /** The entry on screen, from 0. */
  readonly entry: number;
  readonly view: ViewState;
}

export type LessonDecode =
  | { readonly ok: true; readonly link: LessonLink; readonly lessonJson: unknown; readonly lesson: Lesson; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly error: string };

/** Whether a fragment is a lesson link (so the app decodes it here rather than as a scenario link). */
export const isLessonFragment = (fragment: string): boolean => /^#?\s*sp1\/[lm]\//.test(fragment);

/** How to refer to the lesson on screen: by name when it is a built-in as shipped, else inline. */
export function linkLessonFor(id: string | null, json: unknown): LinkLesson {
  const e = id === null ? undefined : LESSONS.find((l) => l.id === id);
  if (e && (e.json === json || canonicalJson(e.json) === canonicalJson(json))) return { kind: 'builtin', id: e.id, version: e.version };
  return { kind: 'inline', json };
}

/** The view settings with the rule set written only when it is not the entry's. */
function settingsOf(view: ViewState, entryRules: RuleSetName): string {
  const q = P.encodeView({ ...view, rules: DEFAULT_VIEW.rules });
  if (view.rules === entryRules) return q;
  return q === '' ? `r=${view.rules}` : `${q}&r=${view.rules}`;
}

/** Builds the fragment (without `#`); never throws. `entryRules` is the rule set the entry opens under. */
export function tryEncodeLessonLink(link: LessonLink, entryRules: RuleSetName): EncodeResult {
  try {
    const v = normalizeView(link.view);
    if (!v.ok) return v;
    const query = settingsOf(v.value, entryRules);
    const k = link.entry + 1;
    let fragment: string;
    if (link.lesson.kind === 'builtin') {
      const { id, version } = link.lesson;
      if (!LESSONS.some((l) => l.id === id && l.version === version)) return { ok: false, error: `There is no built-in lesson ${quoteKey(id)} version ${version} to link to.` };
      fragment = `sp1/l/${id}/${version}/${k}${query === '' ? '' : `/${query}`}`;
    } else {
      const text = canonicalJson(link.lesson.json);
      if (text === undefined) return { ok: false, error: 'The lesson is not JSON, so it cannot be linked.' };
      if (text.length > PERMALINK_LIMITS.maxDecompressedChars) {
        return { ok: false, error: `The lesson is too large for a link (${text.length.toLocaleString('en-US')} characters of JSON; a link holds at most ${PERMALINK_LIMITS.maxDecompressedChars.toLocaleString('en-US')}); share it as a file instead.` };
      }
      const parsed = parseLesson(link.lesson.json);
      if (!parsed.ok) return { ok: false, error: `The lesson is not valid, so it cannot be linked (${formatLessonError(parsed.error)}).` };
      const data = P.lz.compressToEncodedURIComponent(text);
      const check = linkCheck(`sp1/m/${k}/${query === '' ? '' : `${query}/`}${data}`);
      fragment = `sp1/m/${k}/${query === '' ? '' : `${query}&`}k=${check}/${data}`;
    }
    if (fragment.length > PERMALINK_LIMITS.maxFragmentChars) {
      return { ok: false, error: `The lesson is too large for a link (the link would be ${fragment.length.toLocaleString('en-US')} characters; at most ${PERMALINK_LIMITS.maxFragmentChars.toLocaleString('en-US')}); share it as a file instead.` };
    }
    return { ok: true, fragment };
  } catch (e) {
    return { ok: false, error: `The link could not be made (${e instanceof Error ? e.message.slice(0, 200) : 'unknown error'}).` };
  }
}

const failed = (error: string): LessonDecode => ({ ok: false, error });
const ENTRY_RE = /^[1-9][0-9]{0,2}$/;

/** Decodes a lesson link (with or without `#`). Never throws; each failure is one sentence. */
export function decodeLessonLink(fragment: string): LessonDecode {
  try {
    let f = typeof fragment === 'string' ? fragment.trim() : '';
    if (f.startsWith('#')) f = f.slice(1);
    if (f.length > PERMALINK_LIMITS.maxFragmentChars) return failed(`The link is too long (${f.length} characters; at most ${PERMALINK_LIMITS.maxFragmentChars}): it may have been pasted twice or altered.`);
    const badAt = f.search(P.LINK_CHARS_RE);
    if (badAt >= 0) return failed(`The link is damaged: it contains a character links never have (at character ${badAt + 1}); it may have been altered when copied.`);
    const parts = f.split('/');
    const [sp, kind] = parts;
    if (sp !== 'sp1' || (kind !== 'l' && kind !== 'm')) return failed('This is not a lesson link: it should start with "sp1/l/" or "sp1/m/".');
    let lessonJson: unknown;
    let ref: LinkLesson;
    let entryText: string;
    let settings = '';
    let check: string | undefined;
    if (kind === 'l') {
      if (parts.length < 5 || parts.length > 6) return failed(`The link is damaged: a link to a built-in lesson has the form "sp1/l/<name>/<version>/<entry>" with optional view settings after one more "/", but this one has ${parts.length} parts.`);
      const [, , id = '', ver = '', k = '', query] = parts;
      if (!P.ID_RE.test(id)) return failed(`The link is damaged: ${quoteKey(id)} is not the name of a built-in lesson (names are lowercase letters, digits and "-").`);
      if (!P.VERSION_RE.test(ver)) return failed(`The link is damaged: the version of built-in lesson "${id}" must be a whole number like 1, not ${quoteKey(ver)}.`);
      const entries = LESSONS.filter((l) => l.id === id);
      if (entries.length === 0) {
        const hint = suggestKey(id, LESSONS.map((l) => l.id));
        return failed(`There is no built-in lesson "${id}" in this version of shadowpaging${hint !== undefined ? ` (did you mean "${hint}"?)` : ''}.`);
      }
      const e = entries.find((l) => l.version === Number(ver));
      if (!e) return failed(`This version of shadowpaging has built-in lesson "${id}" in version ${entries.map((l) => l.version).join(', ')} only, not version ${ver}; the link may come from a newer version.`);
      ref = { kind: 'builtin', id: e.id, version: e.version };
      lessonJson = e.json;
      entryText = k;
      if (query !== undefined) {
        const split = P.splitCheck(query);
        if (!split.ok) return split;
        settings = split.value.rest;
        check = split.value.check;
        if (check !== undefined && linkCheck(`sp1/l/${id}/${ver}/${k}${settings === '' ? '' : `/${settings}`}`) !== check) return failed(P.CHECK_FAILED);
      }
    } else {
      if (parts.length < 4 || parts.length > 5) return failed(`The link is damaged: a link holding a whole lesson has the form "sp1/m/<entry>/<data>", with optional view settings before the data, but this one has ${parts.length} parts.`);
      entryText = parts[2]!;
      const data = parts[parts.length - 1]!;
      if (parts.length === 5) {
        const split = P.splitCheck(parts[3]!);
        if (!split.ok) return split;
        settings = split.value.rest;
        check = split.value.check;
      }
      if (data === '') return failed('The link is cut short: it has no lesson data.');
      if (!P.LZ_RE.test(data)) return failed('The link is damaged: its lesson data holds characters that compressed data never has.');
      if (check !== undefined && linkCheck(`sp1/m/${entryText}/${settings === '' ? '' : `${settings}/`}${data}`) !== check) return failed(P.CHECK_FAILED);
      const json = P.unpackJson(data);
      if (!json.ok) return failed(json.error.replace(/scenario/g, 'lesson'));
      lessonJson = json.value;
      ref = { kind: 'inline', json: lessonJson };
    }
    if (!ENTRY_RE.test(entryText)) return failed(`The link is damaged: the lesson's entry must be a whole number like 1, not ${quoteKey(entryText)}.`);
    const parsed = parseLesson(lessonJson);
    if (!parsed.ok) return failed(ref.kind === 'builtin' ? `The built-in lesson is broken in this build (${formatLessonError(parsed.error)}).` : `The lesson in the link is not valid (${formatLessonError(parsed.error)}).`);
    const warnings: string[] = [];
    const n = parsed.lesson.entries.length;
    let entry = Number(entryText) - 1;
    if (entry >= n) {
      warnings.push(`The link asks for scenario ${entry + 1} of the lesson, but it has ${n}; showing the last.`);
      entry = n - 1;
    }
    const le = parsed.lesson.entries[entry]!;
    const view = settings === '' ? { ok: true as const, value: DEFAULT_VIEW } : P.decodeViewV1(settings);
    if (!view.ok) return view;
    const hasRules = settings.split('&').some((p) => p.startsWith('r='));
    const fitted = P.fitView({ ...view.value, rules: hasRules ? view.value.rules : le.rules }, le.scenario, warnings);
    return { ok: true, link: { lesson: ref, entry, view: fitted }, lessonJson, lesson: parsed.lesson, warnings };
  } catch (e) {
    return failed(`The link could not be read (${e instanceof Error ? e.message.slice(0, 200) : 'unknown error'}).`);
  }
}
