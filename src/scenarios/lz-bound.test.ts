import fc from 'fast-check';
import * as lzModule from 'lz-string';
import { describe, expect, it } from 'vitest';
import { LIBRARY } from './library/index.ts';
import { lzUnpackedLength, type UnpackedLength } from './lz-bound.ts';

const lz = (lzModule as unknown as { default?: typeof lzModule }).default ?? lzModule;
const ALPHABET = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+-$'];

/** What lz-string itself does with `data`: its output length, or 0 for "", null or a throw. */
function actual(data: string): number {
  try {
    const out = lz.decompressFromEncodedURIComponent(data) as string | null;
    return typeof out === 'string' ? out.length : 0;
  } catch {
    return 0;
  }
}

function modelled(r: UnpackedLength): number {
  if (r.kind === 'over') throw new Error('unexpected "over" without a limit');
  return r.kind === 'length' ? r.length : 0;
}

/**
 * The model and lz-string agree. One exception: a stream whose first code is
 * 3 (first character from "w" on) makes lz-string output text built from an
 * undefined entry; the model calls it invalid and the decoder refuses it
 * without unpacking, so only the model's verdict matters there.
 */
function agrees(data: string): void {
  const m = modelled(lzUnpackedLength(data, Infinity));
  if (m === 0 && data.length > 0 && ALPHABET.indexOf(data.charAt(0)) >= 48 && ALPHABET.indexOf(data.charAt(0)) < 64) return;
  expect(m, JSON.stringify(data.slice(0, 60))).toBe(actual(data));
}

describe('lzUnpackedLength models lz-string', () => {
  it('gives the exact length of every built-in, compressed', () => {
    for (const e of LIBRARY) {
      const text = JSON.stringify(e.json);
      expect(lzUnpackedLength(lz.compressToEncodedURIComponent(text), Infinity)).toEqual({ kind: 'length', length: text.length });
    }
  });

  it('gives the exact length of random text, compressed (ASCII, any UTF-16, long runs)', () => {
    const text = fc.oneof(
      fc.string({ unit: 'binary-ascii', maxLength: 400 }),
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.string({ unit: fc.constantFrom('a', 'b', '{', '"'), maxLength: 3000 }),
      fc.tuple(fc.constantFrom('a', 'é', '😀', '\u0000'), fc.integer({ min: 1, max: 20_000 })).map(([c, n]) => c.repeat(n)),
    );
    fc.assert(
      fc.property(text, (t) => {
        expect(lzUnpackedLength(lz.compressToEncodedURIComponent(t), Infinity)).toEqual({ kind: 'length', length: t.length });
      }),
      { seed: 7, numRuns: 1500 },
    );
  });

  it('agrees with lz-string on damaged streams and on junk', () => {
    const valid = fc.string({ unit: 'binary', maxLength: 200 }).map((t) => lz.compressToEncodedURIComponent(t));
    const damaged = fc
      .tuple(valid, fc.nat(), fc.constantFrom(...ALPHABET), fc.constantFrom('cut', 'flip', 'insert', 'drop'))
      .map(([d, i, c, how]) => {
        const k = d.length === 0 ? 0 : i % d.length;
        if (how === 'cut') return d.slice(0, k);
        if (how === 'flip') return d.slice(0, k) + c + d.slice(k + 1);
        if (how === 'insert') return d.slice(0, k) + c + d.slice(k);
        return d.slice(0, k) + d.slice(k + 1);
      });
    const junk = fc.string({ unit: fc.constantFrom(...ALPHABET), maxLength: 300 });
    fc.assert(fc.property(fc.oneof(damaged, junk), agrees), { seed: 8, numRuns: 4000 });
  });

  it('stops counting past the limit', () => {
    const bomb = lz.compressToEncodedURIComponent('a'.repeat(200_000));
    expect(lzUnpackedLength(bomb, 50_000)).toEqual({ kind: 'over', limit: 50_000 });
    expect(lzUnpackedLength(bomb, 200_000)).toEqual({ kind: 'length', length: 200_000 });
    expect(lzUnpackedLength(bomb, 199_999)).toEqual({ kind: 'over', limit: 199_999 });
  });

  it('handles the edge cases', () => {
    expect(lzUnpackedLength('', Infinity)).toEqual({ kind: 'invalid' });
    for (const d of ['A', 'Q', 'g', 'AAAA', 'gAAA', 'QAAA', '$$$$']) agrees(d);
    // First code 3: lz-string makes text out of an undefined entry (or throws); the model refuses it.
    for (const d of ['w', 'wpybgEdo', '----']) expect(lzUnpackedLength(d, Infinity)).toEqual({ kind: 'invalid' });
  });
});
