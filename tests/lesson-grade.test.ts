/**
 * Grading a lesson (issue 18, items 3 and 4): `npm run grade -- LESSON ANSWERS`
 * grades answers whose `scenario` names the lesson entry, against that
 * entry's scenario with the lesson's questions merged in.
 */
import { runCli } from './cli-run.ts';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { answerKey } from '../src/core/index.ts';
import { ANSWERS_FORMAT, type AnswersFile } from '../src/scenarios/answers.ts';
import { parseLesson } from '../src/scenarios/lesson.ts';
import { gradeLessonAnswers } from '../src/scenarios/lesson-grade.ts';
import { LESSONS } from '../src/scenarios/lessons/index.ts';
import { stepQuestionSpecs } from '../src/scenarios/questions.ts';

const dir = mkdtempSync(join(tmpdir(), 'sp-lesson-grade-'));
const file = (name: string, content: unknown) => {
  const p = join(dir, name);
  writeFileSync(p, JSON.stringify(content));
  return p;
};
const grade = (args: string[]) => runCli('grade', args);

const L = LESSONS.find((l) => l.id === 'patch-and-bug')!;
const parsed = parseLesson(L.json);
if (!parsed.ok) throw new Error('fixture');
const lesson = parsed.lesson;
// Entry 2 is the stale child under Merged: its picked questions (steps 4 and 5).
const entry = lesson.entries[2]!;
const key = answerKey(entry.scenario, 'merged', (i) => stepQuestionSpecs(entry.json, i));
const picked = key.questions.filter((q) => stepQuestionSpecs(entry.json, q.step - 1)?.some((s) => s.kind === q.kind));
const answers = (overrides: Partial<AnswersFile> = {}, wrongStep5 = false): AnswersFile => ({
  format: ANSWERS_FORMAT,
  scenario: { title: entry.scenario.title, lesson: 'patch-and-bug', entry: 2 },
  rules: 'merged',
  answers: picked.map((q) => ({ step: q.step, question: q.id, answer: wrongStep5 && q.step === 5 && q.kind === 'outcome' ? 'hit' : q.answer })),
  ...overrides,
});

describe('gradeLessonAnswers', () => {
  it('grades the picked questions of the named entry', () => {
    expect(picked.length).toBeGreaterThanOrEqual(4);
    const r = gradeLessonAnswers(lesson, 'patch-and-bug', answers());
    expect(r.ok && [r.report.right, r.report.total]).toEqual([picked.length, picked.length]);
    const w = gradeLessonAnswers(lesson, 'patch-and-bug', answers({}, true));
    expect(w.ok && w.report.right).toBe(picked.length - 1);
  });

  it('refuses answers for another lesson, entry or scenario, naming the field', () => {
    const bad = (f: AnswersFile) => {
      const r = gradeLessonAnswers(lesson, 'patch-and-bug', f);
      return r.ok ? 'ok' : `${r.path}: ${r.message}`;
    };
    expect(bad(answers({ scenario: entry.scenario.title }))).toMatch(/^scenario: these answers name no lesson entry/);
    expect(bad(answers({ scenario: { title: entry.scenario.title, lesson: 'four-roots', entry: 2 } }))).toMatch(/^scenario\.lesson: the answers are for lesson "four-roots"/);
    expect(bad(answers({ scenario: { title: entry.scenario.title, entry: 3 } }))).toMatch(/^scenario\.entry: the lesson has 3 entries, so an entry is 0\.\.2; got 3/);
    expect(bad(answers({ scenario: { title: 'Other', entry: 2 } }))).toMatch(/^scenario\.title: entry 2 of the lesson is /);
  });
});

describe('npm run grade -- LESSON ANSWERS', () => {
  const lessonPath = file('lesson.json', L.json);
  it('exits 0 when every answer is right, 1 when one is wrong, 2 on bad input', () => {
    const ok = grade([lessonPath, file('right.json', answers())]);
    expect(ok.status, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ right: picked.length, total: picked.length });
    const wrong = grade([lessonPath, file('wrong.json', answers({}, true))]);
    expect(wrong.status).toBe(1);
    const bad = grade([lessonPath, file('bad.json', answers({ scenario: { title: entry.scenario.title, entry: 7 } }))]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/scenario\.entry: the lesson has 3 entries/);
    const badLesson = grade([file('badlesson.json', { ...(L.json as object), entries: [{ builtin: 'nope' }] }), file('right2.json', answers())]);
    expect(badLesson.status).toBe(2);
    expect(badLesson.stderr).toMatch(/invalid lesson .*entries\[0\]\.builtin: there is no built-in scenario "nope"/);
  });
});
