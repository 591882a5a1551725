/**
 * Golden links: every link format ever published keeps a file of links made
 * when it was current (tests/fixtures/permalinks/v<N>.json). Each must still
 * open to the same scenario and view, so no change to the decoder or the
 * library can break a link someone shared. Never regenerate these files: a
 * new format gets a new file next to them.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LIBRARY } from '../src/scenarios/library/index.ts';
import { canonicalJson, decodePermalink, DEFAULT_VIEW, encodePermalink, PERMALINK_VERSION, type ViewState } from '../src/scenarios/permalink.ts';

interface Golden {
  readonly comment: string;
  readonly fragment: string;
  readonly expected: {
    readonly scenarioKind: 'builtin' | 'inline';
    readonly scenarioTitle: string;
    readonly stepsCount: number;
    readonly view: ViewState;
    /** Inline links: SHA-256 of the canonical JSON text the link unpacks to. */
    readonly scenarioJsonSha256?: string;
  };
}

const DIR = join(import.meta.dirname, 'fixtures', 'permalinks');
const files = readdirSync(DIR)
  .filter((f) => /^v\d+\.json$/.test(f))
  .sort();

describe('golden permalinks', () => {
  it('has a golden file for every link format up to the current one', () => {
    const versions = files.map((f) => Number(/\d+/.exec(f)![0]));
    expect(versions).toEqual(Array.from({ length: PERMALINK_VERSION }, (_, i) => i + 1));
  });

  it('has a golden by-name link for every built-in and version (so one changed in place is caught)', () => {
    const all = new Set(files.flatMap((f) => (JSON.parse(readFileSync(join(DIR, f), 'utf8')) as { links: Golden[] }).links.map((g) => g.fragment)));
    const newest = `v${PERMALINK_VERSION}.json`;
    for (const e of LIBRARY) {
      const fragment = encodePermalink({ scenario: { kind: 'builtin', id: e.id, version: e.version }, view: DEFAULT_VIEW });
      const r = decodePermalink(fragment);
      if (!r.ok) throw new Error(r.error);
      const entry = { comment: `built-in ${e.id} by name, default view`, fragment, expected: { scenarioKind: 'builtin', scenarioTitle: r.scenario.title, stepsCount: r.scenario.steps.length, view: r.link.view } };
      expect(all.has(fragment), `built-in ${e.id} v${e.version} has no golden link: append to tests/fixtures/permalinks/${newest}:\n${JSON.stringify(entry, null, 2)}`).toBe(true);
    }
  });

  for (const file of files) {
    const doc = JSON.parse(readFileSync(join(DIR, file), 'utf8')) as { format: number; links: Golden[] };
    describe(file, () => {
      it('holds built-in and inline links', () => {
        expect(doc.links.some((g) => g.expected.scenarioKind === 'builtin')).toBe(true);
        expect(doc.links.some((g) => g.expected.scenarioKind === 'inline')).toBe(true);
        for (const g of doc.links) expect(g.fragment.startsWith(`sp${doc.format}/`)).toBe(true);
      });

      for (const g of doc.links) {
        it(g.comment, () => {
          const r = decodePermalink(g.fragment);
          if (!r.ok) throw new Error(`${g.fragment.slice(0, 60)}: ${r.error}`);
          expect(r.link.scenario.kind).toBe(g.expected.scenarioKind);
          expect(r.scenario.title).toBe(g.expected.scenarioTitle);
          expect(r.scenario.steps.length).toBe(g.expected.stepsCount);
          // Strict: a setting added later must not show up, even as undefined, in the view of a link without it.
          expect(r.link.view).toStrictEqual(g.expected.view);
          if (g.expected.scenarioJsonSha256 !== undefined) {
            expect(createHash('sha256').update(canonicalJson(r.scenarioJson)!).digest('hex')).toBe(g.expected.scenarioJsonSha256);
          }
          // Re-sharing an old link in the current format opens the same state.
          const again = decodePermalink(encodePermalink(r.link));
          if (!again.ok) throw new Error(again.error);
          expect(again.link).toEqual(r.link);
          expect(again.warnings).toEqual([]);
        });
      }
    });
  }
});
