/**
 * Editing a scenario as a user thinks of it: guest mode and control bits,
 * mappings that build the tables, raw table entries, and the list of steps.
 * It edits the JSON document (the one source of truth shared with the JSON
 * view), so the parser validates everything the same way.
 */
import { type ReactNode, useLayoutEffect, useRef, useState } from 'react';

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

/** A valid starting point when a step's operation changes. */
function freshStep(op: string, old: Obj, cr3: string): Obj {
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
      return { op, gva };
  }
}

/**
 * Every step row is this tall (CSS `.step-row` uses the same number), so row
 * i sits at i * STEP_ROW_PX: two lines, the operation and its buttons, then
 * its fields with labels that stay once filled, so it fits the side panel.
 */
export const STEP_ROW_PX = 56;
/** The list shows at most this many rows, then scrolls. */
export const STEP_LIST_ROWS = 6;
/** Rows drawn above and below the visible ones, so Tab and a fast scroll find a row already there. */
export const STEP_OVERSCAN = 5;

/**
 * The rows of a list of `count` steps that are drawn when it is scrolled to
 * `scrollTop`: the visible ones plus the overscan, and the one that has the
 * keyboard focus wherever it is (so scrolling never takes the focus away).
 * Pure, so the window is tested without a layout engine.
 */
export function stepWindow(count: number, scrollTop: number, focused: number | null): number[] {
  const visible = Math.min(count, STEP_LIST_ROWS);
  const top = Math.max(0, Math.min(scrollTop, (count - visible) * STEP_ROW_PX));
  const first = Math.max(0, Math.floor(top / STEP_ROW_PX) - STEP_OVERSCAN);
  const last = Math.min(count, Math.ceil(top / STEP_ROW_PX) + visible + STEP_OVERSCAN);
  const rows: number[] = [];
  if (focused !== null && focused < first) rows.push(focused);
  for (let i = first; i < last; i++) rows.push(i);
  if (focused !== null && focused >= last && focused < count) rows.push(focused);
  return rows;
}

/**
 * The steps as a windowed list (issue 16: a row per step made a
 * 10,000-step scenario take 11.5 s to open the editor). It scrolls in its own
 * box of at most STEP_LIST_ROWS rows; only the rows in view (plus overscan)
 * are in the DOM, each placed at its own offset in a spacer as tall as every
 * row together, so the DOM does not grow with the step count. Rows stay in
 * index order in the DOM, so Tab walks the steps in order (the browser
 * scrolls the next one into view, which draws the ones after it).
 */
function StepList({ count, renderRow }: { count: number; renderRow: (i: number) => ReactNode }) {
  const box = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [focused, setFocused] = useState<number | null>(null);
  // One step added at the end (Add step, or a page clicked in the tables): show it.
  const prevCount = useRef(count);
  useLayoutEffect(() => {
    const el = box.current;
    if (el && count === prevCount.current + 1) {
      el.scrollTop = count * STEP_ROW_PX;
      setScrollTop(el.scrollTop);
    }
    prevCount.current = count;
  }, [count]);
  const rowOf = (t: EventTarget | null) => {
    const li = t instanceof Element ? t.closest<HTMLElement>('[data-index]') : null;
    return li ? Number(li.dataset.index) : null;
  };
  return (
    <div
      ref={box}
      className="step-list"
      data-testid="step-list"
      style={{ height: `${Math.min(count, STEP_LIST_ROWS) * STEP_ROW_PX}px` }}
      onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
      onFocus={(e) => setFocused(rowOf(e.target))}
      onBlur={(e) => {
        if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setFocused(null);
      }}
    >
      <ol className="form-steps" style={{ height: `${count * STEP_ROW_PX}px` }}>
        {stepWindow(count, scrollTop, focused).map((i) => (
          <li key={i} className="step-row" data-testid="step-row" data-index={i} aria-setsize={count} aria-posinset={i + 1} style={{ top: `${i * STEP_ROW_PX}px` }}>
            {renderRow(i)}
          </li>
        ))}
      </ol>
    </div>
  );
}

