/**
 * The step's story: kernel events turned into an indented call path with this
 * step's numbers plugged in. Pure: events in, lines out.
 *
 * The depth of a line is its place in Linux 5.15's call tree. The core emits
 * some events when a function returns (the kernel traces kvm_mmu_set_spte at
 * the end of mmu_set_spte, the simulator reports FNAME(invlpg),
 * FNAME(sync_page), the prefetches and mmu_alloc_root with their results), so
 * what they called comes first in the event list. `findGroups` finds those
 * runs; the story opens the caller's line before its callees and ends with
 * the result ("-> ...").
 */
import type { TraceEvent } from '../../core/index.ts';

export interface StoryLine {
  /** Kernel function this line is about (linked to its source), or null for the CPU. */
  readonly fn: string | null;
  readonly depth: number;
  readonly text: string;
  /** Index of the event in the step (-1 for a synthetic call-path line). */
  readonly event: number;
  readonly tone?: 'fault' | 'new' | 'zap' | 'ok';
}

export function decodeErrorCode(ec: number): string {
  const bits: string[] = [];
  bits.push(ec & 1 ? 'P (protection)' : '!P (not present)');
  if (ec & 2) bits.push('W');
  if (ec & 4) bits.push('U');
  if (ec & 8) bits.push('RSVD');
  if (ec & 16) bits.push('I/D');
  return `0x${ec.toString(16)} = ${bits.join(' | ')}`;
}

/** FNAME(walk_addr)'s access argument (PFERR_* bits) in short: "0x3 = P|W". */
function decodeAccess(a: number): string {
  const bits = [a & 1 ? 'P' : '', a & 2 ? 'W' : '', a & 4 ? 'U' : '', a & 16 ? 'F' : ''].filter(Boolean);
  const words = `${a & 4 ? 'user' : 'supervisor'} ${a & 2 ? 'write' : a & 16 ? 'fetch' : 'read'}${a & 1 ? ' refused by a present spte' : ''}`;
  return `0x${a.toString(16)}${bits.length ? ` = ${bits.join('|')}` : ''}: ${words}`;
}

const ACCESS = ['---', '--x', 'w--', 'w-x', '-u-', '-ux', 'wu-', 'wux'];

const LEVEL_SIZE = ['', '4 KiB', '2 MiB', '1 GiB'];

type Ev = TraceEvent;
type GroupKind = 'set' | 'prefetch' | 'sync' | 'invlpg' | 'alloc' | 'zap-all' | 'zap-oldest' | 'commit' | 'wp';

/** A run of events that a later event (the closer) called. */
interface Group {
  readonly kind: GroupKind;
  readonly start: number;
  readonly closer: number;
}

const SET_CALLEES = new Set<Ev['kind']>(['kvm_mmu_unsync_page', 'mark_unsync', 'kvm_make_request', 'kvm_flush_remote_tlbs', 'drop_spte', 'drop_parent_pte', 'pte_list_remove', 'sim_use_after_free']);
const ZAP_CALLEES = new Set<Ev['kind']>(['kvm_mmu_prepare_zap_page', 'drop_spte', 'drop_parent_pte', 'unaccount_shadowed', 'kvm_mmu_sync_page', 'kvm_make_request', 'pte_list_remove', 'sim_use_after_free', 'kvm_flush_remote_tlbs']);

/** Is `e` a leaf written by mmu_set_spte (FNAME(sync_page)'s set_spte has its own kind)? */
const isMmuSetSpte = (e: Ev): boolean => e.kind === 'kvm_mmu_set_spte';

function calleeOf(kind: GroupKind, e: Ev, closer: Ev): boolean {
  switch (kind) {
    case 'set':
      // mmu_set_spte drops (and flushes) only an spte it replaces: with a
      // non-present old spte, a drop just before is someone else's
      // (FNAME(invlpg) zaps the spte before FNAME(update_pte) sets it again).
      if (closer.kind === 'kvm_mmu_set_spte' && closer.old === '0x0' && (e.kind === 'drop_spte' || e.kind === 'drop_parent_pte' || e.kind === 'kvm_flush_remote_tlbs')) return false;
      return SET_CALLEES.has(e.kind);
    case 'prefetch':
      // FNAME(prefetch_gpte) -> mmu_set_spte, each with its own callees.
      return (e.kind === 'kvm_mmu_set_spte' && e.speculative) || e.kind === 'mark_mmio_spte' || SET_CALLEES.has(e.kind);
    case 'sync':
      return e.kind === 'set_spte' || e.kind === 'drop_spte' || e.kind === 'kvm_flush_remote_tlbs' || e.kind === 'pte_list_remove' || e.kind === 'sim_use_after_free';
    case 'invlpg':
      return (e.kind === 'kvm_mmu_set_spte' && e.speculative) || e.kind === 'mark_mmio_spte' || SET_CALLEES.has(e.kind);
    case 'alloc':
      return (
        e.kind === 'sim_compute_role' ||
        e.kind === 'kvm_mmu_get_page' ||
        e.kind === 'account_shadowed' ||
        e.kind === 'rmap_write_protect' ||
        e.kind === 'clear_sp_write_flooding_count' ||
        e.kind === 'sync_page' ||
        e.kind === 'set_spte' ||
        e.kind === 'kvm_mmu_commit_zap_page' ||
        ZAP_CALLEES.has(e.kind)
      );
    case 'zap-all':
    case 'zap-oldest':
      return ZAP_CALLEES.has(e.kind);
    case 'commit':
      return e.kind === 'kvm_flush_remote_tlbs';
    case 'wp':
      // The rmap walk of kvm_mmu_slot_gfn_write_protect() runs into a freed page.
      return e.kind === 'sim_use_after_free';
  }
}

