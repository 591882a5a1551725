/**
 * The grader (issue 18, item 4): `npm run grade -- SCENARIO ANSWERS` exits 0
 * when every answer is right, 1 when one is wrong, 2 on bad input with a
 * message naming the field; `trace --questions` prints the answer key. Each
 * kind of wrong answer is caught; each malformed field is named.
 */
import { runCli } from './cli-run.ts';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { answerKey, type Answer, type PageAnswer, type Question, type QuestionKind, RULE_SETS, sim_answerKeySteps } from '../src/core/index.ts';
import { ANSWERS_FORMAT, answeredSteps, gradeAnswers, parseAnswersFile, QUESTIONS_FORMAT, questionsJsonText, type AnswersFile } from '../src/scenarios/answers.ts';
import { LIBRARY } from '../src/scenarios/library/index.ts';
import { stepQuestionSpecs } from '../src/scenarios/questions.ts';
import { parseScenario } from '../src/scenarios/schema.ts';

const run = (script: 'trace' | 'grade', args: string[]) => runCli(script, args);
const dir = mkdtempSync(join(tmpdir(), 'sp-grade-'));
const file = (name: string, content: unknown) => {
  const p = join(dir, name);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
};

// quadrants-32bit, with a teacher's picks on step 1 that the generated set does not have (a quadrant-of by gfn only, and one that does not apply).
const base = LIBRARY.find((e) => e.id === 'quadrants-32bit')!.json as { title: string; steps: Array<Record<string, unknown>> };
const DOC = { ...base, steps: base.steps.map((s, i) => (i === 0 ? { ...s, questions: [{ kind: 'quadrant-of', gfn: '0x4' }, { kind: 'quadrant-of', gfn: '0x777' }, { kind: 'outcome' }] } : s)) };
const SCENARIO = file('quadrants.json', DOC);
const parsed = parseScenario(DOC);
if (!parsed.ok) throw new Error('fixture');
const KEY = answerKey(parsed.scenario, 'seed', (i) => stepQuestionSpecs(DOC, i));
// permission-faults has injected #PFs (error codes that are not null).
const PF = LIBRARY.find((e) => e.id === 'permission-faults')!.json as { title: string };
const pfParsed = parseScenario(PF);
if (!pfParsed.ok) throw new Error('fixture');
const PF_KEY = answerKey(pfParsed.scenario, 'seed');

const rightFile = (title: string, qs: readonly Question[]): AnswersFile => ({ format: ANSWERS_FORMAT, scenario: title, rules: 'seed', answers: qs.map((q) => ({ step: q.step, question: q.id, answer: q.answer })) });

/** A well-formed answer that is not `a`. */
function wrong(kind: QuestionKind, a: Answer): Answer {
  switch (kind) {
    case 'outcome':
      return a === 'hit' ? 'shadow-fault' : 'hit';
    case 'error-code':
      return a === null ? 7 : (a as number) ^ 1;
    case 'created-pages':
      return (a as PageAnswer[]).length ? [] : [{ gfn: '0x1', level: 1, quadrant: 0 }];
    case 'quadrant-of':
      return ((a as number) + 1) % 4;
    case 'root-of': {
      const r = a as { root: number; index: number };
      return { root: (r.root + 1) % 4, index: r.index };
    }
    case 'spte-writable': {
      const r = a as { writable: boolean; reason: string };
      return r.reason === 'dirty-bit' ? { writable: true, reason: 'guest-writable' } : { writable: false, reason: 'dirty-bit' };
    }
  }
}