export function ScenarioForm({ doc, onChange }: { doc: Doc; onChange: (d: Doc) => void }) {
  const guest = obj(doc.guest);
  const host = obj(doc.host);
  const steps = arr(doc.steps);
  const mappings = arr(doc.mappings);
  const memory = arr(doc.memory);
  const set = (patch: Obj) => onChange({ ...doc, ...patch });
  const setGuest = (patch: Obj) => set({ guest: { ...guest, ...patch } });
  const setGuestSub = (key: 'cr0' | 'cr4' | 'efer', k: string, v: boolean) => setGuest({ [key]: { ...obj(guest[key]), [k]: v } });
  const setStep = (i: number, s: Obj | null) => {
    const next = [...steps];
    if (s) next[i] = s;
    else next.splice(i, 1);
    set({ steps: next });
  };
  const moveStep = (i: number, d: number) => {
    const j = i + d;
    if (j < 0 || j >= steps.length) return;
    const next = [...steps];
    [next[i], next[j]] = [next[j]!, next[i]!];
    set({ steps: next });
  };
  const setMapping = (i: number, m: Obj | null) => {
    const next = [...mappings];
    if (m) next[i] = m;
    else next.splice(i, 1);
    set({ mappings: next.length ? next : undefined });
  };
  const bool = (v: unknown, dflt: boolean) => (typeof v === 'boolean' ? v : dflt);
  return (
    <div className="form" data-testid="scenario-form">
      <fieldset>
        <legend>Guest</legend>
        <Field label="title">
          <input value={str(doc.title)} onChange={(e) => set({ title: e.target.value })} />
        </Field>
        <Field label="mode">
          <select value={str(guest.mode) || 'x86-32'} onChange={(e) => setGuest({ mode: e.target.value })}>
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
      <fieldset>
        <legend>Mappings (build the tables for you)</legend>
        {mappings.map((m, i) => (
          <div key={i} className="form-row" data-testid="mapping-row">
            <input aria-label={`mapping ${i} gva`} value={str(m.gva)} onChange={(e) => setMapping(i, { ...m, gva: e.target.value })} placeholder="gva" />
            <input aria-label={`mapping ${i} gpa`} value={str(m.gpa)} onChange={(e) => setMapping(i, { ...m, gpa: e.target.value })} placeholder="gpa" />
            <select aria-label={`mapping ${i} size`} value={str(m.size) || '4K'} onChange={(e) => setMapping(i, { ...m, size: e.target.value })}>
              {['4K', '2M', '4M', '1G'].map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
            <input aria-label={`mapping ${i} flags`} value={str(m.flags)} onChange={(e) => setMapping(i, { ...m, flags: e.target.value })} placeholder="rwu" size={5} />
            <label className="ctl">
              <input type="checkbox" checked={bool(m.dirty, false)} onChange={(e) => setMapping(i, { ...m, dirty: e.target.checked })} /> D
            </label>
            <button type="button" className="btn" onClick={() => setMapping(i, null)} aria-label={`Delete mapping ${i}`}>
              ✕
            </button>
          </div>
        ))}
        <button type="button" className="btn" onClick={() => set({ mappings: [...mappings, { gva: '0x400000', gpa: '0x10000', flags: 'rw' }] })}>
          Add mapping
        </button>
      </fieldset>
      <fieldset>
        <legend>Raw table entries ({memory.length} frames)</legend>
        {memory.map((f, i) => (
          <div key={i} className="form-row">
            <span className="font-mono text-xs">frame {str(f.gpa)}</span>
            <input
              aria-label={`frame ${i} entries`}
              className="grow"
              value={Object.entries(obj(f.entries))
                .map(([k, v]) => `${k}=${str(v)}`)
                .join(' ')}
              onChange={(e) => {
                const entries: Obj = {};
                for (const part of e.target.value.split(/\s+/)) {
                  const [k, v] = part.split('=');
                  if (k && v !== undefined) entries[k] = v;
                }
                const next = [...memory];
                next[i] = { ...f, entries };
                set({ memory: next });
              }}
            />
          </div>
        ))}
        <button type="button" className="btn" onClick={() => set({ memory: [...memory, { gpa: `0x${(0x200000 + memory.length * 0x1000).toString(16)}`, entries: {} }] })}>
          Add frame
        </button>
      </fieldset>
      <fieldset>
        <legend>Steps ({steps.length})</legend>
        <StepList
          count={steps.length}
          renderRow={(i) => {
            const s = steps[i]!;
            const op = str(s.op) || 'read';
            return (
              <>
                <span className="step-num" aria-hidden="true">
                  {i + 1}
                </span>
                <select aria-label={`step ${i + 1} operation`} value={op} onChange={(e) => setStep(i, freshStep(e.target.value, s, str(guest.cr3)))}>
                  {OPS.map((o) => (
                    <option key={o}>{o}</option>
                  ))}
                </select>
                <span className="step-btns">
                  <button type="button" className="btn" onClick={() => moveStep(i, -1)} aria-label={`Move step ${i + 1} up`}>
                    ↑
                  </button>
                  <button type="button" className="btn" onClick={() => moveStep(i, 1)} aria-label={`Move step ${i + 1} down`}>
                    ↓
                  </button>
                  <button type="button" className="btn" onClick={() => setStep(i, null)} aria-label={`Delete step ${i + 1}`}>
                    ✕
                  </button>
                </span>
                <span className="step-fields">
                  {'gva' in s && (
                    <label className="step-field">
                      <span aria-hidden="true">gva</span>
                      <input aria-label={`step ${i + 1} gva`} value={str(s.gva)} onChange={(e) => setStep(i, { ...s, gva: e.target.value })} />
                    </label>
                  )}
                  {op === 'host-write' && (
                    <label className="step-field">
                      <span aria-hidden="true">gpa</span>
                      <input aria-label={`step ${i + 1} gpa`} value={str(s.gpa)} onChange={(e) => setStep(i, { ...s, gpa: e.target.value })} />
                    </label>
                  )}
                  {(op === 'cr3' || op === 'write' || op === 'host-write') && (
                    <label className="step-field">
                      <span aria-hidden="true">value</span>
                      <input aria-label={`step ${i + 1} value`} value={str(s.value)} onChange={(e) => setStep(i, { ...s, value: e.target.value || undefined })} />
                    </label>
                  )}
                  {(op === 'read' || op === 'write' || op === 'fetch') && (
                    <label className="ctl">
                      <input type="checkbox" checked={bool(s.user, false)} onChange={(e) => setStep(i, { ...s, user: e.target.checked })} /> user
                    </label>
                  )}
                </span>
              </>
            );
          }}
        />
        <button type="button" className="btn" onClick={() => set({ steps: [...steps, { op: 'read', gva: '0x0' }] })}>
          Add step
        </button>
        <p className="text-xs opacity-80">Tip: with the editor open, click a page entry in the guest tables to add a read of that address.</p>
      </fieldset>
    </div>
  );
}
