/**
 * The visualizer: guest tables | KVM roots | shadow pages, stepped fault by
 * fault (or kernel event by kernel event), with the step's story, registers,
 * statistics, the address ruler and the timeline.
 */
import { Fragment, memo, type ReactNode, useDeferredValue, useEffect, useLayoutEffect, useMemo, useReducer, useRef, useState } from 'react';
import { RULE_SET_LABEL, RULE_SETS, type RuleSetName, type Timeline } from '../core/index.ts';
import { LIBRARY } from '../scenarios/library/index.ts';
import { verificationWords } from '../scenarios/library/verification.ts';
import { VerifiedBadge } from './components/VerifiedBadge.tsx';
import { parseLesson, formatLessonError } from '../scenarios/lesson.ts';
import { LESSONS } from '../scenarios/lessons/index.ts';
import { LessonBar } from './lessons/LessonBar.tsx';
import { HandoutButton } from './handout/Handout.tsx';
import { AboutScenario } from './components/AboutScenario.tsx';
import { AddressRuler } from './components/AddressRuler.tsx';
import { Canvas } from './components/Canvas.tsx';
import { EmbedCode } from './components/EmbedCode.tsx';
import { ExportButtons } from './export/ExportButtons.tsx';
import { setExportScene } from './export/scene.ts';
import { ComparePanel } from './components/ComparePanel.tsx';
import { EditorPanel } from './components/EditorPanel.tsx';
import { KernelBugBanner, RmapPanel } from './components/RmapPanel.tsx';
import { ExplanationPanel } from './components/ExplanationPanel.tsx';
import { HelpOverlay } from './components/HelpOverlay.tsx';
import { openHelp } from './glossary/help-tab.ts';
import { Overview } from './components/Overview.tsx';
import { Counts, Registers, ShadowChart, Stats } from './components/RegistersPanel.tsx';
import { LoadingNote } from './components/LoadingNote.tsx';
import { TimelineBar } from './components/TimelineBar.tsx';
import { Glossed } from './glossary/Term.tsx';
import { QuizPanel } from './quiz/QuizPanel.tsx';
import { NoteText, stepNote } from './notes/index.ts';
import { DENSITIES, type Density, type Layout } from './layout/geometry.ts';
import { getStepView, layoutOf, mostShadowPages, prefetchStepViews, prepareStep, shadowPageCounts, type ShownStep, shownLayout, shownStep, type StepCaption, stepCaption, stepRuler, storyHeight, tallestStory, widestLayout, fitAtOnce } from './step/index.ts';
import { records, type SavedScenario, screenSource, setScreenSource, type TabUnlinked, useListing } from './storage/index.ts';
import { storeActions, useStore } from './store/index.ts';
import { fmt } from './editor-input.ts';
import { whenIdle } from './idle.ts';
import { currentUrl, startUrlSync } from './url-sync.ts';

/**
 * Elements that take typing (or move among their options with the arrows: a
 * radio button, a slider): every key is theirs. A checkbox is not one: after
 * a click on "kernel events" or "Quiz me" the arrows stepped nothing.
 */
const isTextControl = (t: HTMLElement) => (t.tagName === 'INPUT' && (t as HTMLInputElement).type !== 'checkbox') || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable;
/** Elements that act on Space and Enter themselves (buttons, links, checkboxes, table entries, summaries). */
const isControl = (t: HTMLElement | SVGElement) => t.matches('button, a[href], summary, input[type=checkbox], [role=button], [role=listitem][tabindex], [tabindex]:not([tabindex="-1"])');

/**
 * The global keys. Space and Enter on a focused control act on that control
 * (a focused button is pressed, not playback started); keys a text field,
 * a list box or a slider uses are theirs; the canvas handles its own arrows.
 */
