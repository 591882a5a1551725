/**
 * Questions the core answers (issue 18, item 2): a question is attached to a
 * step and asked before the step is revealed; its answer is computed here,
 * from that step's trace events and the machine after it, never typed by a
 * teacher. The app asks them ("Quiz me", or the teacher's picks in the
 * scenario's `questions`), the trace CLI prints them with their answers (the
 * answer key) and the grader (src/cli/grade.ts) checks a student's answers
 * against them. docs/questions.md documents the kinds and the answer forms.
 *
 * Pure and deterministic: one step's events at a time (the timeline may
 * rebuild them on demand), and the machine after that step for the two
 * questions that ask about state (which spte is writable now).
 */
import { hex } from './bits.ts';
import { guestMode, hexGva } from './guest/cpu.ts';
import { discardEvents, getSp, type Machine } from './machine.ts';
import { ShadowWalk } from './mmu/iterator.ts';
import { getSpte, isShadowPresent, isWritableSpte } from './mmu/spte.ts';
import type { RuleSetName, Scenario, Step } from './scenario.ts';
import { applyStep, type Outcome, sim_advance } from './step.ts';
import { createMachine } from './timeline.ts';
import type { TraceEvent } from './trace.ts';

/** The question kinds, by their stable ids (a scenario's `questions` and an answers file name them). */
export const QUESTION_KINDS = ['outcome', 'error-code', 'created-pages', 'quadrant-of', 'root-of', 'spte-writable'] as const;
export type QuestionKind = (typeof QUESTION_KINDS)[number];

/** A scenario step lists at most this many questions (the parser's limit). */
export const MAX_QUESTIONS_PER_STEP = 8;

/** What a scenario step lists (the parser's normalized form): a kind, and for quadrant-of an optional page. */
export interface QuestionSpec {
  readonly kind: QuestionKind;
  /** quadrant-of: the guest frame the shadow page shadows (absent: the first page with quadrants the step creates). */
  readonly gfn?: number;
  /** quadrant-of: the page's level (1 = PT, 2 = PD); absent: any. */
  readonly level?: number;
}

/** A shadow page as the created-pages answer names it. */
export interface PageAnswer {
  /** The guest frame it shadows (for a direct page: the first it maps), "0x101". */
  readonly gfn: string;
  readonly level: number;
  readonly quadrant: number;
}

/** Why the spte that maps a gva is (not) writable after the step. */
export const WRITABLE_REASONS = ['guest-writable', 'unsync', 'cr0-wp-off', 'write-protected', 'dirty-bit', 'guest-read-only'] as const;
export type WritableReason = (typeof WRITABLE_REASONS)[number];

/** The outcomes an access question offers (a step's StepResult.outcome). */
export const ACCESS_OUTCOMES = ['hit', 'shadow-fault', 'guest-fault', 'emulated'] as const;

/**
 * An answer, by kind: outcome -> one of ACCESS_OUTCOMES; error-code -> the
 * #PF error code (a number), or null when no #PF reaches the guest;
 * created-pages -> the distinct pages created, sorted by gfn, level,
 * quadrant; quadrant-of -> 0..3; root-of -> { root, index };
 * spte-writable -> { writable, reason }.
 */
export type Answer =
  | string
  | number
  | null
  | readonly PageAnswer[]
  | { readonly root: number; readonly index: number }
  | { readonly writable: boolean; readonly reason: WritableReason };

/** How the app asks for the answer. */
export type QuestionInput =
  /** One of `choices` (radio buttons). */
  | 'one'
  /** Error-code bits to tick (P, W, U, RSVD, I/D), or "no #PF". */
  | 'bits'
  /** Any of `choices` (check boxes; none ticked = no page). */
  | 'many'
  /** pae_root[0..3] and an index 0..511. */
  | 'root';

export interface Choice {
  readonly label: string;
  /** For 'one': the whole answer; for 'many': one element of it. */
  readonly value: Answer | PageAnswer;
}

