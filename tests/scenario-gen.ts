/**
 * fast-check generators of random scenarios, as `shadowpaging/v1` JSON
 * documents (so a counterexample prints as a scenario anyone can load).
 *
 * Two shapes:
 *  - `rawPlanArb`: page tables in a pool of ten frames written in the
 *    "memory" form. A few random *paths* (an index per level, a table frame
 *    per level, a leaf) are laid down first, so most accesses translate; then
 *    random *noise* entries. Tables are picked mostly from per-level sets but
 *    sometimes from the whole pool, so frames end up shared between levels,
 *    self-mapped, and reachable with different rights. Leaves point at data,
 *    large pages, MMIO, or the pool's own frames ("windows" through which
 *    the steps rewrite page tables), and sometimes carry reserved bits, XD,
 *    PS or no P bit.
 *  - `mappingsPlanArb`: the "mappings" form: a handful of mappings of random
 *    sizes and rights, plus windows: writable mappings of the guest's own
 *    page-table frames.
 *
 * Specs hold plain nats that are resolved against the frames only when the
 * document is built, so shrinking works on everything.
 */
import fc from 'fast-check';
import type { GuestMode, Scenario } from '../src/core/index.ts';
import { parseScenario } from '../src/scenarios/schema.ts';

export type PagingMode = Exclude<GuestMode, 'off'>;

// ---------------------------------------------------------------------------
// Specs

export interface EntrySpec {
  readonly present: boolean;
  readonly w: boolean;
  readonly u: boolean;
  readonly a: boolean;
  readonly d: boolean;
  readonly ps: boolean;
  readonly nx: boolean;
  /** 0: none; 1..3: a mode-specific troublesome bit (see materializeEntry). */
  readonly odd: number;
  /** 'pt': a frame used as a level-1 table (a window through which writes can unsync it). */
  readonly target: { readonly kind: 'table' | 'pt' | 'data' | 'large' | 'huge' | 'mmio'; readonly i: number };
}

export type StepSpec =
  | {
      readonly t: 'access';
      readonly op: 'read' | 'write' | 'fetch';
      readonly user: boolean;
      readonly ac: boolean | undefined;
      /** Through a window (a mapping of a page-table frame) rather than any interesting gva. */
      readonly win: boolean;
      readonly gva: number;
      readonly off: number;
      readonly width: number;
      readonly value: EntrySpec | null;
      readonly raw: bigint;
    }
  | { readonly t: 'invlpg'; readonly gva: number }
  | { readonly t: 'cr3'; readonly same: boolean; readonly table: number }
  | { readonly t: 'wp'; readonly v: boolean }
  | { readonly t: 'smep'; readonly v: boolean }
  | { readonly t: 'smap'; readonly v: boolean }
  | { readonly t: 'nx'; readonly v: boolean }
  | { readonly t: 'pg'; readonly v: boolean };

export interface CommonSpec {
  readonly maxPhyAddr: number;
  readonly memoryMiB: number;
  readonly hugePages: boolean;
  readonly wp: boolean;
  readonly smep: boolean;
  readonly smap: boolean;
  readonly nx: boolean;
  readonly pse: boolean;
  readonly steps: readonly StepSpec[];
}

export interface PathSpec {
  /** Per level (top first): index choice, table choice. */
  readonly idx: readonly number[];
  readonly tables: readonly number[];
  /** Rights of the non-leaf entries on the way (mostly permissive). */
  readonly upper: { readonly w: boolean; readonly u: boolean; readonly nx: boolean; readonly a: boolean };
  /** 0: 4 KiB leaf, 1: 2/4 MiB leaf, 2: 1 GiB leaf (x86-64). */
  readonly large: number;
  readonly leaf: EntrySpec;
}

export interface RawPlan extends CommonSpec {
  readonly kind: 'raw';
  readonly mode: GuestMode;
  readonly paths: readonly PathSpec[];
  readonly noise: ReadonlyArray<{ readonly table: number; readonly slot: number; readonly entry: EntrySpec }>;
  /** PAE: the PDPT's position in the root frame (cr3 = frame + 32 * pdptSlot); PDPTEs no path set. */
  readonly pdptSlot: number;
  readonly pdptes: ReadonlyArray<{ readonly present: boolean; readonly table: number }>;
}