function useKeyboard() {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      if (t && t !== document.body && (isTextControl(t) || ((e.key === ' ' || e.key === 'Enter') && isControl(t)))) return;
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      const s = useStore.getState();
      switch (e.key) {
        case 'ArrowRight':
          s.forward();
          break;
        case 'ArrowLeft':
          s.back();
          break;
        case ' ':
          s.togglePlay();
          break;
        case 'Home':
          s.first();
          break;
        case 'End':
          s.last();
          break;
        case 'n':
        case 'N':
          s.nextFault();
          break;
        case 'e':
        case 'E':
          s.setGranularity(s.granularity === 'event' ? 'step' : 'event');
          break;
        case 't':
        case 'T':
          s.setTheme(s.theme === 'dark' ? 'light' : 'dark');
          break;
        case '?':
          s.toggleHelp();
          break;
        case '+':
        case '=':
          s.zoomBy(0.25);
          break;
        case '-':
          s.zoomBy(-0.25);
          break;
        case 'o':
        case 'O':
          if (!s.presenting) s.setOverview(!s.overview);
          break;
        case 'p':
        case 'P':
          s.setPresenting(!s.presenting);
          break;
        case 'd':
        case 'D':
          if (!s.presenting && !s.embed) s.setPanelOpen(!isPanelShown(s, wideNow()));
          break;
        case 'Escape':
          // Closes what is open, the help first; never opens anything.
          if (s.showHelp) s.toggleHelp(false);
          else if (s.presenting) s.setPresenting(false);
          else if (s.compareOpen) s.toggleCompare(false);
          else return;
          break;
        default:
          return;
      }
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}

/** Below this window width the side panel is a drawer, closed until opened (D or the Details button). */
export const DOCK_MIN_WIDTH = 1200;

const wideNow = () => typeof window === 'undefined' || window.innerWidth >= DOCK_MIN_WIDTH;

/** The side panel shows unless the embed or presenting mode hides it; open or closed as the user chose, else docked on wide windows. */
const isPanelShown = (s: { embed: boolean; presenting: boolean; panelOpen: boolean | null }, wide: boolean) => !s.embed && !s.presenting && (s.panelOpen ?? wide);

/** `now()` of the window, again on every resize. */
function useWindowFlag(now: () => boolean): boolean {
  const [flag, setFlag] = useState(now);
  useEffect(() => {
    const on = () => setFlag(now());
    window.addEventListener('resize', on);
    return () => window.removeEventListener('resize', on);
  }, [now]);
  return flag;
}

/** Whether the window is at least DOCK_MIN_WIDTH wide, following resizes. */
const useWide = () => useWindowFlag(wideNow);

/** Tall enough (900 px) for presenting mode's caption in its brief form; shorter projectors get the headline, so the tables keep the room. */
const tallNow = () => typeof window === 'undefined' || window.innerHeight >= 900;

function usePlayback() {
  const playing = useStore((s) => s.playing);
  const speed = useStore((s) => s.speed);
  useEffect(() => {
    if (!playing) return;
    const id = window.setInterval(() => useStore.getState().forward(), 1000 / speed);
    return () => window.clearInterval(id);
  }, [playing, speed]);
}

/**
 * The scroll window of the canvas and the room below its column headings
 * (`heads`, their height), updated at most once per frame: on scroll, and
 * when the area changes size (the window, or a banner above it coming and going).
 */
function useViewport() {
  const ref = useRef<HTMLElement>(null);
  const [vp, setVp] = useState({ top: 0, height: typeof window !== 'undefined' ? window.innerHeight : 1000, width: typeof window !== 'undefined' ? window.innerWidth - 430 : 1170, heads: 26 });
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    let frame = 0;
    const update = () => {
      frame = 0;
      const heads = el.querySelector<HTMLElement>('.col-heads')?.offsetHeight || 26;
      const next = { top: el.scrollTop, height: el.clientHeight || window.innerHeight, width: el.clientWidth || window.innerWidth - 430, heads };
      setVp((old) => (old.top === next.top && old.height === next.height && old.width === next.width && old.heads === next.heads ? old : next));
    };
    const schedule = () => {
      if (!frame) frame = requestAnimationFrame(update);
    };
    update();
    el.addEventListener('scroll', schedule, { passive: true });
    window.addEventListener('resize', schedule);
    const ro = typeof ResizeObserver === 'function' ? new ResizeObserver(schedule) : null;
    ro?.observe(el);
    return () => {
      el.removeEventListener('scroll', schedule);
      window.removeEventListener('resize', schedule);
      ro?.disconnect();
      if (frame) cancelAnimationFrame(frame);
    };
  }, []);
  return { ref, vp };
}

/** How long Copy link's word stays: a success is read at a glance; why there is no link takes longer (or Dismiss). */
const COPY_STATUS_MS = { ok: 3000, error: 12000 } as const;

