/**
 * The words the captions are made of: addresses in the guest's own width,
 * #PF error codes in plain words, shadow pages and what they cover. Pure and
 * cheap (called on every step change); no React, no DOM.
 */
import type { GuestMode, RoleJson } from '../../core/index.ts';
import { addressHex } from '../layout/ruler.ts';

/** A guest-virtual address as the guest sees it (8 hex digits, or 16 in canonical form in long mode): the ruler's. */
export const gvaText = addressHex;

/** A gva from a trace event (a hex string of the stored bits 47:0) in the guest's width. */
export const gvaOf = (hexText: string, mode: GuestMode): string => gvaText(parseInt(hexText, 16), mode);

export type Access = 'read' | 'write' | 'fetch';

/** Why a present page refused an access (from the bits of the entry the CPU or KVM checked). */
export type Refusal = 'supervisor-only' | 'read-only' | 'no-execute' | 'smep' | 'smap';

/** The PFERR_* bits in words. */
const EC_BITS: ReadonlyArray<readonly [bit: number, name: string]> = [
  [1, 'P'],
  [2, 'W'],
  [4, 'U'],
  [8, 'RSVD'],
  [16, 'I/D'],
];

const REFUSAL_WORDS: Record<Refusal, string> = {
  'supervisor-only': 'a present supervisor-only page',
  'read-only': 'a present read-only page',
  'no-execute': 'a present no-execute page',
  smep: 'a present user page (SMEP: the kernel may not run user code)',
  smap: 'a present user page (SMAP: the kernel may not touch user data)',
};

/**
 * A #PF error code in words, then its bits: "user-mode write to a present
 * read-only page: P=1 W=1 U=1 = 0x7". The bits (SDM vol. 3 4.7; KVM's
 * PFERR_*_MASK): P = the page was present (a protection fault) or not (0);
 * W = a write (else a read); U = in user mode (else the kernel's); RSVD = an
 * entry had reserved bits set; I/D = an instruction fetch. `why` (known from
 * the entries walked) says which protection refused it; without it a present
 * page is just "a present page that forbids it".
 */
export function errorCodeWords(ec: number, why?: Refusal): string {
  const who = ec & 4 ? 'user-mode' : 'supervisor';
  const what = ec & 16 ? 'instruction fetch from' : ec & 2 ? 'write to' : 'read of';
  let where: string;
  if (ec & 8) where = 'an entry with reserved bits set';
  else if (ec & 1) where = why ? REFUSAL_WORDS[why] : 'a present page that forbids it';
  else where = 'a not-present page';
  const bits = EC_BITS.filter(([b, n]) => n === 'P' || ec & b).map(([b, n]) => `${n}=${ec & b ? 1 : 0}`);
  return `${who} ${what} ${where}: ${bits.join(' ')} = 0x${ec.toString(16)}`;
}

/**
 * Which protection of a present leaf refused an access, in the order the
 * CPU's permission check (and KVM's permission_fault) would name it. W, U and
 * NX are bits 1, 2 and 63 of an 8-byte entry (bit 63 absent from 4-byte ones).
 */
export function refusalOf(access: Access, user: boolean, bits: { w: boolean; u: boolean; nx: boolean }): Refusal {
  if (user && !bits.u) return 'supervisor-only';
  if (access === 'write' && !bits.w) return 'read-only';
  if (access === 'fetch' && bits.nx) return 'no-execute';
  if (access === 'fetch' && !user && bits.u) return 'smep';
  return 'smap';
}

/** W, U, NX of an entry given as a hex string. */
export function entryBits(hexText: string): { w: boolean; u: boolean; nx: boolean; present: boolean; dirty: boolean } {
  const digits = hexText.replace(/^0x/, '');
  const lo = parseInt(digits.slice(-8) || '0', 16);
  const hi = digits.length > 8 ? parseInt(digits.slice(0, -8), 16) : 0;
  return { present: (lo & 1) !== 0, w: (lo & 2) !== 0, u: (lo & 4) !== 0, dirty: (lo & 0x40) !== 0, nx: (hi & 0x80000000) !== 0 };
}

/** A table at a level, by its x86 name (level 1 = PT ... level 4 = PML4). */
export const TABLE_NAME: Record<number, string> = { 1: 'PT', 2: 'PD', 3: 'PDPT', 4: 'PML4' };
export const tableName = (level: number): string => TABLE_NAME[level] ?? `level-${level} table`;

/** Bytes as KiB/MiB/GiB/TiB. */
function size(bytes: number): string {
  const units: ReadonlyArray<readonly [number, string]> = [
    [2 ** 40, 'TiB'],
    [2 ** 30, 'GiB'],
    [2 ** 20, 'MiB'],
    [2 ** 10, 'KiB'],
  ];
  for (const [u, n] of units) if (bytes >= u) return `${bytes / u} ${n}`;
  return `${bytes} bytes`;
}

const hexNum = (n: number) => `0x${n.toString(16)}`;

