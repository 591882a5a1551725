/**
 * Editing a scenario as a user thinks of it: title and description, guest
 * mode and control bits, mappings that build the tables, raw table entries,
 * and the list of steps. It edits the JSON document (the one source of truth
 * shared with the JSON view), so the parser validates everything the same
 * way; a half-typed document shows the parser's message in the editor's
 * status line and the last valid scenario stays on screen.
 *
 * Issue 16 measured a teacher's first scenario at 35 clicks and 105
 * keystrokes. The form is laid out so that the usual moves take one action
 * each: a mapping is typed into the empty last row (two field entries, no
 * click), a mapping's "+ read" / "+ write" adds a step at its gva (one
 * click), and "Add read" puts the focus in the new step's gva box. Every box
 * keeps a visible label once filled, and everything fits the side panel at
 * 1280 px (tests/e2e/editor-form.e2e.ts).
 */
import { type ReactNode, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { picksOf, QuestionPicker } from '../quiz/QuestionPicker.tsx';

type Doc = Record<string, unknown>;
type Obj = Record<string, unknown>;

const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const arr = (v: unknown): Obj[] => (Array.isArray(v) ? v.map(obj) : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? `0x${v.toString(16)}` : '');

function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <label className="form-field">
      <span>{label}</span>
      {children}
    </label>
  );
}

const OPS = ['read', 'write', 'fetch', 'cr3', 'invlpg', 'cr0', 'cr4', 'efer', 'host-write', 'zap-all'] as const;

/** A valid starting point when a step's operation changes; its teacher's questions and note stay. */
function freshStep(op: string, old: Obj, cr3: string): Obj {
  const fresh = freshFields(op, old, cr3);
  return { ...fresh, ...(Array.isArray(old.questions) ? { questions: old.questions } : {}), ...(typeof old.note === 'string' ? { note: old.note } : {}) };
}

/** `s` with its teacher's note set (the last key, where the schema has it) or, when empty, removed. */
function withNote(s: Obj, note: string): Obj {
  const next = { ...s };
  delete next.note;
  if (note !== '') next.note = note;
  return next;
}

function freshFields(op: string, old: Obj, cr3: string): Obj {
  const gva = str(old.gva) || '0x0';
  switch (op) {
    case 'cr3':
      return { op, value: cr3 || '0x1000' };
    case 'cr0':
      return { op, wp: false };
    case 'cr4':
      return { op, smep: true };
    case 'efer':
      return { op, nx: true };
    case 'invlpg':
      return { op, gva };
    case 'host-write':
      return { op, gpa: cr3 || '0x1000', value: '0x0' };
    case 'zap-all':
      return { op };
    default:
      // read, write, fetch: the same address, and still a user access if it was one.
      return { op, gva, ...(old.user === true ? { user: true } : {}) };
  }
}

/**
 * A step row is lines of STEP_LINE_PX: the operation and its buttons, then
 * its fields with labels that stay once filled, one line each. A write has a
 * line for its gva and one for its value (a host-write: gpa, value), so each
 * box gets the panel's width instead of half of it (at 1280 px the two side
 * by side showed 7 of a 32-bit address's 10 characters); cr0 and efer have
 * one line of bits, cr4 three. Every row ends with a line for the step's
 * teacher's note (issue 18). The row's height is set inline from these
 * numbers (stepOffsets); CSS `.step-row` splits it into equal lines.
 */
export const STEP_LINE_PX = 28;
export const STEP_ROW_PX = 3 * STEP_LINE_PX;
/** A write's or host-write's row: four lines. */
export const STEP_ROW_TALL_PX = 4 * STEP_LINE_PX;
/** The list's box is at most this many short rows tall, then scrolls (about as tall as six rows were before the note line). */
export const STEP_LIST_ROWS = 4;
/** Rows drawn above and below the visible ones, so Tab and a fast scroll find a row already there. */
export const STEP_OVERSCAN = 5;

/**
 * Mappings and frames the form draws (the parser allows 4096 of each, a frame
 * with up to 1024 entries): past this many the rest is left to the JSON view,
 * so a document built by a script does not make every keystroke redraw
 * thousands of rows. Teaching scenarios have a handful.
 */
export const FORM_ROWS_SHOWN = 100;

