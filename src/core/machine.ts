/**
 * The whole simulated machine: guest CPU and memory, the host, and KVM's
 * shadow-MMU state (VM-wide `kvm->arch` plus the vCPU's `arch.mmu`).
 *
 * State is mutable within a step and copied whole by `cloneMachine` for time
 * travel (see timeline.ts). Cross references are plain numbers (shadow page
 * ids, spte refs = id * 512 + index) so a copy needs no pointer fixing.
 */
import { pow2 } from './bits.ts';
import { type CowArray, newOwnerToken } from './cow-array.ts';
import { type CpuState, cloneCpu } from './guest/cpu.ts';
import { GuestMemory } from './guest/memory.ts';
import { Host } from './host.ts';
import type { PageRole } from './mmu/role.ts';
import type { SyncMemo } from './mmu/sync.ts';
import { PMap } from './pmap.ts';
import type { RuleSetName } from './scenario.ts';
import type { EventSink } from './trace.ts';

/** struct kvm_mmu_page (mmu_internal.h), the fields the simulator needs. */
export interface ShadowPage {
  readonly id: number;
  readonly gfn: number;
  role: PageRole;
  roleWord: number;
  /** 512 sptes as 1024 little-endian words. Copy-on-write: mutate only through sptMut(). */
  spt: CowArray;
  /** Indirect pages: the gfn each leaf spte maps (sp->gfns); null for direct pages. */
  gfns: CowArray | null;
  /** parent_ptes: spte refs of every upper-level spte that points here. Copy-on-write: mutate only through parentPtesMut(). */
  parentPtes: number[];
  rootCount: number;
  unsync: boolean;
  unsyncChildren: number;
  /** unsync_child_bitmap, one element (0 or 1) per spte. */
  unsyncChildBitmap: CowArray;
  writeFloodingCount: number;
  /** Step index that created the page (-1: the initial VM entry). */
  readonly createdAt: number;
}

/** kvm->stat fields of the shadow MMU (5.15 names). */
export interface KvmStats {
  mmu_shadow_zapped: number;
  mmu_pte_write: number;
  mmu_pde_zapped: number;
  mmu_flooded: number;
  mmu_recycled: number;
  mmu_cache_miss: number;
  mmu_unsync: number;
  /** kvm_flush_remote_tlbs() calls (remote_tlb_flush counts only IPIs, never sent with one vCPU). */
  remote_tlb_flush_requests: number;
  max_mmu_page_hash_collisions: number;
  pages_4k: number;
  pages_2m: number;
  pages_1g: number;
}

/** vcpu->stat fields, plus the simulator's exit counters. */
export interface VcpuStats {
  pf_fixed: number;
  pf_guest: number;
  invlpg: number;
  tlb_flush: number;
  /** #PF VM exits taken (not a kernel stat; handy for teaching). */
  pf_exits: number;
  /** Accesses the shadow tables allowed without an exit. */
  hits: number;
  /** Instructions emulated after RET_PF_EMULATE. */
  emulated: number;
}

export type KvmRequest = 'KVM_REQ_MMU_RELOAD' | 'KVM_REQ_MMU_SYNC' | 'KVM_REQ_LOAD_MMU_PGD' | 'KVM_REQ_TLB_FLUSH' | 'KVM_REQ_TLB_FLUSH_CURRENT';

/**
 * Each request's bit in MmuState.requests. vcpu->requests is a bitmap that
 * kvm_make_request() sets a bit of and kvm_check_request() tests and clears;
 * these are the simulator's bits (the kernel's numbers are not shown anywhere).
 */
export const KVM_REQ_BIT: Readonly<Record<KvmRequest, number>> = Object.freeze({
  KVM_REQ_MMU_RELOAD: 1,
  KVM_REQ_MMU_SYNC: 2,
  KVM_REQ_LOAD_MMU_PGD: 4,
  KVM_REQ_TLB_FLUSH: 8,
  KVM_REQ_TLB_FLUSH_CURRENT: 16,
});

export interface PrevRoot {
  pgd: number;
  root: number | null;
}