export interface MappingSpec {
  readonly region: number;
  readonly sub: number;
  readonly size: '4K' | '2M' | '4M' | '1G';
  readonly w: boolean;
  readonly u: boolean;
  readonly x: boolean;
  readonly nx: boolean;
  readonly accessed: boolean;
  readonly dirty: boolean;
  readonly gpa: number;
}

export interface WindowSpec {
  readonly table: number;
  readonly slot: number;
  readonly u: boolean;
  readonly dirty: boolean;
}

export interface MappingsPlan extends CommonSpec {
  readonly kind: 'mappings';
  readonly mode: PagingMode;
  readonly mappings: readonly MappingSpec[];
  readonly windows: readonly WindowSpec[];
  /** Windows onto level-1 tables only (so guest writes unsync them rather than being emulated). */
  readonly ptWindows?: boolean;
}

export type Plan = RawPlan | MappingsPlan;

// ---------------------------------------------------------------------------
// Addresses

const TABLE_BASE = 0x10_0000;
const POOL = 10;
/** Table indexes the generators use (both for entries and for gvas). */
const IDX: Readonly<Record<4 | 8, readonly number[]>> = {
  4: [0, 1, 2, 511, 512, 513, 768, 769, 1023],
  8: [0, 1, 2, 3, 256, 511],
};
/** Pool frames preferred at each level (index = level), by table mode. */
const LEVEL_TABLES: Readonly<Record<PagingMode, ReadonlyArray<readonly number[]>>> = {
  'x86-32': [[], [1, 2, 3], [0]],
  pae: [[], [4, 5, 6], [1, 2, 3], [0]],
  'x86-64': [[], [6, 7], [3, 4, 5], [1, 2], [0]],
};

export const hexOf = (n: number | bigint): string => '0x' + BigInt(n).toString(16);

/** A gva as the JSON format wants it: x86-64 kernel-half addresses sign-extended. */
export function gvaText(mode: GuestMode, gva: number): string {
  if (mode === 'x86-64' && gva >= 2 ** 47) return hexOf(BigInt(gva) | 0xffff_0000_0000_0000n);
  return hexOf(gva);
}

/** Everything an entry or a step can point at, once the frames are known. */
export interface World {
  readonly mode: GuestMode;
  /** Mode the tables are written for ('off' scenarios get 32-bit tables, for when paging is turned on). */
  readonly tableMode: PagingMode;
  readonly entrySize: 4 | 8;
  readonly maxPhyAddr: number;
  readonly ramEnd: number;
  readonly tables: readonly number[];
  /** Frames (mostly) used as level-1 tables. */
  readonly ptTables: readonly number[];
  readonly data: readonly number[];
  readonly large: readonly number[];
  readonly huge: readonly number[];
  readonly mmio: readonly number[];
  /** gvas worth touching (page aligned). */
  readonly gvas: readonly number[];
  /** gvas whose page is a page-table frame. */
  readonly windows: readonly number[];
  readonly cr3Of: (table: number) => number;
  readonly cr3: number;
}

const pick = <T>(xs: readonly T[], i: number): T => xs[i % xs.length]!;

const shiftOf = (mode: PagingMode, level: number): number => (mode === 'x86-32' ? 12 + 10 * (level - 1) : 12 + 9 * (level - 1));

/** The value of an entry spec in this world (as a BigInt). */
export function materializeEntry(w: World, e: EntrySpec): bigint {
  const four = w.entrySize === 4;
  let kind = e.target.kind;
  // 32-bit 4 MiB PDEs: only 4 MiB-aligned targets, so PDE bits 17-20 stay clear
  // (KVM 5.15 reserves them, the SDM with MAXPHYADDR >= 37 does not).
  if (four && e.ps) kind = 'large';
  if (four && kind === 'huge') kind = 'large';
  const list = kind === 'table' ? w.tables : kind === 'pt' ? w.ptTables : kind === 'data' ? w.data : kind === 'large' ? w.large : kind === 'huge' ? w.huge : w.mmio;
  let v = BigInt(pick(list, e.target.i));
  if (four) v &= 0xffff_f000n;
  if (e.present) v |= 1n;
  if (e.w) v |= 2n;
  if (e.u) v |= 4n;
  if (e.a) v |= 0x20n;
  if (e.d) v |= 0x40n;
  if (e.ps) v |= 0x80n;
  if (!four && e.nx) v |= 1n << 63n;
  if (four) {
    // Only meaningful in a 4 MiB PDE: bit 13 = gpa bit 32 (PSE-36), bit 21 reserved.
    if (e.ps && e.odd === 1) v |= 1n << 13n;
    if (e.ps && e.odd === 2) v |= 1n << 21n;
  } else if (e.odd === 1) v |= 1n << BigInt(w.maxPhyAddr); // at MAXPHYADDR: reserved
  else if (e.odd === 2) v |= 1n << 51n; // reserved (pae: 62:M; long mode: 51:M)
  else if (e.odd === 3) v |= 1n << 62n; // reserved in pae, ignored in long mode
  return v;
}

