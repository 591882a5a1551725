/**
 * A lesson on screen (issue 18, item 3): its title and intro, "scenario k of
 * n" with the entry's own intro, Previous and Next between the entries, and
 * the lesson exported as one JSON file. The entry's notes and questions are
 * the scenario's (merged in by lesson.ts), so the caption, the side panel
 * and the quiz gate show them as they show any scenario's. Compact in the
 * embed and in presenting mode: one line, the intros folded.
 */
import { saveFile } from '../export/render.ts';
import { sim_slug } from '../export/names.ts';
import { NoteText } from '../notes/index.ts';
import { storeActions, useStore } from '../store/index.ts';

export function lessonFileText(json: unknown): string {
  return `${JSON.stringify(json, null, 2)}\n`;
}

/**
 * Under 800 px of height (a 1280x720 projector) the intro starts folded: open,
 * it took the room the tables and the question in the side panel need.
 */
const shortWindow = (): boolean => typeof window !== 'undefined' && window.innerHeight < 800;

export function LessonBar({ compact }: { compact: boolean }) {
  const open = useStore((s) => s.lesson);
  const title = useStore((s) => s.scenario.title);
  if (!open) return null;
  const { lesson, entry } = open;
  const n = lesson.entries.length;
  const e = lesson.entries[entry]!;
  const a = storeActions();
  return (
    <section className={`lesson-bar${compact ? ' lesson-compact' : ''}`} aria-label="Lesson" data-testid="lesson-bar">
      <div className="lesson-head">
        <h2 className="lesson-title" data-testid="lesson-title">
          <span className="lesson-kicker">Lesson: </span>
          {lesson.title}
        </h2>
        <span className="lesson-nav" role="group" aria-label="Lesson scenarios">
          <button type="button" className="btn" onClick={() => a.lessonStep(-1)} disabled={entry === 0} data-testid="lesson-prev" aria-label="Previous scenario of the lesson">
            ← {compact ? '' : 'Previous'}
          </button>
          <span className="counter" data-testid="lesson-position" aria-live="polite" title={`Scenario ${entry + 1} of ${n}: ${title}`}>
            Scenario {entry + 1} of {n}
            <span className={compact ? 'sr-only' : undefined}>: {title}</span>
          </span>
          <button type="button" className="btn" onClick={() => a.lessonStep(1)} disabled={entry === n - 1} data-testid="lesson-next" aria-label="Next scenario of the lesson">
            {compact ? '' : 'Next'} →
          </button>
        </span>
        {!compact && (
          <span className="lesson-actions">
            <button type="button" className="btn" onClick={() => saveFile(`${sim_slug(lesson.title)}.lesson.json`, new Blob([lessonFileText(open.json)], { type: 'application/json' }))} data-testid="lesson-export" title="Save the lesson as one JSON file (Import opens it again)">
              Export lesson
            </button>
            <button type="button" className="btn" onClick={a.closeLesson} data-testid="lesson-close" title="Keep this scenario on screen, without the lesson">
              Leave lesson
            </button>
          </span>
        )}
      </div>
      {(lesson.intro !== null || e.intro !== null) && (
        <details className="lesson-intro" open={!compact && entry === 0 && !shortWindow()} data-testid="lesson-intro">
          <summary>{entry === 0 || e.intro === null ? 'About this lesson' : 'About this scenario'}</summary>
          {entry === 0 && lesson.intro !== null && <NoteText note={lesson.intro} className="note" testId="lesson-intro-text" />}
          {e.intro !== null && <NoteText note={e.intro} className="note" testId="lesson-entry-intro" />}
          {entry !== 0 && lesson.intro !== null && (
            <>
              <h3 className="lesson-sub">The lesson</h3>
              <NoteText note={lesson.intro} className="note" />
            </>
          )}
        </details>
      )}
    </section>
  );
}
