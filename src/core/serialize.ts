/**
 * A machine state as plain JSON: what the trace CLI prints as `final` and what
 * the UI renders. Stable ordering (by id, by index) so output is byte-stable.
 */
import { hex, hex64, sim_hex64Kept, sim_hex64LengthOf, sim_hexKept, sim_hexLength } from './bits.ts';
import { frozenId } from './cow-array.ts';
import type { GuestEntryJson, TableVisit } from './guest/tables.ts';
import { guestMode } from './guest/cpu.ts';
import type { KernelBug, KvmStats, Machine, ShadowPage, VcpuStats } from './machine.ts';
import { pteListRefs, refId, refIndex, rmapKey } from './machine.ts';
import { type RoleJson, roleJson } from './mmu/role.ts';
import { spNotation } from './mmu/pages.ts';
import { decodeSpteOf, isMmioSpteOf, SPTE_MMU_PRESENT_MASK, sptePfnOf } from './mmu/spte.ts';
import { PT_PAGE_SIZE_MASK } from './mmu/constants.ts';
import { kvmMmuPageGetGfn } from './mmu/pages.ts';
import { SP_PFN_BASE } from './host.ts';
import type { GuestMode } from './scenario.ts';

export interface SpteJson {
  readonly index: number;
  readonly value: string;
  readonly flags: string;
  /** A non-leaf spte: the child shadow page id. */
  readonly child?: number;
  /** A leaf: the gfn it maps (kvm_mmu_page_get_gfn) and the host pfn. */
  readonly gfn?: string;
  readonly pfn?: string;
  readonly mmio?: boolean;
}

export interface ShadowPageJson {
  readonly id: number;
  readonly gfn: string;
  readonly role: RoleJson;
  readonly notation: string;
  readonly unsync: boolean;
  readonly unsyncChildren: number;
  readonly unsyncChildBitmap: readonly number[];
  readonly rootCount: number;
  readonly writeFloodingCount: number;
  readonly parents: ReadonlyArray<{ readonly sp: number; readonly index: number }>;
  readonly sptes: readonly SpteJson[];
  readonly createdAt: number;
}

export interface MachineJson {
  readonly mode: GuestMode;
  readonly cpu: {
    readonly cr0: { readonly pg: boolean; readonly wp: boolean };
    readonly cr3: string;
    readonly cr4: { readonly pse: boolean; readonly pae: boolean; readonly smep: boolean; readonly smap: boolean; readonly pcide: boolean };
    readonly efer: { readonly lme: boolean; readonly lma: boolean; readonly nx: boolean };
    readonly pdptrs: readonly string[];
  };
  /** PAE shadowing: pae_root[0..3] (null = INVALID_PAE_ROOT); long mode: [root]; none loaded: []. */
  readonly roots: ReadonlyArray<number | null>;
  readonly rootPgd: string;
  readonly prevRoots: ReadonlyArray<{ readonly pgd: string; readonly root: number | null }>;
  readonly shadowPages: readonly ShadowPageJson[];
  readonly activeList: readonly number[];
  readonly writeTracked: readonly string[];
  /**
   * pte_list per gfn. `stale` marks an entry the kernel could not use safely:
   * its page was freed (`freed`), or kvm_mmu_page_get_gfn() of its page gives
   * another gfn (`wrong-gfn`), so rmap_remove() will search another list.
   */
  readonly rmap: ReadonlyArray<{
    readonly level: number;
    readonly gfn: string;
    readonly sptes: ReadonlyArray<{ readonly sp: number; readonly index: number; readonly stale?: 'freed' | 'wrong-gfn' }>;
  }>;
  readonly stats: KvmStats & VcpuStats & { readonly n_used_mmu_pages: number; readonly indirect_shadow_pages: number };
  /** Kernel data corruption the modelled kernel has run into so far. */
  readonly bugs: ReadonlyArray<KernelBug>;
}

