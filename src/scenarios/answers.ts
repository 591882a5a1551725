/**
 * A student's answers as a file (issue 18, item 4), and grading them against
 * a scenario's answer key. The app writes the file ("Export answers"), the
 * grader CLI (src/cli/grade.ts) reads it. docs/questions.md documents both
 * formats. Everything in an answers file is untrusted: each problem is named
 * by its field (`answers[2].answer.reason`) so a course's tooling can say
 * which line of which file is wrong.
 */
import { RULE_SETS } from '../core/mmu/rules.ts';
import { answerShapeError, sameAnswer, type Answer, type AnswerKey, type NotApplicable, type Question, type StepQuestions } from '../core/questions.ts';
import type { RuleSetName } from '../core/scenario.ts';
import { sim_objectJsonText } from '../core/trace-doc.ts';
import { describeValue } from './hex.ts';

export const ANSWERS_FORMAT = 'shadowpaging-answers/v1';
export const GRADE_FORMAT = 'shadowpaging-grade/v1';
export const QUESTIONS_FORMAT = 'shadowpaging-questions/v1';

/** A question as the key prints it: `spec` is the core's form of the id (gfn a number), which the id says too. */
const withoutSpec = ({ spec: _spec, ...q }: Question): Omit<Question, 'spec'> => q;

/**
 * The answer key as the trace CLI prints it (`--questions`): the text of
 * `JSON.stringify({ format, title, rules, questions, notApplicable }, null, 2)`
 * and a newline, byte for byte, each question without its `spec`, written in
 * pieces of about `pieceChars` as the steps' questions come
 * (sim_answerKeySteps, through sim_objectJsonText). Why: a 100,000-step scenario's key is 305 MB of JSON;
 * kept whole and written as one string it took 1.4 GB of memory, and a
 * 1,000,000-step scenario's was past what one string can hold.
 */
export function questionsJsonText(title: string, rules: RuleSetName, steps: Iterable<StepQuestions>, pieceChars = 1 << 16): Generator<string, void, undefined> {
  // Filled as the questions are written: its key comes after theirs.
  const notApplicable: NotApplicable[] = [];
  function* questions(): Generator<Omit<Question, 'spec'>> {
    for (const s of steps) {
      for (const q of s.questions) yield withoutSpec(q);
      notApplicable.push(...s.notApplicable);
    }
  }
  return sim_objectJsonText({ format: QUESTIONS_FORMAT, title, rules, questions: questions(), notApplicable }, pieceChars);
}

/** Most answers one file may hold (a 10,000-step scenario asked twice a step, with room). */
export const MAX_ANSWERS = 50_000;

/**
 * Which scenario the answers are for: its title, or (a lesson's scenario,
 * issue 18 item 3) an object with the title and the lesson and entry it
 * came from. Only the title is checked against the graded file.
 */
export type AnswersScenario = string | { readonly title: string; readonly lesson?: string; readonly entry?: number };

export interface GivenAnswer {
  /** The step the question was asked before, from 1 (steps[step - 1]). */
  readonly step: number;
  /** The question's id (src/core/questions.ts questionId: "outcome", "quadrant-of:0x101:l1", ...). */
  readonly question: string;
  readonly answer: Answer;
}

export interface AnswersFile {
  readonly format: typeof ANSWERS_FORMAT;
  readonly scenario: AnswersScenario;
  /** The rule set the questions were asked under (the answers depend on it). */
  readonly rules: RuleSetName;
  readonly answers: readonly GivenAnswer[];
}

export type AnswersParse = { readonly ok: true; readonly file: AnswersFile } | { readonly ok: false; readonly path: string; readonly message: string };

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The title an answers file names. */
export const answersTitle = (s: AnswersScenario): string => (typeof s === 'string' ? s : s.title);

/**
 * Checks an answers file's shape (not yet against a scenario): format,
 * scenario, rules, and each answer's step, question and answer. The answer's
 * own shape needs the question's kind, which the id starts with.
 */
