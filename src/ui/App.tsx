/**
 * The visualizer: guest tables | KVM roots | shadow pages, stepped fault by
 * fault (or kernel event by kernel event), with the step's story, registers,
 * statistics, the address ruler and the timeline.
 */
import { memo, useDeferredValue, useEffect, useMemo, useRef, useState } from 'react';
import { RULE_SET_LABEL, RULE_SETS, type RuleSetName, type Timeline } from '../core/index.ts';
import { LIBRARY } from '../scenarios/library/index.ts';
import { AddressRuler } from './components/AddressRuler.tsx';
import { Canvas, highlightsOf } from './components/Canvas.tsx';
import { ComparePanel } from './components/ComparePanel.tsx';
import { EditorPanel } from './components/EditorPanel.tsx';
import { KernelBugBanner, RmapPanel } from './components/RmapPanel.tsx';
import { ExplanationPanel } from './components/ExplanationPanel.tsx';
import { HelpOverlay } from './components/HelpOverlay.tsx';
import { Overview } from './components/Overview.tsx';
import { Counts, Registers, ShadowChart, Stats } from './components/RegistersPanel.tsx';
import { TimelineBar } from './components/TimelineBar.tsx';
import { layoutColumns, layoutOverview } from './layout/geometry.ts';
import { getStepView, layoutOf, overviewOf, prefetchStepViews, prepareStep, shadowPageCounts, stepGva } from './layout/view.ts';
import { useStore } from './store/index.ts';
import { currentUrl, startUrlSync } from './url-sync.ts';

function useKeyboard() {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable)) return;
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
          s.setOverview(!s.overview);
          break;
        case 'Escape':
          s.toggleHelp(false);
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

