/**
 * Every built-in's "what to watch" is data, and every item is true: checked
 * against the trace under every rule set it names. A built-in without a list,
 * or a list item for a step the scenario does not have, fails.
 */
import { describe, expect, it } from 'vitest';
import { RULE_SETS, Timeline } from '../src/core/index.ts';
import { LIBRARY } from '../src/scenarios/library/index.ts';
import { checkItem, itemRules, stepEvents, WATCH, type WatchItem } from '../src/scenarios/library/watch.ts';
import { parse } from './run.ts';

const timelines = new Map<string, Timeline>();
function timeline(id: string, rules: (typeof RULE_SETS)[number]): Timeline {
  const key = `${id}/${rules}`;
  let tl = timelines.get(key);
  if (tl === undefined) {
    tl = new Timeline(parse(LIBRARY.find((e) => e.id === id)!.json), rules);
    timelines.set(key, tl);
  }
  return tl;
}

/**
 * The hex numbers in a text, with the forms a sentence derives from them: the
 * frame of an entry value (>> 12) and the page of an address (& ~0xfff).
 */
function numbersIn(text: string): Set<bigint> {
  const out = new Set<bigint>();
  for (const m of text.matchAll(/0x[0-9a-f_]+/gi)) {
    const v = BigInt(m[0].replace(/_/g, ''));
    out.add(v);
    out.add(v >> 12n);
    out.add(v & ~0xfffn);
  }
  return out;
}

describe('what to watch', () => {
  it('every built-in has a list, and every list is of a built-in', () => {
    expect(LIBRARY.map((e) => e.id).filter((id) => (WATCH[id]?.length ?? 0) === 0)).toEqual([]);
    expect(Object.keys(WATCH).filter((id) => !LIBRARY.some((e) => e.id === id))).toEqual([]);
  });

  for (const entry of LIBRARY) {
    const items = WATCH[entry.id] ?? [];
    describe(entry.id, () => {
      for (const rules of RULE_SETS) {
        it(`holds under ${rules}`, () => {
          const tl = timeline(entry.id, rules);
          const failures = items
            .filter((item) => itemRules(item).includes(rules))
            .flatMap((item) => {
              expect(item.step, item.text).toBeLessThanOrEqual(tl.length);
              expect(item.through ?? item.step, item.text).toBeLessThanOrEqual(tl.length);
              return checkItem(tl, item).map((f) => `${f}  [${item.text.slice(0, 60)}]`);
            });
          expect(failures).toEqual([]);
        });
      }
      it('names only numbers that are in the run: every hex number in a sentence is in the trace, the scenario or the checked facts', () => {
        const missing: string[] = [];
        for (const rules of RULE_SETS) {
          const tl = timeline(entry.id, rules);
          for (const item of items.filter((i) => itemRules(i).includes(rules))) {
            const known = numbersIn(JSON.stringify(entry.json));
            for (let k = 0; k <= (item.through ?? item.step); k++) for (const v of numbersIn(JSON.stringify(stepEvents(tl, k)))) known.add(v);
            for (const m of JSON.stringify(item.expect).matchAll(/":(\d+)/g)) known.add(BigInt(m[1]!));
            for (const m of item.text.matchAll(/0x[0-9a-f]+/gi)) if (!known.has(BigInt(m[0]))) missing.push(`${rules} step ${item.step}: ${m[0]}`);
          }
        }
        expect(missing).toEqual([]);
      });
      it('has sentences, rule sets that exist, and steps in order', () => {
        for (const item of items) {
          expect(item.text.length).toBeGreaterThan(10);
          expect(item.expect.length).toBeGreaterThan(0);
          for (const r of item.rules ?? []) expect(RULE_SETS).toContain(r);
        }
        const steps = items.map((i) => i.step);
        expect(steps).toEqual([...steps].sort((a, b) => a - b));
      });
    });
  }
});

describe('a wrong item fails', () => {
  const tl = () => timeline('quadrants-32bit', 'seed');
  const wrong: WatchItem[] = [
    { step: 2, text: 'wrong quadrant', expect: [{ kind: 'newPage', page: { gfn: 0x4, level: 1, quadrant: 0 } }] },
    { step: 3, text: 'a hit is not a fault', expect: [{ kind: 'outcome', outcome: 'shadow-fault' }] },
    { step: 5, text: 'wrong error code', expect: [{ kind: 'outcome', outcome: 'guest-fault', errorCode: 0x7 }] },
    { step: 12, text: 'roots are not freed', expect: [{ kind: 'roots', change: 'freed' }] },
    { step: 8, text: 'the stale access goes to 0x10000', expect: [{ kind: 'access', gpa: 0x11000 }] },
    { step: 1, text: 'a clean page is not writable', expect: [{ kind: 'spte', gfn: 0x12, writable: true }] },
  ];
  for (const item of wrong) it(item.text, () => expect(checkItem(tl(), item)).not.toEqual([]));
  it('the sweep claim the issue found false: the last MOV CR3 does not drop the roots', () => {
    expect(checkItem(timeline('sweep-64-tables', 'seed'), { step: 73, text: '', expect: [{ kind: 'roots', change: 'freed' }] })).not.toEqual([]);
  });
  it('the flooding claim the issue found false: the quadrant-0 root is not zapped at step 5', () => {
    const item: WatchItem = { step: 5, text: '', expect: [{ kind: 'zap', page: { gfn: 0x1, level: 2 }, reason: 'write flooding', count: 4 }] };
    expect(checkItem(timeline('pd-write-flooding', 'seed'), item)).not.toEqual([]);
  });
  it('permission-faults: step 7 is not refused', () => {
    const item: WatchItem = { step: 7, text: '', expect: [{ kind: 'noNewPage' }] };
    expect(checkItem(timeline('permission-faults', 'seed'), item)).not.toEqual([]);
  });
});
