/**
 * Reading the trace CLI's input (a file, or stdin) with its bounds checked as
 * the bytes arrive, never after the whole input is in memory.
 *
 * Why: `readFileSync` reads everything before anything can be checked, so
 * `/dev/zero` (a character device that never ends) or a FIFO fed forever made
 * the CLI read until memory ran out, and 200 MB on stdin was refused only
 * after all of it was read. Here the input is consumed as a stream of chunks;
 * the length is counted as each chunk is checked, and reading stops (the
 * stream is closed) at the first chunk that goes over the limit, so at most
 * the limit plus one chunk is ever read.
 *
 * The limit is the parser's own: PARSER_LIMITS.maxTextChars (src/scenarios/
 * limits.ts), counted in the same unit parseScenarioText counts, UTF-16 code
 * units (JavaScript string length). So every text the parser accepts is still
 * read, and nothing it would refuse is read whole. A UTF-8 sequence of 1 to 3
 * bytes is one code unit and one of 4 bytes is two, so the bytes read stay
 * below 3 x the limit + one chunk whatever the input.
 *
 * The bytes are checked to be UTF-8 (the WHATWG decoder's rules: no overlong
 * forms, no surrogates, nothing above U+10FFFF) on the way; the first invalid
 * byte is reported with its offset instead of being replaced by U+FFFD.
 */
import { isAscii } from 'node:buffer';
import { PARSER_LIMITS } from '../scenarios/limits.ts';

export type ReadResult =
  | { readonly ok: true; readonly text: string; readonly bytesRead: number }
  | { readonly ok: false; readonly message: string; readonly bytesRead: number };

/** The number formatted with thousands separators, for messages. */
const n = (v: number) => v.toLocaleString('en-US');

/**
 * Reads `source` (chunks of bytes, e.g. a Node stream or an async generator)
 * into a string of at most `maxChars` UTF-16 code units. `name` is how the
 * input is named in the one-line messages ("stdin" or the path). Stops pulling chunks as
 * soon as the text is over the limit or a byte is not UTF-8. Errors of the
 * source itself (a missing file, a directory) are not caught: the caller
 * reports them as before.
 */
export async function readBounded(
  source: AsyncIterable<Uint8Array>,
  name: string,
  maxChars: number = PARSER_LIMITS.maxTextChars,
): Promise<ReadResult> {
  const chunks: Uint8Array[] = [];
  let bytesRead = 0;
  let chars = 0;
  // UTF-8 decoder state carried across chunks: bytes still expected in the
  // current sequence, the allowed range of the next one, and where it began.
  let need = 0;
  let lo = 0x80;
  let hi = 0xbf;
  let seqStart = 0;
  const invalid = (offset: number, what: string): ReadResult => ({
    ok: false,
    bytesRead,
    message: `cannot read ${name}: not valid UTF-8 at byte offset ${n(offset)} (counted from 0): ${what}`,
  });
  // `for await` closes the source (return()) when the loop is left early, so
  // a stream stops reading at once.
  for await (const chunk of source) {
    const base = bytesRead;
    bytesRead += chunk.length;
    // A chunk of ASCII only, outside a character (a scenario file is, whole):
    // one code unit a byte, and no byte-by-byte walk (~5,000,000 of them for
    // the 100k file) unless it holds a NUL, which the walk then reports.
    const ascii = need === 0 && isAscii(chunk) && chunk.indexOf(0) < 0;
    if (ascii) chars += chunk.length;
    for (let i = 0; !ascii && i < chunk.length; i++) {
      const b = chunk[i]!;
      if (need === 0) {
        if (b < 0x80) {
          // JSON text never holds a raw NUL (RFC 8259: control characters only escaped, in strings): no
          // need to read on to the size limit to refuse /dev/zero or a binary file.
          if (b === 0) return { ok: false, bytesRead, message: `cannot read ${name}: it is not JSON text: byte offset ${n(base + i)} (counted from 0) is a NUL byte (0x00), which JSON text never contains` };
          chars++;
          continue;
        }
        seqStart = base + i;
        lo = 0x80;
        hi = 0xbf;
        if (b >= 0xc2 && b <= 0xdf) need = 1;
        else if (b >= 0xe0 && b <= 0xef) {
          need = 2;
          if (b === 0xe0) lo = 0xa0; // below would be an overlong form
          if (b === 0xed) hi = 0x9f; // above would be a UTF-16 surrogate
        } else if (b >= 0xf0 && b <= 0xf4) {
          need = 3;
          if (b === 0xf0) lo = 0x90; // overlong
          if (b === 0xf4) hi = 0x8f; // above U+10FFFF
        } else return invalid(base + i, `byte 0x${b.toString(16).padStart(2, '0')} cannot start a character`);
        // Counted at the lead byte: one code unit, or two (a surrogate pair) for 4 bytes.
        chars += need === 3 ? 2 : 1;
      } else {
        if (b < lo || b > hi) {
          return invalid(base + i, `byte 0x${b.toString(16).padStart(2, '0')} does not continue the character that starts at offset ${n(seqStart)}`);
        }
        lo = 0x80;
        hi = 0xbf;
        need--;
      }
    }
    if (chars > maxChars) {
      return {
        ok: false,
        bytesRead,
        message: `cannot read ${name}: longer than the limit of ${n(maxChars)} characters; stopped reading after ${n(bytesRead)} bytes`,
      };
    }
    chunks.push(chunk);
  }
  if (need > 0) return invalid(seqStart, 'the input ends inside the character that starts there');
  // Valid UTF-8, so decoding replaces nothing: the same text readFileSync(..., 'utf8') gave.
  return { ok: true, bytesRead, text: Buffer.concat(chunks).toString('utf8') };
}
