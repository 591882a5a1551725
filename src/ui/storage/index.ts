/**
 * The records of records.ts over this browser's localStorage, plus what ties
 * them to a tab: which document this tab edits (sessionStorage, so a reload
 * keeps it and another tab has its own), and change notices (the `storage`
 * event from other tabs, a local notice for this one) so every open list
 * refreshes live.
 */
import { useMemo, useSyncExternalStore } from 'react';
import { type Backend, type Listing, ScenarioRecords } from './records.ts';

export * from './records.ts';

function webStorage(kind: 'localStorage' | 'sessionStorage'): Backend | null {
  try {
    return typeof window !== 'undefined' && window[kind] ? window[kind] : null;
  } catch {
    // Storage blocked by the browser's settings: the app still works, nothing is kept.
    return null;
  }
}

let shared: ScenarioRecords | null = null;
let migration: ReturnType<ScenarioRecords['migrate']> | null = null;
/**
 * The records in this browser, created on first use (after a test has set up
 * its storage); the first use also moves older versions' data into records.
 */
export function records(): ScenarioRecords {
  if (!shared) {
    shared = new ScenarioRecords(webStorage('localStorage'));
    migration = shared.migrate();
  }
  return shared;
}

/** What the move of older data did on this page load (null before the first use). */
export function migrationReport(): ReturnType<ScenarioRecords['migrate']> | null {
  return migration;
}

/** Tests: forget the instance (a fresh storage, or other options); the next use migrates again. */
export function resetRecords(r: ScenarioRecords | null = null): void {
  shared = r;
  migration = r ? r.migrate() : null;
  notifyChanged();
}

let version = 0;
const listeners = new Set<() => void>();

/** This tab wrote something: every list in this tab refreshes (other tabs get the `storage` event). */
export function notifyChanged(): void {
  version++;
  listeners.forEach((l) => l());
}

// One window listener however many subscribers: kept here so unsubscribe removes that same one.
const onStorageShared = (e: StorageEvent) => {
  if (e.key === null || e.key.startsWith('shadowpaging:')) notifyChanged();
};
function subscribe(l: () => void): () => void {
  if (listeners.size === 0 && typeof window !== 'undefined') window.addEventListener('storage', onStorageShared);
  listeners.add(l);
  return () => {
    listeners.delete(l);
    if (listeners.size === 0 && typeof window !== 'undefined') window.removeEventListener('storage', onStorageShared);
  };
}
/** The current listing, read again whenever this or another tab changes the records. */
export function useListing(): Listing {
  const v = useSyncExternalStore(subscribe, () => version);
  // eslint-disable-next-line react-hooks/exhaustive-deps
  return useMemo(() => records().list(), [v]);
}

const TAB_DOC_KEY = 'shadowpaging:tab-doc';
const TAB_SHOWN_KEY = 'shadowpaging:tab-shown';
const TAB_EDITOR_KEY = 'shadowpaging:tab-editor-open';
const TAB_UNLINKED_KEY = 'shadowpaging:tab-unlinked';
const TAB_DOC_SAVED_KEY = 'shadowpaging:tab-doc-saved';

/** A value this tab keeps across a reload (sessionStorage); null when there is none, or no storage. */
function tabItem(key: string): string | null {
  try {
    return webStorage('sessionStorage')?.getItem(key) ?? null;
  } catch {
    return null;
  }
}

/**
 * Keeps (null: forgets) a value for this tab. With no session storage (blocked
 * by the browser), nothing is kept: each caller's comment says what a reload
 * then loses, never anything saved.
 */
function setTabItem(key: string, value: string | null): void {
  try {
    const s = webStorage('sessionStorage');
    if (value === null) s?.removeItem(key);
    else s?.setItem(key, value);
  } catch {
    // See the caller.
  }
}

/**
 * A fingerprint of the scenario this tab's document last put on screen. After
 * a reload the screen comes back from the link, which that document wrote: Edit
 * then reopens the document instead of starting a new one from the screen.
 */
export const tabShown = (): string | null => tabItem(TAB_SHOWN_KEY);
/** Without it a reload's Edit opens the screen as a new document; the draft is still listed. */
export const setTabShown = (fingerprint: string): void => setTabItem(TAB_SHOWN_KEY, fingerprint);