function CopyLink() {
  const [msg, setMsg] = useState<{ text: string; error: boolean } | null>(null);
  const timer = useRef(0);
  useEffect(() => () => window.clearTimeout(timer.current), []);
  const show = (text: string, error: boolean) => {
    setMsg({ text, error });
    window.clearTimeout(timer.current);
    timer.current = window.setTimeout(() => setMsg(null), error ? COPY_STATUS_MS.error : COPY_STATUS_MS.ok);
  };
  const copy = async () => {
    const r = currentUrl(useStore.getState());
    if (!r.ok) {
      show(`No link: ${r.error}`, true);
      return;
    }
    history.replaceState(history.state, '', r.url);
    try {
      await navigator.clipboard.writeText(r.url);
      show('Link copied', false);
    } catch {
      show('The link is in the address bar (the clipboard was not available)', false);
    }
  };
  // The word floats below the button: in the bar's flow, a long one (why a
  // large scenario has no link) wrapped the bar to another row and shrank the tables.
  return (
    <span className="copy-link">
      <button type="button" className="btn" onClick={() => void copy()} data-testid="copy-link">
        Copy link
      </button>
      {msg && (
        <span role="status" className={msg.error ? 'copy-status copy-status-error' : 'copy-status'} data-testid="copy-status">
          <span>{msg.text}</span>
          {msg.error && (
            <button type="button" className="btn" onClick={() => setMsg(null)}>
              Dismiss
            </button>
          )}
        </span>
      )}
    </span>
  );
}

function LinkBanner() {
  const msg = useStore((s) => s.linkError);
  if (!msg) return null;
  return (
    <div role="alert" className="banner" data-testid="link-error">
      <span>{msg}</span>
      <button type="button" className="btn" onClick={() => useStore.getState().setLinkError(null)}>
        Dismiss
      </button>
    </div>
  );
}

/** The top bar: nothing in it changes with the step, so stepping does not re-render it. `scale` is the tables' scale, shown by the zoom buttons. */
const TopBar = memo(function TopBar({ scale, panelShown }: { scale: number; panelShown: boolean }) {
  const theme = useStore((s) => s.theme);
  const rules = useStore((s) => s.rules);
  // The rules a heavy scenario is being run under (the note says so): the picker shows them already.
  const pendingRules = useStore((s) => s.loading?.rules ?? null);
  const zoom = useStore((s) => s.zoom);
  const overview = useStore((s) => s.overview);
  const editorOpen = useStore((s) => s.editorOpen);
  const compareOpen = useStore((s) => s.compareOpen);
  const a = storeActions();
  return (
    <header className="topbar">
      <h1 className="brand">shadowpaging</h1>
      <ScenarioPicker />
      <div className="topbar-ctl">
        <CopyLink />
        <EmbedCode />
        <ExportButtons />
        <HandoutButton />
        <label className="ctl">
          rules
          <select value={pendingRules ?? rules} onChange={(e) => a.setRules(e.target.value as RuleSetName)} aria-label="Kernel rule set" data-testid="rules">
            {RULE_SETS.map((r) => (
              <option key={r} value={r}>
                {RULE_SET_LABEL[r]}
              </option>
            ))}
          </select>
        </label>
        <span className="ctl" role="group" aria-label="Zoom">
          <button type="button" className="btn" onClick={() => a.zoomBy(-0.25)} disabled={overview} aria-label="Zoom out (-)">
            −
          </button>
          <span className="counter zoom-level" aria-live="polite" data-testid="zoom-level" title={zoom === 1 ? 'fitted to the window' : `${Math.round(zoom * 100)}% of the fit`}>
            {overview ? 'all' : `${Math.round(scale * 100)}%`}
          </span>
          <button type="button" className="btn" onClick={() => a.zoomBy(0.25)} aria-label="Zoom in (+)">
            +
          </button>
          <button type="button" className="btn" onClick={() => a.setOverview(!overview)} aria-pressed={overview} data-testid="overview-toggle" title="The whole scene on one screen (O)">
            Overview
          </button>
        </span>
        <button type="button" className="btn" onClick={() => a.setPresenting(true)} data-testid="present-toggle" title="Large type for a classroom (P; Esc leaves)">
          Present
        </button>
        <button type="button" className="btn" onClick={() => a.setTheme(theme === 'dark' ? 'light' : 'dark')} aria-label="Toggle light and dark theme">
          {theme === 'dark' ? 'Light' : 'Dark'}
        </button>
        <button type="button" className="btn" onClick={() => a.toggleCompare()} aria-pressed={compareOpen} data-testid="compare-toggle" title="The scenario under several rule sets side by side, full width (Esc leaves)">
          Compare
        </button>
        <button type="button" className="btn" onClick={() => a.toggleEditor()} aria-pressed={editorOpen} data-testid="edit-toggle">
          Edit
        </button>
        <button type="button" className="btn" onClick={() => a.setPanelOpen(!panelShown)} aria-pressed={panelShown} aria-controls="side-panel" data-testid="panel-toggle" title="The step's story, registers and statistics (D)">
          Details
        </button>
        <button type="button" className="btn" onClick={() => openHelp('legend')} data-testid="legend-toggle" title="What every colour, border, line and timeline mark means">
          Legend
        </button>
        <button type="button" className="btn" onClick={() => openHelp('keyboard')} aria-label="Help: keyboard, glossary, legend">
          ?
        </button>
      </div>
    </header>
  );
});