/** The vCPU's struct kvm_mmu (root_mmu) state that changes over time. */
export interface MmuState {
  /** root_hpa: a root shadow page id, 'pae' for the pae_root page, null for INVALID_PAGE. */
  root: number | 'pae' | null;
  /** pae_root[0..3]: shadow page ids; null is INVALID_PAE_ROOT. */
  paeRoot: [number | null, number | null, number | null, number | null];
  rootPgd: number;
  prevRoots: PrevRoot[];
  /** vcpu->requests: the pending requests, one bit each (KVM_REQ_BIT); 0: none. A number, not a Set: vcpu_enter_guest tests several at every step. */
  requests: number;
}

export interface Machine {
  readonly rules: RuleSetName;
  /**
   * The Linux 6.1 changes in force (bits of LINUX_61_CHANGES, rules.ts): all
   * of them under linux-6.1, none under the 5.15 rule sets. A test may switch
   * some off to see which difference each one makes.
   */
  readonly linux61: number;
  /**
   * With a list here (tests only), each 6.1 change that made a difference
   * appends [stepIndex, bit]; null (the default) records nothing.
   */
  linux61Fired: number[] | null;
  cpu: CpuState;
  mem: GuestMemory;
  readonly host: Host;
  /** Every allocated shadow page (including invalid ones not yet freed). */
  sps: SpTable;
  nextSpId: number;
  /** kvm->arch.mmu_page_hash: bucket -> ids, head first (hlist_add_head). Persistent: change a list only through hash.getMut. */
  hash: PMap<number[]>;
  /** kvm->arch.active_mmu_pages: ids, head (newest) first. */
  activeList: number[];
  nUsedMmuPages: number;
  nMaxMmuPages: number;
  indirectShadowPages: number;
  /**
   * Reverse map: rmapKey(level, gfn) -> the spte refs that map it (a
   * pte_list: see PteList). Persistent (copies share it): change a list only
   * through rmap.getMut.
   */
  rmap: PMap<PteList>;
  /** KVM_PAGE_TRACK_WRITE counts per gfn. */
  writeTrack: PMap<number>;
  /** lpage_info disallow_lpage counts: rmapKey(level, gfn) -> count, levels 2 and 3. */
  lpageDisallow: PMap<number>;
  /** invalid_list of the operation in progress. */
  invalidList: number[];
  mmu: MmuState;
  stats: KvmStats;
  vcpuStats: VcpuStats;
  /**
   * The shadow pages' parent_ptes lists this machine owns, by page id. The
   * others it shares with a snapshot, and copies at their first write
   * (parentPtesMut). Made at the first write: null in a snapshot, which is
   * never written.
   */
  owned: Set<number> | null;
  /**
   * The token (CowArray.owner) of the shadow pages' spt, gfns and bitmap
   * arrays this machine may write in place; an array with another token it
   * shares with a snapshot, and copies at its first write (sptMut, gfnsMut,
   * bitmapMut). A field check instead of a Set lookup on every spte write.
   * cloneMachine gives both machines new tokens: neither owns a shared array.
   */
  sim_owner: number;
  /** Index of the step being executed (-1 during the initial VM entry). */
  stepIndex: number;
  /**
   * Kernel data corruption the modelled kernel ran into (a stale rmap, a
   * failed pte_list_remove, an rmap walk into a freed page), in order. The
   * simulator keeps going where the kernel would BUG() so the damage can be seen.
   */
  bugs: KernelBug[];
  /**
   * Whether steps record events (the kernel's tracepoints being enabled).
   * Off, no event object and no hex string is built: only the state moves,
   * and a step's events are rebuilt on demand by replaying that one step
   * with tracing on. Every emit call site checks this first.
   */
  tracing: boolean;
  emit: EventSink;
  /**
   * FNAME(sync_page)'s memo (mmu/sync.ts), by shadow-page id: a cache, not
   * state. Every copy of this machine shares it (cloneMachine, a timeline's
   * snapshots and the copies replayed from them), so a seek's replay finds
   * what the run before it learnt. Safe to share: an entry answers only for
   * the very chunk objects it was made from, with the counts of writes in place
   * they had then (CowArray CHUNK_WRITES; a chunk copies share is written in
   * place by none of them).
   */
  readonly sim_syncMemo: Map<number, SyncMemo>;
}

