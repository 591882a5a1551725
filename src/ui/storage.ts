/**
 * "My scenarios" in browser storage. Every call is total: storage may be
 * unavailable, full or hold junk written by anything, and none of that may
 * throw into the app or lose what the user has.
 */
export interface SavedScenario {
  readonly id: string;
  readonly title: string;
  readonly text: string;
  readonly updatedAt: number;
}

const KEY = 'shadowpaging:my-scenarios:v1';
const DRAFT_KEY = 'shadowpaging:editor-draft:v1';
/** Per scenario and in total, so one paste cannot fill the quota. */
export const STORAGE_LIMITS = { maxTextChars: 1_000_000, maxScenarios: 200 } as const;

function store(): Storage | null {
  try {
    return typeof window !== 'undefined' && window.localStorage ? window.localStorage : null;
  } catch {
    return null;
  }
}

function isSaved(x: unknown): x is SavedScenario {
  if (!x || typeof x !== 'object') return false;
  const o = x as Record<string, unknown>;
  return typeof o.id === 'string' && typeof o.title === 'string' && typeof o.text === 'string' && typeof o.updatedAt === 'number';
}

export function listSaved(): SavedScenario[] {
  const s = store();
  if (!s) return [];
  try {
    const raw = s.getItem(KEY);
    if (!raw) return [];
    const parsed: unknown = JSON.parse(raw);
    return Array.isArray(parsed) ? parsed.filter(isSaved).slice(0, STORAGE_LIMITS.maxScenarios) : [];
  } catch {
    return [];
  }
}

function writeAll(list: readonly SavedScenario[]): string | null {
  const s = store();
  if (!s) return 'browser storage is not available here';
  try {
    s.setItem(KEY, JSON.stringify(list));
    return null;
  } catch (e) {
    return `could not save: ${(e as Error).name === 'QuotaExceededError' ? 'browser storage is full' : (e as Error).message}`;
  }
}

/** Save (insert or replace by id). Returns an error message, or null on success. */
export function saveScenario(entry: SavedScenario): string | null {
  if (entry.text.length > STORAGE_LIMITS.maxTextChars) return `the scenario is ${entry.text.length} characters; at most ${STORAGE_LIMITS.maxTextChars} can be saved`;
  const list = listSaved().filter((e) => e.id !== entry.id);
  if (list.length >= STORAGE_LIMITS.maxScenarios) return `at most ${STORAGE_LIMITS.maxScenarios} scenarios can be saved; delete one first`;
  return writeAll([entry, ...list]);
}

export function deleteSaved(id: string): string | null {
  return writeAll(listSaved().filter((e) => e.id !== id));
}

export function loadDraft(): string | null {
  try {
    return store()?.getItem(DRAFT_KEY) ?? null;
  } catch {
    return null;
  }
}

export function saveDraft(text: string): void {
  if (text.length > STORAGE_LIMITS.maxTextChars) return;
  try {
    store()?.setItem(DRAFT_KEY, text);
  } catch {
    // A full storage must not break typing; the draft is a convenience.
  }
}

export function newId(): string {
  return `my-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`;
}
