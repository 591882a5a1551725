/**
 * The current view as a standalone SVG file and as a PNG at 2x.
 *
 * The canvas on screen draws only the cards near the scroll window, so the
 * whole scene is drawn again off screen (the same Canvas component, with a
 * window as tall as the scene), then copied with every element's computed
 * style written inline: the CSS classes and the theme's variables do not
 * travel with the file, their resolved colours do. Pure SVG (no
 * foreignObject), so drawing it onto a canvas for the PNG does not taint it.
 */
import { createElement, type ReactNode, startTransition, useLayoutEffect } from 'react';
import { createRoot } from 'react-dom/client';
import { Canvas } from '../components/Canvas.tsx';
import { Overview } from '../components/Overview.tsx';
import { partsBlob } from '../heavy/text-blob.ts';
import { sliced } from '../idle.ts';
import { wrapWords } from './names.ts';
import type { ExportScene } from './scene.ts';
import { xmlText } from './xml-text.ts';

const SVG_NS = 'http://www.w3.org/2000/svg';

/** The properties that decide how an SVG element looks (what the stylesheet sets on the canvas). */
const PROPS = [
  'display',
  'visibility',
  'opacity',
  'fill',
  'fill-opacity',
  'stroke',
  'stroke-width',
  'stroke-opacity',
  'stroke-dasharray',
  'stroke-linecap',
  'stroke-linejoin',
  'font-family',
  'font-size',
  'font-weight',
  'font-style',
  'text-anchor',
  'dominant-baseline',
  'white-space',
  'letter-spacing',
  'rx',
  'ry',
  // The rows' ink (Canvas RowInks): a gradient whose stops take the theme's colours from classes.
  'stop-color',
] as const;

/** Attributes that only serve the page (focus, events, test hooks): not in the file. */
const DROP = ['tabindex', 'class', 'data-testid', 'role', 'aria-label', 'aria-hidden'];

/** Copies an element's computed style (`from`, attached to the document) onto its twin `to` in a clone, and drops the page's own attributes. */
function inlineStyle(from: Element, to: Element): void {
  const cs = getComputedStyle(from);
  const style = PROPS.map((p) => `${p}:${cs.getPropertyValue(p)}`).join(';');
  to.setAttribute('style', style);
  for (const a of DROP) to.removeAttribute(a);
  for (const a of [...to.attributes]) if (a.name.startsWith('data-') || a.name.startsWith('aria-')) to.removeAttribute(a.name);
}

/**
 * inlineStyle for every element of `from` and its twin in `to`, a clone of
 * it, one at a time: run in slices between tasks (runSliced), since the
 * whole scene of the 100k and 1M benchmark files (~190,000 px tall, ~2 s of
 * computed styles alone) froze the page in one task. The stage is the
 * export's own and does not change meanwhile.
 */
function* inlineStyles(from: Element, to: Element): Generator<void> {
  const todo: Array<readonly [Element, Element]> = [[from, to]];
  while (todo.length > 0) {
    const [a, b] = todo.pop()!;
    inlineStyle(a, b);
    for (let i = a.children.length - 1; i >= 0; i--) todo.push([a.children[i]!, b.children[i]!]);
    yield;
  }
}

/** The theme on the page: a picture written while it changes would have the colours of both. */
const darkTheme = (): boolean => document.documentElement.classList.contains('dark');

/** Its children, and `onCommit` called once they are in the document. */
function Committed({ onCommit, children }: { readonly onCommit: () => void; readonly children?: ReactNode }): ReactNode {
  useLayoutEffect(onCommit, [onCommit]);
  return children;
}

export interface ExportedSvg {
  /** The file (image/svg+xml), made from its text's pieces between tasks (heavy/text-blob.ts partsBlob). */
  blob: Blob;
  /** Its size in CSS pixels (the PNG is this times its ratio). */
  width: number;
  height: number;
}

/** The title lines and column headings above the tables. */
const PAD = 12;
const TITLE_FONT = 14;
const LINE_H = 19;
const HEADS_H = 26;
/** The least width of a picture (a title needs some room beside a narrow scene). */
const MIN_W = 320;

/** The least size of a scene's picture (sceneSvg's, with a title of one line: a longer one wraps to more), known before it is drawn. */
export const sceneSizeAtLeast = (scene: ExportScene): { width: number; height: number } => ({
  width: Math.max(scene.layout.width, MIN_W),
  height: PAD + LINE_H + 4 + HEADS_H + scene.layout.height,
});

/**
 * The whole current scene as an SVG file: a title (scenario, step and its
 * caption), the column headings, then the tables with their links, in the
 * page's theme (its background behind everything).
 */
