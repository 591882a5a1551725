// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { App } from '../App.tsx';
import { useStore } from '../store/index.ts';
import { listSaved } from '../storage.ts';

beforeEach(() => {
  vi.useFakeTimers();
  window.localStorage.clear();
  useStore.setState({ editorOpen: true, step: 0 });
});
afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

const type = (text: string) => {
  act(() => {
    fireEvent.change(screen.getByTestId('editor-text'), { target: { value: text } });
  });
  act(() => {
    vi.advanceTimersByTime(400);
  });
};

describe('scenario editor', () => {
  it('shows an invalid scenario\'s error, naming the field, and keeps the last valid scenario on screen', () => {
    render(<App />);
    const before = useStore.getState().scenario;
    type('{ "format": "shadowpaging/v1", "title": "x", "guest": { "mode": "x86-32", "cr3": "0x1000" }, "steps": [ { "op": "read", "gva": "nope" } ] }');
    expect(screen.getByTestId('editor-status').textContent).toMatch(/^steps\[0\]\.gva: /);
    expect(useStore.getState().scenario).toBe(before);
  });
  it('puts a valid scenario on screen as you type, and saves it to My scenarios', () => {
    render(<App />);
    type(JSON.stringify({ format: 'shadowpaging/v1', title: 'Mine', guest: { mode: 'off' }, steps: [{ op: 'read', gva: '0x1000' }] }));
    expect(useStore.getState().scenario.title).toBe('Mine');
    expect(screen.getByTestId('editor-status').textContent).toContain('Valid');
    act(() => {
      fireEvent.click(screen.getByTestId('editor-save'));
    });
    expect(listSaved().map((s) => s.title)).toEqual(['Mine']);
    expect(screen.getByTestId('my-scenarios').textContent).toContain('Mine');
  });
  it('edits as a form: adding a step, and a page clicked in the tables becomes a read step', () => {
    render(<App />);
    const n = useStore.getState().scenario.steps.length;
    act(() => {
      fireEvent.click(screen.getByText('Add read'));
    });
    act(() => {
      fireEvent.change(screen.getByLabelText(`step ${n + 1} gva`), { target: { value: '0x1000' } });
    });
    act(() => {
      vi.advanceTimersByTime(400);
    });
    expect(useStore.getState().scenario.steps.length).toBe(n + 1);
    act(() => {
      useStore.getState().addAccess('0x5000');
    });
    act(() => {
      vi.advanceTimersByTime(400);
    });
    const steps = useStore.getState().scenario.steps;
    expect(steps.length).toBe(n + 2);
    expect(steps[steps.length - 1]).toMatchObject({ op: 'read', gva: 0x5000 });
  });
  it('survives junk in browser storage', () => {
    window.localStorage.setItem('shadowpaging:my-scenarios:v1', '{not json');
    render(<App />);
    expect(screen.getByTestId('editor')).toBeTruthy();
    expect(listSaved()).toEqual([]);
  });
});

