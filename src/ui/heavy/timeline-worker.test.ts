/**
 * The timeline worker's message handler run in this thread (`self` stands in
 * for the worker's global): a parse kept by a `check` with `keep` is used by
 * the build of the same text, once; any other build parses its own text.
 */
import { describe, expect, it, vi } from 'vitest';
import { LIBRARY } from '../../scenarios/library/index.ts';
import type { BuildReply, BuildRequest } from './protocol.ts';
import { packScenario } from './steps-pack.ts';
import { workerHere } from './worker-here.ts';

const parses = vi.hoisted(() => ({ count: 0 }));
vi.mock('../../scenarios/schema.ts', async (importOriginal) => {
  const orig = await importOriginal<typeof import('../../scenarios/schema.ts')>();
  return { ...orig, parseScenarioText: (text: string) => (parses.count++, orig.parseScenarioText(text)) };
});

const { replies, send } = workerHere<BuildRequest, BuildReply>(() => import('./timeline.worker.ts'));
const text = JSON.stringify(LIBRARY.find((e) => e.id === 'quadrants-32bit')!.json);
const other = JSON.stringify(LIBRARY.find((e) => e.id === 'permission-faults')!.json);
const built = (id: number) => replies.some((m) => m.id === id && m.type === 'done');

describe('timeline.worker: a kept parse', () => {
  it('a check with keep answers, and the build of the same text does not parse it again', () => {
    parses.count = 0;
    send({ type: 'check', id: 1, text, keep: true });
    expect(replies.find((m) => m.id === 1)).toMatchObject({ type: 'checked', result: { ok: true } });
    expect(parses.count).toBe(1);
    send({ type: 'build', id: 2, text, rules: 'merged' });
    expect(built(2)).toBe(true);
    expect(parses.count).toBe(1);
    // Used once: the next build of that text parses it.
    send({ type: 'build', id: 3, text, rules: 'merged' });
    expect(built(3)).toBe(true);
    expect(parses.count).toBe(2);
  });

  it('a build of another text, or after a check without keep, parses its own text', () => {
    parses.count = 0;
    send({ type: 'check', id: 4, text, keep: true });
    send({ type: 'build', id: 5, text: other, rules: 'seed' });
    expect(built(5)).toBe(true);
    expect(replies.find((m) => m.id === 5 && m.type === 'start')).toMatchObject({ scenario: { title: (JSON.parse(other) as { title: string }).title } });
    expect(parses.count).toBe(2);
    send({ type: 'check', id: 6, text });
    send({ type: 'build', id: 7, text, rules: 'seed' });
    expect(built(7)).toBe(true);
    expect(parses.count).toBe(4);
  });

  it('any other request takes the kept parse: a build from a Scenario (a rule change) leaves none for the text', async () => {
    parses.count = 0;
    send({ type: 'check', id: 8, text, keep: true });
    const { parseScenarioText } = await import('../../scenarios/schema.ts');
    const parsed = parseScenarioText(other);
    if (!parsed.ok) throw new Error('other');
    send({ type: 'build', id: 9, packed: packScenario(parsed.scenario).packed, rules: 'seed' });
    expect(built(9)).toBe(true);
    const before = parses.count;
    send({ type: 'build', id: 10, text, rules: 'seed' });
    expect(built(10)).toBe(true);
    expect(parses.count).toBe(before + 1);
  });

  it('a kept parse no build asks for is dropped after 30 s', () => {
    vi.useFakeTimers();
    try {
      parses.count = 0;
      send({ type: 'check', id: 11, text, keep: true });
      vi.advanceTimersByTime(29_000);
      send({ type: 'build', id: 12, text, rules: 'seed' });
      expect(parses.count).toBe(1);
      send({ type: 'check', id: 13, text, keep: true });
      vi.advanceTimersByTime(30_000);
      send({ type: 'build', id: 14, text, rules: 'seed' });
      expect(parses.count).toBe(3);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('timeline.worker: a fingerprint', () => {
  it("answers with the fingerprint of the document the text holds, the one the page's parse of that text gives, and null for a text that is not JSON", async () => {
    const { fingerprint } = await import('./fingerprint.ts');
    const pretty = `\ufeff${JSON.stringify(JSON.parse(text), null, 2)}`;
    send({ type: 'fingerprint', id: 40, text: pretty });
    expect(replies.find((m) => m.id === 40)).toEqual({ type: 'fingerprinted', id: 40, fingerprint: fingerprint(JSON.parse(text)) });
    send({ type: 'fingerprint', id: 41, text: '{"steps": [' });
    expect(replies.find((m) => m.id === 41)).toEqual({ type: 'fingerprinted', id: 41, fingerprint: null });
  });
});