/** Built-ins, then the scenarios saved in this browser (live: another tab's save appears at once). */
function ScenarioPicker() {
  const title = useStore((s) => s.scenario.title);
  const libraryId = useStore((s) => s.libraryId);
  const json = useStore((s) => s.scenarioJson);
  const lessonId = useStore((s) => s.lesson?.id);
  const inLesson = useStore((s) => s.lesson !== null);
  const { saved } = useListing();
  const mine = libraryId === null ? screenSource(json) : null;
  // In a lesson the picker names the lesson (the lesson bar names the scenario).
  const value = inLesson ? (lessonId ? `lesson:${lessonId}` : '') : (libraryId ?? (mine ? `my:${mine.savedId}` : ''));
  return (
    <div className="scenario-title flex items-center gap-2">
      <label className="ctl min-w-0 flex-1">
        <span className="sr-only">Scenario</span>
        <select
          value={value}
          onChange={(e) => {
            const v = e.target.value;
            const entry = LIBRARY.find((x) => x.id === v);
            if (entry) return void useStore.getState().loadScenario(entry.json, entry.id);
            const lesson = LESSONS.find((x) => `lesson:${x.id}` === v);
            if (lesson) return void openBuiltinLesson(lesson.id, lesson.json);
            const s = saved.find((x) => `my:${x.id}` === v);
            if (s) openSaved(s);
          }}
          aria-label="Scenario"
          data-testid="scenario-picker"
          className="max-w-full"
        >
          {value === '' && <option value="">{title}</option>}
          <optgroup label="Built-in scenarios">
            {LIBRARY.map((e) => (
              <option key={e.id} value={e.id} title={verificationWords(e.id)?.badge}>
                {(e.json as { title: string }).title}
              </option>
            ))}
          </optgroup>
          <optgroup label="Lessons">
            {LESSONS.map((l) => (
              <option key={l.id} value={`lesson:${l.id}`}>
                {(l.json as { title: string }).title}
              </option>
            ))}
          </optgroup>
          {saved.length > 0 && (
            <optgroup label="My scenarios (this browser)">
              {saved.map((s) => (
                <option key={s.id} value={`my:${s.id}`}>
                  {s.title}
                </option>
              ))}
            </optgroup>
          )}
        </select>
      </label>
      <VerifiedBadge />
    </div>
  );
}

/** A built-in lesson from the picker, at its first entry. */
function openBuiltinLesson(id: string, json: unknown): void {
  const p = parseLesson(json);
  if (!p.ok) return void useStore.getState().setLinkError(`The built-in lesson "${id}" could not be opened: ${formatLessonError(p.error)}.`);
  useStore.getState().openLesson(json, id, p.lesson, 0);
}

/**
 * After a reload, what this tab showed when no link could hold it: a saved
 * entry is opened again from My scenarios; anything else (an imported file
 * too large to keep) cannot be, and the note says what was lost from the
 * screen and how to get it back.
 */
function reopenUnlinked(u: TabUnlinked): void {
  const what = `"${u.title}" (${fmt(u.steps)} steps)`;
  const saved = u.savedId ? records().getSaved(u.savedId) : null;
  if (saved && saved !== 'unreadable') {
    openSaved(saved);
    if (useStore.getState().linkError === null) useStore.getState().setLinkError(`Opened ${what} from My scenarios again: it is too large for a link, so the address bar cannot hold it.`);
    return;
  }
  useStore.getState().setLinkError(`Before the reload this tab showed ${what}: too large for a link, so the reload could not bring it back and shows the default scenario. To go on, import its file again (or open it from My scenarios or Unsaved drafts).`);
}

