// @vitest-environment jsdom
/**
 * The editor's step list at any length (issue 16): only the rows in view plus
 * a small overscan are drawn, so a 10,000-step scenario opens with a bounded
 * DOM; scrolling draws the rows there; the row being edited keeps the focus.
 */
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { useState } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { ScenarioForm, STEP_LIST_ROWS, STEP_ROW_PX, stepWindow } from './ScenarioForm.tsx';

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
    expect(screen.getByTestId('step-list').querySelector('ol')!.style.height).toBe(`${10_000 * STEP_ROW_PX}px`);
    scrollTo(4999 * STEP_ROW_PX);
    expect(rows().length).toBeLessThan(60);
    expect(screen.getByLabelText('step 5000 gva')).toHaveProperty('value', '0x1387000');
    expect(screen.queryByLabelText('step 1 gva')).toBeNull();
    scrollTo(10_000 * STEP_ROW_PX);
    expect(rows().length).toBeLessThan(60);
    const last = rows().at(-1)!;
    expect(last.getAttribute('aria-posinset')).toBe('10000');
    expect(last.getAttribute('aria-setsize')).toBe('10000');
    expect(last.style.top).toBe(`${9999 * STEP_ROW_PX}px`);
  });

  it('edits, reorders and deletes a step far down the list', () => {
    const seen: { doc: Doc | null } = { doc: null };
    render(<Host initial={scenario(3000)} last={(d) => (seen.doc = d)} />);
    scrollTo(2990 * STEP_ROW_PX);
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
    scrollTo(4000 * STEP_ROW_PX);
    expect(screen.getByLabelText('step 3 gva')).toBe(input);
    expect(document.activeElement).toBe(input);
    expect(screen.getByLabelText('step 4001 gva')).toBeTruthy();
    // Rows stay in index order in the DOM, so Tab walks the steps in order.
    const order = rows().map((r) => Number(r.dataset.index));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    act(() => input.blur());
    expect(screen.queryByLabelText('step 3 gva')).toBeNull();
  });

  it('Add step shows the new last step', () => {
    const seen: { doc: Doc | null } = { doc: null };
    render(<Host initial={scenario(500)} last={(d) => (seen.doc = d)} />);
    fireEvent.click(screen.getByText('Add step'));
    expect((seen.doc!.steps as Doc[]).length).toBe(501);
    expect(screen.getByLabelText('step 501 gva')).toBeTruthy();
  });

  it('the window: visible rows plus overscan, clamped, and the focused row wherever it is', () => {
    expect(stepWindow(0, 0, null)).toEqual([]);
    expect(stepWindow(3, 0, null)).toEqual([0, 1, 2]);
    const w = stepWindow(10_000, 100 * STEP_ROW_PX, 7);
    expect(w[0]).toBe(7);
    expect(w).toContain(100);
    expect(w).toContain(100 + STEP_LIST_ROWS - 1);
    expect(w.length).toBeLessThan(STEP_LIST_ROWS + 12 + 1);
    // Scrolled past the end (the list just shrank): the last rows, not nothing.
    expect(stepWindow(20, 1e9, null).at(-1)).toBe(19);
    expect(stepWindow(20, 1e9, 99)).not.toContain(99);
  });
});
