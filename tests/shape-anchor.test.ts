/**
 * The shape anchor (timeline.ts sim_anchorShapes): a machine collected after
 * a replay must not take the engine's optimized code with it. V8 marks an
 * optimized function for deoptimization with "reason: weak objects" when a
 * hidden class it embeds dies; before the anchor, ~50-90 engine functions
 * were thrown away each time the last machine was collected, so each replay
 * after a full GC started from cold code (issue 17's replay figure). A count,
 * not a timing, over a probe that replays in two machines and collects each:
 * a handful may remain (tsx's own loader functions, 3-4 here).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const probe = fileURLToPath(new URL('./fixtures/deopt-probe.ts', import.meta.url));

describe('the shape anchor', () => {
  it('a replay after the previous machine was collected keeps the optimized engine code', () => {
    const r = spawnSync(process.execPath, ['--expose-gc', '--trace-deopt-verbose', '--import', 'tsx', probe, '20000'], {
      // From the project's root, where `--import tsx` finds the package.
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      encoding: 'utf8',
      timeout: 120_000,
      maxBuffer: 256 * 2 ** 20,
    });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    // The trace ran and V8 still words it as this test expects (a count of 0 alone could mean neither).
    expect(
      lines.filter((l) => l.startsWith('[marking dependent code') || l.startsWith('[bailout')).length,
      'V8 printed its deoptimization trace',
    ).toBeGreaterThan(0);
    const weak = lines.filter((l) => l.includes('reason: weak objects'));
    // Which functions, so a failure says what lost its code.
    const names = weak.map((l) => /SharedFunctionInfo ([^>]*)>/.exec(l)?.[1] ?? l);
    expect(names.length, names.join(', ')).toBeLessThanOrEqual(10);
  }, 180_000);
});