export interface Question {
  /** Stable within a step: the kind, and for quadrant-of the page (`quadrant-of:0x101:l1`). */
  readonly id: string;
  readonly kind: QuestionKind;
  /** The step it is asked before, counted from 1 as the app shows it (the scenario's steps[step - 1]). */
  readonly step: number;
  readonly spec: QuestionSpec;
  /** The question in plain words, for a student. */
  readonly prompt: string;
  readonly input: QuestionInput;
  readonly choices: readonly Choice[];
  readonly answer: Answer;
  /** The right answer explained in plain words, then the kernel's names. */
  readonly explanation: string;
}

/** What a question is computed from: one step, its result and events, and the machine after it. */
export interface StepFacts {
  /** 0-based index into the scenario's steps. */
  readonly index: number;
  readonly step: Step;
  readonly outcome: Outcome;
  readonly vector?: number;
  readonly errorCode?: number;
  readonly events: readonly TraceEvent[];
  /** The machine after the step (read only). */
  readonly after: Machine;
}

/** A question that does not apply to a step (a teacher's pick can be one): why, in plain words. */
export interface NotApplicable {
  readonly id: string;
  readonly kind: QuestionKind;
  readonly step: number;
  readonly reason: string;
}

const isAccess = (s: Step): s is Extract<Step, { op: 'read' | 'write' | 'fetch' }> => s.op === 'read' || s.op === 'write' || s.op === 'fetch';
const all = <K extends TraceEvent['kind']>(events: readonly TraceEvent[], kind: K) => events.filter((e): e is Extract<TraceEvent, { kind: K }> => e.kind === kind);
const find = <K extends TraceEvent['kind']>(events: readonly TraceEvent[], kind: K) => events.find((e): e is Extract<TraceEvent, { kind: K }> => e.kind === kind);
const TABLE: Record<number, string> = { 1: 'PT', 2: 'PD', 3: 'PDPT', 4: 'PML4' };
const tableName = (level: number) => TABLE[level] ?? `level-${level} table`;
const hexText = (s: string) => `0x${parseInt(s, 16).toString(16)}`;

/** The id of a spec: the kind, and quadrant-of's page when named. */
export function questionId(spec: QuestionSpec): string {
  let id: string = spec.kind;
  if (spec.gfn !== undefined) id += `:${hex(spec.gfn)}`;
  if (spec.level !== undefined) id += `:l${spec.level}`;
  return id;
}

// --- error codes -------------------------------------------------------------

/** The #PF error-code bits a student ticks (PFERR_*_MASK). */
export const ERROR_CODE_BITS: ReadonlyArray<{ readonly bit: number; readonly name: string; readonly words: [set: string, clear: string] }> = [
  { bit: 1, name: 'P', words: ['the page was present (a protection fault)', 'no page was present'] },
  { bit: 2, name: 'W', words: ['a write', 'not a write'] },
  { bit: 4, name: 'U', words: ['in user mode', 'in the kernel'] },
  { bit: 8, name: 'RSVD', words: ['an entry had reserved bits set', 'no reserved bit set'] },
  { bit: 16, name: 'I/D', words: ['an instruction fetch', 'not a fetch'] },
];

/** "P=1 (the page was present ...), W=1 (a write), U=0 (in the kernel) = 0x3". */
export function errorCodeText(ec: number): string {
  const bits = ERROR_CODE_BITS.filter((b) => b.name === 'P' || b.name === 'W' || b.name === 'U' || ec & b.bit).map((b) => `${b.name}=${ec & b.bit ? 1 : 0} (${b.words[ec & b.bit ? 0 : 1]})`);
  return `${bits.join(', ')} = 0x${ec.toString(16)}`;
}

// --- the facts each kind reads -------------------------------------------------

const OUTCOME_WORDS: Record<string, string> = {
  hit: 'Hit: the shadow tables allow it, no VM exit',
  'shadow-fault': 'Shadow fault: a #PF exit, KVM fixes its shadow tables and the guest never sees a fault',
  'guest-fault': 'Guest fault: KVM injects the fault into the guest',
  emulated: 'Emulated: KVM emulates the access (a write to a shadowed page table, or MMIO)',
};

/** The distinct created pages of a step, sorted. */
function createdPages(events: readonly TraceEvent[]): PageAnswer[] {
  return uniquePages(all(events, 'kvm_mmu_get_page').filter((e) => e.created).map((e) => ({ gfn: hexText(e.gfn), level: e.role.level, quadrant: e.role.quadrant })));
}

