/**
 * Which questions the app asks before a step (issue 18): the teacher's picks
 * in the scenario document (each step's `questions`), else with "Quiz me" on
 * a few the core generates (quizPick). Answers are always the core's
 * (src/core/questions.ts); this only chooses and caches, one step at a time:
 * a step's events are read once, and the machine after it comes from the
 * timeline's time travel.
 */
import { answerOf, ERROR_CODE_BITS, generateQuestions, isQuestion, quizPick, sameAnswer, type Answer, type NotApplicable, type PageAnswer, type Question, type StepFacts, type Timeline } from '../../core/index.ts';
import { hasQuestionPicks, stepQuestionSpecs } from '../../scenarios/questions.ts';

/** The facts of step `n` (from 1): its events and the machine after it. */
function factsOf(tl: Timeline, n: number): StepFacts | null {
  const r = tl.result(n - 1);
  const step = tl.scenario.steps[n - 1];
  if (!r || !step) return null;
  return { index: n - 1, step, outcome: r.outcome, vector: r.vector, errorCode: r.errorCode, events: r.events, after: tl.stateAt(n) };
}

export interface StepQuestions {
  readonly questions: readonly Question[];
  /** The teacher's picks that do not apply here (shown as a note, never asked). */
  readonly skipped: readonly NotApplicable[];
}

const NONE: StepQuestions = { questions: [], skipped: [] };
const cache = new WeakMap<Timeline, Map<string, StepQuestions>>();
const picksCache = new WeakMap<object, boolean>();

/** Whether the document lists questions anywhere (once per document). */
export function documentHasPicks(json: unknown): boolean {
  if (typeof json !== 'object' || json === null) return false;
  let v = picksCache.get(json);
  if (v === undefined) {
    v = hasQuestionPicks(json);
    picksCache.set(json, v);
  }
  return v;
}

/**
 * The questions asked before step `n` (from 1) of `tl`, built from `json`:
 * the teacher's picks for that step when it has some, else (with `quizMe`)
 * the core's pick of the generated ones; none otherwise.
 */
export function stepQuestions(tl: Timeline, json: unknown, quizMe: boolean, n: number): StepQuestions {
  if (n < 1 || n > tl.length) return NONE;
  const specs = documentHasPicks(json) ? stepQuestionSpecs(json, n - 1) : undefined;
  if (!specs && !quizMe) return NONE;
  let per = cache.get(tl);
  if (!per) {
    per = new Map();
    cache.set(tl, per);
  }
  const key = `${n}|${specs ? 'picks' : 'quiz'}`;
  const hit = per.get(key);
  if (hit) return hit;
  const f = factsOf(tl, n);
  let out = NONE;
  if (f) {
    if (specs) {
      const all = specs.map((s) => answerOf(s, f));
      out = { questions: all.filter(isQuestion), skipped: all.filter((q): q is NotApplicable => !isQuestion(q)) };
    } else out = { questions: quizPick(generateQuestions(f)), skipped: [] };
  }
  if (per.size > 256) per.clear();
  per.set(key, out);
  return out;
}

/** One answer given in the app. */
export interface QuizEntry {
  readonly step: number;
  readonly question: string;
  readonly kind: Question['kind'];
  readonly prompt: string;
  readonly given: Answer;
  readonly expected: Answer;
  readonly correct: boolean;
  readonly explanation: string;
  /** The answers in words, as the choices said them. */
  readonly givenText: string;
  readonly expectedText: string;
}

/** An answer in words: the choice's label, the error-code bits, the pages, the root and index. */
export function answerText(q: Question, a: Answer): string {
  switch (q.input) {
    case 'one':
      return q.choices.find((c) => sameAnswer(q.kind, c.value as Answer, a))?.label ?? (a === null ? 'no answer' : JSON.stringify(a));
    case 'bits': {
      if (a === null) return 'no #PF is injected';
      const ec = typeof a === 'number' ? a : 0;
      const set = ERROR_CODE_BITS.filter((b) => ec & b.bit).map((b) => b.name);
      return `${set.length ? set.join(' ') : 'no bit set'} (0x${ec.toString(16)})`;
    }
    case 'many': {
      const pages = Array.isArray(a) ? (a as PageAnswer[]) : [];
      if (pages.length === 0) return 'none';
      return pages.map((p) => `gfn ${p.gfn} level ${p.level} quadrant ${p.quadrant}`).join('; ');
    }
    case 'root': {
      const r = a as { root?: number; index?: number } | null;
      return r && typeof r === 'object' ? `pae_root[${r.root}], entry ${r.index}` : 'no answer';
    }
  }
}

/** Grades the answers given to `qs` (by question id); unanswered ones count as given `null`. */
export function gradeStep(qs: readonly Question[], given: ReadonlyMap<string, Answer>): QuizEntry[] {
  return qs.map((q) => {
    const g = given.has(q.id) ? given.get(q.id)! : null;
    return {
      step: q.step,
      question: q.id,
      kind: q.kind,
      prompt: q.prompt,
      given: g,
      expected: q.answer,
      correct: sameAnswer(q.kind, q.answer, g),
      explanation: q.explanation,
      givenText: answerText(q, g),
      expectedText: answerText(q, q.answer),
    };
  });
}