/** A saved scenario on screen; one that no longer opens says why, and the screen stays as it was. */
function openSaved(s: SavedScenario): void {
  const st = useStore.getState();
  let json: unknown;
  try {
    json = JSON.parse(s.text);
  } catch (e) {
    st.setLinkError(`"${s.title}" (My scenarios) could not be opened: its text is not JSON (${(e as Error).message}). Open it in the editor to fix it.`);
    return;
  }
  if (!st.loadScenario(json, null)) {
    st.setLinkError(`"${s.title}" (My scenarios) could not be opened: ${useStore.getState().loadError}. Open it in the editor to fix it.`);
    return;
  }
  setScreenSource({ savedId: s.id, rev: s.rev, title: s.title }, json);
}

/**
 * A step's caption (stepCaption): what the guest did in bold, then what the
 * CPU found, what KVM did and the outcome (in event mode: the event just
 * revealed), in a polite live region so screen readers announce each step.
 */
function StepCaptionText({ caption, className, testId, prefix, form = 'text' }: { caption: StepCaption; className: string; testId: string; prefix?: ReactNode; form?: 'text' | 'brief' | 'headline' }) {
  const rest = form !== 'text' ? [caption[form].slice(caption.did.length).trim()] : caption.now !== null ? [caption.now] : [caption.found, caption.kvm, caption.outcome].filter(Boolean);
  return (
    <p className={className} aria-live="polite" data-testid={testId}>
      {prefix}
      <span className="caption-did">
        <Glossed text={caption.did} />
      </span>
      {rest.map((t, i) => (
        <Fragment key={i}>
          {' '}
          <span className="caption-part">
            <Glossed text={t} />
          </span>
        </Fragment>
      ))}
    </p>
  );
}

/** Whether any step of a scenario document has a teacher's note (its place under the caption is then kept on every step, so the tables do not move). */
function hasNotes(json: unknown): boolean {
  const steps = json && typeof json === 'object' ? (json as { steps?: unknown }).steps : undefined;
  if (!Array.isArray(steps)) return false;
  for (let i = 1; i <= steps.length; i++) if (stepNote(json, i) !== null) return true;
  return false;
}

/**
 * The teacher's note of the step just applied (issue 18), under the caption
 * over the tables: the place is kept while the scenario has notes, so the
 * tables keep their scale from step to step. In presenting mode it has a fixed
 * height and scrolls; in the embed it shows two lines and a "more" button
 * when the note is longer (the caption above it is never covered).
 */
function CaptionNote({ note, embed }: { note: string | null; embed: boolean }) {
  const [open, setOpen] = useState(false);
  const [long, setLong] = useState(false);
  const box = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    const el = box.current;
    if (!open) setLong(el !== null && el.scrollHeight > el.clientHeight + 1);
  }, [note, open]);
  return (
    <div className={`caption-note${open ? ' caption-note-open' : ''}`} data-testid="caption-note">
      <div ref={box} className="caption-note-body" aria-live="polite">
        {note !== null && <NoteText note={note} className="note" testId="caption-note-text" id="caption-note-text" />}
      </div>
      {embed && note !== null && long && (
        <button type="button" className="btn caption-note-more" aria-expanded={open} aria-controls="caption-note-text" onClick={() => setOpen(!open)}>
          {open ? 'less' : 'more'}
        </button>
      )}
    </div>
  );
}

/**
 * The caption over the tables in presenting mode and in the embed: the step
 * in plain words (its brief form in presenting mode on a window 900 px tall
 * or more, else the headline, so the tables keep the room), announced to
 * screen readers as it changes.
 */
function Caption({ caption, step, total, note, noted }: { caption: StepCaption; step: number; total: number; note: string | null; noted: boolean }) {
  const presenting = useStore((s) => s.presenting);
  const embed = useStore((s) => s.embed);
  const tall = useWindowFlag(tallNow);
  return (
    <>
      <div className="caption-bar">
        <StepCaptionText
          caption={caption}
          form={presenting && tall ? 'brief' : 'headline'}
          className="caption"
          testId="caption"
          prefix={
            <>
              <span className="caption-step">
                {step}/{total}
              </span>{' '}
            </>
          }
        />
        {presenting && (
          <button type="button" className="btn" onClick={() => useStore.getState().setPresenting(false)} data-testid="present-exit">
            Leave (Esc)
          </button>
        )}
        {embed && !presenting && (
          <a className="btn" href={`${window.location.pathname}${window.location.hash}`} target="_blank" rel="noreferrer">
            Open in shadowpaging
          </a>
        )}
      </div>
      {/* Keyed by step: each step's note starts folded in the embed. */}
      {noted && <CaptionNote key={step} note={note} embed={embed && !presenting} />}
    </>
  );
}

