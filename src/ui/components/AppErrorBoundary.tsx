/**
 * The last line of defence: an error while drawing (a bug that some scenario
 * reaches) shows what went wrong and a way on, instead of a blank page (React
 * unmounts the whole tree on an error no boundary catches: a 1,000,000-step
 * file once did that). The saved scenarios and the editor's drafts are in
 * this browser's storage, which a drawing error does not touch.
 */
import { Component, type ReactNode } from 'react';
import { DEFAULT_SCENARIO_ID, LIBRARY } from '../../scenarios/library/index.ts';
import { useStore } from '../store/index.ts';

interface State {
  readonly error: Error | null;
}

export class AppErrorBoundary extends Component<{ readonly children: ReactNode }, State> {
  override state: State = { error: null };

  static getDerivedStateFromError(error: unknown): State {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  /** The default built-in in place of what failed, and the app drawn again. */
  private readonly showDefault = (): void => {
    const e = LIBRARY.find((x) => x.id === DEFAULT_SCENARIO_ID)!;
    useStore.getState().loadScenario(e.json, DEFAULT_SCENARIO_ID);
    this.setState({ error: null });
  };

  override render(): ReactNode {
    const { error } = this.state;
    if (!error) return this.props.children;
    return (
      <main className="app-error" role="alert" data-testid="app-error">
        <h1>Something went wrong while drawing this scenario</h1>
        <p>The app stopped at an error, so it shows this note instead of the tables. Nothing you saved is lost: your scenarios, and any text you were editing, are kept in this browser.</p>
        <p>
          The error: <code data-testid="app-error-message">{error.message || error.name}</code>
        </p>
        <p>To report it, note what you opened (the file or link) and what you did just before it.</p>
        <div className="app-error-actions">
          <button type="button" className="btn" onClick={this.showDefault} data-testid="app-error-default">
            Show the default scenario
          </button>
          <button type="button" className="btn" onClick={() => window.location.reload()}>
            Reload the page
          </button>
        </div>
      </main>
    );
  }
}
