/**
 * The friendly `mappings` form: builds guest page tables from a list of
 * "this gva maps to that gpa with these rights" lines.
 *
 * Tables are allocated deterministically: the root is the frame holding
 * guest.cr3 (or, when cr3 is omitted, the first frame allocated), and every
 * other table is the next free 4 KiB frame from `tablesAt` upward, skipping
 * frames the document already lists in `memory`. Mappings are processed in
 * order, so the same document always yields the same frames and entries.
 */
import type { GuestMode, U64 } from '../core/scenario.ts';
import { SCENARIO_LIMITS } from '../core/scenario.ts';
import { linearAddress, MAX_PHYS_BITS, physAddress } from './address.ts';
import { fail } from './errors.ts';
import { formatHex, pow2, TWO_POW_32, u64FromNumber } from './hex.ts';
import { PARSER_LIMITS } from './limits.ts';
import type { RawMapping } from './raw.ts';

export type PageSize = '4K' | '2M' | '4M' | '1G';

export const PAGE_BYTES: Readonly<Record<PageSize, number>> = {
  '4K': 0x1000,
  '2M': 0x20_0000,
  '4M': 0x40_0000,
  '1G': 0x4000_0000,
};

/** Entry bits used by the builder. */
export const PTE = {
  P: 0x1,
  RW: 0x2,
  US: 0x4,
  A: 0x20,
  D: 0x40,
  PS: 0x80,
  /** Bit 63, i.e. bit 31 of the high half. */
  NX_HI: 0x8000_0000,
  /** Non-leaf entries: P|RW|US|A, so the leaf alone decides the access rights. */
  TABLE: 0x27,
  /** A PAE PDPTE: only P (bits 1, 2 and 5-8 are reserved there). */
  PDPTE: 0x1,
} as const;

export const DEFAULT_TABLES_AT = 0x10_0000;

export interface MappingsOptions {
  readonly mode: Exclude<GuestMode, 'off'>;
  /** guest.cr3 if given; otherwise the root is allocated. */
  readonly cr3: number | undefined;
  readonly maxPhyAddr: number;
  readonly pse: boolean;
  readonly eferNx: boolean;
  /** End of guest RAM (bytes); tables must lie below it. */
  readonly ramEnd: number;
  readonly tablesAt: number;
  /** Frames listed in `memory` (never allocated for tables). */
  readonly taken: ReadonlySet<number>;
  /** How many frames (root included, if it is not in `taken`) may be added. */
  readonly frameBudget: number;
}

export interface BuiltEntry {
  readonly value: U64;
  /** Index of the mapping that created this entry. */
  readonly mapping: number;
}

export interface BuiltFrame {
  readonly gpa: number;
  readonly entrySize: 4 | 8;
  readonly entries: Map<number, BuiltEntry>;
}

export interface MappingsResult {
  /** CR3 to use (guest.cr3 when given, else the allocated root frame). */
  readonly cr3: number;
  /** Every frame that received entries, in allocation order (root first). */
  readonly frames: BuiltFrame[];
  readonly warnings: string[];
}

interface Table {
  readonly frame: BuiltFrame;
  /** Index of the mapping that caused this table to be allocated. */
  readonly createdBy: number;
  readonly children: Map<number, Table | Leaf>;
}

interface Leaf {
  readonly mapping: number;
  readonly size: PageSize;
}

interface Layout {
  readonly top: number;
  readonly bitsPerLevel: number;
  readonly entrySize: 4 | 8;
  readonly sizes: Partial<Record<PageSize, number>>;
  readonly names: Readonly<Record<number, string>>;
}

const LAYOUTS: Readonly<Record<Exclude<GuestMode, 'off'>, Layout>> = {
  'x86-32': { top: 2, bitsPerLevel: 10, entrySize: 4, sizes: { '4K': 1, '4M': 2 }, names: { 1: 'PTE', 2: 'PDE' } },
  pae: { top: 3, bitsPerLevel: 9, entrySize: 8, sizes: { '4K': 1, '2M': 2 }, names: { 1: 'PTE', 2: 'PDE', 3: 'PDPTE' } },
  'x86-64': {
    top: 4,
    bitsPerLevel: 9,
    entrySize: 8,
    sizes: { '4K': 1, '2M': 2, '1G': 3 },
    names: { 1: 'PTE', 2: 'PDE', 3: 'PDPTE', 4: 'PML4E' },
  },
};

function sizeHint(mode: Exclude<GuestMode, 'off'>): string {
  switch (mode) {
    case 'x86-32':
      return 'an x86-32 guest has "4K" pages and, with guest.cr4.pse, "4M" pages';
    case 'pae':
      return 'a pae guest has "4K" and "2M" pages';
    case 'x86-64':
      return 'an x86-64 guest has "4K", "2M" and "1G" pages';
  }
}

