/**
 * A step told in plain words, generated from its trace events (never written
 * per scenario): what the guest (or the host) did, what the CPU found in the
 * shadow tables, what KVM did about it with the numbers, and the outcome.
 * The side panel heads with it, presenting mode and the embed show it as
 * their caption; the kernel's call path is told below it (ExplanationPanel).
 *
 * Cheap on purpose (it runs on every step change): it reads one step's events
 * and the scenario's step; the guest's paging mode at each step is worked out
 * once per timeline.
 */
import { type GuestMode, hex, hex64, sim_OUTCOMES, type Step, type StepResult, type Timeline, type TraceEvent } from '../../core/index.ts';
import {
  type Access,
  cap,
  entriesText,
  entryBits,
  errorCodeWords,
  gvaOf,
  gvaText,
  list,
  MODE_WORDS,
  NOUN,
  pageWords,
  plural,
  quadrantCover,
  type Refusal,
  refusalOf,
  spList,
  tableName,
  ZAP_WORDS,
} from './caption-words.ts';
import { eventCaption } from './event-caption.ts';

export { errorCodeWords } from './caption-words.ts';
export { eventCaption } from './event-caption.ts';

export interface StepCaption {
  /** What the guest (or the host) did. */
  readonly did: string;
  /** What the CPU found in the shadow tables ('' for steps that are not accesses). */
  readonly found: string;
  /** What KVM did, with the numbers ('' when KVM did not run). */
  readonly kvm: string;
  /** How it ended for the guest. */
  readonly outcome: string;
  /** Kernel-event mode: the event just revealed, in a sentence (null: the whole step is shown). */
  readonly now: string | null;
  /** The caption as one paragraph: all four parts (event mode: what the guest did and the event). */
  readonly text: string;
  /**
   * The short form for presenting mode and the embed, where the tables need
   * the room: what the guest did, what the CPU found, KVM's most telling
   * sentences (zaps, roots, unsync, new pages ...) and the outcome, with the
   * error code; the side panel has the whole caption.
   */
  readonly brief: string;
  /** The shortest form, for the embed (one or two lines): what the guest did, what the CPU found, the one thing KVM did that matters most, an injected fault. */
  readonly headline: string;
}

/** The guest's paging state while a step runs. */
interface GuestState {
  readonly mode: GuestMode;
  readonly pcide: boolean;
}

/** Every paging state, by its code (GUEST_MODES index * 2 + PCIDE): a timeline keeps a code per step, not an object. */
const GUEST_MODES: readonly GuestMode[] = ['off', 'x86-32', 'pae', 'x86-64'];
const GUEST_STATES: readonly GuestState[] = GUEST_MODES.flatMap((mode) => [false, true].map((pcide) => ({ mode, pcide })));

const states = new WeakMap<Timeline, Uint8Array>();

/**
 * The guest's paging mode (and CR4.PCIDE) before each step (index = step
 * index; the last: after every step), as codes, once per timeline: only
 * CR0/CR4/EFER writes change it, and only when they were not refused with a
 * #GP (then the step's outcome is a guest fault). A byte per step, read from
 * the outcome column: an object per step and a call of outcome(i) each were
 * ~40 ms of the first render after a 100,000-step open.
 */
function guestStateCodes(tl: Timeline): Uint8Array {
  const hit = states.get(tl);
  if (hit) return hit;
  const g = tl.scenario.guest;
  let pg = g.mode !== 'off';
  let pae = g.mode === 'pae' || g.mode === 'x86-64';
  let lme = g.mode === 'x86-64';
  let pcide = g.cr4.pcide ?? false;
  const code = () => (!pg ? 0 : lme ? 3 : pae ? 2 : 1) * 2 + (pcide ? 1 : 0);
  const steps = tl.scenario.steps;
  const outcomes = tl.sim_outcomeCodes();
  const done = sim_OUTCOMES.indexOf('done');
  const out = new Uint8Array(steps.length + 1);
  out[0] = code();
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i]!;
    if ((s.op === 'cr0' || s.op === 'cr4' || s.op === 'efer') && outcomes[i] === done) {
      if (s.op === 'cr0' && s.pg !== undefined) pg = s.pg;
      if (s.op === 'cr4') {
        pae = s.pae ?? pae;
        pcide = s.pcide ?? pcide;
      }
      if (s.op === 'efer' && s.lme !== undefined) lme = s.lme;
    }
    out[i + 1] = code();
  }
  states.set(tl, out);
  return out;
}

/** The guest's paging state before step index `i` (0-based; `tl.length`: after every step). */
const guestStateAt = (tl: Timeline, i: number): GuestState => GUEST_STATES[guestStateCodes(tl)[i]!]!;

/** The guest's paging mode while step `step` runs (step 0: at the first VM entry). */
export function modeAtStep(tl: Timeline, step: number): GuestMode {
  return guestStateAt(tl, Math.max(0, step - 1)).mode;
}


const CR0_WORDS: Record<string, [on: string, off: string]> = {
  pg: ['turns paging on (CR0.PG=1)', 'turns paging off (CR0.PG=0)'],
  wp: ['sets CR0.WP (read-only pages bind the kernel too)', 'clears CR0.WP (the kernel may now write to read-only pages)'],
};
const CR4_WORDS: Record<string, [on: string, off: string]> = {
  pse: ['turns on 4 MiB pages (CR4.PSE=1)', 'turns off 4 MiB pages (CR4.PSE=0)'],
  pae: ['turns on PAE paging (CR4.PAE=1)', 'turns off PAE paging (CR4.PAE=0)'],
  smep: ['turns on SMEP (CR4.SMEP=1: the kernel may not run code in user pages)', 'turns off SMEP (CR4.SMEP=0)'],
  smap: ['turns on SMAP (CR4.SMAP=1: the kernel may not touch user pages)', 'turns off SMAP (CR4.SMAP=0)'],
  pcide: ['turns on PCIDs (CR4.PCIDE=1: TLB entries tagged per address space)', 'turns off PCIDs (CR4.PCIDE=0)'],
};
const EFER_WORDS: Record<string, [on: string, off: string]> = {
  nx: ['turns on the no-execute bit (EFER.NX=1)', 'turns off the no-execute bit (EFER.NX=0)'],
  lme: ['enables long mode (EFER.LME=1)', 'disables long mode (EFER.LME=0)'],
};

