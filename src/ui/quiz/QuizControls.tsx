/**
 * The quiz's controls in the timeline bar: "Quiz me" (generated questions
 * before every step), the score (right / asked, this tab only), a reset,
 * and the answers exported as a file for the grader (docs/questions.md).
 */

import { answersDocument } from '../../scenarios/answers.ts';
import { saveFile } from '../export/render.ts';
import { sim_slug } from '../export/names.ts';
import { storeActions, useStore } from '../store/index.ts';

/** The answers file of what was answered so far (src/scenarios/answers.ts). */
export function answersFileText(): string {
  const s = useStore.getState();
  // A lesson's entry names the lesson (its built-in id, else its title) and the entry, for the grader (lesson-grade.ts).
  const l = s.lesson;
  const scenario = l ? { title: s.scenario.title, lesson: l.id ?? l.lesson.title, entry: l.entry } : s.scenario.title;
  const doc = answersDocument(scenario, s.rules, s.quizLog.map((e) => ({ step: e.step, question: e.question, answer: e.given })));
  return `${JSON.stringify(doc, null, 2)}\n`;
}

export function QuizControls({ compact }: { compact: boolean }) {
  const quizMe = useStore((s) => s.quizMe);
  const right = useStore((s) => s.quizLog.filter((e) => e.correct).length);
  const asked = useStore((s) => s.quizLog.length);
  const a = storeActions();
  return (
    <span className="quiz-controls" role="group" aria-label="Quiz">
      <label className="ctl">
        <input type="checkbox" checked={quizMe} onChange={(e) => a.setQuizMe(e.target.checked)} data-testid="quiz-me" /> Quiz me
      </label>
      {asked > 0 && (
        <>
          <span className="counter" data-testid="quiz-score" aria-live="polite">
            <span className={compact ? 'sr-only' : undefined}>score: </span>
            {right}/{asked} right
          </span>
          <button type="button" className="btn" onClick={() => saveFile(`${sim_slug(useStore.getState().scenario.title)}.answers.json`, new Blob([answersFileText()], { type: 'application/json' }))} data-testid="quiz-export" title="Save your answers as a JSON file a teacher can grade (npm run grade)">
            {compact ? 'Export' : 'Export answers'}
          </button>
          <button type="button" className="btn" onClick={a.resetQuiz} data-testid="quiz-reset" title="Forget the answers given and start the score again">
            Reset
          </button>
        </>
      )}
    </span>
  );
}

