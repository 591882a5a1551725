/**
 * The move of the old storage (one JSON array of saved scenarios, one shared
 * draft) into records, tested on real old records: the previous version's
 * own code (tests/fixtures/storage-v1/old-storage.ts, frozen) writes them
 * into a fake localStorage, and two captures are kept as literal JSON files.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  captureEmptyDraft,
  captureNotJson,
  captureOverCap,
  type Dump,
  FIXTURE_FILES,
  scenarioText,
  withOldCode,
} from '../../../tests/fixtures/storage-v1/capture.ts';
import { MemoryBackend, seededRandom, steppingClock } from '../../../tests/fixtures/storage-v1/memory-backend.ts';
import { ASIDE_PREFIX, DRAFT_PREFIX, LEGACY_DRAFT_KEY, LEGACY_LIST_KEY, SAVED_PREFIX, ScenarioRecords } from './records.ts';

const fixture = (name: string): Dump => JSON.parse(readFileSync(new URL(`../../../tests/fixtures/storage-v1/${name}`, import.meta.url), 'utf8')) as Dump;

interface OldEntry {
  id: string;
  title: string;
  text: string;
  updatedAt: number;
}

function oldEntries(dump: Dump): OldEntry[] {
  return JSON.parse(dump[LEGACY_LIST_KEY]!) as OldEntry[];
}

function tab(backend: MemoryBackend, seed: number): ScenarioRecords {
  return new ScenarioRecords(backend, { now: steppingClock(Date.UTC(2026, 11, 1)), random: seededRandom(seed) });
}

/** What a migration should leave, without the revisions (random): saved by id, drafts by text, aside keys with their bytes. */
function outcome(b: MemoryBackend) {
  const l = tab(b, 99).list();
  return {
    saved: Object.fromEntries(l.saved.map((e) => [e.id, { title: e.title, text: e.text, updatedAt: e.updatedAt, createdAt: e.createdAt, prev: e.prev }])),
    drafts: l.drafts.map((d) => ({ docId: d.docId, title: d.title, text: d.text, baseText: d.baseText })),
    unreadable: l.unreadable.map((u) => ({ key: u.key, raw: u.raw })),
    legacy: [b.getItem(LEGACY_LIST_KEY), b.getItem(LEGACY_DRAFT_KEY)],
  };
}

function expectMovedExactly(b: MemoryBackend, entries: readonly OldEntry[]) {
  const l = tab(b, 98).list();
  const byId = new Map(l.saved.map((e) => [e.id, e]));
  for (const e of entries) {
    const r = byId.get(e.id);
    expect(r, `old entry "${e.title}" (${e.id}) became a record`).toBeDefined();
    expect({ id: r!.id, title: r!.title, text: r!.text, updatedAt: r!.updatedAt }).toEqual({ id: e.id, title: e.title, text: e.text, updatedAt: e.updatedAt });
    expect(r!.prev).toBeNull();
  }
  expect(l.saved).toHaveLength(entries.length);
}

describe('the fixtures are what the old code writes', () => {
  it.each(Object.entries(FIXTURE_FILES))('%s: capturing again gives the same bytes', (name, capture) => {
    expect(capture()).toEqual(fixture(name));
  });

  it('the old code shows at most 200 of the 205 scenarios, and loses the malformed one from view', () => {
    const over = new MemoryBackend(Object.entries(captureOverCap()));
    expect(oldEntries(Object.fromEntries(over.snapshot()))).toHaveLength(205);
    expect(withOldCode(over, (o) => o.listSaved())).toHaveLength(200);
    const bad = new MemoryBackend(Object.entries(fixture('one-malformed.json')));
    expect(withOldCode(bad, (o) => o.listSaved().map((e) => e.title))).toEqual(['Good B', 'Good A']);
  });
});