function closerKind(e: Ev): GroupKind | null {
  if (isMmuSetSpte(e)) return 'set';
  switch (e.kind) {
    case 'pte_prefetch':
      return 'prefetch';
    case 'sync_page':
      return 'sync';
    case 'invlpg':
      return 'invlpg';
    case 'mmu_alloc_root':
      return 'alloc';
    case 'kvm_mmu_zap_all':
      return 'zap-all';
    case 'kvm_mmu_zap_oldest_mmu_pages':
      return 'zap-oldest';
    case 'kvm_mmu_commit_zap_page':
      return 'commit';
    case 'rmap_write_protect':
      return 'wp';
    default:
      return null;
  }
}

/**
 * For each closer, the run of events just before it that it called. A run
 * may hold whole inner groups (a prefetch holds its mmu_set_sptes); an event
 * already claimed by an inner group stays in it.
 */
export function findGroups(events: readonly Ev[]): Group[] {
  const groups: Group[] = [];
  const byCloser = new Map<number, Group>();
  for (let j = 0; j < events.length; j++) {
    const kind = closerKind(events[j]!);
    if (!kind) continue;
    let start = j;
    while (start > 0) {
      const prev = events[start - 1]!;
      const inner = byCloser.get(start - 1);
      const called = calleeOf(kind, prev, events[j]!);
      if (inner && called) {
        start = Math.min(inner.start, start - 1);
        continue;
      }
      if (!called) break;
      start--;
    }
    const g = { kind, start, closer: j };
    groups.push(g);
    byCloser.set(j, g);
  }
  return groups;
}

const spWord = (n: number) => `sp ${n}`;