const pageKey = (p: PageAnswer) => `${parseInt(p.gfn, 16)}/${p.level}/${p.quadrant}`;

/** Distinct pages in gfn, level, quadrant order. */
export function uniquePages(pages: readonly PageAnswer[]): PageAnswer[] {
  const seen = new Map<string, PageAnswer>();
  for (const p of pages) seen.set(pageKey(p), { gfn: hexText(p.gfn), level: p.level, quadrant: p.quadrant });
  return [...seen.values()].sort((a, b) => parseInt(a.gfn, 16) - parseInt(b.gfn, 16) || a.level - b.level || a.quadrant - b.quadrant);
}

const pageText = (p: PageAnswer) => `guest frame ${p.gfn}, level ${p.level} (${tableName(p.level)}), quadrant ${p.quadrant}`;

/**
 * The created-pages choices: every page created, and pages the step could
 * have created but did not (the pages it found already there, the other
 * quadrants of a page with quadrants, the frame the access reaches), at most
 * eight, in gfn order, so the list itself does not give the answer away.
 */
function pageCandidates(f: StepFacts, made: readonly PageAnswer[]): PageAnswer[] {
  const others: PageAnswer[] = [];
  for (const e of all(f.events, 'kvm_mmu_get_page')) {
    if (e.created && !e.role.direct && !e.role.gpteIs8Bytes && e.role.level <= 2) {
      for (let q = 0; q < (e.role.level === 1 ? 2 : 4); q++) others.push({ gfn: e.gfn, level: e.role.level, quadrant: q });
    } else if (!e.created) others.push({ gfn: e.gfn, level: e.role.level, quadrant: e.role.quadrant });
  }
  const walk = find(f.events, 'sim_walk_result');
  if (walk) others.push({ gfn: walk.gfn, level: 1, quadrant: 0 });
  const madeKeys = new Set(made.map(pageKey));
  const extra = uniquePages(others).filter((p) => !madeKeys.has(pageKey(p)));
  return uniquePages([...made, ...extra.slice(0, Math.max(0, 8 - made.length))]);
}

/** The page quadrant-of asks about: created in the step first, else found (reused) in it. */
function quadrantPage(f: StepFacts, spec: QuestionSpec): { page: Extract<TraceEvent, { kind: 'kvm_mmu_get_page' }>; created: boolean } | string {
  const gets = all(f.events, 'kvm_mmu_get_page');
  const match = (e: (typeof gets)[number]) =>
    (spec.gfn === undefined ? !e.role.direct && !e.role.gpteIs8Bytes && e.role.level <= 2 : parseInt(e.gfn, 16) === spec.gfn) && (spec.level === undefined || e.role.level === spec.level);
  for (const created of [true, false]) {
    const hits = gets.filter((e) => e.created === created && match(e));
    if (hits.length === 0) continue;
    if (new Set(hits.map((e) => e.role.quadrant)).size > 1) {
      return `the step ${created ? 'creates' : 'uses'} several shadow pages for that frame with different quadrants; name the level too`;
    }
    return { page: hits[0]!, created };
  }
  if (spec.gfn === undefined) return 'the step creates no shadow page with quadrants (only a 32-bit guest without PAE has them)';
  return `the step neither creates nor uses a shadow page for guest frame ${hex(spec.gfn)}${spec.level !== undefined ? ` at level ${spec.level}` : ''}`;
}

/** root-of: the pae_root slot the step's shadow walk starts from, and the index in the shadow PT. */
function rootFacts(f: StepFacts): { root: number; index: number } | string {
  if (!isAccess(f.step)) return 'only an access (read, write, fetch) walks the shadow tables';
  const walks = all(f.events, 'sim_hardware_walk');
  const first = walks[walks.length - 1]?.path[0];
  if (!first || first.sp !== null) return 'the shadow tables here do not start from pae_root[] (only a 32-bit or PAE guest has it)';
  // The last walk that reached a shadow PT, else the leaf KVM set at level 1.
  let index: number | undefined;
  for (const w of walks) for (const p of w.path) if (p.level === 1 && p.sp !== null) index = p.index;
  if (index === undefined) index = all(f.events, 'kvm_mmu_set_spte').filter((e) => !e.speculative && e.level === 1).pop()?.index;
  if (index === undefined) return 'the access never reaches a shadow PT (a fault before it, or a huge page)';
  return { root: first.index, index };
}