describe('migrate: real old records', () => {
  it('three scenarios and a draft: each entry becomes a record with the same id, title, text and time; the draft becomes a draft', () => {
    const dump = fixture('three-and-draft.json');
    const b = new MemoryBackend(Object.entries(dump));
    const r = tab(b, 1).migrate();
    expect(r).toEqual({ moved: 4, keptAside: 0, error: null });
    expectMovedExactly(b, oldEntries(dump));
    expect(oldEntries(dump).map((e) => e.title)).toEqual(['Lecture 1: a kernel read (v2)', 'Übung 3 — Zugriff', 'Lecture 2: "copy on write"']);
    const l = tab(b, 2).list();
    expect(l.drafts).toHaveLength(1);
    expect(l.drafts[0]).toMatchObject({ title: 'My unsaved draft', text: dump[LEGACY_DRAFT_KEY], baseText: '', savedId: null });
    expect(l.unreadable).toEqual([]);
    expect(b.getItem(LEGACY_LIST_KEY)).toBeNull();
    expect(b.getItem(LEGACY_DRAFT_KEY)).toBeNull();
  });

  it('205 scenarios, over the old cap: all 205 become records, none dropped', () => {
    const dump = captureOverCap();
    const b = new MemoryBackend(Object.entries(dump));
    expect(tab(b, 1).migrate()).toEqual({ moved: 205, keptAside: 0, error: null });
    expectMovedExactly(b, oldEntries(dump));
    expect(b.getItem(LEGACY_LIST_KEY)).toBeNull();
  });

  it('a list with one malformed entry: the good ones move, the whole old list is kept aside and listed as unreadable', () => {
    const dump = fixture('one-malformed.json');
    const b = new MemoryBackend(Object.entries(dump));
    expect(tab(b, 1).migrate()).toEqual({ moved: 2, keptAside: 1, error: null });
    expectMovedExactly(
      b,
      oldEntries(dump).filter((e) => typeof e.text === 'string'),
    );
    const l = tab(b, 2).list();
    expect(l.unreadable).toEqual([
      { key: `${ASIDE_PREFIX}my-scenarios-v1`, name: 'the old "My scenarios" list (from before this version)', raw: dump[LEGACY_LIST_KEY], why: 'kept aside when this version moved the old data' },
    ]);
    expect(b.getItem(LEGACY_LIST_KEY)).toBeNull();
  });

  it('a list that is not JSON: kept aside byte for byte, nothing invented from it', () => {
    const dump = captureNotJson();
    const b = new MemoryBackend(Object.entries(dump));
    expect(tab(b, 1).migrate()).toEqual({ moved: 0, keptAside: 1, error: null });
    expect(b.getItem(`${ASIDE_PREFIX}my-scenarios-v1`)).toBe(dump[LEGACY_LIST_KEY]);
    expect(tab(b, 2).list().saved).toEqual([]);
    expect(b.getItem(LEGACY_LIST_KEY)).toBeNull();
  });

  it('an empty draft: no draft record, the old key goes', () => {
    const dump = captureEmptyDraft();
    const b = new MemoryBackend(Object.entries(dump));
    expect(tab(b, 1).migrate()).toEqual({ moved: 1, keptAside: 0, error: null });
    expect(tab(b, 2).list().drafts).toEqual([]);
    expect(b.getItem(LEGACY_DRAFT_KEY)).toBeNull();
  });

  it('a draft that is not a scenario (plain text) still moves, with a title that says where it came from', () => {
    const b = new MemoryBackend([[LEGACY_DRAFT_KEY, 'half-typed { "steps": [']]);
    expect(tab(b, 1).migrate()).toEqual({ moved: 1, keptAside: 0, error: null });
    expect(tab(b, 2).list().drafts[0]).toMatchObject({ title: 'Draft from before this version', text: 'half-typed { "steps": [' });
  });

  it('no old data: nothing happens', () => {
    const b = new MemoryBackend([['other-app', 'x']]);
    expect(tab(b, 1).migrate()).toEqual({ moved: 0, keptAside: 0, error: null });
    expect(b.snapshot()).toEqual([['other-app', 'x']]);
  });

  it('the old keys are removed only after every record (and the aside copy) is written', () => {
    for (const dump of [fixture('three-and-draft.json'), fixture('one-malformed.json'), captureNotJson()]) {
      const b = new MemoryBackend(Object.entries(dump));
      const checks: string[] = [];
      const removeItem = b.removeItem.bind(b);
      b.removeItem = (key: string) => {
        if (key === LEGACY_LIST_KEY) {
          let whole: unknown = null;
          try {
            whole = JSON.parse(dump[LEGACY_LIST_KEY]!);
          } catch {
            // Not JSON: only the aside copy can hold it.
          }
          const good = Array.isArray(whole) ? (whole as OldEntry[]).filter((e) => typeof e.text === 'string') : [];
          for (const e of good) expect(b.getItem(SAVED_PREFIX + e.id), `record of ${e.id} before the old list goes`).not.toBeNull();
          if (good.length !== (Array.isArray(whole) ? whole.length : -1)) expect(b.getItem(`${ASIDE_PREFIX}my-scenarios-v1`)).toBe(dump[LEGACY_LIST_KEY]);
          checks.push('list');
        }
        if (key === LEGACY_DRAFT_KEY) {
          expect(b.getItem(DRAFT_PREFIX + 'doc-from-v1')).not.toBeNull();
          checks.push('draft');
        }
        removeItem(key);
      };
      tab(b, 1).migrate();
      expect(checks).toEqual(dump[LEGACY_DRAFT_KEY] ? ['list', 'draft'] : ['list']);
    }
  });
});

