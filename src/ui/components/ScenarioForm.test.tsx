// @vitest-environment jsdom
/**
 * The editor's step list at any length (issue 16): only the rows in view plus
 * a small overscan are drawn, so a 10,000-step scenario opens with a bounded
 * DOM; scrolling draws the rows there; the row being edited keeps the focus.
 */
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { useState } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { ScenarioForm, STEP_LINE_PX, STEP_LIST_ROWS, STEP_ROW_PX, STEP_ROW_TALL_PX, stepOffsets, stepWindow } from './ScenarioForm.tsx';

afterEach(cleanup);

type Doc = Record<string, unknown>;
const scenario = (n: number): Doc => ({
  format: 'shadowpaging/v1',
  title: `${n} steps`,
  guest: { mode: 'x86-32', cr3: '0x1000' },
  steps: Array.from({ length: n }, (_, i) => ({ op: i % 2 ? 'write' : 'read', gva: `0x${(i * 0x1000).toString(16)}`, ...(i % 2 ? { value: '0x1' } : {}) })),
});

/** The form over a document kept in state, as the editor does; `last` is told every change. */
function Host({ initial, last }: { initial: Doc; last?: (d: Doc) => void }) {
  const [doc, setDoc] = useState(initial);
  return (
    <ScenarioForm
      doc={doc}
      onChange={(d) => {
        last?.(d);
        setDoc(d);
      }}
    />
  );
}

const rows = () => screen.getAllByTestId('step-row');
const scrollTo = (top: number) => {
  const list = screen.getByTestId('step-list');
  act(() => {
    list.scrollTop = top;
    fireEvent.scroll(list);
  });
};

