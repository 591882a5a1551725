/**
 * The editor's input bounds: what a file, a paste, a keystroke or a form edit
 * may put into the editor, checked before anything is read whole or replaced.
 *
 * Why: a 5 MB paste used to be cut at 1,000,000 characters by the textarea's
 * `maxLength` without a word; a file with invalid UTF-8 came in with U+FFFD in
 * it; a 10,001-step file went into the form, which drew a row per step before
 * any message. Here every input is measured first and, if it is refused, the
 * editor keeps what it had and says why (the file's name, its size or count,
 * and the limit).
 */
import { SCENARIO_LIMITS } from '../core/scenario.ts';
import { PARSER_LIMITS } from '../scenarios/limits.ts';
import { STORAGE_LIMITS } from './storage/records.ts';
import { afterPaint } from './idle.ts';

export const EDITOR_LIMITS = {
  /**
   * Characters (UTF-16 code units, JavaScript string length) the editor holds.
   * The same as what browser storage keeps per draft and per saved scenario, so
   * everything the editor accepts can also be saved (a pretty-printed
   * 10,000-step scenario is about 600,000 to 800,000 characters).
   */
  maxTextChars: STORAGE_LIMITS.maxTextChars,
  /**
   * Characters of a file the app opens to run (PARSER_LIMITS.maxTextChars,
   * 64 Mi: a 1,000,000-step file). A document longer than maxTextChars runs
   * and can be stepped through, but is not edited or kept in this browser
   * (the editor says so); pastes and edits stay within maxTextChars.
   */
  maxOpenChars: PARSER_LIMITS.maxTextChars,
  /**
   * Bytes of a scenario file, checked with File.size before a byte is read.
   * Above maxTextChars because a character may take up to 3 bytes in UTF-8;
   * the decoded text is then held to maxTextChars.
   */
  maxFileBytes: 3 * PARSER_LIMITS.maxTextChars,
  /** Steps of a document the app opens: as many as a file may hold (PARSER_LIMITS.maxFileSteps). */
  maxSteps: PARSER_LIMITS.maxFileSteps,
  /** Steps the form draws a row for (SCENARIO_LIMITS.maxSteps); a longer document is edited as a file. */
  formMaxSteps: SCENARIO_LIMITS.maxSteps,
} as const;

/** A whole number with thousands separators, for messages. */
export const fmt = (v: number) => v.toLocaleString('en-US');

/** "5.2 MB (5,242,880 bytes)", "1.9 GB (1,863,435,035 bytes)" or "812 bytes". */
export function formatBytes(bytes: number): string {
  if (bytes < 10_000) return `${fmt(bytes)} bytes`;
  const mb = bytes / 1_000_000;
  const short = mb >= 1000 ? `${(mb / 1000).toFixed(1)} GB` : mb >= 1 ? `${mb.toFixed(1)} MB` : `${(bytes / 1000).toFixed(0)} kB`;
  return `${short} (${fmt(bytes)} bytes)`;
}

/**
 * The length of the longest prefix of `bytes` made of whole, valid UTF-8
 * characters (the WHATWG decoder's rules: no overlong forms, no surrogates,
 * nothing above U+10FFFF), i.e. the offset of the first byte that starts no
 * valid character. Returns -1 when all of `bytes` is valid. Only run after
 * the fatal decoder has refused the bytes, to name where.
 */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0; // below: an overlong form
      if (b === 0xed) hi = 0x9f; // above: a UTF-16 surrogate
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90; // overlong
      if (b === 0xf4) hi = 0x8f; // above U+10FFFF
    } else return i;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || c < lo || c > hi) return i;
      lo = 0x80;
      hi = 0xbf;
    }
    i += need + 1;
  }
  return -1;
}

/** `json`: the text parsed, when the checks parsed it (a file: no second parse of a 5 MB text to open it). */
export type Admitted = { readonly ok: true; readonly text: string; readonly json?: unknown } | { readonly ok: false; readonly message: string };

/**
 * Decodes a file's bytes as UTF-8 with the fatal decoder: invalid bytes are
 * refused, with the byte offset, instead of becoming U+FFFD. A leading BOM is
 * dropped (the parser would drop it too).
 */