/** Whether this tab had the editor open: a reload opens it again, on the same document. */
export const tabEditorOpen = (): boolean => tabItem(TAB_EDITOR_KEY) === '1';
/** Without it a reload leaves the editor closed; the document is still this tab's. */
export const setTabEditorOpen = (open: boolean): void => setTabItem(TAB_EDITOR_KEY, open ? '1' : null);

/**
 * The scenario this tab shows when no link can hold it (too large for one),
 * so the address bar has none: a reload cannot bring it back from there, and
 * says so (or opens it again from My scenarios: `savedId`).
 */
export interface TabUnlinked {
  readonly title: string;
  readonly steps: number;
  /** The saved entry it was opened from or saved as, if any. */
  readonly savedId: string | null;
}

/** What this tab showed without a link before a reload, if anything (null as well for a record that is not one). */
export function tabUnlinked(): TabUnlinked | null {
  const raw = tabItem(TAB_UNLINKED_KEY);
  if (!raw) return null;
  try {
    const v = JSON.parse(raw) as Partial<TabUnlinked> | null;
    if (!v || typeof v.title !== 'string' || !Number.isSafeInteger(v.steps) || (v.savedId !== null && typeof v.savedId !== 'string')) return null;
    return { title: v.title.slice(0, 200), steps: v.steps!, savedId: v.savedId ?? null };
  } catch {
    return null;
  }
}
/** Without it a reload opens the default scenario with no word on what was shown before. */
export const setTabUnlinked = (u: TabUnlinked | null): void => setTabItem(TAB_UNLINKED_KEY, u === null ? null : JSON.stringify(u));

/**
 * The saved entry this tab's document edits, if any. A document that holds
 * nothing unsaved has no draft record (use-document.ts), so after a Save a
 * reload found none, and the editor lost its tie to the entry: from this,
 * it reopens the entry as the document instead.
 */
export const tabDocSaved = (): string | null => tabItem(TAB_DOC_SAVED_KEY);
/** Without it a reload after a Save opens the screen as a new document; the entry is still listed. */
export const setTabDocSaved = (savedId: string | null): void => setTabItem(TAB_DOC_SAVED_KEY, savedId);

/** The document this tab edits (survives a reload of this tab; each tab has its own). */
export const tabDocId = (): string | null => tabItem(TAB_DOC_KEY);
/** Without it a reload starts a new document; the draft itself is still kept. */
export const setTabDocId = (docId: string | null): void => setTabItem(TAB_DOC_KEY, docId);

/**
 * Which saved scenario the top-bar picker put on screen (its JSON text, to
 * tell whether the screen still shows it): the picker shows it as selected,
 * and Edit opens it as a document that saves over that entry.
 */
export interface ScreenSource {
  readonly savedId: string;
  readonly rev: string;
  readonly title: string;
  readonly json: string;
}
/** The source, with its document as an object and its step count: a cheap test before comparing texts. */
let screen: { readonly source: ScreenSource; readonly doc: unknown; readonly steps: number } | null = null;
const stepCount = (doc: unknown): number => {
  const steps = doc && typeof doc === 'object' ? (doc as { steps?: unknown }).steps : undefined;
  return Array.isArray(steps) ? steps.length : -1;
};
/** The saved entry `entry` (its id, revision and title) shows `doc` on screen now; null: none. */
export function setScreenSource(entry: Omit<ScreenSource, 'json'> | null, doc: unknown = null): void {
  screen = entry ? { source: { ...entry, json: JSON.stringify(doc) }, doc, steps: stepCount(doc) } : null;
}
/**
 * The saved scenario on screen, if the screen (`json`, the store's
 * scenarioJson) still shows it. The document's text is compared only when
 * it has the entry's step count: a 1,000,000-step file on screen was written
 * out whole (~0.5 s) at every render of the picker.
 */
export function screenSource(json: unknown): ScreenSource | null {
  if (!screen) return null;
  if (screen.doc === json) return screen.source;
  return stepCount(json) === screen.steps && screen.source.json === JSON.stringify(json) ? screen.source : null;
}