/**
 * The bits a control-register step may change, one line each (raw.ts: every
 * key optional, an absent one is left as it is).
 */
const STEP_BITS: Readonly<Record<string, readonly (readonly string[])[]>> = {
  cr0: [['wp', 'pg']],
  cr4: [
    ['pse', 'pae'],
    ['smep', 'smap'],
    ['pcide'],
  ],
  efer: [['nx', 'lme']],
};

/** Lines of a step's row: the operation's line, one per value box or line of bits, and the note's line. */
function stepLines(op: unknown): number {
  if (op === 'write' || op === 'host-write') return 4;
  const bits = typeof op === 'string' ? STEP_BITS[op] : undefined;
  return 2 + Math.max(1, bits?.length ?? 1);
}

/** One bit of a control-register step: left as it is (key absent), cleared or set. */
function BitChoice({ name, bit, value, onChange }: { name: string; bit: string; value: unknown; onChange: (v: boolean | undefined) => void }) {
  return (
    <label className="bit">
      <span aria-hidden="true">{bit}</span>
      <select aria-label={name} value={value === true ? '1' : value === false ? '0' : ''} onChange={(e) => onChange(e.target.value === '' ? undefined : e.target.value === '1')}>
        <option value="">as is</option>
        <option value="0">0</option>
        <option value="1">1</option>
      </select>
    </label>
  );
}

/** offsets[i] is where row i starts; offsets[count] is the height of every row together. */
export function stepOffsets(steps: readonly unknown[]): number[] {
  const out = new Array<number>(steps.length + 1);
  out[0] = 0;
  for (let i = 0; i < steps.length; i++) out[i + 1] = out[i]! + stepLines(obj(steps[i]).op) * STEP_LINE_PX;
  return out;
}

/** The height of the list's box for rows `offsets` (at most STEP_LIST_ROWS short rows). */
export const stepListHeight = (offsets: readonly number[]) => Math.min(offsets.at(-1) ?? 0, STEP_LIST_ROWS * STEP_ROW_PX);