describe('the step list, windowed', () => {
  it('draws a bounded number of rows for 10,000 steps, and the rows where it is scrolled', () => {
    render(<Host initial={scenario(10_000)}  />);
    expect(rows().length).toBeLessThan(60);
    expect(screen.getByLabelText('step 1 gva')).toBeTruthy();
    expect(screen.queryByLabelText('step 5000 gva')).toBeNull();
    // The spacer is as tall as every row together, so the scroll bar is honest.
    // Reads are three lines, writes four (their gva and value each get a line; every row has a note line).
    const rowsPx = 5000 * STEP_ROW_PX + 5000 * STEP_ROW_TALL_PX;
    expect(screen.getByTestId('step-list').querySelector('ol')!.style.height).toBe(`${rowsPx}px`);
    scrollTo(2499 * (STEP_ROW_PX + STEP_ROW_TALL_PX) + STEP_ROW_PX);
    expect(rows().length).toBeLessThan(60);
    expect(screen.getByLabelText('step 5000 gva')).toHaveProperty('value', '0x1387000');
    expect(screen.queryByLabelText('step 1 gva')).toBeNull();
    scrollTo(rowsPx);
    expect(rows().length).toBeLessThan(60);
    const last = rows().at(-1)!;
    expect(last.getAttribute('aria-posinset')).toBe('10000');
    expect(last.getAttribute('aria-setsize')).toBe('10000');
    expect(last.style.top).toBe(`${rowsPx - STEP_ROW_TALL_PX}px`);
    expect(last.style.height).toBe(`${STEP_ROW_TALL_PX}px`);
  });

  it('edits, reorders and deletes a step far down the list', () => {
    const seen: { doc: Doc | null } = { doc: null };
    render(<Host initial={scenario(3000)} last={(d) => (seen.doc = d)} />);
    scrollTo(1497 * (STEP_ROW_PX + STEP_ROW_TALL_PX));
    fireEvent.change(screen.getByLabelText('step 3000 value'), { target: { value: '0x42' } });
    expect((seen.doc!.steps as Doc[])[2999]).toEqual({ op: 'write', gva: '0xbb7000', value: '0x42' });
    fireEvent.click(screen.getByLabelText('Move step 3000 up'));
    expect((seen.doc!.steps as Doc[])[2998]).toMatchObject({ value: '0x42' });
    fireEvent.click(screen.getByLabelText('Delete step 2999'));
    expect((seen.doc!.steps as Doc[]).length).toBe(2999);
    expect((seen.doc!.steps as Doc[]).some((s) => s.value === '0x42')).toBe(false);
  });

  it('keeps the row being edited (and the focus in it) when it is scrolled out of view', () => {
    render(<Host initial={scenario(5000)}  />);
    const input = screen.getByLabelText('step 3 gva');
    act(() => input.focus());
    scrollTo(2000 * (STEP_ROW_PX + STEP_ROW_TALL_PX));
    expect(screen.getByLabelText('step 3 gva')).toBe(input);
    expect(document.activeElement).toBe(input);
    expect(screen.getByLabelText('step 4001 gva')).toBeTruthy();
    // Rows stay in index order in the DOM, so Tab walks the steps in order.
    const order = rows().map((r) => Number(r.dataset.index));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    act(() => input.blur());
    expect(screen.queryByLabelText('step 3 gva')).toBeNull();
  });

  it('Add read shows the new last step, an empty read, with the focus in its gva box', () => {
    const seen: { doc: Doc | null } = { doc: null };
    render(<Host initial={scenario(500)} last={(d) => (seen.doc = d)} />);
    fireEvent.click(screen.getByText('Add read'));
    expect((seen.doc!.steps as Doc[]).length).toBe(501);
    expect((seen.doc!.steps as Doc[])[500]).toEqual({ op: 'read', gva: '' });
    const gva = screen.getByLabelText('step 501 gva');
    expect(document.activeElement).toBe(gva);
    // Typing the address is the one field entry left.
    fireEvent.change(gva, { target: { value: '0xC0000000' } });
    expect((seen.doc!.steps as Doc[])[500]).toEqual({ op: 'read', gva: '0xC0000000' });
    expect(document.activeElement).toBe(screen.getByLabelText('step 501 gva'));
  });

  it('Add write and Add fetch add those operations with the focus in the gva box; a write has a value box', () => {
    const seen: { doc: Doc | null } = { doc: null };
    render(<Host initial={scenario(0)} last={(d) => (seen.doc = d)} />);
    fireEvent.click(screen.getByText('Add write'));
    expect(document.activeElement).toBe(screen.getByLabelText('step 1 gva'));
    fireEvent.change(screen.getByLabelText('step 1 value'), { target: { value: '0x42' } });
    fireEvent.click(screen.getByText('Add fetch'));
    expect(document.activeElement).toBe(screen.getByLabelText('step 2 gva'));
    expect(seen.doc!.steps).toEqual([
      { op: 'write', gva: '', value: '0x42' },
      { op: 'fetch', gva: '' },
    ]);
    // An emptied write value removes the key: the value is optional.
    fireEvent.change(screen.getByLabelText('step 1 value'), { target: { value: '' } });
    expect((seen.doc!.steps as Doc[])[0]).toEqual({ op: 'write', gva: '' });
  });

  it('the window: visible rows plus overscan, clamped, and the focused row wherever it is', () => {
    const reads = (n: number) => stepOffsets(Array.from({ length: n }, () => ({ op: 'read' })));
    expect(stepWindow(reads(0), 0, null)).toEqual([]);
    expect(stepWindow(reads(3), 0, null)).toEqual([0, 1, 2]);
    const w = stepWindow(reads(10_000), 100 * STEP_ROW_PX, 7);
    expect(w[0]).toBe(7);
    expect(w).toContain(100);
    expect(w).toContain(100 + STEP_LIST_ROWS - 1);
    expect(w.length).toBeLessThan(STEP_LIST_ROWS + 12 + 1);
    // Scrolled past the end (the list just shrank): the last rows, not nothing.
    expect(stepWindow(reads(20), 1e9, null).at(-1)).toBe(19);
    expect(stepWindow(reads(20), 1e9, 99)).not.toContain(99);
  });

  it('offsets: a write or host-write row is four lines, cr4 five, others three (the last line is the note); the window covers the rows in view', () => {
    const steps = [{ op: 'read' }, { op: 'write' }, { op: 'host-write' }, { op: 'cr3' }, { op: 'zap-all' }, { op: 'cr4' }, { op: 'cr0' }];
    expect(stepOffsets(steps)).toEqual([0, 84, 196, 308, 392, 476, 616, 700]);
    const many = Array.from({ length: 1000 }, () => ({ op: 'write' }));
    const off = stepOffsets(many);
    // Scrolled to row 500's top: rows 500.. are visible (four tall rows fill the box), plus the overscan either side.
    const w = stepWindow(off, 500 * STEP_ROW_TALL_PX, null);
    expect(w).toContain(500);
    expect(w).toContain(503);
    expect(w[0]).toBe(495);
    expect(w.at(-1)).toBeLessThan(500 + 4 + 6);
  });
});

