/**
 * The reference walk itself, on hand-built memory (no simulator involved):
 * worked examples from the SDM and the project notes, reserved bits,
 * permission rules and error codes.
 */
import { describe, expect, it } from 'vitest';
import { PF_ID, PF_P, PF_RSVD, PF_U, PF_W, referenceAccess, type RefEnv, referenceWalk } from './reference-walk.ts';

type Cpu = RefEnv['cpu'];

function env(mode: 'off' | 'x86-32' | 'pae' | 'x86-64', entries: Record<number, bigint>, over: Partial<Omit<Cpu, 'cr0' | 'cr4' | 'efer'>> & { wp?: boolean; pse?: boolean; smep?: boolean; smap?: boolean; nx?: boolean } = {}, ramFrames = 0x10_0000): RefEnv {
  const mem = new Map<number, bigint>();
  for (const [gpa, v] of Object.entries(entries)) mem.set(Number(gpa), v);
  const cpu: Cpu = {
    cr0: { pg: mode !== 'off', wp: over.wp ?? true },
    cr3: over.cr3 ?? 0x1000,
    cr4: { pse: over.pse ?? true, pae: mode === 'pae' || mode === 'x86-64', smep: over.smep ?? false, smap: over.smap ?? false },
    efer: { lme: mode === 'x86-64', nx: over.nx ?? false },
    pdptrs: over.pdptrs ?? [
      { lo: 0, hi: 0 },
      { lo: 0, hi: 0 },
      { lo: 0, hi: 0 },
      { lo: 0, hi: 0 },
    ],
    maxPhyAddr: over.maxPhyAddr ?? 40,
  };
  return {
    cpu,
    ramFrames,
    mem: {
      readEntry(gpa: number, size: 4 | 8) {
        // Entries are stored at their own gpa; a 4-byte read of an 8-byte slot is not needed here.
        const v = mem.get(gpa) ?? 0n;
        const w = size === 4 ? v & 0xffff_ffffn : v;
        return { lo: Number(w & 0xffff_ffffn), hi: Number(w >> 32n) };
      },
    },
  };
}

const reg = (v: bigint): { lo: number; hi: number } => ({ lo: Number(v & 0xffff_ffffn), hi: Number(v >> 32n) });

describe('32-bit paging', () => {
  // Notes §3.4: GVA 0xC0403123, PDE 769, PTE 3.
  const tables = { [0x1000 + 769 * 4]: 0x3007n, [0x3000 + 3 * 4]: 0x5007n, [0x3000 + 515 * 4]: 0x6005n };

  it('walks PDE 769 / PTE 3 of the worked example', () => {
    expect(referenceWalk(env('x86-32', tables), 0xc040_3123)).toEqual({ ok: true, gpa: 0x5123, user: true, writable: true, executable: true, level: 1, pageBytes: 4096 });
    const second = referenceWalk(env('x86-32', tables), 0xc060_3123);
    expect(second).toMatchObject({ ok: true, gpa: 0x6123, writable: false, user: true });
  });

  it('ANDs R/W and U/S over the PDE and the PTE', () => {
    const e = env('x86-32', { [0x1000]: 0x3003n, [0x3000]: 0x5007n, [0x3004]: 0x6005n });
    expect(referenceWalk(e, 0x0)).toMatchObject({ ok: true, user: false, writable: true });
    expect(referenceWalk(e, 0x1000)).toMatchObject({ ok: true, user: false, writable: false });
  });

  it('maps a 4 MiB page with CR4.PSE and ignores PS without it', () => {
    const t = { [0x1000 + 769 * 4]: 0x1240_0087n };
    expect(referenceWalk(env('x86-32', t), 0xc040_3123)).toMatchObject({ ok: true, gpa: 0x1240_3123, level: 2, pageBytes: 4 << 20 });
    // Without PSE the PDE points at a page table at 0x12400000 (all zeros: not present).
    expect(referenceWalk(env('x86-32', t, { pse: false }), 0xc040_3123)).toEqual({ ok: false, reason: 'not-present', level: 1 });
  });

  it('PSE-36: PDE bits 20:13 are gpa bits 39:32 (MAXPHYADDR 40), bit 21 is reserved', () => {
    const e = (pde: bigint, maxPhyAddr = 40): RefEnv => env('x86-32', { [0x1000]: pde }, { maxPhyAddr });
    expect(referenceWalk(e(0x0040_2083n), 0x1234)).toMatchObject({ ok: true, gpa: 0x1_0040_1234 });
    expect(referenceWalk(e(0x0042_2083n), 0x0)).toMatchObject({ ok: true, gpa: 0x11_0040_0000 });
    expect(referenceWalk(e(0x0060_0083n), 0x0)).toEqual({ ok: false, reason: 'reserved', level: 2 });
    // MAXPHYADDR 36: only bits 16:13 are address bits, 21:17 reserved.
    expect(referenceWalk(e(0x0042_0083n, 36), 0x0)).toEqual({ ok: false, reason: 'reserved', level: 2 });
    expect(referenceWalk(e(0x0041_e083n, 36), 0x0)).toMatchObject({ ok: true, gpa: 0xf_0040_0000 });
  });

  it('has no XD bit and no reserved bits in 4 KiB entries', () => {
    const e = env('x86-32', { [0x1000]: 0xffff_f007n, [0xffff_f000]: 0xffff_ffffn }, { nx: true });
    expect(referenceWalk(e, 0x123)).toMatchObject({ ok: true, gpa: 0xffff_f123, executable: true });
  });

  it('a table frame outside guest RAM ends the walk as not present (KVM)', () => {
    const e = env('x86-32', { [0x1000]: 0x0800_0007n }, {}, 0x1000);
    expect(referenceWalk(e, 0x0)).toEqual({ ok: false, reason: 'table-not-ram', level: 1 });
  });
});