function bitChanges(s: Record<string, unknown>, words: Record<string, [string, string]>): string[] {
  return Object.keys(words).flatMap((k) => (typeof s[k] === 'boolean' ? [words[k]![s[k] ? 0 : 1]] : []));
}

const find = <K extends TraceEvent['kind']>(events: readonly TraceEvent[], kind: K) => events.find((e): e is Extract<TraceEvent, { kind: K }> => e.kind === kind);
const all = <K extends TraceEvent['kind']>(events: readonly TraceEvent[], kind: K) => events.filter((e): e is Extract<TraceEvent, { kind: K }> => e.kind === kind);

/** What a step asked of the machine: "The guest (user mode) writes 0x6007 to 0x0000300c". */
function didWords(s: Step, st: GuestState, events: readonly TraceEvent[]): string {
  const mode = st.mode;
  switch (s.op) {
    case 'read':
    case 'fetch':
    case 'write': {
      const who = s.user ? 'The guest (user mode)' : 'The guest kernel';
      const at = gvaText(s.gva, mode);
      const ac = s.ac && !s.user ? ', with EFLAGS.AC set (SMAP lets it touch user pages)' : '';
      const phys = mode === 'off' ? ' (paging is off: the address is guest-physical)' : '';
      if (s.op !== 'write') return s.op === 'read' ? `${who} reads ${at}${ac}${phys}` : `${who} runs code at ${at}${phys}`;
      const odd = s.width !== 4 && s.width !== 8 ? ` (${s.width} bytes)` : '';
      if (s.value) return `${who} writes ${hex64(s.value)} to ${at}${odd}${ac}${phys}`;
      return `${who} rewrites the ${s.width} bytes already at ${at} (a locked read-modify-write)${ac}${phys}`;
    }
    case 'cr3': {
      const set = find(events, 'kvm_set_cr3');
      const same = set !== undefined && set.old === set.new;
      const pcid = st.pcide ? ` (PCID ${s.value % 4096}${s.noflush ? '; bit 63 set: keep its TLB entries' : ''})` : s.noflush ? ' (bit 63 set, ignored without PCIDs)' : '';
      const what = mode === 'off' ? 'paging is off, so the guest does not use it yet' : 'it switches page tables';
      return same ? `The guest kernel loads CR3 again with the same value, ${hex(s.value)}${pcid}` : `The guest kernel loads CR3 = ${hex(s.value)}${pcid}: ${what}`;
    }
    case 'invlpg':
      return `The guest kernel invalidates ${gvaText(s.gva, mode)} in the TLB (INVLPG)`;
    case 'cr0': {
      const ch = bitChanges(s, CR0_WORDS);
      return `The guest kernel ${ch.length ? list(ch) : 'writes CR0 without changing it'}`;
    }
    case 'cr4': {
      const ch = bitChanges(s, CR4_WORDS);
      return `The guest kernel ${ch.length ? list(ch) : 'writes CR4 without changing it'}`;
    }
    case 'efer': {
      const ch = bitChanges(s, EFER_WORDS);
      return `The guest kernel ${ch.length ? list(ch) : 'writes EFER without changing it'}`;
    }
    case 'host-write':
      return `The host (not the guest) writes ${hex64(s.value)} to guest memory at gpa ${hex(s.gpa)}`;
    case 'zap-all':
      return 'The host makes KVM zap every shadow page (kvm_mmu_zap_all, as when a VM is torn down)';
  }
}

const accessOf = (s: Step): Access | null => (s.op === 'read' || s.op === 'write' || s.op === 'fetch' ? s.op : null);

/** What the CPU found in the shadow tables (first walk of the step). */
function foundWords(events: readonly TraceEvent[]): { full: string; brief: string } {
  const walk = find(events, 'sim_hardware_walk');
  if (!walk) return { full: '', brief: '' };
  const last = walk.path[walk.path.length - 1];
  const where = last ? (last.sp === null ? `pae_root[${last.index}]` : `sp ${last.sp} entry ${last.index}`) : '';
  if (walk.result === 'hit') return { full: `The shadow tables map it (${where}): no exit, KVM does not run.`, brief: 'The shadow tables map it: no exit.' };
  const exits = all(events, 'kvm_page_fault').length;
  const again = exits > 1 ? ` (it exits ${exits} times)` : '';
  const ec = walk.errorCode ?? 0;
  let what: string;
  let brief: string;
  if (ec & 8) {
    what = `The shadow entry ${where} is KVM's MMIO marker (reserved bits set: no RAM there)`;
    brief = 'The shadow entry marks MMIO';
  } else if (ec & 1 && last) {
    const why = refusalOf(walk.access, walk.user, entryBits(last.spte));
    what = `The shadow entry (${where}) is ${REFUSED[why]}`;
    brief = `The shadow entry is ${REFUSED[why]}`;
  } else if (last && last.sp === null) {
    what = `pae_root[${last.index}] is empty (no shadow table for that GiB)`;
    brief = `pae_root[${last.index}] is empty`;
  } else if (last) {
    what = `The shadow tables have no entry for it (entry ${last.index} of shadow ${tableName(last.level)} sp ${last.sp} is empty)`;
    brief = 'No shadow entry';
  } else what = brief = 'There is no shadow root';
  return { full: `${what}: #PF exit to KVM${again}.`, brief: `${brief}: #PF exit.` };
}

const REFUSED: Record<Refusal, string> = {
  'supervisor-only': 'supervisor-only',
  'read-only': 'read-only',
  'no-execute': 'no-execute',
  smep: 'a user page (SMEP)',
  smap: 'a user page (SMAP)',
};


