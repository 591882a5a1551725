// @vitest-environment jsdom
/**
 * An error while drawing leaves a note naming it and a way back, not a blank
 * page: the default built-in is shown again and the app drawn anew.
 */
import { act, cleanup, fireEvent, render } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_SCENARIO_ID, LIBRARY } from '../../scenarios/library/index.ts';
import { AppErrorBoundary } from './AppErrorBoundary.tsx';

const { useStore } = await import('../store/index.ts');

afterEach(cleanup);

/** Throws while the store shows a scenario other than the default built-in. */
function Picky() {
  const id = useStore((s) => s.libraryId);
  if (id !== DEFAULT_SCENARIO_ID) throw new RangeError('Maximum call stack size exceeded');
  return <p data-testid="picky">drawn</p>;
}

describe('AppErrorBoundary', () => {
  it('names the error, says what is kept, and brings the default scenario back', () => {
    // React reports the caught error on the console: expected here.
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const other = LIBRARY.find((e) => e.id !== DEFAULT_SCENARIO_ID)!;
      const { getByTestId, queryByTestId } = render(
        <AppErrorBoundary>
          <Picky />
        </AppErrorBoundary>,
      );
      expect(getByTestId('picky').textContent).toBe('drawn');
      act(() => void useStore.getState().loadScenario(other.json, other.id));
      expect(queryByTestId('picky')).toBeNull();
      const note = getByTestId('app-error');
      expect(note.getAttribute('role')).toBe('alert');
      expect(getByTestId('app-error-message').textContent).toBe('Maximum call stack size exceeded');
      expect(note.textContent).toContain('Nothing you saved is lost');
      fireEvent.click(getByTestId('app-error-default'));
      expect(useStore.getState().libraryId).toBe(DEFAULT_SCENARIO_ID);
      expect(getByTestId('picky').textContent).toBe('drawn');
      expect(queryByTestId('app-error')).toBeNull();
    } finally {
      quiet.mockRestore();
    }
  });
});
