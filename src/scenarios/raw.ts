/**
 * The structure of a `shadowpaging/v1` document, checked with zod.
 *
 * This layer checks shapes, types and value syntax only (strict objects, so
 * unknown keys are errors). Everything that depends on other fields (the
 * guest mode, alignment, ranges, limits across the document) is checked
 * afterwards in `schema.ts`, which turns the result into a core `Scenario`.
 */
import * as z from 'zod';
import type { U64 } from '../core/scenario.ts';
import { SCENARIO_LIMITS } from '../core/scenario.ts';
import { MAX_QUESTIONS_PER_STEP, QUESTION_KINDS } from '../core/questions.ts';
import { describeValue, parseU64 } from './hex.ts';
import { unknownKeyMessage } from './errors.ts';
import { PARSER_LIMITS } from './limits.ts';

export const FORMAT_V1 = 'shadowpaging/v1';

type RawIssue = z.core.$ZodRawIssue;

/** "missing (required)" or "expected X, got Y". */
function typeError(expected: string) {
  return (iss: RawIssue): string =>
    iss.input === undefined ? 'missing (required)' : `expected ${expected}, got ${describeValue(iss.input)}`;
}

/** A strict object whose unknown keys are reported with the allowed ones. */
function strict<S extends z.core.$ZodLooseShape>(where: string, shape: S) {
  const allowed = Object.keys(shape);
  return z.strictObject(shape, {
    error: (iss) =>
      iss.code === 'unrecognized_keys'
        ? unknownKeyMessage(iss.keys, allowed, where)
        : typeError(`${where} (a JSON object)`)(iss),
  });
}

const bool = z.boolean({ error: typeError('true or false') });

/** A hex string or a non-negative integer, as a U64 (range checks come later). */
function u64(example: string) {
  return z.unknown().transform((v, ctx): U64 => {
    const r = parseU64(v, example);
    if (typeof r === 'string') {
      ctx.issues.push({ code: 'custom', message: r, input: v });
      return z.NEVER;
    }
    return r;
  });
}

function intIn(min: number, max: number) {
  return z.custom<number>((v) => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max, {
    error: typeError(`a whole number from ${min} to ${max}`),
  });
}

function oneOf<const T extends readonly (string | number)[]>(values: T) {
  const shown = values.map((v) => JSON.stringify(v)).join(', ');
  return z.custom<T[number]>((v) => values.includes(v as T[number]), { error: typeError(`one of ${shown}`) });
}

/** Arrays are length-checked before their elements are looked at. */
function boundedArray<T extends z.ZodType>(item: T, max: number, what: string) {
  return z
    .array(z.unknown(), { error: typeError(`an array of ${what}`) })
    .max(max, {
      error: (iss) =>
        `too many ${what} (${Array.isArray(iss.input) ? iss.input.length : 'over ' + max}); at most ${max} are allowed`,
    })
    .pipe(z.array(item));
}

function text(maxChars: number) {
  return z.string({ error: typeError('a string') }).max(maxChars, {
    error: (iss) =>
      `too long (${typeof iss.input === 'string' ? iss.input.length : 'over ' + maxChars} characters); at most ${maxChars}`,
  });
}

const ENTRY_INDEX_RE = /^(?:0|[1-9][0-9]{0,5})$/;