describe('PAE paging', () => {
  const pd = 0x2000;
  const pt = 0x3000;
  const base = { [pd + 1 * 8]: BigInt(pt) | 0x7n, [pt + 2 * 8]: 0x5067n | (1n << 63n), [pd + 3 * 8]: 0x60_0087n };

  it('takes the PDPTE from the registers, not from memory', () => {
    const pdptrs = [reg(BigInt(pd) | 1n), reg(0n), reg(0n), reg(0n)];
    const e = env('pae', { ...base, [0x1000]: 0n }, { pdptrs, nx: true });
    expect(referenceWalk(e, 0x20_2abc)).toMatchObject({ ok: true, gpa: 0x5abc, executable: false, user: true, writable: true });
    expect(referenceWalk(e, 0x4000_0000)).toEqual({ ok: false, reason: 'not-present', level: 3 });
  });

  it('maps 2 MiB pages and reserves bits 20:13 in them', () => {
    const pdptrs = [reg(BigInt(pd) | 1n), reg(0n), reg(0n), reg(0n)];
    expect(referenceWalk(env('pae', base, { pdptrs }), 0x7f_ffff)).toMatchObject({ ok: true, gpa: 0x7f_ffff, level: 2 });
    const bad = { ...base, [pd + 3 * 8]: 0x60_2087n };
    expect(referenceWalk(env('pae', bad, { pdptrs }), 0x60_0000)).toEqual({ ok: false, reason: 'reserved', level: 2 });
    // Bit 12 of a 2 MiB PDE is PAT, not an address bit.
    const pat = { ...base, [pd + 3 * 8]: 0x60_1087n };
    expect(referenceWalk(env('pae', pat, { pdptrs }), 0x60_0010)).toMatchObject({ ok: true, gpa: 0x60_0010 });
  });

  it('reserves XD without EFER.NXE, and bits 62:MAXPHYADDR', () => {
    const pdptrs = [reg(BigInt(pd) | 1n), reg(0n), reg(0n), reg(0n)];
    expect(referenceWalk(env('pae', base, { pdptrs, nx: false }), 0x20_2000)).toEqual({ ok: false, reason: 'reserved', level: 1 });
    const high = { ...base, [pt + 2 * 8]: 0x5067n | (1n << 62n) };
    expect(referenceWalk(env('pae', high, { pdptrs, nx: true }), 0x20_2000)).toEqual({ ok: false, reason: 'reserved', level: 1 });
    const m40 = { ...base, [pt + 2 * 8]: 0x5067n | (1n << 40n) };
    expect(referenceWalk(env('pae', m40, { pdptrs, nx: true }), 0x20_2000)).toEqual({ ok: false, reason: 'reserved', level: 1 });
    expect(referenceWalk(env('pae', m40, { pdptrs, nx: true, maxPhyAddr: 46 }), 0x20_2000)).toMatchObject({ ok: true, gpa: 0x100_0000_5000 });
  });
});

describe('4-level paging', () => {
  const pml4 = 0x1000;
  const pdpt = 0x2000;
  const pdir = 0x3000;
  const tables = {
    [pml4 + 256 * 8]: BigInt(pdpt) | 0x7n,
    [pdpt + 1 * 8]: 0x4000_0087n, // 1 GiB page
    [pdpt + 2 * 8]: BigInt(pdir) | 0x3n, // supervisor
    [pdir + 0]: 0x20_00e7n, // 2 MiB, user in the PDE but not above
  };

  it('walks 1 GiB and 2 MiB pages in the kernel half (gva bit 47 set)', () => {
    const e = env('x86-64', tables);
    expect(referenceWalk(e, 0x8000_4000_1234)).toMatchObject({ ok: true, gpa: 0x4000_1234, level: 3, pageBytes: 2 ** 30, user: true });
    expect(referenceWalk(e, 0x8000_8000_5678)).toMatchObject({ ok: true, gpa: 0x20_5678, level: 2, user: false, writable: true });
  });

  it('reserves PML4E.PS, 1 GiB bits 29:13 and 51:MAXPHYADDR, ignores 62:52', () => {
    expect(referenceWalk(env('x86-64', { ...tables, [pml4 + 256 * 8]: BigInt(pdpt) | 0x87n }), 0x8000_4000_0000)).toEqual({ ok: false, reason: 'reserved', level: 4 });
    expect(referenceWalk(env('x86-64', { ...tables, [pdpt + 8]: 0x4000_2087n }), 0x8000_4000_0000)).toEqual({ ok: false, reason: 'reserved', level: 3 });
    expect(referenceWalk(env('x86-64', { ...tables, [pdpt + 8]: 0x4000_0087n | (1n << 51n) }), 0x8000_4000_0000)).toEqual({ ok: false, reason: 'reserved', level: 3 });
    expect(referenceWalk(env('x86-64', { ...tables, [pdpt + 8]: 0x4000_0087n | (1n << 62n) }), 0x8000_4000_0000)).toMatchObject({ ok: true, gpa: 0x4000_0000 });
  });

  it('ORs XD over the levels when EFER.NXE', () => {
    const e = env('x86-64', { ...tables, [pml4 + 256 * 8]: BigInt(pdpt) | 0x7n | (1n << 63n) }, { nx: true });
    expect(referenceWalk(e, 0x8000_8000_0000)).toMatchObject({ ok: true, executable: false });
  });
});

