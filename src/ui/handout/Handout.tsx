/**
 * "Handout": choose a range of steps and whether to print the answers, then
 * Print. The handout (handout.ts) is drawn into <body> beside the app and
 * shown by the print stylesheet only (index.css, @media print), so the
 * browser's own print dialog (or "Save as PDF") prints it and nothing else;
 * once the dialog closes (afterprint) it is gone and printing is as before.
 */
import { useState } from 'react';
import { createPortal } from 'react-dom';
import { RULE_SET_LABEL } from '../../core/index.ts';
import { NoteText } from '../notes/index.ts';
import { useStore } from '../store/index.ts';
import { buildHandout, HANDOUT_MAX_STEPS, handoutRange, type HandoutStep } from './handout.ts';

interface Printed {
  readonly title: string;
  readonly lesson: string | null;
  readonly rules: string;
  readonly from: number;
  readonly to: number;
  readonly answers: boolean;
  readonly steps: readonly HandoutStep[];
}

export function HandoutButton() {
  const [open, setOpen] = useState(false);
  const total = useStore((s) => s.timeline.length);
  const [from, setFrom] = useState(1);
  const [to, setTo] = useState(Math.min(total, HANDOUT_MAX_STEPS));
  const [answers, setAnswers] = useState(false);
  const [printed, setPrinted] = useState<Printed | null>(null);
  const range = handoutRange(from, to, total);
  const toggle = () => {
    if (!open) {
      // A new scenario since last time: the whole of it (up to the cap).
      setFrom(1);
      setTo(Math.min(total, HANDOUT_MAX_STEPS));
    }
    setOpen(!open);
  };
  const print = () => {
    if (!range.ok) return;
    const s = useStore.getState();
    setPrinted({
      title: s.scenario.title,
      lesson: s.lesson ? `${s.lesson.lesson.title}, scenario ${s.lesson.entry + 1} of ${s.lesson.lesson.entries.length}` : null,
      rules: RULE_SET_LABEL[s.rules],
      from: range.from,
      to: range.to,
      answers,
      steps: buildHandout(s.timeline, s.scenarioJson, range.from, range.to, s.quizMe),
    });
    setOpen(false);
    // Only while this handout prints is the app hidden from print (Ctrl+P on its own prints the app as before).
    document.body.classList.add('printing-handout');
    const done = () => {
      window.removeEventListener('afterprint', done);
      document.body.classList.remove('printing-handout');
      setPrinted(null);
    };
    window.addEventListener('afterprint', done);
    // After React has drawn it: the print dialog takes a snapshot of the page.
    window.setTimeout(() => window.print(), 0);
  };
  return (
    <span className="handout-ctl">
      <button type="button" className="btn" aria-expanded={open} aria-controls="handout-dialog" onClick={toggle} data-testid="handout-toggle" title="Print a range of steps with captions, notes and questions">
        Handout
      </button>
      {open && (
        <div id="handout-dialog" className="popover" role="dialog" aria-label="Print a handout" data-testid="handout-dialog">
          <p className="toast">Steps with their captions, notes and questions, for the browser's print dialog (or Save as PDF).</p>
          <span className="ctl">
            <label className="ctl">
              from step <input type="number" min={1} max={total} value={from} onChange={(e) => setFrom(Math.floor(Number(e.target.value)))} className="quiz-index" data-testid="handout-from" />
            </label>
            <label className="ctl">
              to <input type="number" min={1} max={total} value={to} onChange={(e) => setTo(Math.floor(Number(e.target.value)))} className="quiz-index" data-testid="handout-to" />
            </label>
            <span>of {total}</span>
          </span>
          <label className="ctl">
            <input type="checkbox" checked={answers} onChange={(e) => setAnswers(e.target.checked)} data-testid="handout-answers" /> print the answers (without them, a step with questions shows only what the guest did: the rest of its caption would give them away)
          </label>
          {!range.ok && (
            <p role="alert" className="toast" data-testid="handout-error">
              {range.error}
            </p>
          )}
          <span className="ctl">
            <button type="button" className="btn" onClick={print} disabled={!range.ok} data-testid="handout-print">
              Print…
            </button>
            <button type="button" className="btn" onClick={() => setOpen(false)}>
              Close
            </button>
          </span>
        </div>
      )}
      {printed && createPortal(<HandoutSheet p={printed} />, document.body)}
    </span>
  );
}

function HandoutSheet({ p }: { p: Printed }) {
  return (
    <article className="handout-print" data-testid="handout">
      <header>
        <h1>{p.title}</h1>
        <p className="handout-meta">
          {p.lesson !== null && <>Lesson: {p.lesson}. </>}
          Steps {p.from} to {p.to}; rule set: {p.rules}.{p.answers ? ' With answers.' : ''}
        </p>
      </header>
      {p.steps.map((s) => (
        <section key={s.step} className="handout-step" data-testid={`handout-step-${s.step}`}>
          <h2>Step {s.step}</h2>
          {s.questions.length > 0 && (
            <div className="handout-questions">
              <h3>Before the step: your answer</h3>
              <ol>
                {s.questions.map((q) => (
                  <li key={q.id}>
                    <p>{q.prompt}</p>
                    <ul className="handout-choices">
                      {q.choices.map((c, i) => (
                        <li key={i}>☐ {c}</li>
                      ))}
                    </ul>
                    {p.answers && (
                      <p className="handout-answer" data-testid="handout-answer">
                        <strong>Answer:</strong> {q.explanation.startsWith(q.answer) ? '' : `${q.answer}. `}
                        {q.explanation}
                      </p>
                    )}
                  </li>
                ))}
              </ol>
            </div>
          )}
          {/* Without the answers, a step with questions keeps only what the guest did: the rest of its caption gives them away. */}
          <p className="handout-caption">
            <strong>{s.did}</strong> {p.answers || s.questions.length === 0 ? s.rest.join(' ') : ''}
          </p>
          {s.note !== null && <NoteText note={s.note} className="note handout-note" />}
        </section>
      ))}
    </article>
  );
}
