/**
 * The scenario editor: a document per tab (a draft record of its own, kept as
 * you type), JSON or a form with validation as you type (the error names the
 * field; the last valid scenario stays on screen), New from a template, Edit
 * opening what is on screen, Save / Save as new with Undo, import as a new
 * document, export, and the trace download. What is stored and how is
 * src/ui/storage/ (docs/storage.md).
 */
import { formatLessonError, isLessonDocument, LESSON_LIMITS, parseLesson } from '../../scenarios/lesson.ts';
import { type ClipboardEvent, useDeferredValue, useEffect, useMemo, useRef, useState } from 'react';
import { formatScenarioError } from '../../scenarios/schema.ts';
import { isHeavy, type PreparedCheck, prepareBuild, startBuildWorker } from '../heavy/build.ts';
import { CHECK_SYNC_CHARS, type CheckResult, checkScenarioText, sameDocument, useScenarioCheck } from '../heavy/check.ts';
import { fingerprint, fingerprintLater } from '../heavy/fingerprint.ts';
import { textBlob } from '../heavy/text-blob.ts';
import { checkEditorText, EDITOR_LIMITS, fmt, formatBytes, parsedFileText, READ_NOTE_BYTES, readScenarioFile, viewOnly } from '../editor-input.ts';
import { EDITOR_TEMPLATES } from '../editor-templates.ts';
import { type Draft, guessTitle, notifyChanged, records, type SavedScenario, screenSource, setScreenSource, setTabEditorOpen, setTabShown, tabEditorOpen, tabShown, type Unreadable, useListing } from '../storage/index.ts';
import { type OpenSpec, useDocument } from '../storage/use-document.ts';
import { storeActions, useStore } from '../store/index.ts';
import { writeTrace } from '../heavy/trace-file.ts';
import { saveFile } from '../export/render.ts';
import { sim_slug } from '../export/names.ts';
import { refreshUnlinked } from '../url-sync.ts';
import { afterPaint, whenIdle } from '../idle.ts';
import { MyScenarios, type Notice, NoticeLine } from './MyScenarios.tsx';
import { ScenarioForm } from './ScenarioForm.tsx';