/**
 * The one thing KVM did that matters most in a step, in a few words, for the
 * headline (the embed's caption, one or two lines): the first that applies.
 */
function kvmHeadline(events: readonly TraceEvent[]): string {
  for (const e of events) {
    if (e.kind === 'pte_list_remove') return 'Kernel bug: an rmap entry is not where KVM looks (BUG() in 5.15).';
    if (e.kind === 'sim_use_after_free') return `Kernel bug: KVM follows gfn ${e.gfn}'s rmap into freed sp ${e.spte.sp}.`;
    if (e.kind === 'sim_rmap_gfn_mismatch') return `Kernel bug: sp ${e.sp} entry ${e.index} is filed under the wrong gfn.`;
  }
  const zapAll = find(events, 'kvm_mmu_zap_all');
  if (zapAll) return `KVM zaps all ${plural(zapAll.zapped.length, 'shadow page')}.`;
  const zaps = all(events, 'kvm_mmu_prepare_zap_page').filter((z) => !z.reason.startsWith('last reference'));
  if (zaps.length) return `KVM zaps ${spList(zaps.map((z) => z.sp))} (${(ZAP_WORDS[zaps[0]!.reason] ?? zaps[0]!.reason).replace(/:.*$/, '')}).`;
  const stale = all(events, 'kvm_mmu_get_child_sp').find((c) => c.result !== 'reuse');
  if (stale) return `KVM drops a stale link to sp ${stale.child}.`;
  const cached = find(events, 'cached_root_available');
  if (cached?.hit) return 'KVM switches back to a cached root.';
  const set = find(events, 'kvm_set_cr3');
  if (set && set.old === set.new && !find(events, 'kvm_mmu_new_pgd') && !find(events, 'mmu_free_root_page')) return 'KVM keeps its roots.';
  if (find(events, 'kvm_mmu_reset_context')) return 'KVM drops its roots and builds new ones.';
  const unsync = all(events, 'kvm_mmu_unsync_page');
  if (unsync.length) return `${spList(unsync.map((u) => u.sp))} ${unsync.length === 1 ? 'goes' : 'go'} unsync.`;
  const resync = all(events, 'invlpg').find((i) => i.resynced);
  if (resync) return `KVM re-reads the PTE behind sp ${resync.resynced!.sp} entry ${resync.resynced!.index}.`;
  const synced = all(events, 'sync_page');
  if (synced.length) return `KVM syncs ${spList(synced.map((x) => x.sp))}.`;
  const made = all(events, 'kvm_mmu_get_page').filter((e) => e.created);
  if (made.length === 1) {
    const e = made[0]!;
    const q = quadrantCover(e.role) ? `, quadrant ${e.role.quadrant}` : '';
    return e.role.direct ? `KVM builds direct shadow ${tableName(e.role.level)} sp ${e.sp}.` : `KVM builds sp ${e.sp} for guest ${tableName(e.role.level)} gfn ${e.gfn}${q}.`;
  }
  if (made.length) return `KVM builds ${made.length} shadow pages, ${spList(made.map((e) => e.sp))}.`;
  const emu = find(events, 'x86_emulate_instruction');
  if (emu) return emu.reason === 'mmio' ? 'KVM emulates the access (MMIO).' : 'KVM emulates the write to a shadowed page table.';
  if (find(events, 'sim_host_write')) return 'KVM does not see it.';
  const leaf = all(events, 'kvm_mmu_set_spte').find((l) => !l.speculative);
  if (leaf) return `KVM sets sp ${leaf.sp} entry ${leaf.index}.`;
  return '';
}

/** "quadrants 0-3", "quadrants 1, 3". */
function quadrantRange(qs: readonly number[]): string {
  if (qs.length === 1) return `quadrant ${qs[0]}`;
  const run = qs.every((q, i) => i === 0 || q === qs[i - 1]! + 1);
  return `quadrants ${run ? `${qs[0]}-${qs[qs.length - 1]}` : qs.join(', ')}`;
}

/** Created shadow pages in words, grouped when there are many. */
function createdWords(events: readonly TraceEvent[], paging: boolean): string {
  const made = all(events, 'kvm_mmu_get_page').filter((e) => e.created);
  if (made.length === 0) return '';
  const roots = new Map(all(events, 'mmu_alloc_root').map((r) => [r.sp, r.slot]));
  const ids = made.map((e) => e.sp);
  if (made.length === 1) {
    const e = made[0]!;
    const slot = roots.get(e.sp);
    const as = slot ? ` as ${slot === 'current' ? 'the root' : `pae_root[${slot.slice(3)}]`}` : '';
    return `${pageWords(e.sp, e.gfn, e.role, paging)}${as}`;
  }
  const allRoots = made.every((e) => roots.has(e.sp));
  const first = made[0]!;
  const sameTable = made.every((e) => e.gfn === first.gfn && e.role.level === first.role.level && e.role.direct === first.role.direct);
  if (allRoots && made.every((e) => roots.get(e.sp)!.startsWith('pae'))) {
    const slots = made.map((e) => Number(roots.get(e.sp)!.slice(3)));
    const slotText = `pae_root[${slots.length > 1 && slots.every((s, i) => i === 0 || s === slots[i - 1]! + 1) ? `${slots[0]}..${slots[slots.length - 1]}` : slots.join(', ')}]`;
    const n = `${made.length} shadow ${tableName(first.role.level)}s, ${spList(ids)}, as ${slotText}`;
    if (first.role.direct) return `${n}: direct, 1 GiB of guest memory each (paging is off: no guest table)`;
    if (sameTable && quadrantCover(first.role)) return `${n}: the quarters of guest PD gfn ${first.gfn} (${quadrantRange(made.map((e) => e.role.quadrant))}; 256 guest PDEs = 1 GiB each)`;
    return `${n}, one per present PDPTE: for guest PDs gfn ${made.map((e) => e.gfn).join(', ')}`;
  }
  if (made.length <= 4) return list(made.map((e) => pageWords(e.sp, e.gfn, e.role, paging, false)));
  const byLevel = new Map<string, number>();
  for (const e of made) {
    const k = `${e.role.direct ? 'direct ' : ''}${tableName(e.role.level)}`;
    byLevel.set(k, (byLevel.get(k) ?? 0) + 1);
  }
  return `${made.length} shadow pages, ${spList(ids)}: ${list([...byLevel].map(([k, n]) => `${n} ${k}${n === 1 ? '' : 's'}`))}`;
}

