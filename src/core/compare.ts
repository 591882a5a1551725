/**
 * The patch lens: one scenario under several rule sets in lockstep. For every
 * shadow page requested (a root from mmu_alloc_root, or a child from
 * FNAME(fetch) / __direct_map), compare the role each rule set computes; and
 * compare what the guest can observe (outcomes, error codes, translations)
 * and the set of shadow pages by gfn.
 */
import { hex } from './bits.ts';
import type { Machine } from './machine.ts';
import { type RoleJson, roleNotation } from './mmu/role.ts';
import { isMergedSeries, type Linux61ChangeId, LINUX_61_CHANGES } from './mmu/rules.ts';
import type { RuleSetName, Scenario } from './scenario.ts';
import { applyStep } from './step.ts';
import { createMachine, sim_PROGRESS_STEPS } from './timeline.ts';
import type { TraceEvent } from './trace.ts';

/** One shadow-page request, identified the same way under every rule set. */
interface Request {
  readonly key: string;
  readonly via: 'root' | 'child';
  readonly gfn: string;
  readonly level: number;
  readonly direct: boolean;
  readonly where: string;
  readonly role: RoleJson;
  readonly fn: string;
  readonly quadrantFormula: string;
  readonly sp: number;
}

export interface RoleDifference {
  /** Step index (-1: the initial VM entry). */
  readonly step: number;
  readonly request: { readonly via: 'root' | 'child'; readonly gfn: string; readonly level: number; readonly direct: boolean; readonly where: string };
  readonly fields: Readonly<Record<string, Readonly<Partial<Record<RuleSetName, unknown>>>>>;
  /** Why each rule set computed what it did, per differing field. */
  readonly rules: Readonly<Record<string, Readonly<Partial<Record<RuleSetName, string>>>>>;
  readonly notation: Readonly<Partial<Record<RuleSetName, string>>>;
}

export interface BehaviourDifference {
  readonly step: number;
  /**
   * `exit`: hit versus a fixed shadow fault (the guest cannot tell); `guest`:
   * something the guest sees; `requests`: a shadow page asked for under some
   * rule sets only; `kernel`: kernel data corruption under some rule sets only.
   */
  readonly kind: 'exit' | 'guest' | 'requests' | 'kernel';
  readonly field: string;
  readonly values: Readonly<Partial<Record<RuleSetName, unknown>>>;
  /**
   * With linux-6.1 among the rule sets: the 6.1 changes (LINUX_61_CHANGES
   * ids) that made a difference under it at this step or before, most recent
   * first, so the lens can say "this differs because of <commit>".
   */
  readonly linux61?: readonly Linux61ChangeId[];
}

/** How one rule set computed the role of one requested shadow page. */
export interface RoleUnderRules {
  readonly role: RoleJson;
  /** kvmmmu notation of the role, e.g. `gfn 3 l1 4-byte q1 direct`. */
  readonly notation: string;
  /** The function that computed it: kvm_mmu_get_page (before), kvm_mmu_child_role or mmu_alloc_root. */
  readonly fn: string;
  /** The quadrant formula with this step's numbers plugged in. */
  readonly quadrantFormula: string;
  /** Where gpte_is_8_bytes came from. */
  readonly gpteRule: string;
  /** The shadow page id it resolved to in that rule set's run. */
  readonly sp: number;
}

/** Every shadow-page request of the scenario, with its role under each rule set. */
export interface RequestRow {
  readonly step: number;
  readonly request: RoleDifference['request'];
  readonly roles: Readonly<Partial<Record<RuleSetName, RoleUnderRules>>>;
  /** Role fields whose values differ between the rule sets (empty: all equal). */
  readonly differing: readonly string[];
}

export interface CompareReport {
  readonly format: 'shadowpaging-compare/v1';
  readonly title: string;
  readonly rules: readonly RuleSetName[];
  readonly steps: number;
  /** Every request made under all the rule sets, in order (those under some rule sets only are in behaviourDifferences). */
  readonly requests: readonly RequestRow[];
  readonly roleDifferences: readonly RoleDifference[];
  readonly behaviourDifferences: readonly BehaviourDifference[];
  /** With linux-6.1 among the rule sets: each step at which a 6.1 change made a difference, and which. */
  readonly linux61Changes?: ReadonlyArray<{ readonly step: number; readonly changes: readonly Linux61ChangeId[] }>;
  readonly shadowSetDifferences: ReadonlyArray<{ readonly step: number; readonly sets: Readonly<Partial<Record<RuleSetName, readonly string[]>>> }>;
  readonly summary: {
    readonly roleDifferences: number;
    readonly guestVisible: number;
    readonly exitOnly: number;
    readonly kernelBugs: number;
    readonly fieldsDiffering: readonly string[];
  };
}

const ROLE_FIELDS = ['level', 'gpteIs8Bytes', 'quadrant', 'direct', 'access', 'invalid', 'eferNx', 'cr0Wp', 'smepAndnotWp', 'smapAndnotWp', 'adDisabled', 'guestMode', 'smm'] as const;