/**
 * What views keep between states of one run so that an unchanged part is
 * not built again (not a kernel structure, hence sim_): the JSON of a shadow
 * page by its contents, and of each 32-spte chunk by the chunk itself
 * (CowArray.frozenChunks: a written chunk is a new object). Scrubbing a
 * 100,000-step run jumps between states whose pages all changed somewhere,
 * but mostly in a chunk or two. Bounded: cleared when full.
 */
export class sim_JsonMemo {
  readonly pages = new Map<string, ShadowPageJson>();
  /** spt chunk -> (level, gfns chunk or direct base) -> the chunk's sptes. */
  readonly spteChunks = new WeakMap<object, Map<number, readonly SpteJson[]>>();
  /** Guest tables (guest/tables.ts guestTables), by frame contents and place. */
  readonly tables = new Map<string, TableVisit>();
  /**
   * The JSON made last for each page's chunk (by sp id * 32 + chunk) and the
   * entries made last for each guest table's place: a chunk or table made
   * again after a write hands out the entries that did not change
   * (sim_sameEntry) instead of equal new ones, so a view keeps only what changed.
   */
  readonly lastChunks = new Map<number, readonly SpteJson[]>();
  readonly lastEntries = new Map<string, readonly GuestEntryJson[]>();
  static readonly MAX = 8192;
}

/**
 * `made`, or the entry of `before` at the same index (`k`: where to look
 * first, moved along as `before` is read in order) when `same` finds its JSON
 * the same (the callers compare what the rest follows from): the entries of
 * a table or chunk made again are mostly those made before it.
 */
export function sim_sameEntry<E extends { readonly index: number }>(made: E, before: readonly E[] | undefined, k: { at: number }, same: (a: E, b: E) => boolean): E {
  if (!before) return made;
  while (k.at < before.length && before[k.at]!.index < made.index) k.at++;
  const b = before[k.at];
  return b && b.index === made.index && same(b, made) ? b : made;
}

/**
 * Two sptes of one page's chunk with the same JSON: the value spells the
 * flags, the pfn, the child and MMIO at the page's level; a leaf's gfn comes
 * from sp->gfns (indirect pages) or sp->gfn and the index (direct ones), and
 * is compared too, though the host maps gfns to pfns one to one (Host.gfnToPfn).
 * The strings are kept ones (sim_hex64Kept): equal ones are one object.
 */
const sameSpteJson = (a: SpteJson, b: SpteJson): boolean => a.value === b.value && a.gfn === b.gfn;

/** What a page's spte JSON and sim_sptesShape read of it: its arrays and what kvm_mmu_page_get_gfn() reads. */
type SptePage = Pick<ShadowPage, 'id' | 'gfn' | 'gfns' | 'role' | 'spt'>;

/** What an spte is, as its JSON spells it (sim_SptesShape.tails): an MMIO spte, not present, a non-leaf one (its child page) or a leaf (the gfn and pfn it maps). */
export type sim_SpteKind = 'mmio' | 'not present' | 'non-leaf' | 'leaf';

/**
 * Each non-zero spte i in [from, to) of a page, classified (the one
 * derivation for its JSON and its shape): `n` is an MMIO spte's gfn (its
 * pfn field), a non-leaf spte's child page, or a leaf's gfn
 * (kvm_mmu_page_get_gfn); `pfn` is a leaf's host pfn.
 */
function forEachSpte(sp: SptePage, from: number, to: number, f: (i: number, kind: sim_SpteKind, n: number, pfn: number) => void): void {
  const spt = sp.spt;
  const level = sp.role.level;
  for (let i = from; i < to; i++) {
    // Most sptes are zero: skip an unwritten chunk (16 sptes) at once. An
    // spte is read as its two halves, with no object, and `f` is given its
    // index, not the halves (it reads those it needs: a word above 2^30
    // passed to a function is a heap number): this runs for every spte of
    // every page a view makes (~14,000 at 100,000 steps), and the U64 made
    // per spte was most of the garbage of a jump along the strip.
    if (i % 16 === 0 && spt.isZeroChunkAt(2 * i)) {
      i += 15;
      continue;
    }
    const lo = spt.get(2 * i);
    const hi = spt.get(2 * i + 1);
    if (!lo && !hi) continue;
    if (isMmioSpteOf(lo, hi)) f(i, 'mmio', sptePfnOf(lo, hi), 0);
    else if (!(lo & SPTE_MMU_PRESENT_MASK)) f(i, 'not present', 0, 0);
    else if (level !== 1 && !(lo & PT_PAGE_SIZE_MASK)) f(i, 'non-leaf', sptePfnOf(lo, hi) - SP_PFN_BASE, 0);
    else f(i, 'leaf', kvmMmuPageGetGfn(sp, i), sptePfnOf(lo, hi));
  }
}

