// @vitest-environment jsdom
// jsdom for its HTML parser: the snippets are read back the way a host page would read them.
import { describe, expect, it } from 'vitest';
import { DEFAULT_EMBED_PRESET, EMBED_PRESETS, embedSnippet, escapeHtmlAttribute, type EmbedPreset } from './embed.ts';
import { parseLocation, permalinkUrl } from './permalink.ts';

const LINK = 'https://example.org/sp/#sp1/b/self-map/1/s=3&t=dark';
const slide = EMBED_PRESETS.find((p) => p.id === 'slide')!;

/** The one element a snippet holds, parsed as a host page would. */
function parse(snippet: string): HTMLIFrameElement {
  const body = new DOMParser().parseFromString(snippet, 'text/html').body;
  expect(body.children).toHaveLength(1);
  const frame = body.firstElementChild;
  expect(frame).toBeInstanceOf(HTMLIFrameElement);
  return frame as HTMLIFrameElement;
}

describe('embed presets', () => {
  it('offers small, slide and large, smallest first, starting on slide', () => {
    expect(EMBED_PRESETS.map((p) => [p.id, p.width, p.height])).toEqual([
      ['small', 640, 400],
      ['slide', 800, 500],
      ['large', 960, 600],
    ]);
    for (const p of EMBED_PRESETS) expect(p.label).toContain(`${p.width} × ${p.height}`);
    expect(EMBED_PRESETS.map((p) => p.id)).toContain(DEFAULT_EMBED_PRESET);
  });
});

describe('embedSnippet', () => {
  it('writes the iframe for each preset', () => {
    const title = 'A recursive (self-mapped) page directory';
    const src = 'https://example.org/sp/?embed=1#sp1/b/self-map/1/s=3&amp;t=dark';
    const common = `title="shadowpaging: ${title}" loading="lazy" style="border:0" allow="clipboard-write"></iframe>`;
    const snippets = EMBED_PRESETS.map((p) => embedSnippet(LINK, p, title));
    expect(snippets).toEqual([
      `<iframe src="${src}" width="640" height="400" ${common}`,
      `<iframe src="${src}" width="800" height="500" ${common}`,
      `<iframe src="${src}" width="960" height="600" ${common}`,
    ]);
    for (const [i, s] of snippets.entries()) {
      const frame = parse(s);
      expect([frame.width, frame.height]).toEqual([String(EMBED_PRESETS[i]!.width), String(EMBED_PRESETS[i]!.height)]);
      expect(frame.title).toBe(`shadowpaging: ${title}`);
      expect(frame.getAttribute('loading')).toBe('lazy');
      expect(frame.getAttribute('allow')).toBe('clipboard-write');
      expect(frame.getAttribute('style')).toBe('border:0');
    }
  });

  it('takes any size, such as a custom one', () => {
    const custom: EmbedPreset = { id: 'slide', label: 'Custom', width: 1200, height: 750 };
    expect(embedSnippet(LINK, custom, 'x')).toContain(' width="1200" height="750" ');
  });

  it('escapes a hostile title, which anyone can write into an inline link', () => {
    const hostile = `"><script>alert('x')</script> & "quoted" <b>it's</b> &amp;`;
    const snippet = embedSnippet(LINK, slide, hostile);
    expect(snippet).not.toMatch(/<script|<b>|"quoted"|it's/);
    expect(snippet).toContain(
      'title="shadowpaging: &quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;quoted&quot; &lt;b&gt;it&#39;s&lt;/b&gt; &amp;amp;"',
    );
    const frame = parse(snippet);
    expect(frame.title).toBe(`shadowpaging: ${hostile}`);
    expect(frame.ownerDocument.querySelector('script, b')).toBeNull();
    // Single-quoted re-use stays one attribute too.
    expect(escapeHtmlAttribute(`a'b"c&<>`)).toBe('a&#39;b&quot;c&amp;&lt;&gt;');
  });

  it('keeps the snippet on one line and names an untitled scenario', () => {
    expect(parse(embedSnippet(LINK, slide, '  two\nlines\t\u0000and\r\n a tab  ')).title).toBe('shadowpaging: two lines and a tab');
    expect(embedSnippet(LINK, slide, 'x\ny')).not.toMatch(/[\n\r]/);
    expect(parse(embedSnippet(LINK, slide, ' \n ')).title).toBe('shadowpaging');
    expect(parse(embedSnippet(LINK, slide, 'café ✓ 😀')).title).toBe('shadowpaging: café ✓ 😀');
  });

  it('points at the link in embed mode', () => {
    const frame = parse(embedSnippet(LINK, slide, 't'));
    expect(frame.getAttribute('src')).toBe('https://example.org/sp/?embed=1#sp1/b/self-map/1/s=3&t=dark');
    expect(parseLocation(new URL(frame.src))).toEqual({ embed: true, fragment: 'sp1/b/self-map/1/s=3&t=dark' });
  });

  it("handles the link's own query and hash as permalinkUrl does", () => {
    const srcOf = (url: string) => parse(embedSnippet(url, slide, 't')).getAttribute('src');
    // An embed link, or one with another query, is not doubled or kept.
    expect(srcOf('https://example.org/sp/?embed=1#sp1/b/self-map/1')).toBe('https://example.org/sp/?embed=1#sp1/b/self-map/1');
    expect(srcOf('https://example.org/sp/?utm=x&embed=0#sp1/b/self-map/1/s=2')).toBe('https://example.org/sp/?embed=1#sp1/b/self-map/1/s=2');
    // Only the first "#" starts the fragment; the fragment is kept as it is (parseLocation decodes it).
    expect(srcOf('https://example.org/#sp1%2Fb%2Fself-map%2F1')).toBe('https://example.org/?embed=1#sp1%2Fb%2Fself-map%2F1');
    expect(parseLocation(new URL(srcOf('https://example.org/#sp1%2Fb%2Fself-map%2F1')!))).toEqual({ embed: true, fragment: 'sp1/b/self-map/1' });
    // No fragment: the app's start page, in embed mode.
    expect(srcOf('https://example.org/sp/')).toBe('https://example.org/sp/?embed=1');
    expect(srcOf('https://example.org/sp/?a=b#')).toBe('https://example.org/sp/?embed=1');
    expect(parseLocation(new URL(srcOf('https://example.org/sp/')!))).toEqual({ embed: true, fragment: null });
    // The same src as the embed link permalinkUrl makes for the page.
    const fragment = 'sp1/b/self-map/1/s=3&t=dark&p=1';
    expect(srcOf(permalinkUrl('https://example.org/sp/?x=1', fragment))).toBe(permalinkUrl('https://example.org/sp/', fragment, { embed: true }));
  });
});
