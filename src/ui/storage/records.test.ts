/**
 * Example tests of every operation of the storage records and of what each
 * tells the user. Written from the issue (16), not from the implementation:
 * each test names the promise it checks.
 */
import { describe, expect, it } from 'vitest';
import { MemoryBackend, quotaError, seededRandom, steppingClock } from '../../../tests/fixtures/storage-v1/memory-backend.ts';
import { ASIDE_PREFIX, type Backend, DRAFT_PREFIX, quotaMessage, readSaved, SAVED_PREFIX, ScenarioRecords, STORAGE_LIMITS } from './records.ts';

function setup(seed = 1) {
  const backend = new MemoryBackend();
  const rec = new ScenarioRecords(backend, { now: steppingClock(), random: seededRandom(seed) });
  return { backend, rec };
}

function ok<T>(r: { ok: true; value: T } | { ok: false; message: string }): T {
  if (!r.ok) throw new Error(`expected success, got: ${r.message}`);
  return r.value;
}

function fail(r: { ok: boolean; message?: string; conflict?: boolean }): { message: string; conflict: boolean } {
  if (r.ok) throw new Error('expected a refusal, got success');
  return { message: r.message!, conflict: r.conflict === true };
}

describe('save', () => {
  it('a new entry gets a fresh id, its own key, and reads back as saved', () => {
    const { backend, rec } = setup();
    const { entry, replaced } = ok(rec.save('Lecture 3', 'text A', null));
    expect(replaced).toBeNull();
    expect(entry.prev).toBeNull();
    expect(entry.id).toMatch(/^my-/);
    expect(backend.getItem(SAVED_PREFIX + entry.id)).not.toBeNull();
    expect(rec.getSaved(entry.id)).toEqual(entry);
    expect(rec.list().saved).toEqual([entry]);
  });

  it('two saves as new, even with the same title and text, are two entries', () => {
    const { rec } = setup();
    const a = ok(rec.save('Same', 'same', null)).entry;
    const b = ok(rec.save('Same', 'same', null)).entry;
    expect(a.id).not.toBe(b.id);
    expect(rec.list().saved.map((e) => e.id).sort()).toEqual([a.id, b.id].sort());
  });

  it('two tabs saving as new at the same moment keep both entries', () => {
    const backend = new MemoryBackend();
    const now = () => 1_700_000_000_000;
    const tab1 = new ScenarioRecords(backend, { now, random: seededRandom(1) });
    const tab2 = new ScenarioRecords(backend, { now, random: seededRandom(2) });
    const a = ok(tab1.save('From tab 1', 'one', null)).entry;
    const b = ok(tab2.save('From tab 2', 'two', null)).entry;
    expect(tab1.list().saved.map((e) => e.text).sort()).toEqual(['one', 'two']);
    expect(tab2.getSaved(a.id)).toMatchObject({ text: 'one' });
    expect(tab1.getSaved(b.id)).toMatchObject({ text: 'two' });
  });

  it('Save over an entry keeps the replaced version in the record and returns it', () => {
    const { rec } = setup();
    const v1 = ok(rec.save('Lecture', 'first', null)).entry;
    const { entry: v2, replaced } = ok(rec.save('Lecture (edited)', 'second', { id: v1.id, rev: v1.rev }));
    expect(v2.id).toBe(v1.id);
    expect(v2.rev).not.toBe(v1.rev);
    expect(v2.createdAt).toBe(v1.createdAt);
    expect(replaced).toEqual({ title: 'Lecture', text: 'first', updatedAt: v1.updatedAt, rev: v1.rev });
    expect(v2.prev).toEqual(replaced);
    const stored = rec.getSaved(v1.id);
    expect(stored).toEqual(v2);
    expect(rec.list().saved).toHaveLength(1);
  });

  it('undoSave puts back the replaced version', () => {
    const { rec } = setup();
    const v1 = ok(rec.save('Lecture', 'first', null)).entry;
    const v2 = ok(rec.save('Lecture', 'second', { id: v1.id, rev: v1.rev })).entry;
    const back = ok(rec.undoSave(v1.id, v2.rev));
    expect(back).toMatchObject({ id: v1.id, title: 'Lecture', text: 'first', updatedAt: v1.updatedAt, createdAt: v1.createdAt, prev: null });
    // A fresh revision: a tab that still holds v1's revision must not think nothing happened in between.
    expect(back.rev).not.toBe(v2.rev);
    expect(rec.getSaved(v1.id)).toEqual(back);
  });

  it('undoSave is refused after another change, and changes nothing', () => {
    const { backend, rec } = setup();
    const v1 = ok(rec.save('Lecture', 'first', null)).entry;
    const v2 = ok(rec.save('Lecture', 'second', { id: v1.id, rev: v1.rev })).entry;
    const v3 = ok(rec.save('Lecture', 'third', { id: v1.id, rev: v2.rev })).entry;
    const before = backend.snapshot();
    const r = fail(rec.undoSave(v1.id, v2.rev));
    expect(r.conflict).toBe(true);
    expect(r.message).toBe('nothing undone: "Lecture" was changed again since (in this or another tab)');
    expect(backend.snapshot()).toEqual(before);
    // The undo of the latest Save still works.
    expect(ok(rec.undoSave(v1.id, v3.rev)).text).toBe('second');
  });

  it('undoSave twice: the second is refused (the first already put the old version back)', () => {
    const { rec } = setup();
    const v1 = ok(rec.save('L', 'first', null)).entry;
    const v2 = ok(rec.save('L', 'second', { id: v1.id, rev: v1.rev })).entry;
    ok(rec.undoSave(v1.id, v2.rev));
    expect(fail(rec.undoSave(v1.id, v2.rev)).conflict).toBe(true);
    expect(rec.getSaved(v1.id)).toMatchObject({ text: 'first' });
  });

  it('undoSave of an entry that is gone or unreadable says so', () => {
    const { backend, rec } = setup();
    expect(fail(rec.undoSave('my-none', 'x')).message).toBe('nothing to undo: that entry is gone or can no longer be read');
    const v1 = ok(rec.save('L', 'first', null)).entry;
    const v2 = ok(rec.save('L', 'second', { id: v1.id, rev: v1.rev })).entry;
    backend.map.set(SAVED_PREFIX + v1.id, '{broken');
    expect(fail(rec.undoSave(v1.id, v2.rev)).message).toBe('nothing to undo: that entry is gone or can no longer be read');
    expect(backend.getItem(SAVED_PREFIX + v1.id)).toBe('{broken');
  });

  it('Save over an entry changed in another tab since it was opened: a conflict naming both, nothing written', () => {
    const backend = new MemoryBackend();
    const tab1 = new ScenarioRecords(backend, { now: steppingClock(), random: seededRandom(1) });
    const tab2 = new ScenarioRecords(backend, { now: steppingClock(), random: seededRandom(2) });
    const v1 = ok(tab1.save('Lecture', 'first', null)).entry;
    // Both tabs opened v1; tab 2 saves first.
    const v2 = ok(tab2.save('Lecture by tab 2', 'tab 2 text', { id: v1.id, rev: v1.rev })).entry;
    const before = backend.snapshot();
    const r = fail(tab1.save('My lecture', 'tab 1 text', { id: v1.id, rev: v1.rev }));
    expect(r.conflict).toBe(true);
    expect(r.message).toBe('"My lecture" was not saved over "Lecture by tab 2": that entry was changed in another tab after you opened it. Use "Save as new" to keep both');
    expect(backend.snapshot()).toEqual(before);
    expect(tab1.getSaved(v1.id)).toEqual(v2);
  });

  it('Save over an entry deleted meanwhile: a conflict, and the entry is not brought back silently', () => {
    const { backend, rec } = setup();
    const v1 = ok(rec.save('Lecture', 'first', null)).entry;
    ok(rec.remove(v1.id));
    const r = fail(rec.save('Lecture', 'edited', { id: v1.id, rev: v1.rev }));
    expect(r.conflict).toBe(true);
    expect(r.message).toBe('"Lecture" was not saved: its entry was deleted (in this or another tab). Use "Save as new" to keep it');
    expect(backend.getItem(SAVED_PREFIX + v1.id)).toBeNull();
  });

  it('Save over an unreadable entry: refused, and the unreadable bytes stay as they are', () => {
    const { backend, rec } = setup();
    const v1 = ok(rec.save('Lecture', 'first', null)).entry;
    const junk = '{"format":"shadowpaging-saved/v2","title":"Lecture","text":';
    backend.map.set(SAVED_PREFIX + v1.id, junk);
    const r = fail(rec.save('Lecture', 'edited', { id: v1.id, rev: v1.rev }));
    expect(r.conflict).toBe(true);
    expect(r.message).toBe('"Lecture" was not saved over its old entry: that entry can no longer be read, and it is kept as it is. Use "Save as new"');
    expect(backend.getItem(SAVED_PREFIX + v1.id)).toBe(junk);
    // Save as new still works, next to it.
    const fresh = ok(rec.save('Lecture', 'edited', null)).entry;
    expect(fresh.id).not.toBe(v1.id);
    expect(backend.getItem(SAVED_PREFIX + v1.id)).toBe(junk);
  });

  it('a text over the limit is refused with its size and the limit, nothing written', () => {
    const { backend, rec } = setup();
    const big = 'x'.repeat(STORAGE_LIMITS.maxTextChars + 1);
    const r = fail(rec.save('Huge', big, null));
    expect(r.message).toBe('"Huge" was not saved: it is 1,000,001 characters; a saved scenario holds at most 1,000,000');
    expect(backend.map.size).toBe(0);
    // Exactly at the limit is fine.
    ok(rec.save('Just fits', 'x'.repeat(STORAGE_LIMITS.maxTextChars), null));
  });
});

