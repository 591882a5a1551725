import { writeFileSync, readFileSync } from 'node:fs';
// Writes tests/real-kvm/scenarios/*.json (run from anywhere: node tests/real-kvm/make-scenarios.mjs).
// The examples of the real-KVM tool are read from REAL_KVM (default /work/shared/tools/real-kvm).
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
const D = `${dirname(fileURLToPath(import.meta.url))}/scenarios`;
const EX = `${process.env.REAL_KVM ?? '/work/shared/tools/real-kvm'}/examples`;
const put = (name, o) => writeFileSync(`${D}/${name}.json`, JSON.stringify({ format: 'shadowpaging/v1', ...o }, null, 2) + '\n');
const F = (gva) => ({ op: 'fetch', gva });            // supervisor fetch (of the code page: documents a re-fetch)
const UF = (gva) => ({ op: 'fetch', gva, user: true });
const R = (gva, user) => (user ? { op: 'read', gva, user: true } : { op: 'read', gva });
const W = (gva, value, extra = {}) => ({ op: 'write', gva, value, ...extra });
const CR3 = (value) => ({ op: 'cr3', value });
const INV = (gva) => ({ op: 'invlpg', gva });
const V = (id) => `Runnable variant of the built-in ${id} for the real-KVM tool: `;

// ---- one runnable variant per built-in ------------------------------------------------------
put('lib-quadrants-32bit', {
  title: 'Built-in quadrants-32bit, runnable: one 32-bit page directory, four PAE roots; one page table, two shadow PTs',
  description: V('quadrants-32bit') + 'the same tables and steps, plus a code page (gva 0x810000 -> PDE 2 -> PT 0x6000 -> gpa 0x20000, supervisor RW dirty: the #PF handler\'s stack lives there), a ring-3 code page (gva 0x811000, user read-only) fetched at CPL 3 before the user reads, and a re-fetch of the code page after the MOV CR3.',
  guest: { mode: 'x86-32', cr3: '0x1000' },
  host: { hugePages: false, memoryMiB: 64 },
  memory: [
    { gpa: '0x1000', entries: { 0: '0x2027', 1: '0x3067', 2: '0x6027', 769: '0x4023', 1023: '0x5023' } },
    { gpa: '0x2000', entries: { 5: '0x10027' } },
    { gpa: '0x3000', entries: { 0: '0x2067' } },
    { gpa: '0x4000', entries: { 3: '0x12023', 4: '0x13023', 515: '0x14023' } },
    { gpa: '0x5000', entries: { 1023: '0x15063' } },
    { gpa: '0x6000', entries: { 16: '0x20063', 17: '0x21025' } },
  ],
  steps: [F('0x810000'), UF('0x811000'),
    R('0xC0403123'), R('0xC0603123'), R('0xC0403123'), W('0xC0404010', '0x1234'), R('0xC0403000', true), R('0x00005000', true),
    W('0x00400014', '0x11027'), R('0x00005000', true), INV('0x00005000'), R('0x00005000', true), R('0xFFFFF000'), CR3('0x1000'), F('0x810000')],
});
put('lib-gva-bits-before-after', {
  title: 'Built-in gva-bits-before-after, runnable: the same GVA bits before and after the patch',
  description: V('gva-bits-before-after') + 'the same tables and four reads, plus a code page at gva 0x810000 (PDE 2 -> PT 0x6000 -> gpa 0x20000).',
  guest: { mode: 'x86-32', cr3: '0x1000' },
  host: { hugePages: false, memoryMiB: 64 },
  memory: [
    { gpa: '0x1000', entries: { 0: '0x2027', 2: '0x6027', 257: '0x2027', 512: '0x3027', 1023: '0x3027' } },
    { gpa: '0x2000', entries: { 1: '0x10027', 513: '0x11027' } },
    { gpa: '0x3000', entries: { 2: '0x12027', 1022: '0x13027' } },
    { gpa: '0x6000', entries: { 16: '0x20063' } },
  ],
  steps: [F('0x810000'), R('0x00001000'), R('0x40601000'), R('0x80002000'), R('0xFFFFE000')],
});
const pse = (huge, write) => ({
  guest: { mode: 'x86-32', cr3: '0x1000' },
  host: { hugePages: huge, memoryMiB: 300 },
  memory: [
    { gpa: '0x1000', entries: { 2: '0x6027', 769: '0x124000e7' } },
    { gpa: '0x6000', entries: { 16: '0x20063' } },
  ],
  steps: [F('0x810000'), R('0xC0403123'), R('0xC0603123'), ...(write ? [W('0xC0603123', '0x1')] : []), R('0xC0405000')],
});
put('lib-pse-direct-pages', {
  title: 'Built-in pse-direct-pages, runnable: a 4 MiB guest page shadowed by two direct pages (host 4 KiB pages)',
  description: V('pse-direct-pages') + 'the same 4 MiB page (gpa 0x12400000, so guest RAM is 300 MiB) and steps, plus a code page at gva 0x810000 (PDE 2 -> PT 0x6000 -> gpa 0x20000). Host huge pages off (vmrun madvises MADV_NOHUGEPAGE).',
  ...pse(false, true),
});
put('lib-pse-host-huge', {
  title: 'Built-in pse-host-huge, runnable: a 4 MiB guest page on host huge pages, two 2 MiB sptes',
  description: V('pse-host-huge') + 'the same 4 MiB page (gpa 0x12400000, guest RAM 300 MiB, MADV_HUGEPAGE) and reads, plus a code page at gva 0x810000 (PDE 2 -> PT 0x6000 -> gpa 0x20000).',
  ...pse(true, false),
});
put('lib-pae-nonpresent-pdpte', {
  title: 'Built-in pae-nonpresent-pdpte, runnable: a PAE guest with a non-present PDPTE',
  description: V('pae-nonpresent-pdpte') + 'the same PDPTs, directories and steps, plus a code page at gva 0x210000 (PDPTE 0 -> PD 0x2000 entry 1 -> PT 0x7000 -> gpa 0x20000, mapped through both PDPTs), fetched again after the MOV CR3. The read through the non-present PDPTE faults in the guest.',
  guest: { mode: 'pae', cr3: '0x1000' },
  host: { hugePages: false, memoryMiB: 64 },
  memory: [
    { gpa: '0x1000', entries: { 0: '0x2001' } },
    { gpa: '0x2000', entries: { 0: '0x4027', 1: '0x7027' } },
    { gpa: '0x3000', entries: { 0: '0x5027' } },
    { gpa: '0x4000', entries: { 0: '0x10027' } },
    { gpa: '0x5000', entries: { 0: '0x11027' } },
    { gpa: '0x6000', entries: { 0: '0x2001', 1: '0x3001' } },
    { gpa: '0x7000', entries: { 16: '0x20063' } },
  ],
  steps: [F('0x210000'), R('0x0'), R('0x40000000'), CR3('0x6000'), F('0x210000'), R('0x40000000'), R('0x0')],
});
put('lib-long-mode-4-levels', {
  title: 'Built-in long-mode-4-levels, runnable: a long-mode guest\'s four levels (4 KiB, 2 MiB and 1 GiB pages, NX)',
  description: V('long-mode-4-levels') + 'the built-in\'s `mappings` written out as the tables the app builds for them (PML4 0x100000), except that the 1 GiB page maps gpa 0 instead of 0x40000000 (the real guest has at most 512 MiB of RAM), plus a code page (gva 0x410000 -> gpa 0x210000) and a ring-3 code page (gva 0x411000, user read-only) fetched at CPL 3 first. EFER.NX=1: the user fetch of the NX page faults.',
  guest: { mode: 'x86-64', cr3: '0x100000', efer: { nx: true } },
  host: { hugePages: false, memoryMiB: 64 },
  memory: [
    { gpa: '0x100000', entries: { 0: '0x101027', 254: '0x104027', 256: '0x106027' } },
    { gpa: '0x101000', entries: { 0: '0x102027' } },
    { gpa: '0x102000', entries: { 2: '0x103027' } },
    { gpa: '0x103000', entries: { 0: '0x200067', 1: '0x8000000000201021', 16: '0x210063', 17: '0x211025' } },
    { gpa: '0x104000', entries: { 0: '0x105027' } },
    { gpa: '0x105000', entries: { 1: '0x6000a7' } },
    { gpa: '0x106000', entries: { 0: '0xa3' } },
  ],
  steps: [F('0x410000'), UF('0x411000'), R('0x400000', true), UF('0x401000'), R('0x7f0000234567', true), W('0xffff800000123450', '0x55'), R('0xffff800000123450')],
});
put('lib-permission-faults', {
  title: 'Built-in permission-faults, runnable: user/supervisor, read-only, NX, SMEP and reserved-bit faults with their error codes',
  description: V('permission-faults') + 'the same PAE tables (EFER.NX=1, CR4.SMEP=1) and steps, plus a code page at gva 0x10000 (PT 0x3000 entry 16 -> gpa 0x20000, supervisor RW dirty) and a ring-3 code page at gva 0x11000 (entry 17, user read-only) fetched at CPL 3 before the user accesses.',
  guest: { mode: 'pae', cr3: '0x1000', efer: { nx: true }, cr4: { smep: true } },
  host: { hugePages: false, memoryMiB: 64 },
  memory: [
    { gpa: '0x1000', entries: { 0: '0x2001' } },
    { gpa: '0x2000', entries: { 0: '0x3027' } },
    { gpa: '0x3000', entries: { 1: '0x10023', 2: '0x8000000000011027', 3: '0x12025', 4: '0x13027', 5: '0x0008000000014027', 16: '0x20063', 17: '0x21025' } },
  ],
  steps: [F('0x10000'), UF('0x11000'), R('0x7000'), R('0x1000', true), F('0x2000'), W('0x3000', '0x3', { user: true, width: 4 }), F('0x4000'), R('0x5000'), R('0x4000', true)],
});
put('lib-cr0-wp-off', {
  title: 'Built-in cr0-wp-off, runnable: CR0.WP=0, a supervisor write to a read-only user page, then CR0.WP=1',
  description: V('cr0-wp-off') + 'the same tables and steps (the user write gets a value), plus a code page at gva 0x10000 (PT 0x2000 entry 16 -> gpa 0x20000) and a ring-3 code page at gva 0x11000 fetched at CPL 3 first; the MOV CR0 resets the MMU, so the code page is fetched again after it.',
  guest: { mode: 'x86-32', cr3: '0x1000', cr0: { wp: false } },
  host: { hugePages: false, memoryMiB: 64 },
  memory: [
    { gpa: '0x1000', entries: { 0: '0x2027' } },
    { gpa: '0x2000', entries: { 5: '0x10065', 16: '0x20063', 17: '0x21025' } },
  ],
  steps: [F('0x10000'), UF('0x11000'), W('0x5000', '0x7'), R('0x5000', true), W('0x5000', '0x9', { user: true }), { op: 'cr0', wp: true }, F('0x10000'), W('0x5000', '0x8')],
});
put('lib-unsync-invlpg-sync', {
  title: 'Built-in unsync-invlpg-sync, runnable: a guest writing its own page table: unsync, a stale translation, invlpg, sync',
  description: V('unsync-invlpg-sync') + 'the same tables and steps, plus a code page at gva 0x810000 (PDE 2 -> PT 0x6000 -> gpa 0x20000), fetched again after the MOV CR3.',
  guest: { mode: 'x86-32', cr3: '0x1000' },
  host: { hugePages: false, memoryMiB: 64 },
  memory: [
    { gpa: '0x1000', entries: { 0: '0x2027', 1: '0x3027', 2: '0x6027' } },
    { gpa: '0x2000', entries: { 5: '0x10027', 6: '0x12027' } },
    { gpa: '0x3000', entries: { 0: '0x2067' } },
    { gpa: '0x6000', entries: { 16: '0x20063' } },
  ],
  steps: [F('0x810000'), R('0x5000'), W('0x400014', '0x11027'), R('0x5000'), W('0x400018', '0x13027'), INV('0x5000'), R('0x5000'), R('0x6000'), CR3('0x1000'), F('0x810000'), R('0x6000')],
});
put('lib-pd-write-flooding', {
  title: 'Built-in pd-write-flooding, runnable: a guest writing its page directory: emulation, write flooding, zap, a misaligned write',
  description: V('pd-write-flooding') + 'the same tables and steps, plus a code page at gva 0x810000 (PDE 2 -> PT 0x6000 -> gpa 0x20000). Every write to the page directory may zap the roots the code runs through, so each is followed by a re-fetch of the code page (a fetch that hits adds nothing).',
  guest: { mode: 'x86-32', cr3: '0x1000' },
  host: { hugePages: false, memoryMiB: 64 },
  memory: [
    { gpa: '0x1000', entries: { 0: '0x2027', 1: '0x3027', 2: '0x6027', 768: '0x2027' } },
    { gpa: '0x2000', entries: { 5: '0x10027' } },
    { gpa: '0x3000', entries: { 1: '0x1067' } },
    { gpa: '0x6000', entries: { 16: '0x20063' } },
  ],
  steps: [F('0x810000'), R('0x5000'), R('0xC0005000'), W('0x401C00', '0x0'), F('0x810000'), W('0x401C04', '0x0'), F('0x810000'), W('0x401C08', '0x0'), F('0x810000'), R('0x5000'), W('0x401002', '0x0', { width: 2 }), F('0x810000')],
});
put('lib-cr3-pcid-switch', {
  title: 'Built-in cr3-pcid-switch, runnable without PCIDs: CR3 switches between two processes, and back (prev_roots)',
  description: V('cr3-pcid-switch') + 'the emulated CPU has no PCIDs, so CR4.PCIDE stays 0, the CR3 values carry no PCID and the last switch flushes. Same tables otherwise, plus a code page at gva 0x10000 (PT 0xE000 entry 16 -> gpa 0x20000) mapped by both PML4s, fetched again after each MOV CR3. Linux 6.1 keeps the previous root in prev_roots even without PCIDs, so switching back finds it.',
  guest: { mode: 'x86-64', cr3: '0xA000' },
  host: { hugePages: false, memoryMiB: 64 },
  memory: [
    { gpa: '0xA000', entries: { 0: '0xC027' } },
    { gpa: '0xB000', entries: { 0: '0xC027' } },
    { gpa: '0xC000', entries: { 0: '0xD027' } },
    { gpa: '0xD000', entries: { 0: '0xE027' } },
    { gpa: '0xE000', entries: { 0: '0x10027', 1: '0x11027', 16: '0x20063' } },
  ],
  steps: [F('0x10000'), R('0x0'), CR3('0xB000'), F('0x10000'), R('0x1000'), CR3('0xA000'), F('0x10000'), R('0x0'), CR3('0xB000'), F('0x10000')],
});
put('lib-self-map', {
  title: 'Built-in self-map, runnable: a recursive (self-mapped) page directory',
  description: V('self-map') + 'the same tables and steps, plus a code page at gva 0x810000 (PDE 2 -> PT 0x6000 -> gpa 0x20000); the writes go to page tables, so each is followed by a re-fetch of the code page.',
  guest: { mode: 'x86-32', cr3: '0x1000' },
  host: { hugePages: false, memoryMiB: 64 },
  memory: [
    { gpa: '0x1000', entries: { 0: '0x2027', 2: '0x6027', 1023: '0x1027' } },
    { gpa: '0x2000', entries: { 5: '0x10027' } },
    { gpa: '0x6000', entries: { 16: '0x20063' } },
  ],
  steps: [F('0x810000'), R('0x5000'), R('0xFFFFF000'), R('0xFFC00014'), W('0xFFFFF004', '0x3027'), F('0x810000'), W('0xFFC00014', '0x11027'), F('0x810000'), R('0x5000')],
});
put('lib-paging-off', {
  title: 'Built-in paging-off, runnable: a guest running with paging off',
  description: V('paging-off') + 'the real guest cannot turn paging on (gen.mjs has no `cr0 pg`) and its VMM stops at an MMIO exit, so this keeps the part with paging off: the read of 0x5000, a read at 0x1000000 (the built-in reads 0x40000000, above guest RAM: MMIO), the MOV CR3, and one more read. Code at gpa 0x20000.',
  guest: { mode: 'off' },
  host: { hugePages: false, memoryMiB: 64 },
  memory: [
    { gpa: '0x1000', entrySize: 4, entries: { 0: '0x2027' } },
    { gpa: '0x2000', entrySize: 4, entries: { 0: '0x0027', 1: '0x1027', 5: '0x10027' } },
  ],
  steps: [F('0x20000'), R('0x5000'), R('0x1000000'), CR3('0x1000'), F('0x20000'), R('0x5000')],
});
{ const s = JSON.parse(readFileSync(`${EX}/s-sweep-64-tables.json`, 'utf8'));
  s.title = 'Built-in sweep-64-tables, runnable: sixty-four guest page tables';
  s.description = V('sweep-64-tables') + 'the same tables and 72 supervisor reads through 64 guest page tables, then a MOV CR3 of the same value, plus a code page (gva 0x10000 -> PDE 0 -> PT 0x7000 -> gpa 0x20000) fetched again after the MOV CR3. From the real-KVM tool\'s example s.';
  s.steps.push(F('0x10000')); delete s.format; put('lib-sweep-64-tables', s); }
{ const s = JSON.parse(readFileSync(`${EX}/h-stale-child.json`, 'utf8'));
  s.title = 'Built-in stale-child-uaf, runnable: a 2 MiB page turned into a page table behind KVM\'s back (the stale child)';
  s.description = V('stale-child-uaf') + 'without its zap-all step and the read after it (the real guest has no zap-all), plus a code page (PD entry 0 -> PT 0x4000 -> gpa 0x10000) fetched again after the MOV CR3. The VMM rewrites PDE 1 (host-write) to point to a page table at 0x200000, the first frame of the old 2 MiB page, which write tracking does not see; the last reads tell whether KVM followed the stale direct child or dropped it. From the real-KVM tool\'s example h.';
  s.steps.splice(4, 0, F('0x10000')); delete s.format; put('lib-stale-child-uaf', s); }

