/**
 * 64-bit values as two unsigned 32-bit halves.
 *
 * Guest entries and SPTEs are 64-bit, but BigInt is slow and allocation-heavy
 * on the per-access hot path, so the core keeps `{lo, hi}` pairs (or two slots
 * of a Uint32Array) and uses plain numbers for frame numbers (< 2^40 here).
 */
import type { U64 } from './scenario.ts';

export type { U64 };

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 4096;
const TWO32 = 0x1_0000_0000;
const TWO20 = 0x10_0000;

/** 2^0 .. 2^63 as a table: `2 ** n` with a variable n is a Math.pow call, and the walks and rmap keys take one per level on every access. */
const POW2: readonly number[] = Array.from({ length: 64 }, (_, i) => 2 ** i);
/** 2 ** n for an integer n in 0..63, by table. */
export const pow2 = (n: number): number => POW2[n]!;

export const u64 = (lo: number, hi = 0): U64 => ({ lo: lo >>> 0, hi: hi >>> 0 });
export const ZERO64: U64 = Object.freeze({ lo: 0, hi: 0 });

/** Split a non-negative safe integer into halves. */
export function fromNumber(n: number): U64 {
  return { lo: n % TWO32 >>> 0, hi: Math.floor(n / TWO32) >>> 0 };
}

/** Combine halves into a number; exact while the value is below 2^53. */
export function toNumber(v: U64): number {
  return v.hi * TWO32 + v.lo;
}

/** Bit 12..51 of an 8-byte entry as a frame number. */
export function frameOf64(lo: number, hi: number): number {
  return (lo >>> PAGE_SHIFT) + (hi & 0xfffff) * TWO20;
}

/** An entry value with address bits replaced: frame number << 12 | low flag bits. */
export function withFrame(frame: number, lowFlags: number, highFlags = 0): U64 {
  const lo = ((frame % TWO20) * PAGE_SIZE + (lowFlags & 0xfff)) >>> 0;
  const hi = (Math.floor(frame / TWO20) | highFlags) >>> 0;
  return { lo, hi };
}

export function hex(n: number): string {
  return '0x' + n.toString(16);
}

/**
 * hex and hex64 for the views' JSON (serialize.ts, guest/tables.ts): the same
 * strings, kept by value and handed out again (bounded: cleared when full).
 * A jump across a 100,000-step run spells ~5,000 entries, mostly values seen
 * before; one kept string each is less work than a new one, and leaves the
 * garbage collector less to copy (the views keep what they spell).
 */
const keptHex = new Map<number, string>();
const keptHex64 = new Map<number, Map<number, string>>();
const KEPT_MAX = 1 << 16;
let keptHex64Size = 0;

export function sim_hexKept(n: number): string {
  let t = keptHex.get(n);
  if (t === undefined) {
    if (keptHex.size >= KEPT_MAX) keptHex.clear();
    keptHex.set(n, (t = hex(n)));
  }
  return t;
}

export function sim_hex64Kept(v: U64): string {
  let per = keptHex64.get(v.hi);
  let t = per?.get(v.lo);
  if (t === undefined) {
    if (keptHex64Size >= KEPT_MAX) {
      keptHex64.clear();
      keptHex64Size = 0;
      per = undefined;
    }
    if (!per) keptHex64.set(v.hi, (per = new Map()));
    per.set(v.lo, (t = hex64(v)));
    keptHex64Size++;
  }
  return t;
}

/** The flag names sim_entryFlags spells, by the bit of its key each has. */
const ENTRY_FLAG_NAMES = ['P', 'W', 'U', 'A', 'D', 'PS', 'NX'] as const;
/** By key (0-127), made up front: a packed array, and a lookup with no path that makes a string. */
const entryFlagTexts: readonly string[] = Array.from({ length: 128 }, (_, key) => ENTRY_FLAG_NAMES.filter((_, b) => key & (1 << b)).join(' '));

/**
 * The flags of a page-table entry (guest or shadow) that are set, as the
 * cards and traces spell them: P W U A D PS NX (bits 0, 1, 2, 5, 6, 7 of the
 * low word, 63 of the entry), space-separated. One string per combination,
 * made once: the views spell thousands of entries on every jump.
 */
export function sim_entryFlags(lo: number, hi: number): string {
  // Small enough to be inlined where it is called: a call that is not passes
  // its words as heap numbers when they are above 2^30 (most sptes), an
  // allocation per entry spelled.
  return entryFlagTexts[(lo & 7) | ((lo >>> 2) & 0x38) | ((hi >>> 25) & 0x40)]!;
}

/** How many hex digits a u32 has (1 for 0). */
const hexDigits32 = (n: number): number => (n === 0 ? 1 : (35 - Math.clz32(n)) >> 2);
/** hex(n).length for 0 <= n < 2^53, without the string (a view measures thousands of entries it does not spell). */
export const sim_hexLength = (n: number): number => 2 + (n < 0x100000000 ? hexDigits32(n) : 8 + hexDigits32(Math.floor(n / 0x100000000)));
/** hex64(v).length, without the string. */
export const sim_hex64Length = (v: U64): number => sim_hex64LengthOf(v.lo, v.hi);
/** sim_hex64Length of a value given as its two halves (no object). */
export const sim_hex64LengthOf = (lo: number, hi: number): number => 2 + (hi === 0 ? hexDigits32(lo) : 8 + hexDigits32(hi));

export function hex64(v: U64): string {
  return hex64Of(v.lo, v.hi);
}

/** hex64 of a value given as its two halves (no object). */
export function hex64Of(lo: number, hi: number): string {
  if (hi === 0) return '0x' + lo.toString(16);
  return '0x' + hi.toString(16) + lo.toString(16).padStart(8, '0');
}

/** Mask of bits [lo, hi] of a 64-bit value as halves (KVM's rsvd_bits(s, e)). */
export function rsvdBits(s: number, e: number): U64 {
  let lo = 0;
  let hi = 0;
  for (let b = s; b <= e; b++) {
    if (b < 32) lo |= 1 << b;
    else hi |= 1 << (b - 32);
  }
  return { lo: lo >>> 0, hi: hi >>> 0 };
}

export function or64(a: U64, b: U64): U64 {
  return { lo: (a.lo | b.lo) >>> 0, hi: (a.hi | b.hi) >>> 0 };
}

export function anySet(v: U64, mask: U64): boolean {
  return (v.lo & mask.lo) !== 0 || (v.hi & mask.hi) !== 0;
}

export function eq64(a: U64, b: U64): boolean {
  return a.lo === b.lo && a.hi === b.hi;
}
