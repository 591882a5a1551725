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
      fireEvent.click(screen.getByText('Add step'));
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