/**
 * What KVM did in the step, as sentences with the numbers, in the order the
 * kernel did it (each sentence is placed at the first event it tells).
 */
function kvmWords(s: Step | null, r: StepResult | null, events: readonly TraceEvent[], mode: GuestMode): { full: string; brief: string } {
  const paging = mode !== 'off';
  const out: Array<{ at: number; text: string; prio: number; short: string }> = [];
  const sentence = (t: string) => cap(t.endsWith('.') ? t : `${t}.`);
  /** A sentence told at event index `at`; `prio` (1-9) ranks it for the brief form, which says `short` if given. */
  const say = (at: number, t: string, prio = 5, short?: string) => {
    if (t) out.push({ at, text: sentence(t), prio, short: sentence(short ?? t) });
  };
  const first = (kind: TraceEvent['kind']) => events.findIndex((e) => e.kind === kind);
  const access = s ? accessOf(s) : null;
  // Roots: a CR3 load's short cut, cached roots, roots dropped.
  const set = find(events, 'kvm_set_cr3');
  const cached = find(events, 'cached_root_available');
  const sameCr3 = set !== undefined && set.old === set.new && !find(events, 'kvm_mmu_new_pgd') && !find(events, 'load_pdptrs');
  if (sameCr3) say(first('kvm_set_cr3'), 'Same CR3 in a guest without PAE: KVM keeps its roots (kvm_set_cr3 skips the switch) and only syncs unsync pages and flushes the TLB', 9);
  if (cached?.hit) say(first('cached_root_available'), `KVM finds the root for this CR3 in its cache of previous roots${cached.prevIndex !== null ? ` (prev_roots[${cached.prevIndex}])` : ''} and switches back to it: nothing is rebuilt`, 9);
  else if (cached) say(first('cached_root_available'), 'No cached root for this CR3: the old root goes into the cache of previous roots (prev_roots[0])', 9);
  const pdptrs = find(events, 'load_pdptrs');
  if (pdptrs) {
    const present = pdptrs.pdptrs.flatMap((p, i) => (entryBits(p).present ? [i] : []));
    say(first('load_pdptrs'), `KVM loads the guest's four PDPTEs from the table at CR3: ${present.length ? `${present.length === 1 ? 'PDPTE' : 'PDPTEs'} ${present.join(', ')} present` : 'none present'}`, 6);
    // kvm_set_cr3 (5.15): a PAE guest reloading the same CR3 reloads the PDPTEs, but kvm_mmu_new_pgd is not called.
    if (set && set.old === set.new && !find(events, 'kvm_mmu_new_pgd') && !find(events, 'mmu_free_root_page'))
      say(first('load_pdptrs'), 'The CR3 value is the same, so KVM keeps its roots (5.15): pae_root[] still follows the PDPTEs it was built from', 8);
  }
  const reset = find(events, 'kvm_mmu_reset_context');
  if (reset) say(first('kvm_mmu_reset_context'), `${reset.reason}: the shadow roots no longer fit the guest's paging, so KVM drops them`, 9);
  else if (!cached) {
    const freed = all(events, 'mmu_free_root_page').filter((f) => !f.slot.startsWith('prev'));
    const zappedRoots = new Set(all(events, 'kvm_mmu_prepare_zap_page').map((z) => z.sp));
    const wereRoots = freed.filter((f) => zappedRoots.has(f.sp)).map((f) => f.sp);
    if (freed.length && wereRoots.length && access)
      say(first('mmu_free_root_page'), `${spList(wereRoots)} ${wereRoots.length === 1 ? 'was a root' : 'were roots'}, so at the next VM entry KVM drops the roots (${spList(freed.map((f) => f.sp))}) and builds them again`, 4);
    else if (freed.length) say(first('mmu_free_root_page'), `KVM drops the roots (${spList(freed.map((f) => f.sp))})${access ? ' at the next VM entry' : ''}`, access ? 3 : 7);
  }
  const prevFreed = all(events, 'mmu_free_root_page').filter((f) => f.slot.startsWith('prev'));
  if (prevFreed.length) say(events.indexOf(prevFreed[0]!), `KVM drops ${plural(prevFreed.length, 'cached root')} with this PCID (${spList(prevFreed.map((f) => f.sp))})`, 6);
  // The fault: the guest walk and its verdict.
  const walk = find(events, 'sim_walk_result');
  const refused = find(events, 'kvm_mmu_walker_error');
  const mmio = find(events, 'handle_mmio_page_fault');
  if (mmio) say(first('handle_mmio_page_fault'), `The entry marks gfn ${mmio.gfn} as MMIO (no RAM there): KVM emulates the access`, 8);
  if (refused) {
    // The CPU's own fault was a protection fault (P=1) on the shadow entry: the guest's tables agree.
    const hwEc = find(events, 'sim_hardware_walk')?.errorCode ?? 0;
    const why = refused.reason === 'permission' ? '' : ` (${refused.reason})`;
    say(first('kvm_mmu_walker_error'), `KVM walks the guest's own page tables: they forbid the access${hwEc & 1 ? ' too' : ''}${why}, so the fault is the guest's`, 4);
  }
  else if (walk && r?.outcome !== 'hit') {
    const huge = walk.level > 1 ? ` (a ${walk.level === 2 ? (mode === 'x86-32' ? '4 MiB' : '2 MiB') : '1 GiB'} guest page)` : '';
    say(first('sim_walk_result'), `KVM walks the guest's page tables: they map it to gfn ${walk.gfn}${huge}`, 2);
  } else if (!paging && find(events, 'kvm_page_fault') && !mmio) say(first('kvm_page_fault'), 'Paging is off, so there is no guest walk: the gfn is the address >> 12', 6);
  if (find(events, 'sim_cr0_wp_adjust')) say(first('sim_cr0_wp_adjust'), 'CR0.WP=0: KVM maps the page writable but supervisor-only, so the kernel can write it and user mode still cannot', 8);
  const dirty = find(events, 'kvm_mmu_set_dirty_bit');
  const hw = find(events, 'sim_hardware_walk');
  const hwLeaf = hw?.path[hw.path.length - 1];
  const cleanTrap = !find(events, 'x86_emulate_instruction') && hw?.result === 'fault' && access === 'write' && hwLeaf !== undefined && entryBits(hwLeaf.spte).present && !entryBits(hwLeaf.spte).w;
  if (dirty)
    say(
      walk ? events.indexOf(walk) : first('kvm_mmu_set_dirty_bit'),
      `KVM sets the Dirty bit in the guest PTE at gpa ${dirty.gpa}${cleanTrap ? ' (the dirty-bit trick: the shadow entry was read-only only until the page got dirty)' : ''}`,
      cleanTrap ? 8 : 4,
    );
  // New pages, existing pages linked, and the entries set.
  const made = createdWords(events, paging);
  const linked = all(events, 'kvm_mmu_get_page').filter((e) => !e.created && !all(events, 'mmu_alloc_root').some((r) => r.sp === e.sp));
  const syncing = new Set(all(events, 'sync_page').map((x) => x.sp));
  const resync = all(events, 'invlpg').filter((i) => i.resynced);
  const resynced = new Set(resync.map((i) => `${i.resynced!.sp}:${i.resynced!.index}`));
  const sets = all(events, 'kvm_mmu_set_spte');
  const leaves = sets.filter((e) => !e.speculative);
  const prefetched = sets.filter((e) => e.speculative && !syncing.has(e.sp) && !resynced.has(`${e.sp}:${e.index}`));
  const leafText = leaves.length
    ? leaves.length === 1
      ? `sets sp ${leaves[0]!.sp} entry ${leaves[0]!.index} -> gfn ${leaves[0]!.gfn}${leafNote(leaves[0]!, events, access)}`
      : `sets ${entriesText(leaves)}`
    : '';
  const leafShort = leaves.length === 1 ? `sets sp ${leaves[0]!.sp} entry ${leaves[0]!.index} -> gfn ${leaves[0]!.gfn}` : leafText;
  const linkText = linked.length ? `links the existing ${list(linked.map((e) => `shadow ${tableName(e.role.level)} sp ${e.sp}`))}` : '';
  const madeAt = events.findIndex((e) => e.kind === 'kvm_mmu_get_page' && e.created);
  const leafAt = leaves.length ? events.indexOf(leaves[0]!) : -1;
  if (made && !find(events, 'kvm_mmu_load') && !s?.op.startsWith('cr')) say(madeAt, `KVM builds ${made}${linkText ? `, ${linkText}` : ''}${leafText ? `, and ${leafText}` : ''}`, 7, `KVM builds ${made}`);
  else {
    if (made) say(madeAt, `KVM builds ${made}`, 7);
    const rest = [linkText, leafText].filter(Boolean);
    if (rest.length) say(linkText ? events.indexOf(linked[0]!) : leafAt, `KVM ${list(rest)}`, 5, `KVM ${list([linkText, leafShort].filter(Boolean))}`);
  }
  const reusedRoots = all(events, 'kvm_mmu_get_page').filter((e) => !e.created && all(events, 'mmu_alloc_root').some((r) => r.sp === e.sp));
  if (reusedRoots.length && !cached?.hit) say(events.indexOf(reusedRoots[0]!), `KVM reuses ${spList(reusedRoots.map((e) => e.sp))} as ${reusedRoots.length === 1 ? 'a root' : 'roots'}: ${reusedRoots.length === 1 ? 'it has' : 'they have'} the role asked for`, 3);
  const mmioSpte = find(events, 'mark_mmio_spte');
  if (mmioSpte) say(first('mark_mmio_spte'), `gfn ${mmioSpte.gfn} has no RAM: KVM marks sp ${mmioSpte.sp} entry ${mmioSpte.index} as MMIO, so the next access goes straight to the emulator`, 6);
  const invalid = all(events, 'sim_pae_root_invalid');
  if (invalid.length) say(first('sim_pae_root_invalid'), `pae_root[${invalid.map((i) => i.index).join(', ')}] ${invalid.length === 1 ? 'stays' : 'stay'} empty: the guest's PDPTE${invalid.length === 1 ? '' : 's'} ${invalid.map((i) => i.index).join(', ')} ${invalid.length === 1 ? 'is' : 'are'} not present`, 8);
  if (prefetched.length) say(events.indexOf(prefetched[0]!), `It also prefetches ${plural(prefetched.length, 'neighbouring entry', 'neighbouring entries')} (${entriesText(prefetched)})`, 2);
  // Unsync.
  const unsync = all(events, 'kvm_mmu_unsync_page');
  for (const u of unsync) {
    const gfn = /gfn (\S+)/.exec(u.notation)?.[1];
    say(events.indexOf(u), `KVM lets sp ${u.sp} go unsync: it stops write-protecting guest PT ${gfn ? `gfn 0x${gfn}` : ''}, so the guest may edit that table without exits; the shadow catches up at the next INVLPG or CR3 load`, 8, `sp ${u.sp} goes unsync: the guest may now edit guest PT ${gfn ? `gfn 0x${gfn} ` : ''}without exits`);
  }
  // Emulated writes to shadowed page tables, write flooding, zaps.
  const emu = find(events, 'x86_emulate_instruction');
  if (emu && emu.reason !== 'mmio') {
    const track = find(events, 'page_fault_handle_page_track');
    const tableGfn = track?.gfn ?? leaves.find((l) => l.writeProtectedPt)?.gfn ?? walk?.gfn;
    say(first('x86_emulate_instruction'), `${tableGfn ? `gfn ${tableGfn}` : 'The page written'} holds a guest page table that KVM shadows, so its shadow entry stays read-only and KVM emulates the write`, 8, `${tableGfn ? `gfn ${tableGfn}` : 'The page'} is a guest page table KVM shadows: KVM emulates the write`);
    const written = all(events, 'get_written_sptes').filter((w) => w.indexes.length);
    if (written.length) say(first('x86_emulate_instruction'), `It updates the shadow entries built from the written guest entry: ${entriesText(written.flatMap((w) => w.indexes.map((index) => ({ sp: w.sp, index }))))}`, 3);
  } else if (emu) say(first('x86_emulate_instruction'), 'KVM emulates the access (MMIO)', 7);
  const floods = all(events, 'detect_write_flooding');
  const flooded = floods.filter((f) => f.flooded);
  if (floods.length && !flooded.length)
    say(events.indexOf(floods[0]!), `KVM counts writes to shadowed tables that nothing uses in between: ${list(floods.map((c) => `sp ${c.sp} at ${c.count}`))} (3 in a row zaps a page)`, 6);
  if (flooded.length && flooded.length < floods.length) {
    const kept = floods.filter((f) => !f.flooded);
    // FNAME(fetch) clears the count of every shadow page the faulting access walks through.
    say(
      first('kvm_mmu_prepare_zap_page') + 0.5,
      `${spList(kept.map((k) => k.sp))} ${kept.length === 1 ? 'survives' : 'survive'} with a count of ${kept.map((k) => k.count).join(', ')}: each faulting write walks through ${kept.length === 1 ? 'it' : 'them'}, which resets the count (FNAME(fetch))`,
      5,
    );
  }
  const zapAll = find(events, 'kvm_mmu_zap_all');
  if (zapAll) say(first('kvm_mmu_zap_all'), `KVM zaps all ${plural(zapAll.zapped.length, 'shadow page')}${zapAll.zapped.length ? ` (${spList(zapAll.zapped)})` : ''}`, 9);
  else {
    // A page zapped while still a root is only marked invalid; dropping the
    // root zaps it again ("last reference ..."): tell it once, with its first reason.
    const seen = new Set<number>();
    const byReason = new Map<string, number[]>();
    let at = -1;
    for (const [i, e] of events.entries()) {
      if (e.kind !== 'kvm_mmu_prepare_zap_page' || seen.has(e.sp)) continue;
      if (at < 0) at = i;
      seen.add(e.sp);
      byReason.set(e.reason, [...(byReason.get(e.reason) ?? []), e.sp]);
    }
    if (byReason.size)
      say(
        at,
        `KVM zaps ${list([...byReason].map(([why, sps]) => `${spList(sps)} (${ZAP_WORDS[why] ?? why})`))}`,
        9,
        `KVM zaps ${list([...byReason].map(([why, sps]) => `${spList(sps)} (${(ZAP_WORDS[why] ?? why).replace(/:.*$/, '')})`))}`,
      );
  }
  for (const c of all(events, 'kvm_mmu_get_child_sp').filter((x) => x.result !== 'reuse')) {
    say(
      events.indexOf(c),
      c.result === 'unexpected-gfn'
        ? `sp ${c.parent.sp} entry ${c.parent.index} still links sp ${c.child}, made for gfn ${c.childGfn}, but the guest now points at gfn ${c.gfn}: KVM drops the stale link`
        : `sp ${c.parent.sp} entry ${c.parent.index} links sp ${c.child}, whose role (${roleOnly(c.childRole)}) is not the one needed (${roleOnly(c.role)}): KVM drops the link`,
      9,
    );
  }
  // Sync.
  for (const i of resync) {
    const l = sets.find((x) => x.sp === i.resynced!.sp && x.index === i.resynced!.index);
    say(events.indexOf(i), `sp ${i.resynced!.sp} is unsync, so KVM re-reads the guest PTE behind its entry ${i.resynced!.index}${l ? `: it now maps gfn ${l.gfn}` : ''}`, 8);
  }
  if (s?.op === 'invlpg' && !resync.length && paging) say(first('kvm_mmu_invlpg'), 'No unsync shadow page on the path: nothing to re-read (pages in sync are kept so by write protection)', 6);
  const synced = all(events, 'sync_page');
  if (synced.length) {
    // FNAME(sync_page)'s set_spte updates, and any prefetch into a page synced in this step.
    const updated = events.filter((x) => x.kind === 'set_spte' || (x.kind === 'kvm_mmu_set_spte' && x.speculative && syncing.has(x.sp))) as ReadonlyArray<{ readonly sp: number; readonly index: number }>;
    say(events.indexOf(synced[0]!), `KVM syncs ${spList(synced.map((x) => x.sp))}: it re-reads ${synced.length === 1 ? 'its guest table' : 'their guest tables'}${updated.length ? ` and updates ${entriesText(updated)}` : ''}`, 8);
  }
  // TLB flushes.
  const flushAt = events.findIndex((e) => e.kind === 'kvm_vcpu_flush_tlb_all' || e.kind === 'kvm_vcpu_flush_tlb_current');
  const pcid = find(events, 'kvm_invalidate_pcid');
  if (s?.op === 'cr3' && !pcid) say(first('kvm_set_cr3'), 'No TLB flush (bit 63)', 6);
  else if (flushAt >= 0 && (s?.op === 'cr3' || s?.op === 'invlpg') && !sameCr3) say(flushAt, `On VM entry the ${events[flushAt]!.kind === 'kvm_vcpu_flush_tlb_all' ? 'whole' : 'current'} TLB is flushed`, 3);
  // Host-side events and kernel bugs.
  if (find(events, 'sim_host_write')) say(first('sim_host_write'), 'No VM exit: KVM never sees this write, so shadow entries built from the old value stay as they were', 9);
  const oldest = find(events, 'kvm_mmu_zap_oldest_mmu_pages');
  if (oldest && !find(events, 'kvm_mmu_prepare_zap_page')) say(first('kvm_mmu_zap_oldest_mmu_pages'), `Too many shadow pages: KVM recycles ${spList(oldest.zapped)}`, 9);
  for (const [i, e] of events.entries()) if (e.kind === 'sim_rmap_gfn_mismatch' || e.kind === 'pte_list_remove' || e.kind === 'sim_use_after_free') say(i, eventCaption(e, mode), 9);
  const ordered = out.map((o, i) => ({ ...o, i })).sort((a, b) => a.at - b.at || a.i - b.i);
  // The brief form (presenting mode, the embed): the most telling sentences
  // (zaps, roots, unsync, new pages, ...) up to about two lines, in order.
  const keep = new Set<number>();
  let room = BRIEF_KVM_CHARS;
  for (const o of [...ordered].sort((a, b) => b.prio - a.prio || a.at - b.at)) {
    if (keep.size && (o.short.length > room || o.prio < 5)) continue;
    keep.add(o.i);
    room -= o.short.length;
  }
  return { full: ordered.map((o) => o.text).join(' '), brief: ordered.filter((o) => keep.has(o.i)).map((o) => o.short).join(' ') };
}

