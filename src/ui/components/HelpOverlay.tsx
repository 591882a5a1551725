/**
 * Help (`?`): a modal dialog with three pages: Keyboard, Glossary (every
 * term, A-Z) and Legend (every mark the app draws). Always mounted, it also
 * holds the one glossary popover of the page (the definition of the term
 * under the pointer, in focus or tapped).
 */
import { type KeyboardEvent, useEffect, useRef } from 'react';
import { HELP_TABS, type HelpTab, useHelpTab } from '../glossary/help-tab.ts';
import { GlossaryPopover } from '../glossary/Term.tsx';
import { TERMS_SORTED } from '../glossary/terms.ts';
import { useStore } from '../store/index.ts';
import { Legend } from './Legend.tsx';

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
  ['Tab, arrows, Space', 'a question before a step (Quiz me, or a teacher\'s): Tab to a choice, arrows move between choices, Space ticks; ← leaves the question'],
  ['Enter on a marked term', 'pins its definition open and moves to its kernel-source link; Tab or Esc comes back to the term'],
  ['?', 'this help; Esc closes it'],
  ['Esc', 'closes what is open, in this order: a definition, this help, presenting mode, the Compare view'],
];

function KeyboardPage() {
  return (
    <>
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
        Hover an entry to light up the shadow entries that mirror it; click an entry to follow its pointer. Underlined words are kernel terms: hover, focus or tap one for its meaning (the Glossary lists them all). The Legend shows every colour, border and line.
      </p>
    </>
  );
}

function GlossaryPage() {
  return (
    <dl className="glossary" data-testid="glossary-page">
      {TERMS_SORTED.map((t) => (
        <div key={t.id} className="glossary-entry" id={`glossary-${t.id}`}>
          <dt>{t.name}</dt>
          <dd>
            {t.def}
            {t.link && (
              <>
                {' '}
                <a href={t.link.href} target="_blank" rel="noreferrer">
                  {t.link.label}
                </a>
              </>
            )}
          </dd>
        </div>
      ))}
    </dl>
  );
}

export function HelpOverlay() {
  return (
    <>
      <GlossaryPopover />
      <HelpDialog />
    </>
  );
}

function HelpDialog() {
  const show = useStore((s) => s.showHelp);
  const toggle = useStore((s) => s.toggleHelp);
  const tab = useHelpTab((s) => s.tab);
  const setTab = useHelpTab((s) => s.setTab);
  const tabRefs = useRef<Partial<Record<HelpTab, HTMLButtonElement | null>>>({});
  useEffect(() => {
    // On opening, the focus goes to the page's tab (arrows then switch pages, Tab reaches the page and Close).
    if (show) tabRefs.current[useHelpTab.getState().tab]?.focus();
  }, [show]);
  if (!show) return null;
  const onTabKey = (e: KeyboardEvent) => {
    const i = HELP_TABS.findIndex(([t]) => t === tab);
    const to = e.key === 'ArrowRight' ? (i + 1) % HELP_TABS.length : e.key === 'ArrowLeft' ? (i + HELP_TABS.length - 1) % HELP_TABS.length : -1;
    if (to < 0) return;
    // The arrows are the tabs' own here, not the step keys.
    e.preventDefault();
    e.stopPropagation();
    const next = HELP_TABS[to]![0];
    setTab(next);
    tabRefs.current[next]?.focus();
  };
  const title = HELP_TABS.find(([t]) => t === tab)![1];
  return (
    <div className="overlay" role="dialog" aria-modal="true" aria-labelledby="help-title" data-testid="help-overlay" onClick={() => toggle(false)}>
      <div className={`overlay-box help-box help-${tab}`} onClick={(e) => e.stopPropagation()}>
        <div className="help-head">
          <h2 id="help-title" className="panel-title">
            Help: {title}
          </h2>
          <div className="tabs" role="tablist" aria-label="Help pages">
            {HELP_TABS.map(([t, label]) => (
              <button
                key={t}
                ref={(el) => {
                  tabRefs.current[t] = el;
                }}
                type="button"
                role="tab"
                id={`help-tab-${t}`}
                aria-selected={t === tab}
                aria-controls="help-page"
                tabIndex={t === tab ? 0 : -1}
                className="btn"
                onClick={() => setTab(t)}
                onKeyDown={onTabKey}
                data-testid={`help-tab-${t}`}
              >
                {label}
              </button>
            ))}
          </div>
        </div>
        <div className="help-page" id="help-page" data-testid="help-page" role="tabpanel" aria-labelledby={`help-tab-${tab}`} tabIndex={0}>
          {tab === 'keyboard' ? <KeyboardPage /> : tab === 'glossary' ? <GlossaryPage /> : <Legend />}
        </div>
        <button type="button" className="btn mt-3" onClick={() => toggle(false)} data-testid="help-close">
          Close
        </button>
      </div>
    </div>
  );
}
