/**
 * Questions the core answers (issue 18, src/core/questions.ts): every
 * generated question's answer equals what the trace and the machine say,
 * for every step of every built-in under every rule set, and over random
 * scenarios (fast-check). The expected values are derived here, from the
 * events and the serialized state (machineJson), never by calling answerOf.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  answerOf,
  applyStep,
  createMachine,
  generateQuestions,
  isQuestion,
  machineJson,
  quizPick,
  RULE_SETS,
  sameAnswer,
  type PageAnswer,
  type Question,
  type RuleSetName,
  type Scenario,
  type StepFacts,
  type TraceEvent,
} from '../src/core/index.ts';
import { LIBRARY } from '../src/scenarios/library/index.ts';
import { parseScenario } from '../src/scenarios/schema.ts';
import { buildPlan, mappingsPlanArb, rawPlanArb, unsyncPlanArb, type Plan } from './scenario-gen.ts';

const all = <K extends TraceEvent['kind']>(events: readonly TraceEvent[], kind: K) => events.filter((e): e is Extract<TraceEvent, { kind: K }> => e.kind === kind);
const num = (h: string) => parseInt(h, 16);
const bit = (h: string, b: number) => (parseInt(h.replace(/^0x/, '').slice(-8) || '0', 16) & b) !== 0;

/** The leaf spte that maps `gva` in a serialized machine, walked here from its roots. */
function leafOf(m: ReturnType<typeof machineJson>, gva: number): { sp: number; index: number; value: string } | null {
  const byId = new Map(m.shadowPages.map((p) => [p.id, p]));
  let id: number | null | undefined = m.roots.length === 4 ? m.roots[Math.floor(gva / 2 ** 30) & 3] : m.roots[0];
  let leaf: { sp: number; index: number; value: string } | null = null;
  while (id !== null && id !== undefined) {
    const sp = byId.get(id);
    if (!sp) return null;
    const index = Math.floor(gva / 2 ** (12 + 9 * (sp.role.level - 1))) & 511;
    const e = sp.sptes.find((s) => s.index === index);
    if (!e || !bit(e.value, 1 << 11)) return leaf;
    leaf = { sp: id, index, value: e.value };
    id = e.child;
  }
  return leaf;
}

interface Tally {
  [kind: string]: number;
}

