/**
 * A machine state as plain JSON: what the trace CLI prints as `final` and what
 * the UI renders. Stable ordering (by id, by index) so output is byte-stable.
 */
import { hex, hex64 } from './bits.ts';
import { guestMode } from './guest/cpu.ts';
import type { KernelBug, KvmStats, Machine, ShadowPage, VcpuStats } from './machine.ts';
import { refId, refIndex, rmapKey } from './machine.ts';
import { type RoleJson, roleJson } from './mmu/role.ts';
import { spNotation } from './mmu/pages.ts';
import { decodeSpte, getSpte, isLastSpte, isShadowPresent, isMmioSpte, sptePfn, isZero } from './mmu/spte.ts';
import { kvmMmuPageGetGfn } from './mmu/pages.ts';
import { SP_PFN_BASE } from './host.ts';
import type { GuestMode } from './scenario.ts';

export interface SpteJson {
  readonly index: number;
  readonly value: string;
  readonly flags: string;
  /** A non-leaf spte: the child shadow page id. */
  readonly child?: number;
  /** A leaf: the gfn it maps (kvm_mmu_page_get_gfn) and the host pfn. */
  readonly gfn?: string;
  readonly pfn?: string;
  readonly mmio?: boolean;
}

export interface ShadowPageJson {
  readonly id: number;
  readonly gfn: string;
  readonly role: RoleJson;
  readonly notation: string;
  readonly unsync: boolean;
  readonly unsyncChildren: number;
  readonly unsyncChildBitmap: readonly number[];
  readonly rootCount: number;
  readonly writeFloodingCount: number;
  readonly parents: ReadonlyArray<{ readonly sp: number; readonly index: number }>;
  readonly sptes: readonly SpteJson[];
  readonly createdAt: number;
}

export interface MachineJson {
  readonly mode: GuestMode;
  readonly cpu: {
    readonly cr0: { readonly pg: boolean; readonly wp: boolean };
    readonly cr3: string;
    readonly cr4: { readonly pse: boolean; readonly pae: boolean; readonly smep: boolean; readonly smap: boolean; readonly pcide: boolean };
    readonly efer: { readonly lme: boolean; readonly lma: boolean; readonly nx: boolean };
    readonly pdptrs: readonly string[];
  };
  /** PAE shadowing: pae_root[0..3] (null = INVALID_PAE_ROOT); long mode: [root]; none loaded: []. */
  readonly roots: ReadonlyArray<number | null>;
  readonly rootPgd: string;
  readonly prevRoots: ReadonlyArray<{ readonly pgd: string; readonly root: number | null }>;
  readonly shadowPages: readonly ShadowPageJson[];
  readonly activeList: readonly number[];
  readonly writeTracked: readonly string[];
  /**
   * pte_list per gfn. `stale` marks an entry the kernel could not use safely:
   * its page was freed (`freed`), or kvm_mmu_page_get_gfn() of its page gives
   * another gfn (`wrong-gfn`), so rmap_remove() will search another list.
   */
  readonly rmap: ReadonlyArray<{
    readonly level: number;
    readonly gfn: string;
    readonly sptes: ReadonlyArray<{ readonly sp: number; readonly index: number; readonly stale?: 'freed' | 'wrong-gfn' }>;
  }>;
  readonly stats: KvmStats & VcpuStats & { readonly n_used_mmu_pages: number; readonly indirect_shadow_pages: number };
  /** Kernel data corruption the modelled kernel has run into so far. */
  readonly bugs: ReadonlyArray<KernelBug>;
}

function spteJson(m: Machine, sp: ShadowPage, i: number): SpteJson | null {
  const v = getSpte(sp.spt, i);
  if (isZero(v)) return null;
  const base = { index: i, value: hex64(v), flags: decodeSpte(v) };
  if (isMmioSpte(v)) return { ...base, mmio: true, gfn: hex(sptePfn(v)) };
  if (!isShadowPresent(v)) return base;
  if (!isLastSpte(v, sp.role.level)) return { ...base, child: sptePfn(v) - SP_PFN_BASE };
  return { ...base, gfn: hex(kvmMmuPageGetGfn(sp, i)), pfn: hex(sptePfn(v)) };
}

export function shadowPageJson(m: Machine, sp: ShadowPage): ShadowPageJson {
  const sptes: SpteJson[] = [];
  const bitmap: number[] = [];
  const spt = sp.spt;
  for (let i = 0; i < 512; i++) {
    // Most sptes are zero: skip them without building a U64 (this runs for every page at every step the UI shows).
    if (spt.get(2 * i) || spt.get(2 * i + 1)) {
      const s = spteJson(m, sp, i);
      if (s) sptes.push(s);
    }
    if (sp.unsyncChildBitmap.get(i)) bitmap.push(i);
  }
  return {
    id: sp.id,
    gfn: hex(sp.gfn),
    role: roleJson(sp.role),
    notation: spNotation(sp),
    unsync: sp.unsync,
    unsyncChildren: sp.unsyncChildren,
    unsyncChildBitmap: bitmap,
    rootCount: sp.rootCount,
    writeFloodingCount: sp.writeFloodingCount,
    parents: sp.parentPtes.map((r) => ({ sp: refId(r), index: refIndex(r) })).sort((a, b) => a.sp - b.sp || a.index - b.index),
    sptes,
    createdAt: sp.createdAt,
  };
}

export function machineJson(m: Machine): MachineJson {
  const c = m.cpu;
  const roots: Array<number | null> = m.mmu.root === 'pae' ? [...m.mmu.paeRoot] : m.mmu.root === null ? [] : [m.mmu.root];
  const rmap = [...m.rmap.entries()]
    .map(([key, refs]) => {
      const level = Math.floor(key / 2 ** 40);
      const region = key - level * 2 ** 40;
      const stale = (r: number): 'freed' | 'wrong-gfn' | null => {
        const sp = m.sps.get(refId(r));
        if (!sp) return 'freed';
        return rmapKey(level, kvmMmuPageGetGfn(sp, refIndex(r))) === key ? null : 'wrong-gfn';
      };
      return {
        level,
        gfn: hex(region * 2 ** (9 * (level - 1))),
        sptes: refs.map((r) => {
          const why = stale(r);
          return why ? { sp: refId(r), index: refIndex(r), stale: why } : { sp: refId(r), index: refIndex(r) };
        }),
      };
    })
    .sort((a, b) => a.level - b.level || parseInt(a.gfn, 16) - parseInt(b.gfn, 16));
  return {
    mode: guestMode(c),
    cpu: {
      cr0: { ...c.cr0 },
      cr3: hex(c.cr3),
      cr4: { ...c.cr4 },
      efer: { lme: c.efer.lme, lma: c.efer.lme && c.cr0.pg, nx: c.efer.nx },
      pdptrs: c.pdptrs.map(hex64),
    },
    roots,
    rootPgd: hex(m.mmu.rootPgd),
    prevRoots: m.mmu.prevRoots.map((p) => ({ pgd: hex(p.pgd), root: p.root })),
    shadowPages: [...m.sps.values()].sort((a, b) => a.id - b.id).map((sp) => shadowPageJson(m, sp)),
    activeList: [...m.activeList],
    writeTracked: [...m.writeTrack.keys()].sort((a, b) => a - b).map(hex),
    rmap,
    bugs: m.bugs.map((b) => ({ ...b })),
    stats: { ...m.stats, ...m.vcpuStats, n_used_mmu_pages: m.nUsedMmuPages, indirect_shadow_pages: m.indirectShadowPages },
  };
}