describe('quota', () => {
  it('a full storage on Save as new: the message names the title and the size; storage unchanged', () => {
    const { backend, rec } = setup();
    ok(rec.save('Kept', 'kept', null));
    const before = backend.snapshot();
    backend.failWrite = () => true;
    const r = fail(rec.save('Lecture 3', 'y'.repeat(12345), null));
    expect(r.message).toBe('"Lecture 3" (12,345 characters) was not saved: browser storage is full');
    expect(r.conflict).toBe(false);
    expect(backend.snapshot()).toEqual(before);
  });

  it('a full storage on Save over: the old version stays exactly as it was', () => {
    const { backend, rec } = setup();
    const v1 = ok(rec.save('Lecture', 'first', null)).entry;
    const before = backend.snapshot();
    backend.quotaChars = backend.used() + 10;
    const r = fail(rec.save('Lecture', 'a much longer second version', { id: v1.id, rev: v1.rev }));
    expect(r.message).toBe('"Lecture" (28 characters) was not saved: browser storage is full');
    expect(backend.snapshot()).toEqual(before);
    expect(rec.getSaved(v1.id)).toEqual(v1);
  });

  it('a quota error from a real-size limit (not an injected one) is reported the same way', () => {
    const { backend, rec } = setup();
    backend.quotaChars = 5000;
    ok(rec.save('Small', 'a'.repeat(1000), null));
    const before = backend.snapshot();
    const r = fail(rec.save('Too big', 'b'.repeat(4000), null));
    expect(r.message).toBe('"Too big" (4,000 characters) was not saved: browser storage is full');
    expect(backend.snapshot()).toEqual(before);
  });

  it('quota on undoSave, restore and putDraft: each says it failed, storage unchanged', () => {
    const { backend, rec } = setup();
    const v1 = ok(rec.save('Lecture', 'first', null)).entry;
    const v2 = ok(rec.save('Lecture', 'second', { id: v1.id, rev: v1.rev })).entry;
    const other = ok(rec.save('Other', 'other', null)).entry;
    const gone = ok(rec.remove(other.id))!;
    const before = backend.snapshot();
    backend.failWrite = () => true;
    expect(fail(rec.undoSave(v1.id, v2.rev)).message).toBe('could not undo: browser storage is full');
    expect(fail(rec.restore(gone)).message).toBe('"Other" could not be put back: browser storage is full');
    const d = rec.newDraft({ title: 'T', text: 'typed', origin: 'New' });
    expect(fail(rec.putDraft(d, '')).message).toBe('browser storage is full');
    expect(rec.restoreRaw(SAVED_PREFIX + 'my-x', 'junk')).toBe('browser storage is full');
    expect(backend.snapshot()).toEqual(before);
  });

  it('quotaMessage: Firefox\'s name too, and any other refusal with its message', () => {
    expect(quotaMessage(quotaError())).toBe('browser storage is full');
    expect(quotaMessage({ name: 'NS_ERROR_DOM_QUOTA_REACHED' })).toBe('browser storage is full');
    expect(quotaMessage(new Error('SecurityError: access denied'))).toBe('the browser refused to store it (SecurityError: access denied)');
  });

  it('no storage at all: every write says so, nothing throws', () => {
    const rec = new ScenarioRecords(null);
    expect(fail(rec.save('T', 'x', null)).message).toBe('"T" (1 character) was not saved: browser storage is not available here');
    expect(rec.list()).toEqual({ saved: [], drafts: [], unreadable: [], chars: 0 });
    expect(rec.getSaved('x')).toBeNull();
    expect(fail(rec.putDraft(rec.newDraft({ title: 'T', text: 'x', origin: 'New' }), '')).message).toBe('browser storage is not available here');
    expect(rec.migrate()).toEqual({ moved: 0, keptAside: 0, error: null });
  });

  it('a backend whose every call throws: reads are empty, writes report it, nothing throws', () => {
    const hostile: Backend = {
      get length(): number {
        throw new Error('denied');
      },
      key() {
        throw new Error('denied');
      },
      getItem() {
        throw new Error('denied');
      },
      setItem() {
        throw new Error('denied');
      },
      removeItem() {
        throw new Error('denied');
      },
    };
    const rec = new ScenarioRecords(hostile);
    expect(rec.list().saved).toEqual([]);
    expect(fail(rec.save('T', 'x', null)).message).toBe('"T" (1 character) was not saved: the browser refused to store it (denied)');
    expect(fail(rec.remove('my-x')).message).toBe('could not delete: the browser refused to store it (denied)');
  });
});

