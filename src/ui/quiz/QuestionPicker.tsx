/**
 * The editor's question picker (issue 18): a teacher picks and orders the
 * questions asked before a step; the core computes every answer, so there
 * is nothing to type but a quadrant-of question's page. It edits the step's
 * `questions` list in the document (src/scenarios/raw.ts), one dialog for
 * the step whose "questions" button was pressed, so the form's step rows
 * keep their height.
 */
import { useEffect, useRef, useState } from 'react';
import { MAX_QUESTIONS_PER_STEP, QUESTION_KINDS, type QuestionKind } from '../../core/questions.ts';

type Obj = Record<string, unknown>;

/** What each kind asks, for the teacher choosing it. */
export const KIND_WORDS: Record<QuestionKind, string> = {
  outcome: 'What happens: hit, shadow fault, guest fault or emulated',
  'error-code': 'The #PF error code injected (bits to tick)',
  'created-pages': 'Which shadow pages KVM creates',
  'quadrant-of': 'The quadrant of a shadow page (by guest frame)',
  'root-of': 'Which pae_root[] and shadow PT entry the address goes through',
  'spte-writable': 'Whether the shadow entry is writable after the step, and why',
};

/** The step's picks as the document holds them. */
export const picksOf = (s: Obj): Obj[] => (Array.isArray(s.questions) ? (s.questions as unknown[]).map((q) => (q && typeof q === 'object' ? (q as Obj) : {})) : []);

/** A pick in the schema's key order (kind, gfn, level), empty keys left out. */
const tidy = (q: Obj): Obj => ({ kind: q.kind, ...(q.gfn !== undefined ? { gfn: q.gfn } : {}), ...(q.level !== undefined ? { level: q.level } : {}) });

/** `s` with `picks` as its questions (the key left out when there are none; the form keeps `note` last). */
export function withPicks(s: Obj, picks: readonly Obj[]): Obj {
  const next: Obj = {};
  for (const [k, v] of Object.entries(s)) if (k !== 'questions' && k !== 'note') next[k] = v;
  if (picks.length) next.questions = picks;
  if ('note' in s) next.note = s.note;
  return next;
}

export function QuestionPicker({ step, s, onChange, onClose }: { step: number; s: Obj; onChange: (next: Obj) => void; onClose: () => void }) {
  const picks = picksOf(s);
  const [kind, setKind] = useState<QuestionKind>('outcome');
  const head = useRef<HTMLHeadingElement>(null);
  useEffect(() => head.current?.focus(), [step]);
  const set = (next: Obj[]) => onChange(withPicks(s, next));
  const move = (i: number, d: number) => {
    const j = i + d;
    if (j < 0 || j >= picks.length) return;
    const next = [...picks];
    [next[i], next[j]] = [next[j]!, next[i]!];
    set(next);
  };
  const full = picks.length >= MAX_QUESTIONS_PER_STEP;
  return (
    <div
      className="quiz-picker"
      role="dialog"
      aria-labelledby="quiz-picker-head"
      data-testid="quiz-picker"
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.stopPropagation();
          onClose();
        }
      }}
    >
      <h3 id="quiz-picker-head" ref={head} tabIndex={-1} className="panel-title">
        Questions before step {step}
      </h3>
      <p className="form-hint">Asked in this order before the step is shown; the app works out every answer from the trace.</p>
      {picks.length === 0 && <p className="form-hint">No question yet: with Quiz me on, generated ones are asked.</p>}
      <ol className="quiz-picks">
        {picks.map((p, i) => {
          const k = String(p.kind);
          return (
            <li key={i} className="quiz-pick" data-testid={`quiz-pick-${i}`}>
              <span className="quiz-pick-kind">{KIND_WORDS[k as QuestionKind] ?? k}</span>
              {k === 'quadrant-of' && (
                <span className="quiz-pick-page">
                  <label className="box">
                    <span aria-hidden="true">gfn</span>
                    <input
                      aria-label={`question ${i + 1} guest frame (gfn)`}
                      placeholder="first page with quadrants"
                      spellCheck={false}
                      value={typeof p.gfn === 'string' ? p.gfn : typeof p.gfn === 'number' ? `0x${p.gfn.toString(16)}` : ''}
                      onChange={(e) => {
                        const next = [...picks];
                        next[i] = tidy({ ...p, gfn: e.target.value === '' ? undefined : e.target.value });
                        set(next);
                      }}
                    />
                  </label>
                  <select
                    aria-label={`question ${i + 1} level`}
                    value={typeof p.level === 'number' ? String(p.level) : ''}
                    onChange={(e) => {
                      const next = [...picks];
                      next[i] = tidy({ ...p, level: e.target.value === '' ? undefined : Number(e.target.value) });
                      set(next);
                    }}
                  >
                    <option value="">any level</option>
                    <option value="1">PT (1)</option>
                    <option value="2">PD (2)</option>
                  </select>
                </span>
              )}
              <span className="step-btns">
                <button type="button" className="btn" onClick={() => move(i, -1)} aria-label={`Move question ${i + 1} up`} disabled={i === 0}>
                  ↑
                </button>
                <button type="button" className="btn" onClick={() => move(i, 1)} aria-label={`Move question ${i + 1} down`} disabled={i === picks.length - 1}>
                  ↓
                </button>
                <button type="button" className="btn" onClick={() => set(picks.filter((_, j) => j !== i))} aria-label={`Remove question ${i + 1}`}>
                  ✕
                </button>
              </span>
            </li>
          );
        })}
      </ol>
      <div className="form-row">
        <select aria-label="Question to add" value={kind} onChange={(e) => setKind(e.target.value as QuestionKind)} data-testid="quiz-pick-kind">
          {QUESTION_KINDS.map((k) => (
            <option key={k} value={k}>
              {KIND_WORDS[k]}
            </option>
          ))}
        </select>
        <button type="button" className="btn" disabled={full} onClick={() => set([...picks, { kind }])} data-testid="quiz-pick-add">
          Add question
        </button>
        <button type="button" className="btn" onClick={onClose} data-testid="quiz-picker-close">
          Done
        </button>
      </div>
      {full && <p className="form-hint">A step asks at most {MAX_QUESTIONS_PER_STEP} questions.</p>}
    </div>
  );
}
