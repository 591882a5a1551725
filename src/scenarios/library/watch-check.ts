/**
 * "What to watch" as checkable data: each built-in's claims are a list of
 * items (a step, the rule sets it holds under, a sentence, and the facts that
 * make the sentence true). This file holds the types and the predicates that
 * test an item against a run (`Timeline`); the lists are in watch.ts.
 *
 * The predicates read only the step's trace events (src/core/trace.ts) and,
 * for a few facts about the result, the state after the step. Steps count as
 * the UI counts them: step 0 is the first VM entry, step n the n-th scenario
 * step (`Timeline.result(n - 1)`).
 */
import { type Outcome, RULE_SETS, type RuleSetName, type Timeline, type TraceEvent, type TraceEventKind } from '../../core/index.ts';

/** Which shadow page: every field given must match (gfn as a number; gpte = 4 or 8 bytes, role.gpte_is_8_bytes). */
export interface PageMatch {
  readonly gfn?: number;
  readonly level?: number;
  readonly quadrant?: number;
  readonly direct?: boolean;
  readonly gpte?: 4 | 8;
}

/** One fact about a step. Keep the kinds few and general. */
export type Expectation =
  /** The step's result. errorCode: the #PF the guest gets; exitCode: the error code of the #PF exit (kvm_page_fault). */
  | { readonly kind: 'outcome'; readonly outcome: Outcome; readonly errorCode?: number; readonly exitCode?: number }
  /** kvm_mmu_get_page created exactly `count` (default 1) shadow pages that match. */
  | { readonly kind: 'newPage'; readonly page: PageMatch; readonly count?: number }
  /** No shadow page was created. */
  | { readonly kind: 'noNewPage' }
  /** kvm_mmu_get_page found an existing page that matches in the hash (and created none that matches). */
  | { readonly kind: 'pageFound'; readonly page: PageMatch }
  /** Shadow pages in the state after the step. */
  | { readonly kind: 'pageCount'; readonly count: number }
  /** A non-speculative kvm_mmu_set_spte that matches: the gfn it maps, the spte's level and index, the page it is in, its W and U bits. */
  | {
      readonly kind: 'spte';
      readonly gfn?: number;
      readonly level?: number;
      readonly index?: number;
      readonly in?: PageMatch;
      readonly writable?: boolean;
      readonly user?: boolean;
    }
  /** The access really happened, at this guest-physical address. */
  | { readonly kind: 'access'; readonly gpa: number }
  /** The shadow page of this gfn went unsync (kvm_mmu_unsync_page). */
  | { readonly kind: 'unsync'; readonly gfn: number }
  /** The unsync shadow page of this gfn was synced (kvm_mmu_sync_page) and is no longer unsync after the step. */
  | { readonly kind: 'sync'; readonly gfn: number }
  /** FNAME(invlpg) re-read one guest entry into the page of this gfn. */
  | { readonly kind: 'resync'; readonly gfn: number; readonly index: number }
  /** kvm_mmu_prepare_zap_page on `count` (default 1) distinct pages that match, for a reason containing `reason`. */
  | { readonly kind: 'zap'; readonly page: PageMatch; readonly reason: string; readonly count?: number }
  /** get_written_sptes picked exactly these entries of a page that matches (the shadow entries an emulated write zaps). */
  | { readonly kind: 'written'; readonly page: PageMatch; readonly indexes: readonly number[] }
  /** detect_write_flooding on a page that matches left its count at `count`. */
  | { readonly kind: 'floodCount'; readonly page: PageMatch; readonly count: number }
  /** cached_root_available hit or missed the prev_roots cache. */
  | { readonly kind: 'prevRoots'; readonly hit: boolean }
  /** After the step, prev_roots[slot] caches the root of this gfn for this CR3 value. */
  | { readonly kind: 'prevRoot'; readonly slot: number; readonly gfn: number; readonly pgd: number }
  /** The roots: kept (none freed or allocated) or freed (mmu_free_root_page). */
  | { readonly kind: 'roots'; readonly change: 'kept' | 'freed' }
  /** mmu_alloc_shadow_roots left exactly these pae_root[] slots invalid (PDPTE not present). */
  | { readonly kind: 'paeRootInvalid'; readonly indexes: readonly number[] }
  /** kvm_mmu_get_child_sp's verdict on a child already linked. */
  | { readonly kind: 'childCheck'; readonly result: 'reuse' | 'unexpected-gfn' | 'unexpected-role' }
  /** A kernel bug the simulator records at this step (Machine.bugs). */
  | { readonly kind: 'kernelBug'; readonly bug: 'stale-rmap' | 'pte_list_remove' | 'use-after-free' }
  /** FNAME(pte_prefetch) / __direct_pte_prefetch filled exactly these entries of a page that matches. */
  | { readonly kind: 'prefetch'; readonly page: PageMatch; readonly indexes: readonly number[] }
  /** An event of this kind happens (or, with `none`, does not). */
  | { readonly kind: 'event'; readonly name: TraceEventKind; readonly none?: true };