describe('migrate: again, and in two tabs at once', () => {
  const dumps: [string, () => Dump][] = [
    ['three-and-draft', () => fixture('three-and-draft.json')],
    ['one-malformed', () => fixture('one-malformed.json')],
    ['not JSON', captureNotJson],
  ];

  it.each(dumps)('%s: a second run changes nothing', (_, get) => {
    const b = new MemoryBackend(Object.entries(get()));
    tab(b, 1).migrate();
    const once = b.snapshot();
    expect(tab(b, 2).migrate()).toEqual({ moved: 0, keptAside: 0, error: null });
    expect(b.snapshot()).toEqual(once);
  });

  it.each(dumps)('%s: a second tab migrating at any point of the first gives the sequential result, no duplicates', (_, get) => {
    const seq = new MemoryBackend(Object.entries(get()));
    tab(seq, 1).migrate();
    const expected = outcome(seq);
    // Every call the first tab makes to storage is a point where the second tab may run its whole migration.
    let points = 0;
    for (let at = 0; ; at++) {
      const b = new MemoryBackend(Object.entries(get()));
      const tab2 = tab(b, 2);
      let calls = 0;
      let ran = false;
      const wrap = <A extends unknown[], R>(f: (...a: A) => R) =>
        (...a: A): R => {
          const r = f(...a);
          if (calls++ === at) {
            ran = true;
            tab2.migrate();
          }
          return r;
        };
      const view = {
        get length() {
          return b.length;
        },
        key: wrap(b.key.bind(b)),
        getItem: wrap(b.getItem.bind(b)),
        setItem: wrap(b.setItem.bind(b)),
        removeItem: wrap(b.removeItem.bind(b)),
      };
      const tab1 = new ScenarioRecords(view, { now: steppingClock(), random: seededRandom(1) });
      expect(tab1.migrate().error).toBeNull();
      if (!ran) break;
      points++;
      expect(outcome(b), `second tab after call ${at} of the first`).toEqual(expected);
    }
    expect(points).toBeGreaterThan(2);
  });
});

