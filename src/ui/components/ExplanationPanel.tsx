/** The step's story: outcome, kernel call path with this step's numbers, and the raw events. */
import { useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { StepResult, TraceEvent } from '../../core/index.ts';
import { type StoryLine, storyOf } from '../layout/explain.ts';
import { errorCodeWords } from '../step/index.ts';
import { kernelLink } from '../layout/kernel-links.ts';
import { Glossed } from '../glossary/Term.tsx';

const OUTCOME_TEXT: Record<string, string> = {
  hit: 'Hit: the shadow tables already allowed the access; KVM never ran.',
  'shadow-fault': 'Shadow fault: a #PF exit that KVM handled by fixing the shadow entries.',
  'guest-fault': 'Guest fault: the guest\'s own tables forbid the access, so KVM injected the exception.',
  emulated: 'Emulated: KVM emulated the instruction (a write to a shadowed page table, or MMIO).',
  done: 'Done: a control-register or TLB operation, or a host-side event (a host write, zap-all).',
};

export function Outcome({ result }: { result: StepResult | null }) {
  if (!result) return <p data-testid="outcome">Initial VM entry: kvm_mmu_load builds the roots.</p>;
  return (
    <p data-testid="outcome" data-outcome={result.outcome}>
      <span className={`badge badge-${result.outcome}`}>{result.outcome}</span> {OUTCOME_TEXT[result.outcome]}
      {/* Only an access that really happened (sim_guest_access) completed: a fault can also loop or end in an injection. */}
      {result.outcome === 'shadow-fault' && (result.events.some((e) => e.kind === 'sim_guest_access') ? ' The access then completed.' : ' The access did not complete.')}
      {result.vector === 14 && result.errorCode !== undefined && <> #PF error code: {errorCodeWords(result.errorCode)}.</>}
      {result.vector === 13 && <> #GP(0).</>}
      {result.gpa && (
        <>
          {' '}
          gpa <span className="font-mono">{result.gpa}</span>, value <span className="font-mono">{result.value}</span>.
        </>
      )}
    </p>
  );
}

/**
 * Scrolls the side panel (the line's scrolling ancestor) the least that
 * shows `line` whole, below a sticky caption at the panel's top; where the
 * panel does not scroll (a drawer in a scrolling page), the browser's own
 * nearest scrolling.
 */
function scrollIntoPanel(line: HTMLElement): void {
  const panel = line.closest<HTMLElement>('.side');
  if (!panel || panel.scrollHeight <= panel.clientHeight) {
    line.scrollIntoView?.({ block: 'nearest', inline: 'nearest' });
    return;
  }
  const box = panel.getBoundingClientRect();
  const sticky = panel.querySelector<HTMLElement>('.side-caption-sticky');
  const top = Math.max(box.top, sticky ? sticky.getBoundingClientRect().bottom : box.top) + 4;
  const bottom = box.bottom - 4;
  const r = line.getBoundingClientRect();
  if (r.top < top) panel.scrollTop -= top - r.top;
  else if (r.bottom > bottom) panel.scrollTop += Math.min(r.bottom - bottom, r.top - top);
}

/** In event mode, the lines of events already revealed (a call-path line shows with its first event). */
function revealed(story: readonly StoryLine[], upTo: number | null): readonly StoryLine[] {
  if (upTo === null) return story;
  return story.filter((l, i) => {
    if (l.event >= 0) return l.event < upTo;
    const next = story.slice(i + 1).find((x) => x.event >= 0);
    return !next || next.event < upTo;
  });
}

export function ExplanationPanel({ events, result, upTo }: { events: readonly TraceEvent[]; result: StepResult | null; upTo: number | null }) {
  const story = useMemo(() => storyOf(events), [events]);
  const shown = useMemo(() => revealed(story, upTo), [story, upTo]);
  // The raw list is only built while it is open: it is long on big steps.
  const [rawOpen, setRawOpen] = useState(false);
  // Event mode: the current line comes into view in the side panel, with
  // the least scrolling (none when it is already visible), below the caption
  // that stays on top of the panel in event mode.
  const ref = useRef<HTMLElement>(null);
  // A layout effect: the line is in view in the very frame that shows it.
  useLayoutEffect(() => {
    if (upTo === null) return;
    const line = ref.current?.querySelector<HTMLElement>('.story-current');
    // Not while the panel is hidden (presenting mode, a closed drawer): there is nothing to scroll.
    if (line && line.offsetParent !== null) scrollIntoPanel(line);
  }, [upTo, shown]);
  return (
    <section ref={ref} data-testid="explanation" aria-label="What the kernel did in this step" className="panel">
      <h2 className="panel-title">What happened</h2>
      <Outcome result={result} />
      <ol className="story">
        {shown.map((l, i) => {
          const href = l.fn ? kernelLink(l.fn) : null;
          const current = upTo !== null && l.event === upTo - 1;
          return (
            <li key={i} className={`story-line depth-${Math.min(l.depth, 6)}${l.tone ? ` tone-${l.tone}` : ''}${current ? ' story-current' : ''}`}>
              {l.fn && (href ? (
                <a href={href} target="_blank" rel="noreferrer" className="fn">
                  {l.fn}
                </a>
              ) : (
                <span className="fn">{l.fn}</span>
              ))}{' '}
              <span>
                <Glossed text={l.text} />
              </span>
            </li>
          );
        })}
      </ol>
      <details className="mt-2" onToggle={(e) => setRawOpen((e.target as HTMLDetailsElement).open)}>
        <summary className="cursor-pointer text-sm">Raw events ({events.length})</summary>
        {rawOpen && (
          <ol className="raw-events" data-testid="raw-events">
            {events.map((e, i) => (
              <li key={i} className={upTo !== null && i >= upTo ? 'opacity-40' : ''}>
                <code>{e.kind}</code> <span className="opacity-70">{JSON.stringify({ ...e, kind: undefined }).slice(0, 160)}</span>
              </li>
            ))}
          </ol>
        )}
      </details>
    </section>
  );
}