describe('remove and restore', () => {
  it('remove returns the entry for Undo; restore puts it back as it was, with its undo history', () => {
    const { backend, rec } = setup();
    const v1 = ok(rec.save('L', 'first', null)).entry;
    const v2 = ok(rec.save('L', 'second', { id: v1.id, rev: v1.rev })).entry;
    const raw = backend.getItem(SAVED_PREFIX + v1.id);
    const gone = ok(rec.remove(v1.id));
    expect(gone).toEqual(v2);
    expect(rec.getSaved(v1.id)).toBeNull();
    expect(ok(rec.restore(gone!))).toEqual(v2);
    expect(JSON.parse(backend.getItem(SAVED_PREFIX + v1.id)!)).toEqual(JSON.parse(raw!));
    // The Save's undo still works after delete + restore.
    expect(ok(rec.undoSave(v1.id, v2.rev)).text).toBe('first');
  });

  it('restore never writes over a record that exists again', () => {
    const { backend, rec } = setup();
    const v1 = ok(rec.save('L', 'first', null)).entry;
    ok(rec.remove(v1.id));
    backend.map.set(SAVED_PREFIX + v1.id, 'something else');
    expect(fail(rec.restore(v1)).message).toBe('"L" is already back');
    expect(backend.getItem(SAVED_PREFIX + v1.id)).toBe('something else');
  });

  it('remove of an entry already gone succeeds with nothing to restore', () => {
    const { rec } = setup();
    expect(ok(rec.remove('my-gone'))).toBeNull();
  });

  it('remove refuses an unreadable entry (it goes through the unreadable list)', () => {
    const { backend, rec } = setup();
    backend.map.set(SAVED_PREFIX + 'my-bad', 'nope');
    expect(fail(rec.remove('my-bad')).message).toBe('that entry cannot be read; delete it from the list of unreadable records');
    expect(backend.getItem(SAVED_PREFIX + 'my-bad')).toBe('nope');
  });
});

