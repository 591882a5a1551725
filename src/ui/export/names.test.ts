import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exportFileName, MAX_AREA, MAX_SIDE, pngRatio, pngRefusal, sim_slug, wrapWords } from './names.ts';

describe('export file names', () => {
  it('uses the built-in id, else the title slug, and the step', () => {
    expect(exportFileName('quadrants-32bit', 'One 32-bit page directory', 12, 'png')).toBe('quadrants-32bit-step-12.png');
    expect(exportFileName(null, 'My  scenario: CR0.WP = 0!', 3, 'svg')).toBe('my-scenario-cr0-wp-0-step-3.svg');
    expect(exportFileName(null, '???', 0, 'svg')).toBe('scenario-step-0.svg');
  });
  it('slugs are always file-name safe', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        expect(sim_slug(s)).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      }),
    );
    // A cut at 60 characters just after a word leaves no trailing '-'.
    expect(sim_slug(`${'a'.repeat(59)} b`)).toBe('a'.repeat(59));
  });
});

describe('the PNG pixel ratio', () => {
  it('is 2 for an ordinary scene', () => expect(pngRatio(819, 615)).toBe(2));
  it('shrinks where 2x would exceed what a canvas can hold, and always fits', () => {
    expect(pngRatio(10_000, 600)).toBeLessThan(2);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60_000 }), fc.integer({ min: 1, max: 60_000 }), (w, h): void => {
        const r = pngRatio(w, h);
        expect(r).toBeLessThanOrEqual(2);
        // The floor of a quarter: only a scene over 65,536 px a side would need less (never reached here).
        if (r > 0.25) {
          expect(Math.round(w * r)).toBeLessThanOrEqual(MAX_SIDE);
          expect(Math.round(h * r)).toBeLessThanOrEqual(MAX_SIDE);
          expect(w * r * h * r).toBeLessThanOrEqual(MAX_AREA);
        }
      }),
    );
  });
});

describe('a scene too large for a PNG', () => {
  it('is refused with its size and what to do instead: the last step of the 1,000,000-step bench file', () => {
    expect(pngRefusal(883, 311_161)).toBe(
      'No PNG: the picture of this view would be 883 × 311,161 px, more than a PNG can hold in a browser (16,384 px a side), even at a quarter of its size. Save it as an SVG, or switch on the Overview (the scene on one screen) and export that.',
    );
  });
  it('is refused exactly when the least ratio still leaves it over a canvas\'s limits', () => {
    expect(pngRefusal(819, 615)).toBeNull();
    expect(pngRefusal(1_600, 60_000)).toBeNull();
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 400_000 }), fc.integer({ min: 1, max: 400_000 }), (w, h) => {
        const r = pngRatio(w, h);
        const fits = Math.round(w * r) <= MAX_SIDE && Math.round(h * r) <= MAX_SIDE && Math.round(w * r) * Math.round(h * r) <= MAX_AREA;
        return (pngRefusal(w, h) === null) === fits;
      }),
    );
  });
});

describe('title wrapping', () => {
  const measure = (s: string) => s.length * 10;
  it('keeps every word, in order, within the width where a word fits', () => {
    const text = 'The guest kernel loads CR3 again with the same value, 0x1000. KVM keeps its roots.';
    const lines = wrapWords(text, 200, measure);
    expect(lines.join(' ')).toBe(text);
    for (const l of lines) expect(measure(l)).toBeLessThanOrEqual(200);
    expect(lines.length).toBeGreaterThan(1);
  });
  it('puts a word longer than the width on a line of its own', () => {
    expect(wrapWords('a verylongword b', 50, measure)).toEqual(['a', 'verylongword', 'b']);
  });
});
