/**
 * Hex/number parsing for scenario values, without BigInt: a 64-bit value is
 * carried as two unsigned 32-bit halves (the core's U64).
 */
import type { U64 } from '../core/scenario.ts';
import { PARSER_LIMITS } from './limits.ts';

export const TWO_POW_32 = 0x1_0000_0000;

/** "0x" + hex digits, single underscores allowed between digits. */
const HEX_RE = /^0[xX][0-9a-fA-F]+(?:_[0-9a-fA-F]+)*$/;

export function u64FromNumber(n: number): U64 {
  return { lo: n % TWO_POW_32 >>> 0, hi: Math.floor(n / TWO_POW_32) >>> 0 };
}

/** Exact only when hi < 2^21 (callers check the range first). */
export function u64ToNumber(v: U64): number {
  return v.hi * TWO_POW_32 + v.lo;
}

/** 2^bits as a number (bits <= 64; exact for every power of two). */
export function pow2(bits: number): number {
  return 2 ** bits;
}

/** True when v < 2^bits. */
export function u64Below(v: U64, bits: number): boolean {
  if (bits >= 64) return true;
  if (bits <= 32) return v.hi === 0 && v.lo < pow2(bits);
  return v.hi < pow2(bits - 32);
}

function hex8(n: number): string {
  return (n >>> 0).toString(16).toUpperCase().padStart(8, '0');
}

/** Uppercase hex for messages; values over 32 bits get a `_` between the halves. */
export function formatHex(v: U64 | number): string {
  const u = typeof v === 'number' ? u64FromNumber(v) : v;
  if (u.hi === 0) return '0x' + u.lo.toString(16).toUpperCase();
  return '0x' + u.hi.toString(16).toUpperCase() + '_' + hex8(u.lo);
}

/** A short, safe description of an arbitrary received value for messages. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v);
    case 'number':
      return Number.isNaN(v) ? 'NaN' : String(v);
    case 'boolean':
      return String(v);
    case 'bigint':
      return 'a bigint';
    case 'object':
      return Array.isArray(v) ? 'an array' : 'an object';
    default:
      return `a ${typeof v}`;
  }
}

/**
 * Parses a hex string or a non-negative safe integer into a U64.
 * Returns a message (without the field path) when the value is not one.
 * `example` is used in the message, e.g. "0xC0403123".
 */
export function parseU64(v: unknown, example: string): U64 | string {
  const expected = `expected a hex string like "${example}" or a number`;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return `${expected}, got ${describeValue(v)}`;
    if (!Number.isInteger(v)) return `${expected}, got ${describeValue(v)} (not a whole number)`;
    if (v < 0) return `${expected}, got ${describeValue(v)} (negative values are not allowed)`;
    if (!Number.isSafeInteger(v)) {
      return `the number ${describeValue(v)} is too large to be exact in JSON (over 2^53 - 1); write it as a hex string like "${example}"`;
    }
    return u64FromNumber(v);
  }
  if (typeof v !== 'string') {
    return v === undefined ? 'missing (required)' : `${expected}, got ${describeValue(v)}`;
  }
  if (v.length > PARSER_LIMITS.maxHexChars) {
    return `${expected}; this string is ${v.length} characters long (at most ${PARSER_LIMITS.maxHexChars})`;
  }
  if (!HEX_RE.test(v)) {
    let hint = '';
    if (/^[0-9]+$/.test(v)) hint = `; write decimal values as JSON numbers (${v}, without quotes)`;
    else if (/^[0-9a-fA-F_]+$/.test(v)) hint = '; hex strings need the "0x" prefix';
    else if (/^0[xX]/.test(v)) hint = '; only hex digits may follow "0x", with single underscores between digits';
    return `${expected}, got ${describeValue(v)}${hint}`;
  }
  const digits = v.slice(2).replace(/_/g, '').replace(/^0+/, '');
  if (digits.length > 16) return `${describeValue(v)} is wider than 64 bits`;
  const loDigits = digits.slice(-8);
  const hiDigits = digits.length > 8 ? digits.slice(0, -8) : '';
  return {
    lo: loDigits === '' ? 0 : parseInt(loDigits, 16) >>> 0,
    hi: hiDigits === '' ? 0 : parseInt(hiDigits, 16) >>> 0,
  };
}
