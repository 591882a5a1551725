/**
 * The guest's page-table tree as a renderer needs it: every table reachable
 * from CR3 (or the PDPTE registers), with its present entries decoded.
 * Bounded (maxTables) so a hostile scenario cannot make it explode.
 */
import { hex, hex64, sim_entryFlags, sim_hex64Kept, sim_hex64LengthOf, sim_hexKept, sim_hexLength } from '../bits.ts';
import { cloneCpu, type CpuState, guestEntrySize, guestRootLevel } from './cpu.ts';
import type { CowArray } from '../cow-array.ts';
import { sim_defineLazy, sim_JsonMemo, sim_lazyMade, sim_sameEntry, type sim_ShapeTail, sim_widenTail } from '../serialize.ts';
import type { GuestMemory } from './memory.ts';
import { gpteToGfn, gpteToGfnOf, isLastGpteOf, pse36GfnDelta } from './walk.ts';

export interface GuestEntryJson {
  readonly index: number;
  readonly value: string;
  readonly flags: string;
  /** Frame the entry points at: a lower table, or the (base of the) page a leaf maps. */
  readonly target: string;
  readonly leaf: boolean;
  /** Bytes a leaf maps (4 KiB, 2 MiB, 4 MiB, 1 GiB); 0 for a table pointer. */
  readonly pageBytes: number;
}

export interface GuestTableJson {
  readonly gfn: string;
  /** KVM level numbering: 1 = PT, 2 = PD, 3 = PDPT, 4 = PML4. */
  readonly level: number;
  readonly entrySize: 4 | 8;
  readonly entryCount: number;
  /** For a PAE PDPT: the four registers (loaded at MOV CR3), not memory. */
  readonly registers: boolean;
  readonly entries: readonly GuestEntryJson[];
  /** Virtual address range base this table covers, for the first path that reached it. */
  readonly vaBase: string;
}

function flagsOf(lo: number, hi: number, size: 4 | 8, leafCapable: boolean): string {
  // PS only where an entry can map a page; NX only in 8-byte entries.
  return sim_entryFlags(leafCapable ? lo : lo & ~0x80, size === 8 ? hi : 0);
}

/**
 * Two entries of one table's place with the same JSON: at a place (gfn,
 * level, va, paging mode, CR4.PSE) the value spells the flags, the target,
 * whether it is a leaf and its size (the strings are kept ones: sim_hex64Kept).
 */
const sameGuestEntry = (a: GuestEntryJson, b: GuestEntryJson): boolean => a.value === b.value;

/** A guest table as guestTables read it: its JSON and where its entries lead (kept by sim_JsonMemo). */
export interface TableVisit {
  readonly table: GuestTableJson;
  /** The lower tables its present non-leaf entries point at: gfn, level, va base. */
  readonly children: ReadonlyArray<readonly [number, number, number]>;
}

/**
 * What a layout needs of a table's present entries to place and size its
 * rows and draw its pointers, without their JSON (not a kernel structure,
 * hence sim_): the 100,000-step bench's tables hold ~16,700 entries, and a
 * jump changes most tables (the walks set accessed bits), of which a screen
 * shows a few. A view's table (guestTables with a memo) makes its entries'
 * JSON only when they are first read, and its shape as it reads the frame.
 */
export interface sim_GuestEntriesShape {
  /** The present entries' indexes, ascending. */
  readonly index: readonly number[];
  /** The longest `value` text of them (0 when none is present). */
  readonly valueChars: number;
  /** The entries by their `flags` and `leaf` (`kind`; in the order first met), with the longest `target` text of the group (`n`). */
  readonly tails: ReadonlyArray<sim_ShapeTail<boolean>>;
  /** The present non-leaf entries (pointers at lower tables): index and `target`. */
  readonly pointers: ReadonlyArray<{ readonly index: number; readonly target: string }>;
  /** The indexes of the entries that are not present (non-zero, P clear), ascending. */
  readonly notPresent: readonly number[];
}

/** What reading a table's entries needs: the paging mode (isLastGpte), the entry size and the table's place. */
interface TableContext {
  readonly cpu: CpuState;
  readonly size: 4 | 8;
  readonly bits: number;
  readonly gfn: number;
  readonly level: number;
}

/**
 * Each non-zero entry of a table's frame, decoded as its JSON says it (the
 * one derivation for the JSON and the shape): value, flags, target frame,
 * leaf and the bytes a leaf maps.
 */