describe('migrate: storage full part-way', () => {
  it('at every write: nothing is lost (moved, kept aside, or still under the old key), and a later run finishes the job', () => {
    const dump = fixture('three-and-draft.json');
    const full = new MemoryBackend(Object.entries(dump));
    tab(full, 1).migrate();
    const writes = full.writes.length;
    expect(writes).toBe(4);
    const draftText = dump[LEGACY_DRAFT_KEY]!;
    for (let k = 0; k < writes; k++) {
      const b = new MemoryBackend(Object.entries(dump));
      let n = 0;
      b.failWrite = () => n++ === k;
      const r = tab(b, 1).migrate();
      const l = tab(b, 2).list();
      // Every old entry is a record, or the old list is still there as it was.
      const notMoved = oldEntries(dump).filter((e) => !l.saved.some((s) => s.id === e.id && s.text === e.text));
      if (notMoved.length > 0) {
        expect(b.getItem(LEGACY_LIST_KEY), `write ${k} failed`).toBe(dump[LEGACY_LIST_KEY]);
        expect(r.error).toBe('old saved scenarios could not all be moved: browser storage is full');
      }
      // The old draft is a draft record, kept aside, or still under its old key.
      const draftKept = l.drafts.some((d) => d.text === draftText) || b.getItem(`${ASIDE_PREFIX}editor-draft-v1`) === draftText || b.getItem(LEGACY_DRAFT_KEY) === draftText;
      expect(draftKept, `write ${k} failed`).toBe(true);
      b.failWrite = null;
      expect(tab(b, 3).migrate().error).toBeNull();
      expectMovedExactly(b, oldEntries(dump));
      expect(b.getItem(LEGACY_LIST_KEY)).toBeNull();
      expect(b.getItem(LEGACY_DRAFT_KEY)).toBeNull();
      expect(tab(b, 4).list().drafts.some((d) => d.text === draftText) || b.getItem(`${ASIDE_PREFIX}editor-draft-v1`) === draftText).toBe(true);
    }
  });

  it('a real quota: the first run moves what fits and says what did not; after space is freed the rest moves', () => {
    const dump = captureOverCap();
    const b = new MemoryBackend(Object.entries(dump));
    // Room for the old list plus about half of it again as records.
    b.quotaChars = Math.floor(b.used() * 1.5);
    const r = tab(b, 1).migrate();
    expect(r.error).toBe('old saved scenarios could not all be moved: browser storage is full');
    expect(r.moved).toBeGreaterThan(50);
    expect(r.moved).toBeLessThan(205);
    expect(b.getItem(LEGACY_LIST_KEY)).toBe(dump[LEGACY_LIST_KEY]);
    b.quotaChars = Infinity;
    const r2 = tab(b, 2).migrate();
    expect(r2).toEqual({ moved: 205 - r.moved, keptAside: 0, error: null });
    expectMovedExactly(b, oldEntries(dump));
    expect(b.getItem(LEGACY_LIST_KEY)).toBeNull();
  });

  it('the aside copy cannot be written: the old list stays', () => {
    const dump = fixture('one-malformed.json');
    const b = new MemoryBackend(Object.entries(dump));
    b.failWrite = (key) => key.startsWith(ASIDE_PREFIX);
    const r = tab(b, 1).migrate();
    expect(r.error).toBe('the old "My scenarios" list could not be kept aside: browser storage is full');
    expect(b.getItem(LEGACY_LIST_KEY)).toBe(dump[LEGACY_LIST_KEY]);
    b.failWrite = null;
    expect(tab(b, 2).migrate().error).toBeNull();
    expect(b.getItem(`${ASIDE_PREFIX}my-scenarios-v1`)).toBe(dump[LEGACY_LIST_KEY]);
  });

  it('the old draft neither moves nor can be kept aside: it stays under its old key', () => {
    const dump = fixture('three-and-draft.json');
    const b = new MemoryBackend(Object.entries(dump));
    b.failWrite = (key) => key.startsWith(DRAFT_PREFIX) || key.startsWith(ASIDE_PREFIX);
    const r = tab(b, 1).migrate();
    expect(r.error).toBe('the old editor draft could not be moved: browser storage is full');
    expect(b.getItem(LEGACY_DRAFT_KEY)).toBe(dump[LEGACY_DRAFT_KEY]);
  });
});