// ---- more cases ------------------------------------------------------------------------------
for (const [n, t] of [['a-quadrants-32bit', 'quadrants-32bit-two-shadow-pts'], ['e-unsync-invlpg-sync', 'unsync-invlpg-sync-32bit'], ['t-pf-32bit', 'pf-error-codes-32bit-wp']]) {
  const s = JSON.parse(readFileSync(`${EX}/${n}.json`, 'utf8'));
  s.description += ` From the real-KVM tool's example ${n}.`;
  if (n === 'e-unsync-invlpg-sync') s.steps.splice(8, 0, F('0x10000'));
  if (n === 't-pf-32bit') { const i = s.steps.findIndex((x) => x.op === 'cr0'); s.steps.splice(i + 1, 0, F('0x10000')); s.steps = s.steps.filter((x, k) => !(k > i + 1 && x.op === 'fetch' && x.gva === '0x10000' && !x.user)); }
  delete s.format; put(t, s);
}
const pae2m = (huge) => ({
  title: `PAE 2 MiB guest pages, host ${huge ? 'huge pages (2 MiB sptes)' : '4 KiB pages (direct shadow PTs)'}`,
  description: `A PAE guest with two 2 MiB pages (PD 0x2000 entries 2 and 3 -> gpa 0x400000 and 0x600000), host huge pages ${huge ? 'on (MADV_HUGEPAGE: KVM may map 2 MiB sptes)' : 'off (KVM shadows each 2 MiB page with a direct page table of 4 KiB sptes)'}. Reads and a write at several offsets, a read-only 2 MiB page (write faults in the guest), code at gva 0x10000 (PD entry 0 -> PT 0x3000 -> gpa 0x20000).`,
  guest: { mode: 'pae', cr3: '0x1000' },
  host: { hugePages: huge, memoryMiB: 64 },
  memory: [
    { gpa: '0x1000', entries: { 0: '0x2001' } },
    { gpa: '0x2000', entries: { 0: '0x3027', 2: '0x4000e7', 3: '0x6000a1' } },
    { gpa: '0x3000', entries: { 16: '0x20063' } },
  ],
  steps: [F('0x10000'), R('0x400010'), R('0x405010'), W('0x5ff008', '0x11', { width: 4 }), R('0x600000'), W('0x634000', '0x22', { width: 4 }), R('0x7ff000')],
});
put('pae-2mib-pages-host-4k', pae2m(false));
put('pae-2mib-pages-host-huge', pae2m(true));
const huge64 = (huge) => ({
  title: `x86-64 1 GiB and 2 MiB guest pages, host ${huge ? 'huge pages' : '4 KiB pages'}`,
  description: `A 4-level guest with a 1 GiB page (PDPTE 1 -> gpa 0, guest RAM is 64 MiB) and a 2 MiB page (PD 0x3000 entry 4: gva 0x800000 -> gpa 0x800000), host huge pages ${huge ? 'on: KVM maps what it can with 2 MiB sptes (never 1 GiB: the memslot is 64 MiB)' : 'off: direct shadow pages with 4 KiB sptes'}. The accesses stay above 2 MiB, away from the page-table frames that write tracking keeps at 4 KiB. Code at gva 0x10000 (PD 0x3000 entry 0 -> PT 0x4000 -> gpa 0x20000).`,
  guest: { mode: 'x86-64', cr3: '0x1000' },
  host: { hugePages: huge, memoryMiB: 64 },
  memory: [
    { gpa: '0x1000', entries: { 0: '0x2027' } },
    { gpa: '0x2000', entries: { 0: '0x3027', 1: '0xe7' } },
    { gpa: '0x3000', entries: { 0: '0x4027', 4: '0x8000e7' } },
    { gpa: '0x4000', entries: { 16: '0x20063' } },
  ],
  steps: [F('0x10000'), R('0x40300000'), W('0x40500010', '0x33'), R('0x41234000'), R('0x40301000'), R('0x800010'), W('0x9ff000', '0x44'), R('0x804000')],
});
put('x86-64-1gib-2mib-pages-host-4k', huge64(false));
put('x86-64-1gib-2mib-pages-host-huge', huge64(true));
put('cr3-switch-32bit-two-directories', {
  title: 'x86-32: MOV CR3 between two page directories and back',
  description: 'Two 32-bit page directories (0x1000 and 0x8000) share the code page table (PDE 2 -> PT 0x6000 -> gpa 0x20000) and map gva 0x5000 through different page tables. Switching back to the first directory: with a 32-bit guest KVM shadows with PAE roots, which are not kept in prev_roots. The code page is fetched again after each switch.',
  guest: { mode: 'x86-32', cr3: '0x1000' },
  host: { hugePages: false, memoryMiB: 64 },
  memory: [
    { gpa: '0x1000', entries: { 0: '0x2027', 2: '0x6027' } },
    { gpa: '0x8000', entries: { 0: '0x3027', 2: '0x6027' } },
    { gpa: '0x2000', entries: { 5: '0x10027' } },
    { gpa: '0x3000', entries: { 5: '0x11027' } },
    { gpa: '0x6000', entries: { 16: '0x20063' } },
  ],
  steps: [F('0x810000'), R('0x5000'), CR3('0x8000'), F('0x810000'), R('0x5000'), CR3('0x1000'), F('0x810000'), R('0x5000'), CR3('0x8000'), F('0x810000'), R('0x5000')],
});
put('prefetch-maps-a-page-table-32bit', {
  title: 'x86-32: a prefetched PTE maps a shadowed page table writable (speculative unsync or not)',
  description: 'PT 0x2000 maps data at gva 0x0 (entry 0) and itself, writable and dirty, at gva 0x1000 (entry 1). The read of gva 0x0 shadows PT 0x2000 and prefetches entry 1 (FNAME(pte_prefetch) stops at the first empty entry of the 8-entry block, so the two are next to each other): Linux 5.15 unsyncs the page table then and there and maps it writable; Linux 6.1 ("KVM: X86: Don\'t unsync pagetables when speculative") maps it read-only, and the write through gva 0x1014 unsyncs it with the write fault. A MOV CR3 of the same value syncs it. Code at gva 0x810000 (PDE 2 -> PT 0x6000 -> gpa 0x20000).',
  guest: { mode: 'x86-32', cr3: '0x1000' },
  host: { hugePages: false, memoryMiB: 64 },
  memory: [
    { gpa: '0x1000', entries: { 0: '0x2027', 2: '0x6027' } },
    { gpa: '0x2000', entries: { 0: '0x10027', 1: '0x2067' } },
    { gpa: '0x6000', entries: { 16: '0x20063' } },
  ],
  steps: [F('0x810000'), R('0x0'), W('0x1014', '0x11027'), R('0x5000'), CR3('0x1000'), F('0x810000'), R('0x5000'), R('0x0'), R('0x1000')],
});
put('efer-nx-off-64bit', {
  title: 'x86-64 with EFER.NX=0: reads, a write, a fetch, and an unsync',
  description: 'A 4-level guest without EFER.NX: Linux 5.15 gives its shadow pages role.efer_nx=0, Linux 6.1 always sets efer_nx in shadow-paging roles. Reads and a write through one page table, a fetch from another page, and a write to a page table mapped at gva 0x7000 (unsync, then a MOV CR3 of the same value syncs it). Code at gva 0x10000 (PT 0x4000 entry 16 -> gpa 0x20000).',
  guest: { mode: 'x86-64', cr3: '0x1000' },
  host: { hugePages: false, memoryMiB: 64 },
  memory: [
    { gpa: '0x1000', entries: { 0: '0x2027' } },
    { gpa: '0x2000', entries: { 0: '0x3027' } },
    { gpa: '0x3000', entries: { 0: '0x4027', 1: '0x5027' } },
    { gpa: '0x4000', entries: { 5: '0x10027', 7: '0x5067', 16: '0x20063' } },
    { gpa: '0x5000', entries: { 3: '0x11027', 4: '0x12027' } },
  ],
  steps: [F('0x10000'), R('0x5000'), R('0x203000'), W('0x5008', '0x77'), F('0x204000'), W('0x7020', '0x13027'), R('0x203000'), CR3('0x1000'), F('0x10000'), R('0x204000')],
});
put('paging-off-direct-prefetch', {
  title: 'Paging off: direct shadow pages, direct prefetch before and after the faulting spte',
  description: 'A guest with CR0.PG=0 (KVM maps guest-physical = guest-virtual through direct shadow pages). Reads and writes in the middle of an 8-entry prefetch block (gpa 0x33000, 0x35000) and at its ends: Linux 6.1 prefetches the whole run around the faulting spte, 5.15 only the part before it. Code at gpa 0x20000.',
  guest: { mode: 'off' },
  host: { hugePages: false, memoryMiB: 64 },
  memory: [],
  steps: [F('0x20000'), R('0x33000'), W('0x35010', '0x5', { width: 4 }), R('0x38000'), R('0x3f000'), W('0x301000', '0x6', { width: 4 })],
});