describe('permissions and error codes', () => {
  // A user read-only page and a supervisor writable page, 32-bit paging.
  const t = { [0x1000]: 0x3007n, [0x3000]: 0x5005n, [0x3004]: 0x6003n };
  const e = (over: Parameters<typeof env>[2] = {}): RefEnv => env('x86-32', t, over);

  it('CR0.WP=0 lets supervisor writes through read-only pages, never user writes', () => {
    expect(referenceAccess(e({ wp: true }), 0x10, { op: 'write', user: false })).toEqual({ ok: false, errorCode: PF_P | PF_W, why: 'permission' });
    expect(referenceAccess(e({ wp: false }), 0x10, { op: 'write', user: false })).toMatchObject({ ok: true, gpa: 0x5010 });
    expect(referenceAccess(e({ wp: false }), 0x10, { op: 'write', user: true })).toMatchObject({ ok: false, errorCode: PF_P | PF_W | PF_U });
  });

  it('user accesses need U/S', () => {
    expect(referenceAccess(e(), 0x1010, { op: 'read', user: true })).toMatchObject({ ok: false, errorCode: PF_P | PF_U });
    expect(referenceAccess(e(), 0x1010, { op: 'read', user: false })).toMatchObject({ ok: true, gpa: 0x6010 });
  });

  it('SMEP blocks supervisor fetches from user pages; SMAP supervisor data accesses unless AC', () => {
    expect(referenceAccess(e({ smep: true }), 0x0, { op: 'fetch', user: false })).toMatchObject({ ok: false, errorCode: PF_P | PF_ID });
    expect(referenceAccess(e({ smep: true }), 0x1000, { op: 'fetch', user: false })).toMatchObject({ ok: true });
    expect(referenceAccess(e({ smap: true }), 0x0, { op: 'read', user: false })).toMatchObject({ ok: false, errorCode: PF_P });
    expect(referenceAccess(e({ smap: true }), 0x0, { op: 'read', user: false, ac: true })).toMatchObject({ ok: true });
    expect(referenceAccess(e({ smap: true }), 0x0, { op: 'read', user: true })).toMatchObject({ ok: true });
  });

  it('not-present and reserved-bit faults', () => {
    expect(referenceAccess(e(), 0x40_0000, { op: 'write', user: true })).toEqual({ ok: false, errorCode: PF_W | PF_U, why: 'not-present at level 2' });
    const pdptrs = [reg(0x2001n), reg(0n), reg(0n), reg(0n)];
    const pae = env('pae', { [0x2000]: 0x3007n, [0x3000]: 0x5007n | (1n << 63n) }, { pdptrs, nx: false });
    expect(referenceAccess(pae, 0x0, { op: 'read', user: false })).toMatchObject({ ok: false, errorCode: PF_P | PF_RSVD });
  });

  it("the I/D bit: KVM sets it for fetches when EFER.NXE or SMEP, the SDM only with PAE for NXE", () => {
    const a = { op: 'fetch', user: true } as const;
    expect(referenceAccess(e({ nx: true }), 0x40_0000, a, 'kvm')).toMatchObject({ errorCode: PF_U | PF_ID });
    expect(referenceAccess(e({ nx: true }), 0x40_0000, a, 'sdm')).toMatchObject({ errorCode: PF_U });
    expect(referenceAccess(e({ nx: false }), 0x40_0000, a, 'kvm')).toMatchObject({ errorCode: PF_U });
    expect(referenceAccess(e({ smep: true }), 0x40_0000, a, 'sdm')).toMatchObject({ errorCode: PF_U | PF_ID });
  });

  it('paging off: everything goes through, gva = gpa', () => {
    expect(referenceAccess(env('off', {}), 0xdead_b000, { op: 'fetch', user: true })).toMatchObject({ ok: true, gpa: 0xdead_b000 });
  });
});