/** A form over `initial`; `doc()` is the document after the last change. */
function editing(initial: Doc) {
  const seen: { doc: Doc } = { doc: initial };
  render(<Host initial={initial} last={(d) => (seen.doc = d)} />);
  return () => seen.doc;
}
const fill = (label: string, value: string) => fireEvent.change(screen.getByLabelText(label), { target: { value } });

describe('the form as a teacher uses it (issue 16)', () => {
  const base = (): Doc => ({ format: 'shadowpaging/v1', title: 'Untitled scenario', guest: { mode: 'x86-32', cr3: '0x1000' }, mappings: [], steps: [] });

  it('title and description are labelled fields at the top; an emptied description removes the key', () => {
    const doc = editing(base());
    const title = screen.getByLabelText('Title');
    const description = screen.getByLabelText(/^Description/);
    expect(description.tagName).toBe('TEXTAREA');
    // Before every other field of the form.
    const fields = [...screen.getByTestId('scenario-form').querySelectorAll('input, textarea, select')];
    expect(fields.indexOf(title)).toBe(0);
    expect(fields.indexOf(description)).toBe(1);
    fireEvent.change(title, { target: { value: 'Two mappings' } });
    expect(doc().title).toBe('Two mappings');
    fireEvent.change(description, { target: { value: 'Reads and a write.' } });
    expect(doc().description).toBe('Reads and a write.');
    // A new description goes right after the title in the JSON.
    expect(Object.keys(doc()).slice(0, 3)).toEqual(['format', 'title', 'description']);
    fireEvent.change(description, { target: { value: '' } });
    expect('description' in doc()).toBe(false);
  });

  it('a mapping is two field entries: the empty last row becomes mapping 1 as you type, keeping the focus, and a new empty row follows', () => {
    const doc = editing(base());
    expect(screen.queryAllByTestId('mapping-row')).toHaveLength(0);
    const gva = screen.getByLabelText('new mapping gva');
    act(() => gva.focus());
    fireEvent.change(gva, { target: { value: '0xC0000000' } });
    // Until the gpa is typed it is absent (the parser says "missing"), not "".
    expect(doc().mappings).toEqual([{ gva: '0xC0000000', flags: 'rw' }]);
    // The same input, now mapping 1's, still has the focus.
    expect(screen.getByLabelText('mapping 1 gva')).toBe(gva);
    expect(document.activeElement).toBe(gva);
    fill('mapping 1 gpa', '0x123000');
    fill('new mapping gva', '0x00400000');
    fill('mapping 2 gpa', '0x200000');
    expect(doc().mappings).toEqual([
      { gva: '0xC0000000', gpa: '0x123000', flags: 'rw' },
      { gva: '0x00400000', gpa: '0x200000', flags: 'rw' },
    ]);
    expect(screen.getAllByTestId('mapping-row')).toHaveLength(2);
    expect(screen.getAllByTestId('mapping-new')).toHaveLength(1);
    // The JSON keeps the schema's key order whichever box was typed first.
    fill('new mapping gpa', '0x300000');
    fill('mapping 3 gva', '0x1000');
    expect(Object.keys((doc().mappings as Doc[])[2]!)).toEqual(['gva', 'gpa', 'flags']);
  });

  it('a character typed in the empty row and erased leaves no empty mapping behind (and keeps the focus)', () => {
    const doc = editing(base());
    const gva = screen.getByLabelText('new mapping gva');
    act(() => gva.focus());
    fireEvent.change(gva, { target: { value: '0' } });
    expect(doc().mappings).toEqual([{ gva: '0', flags: 'rw' }]);
    fireEvent.change(gva, { target: { value: '' } });
    expect('mappings' in doc()).toBe(false);
    expect(screen.getByLabelText('new mapping gva')).toBe(gva);
    expect(document.activeElement).toBe(gva);
    expect(screen.queryAllByTestId('mapping-row')).toHaveLength(0);
    // A mapping with a choice made (not writable) stays even with both boxes empty.
    fireEvent.change(gva, { target: { value: '0x1000' } });
    fireEvent.click(screen.getByLabelText('mapping 1 writable'));
    fill('mapping 1 gva', '');
    expect(doc().mappings).toEqual([{ flags: 'r' }]);
  });

  it('a mapping\'s flags, size and steps: writable and user boxes edit the flags; + read / + write add steps at its gva', () => {
    const doc = editing({ ...base(), mappings: [{ gva: '0xC0000000', gpa: '0x123000', flags: 'rw' }] });
    fireEvent.click(screen.getByLabelText('mapping 1 user'));
    expect((doc().mappings as Doc[])[0]!.flags).toBe('rwu');
    fireEvent.click(screen.getByLabelText('mapping 1 writable'));
    expect((doc().mappings as Doc[])[0]!.flags).toBe('ru');
    fireEvent.change(screen.getByLabelText('mapping 1 size'), { target: { value: '4M' } });
    expect((doc().mappings as Doc[])[0]!.size).toBe('4M');
    fireEvent.change(screen.getByLabelText('mapping 1 size'), { target: { value: '4K' } });
    expect('size' in (doc().mappings as Doc[])[0]!).toBe(false);
    fireEvent.click(screen.getByLabelText("Add a read of mapping 1's gva"));
    fireEvent.click(screen.getByLabelText("Add a write to mapping 1's gva"));
    expect(doc().steps).toEqual([
      { op: 'read', gva: '0xC0000000' },
      { op: 'write', gva: '0xC0000000' },
    ]);
  });

  it('deletes a mapping; deleting the last one removes the key', () => {
    const doc = editing({
      ...base(),
      mappings: [
        { gva: '0x1000', gpa: '0x5000', flags: 'r' },
        { gva: '0x2000', gpa: '0x6000', flags: 'rw' },
      ],
    });
    fireEvent.click(screen.getByLabelText('Delete mapping 1'));
    expect(doc().mappings).toEqual([{ gva: '0x2000', gpa: '0x6000', flags: 'rw' }]);
    fireEvent.click(screen.getByLabelText('Delete mapping 1'));
    expect('mappings' in doc()).toBe(false);
    expect(screen.getByLabelText('new mapping gva')).toBeTruthy();
  });

  it('frames: a delete button per frame; the gpa is a labelled box; deleting the last frame removes the key', () => {
    const doc = editing({
      ...base(),
      memory: [
        { gpa: '0x1000', entries: { '768': '0x2027' } },
        { gpa: '0x2000', entries: { '0': '0x5007' } },
      ],
    });
    expect(screen.getAllByTestId('frame-row')).toHaveLength(2);
    fill('frame 2 gpa', '0x3000');
    expect((doc().memory as Doc[])[1]).toEqual({ gpa: '0x3000', entries: { '0': '0x5007' } });
    fireEvent.click(screen.getByLabelText('Delete frame 1'));
    expect(doc().memory).toEqual([{ gpa: '0x3000', entries: { '0': '0x5007' } }]);
    expect(screen.getAllByTestId('frame-row')).toHaveLength(1);
    fireEvent.click(screen.getByLabelText('Delete frame 1'));
    expect('memory' in doc()).toBe(false);
    expect(screen.queryAllByTestId('frame-row')).toHaveLength(0);
  });

  it('every address box keeps a visible label once filled (no placeholder standing in for it)', () => {
    editing({
      ...base(),
      memory: [{ gpa: '0x2000', entries: { '0': '0x5007' } }],
      mappings: [{ gva: '0xC0000000', gpa: '0x123000', flags: 'rw' }],
      steps: [
        { op: 'write', gva: '0xC0000000', value: '0x1' },
        { op: 'host-write', gpa: '0x123000', value: '0x7' },
        { op: 'cr3', value: '0x1000' },
      ],
    });
    const boxes = ['mapping 1 gva', 'mapping 1 gpa', 'frame 1 gpa', 'frame 1 entries', 'step 1 gva', 'step 1 value', 'step 2 gpa', 'step 2 value', 'step 3 value'];
    for (const name of boxes) {
      const input = screen.getByLabelText(name) as HTMLInputElement;
      expect(input.value, name).not.toBe('');
      expect(input.placeholder, name).toBe('');
      // The visible label is the word at the end of its accessible name, in the same <label>.
      const shown = input.closest('label')!.querySelector('span')!.textContent!;
      expect(name.endsWith(shown) || name.endsWith(shown.replace('frame ', '')), `${name} shows "${shown}"`).toBe(true);
    }
  });

  it('the issue\'s task takes ten form actions from the 32-bit template (title, two mappings, two reads, a write) and the result parses', async () => {
    const { EDITOR_TEMPLATES } = await import('../editor-templates.ts');
    const { parseScenario } = await import('../../scenarios/schema.ts');
    const doc = editing(EDITOR_TEMPLATES.find((t) => t.id === 'empty-32')!.doc());
    let actions = 2; // New, and the template picked (EditorPanel)
    const act1 = (f: () => void) => {
      f();
      actions++;
    };
    act1(() => fill('Title', 'Two mappings'));
    act1(() => fill('new mapping gva', '0xC0000000'));
    act1(() => fill('mapping 1 gpa', '0x123000'));
    act1(() => fill('new mapping gva', '0x00400000'));
    act1(() => fill('mapping 2 gpa', '0x200000'));
    act1(() => fireEvent.click(screen.getByLabelText("Add a read of mapping 1's gva")));
    act1(() => fireEvent.click(screen.getByLabelText("Add a read of mapping 2's gva")));
    act1(() => fireEvent.click(screen.getByLabelText("Add a write to mapping 1's gva")));
    expect(actions).toBe(10);
    const r = parseScenario(doc());
    if (!r.ok) throw new Error(`${r.error.path}: ${r.error.message}`);
    expect(r.warnings).toEqual([]);
    expect(r.scenario.title).toBe('Two mappings');
    expect(r.scenario.steps.map((s) => s.op)).toEqual(['read', 'read', 'write']);
  });
});