/** `{ "769": "0x3007" }` -> `[[769, {lo, hi}]]`, sorted by index. Index ranges are checked later. */
const entries = z
  .custom<Record<string, unknown>>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), {
    error: typeError('an object mapping entry indexes to values, like { "769": "0x3007" }'),
  })
  .transform((obj, ctx): Array<[number, U64]> => {
    const keys = Object.keys(obj);
    if (keys.length > SCENARIO_LIMITS.maxEntriesPerFrame) {
      ctx.issues.push({
        code: 'custom',
        input: obj,
        message: `too many entries (${keys.length}); a frame holds at most ${SCENARIO_LIMITS.maxEntriesPerFrame}`,
      });
      return z.NEVER;
    }
    const out: Array<[number, U64]> = [];
    for (const key of keys) {
      if (!ENTRY_INDEX_RE.test(key)) {
        ctx.issues.push({
          code: 'custom',
          input: obj,
          path: [key],
          message: 'an entry index must be a decimal number without leading zeros, like "769"',
        });
        return z.NEVER;
      }
      const value: unknown = Object.getOwnPropertyDescriptor(obj, key)?.value;
      const r = parseU64(value, '0x3007');
      if (typeof r === 'string') {
        ctx.issues.push({ code: 'custom', input: value, path: [key], message: r });
        return z.NEVER;
      }
      out.push([Number(key), r]);
    }
    return out.sort((a, b) => a[0] - b[0]);
  });

const guest = strict('guest', {
  mode: z.enum(['x86-32', 'pae', 'x86-64', 'off'], {
    error: typeError('one of "x86-32", "pae", "x86-64", "off"'),
  }),
  cr3: z.optional(u64('0x1000')),
  cr0: z.optional(strict('guest.cr0', { wp: z.optional(bool) })),
  cr4: z.optional(
    strict('guest.cr4', { pse: z.optional(bool), smep: z.optional(bool), smap: z.optional(bool), pcide: z.optional(bool) }),
  ),
  efer: z.optional(strict('guest.efer', { nx: z.optional(bool) })),
  maxPhyAddr: z.optional(intIn(32, 52)),
});

const host = strict('host', {
  hugePages: z.optional(bool),
  memoryMiB: z.optional(intIn(1, 65536)),
});

const frame = strict('a memory frame', {
  gpa: u64('0x1000'),
  entrySize: z.optional(oneOf([4, 8] as const)),
  entries,
});

const mapping = strict('a mapping', {
  gva: u64('0xC0400000'),
  gpa: u64('0x12400000'),
  size: z.optional(oneOf(['4K', '2M', '4M', '1G'] as const)),
  flags: z.string({ error: typeError('a string of access letters like "rw", "rwu" or "rwux"') }),
  nx: z.optional(bool),
  accessed: z.optional(bool),
  dirty: z.optional(bool),
});

const ACCESS_KEYS = { gva: u64('0xC0403123'), user: z.optional(bool), ac: z.optional(bool) };

/**
 * A teacher's note on a step (issue 18): plain text with a small markup
 * subset the app renders itself (src/ui/notes/), never as HTML. Optional on
 * every step kind and always its last key, so every v1 file and link still
 * opens and the fast path (steps-fast.ts) writes it in zod's key order. The
 * core never sees it.
 */
const NOTE = { note: z.optional(text(SCENARIO_LIMITS.maxNoteChars)) };

/**
 * The questions a teacher picked for a step (issue 18, src/core/questions.ts):
 * asked before the step is revealed, in this order; the core computes every
 * answer. Optional on every step kind, just before `note`. `gfn` and `level`
 * name the page of a quadrant-of question.
 */
const question = strict('a question', {
  kind: oneOf(QUESTION_KINDS),
  gfn: z.optional(u64('0x101')),
  level: z.optional(intIn(1, 4)),
});
const QUESTIONS = { questions: z.optional(boundedArray(question, MAX_QUESTIONS_PER_STEP, 'questions')) };

export const STEP_OPS = ['read', 'write', 'fetch', 'cr3', 'invlpg', 'cr0', 'cr4', 'efer', 'host-write', 'zap-all'] as const;