/** Room for KVM's part of a brief caption, in characters (about two lines of presenting mode). */
const BRIEF_KVM_CHARS = 240;

/** A kvmmmu notation without its gfn ("gfn 200 l1 8-byte q0 wux !nxe" -> "l1 8-byte q0 wux !nxe"). */
const roleOnly = (notation: string): string => notation.replace(/^gfn \S+ /, '');

/** A note on a leaf that is not writable though the guest allows writes: the dirty-bit trick, or a shadowed page table. */
function leafNote(leaf: Extract<TraceEvent, { kind: 'kvm_mmu_set_spte' }>, events: readonly TraceEvent[], access: Access | null): string {
  const bits = entryBits(leaf.spte);
  const huge = leaf.level > 1 ? ` as one ${leaf.level === 2 ? '2 MiB' : '1 GiB'} mapping (the host backs it with a huge page)` : '';
  if (bits.w) return `${huge}, writable`;
  const hw = find(events, 'sim_hardware_walk');
  const hwLeaf = hw?.path[hw.path.length - 1];
  if (hw && hwLeaf && hw.user && entryBits(hwLeaf.spte).present && !entryBits(hwLeaf.spte).u && bits.u)
    return `${huge}, now user and read-only: the previous entry was supervisor-only, and a user access gets the guest's own permissions`;
  if (leaf.writeProtectedPt) return find(events, 'x86_emulate_instruction') ? `${huge}, read-only` : `${huge}, read-only: gfn ${leaf.gfn} is a guest page table KVM shadows`;
  // FNAME(protect_clean_gpte): a clean gpte is mapped without W unless the
  // access is a write, so the first write faults and KVM sets D.
  const elems = all(events, 'kvm_mmu_paging_element').filter((e) => e.gpa !== null);
  const gpte = elems[elems.length - 1];
  if (access !== 'write' && gpte && elems.every((e) => entryBits(e.pte).w) && !entryBits(gpte.pte).dirty)
    return `${huge}, read-only for now: the guest PTE is writable but not yet dirty, so the first write will exit for KVM to set D (the dirty-bit trick)`;
  return `${huge}, read-only`;
}