/**
 * What a shadow page's quadrant covers, or null where there are no quadrants.
 * Only a page that shadows a table of 4-byte entries (a 32-bit non-PAE guest)
 * has them (mmu.rst "role.quadrant"; kvm_mmu_get_page): a guest PT's 1024
 * PTEs are split over two shadow PTs of 512, a guest PD's 1024 PDEs over four
 * shadow PDs of 256 (1 GiB each). Direct pages have no guest table.
 */
export function quadrantCover(role: RoleJson): string | null {
  if (role.direct || role.gpteIs8Bytes) return null;
  const q = role.quadrant;
  if (role.level === 1) return `quadrant ${q}: it covers guest PTEs ${q * 512}-${q * 512 + 511}`;
  if (role.level === 2) return `quadrant ${q}: it covers guest PDEs ${q * 256}-${q * 256 + 255} (${hexNum(q * 2 ** 30)}-${hexNum((q + 1) * 2 ** 30 - 1)})`;
  return null;
}

/**
 * One shadow page in a few words, with the guest table it shadows: "shadow PT
 * sp 5 for guest PT gfn 0x4, quadrant 1: it covers guest PTEs 512-1023". A
 * direct page shadows no guest table: it maps a range of guest frames one to
 * one (a guest huge page, or all memory when paging is off).
 */
export function pageWords(sp: number, gfn: string, role: RoleJson, paging: boolean, withCover = true): string {
  if (role.direct) {
    const frames = 512 ** role.level;
    const first = parseInt(gfn, 16);
    const range = `gfn ${gfn}-${hexNum(first + frames - 1)}`;
    const why = paging ? ` (${size(frames * 4096)} of a guest huge page, which has no guest table)` : `: ${size(frames * 4096)} of guest memory mapped one to one`;
    return `direct shadow ${tableName(role.level)} sp ${sp} for ${range}${why}`;
  }
  const cover = withCover ? quadrantCover(role) : null;
  return `shadow ${tableName(role.level)} sp ${sp} for guest ${tableName(role.level)} gfn ${gfn}${cover ? `, ${cover}` : ''}`;
}

/** "sp 1-4" for consecutive ids, else "sp 1, 3, 7". */
export function spList(unsorted: readonly number[]): string {
  const ids = [...new Set(unsorted)].sort((a, b) => a - b);
  if (ids.length === 0) return '';
  if (ids.length === 1) return `sp ${ids[0]}`;
  const consecutive = ids.every((id, i) => i === 0 || id === ids[i - 1]! + 1);
  if (consecutive) return `sp ${ids[0]}-${ids[ids.length - 1]}`;
  if (ids.length > 6) return `sp ${ids.slice(0, 5).join(', ')} ... ${ids[ids.length - 1]}`;
  return `sp ${ids.join(', ')}`;
}

/** "a, b and c". */
export const list = (xs: readonly string[]): string => (xs.length <= 1 ? (xs[0] ?? '') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`);

export const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** Sentence case. */
export const cap = (s: string): string => (!s || /^(sp \d|pae_root|prev_roots|gfn )/.test(s) ? s : s.charAt(0).toUpperCase() + s.slice(1));

/** Shadow entries as "sp 6 entries 48, 49, 50 and sp 7 entry 1". */
export function entriesText(refs: ReadonlyArray<{ readonly sp: number; readonly index: number }>, max = 6): string {
  const bySp = new Map<number, number[]>();
  for (const r of refs) bySp.set(r.sp, [...(bySp.get(r.sp) ?? []), r.index]);
  return list(
    [...bySp].map(([sp, idx]) => {
      const shown = idx.length > max ? `${idx.slice(0, max).join(', ')}, ...` : idx.join(', ');
      return `sp ${sp} entr${idx.length === 1 ? 'y' : 'ies'} ${shown}`;
    }),
  );
}

/** The access as a verb phrase: reads / writes / fetches. */
export const VERB: Record<Access, string> = { read: 'reads', write: 'writes', fetch: 'runs code at' };
export const NOUN: Record<Access, string> = { read: 'read', write: 'write', fetch: 'instruction fetch' };

export const MODE_WORDS: Record<GuestMode, string> = {
  'x86-32': 'in 32-bit paging (4-byte entries, 2 levels)',
  pae: 'in PAE paging (8-byte entries, 3 levels)',
  'x86-64': 'in long mode (8-byte entries, 4 levels)',
  off: 'with paging off (addresses are guest-physical)',
};

/** kvm_mmu_prepare_zap_page reasons (as the core emits them) in plain words. */
export const ZAP_WORDS: Record<string, string> = {
  'write flooding': 'write flooding: its guest table was written 3 times with no use of the page in between, so KVM guesses it is no longer a page table',
  'misaligned write': 'a misaligned write: it is not one whole guest entry, so KVM cannot tell what changed',
  'FNAME(sync_page) found no present entry': 'its guest table has no present entry left',
  'unsync child of a zapped page': 'an unsync child of a zapped page',
  'kvm_mmu_zap_all': 'zap-all',
  'recycled: kvm_mmu_zap_oldest_mmu_pages': 'too many shadow pages: the oldest are recycled',
  'last reference to an invalid root dropped': 'an obsolete root nobody uses any more',
  'unsync page of a gfn becoming an upper-level table': 'its gfn became an upper-level table, which may not be unsync',
};