function requestsOf(events: readonly TraceEvent[], gfnOf: Map<number, string>): Request[] {
  const out: Request[] = [];
  const seen = new Map<string, number>();
  let pending: Extract<TraceEvent, { kind: 'sim_compute_role' }> | null = null;
  for (const e of events) {
    if (e.kind === 'sim_compute_role') pending = e;
    else if (e.kind === 'kvm_mmu_get_page') {
      gfnOf.set(e.sp, e.gfn);
      if (!pending) continue;
      const via = pending.parent ? 'child' : 'root';
      const where = pending.parent ? `sp gfn ${gfnOf.get(pending.parent.sp) ?? '?'} entry ${pending.parent.index}` : `root ${pending.rootIndex ?? 0}`;
      const base = `${via}|${where}|${e.gfn}|${e.role.level}|${e.role.direct}`;
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      out.push({ key: `${base}|${n}`, via, gfn: e.gfn, level: e.role.level, direct: e.role.direct, where, role: e.role, fn: pending.fn, quadrantFormula: pending.quadrantFormula, sp: e.sp });
      pending = null;
    }
  }
  return out;
}

/** A request key in words: "indirect child l1 for gfn 0x200 at sp gfn 0x3 entry 1". */
function requestText(key: string): string {
  const [via, where, gfn, level, direct] = key.split('|');
  return `${direct === 'true' ? 'direct' : 'indirect'} ${via} l${level} for gfn ${gfn} at ${where}`;
}

/** The rule behind a field's value, in words (notes section 10). */
function ruleFor(field: string, rules: RuleSetName, r: Request): string {
  const direct = r.direct;
  switch (field) {
    case 'gpteIs8Bytes':
      if (rules === 'before') return direct ? 'kvm_mmu_get_page forces gpte_is_8_bytes = 1 for direct pages' : 'base role: CR0.PG && CR4.PAE';
      if (rules === 'seed') return r.via === 'root' ? 'mmu_alloc_root: base role, gpte_is_8_bytes = CR0.PG && CR4.PAE' : 'kvm_mmu_child_role copies the parent role';
      return r.via === 'root' ? 'base role: has_4_byte_gpte = CR0.PG && !CR4.PAE' : 'kvm_mmu_child_role copies the parent role (has_4_byte_gpte)';
    case 'quadrant':
      return `${rules === 'before' ? 'kvm_mmu_get_page' : r.fn}: ${r.quadrantFormula}`;
    case 'eferNx':
      return rules === 'linux-6.1'
        ? 'kvm_init_shadow_mmu: root_role.efer_nx = true, whatever EFER.NX ("KVM: x86/mmu: store shadow EFER.NX in the MMU role", v5.19)'
        : 'base role: efer_nx = CR0.PG && EFER.NX';
    case 'invalid':
      return rules === 'seed' ? 'kvm_mmu_child_role copies the parent\'s role.invalid' : isMergedSeries(rules) ? '"WARN and clear role.invalid when creating a child shadow page"' : 'base role (never invalid)';
    default:
      return rules === 'before' ? 'computed from the vCPU base role' : 'copied from the parent / base role';
  }
}

/** The valid shadow pages by gfn, level and directness. */
const shadowSet = (m: Machine): string[] =>
  [...m.sps.values()]
    .filter((sp) => !sp.role.invalid)
    .map((sp) => `${hex(sp.gfn)} l${sp.role.level}${sp.role.direct ? ' direct' : ''}`)
    .sort();

const notationOf = (q: Request): string => roleNotation(parseInt(q.gfn, 16), q.role);

/** The kernel bugs a step ran into under one rule set, e.g. "pte_list_remove". */
const bugsAt = (m: Machine, step: number): string =>
  m.bugs
    .filter((b) => b.step === step)
    .map((b) => b.kind)
    .join(', ');

/**
 * `progress` (optional) is told how many steps have run under every rule
 * set, every sim_PROGRESS_STEPS steps: a worker comparing 1,000,000 steps
 * (~80 s under three rule sets) reports it to the page.
 */
