import { describe, expect, it } from 'vitest';
import { answerKey } from '../core/index.ts';
import { formatLessonError, LESSON_FORMAT, LESSON_LIMITS, parseLesson, parseLessonText } from './lesson.ts';
import { LESSONS } from './lessons/index.ts';
import { stepQuestionSpecs } from './questions.ts';

const minimal = (entries: unknown[], extra: Record<string, unknown> = {}) => ({ format: LESSON_FORMAT, title: 'T', entries, ...extra });
const err = (v: unknown) => {
  const r = parseLesson(v);
  if (r.ok) throw new Error('expected an error');
  return formatLessonError(r.error);
};

describe('built-in lessons', () => {
  it.each(LESSONS.map((l) => [l.id, l] as const))('%s validates, has an intro and notes, and >= 8 questions that all apply', (_id, l) => {
    const r = parseLesson(l.json);
    if (!r.ok) throw new Error(formatLessonError(r.error));
    expect(r.lesson.intro).toBeTruthy();
    let picks = 0;
    let notes = 0;
    for (const e of r.lesson.entries) {
      const steps = (e.json as { steps: { note?: string }[] }).steps;
      notes += steps.filter((s) => s.note).length;
      const key = answerKey(e.scenario, e.rules, (i) => stepQuestionSpecs(e.json, i));
      expect(key.notApplicable, JSON.stringify(key.notApplicable)).toEqual([]);
      steps.forEach((_s, i) => (picks += stepQuestionSpecs(e.json, i)?.length ?? 0));
    }
    expect(notes).toBeGreaterThan(0);
    expect(picks).toBeGreaterThanOrEqual(8);
  });

  it('ships the three lessons the issue names', () => {
    const titles = LESSONS.map((l) => (l.json as { title: string }).title);
    expect(titles).toEqual([
      'Four roots and two quadrants',
      'Unsync and sync: why a stale translation survives until invlpg',
      'The patch and its bug: Before, Seed, Merged and the stale child of 7/8',
    ]);
  });
});

describe('parseLesson', () => {
  it('merges a lesson note and questions into a copy of a built-in, leaving the library untouched', () => {
    const r = parseLesson(minimal([{ builtin: 'quadrants-32bit', notes: { '2': 'hi' }, questions: { '2': [{ kind: 'outcome' }] } }]));
    if (!r.ok) throw new Error(formatLessonError(r.error));
    const steps = (r.lesson.entries[0]!.json as { steps: Record<string, unknown>[] }).steps;
    expect(steps[1]).toMatchObject({ note: 'hi', questions: [{ kind: 'outcome' }] });
    expect(r.lesson.entries[0]!.rules).toBe('seed');
    const again = parseLesson(minimal([{ builtin: 'quadrants-32bit' }]));
    expect(again.ok && (again.lesson.entries[0]!.json as { steps: Record<string, unknown>[] }).steps[1]!.note).toBeFalsy();
  });

  it('takes inline scenarios and per-entry rules', () => {
    const scenario = { format: 'shadowpaging/v1', title: 'x', guest: { mode: 'x86-32', cr3: '0x1000' }, steps: [{ op: 'read', gva: '0x1000', note: 'n' }] };
    const r = parseLesson(minimal([{ scenario, rules: 'merged' }], { rules: 'before' }));
    expect(r.ok && r.lesson.entries[0]!.rules).toBe('merged');
    const r2 = parseLesson(minimal([{ scenario }], { rules: 'before' }));
    expect(r2.ok && r2.lesson.entries[0]!.rules).toBe('before');
  });

  it('names the field of each problem', () => {
    expect(err({ format: 'x' })).toMatch(/^format: expected "shadowpaging-lesson\/v1"/);
    expect(err({ format: LESSON_FORMAT, entries: [] })).toMatch(/^title: missing/);
    expect(err(minimal([]))).toBe('entries: a lesson needs at least one entry');
    expect(err(minimal([{ builtin: 'quadrants-32bi' }]))).toMatch(/^entries\[0\]\.builtin: there is no built-in scenario "quadrants-32bi" \(did you mean "quadrants-32bit"\?\)/);
    expect(err(minimal([{}]))).toMatch(/^entries\[0\]: an entry has either "builtin"/);
    expect(err(minimal([{ builtin: 'quadrants-32bit', notse: {} }]))).toMatch(/^entries\[0\]: unknown key "notse" in a lesson entry; allowed keys: builtin, scenario, intro, rules, notes, questions/);
    expect(err(minimal([{ builtin: 'quadrants-32bit', notes: { '13': 'x' } }]))).toMatch(/^entries\[0\]\.notes\.13: not a step of this scenario: keys are step numbers from 1 to 12/);
    expect(err(minimal([{ builtin: 'quadrants-32bit', questions: { '1': [{ kind: 'color' }] } }]))).toMatch(/^entries\[0\]\.questions\.1\[0\]\.kind: expected one of "outcome"/);
    expect(err(minimal([{ builtin: 'quadrants-32bit', rules: 'newest' }]))).toMatch(/^entries\[0\]\.rules: expected one of "before"/);
    expect(err(minimal([{ scenario: { format: 'shadowpaging/v1', title: 'x', guest: { mode: 'x86-32', cr3: '0x1000' }, steps: [{ op: 'read', gva: 'zz' }] } }]))).toMatch(/^entries\[0\]\.scenario\.steps\[0\]\.gva: /);
    expect(err(minimal(Array.from({ length: LESSON_LIMITS.maxEntries + 1 }, () => ({ builtin: 'paging-off' }))))).toMatch(/^entries: too many entries \(33\); at most 32/);
    expect(err(minimal([{ builtin: 'quadrants-32bit', intro: 'x'.repeat(LESSON_LIMITS.maxIntroChars + 1) }]))).toMatch(/^entries\[0\]\.intro: too long/);
  });

  it('refuses text that is too long or not JSON', () => {
    const t = parseLessonText('{');
    expect(!t.ok && formatLessonError(t.error)).toMatch(/^lesson: not valid JSON/);
    const big = parseLessonText(' '.repeat(LESSON_LIMITS.maxTextChars + 1));
    expect(!big.ok && formatLessonError(big.error)).toMatch(/too long/);
  });
});