describe('drafts', () => {
  it('newDraft is not written until putDraft; putDraft writes and returns the new revision', () => {
    const { backend, rec } = setup();
    const d = rec.newDraft({ title: 'Untitled', text: 'abc', origin: 'New' });
    expect(d.rev).toBe('');
    expect(d.baseText).toBe('abc');
    expect(backend.map.size).toBe(0);
    const w = ok(rec.putDraft({ ...d, text: 'abcd' }, ''));
    expect(w.rev).not.toBe('');
    expect(rec.getDraft(d.docId)).toEqual(w);
    const w2 = ok(rec.putDraft({ ...w, text: 'abcde' }, w.rev));
    expect(rec.getDraft(d.docId)).toMatchObject({ text: 'abcde', rev: w2.rev });
  });

  it('putDraft with a foreign revision (the document written by another tab) is a conflict; the other write stays', () => {
    const backend = new MemoryBackend();
    const tab1 = new ScenarioRecords(backend, { now: steppingClock(), random: seededRandom(1) });
    const tab2 = new ScenarioRecords(backend, { now: steppingClock(), random: seededRandom(2) });
    const d = ok(tab1.putDraft({ ...tab1.newDraft({ title: 'Doc', text: '', origin: 'New' }), text: 'one' }, ''));
    // A duplicated tab reopens the same document at the same revision and types first.
    const other = ok(tab2.putDraft({ ...d, text: 'tab 2 typed' }, d.rev));
    const before = backend.snapshot();
    const r = fail(tab1.putDraft({ ...d, text: 'tab 1 typed' }, d.rev));
    expect(r.conflict).toBe(true);
    expect(r.message).toBe('this document was changed in another tab');
    expect(backend.snapshot()).toEqual(before);
    expect(tab1.getDraft(d.docId)).toEqual(other);
  });

  it('putDraft with expected revision "" over an existing record is a conflict (a second tab never claims a written document)', () => {
    const { rec } = setup();
    const d = ok(rec.putDraft(rec.newDraft({ title: 'Doc', text: 'x', origin: 'New' }), ''));
    expect(fail(rec.putDraft({ ...d, text: 'y', rev: '' }, '')).conflict).toBe(true);
  });

  it('putDraft over an unreadable draft record: a conflict, the record untouched', () => {
    const { backend, rec } = setup();
    const d = rec.newDraft({ title: 'Doc', text: 'x', origin: 'New' });
    backend.map.set(DRAFT_PREFIX + d.docId, '{"format":"shadowpaging-draft/v2","title":"Doc"');
    expect(fail(rec.putDraft(d, '')).conflict).toBe(true);
    expect(backend.getItem(DRAFT_PREFIX + d.docId)).toBe('{"format":"shadowpaging-draft/v2","title":"Doc"');
  });

  it('a draft deleted in another tab is written again by the next edit (the text is kept)', () => {
    const { rec } = setup();
    const d = ok(rec.putDraft(rec.newDraft({ title: 'Doc', text: 'x', origin: 'New' }), ''));
    expect(rec.removeDraft(d.docId)).toBeNull();
    const again = ok(rec.putDraft({ ...d, text: 'typed after' }, d.rev));
    expect(rec.getDraft(d.docId)).toMatchObject({ text: 'typed after', rev: again.rev });
  });

  it('the draft history (undo of a replace) round-trips through storage', () => {
    const { rec } = setup();
    const d = rec.newDraft({ title: 'Doc', text: 'mine', origin: 'New' });
    const history = [{ text: 'mine', at: 5, why: 'Reset to what is on screen' }];
    const w = ok(rec.putDraft({ ...d, text: 'from screen', history }, ''));
    expect(rec.getDraft(d.docId)).toMatchObject({ text: 'from screen', history });
    expect(w.history).toEqual(history);
  });

  it('a draft over the limit is refused with its size', () => {
    const { backend, rec } = setup();
    const d = rec.newDraft({ title: 'Doc', text: 'z'.repeat(STORAGE_LIMITS.maxTextChars + 5), origin: 'New' });
    expect(fail(rec.putDraft(d, '')).message).toBe('the draft is 1,000,005 characters; at most 1,000,000 are kept');
    expect(backend.map.size).toBe(0);
  });
});