export function compareRuleSets(scenario: Scenario, rules: readonly RuleSetName[], progress?: (stepsDone: number) => void): CompareReport {
  // One forward pass per rule set, in lockstep: each step's events and the
  // state right after it, without time travel.
  const fired: number[] = [];
  const runs = rules.map((r) => {
    const { machine, events } = createMachine(scenario, r, r === 'linux-6.1' ? { linux61Fired: fired } : {});
    return { rules: r, m: machine, initialEvents: events, gfnOf: new Map<number, string>() };
  });
  const roleDifferences: RoleDifference[] = [];
  const requests: RequestRow[] = [];
  const behaviourDifferences: BehaviourDifference[] = [];
  const shadowSetDifferences: CompareReport['shadowSetDifferences'][number][] = [];
  const fieldsDiffering = new Set<string>();
  for (let step = -1; step < scenario.steps.length; step++) {
    if (progress && step > 0 && step % sim_PROGRESS_STEPS === 0) progress(step);
    const results = step < 0 ? null : runs.map((r) => applyStep(r.m, step, scenario.steps[step]!));
    const reqs = runs.map((r, i) => requestsOf(results ? results[i]!.events : r.initialEvents, r.gfnOf));
    const keys = new Set(reqs.flatMap((l) => l.map((q) => q.key)));
    for (const key of keys) {
      const per = reqs.map((l) => l.find((q) => q.key === key));
      const present = per.filter((q): q is Request => !!q);
      if (present.length !== runs.length) {
        behaviourDifferences.push({
          step,
          kind: 'requests',
          field: requestText(key),
          values: Object.fromEntries(runs.map((r, i) => [r.rules, per[i] ? 'requested' : 'not requested'])),
        });
        continue;
      }
      const fields: Record<string, Partial<Record<RuleSetName, unknown>>> = {};
      const why: Record<string, Partial<Record<RuleSetName, string>>> = {};
      for (const f of ROLE_FIELDS) {
        const vals = present.map((q) => q.role[f]);
        if (vals.every((v) => v === vals[0])) continue;
        fieldsDiffering.add(f);
        fields[f] = Object.fromEntries(runs.map((r, i) => [r.rules, vals[i]]));
        why[f] = Object.fromEntries(runs.map((r, i) => [r.rules, ruleFor(f, r.rules, present[i]!)]));
      }
      const q0 = present[0]!;
      const request = { via: q0.via, gfn: q0.gfn, level: q0.level, direct: q0.direct, where: q0.where };
      requests.push({
        step,
        request,
        differing: Object.keys(fields),
        roles: Object.fromEntries(
          runs.map((r, i) => {
            const q = present[i]!;
            return [r.rules, { role: q.role, notation: notationOf(q), fn: q.fn, quadrantFormula: q.quadrantFormula, gpteRule: ruleFor('gpteIs8Bytes', r.rules, q), sp: q.sp }];
          }),
        ),
      });
      if (Object.keys(fields).length) {
        roleDifferences.push({
          step,
          request,
          fields,
          rules: why,
          notation: Object.fromEntries(runs.map((r, i) => [r.rules, notationOf(present[i]!)])),
        });
      }
    }
    if (!results) continue;
    const outcomes = results.map((r) => r.outcome);
    if (!outcomes.every((o) => o === outcomes[0])) {
      const exitOnly = outcomes.every((o) => o === 'hit' || o === 'shadow-fault');
      behaviourDifferences.push({ step, kind: exitOnly ? 'exit' : 'guest', field: 'outcome', values: Object.fromEntries(runs.map((r, i) => [r.rules, outcomes[i]])) });
    }
    for (const f of ['vector', 'errorCode', 'gpa', 'value'] as const) {
      const vals = results.map((r) => r[f]);
      if (!vals.every((v) => v === vals[0])) behaviourDifferences.push({ step, kind: 'guest', field: f, values: Object.fromEntries(runs.map((r, i) => [r.rules, vals[i]])) });
    }
    const bugs = runs.map((r) => bugsAt(r.m, step));
    if (!bugs.every((b) => b === bugs[0])) {
      behaviourDifferences.push({ step, kind: 'kernel', field: 'kernel bug', values: Object.fromEntries(runs.map((r, i) => [r.rules, bugs[i] || 'none'])) });
    }
    const sets = runs.map((r) => shadowSet(r.m));
    if (!sets.every((s) => s.join(',') === sets[0]!.join(','))) shadowSetDifferences.push({ step, sets: Object.fromEntries(runs.map((r, i) => [r.rules, sets[i]!])) });
  }
  // The 6.1 changes that fired, per step, and the ones behind each behaviour difference.
  const byStep = new Map<number, Linux61ChangeId[]>();
  for (let k = 0; k < fired.length; k += 2) {
    const ids = byStep.get(fired[k]!) ?? [];
    const id = LINUX_61_CHANGES[Math.log2(fired[k + 1]!)]!.id;
    if (!ids.includes(id)) ids.push(id);
    byStep.set(fired[k]!, ids);
  }
  const linux61Changes = [...byStep].map(([step, changes]) => ({ step, changes }));
  const withCauses = rules.includes('linux-6.1')
    ? behaviourDifferences.map((b) => {
        const before: Linux61ChangeId[] = [];
        for (let k = linux61Changes.length - 1; k >= 0; k--) {
          if (linux61Changes[k]!.step > b.step) continue;
          for (const id of linux61Changes[k]!.changes) if (!before.includes(id)) before.push(id);
        }
        return before.length ? { ...b, linux61: before } : b;
      })
    : behaviourDifferences;
  return {
    format: 'shadowpaging-compare/v1',
    title: scenario.title,
    rules,
    steps: scenario.steps.length,
    requests,
    roleDifferences,
    behaviourDifferences: withCauses,
    ...(rules.includes('linux-6.1') ? { linux61Changes } : {}),
    shadowSetDifferences,
    summary: {
      roleDifferences: roleDifferences.length,
      guestVisible: behaviourDifferences.filter((d) => d.kind === 'guest').length,
      exitOnly: behaviourDifferences.filter((d) => d.kind === 'exit').length,
      kernelBugs: behaviourDifferences.filter((d) => d.kind === 'kernel').length,
      fieldsDiffering: [...fieldsDiffering].sort(),
    },
  };
}
