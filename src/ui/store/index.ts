/**
 * One zustand store from slices (scenario, playback, selection, settings).
 * Actions live outside components; components read through selectors. The
 * kernel state is never re-derived here: it comes from the core's Timeline
 * (time travel), and per-step views are memoized by step index.
 */
import { create } from 'zustand';
import { COMPARED_RULE_SETS, RULE_SETS, type RuleSetName, type Scenario, Timeline } from '../../core/index.ts';
import { formatScenarioError, parseScenario } from '../../scenarios/schema.ts';
import { DEFAULT_SCENARIO_ID, LIBRARY } from '../../scenarios/library/index.ts';
import { type BuildJob, HEAVY_STEPS, isHeavy, startBuild } from '../heavy/build.ts';
import { PROGRESS_MS } from '../heavy/protocol.ts';
import { eventsInStep, firstFitOf } from '../step/index.ts';
import { gradeStep, stepQuestions, type QuizEntry } from '../quiz/questions.ts';
import type { Answer } from '../../core/index.ts';
import type { Lesson } from '../../scenarios/lesson.ts';

export type Granularity = 'step' | 'event';
export type Theme = 'light' | 'dark';

/** Something on screen that hover/selection can refer to. */
/** `sp:ID`, `spte:ID:INDEX`, `gt:GFN:LEVEL`, `gte:GFN:INDEX`. */
export type EntityKey = string;

/** A heavy scenario being built off the main thread (heavy/build.ts); the previous one stays on screen meanwhile. */
export interface Loading {
  /** The scenario's title, for "Opening "<title>": 4,200 of 10,000 steps". */
  readonly title: string;
  readonly done: number;
  readonly total: number;
  /** Opening a scenario, or running the one on screen under other rules. */
  readonly what: 'open' | 'rules';
  readonly rules: RuleSetName;
}

export interface LoadOptions {
  /** The rule set to run it under (default: the one on screen). */
  readonly rules?: RuleSetName;
  /** The document validated already (a decoded link): not parsed again. */
  readonly parsed?: Scenario;
  /** The document's text (the editor's): a heavy one is sent to the worker as text, which is cheaper to hand over than the objects. */
  readonly text?: string;
  /** Runs once the scenario is on screen (at once for a short one, later for a heavy one; never if cancelled). */
  readonly onLoaded?: () => void;
  /** The lesson this scenario is an entry of (absent: the scenario is opened on its own, and the lesson closes). */
  readonly lesson?: OpenLesson;
}

/** A lesson on screen (issue 18, item 3): its document, its built-in id, and the entry shown. */
export interface OpenLesson {
  /** The lesson document as opened (a built-in's own object, or the imported or linked JSON). */
  readonly json: unknown;
  /** The built-in lesson's id, or null for one imported or linked inline. */
  readonly id: string | null;
  readonly lesson: Lesson;
  /** The entry on screen, from 0. */
  readonly entry: number;
}

export interface ScenarioSlice {
  /** Id of the built-in scenario on screen, or null for a user's own. */
  libraryId: string | null;
  scenarioJson: unknown;
  scenario: Scenario;
  rules: RuleSetName;
  timeline: Timeline;
  loadError: string | null;
  /**
   * Puts a scenario on screen: false (and loadError) when the document is not
   * valid. A heavy one (more than HEAVY_STEPS steps) is validated and run off
   * the main thread: true means it is on its way (`loading`), and a newer
   * load or cancelLoading() stops it; an invalid one then sets loadError.
   */
  loadScenario: (json: unknown, libraryId?: string | null, options?: LoadOptions) => boolean;
  setRules: (rules: RuleSetName) => void;
  loading: Loading | null;
  /** Stops the build in progress; what is on screen stays. */
  cancelLoading: () => void;
  /** The lesson whose entry is on screen, or null. */
  lesson: OpenLesson | null;
  /** Opens entry `entry` of a validated lesson, under the entry's rule set unless `rules` says otherwise. */
  openLesson: (json: unknown, id: string | null, lesson: Lesson, entry: number, options?: { readonly rules?: RuleSetName; readonly onLoaded?: () => void }) => boolean;
  /** The lesson's previous (-1) or next (+1) entry. */
  lessonStep: (delta: number) => void;
  closeLesson: () => void;
}

