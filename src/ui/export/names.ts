/**
 * The pure parts of the picture export: file names, the PNG's pixel ratio
 * and the title line's wrapping. No DOM here, so they are unit-tested.
 */

/** A file-name-safe slug: lower case, words joined by '-'. */
export const sim_slug = (s: string): string =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, 60)
    // After the cut too: a cut just after a word must not leave a trailing '-'.
    .replace(/^-+|-+$/g, '') || 'scenario';

/** `<scenario-slug>-step-<n>.<ext>`: the built-in's id when there is one (stable), else the title's slug. */
export function exportFileName(libraryId: string | null, title: string, step: number, ext: 'png' | 'svg'): string {
  return `${sim_slug(libraryId ?? title)}-step-${step}.${ext}`;
}

/**
 * Chromium refuses canvases over 16,384 pixels a side or about 268 million
 * pixels in all (toBlob then gives null); the PNG is drawn at 2x for slides
 * unless the scene is too big for that, then at the largest ratio that fits.
 */
export const MAX_SIDE = 16_384;
export const MAX_AREA = 268_000_000;
export function pngRatio(width: number, height: number, wanted = 2): number {
  const r = Math.min(wanted, MAX_SIDE / width, MAX_SIDE / height, Math.sqrt(MAX_AREA / (width * height)));
  // Whole quarter steps, so the pixel grid stays regular.
  return Math.max(0.25, Math.floor(r * 4) / 4);
}

/**
 * Why a scene `width` x `height` CSS pixels cannot be a PNG, or null when it
 * can: even at pngRatio's least ratio it is over the canvas's limits. Asked
 * before the picture is drawn (at the last step of a 1,000,000-step file the
 * scene is ~883 x 311,000 px: drawing it froze the page ~20 s before the
 * browser refused it with no reason the user could act on).
 */
export function pngRefusal(width: number, height: number): string | null {
  const r = pngRatio(width, height);
  const w = Math.round(width * r);
  const h = Math.round(height * r);
  if (w <= MAX_SIDE && h <= MAX_SIDE && w * h <= MAX_AREA) return null;
  const px = (n: number) => Math.round(n).toLocaleString('en-US');
  return `No PNG: the picture of this view would be ${px(width)} × ${px(height)} px, more than a PNG can hold in a browser (${MAX_SIDE.toLocaleString('en-US')} px a side), even at a quarter of its size. Save it as an SVG, or switch on the Overview (the scene on one screen) and export that.`;
}

/** Greedy word wrap to `maxWidth`, with `measure` giving a string's width (a canvas's measureText in the browser). */
export function wrapWords(text: string, maxWidth: number, measure: (s: string) => number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const next = line ? `${line} ${word}` : word;
    if (line && measure(next) > maxWidth) {
      lines.push(line);
      line = word;
    } else line = next;
  }
  if (line) lines.push(line);
  return lines;
}
