/**
 * The address ruler as data: a step's address cut into the fields the guest's
 * page walk uses, and into the fields KVM's shadow tables use, for every guest
 * paging mode. Pure (no React, no DOM); the component only draws it.
 *
 * The two splits differ because KVM's shadow tables always have 8-byte
 * entries (PAE format for every guest that is not in long mode, 4 levels in
 * long mode: mmu->shadow_root_level, kvm_calc_shadow_mmu_root_page_role),
 * while a 32-bit guest's tables have 1024 4-byte entries. Where a guest table
 * is bigger than a shadow table can cover, the shadow page's role.quadrant
 * says which part it shadows; Documentation/virt/kvm/mmu.rst defines the
 * quadrant only for 4-byte gptes, so quadrant bits are marked only where the
 * shadow pages on the path really have a 4-byte role (`gpteIs8Bytes` false):
 * never for a PAE or long-mode guest, and for paging off only under the rule
 * sets that leave gpte_is_8_bytes clear there (the seed patch; `merged`
 * counts paging off as 8-byte, `before` forces it for direct pages).
 */
import type { GuestMode, GuestTableJson, MachineJson, PageRole, TraceEvent } from '../../core/index.ts';

export type QuadrantKind = 'root' | 'page-table';

/** Bits of a field that pick a quadrant (a part of a 4-byte guest table). */
export interface QuadrantBits {
  readonly kind: QuadrantKind;
  readonly hi: number;
  readonly lo: number;
  /** The address's value in those bits. */
  readonly bits: number;
  /** role.quadrant of the shadow page on the path (null: no page there yet, the bits' value is what a new page gets). */
  readonly role: number | null;
}

export interface RulerField {
  readonly hi: number;
  readonly lo: number;
  /** Plain words ("directory index"). */
  readonly label: string;
  /** The kernel's / the manuals' name ("PDE"), '' when there is none. */
  readonly kernel: string;
  /** The field's value in hex. */
  readonly value: string;
  /** Bits 63:48 of a long-mode address: copies of bit 47, not an index. */
  readonly sign?: boolean;
  readonly quadrant?: QuadrantBits;
}

export interface RulerRow {
  readonly title: string;
  /** A second, smaller title line ("PAE format", "no walk"). */
  readonly subtitle: string;
  readonly fields: readonly RulerField[];
  /** The split as digits, high to low ("10:10:12"); the sign bits are left out; '' with paging off (no walk). */
  readonly split: string;
}

export interface Ruler {
  /** The address in hex, zero-padded; long mode: all 64 bits, sign-extended. */
  readonly address: string;
  /** gva, or gpa with paging off (there is no translation by the guest). */
  readonly kind: 'gva' | 'gpa';
  readonly mode: GuestMode;
  /** The step's own address, or the next access's (on a step that is not one). */
  readonly which: 'this' | 'next';
  /** The step the address belongs to. */
  readonly step: number;
  readonly op: RulerOp;
  readonly guest: RulerRow;
  readonly shadow: RulerRow;
  /** One sentence per quadrant marked; `value` is the address's bits, `quadrant` the role's (the bits' value when no page is there yet). */
  readonly quadrants: readonly { readonly kind: QuadrantKind; readonly value: number; readonly quadrant: number; readonly text: string }[];
  /** Short remarks: what the shadow did, why something is missing. */
  readonly notes: readonly string[];
}

export type RulerOp = 'read' | 'write' | 'fetch' | 'invlpg';

/** A shadow page met on the path for the address, root first. */
export interface ShadowHop {
  readonly sp: number;
  readonly level: number;
  readonly role: Pick<PageRole, 'gpteIs8Bytes' | 'quadrant' | 'direct'>;
}

/** Everything `rulerOf` needs; `rulerInputOf` gathers it from a step's view. */
export interface RulerInput {
  readonly gva: number;
  readonly mode: GuestMode;
  readonly which: 'this' | 'next';
  readonly step: number;
  readonly op: RulerOp;
  /** Size of the guest page the address is in (4 KiB, 2 MiB, 4 MiB, 1 GiB); null when the guest does not map it (or paging is off). */
  readonly guestPageBytes: number | null;
  /** Shadow pages on the path, root first (empty: no root loaded). */
  readonly shadowPath: readonly ShadowHop[];
  /** Level of the shadow leaf spte (1 = 4 KiB, 2 = 2 MiB, 3 = 1 GiB); null when the path has no leaf. */
  readonly shadowLeafLevel: number | null;
  /** Why the shadow path stops, when it has no leaf. */
  readonly shadowStop?: string;
}

