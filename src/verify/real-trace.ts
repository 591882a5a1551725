/**
 * Real-kernel traces against the simulator, step by step.
 *
 * A recorded trace (tests/real-kvm/traces/NAME.trace) is the ftrace text of
 * Linux 6.1's kvmmmu tracepoints while the real-KVM tool's guest ran a
 * scenario (tests/real-kvm/README.md). This module parses the lines that say
 * what the shadow MMU did:
 *
 * - kvm_mmu_get_page (new / existing), kvm_mmu_unsync_page,
 *   kvm_mmu_sync_page, kvm_mmu_prepare_zap_page: a shadow page by gfn and role;
 * - kvm_mmu_set_spte: gfn, level and the W/X/U bits of the new spte;
 * - the guest's markers `oracle step N done` (vmrun writes one when step N's
 *   code has run), and `oracle pf step N ec=..` (the guest's #PF handler);
 *
 * and makes the same lists from the simulator's events (buildTrace) under a
 * rule set, so the two can be compared per step. Pure TypeScript: it is read
 * by tests/real-kvm.test.ts, the bench and scripts/verify-kernel.ts.
 *
 * The role compared is what the tracepoint prints: level, 4/8-byte gptes,
 * quadrant, direct, access, invalid and efer_nx. The other role bits (cr0_wp,
 * smep_andnot_wp, smap_andnot_wp, ad_disabled, guest_mode, smm) are not in
 * the trace, so neither side can be checked on them.
 */
import { buildTrace, type RuleSetName, type Scenario, type TraceEvent, type TraceJson } from '../core/index.ts';

/** A step's events end with the marker `oracle step N done`; `end` is after the last marker. */
export type Segment = number | 'end';

export type PageEventKind = 'new' | 'existing' | 'unsync' | 'sync' | 'zap';

export interface TracedRole {
  readonly level: number;
  readonly gpteBytes: 4 | 8;
  readonly quadrant: number;
  readonly direct: boolean;
  /** ACC bits as the kernel prints them: w, u, x (e.g. `wux`, `--x`). */
  readonly access: string;
  readonly invalid: boolean;
  readonly eferNx: boolean;
}

export interface PageEvent {
  readonly kind: PageEventKind;
  readonly gfn: number;
  readonly role: TracedRole;
}

export interface SpteEvent {
  readonly kind: 'spte';
  readonly gfn: number;
  readonly level: number;
  readonly w: boolean;
  readonly x: boolean;
  readonly u: boolean;
}

/** What the comparison needs of one simulator event beyond its key (for the classification of differences). */
export interface SimMeta {
  /** The simulator's shadow page: the page itself, or the page holding the spte. */
  readonly sp: number;
  readonly speculative?: boolean;
  /** The shadow page holding this spte is direct (gfn + index maps it). */
  readonly direct?: boolean;
  /** The spte was set while FNAME(sync_page) ran for its page (after kvm_mmu_sync_page in the same step). */
  readonly fromSync?: boolean;
}

export interface StepEvents {
  readonly pages: PageEvent[];
  readonly sptes: SpteEvent[];
}

export interface SimStepEvents extends StepEvents {
  readonly pageMeta: SimMeta[];
  readonly spteMeta: SimMeta[];
}

export interface RealTrace {
  /** vmrun's exit status (0: the guest reached its end marker). */
  readonly rc: number | null;
  readonly steps: ReadonlyMap<Segment, StepEvents>;
  /** Guest #PFs the handler reported, by step. */
  readonly pf: ReadonlyMap<number, { readonly ec: number; readonly cr2: bigint }>;
  /** Steps whose marker arrived, in order. */
  readonly done: readonly number[];
  /** The begin and end markers were both seen. */
  readonly complete: boolean;
}

const ACCESS = ['---', '--x', 'w--', 'w-x', '-u-', '-ux', 'wu-', 'wux'] as const;

export function roleText(r: TracedRole): string {
  return `l${r.level} ${r.gpteBytes}-byte q${r.quadrant}${r.direct ? ' direct' : ''} ${r.access}${r.invalid ? ' invalid' : ''} ${r.eferNx ? '' : '!'}nxe`;
}

/** One line per event, the form the tests compare and print: `new gfn 2 l1 4-byte q0 wux nxe`, `spte gfn 10 l1 w-u`. */
export function eventText(e: PageEvent | SpteEvent): string {
  if (e.kind === 'spte') return `spte gfn ${e.gfn.toString(16)} l${e.level} ${e.w ? 'w' : '-'}${e.x ? 'x' : '-'}${e.u ? 'u' : '-'}`;
  return `${e.kind} gfn ${e.gfn.toString(16)} ${roleText(e.role)}`;
}

