/**
 * Golden traces (issue 17): the trace CLI's JSON for every built-in under
 * every rule set, and for 36 saved random scenarios under two rule sets each
 * (three for the 18 with merged: linux-6.1 too),
 * must come out byte for byte as recorded in tests/golden/traces/. The
 * consistency checks of tests/library.test.ts let a changed trace through;
 * these do not.
 *
 * After a deliberate change to what the core does, regenerate with
 *   UPDATE_GOLDEN=1 npx vitest run tests/golden-traces.test.ts
 * and read the diff: it is the change's effect on every trace.
 * See tests/golden/traces/README.md.
 */
import { runCli } from './cli-run.ts';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LIBRARY } from '../src/scenarios/library/index.ts';
import { RULE_SETS } from '../src/core/index.ts';
import { builtinCases, type GoldenCase, RANDOM_DIR, randomCases, randomScenarioFiles, TRACES_DIR, traceText } from './golden/make-traces.ts';

const UPDATE = process.env.UPDATE_GOLDEN === '1';
const REGENERATE = 'UPDATE_GOLDEN=1 npx vitest run tests/golden-traces.test.ts';

/**
 * Where two texts first differ, as a message naming the file and the line:
 * a trace is ~1,000-10,000 lines, so the whole diff would drown the point.
 */
export function firstDifference(file: string, want: string, got: string): string | null {
  if (want === got) return null;
  const a = want.split('\n');
  const b = got.split('\n');
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const show = (lines: string[]) => (i < lines.length ? JSON.stringify(lines[i]) : '(end of file)');
  // The nearest enclosing keys, so the line can be placed without opening the file.
  const context: string[] = [];
  let indent = (a[i] ?? b[i] ?? '').search(/\S/);
  for (let k = i - 1; k >= 0 && indent > 0; k--) {
    const ind = a[k]!.search(/\S/);
    if (ind >= 0 && ind < indent) {
      let label = a[k]!.trim();
      // An anonymous object in an array: name it by its "index", "kind" or "id".
      if (label === '{') {
        const key = a.slice(k + 1, i + 1).find((l) => l.search(/\S/) === ind + 2 && /^\s*"(index|kind|id)":/.test(l));
        if (key) label = `{${key.trim().replace(/,$/, '')}}`;
      }
      context.unshift(label);
      indent = ind;
    }
  }
  return [
    `${file} differs from the trace the core produces now, first at line ${i + 1}`,
    `  inside: ${context.slice(-4).join(' > ') || '(top level)'}`,
    `  golden: ${show(a)}`,
    `  now:    ${show(b)}`,
    `If the change is deliberate, regenerate with ${REGENERATE} and review the diff.`,
  ].join('\n');
}

/** Compare (or, with UPDATE_GOLDEN=1, write) one golden file; returns what is wrong, or null. */
function check(c: GoldenCase): string | null {
  const path = join(TRACES_DIR, c.file);
  const got = traceText(c.doc(), c.rules);
  if (UPDATE) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, got);
    return null;
  }
  if (!existsSync(path)) return `golden file ${relative(process.cwd(), path)} is missing: create it with ${REGENERATE}`;
  return firstDifference(relative(process.cwd(), path), readFileSync(path, 'utf8'), got);
}

/** Every rule set of one scenario is checked, so a failure lists all the files that changed. */
function checkAll(cases: readonly GoldenCase[]): void {
  expect(cases.length).toBeGreaterThan(0);
  const problems = cases.map(check).filter((p): p is string => p !== null);
  if (problems.length) throw new Error(problems.join('\n\n'));
}

const builtins = builtinCases();
const randoms = randomCases();

describe('golden traces of the built-ins (every rule set)', () => {
  for (const entry of LIBRARY) {
    it(entry.id, () => {
      checkAll(builtins.filter((x) => x.file.startsWith(`builtin/${entry.id}.`)));
    });
  }
});

describe('golden traces of the saved random scenarios', () => {
  it('36 scenario documents are saved', () => {
    // make-traces.ts writes them; losing one would silently shrink the net.
    expect(randomScenarioFiles()).toHaveLength(36);
  });
  for (const f of randomScenarioFiles()) {
    const stem = f.slice(0, -'.scenario.json'.length);
    it(stem, () => {
      checkAll(randoms.filter((x) => x.file.startsWith(`random/${stem}.`)));
    });
  }
});

describe('the golden set', () => {
  it('holds exactly the expected files (no stale goldens left behind)', () => {
    if (UPDATE) return;
    const expected = new Set([...builtins, ...randoms].map((c) => c.file));
    const onDisk = [
      ...readdirSync(join(TRACES_DIR, 'builtin')).map((f) => `builtin/${f}`),
      ...readdirSync(RANDOM_DIR)
        .filter((f) => !f.endsWith('.scenario.json'))
        .map((f) => `random/${f}`),
    ];
    expect(onDisk.filter((f) => !expected.has(f))).toEqual([]);
    expect([...expected].filter((f) => !onDisk.includes(f))).toEqual([]);
    expect(builtins).toHaveLength(LIBRARY.length * RULE_SETS.length);
    // Two rule sets each, plus linux-6.1 beside merged for half of them.
    expect(randoms).toHaveLength(90);
  });

  it('a golden file is the real CLI\'s stdout, byte for byte (a built-in and a random scenario)', () => {
    const picks = [builtins.find((c) => c.file === 'builtin/quadrants-32bit.merged.json')!, randoms.find((c) => c.file.includes('unsync-pae'))!];
    for (const c of picks) {
      const r = runCli('trace', [c.scenarioPath, '--rules', c.rules]);
      expect(r.status, r.stderr).toBe(0);
      const diff = firstDifference(c.file, readFileSync(join(TRACES_DIR, c.file), 'utf8'), r.stdout);
      expect(diff).toBeNull();
    }
  });

  it('reports the file and the first differing line', () => {
    const msg = firstDifference('x.json', '{\n  "a": {\n    "b": 1,\n    "c": 2\n  }\n}\n', '{\n  "a": {\n    "b": 1,\n    "c": 3\n  }\n}\n');
    expect(msg).toContain('x.json differs');
    expect(msg).toContain('first at line 4');
    expect(msg).toContain('golden: "    \\"c\\": 2"');
    expect(msg).toContain('now:    "    \\"c\\": 3"');
    expect(msg).toContain('inside: {');
    expect(firstDifference('x.json', 'same', 'same')).toBeNull();
  });
});
