/**
 * "My scenarios" and editor drafts, one record per key.
 *
 * Why per-key records (see docs/storage.md): a Web Storage `setItem` of one
 * key is atomic, so a record is either the old one or the new one, never half;
 * two tabs that save at the same time write two different keys (fresh ids),
 * so neither can lose the other's entry; a listing enumerates the keys, so
 * there is no shared index that a concurrent write could clobber. An
 * overwrite of a record checks its revision first (optimistic concurrency)
 * and keeps the previous version inside the record, so it can be undone.
 *
 * Every operation is total: the backend may be missing, full, or hold junk
 * written by anything. Junk under our keys is never overwritten: it is listed
 * as unreadable, by name, for the user to export or delete.
 *
 * Pure over a `Backend` (the subset of the Web Storage API we use), so tests
 * can run two simulated tabs over one shared map.
 */

export interface Backend {
  readonly length: number;
  key(index: number): string | null;
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export const SAVED_PREFIX = 'shadowpaging:scenario:v2:';
export const DRAFT_PREFIX = 'shadowpaging:draft:v2:';
/** Old data that could not be moved into records: kept, raw, for the user to export or delete. */
export const ASIDE_PREFIX = 'shadowpaging:aside:';
/** Before records: one JSON array of every saved scenario, and one draft shared by all tabs. */
export const LEGACY_LIST_KEY = 'shadowpaging:my-scenarios:v1';
export const LEGACY_DRAFT_KEY = 'shadowpaging:editor-draft:v1';
const LEGACY_DRAFT_DOC = 'doc-from-v1';

/**
 * The one limit: a scenario text of at most a million characters (the
 * editor holds no more). There is no limit on how many are kept; the
 * browser's quota is the bound, and hitting it is reported, never silent.
 */
export const STORAGE_LIMITS = { maxTextChars: 1_000_000 } as const;
/** How many replaced texts a draft keeps for undo. */
export const DRAFT_HISTORY = 5;

export interface Version {
  readonly title: string;
  readonly text: string;
  readonly updatedAt: number;
  readonly rev: string;
}

export interface SavedScenario extends Version {
  readonly id: string;
  readonly createdAt: number;
  /** The version this one replaced (Save over an existing entry): what Undo restores. */
  readonly prev: Version | null;
}

export interface DraftHistoryEntry {
  readonly text: string;
  readonly at: number;
  /** What replaced it, in words ("Reset to what is on screen"). */
  readonly why: string;
}

export interface Draft {
  readonly docId: string;
  readonly title: string;
  readonly text: string;
  /** The text when the document was opened or last saved: a draft that still equals it holds nothing new. */
  readonly baseText: string;
  /** Where the document came from, in words ("the scenario on screen", "file lecture.json"). */
  readonly origin: string;
  /** The saved entry this document edits (Save overwrites it), with the revision it was opened at. */
  readonly savedId: string | null;
  readonly savedRev: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly rev: string;
  readonly history: readonly DraftHistoryEntry[];
}

export interface Unreadable {
  readonly key: string;
  /** For the user: `saved scenario "Lecture 3"`, `draft my-…`, `the old "My scenarios" list`. */
  readonly name: string;
  readonly raw: string;
  readonly why: string;
}

export type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string; readonly conflict?: boolean };

export interface Listing {
  /** Newest first. Every readable saved scenario: no cap. */
  readonly saved: readonly SavedScenario[];
  readonly drafts: readonly Draft[];
  readonly unreadable: readonly Unreadable[];
  /** Characters this app keeps in the backend (keys and values). */
  readonly chars: number;
}

const isObj = (x: unknown): x is Record<string, unknown> => !!x && typeof x === 'object' && !Array.isArray(x);
const isStr = (x: unknown): x is string => typeof x === 'string';
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

function asVersion(o: unknown): Version | null {
  if (!isObj(o) || !isStr(o.title) || !isStr(o.text) || !isNum(o.updatedAt) || !isStr(o.rev)) return null;
  return { title: o.title, text: o.text, updatedAt: o.updatedAt, rev: o.rev };
}

