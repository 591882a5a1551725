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

/**
 * A fingerprint of the scenario this tab's document last put on screen. After
 * a reload the screen comes back from the link, which that document wrote: Edit
 * then reopens the document instead of starting a new one from the screen.
 */
export function tabShown(): string | null {
  try {
    return webStorage('sessionStorage')?.getItem(TAB_SHOWN_KEY) ?? null;
  } catch {
    return null;
  }
}

const TAB_EDITOR_KEY = 'shadowpaging:tab-editor-open';
/** Whether this tab had the editor open: a reload opens it again, on the same document. */
export function tabEditorOpen(): boolean {
  try {
    return webStorage('sessionStorage')?.getItem(TAB_EDITOR_KEY) === '1';
  } catch {
    return false;
  }
}
export function setTabEditorOpen(open: boolean): void {
  try {
    const s = webStorage('sessionStorage');
    if (open) s?.setItem(TAB_EDITOR_KEY, '1');
    else s?.removeItem(TAB_EDITOR_KEY);
  } catch {
    // Without it a reload leaves the editor closed; the document is still this tab's.
  }
}

export function setTabShown(fingerprint: string): void {
  try {
    webStorage('sessionStorage')?.setItem(TAB_SHOWN_KEY, fingerprint);
  } catch {
    // Without it a reload's Edit opens the screen as a new document; the draft is still listed.
  }
}

/** The document this tab edits (survives a reload of this tab; each tab has its own). */
export function tabDocId(): string | null {
  try {
    return webStorage('sessionStorage')?.getItem(TAB_DOC_KEY) ?? null;
  } catch {
    return null;
  }
}

export function setTabDocId(docId: string | null): void {
  try {
    const s = webStorage('sessionStorage');
    if (docId === null) s?.removeItem(TAB_DOC_KEY);
    else s?.setItem(TAB_DOC_KEY, docId);
  } catch {
    // No session storage: a reload starts a new document; the draft itself is still kept.
  }
}

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
let screen: ScreenSource | null = null;
export function setScreenSource(s: ScreenSource | null): void {
  screen = s;
}
/** The saved scenario on screen, if the screen (`json`, the store's scenarioJson) still shows it. */
export function screenSource(json: unknown): ScreenSource | null {
  return screen && screen.json === JSON.stringify(json) ? screen : null;
}