export async function sceneSvg(scene: ExportScene, title: string): Promise<ExportedSvg> {
  // The page answers while the picture is drawn and written: a theme change meanwhile refuses it.
  const theme = darkTheme();
  const sameTheme = () => darkTheme() === theme;
  const themeChanged = () => new Error('the theme changed while the picture was being written; export it again');
  const stage = document.createElement('div');
  // Off screen but laid out and styled (computed styles need that); no animation, so
  // a page just created is read at full opacity, not at the first frame of its fade-in.
  stage.className = 'export-stage';
  stage.setAttribute('aria-hidden', 'true');
  document.body.appendChild(stage);
  // A drawing that fails ends the export with its error (a transition would otherwise never commit).
  let failed: (e: unknown) => void = () => {};
  const root = createRoot(stage, { onUncaughtError: (e) => failed(e) });
  try {
    const { layout, hl } = scene;
    // Drawn as a transition: React renders it in slices with the page's turn
    // between them, and it is read once committed (the 1M file's whole scene
    // took ~0.75 s of one task with flushSync).
    await new Promise<void>((resolve, reject) => {
      failed = reject;
      const picture = scene.overview ? createElement(Overview, { layout, hl }) : createElement(Canvas, { layout, hl, viewport: { top: 0, height: layout.height + 1 }, scale: 1, titled: true });
      startTransition(() => root.render(createElement(Committed, { onCommit: () => resolve() }, picture)));
    });
    if (!sameTheme()) throw themeChanged();
    const drawn = stage.querySelector('svg');
    if (!drawn) throw new Error('the tables were not drawn');
    const body = getComputedStyle(document.body);
    const bg = body.backgroundColor;
    const fg = body.color;
    const muted = getComputedStyle(document.documentElement).getPropertyValue('--muted').trim() || fg;
    const fontFamily = body.fontFamily;
    const width = Math.max(layout.width, MIN_W);
    const measure = textMeasurer(`600 ${TITLE_FONT}px ${fontFamily}`);
    const lines = wrapWords(title, width - 2 * PAD, measure);
    const top = PAD + lines.length * LINE_H + 4;
    const height = Math.ceil(top + HEADS_H + layout.height);

    const svg = document.createElementNS(SVG_NS, 'svg');
    svg.setAttribute('xmlns', SVG_NS);
    svg.setAttribute('width', String(width));
    svg.setAttribute('height', String(height));
    svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
    const el = (name: string, attrs: Record<string, string | number>, text?: string) => {
      const e = document.createElementNS(SVG_NS, name);
      for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
      if (text !== undefined) e.textContent = text;
      return e;
    };
    svg.appendChild(el('title', {}, title));
    svg.appendChild(el('rect', { x: 0, y: 0, width, height, fill: bg }));
    lines.forEach((l, i) => svg.appendChild(el('text', { x: PAD, y: PAD + (i + 1) * LINE_H - 5, fill: fg, 'font-family': fontFamily, 'font-size': TITLE_FONT, 'font-weight': 600 }, l)));
    for (const h of scene.heads) svg.appendChild(el('text', { x: h.x, y: top + 17, fill: muted, 'font-family': fontFamily, 'font-size': 13, 'font-weight': 600 }, h.text));
    svg.appendChild(el('line', { x1: 0, x2: width, y1: top + HEADS_H - 0.5, y2: top + HEADS_H - 0.5, stroke: getComputedStyle(document.documentElement).getPropertyValue('--border').trim() || muted }));
    const copy = drawn.cloneNode(true) as SVGSVGElement;
    // Between slices the page may change the theme, which the styles depend on: that stops the copy.
    await sliced(inlineStyles(drawn, copy), () => (sameTheme() ? null : themeChanged()));
    // The tables at scale 1, below the headings (a nested svg keeps their viewBox and marker ids).
    copy.setAttribute('x', '0');
    copy.setAttribute('y', String(top + HEADS_H));
    copy.setAttribute('width', String(layout.width));
    copy.setAttribute('height', String(layout.height));
    // The canvas's SVG is a little larger than the picture (Canvas svgFrame): the file's is the picture's size.
    copy.setAttribute('viewBox', `0 0 ${layout.width} ${layout.height}`);
    copy.removeAttribute('style');
    copy.setAttribute('overflow', 'visible');
    svg.appendChild(copy);
    // Written out in pieces between tasks (xml-text.ts): one XMLSerializer call over a large scene froze the
    // page. The pieces become the file's Blob a part at a time, never one string.
    const parts: string[] = ['<?xml version="1.0" encoding="UTF-8"?>\n'];
    await sliced(xmlText(svg, parts));
    parts.push('\n');
    return { blob: await partsBlob(parts, 'image/svg+xml'), width, height };
  } finally {
    root.unmount();
    stage.remove();
  }
}

/** A text's width in the given CSS font (a canvas measures it; a rough guess where there is no 2D context). */
function textMeasurer(font: string): (s: string) => number {
  const ctx = document.createElement('canvas').getContext('2d');
  if (!ctx) return (s) => s.length * TITLE_FONT * 0.55;
  ctx.font = font;
  return (s) => ctx.measureText(s).width;
}

/** The SVG drawn onto a canvas `ratio` times its size, as a PNG. */
export async function svgToPng(svg: ExportedSvg, ratio: number): Promise<Blob> {
  const url = URL.createObjectURL(svg.blob);
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(svg.width * ratio);
    canvas.height = Math.round(svg.height * ratio);
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('the browser gave no canvas to draw the picture on');
    ctx.scale(ratio, ratio);
    ctx.drawImage(img, 0, 0, svg.width, svg.height);
    const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'));
    if (!blob) throw new Error('the browser could not encode the PNG (the picture may be too large)');
    return blob;
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** Saves `blob` as a download named `name`. */
export function saveFile(name: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