describe('mappings and the guest mode', () => {
  it('paging off: no mapping rows to fill, but mappings left from a paging mode are listed to delete', () => {
    const doc = editing({ format: 'shadowpaging/v1', title: 't', guest: { mode: 'off' }, steps: [] });
    expect(screen.queryByTestId('form-mappings')).toBeNull();
    cleanup();
    const doc2 = editing({ format: 'shadowpaging/v1', title: 't', guest: { mode: 'off' }, mappings: [{ gva: '0x1000', gpa: '0x2000', flags: 'r' }], steps: [] });
    expect(screen.getAllByTestId('mapping-row')).toHaveLength(1);
    expect(screen.queryByTestId('mapping-new')).toBeNull();
    fireEvent.click(screen.getByLabelText('Delete mapping 1'));
    expect('mappings' in doc2()).toBe(false);
    expect(screen.queryByTestId('form-mappings')).toBeNull();
    expect(doc().guest).toEqual({ mode: 'off' });
  });

  it('the size choices follow the mode: 4M in x86-32, 2M in pae, 2M and 1G in x86-64; NX only where tables have it', () => {
    const sizes = () => [...(screen.getByLabelText('mapping 1 size') as HTMLSelectElement).options].map((o) => o.value);
    const m = [{ gva: '0x0', gpa: '0x0', flags: 'r' }];
    const doc = editing({ format: 'shadowpaging/v1', title: 't', guest: { mode: 'x86-32', cr3: '0x1000' }, mappings: m, steps: [] });
    expect(sizes()).toEqual(['4K', '4M']);
    expect(screen.queryByLabelText('mapping 1 NX (no-execute)')).toBeNull();
    fireEvent.change(screen.getByLabelText('mode'), { target: { value: 'pae' } });
    expect(sizes()).toEqual(['4K', '2M']);
    fireEvent.click(screen.getByLabelText('mapping 1 NX (no-execute)'));
    expect((doc().mappings as Doc[])[0]!.nx).toBe(true);
    fireEvent.change(screen.getByLabelText('mode'), { target: { value: 'x86-64' } });
    expect(sizes()).toEqual(['4K', '2M', '1G']);
  });
});