export interface KernelBug {
  readonly step: number;
  readonly kind: 'stale-rmap' | 'pte_list_remove' | 'use-after-free';
  readonly text: string;
}

export const spteRef = (id: number, index: number): number => id * 512 + index;
export const refId = (ref: number): number => Math.floor(ref / 512);
export const refIndex = (ref: number): number => ref % 512;

/** gfn_to_rmap / lpage_info index: the huge-page-sized region at `level` containing gfn. */
export const rmapKey = (level: number, gfn: number): number => level * 2 ** 40 + Math.floor(gfn / pow2(9 * (level - 1)));

export function newKvmStats(): KvmStats {
  return {
    mmu_shadow_zapped: 0,
    mmu_pte_write: 0,
    mmu_pde_zapped: 0,
    mmu_flooded: 0,
    mmu_recycled: 0,
    mmu_cache_miss: 0,
    mmu_unsync: 0,
    remote_tlb_flush_requests: 0,
    max_mmu_page_hash_collisions: 0,
    pages_4k: 0,
    pages_2m: 0,
    pages_1g: 0,
  };
}

export function newVcpuStats(): VcpuStats {
  return { pf_fixed: 0, pf_guest: 0, invlpg: 0, tlb_flush: 0, pf_exits: 0, hits: 0, emulated: 0 };
}

/** The arrays (parentPtes included) stay shared: the machine copies each at its next write (sptMut and the others). */
function cloneSp(sp: ShadowPage): ShadowPage {
  return { ...sp };
}

/** Whether `m` owned page `id`'s parent_ptes; it does from now on (the caller copies it if not). */
function takeParentsOwnership(m: Machine, id: number): boolean {
  const owned = (m.owned ??= new Set());
  if (owned.has(id)) return true;
  owned.add(id);
  return false;
}

/** A page freed by this machine: its ownership key goes (ids are never reused, so they would only pile up). */
export function forgetPage(m: Machine, id: number): void {
  m.owned?.delete(id);
}

/** A page made by this machine owns all its arrays. */
export function ownNewPage(m: Machine, sp: ShadowPage): void {
  sp.spt.owner = m.sim_owner;
  if (sp.gfns) sp.gfns.owner = m.sim_owner;
  sp.unsyncChildBitmap.owner = m.sim_owner;
  (m.owned ??= new Set()).add(sp.id);
}

/** A copy of `a` that `m` may write in place (O(1): chunks are copied as they are written). */
function ownedCopy(m: Machine, a: CowArray): CowArray {
  const copy = a.clone();
  copy.owner = m.sim_owner;
  return copy;
}

/*
 * Copy-on-write for a shadow page's arrays. Snapshots share them, which keeps
 * time travel cheap; every mutation of spt, gfns, the unsync bitmap or
 * parent_ptes goes through the one of these for that array, which first
 * copies it if a snapshot shares it. One array at a time: a page written
 * after a snapshot most often has only its sptes (and gfns) changed, and
 * copying all four made three objects per page and snapshot for nothing
 * (~8 MB of the 100k timeline).
 */

/** sp->spt, the page's own: O(1), it then copies only the 32-element chunks it writes. */
export function sptMut(m: Machine, sp: ShadowPage): CowArray {
  if (sp.spt.owner !== m.sim_owner) sp.spt = ownedCopy(m, sp.spt);
  return sp.spt;
}

/** sp->gfns (an indirect page's), the page's own. */
export function gfnsMut(m: Machine, sp: ShadowPage): CowArray {
  if (!sp.gfns) throw new Error(`internal: sp ${sp.id} is direct and has no gfns`);
  if (sp.gfns.owner !== m.sim_owner) sp.gfns = ownedCopy(m, sp.gfns);
  return sp.gfns;
}

/** sp->unsync_child_bitmap, the page's own. */
export function bitmapMut(m: Machine, sp: ShadowPage): CowArray {
  if (sp.unsyncChildBitmap.owner !== m.sim_owner) sp.unsyncChildBitmap = ownedCopy(m, sp.unsyncChildBitmap);
  return sp.unsyncChildBitmap;
}

