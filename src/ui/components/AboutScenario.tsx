/**
 * "About this scenario": the scenario's short intro and, for a built-in, its
 * "What to watch" list (src/scenarios/library/watch.ts, every item checked
 * against the trace by tests/watch.test.ts). Each item jumps to its step; an
 * item that holds only under some rule sets says which, and is marked when
 * the rule set on screen is not one of them rather than hidden. A built-in
 * also says whether it was checked against a real Linux 6.1 KVM (VerifiedBadge).
 */
import { memo, useEffect, useRef, useState } from 'react';
import { RULE_SET_SHORT, RULE_SETS, type RuleSetName } from '../../core/index.ts';
import { itemRules, WATCH, type WatchItem } from '../../scenarios/library/watch.ts';
import { Glossed } from '../glossary/Term.tsx';
import { useStore } from '../store/index.ts';
import { VerifiedBadge } from './VerifiedBadge.tsx';

/** "under Before only", "under Seed, Merged and No 7/8"; null when the item holds under every rule set. */
export function rulesNote(rules: readonly RuleSetName[]): string | null {
  if (RULE_SETS.every((r) => rules.includes(r))) return null;
  const names = rules.map((r) => RULE_SET_SHORT[r]);
  if (names.length === 1) return `under ${names[0]} only`;
  return `under ${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

const stepLabel = (item: WatchItem): string => (item.through !== undefined ? `Steps ${item.step}-${item.through}` : `Step ${item.step}`);

function WatchEntry({ item, step, rules, onJump }: { item: WatchItem; step: number; rules: RuleSetName; onJump: (n: number) => void }) {
  const note = rulesNote(itemRules(item));
  const holds = itemRules(item).includes(rules);
  const current = step >= item.step && step <= (item.through ?? item.step);
  return (
    <li className={`watch-item${holds ? '' : ' watch-other-rules'}${current ? ' watch-current' : ''}`} data-step={item.step} aria-current={current ? 'step' : undefined}>
      <button type="button" className="watch-step" onClick={() => onJump(item.step)} title={`Go to ${stepLabel(item).toLowerCase()}`}>
        {stepLabel(item)}
      </button>{' '}
      {note !== null && (
        <span className="watch-rules">
          ({note}
          {holds ? '' : `: not what ${RULE_SET_SHORT[rules]} shows`}){' '}
        </span>
      )}
      <span className="watch-text">
        <Glossed text={item.text} />
      </span>
      {item.kernel !== undefined && (
        <span className="watch-kernel">
          <Glossed text={item.kernel} />
        </span>
      )}
    </li>
  );
}

export const AboutScenario = memo(function AboutScenario({ step }: { step: number }) {
  const description = useStore((s) => s.scenario.description);
  const libraryId = useStore((s) => s.libraryId);
  const rules = useStore((s) => s.rules);
  const items = libraryId === null ? undefined : WATCH[libraryId];
  // Open on step 0 and closed on the others, as stepping goes; but a jump
  // from the list keeps it open, so the list stays where the reader is.
  const [open, setOpen] = useState(step === 0);
  const fromList = useRef(false);
  useEffect(() => {
    if (fromList.current) fromList.current = false;
    else setOpen(step === 0);
  }, [step, libraryId]);
  if (!description && items === undefined) return null;
  const jump = (n: number) => {
    fromList.current = n !== useStore.getState().step;
    useStore.getState().jumpTo(n);
  };
  return (
    <details className="panel about" open={open} onToggle={(e) => setOpen(e.currentTarget.open)} data-testid="about-scenario">
      <summary className="panel-title cursor-pointer">About this scenario</summary>
      {description && (
        <p className="text-sm leading-snug" data-testid="scenario-description">
          <Glossed text={description} />
        </p>
      )}
      <VerifiedBadge full />
      {items !== undefined && items.length > 0 && (
        <>
          <h3 className="watch-title">What to watch</h3>
          <ol className="watch-list" data-testid="watch-list">
            {items.map((item, i) => (
              <WatchEntry key={i} item={item} step={step} rules={rules} onJump={jump} />
            ))}
          </ol>
        </>
      )}
    </details>
  );
});