/** The present sptes i in [from, to) of a page; those alike in `before` (the same range's, made earlier) are its objects. */
function sptesIn(sp: SptePage, from: number, to: number, out: SpteJson[], before?: readonly SpteJson[]): SpteJson[] {
  const k = { at: 0 };
  const spt = sp.spt;
  forEachSpte(sp, from, to, (index, kind, n, pfn) => {
    const lo = spt.get(2 * index);
    const hi = spt.get(2 * index + 1);
    // Whole literals, not a spread of a common part: V8 gave each object built
    // by `{ ...base, child }` a map of its own (~240,000 maps at 100,000
    // steps), so every reader of sptes (layout, links, cards) went megamorphic
    // and a load of a property an spte lacks allocated a handler each time.
    const value = sim_hex64Kept({ lo, hi });
    const flags = decodeSpteOf(lo, hi);
    const s: SpteJson =
      kind === 'mmio'
        ? { index, value, flags, mmio: true, gfn: sim_hexKept(n) }
        : kind === 'not present'
          ? { index, value, flags }
          : kind === 'non-leaf'
            ? { index, value, flags, child: n }
            : { index, value, flags, gfn: sim_hexKept(n), pfn: sim_hexKept(pfn) };
    out.push(sim_sameEntry(s, before, k, sameSpteJson));
  });
  return out;
}

/**
 * A page's sptes a chunk (16 sptes, 32 words) at a time, each chunk's JSON
 * reused while the chunk and what its leaves' gfns come from are unchanged.
 */
function memoSptes(sp: SptePage, memo: sim_JsonMemo): SpteJson[] {
  const out: SpteJson[] = [];
  const chunks = sp.spt.frozenChunks();
  const gfnChunks = sp.gfns?.frozenChunks() ?? null;
  chunks.forEach((c, ci) => {
    if (!c) return;
    const from = ci * 16;
    // A leaf's gfn: sp->gfns for indirect pages (its chunk ci >> 1 holds these 16), else from sp->gfn and the level.
    const g = gfnChunks ? gfnChunks[ci >> 1] : null;
    // A number, not a string to build per chunk per view: level in the low 3 bits, the gfns chunk's id (>= 0) or the direct page's gfn (< 0) above.
    const key = (gfnChunks ? (g ? frozenId(g) : 0) : -1 - sp.gfn) * 8 + sp.role.level;
    let per = memo.spteChunks.get(c);
    if (!per) memo.spteChunks.set(c, (per = new Map()));
    let got = per.get(key);
    if (!got) {
      const place = sp.id * 32 + ci;
      got = sptesIn(sp, from, from + 16, [], memo.lastChunks.get(place));
      per.set(key, got);
      if (memo.lastChunks.size >= sim_JsonMemo.MAX * 4) memo.lastChunks.clear();
      memo.lastChunks.set(place, got);
    }
    for (const s of got) out.push(s);
  });
  return out;
}

/**
 * What a layout needs of a page's present sptes to place and size its rows,
 * without their JSON (not a kernel structure, hence sim_): at 100,000 steps
 * a view has ~110 pages and ~14,000 present sptes, of which a screen shows a
 * few hundred; a view's page (machineJson with a memo) builds its sptes' JSON
 * only when they are first read, and its shape from the spte words. Per
 * spte only its index is kept: what the text after the values can be is kept
 * per page, by group (the views keep hundreds of pages' shapes).
 */
