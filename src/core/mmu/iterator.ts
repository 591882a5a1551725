/**
 * struct kvm_shadow_walk_iterator: shadow_walk_init_using_root(),
 * shadow_walk_okay(), shadow_walk_next() (mmu.c).
 */
import { getSp, type Machine, type ShadowPage } from '../machine.ts';
import { shadowRootLevel } from '../guest/cpu.ts';
import { childOfWords } from './pages.ts';
import { getSpte, isLastSpteOf, isShadowPresentOf } from './spte.ts';
import type { U64 } from '../bits.ts';

/** SHADOW_PT_INDEX(addr, level): shadow tables are always 8-byte, 512 entries. */
export const shadowIndex = (addr: number, level: number): number => Math.floor(addr / LEVEL_SPAN[level]!) & 511;
/** Bytes an entry covers at each level (index 1-5): no power computed per lookup (every access walks 2-4 levels). */
const LEVEL_SPAN = [0, 2 ** 12, 2 ** 21, 2 ** 30, 2 ** 39, 2 ** 48];

export class ShadowWalk {
  sp: ShadowPage | null = null;
  level = 0;
  index = 0;

  /** `root` is the current root (or a prev root's sp id); 'pae' walks through pae_root[]. */
  constructor(
    private readonly m: Machine,
    readonly addr: number,
    root: number | 'pae' | null,
  ) {
    if (root === null) return;
    if (root === 'pae') {
      const id = m.mmu.paeRoot[Math.floor(addr / 2 ** 30) & 3] ?? null;
      if (id === null) return; // INVALID_PAE_ROOT: the walk is empty
      this.sp = getSp(m, id);
      this.level = 2;
      return;
    }
    this.sp = getSp(m, root);
    this.level = shadowRootLevel(m.cpu) === 4 ? 4 : this.sp.role.level;
  }

  /** shadow_walk_okay(): computes the index of this level's spte. */
  okay(): boolean {
    if (this.level < 1 || !this.sp) return false;
    this.index = shadowIndex(this.addr, this.level);
    return true;
  }

  spte(): U64 {
    return getSpte(this.sp!.spt, this.index);
  }

  /** shadow_walk_next(): stop after a leaf; descend into the child table otherwise. */
  next(): void {
    // The spte's two halves, not an object: every fault walks 2-4 levels.
    const spt = this.sp!.spt;
    const lo = spt.get(2 * this.index);
    if (!isShadowPresentOf(lo) || isLastSpteOf(lo, this.level)) {
      this.level = 0;
      return;
    }
    this.sp = childOfWords(this.m, lo, spt.get(2 * this.index + 1));
    this.level--;
  }
}
