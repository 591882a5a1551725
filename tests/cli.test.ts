/** The trace CLI as courses will call it: JSON out, one-line errors, exit codes. */
import { describe, expect, it } from 'vitest';
import { runCli } from './cli-run.ts';

const cli = (args: string[], input?: string) => runCli('trace', args, { input });

describe('trace CLI', () => {
  it('prints outcomes, events and the final state as JSON', () => {
    const r = cli(['tests/fixtures/two-quadrants.json']);
    expect(r.status).toBe(0);
    const t = JSON.parse(r.stdout);
    expect(t.steps.map((s: { outcome: string }) => s.outcome)).toEqual(['shadow-fault', 'shadow-fault', 'hit']);
    expect(t.final.roots).toHaveLength(4);
    expect(t.final.shadowPages.filter((sp: { gfn: string }) => sp.gfn === '0x3').map((sp: { role: { quadrant: number } }) => sp.role.quadrant)).toEqual([0, 1]);
    expect(t.steps[0].events[0].kind).toBe('sim_hardware_walk');
    expect(t.final.stats.mmu_cache_miss).toBe(6);
  });
  it('reads stdin, and --at gives the state after N steps', () => {
    const text = JSON.stringify({ format: 'shadowpaging/v1', title: 't', guest: { mode: 'off' }, steps: [{ op: 'read', gva: '0x1000' }] });
    const t = JSON.parse(cli(['-', '--at', '0', '--rules', 'merged'], text).stdout);
    expect(t.at).toBe(0);
    expect(t.steps).toEqual([]);
    expect(t.rules).toBe('merged');
    expect(t.final.shadowPages).toHaveLength(4);
  });
  it('is byte-for-byte deterministic', () => {
    expect(cli(['tests/fixtures/two-quadrants.json']).stdout).toBe(cli(['tests/fixtures/two-quadrants.json']).stdout);
  });
  it('--compare prints the role differences between rule sets as JSON', () => {
    const r = cli(['src/scenarios/library/pse-direct-pages.json', '--compare', 'before,seed']);
    expect(r.status).toBe(0);
    const rep = JSON.parse(r.stdout);
    expect(rep.format).toBe('shadowpaging-compare/v1');
    expect(rep.rules).toEqual(['before', 'seed']);
    expect(rep.summary.fieldsDiffering).toEqual(['gpteIs8Bytes']);
    expect(cli(['src/scenarios/library/pse-direct-pages.json', '--compare', 'seed']).status).toBe(2);
  });
  it('--rules merged-no-7 and --compare merged-no-7,merged show the stale child of patch 7/8', () => {
    const t = JSON.parse(cli(['src/scenarios/library/stale-child-uaf.json', '--rules', 'merged-no-7']).stdout);
    expect(t.final.bugs.map((b: { kind: string }) => b.kind)).toEqual(['stale-rmap', 'pte_list_remove', 'use-after-free']);
    const rep = JSON.parse(cli(['src/scenarios/library/stale-child-uaf.json', '--compare', 'merged-no-7,merged']).stdout);
    expect(rep.summary.kernelBugs).toBe(3);
    expect(rep.summary.guestVisible).toBeGreaterThan(0);
  });
  it('--rules linux-6.1: 6.1 roles (efer_nx always), its changes listed with their commits, and the real-kernel check scenario', () => {
    const r = cli(['tests/golden/linux-6.1-checks/l61-sync-empty-prev-roots.json', '--rules', 'linux-6.1']);
    expect(r.status).toBe(0);
    const t = JSON.parse(r.stdout);
    expect(t.rules).toBe('linux-6.1');
    expect(t.kernel.roleFields).toContain('has_4_byte_gpte');
    expect(t.kernel.roleFields).toContain('passthrough');
    expect(t.kernel.roleFields).not.toContain('gpte_is_8_bytes');
    expect(t.kernel.changes.map((c: { commit: string }) => c.commit)).toContain('KVM: X86: Cache CR3 in prev_roots when PCID is disabled');
    expect(t.final.shadowPages.every((sp: { role: { eferNx: boolean } }) => sp.role.eferNx)).toBe(true);
    // The switch back to CR3 0x1000 (step 7) finds the cached root: no kvm_mmu_get_page.
    expect(t.steps[7].events.filter((e: { kind: string }) => e.kind === 'kvm_mmu_get_page')).toEqual([]);
    // The other rule sets' documents have no `kernel` section.
    expect(JSON.parse(cli(['tests/golden/linux-6.1-checks/l61-sync-empty-prev-roots.json', '--rules', 'merged']).stdout).kernel).toBeUndefined();
  });
  it('--compare merged,linux-6.1 names the 6.1 change behind each difference', () => {
    const r = cli(['tests/golden/linux-6.1-checks/l61-sync-empty-prev-roots.json', '--compare', 'merged,linux-6.1']);
    expect(r.status).toBe(0);
    const rep = JSON.parse(r.stdout);
    expect(rep.rules).toEqual(['merged', 'linux-6.1']);
    expect(rep.summary.fieldsDiffering).toEqual(['eferNx']);
    expect(rep.roleDifferences[0].rules.eferNx['linux-6.1']).toContain('store shadow EFER.NX in the MMU role');
    expect(rep.summary.guestVisible).toBe(0);
    // Step 7: merged requests the old root again, 6.1 does not (prev_roots kept without PCID).
    const req = rep.behaviourDifferences.find((b: { step: number; kind: string }) => b.step === 7 && b.kind === 'requests');
    expect(req.values).toEqual({ merged: 'requested', 'linux-6.1': 'not requested' });
    expect(req.linux61).toContain('prev-roots-without-pcid');
    expect(rep.linux61Changes.map((c: { step: number }) => c.step)).toContain(5);
  });
  it('rejects an invalid scenario with one line naming the field and exit status 2', () => {
    const bad = JSON.stringify({ format: 'shadowpaging/v1', title: 't', guest: { mode: 'x86-32', cr3: '0x1000' }, steps: [{ op: 'read', gva: 'zz' }] });
    const r = cli(['-'], bad);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^invalid scenario: steps\[0\]\.gva: /);
    expect(cli(['-'], '{').status).toBe(2);
    expect(cli(['tests/fixtures/two-quadrants.json', '--rules', 'x']).status).toBe(2);
    expect(cli(['tests/fixtures/two-quadrants.json', '--at', '9']).status).toBe(2);
  });
});