export interface sim_SptesShape {
  /** The present sptes' indexes, ascending. */
  readonly index: readonly number[];
  /** The longest `value` text of them (0 when none is present). */
  readonly valueChars: number;
  /**
   * The sptes by their `flags` and kind (in the order first met), with the
   * largest `n` of the group: a non-leaf spte's `child`; the length of an MMIO
   * or leaf spte's `gfn` text; 0 for one not present.
   */
  readonly tails: ReadonlyArray<sim_ShapeTail<sim_SpteKind>>;
  /** The non-leaf sptes: index and `child`. */
  readonly children: ReadonlyArray<{ readonly index: number; readonly child: number }>;
}

/**
 * A group of a shape's entries (sim_SptesShape, sim_GuestEntriesShape): those
 * with the same `flags` and `kind` (what an spte is; for a guest entry, its
 * `leaf`), and the largest `n` of them (what the text after the flags needs).
 */
export interface sim_ShapeTail<K> {
  readonly flags: string;
  readonly kind: K;
  readonly n: number;
}

/**
 * Counts one entry into its group of `tails`, made when it is the first: a
 * shape has a handful of groups, so a look along them beats a map (and a
 * loop, not find(): its closure was an object per entry).
 */
export function sim_widenTail<K>(tails: Array<{ flags: string; kind: K; n: number }>, flags: string, kind: K, n: number): void {
  let t = 0;
  while (t < tails.length && !(tails[t]!.flags === flags && tails[t]!.kind === kind)) t++;
  if (t === tails.length) tails.push({ flags, kind, n });
  else if (n > tails[t]!.n) tails[t]!.n = n;
}

type ShapeDraft = { index: number[]; valueChars: number; tails: Array<{ flags: string; kind: sim_SpteKind; n: number }>; children: Array<{ index: number; child: number }> };

const newShape = (): ShapeDraft => ({ index: [], valueChars: 0, tails: [], children: [] });

/** Appends one spte to `out` (`n`: its child page, or the length of its gfn text, or 0; see sim_SptesShape.tails). */
function pushShape(out: ShapeDraft, index: number, flags: string, kind: sim_SpteKind, n: number, valueChars: number): void {
  out.index.push(index);
  if (valueChars > out.valueChars) out.valueChars = valueChars;
  sim_widenTail(out.tails, flags, kind, n);
  if (kind === 'non-leaf') out.children.push({ index, child: n });
}

/** The shape of a page's sptes from its words: what their JSON would spell, measured. */
function shapeOfWords(sp: SptePage): sim_SptesShape {
  const out = newShape();
  const spt = sp.spt;
  forEachSpte(sp, 0, 512, (i, kind, n) => {
    const lo = spt.get(2 * i);
    const hi = spt.get(2 * i + 1);
    pushShape(out, i, decodeSpteOf(lo, hi), kind, kind === 'mmio' || kind === 'leaf' ? sim_hexLength(n) : n, sim_hex64LengthOf(lo, hi));
  });
  return out;
}

/** The shape of sptes as JSON (a page built eagerly, or a copy a view made with other sptes). */
function shapeOfJson(sptes: readonly SpteJson[]): sim_SptesShape {
  const out = newShape();
  for (const e of sptes) {
    const kind: sim_SpteKind = e.mmio ? 'mmio' : e.child !== undefined ? 'non-leaf' : e.gfn !== undefined ? 'leaf' : 'not present';
    pushShape(out, e.index, e.flags, kind, kind === 'non-leaf' ? e.child! : (e.gfn?.length ?? 0), e.value.length);
  }
  return out;
}

/**
 * The fields of views made when first read (a view's sptes and guest
 * entries: most are never drawn), by field name: one getter function per
 * name, shared by every object with that field (so those objects keep one
 * hidden class), and each object's maker until it has run.
 */
const lazyFields = new Map<string, { readonly get: () => unknown; readonly state: WeakMap<object, { make: (() => unknown) | null; value: unknown }> }>();

/**
 * Defines `key` on `o` (an object being built, in the place the field has in
 * its JSON) as an enumerable accessor whose value is `make()`, made when
 * first read: JSON.stringify, spreads and readers see a plain field.
 */