export interface WatchItem {
  /** The step as the UI counts it (0 = the first VM entry). */
  readonly step: number;
  /** The item holds at every step from `step` to `through`. */
  readonly through?: number;
  /** The rule sets it holds under (default: all of RULE_SETS). */
  readonly rules?: readonly RuleSetName[];
  /** Plain words first. */
  readonly text: string;
  /** The kernel's names for it, with the functions to read. */
  readonly kernel?: string;
  readonly expect: readonly Expectation[];
}

export const itemRules = (item: WatchItem): readonly RuleSetName[] => item.rules ?? RULE_SETS;

/** The events of step n (0 = the first VM entry). */
export function stepEvents(tl: Timeline, n: number): readonly TraceEvent[] {
  if (n === 0) return tl.initialEvents;
  const r = tl.result(n - 1);
  if (r === undefined) throw new Error(`step ${n} is past the end (${tl.length} steps)`);
  return r.events;
}

interface SpInfo {
  readonly gfn: number;
  readonly level: number;
  readonly quadrant: number;
  readonly direct: boolean;
  readonly gpte: 4 | 8;
}

/** Every shadow page id seen up to step n, with its gfn and role (ids are never reused). */
function pagesUpTo(tl: Timeline, n: number): Map<number, SpInfo> {
  const map = new Map<number, SpInfo>();
  for (let k = 0; k <= n; k++) {
    for (const e of stepEvents(tl, k)) {
      if (e.kind === 'kvm_mmu_get_page') {
        map.set(e.sp, { gfn: parseInt(e.gfn, 16), level: e.role.level, quadrant: e.role.quadrant, direct: e.role.direct, gpte: e.role.gpteIs8Bytes ? 8 : 4 });
      }
    }
  }
  return map;
}

const matches = (sp: SpInfo | undefined, p: PageMatch): boolean =>
  sp !== undefined &&
  (p.gfn === undefined || sp.gfn === p.gfn) &&
  (p.level === undefined || sp.level === p.level) &&
  (p.quadrant === undefined || sp.quadrant === p.quadrant) &&
  (p.direct === undefined || sp.direct === p.direct) &&
  (p.gpte === undefined || sp.gpte === p.gpte);

const num = (hex: string): number => parseInt(hex, 16);
/** Bits 1 (W) and 2 (U) of an spte, from its hex form. */
const spteBit = (spte: string, bit: number): boolean => ((num(spte.slice(-2)) >> bit) & 1) === 1;