/** spte-writable: the spte that maps the step's gva after the step, and why it is (not) writable. */
function writableFacts(f: StepFacts): { writable: boolean; reason: WritableReason; sp: number; index: number; gfn: string } | string {
  if (!isAccess(f.step)) return 'only an access (read, write, fetch) has an spte to ask about';
  const leaf = all(f.events, 'kvm_mmu_set_spte').filter((e) => !e.speculative).pop();
  if (!leaf) return 'KVM sets no shadow entry for this access in this step';
  const m = f.after;
  let at: { sp: number; index: number } | null = null;
  const it = new ShadowWalk(m, f.step.gva, m.mmu.root);
  for (; it.okay(); it.next()) {
    const v = it.spte();
    if (!isShadowPresent(v)) break;
    at = { sp: it.sp!.id, index: it.index };
  }
  if (!at || at.sp !== leaf.sp || at.index !== leaf.index) return 'after the step no present shadow entry maps this address (it was zapped again)';
  const v = getSpte(getSp(m, at.sp).spt, at.index);
  const gfn = leaf.gfn;
  if (isWritableSpte(v)) {
    const unsync = [...m.sps.values()].some((sp) => sp.unsync && !sp.role.direct && sp.gfn === parseInt(gfn, 16));
    const reason: WritableReason = unsync ? 'unsync' : find(f.events, 'sim_cr0_wp_adjust') ? 'cr0-wp-off' : 'guest-writable';
    return { writable: true, reason, ...at, gfn: hexText(gfn) };
  }
  const protectedLater = all(f.events, 'rmap_write_protect').some((r) => r.sptes.some((s) => s.sp === at.sp && s.index === at.index));
  let reason: WritableReason;
  if (leaf.writeProtectedPt || protectedLater) reason = 'write-protected';
  else {
    // The guest's own entries from the last guest walk of the step (a PAE PDPTE, gpa null, has no W bit).
    const lastWalk = f.events.map((e) => e.kind).lastIndexOf('kvm_mmu_pagetable_walk');
    const elems = all(f.events.slice(Math.max(0, lastWalk)), 'kvm_mmu_paging_element').filter((e) => e.gpa !== null);
    // The low 32 bits of a hex entry ("0x80000000_00003007" has 16 digits; "0x1234567" only 7).
    const low = (pte: string) => parseInt(pte.replace(/^0x/, '').slice(-8) || '0', 16);
    const w = (pte: string) => (low(pte) & 2) !== 0;
    const d = (pte: string) => (low(pte) & 0x40) !== 0;
    const leafGpte = elems[elems.length - 1];
    if (elems.length > 0 && elems.every((e) => w(e.pte)) && leafGpte && !d(leafGpte.pte)) reason = 'dirty-bit';
    else reason = 'guest-read-only';
  }
  return { writable: false, reason, ...at, gfn: hexText(gfn) };
}

const REASON_WORDS: Record<WritableReason, string> = {
  'guest-writable': 'Writable: the guest\'s own entries allow writing, and the page is dirty',
  unsync: 'Writable: the page is a guest page table whose shadow went unsync, so KVM lets the guest write it',
  'cr0-wp-off': 'Writable: CR0.WP=0 lets the kernel write read-only pages, so KVM maps it writable but supervisor-only',
  'write-protected': 'Read-only: the page is a guest page table KVM shadows, so KVM write-protects it',
  'dirty-bit': 'Read-only for now: the guest allows writing but its PTE is not dirty yet (the first write exits so KVM can set D)',
  'guest-read-only': 'Read-only: the guest\'s own page tables do not allow writing',
};