export function sim_defineLazy<T extends object, K extends string, V>(o: T, key: K, make: () => V): T & { readonly [P in K]: V } {
  let f = lazyFields.get(key);
  if (!f) {
    const state = new WeakMap<object, { make: (() => unknown) | null; value: unknown }>();
    const get = function (this: object): unknown {
      const s = state.get(this)!;
      if (s.make) {
        s.value = s.make();
        s.make = null;
      }
      return s.value;
    };
    lazyFields.set(key, (f = { get, state }));
  }
  f.state.set(o, { make, value: undefined });
  return Object.defineProperty(o, key, { get: f.get, enumerable: true, configurable: true }) as T & { readonly [P in K]: V };
}

/** Whether `o`'s field `key` is made (a probe for tests): true for a plain field, or a lazy one read once. */
export const sim_lazyMade = (o: object, key: string): boolean => (lazyFields.get(key)?.state.get(o)?.make ?? null) === null;

/** The shape of each view's page, taken when the page is made (sim_sptesShape), and of any other page once asked. */
const shapes = new WeakMap<object, sim_SptesShape>();

/** Whether a page's sptes are made (a probe for tests: a view's page makes them on first read; any other page has them). */
export const sim_sptesMade = (page: ShadowPageJson): boolean => sim_lazyMade(page, 'sptes');

/**
 * The shape of a page's present sptes (sim_SptesShape), kept per page: a
 * view's page has it from its spte words, measured as the page is made
 * (without making their JSON); any other page measures its sptes' JSON.
 */
export function sim_sptesShape(page: ShadowPageJson): sim_SptesShape {
  let got = shapes.get(page);
  if (!got) shapes.set(page, (got = shapeOfJson(page.sptes)));
  return got;
}

/**
 * A shadow page as JSON. With `memo` (a view's), the same object as before
 * when nothing it shows changed: its arrays' contents and its header.
 */
export function shadowPageJson(m: Machine, sp: ShadowPage, memo?: sim_JsonMemo): ShadowPageJson {
  if (!memo) return buildShadowPageJson(m, sp, null);
  const key = `${sp.id}:${sp.spt.contentId()}:${sp.gfns ? sp.gfns.contentId() : 0}:${sp.unsyncChildBitmap.contentId()}:${sp.roleWord}:${+sp.unsync}:${sp.unsyncChildren}:${sp.rootCount}:${sp.writeFloodingCount}:${sp.parentPtes.join(',')}`;
  const hit = memo.pages.get(key);
  if (hit) return hit;
  if (memo.pages.size >= sim_JsonMemo.MAX) memo.pages.clear();
  const json = buildShadowPageJson(m, sp, memo);
  memo.pages.set(key, json);
  return json;
}

function buildShadowPageJson(m: Machine, sp: ShadowPage, memo: sim_JsonMemo | null): ShadowPageJson {
  const bitmap: number[] = [];
  for (let i = 0; i < 512; i += 32) {
    if (sp.unsyncChildBitmap.isZeroChunkAt(i)) continue;
    for (let k = i; k < i + 32; k++) if (sp.unsyncChildBitmap.get(k)) bitmap.push(k);
  }
  const head = {
    id: sp.id,
    gfn: hex(sp.gfn),
    role: roleJson(sp.role),
    notation: spNotation(sp),
    unsync: sp.unsync,
    unsyncChildren: sp.unsyncChildren,
    unsyncChildBitmap: bitmap,
    rootCount: sp.rootCount,
    writeFloodingCount: sp.writeFloodingCount,
    parents: sp.parentPtes.map((r) => ({ sp: refId(r), index: refIndex(r) })).sort((a, b) => a.sp - b.sp || a.index - b.index),
  };
  if (!memo) return Object.assign(head, { sptes: sptesIn(sp, 0, 512, []), createdAt: sp.createdAt });
  // A view's page: its sptes made when first read (most pages are never
  // drawn), from copies of its arrays as they are now (O(1): the chunks are
  // shared, and frozen as frozenChunks freezes them). Defined in the place
  // the eager page has them, so its JSON text is the same.
  const frozen: SptePage = { id: sp.id, gfn: sp.gfn, role: sp.role, spt: sp.spt.clone(), gfns: sp.gfns ? sp.gfns.clone() : null };
  const page = sim_defineLazy(head, 'sptes', () => memoSptes(frozen, memo));
  // Its shape now, from the spte words (one pass over the page: a chunk memo and a join of its chunks' shapes cost more).
  shapes.set(page, shapeOfWords(frozen));
  return Object.assign(page, { createdAt: sp.createdAt });
}