function forEachEntry(c: TableContext, frame: CowArray | undefined, f: (i: number, flags: string, target: number, leaf: boolean, pageBytes: number) => void): void {
  const { cpu, size, bits, level } = c;
  const count = 1 << bits;
  // Read the frame's words directly, as two halves with no object per entry,
  // and give `f` the index (it reads the words it needs: a word above 2^30
  // passed to a function is a heap number): most of a table is empty, and
  // this runs for every table at every step the UI shows.
  const words = size === 4 ? 1 : 2;
  for (let i = 0; frame && i < count; i++) {
    const lo = frame.get(i * words);
    const hi = words === 2 ? frame.get(i * words + 1) : 0;
    if (!lo && !hi) continue;
    if (!(lo & 1)) {
      f(i, 'not present', 0, false, 0);
      continue;
    }
    const leaf = isLastGpteOf(cpu, level, lo);
    let target = gpteToGfnOf(lo, hi, size);
    let pageBytes = 0;
    if (leaf) {
      pageBytes = 2 ** (12 + bits * (level - 1));
      if (size === 4 && level === 2) target = (lo >>> 22) * 1024 + pse36GfnDelta(lo);
      else if (level > 1) target -= target % 2 ** (9 * (level - 1));
    }
    f(i, flagsOf(lo, hi, size, level > 1), target, leaf, pageBytes);
  }
}

/** Whether an entry (its flags and leaf, as forEachEntry decodes them) points at a lower table: present and not a leaf. */
const pointsAtTable = (flags: string, leaf: boolean): boolean => !leaf && flags !== 'not present';

/**
 * A table's entries as JSON; those alike in `before` (its place's, made
 * earlier: the same context) are its objects. `pointer` is told of each
 * present non-leaf entry (index, target frame).
 */
function entriesJson(c: TableContext, frame: CowArray | undefined, before: readonly GuestEntryJson[] | undefined, pointer?: (i: number, target: number) => void): GuestEntryJson[] {
  const entries: GuestEntryJson[] = [];
  const k = { at: 0 };
  const words = c.size / 4;
  forEachEntry(c, frame, (index, flags, target, leaf, pageBytes) => {
    const value = sim_hex64Kept({ lo: frame!.get(index * words), hi: words === 2 ? frame!.get(index * words + 1) : 0 });
    entries.push(sim_sameEntry({ index, value, flags, target: sim_hexKept(target), leaf, pageBytes }, before, k, sameGuestEntry));
    if (pointer && pointsAtTable(flags, leaf)) pointer(index, target);
  });
  return entries;
}

/** The shape of each view's table, taken as its frame is read (sim_guestEntriesShape), and of any other table once asked. */
const guestShapes = new WeakMap<object, sim_GuestEntriesShape>();

/** Whether a table's entries are made (a probe for tests: a view's table makes them on first read; any other table has them). */
export const sim_guestEntriesMade = (t: GuestTableJson): boolean => sim_lazyMade(t, 'entries');

/** The shape of a table's present entries (sim_GuestEntriesShape): a view's table has it from reading its frame; any other measures its entries' JSON. */
export function sim_guestEntriesShape(t: GuestTableJson): sim_GuestEntriesShape {
  let got = guestShapes.get(t);
  if (!got) {
    const out = newGuestShape();
    for (const e of t.entries) pushGuestShape(out, e.index, e.flags, e.leaf, e.target.length, e.value.length, e.target);
    guestShapes.set(t, (got = out));
  }
  return got;
}

type GuestShapeDraft = {
  index: number[];
  valueChars: number;
  tails: Array<{ flags: string; kind: boolean; n: number }>;
  pointers: Array<{ index: number; target: string }>;
  notPresent: number[];
};
const newGuestShape = (): GuestShapeDraft => ({ index: [], valueChars: 0, tails: [], pointers: [], notPresent: [] });
/** Appends one entry to `out` (`target`: its text, read only for a pointer at a lower table). */
function pushGuestShape(out: GuestShapeDraft, index: number, flags: string, leaf: boolean, targetChars: number, valueChars: number, target: string): void {
  out.index.push(index);
  if (valueChars > out.valueChars) out.valueChars = valueChars;
  sim_widenTail(out.tails, flags, leaf, targetChars);
  if (flags === 'not present') out.notPresent.push(index);
  else if (pointsAtTable(flags, leaf)) out.pointers.push({ index, target });
}

