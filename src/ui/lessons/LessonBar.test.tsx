// @vitest-environment jsdom
/**
 * The lesson bar (issue 18, item 3): "scenario k of n", Previous and Next
 * between entries (each under its own rule set, with the lesson's notes and
 * questions merged in), the quiz gate on a lesson question, and Leave lesson.
 */
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseLesson } from '../../scenarios/lesson.ts';
import { LESSONS } from '../../scenarios/lessons/index.ts';
import { stepNote } from '../notes/index.ts';
import { useStore } from '../store/index.ts';
import { LessonBar } from './LessonBar.tsx';

const L = LESSONS.find((l) => l.id === 'patch-and-bug')!;
const parsed = parseLesson(L.json);
if (!parsed.ok) throw new Error('fixture');

beforeEach(() => {
  act(() => {
    useStore.getState().setQuizMe(false);
    useStore.getState().openLesson(L.json, L.id, parsed.lesson, 0);
  });
});
afterEach(() => {
  cleanup();
  act(() => useStore.getState().closeLesson());
});

describe('LessonBar', () => {
  it('shows the lesson and moves between its entries, each under its own rule set', () => {
    render(<LessonBar compact={false} />);
    expect(screen.getByTestId('lesson-title').textContent).toBe('Lesson: The patch and its bug: Before, Seed, Merged and the stale child of 7/8');
    expect(screen.getByTestId('lesson-position').textContent).toMatch(/^Scenario 1 of 3/);
    expect(useStore.getState().rules).toBe('before');
    expect((screen.getByTestId('lesson-prev') as HTMLButtonElement).disabled).toBe(true);
    fireEvent.click(screen.getByTestId('lesson-next'));
    expect(screen.getByTestId('lesson-position').textContent).toMatch(/^Scenario 2 of 3/);
    expect(useStore.getState().rules).toBe('seed');
    fireEvent.click(screen.getByTestId('lesson-next'));
    expect(useStore.getState().rules).toBe('merged');
    expect((screen.getByTestId('lesson-next') as HTMLButtonElement).disabled).toBe(true);
    // The lesson's note for step 4 of this entry is the step's note.
    expect(stepNote(useStore.getState().scenarioJson, 4)).toMatch(/Patch 7\/8/);
    fireEvent.click(screen.getByTestId('lesson-prev'));
    expect(screen.getByTestId('lesson-position').textContent).toMatch(/^Scenario 2 of 3/);
    expect(useStore.getState().step).toBe(0);
  });

  it("gates a step on the lesson's questions, and a new entry starts a new score", () => {
    render(<LessonBar compact={false} />);
    act(() => useStore.getState().jumpTo(3));
    act(() => useStore.getState().forward());
    expect(useStore.getState().quizAsk).toBe(4);
    expect(useStore.getState().step).toBe(3);
    act(() => useStore.getState().answerQuiz(new Map([['outcome', 'hit']])));
    expect(useStore.getState().step).toBe(4);
    expect(useStore.getState().quizLog.length).toBe(2);
    fireEvent.click(screen.getByTestId('lesson-next'));
    expect(useStore.getState().quizLog).toEqual([]);
  });

  it('Leave lesson keeps the scenario and drops the bar; opening a scenario leaves the lesson too', () => {
    render(<LessonBar compact={false} />);
    const json = useStore.getState().scenarioJson;
    fireEvent.click(screen.getByTestId('lesson-close'));
    expect(screen.queryByTestId('lesson-bar')).toBeNull();
    expect(useStore.getState().scenarioJson).toBe(json);
    act(() => void useStore.getState().openLesson(L.json, L.id, parsed.lesson, 1));
    expect(screen.getByTestId('lesson-bar')).toBeTruthy();
    act(() => void useStore.getState().loadScenario(json, null));
    expect(screen.queryByTestId('lesson-bar')).toBeNull();
  });
});
