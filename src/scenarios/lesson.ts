/**
 * Lessons (issue 18, item 3): an ordered list of scenarios with an intro,
 * notes and questions, shared as one JSON file (`shadowpaging-lesson/v1`) or
 * one link. docs/lessons.md documents the format.
 *
 * An entry is a built-in scenario by id or a whole scenario document. A
 * lesson can annotate a built-in without copying it: the entry's `notes` and
 * `questions`, keyed by step number (from 1, as the app shows steps), are
 * merged into a copy of the document, so the rest of the app (notes, the quiz
 * gate, the answer key, the grader) reads an entry exactly as it reads a
 * scenario. Everything in a lesson is untrusted: each problem names its field
 * (`entries[1].notes["12"]`), like the scenario parser's.
 */
import { z } from 'zod';
import { RULE_SETS } from '../core/mmu/rules.ts';
import { MAX_QUESTIONS_PER_STEP, QUESTION_KINDS } from '../core/questions.ts';
import type { RuleSetName, Scenario } from '../core/scenario.ts';
import { SCENARIO_LIMITS } from '../core/scenario.ts';
import { formatPath, quoteKey, suggestKey } from './errors.ts';
import { describeValue } from './hex.ts';
import { LIBRARY } from './library/index.ts';
import { formatScenarioError, parseScenario } from './schema.ts';

export const LESSON_FORMAT = 'shadowpaging-lesson/v1';

export const LESSON_LIMITS = {
  /** Scenarios in one lesson (a course's week, with room). */
  maxEntries: 32,
  maxTitleChars: 200,
  /** The lesson's and each entry's intro: as long as a note. */
  maxIntroChars: SCENARIO_LIMITS.maxNoteChars,
  /** A lesson file's text, checked before JSON.parse: 32 inline scenarios of ~64 KiB each. */
  maxTextChars: 2 * 1024 * 1024,
} as const;

export interface LessonError {
  readonly path: string;
  readonly message: string;
}

export const formatLessonError = (e: LessonError): string => (e.path === '' ? `lesson: ${e.message}` : `${e.path}: ${e.message}`);

/** One entry, resolved: the scenario document to show (with the lesson's notes and questions merged in) and how. */
export interface LessonEntry {
  /** The built-in scenario's id, or null for an inline one. */
  readonly builtin: string | null;
  readonly intro: string | null;
  /** The rule set the entry opens under (the entry's, else the lesson's, else "seed"). */
  readonly rules: RuleSetName;
  /** The scenario document, notes and questions merged in (a new object when the entry annotates it). */
  readonly json: unknown;
  readonly scenario: Scenario;
}

export interface Lesson {
  readonly title: string;
  readonly intro: string | null;
  readonly entries: readonly LessonEntry[];
}

export type LessonParse = { readonly ok: true; readonly lesson: Lesson } | { readonly ok: false; readonly error: LessonError };

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function typeError(expected: string) {
  return (iss: { input?: unknown }): string => (iss.input === undefined ? 'missing (required)' : `expected ${expected}, got ${describeValue(iss.input)}`);
}

const text = (max: number) =>
  z.string({ error: typeError('a string') }).max(max, { error: (iss) => `too long (${typeof iss.input === 'string' ? iss.input.length : 'over ' + max} characters); at most ${max}` });

function strict<S extends z.core.$ZodLooseShape>(where: string, shape: S) {
  const allowed = Object.keys(shape);
  return z.strictObject(shape, {
    error: (iss) => {
      if (iss.code !== 'unrecognized_keys') return typeError(`${where} (a JSON object)`)(iss);
      const key = iss.keys[0] ?? '';
      const hint = suggestKey(key, allowed);
      return `unknown key ${quoteKey(key)} in ${where}${hint ? ` (did you mean "${hint}"?)` : ''}; allowed keys: ${allowed.join(', ')}`;
    },
  });
}

