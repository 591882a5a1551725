/** Every built-in scenario parses and passes the audit at every step under every rule set. */
import { describe, expect, it } from 'vitest';
import { RULE_SETS } from '../src/core/index.ts';
import { LIBRARY } from '../src/scenarios/library/index.ts';
import { run } from './run.ts';

describe('built-in scenarios', () => {
  for (const entry of LIBRARY) {
    for (const rules of RULE_SETS) {
      it(`${entry.id} (${rules})`, () => {
        const r = run(entry.json, rules);
        expect(r.tl.length).toBeGreaterThan(0);
      });
    }
  }
  it('have unique ids', () => {
    expect(new Set(LIBRARY.map((e) => e.id)).size).toBe(LIBRARY.length);
  });
});