/** Checks every generated question of one step against values derived from its events and the state after. */
function checkStep(f: StepFacts, tally: Tally): void {
  const qs = generateQuestions(f);
  const ev = f.events;
  const s = f.step;
  const access = s.op === 'read' || s.op === 'write' || s.op === 'fetch' ? s : null;
  // What the trace says happened.
  const injectedPf = all(ev, 'kvm_inject_page_fault')[0];
  const outcome = injectedPf || all(ev, 'kvm_inject_gp').length ? 'guest-fault' : all(ev, 'x86_emulate_instruction').length ? 'emulated' : all(ev, 'kvm_page_fault').length ? 'shadow-fault' : 'hit';
  const made = all(ev, 'kvm_mmu_get_page').filter((e) => e.created);
  const after = machineJson(f.after);
  const ids = new Set(qs.map((q) => q.id));
  expect(ids.size, 'question ids are unique within a step').toBe(qs.length);
  // Every access is asked its outcome and error code; nothing else is.
  expect(ids.has('outcome')).toBe(access !== null);
  expect(ids.has('error-code')).toBe(access !== null);
  for (const q of qs) {
    tally[q.kind] = (tally[q.kind] ?? 0) + 1;
    expect(q.step).toBe(f.index + 1);
    expect(q.prompt.length).toBeGreaterThan(10);
    expect(q.explanation).toMatch(/ - |KVM creates no shadow page/);
    // The right answer is among the choices of a single-choice question.
    if (q.input === 'one') expect(q.choices.some((c) => sameAnswer(q.kind, c.value as Question['answer'], q.answer))).toBe(true);
    switch (q.kind) {
      case 'outcome':
        expect(q.answer).toBe(outcome);
        break;
      case 'error-code': {
        if (!injectedPf) {
          expect(q.answer).toBeNull();
          break;
        }
        expect(q.answer).toBe(injectedPf.errorCode);
        const ec = q.answer as number;
        // The bits agree with the access itself: W for a write, U in user mode, I/D for a fetch (when NX is on).
        expect((ec & 2) !== 0).toBe(access!.op === 'write');
        expect((ec & 4) !== 0).toBe(access!.user);
        if (access!.op !== 'fetch') expect(ec & 16).toBe(0);
        break;
      }
      case 'created-pages': {
        const want = new Set(made.map((e) => `${num(e.gfn)}/${e.role.level}/${e.role.quadrant}`));
        const got = (q.answer as PageAnswer[]).map((p) => `${num(p.gfn)}/${p.level}/${p.quadrant}`);
        expect(new Set(got)).toEqual(want);
        expect(got.length).toBe(want.size);
        // Every answer page is a choice; every page created that still exists has that gfn and role after the step.
        for (const p of q.answer as PageAnswer[]) expect(q.choices.some((c) => sameAnswer('created-pages', [c.value as PageAnswer], [p]))).toBe(true);
        for (const e of made) {
          const sp = after.shadowPages.find((x) => x.id === e.sp);
          if (sp) expect(`${num(sp.gfn)}/${sp.role.level}/${sp.role.quadrant}`).toBe(`${num(e.gfn)}/${e.role.level}/${e.role.quadrant}`);
        }
        break;
      }
      case 'quadrant-of': {
        const page = made.find((e) => num(e.gfn) === q.spec.gfn && e.role.level === q.spec.level)!;
        expect(page).toBeDefined();
        expect(q.answer).toBe(page.role.quadrant);
        // A 32-bit guest's shadow PT on the access's own path covers half of the guest PT: gva bit 21 picks it.
        const leafSet = all(ev, 'kvm_mmu_set_spte').filter((e) => !e.speculative).pop();
        if (access && page.role.level === 1 && !page.role.gpteIs8Bytes && !page.role.direct && leafSet?.sp === page.sp) {
          expect(q.answer).toBe(Math.floor(access.gva / 2 ** 21) & 1);
          tally['quadrant-of gva-checked'] = (tally['quadrant-of gva-checked'] ?? 0) + 1;
        }
        break;
      }
      case 'root-of': {
        // pae_root[] covers a GiB each: bits 31:30; the shadow PT index is bits 20:12.
        expect(after.roots.length).toBe(4);
        expect(q.answer).toEqual({ root: Math.floor(access!.gva / 2 ** 30) & 3, index: Math.floor(access!.gva / 2 ** 12) & 511 });
        break;
      }
      case 'spte-writable': {
        const leaf = leafOf(after, access!.gva);
        expect(leaf).not.toBeNull();
        const a = q.answer as { writable: boolean; reason: string };
        expect(a.writable).toBe(bit(leaf!.value, 2));
        expect(['guest-writable', 'unsync', 'cr0-wp-off'].includes(a.reason)).toBe(a.writable);
        const gfn = num(all(ev, 'kvm_mmu_set_spte').filter((e) => !e.speculative).pop()!.gfn);
        const shadowing = after.shadowPages.filter((p) => num(p.gfn) === gfn && !p.role.direct);
        if (a.reason === 'unsync') expect(shadowing.some((p) => p.unsync)).toBe(true);
        if (a.reason === 'write-protected') expect(shadowing.length).toBeGreaterThan(0);
        if (a.reason === 'cr0-wp-off') expect(all(ev, 'sim_cr0_wp_adjust').length).toBeGreaterThan(0);
        if (a.reason === 'dirty-bit' || a.reason === 'guest-read-only') {
          const walk = ev.map((e) => e.kind).lastIndexOf('kvm_mmu_pagetable_walk');
          const elems = all(ev.slice(Math.max(0, walk)), 'kvm_mmu_paging_element').filter((e) => e.gpa !== null);
          const guestAllows = elems.length > 0 && elems.every((e) => bit(e.pte, 2));
          if (a.reason === 'dirty-bit') expect(guestAllows && !bit(elems[elems.length - 1]!.pte, 0x40)).toBe(true);
          else expect(guestAllows && !bit(elems[elems.length - 1]!.pte, 0x40)).toBe(false);
        }
        tally[`spte-writable ${a.reason}`] = (tally[`spte-writable ${a.reason}`] ?? 0) + 1;
        break;
      }
    }
  }
  // quizPick asks at most two of them, the outcome first for an access.
  const picked = quizPick(qs);
  expect(picked.length).toBeLessThanOrEqual(2);
  if (access) expect(picked[0]!.kind).toBe('outcome');
}

