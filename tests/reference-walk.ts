/**
 * An independent reference model of the x86 guest page walk, written from the
 * Intel SDM (vol. 3A, chapter 4 "Paging"), for checking the simulator.
 *
 * It reads only the guest's memory and control registers, never the core's
 * walker. It is deliberately naive: BigInt arithmetic, one mode at a time, no
 * A/D updates (it is a pure function of the machine state).
 *
 *  - 32-bit paging (CR0.PG=1, CR4.PAE=0): 4-byte entries, 10/10/12 split,
 *    4 MiB pages when CR4.PSE=1 and PDE.PS=1 (PSE-36: PDE bits (M'-20):13 are
 *    gpa bits (M'-1):32, with M' = min(MAXPHYADDR, 40); bits 21:(M'-19) are
 *    reserved). Without CR4.PSE, PDE.PS is ignored. No reserved bits otherwise
 *    and no XD bit at all.
 *  - PAE paging (CR4.PAE=1, not long mode): the four PDPTEs are registers
 *    (loaded at MOV CR3), so they are taken from `cpu.pdptrs`, not memory.
 *    PDPTEs carry no access rights. PDE/PTE: bits 62:M reserved, bit 63
 *    reserved unless EFER.NXE, a 2 MiB PDE also reserves bits 20:13.
 *  - 4-level paging (EFER.LMA): bits 51:M reserved (62:52 are ignored without
 *    CR4.PKE), bit 63 reserved unless EFER.NXE, PML4E.PS reserved, 1 GiB
 *    PDPTE reserves 29:13, 2 MiB PDE reserves 20:13.
 *
 * Rights: R/W and U/S are ANDed over every level used (PDPTE registers
 * excluded in PAE mode), XD is ORed (only when EFER.NXE, only in 8-byte
 * formats). Permission rules (SDM 4.6): user accesses need U everywhere, W for
 * writes, no XD for fetches; supervisor writes need W only when CR0.WP=1;
 * SMEP forbids supervisor fetches from user pages; SMAP forbids supervisor
 * data accesses to user pages unless EFLAGS.AC=1.
 *
 * Two points are KVM's rather than the SDM's, because the simulator models KVM:
 *  - a paging-structure frame outside guest RAM (no memslot) ends the walk
 *    with a not-present fault (KVM cannot read it); the SDM has no such case;
 *  - the error code's I/D bit: `errorCodeFlavor: 'kvm'` (default) sets it for
 *    any fetch when EFER.NXE or CR4.SMEP (KVM 5.15), `'sdm'` only when CR4.SMEP,
 *    or CR4.PAE and EFER.NXE.
 *
 * One more KVM divergence is available as an option: KVM 5.15 treats every
 * 4 MiB PDE as if MAXPHYADDR were 36 (is_cpuid_PSE36() is always true: bits
 * 17-21 reserved, only 16:13 are address bits 35:32), whatever the guest's
 * MAXPHYADDR. `pse36: 'kvm'` walks that way; the default `'sdm'` does not.
 */
import type { Machine } from '../src/core/index.ts';

/** Just what the reference needs from a machine. */
export interface RefEnv {
  readonly cpu: {
    readonly cr0: { readonly pg: boolean; readonly wp: boolean };
    readonly cr3: number;
    readonly cr4: { readonly pse: boolean; readonly pae: boolean; readonly smep: boolean; readonly smap: boolean };
    readonly efer: { readonly lme: boolean; readonly nx: boolean };
    readonly pdptrs: ReadonlyArray<{ readonly lo: number; readonly hi: number }>;
    readonly maxPhyAddr: number;
  };
  readonly mem: { readEntry(gpa: number, size: 4 | 8): { readonly lo: number; readonly hi: number } };
  /** Guest RAM size in 4 KiB frames (one memslot from gpa 0). */
  readonly ramFrames: number;
}

export const envOf = (m: Machine): RefEnv => ({ cpu: m.cpu, mem: m.mem, ramFrames: m.host.config.memslotFrames });

export type RefMode = 'off' | 'x86-32' | 'pae' | 'x86-64';

