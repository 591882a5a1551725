/**
 * The call-path story told truly: one test per narration item of issue 15,
 * each read against Linux 5.15 (the function named in each test).
 */
import { describe, expect, it } from 'vitest';
import { RULE_SETS, Timeline, type TraceEvent } from '../../core/index.ts';
import type { RuleSetName } from '../../core/scenario.ts';
import { LIBRARY } from '../../scenarios/library/index.ts';
import { parseScenario } from '../../scenarios/schema.ts';
import { type StoryLine, storyOf } from './explain.ts';
import { kernelLink } from './kernel-links.ts';

const timelines = new Map<string, Timeline>();
function timeline(id: string, rules: RuleSetName = 'merged'): Timeline {
  const key = `${id}/${rules}`;
  let tl = timelines.get(key);
  if (!tl) {
    const entry = LIBRARY.find((e) => e.id === id);
    if (!entry) throw new Error(`no built-in ${id}`);
    tl = fromJson(entry.json, rules);
    timelines.set(key, tl);
  }
  return tl;
}
function fromJson(json: unknown, rules: RuleSetName = 'merged'): Timeline {
  const p = parseScenario(json);
  if (!p.ok) throw new Error(p.error.message);
  return new Timeline(p.scenario, rules);
}
/** Events of step n as the UI numbers them (0 = the initial VM entry). */
const eventsAt = (tl: Timeline, n: number): readonly TraceEvent[] => (n === 0 ? tl.initialEvents : tl.results[n - 1]!.events);
const story = (id: string, n: number, rules: RuleSetName = 'merged') => storyOf(eventsAt(timeline(id, rules), n));
const fns = (lines: readonly StoryLine[]) => lines.map((l) => l.fn);
/** The line a line is called from: the nearest earlier line one level up. */
function parentOf(lines: readonly StoryLine[], k: number): StoryLine | null {
  for (let j = k - 1; j >= 0; j--) if (lines[j]!.depth < lines[k]!.depth) return lines[j]!;
  return null;
}
const ancestors = (lines: readonly StoryLine[], k: number): Array<string | null> => {
  const out: Array<string | null> = [];
  for (let j = k - 1, d = lines[k]!.depth; j >= 0; j--) {
    if (lines[j]!.depth < d) {
      out.push(lines[j]!.fn);
      d = lines[j]!.depth;
    }
  }
  return out;
};
const allSteps = (tl: Timeline) => Array.from({ length: tl.results.length + 1 }, (_, n) => n);