/** A record's object if its text is JSON with that format tag, or why it is not. */
function recordObject(raw: string, format: string, what: string): Record<string, unknown> | string {
  let o: unknown;
  try {
    o = JSON.parse(raw);
  } catch {
    return 'its stored text is cut off or damaged, so it is not JSON';
  }
  return isObj(o) && o.format === format ? o : `it is not in the ${what} format`;
}

/** A saved record as stored, or why it is not one. */
export function readSaved(raw: string, id: string): SavedScenario | string {
  const o = recordObject(raw, 'shadowpaging-saved/v2', 'saved-scenario');
  if (typeof o === 'string') return o;
  const v = asVersion(o);
  if (!v || o.id !== id || !isNum(o.createdAt)) return 'a field is missing or damaged';
  const prev = o.prev === null ? null : asVersion(o.prev);
  if (o.prev !== null && !prev) return 'its previous version is damaged';
  return { ...v, id, createdAt: o.createdAt, prev };
}

export function readDraft(raw: string, docId: string): Draft | string {
  const o = recordObject(raw, 'shadowpaging-draft/v2', 'draft');
  if (typeof o === 'string') return o;
  const ok =
    o.docId === docId &&
    isStr(o.title) &&
    isStr(o.text) &&
    isStr(o.baseText) &&
    isStr(o.origin) &&
    (o.savedId === null || isStr(o.savedId)) &&
    (o.savedRev === null || isStr(o.savedRev)) &&
    isNum(o.createdAt) &&
    isNum(o.updatedAt) &&
    isStr(o.rev) &&
    Array.isArray(o.history) &&
    o.history.every((h) => isObj(h) && isStr(h.text) && isNum(h.at) && isStr(h.why));
  if (!ok) return 'a field is missing or damaged';
  return {
    docId,
    title: o.title as string,
    text: o.text as string,
    baseText: o.baseText as string,
    origin: o.origin as string,
    savedId: o.savedId as string | null,
    savedRev: o.savedRev as string | null,
    createdAt: o.createdAt as number,
    updatedAt: o.updatedAt as number,
    rev: o.rev as string,
    history: (o.history as DraftHistoryEntry[]).map((h) => ({ text: h.text, at: h.at, why: h.why })),
  };
}

const savedJson = (s: SavedScenario) => JSON.stringify({ format: 'shadowpaging-saved/v2', ...s });
const draftJson = (d: Draft) => JSON.stringify({ format: 'shadowpaging-draft/v2', ...d });

/**
 * The title a scenario text shows in its first 4 KiB, read without parsing the
 * whole text (an unreadable record, a draft being typed: valid JSON or not).
 */
export function guessTitle(raw: string): string | null {
  // Up to the schema's longest title (SCENARIO_LIMITS.maxTitleChars), escapes counted as one each.
  const m = /"title"\s*:\s*"((?:[^"\\]|\\.){1,200})"/.exec(raw.slice(0, 4096));
  if (!m) return null;
  try {
    const t = JSON.parse(`"${m[1]}"`) as string;
    return t.trim() ? t : null;
  } catch {
    return null;
  }
}

/** The names the user sees for records and old data. */
export function recordName(key: string, raw: string | null): string {
  const title = raw === null ? null : guessTitle(raw);
  if (key.startsWith(SAVED_PREFIX)) return title ? `saved scenario "${title}"` : `saved scenario ${key.slice(SAVED_PREFIX.length)}`;
  if (key.startsWith(DRAFT_PREFIX)) return title ? `draft "${title}"` : `draft ${key.slice(DRAFT_PREFIX.length)}`;
  if (key.startsWith(`${ASIDE_PREFIX}my-scenarios-v1`)) return 'the old "My scenarios" list (from before this version)';
  if (key.startsWith(`${ASIDE_PREFIX}editor-draft-v1`)) return 'the old editor draft (from before this version)';
  return key;
}