/** The last row that starts at or above `y` (offsets ascending). */
function rowAt(offsets: readonly number[], y: number): number {
  let lo = 0;
  let hi = offsets.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (offsets[mid]! <= y) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * The rows of a list whose rows start at `offsets` that are drawn when it is
 * scrolled to `scrollTop`: the visible ones plus the overscan, and the one
 * that has the keyboard focus wherever it is (so scrolling never takes the
 * focus away). Pure, so the window is tested without a layout engine.
 */
export function stepWindow(offsets: readonly number[], scrollTop: number, focused: number | null): number[] {
  const count = offsets.length - 1;
  if (count <= 0) return [];
  const total = offsets[count]!;
  const view = stepListHeight(offsets);
  const top = Math.max(0, Math.min(scrollTop, total - view));
  const first = Math.max(0, rowAt(offsets, top) - STEP_OVERSCAN);
  const last = Math.min(count, rowAt(offsets, Math.max(top, top + view - 1)) + 1 + STEP_OVERSCAN);
  const rows: number[] = [];
  if (focused !== null && focused < first) rows.push(focused);
  for (let i = first; i < last; i++) rows.push(i);
  if (focused !== null && focused >= last && focused < count) rows.push(focused);
  return rows;
}

/**
 * The steps as a windowed list (issue 16: a row per step made a
 * 10,000-step scenario take 11.5 s to open the editor). It scrolls in its own
 * box; only the rows in view (plus overscan) are in the DOM, each placed at
 * its own offset in a spacer as tall as every row together, so the DOM does
 * not grow with the step count. Rows stay in index order in the DOM, so Tab
 * walks the steps in order (the browser scrolls the next one into view,
 * which draws the ones after it). `pin` is a row to draw wherever it is (the
 * one just added, so it can take the focus before the list has scrolled).
 */
function StepList({ offsets, pin, renderRow }: { offsets: readonly number[]; pin: number | null; renderRow: (i: number) => ReactNode }) {
  const box = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [focused, setFocused] = useState<number | null>(null);
  const count = offsets.length - 1;
  // One step added at the end (Add read, or a page clicked in the tables): show it.
  const prevCount = useRef(count);
  useLayoutEffect(() => {
    const el = box.current;
    if (el && count === prevCount.current + 1) {
      el.scrollTop = offsets[count]!;
      setScrollTop(el.scrollTop);
    }
    prevCount.current = count;
  }, [count, offsets]);
  const rowOf = (t: EventTarget | null) => {
    const li = t instanceof Element ? t.closest<HTMLElement>('[data-index]') : null;
    return li ? Number(li.dataset.index) : null;
  };
  const drawn = stepWindow(offsets, scrollTop, focused);
  if (pin !== null && pin < count && !drawn.includes(pin)) {
    drawn.push(pin);
    drawn.sort((a, b) => a - b);
  }
  return (
    <div
      ref={box}
      className="step-list"
      data-testid="step-list"
      style={{ height: `${stepListHeight(offsets)}px` }}
      onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
      onFocus={(e) => setFocused(rowOf(e.target))}
      onBlur={(e) => {
        if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setFocused(null);
      }}
    >
      <ol className="form-steps" style={{ height: `${offsets[count]}px` }}>
        {drawn.map((i) => (
          <li
            key={i}
            className="step-row"
            data-testid="step-row"
            data-index={i}
            aria-setsize={count}
            aria-posinset={i + 1}
            style={{ top: `${offsets[i]}px`, height: `${offsets[i + 1]! - offsets[i]!}px` }}
          >
            {renderRow(i)}
          </li>
        ))}
      </ol>
    </div>
  );
}

/** The page sizes a guest mode's tables can map (mappings.ts LAYOUTS). */
const SIZES: Readonly<Record<string, readonly string[]>> = { 'x86-32': ['4K', '4M'], pae: ['4K', '2M'], 'x86-64': ['4K', '2M', '1G'], off: ['4K'] };

/** The flags string with `letter` on or off, in the order r w u x; r stays (every present page is readable). */
function withFlag(flags: string, letter: 'w' | 'u', on: boolean): string {
  const has = new Set(flags.split(''));
  has.add('r');
  if (on) has.add(letter);
  else has.delete(letter);
  const known = ['r', 'w', 'u', 'x'].filter((c) => has.has(c));
  // Letters the parser refuses stay, so its message still names them.
  const unknown = [...has].filter((c) => !'rwux'.includes(c));
  return [...known, ...unknown].join('');
}

/** A labelled box in a row: the label stays on screen once the box is filled. */
function Box({ label, name, value, onChange, field }: { label: string; name: string; value: string; onChange: (v: string) => void; field?: string }) {
  return (
    <label className="box">
      <span aria-hidden="true">{label}</span>
      <input aria-label={name} value={value} onChange={(e) => onChange(e.target.value)} data-field={field ?? label} spellCheck={false} autoComplete="off" />
    </label>
  );
}

/**
 * One mapping, or (`m` null) the empty row at the end of the list: typing in
 * it adds a mapping, so a mapping is two field entries and no click. Both
 * have the same first line, so React keeps its inputs (and the focus) when
 * the empty row becomes mapping n as the first character is typed.
 */
function MappingRow({
  i,
  m,
  mode,
  set,
  addStep,
}: {
  i: number;
  m: Obj | null;
  mode: string;
  set: (m: Obj | null) => void;
  addStep: (op: 'read' | 'write', gva: string) => void;
}) {
  const cur: Obj = m ?? { gva: '', gpa: '', flags: 'rw' };
  const n = i + 1;
  const who = m ? `mapping ${n}` : 'new mapping';
  const flags = str(cur.flags);
  const gva = str(cur.gva);
  const sizes = SIZES[mode] ?? SIZES['x86-64']!;
  const size = str(cur.size) || '4K';
  return (
    <div className={m ? 'mapping' : 'mapping mapping-new'} data-testid={m ? 'mapping-row' : 'mapping-new'} role="group" aria-label={m ? `Mapping ${n}` : 'New mapping: type a gva or a gpa to add it'}>
      <div className="mapping-line">
        <Box label="gva" name={`${who} gva`} value={gva} onChange={(v) => set({ ...cur, gva: v })} />
        <span className="mapping-arrow" aria-hidden="true">
          →
        </span>
        <Box label="gpa" name={`${who} gpa`} value={str(cur.gpa)} onChange={(v) => set({ ...cur, gpa: v })} />
        {m ? (
          <button type="button" className="btn" onClick={() => set(null)} aria-label={`Delete mapping ${n}`} title={`Delete mapping ${n}`}>
            ✕
          </button>
        ) : (
          <span className="btn-space" aria-hidden="true" />
        )}
      </div>
      {m && (
        <div className="mapping-line mapping-opts">
          <label className="ctl">
            size
            <select aria-label={`mapping ${n} size`} value={size} onChange={(e) => set({ ...cur, size: e.target.value === '4K' ? undefined : e.target.value })}>
              {(sizes.includes(size) ? sizes : [...sizes, size]).map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
          </label>
          <label className="ctl">
            <input type="checkbox" aria-label={`mapping ${n} writable`} checked={flags.includes('w')} onChange={(e) => set({ ...cur, flags: withFlag(flags, 'w', e.target.checked) })} /> writable
          </label>
          <label className="ctl">
            <input type="checkbox" aria-label={`mapping ${n} user`} checked={flags.includes('u')} onChange={(e) => set({ ...cur, flags: withFlag(flags, 'u', e.target.checked) })} /> user
          </label>
          <label className="ctl">
            <input type="checkbox" aria-label={`mapping ${n} dirty`} checked={cur.dirty === true} onChange={(e) => set({ ...cur, dirty: e.target.checked || undefined })} /> dirty
          </label>
          {mode !== 'x86-32' && (
            <label className="ctl">
              <input type="checkbox" aria-label={`mapping ${n} NX (no-execute)`} checked={cur.nx === true} onChange={(e) => set({ ...cur, nx: e.target.checked || undefined })} /> NX
            </label>
          )}
          <span className="mapping-steps">
            <button type="button" className="btn" disabled={!gva} onClick={() => addStep('read', gva)} aria-label={`Add a read of mapping ${n}'s gva`} title="Add a read step at this gva">
              + read
            </button>
            <button type="button" className="btn" disabled={!gva} onClick={() => addStep('write', gva)} aria-label={`Add a write to mapping ${n}'s gva`} title="Add a write step at this gva">
              + write
            </button>
          </span>
        </div>
      )}
    </div>
  );
}

/** Says how many rows past FORM_ROWS_SHOWN are not drawn, and where to edit them. */
function MoreRows({ total, what }: { total: number; what: string }) {
  if (total <= FORM_ROWS_SHOWN) return null;
  return (
    <p className="form-hint" data-testid={`more-${what}`}>
      The form shows the first {FORM_ROWS_SHOWN} of {total.toLocaleString('en-US')} {what}; edit or add the others in the JSON view.
    </p>
  );
}

/** `doc` with `key` set to `value`, or removed when `value` is undefined; a new key goes right after `after`. */
function withKey(doc: Doc, key: string, value: unknown, after: string): Doc {
  if (value === undefined) {
    const rest = { ...doc };
    delete rest[key];
    return rest;
  }
  if (key in doc || !(after in doc)) return { ...doc, [key]: value };
  const out: Doc = {};
  for (const [k, v] of Object.entries(doc)) {
    out[k] = v;
    if (k === after) out[key] = value;
  }
  return out;
}

const MAPPING_KEYS = ['gva', 'gpa', 'size', 'flags', 'nx', 'accessed', 'dirty'];

/**
 * A mapping with its unset keys dropped, so the JSON stays as short as the
 * user wrote it, in the schema's key order whatever was typed first. An empty
 * gva or gpa box is an absent key: while a mapping is half typed the status
 * line says "mappings[0].gpa: missing (required)" rather than quoting "".
 */
function cleanMapping(m: Obj): Obj {
  const out: Obj = {};
  const keys = [...MAPPING_KEYS, ...Object.keys(m).filter((k) => !MAPPING_KEYS.includes(k))];
  for (const k of keys) {
    const v = m[k];
    if (v === undefined || ((k === 'gva' || k === 'gpa') && v === '')) continue;
    out[k] = v;
  }
  return out;
}

export function ScenarioForm({ doc, onChange }: { doc: Doc; onChange: (d: Doc) => void }) {
  const guest = obj(doc.guest);
  const host = obj(doc.host);
  const steps = arr(doc.steps);
  const mappings = arr(doc.mappings);
  const memory = arr(doc.memory);
  const mode = str(guest.mode) || 'x86-32';
  const root = useRef<HTMLDivElement>(null);
  // The step just added with "Add read" etc.: drawn wherever the list is scrolled, and given the focus.
  const [focusStep, setFocusStep] = useState<number | null>(null);
  // The step whose questions are being picked (issue 18), in a dialog of their own: the rows keep their height.
  const [picking, setPicking] = useState<number | null>(null);
  const offsets = useMemo(() => stepOffsets(steps), [steps]);
  useLayoutEffect(() => {
    if (focusStep === null) return;
    const input = root.current?.querySelector<HTMLElement>(`[data-index="${focusStep}"] [data-field]`);
    if (input) {
      input.focus();
      setFocusStep(null);
    }
  }, [focusStep, steps.length]);
  const set = (patch: Obj) => onChange({ ...doc, ...patch });
  const setGuest = (patch: Obj) => set({ guest: { ...guest, ...patch } });
  const setGuestSub = (key: 'cr0' | 'cr4' | 'efer', k: string, v: boolean) => setGuest({ [key]: { ...obj(guest[key]), [k]: v } });
  const setStep = (i: number, s: Obj | null) => {
    const next = [...steps];
    // The note stays the step's last key, as the schema lists it, whatever was set after it.
    if (s) next[i] = typeof s.note === 'string' ? withNote(s, s.note) : s;
    else next.splice(i, 1);
    set({ steps: next });
  };
  const addStep = (s: Obj, focus: boolean) => {
    set({ steps: [...steps, s] });
    if (focus) setFocusStep(steps.length);
  };
  const moveStep = (i: number, d: number) => {
    const j = i + d;
    if (j < 0 || j >= steps.length) return;
    const next = [...steps];
    [next[i], next[j]] = [next[j]!, next[i]!];
    set({ steps: next });
  };
  // i === mappings.length is the empty last row: typing there appends.
  const setMapping = (i: number, m: Obj | null) => {
    const next = [...mappings];
    const clean = m && cleanMapping(m);
    // A last mapping emptied back to the empty row's defaults (a character typed there and erased) is the empty row again.
    const untouched = clean && i >= mappings.length - 1 && JSON.stringify(clean) === JSON.stringify({ flags: 'rw' });
    if (clean && !untouched) next[i] = clean;
    else next.splice(i, 1);
    onChange(withKey(doc, 'mappings', next.length ? next : undefined, 'memory' in doc ? 'memory' : 'guest'));
  };
  const setFrame = (i: number, f: Obj | null) => {
    const next = [...memory];
    if (f) next[i] = f;
    else next.splice(i, 1);
    onChange(withKey(doc, 'memory', next.length ? next : undefined, 'guest'));
  };
  const bool = (v: unknown, dflt: boolean) => (typeof v === 'boolean' ? v : dflt);
  const paging = mode !== 'off';
  return (
    <div className="form" data-testid="scenario-form" ref={root}>
      <fieldset>
        <legend>Scenario</legend>
        <label className="form-stack">
          <span>Title</span>
          <input value={str(doc.title)} onChange={(e) => set({ title: e.target.value })} data-testid="form-title" />
        </label>
        <label className="form-stack">
          <span>Description (optional)</span>
          <textarea
            rows={3}
            value={str(doc.description)}
            onChange={(e) => onChange(withKey(doc, 'description', e.target.value === '' ? undefined : e.target.value, 'title'))}
            data-testid="form-description"
          />
        </label>
      </fieldset>
      <fieldset>
        <legend>Guest</legend>
        <Field label="mode">
          <select value={mode} onChange={(e) => setGuest({ mode: e.target.value })}>
            {['x86-32', 'pae', 'x86-64', 'off'].map((m) => (
              <option key={m}>{m}</option>
            ))}
          </select>
        </Field>
        <Field label="cr3">
          <input value={str(guest.cr3)} onChange={(e) => setGuest({ cr3: e.target.value || undefined })} placeholder="0x1000" />
        </Field>
        <div className="form-row">
          {(
            [
              ['cr0', 'wp', true],
              ['cr4', 'pse', true],
              ['cr4', 'smep', false],
              ['cr4', 'smap', false],
              ['cr4', 'pcide', false],
              ['efer', 'nx', false],
            ] as const
          ).map(([reg, bit, dflt]) => (
            <label key={`${reg}.${bit}`} className="ctl">
              <input type="checkbox" checked={bool(obj(guest[reg])[bit], dflt)} onChange={(e) => setGuestSub(reg, bit, e.target.checked)} /> {reg}.{bit}
            </label>
          ))}
          <label className="ctl">
            <input type="checkbox" checked={bool(host.hugePages, false)} onChange={(e) => set({ host: { ...host, hugePages: e.target.checked } })} /> host huge pages
          </label>
        </div>
      </fieldset>
      {/* Paging off has no tables to build; mappings left from a paging mode stay listed so they can be deleted (the parser refuses them). */}
      {(paging || mappings.length > 0) && (
        <fieldset data-testid="form-mappings">
          <legend>Mappings ({mappings.length})</legend>
          <p className="form-hint">
            {paging
              ? 'Each maps a guest virtual page to a guest physical page; the page tables are built for you. Type in the empty last row to add one.'
              : 'With paging off there are no page tables to build: delete these mappings, or choose a paging mode.'}
          </p>
          {/* The empty row only while the list is whole on screen: the mapping it adds must stay in view. */}
          {[...mappings.slice(0, FORM_ROWS_SHOWN), ...(paging && mappings.length < FORM_ROWS_SHOWN ? [null] : [])].map((m, i) => (
            <MappingRow key={i} i={i} m={m} mode={mode} set={(next) => setMapping(i, next)} addStep={(op, gva) => addStep({ op, gva }, false)} />
          ))}
          <MoreRows total={mappings.length} what="mappings" />
        </fieldset>
      )}
      <fieldset data-testid="form-frames">
        <legend>Raw table entries ({memory.length} {memory.length === 1 ? 'frame' : 'frames'})</legend>
        {memory.slice(0, FORM_ROWS_SHOWN).map((f, i) => (
          <div key={i} className="frame" data-testid="frame-row" role="group" aria-label={`Frame ${i + 1}`}>
            <div className="mapping-line">
              <Box label="frame gpa" field="gpa" name={`frame ${i + 1} gpa`} value={str(f.gpa)} onChange={(v) => setFrame(i, { ...f, gpa: v })} />
              <button type="button" className="btn" onClick={() => setFrame(i, null)} aria-label={`Delete frame ${i + 1}`} title={`Delete frame ${i + 1}`}>
                ✕
              </button>
            </div>
            <label className="box">
              <span aria-hidden="true">entries</span>
              <input
                aria-label={`frame ${i + 1} entries`}
                title="index=value pairs, e.g. 768=0x2027 (decimal index, hex value)"
                spellCheck={false}
                value={Object.entries(obj(f.entries))
                  .map(([k, v]) => `${k}=${str(v)}`)
                  .join(' ')}
                onChange={(e) => {
                  const entries: Obj = {};
                  for (const part of e.target.value.split(/\s+/)) {
                    const [k, v] = part.split('=');
                    if (k && v !== undefined) entries[k] = v;
                  }
                  setFrame(i, { ...f, entries });
                }}
              />
            </label>
          </div>
        ))}
        <MoreRows total={memory.length} what="frames" />
        {memory.length < FORM_ROWS_SHOWN && (
          <button type="button" className="btn" onClick={() => setFrame(memory.length, { gpa: `0x${(0x200000 + memory.length * 0x1000).toString(16)}`, entries: {} })}>
            Add frame
          </button>
        )}
      </fieldset>
      <fieldset>
        <legend>Steps ({steps.length})</legend>
        <StepList
          offsets={offsets}
          pin={focusStep}
          renderRow={(i) => {
            const s = steps[i]!;
            const op = str(s.op) || 'read';
            const access = op === 'read' || op === 'write' || op === 'fetch';
            return (
              <>
                <span className="step-num" aria-hidden="true">
                  {i + 1}
                </span>
                <span className="step-head">
                  <select aria-label={`step ${i + 1} operation`} value={op} onChange={(e) => setStep(i, freshStep(e.target.value, s, str(guest.cr3)))}>
                    {OPS.map((o) => (
                      <option key={o}>{o}</option>
                    ))}
                  </select>
                  {access && (
                    <label className="ctl">
                      <input type="checkbox" aria-label={`step ${i + 1} user`} checked={bool(s.user, false)} onChange={(e) => setStep(i, { ...s, user: e.target.checked || undefined })} /> user
                    </label>
                  )}
                </span>
                <span className="step-btns">
                  <button type="button" className="btn" onClick={() => moveStep(i, -1)} aria-label={`Move step ${i + 1} up`} disabled={i === 0}>
                    ↑
                  </button>
                  <button type="button" className="btn" onClick={() => moveStep(i, 1)} aria-label={`Move step ${i + 1} down`} disabled={i === steps.length - 1}>
                    ↓
                  </button>
                  <button
                    type="button"
                    className="btn"
                    onClick={() => setPicking(picking === i ? null : i)}
                    aria-label={`Questions before step ${i + 1} (${picksOf(s).length})`}
                    aria-expanded={picking === i}
                    title="Questions asked before this step is shown (the app works out the answers)"
                    data-testid={`step-${i + 1}-questions`}
                  >
                    ?{picksOf(s).length || ''}
                  </button>
                  <button type="button" className="btn" onClick={() => setStep(i, null)} aria-label={`Delete step ${i + 1}`}>
                    ✕
                  </button>
                </span>
                {'gva' in s && (
                  <span className="step-fields">
                    <Box label="gva" name={`step ${i + 1} gva`} value={str(s.gva)} onChange={(v) => setStep(i, { ...s, gva: v })} />
                  </span>
                )}
                {op === 'host-write' && (
                  <span className="step-fields">
                    <Box label="gpa" name={`step ${i + 1} gpa`} value={str(s.gpa)} onChange={(v) => setStep(i, { ...s, gpa: v })} />
                  </span>
                )}
                {(STEP_BITS[op] ?? []).map((line) => (
                  <span key={line[0]} className="step-fields step-bits">
                    {line.map((bit) => (
                      <BitChoice
                        key={bit}
                        name={`step ${i + 1} ${op}.${bit}`}
                        bit={bit}
                        value={s[bit]}
                        onChange={(v) => {
                          const next = { ...s };
                          if (v === undefined) delete next[bit];
                          else next[bit] = v;
                          setStep(i, next);
                        }}
                      />
                    ))}
                  </span>
                ))}
                {(op === 'cr3' || op === 'write' || op === 'host-write') && (
                  <span className="step-fields">
                    <Box
                      label="value"
                      name={`step ${i + 1} value`}
                      value={str(s.value)}
                      // A write's value is optional (the core writes a default); cr3 and host-write need one.
                      onChange={(v) => setStep(i, { ...s, value: v || (op === 'write' ? undefined : '') })}
                    />
                  </span>
                )}
                <span className="step-fields step-note">
                  <label className="box">
                    <span aria-hidden="true">note</span>
                    <textarea
                      aria-label={`step ${i + 1} teacher note`}
                      title="Teacher note, shown under the caption of this step: blank lines make paragraphs; *emphasis*, **strong**, `code`, [text](https://…) links"
                      placeholder="Teacher note (optional)"
                      rows={1}
                      value={typeof s.note === 'string' ? s.note : ''}
                      onChange={(e) => setStep(i, withNote(s, e.target.value))}
                      data-field="note"
                    />
                  </label>
                </span>
              </>
            );
          }}
        />
        {picking !== null && steps[picking] && (
          <QuestionPicker
            step={picking + 1}
            s={steps[picking]!}
            onChange={(next) => setStep(picking, next)}
            onClose={() => {
              const i = picking;
              setPicking(null);
              root.current?.querySelector<HTMLElement>(`[data-testid="step-${i + 1}-questions"]`)?.focus();
            }}
          />
        )}
        <div className="form-row">
          {(['read', 'write', 'fetch'] as const).map((o) => (
            <button key={o} type="button" className="btn" onClick={() => addStep({ op: o, gva: '' }, true)}>
              Add {o}
            </button>
          ))}
        </div>
        <p className="form-hint">Other operations (cr3, invlpg, host-write, ...): add a step, then change its operation. With the editor open, a click on a page entry in the guest tables adds a read of that address.</p>
      </fieldset>
    </div>
  );
}
