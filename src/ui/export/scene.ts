/**
 * What the tables show right now, for the export: App registers its layout
 * and highlights on every render (the export must draw the whole scene, and
 * the canvas on screen draws only what is scrolled into view).
 */
import type { Layout } from '../layout/geometry.ts';
import type { Highlights } from '../step/index.ts';

export interface ExportScene {
  layout: Layout;
  hl: Highlights;
  /** The overview (one small card per table) is on screen instead of the tables. */
  overview: boolean;
  /** The column headings as on screen, with their x in layout units. */
  heads: ReadonlyArray<{ x: number; text: string }>;
}

let current: ExportScene | null = null;

export const setExportScene = (s: ExportScene | null): void => {
  current = s;
};
export const exportScene = (): ExportScene | null => current;
