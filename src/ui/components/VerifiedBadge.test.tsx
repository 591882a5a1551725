// @vitest-environment jsdom
/**
 * "Checked against Linux 6.1": the badge beside the scenario picker and the
 * full sentence in "About this scenario", from the generated verification
 * file; nothing for a scenario that is not a built-in.
 */
import { act, cleanup, render } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { LIBRARY } from '../../scenarios/library/index.ts';
import { VERIFICATION, verificationWords } from '../../scenarios/library/verification.ts';

const { App } = await import('../App.tsx');
const { useStore } = await import('../store/index.ts');

afterEach(cleanup);

describe('the verification badge', () => {
  it('shows each built-in\'s result beside the picker and, with what it means, in About this scenario', () => {
    const { container } = render(<App />);
    for (const id of ['quadrants-32bit', 'permission-faults']) {
      act(() => void useStore.getState().loadScenario(LIBRARY.find((e) => e.id === id)!.json, id));
      const w = verificationWords(id)!;
      const e = VERIFICATION.entries[id]!;
      if (!e.checked) throw new Error(`${id} is checked`);
      const r = e.results['linux-6.1']!;
      const badge = container.querySelector('[data-testid="verified-badge"]')!;
      expect(badge.textContent).toContain(`Linux 6.1 ${w.ok ? '✓' : '≠'} ${r.events[0]}/${r.events[1]}`);
      expect(badge.textContent).toContain(`Checked against Linux 6.1: ${r.events[0]}/${r.events[1]} events match`);
      expect(badge.getAttribute('title')).toBe(w.explanation);
      expect(badge.getAttribute('data-ok')).toBe(String(w.ok));
      const about = container.querySelector('[data-testid="verification"]')!;
      expect(about.textContent).toContain(w.badge);
      expect(about.textContent).toContain(`lib-${id}.json`);
      expect(about.textContent).toContain('ran as a real guest on Linux 6.1.192');
      expect(about.textContent).toContain(VERIFICATION.recorded);
    }
    const option = container.querySelector('option[value="self-map"]')!;
    expect(option.getAttribute('title')).toBe(verificationWords('self-map')!.badge);
  });

  it('is absent for a scenario that is not a built-in', () => {
    const { container } = render(<App />);
    const json = { ...(LIBRARY.find((e) => e.id === 'self-map')!.json as object), title: 'mine' };
    act(() => void useStore.getState().loadScenario(json, null));
    expect(container.querySelector('[data-testid="verified-badge"]')).toBeNull();
    expect(container.querySelector('[data-testid="verification"]')).toBeNull();
  });
});