export function quotaMessage(e: unknown): string {
  const name = (e as { name?: unknown })?.name;
  const full = name === 'QuotaExceededError' || name === 'NS_ERROR_DOM_QUOTA_REACHED';
  return full ? 'browser storage is full' : `the browser refused to store it (${(e as Error)?.message ?? String(e)})`;
}

const fmtChars = (n: number) => n.toLocaleString('en-US');
const chars = (n: number) => `${fmtChars(n)} ${n === 1 ? 'character' : 'characters'}`;

export interface RecordsOptions {
  readonly now?: () => number;
  readonly random?: () => number;
}

/**
 * The records over one backend. Nothing is cached between calls: another tab
 * may have written anything since, so every operation reads what is there.
 */
export class ScenarioRecords {
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(
    readonly backend: Backend | null,
    opts: RecordsOptions = {},
  ) {
    this.now = opts.now ?? (() => Date.now());
    this.random = opts.random ?? Math.random;
  }

  /** A fresh id: time plus randomness, so two tabs never pick the same one. */
  newId(prefix: 'my' | 'doc'): string {
    const r = () => Math.floor(this.random() * 36 ** 6).toString(36).padStart(6, '0');
    return `${prefix}-${this.now().toString(36)}-${r()}${r()}`;
  }

  private newRev(): string {
    return this.newId('doc').slice(4);
  }

  private keys(): string[] {
    const b = this.backend;
    if (!b) return [];
    const out: string[] = [];
    try {
      for (let i = 0; i < b.length; i++) {
        const k = b.key(i);
        if (k !== null && k.startsWith('shadowpaging:')) out.push(k);
      }
    } catch {
      return out;
    }
    return out;
  }

  private get(key: string): string | null {
    try {
      return this.backend?.getItem(key) ?? null;
    } catch {
      return null;
    }
  }

  /** Writes one key; an error message (quota, no storage) or null. */
  private put(key: string, value: string): string | null {
    if (!this.backend) return 'browser storage is not available here';
    try {
      this.backend.setItem(key, value);
      return null;
    } catch (e) {
      return quotaMessage(e);
    }
  }

  private drop(key: string): string | null {
    if (!this.backend) return 'browser storage is not available here';
    try {
      this.backend.removeItem(key);
      return null;
    } catch (e) {
      return quotaMessage(e);
    }
  }

  /**
   * Records parsed before, by key: the lists are read again on every change in
   * any tab (a keystroke in another tab's editor), and only the records whose
   * stored text changed are parsed again.
   */
  private readonly seen = new Map<string, { raw: string; value: unknown }>();
  private parsed<T>(key: string, id: string, raw: string, read: (raw: string, id: string) => T | string): T | string {
    const hit = this.seen.get(key);
    if (hit && hit.raw === raw) return hit.value as T | string;
    const value = read(raw, id);
    this.seen.set(key, { raw, value });
    return value;
  }

  list(): Listing {
    const saved: SavedScenario[] = [];
    const drafts: Draft[] = [];
    const unreadable: Unreadable[] = [];
    let chars = 0;
    for (const key of this.keys()) {
      const raw = this.get(key);
      if (raw === null) continue;
      chars += key.length + raw.length;
      if (key.startsWith(SAVED_PREFIX)) {
        const r = this.parsed(key, key.slice(SAVED_PREFIX.length), raw, readSaved);
        if (typeof r === 'string') unreadable.push({ key, name: recordName(key, raw), raw, why: r });
        else saved.push(r);
      } else if (key.startsWith(DRAFT_PREFIX)) {
        const r = this.parsed(key, key.slice(DRAFT_PREFIX.length), raw, readDraft);
        if (typeof r === 'string') unreadable.push({ key, name: recordName(key, raw), raw, why: r });
        else drafts.push(r);
      } else if (key.startsWith(ASIDE_PREFIX)) {
        unreadable.push({ key, name: recordName(key, raw), raw, why: 'kept aside when this version moved the old data' });
      }
    }
    // Forget what is no longer there.
    if (this.seen.size > saved.length + drafts.length + unreadable.length) {
      const live = new Set([...saved.map((x) => SAVED_PREFIX + x.id), ...drafts.map((x) => DRAFT_PREFIX + x.docId), ...unreadable.map((x) => x.key)]);
      for (const k of this.seen.keys()) if (!live.has(k)) this.seen.delete(k);
    }
    saved.sort((a, b) => b.updatedAt - a.updatedAt || (a.id < b.id ? -1 : 1));
    drafts.sort((a, b) => b.updatedAt - a.updatedAt || (a.docId < b.docId ? -1 : 1));
    unreadable.sort((a, b) => (a.key < b.key ? -1 : 1));
    return { saved, drafts, unreadable, chars };
  }