describe('long lists of mappings and frames', () => {
  it('draws at most FORM_ROWS_SHOWN mappings and frames, says how many more there are, and offers no add row past it', async () => {
    const { FORM_ROWS_SHOWN } = await import('./ScenarioForm.tsx');
    const n = FORM_ROWS_SHOWN + 50;
    editing({
      format: 'shadowpaging/v1',
      title: 't',
      guest: { mode: 'x86-64', cr3: '0x1000' },
      memory: Array.from({ length: n }, (_, i) => ({ gpa: `0x${(0x400000 + i * 0x1000).toString(16)}`, entries: { '0': '0x7' } })),
      mappings: Array.from({ length: n }, (_, i) => ({ gva: `0x${(i * 0x1000).toString(16)}`, gpa: '0x5000', flags: 'r' })),
      steps: [],
    });
    expect(screen.getAllByTestId('mapping-row')).toHaveLength(FORM_ROWS_SHOWN);
    expect(screen.getAllByTestId('frame-row')).toHaveLength(FORM_ROWS_SHOWN);
    expect(screen.queryByTestId('mapping-new')).toBeNull();
    expect(screen.queryByText('Add frame')).toBeNull();
    expect(screen.getByTestId('more-mappings').textContent).toBe(`The form shows the first ${FORM_ROWS_SHOWN} of ${n} mappings; edit or add the others in the JSON view.`);
    expect(screen.getByTestId('more-frames').textContent).toContain(`of ${n} frames`);
  });
});

