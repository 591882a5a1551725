// @vitest-environment jsdom
/**
 * xmlText writes an element in pieces that, joined, are XMLSerializer's text
 * of the whole: on random SVG trees (any shape, attributes and text with the
 * characters XML escapes, empty elements, nested svg), and on trees large
 * enough to be taken apart at several levels. (The e2e export test checks the
 * same in Chromium, on a scene's real file.)
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PIECE_ELEMENTS, xmlText } from './xml-text.ts';

const SVG_NS = 'http://www.w3.org/2000/svg';

type Tree = { readonly tag: string; readonly attrs: ReadonlyArray<readonly [string, string]>; readonly text: string | null; readonly kids: readonly Tree[]; readonly copies: number };

function build(t: Tree): Element {
  const e = document.createElementNS(SVG_NS, t.tag);
  for (const [k, v] of t.attrs) e.setAttribute(k, v);
  if (t.text !== null) e.appendChild(document.createTextNode(t.text));
  for (const k of t.kids) for (let i = 0; i < k.copies; i++) e.appendChild(build(k));
  return e;
}

function fileRoot(t: Tree): Element {
  const root = document.createElementNS(SVG_NS, 'svg');
  root.setAttribute('xmlns', SVG_NS);
  root.appendChild(build(t));
  return root;
}

function joined(root: Element, pieceElements: number): string {
  const out: string[] = [];
  const it = xmlText(root, out, pieceElements);
  let pieces = 0;
  while (!it.next().done) pieces++;
  expect(pieces).toBeGreaterThan(0);
  return out.join('');
}

const text = fc.string({ unit: fc.constantFrom('a', 'Z', ' ', '&', '<', '>', '"', "'", '\n', '0', 'é'), maxLength: 6 });
const node = (kids: fc.Arbitrary<Tree[]>): fc.Arbitrary<Tree> =>
  fc.record({
    tag: fc.constantFrom('g', 'rect', 'text', 'path', 'svg', 'linearGradient', 'tspan'),
    attrs: fc.uniqueArray(fc.tuple(fc.constantFrom('x', 'y', 'd', 'style', 'fill', 'transform', 'data-k'), text), { selector: ([k]) => k, maxLength: 3 }),
    text: fc.option(text, { nil: null }),
    kids,
    // Copies of a child, so some trees pass PIECE_ELEMENTS and are taken apart.
    copies: fc.integer({ min: 1, max: 4 }),
  });
const tree: fc.Arbitrary<Tree> = fc.letrec<{ tree: Tree }>((tie) => ({
  tree: fc.oneof({ maxDepth: 4, depthIdentifier: 'tree' }, node(fc.constant([])), node(fc.array(tie('tree'), { maxLength: 3, depthIdentifier: 'tree' }))),
})).tree;

describe('xmlText', () => {
  it('joined, is XMLSerializer\'s text of the whole tree', () => {
    fc.assert(
      // Pieces of at most 0-8 elements take even small trees apart, at every level.
      fc.property(tree, fc.integer({ min: 0, max: 8 }), (t, pieceElements) => {
        const root = fileRoot(t);
        fc.pre(root.getElementsByTagName('*').length <= 20 * PIECE_ELEMENTS);
        expect(joined(root, pieceElements)).toBe(new XMLSerializer().serializeToString(root));
      }),
      { numRuns: 150, maxSkipsPerRun: 1000 },
    );
  });

  it('takes a large tree apart at several levels with the pieces the export uses, and the text is still the whole one', () => {
    const leaf: Tree = { tag: 'rect', attrs: [['x', '1 & 2 < 3']], text: null, kids: [], copies: 1 };
    const card: Tree = { tag: 'g', attrs: [['transform', 'translate(1,2)']], text: 'a "card" > b', kids: [{ ...leaf, copies: 20 }, { tag: 'text', attrs: [], text: '0x1000 & <more>', kids: [], copies: 3 }], copies: 1 };
    const root = fileRoot({ tag: 'svg', attrs: [['viewBox', '0 0 10 10']], text: null, kids: [{ tag: 'g', attrs: [], text: null, kids: [{ ...card, copies: 60 }], copies: 2 }], copies: 1 });
    expect(root.getElementsByTagName('*').length).toBeGreaterThan(4 * PIECE_ELEMENTS);
    const out: string[] = [];
    const it = xmlText(root, out);
    while (!it.next().done);
    // Taken apart: more pieces than the root and its two groups, and none holds more than PIECE_ELEMENTS elements.
    expect(out.length).toBeGreaterThan(100);
    for (const p of out) expect((p.match(/<[a-zA-Z]/g) ?? []).length).toBeLessThanOrEqual(PIECE_ELEMENTS);
    expect(out.join('')).toBe(new XMLSerializer().serializeToString(root));
    // No piece declares the namespace again: as many declarations as in the whole text (the root's).
    const decls = (x: string) => x.split('xmlns=').length - 1;
    expect(decls(out.join(''))).toBe(decls(new XMLSerializer().serializeToString(root)));
  });
});
