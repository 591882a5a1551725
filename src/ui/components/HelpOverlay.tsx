/** Keyboard help (`?`). */
import { useEffect, useRef } from 'react';
import { useStore } from '../store/index.ts';

const KEYS: Array<[string, string]> = [
  ['→ / ←', 'next / previous step (or kernel event in event mode)'],
  ['Space', 'play / pause'],
  ['Home / End', 'first / last step'],
  ['N', 'next fault (the next step that exits to KVM)'],
  ['E', 'toggle stepping by kernel event'],
  ['T', 'light / dark theme'],
  ['+ / −', 'zoom: + grows the whole page (for a projector), − shrinks the tables; − past 50% shows the overview'],
  ['O', 'overview: the whole scene on one screen (click a table to open it)'],
  ['P', 'presenting mode: large type, the caption on top (Esc leaves)'],
  ['D', 'the details panel (a drawer on narrow windows)'],
  ['Tab, arrows, Enter', 'in the tables: one stop per column; arrows move, Enter follows a pointer'],
  ['?', 'this help; Esc closes it'],
];

export function HelpOverlay() {
  const show = useStore((s) => s.showHelp);
  const toggle = useStore((s) => s.toggleHelp);
  const ref = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (show) ref.current?.focus();
  }, [show]);
  if (!show) return null;
  return (
    <div className="overlay" role="dialog" aria-modal="true" aria-labelledby="help-title" data-testid="help-overlay" onClick={() => toggle(false)}>
      <div className="overlay-box" onClick={(e) => e.stopPropagation()}>
        <h2 id="help-title" className="panel-title">
          Keyboard
        </h2>
        <table className="keys">
          <tbody>
            {KEYS.map(([k, v]) => (
              <tr key={k}>
                <th scope="row">
                  <kbd>{k}</kbd>
                </th>
                <td>{v}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <p className="mt-3 text-sm">
          Hover an entry to light up the shadow entries that mirror it; click an entry to follow its pointer. Colours mark quadrants: q0 orange, q1 sky blue, q2 green, q3 purple. Dashed lines ending in a dot fan a guest table out to the shadow pages that shadow it; solid arrows are shadow table pointers (spte → child page); dotted grey arrows are guest table pointers.
        </p>
        <button ref={ref} type="button" className="btn mt-3" onClick={() => toggle(false)}>
          Close
        </button>
      </div>
    </div>
  );
}