// ---------------------------------------------------------------------------
// Arbitraries

const chance = (percent: number): fc.Arbitrary<boolean> => fc.nat(99).map((n) => n < percent);

const entryArb = (kinds: ReadonlyArray<EntrySpec['target']['kind']>, psPercent: number): fc.Arbitrary<EntrySpec> =>
  fc.record({
    present: chance(92),
    w: chance(75),
    u: chance(65),
    a: chance(85),
    d: chance(50),
    ps: chance(psPercent),
    nx: chance(15),
    odd: fc.nat(39).map((n) => (n < 3 ? n + 1 : 0)),
    target: fc.record({ kind: fc.constantFrom(...kinds), i: fc.nat(31) }),
  });

/** Values written into page tables. */
const writtenEntryArb = entryArb(['table', 'pt', 'data', 'data', 'data', 'large', 'mmio'], 12);

const stepArb: fc.Arbitrary<StepSpec> = fc.oneof(
  {
    weight: 70,
    arbitrary: fc.record({
      t: fc.constant('access' as const),
      op: fc.constantFrom('read', 'read', 'write', 'write', 'write', 'fetch') as fc.Arbitrary<'read' | 'write' | 'fetch'>,
      user: fc.boolean(),
      ac: fc.option(fc.boolean(), { nil: undefined, freq: 3 }),
      win: chance(35),
      gva: fc.nat(1023),
      off: fc.nat(4095),
      width: fc.nat(9),
      value: fc.option(writtenEntryArb, { nil: null, freq: 6 }),
      raw: fc.bigInt(0n, 2n ** 64n - 1n),
    }),
  },
  { weight: 9, arbitrary: fc.record({ t: fc.constant('invlpg' as const), gva: fc.nat(1023) }) },
  { weight: 8, arbitrary: fc.record({ t: fc.constant('cr3' as const), same: chance(80), table: fc.nat(15) }) },
  { weight: 5, arbitrary: fc.record({ t: fc.constant('wp' as const), v: fc.boolean() }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('smep' as const), v: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('smap' as const), v: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('nx' as const), v: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('pg' as const), v: fc.boolean() }) },
);

const commonArb = (maxSteps: number) =>
  fc.record({
    maxPhyAddr: fc.constantFrom(40, 40, 36, 46),
    memoryMiB: fc.constantFrom(32, 32, 4096),
    hugePages: fc.boolean(),
    wp: chance(75),
    smep: chance(25),
    smap: chance(15),
    nx: fc.boolean(),
    pse: chance(85),
    steps: fc.array(stepArb, { minLength: Math.min(8, maxSteps), maxLength: maxSteps, size: "max" }),
  });

export function rawPlanArb(mode: GuestMode, maxSteps = 30): fc.Arbitrary<RawPlan> {
  const leafArb = entryArb(['table', 'pt', 'pt', 'data', 'data', 'data', 'data', 'large', 'huge', 'mmio'], 0);
  const pathArb: fc.Arbitrary<PathSpec> = fc.record({
    idx: fc.array(fc.nat(31), { minLength: 4, maxLength: 4 }),
    tables: fc.array(fc.nat(49), { minLength: 4, maxLength: 4 }),
    upper: fc.record({ w: chance(90), u: chance(92), nx: chance(6), a: chance(85) }),
    large: fc.nat(9).map((n) => (n < 7 ? 0 : n < 9 ? 1 : 2)),
    leaf: leafArb,
  });
  return fc
    .record({
      common: commonArb(maxSteps),
      paths: fc.array(pathArb, { minLength: 2, maxLength: 8, size: "max" }),
      noise: fc.array(fc.record({ table: fc.nat(POOL - 1), slot: fc.nat(31), entry: entryArb(['table', 'table', 'pt', 'data', 'large', 'huge', 'mmio'], 20) }), { maxLength: 8 }),
      pdptSlot: fc.nat(1),
      pdptes: fc.array(fc.record({ present: chance(70), table: fc.nat(15) }), { minLength: 4, maxLength: 4 }),
    })
    .map(({ common, ...rest }) => ({ kind: 'raw' as const, mode, ...common, ...rest }));
}

