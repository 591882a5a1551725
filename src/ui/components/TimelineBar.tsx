/**
 * All steps by outcome, a scrubber, and the playback controls. A short
 * scenario (up to MARKER_LIMIT steps) shows one focusable mark per step (a
 * shape and a colour each: see the legend); a longer one shows the whole run
 * as one fixed-height strip (StepStrip), so the footer never grows with the
 * step count (issue 16: 10,000 buttons made it 2,195 px tall).
 */
import { QuizControls } from '../quiz/QuizControls.tsx';
import { memo, type RefObject, useEffect, useMemo, useRef, useState, type KeyboardEvent, type PointerEvent } from 'react';
import { sim_OUTCOMES, type Timeline } from '../../core/index.ts';
import { eventsInStep, stepLabel } from '../step/index.ts';
import { storeActions, useStore } from '../store/index.ts';
import { type MarkKind, OUTCOME_MARKS } from '../glossary/outcome-marks.ts';

/**
 * Most steps drawn as one button each. The longest built-in scenario has 73
 * steps; 120 marks of 21 px take two rows at 1280 px, which is as tall as the
 * footer may get. Beyond that the strip takes over.
 */
export const MARKER_LIMIT = 120;

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

/**
 * How bad an outcome is, for the strip: a pixel column holding several steps
 * shows its worst one, so a lone guest fault among a thousand hits is not lost.
 * The bar's height grows with it too, so the strip reads without colour.
 */
export const STRIP_SEVERITY: readonly MarkKind[] = ['init', 'hit', 'done', 'shadow-fault', 'emulated', 'guest-fault'];
const STRIP_RANK = Object.fromEntries(STRIP_SEVERITY.map((k, i) => [k, i])) as Record<MarkKind, number>;
const BAR_HEIGHT: Record<MarkKind, number> = { init: 0.5, hit: 0.3, done: 0.45, 'shadow-fault': 0.65, emulated: 0.82, 'guest-fault': 1 };
/** As tall as one row of marks (1.125rem), so the footer keeps the height it has for a short scenario. */
const STRIP_H = 18;
const BAR_MAX = STRIP_H - 4;

/**
 * The worst outcome per pixel column for positions 0..n (step 0 is the VM
 * entry), as one path per outcome: the DOM holds at most one path per kind,
 * whatever the step count. `cols` ≤ the strip's width in pixels.
 */
export function stripColumns(positions: number, kindAt: (p: number) => MarkKind, width: number): { cols: number; paths: Partial<Record<MarkKind, string>> } {
  const ranks = new Int8Array(positions);
  for (let p = 0; p < positions; p++) ranks[p] = STRIP_RANK[kindAt(p)];
  return columnsOfRanks(ranks, width);
}

/**
 * stripColumns of a timeline (position 0: the VM entry), from its outcome
 * column: two loops over typed arrays, no call per step. At 100,000 steps a
 * call of `tl.outcome(i)` per position was ~20-50 ms of the first render after
 * the open (the page's code still cold).
 */
export function timelineStripColumns(tl: Timeline, width: number): { cols: number; paths: Partial<Record<MarkKind, string>> } {
  const codes = tl.sim_outcomeCodes();
  const rankOf = Int8Array.from(sim_OUTCOMES, (k) => STRIP_RANK[k]);
  const ranks = new Int8Array(codes.length + 1);
  ranks[0] = STRIP_RANK.init;
  for (let i = 0; i < codes.length; i++) ranks[i + 1] = rankOf[codes[i]!]!;
  return columnsOfRanks(ranks, width);
}

/** The strip's paths from each position's rank (its outcome's index in STRIP_SEVERITY). */
function columnsOfRanks(ranks: Readonly<Int8Array>, width: number): { cols: number; paths: Partial<Record<MarkKind, string>> } {
  const positions = ranks.length;
  const cols = Math.max(1, Math.min(Math.floor(width), positions));
  const worst = new Int8Array(cols).fill(-1);
  for (let p = 0; p < positions; p++) {
    const c = Math.floor((p * cols) / positions);
    if (ranks[p]! > worst[c]!) worst[c] = ranks[p]!;
  }
  const colW = width / cols;
  const parts: Partial<Record<MarkKind, string[]>> = {};
  for (let c = 0; c < cols; c++) {
    const kind = STRIP_SEVERITY[worst[c]!]!;
    const h = Math.max(2, Math.round(BAR_MAX * BAR_HEIGHT[kind]));
    // A gap between columns only when they are wide enough to keep one.
    const w = colW >= 3 ? colW - 1 : colW;
    (parts[kind] ??= []).push(`M${(c * colW).toFixed(2)} ${STRIP_H - 2 - h}h${w.toFixed(2)}v${h}h${(-w).toFixed(2)}Z`);
  }
  const paths: Partial<Record<MarkKind, string>> = {};
  for (const k of STRIP_SEVERITY) if (parts[k]) paths[k] = parts[k].join('');
  return { cols, paths };
}

/** The text for position `p` (0 = the VM entry), built only for the step asked about. */
const positionLabel = (tl: Timeline, p: number) => (p === 0 ? 'step 0: initial VM entry' : stepLabel(tl, p - 1));

/**
 * The element's width in whole pixels (`initial` until measured), kept up to
 * date by a ResizeObserver. A hook of its own, not an effect inside the
 * component: V8 gives the closures made in one call a shared context, so the
 * observer's callback, made in the strip's first render, kept that render's
 * timeline alive for as long as the strip was on screen (after a rule
 * switch of the 1,000,000-step file, ~250 MB).
 */