/** Why an expectation fails at step n, or null when it holds. */
export function checkExpectation(tl: Timeline, n: number, x: Expectation): string | null {
  const ev = stepEvents(tl, n);
  const pages = (): Map<number, SpInfo> => pagesUpTo(tl, n);
  const of = <K extends TraceEvent['kind']>(k: K) => ev.filter((e): e is Extract<TraceEvent, { kind: K }> => e.kind === k);
  switch (x.kind) {
    case 'outcome': {
      if (n === 0) return 'step 0 has no outcome';
      const r = tl.result(n - 1)!;
      if (r.outcome !== x.outcome) return `outcome is ${r.outcome}, not ${x.outcome}`;
      if (x.errorCode !== undefined && r.errorCode !== x.errorCode) return `injected error code is ${String(r.errorCode)}, not ${x.errorCode}`;
      if (x.exitCode !== undefined) {
        const exit = of('kvm_page_fault')[0];
        if (exit?.errorCode !== x.exitCode) return `exit error code is ${String(exit?.errorCode)}, not ${x.exitCode}`;
      }
      return null;
    }
    case 'newPage': {
      const p = pages();
      const made = of('kvm_mmu_get_page').filter((e) => e.created && matches(p.get(e.sp), x.page)).length;
      return made === (x.count ?? 1) ? null : `${made} new pages match ${JSON.stringify(x.page)}, not ${x.count ?? 1}`;
    }
    case 'noNewPage': {
      const made = of('kvm_mmu_get_page').filter((e) => e.created);
      return made.length === 0 ? null : `new pages: ${made.map((e) => e.notation).join(', ')}`;
    }
    case 'pageFound': {
      const p = pages();
      const got = of('kvm_mmu_get_page').filter((e) => matches(p.get(e.sp), x.page));
      if (!got.some((e) => !e.created)) return `no existing page matching ${JSON.stringify(x.page)} was found`;
      return got.some((e) => e.created) ? `a new page matching ${JSON.stringify(x.page)} was made too` : null;
    }
    case 'pageCount': {
      const c = tl.stateAt(n).sps.size;
      return c === x.count ? null : `${c} shadow pages, not ${x.count}`;
    }
    case 'spte': {
      const p = pages();
      const ok = of('kvm_mmu_set_spte').some(
        (e) =>
          !e.speculative &&
          (x.gfn === undefined || num(e.gfn) === x.gfn) &&
          (x.level === undefined || e.level === x.level) &&
          (x.index === undefined || e.index === x.index) &&
          (x.in === undefined || matches(p.get(e.sp), x.in)) &&
          (x.writable === undefined || spteBit(e.spte, 1) === x.writable) &&
          (x.user === undefined || spteBit(e.spte, 2) === x.user),
      );
      return ok ? null : `no spte set like ${JSON.stringify(x)}`;
    }
    case 'prefetch': {
      const p = pages();
      const got = of('pte_prefetch').filter((e) => matches(p.get(e.sp), x.page));
      return got.some((e) => e.indexes.join(',') === x.indexes.join(',')) ? null : `prefetch filled ${got.map((e) => e.indexes.join(',')).join(' / ') || 'nothing'} in that page, not ${x.indexes.join(',')}`;
    }
    case 'access': {
      const a = of('sim_guest_access')[0];
      return a !== undefined && num(a.gpa) === x.gpa ? null : `the access went to ${a?.gpa ?? 'nowhere'}, not 0x${x.gpa.toString(16)}`;
    }
    case 'unsync': {
      const p = pages();
      if (!of('kvm_mmu_unsync_page').some((e) => p.get(e.sp)?.gfn === x.gfn)) return `no page of gfn 0x${x.gfn.toString(16)} went unsync`;
      return of('mark_unsync').length > 0 ? null : 'no mark_unsync on the parents';
    }
    case 'sync': {
      const p = pages();
      if (!of('kvm_mmu_sync_page').some((e) => p.get(e.sp)?.gfn === x.gfn)) return `no page of gfn 0x${x.gfn.toString(16)} was synced`;
      const still = [...tl.stateAt(n).sps.values()].filter((sp) => sp.gfn === x.gfn && sp.unsync);
      return still.length === 0 ? null : `gfn 0x${x.gfn.toString(16)} is still unsync`;
    }
    case 'resync': {
      const p = pages();
      const ok = of('invlpg').some((e) => e.resynced !== null && p.get(e.resynced.sp)?.gfn === x.gfn && e.resynced.index === x.index);
      return ok ? null : `FNAME(invlpg) did not re-read entry ${x.index} of gfn 0x${x.gfn.toString(16)}`;
    }
    case 'zap': {
      const p = pages();
      const ids = new Set(of('kvm_mmu_prepare_zap_page').filter((e) => e.reason.includes(x.reason) && matches(p.get(e.sp), x.page)).map((e) => e.sp));
      return ids.size === (x.count ?? 1) ? null : `${ids.size} pages zapped for "${x.reason}" match ${JSON.stringify(x.page)}, not ${x.count ?? 1}`;
    }
    case 'written': {
      const p = pages();
      const got = of('get_written_sptes').filter((e) => matches(p.get(e.sp), x.page));
      if (got.length === 0) return `get_written_sptes did not look at ${JSON.stringify(x.page)}`;
      const bad = got.filter((e) => JSON.stringify(e.indexes) !== JSON.stringify(x.indexes));
      return bad.length === 0 ? null : `written entries ${bad.map((e) => JSON.stringify(e.indexes)).join(', ')}, not ${JSON.stringify(x.indexes)}`;
    }
    case 'floodCount': {
      const p = pages();
      const got = of('detect_write_flooding').filter((e) => matches(p.get(e.sp), x.page));
      if (got.length === 0) return `detect_write_flooding did not look at ${JSON.stringify(x.page)}`;
      const bad = got.filter((e) => e.count !== x.count);
      return bad.length === 0 ? null : `flooding count ${bad.map((e) => e.count).join(', ')}, not ${x.count}`;
    }
    case 'prevRoots': {
      const c = of('cached_root_available')[0];
      return c !== undefined && c.hit === x.hit ? null : `cached_root_available ${c === undefined ? 'not called' : c.hit ? 'hit' : 'missed'}`;
    }
    case 'prevRoot': {
      const m = tl.stateAt(n);
      const p = m.mmu.prevRoots[x.slot];
      const sp = p?.root == null ? undefined : m.sps.get(p.root);
      return p !== undefined && p.pgd === x.pgd && sp?.gfn === x.gfn
        ? null
        : `prev_roots[${x.slot}] holds pgd 0x${(p?.pgd ?? 0).toString(16)}, root gfn ${sp === undefined ? 'none' : '0x' + sp.gfn.toString(16)}`;
    }
    case 'roots': {
      const freed = of('mmu_free_root_page').length;
      const allocated = of('mmu_alloc_root').length;
      if (x.change === 'kept') return freed === 0 && allocated === 0 ? null : `${freed} roots freed, ${allocated} allocated`;
      return freed > 0 ? null : 'no root freed';
    }
    case 'paeRootInvalid': {
      const got = of('sim_pae_root_invalid').map((e) => e.index);
      return JSON.stringify(got) === JSON.stringify(x.indexes) ? null : `invalid pae_root slots ${JSON.stringify(got)}`;
    }
    case 'childCheck':
      return of('kvm_mmu_get_child_sp').some((e) => e.result === x.result) ? null : `kvm_mmu_get_child_sp never answered ${x.result}`;
    case 'kernelBug': {
      if (n === 0) return 'no bugs at step 0';
      const bugs = tl.stateAt(n).bugs.filter((b) => b.step === n - 1 && b.kind === x.bug);
      return bugs.length > 0 ? null : `no ${x.bug} bug recorded`;
    }
    case 'event': {
      const c = ev.filter((e) => e.kind === x.name).length;
      if (x.none) return c === 0 ? null : `${c} ${x.name} events`;
      return c > 0 ? null : `no ${x.name} event`;
    }
  }
}

/** Every failure of an item under one rule set's run, with its step (empty: the item holds). */
export function checkItem(tl: Timeline, item: WatchItem): string[] {
  const out: string[] = [];
  for (let n = item.step; n <= (item.through ?? item.step); n++) {
    for (const x of item.expect) {
      const why = checkExpectation(tl, n, x);
      if (why !== null) out.push(`step ${n} ${x.kind}: ${why}`);
    }
  }
  return out;
}