const mappingArb = (mode: PagingMode): fc.Arbitrary<MappingSpec> =>
  fc.record({
    region: fc.nat(7),
    sub: fc.nat(3),
    size: (mode === 'x86-32'
      ? fc.constantFrom('4K', '4K', '4K', '4M')
      : mode === 'pae'
        ? fc.constantFrom('4K', '4K', '4K', '2M')
        : fc.constantFrom('4K', '4K', '4K', '2M', '1G')) as fc.Arbitrary<MappingSpec['size']>,
    w: chance(70),
    u: chance(60),
    x: fc.boolean(),
    nx: fc.boolean(),
    accessed: chance(80),
    dirty: fc.boolean(),
    gpa: fc.nat(15),
  });

export function mappingsPlanArb(mode: PagingMode, maxSteps = 30): fc.Arbitrary<MappingsPlan> {
  return fc
    .record({
      common: commonArb(maxSteps),
      mappings: fc.array(mappingArb(mode), { minLength: 1, maxLength: 8 }),
      windows: fc.array(fc.record({ table: fc.nat(15), slot: fc.nat(3), u: fc.boolean(), dirty: fc.boolean() }), { minLength: 1, maxLength: 3 }),
    })
    .map(({ common, ...rest }) => ({ kind: 'mappings' as const, mode, ...common, ...rest }));
}

// ---------------------------------------------------------------------------
// Building documents

export interface Built {
  readonly doc: Record<string, unknown>;
  readonly scenario: Scenario;
  readonly world: World;
}

function guestJson(mode: GuestMode, p: CommonSpec, cr3: number | undefined): Record<string, unknown> {
  return {
    mode,
    ...(cr3 !== undefined ? { cr3: hexOf(cr3) } : {}),
    cr0: { wp: p.wp },
    cr4: { pse: p.pse, smep: p.smep, smap: p.smap },
    efer: { nx: p.nx },
    maxPhyAddr: p.maxPhyAddr,
  };
}

const hostJson = (p: CommonSpec): Record<string, unknown> => ({ hugePages: p.hugePages, memoryMiB: p.memoryMiB });

function parseOrThrow(doc: unknown): Scenario {
  const r = parseScenario(doc);
  if (!r.ok) throw new Error(`generator produced an invalid scenario: ${r.error.path}: ${r.error.message}\n${JSON.stringify(doc)}`);
  return r.scenario;
}

function largeTargets(mode: PagingMode): { large: number[]; huge: number[] } {
  if (mode === 'x86-32') return { large: [0x40_0000, 0xc0_0000, 0x80_0000], huge: [0x40_0000] };
  return { large: [0x20_0000, 0x40_0000, 0xe0_0000], huge: [0x4000_0000, 0x0] };
}

