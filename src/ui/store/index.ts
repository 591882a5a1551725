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
import { eventsInStep } from '../step/index.ts';

export type Granularity = 'step' | 'event';
export type Theme = 'light' | 'dark';

/** Something on screen that hover/selection can refer to. */
/** `sp:ID`, `spte:ID:INDEX`, `gt:GFN:LEVEL`, `gte:GFN:INDEX`. */
export type EntityKey = string;

export interface ScenarioSlice {
  /** Id of the built-in scenario on screen, or null for a user's own. */
  libraryId: string | null;
  scenarioJson: unknown;
  scenario: Scenario;
  rules: RuleSetName;
  timeline: Timeline;
  loadError: string | null;
  loadScenario: (json: unknown, libraryId?: string | null) => boolean;
  setRules: (rules: RuleSetName) => void;
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

export type Store = ScenarioSlice & PlaybackSlice & SelectionSlice & SettingsSlice;

const clamp = (n: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, n));
const ZOOM_MIN = 0.5;

function initialScenario(): { json: unknown; scenario: Scenario } {
  const json = LIBRARY.find((e) => e.id === DEFAULT_SCENARIO_ID)!.json;
  const parsed = parseScenario(json);
  if (!parsed.ok) throw new Error(`built-in scenario is invalid: ${formatScenarioError(parsed.error)}`);
  return { json, scenario: parsed.scenario };
}

const prefersDark = (): boolean => typeof window !== 'undefined' && !!window.matchMedia?.('(prefers-color-scheme: dark)').matches;

export const createAppStore = () =>
  create<Store>()((set, get) => {
    const init = initialScenario();
    const eventsOf = (step: number) => eventsInStep(get().timeline, step);
    return {
      // --- scenario
      libraryId: DEFAULT_SCENARIO_ID,
      scenarioJson: init.json,
      scenario: init.scenario,
      rules: 'seed',
      timeline: new Timeline(init.scenario, 'seed'),
      loadError: null,
      loadScenario: (json, libraryId = null) => {
        const parsed = parseScenario(json);
        if (!parsed.ok) {
          // Keep everything the user had: only report the problem.
          set({ loadError: formatScenarioError(parsed.error) });
          return false;
        }
        set({
          libraryId,
          scenarioJson: json,
          scenario: parsed.scenario,
          timeline: new Timeline(parsed.scenario, get().rules),
          step: 0,
          event: null,
          playing: false,
          loadError: null,
          selected: null,
          hovered: null,
        });
        return true;
      },
      setRules: (rules) => {
        if (rules === get().rules) return;
        set({ rules, timeline: new Timeline(get().scenario, rules), event: null });
      },
      // --- playback
      step: 0,
      event: null,
      granularity: 'step',
      playing: false,
      speed: 2,
      jumpTo: (step) => set({ step: clamp(Math.round(step), 0, get().timeline.length), event: null }),
      stepForward: () => {
        const { step, timeline, granularity } = get();
        if (step >= timeline.length) return set({ playing: false });
        set({ step: step + 1, event: granularity === 'event' ? 1 : null });
      },
      stepBack: () => set({ step: Math.max(0, get().step - 1), event: null }),
      first: () => set({ step: 0, event: null }),
      last: () => set({ step: get().timeline.length, event: null, playing: false }),
      nextFault: () => {
        const { step, timeline } = get();
        const next = timeline.results.findIndex((r, i) => i >= step && r.outcome !== 'hit' && r.outcome !== 'done');
        set({ step: next < 0 ? timeline.length : next + 1, event: null });
      },
      eventForward: () => {
        const { step, event, timeline } = get();
        const n = eventsOf(step);
        if (event !== null && event < n) return set({ event: event + 1 });
        if (step >= timeline.length) return set({ playing: false, event: null });
        set({ step: step + 1, event: Math.min(1, eventsOf(step + 1)) });
      },
      eventBack: () => {
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
    };
  });

export const useStore = createAppStore();
