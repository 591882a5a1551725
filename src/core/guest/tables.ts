/**
 * The guest's page-table tree as a renderer needs it: every table reachable
 * from CR3 (or the PDPTE registers), with its present entries decoded.
 * Bounded (maxTables) so a hostile scenario cannot make it explode.
 */
import { hex, hex64, sim_entryFlags, sim_hex64Kept, sim_hexKept, type U64 } from '../bits.ts';
import { type CpuState, guestEntrySize, guestRootLevel } from './cpu.ts';
import type { CowArray } from '../cow-array.ts';
import { sim_JsonMemo, sim_sameEntry } from '../serialize.ts';
import type { GuestMemory } from './memory.ts';
import { gpteToGfn, isLastGpte, pse36GfnDelta } from './walk.ts';

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

function flagsOf(v: U64, size: 4 | 8, leafCapable: boolean): string {
  // PS only where an entry can map a page; NX only in 8-byte entries.
  return sim_entryFlags(leafCapable ? v.lo : v.lo & ~0x80, size === 8 ? v.hi : 0);
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
 * With `memo` (a view's), a table whose frame did not change (CowArray.contentId),
 * reached at the same place in the same paging mode, is the object built before.
 */
export function guestTables(cpu: CpuState, mem: GuestMemory, maxTables = 128, memo?: sim_JsonMemo): GuestTableJson[] {
  const rootLevel = guestRootLevel(cpu);
  if (rootLevel === 0) return [];
  const size = guestEntrySize(cpu);
  const bits = size === 4 ? 10 : 9;
  const out: GuestTableJson[] = [];
  const seen = new Set<string>();
  const visit = (gfn: number, level: number, vaBase: number): void => {
    const key = `${gfn}:${level}`;
    if (seen.has(key) || out.length >= maxTables) return;
    seen.add(key);
    const frame = mem.frame(gfn);
    const place = memo && `${gfn}:${level}:${vaBase}:${rootLevel}:${+cpu.cr4.pse}`;
    const memoKey = place && `${place}:${frame ? frame.contentId() : 0}`;
    let got = memoKey ? memo!.tables.get(memoKey) : undefined;
    if (!got) {
      got = readTable(gfn, level, vaBase, frame, place ? memo!.lastTables.get(place)?.table.entries : undefined);
      if (memoKey) {
        if (memo!.tables.size >= sim_JsonMemo.MAX) memo!.tables.clear();
        memo!.tables.set(memoKey, got);
        if (memo!.lastTables.size >= sim_JsonMemo.MAX) memo!.lastTables.clear();
        memo!.lastTables.set(place!, got);
      }
    }
    out.push(got.table);
    for (const [g, l, va] of got.children) visit(g, l, va);
  };
  /** A table's JSON; entries alike in `before` (this place's, made earlier: the same context) are its objects. */
  const readTable = (gfn: number, level: number, vaBase: number, frame: CowArray | undefined, before: readonly GuestEntryJson[] | undefined): TableVisit => {
    const count = 1 << bits;
    const entries: GuestEntryJson[] = [];
    const k = { at: 0 };
    const push = (e: GuestEntryJson) => entries.push(sim_sameEntry(e, before, k, sameGuestEntry));
    const children: Array<[number, number, number]> = [];
    // Read the frame's words directly and skip zero entries without
    // allocating: most of a table is empty, and this runs for every table at
    // every step the UI shows.
    const words = size === 4 ? 1 : 2;
    for (let i = 0; frame && i < count; i++) {
      const lo = frame.get(i * words);
      const hi = words === 2 ? frame.get(i * words + 1) : 0;
      if (!lo && !hi) continue;
      const v: U64 = { lo, hi };
      if (!(v.lo & 1)) {
        if (v.lo || v.hi) push({ index: i, value: sim_hex64Kept(v), flags: 'not present', target: '0x0', leaf: false, pageBytes: 0 });
        continue;
      }
      const leaf = isLastGpte(cpu, level, v);
      let target = gpteToGfn(v, size);
      let pageBytes = 0;
      if (leaf) {
        pageBytes = 2 ** (12 + bits * (level - 1));
        if (size === 4 && level === 2) target = (v.lo >>> 22) * 1024 + pse36GfnDelta(v.lo);
        else if (level > 1) target -= target % 2 ** (9 * (level - 1));
      }
      push({ index: i, value: sim_hex64Kept(v), flags: flagsOf(v, size, level > 1), target: sim_hexKept(target), leaf, pageBytes });
      if (!leaf && level > 1) children.push([target, level - 1, vaBase + i * 2 ** (12 + bits * (level - 1))]);
    }
    return { table: { gfn: hex(gfn), level, entrySize: size, entryCount: count, registers: false, entries, vaBase: hex(vaBase) }, children };
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