export interface PlaybackSlice {
  /** Steps applied: 0 = the state after the first VM entry, `timeline.length` = the end. */
  step: number;
  /** In event mode: how many events of the current step are revealed (null = all). */
  event: number | null;
  granularity: Granularity;
  playing: boolean;
  /** Steps (or events) per second while playing. */
  speed: number;
  jumpTo: (step: number) => void;
  stepForward: () => void;
  stepBack: () => void;
  first: () => void;
  last: () => void;
  nextFault: () => void;
  eventForward: () => void;
  eventBack: () => void;
  /** One step or one kernel event, whichever granularity is on. */
  forward: () => void;
  back: () => void;
  setGranularity: (g: Granularity) => void;
  togglePlay: () => void;
  setSpeed: (s: number) => void;
}

export interface SelectionSlice {
  hovered: EntityKey | null;
  selected: EntityKey | null;
  hover: (k: EntityKey | null) => void;
  select: (k: EntityKey | null) => void;
}

export interface SettingsSlice {
  theme: Theme;
  /** The user picked the theme (or a link did): only then do links carry it. */
  themeChosen: boolean;
  showHelp: boolean;
  /** `?embed=1`: minimal chrome for slides and course pages. */
  embed: boolean;
  /** A message about a link that could not be opened (or was adjusted). */
  linkError: string | null;
  setLinkError: (m: string | null) => void;
  compareOpen: boolean;
  toggleCompare: (open?: boolean) => void;
  /** The rule sets the Compare view runs side by side (at least two, in RULE_SETS order). */
  compareRules: readonly RuleSetName[];
  toggleCompareRule: (rules: RuleSetName) => void;
  editorOpen: boolean;
  toggleEditor: (open?: boolean) => void;
  /** A gva clicked in the tables while editing: the editor appends a read of it. */
  pendingAccess: string | null;
  addAccess: (gva: string | null) => void;
  /**
   * Canvas zoom, relative to the fit: 1 = the tables fitted to the width they
   * have (100% where that fits, less where it does not); +/- change it.
   */
  zoom: number;
  /** Zooming leaves the overview. */
  setZoom: (z: number) => void;
  /**
   * The zoom buttons and keys: by `delta`; zooming out past the smallest zoom
   * shows the overview, zooming in from the overview leaves it.
   */
  zoomBy: (delta: number) => void;
  /** The whole scene fitted to the screen, one card per table without rows. */
  overview: boolean;
  setOverview: (on: boolean) => void;
  /** Leaves the overview for the detailed tables, with `key` (a card) selected and scrolled into view. */
  openInDetail: (key: EntityKey) => void;
  setTheme: (t: Theme) => void;
  toggleHelp: (show?: boolean) => void;
  /** Presenting mode: large type, the caption on top, the step's cards emphasised, only step controls. */
  presenting: boolean;
  setPresenting: (on: boolean) => void;
  /** The side panel: null = as the window's width decides (docked on wide windows, a closed drawer on narrow ones). */
  panelOpen: boolean | null;
  setPanelOpen: (open: boolean | null) => void;
  /** The table entry or card that has the keyboard focus in the canvas (roving tabindex). */
  focusKey: EntityKey | null;
  setFocusKey: (k: EntityKey | null) => void;
}

/** Questions before steps (issue 18): the score lives here, in the browser only. */
export interface QuizSlice {
  /** "Quiz me": ask generated questions before every step (the teacher's picks are asked either way). */
  quizMe: boolean;
  setQuizMe: (on: boolean) => void;
  /** The step (from 1) whose questions wait for answers: Next is blocked until they are answered. */
  quizAsk: number | null;
  /** Every answer given since the scenario (or its rule set) was opened, in order. */
  quizLog: readonly QuizEntry[];
  /** Grades the answers to quizAsk's questions (by question id) and reveals the step. */
  answerQuiz: (given: ReadonlyMap<string, Answer>) => void;
  resetQuiz: () => void;
}

export type Store = ScenarioSlice & PlaybackSlice & SelectionSlice & SettingsSlice & QuizSlice;

const clamp = (n: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, n));
const ZOOM_MIN = 0.5;

function initialScenario(): { json: unknown; scenario: Scenario } {
  const json = LIBRARY.find((e) => e.id === DEFAULT_SCENARIO_ID)!.json;
  const parsed = parseScenario(json);
  if (!parsed.ok) throw new Error(`built-in scenario is invalid: ${formatScenarioError(parsed.error)}`);
  return { json, scenario: parsed.scenario };
}

const prefersDark = (): boolean => typeof window !== 'undefined' && !!window.matchMedia?.('(prefers-color-scheme: dark)').matches;

export { PROGRESS_MS };