const rules = z.custom<RuleSetName>((v) => RULE_SETS.includes(v as RuleSetName), { error: typeError(`one of ${RULE_SETS.map((r) => `"${r}"`).join(', ')}`) });

/** A step number as a key: "1", "2", ... (checked against the scenario's length after). */
const STEP_KEY_RE = /^[1-9][0-9]{0,5}$/;

const question = strict('a question', {
  kind: z.custom<string>((v) => QUESTION_KINDS.includes(v as never), { error: typeError(`one of ${QUESTION_KINDS.map((k) => `"${k}"`).join(', ')}`) }),
  gfn: z.optional(z.union([z.string(), z.number()], { error: typeError('a guest frame number like "0x101"') })),
  level: z.optional(z.custom<number>((v) => typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 4, { error: typeError('a whole number from 1 to 4') })),
});

const entry = strict('a lesson entry', {
  builtin: z.optional(z.string({ error: typeError('the id of a built-in scenario (a string)') })),
  scenario: z.optional(z.unknown()),
  intro: z.optional(text(LESSON_LIMITS.maxIntroChars)),
  rules: z.optional(rules),
  notes: z.optional(z.record(z.string(), text(SCENARIO_LIMITS.maxNoteChars), { error: typeError('an object of notes by step number, like { "3": "..." }') })),
  questions: z.optional(
    z.record(
      z.string(),
      z
        .array(question, { error: typeError('an array of questions like [{ "kind": "outcome" }]') })
        .max(MAX_QUESTIONS_PER_STEP, { error: `too many questions for one step; at most ${MAX_QUESTIONS_PER_STEP}` }),
      { error: typeError('an object of questions by step number, like { "3": [{ "kind": "outcome" }] }') },
    ),
  ),
});

const rawLesson = strict('the lesson', {
  format: z.literal(LESSON_FORMAT, { error: typeError(`"${LESSON_FORMAT}"`) }),
  title: text(LESSON_LIMITS.maxTitleChars).refine((s) => s.trim() !== '', { error: 'must not be empty' }),
  intro: z.optional(text(LESSON_LIMITS.maxIntroChars)),
  rules: z.optional(rules),
  entries: z
    .array(entry, { error: typeError('an array of entries like { "builtin": "quadrants-32bit" }') })
    .min(1, { error: 'a lesson needs at least one entry' })
    .max(LESSON_LIMITS.maxEntries, { error: (iss) => `too many entries (${Array.isArray(iss.input) ? iss.input.length : 'over'}); at most ${LESSON_LIMITS.maxEntries}` }),
});

type RawEntry = z.infer<typeof entry>;

class Failure {
  constructor(readonly error: LessonError) {}
}
const fail = (path: readonly PropertyKey[], message: string): never => {
  throw new Failure({ path: formatPath(path), message });
};

/** The document of a built-in scenario by id (the library's own object). */
export const builtinJson = (id: string): unknown => LIBRARY.find((e) => e.id === id)?.json;

/**
 * The scenario document with the entry's notes and questions merged into its
 * steps (a lesson's note or questions for a step replace the document's).
 * The document itself when the entry adds nothing.
 */
function mergeAnnotations(json: unknown, e: RawEntry, at: readonly PropertyKey[]): unknown {
  const notes = e.notes ?? {};
  const questions = e.questions ?? {};
  if (Object.keys(notes).length === 0 && Object.keys(questions).length === 0) return json;
  const doc = json as { steps: unknown[] };
  const n = doc.steps.length;
  const check = (field: string, key: string) => {
    if (!STEP_KEY_RE.test(key) || Number(key) > n) fail([...at, field, key], `not a step of this scenario: keys are step numbers from 1 to ${n}`);
  };
  for (const k of Object.keys(notes)) check('notes', k);
  for (const k of Object.keys(questions)) check('questions', k);
  const steps = doc.steps.map((s, i) => {
    const key = String(i + 1);
    if (!(key in notes) && !(key in questions)) return s;
    const { note, questions: qs, ...rest } = s as { note?: unknown; questions?: unknown };
    // The parser's key order: questions, then the note last.
    const q = key in questions ? questions[key] : qs;
    const nt = key in notes ? notes[key] : note;
    return { ...rest, ...(q !== undefined ? { questions: q } : {}), ...(nt !== undefined ? { note: nt } : {}) };
  });
  return { ...(json as object), steps };
}