/** How the step ended for the guest. */
function outcomeWords(s: Step, r: StepResult, events: readonly TraceEvent[], mode: GuestMode): { full: string; brief: string } {
  const note = find(events, 'sim_note');
  const noteText = note ? ` Note: ${note.text.replace(/\.$/, '')}.` : '';
  const both = (full: string, brief: string) => ({ full: `${full}${noteText}`.trim(), brief: `${brief}${noteText}`.trim() });
  const done = find(events, 'sim_guest_access');
  const access = accessOf(s);
  if (r.vector === 14) {
    const walkRefusal = refusalFromGuestWalk(events, s);
    const inj = find(events, 'kvm_inject_page_fault');
    const ec = errorCodeWords(r.errorCode ?? 0, walkRefusal);
    return both(`KVM injects a #PF into the guest (CR2 = ${inj ? gvaOf(inj.gva, mode) : 'the address'}): ${ec}. The access does not complete; the guest's #PF handler runs.`, `KVM injects a #PF: ${ec}.`);
  }
  if (r.vector === 13) {
    const gp = find(events, 'kvm_inject_gp');
    const full = `KVM injects #GP(0) into the guest${gp ? `: ${gp.reason}` : ''}; the instruction does not complete.`;
    return both(full, full);
  }
  if (access) {
    // Only an access that really happened (sim_guest_access) completes.
    if (!done) return both(`The ${NOUN[access]} does not complete.`, `The ${NOUN[access]} does not complete.`);
    const what = access === 'write' ? `${done.value} is stored at gpa ${done.gpa}` : `${done.value} comes from gpa ${done.gpa}`;
    if (r.outcome === 'hit') return both(`The ${NOUN[access]} completes: ${what}.`, '');
    if (r.outcome === 'emulated') return both(`The ${NOUN[access]} completes through the emulator: ${what}.`, `The ${NOUN[access]} completes through the emulator.`);
    return both(`The guest retries the ${NOUN[access]} and it completes: ${what}.`, `The ${NOUN[access]} then completes.`);
  }
  if (s.op === 'host-write') {
    const hw = find(events, 'sim_host_write');
    return both(hw ? `Guest memory at gpa ${hw.gpa} now holds ${hw.value} (was ${hw.old}).` : '', '');
  }
  return both('', '');
}