describe('the story of every built-in step', () => {
  it('narrates every event once, in order, as a call tree that never skips a level', () => {
    for (const entry of LIBRARY) {
      for (const rules of RULE_SETS) {
        const tl = timeline(entry.id, rules);
        for (const n of allSteps(tl)) {
          const events = eventsAt(tl, n);
          const lines = storyOf(events);
          const where = `${entry.id} ${rules} step ${n}`;
          const told = lines.filter((l) => l.event >= 0).map((l) => l.event);
          // Event mode reveals lines by event index: each event has its line, in order.
          expect(told, where).toEqual(events.map((_, i) => i));
          lines.forEach((l, k) => {
            expect(l.depth, `${where} line ${k}: ${l.fn} ${l.text}`).toBeLessThanOrEqual(k === 0 ? 0 : lines[k - 1]!.depth + 1);
            if (l.fn && /^[a-z_]+$|^FNAME\(/.test(l.fn)) expect(kernelLink(l.fn), `${where}: ${l.fn} has a source link`).not.toBeNull();
          });
        }
      }
    }
  });
});

describe('paging off: direct_page_fault and __direct_map, no guest walk (item 1)', () => {
  it('tells paging-off step 1 through nonpaging_page_fault -> direct_page_fault -> __direct_map -> direct_pte_prefetch', () => {
    const lines = story('paging-off', 1);
    const f = fns(lines);
    expect(f).toEqual(expect.arrayContaining(['direct_page_fault', '__direct_map', 'kvm_mmu_hugepage_adjust', 'direct_pte_prefetch']));
    expect(f).not.toContain('FNAME(fetch)');
    expect(f).not.toContain('FNAME(page_fault)');
    expect(f).not.toContain('FNAME(walk_addr)');
    expect(f).not.toContain('FNAME(pte_prefetch)');
    expect(lines.some((l) => /guest walk/.test(l.text))).toBe(false);
    const map = f.indexOf('__direct_map');
    expect(parentOf(lines, map)?.fn).toBe('direct_page_fault');
    expect(parentOf(lines, f.indexOf('direct_pte_prefetch'))?.fn).toBe('__direct_map');
    expect(parentOf(lines, f.indexOf('kvm_mmu_get_child_sp'))?.fn).toBe('__direct_map');
  });
  it('keeps FNAME(fetch) for a shadow MMU splitting a guest large page, with __direct_pte_prefetch for its direct page', () => {
    const all = allSteps(timeline('pse-direct-pages')).flatMap((n) => story('pse-direct-pages', n));
    const f = fns(all);
    expect(f).toContain('FNAME(fetch)');
    expect(f).not.toContain('__direct_map');
    expect(f).not.toContain('direct_page_fault');
  });
});

describe('kvm_mmu_hugepage_adjust shows the level mapped and the aligned frame (item 2)', () => {
  it('a guest 4 MiB page on 4 KiB host pages is mapped at level 1, frame not aligned down', () => {
    const lines = story('pse-direct-pages', 1);
    const adj = lines.find((l) => l.fn === 'kvm_mmu_hugepage_adjust')!;
    expect(adj.text).toMatch(/level-1 \(4 KiB\) leaf: gfn 0x12403 -> host pfn/);
    expect(adj.text).toContain('level-2 large page');
  });
  it('a real 2 MiB mapping names the first gfn and a host frame aligned to 2 MiB', () => {
    const lines = story('pse-host-huge', 1);
    const adj = lines.find((l) => l.fn === 'kvm_mmu_hugepage_adjust')!;
    const m = /level-2 \(2 MiB\) leaf: gfn (0x[0-9a-f]+) -> host pfn (0x[0-9a-f]+)/.exec(adj.text);
    expect(m).not.toBeNull();
    expect(parseInt(m![1]!, 16) % 512).toBe(0);
    expect(parseInt(m![2]!, 16) % 512).toBe(0);
    // The event keeps what 5.15 traces (gw->level) beside the level mapped.
    const e = eventsAt(timeline('pse-host-huge'), 1).find((x) => x.kind === 'kvm_mmu_spte_requested');
    expect(e).toMatchObject({ level: 2, mappedLevel: 2, gfn: m![1] });
  });
});

describe('rmap_write_protect only for new level-1 pages (item 3)', () => {
  it('upper-level pages are write-protected by account_shadowed -> kvm_slot_page_track_add_page, level-1 ones by rmap_write_protect', () => {
    let upper = 0;
    let level1 = 0;
    for (const entry of LIBRARY) {
      const tl = timeline(entry.id);
      for (const n of allSteps(tl)) {
        const events = eventsAt(tl, n);
        const lines = storyOf(events);
        events.forEach((e, i) => {
          if (e.kind !== 'kvm_mmu_get_page' || !e.created || e.role.direct) return;
          const wp = events.slice(i + 1).find((x) => x.kind === 'rmap_write_protect');
          const line = lines.find((l) => l.event === events.indexOf(wp!));
          if (e.role.level > 1) {
            upper++;
            expect(wp, `${entry.id} step ${n} sp ${e.sp}`).toMatchObject({ caller: 'kvm_slot_page_track_add_page' });
            expect(line!.fn).toBe('kvm_slot_page_track_add_page');
            expect(parentOf(lines, lines.indexOf(line!))?.fn).toBe('account_shadowed');
          } else {
            level1++;
            expect(wp, `${entry.id} step ${n} sp ${e.sp}`).toMatchObject({ caller: 'rmap_write_protect' });
            expect(line!.fn).toBe('rmap_write_protect');
            expect(parentOf(lines, lines.indexOf(line!))?.fn).toBe('kvm_mmu_get_page');
          }
        });
      }
    }
    expect(upper).toBeGreaterThan(10);
    expect(level1).toBeGreaterThan(10);
  });
});

describe('call-path nesting follows the real callers (item 4)', () => {
  it('kvm_unsync_page and mark_unsync sit under mmu_set_spte -> mmu_try_to_unsync_pages, not under kvm_mmu_hugepage_adjust', () => {
    let seen = 0;
    for (const entry of LIBRARY) {
      const tl = timeline(entry.id);
      for (const n of allSteps(tl)) {
        const lines = storyOf(eventsAt(tl, n));
        lines.forEach((l, k) => {
          if (l.fn !== 'kvm_unsync_page') return;
          seen++;
          const up = ancestors(lines, k);
          expect(up[0]).toBe('mmu_try_to_unsync_pages');
          expect(up).toContain('mmu_set_spte');
          expect(up).not.toContain('kvm_mmu_hugepage_adjust');
          const set = k - 1 - [...lines.slice(0, k)].reverse().findIndex((x) => x.fn === 'mmu_set_spte');
          expect(l.depth).toBeGreaterThan(lines[set]!.depth);
        });
      }
    }
    expect(seen).toBeGreaterThan(0);
  });
  it('INVLPG lists FNAME(invlpg) before what it calls (the zap, the flush, the re-read)', () => {
    const lines = story('unsync-invlpg-sync', 5);
    const f = fns(lines);
    expect(f.indexOf('kvm_mmu_invlpg')).toBe(0);
    const inv = f.indexOf('FNAME(invlpg)');
    expect(inv).toBeGreaterThan(0);
    expect(inv).toBeLessThan(f.indexOf('drop_spte'));
    expect(parentOf(lines, f.indexOf('drop_spte'))?.fn).toBe('FNAME(invlpg)');
    expect(ancestors(lines, f.indexOf('mmu_set_spte'))).toContain('FNAME(invlpg)');
    expect(parentOf(lines, inv)?.fn).toBe('kvm_mmu_invalidate_gva');
  });
  it('sync lists FNAME(sync_page) before its set_spte updates', () => {
    const lines = story('unsync-invlpg-sync', 8);
    const f = fns(lines);
    expect(f.indexOf('FNAME(sync_page)')).toBeLessThan(f.indexOf('set_spte'));
    expect(parentOf(lines, f.indexOf('set_spte'))?.fn).toBe('FNAME(sync_page)');
    expect(parentOf(lines, f.indexOf('FNAME(sync_page)'))?.fn).toBe('mmu_sync_children');
  });
});

describe('FNAME(invlpg) on an injected protection fault is explained (item 5)', () => {
  it('runs under kvm_inject_emulated_page_fault -> kvm_mmu_invalidate_gva, and says why', () => {
    const lines = story('quadrants-32bit', 5);
    const f = fns(lines);
    const inv = f.indexOf('FNAME(invlpg)');
    expect(inv).toBeGreaterThan(0);
    expect(ancestors(lines, inv).slice(0, 2)).toEqual(['kvm_mmu_invalidate_gva', 'kvm_inject_emulated_page_fault']);
    expect(lines[inv - 1]!.text).toMatch(/P=1/);
    expect(lines[inv]!.text).toMatch(/no unsync shadow page on the path/);
    expect(lines.some((l) => l.text === 'nothing unsync on the path')).toBe(false);
    expect(ancestors(lines, f.indexOf('kvm_inject_page_fault'))[0]).toBe('kvm_inject_emulated_page_fault');
  });
  it('every FNAME(invlpg) of a fault step is under kvm_inject_emulated_page_fault', () => {
    for (const entry of LIBRARY) {
      const tl = timeline(entry.id);
      for (const n of allSteps(tl)) {
        const lines = storyOf(eventsAt(tl, n));
        if (!lines.some((l) => l.fn === 'kvm_mmu_page_fault')) continue;
        lines.forEach((l, k) => {
          if (l.fn === 'FNAME(invlpg)') expect(ancestors(lines, k), `${entry.id} step ${n}`).toContain('kvm_inject_emulated_page_fault');
        });
      }
    }
  });
});

describe('64-bit kernel addresses are canonical (item 6)', () => {
  it('prints 0xffff800000123450, never the 48-bit 0x800000123450', () => {
    const tl = timeline('long-mode-4-levels');
    const text = allSteps(tl)
      .flatMap((n) => storyOf(eventsAt(tl, n)))
      .map((l) => l.text)
      .join('\n');
    expect(text).toContain('0xffff800000123450');
    expect(text).not.toMatch(/0x800000123450/);
    const ev = tl.results.flatMap((r) => r.events).find((e) => e.kind === 'kvm_page_fault' && e.gva.startsWith('0xffff'));
    expect(ev).toBeDefined();
  });
});

describe('FNAME(sync_page) calls set_spte, not mmu_set_spte (item 7)', () => {
  it('the resync step labels its updates set_spte', () => {
    const lines = story('unsync-invlpg-sync', 8);
    const sync = fns(lines).indexOf('FNAME(sync_page)');
    const under = lines.filter((l, k) => k > sync && ancestors(lines, k).includes('FNAME(sync_page)'));
    expect(under.filter((l) => l.fn === 'set_spte')).toHaveLength(2);
    expect(under.some((l) => l.fn === 'mmu_set_spte')).toBe(false);
    // The core names the sync path's updates set_spte: no kvm_mmu_set_spte event,
    // as no kvm_mmu_set_spte tracepoint fires there in 5.15.
    const evs = eventsAt(timeline('unsync-invlpg-sync'), 8);
    expect(evs.filter((e) => e.kind === 'set_spte')).toHaveLength(2);
    expect(evs.filter((e) => e.kind === 'kvm_mmu_set_spte')).toHaveLength(0);
  });
});

describe('kvm_mmu_get_page syncing an unsync page it finds', () => {
  it('re-reads it with set_spte but leaves it unsync (5.15: no write-protection, not marked synchronized)', () => {
    const tl = fromJson({
      format: 'shadowpaging/v1',
      title: 'An unsync page found again',
      guest: { mode: 'x86-32', cr3: '0x1000' },
      memory: [
        { gpa: '0x1000', entries: { '0': '0x2027', '2': '0x2027' } },
        { gpa: '0x2000', entries: { '2': '0x2067', '5': '0x3027' } },
      ],
      steps: [
        { op: 'read', gva: '0x5000' },
        { op: 'write', gva: '0x2018', value: '0x4027' },
        { op: 'read', gva: '0x805000' },
      ],
    });
    const lines = storyOf(eventsAt(tl, 3));
    const sync = fns(lines).indexOf('FNAME(sync_page)');
    expect(lines[sync]!.text).toMatch(/kvm_mmu_get_page found it unsync/);
    const result = lines.find((l, k) => k > sync && l.fn === null && l.text.startsWith('->'))!;
    expect(result.text).toMatch(/stays unsync/);
    expect(result.text).not.toMatch(/is in sync/);
    expect(tl.stateAt(3).sps.get(4)?.unsync).toBe(true);
  });
});

describe('the walk\'s access is the fault\'s error code, P included (item 8)', () => {
  it('a write to a present read-only page walks with access 0x3', () => {
    const events = eventsAt(timeline('pd-write-flooding'), 4);
    const pf = events.find((e) => e.kind === 'kvm_page_fault');
    const walk = events.find((e) => e.kind === 'kvm_mmu_pagetable_walk');
    expect(pf).toMatchObject({ errorCode: 3 });
    expect(walk).toMatchObject({ pferr: 3 });
    expect(storyOf(events).find((l) => l.fn === 'FNAME(walk_addr)')!.text).toContain('access 0x3 = P|W');
  });
});

describe('kvm_invalidate_pcid frees the cached roots of the PCID (item 9)', () => {
  const json = {
    format: 'shadowpaging/v1',
    title: 'Two CR3s without PCIDs',
    guest: { mode: 'x86-64', cr3: '0xA000' },
    memory: [
      { gpa: '0xA000', entries: { '0': '0xC027' } },
      { gpa: '0xB000', entries: { '0': '0xC027' } },
      { gpa: '0xC000', entries: { '0': '0xD027' } },
      { gpa: '0xD000', entries: { '0': '0xE027' } },
      { gpa: '0xE000', entries: { '0': '0x10027' } },
    ],
    steps: [
      { op: 'read', gva: '0x0' },
      { op: 'cr3', value: '0xB000' },
    ],
  };
  it('says so, and the core frees them (5.15: every prev root is PCID 0 with PCIDs off)', () => {
    const tl = fromJson(json);
    const events = eventsAt(tl, 2);
    expect(events.find((e) => e.kind === 'kvm_invalidate_pcid')).toMatchObject({ pcid: 0, active: true, freed: [0] });
    const lines = storyOf(events);
    const k = fns(lines).indexOf('kvm_invalidate_pcid');
    expect(lines[k]!.text).toMatch(/free the cached roots with that PCID \(prev_roots\[0\]\)/);
    expect(lines[k]!.text).toMatch(/flush/);
    const free = lines.findIndex((l, j) => j > k && l.fn === 'kvm_mmu_free_roots');
    expect(parentOf(lines, free)?.fn).toBe('kvm_invalidate_pcid');
    expect(tl.stateAt(2).mmu.prevRoots[0]?.root ?? null).toBeNull();
  });
});

describe('pd-write-flooding: which shadow page floods, its count, and why (item 10)', () => {
  it('step 4: the access goes through sp 0 (quadrant 0), so its count restarts; the other three count on', () => {
    const lines = story('pd-write-flooding', 4);
    const reset = lines.find((l) => l.fn === 'clear_sp_write_flooding_count')!;
    expect(reset.text).toMatch(/^sp 0 write_flooding_count 1 -> 0: this access walks through it/);
    expect(parentOf(lines, lines.indexOf(reset))?.fn).toBe('shadow_page_table_clear_flood');
    expect(lines.filter((l) => l.fn === 'detect_write_flooding').map((l) => /sp (\d+) write_flooding_count = (\d+)/.exec(l.text)!.slice(1).join('='))).toEqual(['3=2', '2=2', '1=2', '0=1']);
  });
  it('step 5: sps 3, 2 and 1 flood and are zapped; sp 0 is reused', () => {
    const lines = story('pd-write-flooding', 5);
    const flooded = lines.filter((l) => l.fn === 'detect_write_flooding' && l.tone === 'zap').map((l) => /sp (\d+)/.exec(l.text)![1]);
    expect(flooded).toEqual(['3', '2', '1']);
    expect(lines.find((l) => l.fn === 'detect_write_flooding' && l.text.startsWith('sp 0'))!.text).toMatch(/count = 1 /);
    expect(lines.some((l) => l.fn === 'kvm_mmu_get_page' && /existing sp 0/.test(l.text))).toBe(true);
  });
  it('step 7: the misaligned 2-byte write zaps all four', () => {
    const lines = story('pd-write-flooding', 7);
    const mis = lines.filter((l) => l.fn === 'detect_write_misaligned');
    expect(mis).toHaveLength(4);
    expect(mis[0]!.text).toMatch(/2-byte write at 0x1002 does not cover whole entries/);
    expect(lines.filter((l) => l.fn === 'kvm_mmu_prepare_zap_page' && /misaligned/.test(l.text))).toHaveLength(4);
  });
});

describe('other lines read against the kernel (item 11)', () => {
  it('a MOV CR3 with the same value in a 32-bit guest is kvm_set_cr3\'s short-cut: no new root', () => {
    const lines = story('unsync-invlpg-sync', 8);
    expect(lines[0]!.text).toMatch(/same value 0x1000: no new root/);
    expect(fns(lines)).not.toContain('kvm_mmu_new_pgd');
    // The sync it causes happens at the next VM entry.
    expect(ancestors(lines, fns(lines).indexOf('kvm_mmu_sync_roots'))).toEqual(['vcpu_enter_guest']);
  });
  it('a clean guest page is mapped read-only and the story says why (the dirty-bit trick)', () => {
    const line = story('quadrants-32bit', 1).find((l) => l.fn === 'FNAME(walk_addr_generic)' && l.text.startsWith('->'))!;
    expect(line.text).toMatch(/clean, D=0.*protect_clean_gpte/);
    expect(story('quadrants-32bit', 4).find((l) => l.fn === 'FNAME(walk_addr_generic)' && l.text.startsWith('->'))!.text).not.toMatch(/clean/);
  });
  it('the emulator\'s own walk after an MMIO spte is not told as a shadow page fault', () => {
    const tl = fromJson({
      format: 'shadowpaging/v1',
      title: 'MMIO',
      host: { memoryMiB: 16 },
      guest: { mode: 'x86-32', cr3: '0x1000' },
      memory: [
        { gpa: '0x1000', entries: { '0': '0x2027' } },
        { gpa: '0x2000', entries: { '5': '0x7fff0067' } },
      ],
      steps: [
        { op: 'read', gva: '0x5000' },
        { op: 'read', gva: '0x5000' },
      ],
    });
    const first = storyOf(eventsAt(tl, 1));
    expect(first.find((l) => l.fn === 'kvm_mmu_hugepage_adjust')!.text).toMatch(/no memslot, so no host page/);
    const lines = storyOf(eventsAt(tl, 2));
    const f = fns(lines);
    expect(f).toContain('handle_mmio_page_fault');
    expect(f).not.toContain('FNAME(page_fault)');
    const walk = f.indexOf('vcpu_mmio_gva_to_gpa');
    expect(walk).toBeGreaterThan(f.indexOf('x86_emulate_instruction'));
    expect(parentOf(lines, f.indexOf('FNAME(walk_addr_generic)'))?.fn).toBe('vcpu_mmio_gva_to_gpa');
  });
  it('mmu_alloc_root opens before the page it finds or makes', () => {
    const lines = story('quadrants-32bit', 0);
    const k = fns(lines).indexOf('kvm_mmu_get_page');
    expect(parentOf(lines, k)?.fn).toBe('mmu_alloc_root');
    expect(ancestors(lines, k)).toEqual(['mmu_alloc_root', 'kvm_mmu_load', 'vcpu_enter_guest']);
  });
});

describe('set_efer (x86.c) heads an EFER write, and the reset it causes sits under it', () => {
  it('an EFER.LME write with paging off: set_efer, then kvm_mmu_reset_context', () => {
    const tl = fromJson({
      format: 'shadowpaging/v1',
      title: 'efer',
      guest: { mode: 'off' },
      memory: [],
      steps: [{ op: 'efer', lme: true }],
    });
    const lines = storyOf(eventsAt(tl, 1));
    const f = fns(lines);
    expect(f[0]).toBe('set_efer');
    expect(lines[0]!.text).toMatch(/^EFER write: LME changed/);
    expect(kernelLink('set_efer')).not.toBeNull();
    expect(f).toContain('kvm_mmu_reset_context');
    expect(parentOf(lines, f.indexOf('kvm_mmu_reset_context'))?.fn).toBe('set_efer');
    expect(lines[f.indexOf('kvm_mmu_reset_context')]!.text).toMatch(/EFER\.LME changed: unload every root/);
  });
});