// ---- the other helper's 6.1 check scenarios (tests/golden/linux-6.1-checks), recorded here too ----
const CHECKS = `${dirname(fileURLToPath(import.meta.url))}/../golden/linux-6.1-checks`;
for (const [from, to] of [['l61-prefetch-no-unsync', 'prefetch-no-unsync-64bit'], ['l61-smep-wp0-cr3', 'cr3-back-to-cached-root-smep-wp0'], ['l61-sync-empty-prev-roots', 'sync-empty-unsync-page-then-cr3-back'], ['l61-root-zap-prev-roots', 'root-zapped-by-misaligned-write-then-cr3-back'], ['l61-pae-pdpte-change', 'pae-pdpte-changed-roots-rebuilt']]) {
  const s = JSON.parse(readFileSync(`${CHECKS}/${from}.json`, 'utf8'));
  s.title = s.title.replace(/^6\.1 check: /, `${{ 'x86-64': 'x86-64', pae: 'PAE', 'x86-32': '32-bit' }[s.guest.mode] ?? s.guest.mode}: `).replace(/^PAE: a PAE guest/, 'PAE: a guest');
  s.description += ` The same as tests/golden/linux-6.1-checks/${from}.json.`;
  delete s.format; put(to, s);
}

put('write-tracked-table-refault-through-new-root', {
  title: 'x86-64: a write to a guest page directory, again through a new root (the same read-only spte set once more)',
  description: 'PML4s 0x1000 and 0x8000 share PDPT 0x2000 (entry 0: the code, gva 0x10000 -> gpa 0x20000) and PDPT 0x6000 (entry 1: gva 0x8000000000 -> PD 0x7000 -> PT 0x5000 -> PD 0x3000, writable). The first write to PD 0x3000 through gva 0x8000000010 makes a read-only spte (an upper-level table is write-tracked) and is emulated. After MOV CR3 to 0x8000 the code is fetched again through entry 0; the second write faults at the new root (entry 1 not present), so write tracking does not catch it first: FNAME(fetch) reaches the same read-only spte and sets it again unchanged, then emulates. Linux 5.15 traces kvm_mmu_set_spte for that, 6.1 ("KVM: MMU: inline set_spte in mmu_set_spte") only when the spte changes.',
  guest: { mode: 'x86-64', cr3: '0x1000' },
  host: { hugePages: false, memoryMiB: 64 },
  memory: [
    { gpa: '0x1000', entries: { 0: '0x2027', 1: '0x6027' } },
    { gpa: '0x8000', entries: { 0: '0x2027', 1: '0x6027' } },
    { gpa: '0x2000', entries: { 0: '0x3027' } },
    { gpa: '0x3000', entries: { 0: '0x4027' } },
    { gpa: '0x4000', entries: { 16: '0x20063' } },
    { gpa: '0x6000', entries: { 0: '0x7027' } },
    { gpa: '0x7000', entries: { 0: '0x5027' } },
    { gpa: '0x5000', entries: { 0: '0x3067' } },
  ],
  steps: [F('0x10000'), W('0x8000000010', '0x0'), CR3('0x8000'), F('0x10000'), W('0x8000000018', '0x0'), R('0x8000000000')],
});