export const KiB4 = 4096;
export const MiB2 = 2 ** 21;
export const MiB4 = 2 ** 22;
export const GiB1 = 2 ** 30;

const bitsOf = (v: number, hi: number, lo: number): number => Math.floor(v / 2 ** lo) % 2 ** (hi - lo + 1);
const hx = (n: number): string => '0x' + n.toString(16);

/** The address as the CPU sees it: 8 hex digits in the 32-bit modes, all 16 (bits 63:48 copies of bit 47) in long mode. */
export function addressHex(gva: number, mode: GuestMode): string {
  if (mode !== 'x86-64') return '0x' + gva.toString(16).padStart(8, '0');
  const high = bitsOf(gva, 47, 47) ? 'ffff' : '0000';
  return '0x' + high + gva.toString(16).padStart(12, '0');
}

const PAGE_NAME: Record<number, string> = { [KiB4]: '4 KiB', [MiB2]: '2 MiB', [MiB4]: '4 MiB', [GiB1]: '1 GiB' };
export const pageName = (bytes: number): string => PAGE_NAME[bytes] ?? `${bytes} bytes`;

type Spec = readonly [hi: number, lo: number, label: string, kernel: string];

const offsetSpec = (lo: number, bytes: number): Spec => [lo - 1, 0, bytes === KiB4 ? 'offset in the page' : `offset in the ${pageName(bytes)} page`, 'offset'];

/** The guest walk's fields for a mode and page size (Intel SDM vol. 3, 4.3-4.5). */
function guestSpecs(mode: GuestMode, pageBytes: number): Spec[] {
  if (mode === 'off') return [[31, 0, 'physical address: no guest walk', 'gpa']];
  if (mode === 'x86-32') {
    // 1024 4-byte entries per table: 10 bits an index.
    const pde: Spec = [31, 22, 'directory index', 'PDE'];
    return pageBytes === MiB4 ? [pde, offsetSpec(22, MiB4)] : [pde, [21, 12, 'table index', 'PTE'], offsetSpec(12, KiB4)];
  }
  if (mode === 'pae') {
    const top: Spec[] = [
      [31, 30, 'pointer table index', 'PDPTE'],
      [29, 21, 'directory index', 'PDE'],
    ];
    return pageBytes === MiB2 ? [...top, offsetSpec(21, MiB2)] : [...top, [20, 12, 'table index', 'PTE'], offsetSpec(12, KiB4)];
  }
  return longSpecs(pageBytes === GiB1 ? 3 : pageBytes === MiB2 ? 2 : 1, ['PML4 index', 'pointer table index', 'directory index', 'table index'], ['PML4E', 'PDPTE', 'PDE', 'PTE']);
}

/** 9 bits a level from bit 47 down to the leaf level, then the offset. */
function longSpecs(leafLevel: number, labels: readonly string[], kernel: readonly string[]): Spec[] {
  const out: Spec[] = [];
  for (let level = 4; level >= leafLevel; level--) {
    const lo = 12 + 9 * (level - 1);
    out.push([lo + 8, lo, labels[4 - level]!, kernel[4 - level]!]);
  }
  const lo = 12 + 9 * (leafLevel - 1);
  out.push(offsetSpec(lo, 2 ** lo));
  return out;
}

/** The shadow tables' fields: PAE format (3 levels, 4 pae_root slots) below long mode, 4 levels in it. */
function shadowSpecs(mode: GuestMode, leafLevel: number): Spec[] {
  if (mode === 'x86-64') return longSpecs(leafLevel, ['shadow PML4 index', 'shadow PDPT index', 'shadow PD index', 'shadow PT index'], ['', '', '', '']);
  const out: Spec[] = [[31, 30, 'root slot', 'pae_root index']];
  out.push([29, 21, 'shadow PD index', '']);
  if (leafLevel >= 2) out.push(offsetSpec(21, MiB2));
  else out.push([20, 12, 'shadow PT index', ''], offsetSpec(12, KiB4));
  return out;
}

const splitOf = (specs: readonly Spec[]): string => specs.map(([hi, lo]) => hi - lo + 1).join(':');

function fieldsOf(gva: number, mode: GuestMode, specs: readonly Spec[]): RulerField[] {
  const fields: RulerField[] = specs.map(([hi, lo, label, kernel]) => ({ hi, lo, label, kernel, value: hx(bitsOf(gva, hi, lo)) }));
  if (mode !== 'x86-64') return fields;
  // The 48-bit address the core keeps, sign-extended as the CPU requires (canonical form).
  const sign: RulerField = { hi: 63, lo: 48, label: 'copies of bit 47', kernel: 'sign extension', value: bitsOf(gva, 47, 47) ? '0xffff' : '0x0', sign: true };
  return [sign, ...fields];
}