const REASON_KERNEL: Record<WritableReason, string> = {
  'guest-writable': 'set_spte() with ACC_WRITE_MASK, PT_WRITABLE_MASK',
  unsync: 'mmu_try_to_unsync_pages(), kvm_unsync_page(), sp->unsync',
  'cr0-wp-off': 'FNAME(page_fault): !is_write_protection(), ACC_USER_MASK cleared',
  'write-protected': 'mmu_try_to_unsync_pages() refuses, rmap_write_protect(), kvm_mmu_set_spte(writeProtectedPt)',
  'dirty-bit': 'FNAME(protect_clean_gpte)',
  'guest-read-only': 'FNAME(gpte_access), set_spte() without ACC_WRITE_MASK',
};

// --- building one question -------------------------------------------------------

/**
 * The question `spec` asks about step `f`, with its computed answer, or why
 * it does not apply to this step.
 */
export function answerOf(spec: QuestionSpec, f: StepFacts): Question | NotApplicable {
  const id = questionId(spec);
  const step = f.index + 1;
  const na = (reason: string): NotApplicable => ({ id, kind: spec.kind, step, reason });
  const mode = guestMode(f.after.cpu);
  const s = f.step;
  const where = isAccess(s) ? `${s.user ? 'user-mode ' : ''}${s.op} of ${hexGva(f.after.cpu, s.gva)}` : s.op;
  const q = (prompt: string, input: QuestionInput, choices: readonly Choice[], answer: Answer, explanation: string): Question => ({ id, kind: spec.kind, step, spec, prompt, input, choices, answer, explanation });
  switch (spec.kind) {
    case 'outcome': {
      if (!isAccess(s)) return na('only an access (read, write, fetch) has a hit/fault outcome');
      const o = f.outcome;
      const kvm: Record<string, string> = {
        hit: 'the CPU walks the shadow tables and completes the access: no VM exit, KVM does not run - the hardware walk of the shadow page tables, no kvm_mmu_page_fault()',
        'shadow-fault': 'the CPU raises #PF on the shadow tables and exits to KVM; KVM walks the guest\'s tables, they allow the access, so KVM fixes its shadow entry and the guest retries - kvm_mmu_page_fault(), FNAME(page_fault), RET_PF_FIXED',
        'guest-fault':
          f.vector === 13
            ? 'KVM refuses the access and injects #GP(0) into the guest - kvm_inject_gp()'
            : 'the guest\'s own page tables forbid the access (or map nothing), so the fault is the guest\'s: KVM injects the #PF - FNAME(walk_addr) fails, kvm_inject_page_fault()',
        emulated: `KVM emulates the instruction instead of letting it run: ${find(f.events, 'x86_emulate_instruction')?.reason === 'mmio' ? 'the address has no RAM (MMIO)' : 'the write goes to a guest page table that KVM shadows, so it must see the write'} - RET_PF_EMULATE, x86_emulate_instruction(), kvm_mmu_pte_write()`,
      };
      return q(
        `What happens on the ${where}?`,
        'one',
        ACCESS_OUTCOMES.map((v) => ({ label: OUTCOME_WORDS[v]!, value: v })),
        o,
        `${OUTCOME_WORDS[o] ?? o}: ${kvm[o] ?? o}.`,
      );
    }
    case 'error-code': {
      if (!isAccess(s)) return na('only an access (read, write, fetch) can fault with a #PF');
      const inj = find(f.events, 'kvm_inject_page_fault');
      const ec = f.vector === 14 ? (f.errorCode ?? inj?.errorCode ?? 0) : null;
      const expl =
        ec === null
          ? `No #PF reaches the guest (the outcome is ${f.outcome}${f.vector === 13 ? ', a #GP' : ''}): ${f.outcome === 'shadow-fault' || f.outcome === 'emulated' ? 'KVM handles the exit itself' : 'nothing faults'} - no kvm_inject_page_fault().`
          : `KVM injects a #PF with error code ${errorCodeText(ec)} - kvm_inject_page_fault(), PFERR_PRESENT_MASK / PFERR_WRITE_MASK / PFERR_USER_MASK / PFERR_RSVD_MASK / PFERR_FETCH_MASK.`;
      return q(
        `The ${where}: if a #PF is injected into the guest, which bits of its error code are set? (Tick "no #PF" if none is injected.)`,
        'bits',
        ERROR_CODE_BITS.map((b) => ({ label: b.name, value: b.bit })),
        ec,
        expl,
      );
    }
    case 'created-pages': {
      const made = createdPages(f.events);
      const choices = pageCandidates(f, made);
      if (choices.length === 0) return na('the step neither creates nor uses a shadow page');
      const roots = all(f.events, 'mmu_alloc_root');
      const expl = made.length
        ? `KVM creates ${made.length === 1 ? 'a shadow page' : `${made.length} shadow pages`}: ${made.map(pageText).join('; ')}${roots.length ? ` (${roots.length === 1 ? 'a root' : 'roots'} among them)` : ''} - kvm_mmu_get_page(), role.level, role.quadrant.`
        : 'KVM creates no shadow page in this step: every page it needs is already there (kvm_mmu_get_page() finds them in the hash), or it needs none.';
      return q(`Which shadow pages does KVM create in the ${where} step? Tick every one (none, if it creates none).`, 'many', choices.map((p) => ({ label: pageText(p), value: p })), made, expl);
    }
    case 'quadrant-of': {
      const r = quadrantPage(f, spec);
      if (typeof r === 'string') return na(r);
      const { page, created } = r;
      const quad = page.role.quadrant;
      const formula = all(f.events, 'sim_compute_role').find((c) => c.role.word === page.role.word)?.quadrantFormula;
      const has = !page.role.direct && !page.role.gpteIs8Bytes && page.role.level <= 2;
      const why = has
        ? page.role.level === 1
          ? `a guest PT holds 1024 4-byte PTEs, a shadow PT 512 8-byte sptes, so two shadow PTs share it: quadrant ${quad} covers guest PTEs ${quad * 512}-${quad * 512 + 511}`
          : `a guest PD holds 1024 4-byte PDEs (4 GiB), so four shadow PDs share it: quadrant ${quad} covers guest PDEs ${quad * 256}-${quad * 256 + 255}`
        : 'only a page that shadows a table of 4-byte entries (a 32-bit guest without PAE) has quadrants; every other page has quadrant 0';
      const pageName = `the shadow ${tableName(page.role.level)} for guest frame ${hexText(page.gfn)}`;
      return q(
        `In the ${where} step, KVM ${created ? 'creates' : 'uses'} ${pageName}. Which quadrant does it have?`,
        'one',
        [0, 1, 2, 3].map((n) => ({ label: `quadrant ${n}`, value: n })),
        quad,
        `KVM ${created ? 'created' : 'found'} a shadow page for guest frame ${hexText(page.gfn)}, level ${page.role.level}, quadrant ${quad}: ${why}${formula ? ` (${formula})` : ''} - kvm_mmu_get_page(), role.quadrant.`,
      );
    }
    case 'root-of': {
      const r = rootFacts(f);
      if (typeof r === 'string') return na(r);
      const gva = isAccess(s) ? s.gva : 0;
      const g = hexGva(f.after.cpu, gva);
      const pt = mode === 'x86-32' ? 'bits 20:12 (a 32-bit guest PT is split over two shadow PTs)' : 'bits 20:12';
      return q(
        `The ${where}: which pae_root[] entry does the walk of the shadow tables start from, and which entry (0-511) of the shadow PT maps ${g}?`,
        'root',
        [0, 1, 2, 3].map((n) => ({ label: `pae_root[${n}]`, value: n })),
        r,
        `Bits 31:30 of ${g} are ${r.root}, so the walk starts at pae_root[${r.root}] (one per GiB); ${pt} are ${r.index} (0x${r.index.toString(16)}), the index in the shadow PT - shadow_walk_init(), SHADOW_PT_INDEX().`,
      );
    }
    case 'spte-writable': {
      const r = writableFacts(f);
      if (typeof r === 'string') return na(r);
      const g = isAccess(s) ? hexGva(f.after.cpu, s.gva) : '';
      return q(
        `After the ${where}, is the shadow entry that maps ${g} writable, and why?`,
        'one',
        WRITABLE_REASONS.map((reason) => ({ label: REASON_WORDS[reason], value: { writable: reason === 'guest-writable' || reason === 'unsync' || reason === 'cr0-wp-off', reason } })),
        { writable: r.writable, reason: r.reason },
        `${REASON_WORDS[r.reason]} (sp ${r.sp} entry ${r.index}, guest frame ${r.gfn}) - ${REASON_KERNEL[r.reason]}.`,
      );
    }
  }
}

