/**
 * kvm_mmu_pte_write() (mmu.c, 5.15): the page-track write notifier run after
 * the emulator wrote guest memory. It zaps the sptes that shadow the written
 * guest entries, zaps whole pages on misaligned writes or write flooding.
 */
import { hex, hex64 } from '../bits.ts';
import type { Machine, ShadowPage } from '../machine.ts';
import { PG_LEVEL_4K } from './constants.ts';
import { gfnIndirectValidSps, kvmMmuPrepareZapPage, mmuPageZapPte } from './pages.ts';
import { kvmMmuFlushOrZap } from './sync.ts';
import { L61_NO_CURRENT_FLUSH_ON_SP_CHANGE, linux61Fired, noCurrentFlushOnSpChange } from './rules.ts';
import { getSpte, isShadowPresent } from './spte.ts';

/** detect_write_misaligned(): a 1-byte write to an entry's start is fine (andb clearing a flag). */
function detectWriteMisaligned(sp: ShadowPage, gpa: number, bytes: number): boolean {
  const offset = gpa % 4096;
  const pteSize = sp.role.gpteIs8Bytes ? 8 : 4;
  if (!(offset & (pteSize - 1)) && bytes === 1) return false;
  const misaligned = (offset ^ (offset + bytes - 1)) & ~(pteSize - 1);
  return misaligned !== 0 || bytes < 4;
}

/** detect_write_flooding(): level-1 pages are exempt (they can go unsync instead). */
function detectWriteFlooding(m: Machine, sp: ShadowPage): boolean {
  if (sp.role.level === PG_LEVEL_4K) return false;
  sp.writeFloodingCount++;
  const flooded = sp.writeFloodingCount >= 3;
  if (m.tracing) m.emit({ kind: 'detect_write_flooding', sp: sp.id, count: sp.writeFloodingCount, flooded });
  return flooded;
}

/**
 * get_written_sptes(): which sptes of `sp` shadow the written bytes. For
 * 4-byte gptes the offset doubles (32->64 bit entries), and a PDE write hits
 * two shadow PDEs (a 4 MiB guest PDE is two 2 MiB shadow PDEs), in the
 * quadrant the offset falls into.
 */
function getWrittenSptes(sp: ShadowPage, gpa: number): { indexes: number[]; formula: string } {
  let pageOffset = gpa % 4096;
  let npte = 1;
  let formula = `offset 0x${pageOffset.toString(16)}`;
  if (!sp.role.gpteIs8Bytes) {
    pageOffset <<= 1;
    formula += ` << 1 = 0x${pageOffset.toString(16)}`;
    if (sp.role.level === 2) {
      pageOffset &= ~7;
      pageOffset <<= 1;
      npte = 2;
      formula += `, & ~7 << 1 = 0x${pageOffset.toString(16)}`;
    }
    const quadrant = pageOffset >>> 12;
    pageOffset &= 4095;
    formula += `; quadrant ${quadrant}${quadrant === sp.role.quadrant ? '' : ` != q${sp.role.quadrant}`}`;
    if (quadrant !== sp.role.quadrant) return { indexes: [], formula };
  }
  const first = pageOffset >>> 3;
  const indexes = npte === 2 ? [first, first + 1] : [first];
  return { indexes, formula: `${formula}; spte ${indexes.join(', ')}` };
}

export function kvmMmuPteWrite(m: Machine, gpa: number, bytesIn: number): void {
  if (m.indirectShadowPages === 0) return;
  const gfn = Math.floor(gpa / 4096);
  // mmu_pte_write_fetch_gpte(): with CR4.PAE (is_pae) a 4-byte write is half of an 8-byte gpte.
  let bytes = bytesIn;
  let at = gpa;
  if (m.cpu.cr4.pae && bytes === 4) {
    at -= at % 8;
    bytes = 8;
  }
  const gentry = bytes === 4 || bytes === 8 ? m.mem.read(at, bytes) : { lo: 0, hi: 0 };
  if (m.tracing) m.emit({ kind: 'kvm_mmu_pte_write', gpa: hex(at), bytes, gentry: hex64(gentry) });
  m.stats.mmu_pte_write++;
  let flush = false;
  let localFlush = false;
  for (const sp of gfnIndirectValidSps(m, gfn)) {
    if (sp.role.invalid) continue;
    const misaligned = detectWriteMisaligned(sp, at, bytes);
    if (misaligned && m.tracing) m.emit({ kind: 'detect_write_misaligned', sp: sp.id });
    if (misaligned || detectWriteFlooding(m, sp)) {
      kvmMmuPrepareZapPage(m, sp, misaligned ? 'misaligned write' : 'write flooding');
      m.stats.mmu_flooded++;
      continue;
    }
    const { indexes, formula } = getWrittenSptes(sp, at);
    if (m.tracing) m.emit({ kind: 'get_written_sptes', sp: sp.id, indexes, formula });
    if (indexes.length) localFlush = true;
    for (const i of indexes) {
      const entry = getSpte(sp.spt, i);
      mmuPageZapPte(m, sp, i);
      if ((gentry.lo || gentry.hi) && sp.role.level !== PG_LEVEL_4K) m.stats.mmu_pde_zapped++;
      if (isShadowPresent(entry)) flush = true;
    }
  }
  // 6.1 (noCurrentFlushOnSpChange): kvm_mmu_remote_flush_or_zap(), no local flush.
  if (noCurrentFlushOnSpChange(m)) {
    if (localFlush && !flush && m.invalidList.length === 0 && m.linux61Fired) linux61Fired(m, L61_NO_CURRENT_FLUSH_ON_SP_CHANGE);
    kvmMmuFlushOrZap(m, flush, false);
  } else kvmMmuFlushOrZap(m, flush, localFlush);
}