const ordinalRange = (q: number, per: number): string => `${q * per}-${q * per + per - 1}`;

/**
 * Cuts an address into the guest's and the shadow's fields and marks the
 * quadrant bits that the shadow pages on its path really have.
 */
export function rulerOf(input: RulerInput): Ruler {
  const { gva, mode } = input;
  const notes: string[] = [];
  const quadrants: { kind: QuadrantKind; value: number; quadrant: number; text: string }[] = [];
  const guestBytes = input.guestPageBytes ?? KiB4;
  const guestSpec = guestSpecs(mode, guestBytes);
  const leaf = input.shadowLeafLevel ?? 1;
  const shadowSpec = shadowSpecs(mode, leaf);
  let shadowFields = fieldsOf(gva, mode, shadowSpec);

  // Quadrants: only below long mode (a 4-byte role never happens there), and
  // only for the shadow pages whose role has 4-byte gptes.
  if (mode !== 'x86-64') {
    const first = input.shadowPath[0];
    const root = first && first.level === 2 ? first : undefined;
    const pt = input.shadowPath.find((h) => h.level === 1);
    // With no page there yet, a new one gets what every rule set gives an
    // indirect page of a 32-bit guest: a 4-byte role.
    const rootFour = root ? !root.role.gpteIs8Bytes : input.shadowPath.length === 0 && mode === 'x86-32';
    const ptFour = pt ? !pt.role.gpteIs8Bytes : mode === 'x86-32' && input.guestPageBytes === KiB4 && input.shadowLeafLevel === null;
    const rq = bitsOf(gva, 31, 30);
    const pq = bitsOf(gva, 21, 21);
    if (rootFour) {
      const role = root ? root.role.quadrant : null;
      shadowFields = shadowFields.map((f) => (f.hi === 31 && f.lo === 30 ? { ...f, quadrant: { kind: 'root', hi: 31, lo: 30, bits: rq, role } } : f));
      quadrants.push({
        kind: 'root',
        value: rq,
        quadrant: role ?? rq,
        text: `root quadrant ${rq} (bits 31:30): pae_root[${rq}]${root ? ` = sp ${root.sp}` : ''}, ${mode === 'off' ? `gpa ${hx(rq * GiB1)}-${hx((rq + 1) * GiB1 - 1)}` : `guest PDEs ${ordinalRange(rq, 256)}`}`,
      });
      if (root && role !== rq) notes.push(`sp ${root.sp}'s role says q${role}, bits 31:30 say ${rq}`);
    }
    if (ptFour && leaf === 1) {
      const role = pt ? pt.role.quadrant : null;
      shadowFields = shadowFields.map((f) => (f.hi === 29 && f.lo === 21 ? { ...f, quadrant: { kind: 'page-table', hi: 21, lo: 21, bits: pq, role } } : f));
      const covers = pt?.role.direct || mode === 'off' ? `the ${pq ? 'upper' : 'lower'} 2 MiB` : `guest PTEs ${ordinalRange(pq, 512)}`;
      quadrants.push({
        kind: 'page-table',
        value: pq,
        quadrant: role ?? pq,
        text: `page-table quadrant ${pq} (bit 21): ${pt ? `sp ${pt.sp}${pt.role.direct ? ' (direct)' : ''}, ${covers}` : 'no shadow PT yet'}`,
      });
      if (pt && role !== pq) notes.push(`sp ${pt.sp}'s role says q${role}, bit 21 says ${pq}`);
    }
  }

  // What the shadow did for this address.
  const last = input.shadowPath[input.shadowPath.length - 1];
  if (input.shadowLeafLevel !== null && last) {
    const size = pageName(2 ** (12 + 9 * (input.shadowLeafLevel - 1)));
    notes.unshift(`shadow: a ${size} spte in sp ${last.sp}${last.role.direct ? ' (direct)' : ''}`);
  } else if (input.shadowStop) notes.unshift(input.shadowStop);
  if (mode === 'off') notes.push('paging off: direct pages map gpa = gva');
  else if (input.guestPageBytes === null) notes.push('the guest tables do not map it');
  else if (input.guestPageBytes > KiB4) notes.push(`a ${pageName(input.guestPageBytes)} guest page`);

  return {
    address: addressHex(gva, mode),
    kind: mode === 'off' ? 'gpa' : 'gva',
    mode,
    which: input.which,
    step: input.step,
    op: input.op,
    guest: {
      title: 'guest',
      subtitle: mode === 'off' ? 'paging off: no walk' : mode === 'x86-32' ? '4-byte entries' : mode === 'pae' ? 'PAE, 8-byte' : 'long mode',
      fields: fieldsOf(gva, mode, guestSpec),
      split: mode === 'off' ? '' : splitOf(guestSpec),
    },
    shadow: {
      title: 'shadow',
      subtitle: mode === 'x86-64' ? '4 levels' : 'PAE format',
      fields: shadowFields,
      split: splitOf(shadowSpec),
    },
    quadrants,
    notes,
  };
}