export function storyOf(events: readonly TraceEvent[]): StoryLine[] {
  const out: StoryLine[] = [];
  /** The last line that is not one of SMALL_CALLEES (with and without CPU lines), and not a request or flush. */
  let lastBig: StoryLine | undefined;
  let lastNamedBig: StoryLine | undefined;
  let lastNotRequest: StoryLine | undefined;
  const push = (fn: string | null, depth: number, text: string, event: number, tone?: StoryLine['tone']) => {
    const line: StoryLine = tone ? { fn, depth, text, event, tone } : { fn, depth, text, event };
    out.push(line);
    if (fn === null || !SMALL_CALLEES.has(fn)) lastBig = line;
    if (fn !== null && !SMALL_CALLEES.has(fn)) lastNamedBig = line;
    if (fn !== 'kvm_make_request' && fn !== 'kvm_flush_remote_tlbs') lastNotRequest = line;
  };
  const groups = findGroups(events);
  const startsAt = new Map<number, Group[]>();
  for (const g of groups) {
    if (g.start === g.closer) continue;
    const list = startsAt.get(g.start) ?? [];
    list.push(g);
    startsAt.set(g.start, list);
  }
  // Outer groups open first.
  for (const list of startsAt.values()) list.sort((a, b) => b.closer - a.closer);
  /** Open groups and the depth of their header line. */
  const open: Array<{ g: Group; depth: number }> = [];
  const inGroup = () => open[open.length - 1];

  // --- context ------------------------------------------------------------
  /** 'shadow': FNAME(page_fault); 'direct': direct_page_fault (paging off); null: not in a fault. */
  let handler: 'shadow' | 'direct' | null = null;
  /** Depth of FNAME(fetch) / __direct_map once opened (their callees are one deeper). */
  let fetchDepth: number | null = null;
  let invalidateOpen = false;
  let injectOpen = false;
  let clearFloodOpen = false;
  let syncDepth = 1;
  let getPageDepth = 3;
  let zapDepth = 2;
  let freeRootsDepth = 1;
  let zapUnderFreeRoot = false;
  let syncRootsDepth = 1;
  let lastWrite: { gpa: string; bytes: number } | null = null;
  let syncFromGetPage = false;
  /** After x86_emulate_instruction: a walk is the emulator's own translation. */
  let emulating = false;
  let walkDepth = 2;
  /** Depth of vcpu_enter_guest's callees once its line is out (it services the requests, then kvm_mmu_reload). */
  let entryOpen = false;
  let loadDepth = 1;
  let loadSeen = false;
  const openEntry = () => {
    if (entryOpen) return 1;
    entryOpen = true;
    push('vcpu_enter_guest', 0, 'VM entry: first service the requests made above, then load a root if there is none (kvm_mmu_reload)', -1);
    return 1;
  };
  let unsyncTryOpen = -1;
  const last = () => out[out.length - 1];
  /** Depth for a function called by whatever the last line was about. */
  const below = () => {
    const l = last();
    return l ? l.depth + 1 : 0;
  };
  /** Under the last kvm_mmu_prepare_zap_page if that is what runs (its unlinking and requests). */
  const inZap = () => lastBig?.fn === 'kvm_mmu_prepare_zap_page';
  /** Like below(), but a run of these small callees stays at one depth. */
  const callee = () => {
    const l = last();
    if (!l) return 0;
    // After a group's result line ("-> ..."), the caller goes on.
    if (l.fn === null && l.text.startsWith('-> ')) return Math.max(0, l.depth - 1);
    return l.fn !== null && SMALL_CALLEES.has(l.fn) ? l.depth : l.depth + 1;
  };
  const openFetch = () => {
    if (fetchDepth !== null) return fetchDepth;
    fetchDepth = 2;
    if (handler === 'direct') push('__direct_map', 2, 'walk the shadow tables for the gpa, adding direct pages (they shadow no guest table) down to the level mapped', -1);
    else push('FNAME(fetch)', 2, 'build the shadow path the guest walk found: one shadow page per guest table, then the leaf', -1);
    return fetchDepth;
  };

  /** Natural depth of a closer, computed when its group opens. */
  const depthOf = (e: Ev): number => {
    const top = inGroup();
    if (top) return top.depth + 1;
    switch (e.kind) {
      case 'kvm_mmu_set_spte':
      case 'pte_prefetch':
        return (fetchDepth ?? openFetch()) + 1;
      case 'sync_page':
        // From mmu_sync_children (after kvm_unlink_unsync_page), or from
        // kvm_mmu_get_page finding an unsync page.
        return last()?.fn === 'kvm_unlink_unsync_page' ? last()!.depth : getPageDepth;
      case 'invlpg':
        return handler !== null ? 4 : 2;
      case 'mmu_alloc_root':
        return loadDepth + 1;
      case 'kvm_mmu_zap_all':
        return 0;
      case 'kvm_mmu_zap_oldest_mmu_pages':
        return 1;
      case 'rmap_write_protect':
        return wpLine(e).depth;
      case 'kvm_mmu_commit_zap_page':
        // kvm_mmu_free_roots() commits at its end; elsewhere the zapper's caller does.
        return zapUnderFreeRoot ? freeRootsDepth + 1 : zapDepth;
      default:
        return below();
    }
  };

  /** Lines that open a group: the caller, before its callees. */
  const header = (g: Group, depth: number) => {
    const e = events[g.closer]!;
    switch (g.kind) {
      case 'set':
        push('mmu_set_spte', depth, `install the leaf spte for gfn ${(e as { gfn: string }).gfn}`, -1);
        break;
      case 'prefetch':
        if ((e as { direct?: boolean }).direct) {
          push(
            handler === 'direct' ? 'direct_pte_prefetch' : '__direct_pte_prefetch',
            depth,
            `prefetch${handler === 'direct' ? '' : ' (FNAME(pte_prefetch) on a direct page)'}: map runs of empty entries next to the faulting one (same 8-entry group) to the next gfns, without waiting for their faults`,
            -1,
          );
        }
        else push('FNAME(pte_prefetch)', depth, 'prefetch: map the empty neighbours of the faulting entry (same 8-entry group) from the guest PTEs the walk already read, without waiting for their faults', -1);
        break;
      case 'sync':
        // mmu_sync_children marks the page in sync first (kvm_unlink_unsync_page);
        // kvm_mmu_get_page syncs an unsync page it finds but leaves it unsync and writable.
        syncFromGetPage = last()?.fn !== 'kvm_unlink_unsync_page';
        push(
          'FNAME(sync_page)',
          depth,
          `${syncFromGetPage ? 'kvm_mmu_get_page found it unsync: ' : ''}kvm_sync_page: re-read the guest PTE behind every spte of ${spWord((e as { sp: number }).sp)}`,
          -1,
        );
        break;
      case 'invlpg':
        push('FNAME(invlpg)', depth, `walk the shadow path of the address${(e as { root: number | null }).root === null ? ' in the PAE roots' : ` from root sp ${(e as { root: number }).root}`}, looking for a leaf in an unsync page`, -1);
        break;
      case 'alloc':
        push('mmu_alloc_root', depth, 'find or make the shadow page for a root', -1);
        break;
      case 'zap-all':
        push('kvm_mmu_zap_all', depth, 'zap every shadow page, newest first', -1, 'zap');
        break;
      case 'zap-oldest':
        push('make_mmu_pages_available', depth, 'too few free shadow pages: kvm_mmu_zap_oldest_mmu_pages recycles the oldest (never a root)', -1, 'zap');
        break;
      case 'commit':
        push('kvm_mmu_commit_zap_page', depth, 'flush the TLBs, then free the zapped pages', -1, 'zap');
        break;
      case 'wp':
        if (e.kind === 'rmap_write_protect') push(wpLine(e).fn, depth, wpLine(e).text, -1);
        break;
    }
  };

  /** Before an injected #PF from the fault path: kvm_inject_emulated_page_fault (x86.c, 5.15). */
  const openInject = (i: number) => {
    if (injectOpen) return;
    injectOpen = true;
    const inj = events.slice(i).find((x): x is Extract<Ev, { kind: 'kvm_inject_page_fault' }> => x.kind === 'kvm_inject_page_fault');
    push('kvm_inject_emulated_page_fault', 2, `the guest's own tables refuse the access: the #PF goes to the guest${inj ? ` (error code ${decodeErrorCode(inj.errorCode)})` : ''}`, -1, 'fault');
  };

  events.forEach((e, i) => {
    // Open the groups that start here (their caller's line first).
    for (const g of startsAt.get(i) ?? []) {
      if (g.kind === 'invlpg') openInvalidate(i);
      const d = depthOf(events[g.closer]!);
      header(g, d);
      open.push({ g, depth: d });
    }
    const top = inGroup();
    const closing = top && top.g.closer === i ? top : null;
    if (closing) open.pop();
    /** Depth inside the innermost group, or `natural`. */
    const at = (natural: number) => (closing ? closing.depth + 1 : top ? top.depth + 1 : natural);
    narrate(e, i, at, closing !== null);
  });
  return out;

  /**
   * Who write-protects: account_shadowed -> kvm_slot_page_track_add_page for
   * an upper-level table, kvm_mmu_get_page -> rmap_write_protect for a new
   * level-1 page, or mmu_sync_children -> rmap_write_protect before a sync.
   */
  function wpLine(e: Extract<Ev, { kind: 'rmap_write_protect' }>): { fn: string; depth: number; text: string } {
    if (e.caller === 'kvm_slot_page_track_add_page') return { fn: 'kvm_slot_page_track_add_page', depth: getPageDepth + 2, text: `-> kvm_mmu_slot_gfn_write_protect: every spte mapping gfn ${e.gfn} loses W` };
    if (lastNamedBig?.fn === 'account_shadowed') return { fn: 'rmap_write_protect', depth: getPageDepth + 1, text: `a new level-1 page: write-protect gfn ${e.gfn} now` };
    return { fn: 'rmap_write_protect', depth: syncDepth + 1, text: `write-protect gfn ${e.gfn} again before syncing` };
  }

  function openInvalidate(i: number) {
    if (invalidateOpen) return;
    invalidateOpen = true;
    if (handler !== null) {
      // From the fault path: the walk found a protection fault.
      openInject(i);
      // x86.c kvm_inject_emulated_page_fault(): P=1 and no RSVD in the guest's error code.
      push('kvm_mmu_invalidate_gva', 3, 'the guest\'s error code has P=1 (its own entry is present but forbids this access): a CPU drops its TLB entry for the address on such a fault, so KVM first drops the shadow entry for it in the current root, lest a stale one make the access fault forever', -1);
    } else push('kvm_mmu_invalidate_gva', 1, 'for the current root and each cached root', -1);
  }

  function narrate(e: Ev, i: number, at: (natural: number) => number, isCloser: boolean) {
    switch (e.kind) {
      case 'sim_hardware_walk':
        entryOpen = false;
        loadSeen = false;
        emulating = false;
        handler = null;
        fetchDepth = null;
        invalidateOpen = false;
        injectOpen = false;
        clearFloodOpen = false;
        if (e.result === 'hit') push(null, 0, `CPU walks the shadow tables for ${e.gva}: hit (host address ${e.hpa}), no exit`, i, 'ok');
        else push(null, 0, `CPU walks the shadow tables for ${e.gva}: #PF, error code ${decodeErrorCode(e.errorCode ?? 0)}`, i, 'fault');
        break;
      case 'kvm_page_fault': {
        push('kvm_mmu_page_fault', 0, `VM exit: #PF at ${e.gva}, error code 0x${e.errorCode.toString(16)}`, i);
        // Which handler runs: the shadow MMU walks the guest's tables; with
        // paging off (a direct MMU) there are none (nonpaging_page_fault ->
        // direct_page_fault, mmu.c 5.15).
        const end = events.findIndex((x, k) => k > i && x.kind === 'kvm_mmu_page_fault');
        const body = events.slice(i + 1, end < 0 ? undefined : end);
        if (body.some((x) => x.kind === 'kvm_mmu_pagetable_walk')) handler = 'shadow';
        else if (body.some((x) => x.kind === 'kvm_mmu_spte_requested' || x.kind === 'page_fault_handle_page_track')) {
          handler = 'direct';
          push('direct_page_fault', 1, `paging is off, so the address is a guest-physical address (gpa = gva): no guest tables to walk (nonpaging_page_fault)`, -1);
        } else handler = null;
        fetchDepth = null;
        break;
      }
      case 'handle_mmio_page_fault':
        push('handle_mmio_page_fault', 1, `the shadow entry is an MMIO spte (reserved bits set on purpose): gfn ${e.gfn} has no memory, so emulate the access without walking the guest`, i);
        break;
      case 'kvm_mmu_pagetable_walk':
        if (emulating) {
          // x86.c vcpu_mmio_gva_to_gpa() -> FNAME(gva_to_gpa) -> FNAME(walk_addr_generic).
          walkDepth = 1;
          push('vcpu_mmio_gva_to_gpa', 1, `the emulator translates ${e.addr} itself with the guest's tables (FNAME(gva_to_gpa), access ${decodeAccess(e.pferr)}): no walk has checked this access yet`, i);
          break;
        }
        walkDepth = 2;
        push('FNAME(page_fault)', 1, 'the shadow MMU handles the fault: first walk the guest\'s own tables', -1);
        push('FNAME(walk_addr)', 2, `walk the guest's tables for ${e.addr} (access ${decodeAccess(e.pferr)})`, i);
        break;
      case 'kvm_mmu_paging_element':
        push('FNAME(walk_addr_generic)', walkDepth + 1, `level ${e.level} entry ${e.index} = ${e.pte}${e.gpa ? ` at gpa ${e.gpa}` : ' (PDPTE register)'}`, i);
        break;
      case 'kvm_mmu_set_accessed_bit':
        push('FNAME(update_accessed_dirty_bits)', walkDepth + 1, `set A in the level-${e.level} entry at ${e.gpa}`, i);
        break;
      case 'kvm_mmu_set_dirty_bit':
        push('FNAME(update_accessed_dirty_bits)', walkDepth + 1, `set D in the leaf at ${e.gpa}`, i);
        break;
      case 'kvm_mmu_walker_error':
        push('FNAME(walk_addr_generic)', walkDepth + 1, `the guest walk fails (${e.reason}): error code ${decodeErrorCode(e.pferr)}`, i, 'fault');
        break;
      case 'sim_walk_result':
        push('FNAME(walk_addr_generic)', walkDepth + 1, `-> gfn ${e.gfn}, level-${e.level} leaf, access ${ACCESS[e.pteAccess] ?? e.pteAccess}${clean(e.pteAccess, events, i)}`, i);
        break;
      case 'kvm_inject_page_fault':
        if (handler !== null) {
          openInject(i);
          push('kvm_inject_page_fault', 3, `queue #PF for the guest: CR2 = ${e.gva}, error code ${decodeErrorCode(e.errorCode)}`, i, 'fault');
        } else push('kvm_inject_page_fault', 1, `the emulator's own walk of the guest tables refuses the access: #PF for the guest, CR2 = ${e.gva}, error code ${decodeErrorCode(e.errorCode)}`, i, 'fault');
        break;
      case 'kvm_inject_gp':
        push(null, 1, `inject #GP(0) into the guest: ${e.reason}`, i, 'fault');
        break;
      case 'page_fault_handle_page_track':
        push('page_fault_handle_page_track', 2, `a write to a present page whose gfn ${e.gfn} is write-tracked (it holds a guest page table KVM shadows): no spte can allow it, so emulate the write`, i);
        break;
      case 'is_self_change_mapping':
        push('FNAME(is_self_change_mapping)', 2, `the leaf maps one of the tables of its own walk: map it 4 KiB${e.writeFaultToShadowPgtable ? ', and this write goes to a shadowed table' : ''}`, i);
        break;
      case 'sim_cr0_wp_adjust':
        push('FNAME(page_fault)', 2, `CR0.WP=0 supervisor write: access ${ACCESS[e.before]} becomes ${ACCESS[e.after]} (writable, supervisor-only)`, i);
        break;
      case 'sim_compute_role':
        if (e.fn === 'mmu_alloc_root') {
          push(e.fn, at(2), `role l${e.role.level} ${e.role.gpteIs8Bytes ? 8 : 4}-byte q${e.role.quadrant}${e.role.direct ? ' direct' : ''} ${ACCESS[e.role.access]}: quadrant = ${e.quadrantFormula}`, i);
          getPageDepth = at(2);
          break;
        }
        {
          const f = openFetch();
          const direct = !e.role.direct ? '' : handler === 'direct' ? ' (direct: paging is off, it maps gpas with no guest table behind it)' : ' (direct: it maps part of the guest\'s large page, no guest table behind it)';
          if (e.fn === 'kvm_mmu_child_role') push('kvm_mmu_get_child_sp', f + 1, `no child at sp ${e.parent?.sp} entry ${e.parent?.index} yet: find or make one${direct}`, -1);
          // Before the seed patch kvm_mmu_get_page() computes the role itself, called straight from FNAME(fetch).
          const roleDepth = e.fn === 'kvm_mmu_get_page' ? f + 1 : f + 2;
          push(e.fn, roleDepth, `role l${e.role.level} ${e.role.gpteIs8Bytes ? 8 : 4}-byte q${e.role.quadrant}${e.role.direct ? ' direct' : ''} ${ACCESS[e.role.access]}: quadrant = ${e.quadrantFormula}`, i);
          getPageDepth = roleDepth;
        }
        break;
      case 'kvm_mmu_get_page':
        push('kvm_mmu_get_page', at(getPageDepth), `${e.created ? 'new' : 'existing'} sp ${e.sp}: ${e.notation}`, i, e.created ? 'new' : undefined);
        getPageDepth = at(getPageDepth);
        break;
      case 'account_shadowed':
        push(
          'account_shadowed',
          getPageDepth + 1,
          e.writeTracked
            ? `gfn ${e.gfn} holds an upper-level guest table: write-track it, so every guest write to it traps`
            : `gfn ${e.gfn} holds a guest page table (level 1): no large page may map it; it is not write-tracked, so it may go unsync later`,
          i,
        );
        break;
      case 'rmap_write_protect': {
        const n = `${e.sptes.length} spte${e.sptes.length === 1 ? '' : 's'} had W`;
        const w = wpLine(e);
        if (isCloser) push(null, at(0), `-> ${n}`, i);
        else push(w.fn, w.depth, `${w.text} (${n})`, i);
        break;
      }
      case 'link_shadow_page':
        push('link_shadow_page', openFetch() + 1, `sp ${e.parent.sp} entry ${e.parent.index} -> sp ${e.child} (${e.spte})`, i);
        break;
      case 'kvm_mmu_spte_requested': {
        const f = openFetch();
        const mapped = e.mappedLevel;
        const guest = handler === 'direct' || e.level === mapped ? '' : `; the guest's own page is a level-${e.level} large page, but KVM maps it in ${LEVEL_SIZE[mapped]} pieces (the host's pages, or a shadowed table inside it)`;
        if (events.slice(i + 1).some((x) => x.kind === 'mark_mmio_spte' && x.gfn === e.gfn)) {
          push('kvm_mmu_hugepage_adjust', f + 1, `map ${e.gva} at level ${mapped}: gfn ${e.gfn} has no memslot, so no host page`, i);
          break;
        }
        push('kvm_mmu_hugepage_adjust', f + 1, `map ${e.gva} with a level-${mapped} (${LEVEL_SIZE[mapped] ?? '?'}) leaf: gfn ${e.gfn} -> host pfn ${e.pfn}${guest}`, i);
        break;
      }
      case 'set_spte':
        push('set_spte', at(syncDepth + 2), `sp ${e.sp} entry ${e.index} = ${e.spte} -> gfn ${e.gfn}${e.writeProtectedPt ? ': W refused, the gfn holds a shadowed guest page table' : ''} (the pfn kept, the access recomputed from the guest PTE)`, i);
        unsyncTryOpen = -1;
        break;
      case 'kvm_mmu_set_spte': {
        const text = `sp ${e.sp} entry ${e.index} = ${e.spte} -> gfn ${e.gfn}${e.speculative ? ' (speculative: A clear)' : ''}${e.writeProtectedPt ? ': W refused, the gfn holds a shadowed guest page table' : ''}`;
        if (isCloser) push(null, at(0), `-> ${text}`, i);
        else push('mmu_set_spte', open.length ? at(0) : (fetchDepth ?? openFetch()) + 1, text, i);
        unsyncTryOpen = -1;
        break;
      }
      case 'mark_mmio_spte':
        push('mmu_set_spte', at((fetchDepth ?? 2) + 1), `gfn ${e.gfn} has no memslot: MMIO spte at sp ${e.sp} entry ${e.index}`, i);
        break;
      case 'pte_prefetch':
        if (isCloser) push(null, at(0), `-> ${e.indexes.length} entr${e.indexes.length === 1 ? 'y' : 'ies'} prefetched in sp ${e.sp}: ${e.indexes.join(', ')}`, i);
        else push(e.direct ? '__direct_pte_prefetch' : 'FNAME(pte_prefetch)', at((fetchDepth ?? 2) + 1), `prefetch sp ${e.sp} entries ${e.indexes.join(', ')}`, i);
        break;
      case 'kvm_mmu_unsync_page': {
        const d = at(below());
        if (unsyncTryOpen < 0) {
          push('mmu_try_to_unsync_pages', d, 'the new spte is writable and its gfn holds a shadowed level-1 table: let the guest write it, and mark the shadow page unsync instead of trapping', -1);
          unsyncTryOpen = d;
        }
        push('kvm_unsync_page', unsyncTryOpen + 1, `sp ${e.sp} (${e.notation}) goes unsync: the guest may now write it without exits`, i, 'new');
        break;
      }
      case 'mark_unsync':
        push('mark_unsync', unsyncTryOpen >= 0 ? unsyncTryOpen + 2 : below(), `sp ${e.sp} unsync_child_bitmap bit ${e.index}: an unsync page is below this entry`, i);
        break;
      case 'kvm_mmu_sync_page':
        push('kvm_unlink_unsync_page', at(syncDepth + 1), `sp ${e.sp} is marked in sync again`, i);
        break;
      case 'sync_page':
        if (isCloser) {
          const kept = syncFromGetPage ? `the sptes match the guest's PTEs again, but sp ${e.sp} stays unsync (not write-protected)` : `sp ${e.sp} is in sync`;
          push(null, at(0), e.zap ? `-> no present entry left in sp ${e.sp}: zap it` : `-> ${e.nrPresent} present entr${e.nrPresent === 1 ? 'y' : 'ies'}: ${kept}`, i);
        }
        else push('FNAME(sync_page)', at(syncDepth + 1), `kvm_sync_page: re-read the guest PTEs of sp ${e.sp}: ${e.nrPresent} present${e.zap ? ', nothing left: zap' : ''}`, i);
        break;
      case 'mmu_sync_children': {
        const d = fetchDepth !== null && handler !== null ? fetchDepth + 1 : at(syncRootsDepth + 1);
        const next = events[i + 1];
        const idle = !next || next.kind === 'mmu_sync_children' || next.kind === 'kvm_vcpu_flush_tlb_all' || next.kind === 'kvm_vcpu_flush_tlb_current' || next.kind === 'sim_hardware_walk';
        push(
          'mmu_sync_children',
          d,
          fetchDepth !== null && handler !== null
            ? `sp ${e.sp} has unsync pages below it: sync them before linking it (the guest need not flush after making an entry present)`
            : `sync the unsync pages below sp ${e.sp}${idle ? ': none' : ''}`,
          i,
        );
        syncDepth = d;
        break;
      }
      case 'kvm_mmu_prepare_zap_page': {
        const d = at(last()?.fn === 'mmu_free_root_page' ? freeRootsDepth + 2 : last()?.fn === 'detect_write_flooding' || last()?.fn === 'detect_write_misaligned' ? 2 : below());
        zapUnderFreeRoot = last()?.fn === 'mmu_free_root_page';
        push('kvm_mmu_prepare_zap_page', d, `zap sp ${e.sp} (${e.notation}): ${e.reason}`, i, 'zap');
        zapDepth = d;
        break;
      }
      case 'kvm_mmu_commit_zap_page':
        push(isCloser ? null : 'kvm_mmu_commit_zap_page', at(zapUnderFreeRoot ? freeRootsDepth + 1 : zapDepth), `${isCloser ? '-> ' : ''}free sp ${e.freed.join(', ')}`, i, 'zap');
        break;
      case 'drop_spte':
        push('drop_spte', (inZap() ? zapDepth + 1 : at(callee())), `clear sp ${e.sp} entry ${e.index} (gfn ${e.gfn})`, i);
        break;
      case 'drop_parent_pte':
        push('drop_parent_pte', (inZap() ? zapDepth + 1 : at(callee())), `unlink sp ${e.child} from sp ${e.parent.sp} entry ${e.parent.index}`, i);
        break;
      case 'unaccount_shadowed':
        push('unaccount_shadowed', (inZap() ? zapDepth + 1 : at(zapDepth + 1)), `gfn ${e.gfn} no longer shadowed by sp ${e.sp}`, i);
        break;
      case 'x86_emulate_instruction':
        emulating = true;
        push('x86_emulate_instruction', 0, `emulate the instruction (${e.reason === 'mmio' ? 'MMIO: no memory behind the gfn' : e.reason === 'write-tracked' ? 'a write to a write-tracked guest page table' : 'a write to a guest page table KVM shadows'})`, i);
        break;
      case 'kvm_mmu_pte_write':
        lastWrite = { gpa: e.gpa, bytes: e.bytes };
        push('kvm_mmu_pte_write', 1, `the emulated write reaches the shadow MMU (kvm_page_track_write): ${e.bytes} bytes at ${e.gpa}, new entry ${e.gentry}; check every shadow page of that gfn`, i);
        break;
      case 'detect_write_misaligned':
        push(
          'detect_write_misaligned',
          2,
          `${lastWrite ? `the ${lastWrite.bytes}-byte write at ${lastWrite.gpa}` : 'the write'} does not cover whole entries of sp ${e.sp}'s table: not a normal PTE update, so KVM takes the gfn as no longer a page table and zaps sp ${e.sp}`,
          i,
          'zap',
        );
        break;
      case 'detect_write_flooding':
        push(
          'detect_write_flooding',
          2,
          e.flooded
            ? `sp ${e.sp} write_flooding_count = ${e.count}: ${e.count} emulated writes with no access through sp ${e.sp} in between: KVM takes it as no longer a page table and zaps it`
            : `sp ${e.sp} write_flooding_count = ${e.count} (emulated writes since the last access through it; 3 zaps it)`,
          i,
          e.flooded ? 'zap' : undefined,
        );
        break;
      case 'clear_sp_write_flooding_count': {
        const why =
          e.by === 'shadow_page_table_clear_flood'
            ? 'this access walks through it, so it is in use'
            : e.by === 'FNAME(fetch)'
              ? 'this fault\'s path goes through it, so it is in use'
              : e.by === 'kvm_mmu_new_pgd'
                ? 'it is the root again'
                : 'found again by kvm_mmu_get_page';
        if (e.by === 'shadow_page_table_clear_flood' && !clearFloodOpen) {
          push('shadow_page_table_clear_flood', 2, 'before emulating: every shadow page on this address\'s path is in use, so its write-flooding count restarts', -1);
          clearFloodOpen = true;
        }
        const d = e.by === 'shadow_page_table_clear_flood' ? 3 : e.by === 'FNAME(fetch)' ? openFetch() + 1 : e.by === 'kvm_mmu_new_pgd' ? 2 : at(getPageDepth);
        push('clear_sp_write_flooding_count', d, `sp ${e.sp} write_flooding_count ${e.count} -> 0: ${why}`, i);
        break;
      }
      case 'get_written_sptes':
        push('get_written_sptes', 2, `sp ${e.sp}: ${e.formula}`, i);
        break;
      case 'kvm_mmu_load':
        loadDepth = openEntry();
        loadSeen = true;
        push('kvm_mmu_load', loadDepth, `no root yet: ${e.directMap ? 'mmu_alloc_direct_roots (paging off: direct pages, gpa = gva)' : 'mmu_alloc_shadow_roots builds the roots from the guest\'s CR3'}`, i);
        syncRootsDepth = loadDepth + 1;
        break;
      case 'mmu_alloc_root':
        push(isCloser ? null : 'mmu_alloc_root', at(1), `${isCloser ? '-> ' : ''}${e.slot === 'current' ? 'root' : `pae_root[${e.slot.slice(3)}]`} = sp ${e.sp} (gfn ${e.gfn})`, i);
        break;
      case 'sim_pae_root_invalid':
        push('mmu_alloc_shadow_roots', loadDepth + 1, `pae_root[${e.index}] stays invalid: ${e.reason}`, i);
        break;
      case 'kvm_mmu_free_roots': {
        // The caller: the last line that is not a request or a flush.
        const callerLine = lastNotRequest;
        const caller = callerLine?.fn;
        const fromCaller = caller === 'kvm_invalidate_pcid' || caller === 'kvm_mmu_new_pgd' || caller === 'cached_root_available' || caller === 'kvm_mmu_reset_context';
        // Otherwise KVM_REQ_MMU_RELOAD at VM entry: kvm_mmu_unload().
        const d = at(fromCaller ? callerLine!.depth + 1 : openEntry());
        const what = e.which.map((w) => (w === 'current' ? 'the current root' : `cached ${w.replace('prev', 'prev_roots[')}]`)).join(', ');
        // mmu.c __kvm_mmu_new_pgd(): fast_pgd_switch() only for 4-level shadow
        // tables; cached_root_available() rotates the current root into
        // prev_roots, so on a miss the "current" root freed is the one pushed
        // out of prev_roots[2].
        const why =
          caller === 'cached_root_available'
            ? 'free the oldest cached root, pushed out of prev_roots[2]'
            : caller === 'kvm_mmu_new_pgd'
              ? `no root cache in this paging mode (fast_pgd_switch needs 4-level tables): free ${what}`
              : fromCaller
                ? `free ${what}`
                : `KVM_REQ_MMU_RELOAD (kvm_mmu_unload): free ${what}`;
        push('kvm_mmu_free_roots', d, why, i);
        freeRootsDepth = d;
        break;
      }
      case 'mmu_free_root_page':
        push('mmu_free_root_page', freeRootsDepth + 1, `${e.slot}: sp ${e.sp} root_count -> ${e.rootCount}`, i);
        break;
      case 'kvm_mmu_sync_roots':
        {
          // kvm_mmu_load() ends with it; otherwise KVM_REQ_MMU_SYNC at VM entry.
          const d = loadSeen ? loadDepth + 1 : openEntry();
          push('kvm_mmu_sync_roots', d, 'sync the unsync pages below the roots', i);
          syncRootsDepth = d;
        }
        break;
      case 'kvm_set_cr3':
        push(
          'kvm_set_cr3',
          0,
          e.old === e.new && !events.some((x) => x.kind === 'load_pdptrs')
            ? `MOV CR3 with the same value ${e.new}: no new root (kvm_set_cr3 skips kvm_mmu_new_pgd); only the sync and TLB flush below`
            : `MOV CR3: ${e.old} -> ${e.new}`,
          i,
        );
        break;
      case 'load_pdptrs':
        push('load_pdptrs', 1, `load the PDPTE registers${e.changed ? ' (changed)' : ''}: ${e.pdptrs.join(' ')}`, i);
        break;
      case 'kvm_mmu_new_pgd':
        push('kvm_mmu_new_pgd', 1, `new page-table root ${e.pgd}`, i);
        break;
      case 'cached_root_available':
        push(
          'cached_root_available',
          2,
          e.hit
            ? e.prevIndex !== null
              ? `prev_roots[${e.prevIndex}] has a root for this CR3: reuse it; the current root goes to prev_roots[0], the others move down`
              : 'the current root already fits the new CR3: keep it'
            : 'no cached root for this CR3: the current root goes to prev_roots[0], the others move down',
          i,
        );
        break;
      case 'kvm_invalidate_pcid': {
        const parts: string[] = [];
        if (e.active) parts.push('the current CR3 uses it: sync its unsync pages and flush its TLB entries');
        parts.push(e.freed.length ? `free the cached roots with that PCID (${e.freed.map((s) => `prev_roots[${s}]`).join(', ')})` : 'no cached root with that PCID to free');
        push('kvm_invalidate_pcid', 1, `PCID ${e.pcid}: ${parts.join('; ')}`, i);
        break;
      }
      case 'kvm_make_request':
        push('kvm_make_request', (inZap() ? zapDepth + 1 : at(callee())), `${e.req}${REQUEST_WHY[e.req] ? `: ${REQUEST_WHY[e.req]}` : ''}`, i);
        break;
      case 'kvm_flush_remote_tlbs':
        push('kvm_flush_remote_tlbs', at(callee()), 'flush every vCPU\'s TLB (KVM_REQ_TLB_FLUSH)', i);
        break;
      case 'kvm_vcpu_flush_tlb_all':
        push(e.kind, openEntry(), 'flush the whole TLB (KVM_REQ_TLB_FLUSH)', i);
        break;
      case 'kvm_vcpu_flush_tlb_current':
        push(e.kind, openEntry(), 'flush the current address space\'s TLB (KVM_REQ_TLB_FLUSH_CURRENT)', i);
        break;
      case 'kvm_mmu_invlpg':
        handler = null;
        invalidateOpen = false;
        push('kvm_mmu_invlpg', 0, `INVLPG ${e.gva}`, i);
        break;
      case 'invlpg': {
        if (!invalidateOpen) openInvalidate(i);
        const d = at(handler !== null ? 4 : 2);
        const why = e.resynced ? `re-read the guest PTE behind sp ${e.resynced.sp} entry ${e.resynced.index} (its page is unsync)` : 'no unsync shadow page on the path: the shadow entries for the address still match the guest\'s tables, nothing to re-read';
        if (isCloser) push(null, d, `-> ${why}`, i);
        else push('FNAME(invlpg)', d, why, i);
        break;
      }
      case 'kvm_mmu_reset_context':
        push('kvm_mmu_reset_context', 1, `${e.reason}: unload every root`, i);
        break;
      case 'kvm_set_cr0':
      case 'kvm_set_cr4':
      case 'set_efer':
        push(e.kind, 0, `${e.kind === 'set_efer' ? 'EFER' : e.kind.slice(8).toUpperCase()} write${e.changed.length ? `: ${e.changed.join(', ')} changed` : ' (no change)'}`, i);
        break;
      case 'sim_guest_access':
        push(null, 0, `the guest ${e.op === 'write' ? 'writes' : e.op === 'fetch' ? 'fetches' : 'reads'} ${e.value} at gpa ${e.gpa}${e.emulated ? ' (emulated)' : ''}`, i, 'ok');
        break;
      case 'kvm_mmu_page_fault':
        push('kvm_mmu_page_fault', 0, `returns ${e.result}${RESULT_WHY[e.result]}`, i);
        break;
      case 'kvm_mmu_zap_oldest_mmu_pages':
        push(null, at(1), `-> recycled ${e.zapped.length} old shadow page${e.zapped.length === 1 ? '' : 's'}`, i, 'zap');
        break;
      case 'sim_note':
        push(null, 0, e.text, i, 'fault');
        break;
      case 'kvm_mmu_get_child_sp': {
        const f = openFetch();
        push(
          'kvm_mmu_get_child_sp',
          f + 1,
          e.result === 'reuse'
            ? `sp ${e.parent.sp} entry ${e.parent.index} already links sp ${e.child} (gfn ${e.childGfn}${e.roleChecked ? ', same role' : ''}): -EEXIST, keep it`
            : e.result === 'unexpected-gfn'
              ? `sp ${e.parent.sp} entry ${e.parent.index} links sp ${e.child} for gfn ${e.childGfn}, but the guest walk asks for gfn ${e.gfn}: unexpected GFN, drop the link`
              : `sp ${e.parent.sp} entry ${e.parent.index} links sp ${e.child} (${e.childRole}), but the role asked for is ${e.role}: unexpected role, drop the link`,
          i,
          e.result === 'reuse' ? undefined : 'zap',
        );
        break;
      }
      case 'sim_host_write':
        push(null, 0, `the host writes ${e.value} at gpa ${e.gpa} (was ${e.old}): no exit, so kvm_page_track_write() never runs and the shadow tables keep what they had`, i, 'fault');
        break;
      case 'kvm_mmu_zap_all':
        push(isCloser ? null : 'kvm_mmu_zap_all', at(0), `${isCloser ? '-> ' : ''}the host zapped all ${e.zapped.length} shadow pages`, i, 'zap');
        break;
      case 'sim_rmap_gfn_mismatch':
        push(null, below(), `rmap_add under gfn ${e.gfn}, but this direct page computes gfn ${e.derivedGfn} for entry ${e.index} (sp->gfn + index): rmap_remove() will search the wrong list`, i, 'fault');
        break;
      case 'pte_list_remove':
        push('__pte_list_remove', below(), `rmap_remove(sp ${e.sp} entry ${e.index}) searches gfn ${e.gfn}'s rmap and does not find it: "pte_list_remove: ${e.bug}", BUG() in 5.15; the entry stays in the rmap it was added to`, i, 'fault');
        break;
      case 'sim_use_after_free':
        push(null, below(), `${e.by} follows gfn ${e.gfn}'s rmap into sp ${e.spte.sp} entry ${e.spte.index}, a freed shadow page: use-after-free`, i, 'fault');
        break;
    }
  }
}