/** The JSON value of a text, or undefined when it is not JSON. */
function tryJson(text: string): unknown {
  try {
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch {
    return undefined;
  }
}

/** Saves JSON text as a file named `name` (a long text's Blob made in a worker: ~1 s on the page at 47 MB). */
const download = (name: string, text: string) => void textBlob(text, 'application/json').then((blob) => saveFile(name, blob));

/** What the editor goes by while a long text is being checked: not valid yet (nothing is loaded, Save waits). */
const CHECKING: CheckResult = { ok: false, error: { path: '', message: 'still being checked' } };

const pretty = (json: unknown) => JSON.stringify(json, null, 2);
const clock = (t: number) => new Date(t).toLocaleTimeString();

/** The scenario on screen as a document to open. */
function fromScreen(): OpenSpec {
  const s = useStore.getState();
  const mine = s.libraryId === null ? screenSource(s.scenarioJson) : null;
  // A saved scenario the picker opened: the document saves over that entry (Save as new keeps it).
  if (mine) return { title: s.scenario.title, text: pretty(s.scenarioJson), origin: `the saved scenario "${mine.title}"`, savedId: mine.savedId, savedRev: mine.rev };
  return { title: s.scenario.title, text: pretty(s.scenarioJson), origin: 'the scenario on screen' };
}

/** Same scenario (ignoring layout of the JSON text)? */
function sameJson(text: string, json: unknown): boolean {
  try {
    return sameDocument(JSON.parse(text), json);
  } catch {
    return false;
  }
}

export function EditorPanel() {
  const open = useStore((s) => s.editorOpen);
  const scenario = useStore((s) => s.scenario);
  const rules = useStore((s) => s.rules);
  const a = storeActions();
  const document_ = useDocument(fromScreen);
  const { doc } = document_;
  const text = doc.text;
  const listing = useListing();
  const [notice, setNotice] = useState<Notice | null>(null);
  // A heavy scenario's trace being written in a worker: the steps run so far, and its cancel.
  const [tracing, setTracing] = useState<{ readonly done: number; readonly total: number; readonly cancel: () => void } | null>(null);
  const [newMenu, setNewMenu] = useState(false);
  // Why the last input was not taken (too big, too many steps, not UTF-8); shown in the status line.
  const [refusal, setRefusal] = useState<string | null>(null);
  const textRef = useRef(text);
  // The scenario this document last put on screen (a fingerprint): Edit keeps the document while that is what is shown.
  const pushedRef = useRef<string | null>(tabShown());
  // Counts pushes: a push waiting for the page to be idle is dropped when another comes first.
  const pushSeq = useRef(0);
  // `fp`: the document's fingerprint when it was taken already (in a worker: heavy/fingerprint.ts).
  const pushed = (json: unknown, fp = fingerprint(json)) => {
    pushSeq.current++;
    pushedRef.current = fp;
    setTabShown(fp);
  };
  const statusRef = useRef<HTMLParagraphElement>(null);
  // An open editor is where files are imported: start the build worker now, so that an import's
  // check (prepareBuild) does not wait for it to load (~0.1 s).
  useEffect(() => {
    if (open) startBuildWorker();
  }, [open]);
  // A refusal may come from a file picked while the status line is scrolled out of the panel: bring it into view.
  useEffect(() => {
    if (refusal) statusRef.current?.scrollIntoView?.({ block: 'nearest' });
  }, [refusal]);
  useEffect(() => {
    textRef.current = text;
  }, [text]);
  /**
   * Every input that edits or replaces the text goes through here: one the
   * editor must not hold is refused with a message and the text stays as it was.
   */
  const admit = (next: string, what: string, replaceWhy?: string): boolean => {
    const err = checkEditorText(next, what);
    setRefusal(err);
    if (err) return false;
    textRef.current = next;
    if (replaceWhy) document_.replace(next, guessTitle(next), replaceWhy);
    else document_.edit(next, guessTitle(next));
    return true;
  };
  const fileRef = useRef<HTMLInputElement>(null);
  const [tab, setTab] = useState<'form' | 'json'>('form');
  // A long text is checked in the worker (heavy/check.ts): meanwhile it counts as not valid yet.
  const checked = useScenarioCheck(text);
  const parsed = checked ?? CHECKING;
  // A long text (a 10,000-step file) is parsed for the form in a render of its
  // own, after the one that puts it in the text box: one task would do both (issue 16).
  const deferredText = useDeferredValue(text);
  const formText = text.length > CHECK_SYNC_CHARS ? deferredText : text;
  const docObj = useMemo(() => {
    // A file just imported was parsed when it was read: not again for the form.
    const read = parsedFileText(formText);
    if (read) return read.json && typeof read.json === 'object' && !Array.isArray(read.json) ? (read.json as Record<string, unknown>) : null;
    try {
      const v: unknown = JSON.parse(formText);
      return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
    } catch {
      return null;
    }
  }, [formText]);
  const formDoc = useRef({ text: formText, doc: docObj });
  useEffect(() => {
    formDoc.current = { text: formText, doc: docObj };
  }, [formText, docObj]);
  // A text from before these checks (a stored draft, a saved entry) may still have too many steps to draw as a form.
  const docSteps = docObj && Array.isArray(docObj.steps) ? docObj.steps.length : 0;
  // A page clicked in the tables becomes a read step (the store is the outside system here).
  const admitRef = useRef(admit);
  useEffect(() => {
    admitRef.current = admit;
  });
  useEffect(
    () =>
      useStore.subscribe((s) => {
        const gva = s.pendingAccess;
        if (!gva) return;
        s.addAccess(null);
        let next: string;
        try {
          const d: unknown = JSON.parse(textRef.current);
          if (!d || typeof d !== 'object' || Array.isArray(d)) return;
          const o = d as Record<string, unknown>;
          const steps = Array.isArray(o.steps) ? o.steps : [];
          next = pretty({ ...o, steps: [...steps, { op: 'read', gva }] });
        } catch {
          return;
        }
        admitRef.current(next, 'With that read step added, the scenario');
      }),
    [],
  );
  // Edit opens what is on screen: this tab's document if that is what it shows, else a new document from the screen.
  // A reload reopens the editor as it was, on this tab's document, and leaves the screen to the link.
  const wasOpen = useRef<boolean | null>(null);
  const restored = useRef(false);
  // A file just imported and valid, with its parse: put on screen without waiting for typing to pause.
  const imported = useRef<{ readonly text: string; readonly json: unknown } | null>(null);
  useEffect(() => {
    if (wasOpen.current === null) {
      wasOpen.current = open;
      if (!open && tabEditorOpen()) {
        restored.current = true;
        a.toggleEditor(true);
      }
      return;
    }
    if (open && !wasOpen.current && !restored.current) {
      const screen = useStore.getState().scenarioJson;
      // The fingerprint first: known by object (no writing out) for a document this editor put on screen.
      const shows = pushedRef.current === fingerprint(screen) || sameJson(textRef.current, screen);
      if (!shows) {
        const before = document_.doc;
        document_.open(fromScreen());
        pushed(screen);
        setNotice(before.text !== before.baseText ? { text: `Opened the scenario on screen as a new document; "${before.title}" is kept under Unsaved drafts.` } : null);
      }
    }
    wasOpen.current = open;
    setTabEditorOpen(open);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [open]);
  // As you type: a valid scenario goes on screen (debounced); an invalid one only shows its error.
  useEffect(() => {
    if (!open || !parsed.ok) return;
    // Reopened by a reload: the screen shows the link until the text is edited.
    if (restored.current) {
      restored.current = false;
      return;
    }
    const opened = imported.current?.text === text ? imported.current : null;
    if (opened) imported.current = null;
    const put = () => {
      // The file's parse, or the form's when it has caught up (no second JSON.parse of a long text).
      const f = formDoc.current;
      const json = opened ? opened.json : f.text === text && f.doc ? f.doc : (JSON.parse(text) as unknown);
      // Opening the editor on what is already shown must not reset the step.
      const st = useStore.getState();
      if (sameDocument(json, st.scenarioJson)) return pushed(json);
      if (!isHeavy(json)) {
        st.loadScenario(json, null, { text });
        return pushed(json);
      }
      // A heavy one is pushed once it is on screen, when the page is next
      // idle, with its fingerprint taken from the text in a worker
      // (heavy/fingerprint.ts): on the page it writes the whole document out
      // (~0.15 s at 100,000 steps, ~0.8 s at 1,000,000), and beside the
      // worker building it, it slowed the build (two cores). A build
      // cancelled or failed never pushes; nor does one whose document is no
      // longer on screen by then, or after which another push came.
      const seq = pushSeq.current;
      const current = () => pushSeq.current === seq && useStore.getState().scenarioJson === json;
      const push = () => {
        if (current()) void fingerprintLater(json, text).then((fp) => current() && pushed(json, fp));
      };
      st.loadScenario(json, null, { text, onLoaded: () => void whenIdle(push) });
    };
    // A file just imported goes on screen at once; typing waits for a pause.
    if (opened) return put();
    const id = window.setTimeout(put, 300);
    return () => window.clearTimeout(id);
    // Not on the store's state (`a`): it is a new object at every store change, and a heavy build's
    // progress re-ran this effect and started the same build again.
  }, [text, parsed.ok, open]);
  if (!open) return null;
  const title = parsed.ok ? parsed.scenario.title : doc.title;
  const dirty = doc.text !== doc.baseText;
  const savedEntry = doc.savedId ? (listing.saved.find((s) => s.id === doc.savedId) ?? null) : null;

  /** "Download trace": the scenario on screen under the rules on screen, the CLI's document with events. */
  const downloadTrace = () => {
    const name = `${sim_slug(scenario.title)}.trace.json`;
    const total = scenario.steps.length;
    const cancel = writeTrace(scenario, rules, {
      progress: (done) => setTracing((t) => (t ? { ...t, done } : t)),
      done: (file) => {
        setTracing(null);
        saveFile(name, file);
        setNotice({ text: `Saved the trace as ${name} (${formatBytes(file.size)}).` });
      },
      failed: (message) => {
        setTracing(null);
        setNotice({ text: `${message}. No file was saved.`, error: true });
      },
    });
    if (!cancel) return;
    const stop = () => {
      cancel();
      setTracing(null);
      setNotice({ text: 'Stopped writing the trace. No file was saved.' });
    };
    setTracing({ done: 0, total, cancel: stop });
    setNotice(null);
  };

  const openDoc = (spec: OpenSpec | Draft, message: string) => {
    const before = doc;
    document_.open(spec);
    textRef.current = spec.text;
    setRefusal(null);
    const kept = before.text !== before.baseText && before.docId !== ('docId' in spec ? spec.docId : '') ? ` Your previous document "${before.title}" is kept under Unsaved drafts.` : '';
    setNotice({ text: message + kept });
  };

  const save = (asNew: boolean) => {
    if (!parsed.ok || !title) return;
    const over = !asNew && doc.savedId && doc.savedRev ? { id: doc.savedId, rev: doc.savedRev } : null;
    const r = records().save(title, text, over);
    if (!r.ok) {
      setNotice({ text: `${r.message}.`, error: true });
      return;
    }
    notifyChanged();
    const { entry, replaced } = r.value;
    document_.markSaved(entry.id, entry.rev);
    // The picker shows the entry as what is on screen (when the text on screen is this one).
    setScreenSource({ savedId: entry.id, rev: entry.rev, title }, JSON.parse(text));
    // Shown without a link (too large for one): a reload now opens this entry again.
    refreshUnlinked();
    if (replaced) {
      setNotice({
        text: `Saved "${title}" over "${replaced.title}" (the version of ${clock(replaced.updatedAt)}).`,
        undo: {
          label: 'Undo',
          run: () => {
            const u = records().undoSave(entry.id, entry.rev);
            notifyChanged();
            if (u.ok) document_.rebase(u.value.rev, u.value.text);
            setNotice(u.ok ? { text: `"${replaced.title}" is back as it was; your text stays in the editor, not saved.` } : { text: `${u.message}.`, error: true });
          },
        },
      });
    } else setNotice({ text: `Saved "${title}" in this browser${asNew && doc.savedId ? ' as a new entry' : ''}.` });
  };

  const deleteSaved = (s: SavedScenario) => {
    const r = records().remove(s.id);
    notifyChanged();
    if (!r.ok) return setNotice({ text: `${r.message}.`, error: true });
    // Undo puts back the version that was deleted (another tab may have saved over the one listed here).
    const gone = r.value;
    if (!gone) return setNotice({ text: `"${s.title}" was already deleted (in another tab).` });
    setNotice({
      text: `Deleted "${gone.title}".`,
      undo: {
        label: 'Undo',
        run: () => {
          const u = records().restore(gone);
          notifyChanged();
          setNotice(u.ok ? { text: `"${gone.title}" is back.` } : { text: `${u.message}.`, error: true });
        },
      },
    });
  };

  const deleteDraft = (d: Draft) => {
    const err = records().removeDraft(d.docId);
    notifyChanged();
    if (err) return setNotice({ text: `Could not delete the draft: ${err}.`, error: true });
    setNotice({
      text: `Deleted the draft "${d.title}".`,
      undo: {
        label: 'Undo',
        run: () => {
          const u = records().putDraft(d, '');
          notifyChanged();
          setNotice(u.ok ? { text: `The draft "${d.title}" is back.` } : { text: `The draft could not be put back: ${u.message}.`, error: true });
        },
      },
    });
  };

  const exportUnreadable = (list: readonly Unreadable[]) =>
    download('shadowpaging-unreadable-records.json', pretty({ note: 'Records this browser kept for shadowpaging that could not be read, exactly as stored.', records: list.map((u) => ({ key: u.key, name: u.name, why: u.why, raw: u.raw })) }));

  const deleteUnreadable = (list: readonly Unreadable[]) => {
    const errs = list.map((u) => records().removeUnreadable(u.key)).filter(Boolean);
    notifyChanged();
    setNotice({
      text: errs.length ? `Could not delete every record: ${errs[0]}.` : `Deleted ${list.length === 1 ? list[0]!.name : `${list.length} unreadable records`}.`,
      error: errs.length > 0,
      undo: {
        label: 'Undo',
        run: () => {
          const failed = list.filter((u) => records().restoreRaw(u.key, u.raw) !== null);
          notifyChanged();
          setNotice(
            failed.length === 0
              ? { text: 'The unreadable records are back, as they were.' }
              : { text: `${failed.map((u) => u.name).join(', ')} could not be put back (storage refused it, or something was written there since); Export them first next time.`, error: true },
          );
        },
      },
    });
  };

  // Size first (File.size: nothing read), then the bytes (fatal UTF-8), then the text's length and steps.
  const importFile = async (f: File) => {
    // A long file: said before the page reads it (~1.3 s at 1,000,000 steps, with nothing new on screen until then).
    const long = f.size > READ_NOTE_BYTES && f.size <= EDITOR_LIMITS.maxFileBytes;
    if (long) {
      setRefusal(null);
      setNotice({ text: `Reading ${f.name}, ${formatBytes(f.size)}…` });
      await afterPaint();
    }
    // A long file goes to the build worker's check as soon as it is decoded:
    // the worker parses it while this thread parses it for the editor.
    const early: { check: PreparedCheck | null } = { check: null };
    const r = await readScenarioFile(f, (text) => {
      if (text.length <= EDITOR_LIMITS.maxOpenChars && !text.includes('"shadowpaging-lesson/')) early.check = prepareBuild(text);
    });
    if (long) setNotice(null);
    if (!r.ok) {
      early.check?.abandon();
      setRefusal(r.message);
      return;
    }
    // A lesson file (issue 18, item 3) opens as the lesson, at its first scenario, not in the editor.
    const lessonJson = r.text.length <= LESSON_LIMITS.maxTextChars && r.text.includes('"shadowpaging-lesson/') ? tryJson(r.text) : undefined;
    if (isLessonDocument(lessonJson)) {
      const l = parseLesson(lessonJson);
      if (!l.ok) return setRefusal(`${f.name} is a lesson, but it could not be opened: ${formatLessonError(l.error)}. Fix that field in the file and import it again.`);
      setRefusal(null);
      a.openLesson(lessonJson, null, l.lesson, 0);
      a.toggleEditor(false);
      return;
    }
    // A long file is checked by the build worker, which keeps the parse for the build that follows.
    const p = await (early.check?.result ?? checkScenarioText(r.text));
    if (p.ok && r.json !== undefined) imported.current = { text: r.text, json: r.json };
    openDoc(
      { title: p.ok ? p.scenario.title : (guessTitle(r.text) ?? f.name), text: r.text, origin: `file ${f.name}` },
      p.ok ? `Opened ${f.name} as a new document.` : `Opened ${f.name} as a new document, but it is not a valid scenario: ${formatScenarioError(p.error)}.`,
    );
  };
  // A paste is measured before the browser inserts it: refused whole, never cut.
  const onPaste = (e: ClipboardEvent<HTMLTextAreaElement>) => {
    const pasted = e.clipboardData.getData('text/plain');
    const el = e.currentTarget;
    const next = el.value.slice(0, el.selectionStart) + pasted + el.value.slice(el.selectionEnd);
    const err = checkEditorText(next, `With that paste (${fmt(pasted.length)} characters), the text`);
    setRefusal(err);
    if (err) e.preventDefault();
  };
  const lastReplace = doc.history[0];
  return (
    <section className="editor" aria-label="Scenario editor" data-testid="editor">
      <div className="editor-head">
        <h2 className="panel-title">Edit scenario</h2>
        <span className="editor-head-actions">
          <button type="button" className="btn" onClick={() => setNewMenu(!newMenu)} aria-expanded={newMenu} aria-controls="new-menu" data-testid="editor-new">
            New…
          </button>
          <button type="button" className="btn" onClick={() => a.toggleEditor(false)} aria-label="Close the editor">
            Close
          </button>
        </span>
      </div>
      {newMenu && (
        <ul id="new-menu" className="new-menu" aria-label="New scenario from a template" data-testid="new-menu">
          {EDITOR_TEMPLATES.map((t) => (
            <li key={t.id}>
              <button
                type="button"
                className="btn"
                data-testid={`new-${t.id}`}
                onClick={() => {
                  setNewMenu(false);
                  const text = pretty(t.doc());
                  openDoc({ title: guessTitle(text) ?? 'Untitled scenario', text, origin: `new, from the template "${t.label}"` }, `A new document from the template "${t.label}".`);
                }}
              >
                {t.label}
              </button>
            </li>
          ))}
        </ul>
      )}
      <p className="text-xs opacity-80" data-testid="editor-doc">
        Document "{doc.title}", from {doc.origin}.{' '}
        {savedEntry ? (dirty ? `Edits the saved scenario "${savedEntry.title}" (changes not saved yet).` : `Saved as "${savedEntry.title}".`) : dirty ? 'Not saved yet; kept in this browser as a draft.' : 'Not saved.'}
      </p>
      {document_.unsavedReason && (
        <p className="editor-error text-sm" role="alert" data-testid="editor-unsaved">
          Your edits since {clock(document_.unsavedSince ?? 0)} are not kept in this browser: {document_.unsavedReason}. They are still here in the editor: use Export .json to keep them in a file, or delete saved scenarios or drafts below to make room.
        </p>
      )}
      {document_.notice && <NoticeLine notice={{ text: document_.notice }} testId="editor-doc-notice" />}
      <div className="tabs" role="tablist" aria-label="Editor view">
        <button type="button" role="tab" aria-selected={tab === 'form'} className="btn" onClick={() => setTab('form')} data-testid="tab-form">
          Form
        </button>
        <button type="button" role="tab" aria-selected={tab === 'json'} className="btn" onClick={() => setTab('json')} data-testid="tab-json">
          JSON
        </button>
      </div>
      {viewOnly(text) && (
        <p className="editor-error text-sm" role="note" data-testid="editor-view-only">
          This document is {fmt(text.length)} characters, more than the editor edits ({fmt(EDITOR_LIMITS.maxTextChars)}): it runs in the app as it is, but it cannot be changed here or kept in this browser. Keep its file; to change it, edit the file and import it again.
        </p>
      )}
      {tab === 'form' &&
        !viewOnly(text) &&
        (docObj && docSteps > EDITOR_LIMITS.formMaxSteps ? (
          <p className="editor-error text-sm">
            This document has {fmt(docSteps)} steps; the form draws up to {fmt(EDITOR_LIMITS.formMaxSteps)}, so it does not show this one. Edit it in the JSON view.
          </p>
        ) : docObj ? (
          <ScenarioForm doc={docObj} onChange={(d) => admit(pretty(d), 'The edited scenario')} />
        ) : (
          <p className="editor-error text-sm">The JSON does not parse, so the form cannot show it; fix it in the JSON view.</p>
        ))}
      <label className="sr-only" htmlFor="scenario-json">
        Scenario JSON
      </label>
      <textarea
        hidden={tab !== 'json' || viewOnly(text)}
        id="scenario-json"
        className="editor-text"
        spellCheck={false}
        value={viewOnly(text) ? '' : text}
        onChange={(e) => admit(e.target.value, 'The text')}
        onPaste={onPaste}
        data-testid="editor-text"
        aria-invalid={!parsed.ok}
        aria-describedby="editor-status"
      />
      <p id="editor-status" ref={statusRef} role="status" className={parsed.ok ? 'editor-ok' : 'editor-error'} data-testid="editor-status">
        {refusal && (
          <span className="editor-error block" data-testid="editor-refusal">
            {refusal}
          </span>
        )}
        {checked === null
          ? `Checking the scenario (${fmt(docSteps)} steps)…`
          : parsed.ok
          ? `Valid: "${scenario.title}", ${parsed.scenario.steps.length} steps${parsed.warnings.length ? `; ${parsed.warnings.length} warning(s): ${parsed.warnings[0]}` : ''}.`
          : `${formatScenarioError(parsed.error)}. The last valid scenario stays on screen.`}
      </p>
      <div className="editor-actions">
        <button type="button" className="btn" onClick={() => save(false)} disabled={!parsed.ok} data-testid="editor-save" title={savedEntry ? `Replace the saved "${savedEntry.title}" (Undo brings it back)` : 'Keep it under My scenarios in this browser'}>
          {savedEntry ? 'Save' : 'Save to My scenarios'}
        </button>
        {doc.savedId && (
          <button type="button" className="btn" onClick={() => save(true)} disabled={!parsed.ok} data-testid="editor-save-new" title="Keep the saved entry as it is and save this as another one">
            Save as new
          </button>
        )}
        <button type="button" className="btn" onClick={() => fileRef.current?.click()}>
          Import .json
        </button>
        <input
          ref={fileRef}
          type="file"
          accept=".json,application/json"
          className="sr-only"
          aria-label="Import a scenario file"
          onChange={(e) => {
            const f = e.target.files?.[0];
            // Cleared so that choosing the same file again (after fixing it) imports it again.
            e.target.value = '';
            if (f) void importFile(f);
          }}
        />
        <button type="button" className="btn" onClick={() => download(`${sim_slug(title ?? scenario.title)}.json`, text)} disabled={!parsed.ok}>
          Export .json
        </button>
        <button type="button" className="btn" onClick={downloadTrace} disabled={tracing !== null} title="The trace CLI's document with every step's kernel events, under the rules on screen">
          Download trace
        </button>
        <button type="button" className="btn" onClick={() => admit(pretty(useStore.getState().scenarioJson), 'The scenario on screen', 'Reset to what is on screen')} data-testid="editor-reset">
          Reset to what is on screen
        </button>
        {lastReplace && (
          <button type="button" className="btn" onClick={document_.undoReplace} data-testid="editor-undo-replace" title={`Bring back the text from before "${lastReplace.why}" (${clock(lastReplace.at)})`}>
            Undo "{lastReplace.why}"
          </button>
        )}
      </div>
      {tracing && (
        <p className="text-sm" role="status" data-testid="editor-trace-progress">
          Writing the trace: {fmt(tracing.done)} of {fmt(tracing.total)} steps.{' '}
          <progress max={tracing.total} value={tracing.done} aria-label="Trace written" />{' '}
          <button type="button" className="btn" onClick={tracing.cancel} data-testid="editor-trace-cancel">
            Cancel
          </button>
        </p>
      )}
      <NoticeLine notice={notice} testId="editor-message" />
      <MyScenarios
        listing={listing}
        currentDoc={doc.docId}
        onOpenSaved={(s) => {
          if (checkEditorText(s.text, `"${s.title}"`, true)) return setRefusal(checkEditorText(s.text, `"${s.title}"`, true));
          openDoc({ title: s.title, text: s.text, origin: `the saved scenario "${s.title}"`, savedId: s.id, savedRev: s.rev }, `Opened "${s.title}".`);
        }}
        onDeleteSaved={deleteSaved}
        onOpenDraft={(d) => openDoc(d, `Opened the draft "${d.title}".`)}
        onDeleteDraft={deleteDraft}
        onExportUnreadable={exportUnreadable}
        onDeleteUnreadable={deleteUnreadable}
      />
    </section>
  );
}
