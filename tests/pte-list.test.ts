/**
 * The rmap's pte_lists (machine.ts PteList): one spte ref is kept as the
 * number, two or more as a list in the order they were added; removing one
 * keeps the order of the rest, and a list left with one ref becomes the
 * number again. Here one guest frame (gfn 0x20) is mapped at four gvas of a
 * 32-bit guest; the first read maps it at all four (the fault's spte, then
 * pte_prefetch's three), then they are unmapped one at a time (invlpg drops
 * each spte of the unsync page), not in the order they were added.
 */
import { describe, expect, it } from 'vitest';
import { applyStep, auditMachine, createMachine, rmapJson } from '../src/core/index.ts';
import { parse } from './run.ts';

const scenario = parse({
  format: 'shadowpaging/v1',
  title: 'one frame mapped at four gvas',
  guest: { mode: 'x86-32', cr3: '0x1000' },
  memory: [
    // The PD maps PT 0x2000 at 0 and, writable, maps the PT itself at 0x400000 (PDE 1 -> PT 0x3000 mapping 0x2000).
    { gpa: '0x1000', entries: { 0: '0x2027', 1: '0x3027' } },
    { gpa: '0x2000', entries: { 16: '0x20025', 17: '0x20025', 18: '0x20025', 19: '0x20025' } },
    { gpa: '0x3000', entries: { 0: '0x2067' } },
  ],
  steps: [
    { op: 'read', gva: '0x10000' },
    { op: 'read', gva: '0x11000' },
    { op: 'read', gva: '0x12000' },
    { op: 'read', gva: '0x13000' },
    // Unmap gva 0x11000 (PTE 17), then 0x13000 (19), then 0x10000 (16), each with invlpg.
    { op: 'write', gva: '0x400044', value: '0x0' },
    { op: 'invlpg', gva: '0x11000' },
    { op: 'write', gva: '0x40004c', value: '0x0' },
    { op: 'invlpg', gva: '0x13000' },
    { op: 'write', gva: '0x400040', value: '0x0' },
    { op: 'invlpg', gva: '0x10000' },
  ],
});

/** The rmap of gfn 0x20 at level 1, as [sp, index] pairs in list order. */
function refsOf20(m: Parameters<typeof rmapJson>[0]): Array<[number, number]> {
  const e = rmapJson(m).find((r) => r.level === 1 && r.gfn === '0x20');
  return e ? e.sptes.map((s) => [s.sp, s.index]) : [];
}

describe('pte_list', () => {
  it('keeps the refs of one gfn in the order they were added, through adds and removals', () => {
    const { machine: m } = createMachine(scenario, 'seed');
    const seen: Array<Array<[number, number]>> = [];
    scenario.steps.forEach((s, i) => {
      applyStep(m, i, s);
      expect(auditMachine(m), `step ${i}`).toEqual([]);
      seen.push(refsOf20(m));
    });
    // The sptes of gvas 0x10000-0x13000 are entries 16-19 of one level-1 shadow page.
    const sp = seen[0]![0]![0];
    const e = (i: number): [number, number] => [sp, i];
    for (let i = 0; i < 4; i++) expect(seen[i]).toEqual([e(16), e(17), e(18), e(19)]);
    // Each invlpg drops its spte (the page is unsync: the write went through), the rest keep their order.
    expect(seen[5]).toEqual([e(16), e(18), e(19)]);
    expect(seen[7]).toEqual([e(16), e(18)]);
    expect(seen[9]).toEqual([e(18)]);
    // One ref left: the head holds it as the number (PteList), and it is still found and listed.
    expect(m.rmap.entries().filter(([, v]) => v === sp * 512 + 18)).toHaveLength(1);
  });
});