describe('control-register steps', () => {
  it('cr0, cr4 and efer steps show their bits, each "as is", 0 or 1; cr4 (five bits, two a line) has a five-line row', () => {
    const doc = editing({
      format: 'shadowpaging/v1',
      title: 't',
      guest: { mode: 'x86-32', cr3: '0x1000' },
      steps: [{ op: 'cr0', wp: false }, { op: 'cr4', smep: true }, { op: 'efer', nx: true }],
    });
    const v = (name: string) => (screen.getByLabelText(name) as HTMLSelectElement).value;
    expect([v('step 1 cr0.wp'), v('step 1 cr0.pg')]).toEqual(['0', '']);
    expect(['pse', 'pae', 'smep', 'smap', 'pcide'].map((b) => v(`step 2 cr4.${b}`))).toEqual(['', '', '1', '', '']);
    expect([v('step 3 efer.nx'), v('step 3 efer.lme')]).toEqual(['1', '']);
    fireEvent.change(screen.getByLabelText('step 1 cr0.pg'), { target: { value: '1' } });
    fireEvent.change(screen.getByLabelText('step 1 cr0.wp'), { target: { value: '' } });
    fireEvent.change(screen.getByLabelText('step 2 cr4.pae'), { target: { value: '0' } });
    expect(doc().steps).toEqual([{ op: 'cr0', pg: true }, { op: 'cr4', smep: true, pae: false }, { op: 'efer', nx: true }]);
    const heights = screen.getAllByTestId('step-row').map((r) => r.style.height);
    expect(heights).toEqual([`${STEP_ROW_PX}px`, `${5 * STEP_LINE_PX}px`, `${STEP_ROW_PX}px`]);
  });
});

