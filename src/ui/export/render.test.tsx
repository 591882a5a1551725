// @vitest-environment jsdom
/**
 * sceneSvg draws the scene as a React transition and copies its styles in
 * slices: it ends with the whole picture, and a drawing that fails (or a
 * theme change meanwhile) ends it with an error instead of leaving the export
 * waiting for a commit that never comes.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TimelineBuilder } from '../../core/index.ts';
import { LIBRARY } from '../../scenarios/library/index.ts';
import { parseScenario } from '../../scenarios/schema.ts';
import { layoutOf, shownStep } from '../step/index.ts';
import { sceneSvg } from './render.ts';
import type { ExportScene } from './scene.ts';

const parsed = parseScenario(LIBRARY.find((e) => e.id === 'quadrants-32bit')!.json);
if (!parsed.ok) throw new Error('the built-in does not parse');
const tl = new TimelineBuilder(parsed.scenario, 'seed').timeline();
const shown = shownStep(tl, 12, null);
const scene = (): ExportScene => ({ layout: layoutOf(shown.view), hl: shown.hl, overview: false, heads: [{ x: 0, text: 'Guest page tables' }] });

afterEach(() => {
  document.documentElement.classList.remove('dark');
  vi.restoreAllMocks();
});

describe('sceneSvg', () => {
  it('draws the whole scene and removes its stage', async () => {
    const s = scene();
    const svg = await sceneSvg(s, 'A title');
    const text = await svg.blob.text();
    expect(svg.blob.type).toBe('image/svg+xml');
    expect(text.startsWith('<?xml')).toBe(true);
    expect(text).toContain('A title');
    expect(text).not.toMatch(/class=|data-testid=/);
    expect(svg.height).toBeGreaterThan(s.layout.height);
    expect(document.querySelector('.export-stage')).toBeNull();
  });

  it('ends with the error when the drawing fails, and removes its stage', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    // A layout whose cards are missing: Canvas throws while React renders it.
    const s = scene();
    const broken = { ...s, layout: { ...s.layout, cards: null } } as unknown as ExportScene;
    await expect(sceneSvg(broken, 'A title')).rejects.toThrow();
    expect(document.querySelector('.export-stage')).toBeNull();
  });

  it('refuses a picture when the theme changes while it is drawn', async () => {
    const done = sceneSvg(scene(), 'A title');
    document.documentElement.classList.add('dark');
    await expect(done).rejects.toThrow('the theme changed while the picture was being written; export it again');
  });
});