describe('the editor refuses input it must not hold, and keeps what it had', () => {
  const minimal = (steps: number) =>
    JSON.stringify({ format: 'shadowpaging/v1', title: 'Many', guest: { mode: 'off' }, steps: Array.from({ length: steps }, () => ({ op: 'read', gva: '0x1000' })) });
  const fileInput = () => screen.getByLabelText('Import a scenario file');
  const textarea = () => screen.getByTestId('editor-text') as HTMLTextAreaElement;
  const importFile = async (f: File) => {
    await act(async () => {
      fireEvent.change(fileInput(), { target: { files: [f] } });
      await Promise.resolve();
    });
    // readScenarioFile awaits arrayBuffer(); let it settle.
    await act(async () => {
      for (let i = 0; i < 5; i++) await Promise.resolve();
    });
  };
  const refusal = () => screen.queryByTestId('editor-refusal')?.textContent ?? '';

  it('refuses a file over the size limit from File.size alone, without reading it', async () => {
    render(<App />);
    const before = textarea().value;
    const text = vi.fn(() => Promise.resolve(''));
    const arrayBuffer = vi.fn(() => Promise.resolve(new ArrayBuffer(0)));
    const stream = vi.fn();
    const slice = vi.fn();
    const huge = { name: 'huge.json', size: 5_242_880, type: 'application/json', text, arrayBuffer, stream, slice } as unknown as File;
    await importFile(huge);
    expect(refusal()).toContain('huge.json');
    expect(refusal()).toContain('5,242,880 bytes');
    expect(refusal()).toContain('2,000,000 bytes');
    expect(text).not.toHaveBeenCalled();
    expect(arrayBuffer).not.toHaveBeenCalled();
    expect(stream).not.toHaveBeenCalled();
    expect(slice).not.toHaveBeenCalled();
    expect(textarea().value).toBe(before);
  });
  it('refuses invalid UTF-8, naming the file and the byte offset, instead of taking U+FFFD', async () => {
    render(<App />);
    const before = textarea().value;
    const good = new TextEncoder().encode('{ "title": "caf\u00e9 ');
    const bytes = new Uint8Array([...good, 0xff, ...new TextEncoder().encode('" }')]);
    await importFile(new File([bytes], 'latin1.json'));
    expect(refusal()).toContain('latin1.json');
    expect(refusal()).toContain('not valid UTF-8');
    expect(refusal()).toContain(`byte offset ${good.length} `);
    expect(refusal()).toContain('0xff');
    expect(textarea().value).toBe(before);
    expect(textarea().value).not.toContain('\ufffd');
  });
  it('refuses a file with more steps than a scenario may have, naming its count, before the form draws it', async () => {
    render(<App />);
    const before = textarea().value;
    await importFile(new File([minimal(10_001)], 'long.json'));
    expect(refusal()).toContain('long.json has 10,001 steps');
    expect(refusal()).toContain('at most 10,000');
    expect(textarea().value).toBe(before);
    expect(screen.queryByText('Imported long.json.')).toBeNull();
  });
  it('still imports a valid UTF-8 file (a BOM and non-ASCII text) at the step limit', async () => {
    render(<App />);
    const doc = JSON.stringify({ format: 'shadowpaging/v1', title: 'Caf\u00e9 \u{1f600}', guest: { mode: 'off' }, steps: [{ op: 'read', gva: '0x1000' }] });
    await importFile(new File([new Uint8Array([0xef, 0xbb, 0xbf]), doc], 'ok.json'));
    expect(refusal()).toBe('');
    expect(textarea().value).toBe(doc);
    expect(screen.getByTestId('editor-message').textContent).toBe('Imported ok.json.');
    // In the JSON view, so the form (not what this test is about) does not draw 10,000 rows.
    act(() => {
      fireEvent.click(screen.getByTestId('tab-json'));
    });
    await importFile(new File([minimal(10_000)], 'max.json'));
    expect(refusal()).toBe('');
    expect(textarea().value).toBe(minimal(10_000));
  });
  it('refuses an oversized paste whole (never cut) and keeps the old text', () => {
    render(<App />);
    const before = textarea().value;
    const big = 'x'.repeat(5_000_000);
    const ev = fireEvent.paste(textarea(), { clipboardData: { getData: () => big } });
    expect(ev).toBe(false); // default prevented: the browser inserts nothing
    expect(refusal()).toMatch(/With that paste \(5,000,000 characters\), the text is 5,\d{3},\d{3} characters; the editor holds at most 1,000,000/);
    expect(textarea().value).toBe(before);
    // The same text arriving as a change (a drop, or a browser that skipped the paste event) is refused too.
    act(() => {
      fireEvent.change(textarea(), { target: { value: big } });
    });
    expect(refusal()).toContain('The text is 5,000,000 characters');
    expect(textarea().value).toBe(before);
    expect(screen.getByTestId('editor-refusal').className).toContain('editor-error');
  });
  it('refuses a pasted document over the step limit, naming the count; the next accepted edit clears the notice', () => {
    render(<App />);
    const before = textarea().value;
    act(() => {
      fireEvent.change(textarea(), { target: { value: minimal(12_345) } });
    });
    expect(refusal()).toContain('12,345 steps');
    expect(textarea().value).toBe(before);
    const ok = minimal(3);
    const ev = fireEvent.paste(textarea(), { clipboardData: { getData: () => ok } });
    expect(ev).toBe(true);
    type(ok);
    expect(refusal()).toBe('');
    expect(textarea().value).toBe(ok);
  });
});
