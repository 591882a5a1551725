/**
 * Every built-in scenario parses and passes the audit at every step under
 * every rule set, except where a built-in exists to show a kernel bug: there
 * the audit must catch the corruption exactly where the modelled kernel
 * causes it, and only under the rule sets that have the bug.
 */
import { describe, expect, it } from 'vitest';
import { auditMachine, RULE_SETS, type RuleSetName, Timeline } from '../src/core/index.ts';
import { LIBRARY } from '../src/scenarios/library/index.ts';
import { parse, run } from './run.ts';

/** Built-ins that demonstrate kernel data corruption: under these rule sets, the step that causes it and the bugs recorded. */
const KERNEL_BUG_DEMOS: Readonly<Record<string, { rules: readonly RuleSetName[]; firstBadStep: number; bugs: ReadonlyArray<[step: number, kind: string]> }>> = {
  'stale-child-uaf': {
    rules: ['before', 'seed', 'merged-no-7'],
    firstBadStep: 3,
    bugs: [
      [3, 'stale-rmap'],
      [5, 'pte_list_remove'],
      [6, 'use-after-free'],
    ],
  },
};

describe('built-in scenarios', () => {
  for (const entry of LIBRARY) {
    for (const rules of RULE_SETS) {
      const demo = KERNEL_BUG_DEMOS[entry.id];
      if (demo?.rules.includes(rules)) {
        it(`${entry.id} (${rules}): the audit flags the kernel bug from step ${demo.firstBadStep} on`, () => {
          const tl = new Timeline(parse(entry.json), rules);
          for (let n = 0; n <= tl.length; n++) {
            const issues = auditMachine(tl.stateAt(n));
            // State n is after n steps: step index firstBadStep is the (firstBadStep + 1)-th.
            if (n <= demo.firstBadStep) expect(issues, `after ${n} steps`).toEqual([]);
            else expect(issues.some((i) => i.rule === 'rmap'), `after ${n} steps`).toBe(true);
          }
          expect(tl.stateAt(tl.length).bugs.map((b) => [b.step, b.kind])).toEqual(demo.bugs);
        });
        continue;
      }
      it(`${entry.id} (${rules})`, () => {
        const r = run(entry.json, rules);
        expect(r.tl.length).toBeGreaterThan(0);
        expect(r.tl.stateAt(r.tl.length).bugs).toEqual([]);
      });
    }
  }
  it('have unique ids', () => {
    expect(new Set(LIBRARY.map((e) => e.id)).size).toBe(LIBRARY.length);
  });
});