const SMALL_CALLEES = new Set(['kvm_make_request', 'kvm_flush_remote_tlbs', 'drop_spte', 'drop_parent_pte', 'unaccount_shadowed', '__pte_list_remove']);

const REQUEST_WHY: Partial<Record<string, string>> = {
  KVM_REQ_TLB_FLUSH: 'flush the whole TLB at the next VM entry',
  KVM_REQ_TLB_FLUSH_CURRENT: 'flush the current address space\'s TLB at the next VM entry',
  KVM_REQ_MMU_SYNC: 'sync the unsync shadow pages at the next VM entry',
  KVM_REQ_MMU_RELOAD: 'a root was zapped: unload the roots at the next VM entry',
  KVM_REQ_LOAD_MMU_PGD: 'load the new root at the next VM entry',
};

const RESULT_WHY: Record<string, string> = {
  RET_PF_FIXED: ': the shadow entry is in place; the guest retries the access',
  RET_PF_SPURIOUS: ': the shadow entry was already right (nothing changed); the guest retries',
  RET_PF_EMULATE: ': KVM emulates the instruction instead of retrying it',
  RET_PF_RETRY: ': back to the guest',
};

/**
 * A clean guest page (D clear) gives a read-only spte even where the guest
 * allows writes (FNAME(protect_clean_gpte)), so the first write traps and
 * KVM can set D: say so when the walk's access lost W that way.
 */
function clean(pteAccess: number, events: readonly TraceEvent[], i: number): string {
  if (pteAccess & 2) return '';
  const leaf = [...events.slice(0, i)].reverse().find((x): x is Extract<TraceEvent, { kind: 'kvm_mmu_paging_element' }> => x.kind === 'kvm_mmu_paging_element');
  if (!leaf) return '';
  const v = parseInt(leaf.pte.slice(-3), 16);
  // Writable (bit 1) but not dirty (bit 6) in the guest's leaf.
  return v & 2 && !(v & 0x40) ? ' (no w: the guest\'s entry is writable but clean, D=0, so KVM maps it read-only and the first write traps to set D: protect_clean_gpte)' : '';
}
