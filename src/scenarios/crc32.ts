/** CRC-32, in a module of its own: the timeline worker uses it (heavy/fingerprint.ts) without the link code. */
let crcTable: Uint32Array | null = null;

/**
 * CRC-32 (the reflected polynomial 0xEDB88320 of zlib, PNG and Ethernet) of
 * a text of char codes below 256. It detects every change of one character
 * (any burst of at most 32 bits) and misses any other damage with a chance
 * of 1 in 2^32. Not a signature: anyone can compute it; it guards against
 * accidents (a character lost, added or changed on the way), not forgery.
 */
export function crc32(text: string): number {
  if (crcTable === null) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < text.length; i++) crc = crcTable[(crc ^ text.charCodeAt(i)) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