const step = z.discriminatedUnion(
  'op',
  [
    strict('a read step', { op: z.literal('read'), ...ACCESS_KEYS, ...QUESTIONS, ...NOTE }),
    strict('a write step', {
      op: z.literal('write'),
      ...ACCESS_KEYS,
      value: z.optional(u64('0x6007')),
      width: z.optional(oneOf([1, 2, 4, 8] as const)),
      ...QUESTIONS,
      ...NOTE,
    }),
    strict('a fetch step', { op: z.literal('fetch'), ...ACCESS_KEYS, ...QUESTIONS, ...NOTE }),
    strict('a cr3 step', { op: z.literal('cr3'), value: u64('0x4000'), noflush: z.optional(bool), ...QUESTIONS, ...NOTE }),
    strict('an invlpg step', { op: z.literal('invlpg'), gva: u64('0xC0403000'), ...QUESTIONS, ...NOTE }),
    strict('a cr0 step', { op: z.literal('cr0'), wp: z.optional(bool), pg: z.optional(bool), ...QUESTIONS, ...NOTE }),
    strict('a cr4 step', {
      op: z.literal('cr4'),
      pse: z.optional(bool),
      pae: z.optional(bool),
      smep: z.optional(bool),
      smap: z.optional(bool),
      pcide: z.optional(bool),
      ...QUESTIONS,
      ...NOTE,
    }),
    strict('an efer step', { op: z.literal('efer'), nx: z.optional(bool), lme: z.optional(bool), ...QUESTIONS, ...NOTE }),
    strict('a host-write step', {
      op: z.literal('host-write'),
      gpa: u64('0x3008'),
      value: u64('0x200007'),
      width: z.optional(oneOf([4, 8] as const)),
      ...QUESTIONS,
      ...NOTE,
    }),
    strict('a zap-all step', { op: z.literal('zap-all'), ...QUESTIONS, ...NOTE }),
  ],
  {
    error: (iss) => {
      const ops = STEP_OPS.map((o) => `"${o}"`).join(', ');
      if (iss.code === 'invalid_union') {
        const input = iss.input;
        const op: unknown =
          typeof input === 'object' && input !== null ? Object.getOwnPropertyDescriptor(input, 'op')?.value : undefined;
        if (op === undefined) return `missing (required): every step needs "op", one of ${ops}`;
        return `unknown operation ${describeValue(op)}; expected one of ${ops}`;
      }
      return typeError(`a step object like { "op": "read", "gva": "0xC0403123" }`)(iss);
    },
  },
);

/** The step array: length first (before any element is looked at), then each step. */
export const rawSteps = boundedArray(step, PARSER_LIMITS.maxFileSteps, 'steps');

/** One step, as zod checks it; raw-parse.ts asks it about the steps the fast path does not take. */
export const rawStep = step;

/** Every key of the document but `steps`. */
const documentShape = {
  format: z.literal(FORMAT_V1),
  title: text(SCENARIO_LIMITS.maxTitleChars),
  description: z.optional(text(SCENARIO_LIMITS.maxDescriptionChars)),
  guest,
  host: z.optional(host),
  memory: z.optional(boundedArray(frame, SCENARIO_LIMITS.maxFrames, 'memory frames')),
  mappings: z.optional(boundedArray(mapping, PARSER_LIMITS.maxMappings, 'mappings')),
  tablesAt: z.optional(u64('0x100000')),
};

/** The whole document; `format` has already been checked by the caller. */
export const rawScenario = strict('the scenario', { ...documentShape, steps: rawSteps });

/**
 * The same document with `steps` passed through unchecked (the key is still
 * allowed, so unknown-key messages list it; optional, so that its absence
 * is reported by the step array's own schema). raw-parse.ts checks the step
 * array itself, with the hand-written fast path (steps-fast.ts) and zod for
 * any step that path does not take.
 */
export const rawScenarioStepsUnchecked = strict('the scenario', { ...documentShape, steps: z.optional(z.unknown()) });

export type RawScenario = z.output<typeof rawScenario>;
export type RawGuest = RawScenario['guest'];
export type RawFrame = NonNullable<RawScenario['memory']>[number];
export type RawMapping = NonNullable<RawScenario['mappings']>[number];
export type RawStep = RawScenario['steps'][number];