export const isQuestion = (q: Question | NotApplicable): q is Question => 'answer' in q;

/**
 * Every question the core can ask about step `f` and answer: one per kind
 * that applies (quadrant-of about the first page with quadrants it creates,
 * named by frame and level). The answer key lists them all; "Quiz me" asks
 * a few (quizPick).
 */
export function generateQuestions(f: StepFacts): Question[] {
  const out: Question[] = [];
  for (const kind of QUESTION_KINDS) {
    let spec: QuestionSpec = { kind };
    if (kind === 'quadrant-of') {
      const r = quadrantPage(f, spec);
      if (typeof r === 'string' || !r.created) continue;
      spec = { kind, gfn: parseInt(r.page.gfn, 16), level: r.page.role.level };
    }
    const q = answerOf(spec, f);
    if (isQuestion(q)) out.push(q);
  }
  return out;
}

/**
 * The questions "Quiz me" asks before a step: at most two, so each step
 * stays quick. The first is the outcome for an access (what happens?), else
 * the pages created; the second goes round the other kinds that apply from
 * step to step, so a scenario exercises them all.
 */
export function quizPick(qs: readonly Question[]): Question[] {
  if (qs.length === 0) return [];
  const first = qs.find((q) => q.kind === 'outcome') ?? qs.find((q) => q.kind === 'created-pages') ?? qs[0]!;
  const rest = qs.filter((q) => q !== first && q.kind !== 'outcome');
  if (rest.length === 0) return [first];
  return [first, rest[(first.step - 1) % rest.length]!];
}

