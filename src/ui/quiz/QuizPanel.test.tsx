// @vitest-environment jsdom
/**
 * The quiz panel and the store's quiz (issue 18): a step with questions is
 * not revealed until they are answered; the answers are marked with the
 * core's explanation; the score counts; Quiz me asks generated questions;
 * Back leaves a question; loading another scenario forgets the answers.
 */
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { answerKey } from '../../core/index.ts';
import { gradeAnswers, parseAnswersFile } from '../../scenarios/answers.ts';
import { LIBRARY } from '../../scenarios/library/index.ts';
import { stepQuestionSpecs } from '../../scenarios/questions.ts';
import { parseScenario } from '../../scenarios/schema.ts';
import { useStore } from '../store/index.ts';
import { answersFileText, QuizControls } from './QuizControls.tsx';
import { QuizPanel } from './QuizPanel.tsx';

const base = LIBRARY.find((e) => e.id === 'quadrants-32bit')!.json as { title: string; steps: Array<Record<string, unknown>> };
const QUIZ = { ...base, title: 'Quiz', steps: base.steps.map((s, i) => (i === 1 ? { ...s, questions: [{ kind: 'outcome' }, { kind: 'error-code' }, { kind: 'created-pages' }] } : s)) };

function Both() {
  return (
    <>
      <QuizPanel />
      <QuizControls compact={false} />
    </>
  );
}

beforeEach(() => {
  act(() => {
    useStore.getState().setQuizMe(false);
    useStore.getState().loadScenario(QUIZ, null);
  });
});
afterEach(cleanup);

const forward = () => act(() => useStore.getState().forward());

describe('questions before a step', () => {
  it('blocks the step until answered, then marks each answer and keeps the score', () => {
    render(<Both />);
    forward();
    expect(useStore.getState().step).toBe(1);
    expect(screen.queryByTestId('quiz-ask')).toBeNull();
    forward();
    // Step 2 has questions: still on step 1, the questions show.
    expect(useStore.getState().step).toBe(1);
    expect(useStore.getState().quizAsk).toBe(2);
    const form = screen.getByTestId('quiz-ask');
    expect(form.getAttribute('data-step')).toBe('2');
    expect(screen.getByRole('heading', { name: 'Before step 2: your answer' })).toBe(document.activeElement);
    forward();
    act(() => useStore.getState().stepForward());
    expect(useStore.getState().step).toBe(1);
    const submit = screen.getByTestId('quiz-submit') as HTMLButtonElement;
    expect(submit.disabled).toBe(true);
    // Outcome: "Hit" (wrong: step 2 is a shadow fault); error code: "no #PF" (right); pages: none ticked (wrong).
    fireEvent.click(screen.getByTestId('quiz-choice-outcome-0'));
    fireEvent.click(screen.getByTestId('quiz-bit-none'));
    expect((screen.getByTestId('quiz-bit-W') as HTMLInputElement).disabled).toBe(true);
    expect(submit.disabled).toBe(false);
    fireEvent.click(submit);
    expect(useStore.getState().step).toBe(2);
    expect(useStore.getState().quizAsk).toBeNull();
    const marks = screen.getByTestId('quiz-marked');
    // The marks take the focus from the answer button they replace.
    expect(screen.getByRole('heading', { name: 'Your answers for step 2' })).toBe(document.activeElement);
    expect(screen.getByTestId('quiz-result-outcome').getAttribute('data-correct')).toBe('false');
    expect(screen.getByTestId('quiz-result-outcome').textContent).toMatch(/Wrong: you answered Hit.*the answer is Shadow fault/);
    expect(screen.getByTestId('quiz-result-error-code').getAttribute('data-correct')).toBe('true');
    expect(screen.getByTestId('quiz-result-created-pages').textContent).toMatch(/you answered none; the answer is gfn 0x4 level 1 quadrant 1.*kvm_mmu_get_page/);
    expect(marks.textContent).toMatch(/quadrant 1/);
    expect(screen.getByTestId('quiz-score').textContent).toBe('score: 1/3 right');
    expect(JSON.parse(answersFileText())).toEqual({
      format: 'shadowpaging-answers/v1',
      scenario: 'Quiz',
      rules: 'seed',
      answers: [
        { step: 2, question: 'outcome', answer: 'hit' },
        { step: 2, question: 'error-code', answer: null },
        { step: 2, question: 'created-pages', answer: [] },
      ],
    });
    // The exported file is what the grader reads: it grades 1 right of 3 against the scenario's answer key.
    const parsed = parseAnswersFile(JSON.parse(answersFileText()));
    if (!parsed.ok) throw new Error(parsed.message);
    const sc = parseScenario(QUIZ);
    if (!sc.ok) throw new Error('fixture');
    const graded = gradeAnswers('Quiz', sc.scenario.steps.length, answerKey(sc.scenario, 'seed', (i) => stepQuestionSpecs(QUIZ, i)), parsed.file);
    expect(graded.ok && [graded.report.right, graded.report.total]).toEqual([1, 3]);
    // An answered step passes; another scenario forgets the answers.
    act(() => useStore.getState().stepBack());
    forward();
    expect(useStore.getState().step).toBe(2);
    act(() => void useStore.getState().loadScenario(base, 'quadrants-32bit'));
    expect(screen.queryByTestId('quiz-score')).toBeNull();
  });

  it('Back leaves a question without revealing the step; jumping ahead skips it', () => {
    render(<Both />);
    forward();
    forward();
    expect(useStore.getState().quizAsk).toBe(2);
    act(() => useStore.getState().back());
    expect(useStore.getState().quizAsk).toBeNull();
    expect(useStore.getState().step).toBe(1);
    expect(screen.queryByTestId('quiz-ask')).toBeNull();
    act(() => useStore.getState().jumpTo(5));
    expect(useStore.getState().step).toBe(5);
  });

  it('Quiz me asks generated questions before every step, the error-code bits add up', () => {
    render(<Both />);
    fireEvent.click(screen.getByTestId('quiz-me'));
    expect(useStore.getState().quizMe).toBe(true);
    forward();
    expect(useStore.getState().quizAsk).toBe(1);
    const fields = screen.getAllByRole('group').filter((g) => g.tagName === 'FIELDSET');
    expect(fields.length).toBeGreaterThanOrEqual(1);
    expect(fields.length).toBeLessThanOrEqual(2);
    expect(fields[0]!.textContent).toMatch(/What happens on the read of 0xc0403123\?/);
    fireEvent.click(screen.getByTestId('quiz-choice-outcome-1'));
    for (const id of ['quiz-choice-created-pages-0', 'quiz-choice-quadrant-of:0x4:l1-0', 'quiz-choice-root-of-3']) {
      const el = screen.queryByTestId(id);
      if (el) fireEvent.click(el);
    }
    const bitW = screen.queryByTestId('quiz-bit-W');
    if (bitW) {
      fireEvent.click(bitW);
      fireEvent.click(screen.getByTestId('quiz-bit-U'));
    }
    fireEvent.click(screen.getByTestId('quiz-submit'));
    expect(useStore.getState().step).toBe(1);
    const log = useStore.getState().quizLog;
    expect(log[0]).toMatchObject({ step: 1, question: 'outcome', given: 'shadow-fault', correct: true });
    if (bitW) expect(log.find((e) => e.question === 'error-code')!.given).toBe(6);
  });
});