/**
 * Whether a build's progress (`done` of `total` steps, at `now`) is reported,
 * given the report on screen (`shown`, made at `lastAt`): a new total or the
 * last step always; else at least 1% more, and PROGRESS_MS after the last
 * report but for a build's first (`shown.done` 0: `lastAt` may be another build's).
 */
export const sim_reportsProgress = (shown: { readonly done: number; readonly total: number }, done: number, total: number, now: number, lastAt: number): boolean =>
  shown.total !== total || done === total || (done - shown.done >= total / 100 && (shown.done === 0 || now - lastAt >= PROGRESS_MS));

const titleOf = (json: unknown, parsed?: Scenario): string => {
  const t = parsed?.title ?? (json && typeof json === 'object' ? (json as { title?: unknown }).title : undefined);
  const s = typeof t === 'string' ? t.trim() : '';
  return s ? (s.length > 80 ? `${s.slice(0, 79)}…` : s) : 'the scenario';
};

export const createAppStore = () =>
  create<Store>()((set, get) => {
    const init = initialScenario();
    const eventsOf = (step: number) => eventsInStep(get().timeline, step);
    /**
     * Stepping onto step `next`: when it has questions not yet answered, they
     * are asked first (quizAsk) and the step stays hidden; true then.
     */
    const quizGate = (next: number): boolean => {
      const s = get();
      if (s.quizAsk !== null) return true;
      if (s.quizLog.some((e) => e.step === next)) return false;
      if (stepQuestions(s.timeline, s.scenarioJson, s.quizMe, next).questions.length === 0) return false;
      set({ quizAsk: next, playing: false });
      return true;
    };
    /** The heavy build in progress, and what to redo if the rules change meanwhile. */
    let job: { build: BuildJob; redo: ((rules: RuleSetName) => void) | null } | null = null;
    const stopJob = () => {
      job?.build.cancel();
      job = null;
    };
    /** Whether a timeline is the one on screen (a worker's timeline has its snapshots revived while it is: heavy/build.ts). */
    const onScreen = (tl: Timeline) => get().timeline === tl;
    // Progress in steps of at least 1%, and at most ~10 times a second (the
    // last always): each is a render and a frame on this thread, which on a
    // two-core machine slowed the worker building beside it (a 100,000-step
    // build made 100 of them).
    let progressAt = -Infinity;
    const progress = (done: number, total: number) => {
      const l = get().loading;
      const now = performance.now();
      if (l && sim_reportsProgress(l, done, total, now, progressAt)) {
        progressAt = now;
        set({ loading: { ...l, done, total } });
      }
    };
    return {
      // --- scenario
      libraryId: DEFAULT_SCENARIO_ID,
      scenarioJson: init.json,
      scenario: init.scenario,
      rules: 'seed',
      timeline: new Timeline(init.scenario, 'seed'),
      loadError: null,
      loading: null,
      loadScenario: (json, libraryId = null, options = {}) => {
        const rules = options.rules ?? get().loading?.rules ?? get().rules;
        const shown = (scenario: Scenario, timeline: Timeline) => {
          set({ libraryId, scenarioJson: json, scenario, rules, timeline, step: 0, event: null, playing: false, loadError: null, selected: null, hovered: null, loading: null, quizAsk: null, quizLog: [], lesson: options.lesson ?? null });
          options.onLoaded?.();
        };
        if (isHeavy(json)) {
          // Validated and run in the worker; the scenario on screen stays until it is done.
          stopJob();
          const total = (json as { steps: unknown[] }).steps.length;
          set({ loading: { title: titleOf(json, options.parsed), done: 0, total, what: 'open', rules }, loadError: null });
          const fit = firstFitOf(rules);
          const build = startBuild(
            { json, text: options.text, scenario: options.parsed, rules },
            {
              onProgress: progress,
              ...fit,
              onDone: (timeline, scenario) => {
                job = null;
                shown(scenario, timeline);
              },
              onError: (message) => {
                job = null;
                set({ loading: null, loadError: message });
              },
              shown: onScreen,
            },
          );
          job = { build, redo: (r) => get().loadScenario(json, libraryId, { ...options, rules: r }) };
          return true;
        }
        const parsed = options.parsed ? { ok: true as const, scenario: options.parsed } : parseScenario(json);
        if (!parsed.ok) {
          // Keep everything the user had (a build in progress too): only report the problem.
          set({ loadError: formatScenarioError(parsed.error) });
          return false;
        }
        stopJob();
        shown(parsed.scenario, new Timeline(parsed.scenario, rules));
        return true;
      },
      setRules: (rules) => {
        const { loading, scenario } = get();
        // A scenario still opening: open it under these rules instead.
        if (loading?.what === 'open' && job?.redo) return job.redo(rules);
        if (loading?.what === 'rules' && loading.rules === rules) return;
        if (rules === get().rules) {
          // Back to the rules on screen: drop a rebuild under others.
          if (loading) get().cancelLoading();
          return;
        }
        if (scenario.steps.length <= HEAVY_STEPS) {
          stopJob();
          set({ rules, timeline: new Timeline(scenario, rules), event: null, loading: null, quizAsk: null, quizLog: [] });
          return;
        }
        stopJob();
        set({ loading: { title: titleOf(null, scenario), done: 0, total: scenario.steps.length, what: 'rules', rules } });
        const build = startBuild(
          { scenario, rules },
          {
            onProgress: progress,
            ...firstFitOf(rules),
            onDone: (timeline) => {
              job = null;
              set({ rules, timeline, event: null, loading: null, quizAsk: null, quizLog: [] });
            },
            onError: (message) => {
              job = null;
              set({ loading: null, loadError: message });
            },
            shown: onScreen,
          },
        );
        job = { build, redo: null };
      },
      cancelLoading: () => {
        stopJob();
        set({ loading: null });
      },
      lesson: null,
      openLesson: (json, id, lesson, entry, options = {}) => {
        const k = clamp(Math.round(entry), 0, lesson.entries.length - 1);
        const e = lesson.entries[k]!;
        // An annotated built-in is a copy: it is shown as the lesson's, not as the library's scenario.
        const libraryId = e.builtin !== null && LIBRARY.some((x) => x.id === e.builtin && x.json === e.json) ? e.builtin : null;
        return get().loadScenario(e.json, libraryId, { rules: options.rules ?? e.rules, parsed: e.scenario, onLoaded: options.onLoaded, lesson: { json, id, lesson, entry: k } });
      },
      lessonStep: (delta) => {
        const l = get().lesson;
        if (!l) return;
        const k = l.entry + delta;
        if (k < 0 || k >= l.lesson.entries.length) return;
        get().openLesson(l.json, l.id, l.lesson, k);
      },
      closeLesson: () => set({ lesson: null }),
      // --- playback
      step: 0,
      event: null,
      granularity: 'step',
      playing: false,
      speed: 2,
      jumpTo: (step) => set({ step: clamp(Math.round(step), 0, get().timeline.length), event: null, quizAsk: null }),
      stepForward: () => {
        const { step, timeline, granularity } = get();
        if (step >= timeline.length) return set({ playing: false });
        if (quizGate(step + 1)) return;
        set({ step: step + 1, event: granularity === 'event' ? 1 : null });
      },
      stepBack: () => (get().quizAsk !== null ? set({ quizAsk: null }) : set({ step: Math.max(0, get().step - 1), event: null })),
      first: () => set({ step: 0, event: null, quizAsk: null }),
      last: () => set({ step: get().timeline.length, event: null, playing: false, quizAsk: null }),
      nextFault: () => {
        const { step, timeline } = get();
        // The first step from here that is neither a hit nor done (read from the outcome column: no record per step).
        const quiet = (i: number) => {
          const o = timeline.outcome(i);
          return o === 'hit' || o === 'done';
        };
        let next = step;
        while (next < timeline.length && quiet(next)) next++;
        set({ step: Math.min(timeline.length, next + 1), event: null, quizAsk: null });
      },
      eventForward: () => {
        const { step, event, timeline } = get();
        const n = eventsOf(step);
        if (event !== null && event < n) return set({ event: event + 1 });
        if (step >= timeline.length) return set({ playing: false, event: null });
        if (quizGate(step + 1)) return;
        set({ step: step + 1, event: Math.min(1, eventsOf(step + 1)) });
      },
      eventBack: () => {
        if (get().quizAsk !== null) return set({ quizAsk: null });
        const { step, event } = get();
        if (event !== null && event > 1) return set({ event: event - 1 });
        if (event === null && eventsOf(step) > 0 && step > 0) return set({ event: eventsOf(step) - 1 });
        if (step === 0) return set({ event: null });
        set({ step: step - 1, event: eventsOf(step - 1) || null });
      },
      forward: () => (get().granularity === 'event' ? get().eventForward() : get().stepForward()),
      back: () => (get().granularity === 'event' ? get().eventBack() : get().stepBack()),
      setGranularity: (granularity) => set({ granularity, event: granularity === 'event' && get().step > 0 ? eventsOf(get().step) : null }),
      togglePlay: () => {
        const { playing, step, timeline } = get();
        if (!playing && step >= timeline.length) set({ step: 0, event: null });
        set({ playing: !playing });
      },
      setSpeed: (speed) => set({ speed: clamp(speed, 0.25, 20) }),
      // --- selection
      hovered: null,
      selected: null,
      hover: (hovered) => set({ hovered }),
      select: (selected) => set({ selected }),
      // --- settings
      theme: prefersDark() ? 'dark' : 'light',
      themeChosen: false,
      showHelp: false,
      embed: false,
      linkError: null,
      setLinkError: (linkError) => set({ linkError }),
      compareOpen: false,
      toggleCompare: (open) => set({ compareOpen: open ?? !get().compareOpen }),
      compareRules: COMPARED_RULE_SETS,
      toggleCompareRule: (r) => {
        const cur = get().compareRules;
        const next = cur.includes(r) ? cur.filter((x) => x !== r) : RULE_SETS.filter((x) => x === r || cur.includes(x));
        if (next.length >= 2) set({ compareRules: next });
      },
      editorOpen: false,
      toggleEditor: (open) => set({ editorOpen: open ?? !get().editorOpen }),
      pendingAccess: null,
      addAccess: (pendingAccess) => set({ pendingAccess }),
      zoom: 1,
      setZoom: (zoom) => set({ zoom: clamp(Math.round(zoom * 4) / 4, ZOOM_MIN, 2.5), overview: false, hovered: null }),
      zoomBy: (delta) => {
        const { overview, zoom } = get();
        if (overview) {
          if (delta > 0) set({ overview: false, hovered: null });
        } else if (zoom + delta < ZOOM_MIN) set({ overview: true, hovered: null });
        else get().setZoom(zoom + delta);
      },
      overview: false,
      // The cards under the pointer unmount without a mouseleave: drop the hover.
      setOverview: (overview) => set({ overview, hovered: null }),
      openInDetail: (selected) => set({ overview: false, selected, hovered: null }),
      setTheme: (theme) => set({ theme, themeChosen: true }),
      toggleHelp: (show) => set({ showHelp: show ?? !get().showHelp }),
      presenting: false,
      setPresenting: (presenting) => set({ presenting, hovered: null, ...(presenting ? { overview: false } : {}) }),
      panelOpen: null,
      setPanelOpen: (panelOpen) => set({ panelOpen }),
      focusKey: null,
      setFocusKey: (focusKey) => set({ focusKey }),
      // --- quiz
      quizMe: false,
      setQuizMe: (quizMe) => set({ quizMe, quizAsk: null }),
      quizAsk: null,
      quizLog: [],
      answerQuiz: (given) => {
        const { quizAsk, timeline, scenarioJson, quizMe, quizLog, granularity } = get();
        if (quizAsk === null) return;
        const entries = gradeStep(stepQuestions(timeline, scenarioJson, quizMe, quizAsk).questions, given);
        set({ quizLog: [...quizLog, ...entries], quizAsk: null, step: quizAsk, event: granularity === 'event' ? Math.min(1, eventsOf(quizAsk)) : null });
      },
      resetQuiz: () => set({ quizLog: [], quizAsk: null }),
    };
  });