describe('list', () => {
  it('250 saved entries are all listed (no cap); deleting one leaves 249', () => {
    const { rec } = setup();
    const ids: string[] = [];
    for (let i = 0; i < 250; i++) ids.push(ok(rec.save(`Scenario ${i}`, `text ${i}`, null)).entry.id);
    const l = rec.list();
    expect(l.saved).toHaveLength(250);
    expect(new Set(l.saved.map((e) => e.id))).toEqual(new Set(ids));
    // Newest first.
    expect(l.saved[0]!.title).toBe('Scenario 249');
    expect(l.saved[249]!.title).toBe('Scenario 0');
    ok(rec.remove(ids[100]!));
    const l2 = rec.list();
    expect(l2.saved).toHaveLength(249);
    expect(l2.saved.some((e) => e.id === ids[100])).toBe(false);
  });

  it('counts the characters of our keys only, and ignores other apps\' keys', () => {
    const { backend, rec } = setup();
    backend.map.set('other-app:thing', 'x'.repeat(1000));
    const e = ok(rec.save('T', 'x', null)).entry;
    const l = rec.list();
    const key = SAVED_PREFIX + e.id;
    expect(l.chars).toBe(key.length + backend.getItem(key)!.length);
    expect(l.unreadable).toEqual([]);
  });

  it('unreadable records are listed by name (title guessed when the text shows one) with why, and left as they are', () => {
    const { backend, rec } = setup();
    const good = ok(rec.save('Good one', 'fine', null)).entry;
    const goodRaw = JSON.parse(backend.getItem(SAVED_PREFIX + good.id)!) as Record<string, unknown>;
    const cases: Record<string, string> = {
      // Bad JSON (cut off mid-write by something else), but the title is still visible.
      [SAVED_PREFIX + 'my-cut']: '{"format":"shadowpaging-saved/v2","id":"my-cut","title":"Lecture \\"3\\"","text":"abc',
      // Bad JSON without a title.
      [SAVED_PREFIX + 'my-garbage']: '\u0000\u0001garbage',
      // JSON of the wrong shape.
      [SAVED_PREFIX + 'my-array']: '[1,2,3]',
      // A field of the wrong type.
      [SAVED_PREFIX + 'my-typed']: JSON.stringify({ ...goodRaw, id: 'my-typed', title: 'Typed wrong', text: 42 }),
      // A record copied under another key: its id does not match.
      [SAVED_PREFIX + 'my-moved']: JSON.stringify({ ...goodRaw, title: 'Moved here' }),
      // Its previous version is damaged.
      [SAVED_PREFIX + 'my-prev']: JSON.stringify({ ...goodRaw, id: 'my-prev', title: 'Prev broken', prev: { title: 'x' } }),
      // A draft that is not JSON.
      [DRAFT_PREFIX + 'doc-bad']: 'not json at all',
      // A draft with a history entry of the wrong shape.
      [DRAFT_PREFIX + 'doc-hist']: JSON.stringify({
        format: 'shadowpaging-draft/v2',
        docId: 'doc-hist',
        title: 'History broken',
        text: 't',
        baseText: '',
        origin: 'New',
        savedId: null,
        savedRev: null,
        createdAt: 1,
        updatedAt: 1,
        rev: 'r',
        history: [{ text: 1 }],
      }),
    };
    for (const [k, v] of Object.entries(cases)) backend.map.set(k, v);
    const before = backend.snapshot();
    const l = rec.list();
    expect(l.saved.map((e) => e.id)).toEqual([good.id]);
    expect(l.drafts).toEqual([]);
    const byKey = Object.fromEntries(l.unreadable.map((u) => [u.key, u]));
    expect(Object.keys(byKey).sort()).toEqual(Object.keys(cases).sort());
    for (const [k, v] of Object.entries(cases)) expect(byKey[k]!.raw).toBe(v);
    expect(byKey[SAVED_PREFIX + 'my-cut']).toMatchObject({ name: 'saved scenario "Lecture "3""', why: 'its stored text is cut off or damaged, so it is not JSON' });
    expect(byKey[SAVED_PREFIX + 'my-garbage']).toMatchObject({ name: 'saved scenario my-garbage', why: 'its stored text is cut off or damaged, so it is not JSON' });
    expect(byKey[SAVED_PREFIX + 'my-array']).toMatchObject({ name: 'saved scenario my-array', why: 'it is not in the saved-scenario format' });
    expect(byKey[SAVED_PREFIX + 'my-typed']).toMatchObject({ name: 'saved scenario "Typed wrong"', why: 'a field is missing or damaged' });
    expect(byKey[SAVED_PREFIX + 'my-moved']).toMatchObject({ name: 'saved scenario "Moved here"', why: 'a field is missing or damaged' });
    expect(byKey[SAVED_PREFIX + 'my-prev']).toMatchObject({ name: 'saved scenario "Prev broken"', why: 'its previous version is damaged' });
    expect(byKey[DRAFT_PREFIX + 'doc-bad']).toMatchObject({ name: 'draft doc-bad', why: 'its stored text is cut off or damaged, so it is not JSON' });
    expect(byKey[DRAFT_PREFIX + 'doc-hist']).toMatchObject({ name: 'draft "History broken"', why: 'a field is missing or damaged' });
    // Listing reads only.
    expect(backend.snapshot()).toEqual(before);
  });

  it('aside keys are listed as unreadable with their own names', () => {
    const { backend, rec } = setup();
    backend.map.set(ASIDE_PREFIX + 'my-scenarios-v1', '[oops');
    backend.map.set(ASIDE_PREFIX + 'editor-draft-v1', 'old draft');
    const names = rec.list().unreadable.map((u) => [u.name, u.why]);
    expect(names).toEqual([
      ['the old editor draft (from before this version)', 'kept aside when this version moved the old data'],
      ['the old "My scenarios" list (from before this version)', 'kept aside when this version moved the old data'],
    ]);
  });

  it('a record changed by another tab is listed as it is now, also when it changes back', () => {
    const { backend, rec } = setup();
    const other = new ScenarioRecords(backend, { now: steppingClock(Date.UTC(2026, 1, 1)), random: seededRandom(9) });
    const v1 = ok(rec.save('L', 'first', null)).entry;
    expect(rec.list().saved.map((e) => e.text)).toEqual(['first']);
    const raw1 = backend.getItem(SAVED_PREFIX + v1.id)!;
    ok(other.save('L', 'second', { id: v1.id, rev: v1.rev }));
    expect(rec.list().saved.map((e) => e.text)).toEqual(['second']);
    backend.map.set(SAVED_PREFIX + v1.id, '{"title":"L"');
    expect(rec.list().saved).toEqual([]);
    expect(rec.list().unreadable.map((u) => u.key)).toEqual([SAVED_PREFIX + v1.id]);
    backend.map.set(SAVED_PREFIX + v1.id, raw1);
    expect(rec.list().saved.map((e) => e.text)).toEqual(['first']);
    backend.map.delete(SAVED_PREFIX + v1.id);
    expect(rec.list().saved).toEqual([]);
  });

  it('readSaved rejects a record whose id field differs from its key', () => {
    const { backend, rec } = setup();
    const e = ok(rec.save('T', 'x', null)).entry;
    expect(readSaved(backend.getItem(SAVED_PREFIX + e.id)!, 'my-other')).toBe('a field is missing or damaged');
  });
});

