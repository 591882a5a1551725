// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { App } from '../App.tsx';
import { useStore } from '../store/index.ts';
import { records, resetRecords } from '../storage/index.ts';

const listSaved = () => records().list().saved;

beforeEach(() => {
  vi.useFakeTimers();
  window.localStorage.clear();
  window.sessionStorage.clear();
  resetRecords();
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
    // Not shown as "nothing saved", and kept as it was for the user to export or delete.
    expect(screen.getByTestId('unreadable').textContent).toContain('the old "My scenarios" list');
    expect(window.localStorage.getItem('shadowpaging:aside:my-scenarios-v1')).toBe('{not json');
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
  /** Lets timers run (a long file is read after a frame) until `check` passes. */
  const until = (check: () => void) =>
    vi.waitFor(async () => {
      await act(async () => {
        await new Promise((r) => setTimeout(r, 20));
      });
      check();
    });

  it('refuses a file over the size limit from File.size alone, without reading it', async () => {
    render(<App />);
    const before = textarea().value;
    const text = vi.fn(() => Promise.resolve(''));
    const arrayBuffer = vi.fn(() => Promise.resolve(new ArrayBuffer(0)));
    const stream = vi.fn();
    const slice = vi.fn();
    const huge = { name: 'huge.json', size: 201_326_593, type: 'application/json', text, arrayBuffer, stream, slice } as unknown as File;
    await importFile(huge);
    expect(refusal()).toContain('huge.json');
    expect(refusal()).toContain('201,326,593 bytes');
    expect(refusal()).toContain('201,326,592 bytes');
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
    await importFile(new File([JSON.stringify({ steps: new Array(1_000_001).fill(0) })], 'long.json'));
    expect(refusal()).toContain('long.json has 1,000,001 steps');
    expect(refusal()).toContain('at most 1,000,000');
    expect(textarea().value).toBe(before);
    expect(screen.queryByTestId('editor-message')).toBeNull();
  });
  it('still imports a valid UTF-8 file (a BOM and non-ASCII text) at the step limit', async () => {
    render(<App />);
    const doc = JSON.stringify({ format: 'shadowpaging/v1', title: 'Caf\u00e9 \u{1f600}', guest: { mode: 'off' }, steps: [{ op: 'read', gva: '0x1000' }] });
    await importFile(new File([new Uint8Array([0xef, 0xbb, 0xbf]), doc], 'ok.json'));
    expect(refusal()).toBe('');
    expect(textarea().value).toBe(doc);
    expect(screen.getByTestId('editor-message').textContent).toBe('Opened ok.json as a new document.');
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
  it('says it is reading a long file before the page reads it, then what it opened', async () => {
    render(<App />);
    const doc = `${minimal(3)}${' '.repeat(8_500_000)}`;
    act(() => {
      fireEvent.change(fileInput(), { target: { files: [new File([doc], 'long.json')] } });
    });
    // Shown before the file is read (and a frame painted with it).
    expect(screen.getByTestId('editor-message').textContent).toBe(`Reading long.json, 8.5 MB (${doc.length.toLocaleString('en-US')} bytes)…`);
    await until(() => expect(screen.getByTestId('editor-message').textContent).toBe('Opened long.json as a new document.'));
    expect(refusal()).toBe('');
  });
  it('opens a file longer than the editor edits as view-only, and says so', async () => {
    render(<App />);
    const doc = `${minimal(3)}${' '.repeat(1_000_000)}`;
    await importFile(new File([doc], 'big.json'));
    expect(refusal()).toBe('');
    expect(screen.getByTestId('editor-view-only').textContent).toContain(`${doc.length.toLocaleString('en-US')} characters`);
    expect(screen.getByTestId('editor-view-only').textContent).toContain('cannot be changed here or kept in this browser');
    // Neither the text nor the form is there to edit.
    expect(textarea().hidden).toBe(true);
    expect(screen.queryByTestId('scenario-form')).toBeNull();
  });
  it('refuses a text over the character limit of the editor, naming the count; the next accepted edit clears the notice', () => {
    render(<App />);
    const before = textarea().value;
    act(() => {
      fireEvent.change(textarea(), { target: { value: `${minimal(1)} ${' '.repeat(1_000_000)}` } });
    });
    expect(refusal()).toContain('characters; the editor holds at most 1,000,000');
    expect(textarea().value).toBe(before);
    const ok = minimal(3);
    const ev = fireEvent.paste(textarea(), { clipboardData: { getData: () => ok } });
    expect(ev).toBe(true);
    type(ok);
    expect(refusal()).toBe('');
    expect(textarea().value).toBe(ok);
  });
});

describe('the editor never loses a document', () => {
  const doc = (title: string, gva = '0x1000') => JSON.stringify({ format: 'shadowpaging/v1', title, guest: { mode: 'off' }, steps: [{ op: 'read', gva }] }, null, 2);
  const text = () => (screen.getByTestId('editor-text') as HTMLTextAreaElement).value;
  const click = (el: HTMLElement) =>
    act(() => {
      fireEvent.click(el);
    });
  const importText = async (name: string, body: string) => {
    await act(async () => {
      fireEvent.change(screen.getByLabelText('Import a scenario file'), { target: { files: [new File([body], name)] } });
      for (let i = 0; i < 8; i++) await Promise.resolve();
    });
  };

  it('imports a file as a new document: the draft it replaced on screen stays under Unsaved drafts and opens again', async () => {
    render(<App />);
    type(doc('My lecture draft'));
    await importText('other.json', doc('From a file'));
    expect(text()).toContain('From a file');
    expect(screen.getByTestId('editor-message').textContent).toContain('Your previous document "My lecture draft" is kept under Unsaved drafts');
    const drafts = screen.getByTestId('drafts');
    expect(drafts.textContent).toContain('My lecture draft');
    click(screen.getByText('My lecture draft', { selector: 'button' }));
    expect(text()).toBe(doc('My lecture draft'));
  });

  it('imports even an empty or broken file as a new document, never over the draft', async () => {
    render(<App />);
    type(doc('Keep me'));
    await importText('empty.json', '');
    expect(text()).toBe('');
    expect(screen.getByTestId('drafts').textContent).toContain('Keep me');
  });

  it('saves over the entry it opened, naming what it replaced, with Undo; Save as new keeps both', () => {
    render(<App />);
    type(doc('First'));
    click(screen.getByTestId('editor-save'));
    type(doc('Second'));
    click(screen.getByTestId('editor-save'));
    expect(screen.getByTestId('editor-message').textContent).toMatch(/^Saved "Second" over "First" \(the version of /);
    expect(listSaved().map((s) => s.title)).toEqual(['Second']);
    click(screen.getByTestId('editor-message-undo'));
    expect(listSaved().map((s) => [s.title, s.text])).toEqual([['First', doc('First')]]);
    // The editor still holds "Second", unsaved; Save as new keeps "First" as it is.
    expect(text()).toBe(doc('Second'));
    click(screen.getByTestId('editor-save-new'));
    expect(listSaved().map((s) => s.title).sort()).toEqual(['First', 'Second']);
  });

  it('does not save over an entry another tab changed since it was opened', () => {
    render(<App />);
    type(doc('Mine'));
    click(screen.getByTestId('editor-save'));
    const [entry] = listSaved();
    // Another tab saves over the same entry.
    records().save('Theirs', doc('Theirs'), { id: entry!.id, rev: entry!.rev });
    type(doc('Mine, edited'));
    click(screen.getByTestId('editor-save'));
    expect(screen.getByTestId('editor-message').textContent).toContain('was changed in another tab after you opened it');
    expect(listSaved().map((s) => s.title)).toEqual(['Theirs']);
  });

  it('reports a corrupt record by name, keeps it untouched through Saves, and deletes it only when asked (with Undo)', () => {
    window.localStorage.setItem('shadowpaging:scenario:v2:my-broken', '{"format":"shadowpaging-saved/v2","title":"Week 3 lecture","text":');
    render(<App />);
    expect(screen.getByTestId('unreadable').textContent).toContain('saved scenario "Week 3 lecture"');
    type(doc('New one'));
    click(screen.getByTestId('editor-save'));
    expect(window.localStorage.getItem('shadowpaging:scenario:v2:my-broken')).toBe('{"format":"shadowpaging-saved/v2","title":"Week 3 lecture","text":');
    click(screen.getByTestId('unreadable-delete'));
    expect(window.localStorage.getItem('shadowpaging:scenario:v2:my-broken')).toBeNull();
    click(screen.getByTestId('editor-message-undo'));
    expect(window.localStorage.getItem('shadowpaging:scenario:v2:my-broken')).not.toBeNull();
  });

  it('keeps every entry: 250 saved, one deleted, 249 remain', () => {
    for (let i = 0; i < 250; i++) records().save(`Entry ${i}`, doc(`Entry ${i}`), null);
    render(<App />);
    expect(screen.getByTestId('my-scenarios').querySelectorAll('li')).toHaveLength(250);
    click(screen.getByLabelText('Delete Entry 7'));
    expect(screen.getByTestId('my-scenarios').querySelectorAll('li')).toHaveLength(249);
    expect(listSaved()).toHaveLength(249);
  });

  it('says at once when storage is full while typing, and keeps the text in the editor', () => {
    render(<App />);
    const setItem = vi.spyOn(Storage.prototype, 'setItem').mockImplementation(() => {
      throw Object.assign(new Error('full'), { name: 'QuotaExceededError' });
    });
    try {
      type(doc('Typed while full'));
      expect(screen.getByTestId('editor-unsaved').textContent).toContain('browser storage is full');
      expect(text()).toBe(doc('Typed while full'));
      click(screen.getByTestId('editor-save'));
      expect(screen.getByTestId('editor-message').textContent).toMatch(/"Typed while full" \([\d,]+ characters\) was not saved: browser storage is full/);
    } finally {
      setItem.mockRestore();
    }
    type(doc('Typed while full, again'));
    expect(screen.queryByTestId('editor-unsaved')).toBeNull();
  });

  it('New opens a template as a new document; Edit opens what is on screen', () => {
    render(<App />);
    type(doc('Work in progress'));
    click(screen.getByTestId('editor-new'));
    click(screen.getByTestId('new-empty-32'));
    expect(text()).toContain('"x86-32"');
    expect(screen.getByTestId('drafts').textContent).toContain('Work in progress');
    // Close, put a built-in on screen, Edit: the editor shows that built-in, in a new document.
    act(() => {
      useStore.getState().toggleEditor(false);
    });
    act(() => {
      useStore.getState().loadScenario(useStore.getState().scenarioJson === null ? {} : (JSON.parse(doc('On screen now')) as unknown), null);
    });
    act(() => {
      useStore.getState().toggleEditor(true);
    });
    expect(text()).toBe(doc('On screen now'));
  });
});
