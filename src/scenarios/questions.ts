/**
 * A scenario document's question picks (each step's optional `questions`,
 * raw.ts) in the core's form. The core's Scenario carries no questions (as
 * it carries no notes): the app, the grader and the answer key read them
 * from the document, which has been validated before they ask.
 */
import { QUESTION_KINDS, type QuestionKind, type QuestionSpec } from '../core/questions.ts';
import { parseU64 } from './hex.ts';

/**
 * The questions a teacher picked for steps[index] of a validated document,
 * in their order; undefined when the step lists none.
 */
export function stepQuestionSpecs(json: unknown, index: number): readonly QuestionSpec[] | undefined {
  if (typeof json !== 'object' || json === null) return undefined;
  const steps = (json as { steps?: unknown }).steps;
  if (!Array.isArray(steps)) return undefined;
  const s: unknown = steps[index];
  if (typeof s !== 'object' || s === null) return undefined;
  const list = (s as { questions?: unknown }).questions;
  if (!Array.isArray(list) || list.length === 0) return undefined;
  const out: QuestionSpec[] = [];
  for (const q of list as unknown[]) {
    if (typeof q !== 'object' || q === null) continue;
    const { kind, gfn, level } = q as { kind?: unknown; gfn?: unknown; level?: unknown };
    if (!QUESTION_KINDS.includes(kind as QuestionKind)) continue;
    const g = gfn === undefined ? undefined : parseU64(gfn, '0x101');
    out.push({
      kind: kind as QuestionKind,
      ...(g !== undefined && typeof g !== 'string' ? { gfn: g.hi * 2 ** 32 + g.lo } : {}),
      ...(typeof level === 'number' ? { level } : {}),
    });
  }
  return out.length ? out : undefined;
}

/** Whether any step of a document lists questions. */
export function hasQuestionPicks(json: unknown): boolean {
  const steps = typeof json === 'object' && json !== null ? (json as { steps?: unknown }).steps : undefined;
  if (!Array.isArray(steps)) return false;
  for (let i = 0; i < steps.length; i++) if (stepQuestionSpecs(json, i)) return true;
  return false;
}