// --- gathering the input from a step's state -------------------------------

/** Bytes a guest leaf at `level` maps in `mode`. */
export function guestLeafBytes(mode: GuestMode, level: number): number {
  if (level <= 1) return KiB4;
  if (mode === 'x86-32') return MiB4;
  return level === 2 ? MiB2 : GiB1;
}

/** The guest walk in the tables the view shows (for a step with no walk of its own, e.g. a hit). */
function guestPageFromTables(mode: GuestMode, tables: readonly GuestTableJson[], gva: number): number | null {
  const root = tables[0];
  if (!root) return null;
  const byKey = new Map(tables.map((t) => [`${t.gfn}:${t.level}`, t]));
  const four = mode === 'x86-32';
  let table: GuestTableJson | undefined = root;
  while (table) {
    const lo = four ? 12 + 10 * (table.level - 1) : 12 + 9 * (table.level - 1);
    const width = four ? 10 : mode === 'pae' && table.level === 3 ? 2 : 9;
    const index = bitsOf(gva, lo + width - 1, lo);
    const e = table.entries.find((x) => x.index === index);
    if (!e || e.flags === 'not present') return null;
    if (e.leaf) return e.pageBytes;
    table = byKey.get(`${e.target}:${table.level - 1}`);
  }
  return null;
}

/** The shadow tables' path for `gva` in a state, as the CPU would walk it. */
export function shadowPathOf(machine: MachineJson, gva: number): { path: ShadowHop[]; leafLevel: number | null; stop?: string } {
  const path: ShadowHop[] = [];
  const byId = new Map(machine.shadowPages.map((sp) => [sp.id, sp]));
  let id: number | null | undefined;
  if (machine.roots.length === 4) {
    const i = bitsOf(gva, 31, 30);
    id = machine.roots[i];
    if (id == null) return { path, leafLevel: null, stop: `pae_root[${i}] is invalid (the guest's PDPTE ${i} is not present)` };
  } else if (machine.roots.length === 1) id = machine.roots[0];
  if (id == null) return { path, leafLevel: null, stop: 'no shadow root loaded' };
  for (let guard = 0; guard < 5; guard++) {
    const sp = byId.get(id);
    if (!sp) return { path, leafLevel: null, stop: `sp ${id} is gone` };
    path.push({ sp: sp.id, level: sp.role.level, role: sp.role });
    const index = bitsOf(gva, 12 + 9 * sp.role.level - 1, 12 + 9 * (sp.role.level - 1));
    const e = sp.sptes.find((s) => s.index === index);
    if (!e) return { path, leafLevel: null, stop: `shadow: no entry at level ${sp.role.level} (sp ${sp.id}[${index}])` };
    if (e.child !== undefined) {
      id = e.child;
      continue;
    }
    if (e.mmio) return { path, leafLevel: null, stop: `shadow: an MMIO spte in sp ${sp.id}` };
    if (e.gfn !== undefined) return { path, leafLevel: sp.role.level };
    return { path, leafLevel: null, stop: `shadow: no mapping at level ${sp.role.level} (sp ${sp.id}[${index}])` };
  }
  return { path, leafLevel: null };
}

/** The ruler's input from the state after the step whose address it is, and that step's events. */
export function rulerInputOf(
  at: { readonly gva: number; readonly which: 'this' | 'next'; readonly step: number; readonly op: RulerOp },
  view: { readonly machine: MachineJson; readonly guest: readonly GuestTableJson[]; readonly events: readonly TraceEvent[] },
): RulerInput {
  const mode = view.machine.mode;
  let guestPageBytes: number | null = null;
  if (mode !== 'off') {
    // The walk KVM did in this step (FNAME(walk_addr_generic)) is the truth
    // for this access; a hit has none, so the guest tables stand in.
    const walk = view.events.find((e) => e.kind === 'sim_walk_result');
    guestPageBytes = walk ? guestLeafBytes(mode, walk.level) : guestPageFromTables(mode, view.guest, at.gva);
  }
  const { path, leafLevel, stop } = shadowPathOf(view.machine, at.gva);
  return { ...at, mode, guestPageBytes, shadowPath: path, shadowLeafLevel: leafLevel, shadowStop: stop };
}