interface Rights {
  readonly write: boolean;
  readonly user: boolean;
  readonly exec: boolean;
}

function parseFlags(flags: string, path: readonly PropertyKey[]): Rights {
  const seen = new Set<string>();
  for (const c of flags) {
    if (!'rwux'.includes(c)) {
      fail(path, `unknown access letter ${JSON.stringify(c)} in ${JSON.stringify(flags.slice(0, 40))}; use r (read), w (write), u (user), x (execute)`);
    }
    if (seen.has(c)) fail(path, `the letter "${c}" appears twice in ${JSON.stringify(flags)}`);
    seen.add(c);
  }
  if (!seen.has('r')) {
    fail(path, `${JSON.stringify(flags)} must include "r": every present page is readable (e.g. "r", "rw", "rwu", "rwux")`);
  }
  return { write: seen.has('w'), user: seen.has('u'), exec: seen.has('x') };
}

function entryValue(gpa: number, lowFlags: number, nx: boolean): U64 {
  const hi = Math.floor(gpa / TWO_POW_32);
  return { lo: ((gpa % TWO_POW_32) | lowFlags) >>> 0, hi: (hi | (nx ? PTE.NX_HI : 0)) >>> 0 };
}

/** Builds the page tables the mappings describe. Throws a ScenarioFailure on any problem. */
export function buildMappings(raw: readonly RawMapping[], opts: MappingsOptions): MappingsResult {
  const { mode } = opts;
  const layout = LAYOUTS[mode];
  const warnings: string[] = [];
  const tableCeiling = Math.min(opts.ramEnd, mode === 'x86-32' ? TWO_POW_32 : pow2(opts.maxPhyAddr));

  const taken = new Set(opts.taken);
  if (opts.cr3 !== undefined) taken.add(opts.cr3 - (opts.cr3 % 4096));
  let cursor = opts.tablesAt;
  let budget = opts.frameBudget;
  const allocated: number[] = [];
  const allocate = (m: number): number => {
    while (taken.has(cursor)) cursor += 4096;
    if (cursor + 4096 > tableCeiling) {
      fail(
        ['mappings', m],
        `no room left for page tables: the next free frame, ${formatHex(cursor)}, is past ` +
          (cursor + 4096 > opts.ramEnd ? 'the end of guest RAM (host.memoryMiB)' : 'what this guest mode can address') +
          '; set "tablesAt" lower',
      );
    }
    if (budget <= 0) {
      fail(['mappings', m], `too many frames: memory and the tables built for mappings may total at most ${SCENARIO_LIMITS.maxFrames}`);
    }
    budget--;
    const gpa = cursor;
    cursor += 4096;
    allocated.push(gpa);
    return gpa;
  };
  const frames: BuiltFrame[] = [];
  const newTable = (gpa: number, createdBy: number): Table => {
    const frame: BuiltFrame = { gpa, entrySize: layout.entrySize, entries: new Map() };
    frames.push(frame);
    return { frame, createdBy, children: new Map() };
  };

  // The root: guest.cr3's frame, or the first allocated frame.
  let cr3 = opts.cr3;
  let root: Table | undefined;
  if (cr3 !== undefined) {
    const rootGpa = cr3 - (cr3 % 4096);
    if (!opts.taken.has(rootGpa)) {
      if (budget <= 0) fail(['mappings'], `too many frames: memory and the tables built for mappings may total at most ${SCENARIO_LIMITS.maxFrames}`);
      budget--;
    }
    root = newTable(rootGpa, 0);
  }

  const shiftOf = (level: number): number => 12 + layout.bitsPerLevel * (level - 1);
  const perTable = 1 << layout.bitsPerLevel;

  for (let m = 0; m < raw.length; m++) {
    const r = raw[m]!;
    const at = (field: string): readonly PropertyKey[] => ['mappings', m, field];
    const size: PageSize = r.size ?? '4K';
    const leafLevel = layout.sizes[size];
    if (leafLevel === undefined) fail(at('size'), `"${size}" pages do not exist here: ${sizeHint(mode)}`);
    if (size === '4M' && !opts.pse) {
      fail(at('size'), '"4M" pages need guest.cr4.pse (it is false in this scenario)');
    }
    const bytes = PAGE_BYTES[size];

    const gva = linearAddress(r.gva, mode, at('gva'));
    if (gva % bytes !== 0) fail(at('gva'), `${formatHex(r.gva)} is not aligned to the ${size} page size (a multiple of ${formatHex(bytes)})`);

    let gpaBits = opts.maxPhyAddr;
    let why = `guest.maxPhyAddr is ${opts.maxPhyAddr}, so gpas must be below 2^${opts.maxPhyAddr}`;
    if (mode === 'x86-32') {
      // KVM models PSE-36 (pse36_gfn_delta: PDE bits 16:13 are gpa bits 35:32,
      // bits 21:17 reserved), so a 4 MiB page reaches 2^36 at most.
      gpaBits = size === '4M' ? Math.min(opts.maxPhyAddr, 36) : 32;
      why =
        size === '4M'
          ? `an x86-32 4 MiB page can reach 2^${gpaBits} (PSE-36 as KVM models it, limited by guest.maxPhyAddr)`
          : 'an x86-32 4 KiB page maps a 32-bit gpa';
    }
    const gpa = physAddress(r.gpa, Math.min(gpaBits, MAX_PHYS_BITS), at('gpa'), why);
    if (gpa % bytes !== 0) fail(at('gpa'), `${formatHex(r.gpa)} is not aligned to the ${size} page size (a multiple of ${formatHex(bytes)})`);

    const rights = parseFlags(r.flags, at('flags'));
    const nx = r.nx ?? false;
    if (nx) {
      if (mode === 'x86-32') fail(at('nx'), 'x86-32 page tables have no NX bit; use a pae or x86-64 guest');
      if (!opts.eferNx) fail(at('nx'), 'NX needs guest.efer.nx = true (without it, bit 63 is a reserved bit)');
      if (rights.exec) fail(at('nx'), `"nx": true contradicts the "x" in flags ${JSON.stringify(r.flags)}`);
    }

    if (root === undefined) {
      const g = allocate(m);
      cr3 = g;
      root = newTable(g, m);
    }
    let table: Table = root;
    const rootBase = mode === 'pae' && opts.cr3 !== undefined ? (opts.cr3 % 4096) / 8 : 0;
    for (let level = layout.top; ; level--) {
      let index = Math.floor(gva / pow2(shiftOf(level))) % perTable;
      if (mode === 'pae' && level === 3) index = (index % 4) + rootBase;
      const existing = table.children.get(index);
      const entryName = `${layout.names[level]} ${index} of the table at ${formatHex(table.frame.gpa)}`;
      if (level === leafLevel) {
        if (existing !== undefined) {
          if ('children' in existing) {
            fail(['mappings', m], `maps a ${size} page at ${formatHex(gva)}, but mappings[${existing.createdBy}] already needs ${entryName} to point to a page table (the two overlap)`);
          }
          fail(['mappings', m], `overlaps mappings[${existing.mapping}]: both need ${entryName} as their leaf`);
        }
        let low = PTE.P | (rights.write ? PTE.RW : 0) | (rights.user ? PTE.US : 0);
        if (r.accessed ?? true) low |= PTE.A;
        if (r.dirty ?? false) low |= PTE.D;
        let value: U64;
        if (leafLevel > 1) low |= PTE.PS;
        if (mode === 'x86-32' && size === '4M') {
          // PSE-36: gpa bits 35:32 live in PDE bits 16:13.
          value = { lo: ((gpa % TWO_POW_32) | (Math.floor(gpa / TWO_POW_32) << 13) | low) >>> 0, hi: 0 };
        } else {
          value = entryValue(gpa, low, nx);
        }
        table.children.set(index, { mapping: m, size });
        table.frame.entries.set(index, { value, mapping: m });
        break;
      }
      if (existing !== undefined && !('children' in existing)) {
        fail(['mappings', m], `needs ${entryName} to point to a page table, but mappings[${existing.mapping}] maps a ${existing.size} page there (the two overlap)`);
      }
      let next: Table;
      if (existing === undefined) {
        next = newTable(allocate(m), m);
        table.children.set(index, next);
        const flags = mode === 'pae' && level === 3 ? PTE.PDPTE : PTE.TABLE;
        table.frame.entries.set(index, { value: entryValue(next.frame.gpa, flags, false), mapping: m });
      } else {
        next = existing;
      }
      table = next;
    }
  }

  // Point out mappings whose target pages are tables built here (easy to do by accident).
  for (let m = 0; m < raw.length && allocated.length > 0; m++) {
    const r = raw[m]!;
    const start = r.gpa.hi * TWO_POW_32 + r.gpa.lo;
    const end = start + PAGE_BYTES[r.size ?? '4K'];
    let lo = 0;
    let hi = allocated.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (allocated[mid]! < start) lo = mid + 1;
      else hi = mid;
    }
    const hit = allocated[lo];
    if (hit !== undefined && hit < end) {
      if (warnings.length >= PARSER_LIMITS.maxWarnings) break;
      warnings.push(
        `mappings[${m}]: its ${r.size ?? '4K'} page at gpa ${formatHex(u64FromNumber(start))} contains the page table frame ${formatHex(hit)} built for mappings; ` +
          'guest writes through it change the page tables (move "tablesAt" if that is not intended)',
      );
    }
  }

  return { cr3: cr3 ?? 0, frames, warnings };
}