/** Which protection the guest's own tables refused (from the entries KVM's walk read), for the injected error code. */
function refusalFromGuestWalk(events: readonly TraceEvent[], s: Step): Refusal | undefined {
  const access = accessOf(s);
  if (!access) return undefined;
  // A PAE PDPTE (read from a register, gpa null) has no W or U bit.
  const elems = all(events, 'kvm_mmu_paging_element').filter((e) => e.gpa !== null);
  if (!elems.length || !elems.every((e) => entryBits(e.pte).present)) return undefined;
  let w = true;
  let u = true;
  let nx = false;
  for (const e of elems) {
    const b = entryBits(e.pte);
    w &&= b.w;
    u &&= b.u;
    nx ||= b.nx;
  }
  return refusalOf(access, 'user' in s && s.user, { w, u, nx });
}

/** The first VM entry (step 0). */
function firstEntry(tl: Timeline): StepCaption {
  const st = guestStateAt(tl, 0);
  const g = tl.scenario.guest;
  const did = `The guest starts ${MODE_WORDS[st.mode]}${st.mode === 'off' ? '' : ` with CR3 = ${hex(g.cr3)}`}`;
  const made = createdWords(tl.initialEvents, st.mode !== 'off');
  const invalid = all(tl.initialEvents, 'sim_pae_root_invalid');
  const kvmParts = [`On the first VM entry KVM has no shadow tables yet, so it builds the roots${made ? `: ${made}` : ''}.`];
  if (invalid.length) kvmParts.push(`pae_root[${invalid.map((i) => i.index).join(', ')}] ${invalid.length === 1 ? 'stays' : 'stay'} empty: the guest's PDPTE${invalid.length === 1 ? '' : 's'} ${invalid.map((i) => i.index).join(', ')} ${invalid.length === 1 ? 'is' : 'are'} not present.`);
  const next = tl.scenario.steps[0];
  const outcome = next && 'gva' in next ? `Next: an access to ${gvaText(next.gva, guestStateAt(tl, 0).mode)}.` : 'The guest starts running.';
  const kvm = kvmParts.join(' ');
  const roots = all(tl.initialEvents, 'kvm_mmu_get_page').filter((e) => e.created);
  return assemble(`${did}.`, '', kvm, outcome, null, [`${did}.`, kvm, outcome].join(' '), `${did}. KVM builds the roots${roots.length ? ` (${spList(roots.map((e) => e.sp))})` : ''}.`);
}