export function refMode(cpu: RefEnv['cpu']): RefMode {
  if (!cpu.cr0.pg) return 'off';
  if (cpu.efer.lme) return 'x86-64'; // EFER.LMA = LME && PG
  return cpu.cr4.pae ? 'pae' : 'x86-32';
}

export interface RefTranslation {
  readonly ok: true;
  readonly gpa: number;
  /** U/S=1 at every level. */
  readonly user: boolean;
  /** R/W=1 at every level. */
  readonly writable: boolean;
  /** No XD at any level (always true without EFER.NXE or in 32-bit paging). */
  readonly executable: boolean;
  /** Level of the leaf entry (1 = 4 KiB PTE); 0 with paging off. */
  readonly level: number;
  readonly pageBytes: number;
}

export interface RefNoTranslation {
  readonly ok: false;
  readonly reason: 'not-present' | 'reserved' | 'table-not-ram';
  readonly level: number;
}

export type RefWalk = RefTranslation | RefNoTranslation;

export interface RefAccess {
  readonly op: 'read' | 'write' | 'fetch';
  readonly user: boolean;
  /** EFLAGS.AC (only matters for supervisor data accesses under SMAP). */
  readonly ac?: boolean;
}

export type RefAccessResult =
  | { readonly ok: true; readonly gpa: number; readonly translation: RefTranslation }
  | { readonly ok: false; readonly errorCode: number; readonly why: string };

const bit = (n: number): bigint => 1n << BigInt(n);
/** Bits lo..hi inclusive (empty when hi < lo). */
export const bitRange = (lo: number, hi: number): bigint => (hi < lo ? 0n : ((1n << BigInt(hi - lo + 1)) - 1n) << BigInt(lo));

const P = bit(0);
const RW = bit(1);
const US = bit(2);
const PS = bit(7);
const XD = bit(63);

export const PF_P = 1;
export const PF_W = 2;
export const PF_U = 4;
export const PF_RSVD = 8;
export const PF_ID = 16;

export const u64ToBig = (v: { readonly lo: number; readonly hi: number }): bigint => (BigInt(v.hi >>> 0) << 32n) | BigInt(v.lo >>> 0);

export interface RefOptions {
  /** How a 4 MiB PDE's PSE-36 bits are read (see the header). */
  readonly pse36?: 'sdm' | 'kvm';
}