export function parseAnswersFile(json: unknown): AnswersParse {
  const bad = (path: string, message: string): AnswersParse => ({ ok: false, path, message });
  if (!isObj(json)) return bad('', `expected a JSON object with "format": "${ANSWERS_FORMAT}", got ${describeValue(json)}`);
  if (json.format !== ANSWERS_FORMAT) return bad('format', `expected "${ANSWERS_FORMAT}", got ${describeValue(json.format)}`);
  for (const k of Object.keys(json)) if (!['format', 'scenario', 'rules', 'answers'].includes(k)) return bad(k, 'unknown key; allowed keys: format, scenario, rules, answers');
  const sc = json.scenario;
  let scenario: AnswersScenario;
  if (typeof sc === 'string') scenario = sc;
  else if (isObj(sc)) {
    if (typeof sc.title !== 'string') return bad('scenario.title', `expected the scenario's title (a string), got ${describeValue(sc.title)}`);
    for (const k of Object.keys(sc)) if (!['title', 'lesson', 'entry'].includes(k)) return bad(`scenario.${k}`, 'unknown key; allowed keys: title, lesson, entry');
    if (sc.lesson !== undefined && typeof sc.lesson !== 'string') return bad('scenario.lesson', `expected a lesson id (a string), got ${describeValue(sc.lesson)}`);
    if (sc.entry !== undefined && !(typeof sc.entry === 'number' && Number.isInteger(sc.entry) && sc.entry >= 0)) return bad('scenario.entry', `expected the entry's index in the lesson (0, 1, ...), got ${describeValue(sc.entry)}`);
    scenario = { title: sc.title, ...(sc.lesson !== undefined ? { lesson: sc.lesson as string } : {}), ...(sc.entry !== undefined ? { entry: sc.entry as number } : {}) };
  } else return bad('scenario', `expected the scenario's title (a string) or { "title": ... }, got ${describeValue(sc)}`);
  const rules = json.rules === undefined ? 'seed' : json.rules;
  if (!RULE_SETS.includes(rules as RuleSetName)) return bad('rules', `expected one of ${RULE_SETS.map((r) => `"${r}"`).join(', ')}, got ${describeValue(json.rules)}`);
  if (!Array.isArray(json.answers)) return bad('answers', `expected an array of answers like { "step": 1, "question": "outcome", "answer": "hit" }, got ${describeValue(json.answers)}`);
  if (json.answers.length > MAX_ANSWERS) return bad('answers', `too many answers (${json.answers.length}); at most ${MAX_ANSWERS}`);
  const answers: GivenAnswer[] = [];
  for (let i = 0; i < json.answers.length; i++) {
    const a: unknown = json.answers[i];
    const at = `answers[${i}]`;
    if (!isObj(a)) return bad(at, `expected an object like { "step": 1, "question": "outcome", "answer": "hit" }, got ${describeValue(a)}`);
    for (const k of Object.keys(a)) if (!['step', 'question', 'answer'].includes(k)) return bad(`${at}.${k}`, 'unknown key; allowed keys: step, question, answer');
    if (!(typeof a.step === 'number' && Number.isInteger(a.step) && a.step >= 1)) return bad(`${at}.step`, `expected a step number (1, 2, ...), got ${describeValue(a.step)}`);
    if (typeof a.question !== 'string' || a.question === '') return bad(`${at}.question`, `expected a question id like "outcome", got ${describeValue(a.question)}`);
    if (!('answer' in a)) return bad(`${at}.answer`, 'missing (required)');
    answers.push({ step: a.step, question: a.question, answer: a.answer as Answer });
  }
  return { ok: true, file: { format: ANSWERS_FORMAT, scenario, rules: rules as RuleSetName, answers } };
}

export interface GradeRow {
  readonly step: number;
  readonly question: string;
  readonly expected: Answer;
  readonly given: Answer;
  readonly correct: boolean;
  /** The right answer in words (the explanation the app shows). */
  readonly explanation: string;
}

export interface GradeReport {
  readonly format: typeof GRADE_FORMAT;
  readonly scenario: string;
  readonly rules: RuleSetName;
  readonly right: number;
  readonly total: number;
  readonly results: readonly GradeRow[];
}

export type GradeResult = { readonly ok: true; readonly report: GradeReport } | { readonly ok: false; readonly path: string; readonly message: string };

/**
 * Grades `file` against `key` (the answer key of the scenario titled
 * `title` under the file's rules). A question the step does not have, an
 * answer of the wrong shape, a second answer to the same question or a
 * different scenario's answers are bad input (not wrong answers).
 */
export function gradeAnswers(title: string, steps: number, key: AnswerKey, file: AnswersFile): GradeResult {
  const bad = (path: string, message: string): GradeResult => ({ ok: false, path, message });
  if (answersTitle(file.scenario) !== title) {
    return bad(typeof file.scenario === 'string' ? 'scenario' : 'scenario.title', `the answers are for ${JSON.stringify(answersTitle(file.scenario))}, but the scenario graded is ${JSON.stringify(title)}`);
  }
  const byStep = new Map<number, Question[]>();
  for (const q of key.questions) byStep.set(q.step, [...(byStep.get(q.step) ?? []), q]);
  const seen = new Set<string>();
  const results: GradeRow[] = [];
  for (const [i, a] of file.answers.entries()) {
    const at = `answers[${i}]`;
    if (a.step > steps) return bad(`${at}.step`, `the scenario has ${steps} step${steps === 1 ? '' : 's'}, so a step number is 1..${steps}; got ${a.step}`);
    const qs = byStep.get(a.step) ?? [];
    const q = qs.find((x) => x.id === a.question);
    if (!q) return bad(`${at}.question`, `step ${a.step} has no question ${JSON.stringify(a.question)}; its questions are ${qs.length ? qs.map((x) => `"${x.id}"`).join(', ') : 'none'}`);
    const k = `${a.step}|${a.question}`;
    if (seen.has(k)) return bad(at, `a second answer to step ${a.step}'s question ${JSON.stringify(a.question)}`);
    seen.add(k);
    const shape = answerShapeError(q.kind, a.answer);
    if (shape !== null) return bad(`${at}.answer${shape.startsWith('.') || shape.startsWith('[') ? shape.replace(/:.*$/, '') : ''}`, shape.replace(/^[.[][^:]*: /, ''));
    results.push({ step: a.step, question: a.question, expected: q.answer, given: a.answer, correct: sameAnswer(q.kind, q.answer, a.answer), explanation: q.explanation });
  }
  return { ok: true, report: { format: GRADE_FORMAT, scenario: title, rules: file.rules, right: results.filter((r) => r.correct).length, total: results.length, results } };
}

/**
 * The steps a file answers (0-based), as answerKey's `wanted`: grading needs
 * those steps' questions only, and the rest of a long scenario runs with
 * tracing off (the whole key of a 1,000,000-step scenario is ~3 GB of JSON).
 */
export function answeredSteps(file: AnswersFile): (index: number) => boolean {
  const steps = new Set(file.answers.map((a) => a.step - 1));
  return (index) => steps.has(index);
}

/** The answers file the app exports. */
export function answersDocument(scenario: AnswersScenario, rules: RuleSetName, answers: readonly GivenAnswer[]): AnswersFile {
  return { format: ANSWERS_FORMAT, scenario, rules, answers: [...answers].sort((a, b) => a.step - b.step) };
}