  getSaved(id: string): SavedScenario | 'unreadable' | null {
    const raw = this.get(SAVED_PREFIX + id);
    if (raw === null) return null;
    const r = readSaved(raw, id);
    return typeof r === 'string' ? 'unreadable' : r;
  }

  getDraft(docId: string): Draft | 'unreadable' | null {
    const raw = this.get(DRAFT_PREFIX + docId);
    if (raw === null) return null;
    const r = readDraft(raw, docId);
    return typeof r === 'string' ? 'unreadable' : r;
  }

  /**
   * Saves a new entry (`over` null), or over the entry `over.id` if it is
   * still at revision `over.rev` (else: a conflict, nothing written). An
   * overwrite keeps the replaced version in the record for `undoSave`.
   */
  save(title: string, text: string, over: { readonly id: string; readonly rev: string } | null): Outcome<{ entry: SavedScenario; replaced: Version | null }> {
    if (text.length > STORAGE_LIMITS.maxTextChars)
      return { ok: false, message: `"${title}" was not saved: it is ${chars(text.length)}; a saved scenario holds at most ${fmtChars(STORAGE_LIMITS.maxTextChars)}` };
    const t = this.now();
    let entry: SavedScenario;
    let replaced: Version | null = null;
    if (over) {
      const cur = this.getSaved(over.id);
      if (cur === 'unreadable') return { ok: false, conflict: true, message: `"${title}" was not saved over its old entry: that entry can no longer be read, and it is kept as it is. Use "Save as new"` };
      if (cur === null) return { ok: false, conflict: true, message: `"${title}" was not saved: its entry was deleted (in this or another tab). Use "Save as new" to keep it` };
      if (cur.rev !== over.rev)
        return { ok: false, conflict: true, message: `"${title}" was not saved over "${cur.title}": that entry was changed in another tab after you opened it. Use "Save as new" to keep both` };
      replaced = { title: cur.title, text: cur.text, updatedAt: cur.updatedAt, rev: cur.rev };
      entry = { id: cur.id, title, text, updatedAt: t, rev: this.newRev(), createdAt: cur.createdAt, prev: replaced };
    } else {
      entry = { id: this.newId('my'), title, text, updatedAt: t, rev: this.newRev(), createdAt: t, prev: null };
    }
    const err = this.put(SAVED_PREFIX + entry.id, savedJson(entry));
    if (err) return { ok: false, message: `"${title}" (${chars(text.length)}) was not saved: ${err}` };
    return { ok: true, value: { entry, replaced } };
  }

  /** Puts back the version a Save replaced, if the entry is still the one that Save wrote. */
  undoSave(id: string, rev: string): Outcome<SavedScenario> {
    const cur = this.getSaved(id);
    if (cur === null || cur === 'unreadable') return { ok: false, message: 'nothing to undo: that entry is gone or can no longer be read' };
    if (cur.rev !== rev || !cur.prev) return { ok: false, conflict: true, message: `nothing undone: "${cur.title}" was changed again since (in this or another tab)` };
    const back: SavedScenario = { ...cur.prev, id, createdAt: cur.createdAt, prev: null, rev: this.newRev() };
    const err = this.put(SAVED_PREFIX + id, savedJson(back));
    return err ? { ok: false, message: `could not undo: ${err}` } : { ok: true, value: back };
  }

