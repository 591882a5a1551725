/**
 * Which built-ins were checked against a real Linux 6.1 KVM, and how they
 * fared: the data is src/scenarios/library/verification.json, written by
 * `npm run verify-kernel` (scripts/verify-kernel.ts) from the recorded traces
 * in tests/real-kvm/ and kept up to date by tests/verification.test.ts. This
 * module only reads it and words it for the app.
 */
import type { RuleSetName } from '../../core/index.ts';
import data from './verification.json';

/** [matched, traced by the real kernel]. */
export type Ratio = readonly [number, number];

export interface RuleResult {
  /** Shadow-page events and kvm_mmu_set_spte events together. */
  readonly events: Ratio;
  readonly pages: Ratio;
  readonly sptes: Ratio;
  /** Steps the real guest ran whose outcome (a #PF and its error code, or none) the simulator gives too. */
  readonly outcomes: Ratio;
  /** Steps whose events are exactly the real ones, in order. */
  readonly steps: Ratio;
}

export type VerificationEntry =
  | {
      readonly checked: true;
      readonly against: 'itself' | 'variant';
      /** The scenario file that ran on the real kernel. */
      readonly variant: string;
      /** What the variant changes, in plain words. */
      readonly changes: string;
      readonly results: Readonly<Partial<Record<RuleSetName, RuleResult>>>;
    }
  | { readonly checked: false; readonly why: string };

export interface Verification {
  readonly format: 'shadowpaging-verification/v1';
  readonly kernel: string;
  readonly host: string;
  /** YYYY-MM-DD the traces were recorded. */
  readonly recorded: string;
  readonly rules: ReadonlyArray<{ readonly id: RuleSetName; readonly label: string }>;
  readonly rerun: string;
  readonly entries: Readonly<Record<string, VerificationEntry>>;
}

export const VERIFICATION = data as unknown as Verification;

/** The rule set the badge reports: the one that models the kernel that ran. */
export const VERIFIED_RULES: RuleSetName = 'linux-6.1';

export interface VerificationWords {
  /** The badge: "Checked against Linux 6.1: 42/42 events match" or "Not checked against a real kernel". */
  readonly badge: string;
  /** Every matched: the badge may say so with a tick. */
  readonly ok: boolean;
  /** What it means, in plain words (the badge's tooltip, and About this scenario). */
  readonly explanation: string;
}

const ratio = (r: Ratio): string => `${r[0]} of ${r[1]}`;

/** The words for a built-in; null for a scenario that is not a built-in. */
export function verificationWords(libraryId: string | null, v: Verification = VERIFICATION): VerificationWords | null {
  if (libraryId === null) return null;
  const e = v.entries[libraryId];
  if (!e) return null;
  if (!e.checked) {
    return { badge: 'Not checked against a real kernel', ok: false, explanation: `Not checked against a real kernel: ${e.why}.` };
  }
  const mine = e.results[VERIFIED_RULES];
  const merged = e.results.merged;
  if (!mine) return null;
  const ok = mine.events[0] === mine.events[1] && mine.outcomes[0] === mine.outcomes[1] && mine.steps[0] === mine.steps[1];
  const file = e.variant.split('/').pop();
  const what = e.against === 'itself' ? 'This scenario' : `A runnable variant of this scenario (${file}: it ${e.changes})`;
  const explanation =
    `${what} ran as a real guest on ${v.kernel}, on ${v.recorded}. ` +
    `With the Linux 6.1 rules the simulator gives ${ratio(mine.pages)} shadow-page events (which page, with which role, created, found, unsynced, synced or zapped) ` +
    `and ${ratio(mine.sptes)} sptes set (gfn, level, writable, executable, user) that the kernel traced, ${ratio(mine.steps)} steps exactly in order, ` +
    `and the guest's outcome of ${ratio(mine.outcomes)} steps.` +
    (merged ? ` The Linux 5.15 rules (Merged) give ${ratio(merged.events)} events: the rest is what 6.1 changed.` : '') +
    ` To check again: ${v.rerun}.`;
  return { badge: `Checked against Linux 6.1: ${mine.events[0]}/${mine.events[1]} events match`, ok, explanation };
}