// --- comparing answers -------------------------------------------------------------

/** The answer in one canonical form (hex lowercase, pages sorted), for comparing. */
export function canonicalAnswer(kind: QuestionKind, a: Answer): string {
  if (kind === 'created-pages' && Array.isArray(a)) return JSON.stringify(uniquePages(a as PageAnswer[]));
  if (kind === 'root-of' && a !== null && typeof a === 'object' && !Array.isArray(a)) {
    const r = a as { root: number; index: number };
    return JSON.stringify({ root: r.root, index: r.index });
  }
  if (kind === 'spte-writable' && a !== null && typeof a === 'object' && !Array.isArray(a)) {
    const r = a as { writable: boolean; reason: string };
    return JSON.stringify({ writable: r.writable, reason: r.reason });
  }
  return JSON.stringify(a);
}

export const sameAnswer = (kind: QuestionKind, a: Answer, b: Answer): boolean => canonicalAnswer(kind, a) === canonicalAnswer(kind, b);

/**
 * Checks the shape of a given answer for `kind` (an answers file is untrusted):
 * null when it is well formed, else what is wrong, in words naming the part.
 */
export function answerShapeError(kind: QuestionKind, a: unknown): string | null {
  const obj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const int = (v: unknown, lo: number, hi: number) => typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;
  switch (kind) {
    case 'outcome':
      return typeof a === 'string' && (ACCESS_OUTCOMES as readonly string[]).includes(a) ? null : `expected one of ${ACCESS_OUTCOMES.map((o) => `"${o}"`).join(', ')}`;
    case 'error-code':
      return a === null || int(a, 0, 0xffff) ? null : 'expected an error code (a whole number like 7, the bits P=1 W=2 U=4 RSVD=8 I/D=16) or null for "no #PF"';
    case 'quadrant-of':
      return int(a, 0, 3) ? null : 'expected a quadrant, a whole number from 0 to 3';
    case 'root-of':
      if (!obj(a)) return 'expected an object like { "root": 3, "index": 3 }';
      if (!int(a.root, 0, 3)) return '.root: expected a whole number from 0 to 3';
      if (!int(a.index, 0, 511)) return '.index: expected a whole number from 0 to 511';
      return null;
    case 'spte-writable':
      if (!obj(a)) return 'expected an object like { "writable": false, "reason": "dirty-bit" }';
      if (typeof a.writable !== 'boolean') return '.writable: expected true or false';
      if (typeof a.reason !== 'string' || !(WRITABLE_REASONS as readonly string[]).includes(a.reason)) return `.reason: expected one of ${WRITABLE_REASONS.map((r) => `"${r}"`).join(', ')}`;
      return null;
    case 'created-pages': {
      if (!Array.isArray(a)) return 'expected an array of pages like [{ "gfn": "0x101", "level": 1, "quadrant": 1 }] ([] for none)';
      if (a.length > 512) return 'too many pages (at most 512)';
      for (let i = 0; i < a.length; i++) {
        const p: unknown = a[i];
        if (!obj(p)) return `[${i}]: expected an object like { "gfn": "0x101", "level": 1, "quadrant": 1 }`;
        if (typeof p.gfn !== 'string' || !/^0x[0-9a-fA-F]{1,13}$/.test(p.gfn)) return `[${i}].gfn: expected a hex string like "0x101"`;
        if (!int(p.level, 1, 5)) return `[${i}].level: expected a whole number from 1 to 5`;
        if (!int(p.quadrant, 0, 3)) return `[${i}].quadrant: expected a whole number from 0 to 3`;
      }
      return null;
    }
  }
}

