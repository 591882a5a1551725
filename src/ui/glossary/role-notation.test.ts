import { describe, expect, it } from 'vitest';
import { roleNotation } from '../../core/mmu/role.ts';
import { decodeNotation, NOTATION_RE, notationLines } from './role-notation.ts';

/** field text -> [term, meaning] */
const fields = (n: string) => Object.fromEntries(decodeNotation(n).flatMap((p) => (p.kind === 'field' ? [[p.text, [p.term, p.meaning]]] : [])));
const meaning = (n: string, f: string) => fields(n)[f]?.[1];

describe('decodeNotation', () => {
  it('keeps the text: the parts join back to the notation', () => {
    for (const n of ['gfn 4 l1 4-byte q1 w-x !nxe', 'gfn 1000 l2 4-byte q3 direct wux invalid nxe', 'l1 8-byte q0 ---']) expect(decodeNotation(n).map((p) => p.text).join('')).toBe(n);
  });
  it('a 4-byte level-1 page: q0 is the lower half, q1 the upper half of the guest PT', () => {
    const n = 'gfn 4 l1 4-byte q1 w-x !nxe';
    expect(Object.keys(fields(n))).toEqual(['gfn 4', 'l1', '4-byte', 'q1', 'w-x', '!nxe']);
    expect(fields(n)['q1']![0]).toBe('quadrant');
    expect(meaning(n, 'l1')).toBe('l1 = level 1: a page table (PT): its entries map 4 KiB pages');
    expect(meaning(n, '4-byte')).toMatch(/^4-byte = it shadows a guest table with 4-byte entries/);
    expect(meaning(n, 'q1')).toBe('q1 = quadrant 1: the upper half of the guest page table (guest PTEs 512-1023, 2 MiB of its 4 MiB)');
    expect(meaning('gfn 4 l1 4-byte q0 w-x !nxe', 'q0')).toBe('q0 = quadrant 0: the lower half of the guest page table (guest PTEs 0-511, 2 MiB of its 4 MiB)');
    expect(meaning(n, 'w-x')).toBe("w-x = the access the guest's upper-level entries allow on the way to this table: writable, supervisor only, executable");
    expect(meaning(n, '!nxe')).toBe("!nxe = EFER.NX is off (the role's efer_nx = 0): the guest has no no-execute bit");
    expect(meaning(n, 'gfn 4')).toBe('gfn 4 = the guest page table this page shadows is guest frame 0x4 (at gpa 0x4000)');
  });
  it('a 4-byte level-2 page: q0..q3 are the four quarters of the guest PD, 256 PDEs (1 GiB) each', () => {
    const q = (i: number) => meaning(`gfn 1 l2 4-byte q${i} wux !nxe`, `q${i}`);
    expect(q(0)).toBe('q0 = quadrant 0: the first quarter of the guest page directory (guest PDEs 0-255, addresses 0x0-0x3fffffff: 1 GiB)');
    expect(q(1)).toBe('q1 = quadrant 1: the second quarter of the guest page directory (guest PDEs 256-511, addresses 0x40000000-0x7fffffff: 1 GiB)');
    expect(q(2)).toBe('q2 = quadrant 2: the third quarter of the guest page directory (guest PDEs 512-767, addresses 0x80000000-0xbfffffff: 1 GiB)');
    expect(q(3)).toBe('q3 = quadrant 3: the fourth quarter of the guest page directory (guest PDEs 768-1023, addresses 0xc0000000-0xffffffff: 1 GiB)');
    expect(meaning('gfn 1 l2 4-byte q3 wux !nxe', 'l2')).toMatch(/^l2 = level 2: a page directory \(PD\)/);
    expect(meaning('gfn 1 l2 4-byte q3 wux !nxe', 'wux')).toMatch(/writable, user and supervisor, executable$/);
  });
  it('an 8-byte page: the quadrant is always 0, the whole guest table', () => {
    const n = 'gfn 2000 l3 8-byte q0 wux nxe';
    expect(meaning(n, '8-byte')).toMatch(/^8-byte = it shadows a guest table with 8-byte entries/);
    expect(meaning(n, 'q0')).toMatch(/one shadow page covers all of it and the quadrant is always 0$/);
    expect(meaning(n, 'nxe')).toBe("nxe = EFER.NX is on (the role's efer_nx = 1): the guest may mark pages no-execute");
    expect(meaning(n, 'l3')).toMatch(/PDPT/);
    expect(meaning(n, 'gfn 2000')).toMatch(/guest frame 0x2000 \(at gpa 0x2000000\)$/);
  });
  it('a direct page: the gfn is the first frame it maps, the quadrant picks no part of a guest table', () => {
    const n = 'gfn 400 l1 4-byte q1 direct wux !nxe';
    expect(fields(n)['direct']![0]).toBe('direct');
    expect(meaning(n, 'direct')).toMatch(/^direct = it shadows no guest table/);
    expect(meaning(n, 'gfn 400')).toBe('gfn 400 = the first guest frame this direct page maps (gpa 0x400000)');
    expect(meaning(n, 'q1')).toMatch(/^q1 = quadrant 1 on a direct page: it shadows no guest table/);
    expect(meaning('gfn 0 l1 8-byte q0 direct wux !nxe', 'q0')).toMatch(/^q0 = quadrant 0: a direct page shadows no guest table/);
    // The entry size of a page that shadows no table: no guest entries to size.
    expect(meaning(n, '4-byte')).toMatch(/^4-byte on a direct page: it shadows no guest table/);
    expect(meaning('gfn 0 l1 8-byte q0 direct wux !nxe', '8-byte')).toMatch(/^8-byte on a direct page: .*kvm_mmu_get_page sets the bit for every direct page\)$/);
  });
  it('invalid and a read-only, non-executable access', () => {
    const n = 'gfn 1 l2 4-byte q0 --- invalid !nxe';
    expect(fields(n)['invalid']![0]).toBe('invalid');
    expect(meaning(n, 'invalid')).toMatch(/^invalid = the page has been zapped but is still in use as a root/);
    expect(meaning(n, '---')).toMatch(/read-only, supervisor only, not executable$/);
  });
  it('decodes what the core prints, for every level, size, quadrant, direct, access, invalid and nxe', () => {
    for (const level of [1, 2, 3, 4])
      for (const gpteIs8Bytes of [false, true])
        for (const quadrant of [0, 1, 2, 3])
          for (const direct of [false, true])
            for (const invalid of [false, true])
              for (const eferNx of [false, true]) {
                const n = roleNotation(0x4, { level, gpteIs8Bytes, quadrant, direct, access: 5, invalid, eferNx, cr0Wp: true, smepAndnotWp: false, smapAndnotWp: false, adDisabled: false, guestMode: false, smm: 0 });
                // All of it is one notation in running text, and every token is a decoded field.
                expect(NOTATION_RE.exec(`x ${n}: y`)?.[0]).toBe(n);
                expect(notationLines(n).length).toBe(n.split(' ').length - 1);
              }
  });
});
