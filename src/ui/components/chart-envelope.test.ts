/**
 * The shadow-page chart's points (issue 16): every step while they fit two
 * per pixel column; a 10,000-step run reduced to the least and the most of
 * each column, in step order, keeping the first and last steps and every
 * column's extremes, so the line looks the same.
 */
import { describe, expect, it } from 'vitest';
import { envelope } from './RegistersPanel.tsx';

describe('envelope', () => {
  it('keeps every point of a short run', () => {
    const c = [3, 5, 4, 9, 2];
    expect(envelope(c, 266)).toEqual(c.map((v, i) => [i, v]));
  });

  it('reduces a 10,001-point run to at most two points per column, keeping its shape', () => {
    const c = Array.from({ length: 10_001 }, (_, i) => Math.round(20 + 15 * Math.sin(i / 37) + (i % 997 === 0 ? 30 : 0)));
    const cols = 266;
    const pts = envelope(c, cols);
    expect(pts.length).toBeLessThanOrEqual(2 * cols + 1);
    expect(pts[0]![0]).toBe(0);
    expect(pts[pts.length - 1]).toEqual([10_000, c[10_000]]);
    for (let i = 1; i < pts.length; i++) expect(pts[i]![0]).toBeGreaterThan(pts[i - 1]![0]);
    for (const [i, v] of pts) expect(v).toBe(c[i]);
    // Each column's least and most values are drawn (so every spike is).
    const per = c.length / cols;
    for (let col = 0; col < cols; col++) {
      const a = Math.floor(col * per);
      const b = col === cols - 1 ? c.length : Math.floor((col + 1) * per);
      const seg = c.slice(a, b);
      const drawn = pts.filter(([i]) => i >= a && i < b).map(([, v]) => v);
      expect(drawn).toContain(Math.max(...seg));
      expect(drawn).toContain(Math.min(...seg));
    }
  });
});
