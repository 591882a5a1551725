/**
 * Grading a lesson's answers (issue 18, items 3 and 4): an answers file
 * whose `scenario` is `{ "title", "lesson", "entry" }` is graded against the
 * answer key of that entry of the lesson (its scenario with the lesson's
 * notes and questions merged in), under the file's rule set.
 */
import { answerKey } from '../core/questions.ts';
import { answeredSteps, answersTitle, gradeAnswers, type AnswersFile, type GradeResult } from './answers.ts';
import type { Lesson } from './lesson.ts';
import { stepQuestionSpecs } from './questions.ts';

/** `lessonId`: the built-in lesson's id when the file is one (answers may name it or the title). */
export function gradeLessonAnswers(lesson: Lesson, lessonId: string | null, file: AnswersFile): GradeResult {
  const sc = file.scenario;
  if (typeof sc === 'string' || sc.entry === undefined) {
    return { ok: false, path: 'scenario', message: `these answers name no lesson entry; answers to a lesson have "scenario": { "title": ..., "lesson": ${JSON.stringify(lessonId ?? lesson.title)}, "entry": 0 } (entries count from 0)` };
  }
  if (sc.lesson !== undefined && sc.lesson !== lesson.title && sc.lesson !== lessonId) {
    return { ok: false, path: 'scenario.lesson', message: `the answers are for lesson ${JSON.stringify(sc.lesson)}, but the lesson graded is ${JSON.stringify(lessonId ?? lesson.title)}` };
  }
  const n = lesson.entries.length;
  if (sc.entry >= n) return { ok: false, path: 'scenario.entry', message: `the lesson has ${n} entr${n === 1 ? 'y' : 'ies'}, so an entry is 0..${n - 1}; got ${sc.entry}` };
  const e = lesson.entries[sc.entry]!;
  const key = answerKey(e.scenario, file.rules, (i) => stepQuestionSpecs(e.json, i), answeredSteps(file));
  if (answersTitle(sc) !== e.scenario.title) {
    return { ok: false, path: 'scenario.title', message: `entry ${sc.entry} of the lesson is ${JSON.stringify(e.scenario.title)}, but the answers are for ${JSON.stringify(answersTitle(sc))}` };
  }
  return gradeAnswers(e.scenario.title, e.scenario.steps.length, key, file);
}
