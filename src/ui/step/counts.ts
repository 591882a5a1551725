/**
 * How many shadow pages are alive after a step, from its events alone: kept
 * apart (no imports but types) so the timeline worker counts them while it
 * builds, and the page never walks every event of a 10,000-step run.
 */
import type { TraceEvent } from '../../core/index.ts';

/** Shadow pages alive after `evs`, from `start`: a created page counts up, each freed one down. */
export const shadowPagesAfter = (evs: readonly TraceEvent[], start: number): number =>
  evs.reduce((n, e) => (e.kind === 'kvm_mmu_get_page' && e.created ? n + 1 : e.kind === 'kvm_mmu_commit_zap_page' ? n - e.freed.length : n), start);