// kvm_mmu_page_printk(): "sp gen %u gfn %llx l%u %u-byte q%u%s %s%s %snxe %sad root %u %s"
const PAGE_RE = /gfn ([0-9a-f]+) l(\d) (\d)-byte q(\d)( direct)? (\S{3})( invalid)? (!?)nxe/;
// "gfn %llx spte %llx (%s%s%s%s) level %d at %llx": r, w, x, u (u empty without a U bit meaning)
const SPTE_RE = /gfn ([0-9a-f]+) spte [0-9a-f]+ \((.)(.)(.)(.?)\) level (\d)/;
// ftrace's default line: "TASK-PID [CPU] FLAGS TIMESTAMP: EVENT: BODY"
const LINE_RE = /^\s*\S+\s+\[\d+\]\s+\S+\s+[\d.]+: (\w+): (.*)$/;

function parseRole(body: string): { gfn: number; role: TracedRole } {
  const m = PAGE_RE.exec(body);
  if (!m) throw new Error(`real trace: cannot read the shadow page in "${body}"`);
  return {
    gfn: parseInt(m[1]!, 16),
    role: {
      level: Number(m[2]),
      gpteBytes: m[3] === '4' ? 4 : 8,
      quadrant: Number(m[4]),
      direct: !!m[5],
      access: m[6]!,
      invalid: !!m[7],
      eferNx: m[8] !== '!',
    },
  };
}

const emptyStep = (): StepEvents => ({ pages: [], sptes: [] });

/** Parse a recorded trace: the events between `oracle begin` and `oracle end`, cut at the step markers. */
export function parseRealTrace(text: string): RealTrace {
  const steps = new Map<Segment, StepEvents>();
  const pf = new Map<number, { ec: number; cr2: bigint }>();
  const done: number[] = [];
  let rc: number | null = null;
  let on = false;
  let begun = false;
  let ended = false;
  let cur = emptyStep();
  const close = (seg: Segment): void => {
    const prev = steps.get(seg);
    // A step number is written once; a second marker with the same number would be a tool bug.
    if (prev) throw new Error(`real trace: two markers for step ${seg}`);
    steps.set(seg, cur);
    cur = emptyStep();
  };
  for (const line of text.split('\n')) {
    const rcm = /^# case \S+ vmrun rc=(\d+)/.exec(line);
    if (rcm) rc = Number(rcm[1]);
    const m = LINE_RE.exec(line);
    if (!m) continue;
    const name = m[1]!;
    const body = m[2]!;
    if (name === 'tracing_mark_write') {
      if (body.startsWith('oracle begin')) {
        on = true;
        begun = true;
      } else if (body.startsWith('oracle end')) {
        if (cur.pages.length || cur.sptes.length) close('end');
        on = false;
        ended = true;
      } else {
        const sm = /^oracle step (\d+) done/.exec(body);
        if (sm) {
          const n = Number(sm[1]);
          done.push(n);
          close(n);
          continue;
        }
        const pm = /^oracle pf step (\d+) ec=0x([0-9a-f]+) cr2=0x([0-9a-f]+)/.exec(body);
        if (pm) pf.set(Number(pm[1]), { ec: parseInt(pm[2]!, 16), cr2: BigInt(`0x${pm[3]}`) });
      }
      continue;
    }
    if (!on) continue;
    if (name === 'kvm_mmu_set_spte') {
      const s = SPTE_RE.exec(body);
      if (!s) throw new Error(`real trace: cannot read the spte in "${body}"`);
      cur.sptes.push({ kind: 'spte', gfn: parseInt(s[1]!, 16), level: Number(s[6]), w: s[3] === 'w', x: s[4] === 'x', u: s[5] === 'u' });
      continue;
    }
    let kind: PageEventKind | null = null;
    if (name === 'kvm_mmu_get_page') kind = /\bnew$/.test(body.trim()) ? 'new' : 'existing';
    else if (name === 'kvm_mmu_unsync_page') kind = 'unsync';
    else if (name === 'kvm_mmu_sync_page') kind = 'sync';
    else if (name === 'kvm_mmu_prepare_zap_page') kind = 'zap';
    if (!kind) continue;
    cur.pages.push({ kind, ...parseRole(body) });
  }
  return { rc, steps, pf, done, complete: begun && ended };
}

