/**
 * The app's side of permalinks: open the link in the address bar on start
 * (and when it changes), keep the address bar in step with the view
 * (replaceState, debounced), and build the link "Copy link" copies.
 */
import { decodePermalink, fitViewEvent, linkScenarioFor, parseLocation, permalinkUrl, tryEncodePermalink, type ViewState } from '../scenarios/permalink.ts';
import { decodeLessonLink, isLessonFragment, linkLessonFor, tryEncodeLessonLink } from '../scenarios/lesson-link.ts';
import { isHeavy } from './heavy/build.ts';
import { eventsInStep } from './step/index.ts';
import { screenSource, setTabUnlinked, type TabUnlinked, tabUnlinked } from './storage/index.ts';
import { type Store, useStore } from './store/index.ts';

/** Apply a decoded link to the store; on error keep everything and show why. */
/**
 * A link's view, once its scenario (or lesson entry) is on screen: the step
 * (at most the last), the kernel event, zoom, modes and theme it names, with
 * what had to be adjusted said in the link notice.
 */
function applyLinkView(v: ViewState, linkWarnings: readonly string[]): void {
  const tl = useStore.getState().timeline;
  const step = Math.min(v.step, tl.length);
  const warnings = [...linkWarnings];
  const fitted = fitViewEvent({ ...v, step }, eventsInStep(tl, step), warnings);
  useStore.setState({ step, granularity: fitted.granularity, event: fitted.granularity === 'event' ? fitted.event : null, zoom: fitted.zoom, overview: fitted.overview === true, presenting: fitted.presenting === true, quizMe: fitted.quiz === true, compareOpen: fitted.compare !== undefined, ...(fitted.compare ? { compareRules: fitted.compare } : {}), ...(fitted.theme ? { theme: fitted.theme, themeChosen: true } : {}) });
  useStore.getState().setLinkError(warnings.length ? `Opened the link, with adjustments: ${warnings.join(' ')}` : null);
}

export function openFragment(fragment: string): boolean {
  if (isLessonFragment(fragment)) return openLessonFragment(fragment);
  const r = decodePermalink(fragment);
  const s = useStore.getState();
  if (!r.ok) {
    s.setLinkError(`This link could not be opened: ${r.error} The app shows what it showed before.`);
    return false;
  }
  const id = r.link.scenario.kind === 'builtin' ? r.link.scenario.id : null;
  const v = r.link.view;
  // The view applies once the scenario is on screen: at once for a short one,
  // when the worker is done for a heavy one (heavy/build.ts).
  const apply = () => applyLinkView(v, r.warnings);
  const load = () => useStore.getState().loadScenario(r.scenarioJson, id, { rules: v.rules, parsed: r.scenario, onLoaded: apply });
  if (!isHeavy(r.scenarioJson)) return load();
  // A heavy one goes to the worker from a task of its own: decoding the link
  // (unpacking and validating 1,923 steps) has used this one.
  setTimeout(load, 0);
  return true;
}

/** A lesson link (lesson-link.ts): the lesson, then its entry, then the view, as a scenario link's. */
function openLessonFragment(fragment: string): boolean {
  const r = decodeLessonLink(fragment);
  const s = useStore.getState();
  if (!r.ok) {
    s.setLinkError(`This link could not be opened: ${r.error} The app shows what it showed before.`);
    return false;
  }
  const v = r.link.view;
  const id = r.link.lesson.kind === 'builtin' ? r.link.lesson.id : null;
  const apply = () => applyLinkView(v, r.warnings);
  return s.openLesson(r.lessonJson, id, r.lesson, r.link.entry, { rules: v.rules, onLoaded: apply });
}

const viewOf = (s: Store) => ({ step: s.step, event: s.granularity === 'event' ? s.event : null, granularity: s.granularity, rules: s.rules, zoom: s.zoom, theme: s.themeChosen ? s.theme : null, ...(s.overview ? { overview: true as const } : {}), ...(s.presenting ? { presenting: true as const } : {}), ...(s.quizMe ? { quiz: true as const } : {}), ...(s.compareOpen ? { compare: s.compareRules } : {}) });

