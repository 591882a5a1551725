/**
 * The views' memo (sim_JsonMemo) gives the JSON a state has, whatever states
 * were serialized before with it: jumping about a run, every shadow page and
 * guest table equals what machineJson / guestTables build without a memo.
 */
import { describe, expect, it } from 'vitest';
import { generateScenario100k } from '../bench/scenario100k.ts';
import { LIBRARY } from '../src/scenarios/library/index.ts';
import { parseScenario } from '../src/scenarios/schema.ts';
import { guestTables, machineJson, rmapJson, RULE_SETS, sim_JsonMemo, Timeline } from '../src/core/index.ts';

function expectSameJsonJumping(tl: Timeline, jumps: number): void {
  const memo = new sim_JsonMemo();
  const n = tl.length;
  for (let k = 0; k < jumps; k++) {
    const at = (k * 7919 + (k % 3) * 13) % (n + 1);
    const m = tl.stateAt(at);
    const got = machineJson(m, memo, () => rmapJson(tl.stateAt(at)));
    expect(JSON.stringify(got), `state after ${at} steps`).toBe(JSON.stringify(machineJson(tl.stateAt(at))));
    expect(JSON.stringify(guestTables(m.cpu, m.mem, undefined, memo)), `guest tables after ${at} steps`).toBe(JSON.stringify(guestTables(m.cpu, m.mem)));
  }
}

describe('machineJson and guestTables with a memo', () => {
  it('every built-in, every rule set, every step in a jumping order', () => {
    for (const e of LIBRARY) {
      const r = parseScenario(e.json);
      if (!r.ok) throw new Error(e.id);
      for (const rules of RULE_SETS) expectSameJsonJumping(new Timeline(r.scenario, rules), 2 * (r.scenario.steps.length + 1));
    }
  });

  it('a 3,000-step run of four processes (CR3 switches, guest page-table edits), 120 jumps', () => {
    expectSameJsonJumping(new Timeline(generateScenario100k(3000).scenario, 'seed'), 120);
  });
});