// ---- the simulator's side -----------------------------------------------------------------

const pageOf = (gva: number): number => Math.floor(gva / 4096);

/**
 * A supervisor fetch of the code page (steps[0]'s page) emits no code in the
 * real guest: it documents where the code is fetched again (after MOV CR3, a
 * MOV CR0 that resets the MMU, or a zap of the code's root).
 */
export function isDocFetch(scenario: Scenario, i: number): boolean {
  const s = scenario.steps[i];
  const first = scenario.steps[0];
  if (!s || !first || s.op !== 'fetch' || s.user || first.op !== 'fetch') return false;
  return pageOf(s.gva) === pageOf(first.gva);
}

/**
 * The marker that ends step i's events in the real run (as the real-KVM
 * tool's compare.mjs): a step the guest runs ends with its own marker; a
 * documenting fetch belongs to the step before it (its code is that step's
 * marker code, fetched again), and the first one (before any other step) to
 * the first marker.
 */
export function segmentOf(scenario: Scenario, i: number): Segment {
  if (!isDocFetch(scenario, i)) return i;
  for (let k = i - 1; k >= 0; k--) if (!isDocFetch(scenario, k)) return k;
  for (let k = i + 1; k < scenario.steps.length; k++) if (!isDocFetch(scenario, k)) return k;
  return 'end';
}

function simRole(gfn: string, r: { level: number; gpteIs8Bytes: boolean; quadrant: number; direct: boolean; access: number; invalid: boolean; eferNx: boolean }): { gfn: number; role: TracedRole } {
  return {
    gfn: parseInt(gfn, 16),
    role: { level: r.level, gpteBytes: r.gpteIs8Bytes ? 8 : 4, quadrant: r.quadrant, direct: r.direct, access: ACCESS[r.access & 7]!, invalid: r.invalid, eferNx: r.eferNx },
  };
}

export interface SimTrace {
  readonly steps: ReadonlyMap<Segment, SimStepEvents>;
  /** Each step's outcome, and the #PF error code when the guest took one. */
  readonly outcomes: ReadonlyArray<{ readonly index: number; readonly outcome: string; readonly errorCode?: number }>;
}

/** The simulator's shadow-page events and kvm_mmu_set_spte events under `rules`, cut as the real trace is. */
export function simTrace(scenario: Scenario, rules: RuleSetName): SimTrace {
  return simTraceOf(scenario, buildTrace(scenario, { rules, at: null, events: true }));
}

/** The same from a trace document (buildTrace's, or the trace CLI's JSON output, run with events). */
export function simTraceOf(scenario: Scenario, t: Pick<TraceJson, 'initial' | 'steps'>): SimTrace {
  const steps = new Map<Segment, SimStepEvents>();
  // Roles of the pages seen so far, by the simulator's id, and the pages synced in this step.
  const spRole = new Map<number, { gfn: number; role: TracedRole }>();
  const take = (events: readonly TraceEvent[], seg: Segment): void => {
    let st = steps.get(seg);
    if (!st) steps.set(seg, (st = { pages: [], sptes: [], pageMeta: [], spteMeta: [] }));
    const syncing = new Set<number>();
    for (const e of events) {
      if (e.kind === 'kvm_mmu_get_page') {
        const p = simRole(e.gfn, e.role);
        spRole.set(e.sp, p);
        st.pages.push({ kind: e.created ? 'new' : 'existing', ...p });
        st.pageMeta.push({ sp: e.sp });
      } else if (e.kind === 'kvm_mmu_unsync_page' || e.kind === 'kvm_mmu_sync_page' || e.kind === 'kvm_mmu_prepare_zap_page') {
        // The notation is the page's role now (a zapped root is already invalid when zapped again).
        const p = parseRole(e.notation);
        const kind = e.kind === 'kvm_mmu_unsync_page' ? 'unsync' : e.kind === 'kvm_mmu_sync_page' ? 'sync' : 'zap';
        if (kind === 'sync') syncing.add(e.sp);
        st.pages.push({ kind, ...p });
        st.pageMeta.push({ sp: e.sp });
      } else if (e.kind === 'kvm_mmu_set_spte') {
        const v = BigInt(e.spte);
        st.sptes.push({ kind: 'spte', gfn: parseInt(e.gfn, 16), level: e.level, w: ((v >> 1n) & 1n) === 1n, x: ((v >> 63n) & 1n) === 0n, u: ((v >> 2n) & 1n) === 1n });
        st.spteMeta.push({ sp: e.sp, speculative: e.speculative, direct: spRole.get(e.sp)?.role.direct ?? false, fromSync: syncing.has(e.sp) });
      }
    }
  };
  take(t.initial.events ?? [], segmentOf(scenario, 0));
  for (const s of t.steps) take(s.events ?? [], segmentOf(scenario, s.index));
  return { steps, outcomes: t.steps.map((s) => ({ index: s.index, outcome: s.outcome, ...(s.errorCode !== undefined ? { errorCode: s.errorCode } : {}) })) };
}

