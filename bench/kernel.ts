/**
 * Kernel part (`npm run bench -- --kernel`): agreement with the real Linux
 * 6.1 kernel over the recorded traces (tests/real-kvm/, no QEMU): shadow-page
 * events and kvm_mmu_set_spte events matched (longest common subsequence
 * within each step) / traced by the real kernel, summed over every recorded
 * scenario. core.linux61.agreement is the linux-6.1 rule set's (target: 1,
 * all); core.linux61.mergedAgreement the same ratio for merged (5.15.y), for
 * reference: what 6.1 changed (and without efer_nx, which alone differs in
 * most roles).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RuleSetName } from '../src/core/index.ts';
import { parseScenarioText } from '../src/scenarios/schema.ts';
import { compareTraces, parseRealTrace, simTrace } from '../src/verify/real-trace.ts';

const DIR = join(import.meta.dirname, '..', 'tests', 'real-kvm');

function sums(rules: RuleSetName, ignoreEferNx = false): { matched: number; real: number; pages: [number, number]; sptes: [number, number]; exactScenarios: number; scenarios: number } {
  const names = readdirSync(join(DIR, 'scenarios')).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5));
  const pages: [number, number] = [0, 0];
  const sptes: [number, number] = [0, 0];
  let exact = 0;
  for (const n of names) {
    const p = parseScenarioText(readFileSync(join(DIR, 'scenarios', `${n}.json`), 'utf8'));
    if (!p.ok) throw new Error(`${n}: invalid scenario`);
    const real = parseRealTrace(readFileSync(join(DIR, 'traces', `${n}.trace`), 'utf8'));
    const sim = simTrace(p.scenario, rules);
    if (ignoreEferNx) for (const t of [real, sim]) for (const st of t.steps.values()) st.pages.forEach((e, k) => (st.pages[k] = { ...e, role: { ...e.role, eferNx: true } }));
    const c = compareTraces(real, sim);
    pages[0] += c.pagesMatched;
    pages[1] += c.pagesReal;
    sptes[0] += c.sptesMatched;
    sptes[1] += c.sptesReal;
    if (c.diffs.length === 0) exact++;
  }
  return { matched: pages[0] + sptes[0], real: pages[1] + sptes[1], pages, sptes, exactScenarios: exact, scenarios: names.length };
}

export function benchKernel(): Record<string, unknown> {
  const l = sums('linux-6.1');
  const m = sums('merged');
  const mNx = sums('merged', true);
  const r = (x: number, y: number) => Number((x / y).toFixed(4));
  return {
    'core.linux61.agreement': r(l.matched, l.real),
    'core.linux61.eventsMatched': l.matched,
    'core.linux61.eventsReal': l.real,
    'core.linux61.pagesMatched': l.pages[0],
    'core.linux61.pagesReal': l.pages[1],
    'core.linux61.sptesMatched': l.sptes[0],
    'core.linux61.sptesReal': l.sptes[1],
    'core.linux61.exactScenarios': l.exactScenarios,
    'core.linux61.scenarios': l.scenarios,
    'core.linux61.mergedAgreement': r(m.matched, m.real),
    'core.linux61.mergedAgreementIgnoringEferNx': r(mNx.matched, mNx.real),
    'core.linux61.note': 'recorded Linux 6.1.192 kvmmmu traces (tests/real-kvm): shadow-page + set_spte events matched per step / real; target 1 (all); mergedAgreement is merged (5.15.y) on the same traces, mergedAgreementIgnoringEferNx the same with role.efer_nx left out (6.1 sets it in every role)',
  };
}