/** One machine forward with tracing on, every step checked. */
function checkScenario(scenario: Scenario, rules: RuleSetName, tally: Tally): void {
  const { machine } = createMachine(scenario, rules);
  scenario.steps.forEach((step, index) => {
    const r = applyStep(machine, index, step);
    machine.emit = () => {};
    checkStep({ index, step, outcome: r.outcome, vector: r.vector, errorCode: r.errorCode, events: r.events, after: machine }, tally);
  });
}

describe('generated questions', () => {
  it('every question of every step of every built-in, under every rule set, answers what the trace says', () => {
    const tally: Tally = {};
    for (const e of LIBRARY) {
      const p = parseScenario(e.json);
      if (!p.ok) throw new Error(e.id);
      for (const rules of RULE_SETS) checkScenario(p.scenario, rules, tally);
    }
    // Every kind was asked somewhere, and every spte-writable reason the built-ins can show.
    for (const k of ['outcome', 'error-code', 'created-pages', 'quadrant-of', 'root-of', 'spte-writable', 'quadrant-of gva-checked']) expect(tally[k] ?? 0, k).toBeGreaterThan(0);
    for (const r of ['guest-writable', 'unsync', 'cr0-wp-off', 'write-protected', 'dirty-bit', 'guest-read-only']) expect(tally[`spte-writable ${r}`] ?? 0, r).toBeGreaterThan(0);
  });

  it('over random scenarios (every paging mode, both document forms, unsync plans)', () => {
    const tally: Tally = {};
    const arb: fc.Arbitrary<Plan> = fc.oneof(
      rawPlanArb('x86-32', 20),
      rawPlanArb('pae', 20),
      rawPlanArb('x86-64', 20),
      rawPlanArb('off', 20),
      mappingsPlanArb('x86-32', 20),
      mappingsPlanArb('pae', 20),
      unsyncPlanArb('x86-32', 20),
    );
    fc.assert(
      fc.property(arb, fc.constantFrom(...RULE_SETS), (plan, rules) => {
        checkScenario(buildPlan(plan).scenario, rules, tally);
      }),
      { seed: 20261205, numRuns: 60 },
    );
    expect(tally.outcome ?? 0).toBeGreaterThan(60);
  });

  it('a teacher\'s pick that does not apply says why, and a named page is found', () => {
    const p = parseScenario(LIBRARY.find((e) => e.id === 'quadrants-32bit')!.json);
    if (!p.ok) throw new Error();
    const { machine } = createMachine(p.scenario, 'seed');
    const step = p.scenario.steps[0]!;
    const r = applyStep(machine, 0, step);
    const f: StepFacts = { index: 0, step, outcome: r.outcome, vector: r.vector, errorCode: r.errorCode, events: r.events, after: machine };
    const named = answerOf({ kind: 'quadrant-of', gfn: 4 }, f);
    expect(isQuestion(named) && named.answer).toBe(0);
    expect(named.id).toBe('quadrant-of:0x4');
    const missing = answerOf({ kind: 'quadrant-of', gfn: 0x999 }, f);
    expect(isQuestion(missing)).toBe(false);
    expect('reason' in missing && missing.reason).toMatch(/neither creates nor uses a shadow page for guest frame 0x999/);
  });
});
