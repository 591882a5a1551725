/**
 * What this browser keeps for the editor: saved scenarios (every one, newest
 * first), drafts that hold unsaved work (other documents, other tabs), and
 * records that cannot be read, reported by name with Export and Delete. The
 * lists refresh live when another tab writes.
 */
import { type Draft, type Listing, type SavedScenario, type Unreadable } from '../storage/index.ts';

export interface Notice {
  readonly text: string;
  readonly error?: boolean;
  readonly undo?: { readonly label: string; readonly run: () => void };
}

const when = (t: number) => new Date(t).toLocaleString();
const plural = (n: number, one: string, many: string) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

export function NoticeLine({ notice, testId }: { notice: Notice | null; testId: string }) {
  if (!notice) return null;
  return (
    <p className={`text-sm${notice.error ? ' editor-error' : ''}`} role={notice.error ? 'alert' : 'status'} data-testid={testId}>
      {notice.text}
      {notice.undo && (
        <>
          {' '}
          <button type="button" className="btn" onClick={notice.undo.run} data-testid={`${testId}-undo`}>
            {notice.undo.label}
          </button>
        </>
      )}
    </p>
  );
}

export function MyScenarios({
  listing,
  currentDoc,
  onOpenSaved,
  onDeleteSaved,
  onOpenDraft,
  onDeleteDraft,
  onExportUnreadable,
  onDeleteUnreadable,
}: {
  listing: Listing;
  currentDoc: string;
  onOpenSaved: (s: SavedScenario) => void;
  onDeleteSaved: (s: SavedScenario) => void;
  onOpenDraft: (d: Draft) => void;
  onDeleteDraft: (d: Draft) => void;
  onExportUnreadable: (u: readonly Unreadable[]) => void;
  onDeleteUnreadable: (u: readonly Unreadable[]) => void;
}) {
  const drafts = listing.drafts.filter((d) => d.docId !== currentDoc && d.text !== d.baseText);
  const { unreadable } = listing;
  return (
    <>
      {unreadable.length > 0 && (
        <div className="editor-error text-sm" role="alert" data-testid="unreadable">
          <p>
            {plural(unreadable.length, 'stored record', 'stored records')} could not be read; {unreadable.length === 1 ? 'it is' : 'they are'} kept as {unreadable.length === 1 ? 'it is' : 'they are'} and never written over:{' '}
            {unreadable.map((u) => `${u.name}: ${u.why}`).join('; ')}.
          </p>
          <p>
            <button type="button" className="btn" onClick={() => onExportUnreadable(unreadable)} data-testid="unreadable-export">
              Export {unreadable.length === 1 ? 'it' : 'them'}
            </button>{' '}
            <button type="button" className="btn" onClick={() => onDeleteUnreadable(unreadable)} data-testid="unreadable-delete">
              Delete {unreadable.length === 1 ? 'it' : 'them'}
            </button>
          </p>
        </div>
      )}
      {drafts.length > 0 && (
        <>
          <h3 className="panel-title mt-2">Unsaved drafts</h3>
          <ul className="saved" data-testid="drafts">
            {drafts.map((d) => (
              <li key={d.docId}>
                <button type="button" className="btn" onClick={() => onOpenDraft(d)} title={`Open this draft (from ${d.origin})`}>
                  {d.title}
                </button>{' '}
                <span className="text-xs opacity-80">
                  {d.origin}, {when(d.updatedAt)}
                </span>{' '}
                <button type="button" className="btn" aria-label={`Delete the draft ${d.title}`} onClick={() => onDeleteDraft(d)}>
                  Delete
                </button>
              </li>
            ))}
          </ul>
        </>
      )}
      <h3 className="panel-title mt-2">My scenarios{listing.saved.length > 0 ? ` (${listing.saved.length.toLocaleString('en-US')})` : ''}</h3>
      {listing.saved.length === 0 ? (
        <p className="text-sm opacity-80" data-testid="my-scenarios-empty">
          {unreadable.some((u) => !u.key.includes(':draft:')) ? 'No saved scenario can be read (see above).' : 'Nothing saved in this browser yet.'}
        </p>
      ) : (
        <ul className="saved" data-testid="my-scenarios">
          {listing.saved.map((s) => (
            <li key={s.id}>
              <button type="button" className="btn" onClick={() => onOpenSaved(s)} title="Open it in the editor and on screen">
                {s.title}
              </button>{' '}
              <span className="text-xs opacity-80">{when(s.updatedAt)}</span>{' '}
              <button type="button" className="btn" aria-label={`Delete ${s.title}`} onClick={() => onDeleteSaved(s)}>
                Delete
              </button>
            </li>
          ))}
        </ul>
      )}
      <p className="text-xs opacity-80" data-testid="storage-usage">
        Kept in this browser only: {listing.chars.toLocaleString('en-US')} characters stored (browsers allow about 5 million per site). Export a scenario to keep it in a file.
      </p>
    </>
  );
}