export function currentFragment(s: Store): { ok: true; fragment: string } | { ok: false; error: string } {
  if (s.lesson) {
    const l = s.lesson;
    return tryEncodeLessonLink({ lesson: linkLessonFor(l.id, l.json), entry: l.entry, view: viewOf(s) }, l.lesson.entries[l.entry]!.rules);
  }
  return tryEncodePermalink({
    scenario: linkScenarioFor(s.libraryId, s.scenarioJson),
    view: { step: s.step, event: s.granularity === 'event' ? s.event : null, granularity: s.granularity, rules: s.rules, zoom: s.zoom, theme: s.themeChosen ? s.theme : null, ...(s.overview ? { overview: true as const } : {}), ...(s.presenting ? { presenting: true as const } : {}), ...(s.quizMe ? { quiz: true as const } : {}), ...(s.compareOpen ? { compare: s.compareRules } : {}) },
  });
}

export function currentUrl(s: Store): { ok: true; url: string } | { ok: false; error: string } {
  const f = currentFragment(s);
  if (!f.ok) return f;
  return { ok: true, url: permalinkUrl(window.location.href, f.fragment, { embed: s.embed }) };
}

/** What the tab's record of a scenario shown without a link says of `st`'s. */
const unlinkedOf = (st: Store): TabUnlinked => ({ title: st.scenario.title, steps: st.scenario.steps.length, savedId: st.libraryId === null ? (screenSource(st.scenarioJson)?.savedId ?? null) : null });

/**
 * The tab's record of a scenario shown without a link, written again now if
 * there is one: a Save has just made what is on screen a saved entry, which
 * a reload then opens again.
 */
export function refreshUnlinked(): void {
  const st = useStore.getState();
  // The scenario's packing is kept (by identity) from the address bar's last try: no second one.
  if (!currentFragment(st).ok) setTabUnlinked(unlinkedOf(st));
}

/**
 * Start-up: read ?embed and the fragment; then follow hash changes and mirror
 * the view into the URL. With no fragment, `reopen` is given what this tab
 * showed without a link before a reload (a scenario too large for one), if
 * anything.
 */
export function startUrlSync(reopen: (u: TabUnlinked) => void = () => {}): () => void {
  const loc = parseLocation({ hash: window.location.hash, search: window.location.search });
  if (loc.embed) useStore.setState({ embed: true });
  const unlinked = tabUnlinked();
  setTabUnlinked(null);
  if (loc.fragment) openFragment(loc.fragment);
  else if (unlinked) reopen(unlinked);
  let written = window.location.hash.slice(1);
  const onHash = () => {
    const f = parseLocation({ hash: window.location.hash, search: window.location.search }).fragment;
    if (f && f !== written) {
      written = f;
      openFragment(f);
    }
  };
  window.addEventListener('hashchange', onHash);
  let timer = 0;
  // The document the tab's record of an unlinked scenario was written for
  // (null: no record): written when what is on screen changes, not at every step.
  let recorded: unknown = null;
  const mirror = () => {
    timer = 0;
    const st = useStore.getState();
    const f = currentFragment(st);
    if (!f.ok) {
      // No link holds what is on screen (too large for one). The address bar
      // must not keep the last link: a reload, or a copy of the address,
      // opened that other scenario with no word. This tab remembers what it
      // shows instead, so that a reload can say so (or reopen it from My scenarios).
      if (recorded !== st.scenarioJson) setTabUnlinked(unlinkedOf(st));
      recorded = st.scenarioJson;
      if (written !== '') {
        written = '';
        history.replaceState(history.state, '', `${window.location.pathname}${window.location.search}`);
      }
      return;
    }
    if (recorded !== null) setTabUnlinked(null);
    recorded = null;
    if (f.fragment === written) return;
    written = f.fragment;
    history.replaceState(history.state, '', `${window.location.pathname}${window.location.search}#${f.fragment}`);
  };
  const unsub = useStore.subscribe((s, prev) => {
    if (s.lesson === prev.lesson && s.scenarioJson === prev.scenarioJson && s.step === prev.step && s.event === prev.event && s.rules === prev.rules && s.zoom === prev.zoom && s.overview === prev.overview && s.presenting === prev.presenting && s.quizMe === prev.quizMe && s.compareOpen === prev.compareOpen && s.compareRules === prev.compareRules && s.granularity === prev.granularity && s.theme === prev.theme && s.themeChosen === prev.themeChosen) return;
    window.clearTimeout(timer);
    timer = window.setTimeout(mirror, 400);
  });
  // Leaving (a reload, too) within the pause: the address bar and the tab's record are brought up to date first.
  const onLeave = () => {
    if (timer === 0) return;
    window.clearTimeout(timer);
    mirror();
  };
  window.addEventListener('pagehide', onLeave);
  return () => {
    window.removeEventListener('hashchange', onHash);
    window.removeEventListener('pagehide', onLeave);
    window.clearTimeout(timer);
    unsub();
  };
}