describe('trace --questions', () => {
  it('prints the answer key: generated questions and the teacher\'s picks, with answers; picks that do not apply, and why', () => {
    const r = run('trace', [SCENARIO, '--questions']);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.format).toBe('shadowpaging-questions/v1');
    expect(out.title).toBe(DOC.title);
    const step1 = out.questions.filter((q: { step: number }) => q.step === 1).map((q: { id: string; answer: unknown }) => [q.id, q.answer]);
    expect(step1).toEqual([
      ['outcome', 'shadow-fault'],
      ['error-code', null],
      ['created-pages', [{ gfn: '0x4', level: 1, quadrant: 0 }]],
      ['quadrant-of:0x4:l1', 0],
      ['root-of', { root: 3, index: 3 }],
      ['spte-writable', { writable: false, reason: 'dirty-bit' }],
      ['quadrant-of:0x4', 0],
    ]);
    expect(out.notApplicable).toEqual([{ id: 'quadrant-of:0x777', kind: 'quadrant-of', step: 1, reason: expect.stringMatching(/guest frame 0x777/) }]);
    expect(out.questions.every((q: { prompt: string; explanation: string }) => q.prompt && q.explanation)).toBe(true);
    // Another rule set, another key (the answers depend on it); options that do not go together are refused.
    expect(JSON.parse(run('trace', [SCENARIO, '--questions', '--rules', 'before']).stdout).rules).toBe('before');
    const both = run('trace', [SCENARIO, '--questions', '--at', '1']);
    expect(both.status).toBe(2);
    expect(both.stderr).toMatch(/--questions .* does not go with --compare or --at/);
  });

  it('is written a step at a time, byte for byte the whole key\'s JSON (every built-in, every rule set; picks that do not apply; pieces of any size)', () => {
    const docs: Array<{ title: string; json: unknown }> = [...LIBRARY.map((e) => ({ title: e.id, json: e.json })), { title: 'picks', json: DOC }];
    for (const { title, json } of docs) {
      const p = parseScenario(json);
      if (!p.ok) throw new Error(title);
      for (const rules of RULE_SETS) {
        const key = answerKey(p.scenario, rules, (i) => stepQuestionSpecs(json, i));
        const whole = `${JSON.stringify({ format: QUESTIONS_FORMAT, title: p.scenario.title, rules, questions: key.questions.map(({ spec: _spec, ...q }) => q), notApplicable: key.notApplicable }, null, 2)}\n`;
        for (const piece of [1, 1 << 16]) {
          const text = [...questionsJsonText(p.scenario.title, rules, sim_answerKeySteps(p.scenario, rules, (i) => stepQuestionSpecs(json, i)), piece)].join('');
          expect(text === whole, `${title} under ${rules}, pieces of ${piece}`).toBe(true);
        }
      }
    }
  });

  it('a scenario with no question at all is still the whole key\'s JSON (empty lists)', () => {
    const p = parseScenario({ format: 'shadowpaging/v1', title: 'none', guest: { mode: 'x86-32', cr3: '0x1000' }, steps: [] });
    if (!p.ok) throw new Error('fixture');
    const text = [...questionsJsonText('none', 'seed', sim_answerKeySteps(p.scenario, 'seed'))].join('');
    expect(text).toBe(`${JSON.stringify({ format: QUESTIONS_FORMAT, title: 'none', rules: 'seed', questions: [], notApplicable: [] }, null, 2)}\n`);
  });
});

describe('answer key of some steps (what grading asks for)', () => {
  it('has exactly the questions of the steps wanted, the same as the whole key\'s for them', () => {
    const wanted = new Set([0, 3, 7, 11]);
    const part = answerKey(parsed.scenario, 'seed', (i) => stepQuestionSpecs(DOC, i), (i) => wanted.has(i));
    expect(part.questions.length).toBeGreaterThan(0);
    expect(JSON.stringify(part.questions)).toBe(JSON.stringify(KEY.questions.filter((q) => wanted.has(q.step - 1))));
    expect(JSON.stringify(part.notApplicable)).toBe(JSON.stringify(KEY.notApplicable.filter((q) => wanted.has(q.step - 1))));
  });

  it('grades a file the same with the key of its answered steps as with the whole key', () => {
    const some = KEY.questions.filter((q) => q.step % 3 === 1);
    const file = rightFile(DOC.title, some);
    const withWrong: AnswersFile = { ...file, answers: file.answers.map((a, i) => (i % 2 ? { ...a, answer: wrong(some[i]!.kind, a.answer) } : a)) };
    for (const f of [file, withWrong]) {
      const part = answerKey(parsed.scenario, 'seed', (i) => stepQuestionSpecs(DOC, i), answeredSteps(f));
      expect(part.questions.length).toBeLessThan(KEY.questions.length);
      expect(gradeAnswers(DOC.title, parsed.scenario.steps.length, part, f)).toEqual(gradeAnswers(DOC.title, parsed.scenario.steps.length, KEY, f));
    }
  });
});