// ---- comparison ---------------------------------------------------------------------------

export type Row<T> = readonly ['=', T, T] | readonly ['-', T, null] | readonly ['+', null, T];

/** Longest common subsequence of two event lists, as rows: `=` both, `-` real only, `+` simulator only. */
export function align<T>(real: readonly T[], sim: readonly T[], key: (e: T) => string): Row<T>[] {
  const n = real.length;
  const m = sim.length;
  const a = real.map(key);
  const b = sim.map(key);
  const d: Int32Array[] = Array.from({ length: n + 1 }, () => new Int32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) d[i]![j] = a[i] === b[j] ? d[i + 1]![j + 1]! + 1 : Math.max(d[i + 1]![j]!, d[i]![j + 1]!);
  const rows: Row<T>[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) rows.push(['=', real[i++]!, sim[j++]!]);
    else if (j < m && (i === n || d[i]![j + 1]! >= d[i + 1]![j]!)) rows.push(['+', null, sim[j++]!]);
    else rows.push(['-', real[i++]!, null]);
  }
  return rows;
}

export interface StepDiff {
  readonly seg: Segment;
  readonly list: 'pages' | 'sptes';
  readonly real: readonly string[];
  readonly sim: readonly string[];
}

export interface Agreement {
  /** Shadow-page events: matched (LCS within each step) / in the real trace. */
  readonly pagesMatched: number;
  readonly pagesReal: number;
  readonly sptesMatched: number;
  readonly sptesReal: number;
  /** Steps whose lists are not exactly equal. */
  readonly diffs: readonly StepDiff[];
}

export const segments = (real: RealTrace, sim: SimTrace): Segment[] => {
  const all = new Set<Segment>([...real.steps.keys(), ...sim.steps.keys()]);
  return [...all].sort((x, y) => (x === 'end' ? 1 : y === 'end' ? -1 : x - y));
};

/** Per step, exact equality of both lists; and the LCS counts for the agreement ratio. */
export function compareTraces(real: RealTrace, sim: SimTrace): Agreement {
  let pagesMatched = 0;
  let pagesReal = 0;
  let sptesMatched = 0;
  let sptesReal = 0;
  const diffs: StepDiff[] = [];
  for (const seg of segments(real, sim)) {
    const r = real.steps.get(seg) ?? emptyStep();
    const s = sim.steps.get(seg) ?? emptyStep();
    for (const list of ['pages', 'sptes'] as const) {
      const a = (r[list] as ReadonlyArray<PageEvent | SpteEvent>).map(eventText);
      const b = (s[list] as ReadonlyArray<PageEvent | SpteEvent>).map(eventText);
      const matched = align(a, b, (x) => x).filter((row) => row[0] === '=').length;
      if (list === 'pages') {
        pagesMatched += matched;
        pagesReal += a.length;
      } else {
        sptesMatched += matched;
        sptesReal += a.length;
      }
      if (a.length !== b.length || a.some((x, k) => x !== b[k])) diffs.push({ seg, list, real: a, sim: b });
    }
  }
  return { pagesMatched, pagesReal, sptesMatched, sptesReal, diffs };
}

/** The guest-visible outcome of every step the real guest ran: `ok` or `#PF ec=0x..`. */
export function outcomeDiffs(scenario: Scenario, real: RealTrace, sim: SimTrace): string[] {
  const out: string[] = [];
  for (const o of sim.outcomes) {
    if (isDocFetch(scenario, o.index)) continue;
    const p = real.pf.get(o.index);
    const realText = p ? `#PF ec=0x${p.ec.toString(16)}` : real.done.includes(o.index) ? 'ok' : 'not reached';
    const simText = o.outcome === 'guest-fault' ? (o.errorCode !== undefined ? `#PF ec=0x${o.errorCode.toString(16)}` : 'fault') : 'ok';
    if (realText !== simText) out.push(`step ${o.index}: real ${realText}, simulator ${simText} (${o.outcome})`);
  }
  return out;
}
