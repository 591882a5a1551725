/**
 * A hand-written check of one step, for files of up to 1,000,000 steps
 * (issue 17): zod costs microseconds per step, this path a few tenths of one
 * (figures in raw-parse.ts and `npm run bench -- --parse`).
 *
 * It only ever says "this step is valid, and here is what zod would make of
 * it", or "not sure". It never writes a message: for every step it does not
 * take (an error, or just an input it does not handle, like an object with a
 * null prototype), raw-parse.ts asks zod's own step schema (raw.ts), so every
 * message is zod's by construction. What it must get right is that a step it
 * takes is one zod accepts, with the same output: the same object, keys in the
 * same order (zod writes them in the schema's order), an optional key that is
 * present with the value `undefined` kept as `undefined`, an absent one left
 * out. steps-fast.test.ts compares the two on random valid and broken steps.
 *
 * It reads the step the way zod does: `for...in` for the unknown-key check
 * (inherited enumerable keys included), `key in step` for "present", and
 * plain property reads.
 */
import type { U64 } from '../core/scenario.ts';
import { SCENARIO_LIMITS } from '../core/scenario.ts';
import { PARSER_LIMITS } from './limits.ts';
import type { RawStep } from './raw.ts';

/** Hex digit value of a char code, or -1. */
function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48; // 0-9
  const l = c | 0x20; // A-F -> a-f
  if (l >= 97 && l <= 102) return l - 87;
  return -1;
}

/**
 * parseU64 (hex.ts) for the inputs it accepts, in one pass without regular
 * expressions; `undefined` for everything it refuses (and zod then says why).
 * A hex string is "0x" or "0X", then hex digits with single underscores
 * between digits, at most PARSER_LIMITS.maxHexChars characters and at most
 * 16 significant digits.
 */
export function sim_fastU64(v: unknown): U64 | undefined {
  if (typeof v === 'number') {
    // parseU64 accepts exactly the safe non-negative integers (and -0, as 0).
    if (!Number.isSafeInteger(v) || v < 0) return undefined;
    return { lo: v % 0x1_0000_0000 >>> 0, hi: Math.floor(v / 0x1_0000_0000) >>> 0 };
  }
  if (typeof v !== 'string') return undefined;
  const n = v.length;
  if (n < 3 || n > PARSER_LIMITS.maxHexChars || v.charCodeAt(0) !== 48 || (v.charCodeAt(1) | 0x20) !== 120) return undefined;
  let lo = 0;
  let hi = 0;
  let significant = 0;
  let prevDigit = false;
  for (let i = 2; i < n; i++) {
    const c = v.charCodeAt(i);
    if (c === 95) {
      // '_' only between two digits.
      if (!prevDigit) return undefined;
      prevDigit = false;
      continue;
    }
    const d = hexDigit(c);
    if (d < 0) return undefined;
    prevDigit = true;
    if (significant === 0 && d === 0) continue; // leading zeros
    if (++significant > 16) return undefined; // wider than 64 bits
    hi = ((hi << 4) | (lo >>> 28)) >>> 0;
    lo = ((lo << 4) | d) >>> 0;
  }
  if (!prevDigit) return undefined; // ends in '_'
  return { lo, hi };
}

/** Reads an optional boolean key: `false` when it is present and not a boolean (or undefined). */
function optBool(s: Record<string, unknown>, key: string, out: Record<string, unknown>): boolean {
  if (!(key in s)) return true;
  const v = s[key];
  if (v !== undefined && typeof v !== 'boolean') return false;
  out[key] = v;
  return true;
}

/** Reads an optional U64 key: `false` when it is present and not a valid U64 (or undefined). */
function optU64(s: Record<string, unknown>, key: string, out: Record<string, unknown>): boolean {
  if (!(key in s)) return true;
  const v = s[key];
  if (v === undefined) {
    out[key] = undefined;
    return true;
  }
  const u = sim_fastU64(v);
  if (u === undefined) return false;
  out[key] = u;
  return true;
}

/** Reads an optional width key allowed to be one of `allowed`. */
function optWidth(s: Record<string, unknown>, out: Record<string, unknown>, eight: boolean): boolean {
  if (!('width' in s)) return true;
  const v = s.width;
  if (v !== undefined && v !== 4 && v !== 8 && !(eight && (v === 1 || v === 2))) return false;
  out.width = v;
  return true;
}

