import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseInline, parseNote, safeHref, stepNote } from './markup.ts';

/** The text a parse shows, markers removed: what a reader sees. */
const shown = (note: string) =>
  parseNote(note)
    .map((b) => b.map((p) => p.text).join(''))
    .join('\n\n');

describe('parseNote', () => {
  it('splits paragraphs at blank lines and keeps single line breaks', () => {
    expect(parseNote('one\ntwo\n\n  \nthree\r\n\r\nfour')).toEqual([
      [{ kind: 'text', text: 'one\ntwo' }],
      [{ kind: 'text', text: 'three' }],
      [{ kind: 'text', text: 'four' }],
    ]);
    expect(parseNote('')).toEqual([]);
    expect(parseNote('\n\n\n')).toEqual([]);
  });

  it('reads emphasis, strong, code and links', () => {
    expect(parseInline('A *write* to a **write-protected** table: see `kvm_mmu_page_fault` and [the source](https://elixir.bootlin.com/linux/v5.15/source/arch/x86/kvm/mmu/mmu.c).')).toEqual([
      { kind: 'text', text: 'A ' },
      { kind: 'em', text: 'write' },
      { kind: 'text', text: ' to a ' },
      { kind: 'strong', text: 'write-protected' },
      { kind: 'text', text: ' table: see ' },
      { kind: 'code', text: 'kvm_mmu_page_fault' },
      { kind: 'text', text: ' and ' },
      { kind: 'link', text: 'the source', href: 'https://elixir.bootlin.com/linux/v5.15/source/arch/x86/kvm/mmu/mmu.c' },
      { kind: 'text', text: '.' },
    ]);
    expect(parseInline('[mail](mailto:teacher@example.org)')).toEqual([{ kind: 'link', text: 'mail', href: 'mailto:teacher@example.org' }]);
  });

  it('leaves unbalanced and empty markers as text', () => {
    for (const t of ['*open', 'close*', '`tick', '**', '****', '``', '[no link]', '[text](', '[text](https://a.b', '[](https://a.b)', 'a * b * c'.replace(/ \* /g, '*')]) {
      expect(shown(t), t).toBe(t === 'a*b*c' ? 'abc' : t);
    }
    expect(parseInline('**half*')).toEqual([
      { kind: 'text', text: '*' },
      { kind: 'em', text: 'half' },
    ]);
    expect(parseInline('*a* *b')).toEqual([
      { kind: 'em', text: 'a' },
      { kind: 'text', text: ' *b' },
    ]);
  });

  it('shows HTML and script as text, and refuses links that are not http, https or mailto', () => {
    const hostile = '<script>alert(1)</script><img src=x onerror=alert(2)>';
    expect(parseNote(hostile)).toEqual([[{ kind: 'text', text: hostile }]]);
    for (const url of ['javascript:alert(1)', 'JAVASCRIPT:alert(1)', 'data:text/html,<b>x</b>', 'vbscript:x', '/relative', '//evil.example', 'java\tscript:alert(1)', 'https://a.b/"onmouseover="x', ' https://a.b']) {
      const note = `[click](${url})`;
      expect(parseInline(note).some((p) => p.kind === 'link'), url).toBe(false);
      expect(shown(note)).toBe(note);
    }
  });

  it('safeHref keeps only http, https and mailto', () => {
    expect(safeHref('https://example.org/a?b=c#d')).toBe('https://example.org/a?b=c#d');
    expect(safeHref('HTTP://example.org')).toBe('http://example.org/');
    expect(safeHref('javascript:alert(1)')).toBeNull();
    expect(safeHref('ftp://example.org')).toBeNull();
    expect(safeHref('not a url')).toBeNull();
  });

  it('parses long pathological notes to the text they hold (linear: no search from every opener)', () => {
    // Each would take n^2/2 character reads with a search per opener: 5 * 10^9 for these.
    const n = 100_000;
    const cases = ['*'.repeat(n), '*a '.repeat(n / 3), '[a](https://x'.repeat(n / 14), '['.repeat(n) + '](https://a.b)', '`'.repeat(n) + 'x', '**a'.repeat(n / 3), '[' + '](x'.repeat(n / 3)];
    for (const c of cases) {
      const blocks = parseNote(c);
      const text = blocks.flatMap((b) => b.map((p) => p.text)).join('');
      expect(text.length).toBeGreaterThan(0);
      expect(text.length).toBeLessThanOrEqual(c.length);
    }
    expect(shown('*'.repeat(10_000))).toBe('*'.repeat(10_000));
  });

  it('never loses or invents text beyond the markers (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('*', '`', '[', ']', '(', ')', 'a', ' ', '\n', 'https://a.b', '<', '>'), maxLength: 80 }), (s) => {
        const blocks = parseNote(s);
        for (const b of blocks) {
          for (const p of b) {
            if (p.kind === 'link') expect(['http:', 'https:', 'mailto:']).toContain(new URL(p.href).protocol);
            expect(p.text.length).toBeGreaterThan(0);
          }
        }
        // Every shown character is one of the note's, in order.
        const text = blocks.flatMap((b) => b.map((p) => p.text)).join('');
        let j = 0;
        for (const ch of text) {
          j = s.indexOf(ch, j);
          expect(j).toBeGreaterThanOrEqual(0);
          j++;
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('stepNote', () => {
  const doc = { steps: [{ op: 'read', note: 'first' }, { op: 'read' }, { op: 'read', note: 5 }, { op: 'read', note: '  ' }] };
  it('is the note of the step just applied (1-based); none at step 0 or where there is none', () => {
    expect(stepNote(doc, 0)).toBeNull();
    expect(stepNote(doc, 1)).toBe('first');
    expect(stepNote(doc, 2)).toBeNull();
    expect(stepNote(doc, 3)).toBeNull();
    expect(stepNote(doc, 4)).toBeNull();
    expect(stepNote(doc, 5)).toBeNull();
    expect(stepNote(null, 1)).toBeNull();
    expect(stepNote({ steps: 'x' }, 1)).toBeNull();
  });
});