// Panels with no per-step props: App's per-step render skips them (they still follow the store).
const Banner = memo(LinkBanner);
const Editor = memo(EditorPanel);
const Compare = memo(ComparePanel);
const Footer = memo(TimelineBar);
const Help = memo(HelpOverlay);

/** What the side panel shows: a timeline at a step (and event, in event mode). */
interface SideState {
  readonly tl: Timeline;
  readonly step: number;
  readonly upTo: number | null;
  /** The teacher's note of `step` (from the scenario document tl was built from). */
  readonly note: string | null;
}

/** null: the app's first render, which leaves the panel empty and fills it right after (the tables show first). */
const SidePanel = memo(function SidePanel({ side, hidden }: { side: SideState | null; hidden: boolean }) {
  return side === null ? <aside id="side-panel" className="side" hidden={hidden} aria-busy="true" /> : <SideContent {...side} hidden={hidden} />;
});

function SideContent({ tl, step, upTo, note, hidden }: SideState & { hidden: boolean }) {
  const view = getStepView(tl, step);
  const counts = useMemo(() => shadowPageCounts(tl), [tl]);
  const a = storeActions();
  return (
    <aside id="side-panel" className="side" hidden={hidden} data-step={step} data-event={upTo ?? ''} aria-label="Details of the step">
      <Editor />
      {/* The questions before the next step (issue 18), where the reader looks first. */}
      {!hidden && <QuizPanel />}
      <KernelBugBanner bugs={view.machine.bugs} />
      <StepCaptionText caption={stepCaption(tl, step, upTo)} className={`side-caption${upTo !== null ? ' side-caption-sticky' : ''}`} testId="side-caption" />
      {/* A live region that is always there (one added with its content is often not announced), so screen readers read each step's note after its caption. */}
      <div aria-live="polite">{note !== null && <NoteText note={note} className="note side-note" testId="side-note" />}</div>
      <RmapPanel machine={view.machine} guest={view.guest} />
      <AboutScenario step={step} />
      <ExplanationPanel events={view.events} result={view.result} upTo={upTo} />
      <section className="panel" aria-label="Registers and statistics">
        <h2 className="panel-title">Registers</h2>
        <Registers m={view.machine} />
        <h2 className="panel-title mt-3">Shadow pages</h2>
        <div className="flex items-start gap-3">
          <Counts m={view.machine} />
          <ShadowChart counts={counts} step={step} onJump={a.jumpTo} />
        </div>
        <h2 className="panel-title mt-3">KVM statistics</h2>
        <Stats m={view.machine} />
      </section>
    </aside>
  );
}

/** Presenting mode scales the tables up to this much of their fit, no further. */
const PRESENT_MAX_SCALE = 2;

/**
 * The density and scale of the tables in `width` CSS pixels: the full cards
 * where they fit at 100%, else the compact ones (presenting mode always uses
 * the compact ones, larger); the scale fits the timeline's widest layout to
 * the width (never above 100% but in presenting mode), times the zoom.
 */
function fitTables(tl: Timeline, shown: ShownStep, width: number, height: number, zoom: number, presenting: boolean): { layout: Layout; scale: number; density: Density } {
  let density: Density = DENSITIES.compact;
  let layout: Layout | null = null;
  fitAtOnce(tl, DENSITIES.compact, presenting);
  if (!presenting) fitAtOnce(tl, DENSITIES.full, false);
  if (!presenting && widestLayout(tl, DENSITIES.full) <= width) {
    const full = shownLayout(shown, DENSITIES.full, null);
    if (widestLayout(tl, DENSITIES.full, full.width) <= width) {
      density = DENSITIES.full;
      layout = full;
    }
  }
  layout ??= shownLayout(shown, density, null);
  const fit = width / widestLayout(tl, density, layout.width);
  if (!presenting) return { layout, density, scale: Math.min(1, fit) * zoom };
  // Presenting: up to twice the size, but no larger than keeps the
  // timeline's tallest step story (what a step changed and read) on screen,
  // and never smaller than the normal fit: one scale for every step.
  const story = tallestStory(tl, density, storyHeight(shown.view, layout));
  const tall = story > 0 ? height / story : PRESENT_MAX_SCALE;
  return { layout, density, scale: Math.min(PRESENT_MAX_SCALE, fit, Math.max(Math.min(1, fit), tall)) * zoom };
}