export function decodeUtf8(bytes: Uint8Array, name: string): Admitted {
  try {
    return { ok: true, text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    const at = firstInvalidUtf8(bytes);
    const where = at < 0 ? '' : ` at byte offset ${fmt(at)} (counted from 0; the byte there is 0x${bytes[at]!.toString(16).padStart(2, '0')})`;
    return { ok: false, message: `${name} was not imported: it is not valid UTF-8 text${where}. Save it as UTF-8 and import it again.` };
  }
}

/**
 * Refuses a text the editor must not hold: longer than maxTextChars, or a
 * JSON document with more than maxSteps steps (counted on the parsed JSON
 * before the scenario is validated or drawn as a form). `what` names the
 * input in the message ("The pasted text", "notes.json"). Text that is not
 * JSON (yet) is admitted: the status line shows its error as you type.
 */
export function checkEditorText(text: string, what: string, open = false): string | null {
  return admitText(text, what, open).refused;
}

/** checkEditorText, with the parsed JSON when it parsed the text. */
function admitText(text: string, what: string, open: boolean): { readonly refused: string | null; readonly json?: unknown } {
  const refused = (message: string) => ({ refused: message });
  const max = open ? EDITOR_LIMITS.maxOpenChars : EDITOR_LIMITS.maxTextChars;
  if (text.length > max) {
    return refused(
      open
        ? `${what} is ${fmt(text.length)} characters; the app opens files of up to ${fmt(max)}, so it was not taken (nothing was cut or changed).`
        : `${what} is ${fmt(text.length)} characters; the editor holds at most ${fmt(max)}, so it was not taken (nothing was cut or changed). A longer file can be opened with Import, to run it.`,
    );
  }
  const { steps, json } = stepsOf(text);
  if (steps !== null && steps > EDITOR_LIMITS.maxSteps) {
    return refused(`${what} has ${fmt(steps)} steps; the app opens at most ${fmt(EDITOR_LIMITS.maxSteps)}, so it was not taken (nothing was changed).`);
  }
  return { refused: null, json };
}

/** Whether a document is too long to edit or keep in this browser (it still runs: see maxOpenChars). */
export const viewOnly = (text: string): boolean => text.length > EDITOR_LIMITS.maxTextChars;

/** The length of a JSON object's `steps` array, or null when the text is no such object. */
export const countSteps = (text: string): number | null => stepsOf(text).steps;

/** countSteps, with the JSON value when the text parsed as a JSON object with steps. */
function stepsOf(text: string): { readonly steps: number | null; readonly json?: unknown } {
  // Cheap exit: no steps key, no count (and no parse of a text being typed).
  if (!text.includes('"steps"')) return { steps: null };
  try {
    const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    const v: unknown = JSON.parse(body);
    if (!v || typeof v !== 'object' || Array.isArray(v)) return { steps: null };
    const steps = (v as Record<string, unknown>).steps;
    return Array.isArray(steps) ? { steps: steps.length, json: v } : { steps: null };
  } catch {
    return { steps: null };
  }
}

/** The last file read (readScenarioFile) and its parse, until a different text is asked for. */
let lastRead: { readonly text: string; readonly json: unknown } | null = null;

/**
 * The parse of `text` when it is the last file read (the editor's form takes
 * it instead of parsing a 100,000-step text again, ~60 ms), once; null
 * otherwise. Either way the file's parse is let go.
 */
export function parsedFileText(text: string): { readonly json: unknown } | null {
  const read = lastRead?.text === text ? { json: lastRead.json } : null;
  lastRead = null;
  return read;
}

/**
 * A file over this size takes long enough to read (~0.3 s at 10 MB, ~1.3 s
 * at 47 MB, 1,000,000 steps) that the editor says it is reading it first
 * (a 5 MB file, 100,000 steps, is read in ~0.15 s).
 */
export const READ_NOTE_BYTES = 8 << 20;

/**
 * Checks a scenario file's size (before reading it), then its bytes, then its
 * text. `onDecoded` sees the text as soon as it is decoded, before the text is
 * parsed here (an import starts the build worker's check with it).
 */
export async function readScenarioFile(f: File, onDecoded?: (text: string) => void): Promise<Admitted> {
  lastRead = null;
  if (f.size > EDITOR_LIMITS.maxFileBytes) {
    return {
      ok: false,
      message: `${f.name} was not imported: it is ${formatBytes(f.size)}; scenario files are at most ${formatBytes(EDITOR_LIMITS.maxFileBytes)}. It was not read.`,
    };
  }
  const decoded = decodeUtf8(new Uint8Array(await f.arrayBuffer()), f.name);
  if (!decoded.ok) return decoded;
  onDecoded?.(decoded.text);
  // A long text is parsed in a task of its own (a frame between): decoding,
  // handing it to the worker and parsing it took one task of ~1.25 s at
  // 1,000,000 steps, in which the page could not paint.
  if (f.size > READ_NOTE_BYTES) await afterPaint();
  const admitted = admitText(decoded.text, f.name, true);
  if (admitted.refused) return { ok: false, message: admitted.refused };
  lastRead = admitted.json !== undefined ? { text: decoded.text, json: admitted.json } : null;
  return { ...decoded, json: admitted.json };
}