export const useStore = createAppStore();

/** Resolves once no scenario is being built (at once when none is): for tests and scripts. */
export function whenLoaded(store = useStore): Promise<void> {
  return new Promise((resolve) => {
    if (!store.getState().loading) return resolve();
    const unsub = store.subscribe((s) => {
      if (s.loading) return;
      unsub();
      resolve();
    });
  });
}

/** The store's actions: its members that are functions. */
export type StoreActions = { readonly [K in keyof Store as Store[K] extends (...args: never[]) => unknown ? K : never]: Store[K] };

/** The actions, taken from the store's state once (they are made with the store and never replaced). */
let actions: StoreActions | null = null;

/**
 * The store's actions alone, for a component's handlers. Why not the state
 * (`useStore.getState()` in render): a handler's closure keeps the state of
 * the component's last render, and with it that state's timeline, after
 * another has replaced it: memoized bars that did not render again kept up to
 * two timelines of the 1,000,000-step file alive after rule switches (~250 MB
 * each). The actions are made once with the store and never hold the state.
 */
export function storeActions(): StoreActions {
  const s = useStore.getState();
  // Taken again only if a state replaced the actions too (a test that swaps the whole state).
  if (actions === null || actions.jumpTo !== s.jumpTo) {
    const fns: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(s)) if (typeof v === 'function') fns[k] = v;
    actions = fns as StoreActions;
  }
  return actions;
}
