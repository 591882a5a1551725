import { describe, expect, it } from 'vitest';
import { Timeline } from '../../core/index.ts';
import { parseLesson } from '../../scenarios/lesson.ts';
import { LESSONS } from '../../scenarios/lessons/index.ts';
import { buildHandout, HANDOUT_MAX_STEPS, handoutRange } from './handout.ts';

const L = LESSONS.find((l) => l.id === 'patch-and-bug')!;
const parsed = parseLesson(L.json);
if (!parsed.ok) throw new Error('fixture');
const merged = parsed.lesson.entries[2]!;

describe('the handout', () => {
  it("has each step's caption, the lesson's note and questions, and the answers", () => {
    const tl = new Timeline(merged.scenario, 'merged');
    const h = buildHandout(tl, merged.json, 4, 5, false);
    expect(h.map((s) => s.step)).toEqual([4, 5]);
    expect(h[0]!.did).toMatch(/reads 0x0*210000/);
    expect(h[0]!.note).toMatch(/Patch 7\/8/);
    expect(h[0]!.questions.map((q) => q.id)).toEqual(['outcome', 'created-pages']);
    expect(h[1]!.questions.find((q) => q.id === 'outcome')!.answer).toMatch(/guest fault/i);
    expect(h[1]!.questions.find((q) => q.id === 'error-code')!.choices).toContain('no #PF is injected');
    // No questions picked on step 6, and Quiz me off: none printed.
    expect(buildHandout(tl, merged.json, 6, 6, false)[0]!.questions).toEqual([]);
    expect(buildHandout(tl, merged.json, 6, 7, true).some((s) => s.questions.length > 0)).toBe(true);
  });

  it('says what to change about a range', () => {
    expect(handoutRange(1, 7, 7)).toEqual({ ok: true, from: 1, to: 7 });
    expect(handoutRange(5, 4, 7)).toEqual({ ok: false, error: 'Choose steps from 1 to 7, the first no later than the last.' });
    expect(handoutRange(0, 4, 7).ok).toBe(false);
    expect(handoutRange(1, 8, 7).ok).toBe(false);
    const long = handoutRange(1, HANDOUT_MAX_STEPS + 1, 10_000);
    expect(!long.ok && long.error).toBe(`A handout holds at most ${HANDOUT_MAX_STEPS} steps; this range has ${HANDOUT_MAX_STEPS + 1}. Choose a shorter range.`);
    expect(handoutRange(1, 1, 0).ok).toBe(false);
  });
});