function CopyLink() {
  const [msg, setMsg] = useState<string | null>(null);
  const copy = async () => {
    const r = currentUrl(useStore.getState());
    if (!r.ok) {
      setMsg(`No link: ${r.error}`);
      return;
    }
    history.replaceState(history.state, '', r.url);
    try {
      await navigator.clipboard.writeText(r.url);
      setMsg('Link copied');
    } catch {
      setMsg('The link is in the address bar (the clipboard was not available)');
    }
    window.setTimeout(() => setMsg(null), 3000);
  };
  return (
    <>
      <button type="button" className="btn" onClick={() => void copy()} data-testid="copy-link">
        Copy link
      </button>
      {msg && (
        <span role="status" className="toast" data-testid="copy-status">
          {msg}
        </span>
      )}
    </>
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

/** The top bar: nothing in it changes with the step, so stepping does not re-render it. */
const TopBar = memo(function TopBar() {
  const embed = useStore((s) => s.embed);
  const theme = useStore((s) => s.theme);
  const rules = useStore((s) => s.rules);
  const zoom = useStore((s) => s.zoom);
  const overview = useStore((s) => s.overview);
  const editorOpen = useStore((s) => s.editorOpen);
  const compareOpen = useStore((s) => s.compareOpen);
  const title = useStore((s) => s.scenario.title);
  const libraryId = useStore((s) => s.libraryId);
  const a = useStore.getState();
  return (
    <header className="topbar">
      <h1 className="brand">shadowpaging</h1>
      <label className="ctl scenario-title">
        <span className="sr-only">Scenario</span>
        <select
          value={libraryId ?? ''}
          onChange={(e) => {
            const entry = LIBRARY.find((x) => x.id === e.target.value);
            if (entry) a.loadScenario(entry.json, entry.id);
          }}
          aria-label="Built-in scenario"
          data-testid="scenario-picker"
          className="max-w-full"
        >
          {libraryId === null && <option value="">{title}</option>}
          {LIBRARY.map((e) => (
            <option key={e.id} value={e.id}>
              {(e.json as { title: string }).title}
            </option>
          ))}
        </select>
      </label>
      {embed ? (
        <a className="btn" href={`${window.location.pathname}${window.location.hash}`} target="_blank" rel="noreferrer">
          Open in shadowpaging
        </a>
      ) : (
      <div className="topbar-ctl">
        <CopyLink />
        <label className="ctl">
          rules
          <select value={rules} onChange={(e) => a.setRules(e.target.value as RuleSetName)} aria-label="Kernel rule set" data-testid="rules">
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
          <span className="counter zoom-level" aria-live="polite" data-testid="zoom-level">
            {overview ? 'all' : `${Math.round(zoom * 100)}%`}
          </span>
          <button type="button" className="btn" onClick={() => a.zoomBy(0.25)} aria-label="Zoom in (+)">
            +
          </button>
          <button type="button" className="btn" onClick={() => a.setOverview(!overview)} aria-pressed={overview} data-testid="overview-toggle" title="The whole scene on one screen (O)">
            Overview
          </button>
        </span>
        <button type="button" className="btn" onClick={() => a.setTheme(theme === 'dark' ? 'light' : 'dark')} aria-label="Toggle light and dark theme">
          {theme === 'dark' ? 'Light' : 'Dark'}
        </button>
        <button type="button" className="btn" onClick={() => a.toggleCompare()} aria-pressed={compareOpen} data-testid="compare-toggle">
          Compare
        </button>
        <button type="button" className="btn" onClick={() => a.toggleEditor()} aria-pressed={editorOpen} data-testid="edit-toggle">
          Edit
        </button>
        <button type="button" className="btn" onClick={() => a.toggleHelp(true)} aria-label="Keyboard help">
          ?
        </button>
      </div>
      )}
    </header>
  );
});

// Panels with no per-step props: App's per-step render skips them (they still follow the store).
const Banner = memo(LinkBanner);
const Editor = memo(EditorPanel);
const Compare = memo(ComparePanel);
const Footer = memo(TimelineBar);
const Help = memo(HelpOverlay);

/**
 * Runs `cb` when the browser is idle (or soon, where there is no
 * requestIdleCallback), with the time left. No timeout: under constant load
 * the preparation waits rather than competing with frames.
 */
function whenIdle(cb: (timeLeft: () => number) => void): () => void {
  if (typeof requestIdleCallback === 'function') {
    const id = requestIdleCallback((d) => cb(() => d.timeRemaining()));
    return () => cancelIdleCallback(id);
  }
  const id = setTimeout(() => {
    const end = performance.now() + 8;
    cb(() => end - performance.now());
  }, 16);
  return () => clearTimeout(id);
}

/** What the side panel shows: a timeline at a step (and event, in event mode). */
interface SideState {
  readonly tl: Timeline;
  readonly step: number;
  readonly upTo: number | null;
}

/** null: the app's first render, which leaves the panel empty and fills it right after (the tables show first). */
const SidePanel = memo(function SidePanel({ side, hidden }: { side: SideState | null; hidden: boolean }) {
  return side === null ? <aside className="side" hidden={hidden} aria-busy="true" /> : <SideContent {...side} hidden={hidden} />;
});

function SideContent({ tl, step, upTo, hidden }: SideState & { hidden: boolean }) {
  const compareOpen = useStore((s) => s.compareOpen);
  const description = useStore((s) => s.scenario.description);
  const view = getStepView(tl, step);
  const counts = useMemo(() => shadowPageCounts(tl), [tl]);
  const a = useStore.getState();
  return (
    <aside className="side" hidden={hidden} data-step={step} data-event={upTo ?? ''}>
      <Editor />
      <KernelBugBanner bugs={view.machine.bugs} />
      {compareOpen && <Compare />}
      <RmapPanel machine={view.machine} guest={view.guest} />
      {description && (
        <details className="panel about" open={step === 0}>
          <summary className="panel-title cursor-pointer">About this scenario</summary>
          <p className="text-sm leading-snug" data-testid="scenario-description">
            {description}
          </p>
        </details>
      )}
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

export function App() {
  useKeyboard();
  usePlayback();
  useEffect(() => startUrlSync(), []);
  const embed = useStore((s) => s.embed);
  const { ref: canvasRef, vp } = useViewport();
  const tl = useStore((s) => s.timeline);
  const step = useStore((s) => s.step);
  const event = useStore((s) => s.event);
  const granularity = useStore((s) => s.granularity);
  const theme = useStore((s) => s.theme);
  const zoom = useStore((s) => s.zoom);
  const view = getStepView(tl, step);
  const upTo = granularity === 'event' ? event : null;
  // In event mode, what events not yet revealed create stays hidden: new
  // pages, and sptes that were not present before the step.
  const { hidden, hiddenSptes } = useMemo(() => {
    const h = new Set<number>();
    const hs = new Set<string>();
    if (upTo === null || step === 0) return { hidden: h, hiddenSptes: hs };
    const before = new Set<string>();
    for (const sp of getStepView(tl, step - 1).machine.shadowPages) for (const e of sp.sptes) before.add(`${sp.id}:${e.index}`);
    view.events.forEach((e, i) => {
      if (i < upTo) return;
      if (e.kind === 'kvm_mmu_get_page' && e.created) h.add(e.sp);
      const key = e.kind === 'kvm_mmu_set_spte' || e.kind === 'mark_mmio_spte' ? `${e.sp}:${e.index}` : e.kind === 'link_shadow_page' ? `${e.parent.sp}:${e.parent.index}` : null;
      if (key && !before.has(key)) hs.add(key);
    });
    return { hidden: h, hiddenSptes: hs };
  }, [tl, step, view, upTo]);
  const overview = useStore((s) => s.overview);
  // The overview fits the canvas area below the column headings.
  // A little short of the area, so rounding never brings up a scroll bar.
  // Sized for the most shadow pages of the scenario, so cards keep their place as pages come and go.
  const capacity = useMemo(() => Math.max(0, ...shadowPageCounts(tl)), [tl]);
  const fit = useMemo(() => ({ width: vp.width - 2, height: vp.height - vp.heads - 2, capacity }), [vp.width, vp.height, vp.heads, capacity]);
  const layout = useMemo(() => {
    const partial = hidden.size > 0 || hiddenSptes.size > 0;
    if (overview) return partial ? layoutOverview(view.machine, view.guest, fit, hidden, hiddenSptes) : overviewOf(view, fit);
    return partial ? layoutColumns(view.machine, view.guest, hidden, hiddenSptes) : layoutOf(view);
  }, [view, hidden, hiddenSptes, overview, fit]);
  const scale = overview ? 1 : zoom;
  const hl = useMemo(() => highlightsOf(view.events, upTo), [view, upTo]);
  // The side panel follows at a lower priority (React renders it after the
  // urgent render of the tables): a held arrow key keeps the picture at the
  // frame rate, and the story catches up in between. Timeline, step and event
  // are deferred as one value, so the panel never pairs a new scenario with an
  // old step. null (the first render) leaves the panel empty until then.
  const sideNow = useMemo(() => ({ tl, step, upTo }), [tl, step, upTo]);
  const side = useDeferredValue<SideState | null>(sideNow, null);
  useEffect(() => {
    document.documentElement.classList.toggle('dark', theme === 'dark');
  }, [theme]);
  // While the page is idle, prepare every step's view and layout, so that
  // even the first pass through a scenario only renders.
  useEffect(() => {
    const from = useStore.getState().step;
    return prefetchStepViews(tl, from, whenIdle);
  }, [tl]);
  // After the paint, prepare the neighbouring steps (for scenarios longer than
  // the views kept, or a jump before the idle preparation got there).
  useEffect(() => {
    const id = window.setTimeout(() => {
      for (const n of [step + 1, step - 1]) if (n >= 0 && n <= tl.length) prepareStep(tl, n);
    }, 0);
    return () => window.clearTimeout(id);
  }, [tl, step]);
  return (
    <div className={`app${embed ? ' app-embed' : ''}`}>
      <TopBar />
      <Banner />
      <div className="ruler-bar" hidden={embed}>
        <AddressRuler gva={stepGva(tl, step)} mode={view.machine.mode} />
      </div>
      <main className="main">
        <section className="canvas-wrap" aria-label="Page tables" ref={canvasRef}>
          <div className="col-heads" aria-hidden="true" style={{ width: layout.width * scale }}>
            <span style={{ left: layout.columns.guest * scale }}>Guest page tables{overview ? ` (${layout.cards.filter((c) => c.kind === 'guest').length})` : ''}</span>
            <span style={{ left: layout.columns.roots * scale }}>KVM roots {view.machine.roots.length === 4 ? '(pae_root[0..3])' : ''}</span>
            <span style={{ left: layout.columns.shadow * scale }}>Shadow page tables{overview ? ` (${layout.cards.filter((c) => c.kind === 'shadow' && c.rootSlot === null).length})` : ''}</span>
          </div>
          {overview ? <Overview layout={layout} hl={hl} /> : <Canvas layout={layout} hl={hl} viewport={vp} />}
        </section>
        <SidePanel side={side} hidden={embed} />
      </main>
      <Footer />
      <Help />
    </div>
  );
}
