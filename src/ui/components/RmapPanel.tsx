/**
 * The reverse map of a guest frame: every spte that maps it (KVM's rmap,
 * which write protection, zapping and unsync go through). Select a page
 * entry or a leaf spte to see it.
 */
import { useState } from 'react';
import type { KernelBug, MachineJson } from '../../core/index.ts';
import { parseU64, u64Below, u64ToNumber } from '../../scenarios/hex.ts';
import { storeActions, useStore } from '../store/index.ts';
import { Glossed, Term } from '../glossary/Term.tsx';

/** The gfn a selection is about: a guest leaf entry's frame, or a leaf spte's gfn. */
function selectedGfn(m: MachineJson, guest: ReadonlyArray<{ gfn: string; entries: ReadonlyArray<{ index: number; target: string; leaf: boolean }> }>, sel: string | null): string | null {
  if (!sel) return null;
  const [kind, a, b] = sel.split(':');
  if (kind === 'gte') {
    const e = guest.find((t) => t.gfn === a)?.entries.find((x) => x.index === Number(b));
    return e?.leaf ? e.target : null;
  }
  if (kind === 'spte') return m.shadowPages.find((sp) => sp.id === Number(a))?.sptes.find((e) => e.index === Number(b))?.gfn ?? null;
  if (kind === 'gfn') return a ?? null;
  return null;
}

/** A gfn typed by the user: hex (the 0x may be left out), below 2^40; read by the scenario parser's parseU64. */
function parseGfn(text: string): string | null {
  const t = text.trim();
  const v = parseU64(/^0x/i.test(t) ? t : `0x${t}`, '0x345');
  return typeof v === 'string' || !u64Below(v, 40) ? null : `0x${u64ToNumber(v).toString(16)}`;
}

/** Look up any gfn's rmap by typing it. */
function GfnInput({ current }: { current: string | null }) {
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  return (
    <form
      className="form-row text-sm"
      onSubmit={(e) => {
        e.preventDefault();
        const gfn = parseGfn(text);
        setError(gfn ? null : 'a gfn is a hex frame number, like 0x345');
        if (gfn) useStore.getState().select(`gfn:${gfn}`);
      }}
    >
      <label className="ctl">
        rmap of gfn <input value={text} onChange={(e) => setText(e.target.value)} placeholder={current ?? 'hex, e.g. 0x14'} size={10} data-testid="rmap-gfn" aria-invalid={error ? true : undefined} />
      </label>
      <button type="submit" className="btn">
        Show
      </button>
      {error && (
        <span role="alert" className="text-xs">
          {error}
        </span>
      )}
    </form>
  );
}

export function RmapPanel({ machine, guest }: { machine: MachineJson; guest: ReadonlyArray<{ gfn: string; entries: ReadonlyArray<{ index: number; target: string; leaf: boolean }> }> }) {
  const selected = useStore((s) => s.selected);
  const gfn = selectedGfn(machine, guest, selected);
  if (!gfn)
    return (
      <section className="panel" aria-label="Reverse map" data-testid="rmap">
        <GfnInput current={null} />
        <p className="text-xs opacity-80">
          <Glossed text="Or select a page entry or a leaf spte in the tables: the rmap lists every spte that maps a guest frame (gfn)." />
        </p>
      </section>
    );
  const g = parseInt(gfn, 16);
  const rows = machine.rmap.filter((r) => {
    const base = parseInt(r.gfn, 16);
    return g >= base && g < base + 2 ** (9 * (r.level - 1));
  });
  const shadowed = machine.shadowPages.filter((sp) => sp.gfn === gfn && !sp.role.direct);
  const a = storeActions();
  return (
    <section className="panel" aria-label={`Reverse map of gfn ${gfn}`} data-testid="rmap">
      <h2 className="panel-title">
        <Term id="rmap">rmap</Term> of <Term id="gfn">gfn</Term> {gfn}
      </h2>
      <GfnInput current={gfn} />
      {rows.length === 0 ? (
        <p className="text-sm">
          No <Term id="spte">spte</Term> maps this frame now.
        </p>
      ) : (
        <ul className="text-sm">
          {rows.flatMap((r) =>
            r.sptes.map((s) => (
              <li key={`${r.level}:${s.sp}:${s.index}`}>
                <button type="button" className="linkish" onClick={() => a.select(`spte:${s.sp}:${s.index}`)}>
                  sp {s.sp} entry {s.index}
                </button>{' '}
                (<Term id="level">level</Term> {r.level}
                {r.level > 1 ? `, a ${r.level === 2 ? '2 MiB' : '1 GiB'} mapping from gfn ${r.gfn}` : ''})
                {s.stale === 'freed' && (
                  <span className="rmap-stale" data-testid="rmap-stale">
                    {' '}
                    <Glossed text={`stale: sp ${s.sp} has been freed, so the next walk of this rmap reads and writes freed memory (use-after-free)`} />
                  </span>
                )}
                {s.stale === 'wrong-gfn' && (
                  <span className="rmap-stale" data-testid="rmap-stale">
                    {' '}
                    <Glossed text={`stale: sp ${s.sp} is a direct page, and kvm_mmu_page_get_gfn() computes another gfn for this entry, so rmap_remove() will search another list and leave this one behind`} />
                  </span>
                )}
              </li>
            )),
          )}
        </ul>
      )}
      <p className="text-xs opacity-80">
        <Glossed
          text={shadowed.length
          ? `gfn ${gfn} is also a guest page table, shadowed by sp ${shadowed.map((s) => s.id).join(', ')}: ${machine.writeTracked.includes(gfn) ? 'write-tracked (an upper-level table)' : shadowed.every((s) => s.unsync) ? 'unsync, so the guest may write it' : 'write-protected'}.`
          : machine.writeTracked.includes(gfn)
            ? `gfn ${gfn} is write-tracked.`
            : ''}
        />
      </p>
    </section>
  );
}

const BUG_TEXT: Record<KernelBug['kind'], string> = {
  'stale-rmap': 'stale rmap',
  pte_list_remove: 'pte_list_remove BUG',
  'use-after-free': 'use-after-free',
};

/** The kernel data corruption the modelled kernel has run into up to this step, if any. */
export function KernelBugBanner({ bugs }: { bugs: MachineJson['bugs'] }) {
  if (bugs.length === 0) return null;
  const a = storeActions();
  return (
    <section className="bug-banner" role="alert" aria-label="Kernel data corruption" data-testid="kernel-bugs">
      <strong>This kernel has corrupted its own data.</strong> The simulation goes on (where 5.15 would BUG(), it continues as later kernels with KVM_BUG_ON_DATA_CORRUPTION do) so you can see the damage:
      <ul>
        {bugs.map((b, i) => (
          <li key={i}>
            <button type="button" className="linkish" onClick={() => a.jumpTo(b.step + 1)}>
              step {b.step + 1}
            </button>{' '}
            <Glossed text={`${BUG_TEXT[b.kind]}: ${b.text}`} />
          </li>
        ))}
      </ul>
    </section>
  );
}
