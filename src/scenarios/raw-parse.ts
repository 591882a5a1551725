/**
 * The structural check of a document (raw.ts) as schema.ts calls it: zod for
 * the document, with the step array checked by the hand-written fast path
 * (steps-fast.ts) and zod only for the steps that path does not take.
 *
 * Why: zod costs microseconds per step (4-11 us in issue 17; 2-6 us on a
 * first parse here), which a file of 1,000,000 steps turns into seconds. The
 * fast path takes 0.15-0.5 us. The rest of the document is small and keeps zod.
 *
 * The answer is the one `rawScenario.safeParse` alone gives (`sim_parseRawZod`,
 * the reference the tests compare with), by construction:
 *
 * - zod checks the document's other keys (`rawScenarioStepsUnchecked`). If it
 *   finds a problem there, that is zod's first issue for the whole document
 *   too: zod checks keys in the schema's order and `steps` comes last (only
 *   the unknown keys of the document itself are reported after it, and they
 *   are in this answer as well).
 * - Else the steps are the only possible problem. Each step is taken by the
 *   fast path, or else checked by zod's own step schema, whose output is
 *   kept when the step is valid. The first step zod refuses gives the error,
 *   from zod's issues for that step (later steps cannot change which issue is
 *   reported: issueToError looks only at the first issue and, for a missing
 *   field, at the unknown keys of the same object).
 * - A `steps` value that is not an array, or too long, is handed to zod's
 *   array schema, which refuses it before looking at any element.
 */
import type * as z from 'zod';
import type { ScenarioError } from './errors.ts';
import { formatPath } from './errors.ts';
import { rawScenario, rawScenarioStepsUnchecked, rawStep, rawSteps, type RawScenario, type RawStep } from './raw.ts';
import { PARSER_LIMITS } from './limits.ts';
import { sim_fastStep } from './steps-fast.ts';

export type RawParse = { readonly ok: true; readonly data: RawScenario } | { readonly ok: false; readonly error: ScenarioError };

/** The steps of a checked document, read one at a time (an array is one). */
export interface RawStepList {
  readonly length: number;
  at(i: number): RawStep | undefined;
}

/** sim_parseRaw's answer with `lazySteps`: the document with its steps as a RawStepList. */
export type RawParseLazy = { readonly ok: true; readonly data: Omit<RawScenario, 'steps'> & { readonly steps: RawStepList } } | { readonly ok: false; readonly error: ScenarioError };

/**
 * The steps of a document parsed from JSON text, each made again when read
 * (normalize reads each once): the fast path's step for the JSON step, or
 * zod's kept output for the few it did not take. Why: kept, the 100,000
 * steps and their address objects lived through the whole check and were
 * copied by every young-generation collection until promoted, a third of a
 * 100,000-step file's parse; made when read, each dies young. Only for values
 * from JSON.parse: plain data reads the same every time (a hand-made object's
 * getter need not), so the step made is the step checked.
 */
class LazyRawSteps implements RawStepList {
  constructor(
    private readonly json: readonly unknown[],
    private readonly byZod: ReadonlyMap<number, RawStep>,
  ) {}

  get length(): number {
    return this.json.length;
  }

  at(i: number): RawStep | undefined {
    return this.byZod.get(i) ?? sim_fastStep(this.json[i], true);
  }
}

function samePath(a: readonly PropertyKey[], b: readonly PropertyKey[]): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}

/**
 * Picks one zod issue to report: the first, except that a missing field next
 * to an unknown key reports the unknown key (most likely a typo of it).
 */
export function issueToError(issues: readonly z.core.$ZodIssue[]): ScenarioError {
  let pick = issues[0];
  if (pick === undefined) return { path: '', message: 'invalid scenario' };
  if (pick.code !== 'unrecognized_keys' && pick.message.startsWith('missing')) {
    const parent = pick.path.slice(0, -1);
    const unknown = issues.find((i) => i.code === 'unrecognized_keys' && samePath(i.path, parent));
    if (unknown !== undefined) pick = unknown;
  }
  const path = pick.code === 'unrecognized_keys' ? [...pick.path, pick.keys[0] ?? ''] : pick.path;
  return { path: formatPath(path), message: pick.message };
}

/** zod alone, every step included: the reference for the fast path. */
export function sim_parseRawZod(input: unknown): RawParse {
  const parsed = rawScenario.safeParse(input);
  return parsed.success ? { ok: true, data: parsed.data } : { ok: false, error: issueToError(parsed.error.issues) };
}

/** Issues of `schema` on `value`, with `prefix` put before their paths (zod's own prefixing, for a value checked apart). */
function issuesAt(schema: z.ZodType, value: unknown, prefix: readonly PropertyKey[]): z.core.$ZodIssue[] | undefined {
  const r = schema.safeParse(value);
  if (r.success) return undefined;
  return r.error.issues.map((i) => ({ ...i, path: [...prefix, ...i.path] }));
}

/**
 * The fast path; see the comment at the top. With `lazySteps` (a value from
 * JSON.parse only: see LazyRawSteps) the steps come as a RawStepList.
 */
export function sim_parseRaw(input: unknown): RawParse;
export function sim_parseRaw(input: unknown, lazySteps: true): RawParseLazy;
export function sim_parseRaw(input: unknown, lazySteps = false): RawParseLazy {
  const rest = rawScenarioStepsUnchecked.safeParse(input);
  // Issues of the document's own unknown keys come after those of `steps` in zod's order.
  const docIssues = rest.success ? [] : rest.error.issues;
  const ownKeyIssues = docIssues.filter((i) => i.code === 'unrecognized_keys' && i.path.length === 0);
  if (ownKeyIssues.length !== docIssues.length) return { ok: false, error: issueToError(docIssues) };

  // zod read `steps` once, and passed it through unchanged; read as zod reads it when it could not say.
  const raw: unknown = rest.success ? rest.data.steps : (input as { steps?: unknown }).steps;
  if (!Array.isArray(raw) || raw.length > PARSER_LIMITS.maxFileSteps) {
    const issues = issuesAt(rawSteps, raw, ['steps']);
    // zod's array schema refuses both; should it not, zod alone decides.
    if (issues === undefined) return sim_parseRawZod(input);
    return { ok: false, error: issueToError([...issues, ...ownKeyIssues]) };
  }
  const steps: RawStep[] = [];
  const byZod = new Map<number, RawStep>();
  for (let i = 0; i < raw.length; i++) {
    const v: unknown = raw[i];
    let fast: RawStep | undefined;
    try {
      fast = sim_fastStep(v);
    } catch {
      // A getter or proxy that throws (not JSON, a hand-made value): zod reads it again and throws, or answers, as it would alone.
      fast = undefined;
    }
    if (fast !== undefined) {
      if (!lazySteps) steps.push(fast);
      continue;
    }
    const r = rawStep.safeParse(v);
    if (r.success) {
      if (lazySteps) byZod.set(i, r.data);
      else steps.push(r.data);
      continue;
    }
    const issues = r.error.issues.map((iss) => ({ ...iss, path: ['steps', i, ...iss.path] }));
    return { ok: false, error: issueToError([...issues, ...ownKeyIssues]) };
  }
  if (!rest.success) return { ok: false, error: issueToError(ownKeyIssues) };
  return { ok: true, data: { ...rest.data, steps: lazySteps ? new LazyRawSteps(raw, byZod) : steps } };
}
