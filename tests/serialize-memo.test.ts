/**
 * The views' memo (sim_JsonMemo) gives the JSON a state has, whatever states
 * were serialized before with it: jumping about a run, every shadow page and
 * guest table equals what machineJson / guestTables build without a memo.
 */
import { describe, expect, it } from 'vitest';
import { generateScenario100k } from '../bench/scenario100k.ts';
import { LIBRARY } from '../src/scenarios/library/index.ts';
import { parseScenario } from '../src/scenarios/schema.ts';
import { parse } from './run.ts';
import { guestTables, machineJson, rmapJson, RULE_SETS, sim_runStep, sim_guestEntriesMade, sim_guestEntriesShape, sim_JsonMemo, sim_sptesMade, sim_sptesShape, Timeline } from '../src/core/index.ts';
import { sim_defineLazy, sim_lazyMade } from '../src/core/serialize.ts';


function expectSameJsonJumping(tl: Timeline, jumps: number): void {
  const memo = new sim_JsonMemo();
  const n = tl.length;
  for (let k = 0; k < jumps; k++) {
    const at = (k * 7919 + (k % 3) * 13) % (n + 1);
    const m = tl.stateAt(at);
    const got = machineJson(m, memo, () => rmapJson(tl.stateAt(at)));
    const eager = machineJson(tl.stateAt(at));
    // The shape of a page's sptes, measured from its spte words, is what their
    // JSON gives; measuring it makes no JSON (a page not made stays so).
    got.shadowPages.forEach((p, i) => {
      const made = sim_sptesMade(p);
      expect(sim_sptesShape(p), `sp ${p.id} after ${at} steps`).toEqual(sim_sptesShape(eager.shadowPages[i]!));
      expect(sim_sptesMade(p), `sp ${p.id} after ${at} steps`).toBe(made);
    });
    expect(JSON.stringify(got), `state after ${at} steps`).toBe(JSON.stringify(eager));
    const tables = guestTables(m.cpu, m.mem, undefined, memo);
    const eagerTables = guestTables(m.cpu, m.mem);
    // The same for a table's entries: their shape, read from the frame, is what their JSON gives.
    tables.forEach((t, i) => {
      const made = sim_guestEntriesMade(t);
      expect(sim_guestEntriesShape(t), `table ${t.gfn} after ${at} steps`).toEqual(sim_guestEntriesShape(eagerTables[i]!));
      expect(sim_guestEntriesMade(t), `table ${t.gfn} after ${at} steps`).toBe(made);
    });
    expect(JSON.stringify(tables), `guest tables after ${at} steps`).toBe(JSON.stringify(eagerTables));
  }
}

describe('sim_defineLazy: a field made when first read', () => {
  it('is made once, on first read; JSON text, spreads and key order are those of a plain field', () => {
    let made = 0;
    const o = sim_defineLazy({ a: 1 }, 'b', () => {
      made++;
      return [2, 3];
    });
    Object.assign(o, { c: 4 });
    expect(made).toBe(0);
    expect(sim_lazyMade(o, 'b')).toBe(false);
    expect(JSON.stringify(o)).toBe('{"a":1,"b":[2,3],"c":4}');
    expect({ ...o }).toEqual({ a: 1, b: [2, 3], c: 4 });
    expect(o.b).toBe(o.b);
    expect(made).toBe(1);
    expect(sim_lazyMade(o, 'b')).toBe(true);
    // A plain field counts as made.
    expect(sim_lazyMade({ b: 1 }, 'b')).toBe(true);
  });
});

describe('machineJson and guestTables with a memo', () => {
  it('every built-in, every rule set, every step in a jumping order', () => {
    for (const e of LIBRARY) {
      const r = parseScenario(e.json);
      if (!r.ok) throw new Error(e.id);
      for (const rules of RULE_SETS) expectSameJsonJumping(new Timeline(r.scenario, rules), 2 * (r.scenario.steps.length + 1));
    }
  });

  // A table made again after a write hands out the entries that did not change
  // (sim_sameEntry): an entry whose value changed only in bits the flags and
  // the target do not show (PWT, PCD, G, the bits free for software) is a
  // new entry all the same.
  it('a guest entry that changes only in bits its flags and target do not show', () => {
    const s = parse({
      format: 'shadowpaging/v1',
      title: 'guest PTEs that change only in PWT, PCD, G and the software bits',
      guest: { mode: 'x86-32', cr3: '0x1000' },
      memory: [
        { gpa: '0x1000', entries: { 0: '0x2027', 1: '0x3027' } },
        { gpa: '0x2000', entries: { 0: '0x10027', 1: '0x11027', 2: '0x12027' } },
        // PD entry 1's table maps the PT at 0x2000 at gva 0x400000, so the guest can write it.
        { gpa: '0x3000', entries: { 0: '0x2027' } },
      ],
      steps: [
        { op: 'read', gva: '0x0' },
        { op: 'write', gva: '0x400004', value: '0x11e2f' }, // PT entry 1: PWT and the three software bits
        { op: 'write', gva: '0x400008', value: '0x12137' }, // PT entry 2: G and PCD
        { op: 'write', gva: '0x400004', value: '0x11027' }, // entry 1 as it was
      ],
    });
    const tl = new Timeline(s, 'seed');
    // The writes land (no fault): entry 1's value is the one written.
    expect(guestTables(tl.stateAt(2).cpu, tl.stateAt(2).mem)[1]!.entries[1]!.value).toBe('0x11e2f');
    const memo = new sim_JsonMemo();
    for (const at of [0, 1, 2, 3, 4, 3, 2, 1, 4]) {
      const m = tl.stateAt(at);
      expect(JSON.stringify(guestTables(m.cpu, m.mem, undefined, memo)), `after ${at} steps`).toBe(JSON.stringify(guestTables(m.cpu, m.mem)));
      expect(JSON.stringify(machineJson(m, memo, () => [])), `after ${at} steps`).toBe(JSON.stringify({ ...machineJson(m), rmap: [] }));
    }
  });

  it('entries made long after their view: from the state the view was made of, not the machine of later steps', () => {
    const scenario = generateScenario100k(3000).scenario;
    const tl = new Timeline(scenario, 'seed');
    const memo = new sim_JsonMemo();
    const steps = [2990, 17, 1500, 1501, 640, 2200];
    // Views made one after another, none read; the timeline (and its cursor)
    // moves on between them, and so does each view's machine: its next steps run on it.
    const views = steps.map((at) => {
      const m = tl.stateAt(at);
      const v = { at, machine: machineJson(m, memo, () => []), guest: guestTables(m.cpu, m.mem, undefined, memo) };
      for (let i = at; i < at + 8; i++) sim_runStep(m, i, scenario.steps[i]!);
      return v;
    });
    for (const v of views) {
      const m = tl.stateAt(v.at);
      expect(JSON.stringify(v.machine), `state after ${v.at} steps`).toBe(JSON.stringify({ ...machineJson(m), rmap: [] }));
      expect(JSON.stringify(v.guest), `guest tables after ${v.at} steps`).toBe(JSON.stringify(guestTables(m.cpu, m.mem)));
    }
  });

  it('a 3,000-step run of four processes (CR3 switches, guest page-table edits), 120 jumps', () => {
    expectSameJsonJumping(new Timeline(generateScenario100k(3000).scenario, 'seed'), 120);
  });
});
