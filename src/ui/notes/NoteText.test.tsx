// @vitest-environment jsdom
import { cleanup, render } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { NoteText } from './NoteText.tsx';

afterEach(cleanup);

describe('NoteText', () => {
  it('shows hostile text as text: no element but the few fixed ones, no handler, no script link', () => {
    const note = '<script>window.__pwned = 1</script>\n\n<img src=x onerror="window.__pwned = 2"> [x](javascript:alert(1)) <a href="https://evil">a</a> **<b>bold</b>**';
    const { container } = render(<NoteText note={note} testId="n" />);
    const root = container.querySelector('[data-testid="n"]')!;
    expect(root.querySelectorAll('script, img, b, a').length).toBe(0);
    expect([...root.querySelectorAll('*')].map((e) => e.tagName)).toEqual(['P', 'P', 'STRONG']);
    expect(root.textContent).toBe('<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"> [x](javascript:alert(1)) <a href="https://evil">a</a> <b>bold</b>');
    expect((window as { __pwned?: number }).__pwned).toBeUndefined();
  });

  it('renders paragraphs, emphasis, code and links that open in a new tab', () => {
    const { container } = render(<NoteText note={'First *one*.\n\nSee `cr3` and [KVM](https://www.linux-kvm.org/).'} />);
    const ps = container.querySelectorAll('p');
    expect(ps.length).toBe(2);
    expect(ps[0]!.querySelector('em')!.textContent).toBe('one');
    expect(ps[1]!.querySelector('code')!.textContent).toBe('cr3');
    const a = ps[1]!.querySelector('a')!;
    expect(a.getAttribute('href')).toBe('https://www.linux-kvm.org/');
    expect(a.getAttribute('target')).toBe('_blank');
    expect(a.getAttribute('rel')).toBe('noopener noreferrer');
  });
});