export function App() {
  useKeyboard();
  usePlayback();
  useEffect(() => startUrlSync(reopenUnlinked), []);
  const embed = useStore((s) => s.embed);
  const presenting = useStore((s) => s.presenting);
  const panelOpen = useStore((s) => s.panelOpen);
  const compareOpen = useStore((s) => s.compareOpen);
  const quizAsk = useStore((s) => s.quizAsk);
  const wide = useWide();
  const { ref: canvasRef, vp } = useViewport();
  const tl = useStore((s) => s.timeline);
  const step = useStore((s) => s.step);
  const event = useStore((s) => s.event);
  const granularity = useStore((s) => s.granularity);
  const theme = useStore((s) => s.theme);
  const zoom = useStore((s) => s.zoom);
  const overview = useStore((s) => s.overview) && !presenting;
  const upTo = granularity === 'event' ? event : null;
  const shown = shownStep(tl, step, upTo);
  const view = shown.view;
  const panelShown = isPanelShown({ embed, presenting, panelOpen }, wide);
  // The overview fits the canvas area below the column headings.
  // A little short of the area, so rounding never brings up a scroll bar.
  // Sized for the most shadow pages of the scenario, so cards keep their place as pages come and go.
  const capacity = useMemo(() => mostShadowPages(tl), [tl]);
  // At least a pixel: an area with no room (the app hidden while a handout
  // prints, a collapsed frame) measures 0, and a negative width gave the
  // tables a negative scale, so an <svg> with a negative width.
  const roomW = Math.max(1, vp.width - 2);
  const roomH = Math.max(1, vp.height - vp.heads - 2);
  const fit = useMemo(() => ({ width: roomW, height: roomH, capacity }), [roomW, roomH, capacity]);
  const tables = fitTables(tl, shown, roomW, roomH, zoom, presenting);
  const layout = overview ? shownLayout(shown, DENSITIES.compact, fit) : tables.layout;
  const scale = overview ? 1 : tables.scale;
  // The side panel follows at a lower priority (React renders it after the
  // urgent render of the tables): a held arrow key keeps the picture at the
  // frame rate, and the story catches up in between. Timeline, step and event
  // are deferred as one value, so the panel never pairs a new scenario with an
  // old step. null (the first render) leaves the panel empty until then.
  // The note rides with them: the store sets the document and its timeline together.
  const scenarioJson = useStore((s) => s.scenarioJson);
  const note = stepNote(scenarioJson, step);
  const noted = useMemo(() => hasNotes(scenarioJson), [scenarioJson]);
  const sideNow = useMemo(() => ({ tl, step, upTo, note }), [tl, step, upTo, note]);
  const side = useDeferredValue<SideState | null>(sideNow, null);
  useEffect(() => {
    document.documentElement.classList.toggle('dark', theme === 'dark');
  }, [theme]);
  // A drawer opened below the tables (a narrow, short window) is brought into view.
  useEffect(() => {
    if (panelOpen) document.getElementById('side-panel')?.scrollIntoView?.({ block: 'nearest' });
  }, [panelOpen]);
  // The page's type is a root font every rem follows: 20 px in presenting
  // mode, and zooming in (+) grows it with the tables, so the ruler, panel
  // and timeline zoom together with them; zooming out shrinks only the
  // tables (more of them on screen), never the controls' text.
  useEffect(() => {
    document.documentElement.style.fontSize = `${(presenting ? 20 : 16) * Math.max(1, overview ? 1 : zoom)}px`;
  }, [presenting, zoom, overview]);
  // While the page is idle, prepare every step's view and layout, so that
  // even the first pass through a scenario only renders.
  const density = tables.density;
  // The fit follows the widest step: when the idle preparation finds a wider
  // one, draw again (soon after a load, before the user steps).
  const [, refit] = useReducer((n: number) => n + 1, 0);
  useEffect(() => {
    const from = useStore.getState().step;
    return prefetchStepViews(
      tl,
      from,
      whenIdle,
      (v) => {
        const before = widestLayout(tl, density);
        const l = layoutOf(v, density);
        // Presenting mode's scale also follows the tallest step story (only there: it costs the idle preparation).
        const storyBefore = tallestStory(tl, density);
        const taller = presenting && tallestStory(tl, density, storyHeight(v, l)) > storyBefore;
        if (widestLayout(tl, density, l.width) > before || taller) refit();
      },
      density,
    );
  }, [tl, density, presenting]);
  // After the paint, prepare the neighbouring steps (for scenarios longer than
  // the views kept, or a jump before the idle preparation got there), one per
  // idle period: a timer, even one set from the next frame, could run before
  // that frame painted, and two steps' views and layouts took ~50 ms at
  // 100,000 steps.
  useEffect(() => {
    const todo = [step + 1, step - 1].filter((n) => n >= 0 && n <= tl.length);
    let cancel = () => {};
    const run = () => {
      const n = todo.shift();
      if (n !== undefined) prepareStep(tl, n, density);
      if (todo.length) cancel = whenIdle(run);
    };
    cancel = whenIdle(run);
    return () => cancel();
  }, [tl, step, density]);
  const compactChrome = embed || presenting;
  const heads = [
    { x: layout.columns.guest, text: `Guest page tables${overview ? ` (${layout.cards.filter((c) => c.kind === 'guest').length})` : ''}` },
    { x: layout.columns.roots, text: `KVM roots ${view.machine.roots.length === 4 ? '(pae_root[0..3])' : ''}` },
    { x: layout.columns.shadow, text: `Shadow page tables${overview ? ` (${layout.cards.filter((c) => c.kind === 'shadow' && c.column === 'shadow' && c.zap !== 'freed').length})` : ''}` },
  ];
  // The export (PNG/SVG) draws what is on screen: it reads the scene from here.
  useEffect(() => setExportScene({ layout, hl: shown.hl, overview, heads }));
  return (
    <div className={`app${embed ? ' app-embed' : ''}${presenting ? ' presenting' : ''}`}>
      {/* Focus moves without touching the address bar's hash (which holds the permalink). */}
      <a
        className="skip-link"
        href="#step-controls"
        onClick={(e) => {
          e.preventDefault();
          document.getElementById('step-controls')?.focus();
        }}
      >
        Skip to step controls
      </a>
      {!compactChrome && <TopBar scale={scale} panelShown={panelShown} />}
      <Banner />
      <LoadingNote />
      <LessonBar compact={compactChrome} />
      {compactChrome && <Caption caption={stepCaption(tl, step, upTo)} step={step} total={tl.length} note={note} noted={noted} />}
      {/* While a question waits, the ruler's "next access" (its quadrants, its pae_root[] slot) would give the answer away: its place is kept, empty. */}
      <div className={`ruler-bar${quizAsk !== null ? ' ruler-quiz' : ''}`} hidden={compactChrome}>
        <AddressRuler ruler={stepRuler(tl, step)} step={step} />
      </div>
      {/* Compare takes the tables' and the side panel's place, full width: its role tables have a column per rule set. */}
      {compareOpen && <Compare />}
      <main className={`main${panelShown ? ' with-panel' : ''}`} hidden={compareOpen}>
        <section className="canvas-wrap" aria-label="Page tables" ref={canvasRef}>
          {/* Headings shrink with the tables, so they never run into each other on a small frame. */}
          <div className="col-heads" aria-hidden="true" style={{ width: layout.width * scale, fontSize: `${Math.min(1, Math.max(0.8, scale))}rem` }}>
            {heads.map((h, i) => {
              // Room up to the next heading: a heading wider than its column (small scale, presenting mode's
              // larger type) gets a smaller font rather than running into its neighbour.
              const next = heads[i + 1];
              const room = next ? (next.x - h.x) * scale - 8 : Infinity;
              return (
                <span key={h.text} style={{ left: h.x * scale, maxWidth: Number.isFinite(room) ? room : undefined, fontSize: Number.isFinite(room) ? `min(0.9em, ${Math.max(room, 0) / (h.text.length * 0.62)}px)` : undefined }}>
                  {h.text}
                </span>
              );
            })}
          </div>
          {compareOpen ? null : overview ? <Overview layout={layout} hl={shown.hl} /> : <Canvas layout={layout} hl={shown.hl} viewport={vp} scale={scale} follow={presenting ? 'story' : embed ? 'changed' : false} />}
        </section>
        {/* Without the side panel (presenting mode, the embed, a closed panel) the questions float over the tables. */}
        {!panelShown && <QuizPanel compact />}
        <SidePanel side={side} hidden={!panelShown} />
      </main>
      <Footer compact={compactChrome} />
      <Help />
    </div>
  );
}
