import { describe, expect, it } from 'vitest';
import { decodeLessonLink, isLessonFragment, linkLessonFor, tryEncodeLessonLink } from './lesson-link.ts';
import { LESSON_FORMAT } from './lesson.ts';
import { LESSONS } from './lessons/index.ts';
import { decodePermalink, DEFAULT_VIEW } from './permalink.ts';

const enc = (...a: Parameters<typeof tryEncodeLessonLink>) => {
  const r = tryEncodeLessonLink(...a);
  if (!r.ok) throw new Error(r.error);
  return r.fragment;
};

describe('lesson links', () => {
  it('names a built-in lesson in a few characters, and round-trips entry and view', () => {
    const f = enc({ lesson: { kind: 'builtin', id: 'four-roots', version: 1 }, entry: 1, view: { ...DEFAULT_VIEW, step: 3, quiz: true } }, 'seed');
    expect(f).toBe('sp1/l/four-roots/1/2/s=3&q=1');
    expect(isLessonFragment(`#${f}`)).toBe(true);
    const d = decodeLessonLink(`#${f}`);
    if (!d.ok) throw new Error(d.error);
    expect(d.link.entry).toBe(1);
    expect(d.link.view).toMatchObject({ step: 3, quiz: true, rules: 'seed' });
    expect(d.lesson.title).toBe('Four roots and two quadrants');
  });

  it("leaves the rule set out when it is the entry's own, and keeps a switch away from it", () => {
    const lesson = { kind: 'builtin' as const, id: 'patch-and-bug', version: 1 };
    const own = enc({ lesson, entry: 0, view: { ...DEFAULT_VIEW, rules: 'before' } }, 'before');
    expect(own).toBe('sp1/l/patch-and-bug/1/1');
    const d = decodeLessonLink(own);
    expect(d.ok && d.link.view.rules).toBe('before');
    const switched = enc({ lesson, entry: 0, view: { ...DEFAULT_VIEW, rules: 'seed' } }, 'before');
    expect(switched).toBe('sp1/l/patch-and-bug/1/1/r=seed');
    const d2 = decodeLessonLink(switched);
    expect(d2.ok && d2.link.view.rules).toBe('seed');
  });

  it('packs an inline lesson with its notes and questions, checked, and opens it again unchanged', () => {
    const json = {
      format: LESSON_FORMAT,
      title: 'Mine',
      intro: 'Read *this*.',
      entries: [
        { builtin: 'quadrants-32bit', notes: { '2': 'a note' }, questions: { '2': [{ kind: 'outcome' }] } },
        { scenario: { format: 'shadowpaging/v1', title: 'x', guest: { mode: 'x86-32', cr3: '0x1000' }, steps: [{ op: 'read', gva: '0x1000', questions: [{ kind: 'outcome' }], note: 'inline note' }] } },
      ],
    };
    expect(linkLessonFor(null, json).kind).toBe('inline');
    const f = enc({ lesson: { kind: 'inline', json }, entry: 1, view: { ...DEFAULT_VIEW, step: 1 } }, 'seed');
    expect(f).toMatch(/^sp1\/m\/2\/s=1&k=[A-D][A-Za-z0-9_-]{5}\//);
    const d = decodeLessonLink(f);
    if (!d.ok) throw new Error(d.error);
    expect(d.lessonJson).toEqual(json);
    expect(d.link.entry).toBe(1);
    const steps = (d.lesson.entries[0]!.json as { steps: { note?: string; questions?: unknown }[] }).steps;
    expect(steps[1]).toMatchObject({ note: 'a note', questions: [{ kind: 'outcome' }] });
    // A changed character is refused, not opened altered.
    const last = f.at(-1) === 'A' ? 'B' : 'A';
    const damaged = decodeLessonLink(f.slice(0, -1) + last);
    expect(!damaged.ok && damaged.error).toMatch(/check does not match/);
  });

  it('a built-in lesson as shipped links by name', () => {
    for (const l of LESSONS) expect(linkLessonFor(l.id, structuredClone(l.json))).toEqual({ kind: 'builtin', id: l.id, version: l.version });
  });

  it('says what is wrong with a bad lesson link', () => {
    const e = (f: string) => {
      const d = decodeLessonLink(f);
      return d.ok ? 'ok' : d.error;
    };
    expect(e('sp1/l/four-rots/1/1')).toMatch(/no built-in lesson "four-rots".*did you mean "four-roots"/);
    expect(e('sp1/l/four-roots/9/1')).toMatch(/in version 1 only, not version 9/);
    expect(e('sp1/l/four-roots/1/x')).toMatch(/entry must be a whole number/);
    expect(e('sp1/l/four-roots/1')).toMatch(/has the form "sp1\/l\/<name>\/<version>\/<entry>"/);
    expect(e('sp1/l/four-roots/1/1/s=zz')).toMatch(/view settings are damaged/);
    const far = decodeLessonLink('sp1/l/four-roots/1/9');
    expect(far.ok && far.link.entry).toBe(1);
    expect(far.ok && far.warnings[0]).toMatch(/scenario 9 of the lesson, but it has 2; showing the last/);
    const big = { format: LESSON_FORMAT, title: 'Big', intro: 'x'.repeat(4000), entries: Array.from({ length: 10 }, () => ({ builtin: 'quadrants-32bit', intro: 'y'.repeat(4000) })) };
    const r = tryEncodeLessonLink({ lesson: { kind: 'inline', json: big }, entry: 0, view: DEFAULT_VIEW }, 'seed');
    expect(!r.ok && r.error).toMatch(/The lesson is too large for a link .*share it as a file instead/);
  });

  it('leaves scenario links as they were', () => {
    expect(isLessonFragment('sp1/b/quadrants-32bit/1')).toBe(false);
    expect(decodePermalink('sp1/b/quadrants-32bit/1/s=2').ok).toBe(true);
  });

  it('golden links: links made by this version keep opening the same lesson', () => {
    const byName = decodeLessonLink('sp1/l/patch-and-bug/1/3/s=5&r=seed');
    expect(byName.ok && [byName.lesson.title, byName.link.entry, byName.link.view.step, byName.link.view.rules]).toEqual(['The patch and its bug: Before, Seed, Merged and the stale child of 7/8', 2, 5, 'seed']);
    // An inline lesson at entry 1, step 4, under its own rule set (merged, from the lesson).
    const inline = decodeLessonLink(
      'sp1/m/1/s=4&k=DIINhi/N4IgpgdgLgTglmAziAXAbVAIwK5wDZRwSoiJQCGeYAtAMYAW+AJtduQGYgA0IEA9lCSpQAVhLEAvjwCO2JIT4RkKUagwgA1kSYk+2KLT4BbMCAkBdCVKy4CREgAdyAcyLPqfdpx4xsVZSCYYOx8MKYWPCEwRuRQJIj05Ex8AO5OrhDu-oiKAPQAbgCM3CBEsHwkAEpgSQAEAFRQjIj1AHQlvv4kJjDOYDo8hFBUJADifHhMkGZAA',
    );
    if (!inline.ok) throw new Error(inline.error);
    expect(inline.lesson.title).toBe('Golden');
    expect(inline.link.view).toMatchObject({ step: 4, rules: 'merged' });
    expect(inline.lesson.entries.map((e) => [e.builtin, e.rules])).toEqual([
      ['stale-child-uaf', 'merged'],
      ['paging-off', 'before'],
    ]);
    expect((inline.lesson.entries[0]!.json as { steps: { note?: string }[] }).steps[4]!.note).toBe('n');
  });
});