/** Reads the optional `note` (raw.ts NOTE): a string of at most maxNoteChars, or undefined. */
function optNote(s: Record<string, unknown>, out: Record<string, unknown>): boolean {
  if (!('note' in s)) return true;
  const v = s.note;
  if (v !== undefined && (typeof v !== 'string' || v.length > SCENARIO_LIMITS.maxNoteChars)) return false;
  out.note = v;
  return true;
}

// The keys each op allows (the schema's keys, in raw.ts), `note` last on every one.
// `questions` (a teacher's picks, raw.ts QUESTIONS) is left out on purpose: a
// step that has them is rare and goes to zod, so both paths give the same
// result and the same errors for it without a second copy of its rules here.
const ACCESS = new Set(['op', 'gva', 'user', 'ac', 'note']);
const WRITE = new Set(['op', 'gva', 'user', 'ac', 'value', 'width', 'note']);
const CR3 = new Set(['op', 'value', 'noflush', 'note']);
const INVLPG = new Set(['op', 'gva', 'note']);
const CR0 = new Set(['op', 'wp', 'pg', 'note']);
const CR4 = new Set(['op', 'pse', 'pae', 'smep', 'smap', 'pcide', 'note']);
const EFER = new Set(['op', 'nx', 'lme', 'note']);
const HOST_WRITE = new Set(['op', 'gpa', 'value', 'width', 'note']);
const ZAP_ALL = new Set(['op', 'note']);

function onlyKeys(s: Record<string, unknown>, allowed: ReadonlySet<string>): boolean {
  for (const k in s) if (!allowed.has(k)) return false;
  return true;
}

/**
 * The step zod would make of `v`, or `undefined` when this path does not
 * take it (invalid, or not a plain object): then ask zod. `taken`: `v` is a
 * step this path took before and is made again (raw-parse.ts LazyRawSteps),
 * so its shape and keys are not checked a second time.
 */
export function sim_fastStep(v: unknown, taken = false): RawStep | undefined {
  if (!taken && (typeof v !== 'object' || v === null || Array.isArray(v) || Object.getPrototypeOf(v) !== Object.prototype)) return undefined;
  const s = v as Record<string, unknown>;
  const op = s.op;
  const out: Record<string, unknown> = { op };
  switch (op) {
    case 'read':
    case 'fetch':
    case 'write': {
      if (!taken && !onlyKeys(s, op === 'write' ? WRITE : ACCESS)) return undefined;
      const gva = sim_fastU64(s.gva);
      if (gva === undefined) return undefined;
      out.gva = gva;
      if (!optBool(s, 'user', out) || !optBool(s, 'ac', out)) return undefined;
      if (op === 'write' && (!optU64(s, 'value', out) || !optWidth(s, out, true))) return undefined;
      break;
    }
    case 'cr3': {
      if (!taken && !onlyKeys(s, CR3)) return undefined;
      const value = sim_fastU64(s.value);
      if (value === undefined) return undefined;
      out.value = value;
      if (!optBool(s, 'noflush', out)) return undefined;
      break;
    }
    case 'invlpg': {
      if (!taken && !onlyKeys(s, INVLPG)) return undefined;
      const gva = sim_fastU64(s.gva);
      if (gva === undefined) return undefined;
      out.gva = gva;
      break;
    }
    case 'cr0':
      if ((!taken && !onlyKeys(s, CR0)) || !optBool(s, 'wp', out) || !optBool(s, 'pg', out)) return undefined;
      break;
    case 'cr4':
      if (!taken && !onlyKeys(s, CR4)) return undefined;
      for (const k of ['pse', 'pae', 'smep', 'smap', 'pcide']) if (!optBool(s, k, out)) return undefined;
      break;
    case 'efer':
      if ((!taken && !onlyKeys(s, EFER)) || !optBool(s, 'nx', out) || !optBool(s, 'lme', out)) return undefined;
      break;
    case 'host-write': {
      if (!taken && !onlyKeys(s, HOST_WRITE)) return undefined;
      const gpa = sim_fastU64(s.gpa);
      const value = sim_fastU64(s.value);
      if (gpa === undefined || value === undefined) return undefined;
      out.gpa = gpa;
      out.value = value;
      if (!optWidth(s, out, false)) return undefined;
      break;
    }
    case 'zap-all':
      if (!taken && !onlyKeys(s, ZAP_ALL)) return undefined;
      break;
    default:
      return undefined;
  }
  // Every step's last key (raw.ts), so zod writes it last too.
  if (!optNote(s, out)) return undefined;
  return out as unknown as RawStep;
}
