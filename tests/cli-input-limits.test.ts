/**
 * The trace CLI's input bounds (src/cli/read-input.ts): an input that never
 * ends, or a huge one, is refused once it is over PARSER_LIMITS.maxTextChars,
 * having read at most the limit plus one chunk; invalid UTF-8 is refused with
 * the offset of the first bad byte. Bytes are counted, never timed (the time
 * to refuse /dev/zero is `reliability.cliDevZeroRefuseMs` in `npm run bench`).
 */
import { runCli, startCli } from './cli-run.ts';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { readBounded } from '../src/cli/read-input.ts';
import { PARSER_LIMITS } from '../src/scenarios/limits.ts';

const CAP = PARSER_LIMITS.maxTextChars;
const CHUNK = 64 * 1024;
const TOO_LONG = new RegExp(`^cannot read (stdin|/dev/zero): longer than the limit of ${CAP.toLocaleString('en-US')} characters; stopped reading after [\\d,]+ bytes$`);

/** A source of `total` bytes (Infinity: endless) in chunks, counting what was pulled and whether it was closed. */
function counted(total: number, fill = 0x61, chunk = CHUNK) {
  const meter = { pulled: 0, closed: false };
  async function* gen() {
    try {
      const block = new Uint8Array(chunk).fill(fill);
      while (meter.pulled < total) {
        const size = Math.min(chunk, total - meter.pulled);
        meter.pulled += size;
        yield size === chunk ? block : block.subarray(0, size);
      }
    } finally {
      meter.closed = true;
    }
  }
  return { meter, source: gen() };
}

async function* chunksOf(parts: readonly Uint8Array[]) {
  for (const p of parts) yield p;
}

const bytes = (...b: number[]) => Uint8Array.from(b);


describe('readBounded: the length limit is checked as the input arrives', () => {
  it('an endless source of NUL bytes (what /dev/zero gives) is refused at its first byte, and closed', async () => {
    const { meter, source } = counted(Infinity, 0);
    const r = await readBounded(source, '/dev/zero');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toBe('cannot read /dev/zero: it is not JSON text: byte offset 0 (counted from 0) is a NUL byte (0x00), which JSON text never contains');
    expect(meter.pulled).toBeLessThanOrEqual(CHUNK);
    expect(meter.closed).toBe(true);
  });
  it('an endless source of spaces is refused after at most the limit plus one chunk, and closed', async () => {
    const { meter, source } = counted(Infinity, 0x20);
    const r = await readBounded(source, '/dev/zero');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(TOO_LONG);
    expect(meter.pulled).toBeGreaterThan(CAP);
    expect(meter.pulled).toBeLessThanOrEqual(CAP + CHUNK);
    expect(r.bytesRead).toBe(meter.pulled);
    expect(meter.closed).toBe(true);
  });
  it('200 MB on stdin is refused having read at most the limit plus one chunk of it', async () => {
    const { meter, source } = counted(200_000_000);
    const r = await readBounded(source, 'stdin');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(TOO_LONG);
    expect(meter.pulled).toBeLessThanOrEqual(CAP + CHUNK);
    expect(meter.closed).toBe(true);
  });
  it('a text of exactly the limit is read whole; one character more is refused (in the parser\'s unit, UTF-16 code units)', async () => {
    const ok = await readBounded(counted(CAP).source, 'stdin');
    expect(ok.ok && ok.text.length).toBe(CAP);
    expect((await readBounded(counted(CAP + 1).source, 'stdin')).ok).toBe(false);
    // A 4-byte character is two code units (a surrogate pair), a 3-byte one is one.
    const emoji = new TextEncoder().encode('😀'.repeat(5));
    expect((await readBounded(chunksOf([emoji]), 'x', 10)).ok).toBe(true);
    expect((await readBounded(chunksOf([emoji]), 'x', 9)).ok).toBe(false);
    const euro = new TextEncoder().encode('€'.repeat(10));
    expect((await readBounded(chunksOf([euro]), 'x', 10)).ok).toBe(true);
    expect((await readBounded(chunksOf([euro]), 'x', 9)).ok).toBe(false);
  });
});

