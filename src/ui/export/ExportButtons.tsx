/**
 * "PNG" and "SVG" in the top bar: the current view (the whole scene, not
 * only what is scrolled into view) as a picture file, in the page's theme,
 * the PNG at 2x for slides. Named `<scenario>-step-<n>.png/svg`.
 */
import { useEffect, useState } from 'react';
import { stepCaption } from '../step/caption.ts';
import { useStore } from '../store/index.ts';
import { exportFileName, pngRatio, pngRefusal } from './names.ts';
import { saveFile, sceneSizeAtLeast, sceneSvg, svgToPng } from './render.ts';
import { exportScene } from './scene.ts';

/** The picture's title line: scenario, step (and event), and what the step did. */
function titleOf(): string {
  const s = useStore.getState();
  const upTo = s.granularity === 'event' ? s.event : null;
  const cap = stepCaption(s.timeline, s.step, upTo);
  return `${s.scenario.title}, step ${s.step} of ${s.timeline.length}${upTo !== null ? `, event ${upTo}` : ''}: ${cap.headline}`;
}

/** What to tell the user, and whether a file was saved (a note that saved none says why, and what to do: it stays longer). */
interface ExportNote {
  readonly text: string;
  readonly saved: boolean;
}
const notSaved = (text: string): ExportNote => ({ text, saved: false });

/** How long the note stays (it sits over the ruler). */
const NOTE_MS = { saved: 6000, notSaved: 12000 } as const;

/** Builds and saves the file; returns what to tell the user. */
export async function exportView(kind: 'png' | 'svg'): Promise<ExportNote> {
  const scene = exportScene();
  if (!scene) return notSaved('Nothing to export yet: the tables are not on screen.');
  // Timed for `npm run bench -- --export` (export.pngMs): the whole export, from the scene to the file handed to the browser.
  const t0 = performance.now();
  const s = useStore.getState();
  const name = exportFileName(s.libraryId, s.scenario.title, s.step, kind);
  // A scene too large for a PNG is refused before it is drawn (from its least size; the exact one is checked after).
  const least = sceneSizeAtLeast(scene);
  const refused = kind === 'png' ? pngRefusal(least.width, least.height) : null;
  if (refused) return notSaved(refused);
  const svg = await sceneSvg(scene, titleOf());
  if (kind === 'svg') {
    saveFile(name, svg.blob);
    performance.measure('sim-export-svg', { start: t0, end: performance.now() });
    return { text: `Saved ${name}`, saved: true };
  }
  const exact = pngRefusal(svg.width, svg.height);
  if (exact) return notSaved(exact);
  const ratio = pngRatio(svg.width, svg.height);
  saveFile(name, await svgToPng(svg, ratio));
  performance.measure('sim-export-png', { start: t0, end: performance.now() });
  return { text: ratio < 2 ? `Saved ${name} at ${ratio}x (the scene is too large for 2x)` : `Saved ${name}`, saved: true };
}

export function ExportButtons() {
  const [msg, setMsg] = useState<ExportNote | null>(null);
  const [busy, setBusy] = useState(false);
  // The note goes after a while: it sits over the ruler.
  useEffect(() => {
    if (!msg) return;
    const id = window.setTimeout(() => setMsg(null), msg.saved ? NOTE_MS.saved : NOTE_MS.notSaved);
    return () => window.clearTimeout(id);
  }, [msg]);
  const run = async (kind: 'png' | 'svg') => {
    setBusy(true);
    try {
      setMsg(await exportView(kind));
    } catch (e) {
      setMsg(notSaved(`Could not export the ${kind.toUpperCase()}: ${e instanceof Error ? e.message : String(e)}`));
    } finally {
      setBusy(false);
    }
  };
  return (
    <span className="ctl export-view" role="group" aria-label="Export the current view">
      export
      <button type="button" className="btn" onClick={() => void run('png')} disabled={busy} title="Save the current view as a PNG picture (2x, for slides)" data-testid="export-png">
        PNG
      </button>
      <button type="button" className="btn" onClick={() => void run('svg')} disabled={busy} title="Save the current view as an SVG picture" data-testid="export-svg">
        SVG
      </button>
      {msg && (
        <span role="status" className="toast export-msg" data-testid="export-msg">
          {msg.text}
        </span>
      )}
    </span>
  );
}