/** Turn step specs into JSON steps for this world. */
export function buildSteps(w: World, steps: readonly StepSpec[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  let mode: GuestMode = w.mode;
  let pg = w.mode !== 'off';
  const gvaIn = (m: GuestMode, gva: number): string => gvaText(m, m === 'off' ? gva % 2 ** 32 : gva);
  for (const s of steps) {
    const entrySize = mode === 'x86-32' || (mode === 'off' && w.entrySize === 4) ? 4 : 8;
    switch (s.t) {
      case 'access': {
        const base = s.win && w.windows.length ? pick(w.windows, s.gva) : pick(w.gvas, s.gva);
        const idxSet = IDX[w.entrySize];
        let off = s.off % 4 === 0 ? s.off : pick(idxSet, s.off) * w.entrySize;
        const width = s.op === 'write' ? ([entrySize, entrySize, entrySize, entrySize, entrySize, entrySize, 1, 2, 4, 8] as const)[s.width]! : 0;
        if (width) off -= off % width;
        if (off + width > 4096) off = 4096 - width;
        const step: Record<string, unknown> = { op: s.op, gva: gvaIn(mode, base + off), user: s.user };
        if (s.ac !== undefined) step.ac = s.ac;
        if (s.op === 'write') {
          step.width = width;
          if (s.value !== null || s.raw % 7n !== 0n) {
            let v = s.value !== null ? materializeEntry(w, s.value) : s.raw;
            if (width < 8) v &= (1n << BigInt(width * 8)) - 1n;
            step.value = hexOf(v);
          }
        }
        out.push(step);
        break;
      }
      case 'invlpg':
        out.push({ op: 'invlpg', gva: gvaIn(mode, pick(w.gvas, s.gva)) });
        break;
      case 'cr3':
        out.push({ op: 'cr3', value: hexOf(s.same ? w.cr3 : w.cr3Of(s.table)) });
        break;
      case 'wp':
        out.push({ op: 'cr0', wp: s.v });
        break;
      case 'smep':
        out.push({ op: 'cr4', smep: s.v });
        break;
      case 'smap':
        out.push({ op: 'cr4', smap: s.v });
        break;
      case 'nx':
        out.push({ op: 'efer', nx: s.v });
        break;
      case 'pg':
        out.push({ op: 'cr0', pg: s.v });
        if (s.v !== pg) {
          pg = s.v;
          mode = pg ? w.tableMode : 'off';
        }
        break;
    }
  }
  return out;
}

export function buildRaw(p: RawPlan): Built {
  const tableMode: PagingMode = p.mode === 'off' ? 'x86-32' : p.mode;
  const entrySize: 4 | 8 = tableMode === 'x86-32' ? 4 : 8;
  const ramEnd = p.memoryMiB * 0x10_0000;
  const tables = Array.from({ length: POOL }, (_, i) => TABLE_BASE + i * 4096);
  const data = [0x50_0000, 0x50_1000, 0x50_2000, 0x7f_f000, 0x1000];
  const { large, huge } = largeTargets(tableMode);
  const mmio = entrySize === 4 && ramEnd >= 2 ** 32 ? [0x50_3000] : [ramEnd, ramEnd + 0x1000];
  const pdptOffset = tableMode === 'pae' ? 32 * p.pdptSlot : 0;
  const cr3Of = (t: number): number => pick(tables, t) + pdptOffset;
  const cr3 = cr3Of(0);
  const gvas: number[] = [];
  const windows: number[] = [];
  const ptTables = LEVEL_TABLES[tableMode][1]!.map((t) => tables[t]!);
  const world: World = { mode: p.mode, tableMode, entrySize, maxPhyAddr: p.maxPhyAddr, ramEnd, tables, ptTables, data, large, huge, mmio, gvas, windows, cr3Of, cr3 };

  const idxSet = IDX[entrySize];
  const frames = tables.map(() => new Map<number, bigint>());
  const top = tableMode === 'x86-32' ? 2 : tableMode === 'pae' ? 3 : 4;
  const tableFor = (level: number, choice: number): number =>
    choice % 5 === 4 ? choice % POOL : pick(LEVEL_TABLES[tableMode][level]!, Math.floor(choice / 5));
  const frameIndex = (addr: bigint): number => Number((addr - BigInt(TABLE_BASE)) / 4096n);
  const isPoolFrame = (addr: bigint): boolean => addr >= BigInt(TABLE_BASE) && addr < BigInt(TABLE_BASE + POOL * 4096);
  const pdptes = new Map<number, bigint>();

  // Noise first: paths follow the pool pointers they meet, and win where they collide.
  for (const n of p.noise) frames[n.table]!.set(pick(idxSet, n.slot), materializeEntry(world, n.entry));
  for (const path of p.paths) {
    const leafLevel = Math.min(1 + (tableMode === 'x86-64' ? path.large : Math.min(path.large, 1)), top - (tableMode === 'pae' ? 1 : 0));
    let gva = 0;
    let t = 0;
    for (let level = top; level > leafLevel; level--) {
      const k = level - 1;
      let index: number;
      if (tableMode === 'pae' && level === 3) {
        index = path.idx[k]! % 4;
        gva += index * 2 ** 30;
        const have = pdptes.get(index);
        if (have === undefined) {
          const next = tableFor(2, path.tables[k]!);
          pdptes.set(index, BigInt(tables[next]!) | 1n);
          t = next;
        } else t = frameIndex(have & 0xffff_f000n);
        continue;
      }
      index = pick(idxSet, path.idx[k]!);
      gva += index * 2 ** shiftOf(tableMode, level);
      const have = frames[t]!.get(index);
      // Follow an entry an earlier path made (if it points into the pool), else link a new table.
      if (have !== undefined && have & 1n && isPoolFrame(have & 0xffff_f000n) && !(have & 0x80n)) {
        t = frameIndex(have & 0xffff_f000n);
        continue;
      }
      const next = tableFor(level - 1, path.tables[k]!);
      const u = path.upper;
      let v = BigInt(tables[next]!) | 1n | (u.w ? 2n : 0n) | (u.u ? 4n : 0n) | (u.a ? 0x20n : 0n);
      if (entrySize === 8 && u.nx) v |= 1n << 63n;
      frames[t]!.set(index, v);
      t = next;
    }
    const index = pick(idxSet, path.idx[leafLevel - 1]!);
    gva += index * 2 ** shiftOf(tableMode, leafLevel);
    const leafSpec: EntrySpec = leafLevel > 1 ? { ...path.leaf, ps: true, target: { kind: leafLevel === 3 ? 'huge' : 'large', i: path.leaf.target.i } } : path.leaf;
    const leaf = materializeEntry(world, leafSpec);
    frames[t]!.set(index, leaf);
    gvas.push(gva);
    if (leafLevel > 1) gvas.push(gva + 0x1000, gva + 2 ** shiftOf(tableMode, leafLevel) - 0x1000);
    if (leafLevel === 1 && isPoolFrame(leaf & 0xffff_f000n)) windows.push(gva);
  }
  if (tableMode === 'pae') {
    p.pdptes.forEach((d, i) => {
      const v = pdptes.get(i) ?? (d.present ? BigInt(tables[tableFor(2, d.table)]!) | 1n : 0n);
      frames[0]!.set(p.pdptSlot * 4 + i, v);
    });
  }
  // A few untouched neighbours, and with paging off the frames themselves.
  gvas.push(0x7fe0_0000);
  if (p.mode === 'off') gvas.push(...tables, ...data);

  const memory = frames
    .map((entries, t) => ({ t, entries }))
    .filter(({ entries }) => entries.size > 0)
    .map(({ t, entries }) => ({
      gpa: hexOf(tables[t]!),
      entries: Object.fromEntries([...entries].map(([i, v]) => [String(i), hexOf(v)])),
      ...(p.mode === 'off' ? { entrySize: 4 } : {}),
    }));
  const doc = {
    format: 'shadowpaging/v1',
    title: `random ${p.mode} tables`,
    guest: guestJson(p.mode, p, cr3),
    host: hostJson(p),
    memory,
    steps: buildSteps(world, p.steps),
  };
  return { doc, scenario: parseOrThrow(doc), world };
}

const REGIONS: Readonly<Record<PagingMode, readonly number[]>> = {
  'x86-32': [0x0, 0x0040_0000, 0x4000_0000, 0x8000_0000, 0xc000_0000, 0xc040_0000, 0xc060_0000, 0xffc0_0000],
  pae: [0x0, 0x0020_0000, 0x4000_0000, 0x8000_0000, 0xc000_0000, 0xc020_0000, 0x7fe0_0000, 0xffe0_0000],
  'x86-64': [0x0, 0x20_0000, 0x4000_0000, 0x7f_c000_0000, 0x8000_0000_0000, 0xffff_ffe0_0000, 0x8000_4000_0000, 0x0080_0000_0000],
};

const WINDOW_BASE: Readonly<Record<PagingMode, number>> = {
  'x86-32': 0x0080_0000,
  pae: 0x0060_0000,
  'x86-64': 0x0060_0000,
};

const SIZE_BYTES = { '4K': 0x1000, '2M': 0x20_0000, '4M': 0x40_0000, '1G': 0x4000_0000 } as const;

function mappingJson(mode: PagingMode, m: MappingSpec, ramEnd: number, nx: boolean): Record<string, unknown> {
  const bytes = SIZE_BYTES[m.size];
  const gva = REGIONS[mode][m.region]! + m.sub * bytes;
  const gpas =
    m.size === '4K'
      ? [0x50_0000, 0x50_1000, 0x50_2000, 0x50_3000, 0x0, 0x7f_f000, ramEnd, ramEnd + 0x1000]
      : m.size === '1G'
        ? [0x0, 0x4000_0000, 0x8000_0000]
        : [bytes, 2 * bytes, 3 * bytes, 0x0, ramEnd];
  const flags = 'r' + (m.w ? 'w' : '') + (m.u ? 'u' : '') + (m.x ? 'x' : '');
  return {
    gva: gvaText(mode, gva),
    gpa: hexOf(pick(gpas, m.gpa)),
    size: m.size,
    flags,
    ...(mode !== 'x86-32' && nx && m.nx && !m.x ? { nx: true } : {}),
    accessed: m.accessed,
    dirty: m.dirty,
  };
}

const SAFE_MAPPING = { gva: '0x1000', gpa: '0x500000', flags: 'rw' };

/** Parse `doc`, dropping the mapping an error names until it parses (random mappings conflict). */
function parseDroppingBadMappings(doc: Record<string, unknown>): Scenario {
  for (;;) {
    const r = parseScenario(doc);
    if (r.ok) return r.scenario;
    const m = /^mappings\[(\d+)\]/.exec(r.error.path);
    const list = doc.mappings as unknown[];
    const bad = (): Error => new Error(`generator produced an invalid scenario: ${r.error.path}: ${r.error.message}\n${JSON.stringify(doc)}`);
    if (!m) throw bad();
    if (list.length > 1) list.splice(Number(m[1]), 1);
    else if (JSON.stringify(list[0]) !== JSON.stringify(SAFE_MAPPING)) list[0] = { ...SAFE_MAPPING };
    else throw bad();
  }
}

/** Frames the built tables use at level 1 (the mappings builder makes a tree). */
function levelOneTables(s: Scenario, mode: PagingMode): number[] {
  const size = mode === 'x86-32' ? 4 : 8;
  const frames = new Map(s.memory.map((f) => [f.gpa, f]));
  const out = new Set<number>();
  const visit = (gpa: number, level: number, only?: readonly number[]): void => {
    const f = frames.get(gpa);
    if (!f) return;
    for (const [i, v] of f.entries) {
      if (only && !only.includes(i)) continue;
      if (!(v.lo & 1) || (level < (mode === 'pae' ? 3 : 4) && level > 1 && v.lo & 0x80)) continue;
      const child = size === 4 ? v.lo - (v.lo % 4096) : (v.hi & 0xfffff) * 2 ** 32 + (v.lo - (v.lo % 4096));
      if (level === 2) out.add(child);
      else visit(child, level - 1);
    }
  };
  const root = s.guest.cr3 - (s.guest.cr3 % 4096);
  if (mode === 'pae') {
    const first = (s.guest.cr3 % 4096) / 8;
    visit(root, 3, [first, first + 1, first + 2, first + 3]);
  } else visit(root, mode === 'x86-32' ? 2 : 4);
  return out.size ? [...out].sort((x, y) => x - y) : [root];
}

export function buildMappings(p: MappingsPlan): Built {
  const mode = p.mode;
  const ramEnd = p.memoryMiB * 0x10_0000;
  const base: Record<string, unknown> = {
    format: 'shadowpaging/v1',
    title: `random ${mode} mappings`,
    guest: guestJson(mode, p, undefined),
    host: hostJson(p),
    mappings: p.mappings.map((m) => mappingJson(mode, m, ramEnd, p.nx)),
    steps: [],
  };
  const first = parseDroppingBadMappings(base);
  const tableFrames = p.ptWindows ? levelOneTables(first, mode) : first.memory.map((f) => f.gpa);
  const nMappings = (base.mappings as unknown[]).length;
  const windowsJson = p.windows.map((wnd, j) => ({
    gva: gvaText(mode, WINDOW_BASE[mode] + (j * 4 + wnd.slot) * 0x1000),
    gpa: hexOf(pick(tableFrames, wnd.table)),
    flags: 'rw' + (wnd.u ? 'u' : ''),
    dirty: wnd.dirty,
  }));
  // Pin cr3 to the root the first pass allocated, so the table layout stays the same.
  const doc: Record<string, unknown> = { ...base, guest: { ...(base.guest as object), cr3: hexOf(first.guest.cr3) }, mappings: [...(base.mappings as unknown[]), ...windowsJson] };
  const second = parseDroppingBadMappings(doc);
  const kept = doc.mappings as Array<Record<string, unknown>>;
  const tables = second.memory.map((f) => f.gpa);
  const gvas: number[] = [];
  const windows: number[] = [];
  const data: number[] = [];
  const large: number[] = [];
  kept.forEach((m, k) => {
    const gva = Number(BigInt(m.gva as string) & 0xffff_ffff_ffffn);
    const bytes = SIZE_BYTES[(m.size as keyof typeof SIZE_BYTES | undefined) ?? '4K'];
    gvas.push(gva);
    if (bytes > 4096) gvas.push(gva + 0x1000, gva + bytes - 0x1000, gva + bytes / 2);
    if (k < nMappings) (bytes > 4096 ? large : data).push(Number(BigInt(m.gpa as string)));
    else windows.push(gva);
  });
  // Some unmapped neighbours.
  gvas.push(WINDOW_BASE[mode] + 0x10_0000, REGIONS[mode][7]! + 0x5000);
  const lt = largeTargets(mode);
  const align = mode === 'x86-32' ? 0x40_0000 : 0x20_0000;
  const world: World = {
    mode,
    tableMode: mode,
    entrySize: mode === 'x86-32' ? 4 : 8,
    maxPhyAddr: p.maxPhyAddr,
    ramEnd,
    tables,
    ptTables: levelOneTables(second, mode),
    data: data.length ? data : [0x50_0000],
    large: [...large.filter((g) => g % align === 0 && g < 2 ** 32), ...lt.large],
    huge: lt.huge,
    mmio: [ramEnd, ramEnd + 0x1000],
    gvas,
    windows,
    cr3Of: (t) => (mode === 'pae' ? second.guest.cr3 : pick(tables, t)),
    cr3: second.guest.cr3,
  };
  const full = { ...doc, steps: buildSteps(world, p.steps) };
  return { doc: full, scenario: parseOrThrow(full), world };
}

/**
 * Aimed at unsync and resync: 4 KiB mappings packed into two page tables,
 * writable windows onto those page tables, and steps that rewrite PTEs
 * through the windows between accesses, INVLPGs and CR3 reloads.
 */
export function unsyncPlanArb(mode: PagingMode, maxSteps = 30): fc.Arbitrary<MappingsPlan> {
  const packed = mappingArb(mode).map((m) => ({ ...m, size: '4K' as const, region: m.region % 2, w: true }));
  const steps = fc.array(
    fc.oneof(
      { weight: 6, arbitrary: stepArb.filter((x) => x.t === 'access').map((x) => ({ ...x, win: x.op === 'write' ? x.win || x.width < 5 : x.win })) },
      { weight: 2, arbitrary: fc.record({ t: fc.constant('invlpg' as const), gva: fc.nat(1023) }) },
      { weight: 2, arbitrary: fc.record({ t: fc.constant('cr3' as const), same: fc.constant(true), table: fc.nat(15) }) },
      { weight: 1, arbitrary: stepArb },
    ),
    { minLength: Math.min(8, maxSteps), maxLength: maxSteps, size: 'max' },
  );
  return fc
    .record({
      common: commonArb(maxSteps),
      steps,
      mappings: fc.array(packed, { minLength: 3, maxLength: 8, size: 'max' }),
      windows: fc.array(fc.record({ table: fc.nat(15), slot: fc.nat(3), u: chance(80), dirty: chance(80) }), { minLength: 1, maxLength: 2 }),
    })
    .map(({ common, steps, ...rest }) => ({ kind: 'mappings' as const, mode, ...common, steps, ...rest, ptWindows: true }));
}

export function buildPlan(p: Plan): Built {
  return p.kind === 'raw' ? buildRaw(p) : buildMappings(p);
}