// --- a whole scenario --------------------------------------------------------------

/** Every question of a scenario under a rule set: the answer key. */
export interface AnswerKey {
  readonly questions: readonly Question[];
  /** The teacher's picks that do not apply to their step, and why. */
  readonly notApplicable: readonly NotApplicable[];
}

/** One step's part of the answer key: its questions, and the teacher's picks for it that do not apply. */
export interface StepQuestions extends AnswerKey {
  /** The step (0-based index into the scenario's steps). */
  readonly index: number;
}

/**
 * The answer key of `scenario` under `rules` step by step, made as one
 * machine runs forward with tracing on (one step's events at a time,
 * nothing kept): each step gets the questions the core generates for it
 * plus the teacher's picks (`picks(i)`, steps[i]'s `questions`) that are not
 * among them. `wanted(i)`: the steps whose questions are asked for (all by
 * default); the others run with tracing off (no events made) and give
 * nothing. Why step by step: a 100,000-step scenario's key is ~300,000
 * questions (305 MB of JSON), and the CLI kept them all, then wrote them
 * out as one string (1.4 GB of memory; a 1,000,000-step file's could not be
 * written at all); grading needs only the steps answered.
 */
export function* sim_answerKeySteps(
  scenario: Scenario,
  rules: RuleSetName,
  picks: (index: number) => readonly QuestionSpec[] | undefined = () => undefined,
  wanted: (index: number) => boolean = () => true,
): Generator<StepQuestions, void, undefined> {
  const { machine } = createMachine(scenario, rules);
  for (let index = 0; index < scenario.steps.length; index++) {
    const step = scenario.steps[index]!;
    // Tracing changes no state (the timeline rebuilds events the same way), only whether events are made.
    machine.tracing = wanted(index);
    if (!machine.tracing) {
      sim_advance(machine, index, step);
      continue;
    }
    const r = applyStep(machine, index, step);
    machine.emit = discardEvents;
    const f: StepFacts = { index, step, outcome: r.outcome, vector: r.vector, errorCode: r.errorCode, events: r.events, after: machine };
    const questions = generateQuestions(f);
    const notApplicable: NotApplicable[] = [];
    for (const spec of picks(index) ?? []) {
      const id = questionId(spec);
      if (questions.some((q) => q.id === id)) continue;
      const q = answerOf(spec, f);
      if (isQuestion(q)) questions.push(q);
      else notApplicable.push(q);
    }
    yield { index, questions, notApplicable };
  }
}

/** The answer key of `scenario` under `rules` (of the `wanted` steps): sim_answerKeySteps, collected. */
export function answerKey(
  scenario: Scenario,
  rules: RuleSetName,
  picks: (index: number) => readonly QuestionSpec[] | undefined = () => undefined,
  wanted: (index: number) => boolean = () => true,
): AnswerKey {
  const questions: Question[] = [];
  const notApplicable: NotApplicable[] = [];
  for (const s of sim_answerKeySteps(scenario, rules, picks, wanted)) {
    questions.push(...s.questions);
    notApplicable.push(...s.notApplicable);
  }
  return { questions, notApplicable };
}
