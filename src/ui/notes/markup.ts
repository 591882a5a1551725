/**
 * The markup of a teacher's note (issue 18), parsed into a small tree the app
 * renders as React elements: never as HTML, so nothing in a note can run or
 * style the page. The subset:
 *
 * - paragraphs, split at blank lines (single line breaks stay line breaks);
 * - `*emphasis*` and `**strong**` (their text is shown as it is written);
 * - `` `code` ``;
 * - `[text](https://…)` links to http, https and mailto addresses only.
 *
 * Everything else, unbalanced markers included, is text. A note is untrusted
 * (it rides in every link), so the parser runs in linear time whatever the
 * input: each closing marker is found with a table of "next occurrence"
 * positions built once per paragraph, never by a search from every opener
 * (10,000 asterisks would make that quadratic).
 */

export type NoteInline =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'em' | 'strong' | 'code'; readonly text: string }
  | { readonly kind: 'link'; readonly text: string; readonly href: string };

export type NoteBlock = readonly NoteInline[];

/** Link targets a note may have; anything else (javascript:, data:, relative) stays text. */
const LINK_PROTOCOLS = new Set(['http:', 'https:', 'mailto:']);

/** The address a link may open, or null. Whitespace and control characters are refused before URL parsing. */
export function safeHref(url: string): string | null {
  if (url.length === 0 || url.length > 2000 || /[\s<>"]/.test(url)) return null;
  for (let i = 0; i < url.length; i++) {
    const c = url.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return null;
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (!LINK_PROTOCOLS.has(parsed.protocol)) return null;
  // The parsed form must be what was written (no scheme tricks rewritten by the URL parser).
  if (!url.toLowerCase().startsWith(parsed.protocol)) return null;
  return parsed.href;
}

/**
 * next[c][i]: the first position >= i holding character c (or n). One array
 * per marker character, filled right to left: O(n) for the paragraph.
 */
function nextTable(s: string, ch: string): Int32Array {
  const n = s.length;
  const out = new Int32Array(n + 2).fill(n);
  for (let i = n - 1; i >= 0; i--) out[i] = s[i] === ch ? i : out[i + 1]!;
  return out;
}

/** The first position >= i where "**" starts (or n). */
function nextDouble(s: string): Int32Array {
  const n = s.length;
  const out = new Int32Array(n + 2).fill(n);
  for (let i = n - 2; i >= 0; i--) out[i] = s[i] === '*' && s[i + 1] === '*' ? i : out[i + 1]!;
  return out;
}

/** One paragraph's inline elements. */
export function parseInline(s: string): NoteInline[] {
  const n = s.length;
  const star = nextTable(s, '*');
  const dbl = nextDouble(s);
  const tick = nextTable(s, '`');
  const open = nextTable(s, '[');
  const close = nextTable(s, ']');
  const paren = nextTable(s, ')');
  const out: NoteInline[] = [];
  let text = '';
  const flush = () => {
    if (text !== '') out.push({ kind: 'text', text });
    text = '';
  };
  let i = 0;
  while (i < n) {
    const c = s[i]!;
    if (c === '*') {
      if (s[i + 1] === '*') {
        const end = dbl[i + 2]!;
        if (end < n && end > i + 2) {
          flush();
          out.push({ kind: 'strong', text: s.slice(i + 2, end) });
          i = end + 2;
          continue;
        }
      } else {
        const end = star[i + 1]!;
        if (end < n && end > i + 1) {
          flush();
          out.push({ kind: 'em', text: s.slice(i + 1, end) });
          i = end + 1;
          continue;
        }
      }
    } else if (c === '`') {
      const end = tick[i + 1]!;
      if (end < n && end > i + 1) {
        flush();
        out.push({ kind: 'code', text: s.slice(i + 1, end) });
        i = end + 1;
        continue;
      }
    } else if (c === '[') {
      // Only the last "[" before a "]" is tried, so each "](url)" is read once.
      const end = close[i + 1]!;
      if (end < n && open[i + 1]! > end && end > i + 1 && s[end + 1] === '(') {
        const stop = paren[end + 2]!;
        const href = stop < n ? safeHref(s.slice(end + 2, stop)) : null;
        if (href !== null) {
          flush();
          out.push({ kind: 'link', text: s.slice(i + 1, end), href });
          i = stop + 1;
          continue;
        }
      }
    }
    text += c;
    i++;
  }
  flush();
  return out;
}

/** A note's paragraphs (blank lines between them), each as inline elements. Empty paragraphs are dropped. */
export function parseNote(note: string): NoteBlock[] {
  return note
    .replace(/\r\n?/g, '\n')
    .trim()
    .split(/\n(?:[ \t]*\n)+/)
    .filter((p) => p.trim() !== '')
    .map(parseInline);
}

/** The note of step `step` (1-based: the step just applied) in a scenario document, or null. Step 0 has none. */
export function stepNote(json: unknown, step: number): string | null {
  if (step < 1 || typeof json !== 'object' || json === null) return null;
  const steps = (json as { steps?: unknown }).steps;
  if (!Array.isArray(steps)) return null;
  const s: unknown = steps[step - 1];
  if (typeof s !== 'object' || s === null) return null;
  const note = (s as { note?: unknown }).note;
  return typeof note === 'string' && note.trim() !== '' ? note : null;
}