  remove(id: string): Outcome<SavedScenario | null> {
    const cur = this.getSaved(id);
    if (cur === 'unreadable') return { ok: false, message: 'that entry cannot be read; delete it from the list of unreadable records' };
    const err = this.drop(SAVED_PREFIX + id);
    return err ? { ok: false, message: `could not delete: ${err}` } : { ok: true, value: cur };
  }

  /** Puts a deleted entry back as it was (Undo after Delete). Never over a record that exists again. */
  restore(entry: SavedScenario): Outcome<SavedScenario> {
    if (this.get(SAVED_PREFIX + entry.id) !== null) return { ok: false, message: `"${entry.title}" is already back` };
    const err = this.put(SAVED_PREFIX + entry.id, savedJson(entry));
    return err ? { ok: false, message: `"${entry.title}" could not be put back: ${err}` } : { ok: true, value: entry };
  }

  /** Deletes a record that cannot be read (only at the user's request, after it was reported). */
  removeUnreadable(key: string): string | null {
    if (!key.startsWith(SAVED_PREFIX) && !key.startsWith(DRAFT_PREFIX) && !key.startsWith(ASIDE_PREFIX)) return `${key} is not one of this app's records`;
    return this.drop(key);
  }

  /** Puts back an unreadable record deleted by mistake (Undo), only where nothing was written since. */
  restoreRaw(key: string, raw: string): string | null {
    if (this.get(key) !== null) return 'something was written there since';
    return this.put(key, raw);
  }

  /** A new document's draft record, not yet written (it is written on the first edit). */
  newDraft(init: { title: string; text: string; origin: string; savedId?: string | null; savedRev?: string | null }): Draft {
    const t = this.now();
    return {
      docId: this.newId('doc'),
      title: init.title,
      text: init.text,
      baseText: init.text,
      origin: init.origin,
      savedId: init.savedId ?? null,
      savedRev: init.savedRev ?? null,
      createdAt: t,
      updatedAt: t,
      rev: '',
      history: [],
    };
  }

  /**
   * Writes a draft. `expectedRev` is the revision this tab last wrote or read
   * ('' = none yet): a record written by someone else since (the same
   * document open in a duplicated tab) is never overwritten; the caller gets
   * a conflict and continues in a new document.
   */
  putDraft(d: Draft, expectedRev: string): Outcome<Draft> {
    if (d.text.length > STORAGE_LIMITS.maxTextChars) return { ok: false, message: `the draft is ${chars(d.text.length)}; at most ${fmtChars(STORAGE_LIMITS.maxTextChars)} are kept` };
    const raw = this.get(DRAFT_PREFIX + d.docId);
    if (raw !== null) {
      const cur = readDraft(raw, d.docId);
      if (typeof cur === 'string' || cur.rev !== expectedRev) return { ok: false, conflict: true, message: 'this document was changed in another tab' };
    }
    // A record written once and since deleted (in another tab) is written again: that keeps the text.
    const next: Draft = { ...d, updatedAt: this.now(), rev: this.newRev() };
    const err = this.put(DRAFT_PREFIX + d.docId, draftJson(next));
    return err ? { ok: false, message: err } : { ok: true, value: next };
  }

  /**
   * Keeps old data raw under an aside key. Never over an earlier copy kept
   * aside with other bytes (a later run may find other old data: an old-version
   * tab still open writes the old keys again), so that copy goes next to it;
   * the same bytes already kept (another tab's run) are not kept twice.
   */
  private keepAside(name: string, raw: string): string | null {
    const base = ASIDE_PREFIX + name;
    const there = this.get(base);
    if (there === null) return this.put(base, raw);
    if (there === raw || this.keys().some((k) => k.startsWith(`${base}:`) && this.get(k) === raw)) return null;
    return this.put(`${base}:${this.newRev()}`, raw);
  }

