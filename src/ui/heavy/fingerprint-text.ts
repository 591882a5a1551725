/**
 * The fingerprint of a document's JSON text (heavy/fingerprint.ts says what
 * it is for), apart from the page's code: the timeline worker takes a heavy
 * document's from its text with this.
 */
import { crc32 } from '../../scenarios/crc32.ts';

/** The fingerprint of a JSON text (the text JSON.stringify wrote): its length and CRC-32. */
export const fingerprintOfJsonText = (t: string): string => `${t.length}:${crc32(t).toString(16)}`;

/**
 * The fingerprint of the document `text` holds (null when it is not JSON): the
 * text parsed and written out again, which is the JSON text the page's parse
 * of the same text gives (JSON.parse keeps the keys' order).
 */
export function fingerprintOfText(text: string): string | null {
  try {
    return fingerprintOfJsonText(JSON.stringify(JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text)));
  } catch {
    return null;
  }
}