/** Validates a lesson (a parsed JSON value) and resolves its entries. Never throws. */
export function parseLesson(input: unknown): LessonParse {
  try {
    if (!isObj(input)) return { ok: false, error: { path: '', message: `expected a JSON object with "format": "${LESSON_FORMAT}", got ${describeValue(input)}` } };
    const r = rawLesson.safeParse(input);
    if (!r.success) {
      const iss = r.error.issues[0]!;
      return { ok: false, error: { path: formatPath(iss.path), message: iss.message } };
    }
    const raw = r.data;
    const entries = raw.entries.map((e, i): LessonEntry => {
      const at = ['entries', i];
      if ((e.builtin === undefined) === (e.scenario === undefined)) fail(at, 'an entry has either "builtin" (a built-in scenario by id) or "scenario" (a whole scenario document), not both and not neither');
      let json: unknown;
      if (e.builtin !== undefined) {
        json = builtinJson(e.builtin);
        if (json === undefined) {
          const hint = suggestKey(e.builtin, LIBRARY.map((x) => x.id));
          fail([...at, 'builtin'], `there is no built-in scenario ${quoteKey(e.builtin)}${hint ? ` (did you mean "${hint}"?)` : ''}`);
        }
      } else {
        json = e.scenario;
        const first = parseScenario(json);
        if (!first.ok) fail([], `${formatPath([...at, 'scenario'])}${first.error.path === '' ? '' : `.${first.error.path}`}: ${first.error.message}`.replace(/^: /, ''));
      }
      const merged = mergeAnnotations(json, e, at);
      const parsed = parseScenario(merged);
      if (!parsed.ok) return fail(at, `the scenario with the lesson's notes and questions is not valid (${formatScenarioError(parsed.error)})`);
      return { builtin: e.builtin ?? null, intro: e.intro ?? null, rules: e.rules ?? raw.rules ?? 'seed', json: merged, scenario: parsed.scenario };
    });
    return { ok: true, lesson: { title: raw.title, intro: raw.intro ?? null, entries } };
  } catch (e) {
    if (e instanceof Failure) {
      // An inline scenario's own error carries its whole path in the message.
      if (e.error.path === '' && /^entries\[/.test(e.error.message)) {
        const m = /^(entries\[\d+\]\.scenario[^:]*): (.*)$/s.exec(e.error.message);
        if (m) return { ok: false, error: { path: m[1]!, message: m[2]! } };
      }
      return { ok: false, error: e.error };
    }
    return { ok: false, error: { path: '', message: `could not be read (${e instanceof Error ? e.message.slice(0, 200) : 'unknown error'})` } };
  }
}

/** Parses lesson JSON text (a file). Never throws. */
export function parseLessonText(textIn: string): LessonParse {
  if (textIn.length > LESSON_LIMITS.maxTextChars) return { ok: false, error: { path: '', message: `the text is too long (${textIn.length} characters); at most ${LESSON_LIMITS.maxTextChars}` } };
  let v: unknown;
  try {
    v = JSON.parse(textIn.charCodeAt(0) === 0xfeff ? textIn.slice(1) : textIn);
  } catch (e) {
    return { ok: false, error: { path: '', message: `not valid JSON: ${e instanceof Error ? e.message.slice(0, 200) : 'syntax error'}` } };
  }
  return parseLesson(v);
}

/** Whether a JSON value claims to be a lesson (its format), so Import can tell a lesson from a scenario. */
export const isLessonDocument = (v: unknown): boolean => isObj(v) && v.format === LESSON_FORMAT;