describe('grade CLI', () => {
  it('exits 0 on an all-right file, 1 with one wrong answer (marked in the report), 2 on bad input', () => {
    const ok = run('grade', [SCENARIO, file('right.json', rightFile(DOC.title, KEY.questions))]);
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    const report = JSON.parse(ok.stdout);
    expect(report.format).toBe('shadowpaging-grade/v1');
    expect(report.right).toBe(KEY.questions.length);
    expect(report.total).toBe(KEY.questions.length);
    expect(report.results[0]).toMatchObject({ step: 1, question: 'outcome', expected: 'shadow-fault', given: 'shadow-fault', correct: true });

    const one = rightFile(DOC.title, KEY.questions);
    const answers = one.answers.map((a, i) => (i === 3 ? { ...a, answer: wrong('quadrant-of', a.answer) } : a));
    const bad = run('grade', [SCENARIO, file('one-wrong.json', { ...one, answers })]);
    expect(bad.status).toBe(1);
    const rep = JSON.parse(bad.stdout);
    expect(rep.right).toBe(KEY.questions.length - 1);
    expect(rep.results[3]).toMatchObject({ step: 1, question: 'quadrant-of:0x4:l1', expected: 0, given: 1, correct: false });

    const empty = run('grade', [SCENARIO, file('empty.json', { format: ANSWERS_FORMAT, scenario: DOC.title, answers: [] })]);
    expect(empty.status).toBe(1);

    const cases: Array<[string, string[], RegExp]> = [
      ['not JSON', [SCENARIO, file('nojson.json', '{"format":')], /invalid answers file .*not valid JSON/],
      ['a scenario given as answers', [SCENARIO, SCENARIO], /format: expected "shadowpaging-answers\/v1", got "shadowpaging\/v1"/],
      ['a bad step', [SCENARIO, file('step.json', { format: ANSWERS_FORMAT, scenario: DOC.title, answers: [{ step: 0, question: 'outcome', answer: 'hit' }] })], /answers\[0\]\.step: expected a step number/],
      ['an answer of the wrong shape', [SCENARIO, file('shape.json', { format: ANSWERS_FORMAT, scenario: DOC.title, answers: [{ step: 1, question: 'root-of', answer: { root: 9, index: 3 } }] })], /answers\[0\]\.answer\.root: expected a whole number from 0 to 3/],
      ['a missing file', [SCENARIO, join(dir, 'nope.json')], /cannot read .*nope\.json/],
      ['an invalid scenario', [file('bad-scenario.json', { format: 'shadowpaging/v1' }), SCENARIO], /invalid scenario .*title/],
      ['one file only', [SCENARIO], /expected a scenario file and an answers file/],
    ];
    for (const [what, args, re] of cases) {
      const r = run('grade', args);
      expect(r.status, what).toBe(2);
      expect(r.stdout, what).toBe('');
      expect(r.stderr, what).toMatch(re);
    }
  });
});

