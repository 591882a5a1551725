/**
 * `npm run trace` / `npm run grade` run scripts/cli.mjs, which runs the CLI
 * from an esbuild bundle in node_modules/.cache (rebuilt when a source it was
 * built from changed). The bundle must behave as the sources run through tsx:
 * the same output, the same errors and exit codes.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const CACHE = join('node_modules', '.cache', 'shadowpaging-cli');
const viaBundle = (args: string[], input?: string) => spawnSync(process.execPath, ['scripts/cli.mjs', ...args], { encoding: 'utf8', input, timeout: 60_000, maxBuffer: 1 << 26 });
const viaTsx = (file: string, args: string[], input?: string) => spawnSync(process.execPath, ['--import', 'tsx', file, ...args], { encoding: 'utf8', input, timeout: 60_000, maxBuffer: 1 << 26 });
const SCENARIO = 'src/scenarios/library/unsync-invlpg-sync.json';

describe('scripts/cli.mjs', () => {
  it('builds the bundle when there is none, and prints what the sources print', () => {
    rmSync(CACHE, { recursive: true, force: true });
    const a = viaBundle(['trace', SCENARIO, '--rules', 'merged']);
    expect(a.status).toBe(0);
    const files = readdirSync(CACHE);
    const bundle = files.find((f) => /^trace-[0-9a-f]{12}\.cjs$/.test(f));
    expect(bundle).toBeDefined();
    const inputs = JSON.parse(readFileSync(join(CACHE, bundle!.replace(/\.cjs$/, '.inputs.json')), 'utf8')) as string[];
    expect(inputs).toContain('src/cli/trace.ts');
    expect(inputs).toContain('src/core/mmu/sync.ts');
    // Dependencies are in the bundle; their changes come through the lock file.
    expect(inputs).toContain('package-lock.json');
    expect(inputs).toContain('tsconfig.json');
    expect(inputs.some((f) => f.startsWith('node_modules/'))).toBe(false);
    const b = viaTsx('src/cli/trace.ts', [SCENARIO, '--rules', 'merged']);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout.length).toBeGreaterThan(1000);
    // And again from the bundle as built: the same.
    expect(viaBundle(['trace', SCENARIO, '--rules', 'merged']).stdout).toBe(b.stdout);
  });

  it('rebuilds when a source the bundle was built from is newer', () => {
    viaBundle(['trace', SCENARIO]);
    const bundle = join(CACHE, readdirSync(CACHE).find((f) => /^trace-[0-9a-f]{12}\.cjs$/.test(f))!);
    // Older than any source, whenever the checkout was made.
    const old = new Date(1_000_000);
    utimesSync(bundle, old, old);
    const before = statSync(bundle).mtimeMs;
    expect(viaBundle(['trace', SCENARIO, '--no-events']).status).toBe(0);
    expect(statSync(bundle).mtimeMs).toBeGreaterThan(before);
  });

  it('builds in a private temporary folder, removed after the run, when node_modules/.cache cannot be written', () => {
    rmSync(CACHE, { recursive: true, force: true });
    // A file where the folder should be: mkdir fails as on a read-only install.
    writeFileSync(CACHE, '');
    const temps = () => readdirSync(tmpdir()).filter((f) => f.startsWith('shadowpaging-cli-')).sort();
    const before = temps();
    try {
      const a = viaBundle(['trace', SCENARIO, '--rules', 'before']);
      expect(a.status).toBe(0);
      expect(a.stdout).toBe(viaTsx('src/cli/trace.ts', [SCENARIO, '--rules', 'before']).stdout);
      // An error exit (process.exit inside the CLI) cleans up too.
      expect(viaBundle(['trace', '-'], '{}').status).toBe(2);
      expect(temps()).toEqual(before);
    } finally {
      rmSync(CACHE, { force: true });
    }
  });

  it('keeps the CLIs\' errors and exit codes', () => {
    const bad = viaBundle(['trace', '-'], '{"format":"shadowpaging/v1"}');
    const badTsx = viaTsx('src/cli/trace.ts', ['-'], '{"format":"shadowpaging/v1"}');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe(badTsx.stderr);
    expect(bad.stderr).toMatch(/invalid scenario/);
    const grade = viaBundle(['grade']);
    expect(grade.status).toBe(2);
    expect(grade.stderr).toBe(viaTsx('src/cli/grade.ts', []).stderr);
    const unknown = viaBundle(['nope']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/expected one of trace, grade/);
  });
});
