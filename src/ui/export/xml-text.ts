/**
 * An element's XML text (XMLSerializer's, byte for byte) written in pieces,
 * with the page's turn between them.
 *
 * Why: the SVG of a large scene is one XMLSerializer call over its whole
 * tree, one task: ~1.3 s for the 100,000-step bench file's scene at step 0
 * (25 MB), 1-2 s for the 1,000,000-step file's (~70 MB), with the page frozen.
 * Here a subtree of at most PIECE_ELEMENTS elements is written by one call,
 * and a larger one is taken apart: its start tag, its children one by one
 * (each the same way), its end tag.
 *
 * The pieces are what XMLSerializer writes for the whole tree: an element
 * written alone gets the SVG namespace declared on it, which in the whole
 * tree it inherits from its parent, so that one declaration is taken out
 * of the piece's first tag (the root keeps its own, which it has as an
 * attribute). Tests compare both on random trees (xml-text.test.ts) and on
 * real scenes in the browser (e2e export).
 */

const SVG_NS_DECL = ' xmlns="http://www.w3.org/2000/svg"';

/** The most elements one XMLSerializer call writes (a few hundred microseconds' work). */
export const PIECE_ELEMENTS = 256;

/** `text` (an element written alone) without the namespace declaration its first tag got for being alone. */
function inherited(text: string): string {
  const tagEnd = text.indexOf('>');
  const at = text.indexOf(SVG_NS_DECL);
  return at >= 0 && at < tagEnd ? text.slice(0, at) + text.slice(at + SVG_NS_DECL.length) : text;
}

/**
 * Appends `root`'s XML text to `out` in pieces, yielding after each: joined,
 * they are `new XMLSerializer().serializeToString(root)`. `root` is an SVG
 * element that declares its namespace as an attribute (a standalone file's
 * root) or is written as a whole. `pieceElements`: the most elements one
 * piece writes (smaller in tests, to take small trees apart).
 */
export function* xmlText(root: Element, out: string[], pieceElements = PIECE_ELEMENTS): Generator<void> {
  const serializer = new XMLSerializer();
  // Work as a stack, in document order: a node to write, or a ready text (an end tag).
  const todo: Array<{ node: Node; root: boolean } | string> = [{ node: root, root: true }];
  while (todo.length > 0) {
    const item = todo.pop()!;
    if (typeof item === 'string') {
      out.push(item);
      continue;
    }
    const { node } = item;
    const el = node instanceof Element ? node : null;
    if (!el || el.childElementCount === 0 || el.getElementsByTagName('*').length <= pieceElements) {
      const text = serializer.serializeToString(node);
      out.push(item.root || !el ? text : inherited(text));
      yield;
      continue;
    }
    // Taken apart: the start tag (the element written without its children), the children, the end tag.
    const shell = serializer.serializeToString(el.cloneNode(false));
    const open = shell.endsWith('/>') ? `${shell.slice(0, -2)}>` : shell.slice(0, shell.lastIndexOf('</'));
    out.push(item.root ? open : inherited(open));
    todo.push(`</${el.nodeName}>`);
    for (let c = el.lastChild; c; c = c.previousSibling) todo.push({ node: c, root: false });
    yield;
  }
}