describe('teacher notes in the form (issue 18)', () => {
  it('edits a step\'s note as its last key, keeps it when the operation changes, and removes it when emptied', () => {
    const doc = editing({
      format: 'shadowpaging/v1',
      title: 't',
      guest: { mode: 'x86-32', cr3: '0x1000' },
      steps: [{ op: 'read', gva: '0x1000' }],
    });
    const box = () => screen.getByLabelText('step 1 teacher note') as HTMLTextAreaElement;
    expect(box().value).toBe('');
    fireEvent.change(box(), { target: { value: 'First *look*.\n\nThen <b>this</b>.' } });
    expect(doc().steps).toEqual([{ op: 'read', gva: '0x1000', note: 'First *look*.\n\nThen <b>this</b>.' }]);
    fireEvent.click(screen.getByLabelText('step 1 user'));
    expect(Object.keys((doc().steps as Doc[])[0]!).at(-1)).toBe('note');
    fireEvent.change(screen.getByLabelText('step 1 operation'), { target: { value: 'invlpg' } });
    expect(doc().steps).toEqual([{ op: 'invlpg', gva: '0x1000', note: 'First *look*.\n\nThen <b>this</b>.' }]);
    fireEvent.change(box(), { target: { value: '' } });
    expect(doc().steps).toEqual([{ op: 'invlpg', gva: '0x1000' }]);
  });
});

describe('question picks in the form (issue 18)', () => {
  it('adds, orders, names a page and removes a step\'s questions, before its note, keeping them when the operation changes', () => {
    const doc = editing({
      format: 'shadowpaging/v1',
      title: 't',
      guest: { mode: 'x86-32', cr3: '0x1000' },
      steps: [{ op: 'read', gva: '0x1000', note: 'n' }],
    });
    const button = () => screen.getByTestId('step-1-questions');
    expect(button().getAttribute('aria-label')).toBe('Questions before step 1 (0)');
    fireEvent.click(button());
    const picker = screen.getByTestId('quiz-picker');
    expect(picker.getAttribute('role')).toBe('dialog');
    expect(screen.getByRole('heading', { name: 'Questions before step 1' })).toBe(document.activeElement);
    fireEvent.click(screen.getByTestId('quiz-pick-add'));
    fireEvent.change(screen.getByTestId('quiz-pick-kind'), { target: { value: 'quadrant-of' } });
    fireEvent.click(screen.getByTestId('quiz-pick-add'));
    expect((doc().steps as Doc[])[0]).toEqual({ op: 'read', gva: '0x1000', questions: [{ kind: 'outcome' }, { kind: 'quadrant-of' }], note: 'n' });
    fireEvent.change(screen.getByLabelText('question 2 guest frame (gfn)'), { target: { value: '0x101' } });
    fireEvent.change(screen.getByLabelText('question 2 level'), { target: { value: '1' } });
    fireEvent.click(screen.getByLabelText('Move question 2 up'));
    expect((doc().steps as Doc[])[0]!.questions).toEqual([{ kind: 'quadrant-of', gfn: '0x101', level: 1 }, { kind: 'outcome' }]);
    expect(Object.keys((doc().steps as Doc[])[0]!).at(-1)).toBe('note');
    expect(button().getAttribute('aria-label')).toBe('Questions before step 1 (2)');
    fireEvent.change(screen.getByLabelText('step 1 operation'), { target: { value: 'invlpg' } });
    expect((doc().steps as Doc[])[0]).toEqual({ op: 'invlpg', gva: '0x1000', questions: [{ kind: 'quadrant-of', gfn: '0x101', level: 1 }, { kind: 'outcome' }], note: 'n' });
    fireEvent.click(screen.getByLabelText('Remove question 1'));
    fireEvent.click(screen.getByLabelText('Remove question 1'));
    expect((doc().steps as Doc[])[0]).toEqual({ op: 'invlpg', gva: '0x1000', note: 'n' });
    fireEvent.keyDown(screen.getByTestId('quiz-picker'), { key: 'Escape' });
    expect(screen.queryByTestId('quiz-picker')).toBeNull();
    expect(document.activeElement).toBe(button());
  });
});
