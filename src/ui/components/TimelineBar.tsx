/** All steps as markers by outcome (a shape and a colour each: see the legend), a scrubber, and the playback controls. */
import { memo, useMemo } from 'react';
import { eventsInStep, stepLabel } from '../step/index.ts';
import { useStore } from '../store/index.ts';
import { type MarkKind, OUTCOME_MARKS } from '../glossary/outcome-marks.ts';

/** Small inline icons: the system fonts here lack the media-control glyphs. */
function Icon({ d }: { d: string }) {
  return (
    <svg width="16" height="16" viewBox="0 0 16 16" aria-hidden="true" className="icon">
      <path d={d} fill="currentColor" />
    </svg>
  );
}
const ICONS = {
  first: 'M2 2h2v12H2zM14 2v12L5 8z',
  back: 'M13 2v12L4 8z',
  play: 'M4 2v12l10-6z',
  pause: 'M3 2h4v12H3zM9 2h4v12H9z',
  forward: 'M3 2v12l9-6zM12 2h2v12h-2z',
  last: 'M12 2h2v12h-2zM2 2v12l9-6z',
};

/** One step's marker: its outcome's shape and colour (outcome-marks.ts); memoized, so a step re-renders only the two markers whose state changed. */
const Marker = memo(function Marker({ n, kind, current, label: text }: { n: number; kind: MarkKind; current: boolean; label: string }) {
  const m = OUTCOME_MARKS[kind];
  return (
    <button type="button" role="listitem" className={`marker ${m.cls}${current ? ' marker-current' : ''}`} onClick={() => useStore.getState().jumpTo(n)} title={text} aria-label={text} data-testid={kind === 'init' ? 'step-marker-init' : 'step-marker'} data-outcome={kind}>
      <svg width="100%" height="100%" viewBox="0 0 14 14" aria-hidden="true" className="mk-svg">
        <path d={m.d} className="mk-shape" />
      </svg>
    </button>
  );
});

/** `compact`: step controls and the counter only (presenting mode, the embed). */
export function TimelineBar({ compact = false }: { compact?: boolean }) {
  const tl = useStore((s) => s.timeline);
  const step = useStore((s) => s.step);
  const event = useStore((s) => s.event);
  const playing = useStore((s) => s.playing);
  const speed = useStore((s) => s.speed);
  const granularity = useStore((s) => s.granularity);
  const a = useStore.getState();
  const labels = useMemo(() => tl.results.map((_, i) => stepLabel(tl, i)), [tl]);
  const nEvents = eventsInStep(tl, step);
  return (
    <footer className={`timeline${compact ? ' timeline-compact' : ''}`} aria-label="Timeline">
      <div className="markers" role="list" aria-label="Steps by outcome" hidden={compact}>
        <Marker n={0} kind="init" current={step === 0} label="initial VM entry" />
        {tl.results.map((r, i) => (
          <Marker key={i} n={i + 1} kind={r.outcome} current={step === i + 1} label={labels[i]!} />
        ))}
      </div>
      <div className="controls" id="step-controls" tabIndex={-1} role="group" aria-label="Step controls">
        <button type="button" onClick={a.first} aria-label="First step (Home)" data-testid="step-first">
          <Icon d={ICONS.first} />
        </button>
        <button type="button" onClick={a.back} aria-label="Back (Left arrow)" data-testid="step-back">
          <Icon d={ICONS.back} />
        </button>
        <button type="button" onClick={a.togglePlay} aria-label={playing ? 'Pause (Space)' : 'Play (Space)'} data-testid="play">
          <Icon d={playing ? ICONS.pause : ICONS.play} />
        </button>
        <button type="button" onClick={a.forward} aria-label="Forward (Right arrow)" data-testid="step-forward">
          <Icon d={ICONS.forward} />
        </button>
        <button type="button" onClick={a.last} aria-label="Last step (End)" data-testid="step-last">
          <Icon d={ICONS.last} />
        </button>
        <button type="button" onClick={a.nextFault} aria-label="Next fault (N)" data-testid="next-fault">
          next fault
        </button>
        <label className="scrub" hidden={compact}>
          <span className="sr-only">Step</span>
          <input type="range" min={0} max={tl.length} value={step} onChange={(e) => a.jumpTo(Number(e.target.value))} aria-label="Step scrubber" data-testid="scrubber" />
        </label>
        <span data-testid="step-counter" className="counter" aria-live="polite">
          step {step} / {tl.length}
          {granularity === 'event' && event !== null ? ` · event ${event} / ${nEvents}` : ''}
        </span>
        {!compact && (
        <>
        <label className="ctl">
          <input type="checkbox" checked={granularity === 'event'} onChange={(e) => a.setGranularity(e.target.checked ? 'event' : 'step')} data-testid="granularity" /> kernel events (E)
        </label>
        <label className="ctl">
          speed
          <select value={speed} onChange={(e) => a.setSpeed(Number(e.target.value))} aria-label="Playback speed">
            {[0.5, 1, 2, 4, 8].map((v) => (
              <option key={v} value={v}>
                {v}/s
              </option>
            ))}
          </select>
        </label>
        </>
        )}
      </div>
    </footer>
  );
}
