/**
 * baseRole and computeRootRole keep each role they make, by the rule set, the
 * 6.1 changes and seven CPU bits (rules.ts roleCacheKey), and childRole each
 * child's role by its parent's role and childRoleKey (access, direct, the
 * index's parity, the merged series). These tests would fail if a key left
 * out an input a role depends on (two settings would then share one role),
 * or if a kept role were changed by a caller.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CpuState } from '../src/core/guest/cpu.ts';
import { baseRole, childRole, computeChildRole, computeRootRole, linux61Changes, LINUX_61_CHANGES, RULE_SETS, sim_clearRoleCache } from '../src/core/mmu/rules.ts';
import type { RuleSetName } from '../src/core/scenario.ts';

const cpuArb = fc.record({
  cr0: fc.record({ pg: fc.boolean(), wp: fc.boolean() }),
  cr3: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  cr4: fc.record({ pse: fc.boolean(), pae: fc.boolean(), smep: fc.boolean(), smap: fc.boolean(), pcide: fc.boolean() }),
  efer: fc.record({ lme: fc.boolean(), nx: fc.boolean() }),
  maxPhyAddr: fc.integer({ min: 32, max: 52 }),
});

const callArb = fc.record({
  rules: fc.constantFrom(...RULE_SETS),
  // Some 6.1 changes switched off, as tests of single changes do.
  off: fc.subarray(LINUX_61_CHANGES.map((c) => c.id)),
  cpu: cpuArb,
  rootIndex: fc.integer({ min: 0, max: 3 }),
  level: fc.integer({ min: 2, max: 5 }),
  // A child of the root and a child of that child (kvm_mmu_child_role, or the gaddr formula before the patch).
  child: fc.record({ index: fc.integer({ min: 0, max: 511 }), gaddr: fc.integer({ min: 0, max: 2 ** 32 - 1 }), direct: fc.boolean(), access: fc.integer({ min: 0, max: 7 }) }),
  grandchild: fc.record({ index: fc.integer({ min: 0, max: 511 }), direct: fc.boolean(), access: fc.integer({ min: 0, max: 7 }) }),
});

type Call = {
  rules: RuleSetName;
  off: Parameters<typeof linux61Changes>[1];
  cpu: Omit<CpuState, 'pdptrs'>;
  rootIndex: number;
  level: number;
  child: { index: number; gaddr: number; direct: boolean; access: number };
  grandchild: { index: number; direct: boolean; access: number };
};

const cpuOf = (c: Call['cpu']): CpuState => {
  const zero = { lo: 0, hi: 0 };
  return { ...c, pdptrs: [zero, zero, zero, zero] };
};

/** Both roles of a call, as plain data. */
function rolesOf(c: Call): unknown {
  const cpu = cpuOf(c.cpu);
  const linux61 = c.rules === 'linux-6.1' ? linux61Changes(c.rules, c.off) : linux61Changes(c.rules);
  const root = computeRootRole(c.rules, cpu, c.rootIndex, c.level, linux61);
  const { index, gaddr, direct, access } = c.child;
  const child = childRole(c.rules, cpu, root.role, index, gaddr, direct, access);
  const g = c.grandchild;
  return {
    base: { ...baseRole(c.rules, cpu, linux61) },
    root: JSON.parse(JSON.stringify(root)),
    child: { ...child },
    // With its formula: the same role as childRole's.
    childComputed: JSON.parse(JSON.stringify(computeChildRole(c.rules, cpu, root.role, index, gaddr, direct, access))),
    grandchild: { ...childRole(c.rules, cpu, child, g.index, gaddr, g.direct, g.access) },
  };
}

describe('the role cache (rules.ts)', () => {
  it('gives every call the role made afresh for it, whatever was asked before', () => {
    fc.assert(
      fc.property(fc.array(callArb, { minLength: 2, maxLength: 40 }), (calls) => {
        // Each call's roles made with nothing kept ...
        const fresh = calls.map((c) => {
          sim_clearRoleCache();
          return rolesOf(c);
        });
        // ... equal what the same calls get one after another, sharing what is kept.
        sim_clearRoleCache();
        calls.forEach((c, i) => expect(rolesOf(c)).toEqual(fresh[i]));
        // And again in the reverse order, from a warm cache.
        [...calls].reverse().forEach((c, k) => expect(rolesOf(c)).toEqual(fresh[calls.length - 1 - k]));
      }),
      { numRuns: 500 },
    );
  });

  it('keeps one role object per setting, and another for each other setting', () => {
    const cpu = cpuOf({ cr0: { pg: true, wp: true }, cr3: 0x1000, cr4: { pse: true, pae: false, smep: false, smap: false, pcide: false }, efer: { lme: false, nx: false }, maxPhyAddr: 40 });
    const a = baseRole('seed', cpu);
    expect(baseRole('seed', { ...cpu, cr3: 0x5000 })).toBe(a);
    // A different setting is a different role.
    expect(baseRole('seed', { ...cpu, cr0: { pg: true, wp: false } })).not.toBe(a);
    expect(baseRole('seed', { ...cpu, cr0: { pg: true, wp: false } }).cr0Wp).toBe(false);
    expect(computeRootRole('seed', cpu, 2, 2).role.quadrant).toBe(2);
    expect(computeRootRole('before', cpu, 3, 2).quadrantFormula).toContain('0xc0000000');
    // A child's role: one object per parent role and key, another for each other key.
    const root = computeRootRole('seed', cpu, 2, 2).role;
    const c = childRole('seed', cpu, root, 7, 0, false, 7);
    expect(childRole('seed', cpu, root, 9, 0x12345, false, 7)).toBe(c);
    expect(c.quadrant).toBe(1);
    expect(childRole('seed', cpu, root, 8, 0, false, 7).quadrant).toBe(0);
    expect(childRole('seed', cpu, root, 7, 0, false, 3)).not.toBe(c);
    expect(childRole('seed', cpu, root, 7, 0, true, 7).direct).toBe(true);
    expect(computeChildRole('seed', cpu, root, 7, 0, false, 7)).toEqual({ fn: 'kvm_mmu_child_role', role: c, quadrantFormula: 'parent index 7 % 2 = 1' });
  });
});