describe('grading (src/scenarios/answers.ts)', () => {
  it('catches each kind of wrong answer, and only that one', () => {
    const all = [...KEY.questions.map((q) => ({ q, title: DOC.title, key: KEY })), ...PF_KEY.questions.map((q) => ({ q, title: PF.title, key: PF_KEY }))];
    const kinds = new Set<string>();
    for (const { q, title, key } of all) {
      // The first question of each kind and answer shape (null or not, for the error code).
      const tag = `${q.kind}:${q.answer === null}`;
      if (kinds.has(tag)) continue;
      kinds.add(tag);
      const f = rightFile(title, key.questions);
      const i = key.questions.indexOf(q);
      const answers = f.answers.map((a, j) => (j === i ? { ...a, answer: wrong(q.kind, a.answer) } : a));
      const g = gradeAnswers(title, 12_000, key, { ...f, answers });
      if (!g.ok) throw new Error(`${tag}: ${g.message}`);
      expect(g.report.results.filter((r) => !r.correct).map((r) => [r.step, r.question]), tag).toEqual([[q.step, q.id]]);
    }
    expect([...kinds].sort()).toEqual(['created-pages:false', 'error-code:false', 'error-code:true', 'outcome:false', 'quadrant-of:false', 'root-of:false', 'spte-writable:false']);
  });

  it('takes pages in any order, with gfns in upper or lower case', () => {
    const q = KEY.questions.find((x) => x.kind === 'created-pages' && (x.answer as PageAnswer[]).length > 0)!;
    const pages = [...(q.answer as PageAnswer[])].reverse().map((p) => ({ ...p, gfn: p.gfn.toUpperCase().replace('0X', '0x') }));
    const g = gradeAnswers(DOC.title, 12, KEY, { format: ANSWERS_FORMAT, scenario: DOC.title, rules: 'seed', answers: [{ step: q.step, question: q.id, answer: pages }] });
    expect(g.ok && g.report.results[0]!.correct).toBe(true);
  });

  it('names the field of every malformed part', () => {
    const good = { format: ANSWERS_FORMAT, scenario: DOC.title, rules: 'seed', answers: [{ step: 1, question: 'outcome', answer: 'hit' }] };
    const parseCases: Array<[unknown, string, RegExp]> = [
      [[], '', /expected a JSON object/],
      [{ ...good, format: 'x' }, 'format', /expected "shadowpaging-answers\/v1"/],
      [{ ...good, extra: 1 }, 'extra', /unknown key; allowed keys: format, scenario, rules, answers/],
      [{ ...good, scenario: 5 }, 'scenario', /title/],
      [{ ...good, scenario: { lesson: 'l1' } }, 'scenario.title', /expected the scenario's title/],
      [{ ...good, scenario: { title: 't', entry: -1 } }, 'scenario.entry', /index in the lesson/],
      [{ ...good, rules: 'newest' }, 'rules', /one of "before", "seed"/],
      [{ ...good, answers: {} }, 'answers', /expected an array of answers/],
      [{ ...good, answers: [5] }, 'answers[0]', /expected an object/],
      [{ ...good, answers: [{ step: 1.5, question: 'outcome', answer: 'hit' }] }, 'answers[0].step', /step number/],
      [{ ...good, answers: [{ step: 1, question: '', answer: 'hit' }] }, 'answers[0].question', /question id/],
      [{ ...good, answers: [{ step: 1, question: 'outcome' }] }, 'answers[0].answer', /missing/],
      [{ ...good, answers: [{ step: 1, question: 'outcome', answer: 'hit', why: 'x' }] }, 'answers[0].why', /unknown key/],
    ];
    for (const [json, path, re] of parseCases) {
      const r = parseAnswersFile(json);
      expect(r.ok, path).toBe(false);
      if (!r.ok) {
        expect(r.path, JSON.stringify(json)).toBe(path);
        expect(r.message).toMatch(re);
      }
    }
    // A lesson's scenario (issue 18 item 3) names its lesson and entry; only the title is checked.
    expect(parseAnswersFile({ ...good, scenario: { title: DOC.title, lesson: 'quadrants', entry: 0 } }).ok).toBe(true);

    const gradeCases: Array<[unknown, string, RegExp]> = [
      [{ ...good, scenario: 'Another scenario' }, 'scenario', /the answers are for "Another scenario"/],
      [{ ...good, answers: [{ step: 99, question: 'outcome', answer: 'hit' }] }, 'answers[0].step', /has 12 steps, so a step number is 1\.\.12/],
      [{ ...good, answers: [{ step: 1, question: 'guess', answer: 'hit' }] }, 'answers[0].question', /step 1 has no question "guess"; its questions are "outcome", "error-code"/],
      [{ ...good, answers: [good.answers[0], good.answers[0]] }, 'answers[1]', /a second answer to step 1's question "outcome"/],
      [{ ...good, answers: [{ step: 1, question: 'outcome', answer: 'crash' }] }, 'answers[0].answer', /expected one of "hit"/],
      [{ ...good, answers: [{ step: 1, question: 'error-code', answer: '0x7' }] }, 'answers[0].answer', /error code/],
      [{ ...good, answers: [{ step: 1, question: 'created-pages', answer: [{ gfn: 4, level: 1, quadrant: 0 }] }] }, 'answers[0].answer[0].gfn', /hex string/],
      [{ ...good, answers: [{ step: 1, question: 'quadrant-of:0x4:l1', answer: 4 }] }, 'answers[0].answer', /0 to 3/],
      [{ ...good, answers: [{ step: 1, question: 'root-of', answer: { root: 3, index: 512 } }] }, 'answers[0].answer.index', /0 to 511/],
      [{ ...good, answers: [{ step: 1, question: 'spte-writable', answer: { writable: 'no', reason: 'dirty-bit' } }] }, 'answers[0].answer.writable', /true or false/],
      [{ ...good, answers: [{ step: 1, question: 'spte-writable', answer: { writable: false, reason: 'luck' } }] }, 'answers[0].answer.reason', /one of "guest-writable"/],
    ];
    for (const [json, path, re] of gradeCases) {
      const p = parseAnswersFile(json);
      if (!p.ok) throw new Error(`${path}: ${p.message}`);
      const g = gradeAnswers(DOC.title, 12, KEY, p.file);
      expect(g.ok, path).toBe(false);
      if (!g.ok) {
        expect(g.path, JSON.stringify(json)).toBe(path);
        expect(g.message).toMatch(re);
      }
    }
  });
});
