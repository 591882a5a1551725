/**
 * A printable handout (issue 18, item 5): a range of steps with each step's
 * caption, the teacher's note and the questions asked before it, answers
 * optional. This builds its content from the timeline (the same caption,
 * note and questions the app shows); Handout.tsx draws it for print only.
 */
import type { Timeline } from '../../core/index.ts';
import { ERROR_CODE_BITS } from '../../core/index.ts';
import { stepNote } from '../notes/index.ts';
import { answerText, stepQuestions } from '../quiz/questions.ts';
import { stepCaption } from '../step/index.ts';

/** Most steps one handout prints (a class's handout, not the 10,000-step trace: that is `npm run trace`). */
export const HANDOUT_MAX_STEPS = 200;

export interface HandoutQuestion {
  readonly id: string;
  readonly prompt: string;
  /** What to tick or fill in, one line each. */
  readonly choices: readonly string[];
  readonly answer: string;
  readonly explanation: string;
}

export interface HandoutStep {
  readonly step: number;
  /** The caption: what the guest did, then the rest. */
  readonly did: string;
  readonly rest: readonly string[];
  readonly note: string | null;
  readonly questions: readonly HandoutQuestion[];
}

export type HandoutRange = { readonly ok: true; readonly from: number; readonly to: number } | { readonly ok: false; readonly error: string };

/** Checks a range of steps (from 1) against a scenario of `total` steps; the message says what to change. */
export function handoutRange(from: number, to: number, total: number): HandoutRange {
  if (total === 0) return { ok: false, error: 'This scenario has no steps to print.' };
  if (!Number.isInteger(from) || !Number.isInteger(to) || from < 1 || to > total || from > to) {
    return { ok: false, error: `Choose steps from 1 to ${total}, the first no later than the last.` };
  }
  if (to - from + 1 > HANDOUT_MAX_STEPS) return { ok: false, error: `A handout holds at most ${HANDOUT_MAX_STEPS} steps; this range has ${to - from + 1}. Choose a shorter range.` };
  return { ok: true, from, to };
}

/** The handout of steps `from`..`to` (from 1): the questions are the teacher's picks, or Quiz me's when it is on. */
export function buildHandout(tl: Timeline, json: unknown, from: number, to: number, quizMe: boolean): HandoutStep[] {
  const out: HandoutStep[] = [];
  for (let n = from; n <= to; n++) {
    const c = stepCaption(tl, n);
    const questions = stepQuestions(tl, json, quizMe, n).questions.map((q): HandoutQuestion => {
      let choices: string[];
      if (q.input === 'bits') choices = [...ERROR_CODE_BITS.map((b) => `${b.name}: ${b.words[0]}`), 'no #PF is injected'];
      else if (q.input === 'root') choices = ['pae_root[ ___ ], entry ______ (0 to 511)'];
      else choices = q.choices.map((ch) => ch.label);
      return { id: q.id, prompt: q.prompt, choices, answer: answerText(q, q.answer), explanation: q.explanation };
    });
    out.push({ step: n, did: c.did, rest: [c.found, c.kvm, c.outcome].filter(Boolean), note: stepNote(json, n), questions });
  }
  return out;
}
