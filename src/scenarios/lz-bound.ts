/**
 * How long lz-string's `decompressFromEncodedURIComponent` output would be,
 * found without building it: a guard against decompression bombs.
 *
 * lz-string has no output limit, and its format expands a lot: dictionary
 * entry k may be k+1 characters long, so n codes can unpack to ~n²/2
 * characters (5,000 link characters -> 4 million). This reads the same bit
 * stream (6 bits per character of the URI-safe alphabet, most significant
 * first; codes of a width that grows with the dictionary; 0 and 1 introduce
 * an 8- or 16-bit character, 2 ends the stream) but keeps only the length of
 * each dictionary entry, so its cost is linear in the input and it stops as
 * soon as the total passes `limit`.
 *
 * It models lz-string 1.5.0's decoder, including its failure cases; the
 * property test in lz-bound.test.ts checks it against the library on valid
 * and random streams.
 */

const URI_SAFE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+-$';
const VALUE_OF = new Map<string, number>([...URI_SAFE_ALPHABET].map((c, i) => [c, i]));

export type UnpackedLength =
  /** What lz-string returns: `length` characters (0: it returns ""). */
  | { readonly kind: 'length'; readonly length: number }
  /** lz-string returns null or throws: the stream refers to entries that do not exist. */
  | { readonly kind: 'invalid' }
  /** The output would pass `limit` characters (counting stopped there). */
  | { readonly kind: 'over'; readonly limit: number };

export function lzUnpackedLength(data: string, limit: number): UnpackedLength {
  const length = data.length;
  // Characters outside the alphabet, and reads past the end, are 0 bits (as in lz-string).
  const valueAt = (i: number): number => (i < length ? (VALUE_OF.get(data.charAt(i)) ?? 0) : 0);
  let val = valueAt(0);
  let position = 32;
  let index = 1;
  const read = (bits: number): number => {
    let out = 0;
    for (let p = 0; p < bits; p++) {
      const bit = val & position;
      position >>= 1;
      if (position === 0) {
        position = 32;
        val = valueAt(index++);
      }
      if (bit !== 0) out += 2 ** p;
    }
    return out;
  };

  if (length === 0) return { kind: 'invalid' }; // lz-string returns null for ""
  const first = read(2);
  if (first === 2) return { kind: 'length', length: 0 };
  if (first === 3) return { kind: 'invalid' };
  read(first === 0 ? 8 : 16);

  // entryLength[c]: length of dictionary entry c (0 to 2 are the control codes).
  const entryLength: number[] = [0, 0, 0, 1];
  let dictSize = 4;
  let numBits = 3;
  let enlargeIn = 4;
  let previous = 1; // length of w, the last entry output
  let total = 1;
  const grow = () => {
    if (enlargeIn === 0) {
      enlargeIn = 2 ** numBits;
      numBits++;
    }
  };
  for (;;) {
    if (index > length) return { kind: 'length', length: 0 };
    let c = read(numBits);
    if (c === 0 || c === 1) {
      read(c === 0 ? 8 : 16);
      entryLength[dictSize++] = 1;
      c = dictSize - 1;
      enlargeIn--;
    } else if (c === 2) {
      return { kind: 'length', length: total };
    }
    grow();
    let entry: number;
    if (c < dictSize) entry = entryLength[c]!;
    else if (c === dictSize) entry = previous + 1;
    else return { kind: 'invalid' };
    total += entry;
    if (total > limit) return { kind: 'over', limit };
    entryLength[dictSize++] = previous + 1;
    enlargeIn--;
    previous = entry;
    grow();
  }
}
