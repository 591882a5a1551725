/**
 * set_efer() (arch/x86/kvm/x86.c) resets the MMU context when a bit of the
 * MMU role changes. 5.15.y, since 5.15.33 ("KVM: x86: Reinitialize context if
 * host userspace toggles EFER.LME", upstream d6174299365d):
 *
 *   if ((efer ^ old_efer) & KVM_MMU_EFER_ROLE_BITS)   // EFER_LME | EFER_NX
 *           kvm_mmu_reset_context(vcpu);
 *
 * so an LME change resets as well as an NX change, and a write that changes
 * neither does not. A reset unloads every root (kvm_mmu_unload), and the next
 * VM entry loads new ones.
 */
import { describe, expect, it } from 'vitest';
import { RULE_SETS, type RuleSetName, type TraceEvent } from '../src/core/index.ts';
import { run, type Run } from './run.ts';

type Doc = Record<string, unknown>;

function scenario(mode: 'off' | 'pae', steps: unknown[], guest: Doc = {}): Doc {
  return {
    format: 'shadowpaging/v1',
    title: 'set_efer',
    guest: { mode, cr3: '0x1000', ...guest },
    memory: [
      // PAE: PDPT at 0x1000 -> PD at 0x2000 -> PT at 0x3000 -> page 0x9000 at gva 0x5000.
      { gpa: '0x1000', entrySize: 8, entries: { '0': '0x2001' } },
      { gpa: '0x2000', entrySize: 8, entries: { '0': '0x3027' } },
      { gpa: '0x3000', entrySize: 8, entries: { '5': '0x9027' } },
    ],
    steps,
  };
}

const eventsOf = (r: Run, i: number): readonly TraceEvent[] => r.tl.results[i]!.events;
const resets = (r: Run, i: number) => eventsOf(r, i).filter((e): e is Extract<TraceEvent, { kind: 'kvm_mmu_reset_context' }> => e.kind === 'kvm_mmu_reset_context');
// set_efer shares its event shape with kvm_set_cr0/kvm_set_cr4 (`changed`).
const setEfer = (r: Run, i: number) => eventsOf(r, i).find((e) => e.kind === 'set_efer') as { readonly changed: readonly string[] } | undefined;
/** The roots the vCPU holds after n steps (ids of the shadow pages with a root_count). */
const rootIds = (r: Run, n: number) => r.at(n).shadowPages.filter((sp) => sp.rootCount > 0).map((sp) => sp.id);

describe('set_efer resets the MMU context when EFER.LME or EFER.NX changes, and not otherwise', () => {
  // Breaks if step.ts resets only on NX (v5.15 before the stable fix): the LME write then has no reset.
  it.each(RULE_SETS)('an EFER.LME change (paging off) resets the context and unloads the roots (%s)', (rules: RuleSetName) => {
    const r = run(scenario('off', [{ op: 'read', gva: '0x5000' }, { op: 'efer', lme: true }, { op: 'read', gva: '0x5000' }]), rules);
    expect(setEfer(r, 1)?.changed).toEqual(['LME']);
    expect(resets(r, 1).map((e) => e.reason)).toEqual(['EFER.LME changed']);
    // kvm_mmu_unload() frees the four direct roots; the VM entry loads them again.
    const kinds = eventsOf(r, 1).map((e) => e.kind);
    expect(kinds.indexOf('kvm_mmu_free_roots')).toBeGreaterThan(kinds.indexOf('kvm_mmu_reset_context'));
    expect(kinds.indexOf('kvm_mmu_load')).toBeGreaterThan(kinds.indexOf('kvm_mmu_free_roots'));
    expect(r.at(2).cpu.efer.lme).toBe(true);
  });

  // Breaks if the reset is dropped for NX, or its condition compares EFER after it was updated.
  it.each(RULE_SETS.filter((r) => r !== 'linux-6.1'))('an EFER.NX change (paging on) resets the context (%s)', (rules: RuleSetName) => {
    const r = run(scenario('pae', [{ op: 'read', gva: '0x5000' }, { op: 'efer', nx: true }, { op: 'read', gva: '0x5000' }]), rules);
    expect(setEfer(r, 1)?.changed).toEqual(['NX']);
    expect(resets(r, 1).map((e) => e.reason)).toEqual(['EFER.NX changed']);
    // The new root carries efer_nx = 1; the old one (efer_nx = 0) is no longer a root.
    const before = rootIds(r, 1);
    const after = rootIds(r, 2);
    expect(after.some((id) => before.includes(id))).toBe(false);
    expect(r.at(2).shadowPages.filter((sp) => sp.rootCount > 0).every((sp) => sp.role.eferNx)).toBe(true);
  });

  // 6.1's roles have efer_nx = 1 whatever EFER.NX (kvm_init_shadow_mmu): set_efer
  // still resets, and the reload finds the very same root page again.
  it('an EFER.NX change (paging on) resets the context, and the same root comes back (linux-6.1)', () => {
    const r = run(scenario('pae', [{ op: 'read', gva: '0x5000' }, { op: 'efer', nx: true }, { op: 'read', gva: '0x5000' }]), 'linux-6.1');
    expect(setEfer(r, 1)?.changed).toEqual(['NX']);
    expect(resets(r, 1).map((e) => e.reason)).toEqual(['EFER.NX changed']);
    expect(rootIds(r, 2)).toEqual(rootIds(r, 1));
    const gets = eventsOf(r, 1).filter((e): e is Extract<TraceEvent, { kind: 'kvm_mmu_get_page' }> => e.kind === 'kvm_mmu_get_page');
    expect(gets.length).toBeGreaterThan(0);
    expect(gets.every((e) => !e.created && e.role.eferNx)).toBe(true);
  });

  it.each(RULE_SETS)('both bits at once: one reset naming both (%s)', (rules: RuleSetName) => {
    const r = run(scenario('off', [{ op: 'efer', lme: true, nx: true }]), rules);
    expect(setEfer(r, 0)?.changed).toEqual(['NX', 'LME']);
    expect(resets(r, 0)).toHaveLength(1);
  });

  // Breaks if any EFER write resets the context.
  it.each(RULE_SETS)('an EFER write that changes neither bit keeps the context and the roots (%s)', (rules: RuleSetName) => {
    const r = run(scenario('pae', [{ op: 'read', gva: '0x5000' }, { op: 'efer', nx: false }, { op: 'read', gva: '0x5000' }], { efer: { nx: false } }), rules);
    expect(setEfer(r, 1)?.changed).toEqual([]);
    expect(resets(r, 1)).toEqual([]);
    expect(rootIds(r, 2)).toEqual(rootIds(r, 1));
  });

  it.each(RULE_SETS)('an EFER.LME change while paging is refused with #GP, before set_efer changes anything (%s)', (rules: RuleSetName) => {
    const r = run(scenario('pae', [{ op: 'read', gva: '0x5000' }, { op: 'efer', lme: true }]), rules);
    expect(r.tl.results[1]!.vector).toBe(13);
    expect(setEfer(r, 1)).toBeUndefined();
    expect(resets(r, 1)).toEqual([]);
    expect(r.at(2).cpu.efer.lme).toBe(false);
  });
});
