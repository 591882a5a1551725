/**
 * Embed code: the `<iframe>` HTML a teacher pastes into a slide deck or a
 * course page to show a permalink in embed mode (`?embed=1`, minimal
 * chrome). Pure string work with no DOM, like the link codec, so the UI
 * and tests call it directly.
 * See docs/permalinks.md, "Embed code".
 */
import { permalinkUrl } from './permalink.ts';

export type EmbedPresetId = 'small' | 'slide' | 'large';

export interface EmbedPreset {
  readonly id: EmbedPresetId;
  /** For the size picker; it names the size too, so the UI need not format one. */
  readonly label: string;
  /** CSS pixels, written as the iframe's width and height attributes. */
  readonly width: number;
  readonly height: number;
}

/** The sizes offered, smallest first (all 16:10). */
export const EMBED_PRESETS: readonly EmbedPreset[] = [
  { id: 'small', label: 'Small (640 × 400)', width: 640, height: 400 },
  { id: 'slide', label: 'Slide (800 × 500)', width: 800, height: 500 },
  { id: 'large', label: 'Large (960 × 600)', width: 960, height: 600 },
];

/** The preset a picker starts on. */
export const DEFAULT_EMBED_PRESET: EmbedPresetId = 'slide';

const HTML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Escapes text for a double-quoted HTML attribute. `'` too, so the snippet
 * stays safe if someone re-quotes it with single quotes; `<` and `>` so a
 * title like `</iframe><script>` cannot end the tag in a sloppy parser or a
 * regex-based sanitizer.
 */
export function escapeHtmlAttribute(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/**
 * The `<iframe>` element for `url`, a permalink as "Copy link" makes it
 * (`https://…/#sp1/…`): its `src` is the same link in embed mode, built by
 * `permalinkUrl`, so the base's own query and hash are handled the same way
 * as everywhere else. `scenarioTitle` (the scenario's title, which anyone can
 * write into an inline link) becomes the accessible name
 * "shadowpaging: <title>", whitespace collapsed to single spaces and escaped.
 */
export function embedSnippet(url: string, preset: EmbedPreset, scenarioTitle: string): string {
  const hashAt = url.indexOf('#');
  const src = permalinkUrl(hashAt < 0 ? url : url.slice(0, hashAt), hashAt < 0 ? '' : url.slice(hashAt + 1), { embed: true });
  // Control characters (newlines included) would break the snippet over lines or be parse errors.
  const title = scenarioTitle.replace(/[\s\p{Cc}]+/gu, ' ').trim();
  const attrs: Array<[string, string]> = [
    ['src', src],
    ['width', String(preset.width)],
    ['height', String(preset.height)],
    ['title', title === '' ? 'shadowpaging' : `shadowpaging: ${title}`],
    ['loading', 'lazy'],
    ['style', 'border:0'],
    // Lets the embedded app copy to the clipboard: a cross-origin frame may not unless its host page allows it.
    ['allow', 'clipboard-write'],
  ];
  return `<iframe ${attrs.map(([name, value]) => `${name}="${escapeHtmlAttribute(value)}"`).join(' ')}></iframe>`;
}