  removeDraft(docId: string): string | null {
    return this.drop(DRAFT_PREFIX + docId);
  }

  /**
   * Moves what older versions stored (one JSON array of saved scenarios, one
   * shared draft) into records. Safe to run any number of times, in any
   * number of tabs at once: records are written first (an id already there is
   * left alone), anything that cannot be moved is kept raw under an aside key,
   * and only then is the old key removed. If storage is full part-way, the
   * old key stays and the move is tried again next time.
   */
  migrate(): { moved: number; keptAside: number; error: string | null } {
    let moved = 0;
    let keptAside = 0;
    const list = this.get(LEGACY_LIST_KEY);
    if (list !== null) {
      let parsed: unknown;
      let whole = false;
      try {
        parsed = JSON.parse(list);
        whole = Array.isArray(parsed);
      } catch {
        // Not JSON: kept aside whole, below.
      }
      const bad: unknown[] = [];
      if (whole) {
        for (const e of parsed as unknown[]) {
          const o = isObj(e) ? e : null;
          if (!o || !isStr(o.id) || !isStr(o.title) || !isStr(o.text) || !isNum(o.updatedAt) || o.id.length === 0 || o.id.length > 200) {
            bad.push(e);
            continue;
          }
          const there = this.get(SAVED_PREFIX + o.id);
          if (there !== null) {
            // Moved already (an earlier run, another tab) if it holds the same; else other data under that id
            // (a second entry with one id, or an old-version tab saving again after the move): kept aside, not dropped.
            const cur = readSaved(there, o.id);
            if (typeof cur === 'string' || cur.title !== o.title || cur.text !== o.text) bad.push(e);
            continue;
          }
          const entry: SavedScenario = { id: o.id, title: o.title, text: o.text, updatedAt: o.updatedAt, createdAt: o.updatedAt, rev: this.newRev(), prev: null };
          const err = this.put(SAVED_PREFIX + o.id, savedJson(entry));
          if (err) return { moved, keptAside, error: `old saved scenarios could not all be moved: ${err}` };
          moved++;
        }
      }
      if (!whole || bad.length > 0) {
        // The whole old value, not only the bad part: nothing is rewritten, so nothing can be lost.
        const err = this.keepAside('my-scenarios-v1', list);
        if (err) return { moved, keptAside, error: `the old "My scenarios" list could not be kept aside: ${err}` };
        keptAside++;
      }
      const err = this.drop(LEGACY_LIST_KEY);
      if (err) return { moved, keptAside, error: err };
    }
    const draft = this.get(LEGACY_DRAFT_KEY);
    if (draft !== null) {
      if (draft.trim() !== '') {
        const title = guessTitle(draft) ?? 'Draft from before this version';
        // One fixed id: two tabs moving it at once write one record, not two.
        const d = { ...this.newDraft({ title, text: draft, origin: 'the editor draft kept by the previous version' }), docId: LEGACY_DRAFT_DOC };
        // baseText empty: the old draft counts as unsaved work until it is saved or deleted.
        const r = draft.length > STORAGE_LIMITS.maxTextChars ? null : this.putDraft({ ...d, baseText: '' }, '');
        const there = r && !r.ok && r.conflict ? this.getDraft(LEGACY_DRAFT_DOC) : null;
        if (there !== null && there !== 'unreadable' && there.text === draft) {
          // Already moved (an earlier run, another tab).
        } else if (!r || !r.ok) {
          // Too long, storage full, or the record there holds other text or cannot be read (an old-version
          // tab typed again after the move): kept aside, since the old key is removed next.
          const err = this.keepAside('editor-draft-v1', draft);
          if (err) return { moved, keptAside, error: `the old editor draft could not be moved: ${err}` };
          keptAside++;
        } else moved++;
      }
      const err = this.drop(LEGACY_DRAFT_KEY);
      if (err) return { moved, keptAside, error: err };
    }
    return { moved, keptAside, error: null };
  }
}
