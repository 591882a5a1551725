/**
 * `npm run verify-kernel`: writes src/scenarios/library/verification.json,
 * what the app shows as "Checked against Linux 6.1" for each built-in.
 *
 * For every built-in (LIBRARY) it names the runnable variant that ran on the
 * real kernel (tests/real-kvm/scenarios/lib-ID.json: the real-KVM tool's guest
 * needs a page to run its code from, and cannot do everything a built-in does,
 * so each variant says what it changes), and compares the variant's recorded
 * trace (tests/real-kvm/traces/) with the simulator under linux-6.1 and under
 * merged: shadow-page events and kvm_mmu_set_spte events matched / traced by
 * the real kernel, step by step, and the guest's outcome of every step. No
 * QEMU here: scripts/record-real-kvm.sh re-records the traces.
 *
 * tests/verification.test.ts runs this in memory and requires the file to be
 * what it would write, so the app's claim cannot go stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RULE_SET_LABEL, type RuleSetName } from '../src/core/index.ts';
import { LIBRARY } from '../src/scenarios/library/index.ts';
import type { RuleResult, Verification, VerificationEntry } from '../src/scenarios/library/verification.ts';
import { parseScenarioText } from '../src/scenarios/schema.ts';
import { compareTraces, isDocFetch, outcomeDiffs, parseRealTrace, segments, simTrace } from '../src/verify/real-trace.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const REAL = join(ROOT, 'tests', 'real-kvm');
export const OUT = join(ROOT, 'src', 'scenarios', 'library', 'verification.json');

/** The runnable variant of each built-in, and what it changes (plain words, shown in the app). */
const VARIANTS: Readonly<Record<string, { readonly file: string; readonly changes: string } | { readonly why: string }>> = {
  'quadrants-32bit': { file: 'lib-quadrants-32bit', changes: 'adds the page the guest code runs from and a user code page for the user-mode reads' },
  'gva-bits-before-after': { file: 'lib-gva-bits-before-after', changes: 'adds the page the guest code runs from' },
  'pse-direct-pages': { file: 'lib-pse-direct-pages', changes: 'adds the page the guest code runs from; guest RAM is 300 MiB instead of 4 GiB' },
  'pse-host-huge': { file: 'lib-pse-host-huge', changes: 'adds the page the guest code runs from; guest RAM is 300 MiB instead of 4 GiB' },
  'pae-nonpresent-pdpte': { file: 'lib-pae-nonpresent-pdpte', changes: 'adds the page the guest code runs from' },
  'long-mode-4-levels': {
    file: 'lib-long-mode-4-levels',
    changes: 'its mappings written out as page tables; the 1 GiB page maps guest-physical 0 instead of 1 GiB (the real guest has at most 512 MiB of RAM); adds the code page and a user code page',
  },
  'permission-faults': { file: 'lib-permission-faults', changes: 'adds the page the guest code runs from and a user code page' },
  'cr0-wp-off': { file: 'lib-cr0-wp-off', changes: 'adds the page the guest code runs from and a user code page; the user-mode write stores a value' },
  'unsync-invlpg-sync': { file: 'lib-unsync-invlpg-sync', changes: 'adds the page the guest code runs from' },
  'pd-write-flooding': { file: 'lib-pd-write-flooding', changes: 'adds the page the guest code runs from' },
  'cr3-pcid-switch': { file: 'lib-cr3-pcid-switch', changes: 'runs without PCIDs (the emulated CPU has none), so every MOV CR3 flushes; adds the page the guest code runs from' },
  'self-map': { file: 'lib-self-map', changes: 'adds the page the guest code runs from' },
  'paging-off': { file: 'lib-paging-off', changes: 'keeps the part with paging off (the real guest cannot turn paging on) and reads RAM where the built-in reads MMIO; adds the code page' },
  'sweep-64-tables': { file: 'lib-sweep-64-tables', changes: 'adds the page the guest code runs from' },
  'stale-child-uaf': { file: 'lib-stale-child-uaf', changes: 'leaves out the zap-all step and the read after it (the real guest cannot zap all shadow pages); adds the code page' },
};

export const CHECKED_RULES: readonly RuleSetName[] = ['linux-6.1', 'merged'];

function ruleResult(file: string, rules: RuleSetName): RuleResult {
  const parsed = parseScenarioText(readFileSync(join(REAL, 'scenarios', `${file}.json`), 'utf8'));
  if (!parsed.ok) throw new Error(`${file}: invalid scenario`);
  const real = parseRealTrace(readFileSync(join(REAL, 'traces', `${file}.trace`), 'utf8'));
  const sim = simTrace(parsed.scenario, rules);
  const c = compareTraces(real, sim);
  const run = parsed.scenario.steps.filter((_, i) => !isDocFetch(parsed.scenario, i)).length;
  const badOutcomes = outcomeDiffs(parsed.scenario, real, sim).length;
  const segs = segments(real, sim);
  const badSegs = new Set(c.diffs.map((d) => d.seg)).size;
  return {
    events: [c.pagesMatched + c.sptesMatched, c.pagesReal + c.sptesReal],
    pages: [c.pagesMatched, c.pagesReal],
    sptes: [c.sptesMatched, c.sptesReal],
    outcomes: [run - badOutcomes, run],
    steps: [segs.length - badSegs, segs.length],
  };
}

/** The whole file, as the generator writes it. */
export function verification(): Verification {
  const meta = JSON.parse(readFileSync(join(REAL, 'traces', 'meta.json'), 'utf8')) as { kernel: string; recorded: string; host: string };
  const entries: Record<string, VerificationEntry> = {};
  for (const e of LIBRARY) {
    const v = VARIANTS[e.id];
    if (!v) throw new Error(`built-in ${e.id}: add it to VARIANTS in scripts/verify-kernel.ts (a runnable variant, or why it cannot run)`);
    if ('why' in v) {
      entries[e.id] = { checked: false, why: v.why };
      continue;
    }
    const results: Partial<Record<RuleSetName, RuleResult>> = {};
    for (const r of CHECKED_RULES) results[r] = ruleResult(v.file, r);
    entries[e.id] = { checked: true, against: 'variant', variant: `tests/real-kvm/scenarios/${v.file}.json`, changes: v.changes, results };
  }
  return {
    format: 'shadowpaging-verification/v1',
    kernel: meta.kernel,
    host: meta.host,
    recorded: meta.recorded,
    rules: CHECKED_RULES.map((r) => ({ id: r, label: RULE_SET_LABEL[r] })),
    rerun: 'scripts/record-real-kvm.sh re-records the traces on the real kernel (QEMU); npm run verify-kernel rewrites this file from them',
    entries,
  };
}

export const verificationText = (): string => `${JSON.stringify(verification(), null, 2)}\n`;

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(OUT, verificationText());
  const v = verification();
  for (const [id, e] of Object.entries(v.entries)) {
    if (!e.checked) console.log(`${id.padEnd(24)} not checked: ${e.why}`);
    else console.log(`${id.padEnd(24)} ${CHECKED_RULES.map((r) => `${r} ${e.results[r]!.events[0]}/${e.results[r]!.events[1]}`).join('  ')}`);
  }
  console.log(`wrote ${OUT}`);
}
