/**
 * "Embed": the <iframe> snippet for the current view (a size preset to
 * choose, then Copy), for a course page or a slide.
 */
import { useState } from 'react';
import { DEFAULT_EMBED_PRESET, EMBED_PRESETS, embedSnippet } from '../../scenarios/embed.ts';
import { useStore } from '../store/index.ts';
import { currentUrl } from '../url-sync.ts';

export function EmbedCode() {
  const [open, setOpen] = useState(false);
  const [preset, setPreset] = useState(DEFAULT_EMBED_PRESET);
  const [msg, setMsg] = useState<string | null>(null);
  const s = useStore.getState();
  const url = open ? currentUrl(s) : null;
  const chosen = EMBED_PRESETS.find((p) => p.id === preset) ?? EMBED_PRESETS[0]!;
  const snippet = url?.ok ? embedSnippet(url.url, chosen, s.scenario.title) : null;
  const copy = async () => {
    if (!snippet) return;
    try {
      await navigator.clipboard.writeText(snippet);
      setMsg('Embed code copied');
    } catch {
      setMsg('Select the code and copy it (the clipboard was not available)');
    }
  };
  return (
    <span className="embed-code">
      <button type="button" className="btn" aria-expanded={open} aria-controls="embed-dialog" onClick={() => setOpen(!open)} data-testid="embed-toggle">
        Embed
      </button>
      {open && (
        <div id="embed-dialog" className="popover" role="dialog" aria-label="Copy embed code" data-testid="embed-dialog">
          <fieldset className="compare-rules">
            <legend className="panel-subtitle">Size</legend>
            {EMBED_PRESETS.map((p) => (
              <label key={p.id} className="ctl">
                <input type="radio" name="embed-size" checked={p.id === preset} onChange={() => setPreset(p.id)} /> {p.label}
              </label>
            ))}
          </fieldset>
          {snippet ? (
            <textarea className="editor-text embed-snippet" readOnly value={snippet} aria-label="Embed code" data-testid="embed-snippet" onFocus={(e) => e.currentTarget.select()} />
          ) : (
            <p role="alert">No embed code: {url && !url.ok ? url.error : 'no link for this view'}</p>
          )}
          <div className="editor-actions">
            <button type="button" className="btn" onClick={() => void copy()} disabled={!snippet} data-testid="embed-copy">
              Copy embed code
            </button>
            <button type="button" className="btn" onClick={() => setOpen(false)}>
              Close
            </button>
            {msg && (
              <span role="status" className="toast">
                {msg}
              </span>
            )}
          </div>
        </div>
      )}
    </span>
  );
}