/**
 * With `memo` (a view's), a table whose frame did not change (CowArray.contentId),
 * reached at the same place in the same paging mode, is the object built
 * before, and a table's entries are made only when read (its shape and the
 * tables it points at are known without them).
 */
export function guestTables(cpu: CpuState, mem: GuestMemory, maxTables = 128, memo?: sim_JsonMemo): GuestTableJson[] {
  const rootLevel = guestRootLevel(cpu);
  if (rootLevel === 0) return [];
  const size = guestEntrySize(cpu);
  const bits = size === 4 ? 10 : 9;
  const out: GuestTableJson[] = [];
  const seen = new Set<string>();
  // A view's tables read their entries later: from a copy of the CPU (the paging mode) as it is now.
  const frozenCpu = memo ? cloneCpu(cpu) : cpu;
  const visit = (gfn: number, level: number, vaBase: number): void => {
    const key = `${gfn}:${level}`;
    if (seen.has(key) || out.length >= maxTables) return;
    seen.add(key);
    const frame = mem.frame(gfn);
    const place = memo && `${gfn}:${level}:${vaBase}:${rootLevel}:${+cpu.cr4.pse}`;
    const memoKey = place && `${place}:${frame ? frame.contentId() : 0}`;
    let got = memoKey ? memo!.tables.get(memoKey) : undefined;
    if (!got) {
      got = readTable({ cpu: frozenCpu, size, bits, gfn, level }, vaBase, frame, memo && place ? { memo, place } : null);
      if (memoKey) {
        if (memo!.tables.size >= sim_JsonMemo.MAX) memo!.tables.clear();
        memo!.tables.set(memoKey, got);
      }
    }
    out.push(got.table);
    for (const [g, l, va] of got.children) visit(g, l, va);
  };
  /** A table's JSON (for a view, with its entries made when read) and the tables it points at. */
  const readTable = (c: TableContext, vaBase: number, frame: CowArray | undefined, lazy: { memo: sim_JsonMemo; place: string } | null): TableVisit => {
    const children: Array<[number, number, number]> = [];
    // A present non-leaf entry of a table above level 1 points at a lower table.
    const child = (i: number, target: number) => {
      if (c.level > 1) children.push([target, c.level - 1, vaBase + i * 2 ** (12 + bits * (c.level - 1))]);
    };
    const head = { gfn: hex(c.gfn), level: c.level, entrySize: size, entryCount: 1 << bits, registers: false };
    if (!lazy) return { table: Object.assign(head, { entries: entriesJson(c, frame, undefined, child), vaBase: hex(vaBase) }), children };
    // The shape and the children in one pass over the frame; the entries' JSON when first read.
    const shape = newGuestShape();
    const words = size / 4;
    forEachEntry(c, frame, (i, flags, target, leaf) => {
      const pointer = pointsAtTable(flags, leaf);
      const valueChars = sim_hex64LengthOf(frame!.get(i * words), words === 2 ? frame!.get(i * words + 1) : 0);
      pushGuestShape(shape, i, flags, leaf, sim_hexLength(target), valueChars, pointer ? sim_hexKept(target) : '');
      if (pointer) child(i, target);
    });
    // Made when first read, from the frame as it is now (a frozen copy: the machine goes on to other steps).
    const frozen = frame?.clone();
    const { memo: m, place } = lazy;
    const table = sim_defineLazy(head, 'entries', () => {
      const entries = entriesJson(c, frozen, m.lastEntries.get(place));
      if (m.lastEntries.size >= sim_JsonMemo.MAX) m.lastEntries.clear();
      m.lastEntries.set(place, entries);
      return entries;
    });
    guestShapes.set(table, shape);
    return { table: Object.assign(table, { vaBase: hex(vaBase) }), children };
  };
  if (rootLevel === 3) {
    const entries: GuestEntryJson[] = cpu.pdptrs.map((p, i) => ({
      index: i,
      value: hex64(p),
      flags: p.lo & 1 ? 'P' : 'not present',
      target: hex(gpteToGfn(p, 8)),
      leaf: false,
      pageBytes: 0,
    }));
    out.push({ gfn: hex(Math.floor(cpu.cr3 / 4096)), level: 3, entrySize: 8, entryCount: 4, registers: true, entries, vaBase: '0x0' });
    cpu.pdptrs.forEach((p, i) => {
      if (p.lo & 1) visit(gpteToGfn(p, 8), 2, i * 2 ** 30);
    });
    return out;
  }
  visit(Math.floor(cpu.cr3 / 4096), rootLevel, 0);
  return out;
}
