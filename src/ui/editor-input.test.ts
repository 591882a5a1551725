import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkEditorText, decodeUtf8, EDITOR_LIMITS, firstInvalidUtf8, formatBytes, parsedFileText, readScenarioFile } from './editor-input.ts';

const fatalOk = (b: Uint8Array) => {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(b);
    return true;
  } catch {
    return false;
  }
};
// Random bytes biased towards UTF-8 lead and continuation bytes, so the edge cases come up often.
const byte = fc.oneof(fc.integer({ min: 0, max: 0x7f }), fc.integer({ min: 0x80, max: 0xbf }), fc.integer({ min: 0xc0, max: 0xff }), fc.constantFrom(0xe0, 0xed, 0xf0, 0xf4, 0x9f, 0xa0, 0x8f, 0x90));
const bytes = fc.array(byte, { maxLength: 24 }).map((a) => new Uint8Array(a));

describe('firstInvalidUtf8 agrees with the WHATWG fatal decoder', () => {
  it('returns -1 exactly when the decoder accepts the bytes, else the end of the longest valid prefix', () => {
    fc.assert(
      fc.property(bytes, (b) => {
        const at = firstInvalidUtf8(b);
        expect(at === -1).toBe(fatalOk(b));
        if (at === -1) return;
        // The bytes before the offset decode; every longer prefix does not.
        expect(fatalOk(b.slice(0, at))).toBe(true);
        for (let end = at + 1; end <= Math.min(b.length, at + 4); end++) expect(fatalOk(b.slice(0, end))).toBe(false);
      }),
      { numRuns: 5000 },
    );
  });
  it('accepts every string the encoder writes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        expect(firstInvalidUtf8(new TextEncoder().encode(s))).toBe(-1);
      }),
    );
  });
});

describe('editor input checks', () => {
  it('names the offset and byte of invalid UTF-8', () => {
    const r = decodeUtf8(new Uint8Array([0x7b, 0xc3, 0xa9, 0xe2, 0x82, 0x41]), 'x.json');
    expect(r).toEqual({ ok: false, message: expect.stringContaining('at byte offset 3 (counted from 0; the byte there is 0xe2)') as unknown });
  });
  it('counts steps of JSON text only, and measures length first', () => {
    expect(checkEditorText('{"steps": [1, 2', 'T')).toBeNull();
    // Steps: as many as a file may hold (the form draws up to 10,000; a longer document still opens).
    expect(checkEditorText(JSON.stringify({ steps: new Array(1_000_001).fill(0) }), 'T', true)).toContain('T has 1,000,001 steps; the app opens at most 1,000,000');
    expect(checkEditorText(JSON.stringify({ steps: new Array(1_000_000).fill(0) }), 'T', true)).toBeNull();
    expect(checkEditorText(JSON.stringify({ steps: new Array(12_345).fill(0) }), 'T')).toBeNull();
    // Characters: the editor edits up to 1,000,000; a file opened to run, up to 64 Mi.
    expect(checkEditorText('x'.repeat(1_000_001), 'T')).toContain('T is 1,000,001 characters; the editor holds at most 1,000,000');
    expect(checkEditorText('x'.repeat(1_000_000), 'T')).toBeNull();
    expect(checkEditorText('x'.repeat(1_000_001), 'T', true)).toBeNull();
    expect(checkEditorText('x'.repeat(EDITOR_LIMITS.maxOpenChars + 1), 'T', true)).toContain('the app opens files of up to 67,108,864');
  });
  it('formats sizes with the exact byte count', () => {
    expect(formatBytes(812)).toBe('812 bytes');
    expect(formatBytes(5_242_880)).toBe('5.2 MB (5,242,880 bytes)');
    expect(formatBytes(250_000)).toBe('250 kB (250,000 bytes)');
    expect(formatBytes(999_949_999)).toBe('999.9 MB (999,949,999 bytes)');
    expect(formatBytes(1_863_435_035)).toBe('1.9 GB (1,863,435,035 bytes)');
  });
});

describe('readScenarioFile and parsedFileText', () => {
  const doc = { format: 'shadowpaging/v1', title: 'Read', guest: { mode: 'off' }, steps: [{ op: 'read', gva: '0x1000' }] };
  const fileOf = (text: string) => ({ name: 'f.json', size: text.length, arrayBuffer: () => Promise.resolve(new TextEncoder().encode(text).buffer) }) as unknown as File;

  it('hands the file\'s parse to the form once, for that text only, and lets it go at another text', async () => {
    const text = JSON.stringify(doc);
    const seen: string[] = [];
    const r = await readScenarioFile(fileOf(text), (t) => seen.push(t));
    expect(seen).toEqual([text]);
    expect(r.ok && r.json).toEqual(doc);
    const got = parsedFileText(text);
    expect(got?.json).toBe(r.ok ? r.json : null);
    // Once: then it is let go.
    expect(parsedFileText(text)).toBeNull();
    // Another text (an edit) first: none, and the file's parse is dropped.
    await readScenarioFile(fileOf(text));
    expect(parsedFileText(`${text} `)).toBeNull();
    expect(parsedFileText(text)).toBeNull();
  });

  it('keeps no parse of a refused file, nor of the file read before it', async () => {
    const first = JSON.stringify(doc);
    await readScenarioFile(fileOf(first));
    const text = JSON.stringify({ ...doc, steps: Array.from({ length: EDITOR_LIMITS.maxSteps + 1 }, () => 0) });
    const r = await readScenarioFile(fileOf(text));
    expect(r.ok).toBe(false);
    expect(parsedFileText(first)).toBeNull();
  });
});
