/**
 * The CLIs' output (src/cli/output.ts): a reader that stops early (`| head`)
 * ends the trace quietly with status 0, a failing write (a full disk) gives
 * one line and status 1, and the trace is written at the reader's pace: the
 * next piece is made only once the last was taken, so a slow reader never
 * has the whole trace queued in memory; the grader's report reaches a reader
 * that starts late, whole. Counted, never timed.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { generateScenario100k } from '../bench/scenario100k.ts';
import { writeAll } from '../src/cli/output.ts';
import { ANSWERS_FORMAT } from '../src/scenarios/answers.ts';
import { runCli, startCli } from './cli-run.ts';

/** A scenario whose trace is far longer than a pipe holds (~0.9 MB without events). */
const LONG = JSON.stringify(generateScenario100k(5000).toJson());

describe('trace CLI output', () => {
  it('ends quietly with status 0 when its reader closes the pipe early (| head)', async () => {
    const child = startCli('trace', ['-', '--no-events']);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.end(LONG);
    // Read the first piece, then close the pipe as `head` does.
    const first = await new Promise<string>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(d.toString())));
    child.stdout.destroy();
    const status = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    expect(first).toMatch(/^\{\n {2}"format": "shadowpaging-trace\/v1"/);
    expect(stderr).toBe('');
    expect(status).toBe(0);
  });

  it('reports a failing write in one line with status 1 (a full disk: /dev/full)', () => {
    const full = openSync('/dev/full', 'w');
    try {
      const r = runCli('trace', ['tests/fixtures/two-quadrants.json'], { stdio: ['ignore', full, 'pipe'] });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^cannot write the output: ENOSPC: no space left on device, write\n$/);
    } finally {
      closeSync(full);
    }
  });
});

describe('grade CLI output', () => {
  it('a report longer than a pipe holds reaches a reader that is not reading yet, whole; a reader that stops early keeps the verdict', () => {
    // ~800 answers to a 1,000-step scenario: a report of ~300 KB, several times a pipe's 64 KiB.
    const gen = generateScenario100k(1000);
    const doc = gen.toJson() as { title: string; steps: Array<{ op: string }> };
    const answers = doc.steps.flatMap((s, i) => (s.op === 'read' || s.op === 'write' || s.op === 'fetch' ? [{ step: i + 1, question: 'outcome', answer: 'hit' }] : []));
    const dir = mkdtempSync(join(tmpdir(), 'sp-out-'));
    try {
      writeFileSync(join(dir, 's.json'), JSON.stringify(doc));
      writeFileSync(join(dir, 'a.json'), JSON.stringify({ format: ANSWERS_FORMAT, scenario: doc.title, rules: 'seed', answers }));
      // The reader starts late (a real pipe, as `| (sleep 1.5; cat)` in a shell): exiting right after the
      // write cut the report at what the pipe held (64 KiB). The CLI's own status comes back through PIPESTATUS.
      const r = spawnSync('bash', ['-c', `"$0" scripts/cli.mjs grade "$1" "$2" | (sleep 1.5; cat); exit "\${PIPESTATUS[0]}"`, process.execPath, join(dir, 's.json'), join(dir, 'a.json')], {
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
        timeout: 60_000,
      });
      const out = r.stdout;
      const status = r.status;
      expect(out.length).toBeGreaterThan(4 * 65536);
      const report = JSON.parse(out) as { total: number; results: unknown[] };
      expect(report.total).toBe(answers.length);
      expect(report.results).toHaveLength(answers.length);
      // Some answers are wrong (not every access hits): status 1, as for a file.
      expect(status).toBe(1);
      // A reader that stops early (`| head`) does not turn that verdict into a pass (what `set -o pipefail` reports).
      const cut = spawnSync('bash', ['-c', `set -o pipefail; "$0" scripts/cli.mjs grade "$1" "$2" | head -c 10`, process.execPath, join(dir, 's.json'), join(dir, 'a.json')], { encoding: 'utf8', timeout: 60_000 });
      expect(cut.stdout).toBe('{\n  "forma');
      expect(cut.stderr).toBe('');
      expect(cut.status).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('writeAll', () => {
  it('asks for the next piece only once the reader took the last one', async () => {
    let taken = 0;
    const slow = new Writable({
      highWaterMark: 4,
      write(_chunk, _enc, done) {
        // The reader takes each piece a little later, as a pipe to a slow reader does.
        setImmediate(() => {
          taken++;
          done();
        });
      },
    });
    const queuedWhenAsked: number[] = [];
    let made = 0;
    function* pieces(): Generator<string> {
      for (let i = 0; i < 50; i++) {
        queuedWhenAsked.push(made - taken);
        made++;
        yield `piece ${i}\n`;
      }
    }
    await writeAll(pieces(), slow);
    expect(made).toBe(50);
    // Each piece is asked for with at most one earlier piece not yet taken (the write that just returned).
    expect(Math.max(...queuedWhenAsked)).toBeLessThanOrEqual(1);
  });

  it('writes every piece, in order', async () => {
    let text = '';
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        text += chunk.toString();
        done();
      },
    });
    await writeAll(['a', 'b', 'c'], sink);
    expect(text).toBe('abc');
  });
});
