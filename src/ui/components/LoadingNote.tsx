/**
 * The progress of a heavy scenario being built off the main thread
 * (heavy/build.ts): what is opening, how many of its steps have run, a bar,
 * and Cancel, which keeps what is on screen. It floats over the page, so the
 * tables keep their size and the scenario on screen stays usable meanwhile.
 */
import { RULE_SET_LABEL } from '../../core/index.ts';
import { useStore } from '../store/index.ts';

/** One formatter for every progress update (toLocaleString makes one per call: ~30 ms over a 10,000-step build). */
const NUMBER = new Intl.NumberFormat('en-US');
const fmt = (n: number) => NUMBER.format(n);

export function LoadingNote() {
  const loading = useStore((s) => s.loading);
  if (!loading) return null;
  const { title, done, total, what, rules } = loading;
  const text = what === 'open' ? `Opening "${title}": ${fmt(done)} of ${fmt(total)} steps` : `Running "${title}" under ${RULE_SET_LABEL[rules]}: ${fmt(done)} of ${fmt(total)} steps`;
  return (
    <div className="loading-note" role="status" aria-live="polite" data-testid="loading-note">
      <div className="loading-text">
        <span data-testid="loading-text">{text}</span>
        <progress max={Math.max(1, total)} value={done} aria-label="Steps run so far" />
      </div>
      <button type="button" className="btn" onClick={() => useStore.getState().cancelLoading()} data-testid="loading-cancel" title="Stop, and keep what is on screen">
        Cancel
      </button>
    </div>
  );
}
