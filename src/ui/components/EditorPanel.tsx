/**
 * The scenario editor: JSON with validation as you type (the error names the
 * field; the last valid scenario stays on screen), "My scenarios" in browser
 * storage, import/export of scenario files, and download of the trace.
 */
import { type ClipboardEvent, useDeferredValue, useEffect, useMemo, useRef, useState } from 'react';
import { buildTrace } from '../../core/index.ts';
import { formatScenarioError } from '../../scenarios/schema.ts';
import { CHECK_SYNC_CHARS, type CheckResult, checkScenarioText, sameDocument, useScenarioCheck } from '../heavy/check.ts';
import { checkEditorText, EDITOR_LIMITS, fmt, readScenarioFile } from '../editor-input.ts';
import { deleteSaved, listSaved, loadDraft, newId, saveDraft, saveScenario, type SavedScenario } from '../storage.ts';
import { useStore } from '../store/index.ts';
import { ScenarioForm } from './ScenarioForm.tsx';

function download(name: string, text: string) {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** What the editor goes by while a long text is being checked: not valid yet (nothing is loaded, Save waits). */
const CHECKING: CheckResult = { ok: false, error: { path: '', message: 'still being checked' } };

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60) || 'scenario';

export function EditorPanel() {
  const open = useStore((s) => s.editorOpen);
  const scenarioJson = useStore((s) => s.scenarioJson);
  const scenario = useStore((s) => s.scenario);
  const rules = useStore((s) => s.rules);
  const a = useStore.getState();
  const [text, setText] = useState<string>(() => loadDraft() ?? JSON.stringify(scenarioJson, null, 2));
  const [savedId, setSavedId] = useState<string | null>(null);
  const [saved, setSaved] = useState<SavedScenario[]>(() => listSaved());
  const [message, setMessage] = useState<string | null>(null);
  // Why the last input was not taken (too big, too many steps, not UTF-8); shown in the status line.
  const [refusal, setRefusal] = useState<string | null>(null);
  const textRef = useRef(text);
  const statusRef = useRef<HTMLParagraphElement>(null);
  // A refusal may come from a file picked while the status line is scrolled out of the panel: bring it into view.
  useEffect(() => {
    if (refusal) statusRef.current?.scrollIntoView?.({ block: 'nearest' });
  }, [refusal]);
  useEffect(() => {
    textRef.current = text;
  }, [text]);
  /**
   * Every input that replaces or edits the text goes through here: one the
   * editor must not hold is refused with a message and the text stays as it was.
   */
  const admit = (next: string, what: string): boolean => {
    const err = checkEditorText(next, what);
    setRefusal(err);
    if (!err) setText(next);
    return !err;
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
  const doc = useMemo(() => {
    try {
      const v: unknown = JSON.parse(formText);
      return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
    } catch {
      return null;
    }
  }, [formText]);
  const formDoc = useRef({ text: formText, doc });
  useEffect(() => {
    formDoc.current = { text: formText, doc };
  }, [formText, doc]);
  // A text from before these checks (a stored draft, a saved entry) may still have too many steps to draw as a form.
  const docSteps = doc && Array.isArray(doc.steps) ? doc.steps.length : 0;
  // A page clicked in the tables becomes a read step (the store is the outside system here).
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
          next = JSON.stringify({ ...o, steps: [...steps, { op: 'read', gva }] }, null, 2);
        } catch {
          return;
        }
        const err = checkEditorText(next, 'With that read step added, the scenario');
        setRefusal(err);
        if (!err) {
          textRef.current = next;
          setText(next);
        }
      }),
    [],
  );
  // As you type: a valid scenario goes on screen (debounced); an invalid one only shows its error.
  useEffect(() => {
    if (!open) return;
    saveDraft(text);
    if (!parsed.ok) return;
    const id = window.setTimeout(() => {
      // The form's parse of this text when it has caught up (no second JSON.parse of a long text).
      const f = formDoc.current;
      const json = f.text === text && f.doc ? f.doc : (JSON.parse(text) as unknown);
      // Opening the editor on what is already shown must not reset the step.
      if (!sameDocument(json, useStore.getState().scenarioJson)) a.loadScenario(json, null, { text });
    }, 300);
    return () => window.clearTimeout(id);
  }, [text, parsed, open, a]);
  if (!open) return null;
  const title = parsed.ok ? parsed.scenario.title : null;
  const save = () => {
    if (!parsed.ok || !title) return;
    const id = savedId ?? newId();
    const err = saveScenario({ id, title, text, updatedAt: Date.now() });
    setMessage(err ?? `Saved "${title}" in this browser.`);
    if (!err) setSavedId(id);
    setSaved(listSaved());
  };
  // Size first (File.size: nothing read), then the bytes (fatal UTF-8), then the text's length and steps.
  const importFile = async (f: File) => {
    const r = await readScenarioFile(f);
    if (!r.ok) {
      setRefusal(r.message);
      setMessage(null);
      return;
    }
    const p = await checkScenarioText(r.text);
    setRefusal(null);
    setText(r.text);
    setSavedId(null);
    setMessage(p.ok ? `Imported ${f.name}.` : `Imported ${f.name}, but it is not a valid scenario: ${formatScenarioError(p.error)}`);
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
  return (
    <section className="editor" aria-label="Scenario editor" data-testid="editor">
      <div className="editor-head">
        <h2 className="panel-title">Edit scenario (JSON, format shadowpaging/v1)</h2>
        <button type="button" className="btn" onClick={() => a.toggleEditor(false)} aria-label="Close the editor">
          Close
        </button>
      </div>
      <div className="tabs" role="tablist" aria-label="Editor view">
        <button type="button" role="tab" aria-selected={tab === 'form'} className="btn" onClick={() => setTab('form')} data-testid="tab-form">
          Form
        </button>
        <button type="button" role="tab" aria-selected={tab === 'json'} className="btn" onClick={() => setTab('json')} data-testid="tab-json">
          JSON
        </button>
      </div>
      {tab === 'form' &&
        (doc && docSteps > EDITOR_LIMITS.maxSteps ? (
          <p className="editor-error text-sm">
            This document has {fmt(docSteps)} steps, more than a scenario may have ({fmt(EDITOR_LIMITS.maxSteps)}), so the form does not show it; remove steps in the JSON view.
          </p>
        ) : doc ? (
          <ScenarioForm doc={doc} onChange={(d) => admit(JSON.stringify(d, null, 2), 'The edited scenario')} />
        ) : (
          <p className="editor-error text-sm">The JSON does not parse, so the form cannot show it; fix it in the JSON view.</p>
        ))}
      <label className="sr-only" htmlFor="scenario-json">
        Scenario JSON
      </label>
      <textarea
        hidden={tab !== 'json'}
        id="scenario-json"
        className="editor-text"
        spellCheck={false}
        value={text}
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
        <button type="button" className="btn" onClick={save} disabled={!parsed.ok} data-testid="editor-save">
          Save to My scenarios
        </button>
        <button type="button" className="btn" onClick={() => fileRef.current?.click()}>
          Import .json
        </button>
        <input ref={fileRef} type="file" accept=".json,application/json" className="sr-only" aria-label="Import a scenario file" onChange={(e) => {
            const f = e.target.files?.[0];
            // Cleared so that choosing the same file again (after fixing it) imports it again.
            e.target.value = '';
            if (f) void importFile(f);
          }}
        />
        <button type="button" className="btn" onClick={() => download(`${slug(title ?? scenario.title)}.json`, text)} disabled={!parsed.ok}>
          Export .json
        </button>
        <button type="button" className="btn" onClick={() => download(`${slug(scenario.title)}.trace.json`, JSON.stringify(buildTrace(scenario, { rules, at: null, events: true }), null, 2))}>
          Download trace
        </button>
        <button type="button" className="btn" onClick={() => admit(JSON.stringify(scenarioJson, null, 2), 'The scenario on screen')}>
          Reset to what is on screen
        </button>
      </div>
      {message && (
        <p className="text-sm" role="status" data-testid="editor-message">
          {message}
        </p>
      )}
      <h3 className="panel-title mt-2">My scenarios</h3>
      {saved.length === 0 ? (
        <p className="text-sm opacity-80">Nothing saved in this browser yet.</p>
      ) : (
        <ul className="saved" data-testid="my-scenarios">
          {saved.map((s) => (
            <li key={s.id}>
              <button
                type="button"
                className="btn"
                onClick={() => {
                  if (!admit(s.text, `"${s.title}"`)) return;
                  setSavedId(s.id);
                  setMessage(null);
                }}
              >
                {s.title}
              </button>{' '}
              <span className="text-xs opacity-70">{new Date(s.updatedAt).toLocaleString()}</span>{' '}
              <button
                type="button"
                className="btn"
                aria-label={`Delete ${s.title}`}
                onClick={() => {
                  const err = deleteSaved(s.id);
                  setMessage(err);
                  setSaved(listSaved());
                }}
              >
                Delete
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