/** Translate `gva` (a number below 2^32, or below 2^48 in long mode) with the machine's current state. */
export function referenceWalk(env: RefEnv, gva: number, opts: RefOptions = {}): RefWalk {
  const c = env.cpu;
  if (!c.cr0.pg) return { ok: true, gpa: gva, user: true, writable: true, executable: true, level: 0, pageBytes: 4096 };
  const va = BigInt(gva);
  const inRam = (gpa: bigint): boolean => gpa >> 12n < BigInt(env.ramFrames);
  const read = (gpa: bigint, size: 4 | 8): bigint => u64ToBig(env.mem.readEntry(Number(gpa), size));
  const notPresent = (level: number, reason: RefNoTranslation['reason'] = 'not-present'): RefNoTranslation => ({ ok: false, reason, level });
  const reserved = (level: number): RefNoTranslation => ({ ok: false, reason: 'reserved', level });

  if (!c.cr4.pae) {
    // 32-bit paging.
    const pd = BigInt(c.cr3) & 0xffff_f000n;
    if (!inRam(pd)) return notPresent(2, 'table-not-ram');
    const pde = read(pd + ((va >> 22n) & 0x3ffn) * 4n, 4);
    if (!(pde & P)) return notPresent(2);
    if (pde & PS && c.cr4.pse) {
      const m = opts.pse36 === 'kvm' ? 36 : Math.min(c.maxPhyAddr, 40);
      if (pde & bitRange(m - 19, 21)) return reserved(2);
      const high = (pde >> 13n) & bitRange(0, m - 33);
      const gpa = (pde & 0xffc0_0000n) | (high << 32n) | (va & 0x3f_ffffn);
      return { ok: true, gpa: Number(gpa), user: !!(pde & US), writable: !!(pde & RW), executable: true, level: 2, pageBytes: 4 << 20 };
    }
    const pt = pde & 0xffff_f000n;
    if (!inRam(pt)) return notPresent(1, 'table-not-ram');
    const pte = read(pt + ((va >> 12n) & 0x3ffn) * 4n, 4);
    if (!(pte & P)) return notPresent(1);
    const gpa = (pte & 0xffff_f000n) | (va & 0xfffn);
    return { ok: true, gpa: Number(gpa), user: !!(pde & pte & US), writable: !!(pde & pte & RW), executable: true, level: 1, pageBytes: 4096 };
  }

  const M = c.maxPhyAddr;
  const addrMask = bitRange(12, M - 1);
  const long = c.efer.lme;
  const nxe = c.efer.nx;
  let level: number;
  let table: bigint;
  if (!long) {
    // PAE: the PDPTE registers.
    const pdpte = u64ToBig(c.pdptrs[Number((va >> 30n) & 3n)] ?? { lo: 0, hi: 0 });
    if (!(pdpte & P)) return notPresent(3);
    if (pdpte & (bitRange(1, 2) | bitRange(5, 8) | bitRange(M, 63))) return reserved(3);
    table = pdpte & addrMask;
    level = 2;
  } else {
    table = BigInt(c.cr3) & addrMask;
    level = 4;
  }
  const highReserved = long ? bitRange(M, 51) : bitRange(M, 62);
  let user = true;
  let writable = true;
  let executable = true;
  for (;;) {
    if (!inRam(table)) return notPresent(level, 'table-not-ram');
    const shift = 12 + 9 * (level - 1);
    const e = read(table + ((va >> BigInt(shift)) & 511n) * 8n, 8);
    if (!(e & P)) return notPresent(level);
    let rsvd = highReserved | (nxe ? 0n : XD);
    const large = level > 1 && !!(e & PS);
    if (level === 4) rsvd |= PS;
    else if (large) rsvd |= bitRange(13, shift - 1);
    if (e & rsvd) return reserved(level);
    user &&= !!(e & US);
    writable &&= !!(e & RW);
    if (nxe && e & XD) executable = false;
    if (level === 1 || large) {
      const offset = bitRange(0, shift - 1);
      const gpa = (e & addrMask & ~offset) | (va & offset);
      return { ok: true, gpa: Number(gpa), user, writable, executable, level, pageBytes: 2 ** shift };
    }
    table = e & addrMask;
    level--;
  }
}

/** Does the SDM allow this access on a page with these rights, in the current CPU state? */
export function permits(cpu: RefEnv['cpu'], t: RefTranslation, a: RefAccess): boolean {
  if (!cpu.cr0.pg) return true;
  const write = a.op === 'write';
  const fetch = a.op === 'fetch';
  if (a.user) {
    if (!t.user) return false;
    if (write && !t.writable) return false;
    if (fetch && !t.executable) return false;
    return true;
  }
  if (fetch) {
    if (!t.executable) return false;
    if (t.user && cpu.cr4.smep) return false;
    return true;
  }
  if (t.user && cpu.cr4.smap && !(a.ac ?? false)) return false;
  if (write && !t.writable && cpu.cr0.wp) return false;
  return true;
}

/** The full access: walk, permission check, #PF error code. */
export function referenceAccess(env: RefEnv, gva: number, a: RefAccess, errorCodeFlavor: 'kvm' | 'sdm' = 'kvm', opts: RefOptions = {}): RefAccessResult {
  const w = referenceWalk(env, gva, opts);
  let code: number;
  let why: string;
  if (w.ok) {
    if (permits(env.cpu, w, a)) return { ok: true, gpa: w.gpa, translation: w };
    code = PF_P;
    why = 'permission';
  } else if (w.reason === 'reserved') {
    code = PF_P | PF_RSVD;
    why = `reserved bit at level ${w.level}`;
  } else {
    code = 0;
    why = `${w.reason} at level ${w.level}`;
  }
  const c = env.cpu;
  if (a.op === 'write') code |= PF_W;
  if (a.user) code |= PF_U;
  if (a.op === 'fetch') {
    const id = errorCodeFlavor === 'kvm' ? c.efer.nx || c.cr4.smep : c.cr4.smep || (c.cr4.pae && c.efer.nx);
    if (id) code |= PF_ID;
  }
  return { ok: false, errorCode: code, why };
}