function useWidth(ref: RefObject<HTMLElement | null>, initial: number): number {
  const [width, setWidth] = useState(initial);
  useEffect(() => {
    const el = ref.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const measure = () => {
      const w = Math.round(el.getBoundingClientRect().width);
      if (w > 0) setWidth(w);
    };
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, [ref]);
  return width;
}

/**
 * The whole timeline as one slider: bars per pixel column (the worst outcome
 * there), the current step as a frame, click or drag to jump, arrows to move.
 * Its node count is fixed: one path per outcome kind, the cursor, the hover line.
 */
function StepStrip({ tl, step }: { tl: Timeline; step: number }) {
  const ref = useRef<HTMLDivElement>(null);
  const width = useWidth(ref, 960);
  const [hover, setHover] = useState<{ p: number; x: number } | null>(null);
  const positions = tl.length + 1;
  const { paths } = useMemo(() => timelineStripColumns(tl, width), [tl, width]);
  const xOf = (p: number) => ((p + 0.5) * width) / positions;
  const posAt = (clientX: number) => {
    const r = ref.current!.getBoundingClientRect();
    const f = r.width > 0 ? (clientX - r.left) / r.width : 0;
    return { p: Math.min(positions - 1, Math.max(0, Math.floor(f * positions))), x: Math.min(r.width, Math.max(0, clientX - r.left)) };
  };
  const jump = (p: number) => useStore.getState().jumpTo(p);
  const onPointerDown = (e: PointerEvent<HTMLDivElement>) => {
    if (e.button !== 0) return;
    e.currentTarget.setPointerCapture?.(e.pointerId);
    jump(posAt(e.clientX).p);
  };
  const onPointerMove = (e: PointerEvent<HTMLDivElement>) => {
    const at = posAt(e.clientX);
    setHover(at);
    if (e.buttons & 1) jump(at.p);
  };
  const page = Math.max(1, Math.round(positions / 20));
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const to: Record<string, number> = { ArrowRight: step + 1, ArrowUp: step + 1, ArrowLeft: step - 1, ArrowDown: step - 1, PageUp: step + page, PageDown: step - page, Home: 0, End: tl.length };
    if (!(e.key in to)) return;
    // The slider's keys are its own: the app's global arrows would move by a kernel event instead.
    e.preventDefault();
    e.stopPropagation();
    jump(to[e.key]!);
  };
  const cx = xOf(step);
  const cursorW = Math.max(6, width / positions);
  return (
    <div className="strip-wrap">
      <div
        ref={ref}
        className="strip"
        role="slider"
        tabIndex={0}
        aria-label="Steps by outcome"
        aria-valuemin={0}
        aria-valuemax={tl.length}
        aria-valuenow={step}
        aria-valuetext={positionLabel(tl, step)}
        aria-orientation="horizontal"
        data-testid="step-strip"
        data-columns={Math.min(width, positions)}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerLeave={() => setHover(null)}
        onKeyDown={onKeyDown}
      >
        <svg width="100%" height={STRIP_H} viewBox={`0 0 ${width} ${STRIP_H}`} preserveAspectRatio="none" aria-hidden="true" className="strip-svg">
          {STRIP_SEVERITY.map((k) => (paths[k] ? <path key={k} d={paths[k]} className={`strip-${OUTCOME_MARKS[k].cls}`} data-outcome={k} /> : null))}
          {hover && <line x1={hover.x} x2={hover.x} y1={0} y2={STRIP_H} className="strip-hover" />}
          <rect x={cx - cursorW / 2} y={0.75} width={cursorW} height={STRIP_H - 1.5} rx={2} className="strip-cursor" data-testid="strip-cursor" />
        </svg>
      </div>
      {hover && (
        <div className={`strip-tip${hover.x < width / 4 ? ' strip-tip-start' : hover.x > (width * 3) / 4 ? ' strip-tip-end' : ''}`} style={{ left: `${hover.x}px` }} data-testid="strip-tip" aria-hidden="true">
          {positionLabel(tl, hover.p)}
        </div>
      )}
    </div>
  );
}

/** `compact`: step controls and the counter only (presenting mode, the embed). */
export function TimelineBar({ compact = false }: { compact?: boolean }) {
  const tl = useStore((s) => s.timeline);
  const step = useStore((s) => s.step);
  const event = useStore((s) => s.event);
  const playing = useStore((s) => s.playing);
  const speed = useStore((s) => s.speed);
  const granularity = useStore((s) => s.granularity);
  const a = storeActions();
  const strip = tl.length > MARKER_LIMIT;
  const labels = useMemo(() => (strip ? [] : Array.from({ length: tl.length }, (_, i) => stepLabel(tl, i))), [tl, strip]);
  const nEvents = eventsInStep(tl, step);
  return (
    <footer className={`timeline${compact ? ' timeline-compact' : ''}`} aria-label="Timeline">
      {strip ? (
        !compact && <StepStrip tl={tl} step={step} />
      ) : (
        <div className="markers" role="list" aria-label="Steps by outcome" hidden={compact}>
          <Marker n={0} kind="init" current={step === 0} label="initial VM entry" />
          {labels.map((label, i) => (
            <Marker key={i} n={i + 1} kind={tl.outcome(i)!} current={step === i + 1} label={label} />
          ))}
        </div>
      )}
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
        <QuizControls compact={compact} />
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
