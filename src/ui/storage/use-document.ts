/**
 * The document this tab's editor works on, kept as a draft record of its own
 * (records.ts): written on every change once it differs from what it was
 * opened from, reopened by a reload of this tab, never shared with another
 * tab (a write that finds the record changed elsewhere continues in a copy).
 * Opening something else (New, Edit on another scenario, Import, a saved
 * entry) opens a new document; the old one stays in "Unsaved drafts" if it
 * holds anything new. A replace inside the document (Reset to what is on
 * screen) keeps the replaced text for Undo.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { type Draft, DRAFT_HISTORY, notifyChanged, records, setTabDocId, setTabDocSaved, tabDocId, tabDocSaved } from './index.ts';

export interface DocumentState {
  readonly doc: Draft;
  /** Why the last write of the draft failed (storage full...), or null: shown until a write succeeds. */
  readonly unsavedReason: string | null;
  /** When the first of the edits not kept was made (the message says since when). */
  readonly unsavedSince: number | null;
  /** A one-off notice about the document (it continued as a copy...). */
  readonly notice: string | null;
}

export interface OpenSpec {
  readonly title: string;
  readonly text: string;
  readonly origin: string;
  readonly savedId?: string | null;
  readonly savedRev?: string | null;
}

/**
 * The draft this tab had before a reload, if it is still there and readable;
 * else, when the document was a saved entry with nothing unsaved (no draft
 * record is written for that), the entry as it is saved now.
 */
function reopen(): Draft | null {
  const id = tabDocId();
  const d = id ? records().getDraft(id) : null;
  if (d && d !== 'unreadable') return d;
  const savedId = tabDocSaved();
  const s = savedId ? records().getSaved(savedId) : null;
  if (!s || s === 'unreadable') return null;
  return records().newDraft({ title: s.title, text: s.text, origin: `the saved scenario "${s.title}"`, savedId: s.id, savedRev: s.rev });
}

/**
 * Drafts that hold nothing new (their text is what they were opened from or
 * last saved as) are removed, except this tab's: nothing is lost, and the list
 * of unsaved drafts stays the list of real work.
 */
function sweepCleanDrafts(keep: string | null): void {
  let changed = false;
  for (const d of records().list().drafts) {
    if (d.docId !== keep && d.text === d.baseText) changed = records().removeDraft(d.docId) === null || changed;
  }
  if (changed) notifyChanged();
}

export function useDocument(initial: () => OpenSpec) {
  // Pure (React may call it twice): the tab's document is claimed when its draft is first written.
  const [state, setState] = useState<DocumentState>(() => ({ doc: reopen() ?? records().newDraft(initial()), unsavedReason: null, unsavedSince: null, notice: null }));
  useEffect(() => sweepCleanDrafts(tabDocId()), []);
  // The revision this tab last wrote or read of its draft ('' = not written yet).
  const revRef = useRef<string>(state.doc.rev);

  // The current state, for the actions below: they write storage, which must not happen inside a setState updater (it may run twice).
  const cur = useRef(state);
  const commit = useCallback((next: DocumentState) => {
    cur.current = next;
    setState(next);
  }, []);

  /** Writes the draft if it holds anything new (or was written before); on a conflict, continues in a copy. */
  const persist = useCallback((doc: Draft): DocumentState => {
    if (doc.text === doc.baseText && revRef.current === '') return { doc, unsavedReason: null, unsavedSince: null, notice: null };
    const r = records().putDraft(doc, revRef.current);
    if (r.ok) {
      revRef.current = r.value.rev;
      setTabDocId(doc.docId);
      // No change notice here: this tab's lists never show its own document, and this runs on every
      // keystroke (other tabs hear of it through the storage event). open() tells the lists.
      return { doc: r.value, unsavedReason: null, unsavedSince: null, notice: null };
    }
    if (r.conflict) {
      // The same document is open in another tab (a duplicated tab shares its session): keep both texts.
      const copy: Draft = { ...records().newDraft({ title: doc.title, text: doc.text, origin: `a copy of "${doc.title}" (it was also being edited in another tab)`, savedId: null }), baseText: '', history: doc.history };
      setTabDocId(copy.docId);
      setTabDocSaved(null);
      revRef.current = '';
      const w = records().putDraft(copy, '');
      if (w.ok) revRef.current = w.value.rev;
      notifyChanged();
      return {
        doc: w.ok ? w.value : copy,
        unsavedReason: w.ok ? null : w.message,
        unsavedSince: w.ok ? null : Date.now(),
        notice: `"${doc.title}" was also being edited in another tab, so your changes continue here as a new draft; the other tab's version is kept as it was.`,
      };
    }
    return { doc, unsavedReason: r.message, unsavedSince: cur.current.unsavedSince ?? Date.now(), notice: null };
  }, []);

  /** The text changed by an edit (typing, the form, a clicked page). */
  const edit = useCallback(
    (text: string, title: string | null) => {
      const s = cur.current;
      if (s.doc.text === text && (title === null || title === s.doc.title)) return;
      const next = persist({ ...s.doc, text, title: title ?? s.doc.title });
      commit({ ...next, notice: next.notice ?? s.notice });
    },
    [persist, commit],
  );

  /** The whole text replaced inside this document: the old text goes on the draft's history, for Undo. */
  const replace = useCallback(
    (text: string, title: string | null, why: string) => {
      const s = cur.current;
      if (s.doc.text === text) return;
      const history = [{ text: s.doc.text, at: Date.now(), why }, ...s.doc.history].slice(0, DRAFT_HISTORY);
      commit(persist({ ...s.doc, text, title: title ?? s.doc.title, history }));
    },
    [persist, commit],
  );

  const undoReplace = useCallback(() => {
    const s = cur.current;
    const [last, ...rest] = s.doc.history;
    if (last) commit(persist({ ...s.doc, text: last.text, history: rest }));
  }, [persist, commit]);

  /** Another document becomes this tab's; the current one stays as it is (in Unsaved drafts if it holds anything new). */
  const open = useCallback(
    (spec: OpenSpec | Draft) => {
      const doc = 'docId' in spec ? spec : records().newDraft(spec);
      revRef.current = doc.rev;
      setTabDocId(doc.docId);
      setTabDocSaved(doc.savedId);
      if (!('docId' in spec)) sweepCleanDrafts(doc.docId);
      // The document left behind joins "Unsaved drafts" (if it holds anything new): the lists read again.
      notifyChanged();
      commit({ doc, unsavedReason: null, unsavedSince: null, notice: null });
    },
    [commit],
  );

  /** After a Save: the document now edits that entry, and holds nothing unsaved. */
  const markSaved = useCallback(
    (savedId: string, savedRev: string) => {
      const s = cur.current;
      setTabDocSaved(savedId);
      commit(persist({ ...s.doc, savedId, savedRev, baseText: s.doc.text }));
    },
    [persist, commit],
  );

  /** After an Undo of a Save: the entry is back at `savedRev` holding `baseText`; this document's text is unsaved again. */
  const rebase = useCallback(
    (savedRev: string, baseText: string) => {
      commit(persist({ ...cur.current.doc, savedRev, baseText }));
    },
    [persist, commit],
  );

  const dismissNotice = useCallback(() => {
    if (cur.current.notice) commit({ ...cur.current, notice: null });
  }, [commit]);

  return { ...state, edit, replace, undoReplace, open, markSaved, rebase, dismissNotice };
}