describe('readBounded: invalid UTF-8 is reported with its byte offset, not replaced', () => {
  const offsetOf = async (parts: Uint8Array[]) => {
    const r = await readBounded(chunksOf(parts), 'f.json');
    if (r.ok) return null;
    const m = /^cannot read f\.json: not valid UTF-8 at byte offset ([\d,]+) \(counted from 0\): .+$/.exec(r.message);
    expect(m, r.message).not.toBeNull();
    return Number(m![1]!.replaceAll(',', ''));
  };
  it.each([
    ['a byte that cannot start a character', [bytes(0x7b, 0x22, 0xff, 0x22)], 2],
    ['a lone continuation byte', [bytes(0x41, 0x80)], 1],
    ['an overlong form (C0 80)', [bytes(0x41, 0xc0, 0x80)], 1],
    ['an overlong 3-byte form (E0 80 80)', [bytes(0xe0, 0x80, 0x80)], 1],
    ['a UTF-16 surrogate (ED A0 80)', [bytes(0x20, 0xed, 0xa0, 0x80)], 2],
    ['above U+10FFFF (F4 90 80 80)', [bytes(0xf4, 0x90, 0x80, 0x80)], 1],
    ['a sequence cut by an ASCII byte', [bytes(0xe2, 0x82, 0x41)], 2],
    ['a bad byte in a later chunk, after a sequence split across chunks', [bytes(0x41, 0xe2), bytes(0x82), bytes(0xac, 0x41, 0xfe)], 5],
    ['a sequence split across chunks, then broken', [bytes(0x41, 0x42, 0xe2), bytes(0x82, 0x41)], 4],
    ['the input ending inside a character (the offset of its first byte)', [bytes(0x41, 0x42), bytes(0xf0, 0x9f, 0x98)], 2],
  ])('%s', async (_, parts, offset) => {
    expect(await offsetOf(parts)).toBe(offset);
  });
  it('agrees with the WHATWG decoder on random bytes split into random chunks (valid text decoded the same; the offset is where it first fails)', async () => {
    // Bytes biased towards UTF-8 boundaries, so valid multi-byte text and each kind of error both occur.
    const byte = fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xbf }), fc.constantFrom(0xc2, 0xdf, 0xe0, 0xe2, 0xed, 0xef, 0xf0, 0xf4, 0xc0, 0xf5, 0xff));
    const validText = fc.string({ unit: 'grapheme', maxLength: 40 }).map((s) => new TextEncoder().encode(s));
    const input = fc.oneof(fc.array(byte, { maxLength: 40 }).map((a) => Uint8Array.from(a)), validText);
    await fc.assert(
      fc.asyncProperty(input, fc.array(fc.nat(), { maxLength: 5 }), async (all, cuts) => {
        const at = [...new Set(cuts.map((c) => (all.length === 0 ? 0 : c % all.length)))].sort((a, b) => a - b);
        const parts = [0, ...at].map((s, i, a) => all.subarray(s, a[i + 1] ?? all.length));
        const r = await readBounded(chunksOf(parts), 'f.json');
        let whole: string | null;
        try {
          whole = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(all);
        } catch {
          whole = null;
        }
        expect(r.ok).toBe(whole !== null);
        if (r.ok) {
          expect(r.text).toBe(whole);
          return;
        }
        const off = await offsetOf(parts);
        const prefixOk = (k: number) => {
          try {
            new TextDecoder('utf-8', { fatal: true }).decode(all.subarray(0, k), { stream: true });
            return true;
          } catch {
            return false;
          }
        };
        if (prefixOk(all.length)) {
          // Only the end is bad: the offset is the first byte of the unfinished character.
          expect(off).toBeGreaterThanOrEqual(all.length - 3);
          expect(all[off!]! >= 0xc2).toBe(true);
        } else {
          // The bytes before the offset are a valid start; with the byte at it they are not.
          expect(prefixOk(off!)).toBe(true);
          expect(prefixOk(off! + 1)).toBe(false);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('the real CLI on inputs that are too long or not UTF-8', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cli-limits-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.runIf(existsSync('/dev/zero'))('/dev/zero: exit 2 with one line naming the input and its first NUL byte', () => {
    const r = runCli('trace', ['/dev/zero']);
    expect(r.signal).toBeNull();
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr.trim()).toContain('/dev/zero: it is not JSON text: byte offset 0 (counted from 0) is a NUL byte (0x00)');
  });

  it('200 MB written to stdin: exit 2 with the message, and the CLI stops reading (takes at most the limit plus a few chunks)', async () => {
    const child = startCli('trace', ['-']);
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdout.resume();
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const block = Buffer.alloc(CHUNK, 0x20);
    let written = 0;
    let broken = false;
    child.stdin.on('error', () => (broken = true));
    while (written < 200_000_000 && !broken && child.exitCode === null) {
      const more = child.stdin.write(block);
      written += block.length;
      if (!more) {
        await new Promise<void>((resolve) => {
          const done = () => {
            child.stdin.off('drain', done);
            child.stdin.off('close', done);
            resolve();
          };
          child.stdin.once('drain', done).once('close', done);
        });
      }
    }
    child.stdin.destroy();
    expect(await exited).toBe(2);
    expect(stderr.trim()).toMatch(TOO_LONG);
    // Accepted by the pipe: what the CLI read plus what the pipe and the streams buffer (well under 1 MiB).
    expect(written).toBeLessThan(CAP + 16 * CHUNK);
  });

  it('invalid UTF-8 in a file: exit 2 with one line giving the byte offset', () => {
    const good = readFileSync('tests/fixtures/two-quadrants.json');
    const at = good.indexOf('"title"') + 10;
    const bad = Buffer.from(good);
    bad[at] = 0xff;
    const file = join(dir, 'bad.json');
    writeFileSync(file, bad);
    const r = runCli('trace', [file]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr.trim()).toBe(`cannot read ${file}: not valid UTF-8 at byte offset ${at.toLocaleString('en-US')} (counted from 0): byte 0xff cannot start a character`);
  });

  it('valid non-ASCII text with a byte order mark still runs, from a file and from stdin', () => {
    const scenario = { format: 'shadowpaging/v1', title: 'Übung — 页表 😀', guest: { mode: 'off' }, steps: [{ op: 'read', gva: '0x1000' }] };
    const text = `\uFEFF${JSON.stringify(scenario)}`;
    const file = join(dir, 'ok.json');
    writeFileSync(file, text, 'utf8');
    const fromFile = runCli('trace', [file, '--no-events']);
    expect(fromFile.stderr).toBe('');
    expect(fromFile.status).toBe(0);
    const fromStdin = runCli('trace', ['--no-events'], { input: text });
    expect(fromStdin.status).toBe(0);
    expect(fromStdin.stdout).toBe(fromFile.stdout);
    expect(JSON.parse(fromFile.stdout).steps).toHaveLength(1);
  });
});
