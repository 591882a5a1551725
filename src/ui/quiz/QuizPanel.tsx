/**
 * The questions before a step (issue 18): when Next meets a step with
 * questions, they show here and the step stays hidden until they are
 * answered; then the step is revealed and each answer is marked right or
 * wrong with the core's explanation. In the side panel, or (presenting
 * mode, the embed, a closed or narrow panel) in a compact box floating over
 * the tables, above the timeline bar.
 */
import { useEffect, useId, useMemo, useRef, useState } from 'react';
import { ERROR_CODE_BITS, type Answer, type PageAnswer, type Question } from '../../core/index.ts';
import { useStore } from '../store/index.ts';
import { stepQuestions } from './questions.ts';

/** One question's input; `value` undefined = not answered yet. */
function QuestionInputs({ q, value, onChange }: { q: Question; value: Answer | undefined; onChange: (a: Answer) => void }) {
  const name = useId();
  switch (q.input) {
    case 'one':
      return (
        // Short choices (quadrant 0 ... 3) sit in a row.
        <div className={`quiz-choices${q.choices.every((c) => c.label.length <= 14) ? ' quiz-row' : ''}`}>
          {q.choices.map((c, i) => (
            <label key={i} className="quiz-choice">
              <input type="radio" name={name} checked={value !== undefined && JSON.stringify(value) === JSON.stringify(c.value)} onChange={() => onChange(c.value as Answer)} data-testid={`quiz-choice-${q.id}-${i}`} />{' '}
              {c.label}
            </label>
          ))}
        </div>
      );
    case 'bits': {
      const none = value === null;
      const ec = typeof value === 'number' ? value : 0;
      return (
        <div className="quiz-choices quiz-bits">
          {ERROR_CODE_BITS.map((b) => (
            <label key={b.bit} className="quiz-choice" title={b.words[0]}>
              <input type="checkbox" disabled={none} checked={!none && (ec & b.bit) !== 0} onChange={(e) => onChange(e.target.checked ? ec | b.bit : ec & ~b.bit)} data-testid={`quiz-bit-${b.name}`} /> {b.name}
            </label>
          ))}
          <label className="quiz-choice">
            <input type="checkbox" checked={none} onChange={(e) => onChange(e.target.checked ? null : 0)} data-testid="quiz-bit-none" /> no #PF is injected
          </label>
        </div>
      );
    }
    case 'many': {
      const ticked = Array.isArray(value) ? (value as PageAnswer[]) : [];
      const key = (p: PageAnswer) => `${p.gfn}/${p.level}/${p.quadrant}`;
      return (
        <div className="quiz-choices">
          {q.choices.map((c, i) => {
            const p = c.value as PageAnswer;
            const on = ticked.some((t) => key(t) === key(p));
            return (
              <label key={i} className="quiz-choice">
                <input type="checkbox" checked={on} onChange={(e) => onChange(e.target.checked ? [...ticked, p] : ticked.filter((t) => key(t) !== key(p)))} data-testid={`quiz-choice-${q.id}-${i}`} /> {c.label}
              </label>
            );
          })}
        </div>
      );
    }
    case 'root': {
      const r = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as { root: number; index: number }) : null;
      return (
        <div className="quiz-choices quiz-root">
          {q.choices.map((c, i) => (
            <label key={i} className="quiz-choice">
              <input type="radio" name={name} checked={r?.root === c.value} onChange={() => onChange({ root: c.value as number, index: r?.index ?? 0 })} data-testid={`quiz-choice-${q.id}-${i}`} /> {c.label}
            </label>
          ))}
          <label className="quiz-choice">
            shadow PT entry{' '}
            <input type="number" min={0} max={511} className="quiz-index" value={r?.index ?? ''} onChange={(e) => onChange({ root: r?.root ?? 0, index: Math.max(0, Math.min(511, Math.floor(Number(e.target.value) || 0))) })} data-testid="quiz-root-index" />
          </label>
        </div>
      );
    }
  }
}

/**
 * The step just answered here: its marks take the focus when they show (the
 * answer button they replace had it), and only then, so stepping back onto an
 * answered step never moves the focus.
 */
let justAnswered: number | null = null;

/** 'one' and 'root' questions need a pick; bits and pages may be left empty (no bit, no page). */
const answered = (q: Question, v: Answer | undefined) => (q.input === 'bits' || q.input === 'many' ? true : v !== undefined && v !== null);