describe('migrate: old data that must not be lost', () => {
  it('two entries with one id in the old list (different texts): both texts are kept', () => {
    const a = { id: 'my-dup', title: 'First', text: 'first text', updatedAt: 1 };
    const b2 = { id: 'my-dup', title: 'Second', text: 'second text', updatedAt: 2 };
    const raw = JSON.stringify([a, b2]);
    const b = new MemoryBackend([[LEGACY_LIST_KEY, raw]]);
    expect(tab(b, 1).migrate().error).toBeNull();
    const all = [...b.map.values()].join('\n');
    expect(all).toContain('first text');
    expect(all).toContain('second text');
  });

  it('an old-version tab still open writes the old keys again after the move: what it wrote is kept', () => {
    const dump = fixture('three-and-draft.json');
    const b = new MemoryBackend(Object.entries(dump));
    tab(b, 1).migrate();
    const lecture = oldEntries(dump)[0]!;
    // The old tab saves over "Lecture 1" (its list is empty now, so it writes a list of one) and types in its draft.
    withOldCode(b, (o) => {
      expect(o.saveScenario({ ...lecture, text: scenarioText('Lecture 1, edited in the old tab'), updatedAt: Date.now() })).toBeNull();
      o.saveDraft('typed in the old tab');
    });
    tab(b, 2).migrate();
    const all = [...b.map.values()].join('\n');
    expect(all).toContain(JSON.stringify(scenarioText('Lecture 1, edited in the old tab')).slice(1, -1));
    expect(all).toContain('typed in the old tab');
    // And what the first move wrote is still there.
    expect(tab(b, 3).getSaved(lecture.id)).toMatchObject({ text: lecture.text });
  });

  it('a second old list to keep aside never writes over the first one kept aside', () => {
    const malformed = fixture('one-malformed.json');
    const b = new MemoryBackend(Object.entries(malformed));
    tab(b, 1).migrate();
    const firstAside = b.getItem(`${ASIDE_PREFIX}my-scenarios-v1`);
    expect(firstAside).toBe(malformed[LEGACY_LIST_KEY]);
    b.map.set(LEGACY_LIST_KEY, '[{"id": "my-x", "title": "cut off');
    expect(tab(b, 2).migrate().error).toBeNull();
    const u = tab(b, 3).list().unreadable;
    expect(u.map((x) => x.raw)).toContain(firstAside);
    expect(u.map((x) => x.raw)).toContain('[{"id": "my-x", "title": "cut off');
    // Both named for the user as what they are.
    expect(u.map((x) => x.name)).toEqual(['the old "My scenarios" list (from before this version)', 'the old "My scenarios" list (from before this version)']);
    // A third run with the same old list again keeps no second copy of it.
    b.map.set(LEGACY_LIST_KEY, '[{"id": "my-x", "title": "cut off');
    tab(b, 4).migrate();
    expect(tab(b, 5).list().unreadable).toHaveLength(2);
  });

  it('an unreadable record where the old draft would go: the old draft is still kept', () => {
    const dump = fixture('three-and-draft.json');
    const b = new MemoryBackend(Object.entries(dump));
    b.map.set(DRAFT_PREFIX + 'doc-from-v1', '{"broken');
    tab(b, 1).migrate();
    expect(b.getItem(DRAFT_PREFIX + 'doc-from-v1')).toBe('{"broken');
    expect([...b.map.values()].some((v) => v === dump[LEGACY_DRAFT_KEY] || v.includes(JSON.stringify(dump[LEGACY_DRAFT_KEY])))).toBe(true);
  });
});