describe('removeUnreadable and restoreRaw', () => {
  it('deletes an unreadable record of ours, and restoreRaw puts the same bytes back', () => {
    const { backend, rec } = setup();
    const key = SAVED_PREFIX + 'my-bad';
    backend.map.set(key, '{"title":"Bad"');
    expect(rec.removeUnreadable(key)).toBeNull();
    expect(backend.getItem(key)).toBeNull();
    expect(rec.list().unreadable).toEqual([]);
    expect(rec.restoreRaw(key, '{"title":"Bad"')).toBeNull();
    expect(backend.getItem(key)).toBe('{"title":"Bad"');
  });

  it('refuses keys that are not ours, leaving them alone', () => {
    const { backend, rec } = setup();
    backend.map.set('other-app:data', 'theirs');
    backend.map.set('shadowpaging:tab-doc', 'doc-1');
    expect(rec.removeUnreadable('other-app:data')).toBe("other-app:data is not one of this app's records");
    expect(rec.removeUnreadable('shadowpaging:tab-doc')).toBe("shadowpaging:tab-doc is not one of this app's records");
    expect(rec.removeUnreadable('shadowpaging:my-scenarios:v1')).toBe("shadowpaging:my-scenarios:v1 is not one of this app's records");
    expect(backend.getItem('other-app:data')).toBe('theirs');
    expect(backend.getItem('shadowpaging:tab-doc')).toBe('doc-1');
  });

  it('deletes aside and draft keys too', () => {
    const { backend, rec } = setup();
    backend.map.set(ASIDE_PREFIX + 'my-scenarios-v1', '[');
    backend.map.set(DRAFT_PREFIX + 'doc-x', '{');
    expect(rec.removeUnreadable(ASIDE_PREFIX + 'my-scenarios-v1')).toBeNull();
    expect(rec.removeUnreadable(DRAFT_PREFIX + 'doc-x')).toBeNull();
    expect(backend.map.size).toBe(0);
  });

  it('restoreRaw never writes over something written there since', () => {
    const { backend, rec } = setup();
    const e = ok(rec.save('T', 'x', null)).entry;
    const key = SAVED_PREFIX + e.id;
    const raw = backend.getItem(key)!;
    expect(rec.restoreRaw(key, 'old junk')).toBe('something was written there since');
    expect(backend.getItem(key)).toBe(raw);
  });
});