function Asking({ step, compact }: { step: number; compact: boolean }) {
  const tl = useStore((s) => s.timeline);
  const json = useStore((s) => s.scenarioJson);
  const quizMe = useStore((s) => s.quizMe);
  const { questions, skipped } = useMemo(() => stepQuestions(tl, json, quizMe, step), [tl, json, quizMe, step]);
  const [given, setGiven] = useState<ReadonlyMap<string, Answer>>(new Map());
  const head = useRef<HTMLHeadingElement>(null);
  // Focus moves to the question when Next is pressed, so a keyboard user is taken to it.
  useEffect(() => head.current?.focus(), [step]);
  const ready = questions.every((q) => answered(q, given.get(q.id)));
  const submit = () => {
    const full = new Map(given);
    for (const q of questions) if (!full.has(q.id)) full.set(q.id, q.input === 'bits' ? 0 : q.input === 'many' ? [] : null);
    justAnswered = step;
    useStore.getState().answerQuiz(full);
  };
  return (
    <form
      className={`quiz${compact ? ' quiz-compact' : ''}`}
      aria-labelledby="quiz-head"
      data-testid="quiz-ask"
      data-step={step}
      onSubmit={(e) => {
        e.preventDefault();
        if (ready) submit();
      }}
    >
      <h2 id="quiz-head" ref={head} tabIndex={-1} className="panel-title">
        Before step {step}: your answer
      </h2>
      <p className="quiz-hint">Answer to see the step. Back (Left arrow) leaves the question.</p>
      {questions.map((q) => (
        <fieldset key={q.id} className="quiz-q" data-testid={`quiz-q-${q.id}`}>
          <legend className="quiz-prompt">{q.prompt}</legend>
          <QuestionInputs
            q={q}
            value={given.get(q.id)}
            onChange={(a) => {
              const next = new Map(given);
              next.set(q.id, a);
              setGiven(next);
            }}
          />
        </fieldset>
      ))}
      {skipped.length > 0 && (
        <p className="quiz-hint" data-testid="quiz-skipped">
          Not asked here: {skipped.map((s) => `${s.id} (${s.reason})`).join('; ')}.
        </p>
      )}
      <div className="quiz-actions">
        <button type="submit" className="btn btn-primary" disabled={!ready} data-testid="quiz-submit">
          Answer and show step {step}
        </button>
        {!ready && <span className="quiz-hint">Pick an answer for each question first.</span>}
      </div>
    </form>
  );
}

/** The answers just given for the step on screen, marked, with the explanations. */
function Marked({ step, compact }: { step: number; compact: boolean }) {
  const log = useStore((s) => s.quizLog);
  const rows = useMemo(() => log.filter((e) => e.step === step), [log, step]);
  // Over the tables (compact), the marks can be put away to see the step whole.
  const [shut, setShut] = useState(false);
  const head = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (justAnswered !== step) return;
    justAnswered = null;
    head.current?.focus();
  }, [step]);
  if (rows.length === 0 || shut) return null;
  return (
    <section className={`quiz${compact ? ' quiz-compact' : ''}`} aria-label={`Your answers for step ${step}`} data-testid="quiz-marked">
      <div className="quiz-marked-head">
        <h2 className="panel-title" ref={head} tabIndex={-1}>
          Your answers for step {step}
        </h2>
        {compact && (
          <button type="button" className="btn" onClick={() => setShut(true)} data-testid="quiz-marked-close">
            Hide
          </button>
        )}
      </div>
      {rows.map((r) => (
        <div key={r.question} className={`quiz-result ${r.correct ? 'quiz-right' : 'quiz-wrong'}`} data-testid={`quiz-result-${r.question}`} data-correct={r.correct}>
          <p className="quiz-verdict">
            <strong>{r.correct ? 'Right' : 'Wrong'}</strong>
            {r.correct ? `: ${r.expectedText}.` : `: you answered ${r.givenText}; the answer is ${r.expectedText}.`}
          </p>
          {!compact && <p className="quiz-prompt-done">{r.prompt}</p>}
          <p className="quiz-explain">{r.explanation}</p>
        </div>
      ))}
    </section>
  );
}

/** The question waiting for an answer, else the marks of the step on screen. */
export function QuizPanel({ compact = false }: { compact?: boolean }) {
  const ask = useStore((s) => s.quizAsk);
  const step = useStore((s) => s.step);
  const any = useStore((s) => s.quizLog.length > 0);
  if (ask !== null) return <Asking key={ask} step={ask} compact={compact} />;
  if (!any) return null;
  // Keyed by step: marks put away on one step show again on the next.
  return <Marked key={step} step={step} compact={compact} />;
}
