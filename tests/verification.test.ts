/**
 * "Verified, visibly": src/scenarios/library/verification.json (what the app
 * shows as "Checked against Linux 6.1") must be what `npm run verify-kernel`
 * writes from the recorded real-kernel traces and today's simulator, so a
 * change to the core or to a trace that changes the result fails here until
 * the file is generated again.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LIBRARY } from '../src/scenarios/library/index.ts';
import { VERIFICATION, verificationWords, type Verification } from '../src/scenarios/library/verification.ts';
import { OUT, verificationText } from '../scripts/verify-kernel.ts';

describe('the verification file', () => {
  it('is up to date (npm run verify-kernel writes it again otherwise)', () => {
    expect(readFileSync(OUT, 'utf8')).toBe(verificationText());
  });

  it('has an entry for every built-in, each checked against a named runnable variant', () => {
    expect(Object.keys(VERIFICATION.entries).sort()).toEqual(LIBRARY.map((e) => e.id).sort());
    for (const [id, e] of Object.entries(VERIFICATION.entries)) {
      expect(e.checked, id).toBe(true);
      if (!e.checked) continue;
      expect(e.variant).toBe(`tests/real-kvm/scenarios/lib-${id}.json`);
      expect(e.results['linux-6.1']!.events[1]).toBeGreaterThan(0);
    }
  });
});

describe('verificationWords', () => {
  const base: Verification = {
    ...VERIFICATION,
    recorded: '2026-12-05',
    entries: {
      a: { checked: true, against: 'variant', variant: 'tests/real-kvm/scenarios/lib-a.json', changes: 'adds the code page', results: { 'linux-6.1': { events: [42, 42], pages: [30, 30], sptes: [12, 12], outcomes: [5, 5], steps: [6, 6] }, merged: { events: [20, 42], pages: [8, 30], sptes: [12, 12], outcomes: [5, 5], steps: [2, 6] } } },
      b: { checked: true, against: 'itself', variant: 'x.json', changes: '', results: { 'linux-6.1': { events: [40, 42], pages: [28, 30], sptes: [12, 12], outcomes: [5, 5], steps: [5, 6] } } },
      c: { checked: false, why: 'it turns paging on, which the real guest cannot do' },
    },
  };
  it('says how many traced events match, and what that means, in plain words', () => {
    const w = verificationWords('a', base)!;
    expect(w.badge).toBe('Checked against Linux 6.1: 42/42 events match');
    expect(w.ok).toBe(true);
    expect(w.explanation).toContain('A runnable variant of this scenario (lib-a.json: it adds the code page)');
    expect(w.explanation).toContain('30 of 30 shadow-page events');
    expect(w.explanation).toContain('on 2026-12-05');
    expect(w.explanation).toContain('(Merged) give 20 of 42 events');
  });
  it('is not ok when something differs, names a check against the scenario itself, and says why one was not checked', () => {
    const b = verificationWords('b', base)!;
    expect(b.ok).toBe(false);
    expect(b.badge).toBe('Checked against Linux 6.1: 40/42 events match');
    expect(b.explanation.startsWith('This scenario ran as a real guest')).toBe(true);
    expect(verificationWords('c', base)).toEqual({ badge: 'Not checked against a real kernel', ok: false, explanation: 'Not checked against a real kernel: it turns paging on, which the real guest cannot do.' });
    expect(verificationWords(null, base)).toBeNull();
    expect(verificationWords('unknown', base)).toBeNull();
  });
});