/** Every shadow page as JSON, by id. */
function spJsonsOf(m: Machine, memo: sim_JsonMemo | undefined): ShadowPageJson[] {
  const out: ShadowPageJson[] = [];
  m.sps.forEach((sp) => out.push(shadowPageJson(m, sp, memo)));
  return out;
}

/**
 * A state as JSON. With `memo`, unchanged shadow pages are the objects built
 * before, and `rmap` is built when first read (`rmapLater`: the reverse map
 * of this state, as `rmapJson` gives it; a view asks only for one gfn's).
 */
export function machineJson(m: Machine, memo?: sim_JsonMemo, rmapLater?: () => MachineJson['rmap']): MachineJson {
  const c = m.cpu;
  const roots: Array<number | null> = m.mmu.root === 'pae' ? [...m.mmu.paeRoot] : m.mmu.root === null ? [] : [m.mmu.root];
  const head = {
    mode: guestMode(c),
    cpu: {
      cr0: { ...c.cr0 },
      cr3: hex(c.cr3),
      cr4: { ...c.cr4 },
      efer: { lme: c.efer.lme, lma: c.efer.lme && c.cr0.pg, nx: c.efer.nx },
      pdptrs: c.pdptrs.map(hex64),
    },
    roots,
    rootPgd: hex(m.mmu.rootPgd),
    prevRoots: m.mmu.prevRoots.map((p) => ({ pgd: hex(p.pgd), root: p.root })),
    // SpTable.forEach goes in id order: no list of pages to make and sort first (a view does this at every jump).
    shadowPages: spJsonsOf(m, memo),
    activeList: [...m.activeList],
    writeTracked: [...m.writeTrack.keys()].sort((a, b) => a - b).map(hex),
  };
  const tail = {
    bugs: m.bugs.map((b) => ({ ...b })),
    stats: { ...m.stats, ...m.vcpuStats, n_used_mmu_pages: m.nUsedMmuPages, indirect_shadow_pages: m.indirectShadowPages },
  };
  if (!rmapLater) return { ...head, rmap: rmapJson(m), ...tail };
  // Same key order as above (the CLI's output is byte-stable), the rmap built on first read and kept.
  let rmap: MachineJson['rmap'] | null = null;
  const out: Record<string, unknown> = { ...head };
  Object.defineProperty(out, 'rmap', { enumerable: true, get: () => (rmap ??= rmapLater()) });
  return Object.assign(out, tail) as unknown as MachineJson;
}

/** Every pte_list of the rmap, by level and gfn, each spte marked stale where the kernel could not use it safely. */
export function rmapJson(m: Machine): MachineJson['rmap'] {
  // By key: level * 2^40 + region, and within a level the gfn grows with the
  // region, so this is the order by level, then gfn (no hex read back per comparison).
  return [...m.rmap.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([key, refs]) => {
      const level = Math.floor(key / 2 ** 40);
      const region = key - level * 2 ** 40;
      const stale = (r: number): 'freed' | 'wrong-gfn' | null => {
        const sp = m.sps.get(refId(r));
        if (!sp) return 'freed';
        return rmapKey(level, kvmMmuPageGetGfn(sp, refIndex(r))) === key ? null : 'wrong-gfn';
      };
      return {
        level,
        gfn: hex(region * 2 ** (9 * (level - 1))),
        sptes: pteListRefs(refs).map((r) => {
          const why = stale(r);
          return why ? { sp: refId(r), index: refIndex(r), stale: why } : { sp: refId(r), index: refIndex(r) };
        }),
      };
    });
}