/** sp->parent_ptes, the page's own. */
export function parentPtesMut(m: Machine, sp: ShadowPage): number[] {
  if (!takeParentsOwnership(m, sp.id)) sp.parentPtes = sp.parentPtes.slice();
  return sp.parentPtes;
}

/** Whether two lists of numbers hold the same numbers in the same order. */
function sameList(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Whether a page is as it was in an earlier copy: the same arrays (copy on
 * write: unwritten since) and the same header.
 */
export function sameShadowPage(p: ShadowPage, sp: ShadowPage): boolean {
  if (
    p.id !== sp.id ||
    p.gfn !== sp.gfn ||
    p.createdAt !== sp.createdAt ||
    p.spt !== sp.spt ||
    p.gfns !== sp.gfns ||
    p.unsyncChildBitmap !== sp.unsyncChildBitmap ||
    p.roleWord !== sp.roleWord ||
    p.rootCount !== sp.rootCount ||
    p.unsync !== sp.unsync ||
    p.unsyncChildren !== sp.unsyncChildren ||
    p.writeFloodingCount !== sp.writeFloodingCount
  )
    return false;
  return sameList(p.parentPtes, sp.parentPtes);
}

/** A copy's event sink until a step installs one: one function for every copy (a closure each cost ~300 bytes per snapshot). */
export const discardEvents = (): void => {};

/**
 * A copy that behaves as a deep copy (large arrays are shared copy-on-write,
 * so `m` gives up ownership of them too). The copy's event sink discards
 * until a step installs one.
 *
 * `prev`: an earlier copy of `m` that nothing writes (the last snapshot a
 * timeline took). A page unchanged since then is that copy's page object
 * itself, not a new one: between two snapshots ~20 of the 100k bench's ~113
 * pages change, and the headers of the others were the largest part of a
 * snapshot (~13 KB of ~65). Safe because a snapshot is never written: a
 * machine made from one (stateAt) copies every page.
 */
export function cloneMachine(m: Machine, prev: Machine | null = null): Machine {
  m.owned = null;
  m.sim_owner = newOwnerToken();
  const sps = m.sps.map((sp, id) => {
    const p = prev?.sps.get(id);
    return p !== undefined && sameShadowPage(p, sp) ? p : cloneSp(sp);
  });
  return {
    rules: m.rules,
    linux61: m.linux61,
    linux61Fired: m.linux61Fired,
    cpu: cloneCpu(m.cpu),
    mem: m.mem.clone(),
    host: m.host,
    sps,
    nextSpId: m.nextSpId,
    hash: m.hash.clone(),
    // A snapshot (prev given) shares the last one's list while the pages stay the same (most snapshots).
    activeList: prev !== null && sameList(prev.activeList, m.activeList) ? prev.activeList : m.activeList.slice(),
    nUsedMmuPages: m.nUsedMmuPages,
    nMaxMmuPages: m.nMaxMmuPages,
    indirectShadowPages: m.indirectShadowPages,
    rmap: m.rmap.clone(),
    writeTrack: m.writeTrack.clone(),
    lpageDisallow: m.lpageDisallow.clone(),
    invalidList: m.invalidList.slice(),
    mmu: {
      root: m.mmu.root,
      paeRoot: [...m.mmu.paeRoot],
      rootPgd: m.mmu.rootPgd,
      prevRoots: m.mmu.prevRoots.map((p) => ({ ...p })),
      requests: m.mmu.requests,
    },
    stats: { ...m.stats },
    vcpuStats: { ...m.vcpuStats },
    owned: null,
    sim_owner: newOwnerToken(),
    stepIndex: m.stepIndex,
    bugs: m.bugs.slice(),
    tracing: m.tracing,
    emit: discardEvents,
    sim_syncMemo: m.sim_syncMemo,
  };
}

export const copyList = (list: number[]): number[] => list.slice();

/**
 * A pte_list (struct kvm_rmap_head): one spte ref is the number itself, as the
 * kernel keeps a single spte in the head without a descriptor; two or more
 * are a list, in the order they were added. Never an empty or one-element
 * list (the entry goes, or becomes the number), so one state has one form.
 * Why not always a list: nearly every list held one ref (every one of the
 * 100k bench's ~15,000), and a copied rmap bucket copied each of them.
 */
export type PteList = number | number[];
/** The refs of a pte_list (none for undefined), to read. */
export const pteListRefs = (l: PteList | undefined): readonly number[] => (l === undefined ? [] : typeof l === 'number' ? [l] : l);
export const copyPteList = (l: PteList): PteList => (typeof l === 'number' ? l : l.slice());
/** An rmap (empty, or with these pte_lists): a copy of the map copies a list when it first changes it. */
export const newRmap = (entries: Iterable<readonly [number, PteList]> = []): PMap<PteList> => PMap.from(entries, copyPteList);

/** A page hash (empty, or with these lists): its lists are copied when a copy of the map first changes them. */
export const newListMap = (entries: Iterable<readonly [number, number[]]> = []): PMap<number[]> => PMap.from(entries, copyList);

/**
 * The machine's shadow pages by id (KVM keeps them on lists and in the hash;
 * the simulator looks them up by id everywhere): the Map calls the core uses
 * (get, has, set, delete, size, iteration), iterating in id order. Ids are
 * handed out in increasing order and never reused, so that is also the order
 * the pages were made in.
 *
 * Layout: a window of slots indexed by id - base, for the newest pages, and a
 * short sorted list of the live pages below base (long-lived ones, such as
 * roots, whose neighbours were freed). `get` on the window is one array read
 * (the hardware walk looks a page up at every level of every step). The
 * window is kept at most twice its pages plus 64 long (`compact`), so a table takes
 * memory in proportion to its live pages, not to the highest id: a run that
 * makes and frees pages for 100,000 steps keeps a handful of pages, and each
 * of its snapshots has a table of a handful of slots. (A Map beside an array
 * up to the highest id cost ~3.5 KB in every snapshot of the 100k bench, and
 * the array alone grew with every page ever made.)
 */
export class SpTable implements Iterable<[number, ShadowPage]> {
  /** Ids of the live pages below `base`, ascending, and their pages. */
  private lowIds: number[] = [];
  private lowPages: ShadowPage[] = [];
  /** The page with id `base + i` is slots[i] (undefined: none). */
  private base = 0;
  private slots: Array<ShadowPage | undefined> = [];
  /** Pages in `slots`. */
  private inWindow = 0;

  get size(): number {
    return this.inWindow + this.lowIds.length;
  }

  get(id: number): ShadowPage | undefined {
    const i = id - this.base;
    if (i >= 0) return i < this.slots.length ? this.slots[i] : undefined;
    return this.getLow(id);
  }

  has(id: number): boolean {
    return this.get(id) !== undefined;
  }

  set(id: number, sp: ShadowPage): this {
    if (id < this.base) {
      const at = this.lowIndex(id);
      if (this.lowIds[at] === id) this.lowPages[at] = sp;
      else {
        this.lowIds.splice(at, 0, id);
        this.lowPages.splice(at, 0, sp);
      }
      return this;
    }
    if (this.inWindow === 0) {
      // An empty window starts at this id.
      this.base = id;
      this.slots.length = 0;
    } else if (id - this.base - this.slots.length > this.inWindow + 64) {
      // Far beyond the window (the pages between were freed): the window's pages go below, a new window starts here.
      this.lowerWindow(this.slots.length);
      this.base = id;
    }
    const i = id - this.base;
    // Filled up to id so the array stays packed (holes would make it a dictionary).
    while (this.slots.length < i) this.slots.push(undefined);
    if (this.slots[i] === undefined) this.inWindow++;
    this.slots[i] = sp;
    if (this.slots.length > 2 * this.inWindow + 64) this.compact();
    return this;
  }

  delete(id: number): boolean {
    const i = id - this.base;
    if (i < 0) {
      const at = this.lowIndex(id);
      if (this.lowIds[at] !== id) return false;
      this.lowIds.splice(at, 1);
      this.lowPages.splice(at, 1);
      return true;
    }
    if (i >= this.slots.length || this.slots[i] === undefined) return false;
    this.slots[i] = undefined;
    this.inWindow--;
    // Trailing free slots go, so a table whose newest pages were freed is no longer than it needs to be.
    while (this.slots.length > 0 && this.slots[this.slots.length - 1] === undefined) this.slots.pop();
    if (this.slots.length > 2 * this.inWindow + 64) this.compact();
    return true;
  }

  clear(): void {
    this.lowIds = [];
    this.lowPages = [];
    this.base = 0;
    this.slots = [];
    this.inWindow = 0;
  }

  /**
   * A table of the same pages, each passed through `f` (cloneMachine's copy),
   * in the same layout: O(live pages), whatever the ids.
   */
  map(f: (sp: ShadowPage, id: number) => ShadowPage): SpTable {
    const t = new SpTable();
    t.lowIds = this.lowIds.slice();
    t.lowPages = this.lowPages.map((sp, k) => f(sp, this.lowIds[k]!));
    t.base = this.base;
    const slots = this.slots;
    // Pushed, not preallocated: a packed array reads faster than a holey one.
    const out: Array<ShadowPage | undefined> = [];
    for (let i = 0; i < slots.length; i++) {
      const sp = slots[i];
      out.push(sp === undefined ? undefined : f(sp, this.base + i));
    }
    t.slots = out;
    t.inWindow = this.inWindow;
    return t;
  }

  /** Every page with its id, in id order; no iterator objects (cloneMachine runs this for every snapshot). */
  forEach(f: (sp: ShadowPage, id: number) => void): void {
    const lowIds = this.lowIds;
    const lowPages = this.lowPages;
    for (let k = 0; k < lowIds.length; k++) f(lowPages[k]!, lowIds[k]!);
    const slots = this.slots;
    for (let i = 0; i < slots.length; i++) {
      const sp = slots[i];
      if (sp !== undefined) f(sp, this.base + i);
    }
  }

  /** Every page with its id, in id order (a list made by forEach: iteration is off the hot paths). */
  entries(): IterableIterator<[number, ShadowPage]> {
    const out: Array<[number, ShadowPage]> = [];
    this.forEach((sp, id) => out.push([id, sp]));
    return out[Symbol.iterator]();
  }

  *keys(): IterableIterator<number> {
    for (const [id] of this.entries()) yield id;
  }

  *values(): IterableIterator<ShadowPage> {
    for (const [, sp] of this.entries()) yield sp;
  }

  [Symbol.iterator](): IterableIterator<[number, ShadowPage]> {
    return this.entries();
  }

  /** For tests: the slots and list entries the table holds (live pages plus the window's holes). */
  sim_storage(): number {
    return this.slots.length + this.lowIds.length;
  }

  /** Where `id` is, or would go, in lowIds. */
  private lowIndex(id: number): number {
    const ids = this.lowIds;
    let lo = 0;
    let hi = ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ids[mid]! < id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private getLow(id: number): ShadowPage | undefined {
    const at = this.lowIndex(id);
    return this.lowIds[at] === id ? this.lowPages[at] : undefined;
  }

  /** Moves the window's pages in slots[0, n) to the list below (their ids are above every id there) and drops those slots. */
  private lowerWindow(n: number): void {
    for (let i = 0; i < n; i++) {
      const sp = this.slots[i];
      if (sp === undefined) continue;
      this.lowIds.push(this.base + i);
      this.lowPages.push(sp);
      this.inWindow--;
    }
    this.slots = this.slots.slice(n);
    this.base += n;
  }

  /**
   * Shrinks a window that is mostly holes: it starts again at the first slot
   * from which on it is at least about half full; the pages before go to the
   * list below. Runs only when the window is over twice its pages plus 64
   * long, so its cost is paid for by the deletes that made the holes.
   */
  private compact(): void {
    const slots = this.slots;
    let from = slots.length;
    let live = 0;
    for (let i = slots.length - 1; i >= 0; i--) {
      if (slots[i] === undefined) continue;
      live++;
      if (slots.length - i <= 2 * live + 64) from = i;
    }
    if (from > 0) this.lowerWindow(from);
  }
}

export function getSp(m: Machine, id: number): ShadowPage {
  const sp = m.sps.get(id);
  if (!sp) throw new Error(`internal: no shadow page ${id}`);
  return sp;
}