function assemble(did: string, found: string, kvm: string, outcome: string, now: string | null, brief: string, headline: string): StepCaption {
  const text = now !== null ? `${did} ${now}` : [did, found, kvm, outcome].filter(Boolean).join(' ');
  return { did, found, kvm, outcome, now, text, brief: now !== null ? text : brief, headline: now !== null ? `${did} ${now}` : headline };
}

const cache = new WeakMap<Timeline, Map<number, StepCaption>>();

/**
 * The caption of step `step` (0: the first VM entry). With `upTo` (kernel-event
 * mode: events revealed), `now` tells the last revealed event and `text` is
 * what the guest did plus that event, so the caption follows the events.
 */
export function stepCaption(tl: Timeline, step: number, upTo: number | null = null): StepCaption {
  let per = cache.get(tl);
  if (!per) {
    per = new Map();
    cache.set(tl, per);
  }
  let base = per.get(step);
  if (!base) {
    base = buildCaption(tl, step);
    if (per.size > 512) per.clear();
    per.set(step, base);
  }
  if (upTo === null) return base;
  const events = step > 0 ? (tl.result(step - 1)?.events ?? []) : tl.initialEvents;
  const e = upTo > 0 ? events[Math.min(upTo, events.length) - 1] : undefined;
  const now = e ? `Event ${Math.min(upTo, events.length)} of ${events.length}: ${eventCaption(e, modeAtStep(tl, step))}` : 'No kernel event revealed yet.';
  return assemble(base.did, base.found, base.kvm, base.outcome, now, '', '');
}

function buildCaption(tl: Timeline, step: number): StepCaption {
  if (step <= 0) return firstEntry(tl);
  const s = tl.scenario.steps[step - 1];
  const r = tl.result(step - 1);
  if (!s || !r) return assemble('(no such step)', '', '', '', null, '(no such step)', '(no such step)');
  const st = guestStateAt(tl, step - 1);
  const events = r.events;
  const did = `${didWords(s, st, events)}.`;
  const found = foundWords(events);
  const kvm = kvmWords(s, r, events, st.mode);
  const outcome = outcomeWords(s, r, events, st.mode);
  const tinyOutcome = r.vector === 14 ? `KVM injects #PF 0x${(r.errorCode ?? 0).toString(16)}.` : r.vector === 13 ? 'KVM injects #GP(0).' : /does not complete/.test(outcome.brief) ? outcome.brief : '';
  const headline = [did, found.brief, r.vector === undefined ? kvmHeadline(events) : '', tinyOutcome].filter(Boolean).join(' ');
  return assemble(did, found.full, kvm.full, outcome.full, null, [did, found.brief, kvm.brief, outcome.brief].filter(Boolean).join(' '), headline);
}

/** The timeline marker's label: `step 3: read 0xc0603123 → shadow-fault`. */
export function stepLabel(tl: Timeline, i: number): string {
  const s = tl.scenario.steps[i]!;
  const mode = guestStateAt(tl, i).mode;
  const what =
    'gva' in s
      ? `${s.op} ${gvaText(s.gva, mode)}${'user' in s && s.user ? ' (user)' : ''}`
      : s.op === 'cr3'
        ? `cr3 = 0x${s.value.toString(16)}`
        : s.op === 'host-write'
          ? `host writes gpa 0x${s.gpa.toString(16)}`
          : s.op;
  return `step ${i + 1}: ${what} → ${tl.outcome(i)!}`;
}
